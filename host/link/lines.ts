// Framing of what the board prints, as small pieces that compose (in the spirit of
// node-serialport's parsers): bytes → raw lines → clean text → records.
//
// The board ends lines with "\r\n" and Kaluma's console.log frames each line as
// "\x1b[2K\r" + text + "\r\n", so a line is split on "\n" only and carriage returns and ANSI
// codes are removed afterwards. Everything here is linear in the input and never throws on
// noise: a serial line can carry anything (a reset mid-line, a binary dump, line noise).
import { Transform, type TransformCallback } from 'node:stream';
import { parseRecord, stripAnsi, type ProtocolRecord } from '../../shared/protocol.ts';

/** A line longer than this without a newline is noise (or a runaway print) and is dropped. */
export const MAX_LINE_CHARS = 64 * 1024;

export interface SplitterOptions {
  /** Longest line kept, in characters; longer ones are discarded whole. */
  maxLine?: number;
  /** Told once per discarded oversized line, with how many characters were thrown away. */
  onOverflow?: (dropped: number) => void;
}

/**
 * Bytes in, complete lines out (without the "\n"). A partial line waits for the next chunk; a
 * line that grows past `maxLine` is dropped, and so is the rest of it up to its newline, so
 * memory stays bounded whatever arrives.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private readonly maxLine: number;
  private readonly onOverflow: ((dropped: number) => void) | undefined;
  // Pieces of the current line; joined once when its newline arrives (keeps appends O(1)).
  private parts: string[] = [];
  private size = 0;
  private discarding = false;
  private dropped = 0;

  constructor(opts: SplitterOptions = {}) {
    this.maxLine = opts.maxLine ?? MAX_LINE_CHARS;
    this.onOverflow = opts.onOverflow;
  }

  /** Feeds a chunk; returns the lines it completed, in order. */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.split(text);
  }

  /** The stream ended: returns the last unterminated line, if any. */
  end(): string[] {
    const lines = this.split(this.decoder.decode());
    if (this.discarding) this.finishDiscard();
    else if (this.size > 0) lines.push(this.take());
    return lines;
  }

  /** Characters buffered for the current, unfinished line. */
  get pending(): number {
    return this.size;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const stop = nl < 0 ? text.length : nl;
      this.append(text, from, stop);
      if (nl < 0) break;
      if (this.discarding) this.finishDiscard();
      else lines.push(this.take());
      from = nl + 1;
    }
    return lines;
  }

  private append(text: string, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.discarding) {
      this.dropped += n;
      return;
    }
    if (this.size + n > this.maxLine) {
      this.discarding = true;
      this.dropped = this.size + n;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(from === 0 && to === text.length ? text : text.slice(from, to));
    this.size += n;
  }

  private take(): string {
    const line = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    this.size = 0;
    return line;
  }

  private finishDiscard(): void {
    this.discarding = false;
    const dropped = this.dropped;
    this.dropped = 0;
    if (this.onOverflow) this.onOverflow(dropped);
  }
}

// C0 controls (but tab) and DEL: carriage returns, bells, Ctrl bytes and whatever noise brought.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * A raw line as a person should read it: ANSI codes, carriage returns and other control bytes
 * removed. Kaluma's "\x1b[2K\r" prefix and "\r" suffix disappear here.
 */
export function cleanLine(raw: string): string {
  return stripAnsi(raw).replace(CONTROLS, '');
}

/** True when the raw line was printed in red (Kaluma's colour for uncaught errors). */
export function isRedLine(raw: string): boolean {
  return raw.indexOf('\x1b[31m') >= 0 || raw.indexOf('\x1b[1;31m') >= 0 || raw.indexOf('\x1b[91m') >= 0;
}

/** One framed line: what arrived, how it reads, and the record it holds if it holds one. */
export interface Line {
  raw: string;
  text: string;
  record: ProtocolRecord | null;
}

export function frameLine(raw: string): Line {
  const text = cleanLine(raw);
  if (raw.indexOf('{') < 0) return { raw, text, record: null };
  // The raw line first: cleaning would also delete a DEL (U+007F) inside a JSON string, which is
  // legal there (parseRecord strips the ANSI framing itself); the cleaned text for the rest.
  let record = parseRecord(raw) ?? (text.indexOf('{') >= 0 ? parseRecord(text) : null);
  if (!record) {
    // Noise before a record on the same line (a partial line, a cut escape "\x1b[" that swallows
    // the "{" when stripped) hides it from a whole-line parse. Every record starts with {"type"
    // and console.log puts it last on its line, so try the last such start in the raw line.
    const at = raw.lastIndexOf('{"type"');
    if (at >= 0) record = parseRecord(cleanLine(raw.slice(at)));
  }
  return { raw, text, record };
}

/**
 * The pieces above as a Node transform: pipe a serial port into it and read `Line` objects.
 * Never errors on content; only the source stream's own errors travel on.
 */
export class LineStream extends Transform {
  private readonly splitter: LineSplitter;

  constructor(opts: SplitterOptions = {}) {
    super({ readableObjectMode: true });
    this.splitter = new LineSplitter(opts);
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    for (const raw of this.splitter.push(chunk)) this.push(frameLine(raw));
    done();
  }

  /** The last, unterminated line (if any), at once: for a reader whose source has just closed. */
  drain(): Line[] {
    return this.splitter.end().map(frameLine);
  }

  override _flush(done: TransformCallback): void {
    for (const raw of this.splitter.end()) this.push(frameLine(raw));
    done();
  }
}

/** Convenience for tests and run-file readers: every record in a byte or text stream. */
export function recordsIn(chunks: Iterable<Uint8Array | string>, opts: SplitterOptions = {}): ProtocolRecord[] {
  const splitter = new LineSplitter(opts);
  const out: ProtocolRecord[] = [];
  const take = (raws: string[]): void => {
    for (const raw of raws) {
      const rec = frameLine(raw).record;
      if (rec) out.push(rec);
    }
  };
  for (const c of chunks) take(splitter.push(c));
  take(splitter.end());
  return out;
}
