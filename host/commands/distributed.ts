// `host distributed`: parallel and distributed SGD on the desktop. The workers are simulated (a
// deterministic cluster of Picos on USB: the same seed gives the same run, bit for bit), or real
// threads with --threads (hogwild, sync). Everything is checked before anything runs.
import { closeSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { parseRecord, type DoneRecord } from '../../shared/protocol.ts';
import { ALGORITHMS } from '../../shared/parallel/options.ts';
import { UserError } from '../errors.ts';
import { defaultFormat, FORMATS, RecordFormatter, type OutputFormat } from '../format.ts';
import { addParallelOptions, resolveParallelRun } from '../parallel/cli-options.ts';
import { GENERATORS, parallelData, runParallel } from '../parallel/run.ts';
import { openRunFile } from '../run-file.ts';
import { autoFigure } from '../plot/figures.ts';
import { RunCollector } from '../plot/runs.ts';
import { writeFigure } from '../plot/files.ts';

interface DistributedOptions extends Record<string, unknown> {
  algorithm?: string;
  data?: string;
  generate?: string;
  samples?: string;
  threads?: string;
  cas?: boolean;
  format?: OutputFormat;
  out?: string;
  figure?: string;
  workers?: string;
}

function threadCount(o: DistributedOptions): number | undefined {
  if (o.threads === undefined) {
    if (o.cas) throw new UserError('--cas: goes with --threads');
    return undefined;
  }
  const n = Number(o.threads);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UserError(`--threads: expected a whole number from 1 to 64, got ${o.threads}`);
  if (o.algorithm !== 'hogwild' && o.algorithm !== 'sync') throw new UserError(`--threads: runs hogwild or sync, not ${o.algorithm}; leave --threads out to simulate ${o.algorithm}`);
  if (o.workers !== undefined && Number(o.workers) !== n) throw new UserError(`--workers ${o.workers} and --threads ${n}: with threads each thread is a worker; give one of them`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('distributed')
    .summary('parallel SGD: sync, Downpour, Hogwild!, AdaRevision, EASGD on simulated workers or threads')
    .description(
      'Trains y = w·x + b with several workers and a parameter server: a deterministic simulated cluster\n' +
        '(compute time per sample, link latency and jitter; by default Picos on USB), or real threads\n' +
        '(--threads, hogwild and sync). Prints the global parameters and loss once per epoch-equivalent\n' +
        '(N sample-updates over all workers), with each worker\'s loss and the staleness of the updates.',
    )
    .addOption(new Option('--algorithm <name>', 'the parallel algorithm').choices(ALGORITHMS).makeOptionMandatory())
    .option('--data <file.csv>', 'the dataset (as host run)')
    .addOption(new Option('--generate <kind>', 'a generated noiseless set of 8 features instead of --data: dense, or sparse (1–2 non-zero features a sample)').choices(GENERATORS))
    .option('--samples <n>', 'samples of the generated set (default 10000)')
    .option('--threads <n>', 'run the workers on n real threads (hogwild, sync) instead of simulating them')
    .option('--cas', 'threads, hogwild: atomic adds by compare-and-swap (the paper\'s model) instead of plain stores')
    .addOption(new Option('--format <format>', 'output: text, ndjson (records), csv (default: text on a terminal, ndjson when piped)').choices(FORMATS))
    .option('--out <run.ndjson>', 'also write the records to this run file')
    .option('--figure <file>', 'draw the run (global loss over the workers\', staleness) to FILE.svg or .png');
  addParallelOptions(cmd);
  cmd.action(async (o: DistributedOptions) => {
    const algorithm = o.algorithm as string;
    const threads = threadCount(o);
    if (o.figure !== undefined && !/\.(svg|png)$/i.test(o.figure)) throw new UserError(`--figure ${o.figure}: give a file name ending in .svg or .png`);
    const { data, name } = parallelData(o);
    const { config, parallel } = resolveParallelRun(threads === undefined ? o : { ...o, workers: String(threads) }, algorithm, data.features, data.rows);
    const format = o.format ?? defaultFormat(process.stdout);
    const formatter = new RecordFormatter(format);
    const fd = o.out === undefined ? -1 : openRunFile(o.out);
    // The figure's runs are collected as records arrive: a run of millions of updates keeps only counts.
    const collector = new RunCollector(basename(name));
    let done: DoneRecord | null = null;
    let pending = '';
    const flush = () => {
      if (pending) process.stdout.write(pending);
      pending = '';
    };
    let result;
    try {
      result = await runParallel({ data, config, parallel, threads, cas: o.cas }, (line) => {
        if (fd >= 0) writeSync(fd, line + '\n');
        const r = parseRecord(line);
        if (r !== null && o.figure !== undefined) collector.add(r);
        if (r !== null && r.type === 'done') done = r;
        for (const out of formatter.line(line)) pending += out + '\n';
        if (pending.length >= 65536) flush();
      });
      for (const out of formatter.flush()) pending += out + '\n';
    } finally {
      flush();
      if (fd >= 0) closeSync(fd);
    }
    if (threads !== undefined && result.updatesPerSecond !== undefined) {
      process.stderr.write(`${threads} thread${threads === 1 ? '' : 's'}: ${Math.round(result.updatesPerSecond).toLocaleString('en-US')} updates/s\n`);
    }
    if (o.figure !== undefined) {
      const figure = autoFigure(collector.plottable(), {});
      await writeFigure(figure.svg, o.figure, o.figure.toLowerCase().endsWith('.png') ? 2 : 1);
      process.stderr.write(`host distributed: wrote ${o.figure}\n`);
    }
    const final = done as DoneRecord | null;
    if (final !== null && final.reason === 'diverged') process.exitCode = 2;
  });
}
