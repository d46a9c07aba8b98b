// `npx host compare --optimizers sgd,momentum,adagrad,rmsprop,adadelta,adam --data FILE.csv`:
// the seeds' optimizer comparison. Each optimizer trains on the same data with the same settings,
// on the board one after another (or side by side on several boards, `--port` repeated), or on
// the desktop engine with --desktop; the curves are overlaid, training solid and validation dashed.
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { DoneRecord, ProtocolRecord } from '../../shared/protocol.ts';
import { formatF32 } from '../../shared/protocol.ts';
import { collectPorts, comparisonPaths, runComparison } from '../compare-common.ts';
import { parseOptimizerList, resolveComparison } from '../compare-options.ts';
import { readDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import type { Job } from '../jobs.ts';
import { addTrainOptions } from '../options.ts';
import { programName } from '../program.ts';
import { alignColumns } from '../text-table.ts';
import { costFigure } from '../plot/figures.ts';
import { writeFigure } from '../plot/files.ts';
import { runsFromRecords, type TrainRun } from '../plot/runs.ts';
import type { MonitorCliOptions } from '../monitor/options.ts';
import { addParallelOptions, parallelOptionsGiven } from '../parallel/cli-options.ts';
import { compareAlgorithms } from '../parallel/compare.ts';

interface CompareOptions extends MonitorCliOptions {
  optimizers?: string;
  algorithms?: string;
  data: string;
  desktop?: boolean;
  port?: string[];
  figure?: string;
  runs?: string;
  optimizer?: string;
}

function summary(names: string[], results: ProtocolRecord[][]): string {
  const rows = results.map((recs, i) => {
    const done = recs.find((r): r is DoneRecord => r.type === 'done');
    const last = [...recs].reverse().find((r) => r.type === 'epoch') as { loss: number; val_loss?: number } | undefined;
    return [names[i], done ? String(done.epoch) : '?', done?.loss != null ? formatF32(done.loss) : '—', last?.val_loss !== undefined ? formatF32(last.val_loss) : '', done ? done.reason : 'no done record'];
  });
  const head = ['optimizer', 'epochs', 'final loss', 'val loss', 'ended'];
  return alignColumns([head, ...rows]).join('\n');
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train several optimizers on the same data and overlay their loss curves (the seeds\' comparison)')
    .option('--optimizers <list>', 'comma-separated optimizers, each optionally with its own options as name:key=value (name:lr for short): sgd,momentum:momentum=0.5,adam:0.05,adam:lr=0.01:beta1=0.8; an option given once (--momentum 0.5) goes to those that read it (momentum to momentum, nesterov and rmsprop, to sgd only when none of them is listed)')
    .option('--algorithms <list>', 'instead of --optimizers: parallel algorithms on the simulated cluster, each optionally with its own lr: sync,downpour:0.3,adarevision:0.3,easgd (the parallel options below apply to those they belong to)')
    .requiredOption('--data <file.csv>', 'the dataset (as host run)')
    .option('--desktop', 'run on the desktop engine instead of the board')
    .option('-p, --port <path>', 'a board to use; repeat for several boards to run side by side', collectPorts)
    .option('--figure <file>', 'the overlay figure, .svg or .png (default: compare.svg in the runs folder)')
    .option('--runs <dir>', 'folder for the run files (default: runs/compare-<time>/)')
    .option('--log', 'log-scale loss axis')
    .option('--web', 'show the runs live on the dashboard page')
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1)')
    .option('--web-port <n>', 'dashboard port (default: a free one)');
  addTrainOptions(cmd);
  addParallelOptions(cmd, false);
  cmd.action(async (opts: CompareOptions) => {
    if (opts.algorithms !== undefined) {
      if (opts.optimizers !== undefined) throw new UserError('--algorithms: give either --optimizers or --algorithms, not both');
      if (opts.port !== undefined || opts.web) throw new UserError(`--${opts.web ? 'web' : 'port'}: --algorithms runs on the simulated cluster, on this computer; leave it out`);
      await compareAlgorithms(opts.algorithms, opts as unknown as Record<string, unknown>);
      return;
    }
    if (opts.optimizers === undefined) throw new UserError('--optimizers is required: the optimizers to compare, e.g. --optimizers sgd,adam (or --algorithms sync,downpour for parallel runs)');
    if (opts.optimizer !== undefined) throw new UserError('--optimizer: compare takes a list, use --optimizers (e.g. --optimizers sgd,adam)');
    const entries = parseOptimizerList(opts.optimizers);
    const stray = parallelOptionsGiven(opts);
    if (stray) throw new UserError(`${stray}: a parallel option; it goes with --algorithms`);
    const data = readDataset(opts.data);
    const { labels: names, configs, note } = resolveComparison(entries, opts, data.features);
    if (note) process.stderr.write(`${programName()}: note: ${note}\n`);
    const jobs: Job[] = configs.map((config) => ({ kind: 'train', config }));
    const { dir, files, figure } = comparisonPaths('compare', names, opts);

    await runComparison(opts, {
      jobs,
      files,
      data: { csv: data, file: opts.data },
      title: 'pico-trainer · compare',
      async finish(results) {
        const runs = results.flatMap((recs, i) => runsFromRecords(recs, names[i])).filter((r): r is TrainRun => r.kind === 'train');
        await writeFigure(costFigure(runs, { labels: names, log: !!opts.log, title: `${basename(opts.data)}: loss per epoch` }), figure, figure.endsWith('.png') ? 2 : 1);
        process.stdout.write(`${summary(names, results)}\n\nrun files in ${dir}/, figure ${figure}\n`);
      },
    });
  });
}
