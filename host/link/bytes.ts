// A queue of received bytes with a timed read: what a byte-level protocol (YMODEM) needs on
// top of an event-driven serial port.
import type { ByteChannel } from './ymodem.ts';

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // read position inside chunks[0]
  private waiter: ((b: number | null) => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  push(chunk: Uint8Array): void {
    if (this.closed || chunk.length === 0) return;
    this.chunks.push(chunk);
    if (this.waiter) {
      const w = this.waiter;
      this.clearWait();
      w(this.take());
    }
  }

  /** No more bytes will come: pending and future reads get null at once. */
  close(): void {
    this.closed = true;
    if (this.waiter) {
      const w = this.waiter;
      this.clearWait();
      w(null);
    }
  }

  discard(): void {
    this.chunks = [];
    this.head = 0;
  }

  read(timeoutMs: number): Promise<number | null> {
    if (this.waiter) return Promise.reject(new Error('ByteQueue: one reader at a time'));
    const b = this.take();
    if (b !== null || this.closed) return Promise.resolve(b);
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.timer = setTimeout(() => {
        this.clearWait();
        resolve(null);
      }, Math.max(0, timeoutMs));
    });
  }

  private take(): number | null {
    while (this.chunks.length > 0) {
      const c = this.chunks[0];
      if (this.head < c.length) return c[this.head++];
      this.chunks.shift();
      this.head = 0;
    }
    return null;
  }

  private clearWait(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waiter = null;
  }
}

/** A ByteChannel from a queue fed by incoming data and a write function. */
export function byteChannel(queue: ByteQueue, write: (bytes: Uint8Array) => Promise<void>): ByteChannel {
  return { write, read: (ms) => queue.read(ms), discard: () => queue.discard() };
}
