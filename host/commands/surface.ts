// `npx host surface --fn rosenbrock --optimizers momentum,nesterov,adam`: the descent-path
// pictures. Each optimizer walks the function from the same start, on the board (one after another,
// or side by side with several --port) or on the desktop; the paths are drawn over the contours
// (a 1-D function: over its curve), live on the dashboard with --web and as a figure.
import type { Command } from 'commander';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { resolveWalk, WALK_FUNCTIONS, type WalkConfig } from '../../shared/walks.ts';
import { findFunction, type PlotFunction } from '../plot/functions.ts';
import { collectPorts, comparisonPaths, parseOptimizers, runComparison } from '../compare-common.ts';
import { parseDecimal } from '../csv.ts';
import { UserError } from '../errors.ts';
import type { Job } from '../jobs.ts';
import { curveFigure, pathFigure } from '../plot/figures.ts';
import { writeFigure } from '../plot/files.ts';
import { runsFromRecords, type WalkRun } from '../plot/runs.ts';
import type { MonitorCliOptions } from '../monitor/options.ts';

interface SurfaceOptions extends MonitorCliOptions {
  fn: string;
  optimizers: string;
  steps?: string;
  lr?: string;
  start?: string;
  desktop?: boolean;
  port?: string[];
  figure?: string;
  runs?: string;
}

function number(option: string, raw: string): number {
  const v = parseDecimal(raw);
  if (v === null) throw new UserError(`--${option}: expected a number, got "${raw.slice(0, 20)}"`);
  return v;
}

export function register(program: Command): void {
  program
    .command('surface')
    .description('walk a test function with several optimizers and draw their descent paths over its contours')
    .requiredOption('--fn <name>', `the function: ${Object.keys(WALK_FUNCTIONS).join(', ')}`)
    .requiredOption('--optimizers <list>', 'comma-separated optimizers, each optionally with its own lr: momentum,nesterov,adam:0.1')
    .option('--steps <n>', 'steps per walk (default: the function\'s own)')
    .option('--lr <x>', 'learning rate for every optimizer without its own (default: the function\'s own)')
    .option('--start <x,y>', 'start point (default: the function\'s own)')
    .option('--desktop', 'walk on the desktop engine instead of the board')
    .option('-p, --port <path>', 'a board to use; repeat for several boards to walk side by side', collectPorts)
    .option('--figure <file>', 'the figure, .svg or .png (default: surface.svg in the runs folder)')
    .option('--runs <dir>', 'folder for the run files (default: runs/surface-<fn>-<time>/)')
    .option('--web', 'show the walks live on the dashboard page')
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1)')
    .option('--web-port <n>', 'dashboard port (default: a free one)')
    .action(async (opts: SurfaceOptions) => {
      const choices = parseOptimizers(opts.optimizers);
      const common: Partial<WalkConfig> = {};
      if (opts.steps !== undefined) common.steps = number('steps', opts.steps);
      if (opts.lr !== undefined) common.lr = number('lr', opts.lr);
      if (opts.start !== undefined) common.start = opts.start.split(',').map((v) => number('start', v));
      // A bad --start or --lr throws ConfigError naming the option; the CLI prints it as a user error.
      const jobs: Job[] = choices.map((c) => ({ kind: 'walk', walk: resolveWalk({ ...common, fn: opts.fn, optimizer: c.name, ...(c.lr !== undefined ? { lr: c.lr } : {}) }) }));
      const names = choices.map((c) => (c.lr !== undefined ? `${c.name}:${c.lr}` : c.name));
      const { dir, files, figure } = comparisonPaths(`surface-${opts.fn}`, names, opts);
      const fn = findFunction(opts.fn) as PlotFunction;

      await runComparison(opts, {
        jobs,
        files,
        title: `pico-trainer · ${fn.name}`,
        async finish(results: ProtocolRecord[][]) {
          const walks = results.flatMap((recs, i) => runsFromRecords(recs, names[i])).filter((r): r is WalkRun => r.kind === 'walk');
          const title = `${fn.name}: ${fn.formula}`;
          await writeFigure(fn.dims === 2 ? pathFigure(walks, { title }) : curveFigure(walks, { title }), figure, figure.endsWith('.png') ? 2 : 1);
          const lines = walks.map((w, i) => {
            const n = w.f.length - 1;
            const at = w.x.map((col) => col[n]);
            return `${names[i].padEnd(14)} ${String(w.step[n]).padStart(5)} steps  ended at (${at.map((v) => v.toPrecision(5)).join(', ')})  f = ${w.f[n].toPrecision(5)}  ${w.done?.reason ?? ''}`;
          });
          process.stdout.write(`${lines.join('\n')}\n\nrun files in ${dir}/, figure ${figure}\n`);
        },
      });
    });
}
