// The simulated cluster's speed (shared/parallel/cluster.ts): events handled per second and
// simulated sample-updates per second, for each algorithm with 4 workers at the default delays
// (Picos on USB), per-sample steps, on a generated dense set of 8 features. Records are made and
// thrown away, as a run file would take them, so that the figure is what `host distributed` does.
import { resolveConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { simulate } from '../../shared/parallel/cluster.ts';
import { generateDataset } from '../../shared/parallel/generate.ts';
import { clusterAlgorithm } from '../../shared/parallel/index.ts';
import { ALGORITHMS, resolveParallel, type Algorithm } from '../../shared/parallel/options.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { now } from './measure.ts';

export interface ClusterBenchRow {
  algorithm: Algorithm;
  workers: number;
  /** Median over the repetitions. */
  eventsPerSecond: number;
  sampleUpdatesPerSecond: number;
  /** Updates the server applied in one run. */
  updates: number;
}

export function benchCluster(opts: { quick: boolean }): ClusterBenchRow[] {
  const samples = opts.quick ? 1000 : 4000;
  const epochs = opts.quick ? 2 : 5;
  const reps = opts.quick ? 1 : 5;
  const gen = generateDataset('dense', samples, 1);
  const ds = datasetFromPacked(gen.packed, gen.features);
  const rows: ClusterBenchRow[] = [];
  for (const algorithm of ALGORITHMS) {
    const config = resolveConfig({ lr: 0.01, epochs, batch: algorithm === 'sync' ? 16 : 1 }, gen.features);
    const par = resolveParallel({ parallel: { algorithm, workers: 4 }, trainKeys: [], config, trainSamples: ds.n });
    const runs: { events: number; samples: number; updates: number }[] = [];
    for (let r = 0; r < reps; r++) {
      let bytes = 0;
      const t0 = now();
      const s = simulate(ds, config, par, clusterAlgorithm(algorithm), textParallelRecords((l) => (bytes += l.length)));
      const sec = (now() - t0) / 1000;
      runs.push({ events: s.events / sec, samples: (s.epochs * ds.n) / sec, updates: s.counts.updates });
    }
    runs.sort((a, b) => a.events - b.events);
    const mid = runs[runs.length >> 1];
    rows.push({ algorithm, workers: 4, eventsPerSecond: Math.round(mid.events), sampleUpdatesPerSecond: Math.round(mid.samples), updates: mid.updates });
  }
  return rows;
}
