import { RegularizerConfigError } from './regularizer.js';

/** How a regularizer's weight changes over training. */
export type LambdaSchedule = { kind: 'constant' } | { kind: 'linear-warmup'; steps: number };

/**
 * The weight at a training step: constant `lambda`, or a linear warm-up
 * `lambda * min(1, (step + 1) / steps)` that lets the network fit first and then smooths it.
 */
export function scheduledWeight(lambda: number, schedule: LambdaSchedule | undefined, step: number): number {
  if (!schedule || schedule.kind === 'constant') return lambda;
  if (schedule.kind === 'linear-warmup') {
    if (!(schedule.steps >= 1)) throw new RegularizerConfigError(`linear-warmup needs steps >= 1, got ${schedule.steps}`);
    return lambda * Math.min(1, (step + 1) / schedule.steps);
  }
  throw new RegularizerConfigError(`unknown lambda schedule '${(schedule as { kind: string }).kind}': use constant or linear-warmup`);
}
