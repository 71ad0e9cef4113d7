/**
 * A worker thread of the parallel Fair Fight (see `fair-fight-pool.ts`): its own TensorFlow.js
 * engine and backend, the shared (not copied) data, and one run at a time on request.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { fairFightRun, selectBackend } from '@chainzrule/trainer';
import type { PoolRequest, PoolMessage, WorkerInit } from './fair-fight-pool.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: PoolMessage) => port.postMessage(m);

try {
  await selectBackend({ requested: init.backend });
  const testX = tf.tensor2d(init.test.x, [init.test.n, init.test.dim]);
  let queue = Promise.resolve();
  port.on('message', (request: PoolRequest) => {
    const { kind, seed } = request;
    queue = queue.then(async () => {
      try {
        const run = await fairFightRun(kind, seed, init.train, testX, init.test.labels, init.config, {
          onRunStart: () => post({ type: 'start', kind, seed }),
          onStep: (_k, _s, info) => post({ type: 'step', kind, seed, info }),
        });
        post({ type: 'result', run });
      } catch (e) {
        post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
      }
    });
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
}
