export type { LogitModel } from './model.js';
export { accuracy, predictClasses } from './accuracy.js';
export { inputGradientNorms, summarizeVolatility, gradientVolatility, quantile } from './volatility.js';
export type { VolatilitySummary } from './volatility.js';
