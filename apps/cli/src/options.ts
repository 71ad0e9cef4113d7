import { InvalidArgumentError } from 'commander';
import { parseRegularizerSpec } from '@chainzrule/dreg';
import type { RegularizerSpec } from '@chainzrule/trainer';

/** Option parsers shared by the commands: each rejects a bad value with a one-line reason. */
export const integer =
  (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };

/** A decimal number (no hex, no Infinity) that passes `check`. */
export const number =
  (name: string, check: (n: number) => boolean, rule: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim()) || !Number.isFinite(n) || !check(n))
      throw new InvalidArgumentError(`${name} must be ${rule}.`);
    return n;
  };

/** Collects repeated `--regularizer NAME[:k=v,...]` options. */
export function regularizerOption(spec: string, previous: RegularizerSpec[] = []): RegularizerSpec[] {
  try {
    return [...previous, parseRegularizerSpec(spec)];
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}
