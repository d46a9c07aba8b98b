// An in-memory YMODEM receiver that behaves like Kaluma's src/ymodem.c (bad CRC → 'C', wrong
// block number → NAK, header → ACK + 'C', EOT → ACK, CAN CAN → abort), with fault hooks.
import { ByteQueue } from '../../host/link/bytes.ts';
import type { ByteChannel } from '../../host/link/ymodem.ts';

const STX = 0x02;
const EOT = 0x04;
const ACK = 0x06;
const NAK = 0x15;
const CAN = 0x18;
const C = 0x43;

// Kaluma's bit-serial CRC, written independently of the sender's.
function crcKaluma(data: Uint8Array): number {
  const step = (crcIn: number, byte: number): number => {
    let crc = crcIn;
    let inp = byte | 0x100;
    do {
      crc <<= 1;
      inp <<= 1;
      if (inp & 0x100) ++crc;
      if (crc & 0x10000) crc ^= 0x1021;
    } while (!(inp & 0x10000));
    return crc & 0xffff;
  };
  let crc = 0;
  for (const b of data) crc = step(crc, b);
  crc = step(crc, 0);
  crc = step(crc, 0);
  return crc;
}

export interface ReceiverFaults {
  /** Corrupt the n-th received data block (1-based; 0 = the header) this many times before accepting it. */
  corruptBlock?: { block: number; times: number };
  /** Answer CAN CAN to this data block (1-based). */
  cancelAtBlock?: number;
  /** Never poll with 'C' (not a YMODEM receiver). */
  silent?: boolean;
  /** Answer the first EOT with NAK, as classic receivers do. */
  nakFirstEot?: boolean;
  /** Poll this many times before the sender is expected to start (stale 'C's). */
  extraPolls?: number;
  /** Where answers go (a fake board's output); by default the queue behind `channel`. */
  out?: (bytes: Uint8Array) => void;
}

export class FakeYmodemReceiver {
  readonly toSender = new ByteQueue();
  name = '';
  size = -1;
  received: number[] = [];
  headers: Uint8Array[] = [];
  blocksSeen = 0;
  done = false;
  aborted = false;
  naks = 0;
  eots = 0;
  private buf: number[] = [];
  private expected = 0;
  private corruptLeft: number;
  private eotNaked = false;

  constructor(readonly faults: ReceiverFaults = {}) {
    this.corruptLeft = faults.corruptBlock ? faults.corruptBlock.times : 0;
    if (!faults.silent) {
      this.emit(Uint8Array.from([0x0d, 0x0a]));
      for (let i = 0; i <= (faults.extraPolls ?? 0); i++) this.emit(Uint8Array.of(C));
    }
  }

  /** The sender's side. */
  get channel(): ByteChannel {
    return {
      write: async (bytes) => {
        this.feed(bytes);
      },
      read: (ms) => this.toSender.read(ms),
      discard: () => this.toSender.discard(),
    };
  }

  /** The file as stored: data blocks cut to the header's size. */
  get file(): Uint8Array {
    return Uint8Array.from(this.received.slice(0, this.size));
  }

  private emit(bytes: Uint8Array): void {
    if (this.faults.out) this.faults.out(bytes);
    else this.toSender.push(bytes);
  }

  private reply(...bytes: number[]): void {
    // Answer on a later tick, as a real port would.
    setTimeout(() => this.emit(Uint8Array.from(bytes)), 0);
  }

  /** Bytes from the sender. */
  feed(bytes: Uint8Array): void {
    if (this.faults.silent || this.done || this.aborted) return;
    for (const b of bytes) this.buf.push(b);
    for (;;) {
      if (this.buf.length === 0) return;
      const head = this.buf[0];
      if (head === EOT) {
        this.buf.shift();
        this.eots++;
        if (this.faults.nakFirstEot && !this.eotNaked) {
          this.eotNaked = true;
          this.reply(NAK);
        } else {
          this.expected = 0; // the next block is a header again
          this.reply(ACK);
        }
        continue;
      }
      if (head === CAN) {
        if (this.buf.length < 2) return;
        if (this.buf[1] === CAN) {
          this.aborted = true;
          this.buf = [];
          this.reply(ACK);
          return;
        }
        this.buf.shift();
        continue;
      }
      if (head !== STX) {
        this.buf.shift();
        continue;
      }
      if (this.buf.length < 1029) return;
      const pkt = Uint8Array.from(this.buf.splice(0, 1029));
      this.packet(pkt);
    }
  }

  private packet(pkt: Uint8Array): void {
    const num = pkt[1];
    const data = pkt.subarray(3, 1027);
    const crc = (pkt[1027] << 8) | pkt[1028];
    if (this.faults.corruptBlock && this.faults.corruptBlock.block === this.expected && this.corruptLeft > 0) {
      this.corruptLeft--;
      data[100] ^= 0x5a; // the wire flipped bits
    }
    if ((num ^ pkt[2]) !== 0xff || crcKaluma(data) !== crc) {
      this.reply(C); // Kaluma asks again with 'C' on a bad packet
      return;
    }
    if (num !== (this.expected & 0xff)) {
      this.naks++;
      this.reply(NAK);
      return;
    }
    if (this.expected === 0) {
      this.headers.push(Uint8Array.from(data));
      if (data[0] === 0) {
        this.done = true;
        this.reply(ACK);
        return;
      }
      let i = 0;
      while (data[i] !== 0) this.name += String.fromCharCode(data[i++]);
      i++;
      let size = '';
      while (data[i] !== 0x20) size += String.fromCharCode(data[i++]);
      this.size = Number(size);
      this.expected = 1;
      this.reply(ACK, C);
      return;
    }
    this.blocksSeen++;
    if (this.faults.cancelAtBlock === this.expected) {
      this.aborted = true;
      this.reply(CAN, CAN);
      return;
    }
    for (const b of data) this.received.push(b);
    this.expected++;
    this.reply(ACK);
  }
}
