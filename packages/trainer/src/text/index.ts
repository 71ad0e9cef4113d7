/** Text models for ordered labels: hashed n-gram embedding bag, ChainzRule or ReLU dense part, CORAL or softmax head. */
export { EmbeddingBag, LazyAdam } from './embedding-bag.js';
export type { BagBatch, SparseRows, EmbeddingBagOptions, LazyAdamOptions } from './embedding-bag.js';
export { CoralThresholds, coralLoss, softmaxLoss, headLoss, headPredict, headClasses, TEXT_HEADS } from './heads.js';
export type { TextHead } from './heads.js';
export { buildTextModel, countTextParams, TEXT_MODEL_KINDS } from './model.js';
export type { TextModel, TextModelKind, TextModelOptions } from './model.js';
export { trainTextModel, evaluateTextModel, shuffleBuffer, bagBatches } from './train-text.js';
export type { TextExample, TextSource, LabelledBagBatch, TextStepInfo, TextTrainOptions, TextTrainResult, TextEvaluation, TextEvaluateOptions } from './train-text.js';
export { runTextFairFight, summarizeTextFairFight, TEXT_FAIR_FIGHT_DEFAULTS } from './fair-fight-text.js';
export type { TextFairFightConfig, TextFairFightData, TextRunResult, TextFairFightSummary, TextFairFightHooks, OrdinalScores } from './fair-fight-text.js';
