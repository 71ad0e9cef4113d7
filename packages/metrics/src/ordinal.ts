/**
 * Metrics for ordinal labels (e.g. 1-5 stars as class indices 0..K-1): confusion matrix,
 * accuracy, mean absolute error and quadratic weighted kappa. Plain arrays in, numbers out: they
 * work on the predictions of any model.
 */

function checkPair(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): void {
  if (truth.length !== predicted.length) throw new RangeError(`${truth.length} labels but ${predicted.length} predictions`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be an integer >= 1, got ${numClasses}`);
  for (const arr of [truth, predicted])
    for (let i = 0; i < arr.length; i++)
      if (!Number.isInteger(arr[i]) || arr[i]! < 0 || arr[i]! >= numClasses)
        throw new RangeError(`class ${arr[i]} at index ${i} is not an integer in 0..${numClasses - 1}`);
}

/**
 * `C[i][j]` = number of samples of true class `i` predicted as class `j` (rows: truth,
 * columns: prediction), for classes `0..numClasses-1`.
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  checkPair(truth, predicted, numClasses);
  const c = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) c[truth[i]!]![predicted[i]!]!++;
  return c;
}

/** `sum_i |y_i - yhat_i| / n` in class steps (stars). */
export function meanAbsoluteError(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length !== predicted.length) throw new RangeError(`${truth.length} labels but ${predicted.length} predictions`);
  if (truth.length === 0) throw new RangeError('mean absolute error of an empty set');
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(truth[i]! - predicted[i]!);
  return s / truth.length;
}

/**
 * Quadratic weighted kappa (Cohen's kappa with quadratic weights) of a K x K confusion matrix O:
 *
 *     w_ij = (i - j)^2 / (K - 1)^2
 *     E_ij = (sum_j' O_ij') (sum_i' O_i'j) / N        (agreement expected by chance)
 *     kappa = 1 - (sum_ij w_ij O_ij) / (sum_ij w_ij E_ij)
 *
 * 1 is perfect agreement, 0 chance level, negative worse than chance. `NaN` when the expected
 * disagreement is 0 (truth and predictions all in one and the same class): kappa is undefined.
 */
export function quadraticWeightedKappa(confusion: readonly (readonly number[])[]): number {
  const k = confusion.length;
  if (k < 2 || confusion.some((row) => row.length !== k)) throw new RangeError('quadraticWeightedKappa needs a square confusion matrix of at least 2 classes');
  const rows = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = confusion[0]!.map((_, j) => confusion.reduce((a, row) => a + row[j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  if (n === 0) throw new RangeError('quadraticWeightedKappa of an empty confusion matrix');
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2 / (k - 1) ** 2;
      observed += w * confusion[i]![j]!;
      expected += (w * rows[i]! * cols[j]!) / n;
    }
  return expected === 0 ? NaN : 1 - observed / expected;
}

/** All ordinal metrics of one set of predictions. */
export interface OrdinalReport {
  accuracy: number;
  /** mean absolute error in class steps */
  mae: number;
  /** quadratic weighted kappa */
  qwk: number;
  /** rows: truth, columns: prediction */
  confusion: number[][];
}

/** Accuracy, MAE, quadratic weighted kappa and the confusion matrix of class-index predictions. */
export function ordinalReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): OrdinalReport {
  const confusion = confusionMatrix(truth, predicted, numClasses);
  if (truth.length === 0) throw new RangeError('ordinal metrics of an empty set');
  let correct = 0;
  for (let i = 0; i < numClasses; i++) correct += confusion[i]![i]!;
  return {
    accuracy: correct / truth.length,
    mae: meanAbsoluteError(truth, predicted),
    qwk: numClasses >= 2 ? quadraticWeightedKappa(confusion) : NaN,
    confusion,
  };
}
