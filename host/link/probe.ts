// What is at the other end of the port, and the REPL put in a known state: Kaluma's banner, our
// firmware's status record and protocol, or a clear error that says what to run.
import { PROTOCOL_VERSION, type StatusRecord } from '../../shared/protocol.ts';
import { commandLine } from '../../shared/wire.ts';
import { BoardError, LinkTimeoutError, WrongBoardError } from './errors.ts';
import type { Line } from './lines.ts';
import type { LineIO, RequestChannel } from './request.ts';

export const CTRL_C = '\x03';

export type ProbeResult =
  | { kind: 'not-kaluma'; seen: string[] }
  | { kind: 'no-firmware'; kaluma: string }
  | { kind: 'firmware'; kaluma: string; status: StatusRecord; protocol: number | null };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/**
 * Puts the REPL in a known state. `interrupt: true` (flash, send, train) sends Ctrl-C first,
 * which stops whatever runs on the board; re-attaching to a board that is training (monitor)
 * must pass `interrupt: false`. Either way a "\r" ends any half line a previous host left in
 * the REPL, and `.echo off` stops the echo of our own lines.
 */
export async function prepare(io: LineIO, opts: { interrupt: boolean; settleMs?: number } = { interrupt: false }): Promise<void> {
  const settle = opts.settleMs ?? 200;
  if (opts.interrupt) {
    await io.write(CTRL_C);
    await sleep(Math.min(100, settle));
  }
  await io.write('\r');
  await io.sendLine('.echo off');
  await sleep(settle);
}

/**
 * Finds out what is on the other end: not Kaluma (no banner on `.hi`), Kaluma without our
 * firmware (`pt` is not defined), or our firmware (a status record, with its protocol).
 */
export async function probe(io: LineIO, req: RequestChannel, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 2500;
  const seen: string[] = [];
  const unSeen = io.onLine((l) => {
    if (seen.length < 20 && l.text.trim() !== '') seen.push(l.text);
  });
  let kaluma: string;
  try {
    const banner = io.waitForLine((l) => /Welcome to Kaluma/i.test(l.text), timeoutMs, 'Kaluma banner');
    await io.sendLine('.hi');
    const line = await banner;
    const m = /Kaluma v?(\d+\.\d+(?:\.\d+)?[^\s]*)/i.exec(line.text);
    kaluma = m ? m[1] : 'unknown';
  } catch (err) {
    unSeen();
    if (err instanceof LinkTimeoutError) return { kind: 'not-kaluma', seen };
    throw err;
  }
  unSeen();

  const answer = await statusExchange(io, req, timeoutMs);
  if (answer === 'no-pt' || answer === 'timeout') return { kind: 'no-firmware', kaluma };
  return { kind: 'firmware', kaluma, status: answer, protocol: typeof answer.protocol === 'number' ? answer.protocol : null };
}

/** Asks the firmware for its state (a status record). */
export async function boardStatus(io: LineIO, req: RequestChannel, opts: { timeoutMs?: number } = {}): Promise<StatusRecord> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const answer = await statusExchange(io, req, timeoutMs);
  if (answer === 'no-pt') throw new WrongBoardError('no-firmware', 'the board runs Kaluma but not the pico-trainer firmware: run `npm run flash`');
  if (answer === 'timeout') throw new LinkTimeoutError(`no status from the board within ${(timeoutMs / 1000).toFixed(1)} s`);
  return answer;
}

/**
 * The firmware answers `status` with a status record (which carries no seq); an ack or error
 * with our seq is accepted too. Kaluma without the firmware prints a red ReferenceError.
 */
function statusExchange(io: LineIO, req: RequestChannel, timeoutMs: number): Promise<StatusRecord | 'no-pt' | 'timeout'> {
  const seq = req.nextSeq();
  const line = commandLine(seq, { op: 'status' });
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
export async function expectFirmware(io: LineIO, req: RequestChannel, port: string, opts: { timeoutMs?: number } = {}): Promise<{ kaluma: string; status: StatusRecord }> {
  const res = await probe(io, req, opts);
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
