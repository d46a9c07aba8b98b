// A host-side serial session for the simulator tests: the real SerialPort class on the pty path,
// everything received kept as bytes, and waits on what arrives (never on the clock alone).
import { SerialPort } from 'serialport';

const DEFAULT_WAIT_MS = 10_000;

export class SerialSession {
  private readonly received: number[] = [];
  private readPos = 0;
  private waiters: (() => void)[] = [];
  closed = false;
  closeError: Error | null = null;

  private constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const b of chunk) this.received.push(b);
      this.notify();
    });
    port.on('close', (err: Error | null) => {
      this.closed = true;
      this.closeError = err ?? null;
      this.notify();
    });
    port.on('error', () => {
      // surfaced through 'close' and failed writes
    });
  }

  static async open(path: string): Promise<SerialSession> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new SerialSession(port);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private changed(timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; received so far: ${JSON.stringify(this.text())}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  write(data: string | Uint8Array): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    return new Promise((resolve, reject) => {
      this.port.write(buf, (err) => (err ? reject(err) : this.port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  /** Everything received since `from` (a mark()), one character per byte. */
  text(from = 0): string {
    return Buffer.from(this.received.slice(from)).toString('latin1');
  }

  mark(): number {
    return this.received.length;
  }

  /** Waits until the text since `from` matches; returns that text. */
  async waitFor(pattern: string | RegExp, from = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text(from);
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
      if (this.closed) throw new Error(`port closed while waiting for ${String(pattern)}; received: ${JSON.stringify(text)}`);
      await this.changed(Math.max(1, deadline - Date.now()), String(pattern));
    }
  }

  /** Sends a line (terminated by '\r', the board's Enter) and waits for `pattern` after it. */
  async send(line: string, pattern: string | RegExp): Promise<string> {
    const from = this.mark();
    await this.write(line + '\r');
    return this.waitFor(pattern, from);
  }

  /** The next received byte not yet taken by nextByte() (for protocol exchanges like YMODEM), or null on time-out. */
  async nextByte(timeoutMs = DEFAULT_WAIT_MS): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.readPos >= this.received.length) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return null;
      try {
        await this.changed(left, 'a byte');
      } catch {
        return null;
      }
    }
    return this.received[this.readPos++];
  }

  /** Lets nextByte() start at the current end of the input. */
  skipReceived(): void {
    this.readPos = this.received.length;
  }

  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) await this.changed(Math.max(1, deadline - Date.now()), 'the port to close');
  }

  async close(): Promise<void> {
    if (this.closed || !this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

/** Drops ANSI escape sequences, to compare what a person would see. */
export function plain(text: string): string {
  return text.replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g, '');
}
