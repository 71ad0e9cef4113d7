/**
 * `PolynomialEngine`: the engine as a tfjs-layers layer, registered for serialization so that a
 * ChainzRule model saves as model.json + weights and loads back with `tf.loadLayersModel`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';
import { BASES, DOMAIN_MAPS, MAX_DEGREE, evaluatePolynomial, type Basis, type DomainMap, type EngineOutput } from './engine.js';
import { ENGINE_INITS, fitCoefficients, type EngineInit } from './fit.js';

/** A tfjs-layers shape: `null` for an unknown (batch) dimension. */
export type Shape = Array<number | null>;

/** Whether one coefficient vector is shared by the whole layer or each unit has its own. */
export type CoefficientSharing = 'shared' | 'per-unit';

export interface PolynomialEngineConfig {
  /** Polynomial basis. Default `chebyshev`. */
  basis?: Basis;
  /** Polynomial degree, 1 to 8. Default 4. */
  degree?: number;
  /** Domain map before the polynomial. Default `tanh`. */
  domain?: DomainMap;
  /** Coefficients per layer (`shared`, default) or per unit. */
  sharing?: CoefficientSharing;
  /** Starting activation. Default `relu` (least-squares fit on the domain). */
  init?: EngineInit;
  /** Layer name (tfjs-layers). */
  name?: string;
  /** Whether the coefficients are trained. Default true. */
  trainable?: boolean;
}

/** A user-supplied engine setting is invalid; the message says which and what is allowed. */
export class PolynomialConfigError extends Error {
  override name = 'PolynomialConfigError';
}

/** Checks an engine config and fills in the defaults. */
export function resolveEngineConfig(config: PolynomialEngineConfig = {}): Required<Omit<PolynomialEngineConfig, 'name' | 'trainable'>> {
  const basis = config.basis ?? 'chebyshev';
  const degree = config.degree ?? 4;
  const domain = config.domain ?? 'tanh';
  const sharing = config.sharing ?? 'shared';
  const init = config.init ?? 'relu';
  if (!BASES.includes(basis)) throw new PolynomialConfigError(`unknown basis '${basis}': use one of ${BASES.join(', ')}`);
  if (!Number.isInteger(degree) || degree < 1 || degree > MAX_DEGREE)
    throw new PolynomialConfigError(`degree must be an integer from 1 to ${MAX_DEGREE}, got ${degree}`);
  if (!DOMAIN_MAPS.includes(domain)) throw new PolynomialConfigError(`unknown domain map '${domain}': use one of ${DOMAIN_MAPS.join(', ')}`);
  if (sharing !== 'shared' && sharing !== 'per-unit') throw new PolynomialConfigError(`unknown coefficient sharing '${sharing}': use shared or per-unit`);
  if (!ENGINE_INITS.includes(init)) throw new PolynomialConfigError(`unknown init '${init}': use one of ${ENGINE_INITS.join(', ')}`);
  return { basis, degree, domain, sharing, init };
}

/**
 * Learnable polynomial activation `a(z) = sum_k c_k B_k(u(z))` applied elementwise.
 *
 * Its `evaluate(z)` returns `p`, `p'` and `p''` with respect to `z` in one pass; DREG regularizers
 * consume those derivatives instead of re-deriving them.
 */
export class PolynomialEngine extends layers.Layer {
  static className = 'PolynomialEngine';
  readonly basis: Basis;
  readonly degree: number;
  readonly domain: DomainMap;
  readonly sharing: CoefficientSharing;
  readonly init: EngineInit;
  private coefficients: LayerVariable | null = null;

  constructor(config: PolynomialEngineConfig = {}) {
    super({ name: config.name, trainable: config.trainable ?? true });
    const resolved = resolveEngineConfig(config);
    this.basis = resolved.basis;
    this.degree = resolved.degree;
    this.domain = resolved.domain;
    this.sharing = resolved.sharing;
    this.init = resolved.init;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const units = shape[shape.length - 1];
    if (this.sharing === 'per-unit' && (units == null || units < 1))
      throw new PolynomialConfigError('per-unit coefficients need a known last input dimension');
    const c = fitCoefficients(this.init, this.basis, this.degree);
    const weightShape = this.sharing === 'shared' ? [this.degree + 1] : [units as number, this.degree + 1];
    this.coefficients = this.addWeight('coefficients', weightShape, 'float32', initializers.zeros());
    const start = tf.tidy(() => {
      const row = tf.tensor1d(c);
      return this.sharing === 'shared' ? row : tf.tile(tf.reshape(row, [1, -1]), [units as number, 1]);
    });
    this.coefficients.write(start);
    start.dispose();
    this.built = true;
  }

  /** The coefficient variable (`[degree + 1]` or `[units, degree + 1]`). */
  get coefficientVariable(): tf.Variable {
    if (!this.coefficients) throw new PolynomialConfigError(`layer ${this.name} is not built yet`);
    return this.coefficients.read() as tf.Variable;
  }

  /** p, p' and p'' of the engine at pre-activations `z`, in one pass. */
  evaluate(z: tf.Tensor): EngineOutput {
    return evaluatePolynomial(z, this.coefficientVariable, this.basis, this.domain);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const z = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { p, dp, d2p } = this.evaluate(z);
      dp.dispose();
      d2p.dispose();
      return p;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      basis: this.basis,
      degree: this.degree,
      domain: this.domain,
      sharing: this.sharing,
      init: this.init,
    };
  }
}

tf.serialization.registerClass(PolynomialEngine);

/** Functional form: `polynomialEngine({ degree: 4 })`, like `tf.layers.dense(...)`. */
export function polynomialEngine(config?: PolynomialEngineConfig): PolynomialEngine {
  return new PolynomialEngine(config);
}
