// Type-checked (never run) in a fresh project against the packed @chainzrule/datasets.
import { DatasetFormatError, loadMnist, parseIdx, type ImageDataset } from '@chainzrule/datasets';

const test: ImageDataset = await loadMnist({ split: 'test', limit: 10 });
const pixels: Float32Array = test.images;
const labels: Uint8Array = test.labels;
const idx = parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 7]), 'in-memory');
const shape: number[] = idx.shape;
const error: Error = new DatasetFormatError('x.idx', 'bad magic number');
// @ts-expect-error the split is 'train' or 'test'
await loadMnist({ split: 'validation' });

export { pixels, labels, shape, error };
