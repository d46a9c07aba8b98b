// Records → what the user reads. Three renderings of the same record stream:
//   ndjson  the record lines themselves (what run files hold; for pipes and scripts)
//   csv     one row per epoch (or per walk step), for spreadsheets
//   text    the seed scripts' "Epoch: 0 W= 1 Loss= 4.6666665", plus a clear final summary
// The formatter is pure (lines in, lines out) so that run, train, monitor and compare can share it.
import { formatF32, parseRecord, stripAnsi, type DoneRecord, type ProtocolRecord, type StartRecord } from '../shared/protocol.ts';

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

export class RecordFormatter {
  private start: StartRecord | null = null;
  private csvColumns = -1; // columns of the CSV header printed last (-1: none yet)

  constructor(readonly format: OutputFormat) {}

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

  private text(r: ProtocolRecord): string[] {
    switch (r.type) {
      case 'start': {
        this.start = r;
        const c = r.config;
        const batch = c.batch === 0 ? 'full batch' : c.batch === 1 ? 'per-sample (batch 1)' : `batch ${c.batch}`;
        const val = r.val > 0 ? ` (${r.train} train, ${r.val} validation)` : '';
        return [`Training on ${plural(r.samples, 'sample')} × ${plural(r.features, 'feature')}${val}: ${c.optimizer}, lr ${formatF32(c.lr)}, ${batch}, ${plural(c.epochs, 'epoch')}${c.bias ? '' : ', no bias'} (${r.source})`];
      }
      case 'epoch': {
        const showBias = this.start === null ? r.b !== 0 : this.start.config.bias;
        const showLr = this.start !== null && this.start.config.schedule !== 'constant';
        let s = `Epoch: ${r.epoch} W= ${vector(r.w)}`;
        if (showBias) s += ` B= ${formatF32(r.b)}`;
        s += ` Loss= ${formatF32(r.loss)}`;
        if (r.val_loss !== undefined) s += ` Val= ${formatF32(r.val_loss)}`;
        if (showLr) s += ` LR= ${formatF32(r.lr)}`;
        return [s];
      }
      case 'done':
        return [this.doneText(r)];
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
        return `Diverged at epoch ${r.epoch}: ${r.message || 'the loss is no longer a finite number; try a smaller --lr'}.`;
      case 'stopped':
        return `Stopped at epoch ${r.epoch}. ${params}${note}`;
    }
  }
}
