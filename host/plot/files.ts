// The Node side of the figures: run files in, SVG or PNG files out.

import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Resvg } from '@resvg/resvg-js';
import { parseRecord } from '../../shared/protocol.ts';
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

/** Writes the figure as .svg or .png, chosen by the file's extension. */
export async function writeFigure(svg: string, out: string, scale = 1): Promise<void> {
  const ext = extname(out).toLowerCase();
  if (ext === '.svg') await writeFile(out, svg);
  else if (ext === '.png') await writeFile(out, svgToPng(svg, scale));
  else throw new Error(`--out ${out}: the figure is written as .svg or .png`);
}
