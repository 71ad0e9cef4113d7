export { evaluatePolynomial, evaluatePolynomialOps, basisMatrix, BASES, DOMAIN_MAPS, MAX_DEGREE } from './engine.js';
export type { Basis, DomainMap, EngineOutput } from './engine.js';
export { fitCoefficients, fitMaxError, ENGINE_INITS, INIT_TARGETS } from './fit.js';
export type { EngineInit } from './fit.js';
export { PolynomialEngine, polynomialEngine, resolveEngineConfig, PolynomialConfigError } from './layer.js';
export type { PolynomialEngineConfig, CoefficientSharing, Shape } from './layer.js';
