// Type-checked (never run) in a fresh project against the packed @chainzrule/polynomial.
import * as tf from '@tensorflow/tfjs-core';
import { PolynomialEngine, fitMaxError, type EngineOutput, type PolynomialEngineConfig } from '@chainzrule/polynomial';

const config: PolynomialEngineConfig = { basis: 'legendre', degree: 3, domain: 'tanh', init: 'gelu' };
const engine = new PolynomialEngine(config);
engine.build([null, 4]);
const out: EngineOutput = engine.evaluate(tf.zeros([2, 4]));
const slope: tf.Tensor = out.dp;
const fitError: number = fitMaxError('relu', 'chebyshev', 4);
// @ts-expect-error 'fourier' is not a basis: the shipped types must say so
new PolynomialEngine({ basis: 'fourier' });

export { slope, fitError };
