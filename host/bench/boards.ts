// Boards as workers (host/distributed/boards.ts), end to end against virtual Picos: pushes per
// second and sample-updates per second for 1, 2, 4 and 8 boards, at desktop pace (QuickJS as fast as
// it runs) and at board pace (the cost model's board time: what a classroom of real Picos would do).
// Each board has the firmware in its flash from the start, so no time goes to flashing; the run is
// EASGD on a generated dense set (8 features), per-sample SGD, in both forms: rounds of one epoch
// (boards.ts) and the firmware's worker role, pushing every τ = 4 samples while it trains (stream.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../shared/config.ts';
import { generateDataset } from '../../shared/parallel/generate.ts';
import { resolveParallel } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import { connectBoard, type BoardSession } from '../board-session.ts';
import { localBoard, runOnBoardsAsWorkers } from '../distributed/boards.ts';
import { localStreamWorker, runOnBoardsStreaming } from '../distributed/stream.ts';
import { startVirtualPico, type VirtualPico } from '../sim/virtual-pico.ts';

export interface BoardsBenchRow {
  form: 'rounds' | 'worker';
  pace: 'fast' | 'board';
  boards: number;
  pushesPerSecond: number;
  sampleUpdatesPerSecond: number;
  seconds: number;
}

const QUIET: ParallelSink = { start() {}, epoch() {}, worker() {}, update() {}, done() {}, state() {} };

export async function benchBoards(firmware: string, opts: { quick: boolean; log: (m: string) => void }): Promise<BoardsBenchRow[]> {
  const counts = opts.quick ? [1, 2] : [1, 2, 4, 8];
  const samples = 160;
  const gen = generateDataset('dense', samples, 1);
  const data = { packed: gen.packed, features: gen.features, rows: samples, header: null };
  const dir = mkdtempSync(join(tmpdir(), 'pico-bench-boards-'));
  const rows: BoardsBenchRow[] = [];
  try {
    for (const form of ['rounds', 'worker'] as const) {
      for (const pace of ['fast', 'board'] as const) {
        // A worker never stops between exchanges: it needs more sample-updates to last as long.
        const epochs = (pace === 'fast' ? (opts.quick ? 5 : 20) : opts.quick ? 1 : 3) * (form === 'worker' ? 10 : 1);
        for (const n of counts) {
          opts.log(`boards as workers (${form}): ${n} virtual Pico${n === 1 ? '' : 's'} at ${pace} pace`);
          const picos: VirtualPico[] = [];
          const sessions: BoardSession[] = [];
          try {
            for (let i = 0; i < n; i++) picos.push(await startVirtualPico({ program: firmware, pace }));
            for (const p of picos) sessions.push(await connectBoard({ port: p.path }));
            const config = resolveConfig({ lr: 0.02, batch: 1, epochs }, gen.features);
            const parallel = resolveParallel({ parallel: { algorithm: 'easgd', workers: n }, trainKeys: [], config, trainSamples: samples });
            const out = join(dir, `run-${form}-${pace}-${n}.ndjson`);
            const t0 = performance.now();
            const r =
              form === 'rounds'
                ? await runOnBoardsAsWorkers({ workers: sessions.map(localBoard), data, config, parallel, round: 1, out, say: () => undefined }, QUIET)
                : await runOnBoardsStreaming({ workers: sessions.map((s) => localStreamWorker(s)), data, config, parallel, out, say: () => undefined }, QUIET);
            const seconds = (performance.now() - t0) / 1000;
            rows.push({ form, pace, boards: n, pushesPerSecond: r.counts.pushes / seconds, sampleUpdatesPerSecond: (epochs * samples) / seconds, seconds });
          } finally {
            await Promise.all(sessions.map((s) => s.close()));
            await Promise.all(picos.map((p) => p.close()));
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
