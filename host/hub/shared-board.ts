// The board as a hub holds it: one BoardLink at a time behind a BoardChannel that outlives it. Its
// own process and the hub's clients both use this object, so a hand-over of the port (flashing
// through the hub) is not a loss for anyone: the link is closed on purpose, and reopened when the
// flasher is done; listeners stay attached across the change.
import type { AckRecord, ProtocolRecord, StatusRecord } from '../../shared/protocol.ts';
import type { Command } from '../../shared/wire.ts';
import { UserError } from '../errors.ts';
import { BoardLink, type RequestOptions, type UploadProgress } from '../link/board.ts';
import { openPort } from '../link/port.ts';
import type { BoardChannel } from './channel.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SharedBoard implements BoardChannel {
  private readonly recordListeners = new Set<(r: ProtocolRecord) => void>();
  private readonly closeListeners = new Set<() => void>();
  private readonly noticeListeners = new Set<(text: string) => void>();
  private offLink: (() => void)[] = [];
  private released: string | null = null;
  private closed = false;

  constructor(
    readonly path: string,
    private link: BoardLink,
  ) {
    this.attach(link);
  }

  private attach(link: BoardLink): void {
    this.link = link;
    this.offLink = [
      link.onRecord((r) => {
        for (const cb of this.recordListeners) cb(r);
      }),
      link.onClosed(() => {
        if (this.released !== null || this.closed) return;
        this.closed = true;
        for (const cb of this.closeListeners) cb();
      }),
    ];
  }

  private ready(): BoardLink {
    if (this.released !== null) throw new UserError(`the board on ${this.path} is busy: ${this.released}; try again when it is done`);
    if (this.closed) throw new UserError(`the board on ${this.path} is gone (unplugged or reset?)`);
    return this.link;
  }

  sendCommand(cmd: Command, opts?: RequestOptions): Promise<AckRecord> {
    return this.ready().sendCommand(cmd, opts);
  }
  uploadDataset(packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts?: RequestOptions & { chunkTries?: number }): Promise<number> {
    return this.ready().uploadDataset(packed, features, onProgress, opts);
  }
  status(opts?: { timeoutMs?: number }): Promise<StatusRecord> {
    return this.ready().status(opts);
  }
  onRecord(cb: (r: ProtocolRecord) => void): () => void {
    this.recordListeners.add(cb);
    return () => this.recordListeners.delete(cb);
  }
  onClosed(cb: () => void): () => void {
    if (this.closed) queueMicrotask(cb);
    this.closeListeners.add(cb);
    return () => this.closeListeners.delete(cb);
  }
  onNotice(cb: (text: string) => void): () => void {
    this.noticeListeners.add(cb);
    return () => this.noticeListeners.delete(cb);
  }
  /** Tells every listener (this process's monitor, the hub's clients) one line. */
  notify(text: string): void {
    this.notice(text);
  }
  notice(text: string): void {
    for (const cb of this.noticeListeners) cb(text);
  }

  get isReleased(): boolean {
    return this.released !== null;
  }

  /** Lets go of the port for `why` (e.g. "flashing by host flash"); commands wait until reclaim(). */
  async release(why: string): Promise<void> {
    this.ready();
    this.released = why;
    this.notice(`the board is ${why}`);
    for (const off of this.offLink) off();
    await this.link.close();
  }

  /** Opens the port again after release(), trying for up to `timeoutMs` (a flashed board restarts). */
  async reclaim(timeoutMs = 20000): Promise<void> {
    if (this.released === null) return;
    const until = Date.now() + timeoutMs;
    let last: unknown = null;
    while (Date.now() < until) {
      try {
        const link = new BoardLink(await openPort(this.path));
        try {
          await link.prepare({ interrupt: false });
          await link.expectFirmware(this.path);
        } catch (err) {
          await link.close();
          throw err;
        }
        this.attach(link);
        this.released = null;
        this.notice(`the board on ${this.path} is back`);
        return;
      } catch (err) {
        last = err;
        await sleep(500);
      }
    }
    this.released = null;
    this.closed = true;
    this.notice(`could not open ${this.path} again: ${(last as Error)?.message ?? 'no answer'}`);
    for (const cb of this.closeListeners) cb();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.offLink) off();
    if (this.released === null) await this.link.close();
  }
}
