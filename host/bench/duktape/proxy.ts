// The board-speed proxy: Duktape, embedded in a tiny C runner (runner.c beside this file) that makes
// Kaluma's native globals native (Math.fround, atob/btoa, millis/micros, console.log, the timers).
// The runner is compiled from runner.c and Debian's duktape-dev amalgamation (/usr/share/duktape/
// duktape.c) with the system C compiler into node_modules/.cache/pico-trainer/, once per change of
// its sources, compiler or flags. Programs are lowered to ES5 first (lower.ts): Duktape parses
// ES5.1, and the firmware bundle is ES2019.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '../../..');
export const RUNNER_SOURCE = join(HERE, 'runner.c');
export const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/pico-trainer');
/** Set to 1 to leave the board-speed section (and its test) out on a machine without duktape-dev. */
export const SKIP_ENV = 'PICO_TRAINER_SKIP_DUKTAPE';
/** Where Debian's duktape-dev puts the amalgamation; PICO_TRAINER_DUKTAPE_DIR overrides it. */
export function skipRequested(): boolean {
  const v = process.env[SKIP_ENV];
  return v !== undefined && v !== '' && v !== '0';
}
export function duktapeDir(): string {
  return process.env.PICO_TRAINER_DUKTAPE_DIR || '/usr/share/duktape';
}

const CFLAGS = ['-O2', '-std=c99', '-w'];

/** Raised when the proxy cannot be built here: the message says what to install. */
export class ProxyUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyUnavailable';
  }
}

function compilerName(): string {
  return process.env.CC || 'cc';
}

function compilerVersion(cc: string): string {
  try {
    return execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    throw new ProxyUnavailable(`no C compiler: \`${cc} --version\` failed; install one (apt-get install gcc) or set CC`);
  }
}

/** Runner paths already checked or built, by Duktape source directory. */
const built = new Map<string, string>();

/**
 * The runner's path, compiled first if its sources, compiler or flags changed. Throws
 * ProxyUnavailable when duktape-dev or a C compiler is missing.
 */
export function runnerPath(): string {
  const dir = duktapeDir();
  const known = built.get(dir);
  if (known) return known;
  const src = join(dir, 'duktape.c');
  if (!existsSync(src) || !existsSync(join(dir, 'duktape.h'))) {
    throw new ProxyUnavailable(`Duktape's sources are missing (${src}): install Debian's duktape-dev (apt-get install duktape duktape-dev), or set ${SKIP_ENV}=1 to leave the board-speed proxy out`);
  }
  const cc = compilerName();
  const hash = createHash('sha256');
  hash.update(readFileSync(RUNNER_SOURCE));
  hash.update(readFileSync(src));
  hash.update(readFileSync(join(dir, 'duktape.h')));
  if (existsSync(join(dir, 'duk_config.h'))) hash.update(readFileSync(join(dir, 'duk_config.h')));
  hash.update(compilerVersion(cc) + '\0' + CFLAGS.join(' '));
  const exe = join(CACHE_DIR, `duktape-runner-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(exe)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Built under a private name and renamed: two bench or test processes may build at once.
    const tmp = `${exe}.${process.pid}.tmp`;
    try {
      execFileSync(cc, [...CFLAGS, '-I', dir, '-o', tmp, RUNNER_SOURCE, src, '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] });
      renameSync(tmp, exe);
      // Runners built from older sources are of no further use.
      for (const f of readdirSync(CACHE_DIR)) if (/^duktape-runner-[0-9a-f]{16}$/.test(f) && join(CACHE_DIR, f) !== exe) rmSync(join(CACHE_DIR, f), { force: true });
    } catch (err) {
      rmSync(tmp, { force: true });
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new ProxyUnavailable(`compiling the Duktape runner failed (${cc}): ${stderr || (err as Error).message}`);
    }
  }
  built.set(dir, exe);
  return exe;
}

/** One step of a session (see runner.c). */
export type Step = { load: string } | { repl: string } | { timers: true } | { mark: string };

export interface Line {
  /** CPU µs of the runner process when the line was printed (unscaled). */
  us: number;
  text: string;
}

export interface SessionResult {
  lines: Line[];
  /** The runner's exit status: 0, or 3 after an uncaught error (its line starts with !ERROR). */
  status: number;
  stderr: string;
}

export interface SessionOptions {
  /** millis()/micros() = CPU time × clockScale (see runner.c: it sizes the firmware's slices like the board's). */
  clockScale?: number;
  /** Directory for the session's files (a fresh one under the cache by default). */
  workDir?: string;
}

let sessionNo = 0;

function workDir(): string {
  const d = join(CACHE_DIR, 'sessions', String(process.pid));
  mkdirSync(d, { recursive: true });
  return d;
}

/** Removes this process's session files (programs and session scripts). */
export function cleanupSessions(): void {
  rmSync(join(CACHE_DIR, 'sessions', String(process.pid)), { recursive: true, force: true });
}

/** Script text → a file the runner loads (programs are passed by path, not inlined in the session). */
export function scriptFile(name: string, text: string, dir = workDir()): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function sessionText(steps: Step[]): string {
  return (
    steps
      .map((s) => {
        if ('load' in s) return 'L ' + s.load;
        if ('repl' in s) {
          if (s.repl.includes('\n')) throw new Error('a REPL line holds no newline');
          return 'R ' + s.repl;
        }
        if ('mark' in s) return 'M ' + s.mark;
        return 'T';
      })
      .join('\n') + '\n'
  );
}

/** Runs one session in a fresh runner process (a fresh heap: a board after reset). */
export function runSession(steps: Step[], opts: SessionOptions = {}): Promise<SessionResult> {
  const exe = runnerPath();
  const dir = opts.workDir ?? workDir();
  const file = join(dir, `session-${++sessionNo}.txt`);
  writeFileSync(file, sessionText(steps));
  const args = ['--clock-scale', String(opts.clockScale ?? 1), file];
  return new Promise((resolveRun, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(file, { force: true });
      const lines: Line[] = [];
      for (const raw of Buffer.concat(out).toString('latin1').split('\n')) {
        if (raw === '') continue;
        const tab = raw.indexOf('\t');
        lines.push({ us: Number(raw.slice(0, tab)), text: raw.slice(tab + 1) });
      }
      resolveRun({ lines, status: code ?? -1, stderr: Buffer.concat(err).toString() });
    });
  });
}

/** The first uncaught error of a session, if any. */
export function sessionError(r: SessionResult): string | null {
  const e = r.lines.find((l) => l.text.startsWith('!ERROR') || l.text.startsWith('!REPLERROR'));
  if (e) return e.text;
  if (r.status !== 0) return `runner exited with status ${r.status}${r.stderr ? ': ' + r.stderr.trim() : ''}`;
  return null;
}
