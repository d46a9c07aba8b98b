// One table of option sets per optimizer: defaults, and each option that changes the update rule
// (weight decay, momentum and dampening, nesterov, lr decay, the accumulator's start, rho, alpha,
// centered, the betas, eps, amsgrad), alone and together. Every kernel runs through all of them
// (kernels.test.ts), and so does the torch fixture where it has them (torch-parity.test.ts).
import type { OptimizerName, TrainConfig } from '../../shared/config.ts';

export const OPTION_SETS: Record<OptimizerName, Partial<TrainConfig>[]> = {
  sgd: [{}, { weightDecay: 0.01 }, { momentum: 0.9 }, { momentum: 0.5, dampening: 0.3 }, { momentum: 0.9, nesterov: true, weightDecay: 0.001 }],
  momentum: [{}, { dampening: 0.5 }, { weightDecay: 0.01 }],
  nesterov: [{}, { weightDecay: 0.01, momentum: 0.5 }],
  adagrad: [{}, { lrDecay: 0.1 }, { initialAccumulator: 0.5 }, { weightDecay: 0.01, eps: 1e-6 }],
  adadelta: [{}, { rho: 0.5 }, { weightDecay: 0.01 }, { lr: 0.5, eps: 1e-4 }],
  rmsprop: [{}, { centered: true }, { momentum: 0.9 }, { centered: true, momentum: 0.5, weightDecay: 0.01 }, { alpha: 0.9 }],
  adam: [{}, { amsgrad: true }, { weightDecay: 0.01 }, { beta1: 0.5, beta2: 0.9, eps: 1e-6 }, { amsgrad: true, weightDecay: 0.1 }],
  adamw: [{}, { amsgrad: true }, { weightDecay: 0.1 }, { weightDecay: 0 }],
};

/** Every (optimizer, option set) pair, with a name for test titles. */
export function optionCases(): { name: string; optimizer: OptimizerName; options: Partial<TrainConfig> }[] {
  const out: { name: string; optimizer: OptimizerName; options: Partial<TrainConfig> }[] = [];
  for (const optimizer of Object.keys(OPTION_SETS) as OptimizerName[]) {
    for (const options of OPTION_SETS[optimizer]) out.push({ name: optimizer + ' ' + JSON.stringify(options), optimizer, options });
  }
  return out;
}
