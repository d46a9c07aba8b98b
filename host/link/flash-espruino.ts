// Putting a program on an Espruino board, the way EspruinoTools does: Ctrl-C, `reset()`, then the
// program in DLE lines (not echoed), paced. The program goes to the `.bootcde` file of Espruino's
// Storage, which Espruino runs at every boot, straight from flash (so its text takes none of the
// board's variables, runtime-facts.md); `load()` then starts it. Each line carries at most 672
// bytes of the program as base64 (never its text: atob turns it back on the board) and ends by
// printing how far the file now reaches, which the host waits for before the next; a line whose
// answer is lost is sent again (the same bytes to the same place). Success is claimed only when the
// board says so twice: the CRC-32 it computes over the stored file is the program's, and the program
// it loaded printed a hello record with our protocol version.
import { PROTOCOL_VERSION, type HelloRecord } from '../../shared/protocol.ts';
import { base64Encode, crc32 } from '../../shared/wire.ts';
import type { BoardLink } from './board.ts';
import { LinkClosedError, LinkTimeoutError } from './errors.ts';
import { FlashError, awaitHello, takeOver, type FlashOptions } from './flash.ts';
import type { Line } from './lines.ts';

/** The Storage file Espruino runs at boot. */
export const BOOT_FILE = '.bootcde';
/** Program bytes per line: 896 base64 characters, so the whole line stays under MAX_LINE. */
export const BYTES_PER_LINE = 672;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An uncaught error as Espruino prints it ("Uncaught Error: …", then its stack lines). */
export function isEspruinoErrorLine(text: string): boolean {
  return /^\s*(>\s*)?Uncaught\s/.test(text);
}

/** The line that stores the program's bytes [offset, offset + part.length) and says so. */
export function storeLine(part: Uint8Array, offset: number, total: number): string {
  const size = offset === 0 ? ',' + total : '';
  return `require("Storage").write("${BOOT_FILE}",atob("${base64Encode(part)}"),${offset}${size});print("pt-stored ${offset + part.length}")`;
}

/** Flashes `program` onto an Espruino board and returns the hello record of the program it loaded. */
export async function flashEspruino(link: BoardLink, program: Uint8Array, opts: FlashOptions = {}): Promise<HelloRecord> {
  const trace = opts.traceLines ?? ((l: string[]) => l);
  link.runtime = 'espruino';
  const { heard, unHeard } = await takeOver(link);
  try {
    // Clear the program in RAM (timers included).
    await link.sendLine('reset();');
    // EspruinoTools waits a quarter of a second here: reset() prints its banner while it clears.
    await sleep(opts.startTimeoutMs === undefined ? 300 : Math.min(300, opts.startTimeoutMs));

    const lineMs = opts.blockTimeoutMs ?? 3000;
    for (let at = 0; at < program.length || (at === 0 && program.length === 0); at += BYTES_PER_LINE) {
      const part = program.subarray(at, Math.min(program.length, at + BYTES_PER_LINE));
      await storePart(link, storeLine(part, at, program.length), at + part.length, lineMs, heard);
      opts.onProgress?.(at + part.length, program.length);
      if (program.length === 0) break;
    }

    // The board's own check of what it stored.
    const want = crc32(program, program.length);
    const crcLine = link.waitForLine((l) => /pt-crc (-?\d+)\s*$/.test(l.text), opts.verdictTimeoutMs ?? 5000, 'CRC of the stored program');
    crcLine.catch(() => undefined);
    await link.sendLine(`print("pt-crc "+E.CRC32(require("Storage").read("${BOOT_FILE}")))`);
    let got: number;
    try {
      got = Number(/pt-crc (-?\d+)\s*$/.exec((await crcLine).text)![1]) >>> 0;
    } catch (err) {
      if (err instanceof LinkTimeoutError) throw new FlashError('verify', 'the board stored the program but did not say what it holds (no CRC came back): flash again', heard.slice(-6));
      throw err;
    }
    if (got !== want) throw new FlashError('verify', `the board holds another program than the one sent (CRC-32 ${got}, expected ${want}): flash again`, heard.slice(-6));
  } catch (err) {
    unHeard();
    if (err instanceof LinkClosedError) throw new FlashError('transfer', 'the port closed during the upload (board reset or unplugged?)', heard.slice(-6));
    throw err;
  }

  // Run it, and wait for the firmware to introduce itself; an uncaught error means it will not.
  const errors: string[] = [];
  let inError = false;
  const offErrors = link.onLine((l: Line) => {
    if (isEspruinoErrorLine(l.text)) {
      inError = true;
      errors.push(l.text.trim());
    } else if (inError && /^\s*(at |line \d|\s*\^)/.test(l.text)) {
      errors.push(l.text.trim());
    } else inError = false;
  });
  try {
    const helloMs = opts.helloTimeoutMs ?? 10000;
    const { rec, closed } = await awaitHello(link, 'load();', (l) => isEspruinoErrorLine(l.text), 1000, helloMs);
    if (!rec) {
      if (errors.length > 0) throw new FlashError('load', 'the program was stored but stopped with an error when it started', trace(errors));
      if (closed) throw new FlashError('load', 'the port closed after `load()` (board reset or unplugged?)', heard.slice(-6));
      throw new FlashError('load', `the program was stored, but no hello record came within ${(helloMs / 1000).toFixed(1)} s of \`load()\`: is it the pico-trainer firmware?`, heard.slice(-6));
    }
    if (opts.checkProtocol !== false && rec.protocol !== PROTOCOL_VERSION) {
      throw new FlashError('protocol', `the firmware says protocol ${rec.protocol}, this host speaks ${PROTOCOL_VERSION}: the bundle and the host are from different versions`);
    }
    return rec;
  } finally {
    offErrors();
    unHeard();
  }
}

/** Sends one store line and waits for the board to say the file reaches `end`; resends on silence. */
async function storePart(link: BoardLink, line: string, end: number, timeoutMs: number, heard: string[]): Promise<void> {
  const tries = 3;
  for (let attempt = 0; attempt < tries; attempt++) {
    const answer = link.waitForLine((l) => new RegExp('pt-stored ' + end + '\\s*$').test(l.text) || isEspruinoErrorLine(l.text), timeoutMs, `answer to the upload up to byte ${end}`);
    answer.catch(() => undefined);
    if (attempt > 0) await link.write('\r');
    await link.sendLine(line);
    let got: Line;
    try {
      got = await answer;
    } catch (err) {
      if (err instanceof LinkTimeoutError) continue;
      throw err;
    }
    if (isEspruinoErrorLine(got.text)) {
      // Out of Storage space is the likely one: the message says so in the board's words.
      throw new FlashError('transfer', `the board refused the program at byte ${end - BYTES_PER_LINE > 0 ? end - BYTES_PER_LINE : 0}: ${got.text.trim()}`, heard.slice(-6));
    }
    return;
  }
  throw new FlashError('transfer', `the board did not confirm the upload up to byte ${end} after ${tries} tries: is it an Espruino board? Try again, or unplug and replug it`, heard.slice(-6));
}
