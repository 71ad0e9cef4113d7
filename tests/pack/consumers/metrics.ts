// Type-checked (never run) in a fresh project against the packed @chainzrule/metrics.
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, gradientVolatility, type LogitModel, type VolatilitySummary } from '@chainzrule/metrics';

const W = tf.tensor2d([[3, 0], [4, 1]]);
const model: LogitModel = (x) => tf.matMul(x, W);
const x = tf.tensor2d([[1, 0], [0, 1]]);
const summary: VolatilitySummary = gradientVolatility(model, x, [0, 1]);
const peak: number = summary.peak;
const acc: number = accuracy({ predict: (input: tf.Tensor) => model(input) }, x, new Uint8Array([0, 0]));
// @ts-expect-error labels are numbers, not a tensor of strings
accuracy(model, x, ['a', 'b']);

export { peak, acc };
