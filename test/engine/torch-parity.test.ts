// Every case of ../shared/reference/torch-seed.json (torch.optim, float32), every epoch: w, b and
// loss within 1e-5 relative, or 1e-5 absolute for values below 1 in magnitude.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OptimizerName, TrainConfig } from '../../shared/config.ts';
import { train } from './helpers.ts';

interface TorchCase {
  model: string;
  optimizer: OptimizerName;
  options: Record<string, number>;
  batch: number;
  epochs: number;
  init: { w: number[]; b: number };
  records: { epoch: number; w: number[]; b: number; loss: number }[];
}
// A copy of ../shared/reference/torch-seed.json (the material provided beside the project), so the
// suite runs from any clone; the last test checks that the copy has not drifted from the original.
const file = fileURLToPath(new URL('../fixtures/reference/torch-seed.json', import.meta.url));
const original = fileURLToPath(new URL('../../../shared/reference/torch-seed.json', import.meta.url));
const ref = JSON.parse(readFileSync(file, 'utf8')) as { data: { x: number[][]; y: number[] }; cases: TorchCase[] };

const packed = ref.data.x.flatMap((row, i) => [...row, ref.data.y[i]]);

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected));
}

describe('parity with torch.optim on the seed data', () => {
  it('covers all 16 reference cases', () => {
    expect(ref.cases).toHaveLength(16);
  });

  for (const c of ref.cases) for (const kernels of ['fast', 'reference'] as const) {
    it(`${c.model} ${c.optimizer} ${JSON.stringify(c.options)} (${kernels} kernels)`, () => {
      const cfg: Partial<TrainConfig> = {
        optimizer: c.optimizer,
        batch: c.batch,
        epochs: c.epochs,
        bias: c.model.includes('+b'),
        initW: c.init.w,
        initB: c.init.b,
      };
      if (c.options.lr !== undefined) cfg.lr = c.options.lr;
      if (c.options.momentum !== undefined) cfg.momentum = c.options.momentum;
      const { epochs } = train(packed, ref.data.x[0].length, cfg, kernels);
      expect(epochs).toHaveLength(c.records.length);
      for (const want of c.records) {
        const got = epochs[want.epoch];
        const where = `epoch ${want.epoch}: got w=${got.w} b=${got.b} loss=${got.loss}, torch w=${want.w} b=${want.b} loss=${want.loss}`;
        expect(got.epoch).toBe(want.epoch);
        want.w.forEach((w, j) => expect(close(got.w[j], w), where).toBe(true));
        expect(close(got.b, want.b), where).toBe(true);
        expect(close(got.loss, want.loss), where).toBe(true);
      }
    });
  }

  it.skipIf(!existsSync(original))('uses an unchanged copy of ../shared/reference/torch-seed.json', () => {
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(original, 'utf8'));
  });
});
