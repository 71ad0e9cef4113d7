// Type-checked (never run) in a fresh project against the packed @chainzrule/trainer.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { getRegularizer } from '@chainzrule/dreg';
import { buildModel, countParams, selectBackend, train, type TrainOptions, type TrainResult, type TrainingSet } from '@chainzrule/trainer';

const backend: string = (await selectBackend({ requested: 'cpu' })).name;
const model: LayersModel = buildModel('chainzrule', { inputSize: 4, numClasses: 2, seed: 0, engine: { degree: 3 } });
const params: number = countParams(model);
const data: TrainingSet = { x: new Float32Array(8), labels: [0, 1], n: 2, dim: 4, numClasses: 2 };
const options: TrainOptions = {
  epochs: 1,
  batchSize: 2,
  learningRate: 0.01,
  seed: 0,
  regularizers: [{ regularizer: getRegularizer('jacobian-frobenius'), weight: 0.001 }],
};
const result: TrainResult = await train(model, data, options);
const loss: number[] = result.epochLoss;
// @ts-expect-error there is no 'transformer' model
buildModel('transformer', { inputSize: 4, numClasses: 2, seed: 0 });

export { backend, params, loss };
