// The simulated cluster: the sheet's exact reductions (bit for bit where it says bitwise),
// convergence of every algorithm on noiseless data, determinism, staleness, and refused input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { simulate, type ClusterSummary } from '../../shared/parallel/cluster.ts';
import { clusterAlgorithm } from '../../shared/parallel/index.ts';
import { resolveParallel, type ParallelConfig } from '../../shared/parallel/options.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { parseRecord, type DoneRecord, type ProtocolRecord, type UpdateRecord, type WorkerRecord } from '../../shared/protocol.ts';
import { parseCsvText } from '../../host/csv.ts';
import { SEED, train } from '../engine/helpers.ts';

const TWO = parseCsvText(readFileSync(new URL('../fixtures/data/two-features.csv', import.meta.url), 'utf8'), 'two-features.csv');
const TWO_PACKED = Array.from(TWO.packed);
const INSTANT: Partial<ParallelConfig> = { latencyUs: 0, jitterUs: 0, serviceUs: 0 };

interface Sim {
  records: ProtocolRecord[];
  done: DoneRecord;
  updates: UpdateRecord[];
  workers: WorkerRecord[];
  summary: ClusterSummary;
  lines: string[];
}

function sim(packed: number[], features: number, train: Partial<TrainConfig>, parallel: Partial<ParallelConfig>, trainKeys: string[] = []): Sim {
  const ds = datasetFromPacked(new Float32Array(packed), features);
  const config = resolveConfig(train, features);
  const par = resolveParallel({ parallel, trainKeys, config, trainSamples: ds.n - (config.valSplit > 0 ? Math.max(1, Math.floor(ds.n * config.valSplit)) : 0) });
  const lines: string[] = [];
  const records: ProtocolRecord[] = [];
  const summary = simulate(ds, config, par, clusterAlgorithm(par.algorithm), textParallelRecords((l) => {
    lines.push(l);
    const r = parseRecord(l);
    if (r === null) throw new Error('unparseable record: ' + l);
    records.push(r);
  }));
  return {
    records,
    lines,
    summary,
    done: records[records.length - 1] as DoneRecord,
    updates: records.filter((r): r is UpdateRecord => r.type === 'update'),
    workers: records.filter((r): r is WorkerRecord => r.type === 'worker'),
  };
}

/** The packed rows of samples idx (a shard) of a packed set. */
function rowsOf(packed: number[], features: number, idx: number[]): number[] {
  return idx.flatMap((i) => packed.slice(i * (features + 1), (i + 1) * (features + 1)));
}

describe('exact reductions (../shared/distributed-sgd.md §6)', () => {
  it('sync, one worker, batch = shard: host run full batch, bit for bit', () => {
    const cfg = { lr: 0.02, epochs: 50 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'sync', workers: 1 });
    const h = train(TWO_PACKED, 2, { ...cfg, batch: 0 });
    expect(s.done.w).toEqual(h.done.w);
    expect(s.done.b).toBe(h.done.b);
    const epochs = s.records.filter((r) => r.type === 'epoch');
    expect(epochs.map((e) => (e as { loss: number }).loss)).toEqual(h.epochs.map((e) => e.loss));
  });

  it('sync, 4 equal shards, batch = shard: full-batch GD within float32 rounding', () => {
    const cfg = { lr: 0.02, epochs: 50 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'sync', workers: 4 });
    const h = train(TWO_PACKED, 2, { ...cfg, batch: 0 });
    for (let j = 0; j < 2; j++) expect(Math.abs(s.done.w[j] - h.done.w[j])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(h.done.w[j])));
    expect(Math.abs(s.done.b - h.done.b)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(h.done.b)));
    expect(s.updates.every((u) => u.staleness === 0)).toBe(true);
  });

  it('sync with a server optimizer: one worker is host run with that optimizer, bit for bit', () => {
    const cfg = { optimizer: 'adam' as const, lr: 0.05, epochs: 30 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'sync', workers: 1, serverOptimizer: 'adam' });
    const h = train(TWO_PACKED, 2, { ...cfg, batch: 0 });
    expect(s.done.w).toEqual(h.done.w);
    expect(s.done.b).toBe(h.done.b);
  });

  it('downpour, one worker, fetch and push every step, SGD server: host run --batch 1, bit for bit', () => {
    const cfg = { lr: 0.01, epochs: 20, batch: 1 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'downpour', workers: 1, serverOptimizer: 'sgd', ...INSTANT });
    const h = train(TWO_PACKED, 2, { ...cfg, batch: 1 });
    expect(s.done.w).toEqual(h.done.w);
    expect(s.done.b).toBe(h.done.b);
    expect(s.records.filter((r) => r.type === 'epoch').map((e) => (e as { loss: number }).loss)).toEqual(h.epochs.map((e) => e.loss));
  });

  it('downpour, one worker, fetch only at the start, push every step, η = α: the server replays the replica, bit for bit', () => {
    const s = sim(TWO_PACKED, 2, { lr: 0.01, epochs: 10, batch: 1 }, { algorithm: 'downpour', workers: 1, serverOptimizer: 'sgd', fetchEvery: 1000000, ...INSTANT });
    const epochs = s.records.filter((r) => r.type === 'epoch') as { w: number[]; b: number }[];
    expect(s.done.counts?.fetches).toBe(1);
    expect(s.workers.map((w) => [w.w, w.b])).toEqual(epochs.map((e) => [e.w, e.b]));
  });

  it("adarevision without delays is Downpour's (paper) Adagrad server, bit for bit, update after update", () => {
 const cfg = { optimizer: 'adagrad' as const, lr: 0.3, epochs: 10, batch: 1 };
    const d = sim(TWO_PACKED, 2, cfg, { algorithm: 'downpour', workers: 1, ...INSTANT });
    const a = sim(TWO_PACKED, 2, { lr: 0.3, epochs: 10, batch: 1 }, { algorithm: 'adarevision', workers: 1, ...INSTANT });
    const epochsOf = (x: Sim) => x.lines.filter((l) => l.includes('"type":"epoch"')).map((l) => l.replace(/,"time_us":\d+/, ''));
    expect(epochsOf(a)).toEqual(epochsOf(d));
    expect(a.summary.hash).toBe(d.summary.hash);
    expect(a.updates.every((u) => u.backlog === 0)).toBe(true);
  });

  it('easgd with α = 0: every worker is independent SGD on its shard, bit for bit, and the center never moves', () => {
    const cfg = { lr: 0.01, epochs: 12, batch: 1 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'easgd', workers: 4, elastic: 0 });
    const last = new Map<number, WorkerRecord>();
    for (const w of s.workers) last.set(w.worker, w);
    for (let k = 0; k < 4; k++) {
      const shard = Array.from({ length: 10 }, (_, i) => k + 4 * i);
      // Each worker made 10 passes of its 10 samples in 12 epoch-equivalents of 40 (3 each, fewer or more by the schedule): compare at its own count.
      const w = last.get(k) as WorkerRecord;
      const passes = w.samples / shard.length;
      expect(Number.isInteger(passes)).toBe(true);
      const h = train(rowsOf(TWO_PACKED, 2, shard), 2, { lr: 0.01, epochs: passes, batch: 1 });
      expect(w.w).toEqual(h.done.w);
      expect(w.b).toBe(h.done.b);
    }
    const epochs = s.records.filter((r) => r.type === 'epoch') as { w: number[]; b: number }[];
    for (const e of epochs) expect([e.w, e.b]).toEqual([[1, 1], 0]);
  });

  it('hogwild simulated with one worker is sequential SGD, bit for bit', () => {
    const cfg = { lr: 0.01, epochs: 20, batch: 1 };
    const s = sim(TWO_PACKED, 2, cfg, { algorithm: 'hogwild', workers: 1 });
    const h = train(TWO_PACKED, 2, { ...cfg, batch: 1 });
    expect(s.done.w).toEqual(h.done.w);
    expect(s.done.b).toBe(h.done.b);
    expect(s.done.counts?.lost).toBe(0);
  });

  it('a fixed point stays put for every algorithm (noiseless data, start at the truth)', () => {
    for (const algorithm of ['sync', 'downpour', 'hogwild', 'adarevision', 'easgd'] as const) {
      const s = sim(TWO_PACKED, 2, { lr: 0.05, epochs: 3, initW: [2, -3], initB: 1, batch: 1 }, { algorithm, workers: 4 });
      expect([algorithm, s.done.w, s.done.b]).toEqual([algorithm, [2, -3], 1]);
    }
  });
});

describe('the start', () => {
  it("is host run's: the split, standardization and starting parameters give the same epoch 0 record", () => {
    const cases: Partial<TrainConfig>[] = [
      {},
      { initW: [0.5, -2], initB: 3 },
      { initW: [0.25], bias: false },
      { standardize: true, initW: [1.5, 0.5], initB: -1 },
      { standardize: true, bias: false, valSplit: 0.25, seed: 9 },
      { valSplit: 0.1, seed: 3, initB: 2 },
    ];
    for (const c of cases) {
      const s = sim(TWO_PACKED, 2, { ...c, epochs: 1, batch: 1 }, { algorithm: 'hogwild', workers: 1 });
      const h = train(TWO_PACKED, 2, { ...c, epochs: 1, batch: 1 });
      const e0 = s.records.find((r) => r.type === 'epoch') as { w: number[]; b: number; loss: number; val_loss?: number };
      expect([c, e0.w, e0.b, e0.loss, e0.val_loss]).toEqual([c, h.epochs[0].w, h.epochs[0].b, h.epochs[0].loss, h.epochs[0].val_loss]);
      expect((s.records[0] as { train: number }).train).toBe((h.records[0] as { train: number }).train);
    }
  });
});

describe('convergence on noiseless data, 4 workers, default delays', () => {
  // Per algorithm: a learning rate and epochs that suit it (Adagrad-style rates want a larger α).
  const SETTINGS = {
    sync: { lr: 0.05, epochs: 1500, batch: 0 },
    downpour: { lr: 0.3, epochs: 300, batch: 1 },
    hogwild: { lr: 0.02, epochs: 300, batch: 1 },
    adarevision: { lr: 0.3, epochs: 300, batch: 1 },
    easgd: { lr: 0.02, epochs: 300, batch: 1 },
  };
  for (const [algorithm, cfg] of Object.entries(SETTINGS)) {
    it(`${algorithm}: the 2-feature set to within 1e-4`, () => {
      const s = sim(TWO_PACKED, 2, cfg, { algorithm: algorithm as ParallelConfig['algorithm'], workers: 4, ...(algorithm === 'downpour' ? { localLr: 0.02 } : {}) });
      expect(s.done.reason).toBe('epochs');
      expect(Math.abs(s.done.w[0] - 2)).toBeLessThan(1e-4);
      expect(Math.abs(s.done.w[1] + 3)).toBeLessThan(1e-4);
      expect(Math.abs(s.done.b - 1)).toBeLessThan(1e-4);
    });
    it(`${algorithm}: the seed data (replicated) to within 1e-4`, () => {
      const s = sim(SEED, 1, { ...cfg, bias: false, epochs: cfg.epochs }, { algorithm: algorithm as ParallelConfig['algorithm'], workers: 4, replicate: true, ...(algorithm === 'downpour' ? { localLr: 0.02 } : {}) }, ['bias']);
      expect(s.done.reason).toBe('epochs');
      expect(Math.abs(s.done.w[0] - 2)).toBeLessThan(1e-4);
    });
  }
});

describe('the schedule', () => {
  it('is deterministic: the same settings give the same lines; another seed another schedule', () => {
    const run = (seed: number) => sim(TWO_PACKED, 2, { lr: 0.05, epochs: 5, batch: 1, shuffle: true, seed }, { algorithm: 'downpour', workers: 4, serverOptimizer: 'sgd' }).lines;
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });

  it('gives staleness p − 1 to every update after the first round, for p identical workers without jitter', () => {
    for (const algorithm of ['adarevision', 'hogwild'] as const) {
      for (const p of [2, 4]) {
        const s = sim(TWO_PACKED, 2, { lr: 0.05, epochs: 3, batch: 1 }, { algorithm, workers: p, jitterUs: 0 });
        const later = s.updates.slice(p);
        expect(later.length).toBeGreaterThan(0);
        expect(new Set(later.map((u) => u.staleness))).toEqual(new Set([p - 1]));
        expect(s.updates.slice(0, p).map((u) => u.staleness)).toEqual(Array.from({ length: p }, (_, k) => k));
      }
    }
  });

  it('makes staleness 0 for sync and for one worker', () => {
    expect(sim(TWO_PACKED, 2, { epochs: 3 }, { algorithm: 'sync', workers: 4 }).updates.every((u) => u.staleness === 0)).toBe(true);
    expect(sim(TWO_PACKED, 2, { epochs: 3, batch: 1 }, { algorithm: 'adarevision', workers: 1 }).updates.every((u) => u.staleness === 0)).toBe(true);
  });

  it('lets AdaRevision keep a rate under injected delays at which AdaGrad (--no-revision) diverges', () => {
    const run = (revision: boolean) => sim(TWO_PACKED, 2, { lr: 3, epochs: 100, batch: 1 }, { algorithm: 'adarevision', workers: 4, outstanding: 16, revision });
    const a = run(true);
    const g = run(false);
    expect(a.updates.reduce((m, u) => Math.max(m, u.staleness), 0)).toBeGreaterThan(30);
    expect(a.done.reason).toBe('epochs');
    expect(a.done.loss).toBeLessThan(1e-8);
    expect(g.done.reason).toBe('diverged');
  });

  it('loses updates in hogwild when the load and the store are apart, and counts them', () => {
    const s = sim(TWO_PACKED, 2, { lr: 0.01, epochs: 5, batch: 1 }, { algorithm: 'hogwild', workers: 4, jitterUs: 0, rmwUs: 5 });
    expect(s.done.counts?.lost).toBeGreaterThan(0);
    expect(s.updates.reduce((a, u) => a + (u.lost ?? 0), 0)).toBe(s.done.counts?.lost);
  });

  it('records the spring ‖d‖ of every EASGD exchange', () => {
    const s = sim(TWO_PACKED, 2, { lr: 0.01, epochs: 5, batch: 1 }, { algorithm: 'easgd', workers: 4, period: 2 });
    expect(s.updates.length).toBeGreaterThan(0);
    expect(s.updates.some((u) => (u.elastic ?? 0) > 0)).toBe(true);
  });

  it('runs synchronous EASGD and EAMSGD', () => {
    const a = sim(TWO_PACKED, 2, { lr: 0.02, epochs: 200, batch: 1 }, { algorithm: 'easgd', workers: 4, synchronous: true });
    expect(Math.abs(a.done.w[0] - 2)).toBeLessThan(1e-4);
    expect(a.updates.every((u) => u.staleness === 0)).toBe(true);
    const m = sim(TWO_PACKED, 2, { lr: 0.005, epochs: 200, batch: 1, momentum: 0.9 }, { algorithm: 'easgd', workers: 4 }, ['momentum']);
    expect(Math.abs(m.done.w[0] - 2)).toBeLessThan(1e-4);
  });

  it('records once per epoch-equivalent, with one worker record per worker after each epoch record', () => {
    const s = sim(TWO_PACKED, 2, { epochs: 4, batch: 1 }, { algorithm: 'downpour', workers: 4 });
    const kinds = s.records.filter((r) => r.type === 'epoch' || r.type === 'worker').map((r) => r.type);
    expect(kinds).toEqual(Array.from({ length: 5 }, () => ['epoch', 'worker', 'worker', 'worker', 'worker']).flat());
    expect(s.records[0].type).toBe('start');
    expect(s.done.counts).toMatchObject({ pushes: expect.any(Number), fetches: expect.any(Number), messages: expect.any(Number) });
  });

  it('reports a diverging run with the last finite parameters', () => {
    const s = sim(TWO_PACKED, 2, { lr: 5, epochs: 50, batch: 1 }, { algorithm: 'hogwild', workers: 4 });
    expect(s.done.reason).toBe('diverged');
    expect(s.done.message).toMatch(/learning rate/);
    expect(s.done.w.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('refused before anything runs', () => {
  const base = resolveConfig({}, 2);
  const check = (parallel: Partial<ParallelConfig>, trainKeys: string[] = [], trainSamples = 40) => () => resolveParallel({ parallel, trainKeys, config: base, trainSamples });
  it('more workers than samples', () => expect(check({ algorithm: 'sync', workers: 5 }, [], 3)).toThrow(/--workers: 5 workers but only 3 training samples.*--replicate/));
  it('an unknown algorithm', () => expect(check({ algorithm: 'ring' as never })).toThrow(/--algorithm: unknown algorithm "ring"/));
  it("an option of another algorithm", () => {
    expect(check({ algorithm: 'sync', period: 4 })).toThrow(/--period: belongs to easgd, not sync/);
    expect(check({ algorithm: 'easgd', fetchEvery: 2 })).toThrow(/--fetch-every: belongs to downpour, not easgd/);
    expect(check({ algorithm: 'hogwild' }, ['beta1'])).toThrow(/--beta1: does not apply to hogwild/);
    expect(check({ algorithm: 'sync' }, ['schedule'])).toThrow(/--schedule: does not apply to parallel runs/);
  });
  it('a period of 0', () => expect(check({ algorithm: 'easgd', period: 0 })).toThrow(/--period: 0 is out of range/));
  it('a compute list of the wrong length', () => expect(check({ algorithm: 'sync', workers: 4, computeUs: [1, 2] })).toThrow(/--compute-us: give one value/));
});
