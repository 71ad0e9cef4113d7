/**
 * Checkpoints that survive a crash: each is a complete directory `checkpoint-<step>/` (model,
 * optimizer state, training state), and `checkpoint.json` names the latest one. The pointer is
 * replaced atomically (temp file + rename) only after the directory is complete, so a process
 * killed at any moment leaves the previous checkpoint intact and named.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel, ModelFileError } from './model-io.js';
import type { TrainState } from './train.js';

const POINTER = 'checkpoint.json';

/** What a checkpoint holds besides the model: the run's settings and its training state. */
export interface Checkpoint<Settings> {
  settings: Settings;
  state: TrainState;
  model: LayersModel;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes a checkpoint into `dir` and points `checkpoint.json` at it; older ones are removed. */
export async function saveCheckpoint<Settings>(dir: string, settings: Settings, state: TrainState, model: LayersModel): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const name = `checkpoint-${state.globalStep}`;
  const target = join(dir, name);
  const building = join(dir, `.${name}.${process.pid}.partial`);
  rmSync(building, { recursive: true, force: true });
  await saveModel(model, building);
  const { data, specs } = await tf.io.encodeWeights(state.optimizer.weights);
  const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
  writeFileSync(join(building, 'optimizer.bin'), bytes);
  const { optimizer, ...rest } = state;
  writeFileSync(
    join(building, 'state.json'),
    JSON.stringify({ settings, state: rest, optimizer: { specs, accBeta1: optimizer.accBeta1, accBeta2: optimizer.accBeta2 } }),
  );
  rmSync(target, { recursive: true, force: true });
  renameSync(building, target);
  writeAtomic(join(dir, POINTER), JSON.stringify({ latest: name, epoch: state.epoch, step: state.step, globalStep: state.globalStep }));
  for (const old of readdirSync(dir)) if (old.startsWith('checkpoint-') && old !== name) rmSync(join(dir, old), { recursive: true, force: true });
  return target;
}

/** Whether `dir` holds a checkpoint to resume from. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, POINTER));
}

/** Reads the latest checkpoint of `dir`. */
export async function loadCheckpoint<Settings>(dir: string): Promise<Checkpoint<Settings>> {
  const pointerPath = join(dir, POINTER);
  if (!existsSync(dir)) throw new ModelFileError(`${dir}: no such directory; pass the --save directory of the run to resume`);
  if (!existsSync(pointerPath)) throw new ModelFileError(`${dir}: no ${POINTER}; it is not a training directory with a checkpoint`);
  let latest: string;
  try {
    latest = (JSON.parse(readFileSync(pointerPath, 'utf8')) as { latest: string }).latest;
  } catch {
    throw new ModelFileError(`${pointerPath}: damaged (not JSON); the checkpoint cannot be found`);
  }
  const cdir = join(dir, latest);
  const statePath = join(cdir, 'state.json');
  if (!existsSync(statePath)) throw new ModelFileError(`${statePath}: missing; the checkpoint is incomplete`);
  const saved = JSON.parse(readFileSync(statePath, 'utf8')) as {
    settings: Settings;
    state: Omit<TrainState, 'optimizer'>;
    optimizer: { specs: tf.io.WeightsManifestEntry[]; accBeta1: number; accBeta2: number };
  };
  const bin = readFileSync(join(cdir, 'optimizer.bin'));
  const expected = saved.optimizer.specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bin.byteLength !== expected) throw new ModelFileError(`${join(cdir, 'optimizer.bin')}: ${bin.byteLength} bytes, expected ${expected}; the checkpoint is damaged`);
  const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), saved.optimizer.specs);
  const weights = saved.optimizer.specs.map((s) => ({ name: s.name, tensor: decoded[s.name]! }));
  const model = await loadModel(cdir);
  return {
    settings: saved.settings,
    state: { ...saved.state, optimizer: { weights, accBeta1: saved.optimizer.accBeta1, accBeta2: saved.optimizer.accBeta2 } },
    model,
  };
}
