// A fake Kaluma board behind a Duplex: it reads REPL lines ended by "\r", answers `.hi`, and runs a
// tiny stand-in for the firmware's `pt.d` / `pt.c` that acknowledges with seq, count and crc.
// It records how many lines were ever unacknowledged at once, and can lose or spoil answers.
import { Duplex } from 'node:stream';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { base64Decode, chainCrc, crc32 } from '../../shared/wire.ts';

export interface FakeBoardOptions {
  /** 'firmware': pt is defined; 'kaluma': pt is not; 'silent': not a Kaluma board at all. */
  mode?: 'firmware' | 'kaluma' | 'silent';
  /** Do not answer these seqs the first time they arrive. */
  dropAnswerOnce?: number[];
  /** Acknowledge these seqs with a wrong crc the first time. */
  badCrcOnce?: number[];
  /** Acknowledge these seqs with a wrong crc every time. */
  badCrcAlways?: number[];
  /** Corrupt the payload of these seqs the first time (as line noise would): the board's CRC check fails. */
  corruptOnce?: number[];
  /** Protocol the status record names. */
  protocol?: number;
}

export class FakeBoard {
  readonly host: Duplex;
  readonly lines: string[] = [];
  ctrlC = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Set when a write arrived while a pt line was still unanswered. */
  overlap = false;
  private input = '';
  private data: number[] = [];
  private chain = 0;
  private expected = 0;
  private features = 0;
  private lastSeq = -1;
  private lastAck: object | null = null;
  private seenOnce = new Set<string>();

  constructor(readonly opts: FakeBoardOptions = {}) {
    const self = this;
    this.host = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        self.receive(chunk.toString('latin1'));
        cb();
      },
    });
  }

  private print(text: string): void {
    setTimeout(() => this.host.push(Buffer.from(text, 'utf8')), 1);
  }

  private log(text: string): void {
    this.print('\x1b[2K\r' + text + '\r\n');
  }

  private receive(text: string): void {
    for (const ch of text) {
      if (ch === '\x03') {
        this.ctrlC++;
        this.input = '';
      } else if (ch === '\r') {
        const line = this.input;
        this.input = '';
        this.line(line);
      } else {
        if (this.inFlight > 0) this.overlap = true;
        this.input += ch;
      }
    }
  }

  private once(kind: string, seq: number, list: number[] | undefined): boolean {
    if (!list || list.indexOf(seq) < 0) return false;
    const key = kind + seq;
    if (this.seenOnce.has(key)) return false;
    this.seenOnce.add(key);
    return true;
  }

  private line(line: string): void {
    this.lines.push(line);
    if (this.opts.mode === 'silent') return;
    if (line === '.hi') return this.print('Welcome to Kaluma v1.2.1\r\nhttps://kalumajs.org\r\n');
    if (line === '' || line.startsWith('.')) return;
    const m = /^pt\.([dc])\((\d+),"([^"]*)"(?:,(\d+))?\)$/.exec(line);
    if (!m) return this.print('\x1b[31mSyntaxError: unexpected token\r\n');
    if (this.opts.mode === 'kaluma') return this.print('\x1b[31mReferenceError: pt is not defined\r\n  at <anonymous>:1\r\n');
    const seq = Number(m[2]);
    const bytes = new Uint8Array(1024);
    const n = base64Decode(m[3], bytes);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const answer = (rec: object): void => {
      if (this.once('drop', seq, this.opts.dropAnswerOnce)) {
        this.inFlight--;
        return;
      }
      setTimeout(() => {
        this.inFlight--;
        this.log(JSON.stringify(rec));
      }, 2);
    };
    if (m[1] === 'd') {
      // As the firmware does: a repeated seq is acknowledged again, not appended twice; a chunk
      // whose bytes do not match the CRC on its line is refused.
      const spoil = (ack: { crc: number }): object => {
        if (this.once('crc', seq, this.opts.badCrcOnce) || (this.opts.badCrcAlways ?? []).indexOf(seq) >= 0) return { ...ack, crc: (ack.crc + 1) >>> 0 };
        return ack;
      };
      if (seq === this.lastSeq && this.lastAck) return answer(spoil(this.lastAck as { crc: number }));
      if (this.once('noise', seq, this.opts.corruptOnce)) bytes[0] ^= 0x40;
      const crc = crc32(bytes, n);
      if (m[4] !== undefined && Number(m[4]) !== crc) return answer({ type: 'error', seq, code: 'crc', message: 'chunk checksum mismatch' });
      const values = new Float32Array(bytes.buffer, 0, n / 4);
      if (values.some((v) => !Number.isFinite(v))) return answer({ type: 'error', seq, code: 'not_finite', message: 'a value of the chunk is not finite' });
      for (let i = 0; i < n; i++) this.data.push(bytes[i]);
      this.chain = chainCrc(this.chain, crc);
      this.lastSeq = seq;
      const ack = { type: 'ack', seq, op: 'data', count: this.data.length / 4, crc };
      this.lastAck = ack;
      return answer(spoil(ack));
    }
    const cmd = JSON.parse(String.fromCharCode(...bytes.subarray(0, n))) as { op: string; samples?: number; features?: number; crc?: number };
    if (cmd.op === 'begin') {
      this.data = [];
      this.chain = 0;
      this.expected = cmd.samples ?? 0;
      this.features = cmd.features ?? 1;
      return answer({ type: 'ack', seq, op: 'begin' });
    }
    if (cmd.op === 'end') {
      return answer({ type: 'ack', seq, op: 'end', count: this.data.length / 4 / (this.features + 1), crc: this.chain });
    }
    if (cmd.op === 'status') {
      // As the firmware does: the answer is the status record itself, without an ack.
      const rec = { type: 'status', state: 'idle', epoch: 0, samples: this.expected, features: this.features, heap: { total: 184312, used: 30000 }, protocol: this.opts.protocol ?? PROTOCOL_VERSION };
      setTimeout(() => {
        this.inFlight--;
        this.log(JSON.stringify(rec));
      }, 2);
      return;
    }
    if (cmd.op === 'bad') return answer({ type: 'error', seq, code: 'bad_command', message: 'unknown op' });
    return answer({ type: 'ack', seq, op: cmd.op });
  }

  /** The values as they crossed the wire (features of every sample, then every y). */
  get floats(): Float32Array {
    return new Float32Array(Uint8Array.from(this.data).buffer);
  }
}
