// Hogwild! and sync on real threads (host/parallel/threads.ts): the exact reductions to `host run`
// (one thread), the tolerance ones (sync on two equal shards), and racy convergence (two threads).
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked, type Dataset } from '../../shared/dataset.ts';
import { generateDataset } from '../../shared/parallel/generate.ts';
import { resolveParallel, type ParallelConfig } from '../../shared/parallel/options.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { formatF32, parseRecord, type DoneRecord, type EpochRecord, type ProtocolRecord, type StartRecord, type WorkerRecord } from '../../shared/protocol.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';
import { runCommand } from '../../host/desktop-run.ts';
import { readDataset } from '../../host/csv.ts';
import { runThreads, type ThreadsOptions, type ThreadsSummary } from '../../host/parallel/threads.ts';

const NOISY = 'test/fixtures/data/two-features-noisy.csv';

function noisy(): Dataset {
  const d = readDataset(NOISY);
  return datasetFromPacked(d.packed, d.features);
}

function parseAll(lines: string[]): ProtocolRecord[] {
  return lines.map((l) => {
    const r = parseRecord(l);
    if (r === null) throw new Error('unparseable record: ' + l);
    return r;
  });
}

/** The desktop engine's records (host run's Trainer). */
function desktop(ds: Dataset, cfg: TrainConfig): ProtocolRecord[] {
  const lines: string[] = [];
  new Trainer(ds, cfg, textRecords((l) => lines.push(l))).run();
  return parseAll(lines);
}

interface ThreadsRun {
  records: ProtocolRecord[];
  epochs: EpochRecord[];
  workers: WorkerRecord[];
  done: DoneRecord;
  summary: ThreadsSummary;
}

async function threads(ds: Dataset, cfg: TrainConfig, given: Partial<ParallelConfig>, trainKeys: string[], opts?: ThreadsOptions): Promise<ThreadsRun> {
  const par = resolveParallel({ parallel: given, trainKeys, config: cfg, trainSamples: ds.n });
  const lines: string[] = [];
  const summary = await runThreads(ds, cfg, par, par.workers, textParallelRecords((l) => lines.push(l)), opts);
  const records = parseAll(lines);
  return {
    records,
    epochs: records.filter((r): r is EpochRecord => r.type === 'epoch'),
    workers: records.filter((r): r is WorkerRecord => r.type === 'worker'),
    done: records[records.length - 1] as DoneRecord,
    summary,
  };
}

/** An epoch or done record without the parallel runs' extra fields. */
function core(r: ProtocolRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { ...r };
  delete o.version;
  delete o.time_us;
  delete o.counts;
  delete o.message;
  return o;
}

function sameAsDesktop(mine: ThreadsRun, ref: ProtocolRecord[]): void {
  const refEpochs = ref.filter((r) => r.type === 'epoch');
  expect(mine.epochs.length).toBe(refEpochs.length);
  expect(mine.epochs.map(core)).toEqual(refEpochs.map(core));
  expect(core(mine.done)).toEqual(core(ref[ref.length - 1]));
}

describe('threads: one thread reproduces host run bit for bit', () => {
  it('hogwild, 1 thread = per-sample SGD in the same order (generated dense and sparse, and the noisy fixture with a validation split)', async () => {
    const cases: [Dataset, Partial<TrainConfig>][] = [
      [datasetFromPacked(generateDataset('dense', 300, 5).packed, 8), { lr: 0.02, batch: 1, epochs: 6 }],
      [datasetFromPacked(generateDataset('sparse', 300, 5).packed, 8), { lr: 0.05, batch: 1, epochs: 6 }],
      [noisy(), { lr: 0.002, batch: 1, epochs: 8, valSplit: 0.25 }],
      [noisy(), { lr: 0.002, batch: 4, epochs: 8 }],
    ];
    for (const [ds, given] of cases) {
      const cfg = resolveConfig(given, ds.features);
      const mine = await threads(ds, cfg, { algorithm: 'hogwild', workers: 1 }, Object.keys(given));
      sameAsDesktop(mine, desktop(ds, cfg));
      expect(mine.done.reason).toBe('epochs');
      expect(mine.done.counts?.lost_drift).toBeLessThan(1e-12); // nothing can be lost with one thread
    }
  });

  it('sync, 1 thread, batch 0 = host run full-batch GD (runCommand on the noisy fixture)', async () => {
    let out = '';
    const r = runCommand({ data: NOISY, lr: '0.005', epochs: '30', batch: '0', format: 'ndjson' }, { stdout: (s) => (out += s), stderr: () => {}, isTTY: false });
    const ref = parseAll(out.split('\n').filter((l) => l !== ''));
    expect(r.done?.reason).toBe('epochs');
    const ds = noisy();
    const cfg = resolveConfig({ lr: 0.005, epochs: 30, batch: 0 }, ds.features);
    const mine = await threads(ds, cfg, { algorithm: 'sync', workers: 1 }, ['lr', 'epochs', 'batch']);
    sameAsDesktop(mine, ref);
    expect(mine.done.counts).toMatchObject({ updates: 30, threads: 1, passes: 30, lost_drift: 0 });
  });

  it('sync, 1 thread, batch B = host run mini-batches of B (B = 1, 7)', async () => {
    const ds = noisy();
    for (const batch of [1, 7]) {
      const cfg = resolveConfig({ lr: 0.002, epochs: 5, batch }, ds.features);
      sameAsDesktop(await threads(ds, cfg, { algorithm: 'sync', workers: 1 }, ['lr', 'epochs', 'batch']), desktop(ds, cfg));
    }
  });
});

describe('threads: sync on two threads', () => {
  it('two equal shards, batch = shard: full-batch GD within 1e-6 relative', async () => {
    const ds = noisy(); // 40 samples: 20 a shard
    const cfg = resolveConfig({ lr: 0.005, epochs: 30, batch: 0 }, ds.features);
    const ref = desktop(ds, cfg).filter((r): r is EpochRecord => r.type === 'epoch');
    for (const shards of ['strided', 'contiguous'] as const) {
      const mine = await threads(ds, cfg, { algorithm: 'sync', workers: 2, shards }, ['lr', 'epochs', 'batch']);
      expect(mine.epochs.length).toBe(ref.length);
      for (let e = 0; e < ref.length; e++) {
        const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b)));
        ref[e].w.forEach((w, j) => close(mine.epochs[e].w[j], w));
        close(mine.epochs[e].b, ref[e].b);
        close(mine.epochs[e].loss, ref[e].loss);
      }
      expect(mine.done.counts).toMatchObject({ updates: 30, threads: 2, lost_drift: 0 });
      expect(mine.workers.length).toBe(2 * 31);
      expect(mine.workers[mine.workers.length - 1]).toMatchObject({ epoch: 30, worker: 1, samples: 600, updates: 30 });
    }
  });
});

describe('threads: hogwild on two threads', () => {
  for (const kind of ['dense', 'sparse'] as const) {
    it(`converges near the truth on the ${kind} set; records parse; drift reported`, async () => {
      const gen = generateDataset(kind, 4000, 11);
      const ds = datasetFromPacked(gen.packed, gen.features);
      const given = { lr: kind === 'dense' ? 0.02 : 0.05, batch: 1, epochs: 4, shuffle: true };
      const cfg = resolveConfig(given, 8);
      const run = await threads(ds, cfg, { algorithm: 'hogwild', workers: 2, passDecay: 0.9 }, Object.keys(given));
      const start = run.records[0] as StartRecord;
      expect(start).toMatchObject({ type: 'start', protocol: 3, source: 'threads', samples: 4000, features: 8, train: 4000, val: 0 });
      expect(start.parallel).toMatchObject({ algorithm: 'hogwild', workers: 2, threads: 2, passDecay: 0.9 });
      for (const simulated of ['computeUs', 'latencyUs', 'jitterUs', 'serviceUs', 'rmwUs']) expect(start.parallel).not.toHaveProperty(simulated);
      // epoch 0, then per pass an epoch record and one worker record per thread
      expect(run.records.map((r) => r.type)).toEqual(['start', ...Array.from({ length: 5 }, () => ['epoch', 'worker', 'worker']).flat(), 'done']);
      expect(run.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4]);
      expect(run.epochs.map((e) => e.version)).toEqual([0, 4000, 8000, 12000, 16000]);
      // epoch 0 and pass 1 at --lr, then × --pass-decay after each pass
      const lrs = [given.lr];
      for (let p = 1, l = given.lr; p <= 4; p++, l *= 0.9) lrs.push(l);
      expect(run.epochs.map((e) => e.lr)).toEqual(lrs.map((l) => Number(formatF32(l))));
      for (let i = 1; i < run.epochs.length; i++) expect(run.epochs[i].time_us).toBeGreaterThanOrEqual(run.epochs[i - 1].time_us as number);
      const last = run.workers.slice(-2);
      expect(last.map((w) => [w.worker, w.samples, w.updates])).toEqual([
        [0, 8000, 8000],
        [1, 8000, 8000],
      ]);
      expect(run.done.reason).toBe('epochs');
      for (let j = 0; j < 8; j++) expect(Math.abs(run.done.w[j] - gen.truth.w[j])).toBeLessThan(1e-2);
      expect(Math.abs(run.done.b - gen.truth.b)).toBeLessThan(1e-2);
      expect(run.done.loss).toBeLessThan(1e-4);
      const counts = run.done.counts as Record<string, number>;
      expect(Object.keys(counts).sort()).toEqual(['lost_drift', 'passes', 'samples', 'threads', 'time_us', 'updates', 'updates_per_s']);
      expect(counts).toMatchObject({ updates: 16000, threads: 2, passes: 4, samples: 16000 });
      expect(counts.updates_per_s).toBeGreaterThan(0);
      expect(counts.lost_drift).toBeGreaterThanOrEqual(0);
      expect(run.summary).toMatchObject({ reason: 'epochs', updates: 16000, drift: counts.lost_drift, updatesPerSecond: counts.updates_per_s });
      // the summary's float32 values, the record's shortest decimals of them
      expect(run.summary.w).toEqual(run.done.w.map(Math.fround));
      expect(run.summary.b).toBe(Math.fround(run.done.b));
    });
  }

  it('with the CAS toggle (atomic adds), no update is lost: drift at double rounding', async () => {
    const gen = generateDataset('dense', 4000, 12);
    const ds = datasetFromPacked(gen.packed, gen.features);
    const cfg = resolveConfig({ lr: 0.02, batch: 1, epochs: 3, shuffle: true }, 8);
    const run = await threads(ds, cfg, { algorithm: 'hogwild', workers: 2 }, ['lr', 'batch', 'epochs', 'shuffle'], { cas: true });
    expect(run.done.reason).toBe('epochs');
    expect(run.done.counts?.lost_drift).toBeLessThan(1e-9);
    for (let j = 0; j < 8; j++) expect(Math.abs(run.done.w[j] - gen.truth.w[j])).toBeLessThan(1e-2);
  });

  it('a step too large ends with reason diverged, the last finite parameters and advice', async () => {
    const gen = generateDataset('dense', 1000, 13);
    const ds = datasetFromPacked(gen.packed, gen.features);
    const cfg = resolveConfig({ lr: 5, batch: 1, epochs: 5 }, 8);
    const run = await threads(ds, cfg, { algorithm: 'hogwild', workers: 2 }, ['lr', 'batch', 'epochs']);
    expect(run.done.reason).toBe('diverged');
    expect(run.done.message).toMatch(/learning rate 5 is too high/);
    expect(run.done.w.every((v) => Number.isFinite(v))).toBe(true);
    expect(run.summary.reason).toBe('diverged');
  });
});

describe('threads: refused settings', () => {
  const ds = noisy();
  const cfg = resolveConfig({ lr: 0.001 }, 2);
  const sink = textParallelRecords(() => {});
  const par = (given: Partial<ParallelConfig>): ParallelConfig => resolveParallel({ parallel: given, trainKeys: [], config: cfg, trainSamples: ds.n });

  it('an algorithm other than hogwild or sync, or a thread count other than --workers', async () => {
    await expect(runThreads(ds, cfg, par({ algorithm: 'downpour', workers: 2 }), 2, sink)).rejects.toThrow(ConfigError);
    await expect(runThreads(ds, cfg, par({ algorithm: 'downpour', workers: 2 }), 2, sink)).rejects.toThrow(/--threads: runs hogwild or sync, not downpour/);
    await expect(runThreads(ds, cfg, par({ algorithm: 'hogwild', workers: 2 }), 3, sink)).rejects.toThrow(/--threads: 3 threads but --workers is 2/);
  });

  it('a server optimizer the threads do not apply', async () => {
    await expect(runThreads(ds, cfg, par({ algorithm: 'sync', workers: 2, serverOptimizer: 'adam' }), 2, sink)).rejects.toThrow(/--server-optimizer/);
  });
});
