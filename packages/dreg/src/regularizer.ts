import * as tf from '@tensorflow/tfjs-core';
import type { ForwardTrace, RegularizerContext } from './trace.js';

/**
 * A DREG regularizer: a penalty computed from a network's forward trace.
 *
 * Shaped like tfjs-layers regularizers: `apply` returns a scalar (inside `tidy`), `getConfig`
 * and a static `fromConfig` round-trip the settings, and `className` names the class in the
 * registry. To add one: subclass, set `static className`, and call `registerRegularizer`.
 */
export abstract class DregRegularizer extends tf.serialization.Serializable {
  /**
   * The penalty for one mini-batch; a finite, non-negative scalar. `context` carries the
   * batch's logits and one-hot labels for regularizers that need them (e.g. `input-gradient`).
   */
  abstract apply(trace: ForwardTrace, context?: RegularizerContext): tf.Scalar;
  abstract override getConfig(): tf.serialization.ConfigDict;
}

/** A regularizer name or option is invalid; the message says what is allowed. */
export class RegularizerConfigError extends Error {
  override name = 'RegularizerConfigError';
}

/** A regularizer class: constructible from its config, with a registry name. */
export type RegularizerClass = (new (config?: never) => DregRegularizer) & { className: string };

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

/** Checks that `config` has only `allowed` keys; regularizer constructors call this. */
export function checkConfigKeys(name: string, config: object, allowed: readonly string[]): void {
  for (const key of Object.keys(config))
    if (!allowed.includes(key))
      throw new RegularizerConfigError(`${name}: unknown option '${key}'${allowed.length ? `: use ${allowed.join(', ')}` : ' (it takes none)'}`);
}

/** Reads a numeric option, checking its range. */
export function numberOption(name: string, key: string, value: unknown, fallback: number, check: (n: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || !check(n)) throw new RegularizerConfigError(`${name}: ${key} must be ${rule}, got ${String(value)}`);
  return n;
}

/**
 * Parses a command-line spec `NAME[:k=v,...]`, e.g. `derivative-hinge:threshold=2,weight=0.01`.
 * Numeric values become numbers. `weight` is returned apart from the regularizer's own config.
 */
export function parseRegularizerSpec(spec: string): { name: string; config: tf.serialization.ConfigDict; weight?: number } {
  const [name, rest] = spec.includes(':') ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)] : [spec, ''];
  const config: tf.serialization.ConfigDict = {};
  let weight: number | undefined;
  for (const part of rest.split(',').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RegularizerConfigError(`regularizer '${spec}': '${part}' is not k=v; write NAME:k=v,k2=v2`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    const value = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (key === 'weight') {
      if (typeof value !== 'number' || value < 0) throw new RegularizerConfigError(`regularizer '${spec}': weight must be a number >= 0, got '${raw}'`);
      weight = value;
    } else config[key] = value;
  }
  getRegularizer(name, config); // validates the name and the options now, not mid-training
  return { name, config, weight };
}
