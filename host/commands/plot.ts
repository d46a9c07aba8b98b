// `host plot RUN.ndjson [MORE.ndjson …] --out FILE.svg|.png`: the seeds' figures from run files.
// The records decide the figure: epochs → cost per epoch (several runs → overlaid with a legend),
// 2-D steps → descent path over the contours, 1-D steps → the function's curve with the walk;
// parallel runs (host distributed) → the global cost over the workers' and the staleness histogram.

import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { plotFiles, type PlotOptions } from '../plot/plot-files.ts';

function positiveInt(option: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 100 || n > 8000) throw new UserError(`--${option} ${v}: give a whole number of pixels from 100 to 8000`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('plot')
    .description('draw figures from run files: cost per epoch, runs overlaid, descent paths over contours, a 1-D walk on its curve, parallel runs with their workers and staleness')
    .argument('<files...>', 'run files (NDJSON records, as host run and host monitor write them)')
    .requiredOption('-o, --out <file>', 'the figure to write: FILE.svg or FILE.png')
    .option('--log', 'log scale for the cost axis (loss curves only; a walk\'s figure has none)')
    .option('--title <text>', 'the figure title (default: from the run)')
    .option('--width <px>', 'figure width in pixels', positiveInt('width'))
    .option('--height <px>', 'figure height in pixels', positiveInt('height'))
    .option('--scale <n>', 'PNG pixel density (default 2)', (v) => {
      const n = Number(v);
      if (!(n >= 0.5 && n <= 8)) throw new UserError(`--scale ${v}: give a number from 0.5 to 8`);
      return n;
    })
    .action(async (files: string[], o: PlotOptions) => {
      const kind = await plotFiles(files, o);
      // A walk's figure has no cost axis: say so rather than ignore --log.
      if (o.log && (kind === 'path' || kind === 'curve')) process.stderr.write(`host plot: --log applies to loss curves; this is a ${kind} figure, drawn as usual\n`);
      process.stderr.write(`host plot: wrote ${o.out} (${kind} figure)\n`);
    });
}
