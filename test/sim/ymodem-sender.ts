// A small YMODEM sender for the tests, written from the protocol (not from the simulator's receiver):
// 1024-byte STX blocks, CRC-16/XMODEM big-endian, block 0 = "name\0size ", data padded with 0xFF,
// EOT, then an all-zero block 0 to end the session.
import type { SerialSession } from './serial-session.ts';

const STX = 0x02;
const EOT = 0x04;
const ACK = 0x06;
const NAK = 0x15;
const CAN = 0x18;
const C = 0x43;

/** CRC-16/XMODEM, bit by bit: polynomial 0x1021, initial value 0, no reflection. */
export function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = (crc >> 15) & 1;
      const inBit = (byte >> bit) & 1;
      crc = (crc << 1) & 0xffff;
      if (top ^ inBit) crc ^= 0x1021;
    }
  }
  return crc;
}

export function block(seq: number, payload: Uint8Array, badCrc = false): Uint8Array {
  const out = new Uint8Array(3 + 1024 + 2);
  out[0] = STX;
  out[1] = seq & 0xff;
  out[2] = 0xff - (seq & 0xff);
  out.set(payload, 3);
  const crc = crc16(out.subarray(3, 3 + 1024)) ^ (badCrc ? 0x0101 : 0);
  out[1027] = crc >> 8;
  out[1028] = crc & 0xff;
  return out;
}

export function headerPayload(name: string, size: number): Uint8Array {
  const p = new Uint8Array(1024);
  const text = Buffer.from(`${name}\0${size} `, 'latin1');
  p.set(text);
  return p;
}

export interface SendResult {
  outcome: 'sent' | 'cancelled';
  /** Every control byte the board sent after the first 'C', in order. */
  replies: number[];
  /** How many blocks had to be sent again. */
  resent: number;
}

export interface SendOptions {
  /** Data block numbers (1-based) whose first transmission carries a wrong CRC. */
  badCrcOnce?: number[];
}

async function reply(session: SerialSession, replies: number[]): Promise<number> {
  const b = await session.nextByte(10_000);
  if (b === null) throw new Error(`no reply from the board (replies so far: ${replies.join(',')})`);
  replies.push(b);
  return b;
}

/** Sends `data` after `.flash -w`: waits for the board's 'C', then runs the whole session. */
export async function ymodemSend(session: SerialSession, name: string, data: Uint8Array, opts: SendOptions = {}): Promise<SendResult> {
  const replies: number[] = [];
  let resent = 0;
  for (;;) {
    const b = await session.nextByte(10_000);
    if (b === null) throw new Error('the board never asked for the file (no C)');
    if (b === C) break;
  }
  const blocks = [headerPayload(name, data.length)];
  for (let off = 0; off < data.length; off += 1024) {
    const p = new Uint8Array(1024).fill(0xff);
    p.set(data.subarray(off, off + 1024));
    blocks.push(p);
  }
  const bad = new Set(opts.badCrcOnce ?? []);
  for (let i = 0; i < blocks.length; i++) {
    let corrupt = bad.delete(i);
    for (;;) {
      await session.write(block(i, blocks[i], corrupt));
      corrupt = false;
      const r = await reply(session, replies);
      if (r === ACK) {
        if (i === 0 && (await reply(session, replies)) !== C) throw new Error('no C after the header ACK');
        break;
      }
      if (r === CAN) {
        await reply(session, replies);
        return { outcome: 'cancelled', replies, resent };
      }
      if (r === C || r === NAK) {
        resent++;
        continue;
      }
      throw new Error(`unexpected reply 0x${r.toString(16)} to block ${i}`);
    }
  }
  await session.write(Uint8Array.of(EOT));
  if ((await reply(session, replies)) !== ACK) throw new Error('EOT not acknowledged');
  await session.write(block(0, new Uint8Array(1024)));
  if ((await reply(session, replies)) !== ACK) throw new Error('end of session not acknowledged');
  return { outcome: 'sent', replies, resent };
}
