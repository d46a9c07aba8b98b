// One open connection to a board (Kaluma or Espruino): bytes in (for YMODEM), lines and records in (through a
// LineStream), REPL lines out; and, composed over those lines, the request channel (request.ts:
// seq, ack, retry), the upload (upload.ts) and the probe (probe.ts). A BoardLink offers them as
// methods, so that a command holds one object for "the board".
//
// Flow control: the board copies USB input into a ring buffer that overwrites when full and is
// drained only when its event loop runs, so anything sent without waiting is eventually lost.
// Every line that matters is therefore a request: the next is written only after the board's
// answer to the last, so at most one line (≤ 1000 characters) is ever unacknowledged.
import type { Duplex } from 'node:stream';
import type { AckRecord, ProtocolRecord, StatusRecord } from '../../shared/protocol.ts';
import { MAX_LINE, type Command } from '../../shared/wire.ts';
import { ByteQueue, byteChannel } from './bytes.ts';
import { LinkClosedError, LinkTimeoutError } from './errors.ts';
import { LineStream, isRedLine, type Line } from './lines.ts';
import { boardStatus, expectFirmware, prepare, probe, type ProbeResult } from './probe.ts';
import { DLE, RequestChannel, type BoardRuntime, type LineIO, type RequestOptions } from './request.ts';
import { uploadDataset, type UploadProgress } from './upload.ts';
import type { ByteChannel } from './ymodem.ts';

export { CTRL_C, type ProbeResult } from './probe.ts';
export { DLE, type BoardRuntime, type RequestOptions } from './request.ts';
export type { UploadProgress } from './upload.ts';

export interface LinkOptions {
  /** First sequence number; random by default so a re-attached host does not reuse recent ones. */
  firstSeq?: number;
  /** Sees every line written and every raw line read (for --verbose and tests). */
  trace?: (dir: 'in' | 'out', text: string) => void;
}

type Listener<T> = (value: T) => void;

export class BoardLink implements LineIO {
  private readonly lineStream = new LineStream();
  private readonly lineListeners = new Set<Listener<Line>>();
  private readonly byteListeners = new Set<Listener<Uint8Array>>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;
  private readonly trace: LinkOptions['trace'];
  /** Requests (seq, ack, retry) over this link's lines. */
  readonly requests: RequestChannel;
  /** Set by the probe (or by whoever knows): how lines are typed and numbers written. */
  runtime: BoardRuntime = 'kaluma';

  constructor(
    readonly stream: Duplex,
    opts: LinkOptions = {},
  ) {
    this.requests = new RequestChannel(this, opts.firstSeq);
    this.trace = opts.trace;
    this.lineStream.on('data', (line: Line) => this.emitLine(line));
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('end', this.onClose);
    // A port error is also reported to whoever waits on the link, as a closed link.
    stream.on('error', this.onClose);
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    for (const l of this.byteListeners) l(bytes);
    this.lineStream.write(bytes);
  };

  private emitLine(line: Line): void {
    if (this.trace) this.trace('in', line.raw);
    for (const l of [...this.lineListeners]) l(line);
  }

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    // The last, unterminated line first, then the listeners hear that the link is gone.
    for (const line of this.lineStream.drain()) this.emitLine(line);
    this.lineStream.destroy();
    for (const l of [...this.closeListeners]) l();
  };

  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------ subscriptions

  onLine(cb: Listener<Line>): () => void {
    this.lineListeners.add(cb);
    return () => this.lineListeners.delete(cb);
  }

  onRecord(cb: Listener<ProtocolRecord>): () => void {
    return this.onLine((line) => {
      if (line.record) cb(line.record);
    });
  }

  onBytes(cb: Listener<Uint8Array>): () => void {
    this.byteListeners.add(cb);
    return () => this.byteListeners.delete(cb);
  }

  onClosed(cb: () => void): () => void {
    if (this.closed) queueMicrotask(cb);
    this.closeListeners.add(cb);
    return () => this.closeListeners.delete(cb);
  }

  /** Every line from now on, until the link closes or the loop breaks. */
  lines(): AsyncIterableIterator<Line> {
    return this.iterate<Line>((push) => this.onLine(push));
  }

  /** Every record from now on, until the link closes or the loop breaks. */
  records(): AsyncIterableIterator<ProtocolRecord> {
    return this.iterate<ProtocolRecord>((push) => this.onRecord(push));
  }

  private iterate<T>(subscribe: (push: (v: T) => void) => () => void): AsyncIterableIterator<T> {
    const buffered: T[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const poke = (): void => {
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    };
    const unsubscribe = subscribe((v) => {
      buffered.push(v);
      poke();
    });
    const unClose = this.onClosed(() => {
      done = true;
      poke();
    });
    const finish = (): void => {
      done = true;
      unsubscribe();
      unClose();
      poke();
    };
    const it: AsyncIterableIterator<T> = {
      next: async () => {
        for (;;) {
          if (buffered.length > 0) return { value: buffered.shift() as T, done: false };
          if (done) {
            finish();
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (wake = r));
        }
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /**
   * Resolves with the first line from now on that `pred` accepts. Subscribe before writing what
   * provokes it: call this, then send, then await.
   */
  waitForLine(pred: (line: Line) => boolean, timeoutMs: number, what = 'an answer'): Promise<Line> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new LinkClosedError());
      const stop = (): void => {
        clearTimeout(timer);
        unLine();
        unClose();
      };
      const timer = setTimeout(() => {
        stop();
        reject(new LinkTimeoutError(`no ${what} from the board within ${(timeoutMs / 1000).toFixed(1)} s`));
      }, timeoutMs);
      const unLine = this.onLine((line) => {
        let ok = false;
        try {
          ok = pred(line);
        } catch (err) {
          stop();
          reject(err);
          return;
        }
        if (ok) {
          stop();
          resolve(line);
        }
      });
      const unClose = this.onClosed(() => {
        stop();
        reject(new LinkClosedError());
      });
    });
  }

  waitForRecord<T extends ProtocolRecord>(pred: (r: ProtocolRecord) => r is T, timeoutMs: number, what?: string): Promise<T>;
  waitForRecord(pred: (r: ProtocolRecord) => boolean, timeoutMs: number, what?: string): Promise<ProtocolRecord>;
  async waitForRecord(pred: (r: ProtocolRecord) => boolean, timeoutMs: number, what = 'record'): Promise<ProtocolRecord> {
    const line = await this.waitForLine((l) => l.record !== null && pred(l.record), timeoutMs, what);
    return line.record as ProtocolRecord;
  }

  // ------------------------------------------------------------ writing

  write(data: string | Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosedError());
    return new Promise((resolve, reject) => {
      this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => {
        if (!err) return resolve();
        // A port that cannot be written is gone (unplugged): the link is closed from here on, whether
        // or not the port's 'close' has come yet, so that what the caller sees agrees with isClosed.
        this.onClose();
        reject(new LinkClosedError(`writing to the port failed: ${err.message}`));
      });
    });
  }

  /**
   * Types one REPL line: the text, then "\r" (only CR is Enter on Kaluma; "\n" is a character; CR
   * is Enter on Espruino too). On Espruino the line starts with DLE (0x10), as EspruinoTools sends
   * code: Espruino then neither echoes it nor prints its value or a prompt.
   */
  async sendLine(text: string): Promise<void> {
    if (text.length > MAX_LINE) throw new Error(`REPL line of ${text.length} characters is over the ${MAX_LINE} limit`);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(text)) throw new Error('a REPL line must not hold control characters');
    if (this.trace) this.trace('out', text);
    await this.write((this.runtime === 'espruino' ? DLE : '') + text + '\r');
  }

  // ------------------------------------------------------------ the composed pieces

  nextSeq(): number {
    return this.requests.nextSeq();
  }
  request(line: string, seq: number, opts: RequestOptions = {}): Promise<AckRecord> {
    return this.requests.request(line, seq, opts);
  }
  sendCommand(cmd: Command, opts: RequestOptions = {}): Promise<AckRecord> {
    return this.requests.sendCommand(cmd, opts);
  }
  uploadDataset(packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts: RequestOptions & { chunkTries?: number } = {}): Promise<number> {
    return uploadDataset(this.requests, packed, features, onProgress, opts);
  }
  prepare(opts: { interrupt: boolean; settleMs?: number } = { interrupt: false }): Promise<void> {
    return prepare(this, opts);
  }
  probe(opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    return probe(this, this.requests, opts);
  }
  status(opts: { timeoutMs?: number } = {}): Promise<StatusRecord> {
    return boardStatus(this, this.requests, opts);
  }
  expectFirmware(port: string, opts: { timeoutMs?: number } = {}): Promise<{ kaluma: string; runtime: BoardRuntime; status: StatusRecord }> {
    return expectFirmware(this, this.requests, port, opts);
  }

  // ------------------------------------------------------------ raw bytes

  /** A byte channel over this link (for YMODEM); call close() to detach it. */
  openByteChannel(): { channel: ByteChannel; close(): void } {
    const queue = new ByteQueue();
    const off = this.onBytes((b) => queue.push(b));
    const offClose = this.onClosed(() => queue.close());
    return {
      channel: byteChannel(queue, (bytes) => this.write(bytes)),
      close: () => {
        off();
        offClose();
        queue.close();
      },
    };
  }

  /** Detaches from the stream and closes it (closing the serial port). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const s = this.stream as Duplex & { isOpen?: boolean; close?: (cb?: (err: Error | null) => void) => void };
      const done = (): void => {
        clearTimeout(timer);
        this.onClose();
        resolve();
      };
      // Streams that never say they closed still resolve.
      const timer = setTimeout(done, 1000);
      timer.unref();
      if (s.destroyed) return done();
      if (typeof s.close === 'function' && s.isOpen) {
        // SerialPort: close() stops the native reader; destroy() alone can leave it polling and
        // keep the process alive after the command has finished.
        s.close(() => done());
        return;
      }
      s.once('close', done);
      s.destroy();
    });
  }
}

/** Red lines (uncaught errors) and their `at <anonymous>:N` lines, collected while `run` runs. */
export function collectErrorLines(link: BoardLink): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  let inError = false;
  const stop = link.onLine((l) => {
    if (isRedLine(l.raw)) {
      inError = true;
      lines.push(l.text);
    } else if (inError && /^\s*at\s/.test(l.text)) {
      lines.push(l.text);
    } else {
      inError = false;
    }
  });
  return { lines, stop };
}
