// SVG as strings: a plot frame (scales from d3-scale, grid, ticks, labels, title, legend) that the
// figures draw into. Strings rather than a DOM so the same code runs in Node and in the web page.
// Class names and data-* attributes are part of the output on purpose: tests and the page read them.

import { scaleLinear, scaleLog, type ScaleLinear, type ScaleLogarithmic } from 'd3-scale';

export type Scale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

export const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

/** Tableau 10: distinct on a projector and for the common colour-vision deficiencies. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Pixel coordinates to two decimals: enough for any screen, short enough for big paths. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export interface LegendEntry {
  label: string;
  color: string;
  dashed?: boolean;
  /** 'line' (default) or 'dot'. */
  mark?: 'line' | 'dot';
  /** The marker drawn on the line (or as the dot): a walk's start, end and steps wear it. */
  shape?: MarkerShape;
}

// ------------------------------------------------------------------ text that fits

/** Width of a text in DejaVu Sans, estimated on the wide side (its average advance is about 0.55 em). */
export function textWidth(s: string, size: number, bold = false): number {
  return s.length * size * (bold ? 0.68 : 0.62);
}

/** The text, cut with an ellipsis when it would be wider than `max` pixels. */
export function fitText(s: string, max: number, size: number, bold = false): string {
  if (textWidth(s, size, bold) <= max) return s;
  const n = Math.max(1, Math.floor(max / (size * (bold ? 0.68 : 0.62))) - 1);
  return s.slice(0, n).trimEnd() + '…';
}

/**
 * The text broken at spaces into at most `lines` lines no wider than `max` pixels; what does not
 * fit in the last line is cut with an ellipsis (so is a single word wider than a line).
 */
export function wrapText(s: string, max: number, size: number, bold = false, lines = 2): string[] {
  if (textWidth(s, size, bold) <= max || lines <= 1) return [fitText(s, max, size, bold)];
  const words = s.split(' ');
  const out: string[] = [];
  let line = '';
  let i = 0;
  for (; i < words.length && out.length < lines - 1; i++) {
    const next = line ? `${line} ${words[i]}` : words[i];
    if (line && textWidth(next, size, bold) > max) {
      out.push(line);
      line = '';
      i--;
    } else line = next;
  }
  const rest = [line, ...words.slice(i)].filter((w) => w !== '').join(' ');
  if (rest) out.push(rest);
  return out.map((l) => fitText(l, max, size, bold));
}

// ------------------------------------------------------------------ markers

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'hexagon';
/** One shape per walk, so that walks stay apart where their paths overlap, in print and for colour-blind eyes. */
export const MARKER_SHAPES: MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'hexagon'];

/** A marker of about radius `r` centred on (cx, cy), as one SVG element; `attrs` go on it (class, fill, stroke). */
export function marker(shape: MarkerShape, cx: number, cy: number, r: number, attrs: string): string {
  if (shape === 'circle') return `<circle ${attrs} cx="${px(cx)}" cy="${px(cy)}" r="${px(r)}"/>`;
  if (shape === 'square') {
    const h = r * 0.9;
    return `<rect ${attrs} x="${px(cx - h)}" y="${px(cy - h)}" width="${px(2 * h)}" height="${px(2 * h)}"/>`;
  }
  const poly = (pts: [number, number][]) => `<polygon ${attrs} points="${pts.map(([x, y]) => `${px(cx + x * r)},${px(cy + y * r)}`).join(' ')}"/>`;
  if (shape === 'triangle') return poly([[0, -1.25], [1.1, 0.7], [-1.1, 0.7]]);
  if (shape === 'triangle-down') return poly([[0, 1.25], [1.1, -0.7], [-1.1, -0.7]]);
  if (shape === 'diamond') return poly([[0, -1.3], [1.1, 0], [0, 1.3], [-1.1, 0]]);
  return poly(Array.from({ length: 6 }, (_, k) => [Math.cos((Math.PI / 3) * k) * 1.1, Math.sin((Math.PI / 3) * k) * 1.1] as [number, number]));
}

export interface FrameOptions {
  width: number;
  height: number;
  title?: string;
  /** A smaller grey line under the title (the function's formula, the run's settings). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xDomain: [number, number];
  yDomain: [number, number];
  xLog?: boolean;
  yLog?: boolean;
  /** Round the domains out to tick values (not for contour plots, whose range is the function's). */
  nice?: boolean;
  legend?: LegendEntry[];
}

export interface Frame {
  x: Scale;
  y: Scale;
  /** Plot area in pixels. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** id of the clipPath that keeps marks inside the plot area. */
  clip: string;
}

/** A decade's label: 0.01, 1, 1000 as they are; beyond that 1e-5, 1e6. */
function decadeLabel(v: number): string {
  return v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(1))) : v.toExponential(0).replace('+', '');
}

function makeScale(domain: [number, number], range: [number, number], log: boolean | undefined, nice: boolean | undefined): Scale {
  let [lo, hi] = domain;
  if (!(hi > lo)) {
    // One value (or none): give the axis some room around it.
    const pad = lo === 0 || !isFinite(lo) ? 1 : Math.abs(lo) * 0.1;
    lo = isFinite(lo) ? lo - pad : 0;
    hi = isFinite(hi) ? hi + pad : 1;
    if (log && lo <= 0) lo = hi / 100;
  }
  const s = log ? scaleLog().domain([lo, hi]).range(range) : scaleLinear().domain([lo, hi]).range(range);
  if (nice) s.nice();
  return s;
}

/** Tick values and labels; a log axis labels whole decades and keeps the others as minor grid lines. */
function ticks(s: Scale, log: boolean | undefined, count: number): { v: number; label: string | null }[] {
  if (!log) {
    const lin = s as ScaleLinear<number, number>;
    const f = lin.tickFormat(count);
    return lin.ticks(count).map((v) => ({ v, label: f(v) }));
  }
  const all = (s as ScaleLogarithmic<number, number>).ticks();
  const decades = all.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
  // Many decades: label every other one (or fewer) so labels do not collide.
  const step = Math.max(1, Math.ceil(decades.length / count));
  const labelled = new Set(decades.filter((_, i) => i % step === 0));
  if (decades.length >= 2) return all.map((v) => ({ v, label: labelled.has(v) ? decadeLabel(v) : null }));
  return all.map((v) => ({ v, label: String(Number(v.toPrecision(3))) }));
}

/** Draws the frame (background, grid, axes, labels, title, legend); marks go between `open` and `close`. */
export function frame(o: FrameOptions, id: string): { f: Frame; open: string; close: string } {
  // Legend labels, titles and subtitles are cut (or wrapped) to stay inside the canvas.
  const entries = o.legend && o.legend.length > 1 ? o.legend.map((e) => ({ ...e, label: fitText(e.label, Math.max(100, o.width * 0.3), 14) })) : [];
  const legendWidth = entries.length ? legendSize(entries) : 0;
  const left = 78;
  const room = o.width - 32;
  const titleLines = o.title ? wrapText(o.title, room, 20, true, 2) : [];
  const subtitle = o.subtitle ? fitText(o.subtitle, room, 15) : '';
  const extra = Math.max(0, titleLines.length - 1) * 24;
  const top = (subtitle ? 74 : o.title ? 52 : 20) + extra;
  const right = o.width - 24 - legendWidth;
  const bottom = o.height - 62;
  const x = makeScale(o.xDomain, [left, right], o.xLog, o.nice);
  const y = makeScale(o.yDomain, [bottom, top], o.yLog, o.nice);
  const clip = `clip-${id}`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}" viewBox="0 0 ${o.width} ${o.height}" font-family="${FONT}" data-figure="${id}">`,
    `<defs><clipPath id="${clip}"><rect x="${left}" y="${top}" width="${px(right - left)}" height="${px(bottom - top)}"/></clipPath></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  );
  // Centred over the plot when they fit there, else over the canvas.
  const centre = (t: string, size: number, bold: boolean) => px(textWidth(t, size, bold) <= right - left ? (left + right) / 2 : o.width / 2);
  if (subtitle) parts.push(`<text class="subtitle" x="${centre(subtitle, 15, false)}" y="${56 + extra}" text-anchor="middle" font-size="15" fill="#555">${esc(subtitle)}</text>`);
  if (titleLines.length === 1) parts.push(`<text class="title" x="${centre(titleLines[0], 20, true)}" y="32" text-anchor="middle" font-size="20" font-weight="bold" fill="#222">${esc(titleLines[0])}</text>`);
  else if (titleLines.length > 1) {
    const x = px(o.width / 2);
    parts.push(`<text class="title" x="${x}" y="32" text-anchor="middle" font-size="20" font-weight="bold" fill="#222">${titleLines.map((l, i) => `<tspan x="${x}" dy="${i ? 24 : 0}">${esc(l)}</tspan>`).join('')}</text>`);
  }

  const xt = ticks(x, o.xLog, Math.max(3, Math.round((right - left) / 90)));
  const yt = ticks(y, o.yLog, Math.max(3, Math.round((bottom - top) / 60)));
  const xd = x.domain();
  const yd = y.domain();
  parts.push(`<g class="axis x" data-domain="${xd[0]},${xd[1]}" data-scale="${o.xLog ? 'log' : 'linear'}">`);
  for (const t of xt) {
    const p = px(x(t.v));
    parts.push(`<line class="grid${t.label === null ? ' minor' : ''}" x1="${p}" x2="${p}" y1="${top}" y2="${bottom}" stroke="${t.label === null ? '#f0f0f0' : '#dddddd'}" stroke-width="1"/>`);
    if (t.label !== null) parts.push(`<text class="tick x" x="${p}" y="${bottom + 20}" text-anchor="middle" font-size="13" fill="#333">${esc(t.label)}</text>`);
  }
  parts.push('</g>', `<g class="axis y" data-domain="${yd[0]},${yd[1]}" data-scale="${o.yLog ? 'log' : 'linear'}">`);
  for (const t of yt) {
    const p = px(y(t.v));
    parts.push(`<line class="grid${t.label === null ? ' minor' : ''}" x1="${left}" x2="${px(right)}" y1="${p}" y2="${p}" stroke="${t.label === null ? '#f0f0f0' : '#dddddd'}" stroke-width="1"/>`);
    if (t.label !== null) parts.push(`<text class="tick y" x="${left - 8}" y="${p}" dy="0.35em" text-anchor="end" font-size="13" fill="#333">${esc(t.label)}</text>`);
  }
  parts.push('</g>');
  parts.push(
    `<text class="label x" x="${px((left + right) / 2)}" y="${o.height - 18}" text-anchor="middle" font-size="15" fill="#222">${esc(o.xLabel)}</text>`,
    `<text class="label y" transform="translate(20 ${px((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="15" fill="#222">${esc(o.yLabel)}</text>`,
    `<g class="marks" clip-path="url(#${clip})">`,
  );
  const close: string[] = ['</g>', `<rect class="plot-area" x="${left}" y="${top}" width="${px(right - left)}" height="${px(bottom - top)}" fill="none" stroke="#888"/>`];
  if (legendWidth) close.push(legend(entries, right + 16, top));
  close.push('</svg>');
  return { f: { x, y, left, top, right, bottom, clip }, open: parts.join('\n'), close: close.join('\n') };
}

function legendSize(entries: LegendEntry[]): number {
  const longest = Math.max(...entries.map((e) => e.label.length));
  return 60 + Math.ceil(longest * 9);
}

function legend(entries: LegendEntry[], x: number, y: number): string {
  const out = [`<g class="legend" data-entries="${entries.length}">`];
  entries.forEach((e, i) => {
    const cy = y + 12 + i * 22;
    let mark =
      e.mark === 'dot'
        ? marker(e.shape ?? 'circle', x + 14, cy, 5, `fill="${e.color}"`)
        : `<line x1="${x}" x2="${x + 28}" y1="${cy}" y2="${cy}" stroke="${e.color}" stroke-width="3"${e.dashed ? ' stroke-dasharray="7 4"' : ''}/>`;
    if (e.mark !== 'dot' && e.shape) mark += marker(e.shape, x + 14, cy, 5, `fill="${e.color}" stroke="#222" stroke-width="1"`);
    out.push(`<g class="entry" data-label="${esc(e.label)}">${mark}<text x="${x + 36}" y="${cy}" dy="0.35em" font-size="14" fill="#222">${esc(e.label)}</text></g>`);
  });
  out.push('</g>');
  return out.join('');
}

/**
 * Keeps the shape of a long series at a fixed cost: per x bucket, the first, lowest, highest and
 * last point. Indices are returned in order; series shorter than 4 × buckets come back whole.
 */
export function decimateIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number): number[] {
  const n = xs.length;
  const all: number[] = [];
  if (n <= buckets * 4) {
    for (let i = 0; i < n; i++) all.push(i);
    return all;
  }
  const x0 = xs[0];
  const span = xs[n - 1] - x0 || 1;
  let b = -1;
  let first = 0;
  let lo = 0;
  let hi = 0;
  let last = 0;
  const flush = () => {
    for (const i of [...new Set([first, lo, hi, last])].sort((p, q) => p - q)) all.push(i);
  };
  for (let i = 0; i < n; i++) {
    const k = Math.min(buckets - 1, Math.floor(((xs[i] - x0) / span) * buckets));
    if (k !== b) {
      if (b >= 0) flush();
      b = k;
      first = lo = hi = last = i;
    } else {
      last = i;
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
    }
  }
  flush();
  return all;
}

/** An SVG path through the points, broken where a value is missing or off a log axis. */
export function linePath(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<number>, idx: number[], yLog: boolean | undefined): { d: string; points: number } {
  let d = '';
  let pen = false;
  let points = 0;
  for (const i of idx) {
    const v = ys[i];
    if (!isFinite(v) || (yLog && v <= 0)) {
      pen = false;
      continue;
    }
    d += (pen ? 'L' : 'M') + px(f.x(xs[i])) + ',' + px(f.y(v));
    pen = true;
    points++;
  }
  return { d, points };
}
