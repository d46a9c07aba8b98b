// `host run` minus commander: validate everything the user gave (options, data, output file), train
// on the desktop engine, print the records, and predict. Tests call it in-process.
import { closeSync, writeSync } from 'node:fs';
import { datasetFromPacked } from '../shared/dataset.ts';
import { formatF32, parseRecord, type DoneRecord } from '../shared/protocol.ts';
import { Trainer } from '../shared/trainer.ts';
import { DESKTOP_CAPACITY, parseDecimal, quoteCell, readDataset } from './csv.ts';
import { UserError } from './errors.ts';
import { openRunFile } from './run-file.ts';
import { defaultFormat, RecordFormatter, type OutputFormat } from './format.ts';
import { configFromOptions } from './options.ts';
import { divergenceAdvice, featureMaxAbs } from './advice.ts';
import { programName } from './program.ts';
import { textRecords } from '../shared/records.ts';

export interface RunOptions extends Record<string, unknown> {
  data?: string;
  format?: OutputFormat;
  out?: string;
  predict?: string;
  maxRows?: string;
}

/** Where run() writes: injectable so tests can call it in-process. */
export interface RunIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export interface RunResult {
  done: DoneRecord | null;
  prediction: number | null;
  /** The process exit code the run deserves: 0, or 2 when training diverged. */
  exitCode: number;
}

/** The model's output at x, in float32 arithmetic as torch computes it: w·x + b. */
export function predict(w: readonly number[], b: number, x: readonly number[]): number {
  let y = 0;
  for (let i = 0; i < x.length; i++) y = Math.fround(y + Math.fround(Math.fround(w[i]) * Math.fround(x[i])));
  return Math.fround(y + Math.fround(b));
}

function parsePredict(raw: string, features: number): number[] {
  const parts = raw.split(',');
  const x = parts.map((part) => {
    const v = parseDecimal(part);
    if (v === null) throw new UserError(`--predict: ${quoteCell(part)} is not a number; give ${features === 1 ? 'one number, such as 4' : `${features} comma-separated numbers`}`);
    return v;
  });
  if (x.length !== features) {
    throw new UserError(`--predict: has ${x.length} value${x.length === 1 ? '' : 's'} but the data has ${features} feature${features === 1 ? '' : 's'}; give ${features}, comma-separated`);
  }
  return x;
}

function parseMaxRows(raw: string | undefined): number {
  if (raw === undefined) return DESKTOP_CAPACITY;
  const v = parseDecimal(raw);
  if (v === null || !Number.isInteger(v) || v < 1) throw new UserError(`--max-rows: expected a whole number of at least 1, got ${quoteCell(raw)}`);
  return v;
}

/** The whole command, minus commander: validates, trains, prints. */
export function runCommand(opts: RunOptions, io: RunIO): RunResult {
  if (opts.data === undefined) throw new UserError('--data is required: the CSV file to train on (features first, y last)');
  const capacity = parseMaxRows(opts.maxRows);
  const format: OutputFormat = opts.format ?? defaultFormat({ isTTY: io.isTTY });
  const data = readDataset(opts.data, {
    capacity,
    capacityNote: opts.maxRows === undefined ? 'the desktop default; --max-rows changes it' : 'set by --max-rows',
  });
  const config = configFromOptions(opts, data.features, (warning) => io.stderr(`${programName()}: warning: ${warning}\n`));
  const x = opts.predict === undefined ? null : parsePredict(opts.predict, data.features);
  if (config.valSplit > 0 && data.rows - Math.max(1, Math.floor(data.rows * config.valSplit)) < 1) {
    throw new UserError(`--val-split: ${config.valSplit} of ${data.rows} sample${data.rows === 1 ? '' : 's'} leaves none to train on; use more data or a smaller split`);
  }

  let done: DoneRecord | null = null;
  // Where the data, not the rate, makes a run diverge, the summary says what to change.
  const advice = divergenceAdvice(featureMaxAbs(data.packed, data.features, data.rows), config);
  const formatter = new RecordFormatter(format, { divergenceAdvice: advice });
  const fd = opts.out === undefined ? -1 : openRunFile(opts.out);
  try {
    const dataset = datasetFromPacked(data.packed, data.features);
    const trainer = new Trainer(
      dataset,
      config,
      textRecords((line) => {
        if (fd >= 0) writeSync(fd, line + '\n');
        const record = parseRecord(line);
        if (record !== null && record.type === 'done') done = record;
        for (const out of formatter.line(line)) io.stdout(out + '\n');
      }),
      'desktop',
    );
    trainer.run();
  } finally {
    if (fd >= 0) closeSync(fd);
  }

  const final = done as DoneRecord | null;
  // ndjson and csv keep the engine's record as it is; the advice goes to stderr.
  if (final !== null && final.reason === 'diverged' && advice && format !== 'text') io.stderr(`${programName()}: the run diverged: ${advice}\n`);
  let prediction: number | null = null;
  if (x !== null && final !== null && final.reason !== 'diverged') {
    prediction = predict(final.w, final.b, x);
    const text = `predict(${x.join(', ')}) = ${formatF32(prediction)}`;
    // ndjson stays a stream of JSON lines; csv stays a table, so its prediction goes to stderr.
    if (format === 'ndjson') io.stdout(JSON.stringify({ type: 'predict', x, y: Number(formatF32(prediction)) }) + '\n');
    else if (format === 'csv') io.stderr(text + '\n');
    else io.stdout(text + '\n');
  }
  return { done: final, prediction, exitCode: final !== null && final.reason === 'diverged' ? 2 : 0 };
}
