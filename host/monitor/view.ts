// What `host monitor` shows while records arrive. On a terminal: a live plot of the loss per epoch
// (optionally log-scale) and of w, redrawn at most ten times a second, with the latest numbers
// above it. Elsewhere (a pipe, a CI log, --no-plot): one text line per record. For `host serve`,
// which watches a whole lesson: one timestamped line per run started or ended and per notice.
import asciichart from 'asciichart';
import { formatF32, type ProtocolRecord, type StartRecord } from '../../shared/protocol.ts';
import { RecordFormatter } from '../format.ts';
import { alignColumns } from '../text-table.ts';

export interface MonitorView {
  update(r: ProtocolRecord): void;
  /** A line for the person watching (status, hints, errors). */
  message(text: string): void;
  close(): void;
}

export interface ViewOptions {
  log: boolean;
  plot: boolean;
  stream: NodeJS.WriteStream;
  title: string;
  /** 'runs': a line per run and notice only. */
  mode?: 'records' | 'runs';
}

export function createView(opts: ViewOptions): MonitorView {
  if (opts.mode === 'runs') return new RunLines(opts.stream);
  return opts.plot && opts.stream.isTTY ? new LivePlot(opts) : new TextLines(opts.stream);
}

class RunLines implements MonitorView {
  constructor(private readonly stream: NodeJS.WriteStream) {}
  private say(text: string): void {
    this.stream.write(`${new Date().toLocaleTimeString('en-GB')}  ${text}\n`);
  }
  update(r: ProtocolRecord): void {
    if (r.type === 'start') this.say(`run ${r.run ?? '?'} started: ${r.config.optimizer}, lr ${formatF32(r.config.lr)}, ${r.config.epochs} epochs${r.attached ? ' (joined under way)' : ''}`);
    else if (r.type === 'walk') this.say(`walk started: ${r.fn}, ${r.optimizer}`);
    else if (r.type === 'done') this.say(`run ended at epoch ${r.epoch} (${r.reason}${r.loss !== null ? `, loss ${formatF32(r.loss)}` : ''})`);
  }
  message(text: string): void {
    this.say(text);
  }
  close(): void {}
}

class TextLines implements MonitorView {
  private readonly fmt = new RecordFormatter('text');
  constructor(private readonly stream: NodeJS.WriteStream) {}
  update(r: ProtocolRecord): void {
    for (const line of this.fmt.record(r)) this.stream.write(line + '\n');
  }
  message(text: string): void {
    this.stream.write(text + '\n');
  }
  close(): void {}
}

/** Keeps at most `max` points by dropping every other old one when full: the whole run stays visible. */
class Series {
  readonly x: number[] = [];
  readonly y: number[] = [];
  constructor(private readonly max = 20_000) {}
  push(x: number, y: number): void {
    this.x.push(x);
    this.y.push(y);
    if (this.x.length > this.max) {
      for (let i = 0, j = 0; i < this.x.length; i += 2, j++) {
        this.x[j] = this.x[i];
        this.y[j] = this.y[i];
      }
      this.x.length = this.y.length = Math.ceil(this.x.length / 2);
    }
  }
  /** `width` evenly spaced samples of the series (asciichart draws one column per value). */
  resample(width: number): number[] {
    const n = this.y.length;
    if (n <= width) return this.y.slice();
    const out: number[] = [];
    for (let i = 0; i < width; i++) out.push(this.y[Math.round((i * (n - 1)) / (width - 1))]);
    return out;
  }
}

class LivePlot implements MonitorView {
  private readonly text = new RecordFormatter('text');
  private start: StartRecord | null = null;
  private loss = new Series();
  private val = new Series();
  private w = new Series();
  private latest = '';
  private notes: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private records = 0;
  private readonly t0 = Date.now();
  /** A parallel run's workers (boards): their latest loss and counts, and their last update's staleness. */
  private workers = new Map<number, { loss: number | null; samples: number; updates: number; staleness: number | null }>();

  constructor(private readonly opts: ViewOptions) {
    this.opts.stream.write('\x1b[?25l'); // hide the cursor while redrawing
  }

  update(r: ProtocolRecord): void {
    this.records++;
    if (r.type === 'start') {
      this.start = r;
      this.loss = new Series();
      this.val = new Series();
      this.w = new Series();
      this.workers = new Map();
    } else if (r.type === 'worker') {
      const w = this.workers.get(r.worker);
      this.workers.set(r.worker, { loss: r.loss, samples: r.samples, updates: r.updates, staleness: w ? w.staleness : null });
    } else if (r.type === 'update') {
      const w = this.workers.get(r.worker);
      if (w) w.staleness = r.staleness;
      return; // many a second: not worth a redraw each
    } else if (r.type === 'epoch') {
      this.loss.push(r.epoch, this.opts.log ? Math.log10(Math.max(r.loss, 1e-30)) : r.loss);
      if (r.val_loss !== undefined) this.val.push(r.epoch, this.opts.log ? Math.log10(Math.max(r.val_loss, 1e-30)) : r.val_loss);
      this.w.push(r.epoch, r.w[0]);
      const total = this.start ? `/${this.start.config.epochs}` : '';
      const wText = r.w.length === 1 ? formatF32(r.w[0]) : `[${r.w.map(formatF32).join(', ')}]`;
      this.latest = `epoch ${r.epoch}${total}   loss ${formatF32(r.loss)}${r.val_loss !== undefined ? `   val ${formatF32(r.val_loss)}` : ''}   w ${wText}   b ${formatF32(r.b)}   lr ${formatF32(r.lr)}`;
    } else if (r.type === 'done') {
      this.notes.push(...this.text.record(r));
    }
    this.schedule();
  }

  message(text: string): void {
    this.notes.push(text);
    this.schedule();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dirty) this.draw();
    }, 100);
  }

  private draw(): void {
    this.dirty = false;
    const cols = Math.max(40, (this.opts.stream.columns ?? 100) - 14);
    const rows = this.opts.stream.rows ?? 30;
    const h = Math.max(4, Math.floor((rows - 10 - this.notes.length) * 0.6));
    const out: string[] = [];
    const c = this.start?.config;
    out.push(`\x1b[1m${this.opts.title}\x1b[0m${c ? `   ${c.optimizer}, lr ${formatF32(c.lr)}, ${c.batch === 0 ? 'full batch' : `batch ${c.batch}`}` : ''}`);
    const rate = this.records / Math.max(0.001, (Date.now() - this.t0) / 1000);
    out.push(`${this.latest || 'waiting for records…'}   ${rate.toFixed(0)} rec/s`);
    if (this.loss.y.length > 1) {
      out.push('', `loss per epoch${this.opts.log ? ' (log scale)' : ''}${this.val.y.length > 0 ? '  — validation in yellow' : ''}`);
      const series = [this.loss.resample(cols)];
      if (this.val.y.length > 1) series.push(this.val.resample(cols));
      // On a log scale the axis shows the loss itself (10^x), not its exponent.
      out.push(plotChart(series, h, this.opts.log ? (x) => 10 ** x : (x) => x, [asciichart.cyan, asciichart.yellow], this.opts.log));
      out.push('', 'w per epoch' + (this.w.y.length > 0 && this.start && this.start.features > 1 ? ' (first feature)' : ''));
      out.push(plotChart([this.w.resample(cols)], Math.max(3, Math.floor(h / 2)), (x) => x, [asciichart.green], false));
    }
    if (this.workers.size > 0) out.push('', ...this.workerLines());
    out.push(...this.notes.slice(-6));
    this.opts.stream.write('\x1b[H\x1b[2J' + out.join('\n') + '\n');
  }

  /** One line per worker under the charts: "board 2  /dev/ttyACM1  loss 0.0123  updates 120  staleness 3". */
  private workerLines(): string[] {
    const ports = (this.start?.parallel?.ports as string[] | undefined) ?? [];
    const kind = this.start?.source === 'board' ? 'board' : 'worker';
    const rows = [...this.workers.entries()].sort((a, b) => a[0] - b[0]).map(([k, w]) => [
      `${kind} ${k + 1}`,
      ports[k] ?? '',
      `loss ${w.loss === null ? 'not finite' : formatF32(w.loss)}`,
      `updates ${w.updates.toLocaleString('en-US')}`,
      `samples ${w.samples.toLocaleString('en-US')}`,
      w.staleness === null ? '' : `staleness ${w.staleness}`,
    ]);
    return alignColumns(rows);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draw();
    this.opts.stream.write('\x1b[?25h');
  }
}

/**
 * The y axis of a chart: its range (a flat series gets a little room around its value, where
 * asciichart would label its one row with the value rounded to a whole number) and a label format
 * with as many significant digits as it takes to tell neighbouring rows apart (0.2641, 0.2643, …
 * rather than 0.264 twice). `toValue` turns a plotted value into the one to print (10^x on a log
 * scale).
 */
export function chartAxis(series: number[][], height: number, toValue: (x: number) => number, log: boolean): { min: number; max: number; format: (x: number) => string } {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series)
    for (const v of s)
      if (isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
  if (!isFinite(min)) {
    min = 0;
    max = 1;
  }
  const flat = max - min <= Math.abs(max) * 1e-12;
  const value = max;
  if (flat) {
    // About ±1 % of the value (a hundredth of a decade on a log scale), or ±1 around zero, in steps
    // that divide the value, so that the line lies on a row labelled with the value itself.
    const v = max;
    let step = (2 * (log ? 0.005 : v !== 0 ? Math.abs(v) * 0.01 : 1)) / height;
    if (v !== 0) step = Math.abs(v) / Math.max(1, Math.round(Math.abs(v) / step));
    min = v - Math.floor(height / 2) * step;
    max = min + height * step;
  }
  // The values asciichart puts on its rows (its own arithmetic).
  const ratio = height / (max - min);
  const min2 = Math.round(min * ratio);
  const rows = Math.abs(Math.round(max * ratio) - min2);
  const values: number[] = [];
  for (let y = 0; y <= rows; y++) values.push(toValue(rows > 0 ? max - (y * (max - min)) / rows : max));
  let digits = 3;
  const text = (v: number, p: number) => String(Number(v.toPrecision(p)));
  while (digits < 9 && new Set(values.map((v) => text(v, digits))).size < values.length) digits++;
  // A flat series' row reads its value as the header prints it (float32: at most 7 digits).
  if (flat) while (digits < 7 && text(toValue(value), digits) !== text(toValue(value), 7)) digits++;
  const width = Math.max(10, ...values.map((v) => text(v, digits).length));
  return { min, max, format: (x: number) => text(toValue(x), digits).padStart(width) };
}

function plotChart(series: number[][], height: number, toValue: (x: number) => number, colors: string[], log: boolean): string {
  const { min, max, format } = chartAxis(series, height, toValue, log);
  return asciichart.plot(series, { height, min, max, format, colors });
}
