import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { plotFiles } from '../../host/plot/plot-files.ts';
import { autoFigure, costFigure, figureFromRecords, figureKind, parallelFigure } from '../../host/plot/figures.ts';
import { RunCollector, isParallel, meanStaleness, runCounts, runLabels, runsFromRecords, type TrainRun } from '../../host/plot/runs.ts';
import { resolveConfig } from '../../shared/config.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { parseRecord, type ProtocolRecord, type StartRecord } from '../../shared/protocol.ts';
import { toRecords, trainLines } from './records.ts';
import { domain, elements, legendLabels } from './svg-inspect.ts';
import { FONTS, expectTextFits, panelOf, size } from './text-fit.ts';
import { tempDir } from '../helpers/temp.ts';

// ------------------------------------------------------------------ a parallel run's records

interface ToyRun {
  algorithm?: string;
  workers?: number;
  epochs?: number;
  lr?: number;
  /** Updates in flight: each worker's update is computed from what it read this many updates ago (capped by p − 1). */
  delay?: number;
  /** Leave out the update records (as the threads runner does). */
  noUpdates?: boolean;
  source?: 'cluster' | 'threads';
}

/**
 * A small asynchronous SGD on y = 2x + 1 (40 samples, strided shards), written out through the
 * runners' own sink: the workers take turns; each pushes a gradient computed at the parameters it
 * read `delay` updates ago, so the staleness of the updates is known.
 */
function parallelLines(o: ToyRun = {}): string[] {
  const p = o.workers ?? 4;
  const epochs = o.epochs ?? 20;
  const lr = o.lr ?? 0.02;
  const delay = Math.min(o.delay ?? p - 1, p - 1);
  const n = 40;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(i / 10);
    ys.push(2 * (i / 10) + 1 + Math.sin(i * 1.7) * 0.3);
  }
  const shard = (k: number) => xs.map((_, i) => i).filter((i) => i % p === k);
  const mse = (w: number, b: number, idx: number[]) => idx.reduce((s, i) => s + (w * xs[i] + b - ys[i]) ** 2, 0) / idx.length;
  const all = xs.map((_, i) => i);
  const lines: string[] = [];
  const sink = textParallelRecords((l) => lines.push(l));
  const config = resolveConfig({ lr, epochs, batch: 1 });
  const start: StartRecord = {
    type: 'start',
    protocol: 3,
    source: o.source ?? 'cluster',
    config,
    samples: n,
    features: 1,
    train: n,
    val: 0,
    parallel: { algorithm: o.algorithm ?? 'downpour', workers: p, computeUs: new Array(p).fill(170), latencyUs: 1000 },
  };
  sink.start(start);
  // history[v]: the parameters at version v.
  const history: [number, number][] = [[0, 0]];
  const read: number[] = new Array(p).fill(0);
  const seen: [number, number][] = new Array(p).fill([0, 0]);
  const pos: number[] = new Array(p).fill(0);
  const samples: number[] = new Array(p).fill(0);
  const pushes: number[] = new Array(p).fill(0);
  const params = (w: number, b: number) => new Float32Array([w, b]);
  const emitEpoch = (e: number) => {
    const [w, b] = history[history.length - 1];
    sink.epoch(e, params(w, b), 1, mse(w, b, all), NaN, lr, history.length - 1, e * 1000);
    for (let k = 0; k < p; k++) sink.worker(e, k, params(...seen[k]), 1, mse(...seen[k], shard(k)), samples[k], pushes[k]);
  };
  emitEpoch(0);
  let t = 0;
  for (let e = 1; e <= epochs; e++) {
    for (let u = 0; u < n; u++, t++) {
      const k = t % p;
      const v = history.length - 1;
      const r = Math.max(0, v - delay);
      const [w, b] = history[r];
      const sh = shard(k);
      const i = sh[pos[k]++ % sh.length];
      const err = w * xs[i] + b - ys[i];
      const [cw, cb] = history[v];
      history.push([cw - lr * 2 * err * xs[i], cb - lr * 2 * err]);
      read[k] = r;
      seen[k] = history[r];
      samples[k]++;
      pushes[k]++;
      if (!o.noUpdates) sink.update(k, 1000 * (e - 1) + Math.round((1000 * u) / n), r, v + 1, -1, NaN, NaN);
    }
    emitEpoch(e);
  }
  const [w, b] = history[history.length - 1];
  const u = history.length - 1;
  sink.done('epochs', epochs, params(w, b), 1, mse(w, b, all), '', { messages: 2 * u, pushes: u, fetches: u, updates: u, time_us: epochs * 1000 });
  return lines;
}

function parallelRun(o: ToyRun = {}, name = 'run'): TrainRun {
  return runsFromRecords(toRecords(parallelLines(o)), name)[0] as TrainRun;
}

// ------------------------------------------------------------------ reading figures back

/** Parses as SVG: resvg reads it (and refuses malformed XML). */
function expectRenders(svg: string): void {
  const [w, h] = size(svg);
  const img = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: FONTS, defaultFontFamily: 'DejaVu Sans' } }).render();
  expect([img.width, img.height]).toEqual([w, h]);
}

function bars(svg: string, label?: string): Record<string, string>[] {
  if (label === undefined) return elements(svg, 'bar');
  const from = svg.indexOf(`<g class="staleness" data-label="${label}"`);
  return elements(svg.slice(from, svg.indexOf('</g>', from)), 'bar');
}

// ------------------------------------------------------------------ runs

describe('parallel runs from records', () => {
  it('keeps each worker as columns and the staleness as counts per value, with the counts of done', () => {
    const run = parallelRun({ workers: 4, epochs: 5 });
    expect(isParallel(run)).toBe(true);
    expect(run.epoch).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run.version).toEqual([0, 40, 80, 120, 160, 200]);
    expect(run.time).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(run.workers).toHaveLength(4);
    for (const w of run.workers!) {
      expect(w.epoch).toEqual([0, 1, 2, 3, 4, 5]);
      expect(w.loss.every((l) => Number.isFinite(l))).toBe(true);
      expect(w.updates).toEqual([0, 10, 20, 30, 40, 50]);
    }
    // Updates 1, 2, 3 read version 0 (staleness 0, 1, 2), every later one read 3 versions back.
    const s = run.staleness!;
    expect(s.counts).toEqual([1, 1, 1, 197]);
    expect(s.counts.length).toBe(4);
    expect(s.n).toBe(200);
    expect(s.max).toBe(3);
    expect(meanStaleness(s)).toBeCloseTo((0 + 1 + 2 + 3 * 197) / 200, 12);
    expect(runCounts(run)).toEqual({ messages: 400, pushes: 200, fetches: 200, updates: 200, time_us: 5000 });
  });

  it('leaves a run without worker or update records as it was', () => {
    const [run] = runsFromRecords(toRecords(trainLines({ epochs: 3 })));
    expect(Object.keys(run).sort()).toEqual(['done', 'epoch', 'kind', 'loss', 'name', 'start', 'val']);
    expect(isParallel(run)).toBe(false);
    expect(runCounts(run)).toEqual({});
  });

  it('counts a million updates without keeping them', () => {
    const c = new RunCollector('big');
    const lines = parallelLines({ epochs: 1 });
    for (const l of lines.slice(0, -1)) c.add(parseRecord(l)!);
    for (let v = 1; v <= 1_000_000; v++) {
      const st = v % 7;
      c.add({ type: 'update', worker: v % 4, t: v, read: Math.max(0, v - 1 - st), version: v, staleness: Math.min(st, v - 1) });
    }
    const run = c.runs[0] as TrainRun;
    expect(run.staleness!.n).toBe(1_000_000 + 40);
    expect(run.staleness!.counts.length).toBe(7);
    expect(run.staleness!.counts.reduce((a, b) => a + b, 0)).toBe(run.staleness!.n);
  });

  it('labels parallel runs by their algorithm, then by their workers, then by learning rate', () => {
    const d = parallelRun({ algorithm: 'downpour' });
    const h = parallelRun({ algorithm: 'hogwild' });
    const [seq] = runsFromRecords(toRecords(trainLines({ optimizer: 'sgd', epochs: 3 })));
    expect(runLabels([d, h, seq])).toEqual(['downpour', 'hogwild', 'sgd']);
    const d2 = parallelRun({ algorithm: 'downpour', workers: 2 });
    expect(runLabels([d, d2])).toEqual(['downpour, 4 workers', 'downpour, 2 workers']);
    const slow = parallelRun({ algorithm: 'easgd', lr: 0.01 });
    const fast = parallelRun({ algorithm: 'easgd', lr: 0.02 });
    expect(runLabels([slow, fast])).toEqual(['easgd, lr 0.01', 'easgd, lr 0.02']);
  });
});

// ------------------------------------------------------------------ figures

describe('the parallel figure', () => {
  it('draws one run: global curve over the workers, and the staleness histogram beside it', () => {
    const run = parallelRun({ workers: 4, epochs: 20 });
    expect(figureKind([run])).toBe('parallel');
    const { kind, svg } = autoFigure([run]);
    expect(kind).toBe('parallel');
    expectRenders(svg);
    expect(elements(svg, 'panel').map((p) => p['data-panel'])).toEqual(['cost', 'staleness']);
    const series = elements(svg, 'series');
    const global = series.filter((s) => s.class === 'series train');
    const workers = series.filter((s) => s.class === 'series worker');
    expect(global).toHaveLength(1);
    expect(global[0]['data-label']).toBe('global');
    expect(Number(global[0]['data-points'])).toBe(21);
    expect(workers.map((w) => w['data-worker'])).toEqual(['0', '1', '2', '3']);
    // Bold over thin: the global curve is drawn last and wider.
    expect(Number(global[0]['stroke-width'])).toBeGreaterThan(Number(workers[0]['stroke-width']));
    expect(series.indexOf(global[0])).toBe(series.length - 1);
    expect(legendLabels(svg)).toEqual(['global', 'worker 1', 'worker 2', 'worker 3', 'worker 4']);
    // One bar per staleness value, the counts of the updates.
    const b = bars(svg);
    expect(b.map((x) => Number(x['data-staleness']))).toEqual([0, 1, 2, 3]);
    expect(b.map((x) => Number(x['data-count']))).toEqual([1, 1, 1, 797]);
    const heights = b.map((x) => Number(x.height));
    expect(heights[3]).toBeGreaterThan(50 * heights[0]);
    expect(svg).toContain('>Parallel SGD — downpour, 4 workers</text>');
    expect(svg).toContain('simulated cluster');
    expect(svg).toContain('>Staleness of the updates · mean 3, max 3</text>');
    // The cost axis comes first; the staleness axis counts updates from 0.
    expect(domain(svg, 'x')).toEqual([0, 20]);
    const yAxes = elements(svg, 'axis').filter((a) => a.class === 'axis y');
    expect(yAxes).toHaveLength(2);
    expect(Number(yAxes[1]['data-domain'].split(',')[0])).toBe(0);
    expect(Number(yAxes[1]['data-domain'].split(',')[1])).toBeGreaterThanOrEqual(797);
    expectTextFits(svg);
  });

  it('puts many workers under one legend entry', () => {
    const run = parallelRun({ workers: 12, epochs: 5 });
    const svg = parallelFigure([run]);
    expect(elements(svg, 'worker')).toHaveLength(12);
    expect(legendLabels(svg)).toEqual(['global', 'workers (12)']);
    expect(new Set(elements(svg, 'worker').map((w) => w.stroke)).size).toBe(1);
    expectTextFits(svg);
  });

  it('overlays several algorithms: one global curve each, labelled by algorithm, and grouped staleness bars', () => {
    const runs = [
      parallelRun({ algorithm: 'sync', delay: 0 }, 'sync'),
      parallelRun({ algorithm: 'downpour', delay: 2 }, 'downpour'),
      parallelRun({ algorithm: 'hogwild', delay: 3 }, 'hogwild'),
    ];
    const { kind, svg } = autoFigure(runs);
    expect(kind).toBe('parallel');
    expectRenders(svg);
    const series = elements(svg, 'series');
    expect(series.map((s) => s['data-label'])).toEqual(['sync', 'downpour', 'hogwild']);
    expect(elements(svg, 'worker')).toHaveLength(0);
    expect(legendLabels(svg)).toEqual(['sync', 'downpour', 'hogwild']);
    const groups = elements(svg, 'staleness');
    expect(groups.map((g) => g['data-label'])).toEqual(['sync', 'downpour', 'hogwild']);
    // Each run's bars in its curve's colour.
    for (const s of series) for (const b of bars(svg, s['data-label'])) expect(b.fill).toBe(s.stroke);
    expect(bars(svg, 'sync').map((b) => b['data-staleness'])).toEqual(['0']);
    expect(bars(svg, 'downpour').map((b) => b['data-staleness'])).toEqual(['0', '1', '2']);
    expect(bars(svg, 'hogwild').map((b) => b['data-staleness'])).toEqual(['0', '1', '2', '3']);
    // Grouped: at staleness 0 the three bars stand side by side, not on top of each other.
    const at0 = bars(svg).filter((b) => b['data-staleness'] === '0').map((b) => [Number(b.x), Number(b.x) + Number(b.width)]);
    expect(at0).toHaveLength(3);
    expect(at0[0][1]).toBeLessThanOrEqual(at0[1][0] + 0.01);
    expect(at0[1][1]).toBeLessThanOrEqual(at0[2][0] + 0.01);
    expect(svg).toContain('>Parallel SGD — 4 workers, 3 runs</text>');
    expectTextFits(svg);
  });

  it('sets a sequential run beside parallel ones (no bars for it)', () => {
    const [seq] = runsFromRecords(toRecords(trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 20 })), 'sgd');
    const par = parallelRun({ algorithm: 'downpour' });
    const { kind, svg } = autoFigure([seq as TrainRun, par]);
    expect(kind).toBe('parallel');
    expect(legendLabels(svg)).toEqual(['sgd', 'downpour']);
    expect(elements(svg, 'staleness').map((g) => g['data-label'])).toEqual(['downpour']);
  });

  it('puts the cost on a log scale with --log, and leaves the histogram linear', () => {
    const svg = parallelFigure([parallelRun()], { log: true });
    const y = elements(svg, 'axis').filter((a) => a.class === 'axis y');
    expect(y.map((a) => a['data-scale'])).toEqual(['log', 'linear']);
    expect(svg).toContain('>Cost per epoch (log scale)</text>');
    expectTextFits(svg);
  });

  it('stacks the panels in a narrow figure, and keeps long titles inside it', () => {
    const svg = parallelFigure([parallelRun()], { width: 600, height: 700, title: 'A very long title for a figure this narrow, which has to be cut to fit inside the canvas' });
    const [cost, stale] = elements(svg, 'panel').map((p) => p['data-box'].split(',').map(Number));
    expect(cost[0]).toBe(stale[0]);
    expect(stale[1]).toBeGreaterThanOrEqual(cost[1] + cost[3]);
    expect(svg).toContain('…</text>');
    expectTextFits(svg);
  });

  it("counts a diverging run's cost in millions, so that the tick labels stay in the margin", () => {
    const run = parallelRun({ workers: 12, epochs: 10 });
    expect(Math.max(...run.loss)).toBeGreaterThan(1e8);
    const svg = parallelFigure([run], { width: 640, height: 720 });
    expect(svg).toMatch(/>cost \(MSE, (millions|billions)\)<\/text>/);
    expectTextFits(svg);
  });

  it('notices text that leaves the canvas or its panel (the check itself)', () => {
    const svg = parallelFigure([parallelRun()]);
    expect(() => expectTextFits(svg.replace(/(<text class="title" x=")[\d.]+/, '$11150'))).toThrow();
    expect(() => expectTextFits(svg.replace(/(<text class="label x" x=")[\d.]+/, '$1700'))).toThrow();
  });

  it('shows thousands of updates as thousands, with whole-number staleness ticks', () => {
    const run = parallelRun({ workers: 8, epochs: 4000 });
    const svg = parallelFigure([run]);
    expect(svg).toContain('>updates (thousands)</text>');
    const st = panelOf(svg, 'staleness').svg;
    const ticks = [...st.matchAll(/<text class="tick x"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ticks.length).toBeGreaterThan(2);
    for (const t of ticks) expect(Number.isInteger(Number(t))).toBe(true);
    expectTextFits(svg);
  });

  it('leaves the staleness panel out when the run has no update records', () => {
    const svg = parallelFigure([parallelRun({ noUpdates: true, source: 'threads' })]);
    expect(elements(svg, 'panel').map((p) => p['data-panel'])).toEqual(['cost']);
    expect(elements(svg, 'bar')).toHaveLength(0);
    expectTextFits(svg);
  });

  it('draws the workers in the cost figure too, titled by algorithm', () => {
    const svg = costFigure([parallelRun()]);
    expect(elements(svg, 'worker')).toHaveLength(4);
    expect(svg).toContain('>Cost per epoch — downpour, 4 workers</text>');
  });

  it('draws a figure from lists of records (for host distributed and host compare)', () => {
    const { kind, svg } = figureFromRecords([toRecords(parallelLines({ algorithm: 'sync', delay: 0 })), toRecords(parallelLines({ algorithm: 'easgd' }))], ['a', 'b']);
    expect(kind).toBe('parallel');
    expect(legendLabels(svg)).toEqual(['sync', 'easgd']);
    const records: ProtocolRecord[][] = [toRecords(trainLines({ epochs: 3 }))];
    expect(figureFromRecords(records).kind).toBe('cost');
  });
});

// ------------------------------------------------------------------ host plot

const exec = promisify(execFile);
const dir = tempDir('plot-parallel-');

describe('host plot on parallel run files', () => {
  it('draws the parallel figure from one run file, and a comparison from several', async () => {
    const one = join(dir, 'downpour.ndjson');
    writeFileSync(one, parallelLines({ algorithm: 'downpour' }).join('\n') + '\n');
    const out = join(dir, 'downpour.svg');
    expect(await plotFiles([one], { out, log: true })).toBe('parallel');
    const svg = readFileSync(out, 'utf8');
    expect(elements(svg, 'panel')).toHaveLength(2);
    expect(elements(svg, 'axis').find((a) => a.class === 'axis y')!['data-scale']).toBe('log');

    const two = join(dir, 'hogwild.ndjson');
    writeFileSync(two, parallelLines({ algorithm: 'hogwild' }).join('\n') + '\n');
    const both = join(dir, 'both.svg');
    const { stderr } = await exec(process.execPath, ['host/bin.js', 'plot', one, two, '--out', both]);
    expect(stderr).toContain('(parallel figure)');
    expect(legendLabels(readFileSync(both, 'utf8'))).toEqual(['downpour', 'hogwild']);
  });
});
