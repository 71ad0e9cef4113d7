/**
 * Backend selection: `@tensorflow/tfjs-node` when it is installed and loads, else the WebAssembly
 * backend (shipped inside its npm package), else the pure-JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installWasmFastPaths } from './wasm-fast-paths.js';

export type BackendName = 'node' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/** The requested backend cannot be used; the message says why and what to do. */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** How a backend is made available; injectable so the fallback can be tested. */
export type BackendLoader = () => Promise<void>;

export const defaultLoaders: Record<BackendName, BackendLoader> = {
  // tfjs-node registers the 'tensorflow' backend on import. Kept an optional peer: it downloads
  // libtensorflow at install time, which not every machine allows.
  node: async () => {
    const name = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ name);
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
  },
};

/** tfjs's own name for each backend. */
const TFJS_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

export interface SelectedBackend {
  /** The backend that runs. */
  name: BackendName;
  /** Backends tried before it and why they were skipped (for `auto`). */
  skipped: { name: BackendName; reason: string }[];
}

export interface SelectBackendOptions {
  /** `node`, `wasm`, `cpu` or `auto` (default: `CHAINZRULE_BACKEND`, else `auto`). */
  requested?: string;
  /** Environment to read `CHAINZRULE_BACKEND` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  loaders?: Partial<Record<BackendName, BackendLoader>>;
}

async function activate(name: BackendName, loaders: Record<BackendName, BackendLoader>): Promise<void> {
  await loaders[name]();
  if (name === 'wasm') installWasmFastPaths();
  const ok = await tf.setBackend(TFJS_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TFJS_NAME[name]}') failed`);
  await tf.ready();
}

const oneLine = (e: unknown): string => {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'package not installed';
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
};

/**
 * Selects and initialises the backend. `auto` tries node, then wasm, then cpu; an explicit
 * request that cannot be met is an error (never a silent switch).
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<SelectedBackend> {
  const env = options.env ?? process.env;
  const fromEnv = env['CHAINZRULE_BACKEND'];
  const requested = (options.requested ?? (fromEnv && fromEnv.length > 0 ? fromEnv : 'auto')).toLowerCase();
  const loaders = { ...defaultLoaders, ...options.loaders };
  if (requested !== 'auto' && !BACKEND_NAMES.includes(requested as BackendName)) {
    const where = options.requested === undefined ? ' (from CHAINZRULE_BACKEND)' : '';
    throw new BackendError(`unknown backend '${requested}'${where}: use one of node, wasm, cpu, auto`);
  }
  if (requested !== 'auto') {
    const name = requested as BackendName;
    try {
      await activate(name, loaders);
    } catch (e) {
      const hint = name === 'node' ? 'install @tensorflow/tfjs-node or use --backend wasm' : 'use --backend cpu';
      throw new BackendError(`backend '${name}' is not available (${oneLine(e)}): ${hint}`);
    }
    return { name, skipped: [] };
  }
  const skipped: SelectedBackend['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await activate(name, loaders);
      return { name, skipped };
    } catch (e) {
      skipped.push({ name, reason: oneLine(e) });
    }
  }
  throw new BackendError(`no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
