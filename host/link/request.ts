// The request channel: how a command reaches the firmware without overflowing its input. Every line
// that matters is a `pt.d`/`pt.c` call with a sequence number; the next is written only after the
// board's `ack` (or `error`) for it, so at most one line is ever unacknowledged. A missing answer
// resends the same line with the same seq. It runs over any line I/O (a BoardLink).
import type { AckRecord, ProtocolRecord } from '../../shared/protocol.ts';
import { commandLine, type Command } from '../../shared/wire.ts';
import { espruinoReadsExactly } from '../build/espruino-number.ts';
import { BoardError, LinkTimeoutError } from './errors.ts';
import type { Line } from './lines.ts';

export interface RequestOptions {
  /** How long to wait for the ack of one send. */
  timeoutMs?: number;
  /** Sends before giving up (the same line, with the same seq). */
  tries?: number;
  /** Send a lone "\r" before the first send too (the line is itself a resend). */
  clearFirst?: boolean;
}

/** Espruino's "data link escape": a line that starts with it runs without echo (runtime-facts.md). */
export const DLE = '\x10';

/** Which JavaScript runtime the board runs: it decides how lines are typed and numbers written. */
export type BoardRuntime = 'kaluma' | 'espruino';

/** The numbers a runtime would read inexactly from their JSON decimals (none on Kaluma; see EXACT_PREFIX in shared/wire.ts). */
export function misreadBy(runtime: BoardRuntime): ((x: number) => boolean) | undefined {
  return runtime === 'espruino' ? (x) => !espruinoReadsExactly(JSON.stringify(x), x) : undefined;
}

/** Lines in and out: what the request channel, the upload and the probe need of a link. */
export interface LineIO {
  /** The board's runtime, once the probe has found it ('kaluma' until then). */
  runtime: BoardRuntime;
  write(data: string | Uint8Array): Promise<void>;
  /** Types one REPL line (the text, then "\r"; on Espruino after a DLE, so it is not echoed). */
  sendLine(text: string): Promise<void>;
  onLine(cb: (line: Line) => void): () => void;
  waitForLine(pred: (line: Line) => boolean, timeoutMs: number, what?: string): Promise<Line>;
  waitForRecord(pred: (r: ProtocolRecord) => boolean, timeoutMs: number, what?: string): Promise<ProtocolRecord>;
}

export class RequestChannel {
  private seq: number;
  // Requests run one at a time: this is the tail of their chain.
  private queue: Promise<unknown> = Promise.resolve();

  /** `firstSeq`: random by default, so a re-attached host does not reuse recent ones. */
  constructor(
    private readonly io: LineIO,
    firstSeq?: number,
  ) {
    this.seq = firstSeq ?? 1 + Math.floor(Math.random() * 1_000_000) * 1000;
  }

  nextSeq(): number {
    const s = this.seq;
    this.seq = this.seq >= 4294967295 ? 1 : this.seq + 1;
    return s;
  }

  /** Runs `job` after every earlier request has finished: one line in flight, never more. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
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
        const answer = this.io.waitForRecord((r) => (r.type === 'ack' || r.type === 'error') && r.seq === seq, timeoutMs, `answer to request ${seq}`);
        answer.catch(() => undefined); // handled below; avoids an unhandled rejection if the write throws
        // A retry first ends whatever half line the REPL may hold, so the resend starts clean.
        if (attempt > 0 || opts.clearFirst) await this.io.write('\r');
        await this.io.sendLine(line);
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
    if (cmd.op === 'status') return Promise.reject(new Error('use status() for the status command'));
    const seq = this.nextSeq();
    // Espruino reads decimals inexactly: its commands carry such numbers as their bits.
    return this.request(commandLine(seq, cmd, misreadBy(this.io.runtime)), seq, opts);
  }
}
