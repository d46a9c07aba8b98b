// `host plot RUN.ndjson [MORE.ndjson …] --out FILE.svg|.png`: the seeds' figures from run files.
// The records decide the figure: epochs → cost per epoch (several runs → overlaid with a legend),
// 2-D steps → descent path over the contours, 1-D steps → the function's curve with the walk;
// parallel runs (host distributed) → the global cost over the workers' and the staleness histogram.

import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { autoFigure } from '../plot/figures.ts';
import { readRunFile, writeFigure } from '../plot/files.ts';
import type { Run } from '../plot/runs.ts';

export interface PlotOptions {
  out: string;
  log?: boolean;
  title?: string;
  width?: number;
  height?: number;
  scale?: number;
}

/** Reads the files, draws the figure the records call for, writes it; returns the figure's kind. */
export async function plotFiles(files: string[], o: PlotOptions): Promise<string> {
  const ext = extname(o.out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new UserError(`--out ${o.out}: give a file name ending in .svg or .png`);
  const runs: Run[] = [];
  for (const file of files) {
    try {
      await access(file);
    } catch {
      throw new UserError(`${file}: no such run file`);
    }
    const found = await readRunFile(file);
    if (found.length === 0) throw new UserError(`${file}: no epoch or step records in this file (is it a run file from host run or host monitor?)`);
    runs.push(...found);
  }
  let figure;
  try {
    figure = autoFigure(runs, { log: o.log, title: o.title, width: o.width, height: o.height });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  await writeFigure(figure.svg, o.out, o.scale ?? (ext === '.png' ? 2 : 1));
  return figure.kind;
}

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
    .option('--log', 'log scale for the cost axis')
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
      process.stderr.write(`host plot: wrote ${o.out} (${kind} figure)\n`);
    });
}
