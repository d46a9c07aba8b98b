// The engine as a contender: the real Trainer from shared/trainer.ts, run exactly as `host run`
// runs it, with its records going to a sink that keeps only the last one.
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import type { Dataset } from '../../shared/dataset.ts';
import { Trainer } from '../../shared/trainer.ts';
import { textRecords } from '../../shared/records.ts';

export interface Job {
  /** 1 = per-sample SGD, 0 = full-batch GD. */
  batch: number;
  lr: number;
}

export function jobConfig(job: Job, epochs: number, features: number, extra: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig({ optimizer: 'sgd', lr: job.lr, batch: job.batch, epochs, shuffle: false, ...extra }, features);
}

export interface EngineResult {
  w: number[];
  b: number;
  records: number;
  lastLine: string;
}

/** Trains `epochs` epochs; returns the final parameters from the done record. */
export function engineTrain(ds: Dataset, job: Job, epochs: number): EngineResult {
  let records = 0;
  let lastLine = '';
  const trainer = new Trainer(ds, jobConfig(job, epochs, ds.features), textRecords((line) => {
    records++;
    lastLine = line;
  }));
  trainer.run();
  const done = JSON.parse(lastLine) as { w: number[]; b: number };
  return { w: done.w, b: done.b, records, lastLine };
}

/** The same, without parsing the result: what the timed repetitions run. */
export function engineRun(ds: Dataset, job: Job, epochs: number): number {
  let records = 0;
  const trainer = new Trainer(ds, jobConfig(job, epochs, ds.features), textRecords(() => {
    records++;
  }));
  trainer.run();
  if (records !== epochs + 3) throw new Error(`the engine printed ${records} records for ${epochs} epochs`);
  return epochs * ds.n;
}
