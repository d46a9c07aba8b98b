// The parallel runs' part of the figures (figures.ts draws them): the staleness histogram, and the
// layout of a figure of two panels (the cost per epoch, the staleness of the updates) side by side,
// or stacked when the figure is narrow. Each panel is a frame (svg.ts) of its own, moved into place.
// No Node APIs here.

import { scaleLinear } from 'd3-scale';
import type { StalenessCounts } from './runs.ts';
import { FONT, esc, fitText, frame, px } from './svg.ts';

// The text helpers moved to svg.ts, where every figure's frame uses them.
export { fitText, textWidth } from './svg.ts';

/** One run's bars in the staleness panel. */
export interface StalenessSeries {
  label: string;
  color: string;
  staleness: StalenessCounts;
}

/** Where a panel goes in the figure; `heading` is the baseline of its heading, above it. */
export interface PanelBox {
  x: number;
  y: number;
  width: number;
  height: number;
  heading: number;
}

/** Side by side from this width on; narrower figures stack their panels. */
export const SIDE_BY_SIDE_WIDTH = 900;
/** The cost panel's share of the width, side by side. */
const COST_SHARE = 0.6;

/** A mean staleness to one decimal; "–" when there were no updates. */
export function fmtStaleness(x: number): string {
  return isFinite(x) ? String(Math.round(x * 10) / 10) : '–';
}

/** µs as a person reads them: 850 µs, 12.3 ms, 4.56 s. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${Number((us / 1000).toPrecision(3))} ms`;
  return `${Number((us / 1e6).toPrecision(3))} s`;
}

/** The panels' places: one panel fills the figure under the titles; two go side by side, or stacked. */
export function panelLayout(width: number, height: number, subtitle: boolean, n: 1 | 2): PanelBox[] {
  const top = subtitle ? 72 : 48;
  // Each panel: its heading's line (20 px), then its frame.
  const box = (x: number, y: number, w: number, h: number): PanelBox => ({ x, y: y + 20, width: w, height: h - 20, heading: y + 16 });
  if (n === 1) return [box(0, top, width, height - top)];
  if (width >= SIDE_BY_SIDE_WIDTH) {
    const w0 = Math.round(width * COST_SHARE);
    return [box(0, top, w0, height - top), box(w0, top, width - w0, height - top)];
  }
  const h0 = Math.round((height - top) / 2);
  return [box(0, top, width, h0), box(0, top + h0, width, height - top - h0)];
}

/** The figure's own <svg> element, background, title and subtitle: panels follow, then </svg>. */
export function figureOpen(width: number, height: number, id: string, title?: string, subtitle?: string): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" data-figure="${id}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  const room = width - 32;
  if (title) out.push(`<text class="title" x="${px(width / 2)}" y="32" text-anchor="middle" font-size="20" font-weight="bold" fill="#222">${esc(fitText(title, room, 20, true))}</text>`);
  if (subtitle) out.push(`<text class="subtitle" x="${px(width / 2)}" y="56" text-anchor="middle" font-size="15" fill="#555">${esc(fitText(subtitle, room, 15))}</text>`);
  return out.join('\n');
}

/**
 * A frame drawn on its own (svg.ts's open/close) as a panel of a larger figure: its <svg> element
 * and background go, the rest moves to the box. The heading is centred over the box.
 */
export function panel(name: string, b: PanelBox, heading: string, open: string, marks: string[], close: string): string {
  const svgTag = /^<svg [^>]*>\n/;
  const background = '<rect width="100%" height="100%" fill="#ffffff"/>\n';
  if (!svgTag.test(open) || open.indexOf(background) < 0 || !close.endsWith('</svg>')) throw new Error('panel: unexpected frame markup');
  const body = open.replace(svgTag, '').replace(background, '');
  const h = `<text class="heading" data-panel="${name}" x="${px(b.x + b.width / 2)}" y="${px(b.heading)}" text-anchor="middle" font-size="15" font-weight="bold" fill="#333">${esc(fitText(heading, b.width - 24, 15, true))}</text>`;
  return [
    h,
    `<g class="panel" data-panel="${name}" data-box="${px(b.x)},${px(b.y)},${px(b.width)},${px(b.height)}" transform="translate(${px(b.x)} ${px(b.y)})">`,
    body,
    ...marks,
    close.slice(0, -'</svg>'.length).trimEnd(),
    '</g>',
  ].join('\n');
}

/**
 * Updates per staleness value, as bars; several runs' bars grouped side by side at each value, in
 * their colours. Large counts are shown in thousands or millions so that the tick labels stay short.
 */
export function stalenessPlot(series: StalenessSeries[], width: number, height: number, id: string): { open: string; marks: string[]; close: string } {
  let maxS = 0;
  let maxCount = 0;
  for (const s of series) {
    const c = s.staleness.counts;
    for (let k = 0; k < c.length; k++) {
      if (c[k] > 0 && k > maxS) maxS = k;
      if (c[k] > maxCount) maxCount = c[k];
    }
  }
  const unit = maxCount >= 1e8 ? 1e6 : maxCount >= 1e5 ? 1e3 : 1;
  const yLabel = unit === 1 ? 'updates' : unit === 1e3 ? 'updates (thousands)' : 'updates (millions)';
  // Whole-number ticks: the frame asks for about one tick per 90 px (svg.ts); a domain at least that
  // many values wide gets steps of 1, 2, 5, 10, … and never halves.
  const plotWidth = width - 78 - 24;
  const tickCount = Math.max(3, Math.round(plotWidth / 90));
  const xDomain: [number, number] = [-0.5, Math.max(maxS, tickCount) + 0.5];
  const plotHeight = height - 62 - 20;
  const yTop = scaleLinear()
    .domain([0, Math.max(1, maxCount / unit)])
    .nice(Math.max(3, Math.round(plotHeight / 60)))
    .domain()[1];
  const { f, open, close } = frame({ width, height, xLabel: 'staleness (updates since the read)', yLabel, xDomain, yDomain: [0, yTop] }, id);
  const marks: string[] = [];
  const group = 0.8;
  const bw = group / series.length;
  const y0 = f.y(0);
  series.forEach((s, i) => {
    const c = s.staleness.counts;
    const out = [`<g class="staleness" data-label="${esc(s.label)}" data-updates="${s.staleness.n}" data-mean="${s.staleness.n ? s.staleness.sum / s.staleness.n : ''}" data-max="${s.staleness.max}">`];
    for (let k = 0; k < c.length; k++) {
      if (c[k] === 0) continue;
      const x0 = f.x(k - group / 2 + i * bw);
      const x1 = f.x(k - group / 2 + (i + 1) * bw);
      const y = f.y(c[k] / unit);
      out.push(
        `<rect class="bar" data-staleness="${k}" data-count="${c[k]}" x="${px(x0)}" y="${px(y)}" width="${px(Math.max(0.75, x1 - x0))}" height="${px(Math.max(0.5, y0 - y))}" fill="${s.color}"/>`,
      );
    }
    out.push('</g>');
    marks.push(out.join('\n'));
  });
  return { open, marks, close };
}
