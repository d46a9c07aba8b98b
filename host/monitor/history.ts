// This session's runs, for the page's history: what each run was (its number, settings, label in
// a comparison), how it went (epochs, last loss, how it ended) and where its file is. The watchers
// that write run files (run-monitor.ts, run-log.ts) tell it about each run as they open its file.
import type { DoneRecord, ProtocolRecord, StartRecord, WalkStartRecord } from '../../shared/protocol.ts';

export interface HistoryEntry {
  /** This session's number for the entry (the page's handle), and the board's run number. */
  id: number;
  run: number | null;
  kind: 'train' | 'walk';
  /** "sgd, lr 0.01, batch 1, 100 epochs", or the walk's. */
  settings: string;
  config: StartRecord['config'] | null;
  /** The comparison it belongs to and its label there ("adam:lr=0.05"). */
  group?: string;
  label?: string;
  state: 'running' | 'done';
  epoch: number;
  loss: number | null;
  reason?: DoneRecord['reason'];
  file: string;
  started: string;
}

function describe(r: StartRecord | WalkStartRecord): string {
  if (r.type === 'walk') return `walk on ${r.fn}: ${r.optimizer}, lr ${r.lr}, ${r.steps} steps`;
  const c = r.config;
  return `${c.optimizer}, lr ${c.lr}, ${c.batch === 0 ? 'full batch' : c.batch === 1 ? 'per sample' : `batch ${c.batch}`}, ${c.epochs} epochs`;
}

export class RunHistory {
  readonly entries: HistoryEntry[] = [];
  private current: HistoryEntry | null = null;
  /** Labels for the next runs (a comparison from the page), taken in order by their start records. */
  private planned: { group: string; label: string }[] = [];

  /** The next runs belong to comparison `group`, labelled in order. */
  plan(group: string, labels: string[]): void {
    this.planned.push(...labels.map((label) => ({ group, label })));
  }

  /** A run began (its start record) and its records go to `file`. */
  opened(r: StartRecord | WalkStartRecord, file: string): void {
    const plan = r.type === 'start' ? this.planned.shift() : undefined;
    this.current = {
      id: this.entries.length + 1,
      run: r.type === 'start' ? (r.run ?? null) : null,
      kind: r.type === 'start' ? 'train' : 'walk',
      settings: describe(r),
      config: r.type === 'start' ? r.config : null,
      ...(plan ?? {}),
      state: 'running',
      epoch: 0,
      loss: null,
      file,
      started: new Date().toISOString(),
    };
    this.entries.push(this.current);
  }

  /** Every later record of the current run. */
  record(r: ProtocolRecord): void {
    const e = this.current;
    if (!e) return;
    if (r.type === 'epoch') {
      e.epoch = r.epoch;
      e.loss = r.loss;
    } else if (r.type === 'done') {
      e.state = 'done';
      e.epoch = r.epoch;
      e.loss = r.loss;
      e.reason = r.reason;
      this.current = null;
    }
  }

  /** The run was cut off without a done record (the board reset or went away). */
  lost(): void {
    if (this.current) this.current.state = 'done';
    this.current = null;
  }
}
