// Running one training or walk, on the board or on the desktop engine, and collecting its records.
// `compare` and `surface` run several such jobs and draw them together; each job's records also
// go to its run file as they arrive and to any live sinks (the dashboard).
import type { TrainConfig } from '../shared/config.ts';
import { datasetFromPacked } from '../shared/dataset.ts';
import { parseRecord, type ProtocolRecord } from '../shared/protocol.ts';
import { Trainer } from '../shared/trainer.ts';
import { Walker, type WalkConfig } from '../shared/walks.ts';
import type { BoardSession } from './board-session.ts';
import type { CsvDataset } from './csv.ts';
import { LinkClosedError } from './link/errors.ts';
import { isRunRecord, RunFile } from './monitor/run-file.ts';
import { textRecords } from '../shared/records.ts';

export type Job = { kind: 'train'; config: TrainConfig } | { kind: 'walk'; walk: WalkConfig };

export type Sink = (r: ProtocolRecord) => void;

function collector(file: string | null, sinks: Sink[]): { records: ProtocolRecord[]; take(r: ProtocolRecord): void; close(): void } {
  const records: ProtocolRecord[] = [];
  const run = file ? new RunFile(file) : null;
  return {
    records,
    take(r) {
      records.push(r);
      run?.append(r);
      for (const s of sinks) s(r);
    },
    close: () => run?.close(),
  };
}

/** Runs a job on the desktop engine. */
export function runOnDesktop(job: Job, data: CsvDataset | null, file: string | null, sinks: Sink[] = []): ProtocolRecord[] {
  const c = collector(file, sinks);
  const out = (line: string) => {
    const r = parseRecord(line);
    if (r) c.take(r);
  };
  try {
    if (job.kind === 'train') {
      if (!data) throw new Error('a training job needs a dataset');
      new Trainer(datasetFromPacked(data.packed, data.features), job.config, textRecords(out), 'desktop').run();
    } else {
      new Walker(job.walk, textRecords(out), 'desktop').run();
    }
  } finally {
    c.close();
  }
  return c.records;
}

/** Runs a job on the board (its dataset already sent) and resolves with its records once `done` arrives. */
export async function runOnBoard(session: BoardSession, job: Job, file: string | null, sinks: Sink[] = []): Promise<ProtocolRecord[]> {
  const { link } = session;
  const c = collector(file, sinks);
  let offRecord = () => {};
  let offClosed = () => {};
  try {
    const finished = new Promise<void>((resolve, reject) => {
      offRecord = link.onRecord((r) => {
        if (!isRunRecord(r)) return;
        if (r.type === 'hello') return reject(new Error(`the board on ${session.path} restarted during the run`));
        c.take(r);
        if (r.type === 'done') resolve();
      });
      offClosed = link.onClosed(() => reject(new LinkClosedError(`lost the board on ${session.path} during the run (unplugged or reset?)`)));
    });
    finished.catch(() => undefined);
    if (job.kind === 'train') {
      await link.sendCommand({ op: 'config', config: job.config as unknown as Record<string, unknown> });
      await link.sendCommand({ op: 'start' });
    } else {
      await link.sendCommand({ op: 'walk', walk: job.walk as unknown as Record<string, unknown> });
    }
    await finished;
    return c.records;
  } finally {
    offRecord();
    offClosed();
    c.close();
  }
}

/**
 * Runs the jobs on the given boards: one board takes them one after another; several boards share
 * them (job i goes to board i mod n) and run side by side. Results come back in job order.
 */
export async function runOnBoards(sessions: BoardSession[], jobs: Job[], files: (string | null)[], sinks: Sink[] = []): Promise<ProtocolRecord[][]> {
  const results: ProtocolRecord[][] = new Array(jobs.length);
  await Promise.all(
    sessions.map(async (session, b) => {
      for (let i = b; i < jobs.length; i += sessions.length) results[i] = await runOnBoard(session, jobs[i], files[i], sinks);
    }),
  );
  return results;
}
