// Whether a figure's text stays inside it: every glyph as the packaged font draws it (resvg), against
// the canvas and, in a figure of panels, each panel's box. Shared by the figure tests.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { expect } from 'vitest';
import { attrs, elements } from './svg-inspect.ts';

const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONTS = [join(FONT_DIR, 'DejaVuSans.ttf'), join(FONT_DIR, 'DejaVuSans-Bold.ttf')];

/** The box around every glyph of the SVG's text, as the packaged font draws it (nothing else drawn). */
export function textBox(svg: string): { x0: number; y0: number; x1: number; y1: number } {
  const textOnly = svg
    .replace(/<defs>[\s\S]*?<\/defs>/g, '')
    .replace(/<(rect|line|path|circle|polygon)\b[^>]*\/>/g, '')
    .replace(/ clip-path="[^"]*"/g, '');
  const r = new Resvg(textOnly, { font: { loadSystemFonts: false, fontFiles: FONTS, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } });
  const b = r.getBBox();
  if (!b) throw new Error('no text drawn');
  return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
}

export function size(svg: string): [number, number] {
  const a = attrs(svg.slice(0, svg.indexOf('>')));
  return [Number(a.width), Number(a.height)];
}

/** One panel of a parallel figure: its markup (still translated into place) and its box. */
export function panelOf(svg: string, name: string): { svg: string; box: [number, number, number, number] } {
  const from = svg.indexOf(`<g class="panel" data-panel="${name}"`);
  if (from < 0) throw new Error(`no ${name} panel`);
  const next = svg.indexOf('<text class="heading"', from);
  const body = svg.slice(from, next < 0 ? svg.lastIndexOf('</svg>') : next);
  const box = attrs(body.slice(0, body.indexOf('>')))['data-box'].split(',').map(Number) as [number, number, number, number];
  return { svg: body, box };
}

/** Every text of the figure inside the canvas, every panel's text inside its panel (and headings above it). */
export function expectTextFits(svg: string): void {
  const [w, h] = size(svg);
  const all = textBox(svg);
  expect(all.x0).toBeGreaterThanOrEqual(0);
  expect(all.y0).toBeGreaterThanOrEqual(0);
  expect(all.x1).toBeLessThanOrEqual(w);
  expect(all.y1).toBeLessThanOrEqual(h);
  for (const p of elements(svg, 'panel')) {
    const { svg: body, box } = panelOf(svg, p['data-panel']);
    const t = textBox(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`);
    expect(t.x0).toBeGreaterThanOrEqual(box[0]);
    expect(t.y0).toBeGreaterThanOrEqual(box[1]);
    expect(t.x1).toBeLessThanOrEqual(box[0] + box[2]);
    expect(t.y1).toBeLessThanOrEqual(box[1] + box[3]);
  }
}
