// The board's USB output, worker side. Everything the board prints goes through here: echo, prompts,
// console.log, YMODEM control bytes.
import { Slot, type SharedIo } from './shared-io.ts';
import { cesu8 } from './text.ts';

/** Bytes posted but not yet taken by the pty before the board's writes start to block. */
export const OUT_LIMIT = 4096;
/** The Pico SDK's stdout time-out (PICO_STDIO_USB_STDOUT_TIMEOUT_US). */
export const STDOUT_TIMEOUT_MS = 500;

export class BoardOutput {
  private readonly ctrl: Int32Array;
  private parts: Uint8Array[] = [];
  private size = 0;
  /** Like the SDK's static last_avail_time: after one time-out, later writes drop at once until the host reads again. */
  private lastAvail = performance.now();
  /** Bytes dropped because the host did not read. */
  dropped = 0;

  constructor(
    io: SharedIo,
    private readonly post: (bytes: Uint8Array) => void,
  ) {
    this.ctrl = new Int32Array(io.ctrl);
  }

  write(text: string): void {
    if (text.length > 0) this.writeBytes(cesu8(text));
  }

  writeBytes(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size >= 1024) this.flush();
  }

  /** Hands the buffered bytes to the main thread, blocking (up to 500 ms) while the host is not reading. */
  flush(): void {
    if (this.size === 0) return;
    const bytes = this.parts.length === 1 ? this.parts[0] : concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    for (;;) {
      const seen = Atomics.load(this.ctrl, Slot.outSignal);
      if (Atomics.load(this.ctrl, Slot.outPending) + bytes.length <= OUT_LIMIT || Atomics.load(this.ctrl, Slot.outPending) === 0) {
        this.lastAvail = performance.now();
        break;
      }
      const left = this.lastAvail + STDOUT_TIMEOUT_MS - performance.now();
      if (left <= 0) {
        this.dropped += bytes.length;
        return;
      }
      Atomics.wait(this.ctrl, Slot.outSignal, seen, left);
    }
    Atomics.add(this.ctrl, Slot.outPending, bytes.length);
    this.post(bytes);
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
