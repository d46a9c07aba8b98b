// Putting a program on the board: Ctrl-C, `.flash -w`, YMODEM, the board's verdict, `.load`,
// and the firmware's hello. Success is claimed only when the board itself says so twice: it
// printed `Done` after the transfer, and the program it now runs printed a hello record with
// our protocol version. Everything else is a FlashError naming what went wrong.
import { PROTOCOL_VERSION, type HelloRecord } from '../../shared/protocol.ts';
import { UserError } from '../errors.ts';
import { CTRL_C, collectErrorLines, type BoardLink } from './board.ts';
import { LinkClosedError } from './errors.ts';
import { isSimPort, reflashAdvice } from '../sim/advice.ts';
import { isRedLine, type Line } from './lines.ts';
import { YmodemError, ymodemSend } from './ymodem.ts';

/** The name Kaluma's flash command expects in the YMODEM header. */
export const FLASH_FILE_NAME = 'usercode';

export type FlashStage = 'start' | 'transfer' | 'verify' | 'load' | 'protocol';

export class FlashError extends UserError {
  constructor(
    readonly stage: FlashStage,
    message: string,
    readonly boardLines: string[] = [],
  ) {
    super(boardLines.length > 0 ? `${message}\nthe board printed:\n  ${boardLines.join('\n  ')}` : message);
    this.name = 'FlashError';
  }
}

export interface FlashOptions {
  /** Per YMODEM block (bytes sent so far, total). */
  onProgress?: (sent: number, total: number) => void;
  /** Rewrites board error lines (stack lines through the source map). */
  traceLines?: (lines: string[]) => string[];
  startTimeoutMs?: number;
  blockTimeoutMs?: number;
  verdictTimeoutMs?: number;
  helloTimeoutMs?: number;
  /** Check hello.protocol against PROTOCOL_VERSION (on by default). */
  checkProtocol?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Verdict = 'done' | 'verification' | 'aborted' | 'failed';

function verdictOf(line: Line): Verdict | null {
  const t = line.text;
  if (/\bDone\s*$/.test(t)) return 'done';
  if (/Verification failed/i.test(t)) return 'verification';
  if (/\bAborted\b/.test(t)) return 'aborted';
  if (/Failed to receive/i.test(t)) return 'failed';
  return null;
}

/**
 * Sends `loadLine` (the line that starts the stored program) and waits for the program's hello
 * record. An uncaught error (`isError`) means none will come: the wait ends `graceMs` after the last
 * one instead of the full `helloMs`. `closed`: the port closed meanwhile.
 */
export function awaitHello(link: BoardLink, loadLine: string, isError: (l: Line) => boolean, graceMs: number, helloMs: number): Promise<{ rec: HelloRecord | null; closed: boolean }> {
  return new Promise((resolve) => {
    let closed = false;
    let afterError: ReturnType<typeof setTimeout> | null = null;
    const finish = (rec: HelloRecord | null): void => {
      clearTimeout(overall);
      if (afterError) clearTimeout(afterError);
      offLine();
      offClose();
      resolve({ rec, closed });
    };
    const overall = setTimeout(() => finish(null), helloMs);
    const offLine = link.onLine((l) => {
      if (l.record && l.record.type === 'hello') return finish(l.record);
      if (isError(l)) {
        if (afterError) clearTimeout(afterError);
        afterError = setTimeout(() => finish(null), graceMs);
      }
    });
    const offClose = link.onClosed(() => {
      closed = true;
      finish(null);
    });
    link.sendLine(loadLine).catch(() => finish(null));
  });
}

/**
 * The start of every flash: whatever runs is stopped (Ctrl-C) and any half-typed line ended; from
 * then on the board's non-empty lines are kept (up to 200) for the error messages, until `unHeard()`.
 */
export async function takeOver(link: BoardLink): Promise<{ heard: string[]; unHeard: () => void }> {
  await link.write(CTRL_C);
  await sleep(150);
  await link.write('\r');
  await sleep(100);
  const heard: string[] = [];
  const unHeard = link.onLine((l) => {
    if (l.text.trim() !== '' && heard.length < 200) heard.push(l.text.trim());
  });
  return { heard, unHeard };
}

/** Flashes `program` (the bundle's bytes) and returns the hello record of the program it loaded. */
export async function flashProgram(link: BoardLink, program: Uint8Array, opts: FlashOptions = {}): Promise<HelloRecord> {
  const trace = opts.traceLines ?? ((l: string[]) => l);
  const virtual = isSimPort((link.stream as { path?: string }).path); // asked now: a sim that stops leaves the registry first
  if (program.includes(0)) throw new FlashError('start', 'the program contains a NUL byte; Kaluma would store only the part before it');

  const { heard, unHeard } = await takeOver(link);

  // The verdict line can arrive in the same chunk as the last ACK, before the sender returns, so
  // listen from the start; but only once a data block was taken, so that text printed before the
  // transfer (a program still finishing, say) cannot pass for it.
  let armed = false;
  let verdict: Verdict | null = null;
  let wakeVerdict: (() => void) | null = null;
  const unVerdict = link.onLine((l) => {
    if (!armed || verdict) return;
    const v = verdictOf(l);
    if (v) {
      verdict = v;
      if (wakeVerdict) wakeVerdict();
    }
  });

  try {
    const bytes = link.openByteChannel();
    try {
      await link.sendLine('.flash -w');
      await ymodemSend(bytes.channel, FLASH_FILE_NAME, program, {
        startTimeoutMs: opts.startTimeoutMs ?? 5000,
        blockTimeoutMs: opts.blockTimeoutMs ?? 5000,
        onProgress: (sent, total) => {
          armed = true;
          if (opts.onProgress) opts.onProgress(sent, total);
        },
      });
    } catch (err) {
      if (err instanceof LinkClosedError || link.isClosed) {
        throw new FlashError('transfer', `the port closed during the upload (board unplugged or reset?): the program on the board is incomplete. ${reflashAdvice(virtual)}`);
      }
      if (!(err instanceof YmodemError)) throw err;
      // A cancel is often followed by the board's reason; give it a moment to arrive.
      await sleep(300);
      const said = heard.filter((h) => !/^C+$/.test(h)).slice(-6);
      if (err.reason === 'no-start') {
        throw new FlashError('start', `${err.message}: the board did not start a YMODEM upload after \`.flash -w\`. Is it a Kaluma board, and not stuck in a long loop? Unplug and replug it, then try again`, said);
      }
      if (err.reason === 'cancelled') {
        throw new FlashError('transfer', `${err.message} (the program may be too large for the board, or its flash failed)`, said);
      }
      throw new FlashError('transfer', `the upload failed: ${err.message}`, said);
    } finally {
      bytes.close();
    }

    if (!verdict) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.verdictTimeoutMs ?? 10000);
        wakeVerdict = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } catch (err) {
    unHeard();
    throw err;
  } finally {
    unVerdict();
  }
  const v = verdict as Verdict | null;
  if (v !== 'done') {
    unHeard();
    if (v === 'verification') throw new FlashError('verify', 'the board stored the program but its check of the flash failed (Verification failed): flash again; if it repeats, the board\'s flash may be worn', heard.slice(-6));
    if (v === 'aborted') throw new FlashError('verify', 'the board aborted the upload (Aborted)', heard.slice(-6));
    if (v === 'failed') throw new FlashError('verify', 'the board did not receive the program (Failed to receive)', heard.slice(-6));
    throw new FlashError('verify', 'the transfer ended but the board never said `Done`: the program may not be stored. Flash again', heard.slice(-6));
  }

  // Run it, and wait for the firmware to introduce itself. An uncaught error restarts the
  // runtime, so once one is printed there is no point waiting the full time for a hello.
  const errors = collectErrorLines(link);
  try {
    const helloMs = opts.helloTimeoutMs ?? 10000;
    const { rec, closed } = await awaitHello(link, '.load', (l) => isRedLine(l.raw), 1500, helloMs);
    if (!rec) {
      if (errors.lines.length > 0) throw new FlashError('load', 'the program was stored but stopped with an error when it started', trace(errors.lines));
      if (closed) throw new FlashError('load', 'the port closed after `.load` (board reset or unplugged?)', heard.slice(-6));
      throw new FlashError('load', `the program was stored, but no hello record came within ${(helloMs / 1000).toFixed(1)} s of \`.load\`: is it the pico-trainer firmware?`, heard.slice(-6));
    }
    if (opts.checkProtocol !== false && rec.protocol !== PROTOCOL_VERSION) {
      throw new FlashError('protocol', `the firmware says protocol ${rec.protocol}, this host speaks ${PROTOCOL_VERSION}: the bundle and the host are from different versions`);
    }
    return rec;
  } finally {
    errors.stop();
    unHeard();
  }
}
