import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { io } from '@tensorflow/tfjs-core';
import { layers, loadLayersModel, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolynomialEngine, PolynomialConfigError, resolveEngineConfig } from '../src/index.js';
import { fitCoefficients } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function model(sharing: 'shared' | 'per-unit') {
  const m = sequential();
  m.add(layers.dense({ inputShape: [3], units: 4 }));
  m.add(new PolynomialEngine({ basis: 'legendre', degree: 3, sharing, init: 'gelu' }));
  m.add(layers.dense({ units: 2 }));
  return m;
}

describe('PolynomialEngine layer', () => {
  it('starts from the fitted coefficients, shared or tiled per unit', () => {
    const m = model('per-unit');
    const engine = m.layers[1] as PolynomialEngine;
    const c = engine.coefficientVariable;
    expect(c.shape).toEqual([4, 4]);
    const expected = fitCoefficients('gelu', 'legendre', 3);
    const rows = c.arraySync() as number[][];
    for (const row of rows) row.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 5));
  });

  it('call() equals evaluate().p', () => {
    const engine = new PolynomialEngine({ degree: 4 });
    const z = tf.tensor2d([[-3, -0.2, 0.1, 5]]);
    const out = engine.apply(z) as tf.Tensor;
    const { p } = engine.evaluate(z);
    expect(Array.from(out.dataSync())).toEqual(Array.from(p.dataSync()));
  });

  it.each(['shared', 'per-unit'] as const)('saves and loads back with tf.loadLayersModel (%s), identical predictions', async (sharing) => {
    const m = model(sharing);
    // Move the coefficients away from their initial values so loading must read the saved weights.
    const engine = m.layers[1] as PolynomialEngine;
    engine.coefficientVariable.assign(tf.randomNormal(engine.coefficientVariable.shape, 0, 1, 'float32', 3));
    let artifacts: io.ModelArtifacts | undefined;
    await m.save(io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const json = JSON.stringify(artifacts!.modelTopology);
    expect(json).toContain('"class_name":"PolynomialEngine"');
    const loaded = await loadLayersModel(io.fromMemory(artifacts!));
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((m.predict(x) as tf.Tensor).dataSync()));
    const l = loaded.layers[1] as PolynomialEngine;
    expect([l.basis, l.degree, l.sharing, l.init, l.domain]).toEqual(['legendre', 3, sharing, 'gelu', 'tanh']);
  });

  it('rejects invalid settings with a clear message', () => {
    expect(() => resolveEngineConfig({ degree: 0 })).toThrow(/degree must be an integer from 1 to 8, got 0/);
    expect(() => resolveEngineConfig({ degree: 9 })).toThrow(PolynomialConfigError);
    expect(() => resolveEngineConfig({ basis: 'fourier' as never })).toThrow(/unknown basis 'fourier'/);
    expect(() => resolveEngineConfig({ domain: 'sigmoid' as never })).toThrow(/unknown domain map/);
  });
});
