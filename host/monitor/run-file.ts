// The run file: every record of a run, one JSON line each, written synchronously as it arrives so
// that an unplugged board, a Ctrl-C or a crash leaves everything received so far on disk.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { formatRecord, type ProtocolRecord } from '../../shared/protocol.ts';

export class RunFile {
  private fd: number | null;
  count = 0;

  readonly path: string;

  /**
   * Creates the file (and its folder). A file of that name is replaced, unless `unique`: then the
   * name gets -2, -3, … (two monitors of one run, started in the same second, each keep their own).
   */
  constructor(path: string, opts: { unique?: boolean } = {}) {
    mkdirSync(dirname(path), { recursive: true });
    if (!opts.unique) {
      this.path = path;
      this.fd = openSync(path, 'w');
      return;
    }
    const ext = extname(path);
    const base = path.slice(0, path.length - ext.length);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? path : `${base}-${n}${ext}`;
      try {
        this.fd = openSync(candidate, 'wx');
        this.path = candidate;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 999) throw err;
      }
    }
  }

  append(r: ProtocolRecord): void {
    if (this.fd === null) return;
    writeSync(this.fd, formatRecord(r) + '\n');
    this.count++;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** runs/2026-11-21T14-05-09-adam.ndjson: sortable, and says what ran. */
export function defaultRunPath(label: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-');
  return `runs/${stamp}-${label.replace(/[^A-Za-z0-9_-]/g, '') || 'run'}.ndjson`;
}

/** Records that belong in a run file; acks and status answers are link chatter. */
export function isRunRecord(r: ProtocolRecord): boolean {
  return r.type !== 'ack' && r.type !== 'status';
}
