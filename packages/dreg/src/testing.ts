/**
 * Conformance kit for regularizers: `@chainzrule/dreg/testing`.
 *
 * `checkRegularizer(reg)` runs a regularizer on a small random ChainzRule-shaped network
 * (dense -> Polynomial Engine -> dense) and reports every rule it breaks:
 * a finite non-negative scalar, finite gradients for every weight, a config that round-trips
 * through the registry, and no tensor leak over 100 calls. Runner-agnostic: it returns a list of
 * failures (empty when the regularizer conforms); `assertRegularizer` throws instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { type DregRegularizer, getRegularizer, listRegularizers } from './regularizer.js';
import type { LayerTrace, RegularizerContext } from './trace.js';

export interface ConformanceOptions {
  /** Calls for the leak check. Default 100. */
  calls?: number;
  /** Seed of the random network and batch. Default 0. */
  seed?: number;
}

/** A small random network whose trace and gradients the checks use. */
function sampleNetwork(seed: number) {
  const w1 = tf.variable(tf.randomNormal([6, 5], 0, 0.6, 'float32', seed + 1));
  const b1 = tf.variable(tf.randomNormal([5], 0, 0.1, 'float32', seed + 2));
  const w2 = tf.variable(tf.randomNormal([5, 3], 0, 0.6, 'float32', seed + 3));
  const engine = new PolynomialEngine({ basis: 'chebyshev', degree: 4, init: 'gelu' });
  engine.build([null, 5]);
  const x = tf.randomNormal([8, 6], 0, 1, 'float32', seed + 4) as tf.Tensor2D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3) as tf.Tensor2D;
  const forward = () => {
    const z1 = tf.add(tf.matMul(x, w1), b1) as tf.Tensor2D;
    const { p, dp, d2p } = engine.evaluate(z1);
    const z2 = tf.matMul(p, w2) as tf.Tensor2D;
    const trace: LayerTrace[] = [
      { name: 'hidden', input: x, kernel: w1 as tf.Tensor2D, z: z1, dp: dp as tf.Tensor2D, d2p: d2p as tf.Tensor2D },
      { name: 'logits', input: p as tf.Tensor2D, kernel: w2 as tf.Tensor2D, z: z2, dp: null, d2p: null },
    ];
    const context: RegularizerContext = { logits: z2, labels };
    return { trace, context };
  };
  const variables = [w1, b1, w2, engine.coefficientVariable];
  const dispose = () => {
    tf.dispose([w1, b1, w2, x, labels, engine.coefficientVariable]);
  };
  return { forward, variables, dispose };
}

const isPlainEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every conformance rule `reg` breaks, as readable lines; empty when it conforms. */
export function checkRegularizer(reg: DregRegularizer, options: ConformanceOptions = {}): string[] {
  const failures: string[] = [];
  const name = (reg.constructor as { className?: string }).className ?? reg.getClassName();
  const net = sampleNetwork(options.seed ?? 0);
  try {
    // 1. A finite, non-negative scalar.
    const value = tf.tidy(() => {
      const { trace, context } = net.forward();
      return reg.apply(trace, context);
    });
    if (value.rank !== 0) failures.push(`${name}: apply returned rank ${value.rank}, expected a scalar`);
    const v = value.dataSync()[0]!;
    if (!Number.isFinite(v)) failures.push(`${name}: apply returned ${v}, expected a finite number`);
    if (v < 0) failures.push(`${name}: apply returned ${v}, expected >= 0`);
    value.dispose();

    // 2. Finite gradients with respect to every weight it depends on.
    try {
      const { value: loss, grads } = tf.variableGrads(() => {
        const { trace, context } = net.forward();
        return reg.apply(trace, context);
      }, net.variables);
      for (const [varName, g] of Object.entries(grads))
        if (!Array.from(g.dataSync()).every(Number.isFinite)) failures.push(`${name}: non-finite gradient for ${varName}`);
      tf.dispose([loss, ...Object.values(grads)]);
    } catch (e) {
      failures.push(`${name}: no gradient with respect to the weights (${e instanceof Error ? e.message.split('.')[0] : String(e)})`);
    }

    // 3. Config round trip through the registry.
    if (!listRegularizers().includes(name)) failures.push(`${name}: not registered (call registerRegularizer)`);
    else {
      const config = reg.getConfig();
      const again = getRegularizer(name, config);
      if (!isPlainEqual(again.getConfig(), config)) failures.push(`${name}: getConfig does not round-trip: ${JSON.stringify(config)} -> ${JSON.stringify(again.getConfig())}`);
      const same = tf.tidy(() => {
        const { trace, context } = net.forward();
        return [reg.apply(trace, context).dataSync()[0]!, again.apply(trace, context).dataSync()[0]!];
      });
      // Stochastic regularizers (random projections) may differ; deterministic ones must match.
      if (name !== 'jacobian-projection' && Math.abs(same[0]! - same[1]!) > 1e-5 * Math.max(1, Math.abs(same[0]!)))
        failures.push(`${name}: a copy made from getConfig gives ${same[1]}, the original ${same[0]}`);
    }

    // 4. No tensor leak: apply must free its own intermediates (tidy inside apply).
    const calls = options.calls ?? 100;
    const leaked = tf.tidy(() => {
      const { trace, context } = net.forward();
      const before = tf.memory().numTensors;
      for (let i = 0; i < calls; i++) reg.apply(trace, context).dispose();
      return tf.memory().numTensors - before;
    });
    if (leaked > 0) failures.push(`${name}: ${leaked} tensors leaked over ${calls} calls (wrap apply in tf.tidy)`);
  } catch (e) {
    failures.push(`${name}: threw ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    net.dispose();
  }
  return failures;
}

/** Throws with all failures when `reg` does not conform. */
export function assertRegularizer(reg: DregRegularizer, options?: ConformanceOptions): void {
  const failures = checkRegularizer(reg, options);
  if (failures.length) throw new Error(`regularizer does not conform:\n- ${failures.join('\n- ')}`);
}
