// Run files → the figure their records call for, written as SVG or PNG (host plot).
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { UserError } from '../errors.ts';
import { autoFigure } from './figures.ts';
import { readRunFile, writeFigure } from './files.ts';
import type { Run } from './runs.ts';

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
  await writeFigure(figure.svg, o.out, o.scale ?? (ext === '.png' ? 2 : 1), `--out ${o.out}`);
  return figure.kind;
}
