// The page's view of a parallel run (`host distributed --web`): the global loss drawn bold over each
// worker's loss on its shard, each worker's state, the pushes per second and the staleness of the
// updates. The numbers come from the store's ParallelState (the server counts the update records
// and sends their summary; the page never sees them one by one). No DOM here but the two render
// functions at the end, so that tests can import the rest.

import type uPlot from 'uplot';
import { optionName } from '../../../shared/config.ts';
import { stalenessPlot } from '../../plot/parallel.ts';
import { PALETTE } from '../../plot/svg.ts';
import type { ParallelState, RunTrack, TrainTrack } from '../store.ts';
import { gaps } from './format.ts';

export type ParallelTrack = TrainTrack & { parallel: ParallelState };

/** Workers with a colour and a legend entry each; more share one grey and one entry (as `host plot` draws them). */
export const LABELLED_WORKERS = 8;
export const GLOBAL_COLOR = '#222222';
export const WORKER_GREY = '#9aa7b8';
/** A worker is waiting once it has pushed nothing for this many times its usual interval between pushes. */
export const WAITING_AFTER = 3;

export function isParallelRun(run: RunTrack | null): run is ParallelTrack {
  return run !== null && run.kind === 'train' && run.parallel !== undefined;
}

export function workerCount(run: ParallelTrack): number {
  const declared = run.start && run.start.parallel ? run.start.parallel.workers : 0;
  return Math.max(declared, run.parallel.workers.length);
}

/** "board 2" on a run of boards, "worker 2" otherwise. */
export function workerName(run: ParallelTrack, k: number): string {
  return `${run.start && run.start.source === 'board' ? 'board' : 'worker'} ${k + 1}`;
}

/** A board's port (or "laptop:port"), from the start record's `parallel.ports`. */
export function workerPort(run: ParallelTrack, k: number): string | undefined {
  const ports = run.start && run.start.parallel ? run.start.parallel.ports : undefined;
  return Array.isArray(ports) && typeof ports[k] === 'string' ? (ports[k] as string) : undefined;
}

export function workerColor(run: ParallelTrack, k: number): string {
  return workerCount(run) > LABELLED_WORKERS ? WORKER_GREY : PALETTE[k % PALETTE.length];
}

export type WorkerState = 'training' | 'waiting' | 'gone' | 'done';

/**
 * Each worker's state, from what the records say and nothing more:
 * - training: its updates keep coming (its latest is no older than WAITING_AFTER times its usual
 *   interval between two, measured on the run's clock against the latest update of any worker);
 *   without update records (threads), its count of updates grew in its latest worker record;
 * - waiting: it has not pushed yet, or not for that long (a warm start, a barrier, a slow or silent board);
 * - gone: the server said so (a worker_state record, until one says it is back); or, for a run
 *   without those records, the run is over, its done record counts lost boards, and it is one of
 *   the waiting ones (the longest silent first);
 * - done: the run is over, and it was not lost.
 */
export function workerStates(run: ParallelTrack): WorkerState[] {
  const p = workerCount(run);
  const par = run.parallel;
  const seen = (k: number) => par.workers[k] ?? { pushes: 0, t: -1, gap: 0, moved: -1 };
  const states: WorkerState[] = [];
  if (par.staleness.n > 0) {
    const gaps = par.workers.map((w) => w.gap).filter((g) => g > 0).sort((a, b) => a - b);
    const usual = gaps.length > 0 ? gaps[gaps.length >> 1] : 0;
    for (let k = 0; k < p; k++) {
      const w = seen(k);
      const limit = WAITING_AFTER * Math.max(w.gap, usual);
      states.push(w.pushes === 0 || (limit > 0 && par.t - w.t > limit) ? 'waiting' : 'training');
    }
  } else {
    const latest = run.last ? run.last.epoch : -1;
    for (let k = 0; k < p; k++) states.push(seen(k).moved >= 0 && seen(k).moved === latest ? 'training' : 'waiting');
  }
  // The server's own word first: a worker it said is gone is gone, one it said is back is not.
  const told = par.workers.some((w) => w && w.gone !== undefined);
  if (told) {
    const said = states.map((st, k) => (seen(k) as { gone?: boolean }).gone ? 'gone' : st);
    return run.done ? said.map((st) => (st === 'gone' ? 'gone' : 'done')) : said;
  }
  if (!run.done) return states;
  const counts = run.done.counts;
  const lost = counts && counts.lost_boards > 0 ? counts.lost_boards : 0;
  const silent = [...Array(p).keys()].filter((k) => states[k] === 'waiting');
  silent.sort((a, b) => (seen(a).pushes === 0 ? -Infinity : seen(a).t) - (seen(b).pushes === 0 ? -Infinity : seen(b).t) || a - b);
  const gone = new Set(silent.slice(0, lost));
  return states.map((_, k) => (gone.has(k) ? 'gone' : 'done'));
}

export interface WorkerView {
  name: string;
  port?: string;
  color: string;
  state: WorkerState;
  /** Its loss on its shard at its own copy (latest worker record); null: not finite, or none yet. */
  loss: number | null;
  /** Updates it sent (update records counted; else its latest worker record's count). */
  pushes: number;
  /** µs since its latest update, on the run's clock (NaN without update records). */
  idle: number;
}

export function workerViews(run: ParallelTrack): WorkerView[] {
  const states = workerStates(run);
  const par = run.parallel;
  return states.map((state, k) => {
    const w = par.workers[k];
    const withUpdates = par.staleness.n > 0;
    return {
      name: workerName(run, k),
      port: workerPort(run, k),
      color: workerColor(run, k),
      state,
      loss: w && w.epoch >= 0 ? w.loss : null,
      pushes: w ? (withUpdates ? w.pushes : w.updates) : 0,
      idle: withUpdates && w && w.pushes > 0 ? par.t - w.t : NaN,
    };
  });
}

export interface Headline {
  /** Per second of the run's clock; NaN when not known yet. */
  rate: number;
  rateLabel: string;
  /** The recent updates' staleness (NaN, 0 without update records). */
  staleMean: number;
  staleMax: number;
  /** Whether the run has update records (threads have none: no staleness to show). */
  updates: boolean;
}

/**
 * The big numbers: pushes per second over the latest updates (the simulated cluster's clock is
 * simulated time, and says so), and their staleness. A run without update records (threads) gets
 * its updates per second from the server versions of its last two epoch records.
 */
export function headline(run: ParallelTrack): Headline {
  const par = run.parallel;
  if (par.staleness.n > 0) {
    const sim = run.start !== null && run.start.source === 'cluster';
    return { rate: par.recent.rate, rateLabel: sim ? 'pushes/s (sim. time)' : 'pushes/s', staleMean: par.recent.mean, staleMax: par.recent.max, updates: true };
  }
  const e = par.epochs;
  const rate = e.length === 2 && e[1].t > e[0].t ? ((e[1].version - e[0].version) / (e[1].t - e[0].t)) * 1e6 : NaN;
  return { rate, rateLabel: 'updates/s', staleMean: NaN, staleMax: 0, updates: false };
}

/** 6.2, 255, 14.5k, 1.25M. */
export function fmtRate(v: number): string {
  if (!isFinite(v)) return '–';
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (v >= 100) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

/** A mean staleness to one decimal. */
export function fmtStale(v: number): string {
  return isFinite(v) ? String(Math.round(v * 10) / 10) : '–';
}

/** µs as a person reads them: 850 µs, 12.3 ms, 4.56 s. */
export function fmtMicros(us: number): string {
  if (!isFinite(us)) return '';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${Number((us / 1000).toPrecision(3))} ms`;
  return `${Number((us / 1e6).toPrecision(3))} s`;
}

/**
 * The loss chart's series and columns: each worker's loss on its shard (thin, drawn first) under
 * the global loss (bold, dark), and the global validation loss dashed when the run has one.
 */
export function parallelLoss(run: ParallelTrack, log: boolean): { series: uPlot.Series[]; data: (number | null)[][]; key: string } {
  const t = run.track;
  const p = workerCount(run);
  const series: uPlot.Series[] = [];
  const data: (number | null)[][] = [t.col('epoch')];
  for (let k = 0; k < p; k++) {
    if (t.names.indexOf('k' + k) < 0) continue;
    series.push({ label: workerName(run, k), stroke: workerColor(run, k), width: 1.5 });
    data.push(gaps(t.col('k' + k), log));
  }
  series.push({ label: 'global', stroke: GLOBAL_COLOR, width: 4 });
  data.push(gaps(t.col('loss'), log));
  const val = t.col('val');
  if (val.length > 0 && (val[0] === val[0] || val[val.length - 1] === val[val.length - 1])) {
    series.push({ label: 'global (validation)', stroke: GLOBAL_COLOR, width: 3, dash: [10, 6] });
    data.push(gaps(val, log));
  }
  return { series, data, key: `parallel|${log}|${series.map((s) => s.label).join(',')}` };
}

/** The settings of a parallel run that the training settings do not show: the algorithm, the workers, its own options. */
export function parallelSettings(run: ParallelTrack): [string, string][] {
  const par = run.start && run.start.parallel;
  if (!par) return [];
  const where: Record<string, string> = { cluster: 'simulated cluster', threads: 'threads', board: 'boards' };
  const source = run.start ? where[run.start.source] ?? run.start.source : '';
  const rows: [string, string][] = [
    ['algorithm', par.algorithm],
    ['workers', `${par.workers}${source ? ` (${source})` : ''}`],
  ];
  if (Array.isArray(par.ports)) rows.push(['boards', (par.ports as unknown[]).join(', ')]);
  if (typeof par.round === 'number') rows.push(['round', `${par.round} epoch${par.round === 1 ? '' : 's'} a board`]);
  for (const [key, value] of Object.entries(par)) {
    if (['algorithm', 'workers', 'ports', 'round'].indexOf(key) >= 0) continue;
    const name = optionName(key);
    rows.push([name, Array.isArray(value) ? value.join(', ') : typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)]);
  }
  return rows;
}

// ------------------------------------------------------------------ DOM

/** Past LABELLED_WORKERS workers, the legend keeps one grey entry for them all. */
export function trimLegend(root: HTMLElement, run: ParallelTrack): void {
  const p = workerCount(run);
  if (p <= LABELLED_WORKERS) return;
  let first = true;
  root.querySelectorAll('.u-legend .u-series').forEach((row) => {
    const label = row.querySelector('.u-label');
    if (!label || !/^(worker|board) \d+$/.test(label.textContent || '')) return;
    if (first) label.textContent = `${workerName(run, 0).split(' ')[0]}s (${p})`;
    else (row as HTMLElement).style.display = 'none';
    first = false;
  });
}

let workersKey = '';
/** The workers' table: a row each, with its colour, state, loss and pushes. */
export function renderWorkers(body: HTMLElement, views: WorkerView[], fmtLoss: (v: number | null) => string): void {
  const key = JSON.stringify(views);
  if (key === workersKey && body.childElementCount === views.length) return;
  workersKey = key;
  body.textContent = '';
  for (const v of views) {
    const tr = document.createElement('tr');
    tr.dataset.state = v.state;
    const name = document.createElement('td');
    name.className = 'name';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = v.color;
    name.append(swatch, v.name);
    if (v.port) {
      const port = document.createElement('span');
      port.className = 'port';
      port.textContent = v.port;
      name.append(port);
    }
    const state = document.createElement('td');
    state.className = 'state';
    state.textContent = v.state;
    // How long a waiting worker has been silent, on the run's clock.
    if (v.state === 'waiting' && isFinite(v.idle)) {
      const idle = document.createElement('span');
      idle.className = 'idle';
      idle.textContent = `for ${fmtMicros(v.idle)}`;
      state.append(idle);
    }
    const loss = document.createElement('td');
    loss.className = 'num loss';
    loss.textContent = fmtLoss(v.loss);
    const pushes = document.createElement('td');
    pushes.className = 'num pushes';
    pushes.textContent = v.pushes.toLocaleString('en-US');
    tr.append(name, state, loss, pushes);
    body.append(tr);
  }
}

let staleKey = '';
let staleDrawn = 0;
/**
 * The staleness histogram of every update so far (the figure code of `host plot`, so that the page
 * and the figure look alike), redrawn at most five times a second. Returns whether it is drawn now.
 */
export function renderStaleness(el: HTMLElement, run: ParallelTrack, again: () => void): void {
  const s = run.parallel.staleness;
  const width = el.clientWidth > 420 ? 520 : 380;
  const key = `${s.n}|${width}`;
  if (key === staleKey) return;
  const now = performance.now();
  if (now - staleDrawn < 200) {
    setTimeout(again, 200 - (now - staleDrawn));
    return;
  }
  staleKey = key;
  staleDrawn = now;
  const plot = stalenessPlot([{ label: 'updates', color: PALETTE[0], staleness: s }], width, Math.round(width * 0.5), 'page-staleness');
  el.innerHTML = plot.open + '\n' + plot.marks.join('\n') + '\n' + plot.close;
}
