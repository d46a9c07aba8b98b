// The Node side of the figures: run files in, SVG or PNG files out.

import { createReadStream, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Resvg } from '@resvg/resvg-js';
import { parseRecord } from '../../shared/protocol.ts';
import { UserError } from '../errors.ts';
import { RunCollector, type Run } from './runs.ts';

/** Reads a run file (NDJSON; lines that are not records are skipped) into its runs. */
export async function readRunFile(path: string): Promise<Run[]> {
  const collector = new RunCollector(basename(path).replace(/\.(nd)?json$/i, ''));
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const r = parseRecord(line);
    if (r) collector.add(r);
  }
  return collector.runs.filter((run) => (run.kind === 'train' ? run.epoch.length > 0 : run.f.length > 0));
}

// DejaVu Sans ships in an npm package, so text renders the same on a machine with no fonts at all.
const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONT_FILES = [join(FONT_DIR, 'DejaVuSans.ttf'), join(FONT_DIR, 'DejaVuSans-Bold.ttf')];

/** Rasterises an SVG with the packaged fonts only; `scale` 2 gives a sharp image for a projector or a README. */
export function renderSvg(svg: string, scale = 1) {
  const r = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return r.render();
}

export function svgToPng(svg: string, scale = 1): Buffer {
  return renderSvg(svg, scale).asPng();
}

/**
 * Writes the figure as .svg or .png, chosen by the file's extension, creating missing folders on
 * the way (as every --out does). A path that cannot be written is a UserError that starts with
 * `name` (the option and path as the user gave them, e.g. "--out figs/a.svg"; default: the path).
 */
export async function writeFigure(svg: string, out: string, scale = 1, name = out): Promise<void> {
  const ext = extname(out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new UserError(`${name}: give a file name ending in .svg or .png`);
  const dir = dirname(out);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const file = fileInPath(dir);
    throw new UserError(`${name}: cannot create the folder ${dir}: ${file ? `${file} is a file, not a folder` : writeProblem(err)}`);
  }
  try {
    await writeFile(out, ext === '.svg' ? svg : svgToPng(svg, scale));
  } catch (err) {
    throw new UserError(`${name}: cannot write the figure: ${writeProblem(err)}`);
  }
}

/** The nearest existing ancestor of `dir` (or dir itself) when it is a file rather than a folder, else ''. */
function fileInPath(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return statSync(d).isDirectory() ? '' : d;
    } catch {
      if (dirname(d) === d) return '';
    }
  }
}

/** Why a folder or file could not be written, in words. */
function writeProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder; give a file name ending in .svg or .png';
    case 'EACCES':
    case 'EPERM':
      return `permission denied${e.path ? ` on ${e.path}` : ''}`;
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return e.message ?? String(err);
  }
}
