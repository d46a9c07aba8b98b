// The seed scripts' results, reproduced by the engine.
import { describe, expect, it } from 'vitest';
import { resolveWalk, Walker } from '../../shared/walks.ts';
import { findFunction } from '../../host/plot/functions.ts';
import { parseRecord, type StepRecord, type DoneRecord } from '../../shared/protocol.ts';
import { SEED, train } from './helpers.ts';
import { textRecords } from '../../shared/records.ts';

function walk(fn: string, optimizer: 'sgd' | 'momentum' | 'nesterov' | 'adam' = 'sgd', extra: Record<string, number> = {}) {
  const lines: string[] = [];
  new Walker(resolveWalk({ fn, optimizer, ...extra }), textRecords((l) => lines.push(l))).run();
  const recs = lines.map((l) => parseRecord(l));
  expect(recs.every((r) => r !== null)).toBe(true);
  return { steps: recs.filter((r): r is StepRecord => r!.type === 'step'), done: recs[recs.length - 1] as DoneRecord };
}

describe('seed scripts', () => {
  it('full-batch GD, lr 0.01, 100 epochs from w = 1: predict(4) ≈ 7.99978 (torch w = 1.99994433)', () => {
    const { done } = train(SEED, 1, { optimizer: 'sgd', lr: 0.01, epochs: 100, bias: false, initW: [1] });
    expect(done.reason).toBe('epochs');
    expect(done.epoch).toBe(100);
    expect(Math.abs(done.w[0] - 1.99994433)).toBeLessThan(2e-7);
    expect(4 * done.w[0]).toBeCloseTo(7.99978, 5);
  });

  it('per-sample SGD in data order brings w within 1e-6 of 2', () => {
    const { epochs, done } = train(SEED, 1, { optimizer: 'sgd', lr: 0.01, batch: 1, epochs: 100, bias: false, initW: [1] });
    expect(epochs[1].w[0]).not.toBe(epochs[0].w[0]);
    expect(Math.abs(done.w[0] - 2)).toBeLessThan(1e-6);
  });

  it('walks x² + 4x + 1 from x = 2 with lr 0.7 to its minimum at −2, recording every step', () => {
    const { steps, done } = walk('quadratic', 'sgd', { lr: 0.7 });
    expect(steps[0]).toEqual({ type: 'step', step: 0, x: [2], f: 13 });
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i));
    expect(Math.abs(done.w[0] + 2)).toBeLessThan(1e-5);
    expect(done.loss).toBeCloseTo(-3, 5);
  });

  it('walks x² + y² from (2, 2) with lr 0.1 to the origin', () => {
    const { steps, done } = walk('bowl', 'sgd', { lr: 0.1, steps: 100 });
    expect(steps[0].x).toEqual([2, 2]);
    expect(Math.hypot(done.w[0], done.w[1])).toBeLessThan(1e-8);
    // Every step goes downhill on a convex bowl with a small step.
    for (let i = 1; i < steps.length; i++) expect(steps[i].f).toBeLessThanOrEqual(steps[i - 1].f);
  });

  it.each(['rosenbrock', 'beale', 'ravine'])('momentum and Adam approach the minimum of %s', (fn) => {
    const min = findFunction(fn)!.minimum;
    for (const opt of ['momentum', 'adam'] as const) {
      const { steps, done } = walk(fn, opt, { steps: 3000 });
      expect(done.reason).toBe('epochs');
      const d0 = Math.hypot(steps[0].x[0] - min[0], steps[0].x[1] - min[1]);
      const d1 = Math.hypot(done.w[0] - min[0], done.w[1] - min[1]);
      expect(d1, `${opt} on ${fn}`).toBeLessThan(d0 / 4);
    }
  });

  it('escapes the saddle along y while x settles', () => {
    const { done } = walk('saddle', 'momentum');
    expect(Math.abs(done.w[0])).toBeLessThan(0.05);
    expect(Math.abs(done.w[1])).toBeGreaterThan(0.5);
  });

  it('stops a walk that diverges, reporting the last finite point', () => {
    const { done } = walk('bowl', 'sgd', { lr: 5, steps: 1000 });
    expect(done.reason).toBe('diverged');
    expect(done.message).toMatch(/too high/);
    expect(done.w.every((v) => Number.isFinite(v))).toBe(true);
  });
});
