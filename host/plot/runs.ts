// Records → runs: what a figure draws. A `start` record opens a training run and a `walk` record
// opens a descent walk; epoch and step records belong to the run opened last. Kept as columns
// (numbers only) so that a file of a million epochs stays small in memory. No Node APIs here.
// Parallel runs (protocol 3) add, to the run they belong to: each worker's columns from its worker
// records, and the staleness of the update records as counts per value (a file may hold millions of
// updates: none of them is kept), plus the epoch records' server versions and times.

import type { DoneRecord, ProtocolRecord, StartRecord, UpdateRecord, WalkStartRecord } from '../../shared/protocol.ts';

/** One worker's records of a parallel run, as columns. */
export interface WorkerColumns {
  epoch: number[];
  /** Its loss on its shard; NaN where the record says null. */
  loss: number[];
  samples: number[];
  updates: number[];
}

/**
 * The update records of a parallel run, summarized: how many had each staleness (counts[s] for
 * s ≥ 0; a negative staleness, which no runner should send, is counted in `negative`).
 */
export interface StalenessCounts {
  counts: number[];
  negative: number;
  /** Update records seen, the sum and the largest of their staleness. */
  n: number;
  sum: number;
  max: number;
  /** Hogwild: the coordinates overwritten, summed over the updates that say. */
  lost: number;
}

export function newStaleness(): StalenessCounts {
  return { counts: [], negative: 0, n: 0, sum: 0, max: 0, lost: 0 };
}

/** Counts one update record in. */
export function addUpdate(s: StalenessCounts, r: UpdateRecord): void {
  const k = r.staleness;
  if (k >= 0) {
    for (let i = s.counts.length; i <= k; i++) s.counts.push(0);
    s.counts[k]++;
  } else s.negative++;
  if (s.n === 0 || k > s.max) s.max = k;
  s.n++;
  s.sum += k;
  if (r.lost !== undefined) s.lost += r.lost;
}

/** Mean staleness of the updates counted (NaN when there are none). */
export function meanStaleness(s: StalenessCounts): number {
  return s.n > 0 ? s.sum / s.n : NaN;
}

export interface TrainRun {
  kind: 'train';
  /** Where the run came from (file name), used when the optimizer alone does not tell runs apart. */
  name: string;
  start: StartRecord | null;
  epoch: number[];
  loss: number[];
  /** NaN where the epoch record has no val_loss. */
  val: number[];
  done: DoneRecord | null;
  // Parallel runs only (left undefined on every other run):
  /** The epoch records' server version and time (µs); NaN where a record has none. */
  version?: number[];
  time?: number[];
  /** workers[k]: worker k's records. */
  workers?: WorkerColumns[];
  /** The update records' staleness. */
  staleness?: StalenessCounts;
}

export interface WalkRun {
  kind: 'walk';
  name: string;
  walk: WalkStartRecord | null;
  step: number[];
  /** One column per coordinate: x[0] for every walk, x[1] for 2-D walks. */
  x: number[][];
  f: number[];
  done: DoneRecord | null;
}

export type Run = TrainRun | WalkRun;

function newTrain(name: string, start: StartRecord | null): TrainRun {
  return { kind: 'train', name, start, epoch: [], loss: [], val: [], done: null };
}
function newWalk(name: string, walk: WalkStartRecord | null): WalkRun {
  return { kind: 'walk', name, walk, step: [], x: [], f: [], done: null };
}

/** Collects records one at a time (a file being read, a board streaming) into runs. */
export class RunCollector {
  readonly runs: Run[] = [];
  private current: Run | null = null;

  constructor(private readonly name: string) {}

  add(r: ProtocolRecord): void {
    switch (r.type) {
      case 'start':
        this.open(newTrain(this.name, r));
        break;
      case 'walk':
        this.open(newWalk(this.name, r));
        break;
      case 'epoch': {
        const run = this.train();
        if ((r.version !== undefined || r.time_us !== undefined) && !run.version) {
          run.version = new Array<number>(run.epoch.length).fill(NaN);
          run.time = new Array<number>(run.epoch.length).fill(NaN);
        }
        run.epoch.push(r.epoch);
        run.loss.push(r.loss);
        run.val.push(r.val_loss === undefined ? NaN : r.val_loss);
        if (run.version && run.time) {
          run.version.push(r.version === undefined ? NaN : r.version);
          run.time.push(r.time_us === undefined ? NaN : r.time_us);
        }
        break;
      }
      case 'worker': {
        const run = this.train();
        const workers = run.workers || (run.workers = []);
        while (workers.length <= r.worker) workers.push({ epoch: [], loss: [], samples: [], updates: [] });
        const w = workers[r.worker];
        w.epoch.push(r.epoch);
        w.loss.push(r.loss === null ? NaN : r.loss);
        w.samples.push(r.samples);
        w.updates.push(r.updates);
        break;
      }
      case 'update': {
        const run = this.train();
        addUpdate(run.staleness || (run.staleness = newStaleness()), r);
        break;
      }
      case 'step': {
        const run = this.current && this.current.kind === 'walk' && !this.current.done ? this.current : this.open(newWalk(this.name, null));
        run.step.push(r.step);
        for (let i = 0; i < r.x.length; i++) {
          if (!run.x[i]) run.x[i] = new Array<number>(run.f.length).fill(NaN);
          run.x[i].push(r.x[i]);
        }
        run.f.push(r.f === null ? NaN : r.f);
        break;
      }
      case 'done':
        if (this.current) this.current.done = r;
        break;
      default:
        // hello, status, ack, error: not part of a figure.
        break;
    }
  }

  /**
   * The runs that have something to draw (epoch or step records). Feed records to add() as they
   * come and draw from this at the end: a parallel run's update records are counted, never kept.
   */
  plottable(): Run[] {
    return this.runs.filter((run) => (run.kind === 'train' ? run.epoch.length > 0 : run.f.length > 0));
  }

  /** The training run records go to: the one open, else a new one (a file that starts mid-run). */
  private train(): TrainRun {
    return this.current && this.current.kind === 'train' && !this.current.done ? this.current : this.open(newTrain(this.name, null));
  }

  private open<R extends Run>(run: R): R {
    this.runs.push(run);
    this.current = run;
    return run;
  }
}

export function runsFromRecords(records: Iterable<ProtocolRecord>, name = 'run'): Run[] {
  const c = new RunCollector(name);
  for (const r of records) c.add(r);
  return c.plottable();
}

/** The walk's dimension: from its header's start point, else from its first step. */
export function walkDims(run: WalkRun): number {
  return run.walk ? run.walk.start.length : run.x.length;
}

/** A parallel run: its start record says so, or it has worker or update records. */
export function isParallel(run: Run): run is TrainRun {
  return run.kind === 'train' && (!!(run.start && run.start.parallel) || run.workers !== undefined || run.staleness !== undefined);
}

/** The parallel settings of a run's start record (algorithm, workers, …), or null. */
export function parallelOf(run: Run): { algorithm: string; workers: number } & Record<string, unknown> | null {
  return run.kind === 'train' && run.start && run.start.parallel ? run.start.parallel : null;
}

/** Workers of a parallel run: from its start record, else from its worker records (0: not parallel). */
export function workerCount(run: Run): number {
  const par = parallelOf(run);
  if (par) return par.workers;
  return run.kind === 'train' && run.workers ? run.workers.length : 0;
}

/** The done record's counts (messages, pushes, fetches, updates, lost, time_us, …), or {}. */
export function runCounts(run: Run): Record<string, number> {
  return run.done && run.done.counts ? run.done.counts : {};
}

/**
 * Legend labels, the shortest that tell the runs apart: the optimizer (a parallel run: its
 * algorithm); else that and, for parallel runs, the workers; else the learning rate; else both;
 * else the file name; else a counter. Returned in the runs' order.
 */
export function runLabels(runs: Run[]): string[] {
  const opt = (run: Run) => {
    const par = parallelOf(run);
    if (par) return par.algorithm;
    return run.kind === 'train' ? (run.start ? run.start.config.optimizer : '') : run.walk ? run.walk.optimizer : '';
  };
  const lr = (run: Run) => (run.kind === 'train' ? (run.start ? run.start.config.lr : NaN) : run.walk ? run.walk.lr : NaN);
  const lrText = (r: Run) => `lr ${Number(lr(r).toPrecision(4))}`;
  const workers = (r: Run) => {
    const p = workerCount(r);
    return `${p} worker${p === 1 ? '' : 's'}`;
  };
  const unique = (ls: string[]) => new Set(ls).size === ls.length;
  const tries = [
    runs.map((r) => opt(r) || r.name),
    runs.map((r) => (!opt(r) ? r.name : parallelOf(r) ? `${opt(r)}, ${workers(r)}` : `${opt(r)}, ${lrText(r)}`)),
    runs.map((r) => (opt(r) ? `${opt(r)}, ${lrText(r)}` : r.name)),
    runs.map((r) => (!opt(r) ? r.name : parallelOf(r) ? `${opt(r)}, ${workers(r)}, ${lrText(r)}` : `${opt(r)}, ${lrText(r)}`)),
    runs.map((r) => (opt(r) ? `${opt(r)} · ${r.name}` : r.name)),
  ];
  for (const t of tries) if (unique(t)) return t;
  const last = tries[tries.length - 1];
  const seen = new Map<string, number>();
  return last.map((l) => {
    const n = (seen.get(l) || 0) + 1;
    seen.set(l, n);
    return last.indexOf(l) !== last.lastIndexOf(l) ? `${l} #${n}` : l;
  });
}
