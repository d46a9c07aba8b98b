// Records → what the user reads. Three renderings of the same record stream:
//   ndjson  the record lines themselves (what run files hold; for pipes and scripts)
//   csv     one row per epoch (or per walk step), for spreadsheets
//   text    the seed scripts' "Epoch: 0 W= 1 Loss= 4.6666665", plus a clear final summary
// The formatter is pure (lines in, lines out) so that run, train, monitor and compare can share it.
//
// Parallel runs (protocol 3) in text: one line per epoch-equivalent with the global parameters, the
// server's version, the staleness of the updates applied since the previous epoch line, and each
// worker's loss on its shard. The worker records follow their epoch record, so its line waits for
// the p-th of them (p: the start record's parallel.workers), or for the next record that is not a
// worker record. Update records print nothing of their own; csv leaves worker and update records out.
import { formatF32, parseRecord, stripAnsi, type DoneRecord, type EpochRecord, type ProtocolRecord, type StartRecord } from '../shared/protocol.ts';

import { withAdvice } from './advice.ts';

export const FORMATS = ['text', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Text for a person at a terminal; NDJSON when the output goes to a pipe or a file. */
export function defaultFormat(stream: { isTTY?: boolean } = process.stdout): OutputFormat {
  return stream.isTTY ? 'text' : 'ndjson';
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** One value bare, several as a list: the seeds print `W= 1.09`, two features print `W= [1.09, 0.5]`. */
function vector(v: readonly number[]): string {
  return v.length === 1 ? formatF32(v[0]) : `[${v.map(formatF32).join(', ')}]`;
}

/** A mean staleness to one decimal. */
function oneDecimal(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** A worker's loss, short: four significant digits (the epoch line's own numbers stay exact). */
function shortLoss(x: number | null): string {
  return x === null || !isFinite(x) ? 'nan' : String(Number(x.toPrecision(4)));
}

/** µs as a person reads them: 850 µs, 12.3 ms, 4.56 s. */
function micros(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${Number((us / 1000).toPrecision(4))} ms`;
  return `${Number((us / 1e6).toPrecision(4))} s`;
}

/** Singular and plural of the done record's known counts. */
const COUNT_WORDS: Record<string, [string, string]> = {
  messages: ['message', 'messages'],
  pushes: ['push', 'pushes'],
  fetches: ['fetch', 'fetches'],
  updates: ['update', 'updates'],
  lost: ['lost update', 'lost updates'],
};

/** The done record's counts in words, known ones first in a fixed order: "800 messages, 400 pushes, …". */
function countsText(counts: Record<string, number>, source: string | null): string {
  const parts: string[] = [];
  const n = (v: number) => v.toLocaleString('en-US');
  // A count of 0 says nothing (hogwild sends no messages) except for lost updates.
  for (const k of Object.keys(COUNT_WORDS)) if (counts[k] !== undefined && (counts[k] !== 0 || k === 'lost' || k === 'updates')) parts.push(`${n(counts[k])} ${COUNT_WORDS[k][counts[k] === 1 ? 0 : 1]}`);
  for (const k of Object.keys(counts)) {
    if (k in COUNT_WORDS || k === 'time_us') continue;
    parts.push(`${k.replace(/_/g, ' ')} ${n(counts[k])}`);
  }
  if (counts.time_us !== undefined) parts.push(`${micros(counts.time_us)} ${source === 'cluster' ? 'simulated time' : 'time'}`);
  return parts.join(', ');
}

/** Staleness of the updates seen: the count, sum and largest. */
interface Staleness {
  n: number;
  sum: number;
  max: number;
}

function noStaleness(): Staleness {
  return { n: 0, sum: 0, max: 0 };
}

function stalenessText(s: Staleness): string {
  return `staleness avg ${oneDecimal(s.sum / s.n)} max ${s.max}`;
}

/** A parallel run's epoch line that waits for its worker records. */
interface PendingEpoch {
  record: EpochRecord;
  /** The updates applied since the previous epoch record. */
  staleness: Staleness;
  /** losses[k]: worker k's, once its record has come. */
  losses: (number | null | undefined)[];
  received: number;
}

export class RecordFormatter {
  private start: StartRecord | null = null;
  private csvColumns = -1; // columns of the CSV header printed last (-1: none yet)
  // Parallel runs, text only:
  private pending: PendingEpoch | null = null;
  private sinceEpoch: Staleness = noStaleness();
  private wholeRun: Staleness = noStaleness();

  /**
   * What a diverged run should try when the cause is the data (host/advice.ts divergenceAdvice):
   * it takes the place of the engine's "try a smaller --lr" in the text. '' leaves that as it is.
   */
  divergenceAdvice: string;

  constructor(
    readonly format: OutputFormat,
    opts: { divergenceAdvice?: string } = {},
  ) {
    this.divergenceAdvice = opts.divergenceAdvice ?? '';
  }

  /**
   * The lines still held back: a parallel run's epoch line waiting for its worker records. Call at
   * the end of a stream that may stop without a done record (the formatter flushes at done itself).
   */
  flush(): string[] {
    const p = this.pending;
    if (p === null) return [];
    this.pending = null;
    return [this.epochText(p.record, p)];
  }

  /** The output lines for one input line; none for lines that are not records or that this format leaves out. */
  line(input: string): string[] {
    const record = parseRecord(input);
    if (record === null) return [];
    if (this.format === 'ndjson') return [stripAnsi(input).trim()];
    return this.format === 'csv' ? this.csv(record) : this.text(record);
  }

  /** Same as line(), for a record already parsed. */
  record(record: ProtocolRecord): string[] {
    if (this.format === 'ndjson') return [JSON.stringify(record)];
    return this.format === 'csv' ? this.csv(record) : this.text(record);
  }

  private csv(r: ProtocolRecord): string[] {
    const out: string[] = [];
    if (r.type === 'epoch') {
      const cols = r.w.length;
      if (cols !== this.csvColumns) {
        this.csvColumns = cols;
        out.push(['epoch', ...r.w.map((_, i) => `w${i + 1}`), 'b', 'loss', 'val_loss', 'lr'].join(','));
      }
      out.push([String(r.epoch), ...r.w.map(formatF32), formatF32(r.b), formatF32(r.loss), r.val_loss === undefined ? '' : formatF32(r.val_loss), formatF32(r.lr)].join(','));
    } else if (r.type === 'step') {
      // Walk steps get their own header; negative counts keep them apart from epoch headers.
      const cols = -1 - r.x.length;
      if (cols !== this.csvColumns) {
        this.csvColumns = cols;
        out.push(['step', ...r.x.map((_, i) => `x${i + 1}`), 'f'].join(','));
      }
      out.push([String(r.step), ...r.x.map(formatF32), formatF32(r.f)].join(','));
    }
    return out;
  }

  /** A parallel run's epoch line waits for its workers; any record but theirs lets it out first. */
  private text(r: ProtocolRecord): string[] {
    if (r.type === 'worker') return this.worker(r.epoch, r.worker, r.loss);
    // The command says it on stderr as it happens (a board gone, back): the text would say it twice.
    if (r.type === 'worker_state') return [];
    const out = this.flush();
    out.push(...this.textOf(r));
    return out;
  }

  private textOf(r: ProtocolRecord): string[] {
    switch (r.type) {
      case 'start': {
        this.start = r;
        this.sinceEpoch = noStaleness();
        this.wholeRun = noStaleness();
        const c = r.config;
        const batch = c.batch === 0 ? 'full batch' : c.batch === 1 ? 'per-sample (batch 1)' : `batch ${c.batch}`;
        const val = r.val > 0 ? ` (${r.train} train, ${r.val} validation)` : '';
        const par = r.parallel ? `${r.parallel.algorithm} with ${plural(r.parallel.workers, 'worker')}, ` : '';
        const source = r.source === 'cluster' ? 'simulated cluster' : r.source;
        return [`Training on ${plural(r.samples, 'sample')} × ${plural(r.features, 'feature')}${val}: ${par}${c.optimizer}, lr ${formatF32(c.lr)}, ${batch}, ${plural(c.epochs, 'epoch')}${c.bias ? '' : ', no bias'} (${source})`];
      }
      case 'epoch': {
        const parallel = (this.start !== null && this.start.parallel !== undefined) || r.version !== undefined;
        if (!parallel) return [this.epochText(r, null)];
        this.pending = { record: r, staleness: this.sinceEpoch, losses: [], received: 0 };
        this.sinceEpoch = noStaleness();
        return [];
      }
      case 'update': {
        for (const s of [this.sinceEpoch, this.wholeRun]) {
          if (s.n === 0 || r.staleness > s.max) s.max = r.staleness;
          s.n++;
          s.sum += r.staleness;
        }
        return [];
      }
      case 'done': {
        const out = [this.doneText(r)];
        const parts: string[] = [];
        if (r.counts) parts.push(countsText(r.counts, this.start ? this.start.source : null));
        if (this.wholeRun.n > 0) parts.push(`${stalenessText(this.wholeRun)} over ${plural(this.wholeRun.n, 'update')}`);
        if (parts.length) out.push(`Counts: ${parts.join('; ')}`);
        this.sinceEpoch = noStaleness();
        this.wholeRun = noStaleness();
        return out;
      }
      case 'walk':
        return [`Walk: ${r.fn} with ${r.optimizer}, lr ${formatF32(r.lr)}, ${plural(r.steps, 'step')} from ${vector(r.start)} (${r.source})`];
      case 'step':
        return [`Step: ${r.step} X= ${vector(r.x)} F= ${formatF32(r.f)}`];
      case 'hello':
        return [
          `Board: pico-trainer ${r.firmware} on ${r.runtime}, protocol ${r.protocol}, room for ${plural(r.capacity.samples, 'sample')} × ${plural(r.capacity.features, 'feature')}, heap ${r.heap.used}/${r.heap.total} bytes`,
        ];
      case 'status':
        return [`Status: ${r.state}, epoch ${r.epoch}, ${plural(r.samples, 'sample')} × ${plural(r.features, 'feature')}`];
      case 'error':
        return [`Error (${r.code}): ${r.message}`];
      default:
        return []; // acks are the link's business
    }
  }

  /** A worker record: its loss joins the waiting epoch line, which goes out with the p-th worker. */
  private worker(epoch: number, k: number, loss: number | null): string[] {
    const p = this.pending;
    if (p === null || p.record.epoch !== epoch) return [];
    if (p.losses[k] === undefined) p.received++;
    p.losses[k] = loss;
    const workers = this.start && this.start.parallel ? this.start.parallel.workers : Infinity;
    return p.received >= workers ? this.flush() : [];
  }

  /** "Epoch: 3 W= [1.99, 0.5] B= 0.01 Loss= 0.0012", and for a parallel run "  v 48  staleness avg 2.9 max 3  workers …". */
  private epochText(r: EpochRecord, par: PendingEpoch | null): string {
    const showBias = this.start === null ? r.b !== 0 : this.start.config.bias;
    const showLr = this.start !== null && this.start.config.schedule !== 'constant';
    let s = `Epoch: ${r.epoch} W= ${vector(r.w)}`;
    if (showBias) s += ` B= ${formatF32(r.b)}`;
    s += ` Loss= ${formatF32(r.loss)}`;
    if (r.val_loss !== undefined) s += ` Val= ${formatF32(r.val_loss)}`;
    if (showLr) s += ` LR= ${formatF32(r.lr)}`;
    if (par === null) return s;
    if (r.version !== undefined) s += `  v ${r.version}`;
    if (par.staleness.n > 0) s += `  ${stalenessText(par.staleness)}`;
    if (par.received > 0) {
      const losses: string[] = [];
      const p = Math.max(par.losses.length, this.start && this.start.parallel ? this.start.parallel.workers : 0);
      for (let k = 0; k < p; k++) losses.push(par.losses[k] === undefined ? '-' : shortLoss(par.losses[k] as number | null));
      s += `  workers ${losses.join(' ')}`;
    }
    return s;
  }

  private doneText(r: DoneRecord): string {
    const bias = this.start === null ? r.b !== 0 : this.start.config.bias;
    const params = `W= ${vector(r.w)}${bias ? ` B= ${formatF32(r.b)}` : ''} Loss= ${r.loss === null ? 'not finite' : formatF32(r.loss)}`;
    const note = r.message ? ` (${r.message})` : '';
    switch (r.reason) {
      case 'epochs':
        return `Done: ${plural(r.epoch, 'epoch')}. ${params}${note}`;
      case 'early_stop': {
        // The engine's message says why (which loss stopped improving, which epoch was restored).
        const best = r.best_epoch === undefined ? '' : `; parameters restored from the best epoch, ${r.best_epoch}`;
        const patience = this.start ? ` (no improvement for ${plural(this.start.config.patience, 'epoch')}${best})` : '';
        return `Done: stopped early at epoch ${r.epoch}${r.message ? `: ${r.message}` : patience}. ${params}`;
      }
      case 'diverged':
        return `Diverged at epoch ${r.epoch}: ${withAdvice(r.message || 'the loss is no longer a finite number; try a smaller --lr', this.divergenceAdvice)}.`;
      case 'stopped':
        return `Stopped at epoch ${r.epoch}. ${params}${note}`;
    }
  }
}
