// Where a board's hub can be found: one small JSON file per port in a folder only this user can
// open (0700), beside the hub's socket (0600). A hub registers when it takes the port and removes
// its entry when it lets go; an entry whose process is gone is stale and is removed by whoever
// finds it. Nothing here touches the port.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export interface HubEntry {
  /** The serial port the hub holds. */
  port: string;
  /** Its local socket. */
  socket: string;
  pid: number;
  /** What the hub process is (e.g. "host monitor"), for messages. */
  command: string;
  /** The live page's address, when it serves one. */
  web?: string;
  started: string;
}

/** The folder: $PICO_TRAINER_HUBS, else $XDG_RUNTIME_DIR/pico-trainer, else <tmp>/pico-trainer-<uid>. */
export function hubDir(): string {
  if (process.env.PICO_TRAINER_HUBS) return process.env.PICO_TRAINER_HUBS;
  const uid = typeof process.getuid === 'function' ? process.getuid() : userInfo().username;
  return process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'pico-trainer') : join(tmpdir(), `pico-trainer-${uid}`);
}

/** Creates the folder (0700) and checks that it is ours and closed to others. */
function ensureDir(): string {
  const dir = hubDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new UserError(`${dir} belongs to another user: the hub folder must be yours alone (set PICO_TRAINER_HUBS to another folder)`);
  }
  if ((st.mode & 0o077) !== 0) throw new UserError(`${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 700 ${dir}\``);
  return dir;
}

function key(port: string): string {
  return createHash('sha256').update(port).digest('hex').slice(0, 16);
}

/** The socket path a hub for `port` listens on. */
export function socketPath(port: string): string {
  return join(ensureDir(), `hub-${key(port)}.sock`);
}

function entryPath(port: string): string {
  return join(ensureDir(), `hub-${key(port)}.json`);
}

export function registerHub(e: HubEntry): void {
  const file = entryPath(e.port);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(e), { mode: 0o600 });
  renameSync(tmp, file);
}

export function unregisterHub(port: string, pid = process.pid): void {
  try {
    const file = entryPath(port);
    const e = JSON.parse(readFileSync(file, 'utf8')) as HubEntry;
    if (e.pid === pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something accepts connections on the socket. */
function answers(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket);
    const timer = setTimeout(() => {
      c.destroy();
      resolve(false);
    }, timeoutMs);
    c.once('connect', () => {
      clearTimeout(timer);
      c.destroy();
      resolve(true);
    });
    c.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** The live hub for `port`, or null (a stale entry is removed on the way). */
export async function findHub(port: string): Promise<HubEntry | null> {
  let e: HubEntry;
  try {
    e = JSON.parse(readFileSync(entryPath(port), 'utf8')) as HubEntry;
  } catch {
    return null;
  }
  if (e.pid !== process.pid && alive(e.pid) && (await answers(e.socket))) return e;
  if (e.pid !== process.pid) {
    rmSync(entryPath(port), { force: true });
    rmSync(e.socket, { force: true });
  }
  return null;
}

/** Every live hub (for `host ports` and messages). */
export async function listHubs(): Promise<HubEntry[]> {
  let names: string[];
  try {
    names = readdirSync(hubDir()).filter((n) => /^hub-[0-9a-f]+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: HubEntry[] = [];
  for (const n of names) {
    try {
      const e = JSON.parse(readFileSync(join(hubDir(), n), 'utf8')) as HubEntry;
      const live = await findHub(e.port);
      if (live) out.push(live);
    } catch {
      // a half-written or foreign file: skip it
    }
  }
  return out;
}
