// What `compare` and `surface` share: the optimizer list (name[:lr]), opening one or several
// boards, and a folder for the run files of one comparison.
import { join } from 'node:path';
import { OPTIMIZERS, type OptimizerName } from '../shared/config.ts';
import type { ProtocolRecord } from '../shared/protocol.ts';
import { connectBoard, type BoardSession } from './board-session.ts';
import type { MonitorCliOptions } from './monitor/options.ts';
import { uploadToBoard } from './upload.ts';
import { webSinks } from './web/sinks.ts';
import { UserError } from './errors.ts';
import { parseDecimal, type CsvDataset } from './csv.ts';
import { runOnBoards, runOnDesktop, type Job } from './jobs.ts';

export interface OptimizerChoice {
  name: OptimizerName;
  /** A learning rate for this optimizer alone (`adam:0.05`), else undefined. */
  lr?: number;
}

/** "sgd,momentum:0.005,adam:0.05" → choices; names checked, each at most once. */
export function parseOptimizers(raw: string): OptimizerChoice[] {
  const seen = new Set<string>();
  return raw.split(',').map((part) => {
    const [name, lrText, extra] = part.trim().split(':');
    if (!OPTIMIZERS.includes(name as OptimizerName)) {
      throw new UserError(`--optimizers: unknown optimizer "${name}"; choose from ${OPTIMIZERS.join(', ')} (optionally name:lr, e.g. adam:0.05)`);
    }
    if (extra !== undefined) throw new UserError(`--optimizers: "${part}" has more than one ":"; write name or name:lr`);
    if (seen.has(part)) throw new UserError(`--optimizers: ${part} is listed twice`);
    seen.add(part);
    if (lrText === undefined) return { name: name as OptimizerName };
    const lr = parseDecimal(lrText);
    if (lr === null || !(lr > 0)) throw new UserError(`--optimizers: the learning rate in "${part}" must be a positive number`);
    return { name: name as OptimizerName, lr };
  });
}

export function collectPorts(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Opens every port given (or the one Pico when none is); closes what it opened if one fails. */
export async function connectBoards(ports: string[] | undefined): Promise<BoardSession[]> {
  const list = ports && ports.length > 0 ? ports : [undefined];
  const sessions: BoardSession[] = [];
  try {
    for (const port of list) sessions.push(await connectBoard({ port }));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
  return sessions;
}

/**
 * Where one comparison's output goes: a folder (runs/compare-2026-11-21T14-05-09/ unless --runs),
 * one run file per job named after it, and the figure (checked to be .svg or .png).
 */
export function comparisonPaths(kind: string, names: string[], opts: { runs?: string; figure?: string }, now = new Date()): { dir: string; files: string[]; figure: string } {
  const dir = opts.runs ?? `runs/${kind}-${now.toISOString().slice(0, 19).replace(/:/g, '-')}`;
  const files = names.map((n, i) => join(dir, `${i + 1}-${n.replace(/[^A-Za-z0-9_.-]/g, '_')}.ndjson`));
  const figure = opts.figure ?? join(dir, `${kind.split('-')[0]}.svg`);
  if (!/\.(svg|png)$/i.test(figure)) throw new UserError(`--figure ${figure}: give a file name ending in .svg or .png`);
  return { dir, files, figure };
}

export interface Comparison {
  jobs: Job[];
  /** One run file per job. */
  files: string[];
  /** The dataset of training jobs (sent to every board first), with its file name. */
  data?: { csv: CsvDataset; file: string };
  title: string;
  /** Draws and prints the result once every job has ended. */
  finish(results: ProtocolRecord[][]): Promise<void>;
}

/**
 * Runs the jobs on the desktop or on the boards given (one after another, or side by side), with
 * the live page when asked; the page stays up after the runs until Ctrl-C.
 */
export async function runComparison(opts: MonitorCliOptions & { desktop?: boolean; port?: string[] }, c: Comparison): Promise<void> {
  const sessions = opts.desktop ? [] : await connectBoards(opts.port);
  try {
    if (c.data) for (const s of sessions) await uploadToBoard(s, c.data.csv, c.data.file);
    const web = await webSinks(opts, sessions, c.title);
    try {
      if (sessions.length > 0) process.stderr.write(`running ${c.jobs.length} job${c.jobs.length === 1 ? '' : 's'} on ${sessions.map((s) => s.path).join(', ')}…\n`);
      const results = opts.desktop
        ? c.jobs.map((job, i) => runOnDesktop(job, c.data ? c.data.csv : null, c.files[i], web.sinks))
        : await runOnBoards(sessions, c.jobs, c.files, web.sinks);
      await c.finish(results);
      await web.hold();
    } finally {
      await web.close();
    }
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}
