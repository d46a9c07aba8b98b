// The wires between the pseudo-terminal (main thread) and the board (worker thread), in shared memory,
// so that bytes keep arriving while the board's JavaScript is busy — as USB interrupts do on the Pico.
//
// Input: Kaluma's rp2 port copies USB input into a 2048-byte ring buffer that OVERWRITES its oldest
// bytes when full; the REPL drains it only when the event loop runs. The main thread is the writer
// (it owns `written`), the worker is the only reader (it keeps its own read position), so neither
// needs a lock: a reader that finds more than RING_SIZE bytes unread skips the lost ones.
//
// Output: the board posts its bytes to the main thread and counts them in `outPending` until the
// main thread has written them to the pty. When the host stops reading, that count grows and the
// board's writes block, then drop — the Pico SDK's 500 ms stdout time-out.

export const RING_SIZE = 2048;
const RING_MASK = RING_SIZE - 1;

/** Int32 slots of the control array. */
export const Slot = {
  /** Bumped by the main thread whenever there is something for the worker: input, a command. */
  signal: 0,
  /** Total bytes ever written into the ring (wraps as int32; only differences matter). */
  written: 1,
  /** Ctrl-C: the reader skips everything before this write count. */
  flushTo: 2,
  /** Ctrl-C seen: the JS engine's interrupt handler aborts the running code. */
  vmStop: 3,
  /** 1 while the board runs a YMODEM receive: 0x03 is then data, not Ctrl-C. */
  ymodem: 4,
  /** Output bytes posted by the board but not yet written to the pty. */
  outPending: 5,
  /** Bumped by the main thread whenever output drained. */
  outSignal: 6,
} as const;
const CTRL_SLOTS = 8;

export interface SharedIo {
  ctrl: SharedArrayBuffer;
  ring: SharedArrayBuffer;
}

export function createSharedIo(): SharedIo {
  return { ctrl: new SharedArrayBuffer(CTRL_SLOTS * 4), ring: new SharedArrayBuffer(RING_SIZE) };
}

const ETX = 0x03; // Ctrl-C
/** A full-speed USB bulk packet: the host's bytes reach the board's CDC receive FIFO in packets of at most 64. */
export const USB_PACKET = 64;

/** Main thread side: puts host bytes into the ring, handles Ctrl-C, wakes the board. */
export class InputWriter {
  private readonly ctrl: Int32Array;
  private readonly ring: Uint8Array;

  constructor(io: SharedIo) {
    this.ctrl = new Int32Array(io.ctrl);
    this.ring = new Uint8Array(io.ring);
  }

  push(bytes: Uint8Array): void {
    let start = 0;
    if (Atomics.load(this.ctrl, Slot.ymodem) === 0) {
      const etx = bytes.lastIndexOf(ETX);
      if (etx >= 0) {
        // Kaluma's tud_cdc_rx_wanted_cb: stop the VM and flush the receive FIFO (tud_cdc_read_flush).
        // TinyUSB calls it once the packet holding the Ctrl-C is in that FIFO, so what was queued
        // before and the whole packet go, including the bytes sent after the Ctrl-C in it (measured
        // on the real firmware: the host must send the next line after a pause). Packets are counted
        // from the start of this read, as the host's write was split.
        Atomics.store(this.ctrl, Slot.vmStop, 1);
        Atomics.store(this.ctrl, Slot.flushTo, Atomics.load(this.ctrl, Slot.written));
        start = Math.min(bytes.length, (Math.floor(etx / USB_PACKET) + 1) * USB_PACKET);
      }
    }
    let w = Atomics.load(this.ctrl, Slot.written);
    for (let i = start; i < bytes.length; i++) {
      this.ring[w & RING_MASK] = bytes[i];
      w = (w + 1) | 0;
    }
    Atomics.store(this.ctrl, Slot.written, w);
    this.wake();
  }

  wake(): void {
    Atomics.add(this.ctrl, Slot.signal, 1);
    Atomics.notify(this.ctrl, Slot.signal);
  }
}

/** Worker side: drains the ring (the REPL, process.stdin.read(), the YMODEM receiver). */
export class InputReader {
  private readonly ctrl: Int32Array;
  private readonly ring: Uint8Array;
  private readPos = 0;
  /** Bytes overwritten before anyone read them. */
  lost = 0;

  constructor(io: SharedIo) {
    this.ctrl = new Int32Array(io.ctrl);
    this.ring = new Uint8Array(io.ring);
  }

  /** Where reading starts: past a Ctrl-C flush, and past bytes the writer has overwritten (counted as lost when `taking`). */
  private clampedStart(written: number, taking: boolean): number {
    let r = this.readPos;
    const flushTo = Atomics.load(this.ctrl, Slot.flushTo);
    if (((flushTo - r) | 0) > 0) r = flushTo;
    if (((written - r) | 0) > RING_SIZE) {
      if (taking) this.lost += ((written - r) | 0) - RING_SIZE;
      r = (written - RING_SIZE) | 0;
    }
    return r;
  }

  available(): number {
    const w = Atomics.load(this.ctrl, Slot.written);
    return (w - this.clampedStart(w, false)) | 0;
  }

  /** Takes up to `max` bytes (all that are queued by default). Like km_tty_available, reading clears a pending Ctrl-C. */
  read(max = RING_SIZE): Uint8Array {
    const w = Atomics.load(this.ctrl, Slot.written);
    let r = this.clampedStart(w, true);
    const n = Math.min(max, (w - r) | 0);
    if (n <= 0) {
      this.readPos = r;
      return new Uint8Array(0);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(r + i) & RING_MASK];
    // The writer may have lapped us while we copied: drop the bytes it overwrote.
    const w2 = Atomics.load(this.ctrl, Slot.written);
    const overrun = ((w2 - r) | 0) - RING_SIZE;
    r = (r + n) | 0;
    this.readPos = r;
    Atomics.store(this.ctrl, Slot.vmStop, 0);
    if (overrun > 0) {
      const bad = Math.min(overrun, n);
      this.lost += bad;
      return out.subarray(bad);
    }
    return out;
  }

  /** Current signal value, to be passed to waitForSignal after checking for work. */
  signal(): number {
    return Atomics.load(this.ctrl, Slot.signal);
  }

  /** Sleeps until the main thread signals (input, a command) or `timeoutMs` passes. */
  waitForSignal(seen: number, timeoutMs: number): void {
    if (timeoutMs <= 0) return;
    Atomics.wait(this.ctrl, Slot.signal, seen, timeoutMs);
  }
}
