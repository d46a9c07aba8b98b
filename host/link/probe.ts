// What is at the other end of the port, and the REPL put in a known state: Kaluma's banner, our
// firmware's status record and protocol, or a clear error that says what to run.
import { PROTOCOL_VERSION, type StatusRecord } from '../../shared/protocol.ts';
import { commandLine } from '../../shared/wire.ts';
import { BoardError, LinkTimeoutError, WrongBoardError } from './errors.ts';
import type { Line } from './lines.ts';
import { DLE, misreadBy, type BoardRuntime, type LineIO, type RequestChannel } from './request.ts';

export const CTRL_C = '\x03';

export type ProbeResult =
  | { kind: 'not-kaluma'; seen: string[] }
  | { kind: 'no-firmware'; runtime: BoardRuntime; kaluma: string }
  | { kind: 'firmware'; runtime: BoardRuntime; kaluma: string; status: StatusRecord; protocol: number | null };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The line the Espruino probe prints: a marker, then process.env's VERSION and BOARD. */
const ESPRUINO_MARK = 'pico-trainer-probe espruino';
// Not anchored (a prompt may precede it); the version must look like Espruino's ("2v29", "2v29.277"),
// which the echo of the question itself (on Kaluma, before `.echo off`) never does.
const ESPRUINO_ANSWER = new RegExp(ESPRUINO_MARK + ' (\\d+v\\d+[\\w.]*) ?(\\S*)');

/** Which runtime a banner or probe answer names; null for any other line. */
export function runtimeOfLine(text: string): { runtime: BoardRuntime; version: string; board?: string } | null {
  const k = /Welcome to Kaluma/i.test(text) ? /Kaluma v?(\d+\.\d+(?:\.\d+)?[^\s]*)/i.exec(text) ?? ['', 'unknown'] : null;
  if (k) return { runtime: 'kaluma', version: k[1] };
  const e = ESPRUINO_ANSWER.exec(text);
  return e ? { runtime: 'espruino', version: e[1], board: e[2] || undefined } : null;
}

/**
 * Puts the REPL in a known state. `interrupt: true` (flash, send, train) sends Ctrl-C first,
 * which stops whatever runs on the board; re-attaching to a board that is training (monitor)
 * must pass `interrupt: false`. Either way a "\r" ends any half line a previous host left in
 * the REPL, and on Kaluma `.echo off` stops the echo of our own lines (Espruino does not echo the
 * DLE lines the host sends it).
 */
export async function prepare(io: LineIO, opts: { interrupt: boolean; settleMs?: number } = { interrupt: false }): Promise<void> {
  const settle = opts.settleMs ?? 200;
  if (opts.interrupt) {
    await io.write(CTRL_C);
    await sleep(Math.min(100, settle));
  }
  await io.write('\r');
  if (io.runtime === 'kaluma') await io.sendLine('.echo off');
  await sleep(settle);
}

/**
 * Finds out what is on the other end: neither runtime (no Kaluma banner on `.hi`, no answer to the
 * Espruino probe: see identify), a runtime without our firmware (`pt` is not defined), or our
 * firmware (a status record, with its protocol).
 */
export async function probe(io: LineIO, req: RequestChannel, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 2500;
  const found = await identify(io, timeoutMs);
  if (!found.runtime) return { kind: 'not-kaluma', seen: found.seen };
  const answer = await statusExchange(io, req, timeoutMs);
  if (answer === 'no-pt' || answer === 'timeout') return { kind: 'no-firmware', runtime: found.runtime, kaluma: found.version };
  return { kind: 'firmware', runtime: found.runtime, kaluma: found.version, status: answer, protocol: typeof answer.protocol === 'number' ? answer.protocol : null };
}

/**
 * Which runtime answers on the link (null: neither), with its version and the lines heard. Both
 * questions go out at once, each harmless to the other runtime: Espruino runs a DLE line without
 * echo and answers with a marker line; Kaluma reads that line as a syntax error and answers `.hi`
 * with its banner (Espruino reads `.hi` as a syntax error). The link's runtime is set to what
 * answered, so every later line is typed its way.
 */
export async function identify(io: LineIO, timeoutMs = 2500): Promise<{ runtime: BoardRuntime | null; version: string; board?: string; seen: string[] }> {
  const seen: string[] = [];
  const unSeen = io.onLine((l) => {
    if (seen.length < 20 && l.text.trim() !== '') seen.push(l.text);
  });
  let found: { runtime: BoardRuntime; version: string; board?: string };
  try {
    const answer = io.waitForLine((l) => runtimeOfLine(l.text) !== null, timeoutMs, 'Kaluma banner or Espruino answer');
    await io.write(DLE + 'print("' + ESPRUINO_MARK + ' "+process.env.VERSION+" "+process.env.BOARD)\r');
    await io.write('.hi\r');
    found = runtimeOfLine((await answer).text)!;
  } catch (err) {
    if (err instanceof LinkTimeoutError) return { runtime: null, version: '', seen };
    throw err;
  } finally {
    unSeen();
  }
  io.runtime = found.runtime;
  // Let the other question's syntax error pass before anyone reads answers.
  await sleep(50);
  return { ...found, seen };
}

/** Asks the firmware for its state (a status record). */
export async function boardStatus(io: LineIO, req: RequestChannel, opts: { timeoutMs?: number } = {}): Promise<StatusRecord> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const answer = await statusExchange(io, req, timeoutMs);
  if (answer === 'no-pt') throw new WrongBoardError('no-firmware', `the board runs ${runtimeTitle(io.runtime)} but not the pico-trainer firmware: run \`npm run flash\``);
  if (answer === 'timeout') throw new LinkTimeoutError(`no status from the board within ${(timeoutMs / 1000).toFixed(1)} s`);
  return answer;
}

/**
 * The firmware answers `status` with a status record (which carries no seq); an ack or error
 * with our seq is accepted too. Kaluma without the firmware prints a red ReferenceError.
 */
function statusExchange(io: LineIO, req: RequestChannel, timeoutMs: number): Promise<StatusRecord | 'no-pt' | 'timeout'> {
  const seq = req.nextSeq();
  const line = commandLine(seq, { op: 'status' }, misreadBy(io.runtime));
  return req.exclusive(async () => {
    const answer = io.waitForLine((l) => {
      if (/ReferenceError/.test(l.text) && /\bpt\b/.test(l.text)) return true;
      const r = l.record;
      return r !== null && (r.type === 'status' || ((r.type === 'ack' || r.type === 'error') && r.seq === seq));
    }, timeoutMs, 'answer to the status command');
    answer.catch(() => undefined);
    await io.sendLine(line);
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
      return (await io.waitForRecord((x) => x.type === 'status', 1000, 'status record')) as StatusRecord;
    } catch {
      throw new WrongBoardError('protocol', 'the firmware acknowledged `status` but sent no status record: flash this version with `npx host flash`');
    }
  });
}

/** probe(), then a clear error unless our firmware with our protocol answers. */
/** A runtime's name as a person writes it. */
export function runtimeTitle(r: BoardRuntime): string {
  return r === 'espruino' ? 'Espruino' : 'Kaluma';
}

export async function expectFirmware(io: LineIO, req: RequestChannel, port: string, opts: { timeoutMs?: number } = {}): Promise<{ kaluma: string; runtime: BoardRuntime; status: StatusRecord }> {
  const res = await probe(io, req, opts);
  if (res.kind === 'not-kaluma') {
    const heard = res.seen.length > 0 ? ` (it said: ${res.seen.slice(0, 3).map((s) => JSON.stringify(s.slice(0, 60))).join(', ')})` : ' (it said nothing)';
    throw new WrongBoardError(
      'not-kaluma',
      `${port} answered neither as Kaluma (no banner on .hi) nor as Espruino (no answer to a probe)${heard}: it runs another firmware, or a program on it is stuck in a long loop. ` +
        `Install Kaluma 1.2.1 on a Pico (kalumajs.org) or use an Espruino board, pick another port (\`npx host ports\`), or run \`npm run flash\`, which interrupts a running program`,
    );
  }
  if (res.kind === 'no-firmware') {
    throw new WrongBoardError('no-firmware', `${port} runs ${runtimeTitle(res.runtime)} ${res.kaluma} but not the pico-trainer firmware: run \`npm run flash\` (or \`npx host flash --port ${port}\`)`);
  }
  if (res.protocol !== null && res.protocol !== PROTOCOL_VERSION) {
    throw new WrongBoardError('protocol', `the board's firmware speaks protocol ${res.protocol}, this host speaks ${PROTOCOL_VERSION}: run \`npm run flash\` to put this version's firmware on it`);
  }
  return { kaluma: res.kaluma, runtime: res.runtime, status: res.status };
}
