// Running one parallel run on the desktop: the simulated cluster (deterministic, shared/parallel/
// cluster.ts) or real threads (threads.ts), with its records going to the caller as lines.
// `host distributed` and `host compare --algorithms` both come through here.
import type { TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { simulate } from '../../shared/parallel/cluster.ts';
import { clusterAlgorithm } from '../../shared/parallel/index.ts';
import type { ParallelConfig } from '../../shared/parallel/options.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { generateDataset } from '../../shared/parallel/generate.ts';
import { parseDecimal, quoteCell, readDataset, type CsvDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import type { BoardRun } from '../distributed/boards.ts';
import type { StreamWorker } from '../distributed/stream.ts';

export interface ParallelRun {
  data: CsvDataset;
  config: TrainConfig;
  parallel: ParallelConfig;
  /** Run on this many threads instead of the simulated cluster (hogwild, sync). */
  threads?: number;
  /** Threads: the paper's atomic add (a compare-and-swap loop) instead of plain stores. */
  cas?: boolean;
  /**
   * Real boards as the workers: each training `round` epochs between exchanges (boards.ts), or, with
   * `stream`, these boards in the firmware's worker role, pushing while they train (stream.ts).
   */
  boards?: Omit<BoardRun, 'data' | 'config' | 'parallel'> & { stream?: StreamWorker[] };
}

export interface ParallelResult {
  /** Events handled (cluster) or updates applied (threads), and the seconds it took. */
  work: number;
  seconds: number;
  /** Threads: updates per second. */
  updatesPerSecond?: number;
}

/** Runs it; every record line goes to `out` as it is made. */
export async function runParallel(run: ParallelRun, out: (line: string) => void): Promise<ParallelResult> {
  const ds = datasetFromPacked(run.data.packed, run.data.features);
  const sink = textParallelRecords(out);
  const t0 = process.hrtime.bigint();
  if (run.boards?.stream !== undefined) {
    const { runOnBoardsStreaming } = await import('../distributed/stream.ts');
    await runOnBoardsStreaming({ workers: run.boards.stream, data: run.data, config: run.config, parallel: run.parallel, out: run.boards.out, say: run.boards.say, admit: run.boards.admit }, sink);
    return { work: 0, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }
  if (run.boards !== undefined) {
    const { runOnBoardsAsWorkers } = await import('../distributed/boards.ts');
    await runOnBoardsAsWorkers({ ...run.boards, data: run.data, config: run.config, parallel: run.parallel }, sink);
    return { work: 0, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }
  if (run.threads !== undefined) {
    const { runThreads } = await import('./threads.ts');
    const r = await runThreads(ds, run.config, run.parallel, run.threads, sink, { cas: run.cas === true });
    return { work: r.updates, seconds: r.seconds, updatesPerSecond: r.updatesPerSecond };
  }
  const r = simulate(ds, run.config, run.parallel, clusterAlgorithm(run.parallel.algorithm), sink);
  return { work: r.events, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

export const GENERATORS = ['dense', 'sparse'] as const;

/** The data of a parallel run: a CSV file, or a generated set (--generate dense|sparse --samples N). */
export function parallelData(o: { data?: string; generate?: string; samples?: string; seed?: string }): { data: CsvDataset; name: string } {
  if (o.generate !== undefined) {
    if (o.data !== undefined) throw new UserError('--generate: give either --data FILE.csv or --generate, not both');
    const n = o.samples === undefined ? 10000 : parseDecimal(o.samples);
    if (n === null || !Number.isInteger(n) || n < 1 || n > 1_000_000) throw new UserError(`--samples: expected a whole number from 1 to 1,000,000, got ${quoteCell(String(o.samples))}`);
    const seed = o.seed === undefined ? 1 : Number(o.seed);
    const g = generateDataset(o.generate as (typeof GENERATORS)[number], n, Number.isInteger(seed) ? seed : 1);
    return { data: { packed: g.packed, features: g.features, rows: n, header: null }, name: `${o.generate}-${n}` };
  }
  if (o.samples !== undefined) throw new UserError('--samples: goes with --generate dense|sparse');
  if (o.data === undefined) throw new UserError('--data is required: the CSV file to train on (or --generate dense|sparse for a generated set)');
  return { data: readDataset(o.data), name: o.data };
}
