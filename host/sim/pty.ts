// A pseudo-terminal pair that looks like the Pico's /dev/ttyACM0 from the host's side. node-pty's
// native openpty() gives the pair without spawning a process; the host opens the slave path with
// serialport (which sets raw termios and flushes on open), the virtual board talks on the master.
// node-pty is an optional dependency (it compiles from source on Linux): it is loaded here, by a
// dynamic import, only when a virtual Pico starts, so that every other command works without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import tty from 'node:tty';
import { UserError } from '../errors.ts';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

/** What a user sees when node-pty is missing or its native part did not build. */
export const NODE_PTY_MISSING = 'the virtual Pico needs node-pty, which did not build: install g++, make and python3, then npm install';

// A variable, not a literal: node-pty ships no types for this file (and may not be installed).
const NODE_PTY_UTILS = 'node-pty/lib/utils.js';

let native: NativePty | null = null;

/** Loads node-pty's native openpty() once; call (and await) before the first PtyPair. */
export async function loadNodePty(): Promise<void> {
  if (native !== null) return;
  try {
    type Utils = { loadNativeModule(name: string): { module: NativePty } };
    const mod = (await import(NODE_PTY_UTILS)) as Partial<Utils> & { default?: Utils };
    // A CommonJS file: its exports come as named exports (through tsx) or as the default (plain Node).
    const utils = typeof mod.loadNativeModule === 'function' ? (mod as Utils) : mod.default!;
    native = utils.loadNativeModule('pty').module;
  } catch {
    throw new UserError(NODE_PTY_MISSING);
  }
}

function nativePty(): NativePty {
  if (native === null) throw new Error('PtyPair: await loadNodePty() first');
  return native;
}

/**
 * Raw mode on the slave before any host opens it: no echo (or the board would read its own output
 * back), no CR/NL translation either way, no signals. serialport sets the same again on open.
 */
function makeRaw(path: string, slaveFd: number): void {
  for (const flag of ['-F', '-f']) {
    try {
      execFileSync('stty', [flag, path, 'raw', '-echo'], { stdio: 'ignore' });
      return;
    } catch {
      // try the other spelling (GNU -F, BSD -f), then libuv
    }
  }
  const stream = new tty.ReadStream(slaveFd);
  stream.setRawMode(true);
}

export class PtyPair {
  readonly path: string;
  private readonly masterFd: number;
  private readonly slaveFd: number;
  private readonly master: tty.ReadStream;
  private readonly queue: { bytes: Uint8Array; done?: () => void }[] = [];
  private writing = false;
  private paused = false;
  private closed = false;

  constructor(onData: (bytes: Uint8Array) => void) {
    const pair = nativePty().open(80, 24);
    this.path = pair.pty;
    this.masterFd = pair.master;
    // Kept open and never read: while a slave descriptor is open the master does not see a hang-up
    // between two host sessions.
    this.slaveFd = pair.slave;
    makeRaw(this.path, this.slaveFd);
    this.master = new tty.ReadStream(this.masterFd);
    this.master.on('data', (chunk: Buffer) => onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    this.master.on('error', () => {
      // EIO once the pair is closed; nothing to do
    });
  }

  /** Queues bytes for the host; `done` runs once they are in the kernel's buffer (or dropped on close). */
  write(bytes: Uint8Array, done?: () => void): void {
    if (this.closed) {
      done?.();
      return;
    }
    this.queue.push({ bytes, done });
    this.pump();
  }

  /** While paused nothing reaches the host (the host "stops reading"). */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.pump();
  }

  private pump(): void {
    if (this.writing || this.paused || this.closed) return;
    if (this.queue.length === 0) return;
    if (this.queue.length > 1) this.coalesce();
    const head = this.queue[0];
    this.writing = true;
    fs.write(this.masterFd, head.bytes, 0, head.bytes.length, null, (err, written) => {
      this.writing = false;
      if (this.closed) return;
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          // The host is not reading and the kernel buffer is full: try again shortly.
          setTimeout(() => this.pump(), 5);
          return;
        }
        written = head.bytes.length; // the pair is going away: drop
      }
      if (written < head.bytes.length) {
        head.bytes = head.bytes.subarray(written);
      } else {
        this.queue.shift();
        head.done?.();
      }
      this.pump();
    });
  }

  /** Merges everything queued into one write (many small console.log lines make many messages). */
  private coalesce(): void {
    const items = this.queue.splice(0);
    let size = 0;
    for (const item of items) size += item.bytes.length;
    const bytes = new Uint8Array(size);
    let o = 0;
    for (const item of items) {
      bytes.set(item.bytes, o);
      o += item.bytes.length;
    }
    this.queue.push({ bytes, done: () => items.forEach((item) => item.done?.()) });
  }

  /** Closes both sides: a host that has the port open sees it go away. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const item of this.queue.splice(0)) item.done?.();
    this.master.destroy();
    try {
      fs.closeSync(this.slaveFd);
    } catch {
      // already closed
    }
  }
}
