import { quantile } from './volatility.js';

/** How much the parameter gradient moved during training. */
export interface TrainingGradientSummary {
  /** optimisation steps seen */
  steps: number;
  /** mean of ||grad_theta L|| over the steps */
  mean: number;
  /** standard deviation over the steps (population: the series is the whole training run) */
  std: number;
  /** 99th percentile over the steps */
  p99: number;
  /** largest step gradient norm */
  peak: number;
}

/**
 * Training gradient volatility from the per-step global gradient norms `||grad_theta L||_2`
 * (as `train()` of `@chainzrule/trainer` returns them, or from any training loop).
 */
export function trainingGradientVolatility(gradNorms: ArrayLike<number>): TrainingGradientSummary {
  const n = gradNorms.length;
  if (n === 0) throw new RangeError('trainingGradientVolatility: no steps');
  let sum = 0;
  let peak = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += gradNorms[i]!;
    peak = Math.max(peak, gradNorms[i]!);
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (gradNorms[i]! - mean) ** 2;
  return { steps: n, mean, std: Math.sqrt(squares / n), p99: quantile(gradNorms, 0.99), peak };
}
