// `npm run bench`: every figure measured in one run, contenders side by side (see measure.ts).
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Dataset } from '../../shared/dataset.ts';
import { buildFirmware, MAX_BUNDLE_BYTES, REPO_ROOT } from '../build/firmware.ts';
import { handGd, handSgd } from './baseline.ts';
import { benchBoard, type BoardResult } from './board.ts';
import { benchBoardSpeed, type BoardSpeedResult } from './board-speed.ts';
import { syntheticDataset } from './data.ts';
import { engineRun, engineTrain, type Job } from './engine.ts';
import { compare, setClock, type Clock, type Measured } from './measure.ts';
import { memoryReports, type MemoryReport } from './memory.ts';
import { benchBoards, type BoardsBenchRow } from './boards.ts';
import { benchCluster, type ClusterBenchRow } from './parallel-cluster.ts';
import { benchThreads, type ThreadsBenchRow } from './parallel-threads.ts';

export interface BenchOptions {
  quick: boolean;
  clock: Clock;
  tfjs: boolean;
  board: boolean;
  /** The board-speed section (Duktape as an interpreter proxy, board-speed.ts). */
  boardSpeed: boolean;
  /** Run this section alone (the firmware is still built: the section runs it). */
  only?: BenchSection;
  /** Progress notes (stderr), never mixed into the results. */
  log: (msg: string) => void;
}

export interface JobSpec extends Job {
  name: string;
  samples: number;
  features: number;
}

export const THROUGHPUT_JOBS: JobSpec[] = [
  { name: 'per-sample SGD', samples: 1000, features: 1, batch: 1, lr: 0.01 },
  { name: 'full-batch GD', samples: 1000, features: 1, batch: 0, lr: 0.1 },
  { name: 'per-sample SGD', samples: 1024, features: 2, batch: 1, lr: 0.01 },
  { name: 'full-batch GD', samples: 1024, features: 2, batch: 0, lr: 0.1 },
];

export const BENCH_SECTIONS = ['throughput', 'memory', 'virtual-pico', 'scaling', 'parallel', 'boards', 'board-speed'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export const SCALING_SIZES = [10, 100, 1000, 10_000, 100_000];

export interface Rate {
  /** Sample-updates per second: samples whose gradient entered an update, per second. */
  median: number;
  min: number;
  max: number;
  reps: number;
  epochsPerRep: number;
}

export interface ThroughputRow {
  job: string;
  samples: number;
  features: number;
  engine: Rate;
  hand: Rate;
  tfjs: Rate | null;
  engineVsHand: number;
  engineVsTfjs: number | null;
  /** Largest |difference| of the final parameters after 20 epochs, engine vs each contender. */
  agreement: { hand: number; tfjs: number | null };
}

export interface ScalingRow {
  job: string;
  samples: number;
  engine: Rate;
  hand: Rate;
  engineVsHand: number;
}

export interface BenchResult {
  command: string;
  date: string;
  commit: string | null;
  node: string;
  cpu: string;
  cores: number;
  clock: Clock;
  quick: boolean;
  /** The sections this run measured (all but one with --only). */
  sections: BenchSection[];
  throughput: ThroughputRow[];
  /** Why TF.js is missing from the throughput rows, when it is. */
  tfjsNote: string | null;
  firmware: { bytes: number; lines: number; limit: number };
  memory: MemoryReport[];
  board: BoardResult;
  scaling: ScalingRow[];
  boardSpeed: BoardSpeedResult;
  /** Boards as workers (virtual Picos): pushes and sample-updates per second by number of boards and pace. */
  boards?: BoardsBenchRow[] | string;
  /** The simulated cluster's events/s, and Hogwild! on 1 and 2 threads. */
  parallel?: { cluster: ClusterBenchRow[]; threads: ThreadsBenchRow[] };
  seconds: number;
}

function rate(m: Measured): Rate {
  return { median: m.median, min: m.min, max: m.max, reps: m.rates.length, epochsPerRep: m.units };
}

function handRun(ds: Dataset, job: Job, epochs: number): number {
  const fn = job.batch === 1 ? handSgd : handGd;
  fn(ds.x, ds.y, ds.n, ds.features, job.lr, epochs);
  return epochs * ds.n;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const AGREE_EPOCHS = 20;

async function loadTfjs(opts: BenchOptions): Promise<{ mod: typeof import('./tfjs.ts'); tf: Awaited<ReturnType<typeof import('./tfjs.ts').loadTf>> } | string> {
  if (!opts.tfjs) return 'skipped (--no-tfjs)';
  try {
    const mod = await import('./tfjs.ts');
    return { mod, tf: await mod.loadTf() };
  } catch (err) {
    return `@tensorflow/tfjs did not load (${(err as Error).message.split('\n')[0]}); it is a devDependency: npm install`;
  }
}

/**
 * Engine against the hand-written loop, side by side, for every job, before TF.js is even loaded:
 * TF.js's garbage is collected on this process's CPU clock and would land on whichever contender
 * ran next. TF.js gets its own side-by-side pass afterwards (tfjsThroughput).
 */
function throughput(opts: BenchOptions): ThroughputRow[] {
  const rows: ThroughputRow[] = [];
  for (const spec of THROUGHPUT_JOBS) {
    opts.log(`throughput: ${spec.name}, ${spec.samples} × ${spec.features}`);
    const ds = syntheticDataset(spec.samples, spec.features);
    // The contenders must be doing the same job: same start, same steps, same end.
    const e = engineTrain(ds, spec, AGREE_EPOCHS);
    const h = (spec.batch === 1 ? handSgd : handGd)(ds.x, ds.y, ds.n, ds.features, spec.lr, AGREE_EPOCHS);
    const [me, mh] = compare(
      [
        { name: 'engine', run: (n: number) => engineRun(ds, spec, n) },
        { name: 'hand', run: (n: number) => handRun(ds, spec, n) },
      ],
      { targetMs: opts.quick ? 10 : 50, reps: opts.quick ? 3 : 11 },
    );
    const engine = rate(me);
    const hand = rate(mh);
    rows.push({
      job: spec.name,
      samples: spec.samples,
      features: spec.features,
      engine,
      hand,
      tfjs: null,
      engineVsHand: engine.median / hand.median,
      engineVsTfjs: null,
      agreement: { hand: maxDiff([...e.w, e.b], [...h.w, h.b]), tfjs: null },
    });
  }
  return rows;
}

/** Engine against TF.js, side by side, for every job; fills in the rows' TF.js columns. */
function tfjsThroughput(opts: BenchOptions, loaded: Awaited<ReturnType<typeof loadTfjs>>, rows: ThroughputRow[]): void {
  if (typeof loaded === 'string') return;
  const { mod: tfjs, tf } = loaded;
  THROUGHPUT_JOBS.forEach((spec, i) => {
    opts.log(`throughput against TF.js: ${spec.name}, ${spec.samples} × ${spec.features}`);
    const ds = syntheticDataset(spec.samples, spec.features);
    const tfd = tfjs.tfData(tf, ds, spec.batch === 1);
    try {
      const e = engineTrain(ds, spec, AGREE_EPOCHS);
      const t = tfjs.tfTrain(tf, tfd, spec, AGREE_EPOCHS);
      const [me, mt] = compare(
        [
          { name: 'engine', run: (n: number) => engineRun(ds, spec, n) },
          {
            name: 'tfjs',
            run: (n: number) => {
              tfjs.tfTrain(tf, tfd, spec, n);
              return n * ds.n;
            },
          },
        ],
        { targetMs: opts.quick ? 10 : 50, reps: opts.quick ? 3 : 11 },
      );
      const row = rows[i];
      row.tfjs = rate(mt);
      row.engineVsTfjs = rate(me).median / row.tfjs.median;
      row.agreement.tfjs = maxDiff([...e.w, e.b], [...t.w, t.b]);
    } finally {
      tfd.dispose();
    }
  });
}

function scaling(opts: BenchOptions): ScalingRow[] {
  const rows: ScalingRow[] = [];
  for (const job of [THROUGHPUT_JOBS[0], THROUGHPUT_JOBS[1]]) {
    for (const n of SCALING_SIZES) {
      opts.log(`scaling: ${job.name}, ${n} samples`);
      const ds = syntheticDataset(n, 1);
      const m = compare(
        [
          { name: 'engine', run: (e: number) => engineRun(ds, job, e) },
          { name: 'hand', run: (e: number) => handRun(ds, job, e) },
        ],
        { targetMs: opts.quick ? 5 : 25, reps: opts.quick ? 3 : 7 },
      );
      rows.push({ job: job.name, samples: n, engine: rate(m[0]), hand: rate(m[1]), engineVsHand: m[0].median / m[1].median });
    }
  }
  return rows;
}

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const t0 = performance.now();
  setClock(opts.clock);
  const wants = (s: BenchSection): boolean => opts.only === undefined || opts.only === s;
  opts.log('firmware: building the bundle');
  const fw = await buildFirmware({ write: false });
  const memory = wants('memory') ? memoryReports() : [];
  const tp = wants('throughput') ? throughput(opts) : [];
  const sc = wants('scaling') ? scaling(opts) : [];
  let parallel: BenchResult['parallel'];
  if (wants('parallel')) {
    opts.log('parallel: the simulated cluster');
    const cluster = benchCluster({ quick: opts.quick });
    opts.log('parallel: Hogwild! on threads');
    parallel = { cluster, threads: await benchThreads({ quick: opts.quick }) };
  }
  // TF.js only now: its allocations stay out of the engine / hand-written comparison (see throughput).
  const loaded = wants('throughput') ? await loadTfjs(opts) : 'skipped';
  tfjsThroughput(opts, loaded, tp);
  const board: BoardResult = !wants('virtual-pico')
    ? { available: false, reason: 'skipped (--only ' + opts.only + ')' }
    : opts.board
      ? await benchBoard(fw, opts.log)
      : { available: false, reason: 'skipped (--no-board)' };
  const boards = !wants('boards') ? undefined : opts.board ? await benchBoards(fw.code, { quick: opts.quick, log: opts.log }) : 'skipped (--no-board)';
  // Last: the proxy runs in child processes, each timed by its own CPU clock, after every in-process
  // section (and the virtual Pico's worker) is done.
  const boardSpeed: BoardSpeedResult = !wants('board-speed')
    ? { available: false, reason: 'skipped (--only ' + opts.only + ')' }
    : opts.boardSpeed
      ? await benchBoardSpeed(fw.code, { quick: opts.quick, log: opts.log })
      : { available: false, reason: 'skipped (--no-board-speed)' };
  return {
    command: 'npm run bench' + (opts.quick || opts.only ? ' --' : '') + (opts.quick ? ' --quick' : '') + (opts.only ? ' --only ' + opts.only : ''),
    date: new Date().toISOString(),
    commit: commit(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    clock: opts.clock,
    quick: opts.quick,
    sections: BENCH_SECTIONS.filter(wants),
    throughput: tp,
    tfjsNote: typeof loaded === 'string' ? loaded : null,
    firmware: { bytes: fw.bytes, lines: fw.lines, limit: MAX_BUNDLE_BYTES },
    memory,
    board,
    scaling: sc,
    boardSpeed,
    parallel,
    boards,
    seconds: (performance.now() - t0) / 1000,
  };
}
