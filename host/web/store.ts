// What the dashboard remembers of a run, on the server and in the page alike: the records as
// columns of numbers, at most `budget` points in all. Over budget, the longest track keeps only
// every 2nd (then 4th, 8th …) point it has seen, and always its latest one, so a long run keeps its
// whole shape in bounded memory. No Node or DOM APIs: the page bundles this file.

import type { DoneRecord, EpochRecord, ErrorRecord, HelloRecord, ProtocolRecord, StartRecord, StatusRecord, StepRecord, WalkStartRecord } from '../../shared/protocol.ts';

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
  /** Columns: epoch, loss, val (NaN when absent), lr, b, w0 … wF-1. */
  track: Track;
  last: EpochRecord | null;
  done: DoneRecord | null;
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
      case 'start':
        this.runs.push({ kind: 'train', start: r, track: new Track(trainNames(r.features)), last: null, done: null });
        break;
      case 'walk':
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
        this.enforce();
        break;
      }
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

function trainNames(features: number): string[] {
  const names = TRAIN_BASE.slice();
  for (let i = 0; i < features; i++) names.push('w' + i);
  return names;
}

function walkNames(dims: number): string[] {
  const names = ['step', 'f'];
  for (let i = 0; i < dims; i++) names.push('x' + i);
  return names;
}
