export type { LayerTrace, ForwardTrace } from './trace.js';
export { DregRegularizer, RegularizerConfigError, registerRegularizer, getRegularizer, listRegularizers } from './regularizer.js';
export { JacobianFrobenius, layerJacobianFrobenius } from './jacobian-frobenius.js';
export type { JacobianFrobeniusConfig } from './jacobian-frobenius.js';
