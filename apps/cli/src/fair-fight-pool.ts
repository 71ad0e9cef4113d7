/**
 * The Fair Fight on several CPU cores. The wasm backend runs one thread, so on a machine with k
 * cores up to k runs (model x seed) train at once, each in a worker thread with its own
 * TensorFlow.js. The data lives once, in shared memory. Every run depends only on its model,
 * seed, data and backend, so the results are the same as one after the other.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_HIDDEN, type BackendName, type EvaluationSet, type FairFightConfig, type FairFightHooks, type ModelKind, type RunResult, type StepInfo, type TrainingSet } from '@chainzrule/trainer';

/** What a worker starts with. */
export interface WorkerInit {
  backend: BackendName;
  train: TrainingSet;
  test: EvaluationSet;
  config: FairFightConfig;
}

/** Main thread to worker. */
export type PoolRequest = { type: 'run'; kind: ModelKind; seed: number };

/** Worker to main thread. */
export type PoolMessage =
  | { type: 'ready' }
  | { type: 'start'; kind: ModelKind; seed: number }
  | { type: 'step'; kind: ModelKind; seed: number; info: StepInfo }
  | { type: 'result'; run: RunResult }
  | { type: 'error'; message: string; stack?: string };

/**
 * Default number of parallel runs: one per core, at most the number of runs. With the node
 * backend (TensorFlow C++, multi-threaded by itself) one.
 */
export function defaultJobs(backend: BackendName, runs: number): number {
  if (backend === 'node') return 1;
  return Math.max(1, Math.min(availableParallelism(), runs));
}

/** A copy of `a` in shared memory, so workers read it without copying. */
function shared<T extends Float32Array | Uint8Array | Int32Array>(a: T): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

const sharedLabels = (labels: ArrayLike<number>) => (labels instanceof Uint8Array || labels instanceof Int32Array ? shared(labels) : shared(Int32Array.from(labels)));

/** An error raised in a worker, with the worker's stack for --verbose. */
class WorkerRunError extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    if (stack) this.stack = stack;
  }
}

/**
 * Runs every (seed, model) pair on `jobs` worker threads and returns the runs in the order of
 * the sequential Fair Fight (seed by seed, models in `config.models` order). The largest models
 * start first so the slowest run does not start last.
 */
export async function runFairFightPool(
  trainSet: TrainingSet,
  testSet: EvaluationSet,
  config: FairFightConfig,
  options: { jobs: number; backend: BackendName },
  hooks: FairFightHooks = {},
): Promise<RunResult[]> {
  const tasks = Array.from({ length: config.seeds }, (_, seed) => config.models.map((kind) => ({ kind, seed }))).flat();
  const index = new Map(tasks.map((t, i) => [`${t.kind}/${t.seed}`, i]));
  const queue = [...tasks].sort((a, b) => DEFAULT_HIDDEN[b.kind] - DEFAULT_HIDDEN[a.kind] || a.seed - b.seed);
  const init: WorkerInit = {
    backend: options.backend,
    train: { ...trainSet, x: shared(trainSet.x), labels: sharedLabels(trainSet.labels) },
    test: { ...testSet, x: shared(testSet.x), labels: sharedLabels(testSet.labels) },
    config,
  };
  const results: RunResult[] = new Array(tasks.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const next = (w: Worker) => {
        const task = queue.shift();
        if (task) w.postMessage({ type: 'run', ...task } satisfies PoolRequest);
      };
      const count = Math.min(options.jobs, tasks.length);
      for (let i = 0; i < count; i++) {
        const w = new Worker(new URL('./fair-fight-worker.js', import.meta.url), { workerData: init });
        workers.push(w);
        w.on('message', (m: PoolMessage) => {
          if (failed) return;
          if (m.type === 'ready') next(w);
          else if (m.type === 'start') hooks.onRunStart?.(m.kind, m.seed);
          else if (m.type === 'step') hooks.onStep?.(m.kind, m.seed, m.info);
          else if (m.type === 'error') fail(new WorkerRunError(m.message, m.stack));
          else {
            results[index.get(`${m.run.model}/${m.run.seed}`)!] = m.run;
            hooks.onRunEnd?.(m.run);
            if (++done === tasks.length) resolve();
            else next(w);
          }
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (done < tasks.length && code !== 0) fail(new Error(`a training worker stopped with exit code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
