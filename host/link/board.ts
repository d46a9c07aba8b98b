// One open connection to a Kaluma board: lines and records in, REPL lines out, and the
// request/acknowledge discipline that keeps the board's 2048-byte input ring from overflowing.
//
// Flow control: the board copies USB input into a ring buffer that overwrites when full and is
// drained only when its event loop runs, so anything sent without waiting is eventually lost.
// Every line that matters is therefore a `pt.d`/`pt.c` call carrying a sequence number; the
// next one is written only after the board's `ack` (or `error`) for it, so at most one line
// (≤ 1000 characters) is ever unacknowledged.
import type { Duplex } from 'node:stream';
import {
  PROTOCOL_VERSION,
  type AckRecord,
  type ProtocolRecord,
  type StatusRecord,
} from '../../shared/protocol.ts';
import { MAX_LINE, commandLine, dataLine, uploadPlan, type Command } from '../../shared/wire.ts';
import { ByteQueue, byteChannel } from './bytes.ts';
import { BoardError, LinkClosedError, LinkTimeoutError, TransferError, WrongBoardError } from './errors.ts';
import { LineSplitter, frameLine, isRedLine, type Line } from './lines.ts';
import type { ByteChannel } from './ymodem.ts';

export const CTRL_C = '\x03';

export interface RequestOptions {
  /** How long to wait for the ack of one send. */
  timeoutMs?: number;
  /** Sends before giving up (the same line, with the same seq). */
  tries?: number;
  /** Send a lone "\r" before the first send too (the line is itself a resend). */
  clearFirst?: boolean;
}

export interface LinkOptions {
  /** First sequence number; random by default so a re-attached host does not reuse recent ones. */
  firstSeq?: number;
  /** Sees every line written and every raw line read (for --verbose and tests). */
  trace?: (dir: 'in' | 'out', text: string) => void;
}

export type ProbeResult =
  | { kind: 'not-kaluma'; seen: string[] }
  | { kind: 'no-firmware'; kaluma: string }
  | { kind: 'firmware'; kaluma: string; status: StatusRecord; protocol: number | null };

export interface UploadProgress {
  sentSamples: number;
  totalSamples: number;
}

type Listener<T> = (value: T) => void;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Error codes the firmware gives a chunk that was damaged on the way: sending it again can help. */
const RESEND_CODES = new Set(['crc', 'base64', 'bad_request']);

export class BoardLink {
  private readonly splitter = new LineSplitter();
  private readonly lineListeners = new Set<Listener<Line>>();
  private readonly byteListeners = new Set<Listener<Uint8Array>>();
  private readonly closeListeners = new Set<() => void>();
  private seq: number;
  private closed = false;
  // Requests run one at a time: this is the tail of their chain.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly trace: LinkOptions['trace'];

  constructor(
    readonly stream: Duplex,
    opts: LinkOptions = {},
  ) {
    this.seq = opts.firstSeq ?? 1 + Math.floor(Math.random() * 1_000_000) * 1000;
    this.trace = opts.trace;
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('end', this.onClose);
    // A port error is also reported to whoever waits on the link, as a closed link.
    stream.on('error', this.onClose);
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    for (const l of this.byteListeners) l(bytes);
    for (const raw of this.splitter.push(bytes)) this.emitLine(raw);
  };

  private emitLine(raw: string): void {
    if (this.trace) this.trace('in', raw);
    const line = frameLine(raw);
    for (const l of [...this.lineListeners]) l(line);
  }

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    for (const raw of this.splitter.end()) this.emitLine(raw);
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
      this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => (err ? reject(new LinkClosedError(`writing to the port failed: ${err.message}`)) : resolve()));
    });
  }

  /** Types one REPL line: the text, then "\r" (only CR is Enter on Kaluma; "\n" is a character). */
  async sendLine(text: string): Promise<void> {
    if (text.length > MAX_LINE) throw new Error(`REPL line of ${text.length} characters is over the ${MAX_LINE} limit`);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(text)) throw new Error('a REPL line must not hold control characters');
    if (this.trace) this.trace('out', text);
    await this.write(text + '\r');
  }

  nextSeq(): number {
    const s = this.seq;
    this.seq = this.seq >= 4294967295 ? 1 : this.seq + 1;
    return s;
  }

  /** Runs `job` after every earlier request has finished: one line in flight, never more. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends one `pt.d`/`pt.c` line and waits for the `ack` or `error` record with its seq. A
   * missing answer resends the same line with the same seq (the firmware may treat a repeated
   * seq as "the same chunk again"); an `error` record throws BoardError at once.
   */
  request(line: string, seq: number, opts: RequestOptions = {}): Promise<AckRecord> {
    const timeoutMs = opts.timeoutMs ?? 3000;
    const tries = opts.tries ?? 3;
    return this.exclusive(async () => {
      for (let attempt = 0; attempt < tries; attempt++) {
        const answer = this.waitForRecord((r) => (r.type === 'ack' || r.type === 'error') && r.seq === seq, timeoutMs, `answer to request ${seq}`);
        answer.catch(() => undefined); // handled below; avoids an unhandled rejection if the write throws
        // A retry first ends whatever half line the REPL may hold, so the resend starts clean.
        if (attempt > 0 || opts.clearFirst) await this.write('\r');
        await this.sendLine(line);
        let rec: ProtocolRecord;
        try {
          rec = await answer;
        } catch (err) {
          if (err instanceof LinkTimeoutError) continue;
          throw err;
        }
        if (rec.type === 'error') throw new BoardError(rec);
        return rec as AckRecord;
      }
      throw new LinkTimeoutError(`the board did not answer request ${seq} after ${tries} tries (${(timeoutMs / 1000).toFixed(1)} s each): is the firmware running? try \`npx host flash\``);
    });
  }

  sendCommand(cmd: Command, opts: RequestOptions = {}): Promise<AckRecord> {
    // The firmware answers `status` with a status record, not an ack: status() waits for that.
    if (cmd.op === 'status') return Promise.reject(new Error('use BoardLink.status() for the status command'));
    const seq = this.nextSeq();
    return this.request(commandLine(seq, cmd), seq, opts);
  }

  /**
   * Uploads a packed dataset (rows [x1..xF, y], float32) in acknowledged chunks. Each chunk's
   * ack must carry the board's sample count and the CRC-32 of the bytes it decoded; a mismatch,
   * an error record or a missing ack sends the chunk again (same seq) a few times, then fails.
   * `end` must come back with the CRC-32 of the whole dataset. Returns the board's count.
   */
  async uploadDataset(packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts: RequestOptions & { chunkTries?: number } = {}): Promise<number> {
    const plan = uploadPlan(packed, features);
    const samples = packed.length / (features + 1);
    const chunkTries = opts.chunkTries ?? 4;
    let endCrc = 0;
    let ack: AckRecord | null = null;
    for (const step of plan) {
      if (step.kind === 'command') {
        if (step.cmd.op === 'end') endCrc = step.cmd.crc;
        ack = await this.sendCommand(step.cmd, opts);
        if (step.cmd.op === 'begin' && onProgress) onProgress({ sentSamples: 0, totalSamples: samples });
        continue;
      }
      const seq = this.nextSeq();
      const line = dataLine(seq, step.values);
      const first = step.count - step.values.length + 1;
      let problem = '';
      let ok = false;
      for (let attempt = 0; attempt < chunkTries && !ok; attempt++) {
        try {
          const got = await this.request(line, seq, { timeoutMs: opts.timeoutMs, tries: 1, clearFirst: attempt > 0 });
          if (got.crc === step.crc && got.count === step.count) ok = true;
          else problem = `the board acknowledged values ${first}–${step.count} with count ${got.count} and crc ${got.crc}, expected ${step.count} and ${step.crc}`;
        } catch (err) {
          // Only damage in transit is worth a resend; a refusal (capacity, non-finite value) is final.
          const transient = err instanceof LinkTimeoutError || (err instanceof BoardError && RESEND_CODES.has(err.code));
          if (!transient) throw err;
          problem = (err as Error).message;
        }
      }
      if (!ok) throw new TransferError(`upload failed at values ${first}–${step.count} of ${packed.length} after ${chunkTries} tries: ${problem}`);
      if (onProgress) onProgress({ sentSamples: step.samplesDone, totalSamples: samples });
    }
    if (!ack || ack.crc !== endCrc) throw new TransferError(`the board's checksum of the dataset is ${ack?.crc}, the host's is ${endCrc}: the data did not arrive intact`);
    if (ack.count !== samples) throw new TransferError(`the board holds ${ack.count} samples, ${samples} were sent`);
    return ack.count;
  }

  // ------------------------------------------------------------ REPL state

  /**
   * Puts the REPL in a known state. `interrupt: true` (flash, send, train) sends Ctrl-C first,
   * which stops whatever runs on the board; re-attaching to a board that is training (monitor)
   * must pass `interrupt: false`. Either way a "\r" ends any half line a previous host left in
   * the REPL, and `.echo off` stops the echo of our own lines.
   */
  async prepare(opts: { interrupt: boolean; settleMs?: number } = { interrupt: false }): Promise<void> {
    const settle = opts.settleMs ?? 200;
    if (opts.interrupt) {
      await this.write(CTRL_C);
      await sleep(Math.min(100, settle));
    }
    await this.write('\r');
    await this.sendLine('.echo off');
    await sleep(settle);
  }

  /**
   * Finds out what is on the other end: not Kaluma (no banner on `.hi`), Kaluma without our
   * firmware (`pt` is not defined), or our firmware (a status record, with its protocol).
   */
  async probe(opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    const timeoutMs = opts.timeoutMs ?? 2500;
    const seen: string[] = [];
    const unSeen = this.onLine((l) => {
      if (seen.length < 20 && l.text.trim() !== '') seen.push(l.text);
    });
    let kaluma: string;
    try {
      const banner = this.waitForLine((l) => /Welcome to Kaluma/i.test(l.text), timeoutMs, 'Kaluma banner');
      await this.sendLine('.hi');
      const line = await banner;
      const m = /Kaluma v?(\d+\.\d+(?:\.\d+)?[^\s]*)/i.exec(line.text);
      kaluma = m ? m[1] : 'unknown';
    } catch (err) {
      unSeen();
      if (err instanceof LinkTimeoutError) return { kind: 'not-kaluma', seen };
      throw err;
    }
    unSeen();

    const answer = await this.statusExchange(timeoutMs);
    if (answer === 'no-pt' || answer === 'timeout') return { kind: 'no-firmware', kaluma };
    return { kind: 'firmware', kaluma, status: answer, protocol: typeof answer.protocol === 'number' ? answer.protocol : null };
  }

  /** Asks the firmware for its state (a status record). */
  async status(opts: { timeoutMs?: number } = {}): Promise<StatusRecord> {
    const timeoutMs = opts.timeoutMs ?? 3000;
    const answer = await this.statusExchange(timeoutMs);
    if (answer === 'no-pt') throw new WrongBoardError('no-firmware', 'the board runs Kaluma but not the pico-trainer firmware: run `npm run flash`');
    if (answer === 'timeout') throw new LinkTimeoutError(`no status from the board within ${(timeoutMs / 1000).toFixed(1)} s`);
    return answer;
  }

  /**
   * The firmware answers `status` with a status record (which carries no seq); an ack or error
   * with our seq is accepted too. Kaluma without the firmware prints a red ReferenceError.
   */
  private statusExchange(timeoutMs: number): Promise<StatusRecord | 'no-pt' | 'timeout'> {
    const seq = this.nextSeq();
    const line = commandLine(seq, { op: 'status' });
    return this.exclusive(async () => {
      const answer = this.waitForLine((l) => {
        if (/ReferenceError/.test(l.text) && /\bpt\b/.test(l.text)) return true;
        const r = l.record;
        return r !== null && (r.type === 'status' || ((r.type === 'ack' || r.type === 'error') && r.seq === seq));
      }, timeoutMs, 'answer to the status command');
      answer.catch(() => undefined);
      await this.sendLine(line);
      let got: Line;
      try {
        got = await answer;
      } catch (err) {
        if (err instanceof LinkTimeoutError) return 'timeout' as const;
        throw err;
      }
      const r = got.record;
      if (!r) return 'no-pt' as const;
      if (r.type === 'error') throw new BoardError(r);
      if (r.type === 'status') return r;
      try {
        return await this.waitForRecord((x): x is StatusRecord => x.type === 'status', 1000, 'status record');
      } catch {
        throw new WrongBoardError('protocol', 'the firmware acknowledged `status` but sent no status record: flash this version with `npx host flash`');
      }
    });
  }

  /** probe(), then a clear error unless our firmware with our protocol answers. */
  async expectFirmware(port: string, opts: { timeoutMs?: number } = {}): Promise<{ kaluma: string; status: StatusRecord }> {
    const res = await this.probe(opts);
    if (res.kind === 'not-kaluma') {
      const heard = res.seen.length > 0 ? ` (it said: ${res.seen.slice(0, 3).map((s) => JSON.stringify(s.slice(0, 60))).join(', ')})` : ' (it said nothing)';
      throw new WrongBoardError(
        'not-kaluma',
        `${port} did not answer .hi with Kaluma's banner${heard}: it is not a Kaluma board, or a program on it is stuck in a long loop. ` +
          `Install Kaluma 1.2.1 on the Pico (kalumajs.org), pick another port (\`npx host ports\`), or run \`npm run flash\`, which interrupts a running program`,
      );
    }
    if (res.kind === 'no-firmware') {
      throw new WrongBoardError('no-firmware', `${port} runs Kaluma ${res.kaluma} but not the pico-trainer firmware: run \`npm run flash\` (or \`npx host flash --port ${port}\`)`);
    }
    if (res.protocol !== null && res.protocol !== PROTOCOL_VERSION) {
      throw new WrongBoardError('protocol', `the board's firmware speaks protocol ${res.protocol}, this host speaks ${PROTOCOL_VERSION}: run \`npm run flash\` to put this version's firmware on it`);
    }
    return { kaluma: res.kaluma, status: res.status };
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
