// The reference kernels: the engine's formulas as plain loops that call one another, the yardstick
// every fast kernel is checked against bit for bit (test/engine/kernels.test.ts).
import type { OptimizerName } from '../config.ts';
import { addSums, batchGradient, sampleGradient, squaredErrorSum } from '../linear.ts';
import { referenceUpdate } from '../optim/reference.ts';
import { applyTransforms } from '../transforms.ts';
import type { Apply, Kernels, RuleState, TrainingState } from './types.ts';

/** The gradient in s.grad → transforms → the optimizer's update. */
export function referenceApply(s: RuleState, optimizer: OptimizerName): Apply {
  const rule = referenceUpdate(optimizer);
  return (lr) => {
    applyTransforms(s.transforms, s.grad, s.theta, s.np);
    rule.update(s.theta, s.grad, s.np, s.opt, s.cfg, lr);
  };
}

export function referenceKernels(s: TrainingState): Kernels {
  const update = referenceApply(s, s.cfg.optimizer);
  function step(n: number, lr: number): void {
    batchGradient(s.acc, s.f, n, s.grad);
    s.acc.fill(0);
    s.inBatch = 0;
    update(lr);
  }
  return {
    train(idx, from, to, poolEnd, lr) {
      for (let k = from; k < to; k++) {
        if (s.batchSize === 1) {
          sampleGradient(s, idx === null ? k : idx[k], s.grad);
          update(lr);
          continue;
        }
        addSums(s, idx, k, k + 1, s.acc, 0);
        s.inBatch++;
        if (s.inBatch === s.batchSize || k + 1 === poolEnd) step(s.inBatch, lr);
      }
    },
    loss: (idx, from, to, sum) => squaredErrorSum(s.x, s.y, s.f, s.bias, s.params, idx, from, to, sum),
    lossAndSums: (idx, from, to, sum) => addSums(s, idx, from, to, s.acc, sum),
    step,
  };
}
