// Records → runs: what a figure draws. A `start` record opens a training run and a `walk` record
// opens a descent walk; epoch and step records belong to the run opened last. Kept as columns
// (numbers only) so that a file of a million epochs stays small in memory. No Node APIs here.

import type { DoneRecord, ProtocolRecord, StartRecord, WalkStartRecord } from '../../shared/protocol.ts';

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
        const run = this.current && this.current.kind === 'train' && !this.current.done ? this.current : this.open(newTrain(this.name, null));
        run.epoch.push(r.epoch);
        run.loss.push(r.loss);
        run.val.push(r.val_loss === undefined ? NaN : r.val_loss);
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

  private open<R extends Run>(run: R): R {
    this.runs.push(run);
    this.current = run;
    return run;
  }
}

export function runsFromRecords(records: Iterable<ProtocolRecord>, name = 'run'): Run[] {
  const c = new RunCollector(name);
  for (const r of records) c.add(r);
  return c.runs.filter((run) => (run.kind === 'train' ? run.epoch.length > 0 : run.f.length > 0));
}

/** The walk's dimension: from its header's start point, else from its first step. */
export function walkDims(run: WalkRun): number {
  return run.walk ? run.walk.start.length : run.x.length;
}

/**
 * Legend labels, the shortest that tell the runs apart: the optimizer; else the optimizer and its
 * learning rate; else the optimizer and the file name; else a counter. Returned in the runs' order.
 */
export function runLabels(runs: Run[]): string[] {
  const opt = (run: Run) => (run.kind === 'train' ? (run.start ? run.start.config.optimizer : '') : run.walk ? run.walk.optimizer : '');
  const lr = (run: Run) => (run.kind === 'train' ? (run.start ? run.start.config.lr : NaN) : run.walk ? run.walk.lr : NaN);
  const unique = (ls: string[]) => new Set(ls).size === ls.length;
  const tries = [
    runs.map((r) => opt(r) || r.name),
    runs.map((r) => (opt(r) ? `${opt(r)}, lr ${Number(lr(r).toPrecision(4))}` : r.name)),
    runs.map((r) => (opt(r) ? `${opt(r)} · ${r.name}` : r.name)),
  ];
  for (const t of tries) if (unique(t)) return t;
  const last = tries[2];
  const seen = new Map<string, number>();
  return last.map((l) => {
    const n = (seen.get(l) || 0) + 1;
    seen.set(l, n);
    return last.indexOf(l) !== last.lastIndexOf(l) ? `${l} #${n}` : l;
  });
}
