import { describe, expect, it } from 'vitest';
import { confusionMatrix, meanAbsoluteError, ordinalReport, quadraticWeightedKappa } from '../src/index.js';

// Ten samples over 3 classes whose confusion matrix (rows truth, columns prediction) is
//   O = [[2, 1, 0],
//        [0, 2, 1],
//        [1, 0, 3]]
const truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
const predicted = [0, 0, 1, 1, 1, 2, 0, 2, 2, 2];

describe('ordinal metrics', () => {
  it('confusion matrix counts (truth, prediction) pairs', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 3],
    ]);
    expect(confusionMatrix([], [], 2)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('quadratic weighted kappa of the 3x3 example is 13/23 (hand-computed)', () => {
    // w_ij = (i-j)^2 / 4 = [[0, .25, 1], [.25, 0, .25], [1, .25, 0]]
    // observed: .25 * O01 + .25 * O12 + 1 * O20 = .25 + .25 + 1 = 1.5
    // row sums r = [3, 3, 4], column sums c = [3, 3, 4], N = 10, E_ij = r_i c_j / 10:
    //   E = [[.9, .9, 1.2], [.9, .9, 1.2], [1.2, 1.2, 1.6]]
    // expected: (.225 + 1.2) + (.225 + .3) + (1.2 + .3) = 3.45
    // kappa = 1 - 1.5 / 3.45 = 1 - 10/23 = 13/23
    const k = quadraticWeightedKappa(confusionMatrix(truth, predicted, 3));
    expect(k).toBeCloseTo(13 / 23, 12);
  });

  it('kappa: 1 for perfect agreement, 0 for a constant prediction, -1 for a swapped pair', () => {
    expect(quadraticWeightedKappa(confusionMatrix([0, 1, 2, 2], [0, 1, 2, 2], 3))).toBe(1);
    // A constant prediction in column j: observed = sum_i w_ij r_i = expected, so kappa = 0.
    expect(quadraticWeightedKappa(confusionMatrix([0, 1, 2, 2, 1], [2, 2, 2, 2, 2], 3))).toBeCloseTo(0, 12);
    // O = [[0, 1], [1, 0]]: observed 2, expected 4 * .5 * .5 = 1, kappa = 1 - 2 = -1
    expect(quadraticWeightedKappa([[0, 1], [1, 0]])).toBeCloseTo(-1, 12);
    // Everything in one class: the expected disagreement is 0 and kappa is undefined.
    expect(quadraticWeightedKappa([[3, 0], [0, 0]])).toBeNaN();
  });

  it('MAE is the mean distance in class steps', () => {
    // errors: one 0->1, one 1->2, one 2->0 (distance 2): (1 + 1 + 2) / 10
    expect(meanAbsoluteError(truth, predicted)).toBeCloseTo(0.4, 12);
    expect(meanAbsoluteError([4, 0], [0, 4])).toBe(4);
  });

  it('ordinalReport bundles accuracy, MAE, QWK and the confusion matrix', () => {
    const r = ordinalReport(truth, predicted, 3);
    expect(r.accuracy).toBeCloseTo(0.7, 12);
    expect(r.mae).toBeCloseTo(0.4, 12);
    expect(r.qwk).toBeCloseTo(13 / 23, 12);
    expect(r.confusion[2]).toEqual([1, 0, 3]);
  });

  it('rejects mismatched lengths and out-of-range classes', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 labels but 1 predictions/);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/class 3 at index 1/);
    expect(() => confusionMatrix([0, 1.5], [0, 1], 3)).toThrow(/class 1.5/);
    expect(() => meanAbsoluteError([], [])).toThrow(/empty/);
    expect(() => quadraticWeightedKappa([[1, 2]])).toThrow(/square/);
  });
});
