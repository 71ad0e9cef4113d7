import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError, selectBackend } from '../src/index.js';

const fails = (message: string) => async () => {
  throw new Error(message);
};

describe('selectBackend', () => {
  it('auto falls back from node and wasm to cpu when they cannot load, and says why', async () => {
    const b = await selectBackend({ requested: 'auto', loaders: { node: fails('no libtensorflow'), wasm: fails('wasm binary missing') } });
    expect(b.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(b.skipped).toEqual([
      { name: 'node', reason: 'no libtensorflow' },
      { name: 'wasm', reason: 'wasm binary missing' },
    ]);
  });

  it('auto picks wasm when tfjs-node is not installed', async () => {
    const b = await selectBackend({ env: {}, loaders: { node: fails('not installed') } });
    expect(b.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('reads CHAINZRULE_BACKEND; an explicit option wins over it', async () => {
    expect((await selectBackend({ env: { CHAINZRULE_BACKEND: 'cpu' } })).name).toBe('cpu');
    expect((await selectBackend({ requested: 'wasm', env: { CHAINZRULE_BACKEND: 'cpu' } })).name).toBe('wasm');
  });

  it('an explicit backend that cannot start is an error, not a silent switch', async () => {
    await expect(selectBackend({ requested: 'node', loaders: { node: fails('Cannot find package') } })).rejects.toThrow(
      /backend 'node' is not available \(Cannot find package\): install @tensorflow\/tfjs-node or use --backend wasm/,
    );
  });

  it('rejects unknown names, naming where they came from', async () => {
    await expect(selectBackend({ requested: 'gpu' })).rejects.toThrow(BackendError);
    await expect(selectBackend({ env: { CHAINZRULE_BACKEND: 'tpu' } })).rejects.toThrow(/unknown backend 'tpu' \(from CHAINZRULE_BACKEND\)/);
  });
});
