// The seeds' figures as SVG strings: cost per epoch (one run, or several overlaid with a legend),
// a 2-D descent path over the function's contours, and a 1-D function with the walk's points.
// No Node APIs: the web page bundles this file for its walk view.

import { contours } from 'd3-contour';
import { interpolateBlues } from 'd3-scale-chromatic';
import { findFunction, type PlotFunction } from './functions.ts';
import { figureOpen, fmtStaleness, formatMicros, panel, panelLayout, stalenessPlot, type StalenessSeries } from './parallel.ts';
import { isParallel, meanStaleness, parallelOf, runCounts, runLabels, runsFromRecords, walkDims, workerCount, type Run, type TrainRun, type WalkRun } from './runs.ts';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { MARKER_SHAPES, PALETTE, decimateIndices, esc, fitText, frame, linePath, marker, px, type Frame, type LegendEntry } from './svg.ts';

export interface FigureOptions {
  title?: string;
  /** Log scale for the cost axis. */
  log?: boolean;
  width?: number;
  height?: number;
  /** Legend labels, one per run, in the runs' order (compare gives the names the user typed: adam:0.05). */
  labels?: string[];
}

/** The legend labels: the caller's, when there is one per run; else the shortest that tell the runs apart. */
function labelsOf(runs: Run[], o: FigureOptions): string[] {
  return o.labels && o.labels.length === runs.length ? o.labels : runLabels(runs);
}

export type FigureKind = 'cost' | 'overlay' | 'path' | 'curve' | 'parallel';

/** Walk paths start at PALETTE[1]: the contours are blue, so the first path is orange. */
const WALK_COLORS = [...PALETTE.slice(1), PALETTE[0]];

function extent(cols: ArrayLike<number>[], positiveOnly = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of cols)
    for (let i = 0; i < c.length; i++) {
      const v = c[i];
      if (!isFinite(v) || (positiveOnly && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return [lo, hi];
}

function hasFinite(c: ArrayLike<number>): boolean {
  for (let i = 0; i < c.length; i++) if (isFinite(c[i])) return true;
  return false;
}

function fmtLr(lr: number): string {
  return String(Number(lr.toPrecision(4)));
}

// ------------------------------------------------------------------ cost per epoch

/** Worker curves get their own legend entries up to this many workers; more share one entry. */
const WORKER_ENTRIES = 8;
/** The global curve of a parallel run drawn over its workers' curves. */
const GLOBAL_COLOR = '#222222';

interface CostSeries {
  run: TrainRun;
  kind: 'train' | 'val' | 'worker';
  x: number[];
  y: number[];
  entry: LegendEntry;
  worker?: number;
}

/** The cost plot's frame and marks, for a figure of its own or a panel of the parallel figure. */
function costPlot(runs: TrainRun[], o: FigureOptions, box: { width: number; height: number; title?: string; subtitle?: string }, id: string) {
  if (runs.length === 0) throw new Error('no epoch records to plot');
  const single = runs.length === 1;
  const labels = labelsOf(runs, o);
  // One parallel run: its global curve, bold and dark, over each worker's curve on its shard.
  const workers = single && runs[0].workers ? runs[0].workers.filter((w) => w.epoch.length > 0 && hasFinite(w.loss)) : [];
  const withWorkers = workers.length > 0;
  const series: CostSeries[] = [];
  const legend: LegendEntry[] = [];
  runs.forEach((run, i) => {
    const color = withWorkers ? GLOBAL_COLOR : single ? PALETTE[0] : PALETTE[i % PALETTE.length];
    const train: CostSeries = { run, kind: 'train', x: run.epoch, y: run.loss, entry: { label: withWorkers ? 'global' : single ? 'train' : labels[i], color } };
    series.push(train);
    legend.push(train.entry);
    if (hasFinite(run.val)) {
      const entry = { label: single ? 'validation' : `${labels[i]} (val)`, color: single && !withWorkers ? PALETTE[1] : color, dashed: true };
      series.push({ run, kind: 'val', x: run.epoch, y: run.val, entry });
    }
  });
  // One run: train and validation each get their entry. Several: one entry per run (its colour),
  // then a key for the line styles, as in the seeds' comparison.
  if (single && series.length > 1) legend.push(series[1].entry);
  if (!single && series.some((s) => s.kind === 'val')) legend.push({ label: 'train', color: '#555555' }, { label: 'validation', color: '#555555', dashed: true });
  if (withWorkers) {
    const grouped = runs[0].workers!.length > WORKER_ENTRIES;
    const all = runs[0].workers!;
    if (grouped) legend.push({ label: `workers (${all.length})`, color: WORKER_GREY });
    all.forEach((w, k) => {
      if (w.epoch.length === 0 || !hasFinite(w.loss)) return;
      const entry = { label: `worker ${k + 1}`, color: grouped ? WORKER_GREY : PALETTE[k % PALETTE.length] };
      if (!grouped) legend.push(entry);
      series.push({ run: runs[0], kind: 'worker', x: w.epoch, y: w.loss, entry, worker: k });
    });
  }
  const xDomain = extent(runs.map((r) => r.epoch));
  const [ylo, yhi] = extent(
    series.map((s) => s.y),
    o.log,
  );
  if (!isFinite(ylo)) throw new Error(o.log ? 'no positive cost to draw on a log scale' : 'no finite cost to draw');
  // A diverging run's cost in the millions would print tick labels wider than the margin: the
  // linear axis counts in thousands, millions, … instead.
  const unit = costUnit(o.log ? 0 : Math.max(Math.abs(ylo), Math.abs(yhi)));
  if (unit.scale !== 1) for (const s of series) s.y = s.y.map((v) => v / unit.scale);
  const yDomain: [number, number] = o.log ? [ylo, yhi] : [Math.min(0, ylo) / unit.scale, yhi / unit.scale];
  const yLabel = o.log ? 'cost (MSE, log scale)' : unit.scale === 1 ? 'cost (MSE)' : `cost (MSE, ${unit.name})`;
  const { f, open, close } = frame({ width: box.width, height: box.height, title: box.title, subtitle: box.subtitle, xLabel: 'epoch', yLabel, xDomain, yDomain, yLog: o.log, nice: true, legend }, id);
  const marks: string[] = [];
  const buckets = Math.max(50, Math.round(f.right - f.left));
  // Workers first, thin and light, so that the global curve stays on top.
  const order = [...series.filter((s) => s.kind === 'worker'), ...series.filter((s) => s.kind !== 'worker')];
  for (const s of order) {
    const { d, points } = linePath(f, s.x, s.y, decimateIndices(s.x, s.y, buckets), o.log);
    const style =
      s.kind === 'worker' ? `stroke-width="1.25" stroke-opacity="0.7"` : `stroke-width="${withWorkers ? 3 : 2.5}"${s.entry.dashed ? ' stroke-dasharray="8 5"' : ''}`;
    const worker = s.worker === undefined ? '' : ` data-worker="${s.worker}"`;
    marks.push(`<path class="series ${s.kind}" data-label="${esc(s.entry.label)}"${worker} data-points="${points}" d="${d}" fill="none" stroke="${s.entry.color}" ${style} stroke-linejoin="round"/>`);
  }
  return { f, open, close, marks };
}

/** The unit of a linear cost axis whose values reach `max`: 1 below 100,000. */
function costUnit(max: number): { scale: number; name: string } {
  if (!(max >= 1e5) || !isFinite(max)) return { scale: 1, name: '' };
  const k = Math.floor(Math.log10(max) / 3);
  const names = ['', 'thousands', 'millions', 'billions'];
  return { scale: 10 ** (3 * k), name: names[k] ?? `×1e${3 * k}` };
}

/** The workers' shared colour when there are too many for one each. */
const WORKER_GREY = '#9aa7b8';

/** "downpour, 4 workers" */
function parallelName(run: TrainRun): string | null {
  const par = parallelOf(run);
  const p = workerCount(run);
  if (!par && p === 0) return null;
  return `${par ? par.algorithm : 'parallel'}, ${p} worker${p === 1 ? '' : 's'}`;
}

/**
 * Cost against epoch: train solid, validation dashed; one colour per run when several are overlaid.
 * One parallel run with worker records: its global curve (bold) over each worker's (thin).
 */
export function costFigure(runs: TrainRun[], o: FigureOptions = {}): string {
  if (runs.length === 0) throw new Error('no epoch records to plot');
  const single = runs.length === 1;
  let title = o.title;
  if (title === undefined) {
    const st = single ? runs[0].start : null;
    const par = single ? parallelName(runs[0]) : null;
    title = par ? `Cost per epoch — ${par}` : st ? `Cost per epoch — ${st.config.optimizer}, lr ${fmtLr(st.config.lr)}` : single ? 'Cost per epoch' : 'Cost per epoch — comparison';
  }
  const { open, close, marks } = costPlot(runs, o, { width: o.width || 960, height: o.height || 560, title }, single ? 'cost' : 'overlay');
  return [open, ...marks, close].join('\n');
}

// ------------------------------------------------------------------ parallel runs

/** What a parallel run's figure says under its title: its settings and its counts. */
function parallelSubtitle(run: TrainRun): string | undefined {
  const parts: string[] = [];
  const st = run.start;
  const par = parallelOf(run);
  if (st) {
    const c = st.config;
    parts.push(`${c.optimizer}, lr ${fmtLr(c.lr)}${c.batch === 0 ? ', full batch' : c.batch > 1 ? `, batch ${c.batch}` : ''}`);
    if (par && typeof par.serverOptimizer === 'string' && par.serverOptimizer !== c.optimizer) parts.push(`server ${par.serverOptimizer}`);
    parts.push(st.source === 'cluster' ? 'simulated cluster' : st.source);
  }
  const counts = runCounts(run);
  const n: string[] = [];
  if (counts.updates !== undefined) n.push(`${counts.updates.toLocaleString('en-US')} updates`);
  if (counts.messages) n.push(`${counts.messages.toLocaleString('en-US')} messages`);
  if (counts.lost) n.push(`${counts.lost.toLocaleString('en-US')} lost`);
  if (counts.time_us !== undefined) n.push(formatMicros(counts.time_us));
  if (n.length) parts.push(n.join(', '));
  return parts.length ? parts.join(' · ') : undefined;
}

/**
 * One parallel run, or several (a comparison of algorithms, maybe with a sequential run beside
 * them): the cost per epoch (one run: the global curve over the workers' curves; several: the
 * global curves, one colour each) and, beside it, the staleness of the updates (several: grouped
 * bars, in the runs' colours). Runs without update records have no bars; without any, the
 * staleness panel is left out. `--log` applies to the cost.
 */
export function parallelFigure(runs: TrainRun[], o: FigureOptions = {}): string {
  if (runs.length === 0) throw new Error('no epoch records to plot');
  const width = o.width || 1200;
  const height = o.height || 600;
  const single = runs.length === 1;
  const labels = labelsOf(runs, o);
  let title = o.title;
  let subtitle: string | undefined;
  if (title === undefined) {
    const names = runs.map(parallelName);
    const ps = new Set(runs.filter(isParallel).map(workerCount));
    title = single ? `Parallel SGD — ${names[0] ?? labels[0]}` : `Parallel SGD — ${ps.size === 1 ? `${[...ps][0]} workers, ` : ''}${runs.length} runs`;
    subtitle = single ? parallelSubtitle(runs[0]) : undefined;
  }
  const hist: StalenessSeries[] = [];
  runs.forEach((run, i) => {
    if (run.staleness && run.staleness.n > 0) hist.push({ label: labels[i], color: single ? PALETTE[0] : PALETTE[i % PALETTE.length], staleness: run.staleness });
  });
  const lossHeading = o.log ? 'Cost per epoch (log scale)' : 'Cost per epoch';
  let stalenessHeading = 'Staleness of the updates';
  if (single && hist.length) stalenessHeading += ` · mean ${fmtStaleness(meanStaleness(hist[0].staleness))}, max ${hist[0].staleness.max}`;
  const layout = panelLayout(width, height, !!subtitle, hist.length ? 2 : 1);
  const out: string[] = [figureOpen(width, height, 'parallel', title, subtitle)];
  const loss = costPlot(runs, o, { width: layout[0].width, height: layout[0].height }, 'parallel-cost');
  out.push(panel('cost', layout[0], lossHeading, loss.open, loss.marks, loss.close));
  if (hist.length) {
    const st = stalenessPlot(hist, layout[1].width, layout[1].height, 'parallel-staleness');
    out.push(panel('staleness', layout[1], stalenessHeading, st.open, st.marks, st.close));
  }
  out.push('</svg>');
  return out.join('\n');
}

// ------------------------------------------------------------------ walks

function walkFunction(walks: WalkRun[]): PlotFunction | null {
  const names = [...new Set(walks.map((w) => (w.walk ? w.walk.fn : '')))];
  if (names.length > 1) throw new Error(`the walks are on different functions (${names.join(', ')}): plot them one function at a time`);
  return names[0] ? findFunction(names[0]) : null;
}

/** A diverging walk's points count towards the window only this many window widths beyond it. */
const DIVERGED_REACH = 3;

function diverged(w: WalkRun): boolean {
  return !!w.done && w.done.reason === 'diverged';
}

/**
 * The window a figure of walks shows, one [lo, hi] per coordinate: the function's range, grown to
 * take in every start and every point of every walk (with a margin), so that no path is off the
 * picture (a start at (100, 100) on the bowl shows the whole walk). A walk that diverged counts only
 * up to a few windows away, or the function would shrink to a dot; `outside` names the walks that
 * leave the window, which the figure says.
 */
function walkWindow(walks: WalkRun[], ranges: ([number, number] | undefined)[]): { domains: [number, number][]; outside: WalkRun[] } {
  const domains: [number, number][] = [];
  ranges.forEach((range, k) => {
    let lo = range ? range[0] : Infinity;
    let hi = range ? range[1] : -Infinity;
    const take = (v: number) => {
      if (!isFinite(v)) return;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    };
    for (const w of walks) {
      const col = w.x[k] || [];
      if (w.walk && w.walk.start[k] !== undefined) take(w.walk.start[k]);
      else if (col.length) take(col[0]);
      if (!diverged(w)) for (let i = 0; i < col.length; i++) take(col[i]);
    }
    if (!isFinite(lo)) {
      lo = -1;
      hi = 1;
    }
    const span = hi - lo || 1;
    const [reachLo, reachHi] = [lo - DIVERGED_REACH * span, hi + DIVERGED_REACH * span];
    for (const w of walks) {
      if (!diverged(w)) continue;
      const col = w.x[k] || [];
      for (let i = 0; i < col.length; i++) if (col[i] >= reachLo && col[i] <= reachHi) take(col[i]);
    }
    // A margin on the sides that grew past the function's range (all round without a range).
    const pad = (hi - lo || 1) * 0.06;
    if (!range || lo < range[0]) lo -= pad;
    if (!range || hi > range[1]) hi += pad;
    domains.push([lo, hi]);
  });
  const outside = walks.filter((w) => {
    const n = Math.max(0, ...domains.map((_, k) => (w.x[k] || []).length));
    for (let i = 0; i < n; i++)
      for (let k = 0; k < domains.length; k++) {
        const v = (w.x[k] || [])[i];
        if (v === undefined) continue;
        if (!isFinite(v) || v < domains[k][0] || v > domains[k][1]) return true;
      }
    return false;
  });
  return { domains, outside };
}

/** "sgd diverged: its path leaves the window", in the plot's corner. */
function outsideNote(f: Frame, outside: WalkRun[], labels: string[], walks: WalkRun[]): string {
  if (outside.length === 0) return '';
  const names = outside.map((w) => labels[walks.indexOf(w)]);
  const all = outside.every(diverged);
  const one = names.length === 1;
  const text = `${names.join(', ')}${all ? ' diverged' : ''}: ${one ? 'its path leaves' : 'their paths leave'} the window`;
  return `<text class="note" x="${px(f.left + 10)}" y="${px(f.bottom - 12)}" font-size="14" fill="#8a1c12" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">${esc(fitText(text, f.right - f.left - 20, 14))}</text>`;
}

function walkTitle(fn: PlotFunction | null, what: string): string {
  return `${fn ? fn.name : 'walk'}: ${what}`;
}

/** The formula, and the settings when there is one walk: `f(x, y) = x² + y² · sgd, lr 0.1`. */
function walkSubtitle(walks: WalkRun[], fn: PlotFunction | null): string | undefined {
  const parts: string[] = [];
  if (fn) parts.push(`${fn.dims === 2 ? 'f(x, y)' : 'f(x)'} = ${fn.formula}`);
  const w = walks.length === 1 ? walks[0].walk : null;
  if (w) parts.push(`${w.optimizer}, lr ${fmtLr(w.lr)}`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** The function's minimum as a cross, white-edged so it shows on any contour band. */
function minimumMark(f: Frame, fn: PlotFunction, y: number): string {
  const cx = f.x(fn.minimum[0]);
  const cy = f.y(y);
  const d = `M${px(cx - 7)},${px(cy - 7)}L${px(cx + 7)},${px(cy + 7)}M${px(cx - 7)},${px(cy + 7)}L${px(cx + 7)},${px(cy - 7)}`;
  return `<g class="minimum"><path d="${d}" stroke="#ffffff" stroke-width="6"/><path d="${d}" stroke="#222222" stroke-width="2.5"/></g>`;
}

export interface PathFigureOptions extends FigureOptions {
  /** Fix the view instead of fitting it to the function's range and the paths (the live page does). */
  domain?: [[number, number], [number, number]];
  /** Contour grid resolution per side. */
  grid?: number;
}

// The live page redraws the paths several times a second over the same contours: keep a few.
const contourCache = new Map<string, string>();

/** Filled contour bands of f over the domain, on log(1 + f − min) so steep valleys keep their levels. */
export function contourLayer(fn: PlotFunction, f: Frame, xd: [number, number], yd: [number, number], n = 120, levels = 16): string {
  const key = [fn.name, xd, yd, n, levels, f.left, f.top, f.right, f.bottom].join('|');
  const hit = contourCache.get(key);
  if (hit !== undefined) return hit;
  const svg = computeContours(fn, f, xd, yd, n, levels);
  if (contourCache.size >= 8) contourCache.delete(contourCache.keys().next().value as string);
  contourCache.set(key, svg);
  return svg;
}

function computeContours(fn: PlotFunction, f: Frame, xd: [number, number], yd: [number, number], n: number, levels: number): string {
  const values = new Float64Array(n * n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const x = xd[0] + ((i + 0.5) / n) * (xd[1] - xd[0]);
      const y = yd[0] + ((j + 0.5) / n) * (yd[1] - yd[0]);
      const v = fn.f(x, y);
      values[j * n + i] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  for (let k = 0; k < values.length; k++) values[k] = Math.log1p(values[k] - lo);
  const top = Math.log1p(hi - lo);
  const thresholds = Array.from({ length: levels }, (_, k) => (top * k) / levels);
  const bands = contours().size([n, n]).thresholds(thresholds)(Array.from(values));
  const gx = (g: number) => px(f.x(xd[0] + (g / n) * (xd[1] - xd[0])));
  const gy = (g: number) => px(f.y(yd[0] + (g / n) * (yd[1] - yd[0])));
  const out: string[] = ['<g class="contours">'];
  bands.forEach((band, k) => {
    let d = '';
    for (const polygon of band.coordinates)
      for (const ring of polygon) {
        ring.forEach((p, i) => (d += (i ? 'L' : 'M') + gx(p[0]) + ',' + gy(p[1])));
        d += 'Z';
      }
    if (!d) return;
    // Low values dark, high values pale: the eye finds the minimum.
    const fill = interpolateBlues(0.75 - (0.7 * k) / levels);
    out.push(`<path class="contour" data-level="${k}" d="${d}" fill="${fill}" stroke="#ffffff" stroke-opacity="0.6" stroke-width="0.7"/>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** 2-D walks over the contours of their function. */
export function pathFigure(walks: WalkRun[], o: PathFigureOptions = {}): string {
  if (walks.length === 0) throw new Error('no walk to plot');
  const fn = walkFunction(walks);
  const labels = labelsOf(walks, o);
  const view = o.domain ? { domains: o.domain, outside: [] as WalkRun[] } : walkWindow(walks, [fn ? fn.range[0] : undefined, fn && fn.range[1] ? fn.range[1] : undefined]);
  const [xd, yd] = view.domains;
  const legend: LegendEntry[] = walks.map((_, i) => ({ label: labels[i], color: WALK_COLORS[i % WALK_COLORS.length], shape: MARKER_SHAPES[i % MARKER_SHAPES.length] }));
  const { f, open, close } = frame(
    { width: o.width || 760, height: o.height || 640, title: o.title ?? walkTitle(fn, walks.length > 1 ? 'descent paths' : 'descent path'), subtitle: o.title === undefined ? walkSubtitle(walks, fn) : undefined, xLabel: 'x', yLabel: 'y', xDomain: xd, yDomain: yd, legend },
    'path',
  );
  const marks: string[] = [];
  if (fn && fn.dims === 2) marks.push(contourLayer(fn, f, xd, yd, o.grid), minimumMark(f, fn, fn.minimum[1]));
  // Where paths overlap, the last drawn hides the others: the longest paths go first and widest,
  // the shorter ones on top and narrower, so that each shows; then every walk's markers over all
  // the lines, each walk in its own shape.
  const paths = walks.map((w, i) => ({ i, ...walkLine(f, w) }));
  const order = paths.slice().sort((a, b) => b.length - a.length || a.i - b.i);
  const lines = ['<g class="walk-lines">'];
  order.forEach((p, rank) => {
    const width = walks.length === 1 ? 2.5 : 2.5 + Math.min(3.6, 1.2 * (order.length - 1 - rank));
    lines.push(`<path class="walk-line" data-label="${esc(legend[p.i].label)}" data-order="${rank}" data-points="${p.points}" d="${p.d}" fill="none" stroke="${legend[p.i].color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"/>`);
  });
  lines.push('</g>');
  marks.push(lines.join('\n'));
  // Walks that start (or end) at the same point: the earlier ones' markers are larger, so that
  // each shows around the ones drawn over it.
  const at = (w: WalkRun, i: number): [number, number] | null => {
    const x = (w.x[0] || [])[i];
    const y = (w.x[1] || [])[i];
    return x !== undefined && y !== undefined && isFinite(x) && isFinite(y) ? [f.x(x), f.y(y)] : null;
  };
  const under = (i: number, which: 'start' | 'end') => {
    const point = (w: WalkRun) => at(w, which === 'start' ? 0 : (w.x[0] || []).length - 1);
    const p = point(walks[i]);
    if (!p) return 0;
    return walks.slice(i + 1).filter((w) => {
      const q = point(w);
      return q !== null && Math.hypot(q[0] - p[0], q[1] - p[1]) < 6;
    }).length;
  };
  walks.forEach((w, i) => marks.push(walkMarkers(f, w, legend[i], under(i, 'start'), under(i, 'end'))));
  marks.push(outsideNote(f, view.outside, legend.map((e) => e.label), walks));
  return [open, ...marks.filter((m) => m !== ''), close].join('\n');
}

function walkIndices(n: number, most: number): number[] {
  const stride = Math.max(1, Math.ceil(n / most));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (n && idx[idx.length - 1] !== n - 1) idx.push(n - 1);
  return idx;
}

/** One walk's line, and its length on the page (what decides the drawing order). */
function walkLine(f: Frame, w: WalkRun): { d: string; points: number; length: number } {
  const xs = w.x[0] || [];
  const ys = w.x[1] || [];
  const idx = walkIndices(xs.length, 4000);
  const { d, points } = linePath(f, xs, ys, idx, false);
  let length = 0;
  let prev: [number, number] | null = null;
  for (const i of idx) {
    if (!isFinite(xs[i]) || !isFinite(ys[i])) {
      prev = null;
      continue;
    }
    // Clamped to a little past the plot, so that a diverging walk does not count as endless.
    const p: [number, number] = [Math.min(f.right + 50, Math.max(f.left - 50, f.x(xs[i]))), Math.min(f.bottom + 50, Math.max(f.top - 50, f.y(ys[i])))];
    if (prev) length += Math.hypot(p[0] - prev[0], p[1] - prev[1]);
    prev = p;
  }
  return { d, points, length };
}

/** One walk's markers in its shape: a small one per step while the steps are few, the start hollow, the end filled. */
function walkMarkers(f: Frame, w: WalkRun, e: LegendEntry, startsUnder = 0, endsUnder = 0): string {
  const xs = w.x[0] || [];
  const ys = w.x[1] || [];
  const n = xs.length;
  const shape = e.shape ?? 'circle';
  const ok = (i: number) => isFinite(xs[i]) && isFinite(ys[i]);
  const out = [`<g class="walk" data-label="${esc(e.label)}" data-steps="${n}" data-shape="${shape}">`];
  if (n <= 80) for (const i of walkIndices(n, 4000)) if (ok(i)) out.push(marker(shape, f.x(xs[i]), f.y(ys[i]), 3, `class="step" fill="${e.color}"`));
  if (n && ok(0)) out.push(marker(shape, f.x(xs[0]), f.y(ys[0]), 7.5 + 2.5 * startsUnder, `class="start" fill="#ffffff" stroke="${e.color}" stroke-width="3"`));
  const last = n - 1;
  if (n > 1 && ok(last)) out.push(marker(shape, f.x(xs[last]), f.y(ys[last]), 6.5 + 2.5 * endsUnder, `class="end" fill="${e.color}" stroke="#222" stroke-width="1.5"`));
  out.push('</g>');
  return out.join('\n');
}

/** 1-D walks: the function's curve and, on it, the point of every step. */
export function curveFigure(walks: WalkRun[], o: FigureOptions = {}): string {
  if (walks.length === 0) throw new Error('no walk to plot');
  const fn = walkFunction(walks);
  const labels = labelsOf(walks, o);
  const view = walkWindow(walks, [fn ? fn.range[0] : undefined]);
  const xd = view.domains[0];
  const cx: number[] = [];
  const cy: number[] = [];
  if (fn)
    for (let i = 0; i <= 400; i++) {
      const x = xd[0] + (i / 400) * (xd[1] - xd[0]);
      cx.push(x);
      cy.push(fn.f(x, 0));
    }
  // The walks' values in the window (a diverged walk's last values would flatten the curve).
  const inView = walks.map((w) => w.f.filter((_, i) => (w.x[0] || [])[i] >= xd[0] && (w.x[0] || [])[i] <= xd[1]));
  const [lo, hi] = extent([cy, ...inView]);
  const pad = (hi - lo) * 0.05 || 1;
  const legend: LegendEntry[] = [];
  if (fn) legend.push({ label: `f(x) = ${fn.formula}`, color: '#555555' });
  walks.forEach((_, i) => legend.push({ label: labels[i], color: WALK_COLORS[i % WALK_COLORS.length], mark: 'dot', shape: MARKER_SHAPES[i % MARKER_SHAPES.length] }));
  const { f, open, close } = frame(
    { width: o.width || 900, height: o.height || 560, title: o.title ?? walkTitle(fn, 'descent on the curve'), subtitle: o.title === undefined ? walkSubtitle(walks, fn) : undefined, xLabel: 'x', yLabel: 'f(x)', xDomain: xd, yDomain: [lo - pad, hi + pad], legend },
    'curve',
  );
  const marks: string[] = [];
  if (fn) {
    const all = cx.map((_, i) => i);
    marks.push(`<path class="function" data-points="${cx.length}" d="${linePath(f, cx, cy, all, false).d}" fill="none" stroke="#555555" stroke-width="2.5"/>`);
  }
  walks.forEach((w, k) => {
    const color = WALK_COLORS[k % WALK_COLORS.length];
    const xs = w.x[0] || [];
    const n = xs.length;
    const stride = Math.max(1, Math.ceil(n / 400));
    const idx: number[] = [];
    for (let i = 0; i < n; i += stride) idx.push(i);
    if (n && idx[idx.length - 1] !== n - 1) idx.push(n - 1);
    const out = [`<g class="walk" data-label="${esc(legend[k + (fn ? 1 : 0)].label)}" data-steps="${n}">`];
    out.push(`<path class="walk-line" d="${linePath(f, xs, w.f, idx, false).d}" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    const shape = legend[k + (fn ? 1 : 0)].shape ?? 'circle';
    for (const i of idx) if (isFinite(xs[i]) && isFinite(w.f[i])) out.push(marker(shape, f.x(xs[i]), f.y(w.f[i]), i === 0 ? 7 : 5, `class="step" fill="${color}" stroke="#222" stroke-width="1"`));
    out.push('</g>');
    marks.push(out.join('\n'));
  });
  marks.push(outsideNote(f, view.outside, labels, walks));
  return [open, ...marks.filter((m) => m !== ''), close].join('\n');
}

// ------------------------------------------------------------------ choosing

/**
 * What the records call for: epochs → cost (one run) or overlay (several), or parallel when one of
 * the runs is a parallel run; 2-D steps → path; 1-D → curve.
 */
export function figureKind(runs: Run[]): FigureKind {
  const trains = runs.filter((r) => r.kind === 'train');
  const walks = runs.filter((r): r is WalkRun => r.kind === 'walk');
  if (trains.length && walks.length) throw new Error('the files mix training runs and walks: plot them separately');
  if (trains.some(isParallel)) return 'parallel';
  if (trains.length) return trains.length > 1 ? 'overlay' : 'cost';
  if (!walks.length) throw new Error('no epoch or step records to plot');
  return walks.some((w) => walkDims(w) >= 2) ? 'path' : 'curve';
}

export function autoFigure(runs: Run[], o: FigureOptions = {}): { kind: FigureKind; svg: string } {
  const kind = figureKind(runs);
  const trains = runs.filter((r): r is TrainRun => r.kind === 'train');
  const walks = runs.filter((r): r is WalkRun => r.kind === 'walk');
  if (kind === 'cost' || kind === 'overlay') return { kind, svg: costFigure(trains, o) };
  if (kind === 'parallel') return { kind, svg: parallelFigure(trains, o) };
  if (kind === 'path') {
    if (walks.some((w) => walkDims(w) < 2)) throw new Error('the files mix 1-D and 2-D walks: plot them separately');
    return { kind, svg: pathFigure(walks, o) };
  }
  return { kind, svg: curveFigure(walks, o) };
}

/**
 * The figure for the records of one or more runs, each list the records of one run file (or one
 * job: `names[i]` is its name, used when nothing else tells runs apart). For `host distributed`
 * and `host compare`: parallel runs get the parallel figure, others the cost or overlay figure.
 */
export function figureFromRecords(records: Iterable<ProtocolRecord>[], names: string[] = [], o: FigureOptions = {}): { kind: FigureKind; svg: string } {
  const runs = records.flatMap((recs, i) => runsFromRecords(recs, names[i] ?? `run ${i + 1}`));
  return autoFigure(runs, o);
}
