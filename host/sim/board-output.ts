// The board's USB output, worker side. Everything the board prints goes through here: echo, prompts,
// console.log, YMODEM control bytes.
//
// When the host stops reading, the Pico SDK's stdio_usb_out_chars (which Kaluma's console output goes
// through) takes what still fits, waits for room, and gives up on the rest of that write once nothing
// has been taken for 500 ms, counted from the last time bytes were taken (a static last_avail_time).
// So only the first stalled write blocks; later writes find no room and an expired time-out and are
// dropped at once, until the host reads again. A write partly taken leaves a line cut short.
// Measured on the real firmware: a 5 ms ticker kept its pace and lost 1,961 lines in 9.5 s of stalled host.
import { Slot, type SharedIo } from './shared-io.ts';
import { cesu8 } from './text.ts';

/** Bytes posted but not yet taken by the pty before the board's writes find no room (the device's USB FIFO and the host's buffers). */
export const OUT_LIMIT = 4096;
/** The Pico SDK's stdout time-out (PICO_STDIO_USB_STDOUT_TIMEOUT_US). */
export const STDOUT_TIMEOUT_MS = 500;

export class BoardOutput {
  private readonly ctrl: Int32Array;
  private parts: Uint8Array[] = [];
  private size = 0;
  /** The SDK's static last_avail_time: when bytes were last taken. After one time-out, later writes drop at once until the host reads again. */
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

  /**
   * Hands the buffered bytes to the main thread as stdio_usb_out_chars does: as much as there is room
   * for, then waits for room for the rest while bytes were taken less than 500 ms ago; after that the
   * rest of this write is dropped.
   */
  flush(): void {
    if (this.size === 0) return;
    const bytes = this.parts.length === 1 ? this.parts[0] : concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    let sent = 0;
    while (sent < bytes.length) {
      const seen = Atomics.load(this.ctrl, Slot.outSignal);
      const room = OUT_LIMIT - Atomics.load(this.ctrl, Slot.outPending);
      if (room > 0) {
        const n = Math.min(room, bytes.length - sent);
        // A view would post its whole buffer: copy when only part of it goes.
        const part = n === bytes.length ? bytes : bytes.slice(sent, sent + n);
        Atomics.add(this.ctrl, Slot.outPending, n);
        this.post(part);
        sent += n;
        this.lastAvail = performance.now();
        continue;
      }
      const left = this.lastAvail + STDOUT_TIMEOUT_MS - performance.now();
      if (left <= 0) {
        this.dropped += bytes.length - sent;
        return;
      }
      Atomics.wait(this.ctrl, Slot.outSignal, seen, left);
    }
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
