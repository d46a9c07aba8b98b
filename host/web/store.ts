// What the dashboard remembers of a run, on the server and in the page alike: the records as
// columns of numbers, at most `budget` points in all. Over budget, the longest track keeps only
// every 2nd (then 4th, 8th …) point it has seen, and always its latest one, so a long run keeps its
// whole shape in bounded memory. No Node or DOM APIs: the page bundles this file.
// A parallel run (its start record has `parallel`) adds each worker's loss as a column of its track
// (`k0`, `k1`, …: set by the worker records that follow each epoch record) and a ParallelState:
// what each worker did last, and its update records summarized, never kept (thousands a second on
// the simulated cluster): counts per staleness, and a window of the latest ones for the rates.

import type { DoneRecord, EpochRecord, ErrorRecord, HelloRecord, ProtocolRecord, StartRecord, StatusRecord, StepRecord, UpdateRecord, WalkStartRecord, WorkerRecord } from '../../shared/protocol.ts';
import { addUpdate, newStaleness, type StalenessCounts } from '../plot/runs.ts';

/** One run's points as columns; `ord[i]` is the point's arrival number within the run. */
export class Track {
  cols: number[][];
  ord: number[] = [];
  stride = 1;
  /** Points that arrived, kept or not. */
  seen = 0;

  constructor(readonly names: string[]) {
    this.cols = names.map(() => []);
  }

  get length(): number {
    return this.ord.length;
  }

  col(name: string): number[] {
    const i = this.names.indexOf(name);
    return i < 0 ? [] : this.cols[i];
  }

  push(values: number[]): void {
    const n = this.ord.length;
    // The previous point was kept only for being the latest: off the stride grid, it goes now.
    if (n > 0 && this.ord[n - 1] % this.stride !== 0) {
      this.ord.pop();
      for (const c of this.cols) c.pop();
    }
    this.ord.push(this.seen++);
    for (let i = 0; i < this.cols.length; i++) this.cols[i].push(i < values.length ? values[i] : NaN);
  }

  /** Doubles the stride: keeps the points on the new grid and the latest one. */
  thin(): void {
    this.stride *= 2;
    const n = this.ord.length;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (this.ord[i] % this.stride !== 0 && i !== n - 1) continue;
      this.ord[k] = this.ord[i];
      for (const c of this.cols) c[k] = c[i];
      k++;
    }
    this.ord.length = k;
    for (const c of this.cols) c.length = k;
  }

  clone(): Track {
    const t = new Track(this.names);
    t.cols = this.cols.map((c) => c.slice());
    t.ord = this.ord.slice();
    t.stride = this.stride;
    t.seen = this.seen;
    return t;
  }

  toJSON(): TrackData {
    return { names: this.names, cols: this.cols.map((c) => c.map((v) => (v === v ? v : null))), ord: this.ord, stride: this.stride, seen: this.seen };
  }

  static from(d: TrackData): Track {
    const t = new Track(d.names);
    t.cols = d.cols.map((c) => c.map((v) => (v === null ? NaN : v)));
    t.ord = d.ord.slice();
    t.stride = d.stride;
    t.seen = d.seen;
    return t;
  }
}

export interface TrackData {
  names: string[];
  /** NaN travels as null (JSON has no NaN). */
  cols: (number | null)[][];
  ord: number[];
  stride: number;
  seen: number;
}

export interface TrainTrack {
  kind: 'train';
  start: StartRecord | null;
  /** Columns: epoch, loss, val (NaN when absent), lr, b, w0 … wF-1; a parallel run's k0 … kP-1 (each worker's loss). */
  track: Track;
  last: EpochRecord | null;
  done: DoneRecord | null;
  /** Parallel runs only. */
  parallel?: ParallelState;
}

/** What a worker of a parallel run did last. */
export interface WorkerSeen {
  /** From its latest worker record: the epoch-equivalent, its loss on its shard, its counts. */
  epoch: number;
  loss: number | null;
  samples: number;
  updates: number;
  /** The epoch-equivalent of the latest worker record in which its update count grew; -1: never. */
  moved: number;
  /** From the update records: how many were its own, the `t` (µs) of its latest, the usual time between two (µs; 0 until it has two). */
  pushes: number;
  t: number;
  gap: number;
  /** The server said it left the run (a worker_state record), and has not said it came back. */
  gone?: boolean;
}

/** The latest update records of a run (at most RECENT_UPDATES, within RECENT_US of the latest one). */
export interface RecentUpdates {
  n: number;
  /** µs from the first of them to the latest. */
  span: number;
  /** Updates per second of the run's clock (simulated µs on the cluster); NaN when the window holds no span. */
  rate: number;
  /** Their staleness: mean and largest (NaN and 0 when there are none). */
  mean: number;
  max: number;
}

/** A parallel run as the page shows it: JSON-able, the same on the server and in the page. */
export interface ParallelState {
  workers: WorkerSeen[];
  /** Every update record counted by staleness (as `host plot` counts them). */
  staleness: StalenessCounts;
  /** The `t` of the latest update record (µs); -1 before any. */
  t: number;
  recent: RecentUpdates;
  /** The last two epoch records' server version and time (µs): the rate of a run without update records (threads). */
  epochs: { version: number; t: number }[];
}

export const RECENT_UPDATES = 512;
export const RECENT_US = 5_000_000;

function newParallel(workers: number): ParallelState {
  const w: WorkerSeen[] = [];
  for (let k = 0; k < workers; k++) w.push(newWorker());
  return { workers: w, staleness: newStaleness(), t: -1, recent: { n: 0, span: 0, rate: NaN, mean: NaN, max: 0 }, epochs: [] };
}

function newWorker(): WorkerSeen {
  return { epoch: -1, loss: null, samples: 0, updates: 0, moved: -1, pushes: 0, t: -1, gap: 0 };
}

function workerOf(p: ParallelState, k: number): WorkerSeen {
  while (p.workers.length <= k) p.workers.push(newWorker());
  return p.workers[k];
}

/**
 * The latest update records' times and staleness, in a ring: the window the rate and the recent
 * staleness are measured over. Only the server sees update records; it sends the page the figures.
 */
class UpdateWindow {
  private t = new Float64Array(RECENT_UPDATES);
  private s = new Float64Array(RECENT_UPDATES);
  private head = 0;
  private size = 0;

  clear(): void {
    this.head = this.size = 0;
  }

  add(t: number, staleness: number): void {
    this.t[this.head] = t;
    this.s[this.head] = staleness;
    this.head = (this.head + 1) % RECENT_UPDATES;
    if (this.size < RECENT_UPDATES) this.size++;
  }

  /** Rate over the window: the updates after its first one, over the time since it (so a sync round's simultaneous pushes count right). */
  figures(): RecentUpdates {
    if (this.size === 0) return { n: 0, span: 0, rate: NaN, mean: NaN, max: 0 };
    const newest = this.t[(this.head - 1 + RECENT_UPDATES) % RECENT_UPDATES];
    let n = 0;
    let sum = 0;
    let max = 0;
    let first = newest;
    for (let i = 0; i < this.size; i++) {
      const j = (this.head - 1 - i + 2 * RECENT_UPDATES) % RECENT_UPDATES;
      if (newest - this.t[j] > RECENT_US) break;
      first = this.t[j];
      sum += this.s[j];
      if (n === 0 || this.s[j] > max) max = this.s[j];
      n++;
    }
    let after = 0;
    for (let i = 0; i < n; i++) if (this.t[(this.head - 1 - i + 2 * RECENT_UPDATES) % RECENT_UPDATES] > first) after++;
    const span = newest - first;
    return { n, span, rate: span > 0 ? (after / span) * 1e6 : NaN, mean: sum / n, max };
  }
}

export interface WalkTrack {
  kind: 'walk';
  walk: WalkStartRecord | null;
  /** Columns: step, f, x0 (, x1). */
  track: Track;
  last: StepRecord | null;
  done: DoneRecord | null;
}

export type RunTrack = TrainTrack | WalkTrack;

export interface Snapshot {
  budget: number;
  runs: (Omit<TrainTrack, 'track'> | Omit<WalkTrack, 'track'>)[];
  tracks: TrackData[];
  hello: HelloRecord | null;
  status: StatusRecord | null;
  error: ErrorRecord | null;
  records: number;
}

const TRAIN_BASE = ['epoch', 'loss', 'val', 'lr', 'b'];

export class RecordStore {
  runs: RunTrack[] = [];
  hello: HelloRecord | null = null;
  status: StatusRecord | null = null;
  error: ErrorRecord | null = null;
  /** Records added, all kinds. */
  records = 0;
  private points = 0;
  /** The current run's latest update records (the server's only: pages get the figures). */
  private window = new UpdateWindow();
  /** Update records came since the recent figures were last measured. */
  private windowDirty = false;

  constructor(readonly budget = 1_000_000) {
    if (!(budget >= 16)) throw new RangeError('the budget must be at least 16 points');
  }

  get current(): RunTrack | null {
    return this.runs.length ? this.runs[this.runs.length - 1] : null;
  }

  /** Points kept across all runs (never more than the budget). */
  get size(): number {
    return this.points;
  }

  add(r: ProtocolRecord): void {
    this.records++;
    const cur = this.current;
    switch (r.type) {
      case 'start': {
        this.closeWindow();
        const run: TrainTrack = { kind: 'train', start: r, track: new Track(trainNames(r.features, r.parallel ? r.parallel.workers : 0)), last: null, done: null };
        if (r.parallel) run.parallel = newParallel(r.parallel.workers);
        this.runs.push(run);
        break;
      }
      case 'walk':
        this.closeWindow();
        this.runs.push({ kind: 'walk', walk: r, track: new Track(walkNames(r.start.length)), last: null, done: null });
        break;
      case 'epoch': {
        let run = cur;
        if (!run || run.kind !== 'train' || run.done) {
          run = { kind: 'train', start: null, track: new Track(trainNames(r.w.length)), last: null, done: null };
          this.runs.push(run);
        }
        run.track.push([r.epoch, r.loss, r.val_loss === undefined ? NaN : r.val_loss, r.lr, r.b, ...r.w]);
        run.last = r;
        if (run.parallel && r.version !== undefined && r.time_us !== undefined) {
          run.parallel.epochs.push({ version: r.version, t: r.time_us });
          if (run.parallel.epochs.length > 2) run.parallel.epochs.shift();
        }
        this.enforce();
        break;
      }
      case 'worker':
        this.addWorker(r);
        break;
      case 'update':
        this.addUpdate(r);
        break;
      case 'worker_state':
        workerOf(this.parallelRun().parallel, r.worker).gone = r.state === 'gone';
        break;
      case 'step': {
        let run = cur;
        if (!run || run.kind !== 'walk' || run.done) {
          run = { kind: 'walk', walk: null, track: new Track(walkNames(r.x.length)), last: null, done: null };
          this.runs.push(run);
        }
        run.track.push([r.step, r.f === null ? NaN : r.f, ...r.x]);
        run.last = r;
        this.enforce();
        break;
      }
      case 'done':
        if (cur) cur.done = r;
        this.closeWindow();
        break;
      case 'hello':
        this.hello = r;
        break;
      case 'status':
        this.status = r;
        break;
      case 'error':
        this.error = r;
        break;
      default:
        break;
    }
  }

  /** The training run that a parallel record belongs to, with its ParallelState (made here if its start record is missing). */
  private parallelRun(): TrainTrack & { parallel: ParallelState } {
    let run = this.current;
    if (!run || run.kind !== 'train' || run.done) {
      run = { kind: 'train', start: null, track: new Track(trainNames(1)), last: null, done: null };
      this.runs.push(run);
    }
    if (!run.parallel) run.parallel = newParallel(0);
    return run as TrainTrack & { parallel: ParallelState };
  }

  private addWorker(r: WorkerRecord): void {
    const run = this.parallelRun();
    const w = workerOf(run.parallel, r.worker);
    if (r.updates > w.updates) w.moved = r.epoch;
    w.epoch = r.epoch;
    w.loss = r.loss;
    w.samples = r.samples;
    w.updates = r.updates;
    // Its loss goes beside the epoch record it follows (the latest point), in its own column.
    const t = run.track;
    const col = t.names.indexOf('k' + r.worker);
    const n = t.length;
    if (col >= 0 && n > 0 && t.cols[0][n - 1] === r.epoch) t.cols[col][n - 1] = r.loss === null ? NaN : r.loss;
  }

  private addUpdate(r: UpdateRecord): void {
    const p = this.parallelRun().parallel;
    addUpdate(p.staleness, r);
    const w = workerOf(p, r.worker);
    if (w.pushes > 0) {
      const gap = Math.max(0, r.t - w.t);
      w.gap = w.pushes === 1 ? gap : 0.8 * w.gap + 0.2 * gap;
    }
    w.pushes++;
    w.t = r.t;
    if (r.t > p.t) p.t = r.t;
    this.window.add(r.t, r.staleness);
    this.windowDirty = true;
  }

  /** The current run's recent figures, measured now (the server calls it before it sends them). */
  private refresh(): void {
    const cur = this.current;
    if (!this.windowDirty || !cur || cur.kind !== 'train' || !cur.parallel) return;
    cur.parallel.recent = this.window.figures();
    this.windowDirty = false;
  }

  /** The run is over (done, or another began): its figures stay as they were at its end. */
  private closeWindow(): void {
    this.refresh();
    this.window.clear();
    this.windowDirty = false;
  }

  /** The current run's parallel state with its recent figures measured now; null when it has none. */
  parallelState(): { run: number; parallel: ParallelState } | null {
    this.refresh();
    const cur = this.current;
    return cur && cur.kind === 'train' && cur.parallel ? { run: this.runs.length - 1, parallel: cur.parallel } : null;
  }

  /** A page's copy: the server's state of run `run` (sent with the records, in order). */
  setParallel(run: number, parallel: ParallelState): void {
    const r = this.runs[run];
    if (r && r.kind === 'train') r.parallel = parallel;
  }

  /** Thins the longest tracks until the points fit the budget. */
  private enforce(): void {
    // A push either added a point or replaced the latest one: count again.
    this.recount();
    while (this.points > this.budget) {
      let longest = this.runs[0].track;
      for (const run of this.runs) if (run.track.length > longest.length) longest = run.track;
      if (longest.length <= 2) break;
      longest.thin();
      this.recount();
    }
  }

  private recount(): void {
    let n = 0;
    for (const run of this.runs) n += run.track.length;
    this.points = n;
  }

  /** Everything, as JSON-able data, thinned to at most `maxPoints` points (for a page that just connected). */
  snapshot(maxPoints = this.budget): Snapshot {
    this.refresh();
    const copy = new RecordStore(Math.max(16, Math.min(this.budget, maxPoints)));
    copy.runs = this.runs.map((run) => ({ ...run, track: run.track.clone() }) as RunTrack);
    copy.recount();
    copy.enforce();
    return {
      budget: this.budget,
      runs: copy.runs.map((run) => {
        const { track: _t, ...rest } = run;
        return rest;
      }),
      tracks: copy.runs.map((run) => run.track.toJSON()),
      hello: this.hello,
      status: this.status,
      error: this.error,
      records: this.records,
    };
  }

  /** A store holding a snapshot, with its own (usually smaller) budget. */
  static from(s: Snapshot, budget: number): RecordStore {
    const st = new RecordStore(budget);
    st.runs = s.runs.map((run, i) => ({ ...run, track: Track.from(s.tracks[i]) }) as RunTrack);
    st.hello = s.hello;
    st.status = s.status;
    st.error = s.error;
    st.records = s.records;
    st.recount();
    st.enforce();
    return st;
  }
}

function trainNames(features: number, workers = 0): string[] {
  const names = TRAIN_BASE.slice();
  for (let i = 0; i < features; i++) names.push('w' + i);
  for (let k = 0; k < workers; k++) names.push('k' + k);
  return names;
}

function walkNames(dims: number): string[] {
  const names = ['step', 'f'];
  for (let i = 0; i < dims; i++) names.push('x' + i);
  return names;
}
