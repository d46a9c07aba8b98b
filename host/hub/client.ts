// Another process's hub, as a BoardChannel: what a command uses when the board's port already
// belongs to a hub (a monitor, a page, `npx host serve`) instead of failing with "busy".
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { AckRecord, ProtocolRecord, StatusRecord } from '../../shared/protocol.ts';
import type { Command } from '../../shared/wire.ts';
import { UserError } from '../errors.ts';
import type { RequestOptions, UploadProgress } from '../link/board.ts';
import type { BoardChannel } from './channel.ts';
import { fromWire, type HubMessage } from './messages.ts';
import type { HubEntry } from './registry.ts';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  progress?: (p: UploadProgress) => void;
}

export class HubClient implements BoardChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly recordListeners = new Set<(r: ProtocolRecord) => void>();
  private readonly closeListeners = new Set<() => void>();
  private readonly noticeListeners = new Set<(t: string) => void>();
  private gone: string | null = null;

  private constructor(
    readonly entry: HubEntry,
    private readonly sock: Socket,
  ) {
    const lines = createInterface({ input: sock });
    lines.on('line', (line) => this.onLine(line));
    lines.on('error', () => undefined);
    sock.on('error', () => undefined);
    sock.on('close', () => this.lost(`the hub for ${entry.port} (${entry.command}, pid ${entry.pid}) ended`));
  }

  static connect(entry: HubEntry): Promise<HubClient> {
    return new Promise((resolve, reject) => {
      const sock = connect(entry.socket);
      sock.once('connect', () => resolve(new HubClient(entry, sock)));
      sock.once('error', (err) => reject(new UserError(`cannot reach the hub for ${entry.port} (${entry.command}, pid ${entry.pid}): ${err.message}`)));
    });
  }

  private onLine(line: string): void {
    let m: HubMessage;
    try {
      m = JSON.parse(line) as HubMessage;
    } catch {
      return;
    }
    if ('record' in m) for (const cb of this.recordListeners) cb(m.record);
    else if ('notice' in m) for (const cb of this.noticeListeners) cb(m.notice);
    else if ('closed' in m) this.lost(m.closed);
    else if ('progress' in m) this.pending.get(m.id)?.progress?.(m.progress);
    else {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(fromWire(m.error));
    }
  }

  private lost(why: string): void {
    if (this.gone !== null) return;
    this.gone = why;
    for (const p of this.pending.values()) p.reject(new UserError(why));
    this.pending.clear();
    for (const cb of this.closeListeners) cb();
  }

  private request<T>(body: Record<string, unknown>, progress?: (p: UploadProgress) => void): Promise<T> {
    if (this.gone !== null) return Promise.reject(new UserError(this.gone));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      this.sock.write(JSON.stringify({ ...body, id }) + '\n');
    });
  }

  sendCommand(cmd: Command, opts?: RequestOptions): Promise<AckRecord> {
    return this.request({ op: 'command', cmd, opts });
  }
  uploadDataset(packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts?: RequestOptions & { chunkTries?: number }): Promise<number> {
    const data = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString('base64');
    return this.request({ op: 'upload', features, data, opts }, onProgress);
  }
  status(opts?: { timeoutMs?: number }): Promise<StatusRecord> {
    return this.request({ op: 'status', timeoutMs: opts?.timeoutMs });
  }
  /** Asks the hub to let go of the port (to flash it); reclaim() gives it back. */
  release(why: string): Promise<void> {
    return this.request({ op: 'release', why });
  }
  reclaim(): Promise<void> {
    return this.request({ op: 'reclaim' });
  }
  notify(text: string): void {
    this.request({ op: 'notice', text }).catch(() => undefined);
  }
  onRecord(cb: (r: ProtocolRecord) => void): () => void {
    this.recordListeners.add(cb);
    return () => this.recordListeners.delete(cb);
  }
  onClosed(cb: () => void): () => void {
    if (this.gone !== null) queueMicrotask(cb);
    this.closeListeners.add(cb);
    return () => this.closeListeners.delete(cb);
  }
  onNotice(cb: (t: string) => void): () => void {
    this.noticeListeners.add(cb);
    return () => this.noticeListeners.delete(cb);
  }
  async close(): Promise<void> {
    this.gone ??= 'closed';
    this.sock.end();
    this.sock.destroy();
  }
}
