/**
 * Saving and loading models as a directory holding `model.json` + `weights.bin`, the standard
 * TensorFlow.js layers format, without `@tensorflow/tfjs-node` (whose `file://` handler is the
 * only one tfjs ships for Node). The same files load in a browser with `tf.loadLayersModel(url)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import '@chainzrule/polynomial'; // registers PolynomialEngine for deserialization
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A saved model directory is missing or damaged; the message names the file and the problem. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** An `IOHandler` that writes `model.json` and `weights.bin` into `dir`, each atomically. */
export function directorySaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts) => {
      mkdirSync(dir, { recursive: true });
      const weights = artifacts.weightData
        ? new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData))
        : new Uint8Array(0);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      const write = (name: string, data: string | Uint8Array) => {
        const tmp = join(dir, `.${name}.${process.pid}.tmp`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(dir, name));
      };
      // Weights first: a model.json never points at weights that are not there yet.
      write(WEIGHTS_BIN, weights);
      write(MODEL_JSON, JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

/** An `IOHandler` that reads a directory written by `directorySaveHandler` (or any tfjs layers model with one weights file). */
export function directoryLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      if (!existsSync(dir)) throw new ModelFileError(`${dir}: no such model directory; pass the directory given to --save`);
      if (!statSync(dir).isDirectory()) throw new ModelFileError(`${dir}: not a directory; pass the model directory (it holds ${MODEL_JSON} and ${WEIGHTS_BIN})`);
      const jsonPath = join(dir, MODEL_JSON);
      if (!existsSync(jsonPath)) throw new ModelFileError(`${jsonPath}: missing; is ${dir} a saved model directory?`);
      let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string; generatedBy?: string; convertedBy?: string };
      try {
        json = JSON.parse(readFileSync(jsonPath, 'utf8'));
      } catch (e) {
        throw new ModelFileError(`${jsonPath}: not valid JSON (${e instanceof Error ? e.message : String(e)}); the file is damaged, save the model again`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest))
        throw new ModelFileError(`${jsonPath}: not a tfjs layers model (no modelTopology or weightsManifest)`);
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers: Uint8Array[] = [];
      for (const path of json.weightsManifest.flatMap((g) => g.paths)) {
        const file = join(dir, path);
        if (!existsSync(file)) throw new ModelFileError(`${file}: missing weights file named in ${MODEL_JSON}`);
        buffers.push(readFileSync(file));
      }
      const total = buffers.reduce((s, b) => s + b.byteLength, 0);
      const bytes: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
      const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (bytes[w.dtype] ?? 4), 0);
      if (total !== expected)
        throw new ModelFileError(`${join(dir, WEIGHTS_BIN)}: ${total} bytes but ${MODEL_JSON} describes ${expected}; the weights do not belong to this model or are damaged`);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const b of buffers) {
        weightData.set(b, offset);
        offset += b.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: weightData.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
    },
  };
}

/** Saves `model` as `dir/model.json` + `dir/weights.bin`. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await model.save(directorySaveHandler(dir));
}

/** Loads a model saved by `saveModel` with `tf.loadLayersModel`. */
export async function loadModel(dir: string): Promise<LayersModel> {
  return loadLayersModel(directoryLoadHandler(dir));
}
