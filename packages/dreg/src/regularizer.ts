import * as tf from '@tensorflow/tfjs-core';
import type { ForwardTrace } from './trace.js';

/**
 * A DREG regularizer: a penalty computed from a network's forward trace.
 *
 * Shaped like tfjs-layers regularizers: `apply` returns a scalar (inside `tidy`), `getConfig`
 * and a static `fromConfig` round-trip the settings, and `className` names the class in the
 * registry. To add one: subclass, set `static className`, and call `registerRegularizer`.
 */
export abstract class DregRegularizer extends tf.serialization.Serializable {
  /** The penalty for one mini-batch; a finite, non-negative scalar. */
  abstract apply(trace: ForwardTrace): tf.Scalar;
  abstract override getConfig(): tf.serialization.ConfigDict;
}

/** A regularizer name or option is invalid; the message says what is allowed. */
export class RegularizerConfigError extends Error {
  override name = 'RegularizerConfigError';
}

type RegularizerClass = (new (config?: never) => DregRegularizer) & { className: string };

const registry = new Map<string, RegularizerClass>();

/** Registers a regularizer class under its `className` (also for tfjs serialization). */
export function registerRegularizer(cls: RegularizerClass): void {
  registry.set(cls.className, cls);
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<DregRegularizer>);
}

/** The names of all registered regularizers, sorted. */
export function listRegularizers(): string[] {
  return [...registry.keys()].sort();
}

/** A new instance of a registered regularizer. */
export function getRegularizer(name: string, config: tf.serialization.ConfigDict = {}): DregRegularizer {
  const cls = registry.get(name);
  if (!cls) throw new RegularizerConfigError(`unknown regularizer '${name}': use one of ${listRegularizers().join(', ')}`);
  return new cls(config as never);
}
