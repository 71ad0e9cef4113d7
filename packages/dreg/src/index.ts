export type { LayerTrace, ForwardTrace, RegularizerContext } from './trace.js';
export type { RegularizerClass } from './regularizer.js';
export {
  DregRegularizer,
  RegularizerConfigError,
  registerRegularizer,
  getRegularizer,
  listRegularizers,
  parseRegularizerSpec,
  checkConfigKeys,
  numberOption,
} from './regularizer.js';
export { traceVjp } from './backward.js';
export { scheduledWeight } from './schedule.js';
export type { LambdaSchedule } from './schedule.js';
// DREG family
export { JacobianFrobenius, layerJacobianFrobenius, layerJacobianFrobeniusPerSample } from './jacobian-frobenius.js';
export type { JacobianFrobeniusConfig } from './jacobian-frobenius.js';
export { DerivativeHinge } from './derivative-hinge.js';
export type { DerivativeHingeConfig } from './derivative-hinge.js';
export { Curvature } from './curvature.js';
export { ChainBound } from './chain-bound.js';
// Baselines for a fair fight
export { L2 } from './l2.js';
export { InputGradient } from './input-gradient.js';
export { JacobianProjection } from './jacobian-projection.js';
export type { JacobianProjectionConfig } from './jacobian-projection.js';
export { SpectralNorm } from './spectral-norm.js';
export type { SpectralNormConfig } from './spectral-norm.js';
