import { describe, expect, it } from 'vitest';
import { autoFigure, costFigure, figureKind, pathFigure } from '../../host/plot/figures.ts';
import { runsFromRecords, type TrainRun, type WalkRun } from '../../host/plot/runs.ts';
import { decimateIndices } from '../../host/plot/svg.ts';
import { toRecords, trainLines, walkLines } from './records.ts';
import { domain, elements, legendLabels, tickLabels } from './svg-inspect.ts';

function train(cfg: Parameters<typeof trainLines>[0], name = 'run'): TrainRun {
  return runsFromRecords(toRecords(trainLines(cfg)), name)[0] as TrainRun;
}
function walk(cfg: Parameters<typeof walkLines>[0]): WalkRun {
  return runsFromRecords(toRecords(walkLines(cfg)))[0] as WalkRun;
}

describe('cost per epoch', () => {
  it('draws train solid and validation dashed over epoch 0..N, with a grid and labelled axes', () => {
    const run = train({ optimizer: 'sgd', lr: 0.01, epochs: 100, valSplit: 0.25 });
    const svg = costFigure([run]);
    const series = elements(svg, 'series');
    expect(series.map((s) => s.class)).toEqual(['series train', 'series val']);
    expect(series.map((s) => Number(s['data-points']))).toEqual([101, 101]);
    expect(series[0]['stroke-dasharray']).toBeUndefined();
    expect(series[1]['stroke-dasharray']).toBeDefined();
    expect(legendLabels(svg)).toEqual(['train', 'validation']);
    expect(domain(svg, 'x')).toEqual([0, 100]);
    const [ylo, yhi] = domain(svg, 'y');
    expect(ylo).toBe(0);
    expect(yhi).toBeGreaterThanOrEqual(Math.max(...run.loss, ...run.val));
    expect(tickLabels(svg, 'x')).toContain('0');
    expect(tickLabels(svg, 'x')).toContain('100');
    expect(elements(svg, 'grid').length).toBeGreaterThan(6);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>cost (MSE)</text>');
    expect(svg).toContain('Cost per epoch — sgd, lr 0.01');
  });

  it('uses whole decades as labels on a log scale', () => {
    const run = train({ optimizer: 'sgd', lr: 0.05, epochs: 300 });
    const svg = costFigure([run], { log: true, title: 'Log' });
    expect(elements(svg, 'axis').find((a) => a.class === 'axis y')!['data-scale']).toBe('log');
    const labels = tickLabels(svg, 'y');
    expect(labels.length).toBeGreaterThanOrEqual(2);
    for (const l of labels) expect(Math.log10(Number(l)) % 1).toBeCloseTo(0, 9);
    const [lo, hi] = domain(svg, 'y');
    expect(lo).toBeLessThanOrEqual(Math.min(...run.loss));
    expect(hi).toBeGreaterThanOrEqual(Math.max(...run.loss));
    expect(legendLabels(svg)).toEqual([]); // one series: no legend needed
  });

  it('overlays several runs: one colour per optimizer, train solid, validation dashed, all in the legend', () => {
    const opts = ['sgd', 'momentum', 'adam'] as const;
    const runs = opts.map((o) => train({ optimizer: o, lr: 0.02, epochs: 60, valSplit: 0.2 }, `${o}.ndjson`));
    const { kind, svg } = autoFigure(runs);
    expect(kind).toBe('overlay');
    const series = elements(svg, 'series');
    expect(series).toHaveLength(6);
    expect(series.filter((s) => s['stroke-dasharray'])).toHaveLength(3);
    expect(legendLabels(svg)).toEqual(['sgd', 'momentum', 'adam', 'train', 'validation']);
    expect(series.map((s) => s['data-label'])).toEqual(['sgd', 'sgd (val)', 'momentum', 'momentum (val)', 'adam', 'adam (val)']);
    const colours = new Set(series.map((s) => s.stroke));
    expect(colours.size).toBe(3);
    expect(domain(svg, 'x')).toEqual([0, 60]);
  });

  it('tells runs of the same optimizer apart by learning rate, then by file name, then by number', () => {
    const slow = train({ lr: 0.01, epochs: 5 }, 'slow');
    const fast = train({ lr: 0.05, epochs: 5 }, 'fast');
    const again = train({ lr: 0.05, epochs: 5 }, 'again');
    expect(legendLabels(costFigure([slow, fast]))).toEqual(['sgd, lr 0.01', 'sgd, lr 0.05']);
    expect(legendLabels(costFigure([slow, fast, again]))).toEqual(['sgd · slow', 'sgd · fast', 'sgd · again']);
    expect(legendLabels(costFigure([fast, fast]))).toEqual(['sgd · fast #1', 'sgd · fast #2']);
  });

  it('keeps a long run to a bounded path that still reaches its extremes', () => {
    const n = 200_000;
    const run: TrainRun = { kind: 'train', name: 'long', start: null, epoch: [], loss: [], val: [], done: null };
    for (let i = 0; i < n; i++) {
      run.epoch.push(i);
      run.loss.push(i === 123_457 ? 50 : 1 + Math.sin(i / 1000));
      run.val.push(NaN);
    }
    const svg = costFigure([run]);
    const [s] = elements(svg, 'series');
    expect(Number(s['data-points'])).toBeLessThan(5000);
    expect(domain(svg, 'y')[1]).toBeGreaterThanOrEqual(50);
    const idx = decimateIndices(run.epoch, run.loss, 100);
    expect(idx).toContain(123_457);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
  });
});

describe('descent paths', () => {
  it('draws 2-D walks over the contours of their function', () => {
    const walks = [walk({ fn: 'bowl', optimizer: 'sgd' }), walk({ fn: 'bowl', optimizer: 'momentum', lr: 0.05 })];
    const { kind, svg } = autoFigure(walks);
    expect(kind).toBe('path');
    expect(elements(svg, 'contour').length).toBeGreaterThanOrEqual(8);
    const groups = elements(svg, 'walk');
    expect(groups.map((g) => g['data-label'])).toEqual(['sgd', 'momentum']);
    expect(groups.map((g) => Number(g['data-steps']))).toEqual([51, 51]);
    expect(elements(svg, 'start')).toHaveLength(2);
    expect(elements(svg, 'end')).toHaveLength(2);
    expect(elements(svg, 'minimum')).toHaveLength(1);
    expect(legendLabels(svg)).toEqual(['sgd', 'momentum']);
    expect(domain(svg, 'x')).toEqual([-3, 3]);
    expect(domain(svg, 'y')).toEqual([-3, 3]);
  });

  it('grows the view to take in a walk that leaves the function range', () => {
    const w = walk({ fn: 'bowl', optimizer: 'sgd', start: [4, -3.5], steps: 5 });
    const svg = pathFigure([w], { title: 'T' });
    expect(domain(svg, 'x')[1]).toBeGreaterThanOrEqual(4);
    expect(domain(svg, 'y')[0]).toBeLessThanOrEqual(-3.5);
    expect(elements(svg, 'step')).toHaveLength(6);
  });

  it('draws a 1-D walk as points on the function curve', () => {
    const w = walk({ fn: 'quadratic', optimizer: 'sgd' });
    const { kind, svg } = autoFigure([w]);
    expect(kind).toBe('curve');
    expect(Number(elements(svg, 'function')[0]['data-points'])).toBe(401);
    expect(elements(svg, 'step')).toHaveLength(31);
    expect(legendLabels(svg)).toEqual(['f(x) = x² + 4x + 1', 'sgd']);
    expect(domain(svg, 'x')).toEqual([-6, 3]);
    const [lo, hi] = domain(svg, 'y');
    expect(lo).toBeLessThan(-3); // the minimum f(−2) = −3 is in view
    expect(hi).toBeGreaterThan(13); // and the start f(2) = 13
    expect(svg).toContain('>quadratic: descent on the curve</text>');
    expect(svg).toContain('>f(x) = x² + 4x + 1 · sgd, lr 0.7</text>');
  });

  it('chooses the figure from the records and refuses a mix', () => {
    const t = train({ epochs: 3 });
    const w1 = walk({ fn: 'quadratic' });
    const w2 = walk({ fn: 'bowl' });
    expect(figureKind([t])).toBe('cost');
    expect(figureKind([t, t])).toBe('overlay');
    expect(figureKind([w2])).toBe('path');
    expect(figureKind([w1])).toBe('curve');
    expect(() => figureKind([t, w1])).toThrow(/mix training runs and walks/);
    expect(() => autoFigure([w1, w2])).toThrow(/mix 1-D and 2-D walks/);
    expect(() => autoFigure([w2, walk({ fn: 'saddle' })])).toThrow(/different functions \(bowl, saddle\)/);
    expect(() => figureKind([])).toThrow(/no epoch or step records/);
  });
});

describe('runs from records', () => {
  it('splits a file at each start or walk record and keeps each run its own columns', () => {
    const lines = [...trainLines({ epochs: 4 }), ...trainLines({ optimizer: 'adam', epochs: 2, valSplit: 0.5 }), ...walkLines({ fn: 'bowl', steps: 3 })];
    const runs = runsFromRecords(toRecords(lines), 'f');
    expect(runs.map((r) => r.kind)).toEqual(['train', 'train', 'walk']);
    const [a, b, c] = runs as [TrainRun, TrainRun, WalkRun];
    expect(a.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(a.val.every((v) => Number.isNaN(v))).toBe(true);
    expect(b.val.every((v) => Number.isFinite(v))).toBe(true);
    expect(a.done?.reason).toBe('epochs');
    expect(c.x.map((col) => col.length)).toEqual([4, 4]);
  });
});
