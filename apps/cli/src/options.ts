import { InvalidArgumentError } from 'commander';
import { parseRegularizerSpec } from '@chainzrule/dreg';
import { MODEL_KINDS, type ModelKind, type RegularizerSpec } from '@chainzrule/trainer';

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

/** `--models a,b,c`: known model kinds, each at most once. */
export function modelList(value: string): ModelKind[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`give model names separated by commas, from ${MODEL_KINDS.join(', ')}.`);
  for (const n of names) if (!MODEL_KINDS.includes(n as ModelKind)) throw new InvalidArgumentError(`unknown model '${n}': use ${MODEL_KINDS.join(', ')}.`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InvalidArgumentError(`model '${twice}' is listed twice.`);
  return names as ModelKind[];
}
