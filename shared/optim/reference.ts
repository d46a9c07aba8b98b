// Optimizer names → their readable update (the reference the generated kernels are checked
// against). Only the reference kernels and tests import this; the board's bundle does not.
import type { OptimizerName } from '../config.ts';
import { adadeltaReference } from './adadelta.ts';
import { adagradReference } from './adagrad.ts';
import { adamReference } from './adam.ts';
import { adamwReference } from './adamw.ts';
import { rmspropReference } from './rmsprop.ts';
import { sgdReference } from './sgd.ts';
import type { Reference } from './types.ts';

const TABLE: Record<OptimizerName, Reference<object>> = {
  sgd: sgdReference,
  momentum: sgdReference,
  nesterov: sgdReference,
  adagrad: adagradReference,
  adadelta: adadeltaReference,
  rmsprop: rmspropReference,
  adam: adamReference,
  adamw: adamwReference,
};

export function referenceUpdate(name: OptimizerName): Reference<object> {
  return TABLE[name];
}
