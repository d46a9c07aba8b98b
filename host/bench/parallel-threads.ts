// Hogwild! on real threads (host/parallel/threads.ts): sample-updates per second with 1 and 2
// threads, on the dense and the sparse generated sets (shared/parallel/generate.ts), per-sample SGD,
// reshuffled every pass. The rate counts training time only (release of the threads to the last
// one's arrival at the pass barrier) of the passes after the first: every run starts fresh threads,
// whose first pass is mostly JIT warm-up. The lost-update drift max |D| comes with it (0 with one
// thread).
//
// This machine has 2 cores, so 2 threads are the most that can run at once, and the main thread
// shares the cores with them (it sleeps during a pass). Expect little or negative speedup on the
// dense set: every update writes all 9 parameters, which share one 64-byte cache line, so each write
// takes the line away from the other core (sheet §2, "Dense model, honestly"). The sparse set writes
// 2–3 of the 9, but the bias is in every update and in the same line, so the line still bounces:
// there the gain over dense shows mostly as fewer lost updates (a smaller drift), not as speed.
import { resolveConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { generateDataset, type GeneratedKind } from '../../shared/parallel/generate.ts';
import { resolveParallel } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import { runThreads } from '../parallel/threads.ts';

export interface ThreadsBenchRow {
  data: GeneratedKind;
  threads: number;
  /** Median over the repetitions. */
  updatesPerSecond: number;
  /** The drift of the median repetition. */
  drift: number;
}

const NO_RECORDS: ParallelSink = {
  start() {},
  epoch() {},
  worker() {},
  update() {},
  done() {},
  state() {},
};

/** A stable step for per-sample SGD on each set (‖x̃‖² ≤ 9 dense, ≤ 3 sparse). */
const LR: Record<GeneratedKind, number> = { dense: 0.02, sparse: 0.05 };

export async function benchThreads(opts: { quick: boolean }): Promise<ThreadsBenchRow[]> {
  const samples = opts.quick ? 5000 : 20_000;
  const passes = opts.quick ? 3 : 6;
  const reps = opts.quick ? 1 : 3;
  const rows: ThreadsBenchRow[] = [];
  for (const data of ['dense', 'sparse'] as const) {
    const gen = generateDataset(data, samples, 1);
    const ds = datasetFromPacked(gen.packed, gen.features);
    const config = resolveConfig({ lr: LR[data], batch: 1, epochs: passes, shuffle: true, seed: 1 }, gen.features);
    const runs: Record<number, { updatesPerSecond: number; drift: number }[]> = { 1: [], 2: [] };
    // Interleaved, so that a slow moment of the machine does not land on one thread count only.
    for (let r = 0; r < reps; r++) {
      for (const threads of [1, 2]) {
        const par = resolveParallel({ parallel: { algorithm: 'hogwild', workers: threads }, trainKeys: ['lr', 'batch', 'epochs', 'shuffle', 'seed'], config, trainSamples: ds.n });
        const s = await runThreads(ds, config, par, threads, NO_RECORDS);
        // Per-sample SGD: one update per training sample and pass.
        const warm = s.passSeconds.slice(1).reduce((a, b) => a + b, 0);
        runs[threads].push({ updatesPerSecond: Math.round(((s.passSeconds.length - 1) * ds.n) / warm), drift: s.drift });
      }
    }
    for (const threads of [1, 2]) {
      const sorted = runs[threads].slice().sort((a, b) => a.updatesPerSecond - b.updatesPerSecond);
      const mid = sorted[(sorted.length - 1) >> 1];
      rows.push({ data, threads, updatesPerSecond: mid.updatesPerSecond, drift: mid.drift });
    }
  }
  return rows;
}
