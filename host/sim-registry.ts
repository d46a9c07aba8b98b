// Which virtual Picos are running on this machine, so that `npx host send` in one terminal finds the
// `npx host sim` started in another when no USB Pico is connected. A small JSON file in the temp
// directory lists {path, pid}; entries whose process has gone or whose port vanished are ignored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The runtime a simulator runs; entries written before there were two have none (Kaluma). */
export type SimRuntime = 'kaluma' | 'espruino';

export interface SimEntry {
  path: string;
  pid: number;
  runtime?: SimRuntime;
  /** The virtual board's serial number: the same across an unplug and a replug (a new port), as a USB board's. */
  serial?: string;
}

export function registryFile(): string {
  return path.join(os.tmpdir(), 'pico-trainer-sims.json');
}

function readEntries(): SimEntry[] {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(registryFile(), 'utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is SimEntry => typeof e === 'object' && e !== null && typeof e.path === 'string' && Number.isInteger(e.pid),
    );
  } catch {
    return [];
  }
}

function writeEntries(entries: SimEntry[]): void {
  const file = registryFile();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries, null, 2) + '\n');
  fs.renameSync(tmp, file); // atomic: a reader never sees half a file
}

function alive(entry: SimEntry): boolean {
  try {
    process.kill(entry.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return fs.existsSync(entry.path);
}

const mine = new Set<string>();
let exitHookInstalled = false;

function removeMineSync(): void {
  if (mine.size === 0) return;
  try {
    writeEntries(readEntries().filter((e) => !(e.pid === process.pid && mine.has(e.path))));
  } catch {
    // the temp directory went away; nothing to clean
  }
  mine.clear();
}

/** Lists this process's simulator at `simPath` until it is unregistered or the process exits. */
export async function registerSim(simPath: string, runtime?: SimRuntime, serial?: string): Promise<void> {
  const entries = readEntries().filter((e) => alive(e) && e.path !== simPath);
  entries.push({ path: simPath, pid: process.pid, ...(runtime === undefined ? {} : { runtime }), ...(serial === undefined ? {} : { serial }) });
  writeEntries(entries);
  mine.add(simPath);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeMineSync);
  }
}

export async function unregisterSim(simPath: string): Promise<void> {
  if (!mine.delete(simPath)) return;
  writeEntries(readEntries().filter((e) => !(e.pid === process.pid && e.path === simPath)));
}

/** Ports of the simulators that are running now (their process is alive and their port exists). */
export function findRunningSims(): string[] {
  return readEntries()
    .filter(alive)
    .map((e) => e.path);
}

/** The running simulators with the runtime each runs (Kaluma when the entry does not say). */
export function findRunningSimEntries(): { path: string; runtime: SimRuntime; serial?: string }[] {
  return readEntries()
    .filter(alive)
    .map((e) => ({ path: e.path, runtime: e.runtime === 'espruino' ? 'espruino' : 'kaluma', ...(typeof e.serial === 'string' ? { serial: e.serial } : {}) }));
}
