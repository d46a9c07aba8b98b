// Runs the real `host` command as a user does (node host/bin.js …) and collects its output.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The argv that runs `host` in a child without the descriptors this process holds: the virtual
 * Pico's pseudo-terminal is opened by node-pty without close-on-exec, and a child that inherited it
 * would keep the port alive after an unplug (a real board's host never shares its port that way).
 */
function hostArgv(args: string[]): [string, string[]] {
  const closeInherited = 'for f in /proc/$$/fd/*; do n=${f##*/}; case "$(readlink "$f")" in /dev/ptmx|/dev/pts/*) [ "$n" -gt 2 ] && eval "exec $n<&-";; esac; done; exec "$0" "$@"';
  return ['/bin/bash', ['-c', closeInherited, process.execPath, 'host/bin.js', ...args]];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function host(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = hostArgv(args);
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`host ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Running {
  child: import('node:child_process').ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

/** Starts a long-running `host` command (monitor, train --monitor) and keeps its output. */
export function hostInBackground(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Running {
  const [cmd, argv] = hostArgv(args);
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => stdout, err: () => stderr, exited };
}

/** The records of a run file (lines that are not records skipped). */
export function fileRecords(file: string): ProtocolRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}
