// YMODEM sender for Kaluma's `.flash -w` (the receiver is src/ymodem.c in kaluma-project/kaluma).
//
// What that receiver does, and so what this sender expects:
// - it sends 'C' about once a second until a block arrives;
// - every block is STX + number + ~number + 1024 bytes + CRC-16/XMODEM (big-endian);
// - block 0 is the header "name\0size " zero-padded; it answers ACK then 'C';
// - a data block is answered ACK, NAK (wrong block number) or 'C' (bad CRC / timeout: "send again");
// - CAN CAN means the board gave up (file too large, flash error, too many errors);
// - EOT is answered ACK (classic receivers answer NAK first, then ACK: both are handled);
// - an all-zero header block ends the session.
// The final ACK does not mean the program was stored: the board prints `Done` (or `Verification
// failed`, `Aborted`, `Failed to receive`) afterwards, and the caller must check that line.

export const SOH = 0x01;
export const STX = 0x02;
export const EOT = 0x04;
export const ACK = 0x06;
export const NAK = 0x15;
export const CAN = 0x18;
export const CRC_REQUEST = 0x43; // 'C'

export const BLOCK_SIZE = 1024;

/** CRC-16/XMODEM (poly 0x1021, init 0, no reflection). */
export function crc16xmodem(data: Uint8Array, from = 0, to = data.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= data[i] << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** One STX block: header, payload (padded with `pad`) and CRC. */
export function makeBlock(num: number, payload: Uint8Array, pad: number): Uint8Array {
  const block = new Uint8Array(3 + BLOCK_SIZE + 2);
  block[0] = STX;
  block[1] = num & 0xff;
  block[2] = ~num & 0xff;
  block.fill(pad, 3, 3 + BLOCK_SIZE);
  block.set(payload.subarray(0, BLOCK_SIZE), 3);
  const crc = crc16xmodem(block, 3, 3 + BLOCK_SIZE);
  block[3 + BLOCK_SIZE] = crc >> 8;
  block[4 + BLOCK_SIZE] = crc & 0xff;
  return block;
}

/** Block 0: `name\0` + `"<size> "`, zero padded. An empty name gives the all-zero end-of-session block. */
export function headerBlock(name: string, size: number): Uint8Array {
  const payload = new Uint8Array(BLOCK_SIZE);
  if (name !== '') {
    const text = name + '\0' + size + ' ';
    for (let i = 0; i < text.length; i++) payload[i] = text.charCodeAt(i) & 0xff;
  }
  return makeBlock(0, payload, 0);
}

/** How the sender talks to the board: raw bytes both ways. */
export interface ByteChannel {
  write(bytes: Uint8Array): Promise<void>;
  /** Next received byte, or null when none arrives within `timeoutMs`. */
  read(timeoutMs: number): Promise<number | null>;
  /** Drops bytes received but not yet read (stale answers before a resend). */
  discard(): void;
}

export type YmodemFailure = 'no-start' | 'cancelled' | 'retries' | 'timeout';

export class YmodemError extends Error {
  constructor(
    readonly reason: YmodemFailure,
    message: string,
  ) {
    super(message);
    this.name = 'YmodemError';
  }
}

export interface YmodemOptions {
  /** How long to wait for the receiver's first 'C'. */
  startTimeoutMs?: number;
  /** How long to wait for the answer to one block. */
  blockTimeoutMs?: number;
  /** Sends of one block before giving up. */
  maxTries?: number;
  /** Called after each acknowledged data block. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

type Answer = 'ack' | 'nak' | 'crc' | 'cancel' | 'timeout';

/** A 'C' counts as the receiver's poll only when it is not part of a word or an escape sequence. */
function startsPoll(prev: number): boolean {
  const isWordish = (prev >= 0x30 && prev <= 0x39) || (prev >= 0x41 && prev <= 0x5a) || (prev >= 0x61 && prev <= 0x7a) || prev === 0x5b || prev === 0x3b;
  return !isWordish;
}

async function waitForPoll(ch: ByteChannel, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let prev = -1;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const b = await ch.read(left);
    if (b === null) break;
    if (b === CRC_REQUEST && startsPoll(prev)) return;
    if (b === CAN && prev === CAN) throw new YmodemError('cancelled', 'the board cancelled the transfer before it started');
    prev = b;
  }
  throw new YmodemError('no-start', `no YMODEM request ('C') from the board within ${Math.round(timeoutMs / 1000)} s`);
}

/** Reads the receiver's answer to one block; `ignoreC` skips polls (after EOT they only ask for the next header). */
async function readAnswer(ch: ByteChannel, timeoutMs: number, ignoreC: boolean): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let prev = -1;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    const b = await ch.read(left);
    if (b === null) return 'timeout';
    if (b === ACK) return 'ack';
    if (b === NAK) return 'nak';
    if (b === CAN) {
      if (prev === CAN) return 'cancel';
      // A lone CAN may be noise: the receiver always sends two.
      const next = await ch.read(Math.min(1000, Math.max(1, deadline - Date.now())));
      if (next === CAN) return 'cancel';
      if (next === null) return 'timeout';
      if (next === ACK) return 'ack';
      if (next === NAK) return 'nak';
      prev = next;
      continue;
    }
    if (b === CRC_REQUEST && !ignoreC) return 'crc';
    prev = b;
  }
}

/**
 * Sends one block until it is acknowledged. Stale bytes are discarded before each send so an old
 * answer is never taken for the new block's.
 */
async function sendBlock(ch: ByteChannel, block: Uint8Array, what: string, opts: Required<Omit<YmodemOptions, 'onProgress'>>, ignoreC: boolean): Promise<void> {
  let last: Answer = 'timeout';
  for (let attempt = 0; attempt < opts.maxTries; attempt++) {
    ch.discard();
    await ch.write(block);
    last = await readAnswer(ch, opts.blockTimeoutMs, ignoreC);
    if (last === 'ack') return;
    if (last === 'cancel') throw new YmodemError('cancelled', `the board cancelled the transfer at ${what}`);
  }
  await abort(ch);
  if (last === 'timeout') throw new YmodemError('timeout', `no answer from the board to ${what} after ${opts.maxTries} tries`);
  throw new YmodemError('retries', `the board rejected ${what} ${opts.maxTries} times (corrupted on the wire?)`);
}

/** Tells the receiver to stop (CAN CAN), so the board leaves YMODEM and returns to its REPL. */
async function abort(ch: ByteChannel): Promise<void> {
  try {
    await ch.write(Uint8Array.of(CAN, CAN, CAN));
  } catch {
    // The port may already be gone; the caller reports the original failure.
  }
}

/** Sends `data` as file `name`. Resolves after the final header is acknowledged. */
export async function ymodemSend(ch: ByteChannel, name: string, data: Uint8Array, options: YmodemOptions = {}): Promise<void> {
  const opts = {
    startTimeoutMs: options.startTimeoutMs ?? 5000,
    blockTimeoutMs: options.blockTimeoutMs ?? 5000,
    maxTries: options.maxTries ?? 8,
  };
  const onProgress = options.onProgress;
  if (name === '' || name.length > 60 || /[\0\s]/.test(name)) throw new Error(`bad YMODEM file name "${name}"`);

  await waitForPoll(ch, opts.startTimeoutMs);
  // Polls queued while we waited are dropped by sendBlock before it writes; a 'C' after that is
  // the receiver's "bad block, send again" (it polls only once a second otherwise).
  await sendBlock(ch, headerBlock(name, data.length), 'the header block', opts, false);
  // After the header the receiver sends ACK and then 'C'; eat that 'C' before the first data
  // block, or it would be read as that block's "send again".
  await waitForPollAfterHeader(ch, opts.blockTimeoutMs);

  const blocks = Math.ceil(data.length / BLOCK_SIZE);
  for (let i = 0; i < blocks; i++) {
    const from = i * BLOCK_SIZE;
    const payload = data.subarray(from, Math.min(data.length, from + BLOCK_SIZE));
    await sendBlock(ch, makeBlock((i + 1) & 0xff, payload, 0xff), `block ${i + 1} of ${blocks}`, opts, false);
    if (onProgress) onProgress(Math.min(data.length, from + BLOCK_SIZE), data.length);
  }
  if (blocks === 0 && onProgress) onProgress(0, 0);

  await sendEot(ch, opts);
  // End of session: an all-zero header. Polls here are the receiver asking for it; ignore them.
  await sendBlock(ch, headerBlock('', 0), 'the end-of-session block', opts, true);
}

async function waitForPollAfterHeader(ch: ByteChannel, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return; // no 'C': go on; a receiver that wanted none is fine too
    const b = await ch.read(left);
    if (b === null || b === CRC_REQUEST) return;
    if (b === CAN) {
      const next = await ch.read(1000);
      if (next === CAN) throw new YmodemError('cancelled', 'the board cancelled the transfer after the header (program too large?)');
    }
  }
}

async function sendEot(ch: ByteChannel, opts: Required<Omit<YmodemOptions, 'onProgress'>>): Promise<void> {
  for (let attempt = 0; attempt < opts.maxTries; attempt++) {
    ch.discard();
    await ch.write(Uint8Array.of(EOT));
    const answer = await readAnswer(ch, opts.blockTimeoutMs, true);
    if (answer === 'ack') return;
    if (answer === 'cancel') throw new YmodemError('cancelled', 'the board cancelled the transfer at the end of the file');
    // NAK: classic receivers NAK the first EOT to be sure; send it again.
  }
  await abort(ch);
  throw new YmodemError('timeout', 'the board did not acknowledge the end of the file');
}
