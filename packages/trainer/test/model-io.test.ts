import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { PolynomialEngine } from '@chainzrule/polynomial';
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, createRng, directoryLoadHandler, loadModel, saveModel, selectBackend, train, ModelFileError } from '../src/index.js';

beforeAll(async () => {
  await selectBackend({ requested: 'wasm' });
});

async function trainedChainzRule() {
  const rng = createRng(1);
  const n = 200;
  const x = Float32Array.from({ length: n * 6 }, () => rng() - 0.5);
  const labels = Uint8Array.from({ length: n }, (_, i) => (x[i * 6]! > 0 ? 1 : 0));
  const m = buildModel('chainzrule', { inputSize: 6, numClasses: 2, seed: 0, hidden: 8, engine: { sharing: 'per-unit', basis: 'legendre' } });
  await train(m, { x, labels, n, dim: 6, numClasses: 2 }, { epochs: 2, batchSize: 32, learningRate: 0.01, seed: 0 });
  return m;
}

describe('saveModel / loadModel', () => {
  it('a trained ChainzRule model saves as model.json + weights.bin and loads back with tf.loadLayersModel, identical predictions', async () => {
    const m = await trainedChainzRule();
    const dir = join(mkdtempSync(join(tmpdir(), 'cr-model-')), 'model');
    await saveModel(m, dir);
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe((6 * 8 + 8 + 8 * 5 + 8 * 2 + 2) * 4);
    const loaded = await loadLayersModel(directoryLoadHandler(dir));
    expect(loaded.layers[1]).toBeInstanceOf(PolynomialEngine);
    const x = tf.randomNormal([16, 6], 0, 1, 'float32', 3);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((m.predict(x) as tf.Tensor).dataSync()));
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['./weights.bin']);
  });

  it('missing or tampered files give a ModelFileError naming the file', async () => {
    const m = await trainedChainzRule();
    const base = mkdtempSync(join(tmpdir(), 'cr-model-'));
    await expect(loadModel(join(base, 'none'))).rejects.toThrow(/none: no such model directory/);
    const dir = join(base, 'm');
    await saveModel(m, dir);
    truncateSync(join(dir, 'weights.bin'), 100);
    await expect(loadModel(dir)).rejects.toThrow(ModelFileError);
    await expect(loadModel(dir)).rejects.toThrow(/weights.bin: 100 bytes but model.json describes 456/);
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadModel(dir)).rejects.toThrow(/model.json: not valid JSON/);
  });
});
