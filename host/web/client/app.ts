// The dashboard page. Records arrive from the server's event stream (a snapshot, then batches) into
// the same bounded store the server keeps; the charts redraw at most once per animation frame,
// however fast records come. uPlot draws the loss and the parameters; the descent paths reuse the
// figure code of `host plot`, so the page and the figures look alike.

import uPlot from 'uplot';
import type { ProtocolRecord, StartRecord, WalkStartRecord } from '../../../shared/protocol.ts';
import { curveFigure, pathFigure } from '../../plot/figures.ts';
import { findFunction } from '../../plot/functions.ts';
import type { WalkRun } from '../../plot/runs.ts';
import { PALETTE } from '../../plot/svg.ts';
import { consoleRecord, startConsole } from './console.ts';
import { compactNumber, gaps } from './format.ts';
import { fmtRate, fmtStale, headline, isParallelRun, parallelLoss, parallelSettings, renderStaleness, renderWorkers, trimLegend, workerViews, type ParallelTrack } from './parallel.ts';
import { RecordStore, type ParallelState, type RunTrack, type Snapshot, type TrainTrack, type WalkTrack } from '../store.ts';

interface PageConfig {
  title: string;
  budget: number;
  /** The command had --log: the loss chart starts on a log scale. */
  log?: boolean;
  /** The page is the classroom console: one board, with upload, Train, Compare and the run history. */
  console?: boolean;
  /** The addresses the class types (the page listens beyond this computer); the first is the QR code's. */
  classroom?: string[];
  /** Pause, Resume and Stop act on something (a parallel run without boards to control hides them). */
  control?: boolean;
}
type ServerSnapshot = Snapshot & { paused: boolean; notice?: string };

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const config = JSON.parse($('config').textContent || '{}') as PageConfig;

let store = new RecordStore(config.budget);
let paused = false;
let logScale = initialLogScale();
let connected = false;

showAddress();
if (config.console) startConsole();

// ------------------------------------------------------------------ stream

const events = new EventSource('events');
events.addEventListener('snapshot', (e) => {
  const s = JSON.parse((e as MessageEvent).data) as ServerSnapshot;
  store = RecordStore.from(s, config.budget);
  paused = s.paused;
  connected = true;
  lossChart = destroy(lossChart);
  paramChart = destroy(paramChart);
  notice(s.notice ?? '');
  schedule();
});
// A parallel run's update records stay on the server: their summary comes after the records it follows.
events.addEventListener('updates', (e) => {
  const u = JSON.parse((e as MessageEvent).data) as { run: number; parallel: ParallelState };
  store.setParallel(u.run, u.parallel);
  schedule();
});
// A line from the command for the person watching (a board that is gone).
events.addEventListener('notice', (e) => {
  notice(JSON.parse((e as MessageEvent).data) as string);
});
events.addEventListener('records', (e) => {
  const batch = JSON.parse((e as MessageEvent).data) as ProtocolRecord[];
  for (const r of batch) {
    store.add(r);
    if (r.type === 'start' || r.type === 'walk') paused = false;
    if (config.console) consoleRecord(r.type);
  }
  schedule();
});
events.addEventListener('state', (e) => {
  paused = (JSON.parse((e as MessageEvent).data) as { paused: boolean }).paused;
  schedule();
});
events.addEventListener('error', () => {
  // EventSource reconnects by itself; the server then sends a fresh snapshot.
  if (connected) notice('Connection to the host lost — reconnecting…');
  connected = false;
});

// ------------------------------------------------------------------ controls

async function act(action: 'pause' | 'resume' | 'stop'): Promise<void> {
  try {
    const res = await fetch(`control/${action}`, { method: 'POST', headers: { 'X-Dashboard': '1' } });
    notice(res.ok ? '' : `${action}: ${(await res.text()) || res.statusText}`);
  } catch (err) {
    notice(`${action}: ${(err as Error).message}`);
  }
}
$('pause').addEventListener('click', () => void act('pause'));
$('resume').addEventListener('click', () => void act('resume'));
$('stop').addEventListener('click', () => void act('stop'));
$('scale').addEventListener('click', () => {
  logScale = !logScale;
  writeSetting('log', logScale ? '1' : '0');
  writeSetting('log-default', config.log ? '1' : '0');
  lossChart = destroy(lossChart);
  schedule();
});
window.addEventListener('resize', () => {
  fitCharts();
  schedule();
});

/** The page's own address, always in the header; beyond this computer, the class's addresses and a QR code of the first. */
function showAddress(): void {
  const a = $('address') as HTMLAnchorElement;
  a.href = location.href;
  a.textContent = location.href;
  const urls = config.classroom ?? [];
  if (urls.length === 0) return;
  const list = $('classroom-urls');
  for (const u of urls) {
    const li = document.createElement('li');
    li.textContent = u;
    list.append(li);
  }
  ($('qr') as HTMLImageElement).src = 'api/qr.svg';
  $('classroom').classList.remove('hidden');
}

function notice(text: string): void {
  $('notice').textContent = text;
}

/**
 * The command's --log decides, unless the teacher pressed the scale button on a page of a command
 * with the same default (the choice survives a reload, not a new command with another default).
 */
function initialLogScale(): boolean {
  const commandSays = !!config.log;
  const stored = readSetting('log');
  if (stored === null || readSetting('log-default') !== (commandSays ? '1' : '0')) return commandSays;
  return stored === '1';
}

function readSetting(name: string): string | null {
  try {
    return localStorage.getItem(`pico-trainer:${name}`);
  } catch {
    return null;
  }
}
function writeSetting(name: string, value: string): void {
  try {
    localStorage.setItem(`pico-trainer:${name}`, value);
  } catch {
    // Private windows may refuse storage; the toggle still works for this page.
  }
}

// ------------------------------------------------------------------ drawing

let frameRequested = false;
function schedule(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    render();
  });
}

function render(): void {
  const t0 = performance.now();
  const trains = store.runs.filter((r): r is TrainTrack => r.kind === 'train');
  const walks = store.runs.filter((r): r is WalkTrack => r.kind === 'walk');
  // A parallel run has a view of its own: the global loss over the workers', their states, the updates.
  const par = isParallelRun(store.current) ? store.current : null;
  document.body.classList.toggle('parallel', par !== null);
  for (const id of ['rate-big', 'stale-big', 'parallel-section']) $(id).classList.toggle('hidden', par === null);
  $('controls').classList.toggle('hidden', par !== null && !config.control);
  $('loss-section').classList.toggle('hidden', trains.length === 0);
  $('params-section').classList.toggle('hidden', trains.length === 0 || par !== null);
  $('walk-section').classList.toggle('hidden', walks.length === 0);
  renderHeader(store.current);
  renderSettings(store.current);
  let points = 0;
  if (par) {
    points = renderParallelLoss(par);
    renderParallel(par);
    fitCharts();
  } else if (trains.length) {
    points = renderLoss(trains);
    renderParams(trains[trains.length - 1]);
    fitCharts();
  }
  const steps = walks.length ? renderWalks(walks) : 0;
  const ds = document.body.dataset;
  ds.records = String(store.records);
  ds.points = String(points);
  ds.steps = String(steps);
  ds.runs = String(store.runs.length);
  // How long a redraw takes: what decides whether the page keeps up (the browser test reads it).
  ds.renderMs = (performance.now() - t0).toFixed(1);
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

const REASONS: Record<string, string> = { epochs: 'done', early_stop: 'early stop', diverged: 'diverged', stopped: 'stopped' };

function renderHeader(run: RunTrack | null): void {
  const state = $('state');
  let s = 'waiting';
  let text = 'waiting for records';
  if (run && run.done) {
    s = run.done.reason === 'diverged' || run.done.reason === 'stopped' ? run.done.reason : 'done';
    text = REASONS[run.done.reason] || run.done.reason;
  } else if (run && paused) {
    s = text = 'paused';
  } else if (run) {
    s = run.kind === 'train' ? 'training' : 'walking';
    text = s;
  }
  state.dataset.state = s;
  state.textContent = text;
  if (!run) return;
  if (run.kind === 'train') {
    $('counter-label').textContent = 'epoch';
    const total = run.start ? ` / ${run.start.config.epochs}` : '';
    $('counter').textContent = run.last ? `${run.last.epoch}${total}` : '–';
    $('value-label').textContent = run.last && run.last.val_loss !== undefined ? 'loss · validation' : 'loss';
    $('value').textContent = run.last ? (run.last.val_loss !== undefined ? `${fmt(run.last.loss)} · ${fmt(run.last.val_loss)}` : fmt(run.last.loss)) : '–';
  } else {
    $('counter-label').textContent = 'step';
    $('counter').textContent = run.last ? `${run.last.step}${run.walk ? ` / ${run.walk.steps}` : ''}` : '–';
    $('value-label').textContent = 'f';
    $('value').textContent = run.last ? fmt(run.last.f) : '–';
  }
}

let settingsFor: unknown = undefined;
function renderSettings(run: RunTrack | null): void {
  const key = run ? (run.kind === 'train' ? run.start : run.walk) : null;
  if (key === settingsFor) return;
  settingsFor = key;
  const rows: [string, string][] = [];
  if (run && isParallelRun(run)) rows.push(...parallelSettings(run));
  if (run && run.kind === 'train' && run.start) rows.push(...trainSettings(run.start));
  if (run && run.kind === 'walk' && run.walk) rows.push(...walkSettings(run.walk));
  if (store.hello) rows.push(['firmware', `${store.hello.firmware} · ${store.hello.runtime}`]);
  const dl = $('settings');
  dl.textContent = '';
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

function trainSettings(s: StartRecord): [string, string][] {
  const c = s.config;
  const rows: [string, string][] = [
    ['source', s.source],
    ['optimizer', c.optimizer],
    ['learning rate', String(c.lr)],
    ['batch', c.batch === 0 ? 'full batch' : c.batch === 1 ? '1 (per sample)' : String(c.batch)],
    ['epochs', String(c.epochs)],
    ['samples', `${s.samples} (${s.train} train${s.val ? `, ${s.val} validation` : ''})`],
    ['features', String(s.features)],
  ];
  if (c.momentum) rows.push(['momentum', `${c.momentum}${c.nesterov ? ' (Nesterov)' : ''}`]);
  if (c.optimizer === 'adam' || c.optimizer === 'adamw') rows.push(['betas', `${c.beta1}, ${c.beta2}${c.amsgrad ? ' (AMSGrad)' : ''}`]);
  if (c.optimizer === 'rmsprop') rows.push(['alpha', `${c.alpha}${c.centered ? ' (centered)' : ''}`]);
  if (c.optimizer === 'adadelta') rows.push(['rho', String(c.rho)]);
  if (c.weightDecay) rows.push(['weight decay', String(c.weightDecay)]);
  if (c.schedule !== 'constant') rows.push(['schedule', c.schedule]);
  if (c.shuffle) rows.push(['shuffle', `seed ${c.seed}`]);
  if (c.patience) rows.push(['early stopping', `patience ${c.patience}`]);
  if (c.noiseEta) rows.push(['gradient noise', `η ${c.noiseEta}, γ ${c.noiseGamma}`]);
  if (c.curriculum) rows.push(['curriculum', 'easy to hard']);
  if (c.standardize) rows.push(['standardize', 'yes']);
  rows.push(['bias', c.bias ? 'yes' : 'no (y = w·x)']);
  return rows;
}

function walkSettings(w: WalkStartRecord): [string, string][] {
  const fn = findFunction(w.fn);
  return [
    ['source', w.source],
    ['function', fn ? `${w.fn}: ${fn.formula}` : w.fn],
    ['optimizer', w.optimizer],
    ['learning rate', String(w.lr)],
    ['start', `(${w.start.join(', ')})`],
    ['steps', String(w.steps)],
  ];
}

// ------------------------------------------------------------------ uPlot charts

interface Chart {
  u: uPlot;
  key: string;
}
let lossChart: Chart | null = null;
let paramChart: Chart | null = null;

function destroy(c: Chart | null): null {
  if (c) c.u.destroy();
  return null;
}

/** The loss chart's share of the height the two charts get; the parameters get the rest. */
const LOSS_SHARE = 0.6;
const MIN_HEIGHT = { loss: 170, params: 130 };

/** Full width of the column; a first guess at the height, which fitCharts() corrects once the page is laid out. */
function chartSize(el: HTMLElement, share: number): { width: number; height: number } {
  return { width: Math.max(280, el.clientWidth), height: Math.max(130, Math.round((window.innerHeight - 260) * share)) };
}

/**
 * Sizes the loss and parameter charts so that both fit in the window under the header, with their
 * headings and legends (a 1280×720 projector shows them without scrolling). Stacked, the loss gets
 * LOSS_SHARE of the height and the parameters the rest; side by side (the page's CSS puts them so
 * on a short, wide screen), each gets the whole height. Never below MIN_HEIGHT.
 */
function fitCharts(): void {
  const charts = [lossChart, paramChart].filter((c): c is Chart => c !== null && !c.u.root.closest('.hidden'));
  if (charts.length === 0) return;
  const boxes = charts.map((c) => (c.u.root.closest('section') as HTMLElement).getBoundingClientRect());
  const sideBySide = boxes.length === 2 && Math.abs(boxes[0].top - boxes[1].top) < 2;
  // The plot's height as laid out now: a chart made in this frame gets its size from uPlot only in a
  // microtask, so its section does not hold u.height yet (a page opened after the run would size
  // its charts once, from a section without its plot, and overflow the window).
  const plots = charts.map((c) => {
    const wrap = c.u.root.querySelector('.u-wrap');
    return wrap ? wrap.getBoundingClientRect().height : c.u.height;
  });
  const bottom = window.innerHeight - 12;
  const heights: number[] = [];
  if (sideBySide) {
    // Headings and legends: everything in a section but its plot.
    charts.forEach((_c, i) => heights.push(bottom - boxes[i].top - (boxes[i].height - plots[i])));
  } else {
    const overhead = boxes[boxes.length - 1].bottom - boxes[0].top - plots.reduce((a, b) => a + b, 0);
    const avail = bottom - boxes[0].top - overhead;
    for (const c of charts) heights.push(avail * (charts.length === 1 ? 1 : c === lossChart ? LOSS_SHARE : 1 - LOSS_SHARE));
  }
  charts.forEach((c, i) => {
    const el = c.u.root.parentElement as HTMLElement;
    const width = Math.max(280, el.clientWidth);
    const height = Math.max(c === lossChart ? MIN_HEIGHT.loss : MIN_HEIGHT.params, Math.floor(heights[i]));
    if (Math.abs(height - c.u.height) > 1 || Math.abs(width - c.u.width) > 1) c.u.setSize({ width, height });
  });
}

const AXIS_FONT = '16px "DejaVu Sans", sans-serif';
const LABEL_FONT = 'bold 17px "DejaVu Sans", sans-serif';
function axis(label: string): uPlot.Axis {
  return {
    label,
    font: AXIS_FONT,
    labelFont: LABEL_FONT,
    stroke: '#222',
    // As wide as the widest value (0.00012 needs more room than 100), so that none is cut off.
    size: (_u, values) => (values ? Math.max(48, Math.ceil(Math.max(0, ...values.map((v) => labelWidth(String(v)))) + 20)) : 64),
    labelSize: 28,
    grid: { stroke: '#e2e2e2', width: 1 },
    ticks: { stroke: '#bbb', width: 1 },
  };
}

let measureCtx: CanvasRenderingContext2D | null = null;
/** Width of a label in the axis font, in CSS pixels. */
function labelWidth(text: string): number {
  if (!measureCtx) {
    measureCtx = document.createElement('canvas').getContext('2d');
    if (measureCtx) measureCtx.font = AXIS_FONT;
  }
  return measureCtx ? measureCtx.measureText(text).width : text.length * 10;
}

/**
 * The epoch axis: compact labels (12k, 1.2M) and ticks at least as far apart as the widest label
 * and a gap, so that labels never run together however long the run.
 */
function epochAxis(): uPlot.Axis {
  return {
    ...axis('epoch'),
    size: 42,
    labelSize: 24,
    space: (_u, _i, min, max) => {
      // The widest label likely: the ends of the scale, with a decimal more than a round step needs.
      const top = Math.max(Math.abs(min), Math.abs(max));
      const step = 10 ** Math.floor(Math.log10(Math.abs(max - min) / 4 || 1)) / 2;
      const widest = Math.max(labelWidth(compactNumber(min, step, top)), labelWidth(compactNumber(max, step, top)), labelWidth('88.8k'));
      return Math.ceil(widest + 28);
    },
    values: (_u, splits, _i, _space, incr) => {
      let top = 0;
      for (const v of splits) top = Math.max(top, Math.abs(v));
      return splits.map((v) => compactNumber(v, incr, top));
    },
  };
}

function makeChart(el: HTMLElement, key: string, share: number, yLabel: string, series: uPlot.Series[], log: boolean, yAxis: Partial<uPlot.Axis> = {}): Chart {
  el.textContent = '';
  const opts: uPlot.Options = {
    ...chartSize(el, share),
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
    axes: [epochAxis(), { ...axis(yLabel), ...yAxis }],
    series: [{ label: 'epoch' }, ...series],
    // The header shows the latest numbers in large type; the legend only names the lines.
    legend: { live: false },
  };
  // Once uPlot has laid out the new chart (its size and legend come in a microtask), fit again.
  requestAnimationFrame(() => fitCharts());
  return { u: new uPlot(opts, [[], ...series.map(() => [])] as uPlot.AlignedData, el), key };
}

function runLabel(run: TrainTrack, i: number, all: TrainTrack[]): string {
  const name = run.start ? run.start.config.optimizer : `run ${i + 1}`;
  const same = all.filter((r) => r.start && run.start && r.start.config.optimizer === run.start.config.optimizer).length;
  return same > 1 ? `${name} #${all.slice(0, i + 1).filter((r) => r.start && run.start && r.start.config.optimizer === run.start.config.optimizer).length}` : name;
}

function hasVal(run: TrainTrack): boolean {
  const v = run.track.col('val');
  return v.length > 0 && (v[0] === v[0] || v[v.length - 1] === v[v.length - 1]);
}

/** Loss per epoch: one run in blue (validation dashed orange), several runs one colour each. */
function renderLoss(trains: TrainTrack[]): number {
  const single = trains.length === 1;
  const series: uPlot.Series[] = [];
  const tables: uPlot.AlignedData[] = [];
  trains.forEach((run, i) => {
    const colour = single ? PALETTE[0] : PALETTE[i % PALETTE.length];
    const label = single ? 'train' : runLabel(run, i, trains);
    const t = run.track;
    const table: (number | null)[][] = [t.col('epoch'), gaps(t.col('loss'), logScale)];
    series.push({ label, stroke: colour, width: 3 });
    if (hasVal(run)) {
      table.push(gaps(t.col('val'), logScale));
      series.push({ label: single ? 'validation' : `${label} (val)`, stroke: single ? PALETTE[1] : colour, width: 3, dash: [10, 6] });
    }
    tables.push(table as uPlot.AlignedData);
  });
  const key = `${logScale}|${series.map((s) => s.label).join(',')}`;
  if (!lossChart || lossChart.key !== key) {
    lossChart = destroy(lossChart);
    lossChart = makeChart($('loss-chart'), key, LOSS_SHARE, logScale ? 'cost (MSE, log)' : 'cost (MSE)', series, logScale);
  }
  const data = single ? tables[0] : uPlot.join(tables);
  lossChart.u.setData(data);
  $('scale').textContent = logScale ? 'Linear scale' : 'Log scale';
  $('scale').setAttribute('aria-pressed', String(logScale));
  return data[0].length;
}

/** A parallel run's loss: each worker's on its shard, thin, under the global loss, bold. */
function renderParallelLoss(run: ParallelTrack): number {
  const { series, data, key } = parallelLoss(run, logScale);
  if (!lossChart || lossChart.key !== key) {
    lossChart = destroy(lossChart);
    // A parallel run's loss falls through many decades: the log axis labels them 1e-8, not 0.
    const values = (_u: uPlot, splits: (number | null)[]) =>
      splits.map((v) => (v === null || !isFinite(v) ? '' : v === 0 || (Math.abs(v) >= 0.01 && Math.abs(v) < 1e5) ? String(Number(v.toPrecision(6))) : v.toExponential(0)));
    lossChart = makeChart($('loss-chart'), key, 1, logScale ? 'cost (MSE, log)' : 'cost (MSE)', series, logScale, { values });
    trimLegend(lossChart.u.root, run);
  }
  lossChart.u.setData(data as uPlot.AlignedData);
  $('scale').textContent = logScale ? 'Linear scale' : 'Log scale';
  $('scale').setAttribute('aria-pressed', String(logScale));
  return data[0].length;
}

/** The big numbers of a parallel run, its workers' table and the staleness histogram. */
function renderParallel(run: ParallelTrack): void {
  const h = headline(run);
  const last = run.last;
  $('value-label').textContent = last && last.val_loss !== undefined ? 'global loss · validation' : 'global loss';
  $('rate-label').textContent = h.rateLabel;
  $('rate').textContent = fmtRate(h.rate);
  $('stale').textContent = h.updates ? `${fmtStale(h.staleMean)} · ${h.staleMax}` : '–';
  renderWorkers($('workers'), workerViews(run), fmt);
  const s = run.parallel.staleness;
  $('stale-view').classList.toggle('hidden', s.n === 0);
  $('stale-note').textContent =
    s.n > 0
      ? `${s.n.toLocaleString('en-US')} updates · mean ${fmtStale(s.sum / s.n)}, max ${s.max}`
      : run.start && run.start.source === 'threads'
        ? 'threads keep no record of each update'
        : 'no updates yet';
  if (s.n > 0) renderStaleness($('stale-view'), run, schedule);
  document.body.dataset.updates = String(s.n);
}

/** w (each feature) and b of the current run. */
function renderParams(run: TrainTrack): void {
  const t = run.track;
  const ws = t.names.filter((n) => n[0] === 'w');
  const withB = !run.start || run.start.config.bias;
  const series: uPlot.Series[] = ws.map((n, i) => ({ label: ws.length > 1 ? `w${i + 1}` : 'w', stroke: PALETTE[(i + 2) % PALETTE.length], width: 3 }));
  if (withB) series.push({ label: 'b', stroke: PALETTE[4], width: 3, dash: [10, 6] });
  const key = `${store.runs.indexOf(run)}|${series.length}`;
  if (!paramChart || paramChart.key !== key) {
    paramChart = destroy(paramChart);
    paramChart = makeChart($('params-chart'), key, 1 - LOSS_SHARE, 'value', series, false);
  }
  const data: number[][] = [t.col('epoch'), ...ws.map((n) => t.col(n))];
  if (withB) data.push(t.col('b'));
  paramChart.u.setData(data as uPlot.AlignedData);
}

// ------------------------------------------------------------------ descent paths

let walkKey = '';
let walkDrawn = 0;
let walkSteps = 0;

/** The walks on the latest walk's function, drawn with the figure code over a fixed view. */
function renderWalks(walks: WalkTrack[]): number {
  const latest = walks[walks.length - 1];
  const fnName = latest.walk ? latest.walk.fn : '';
  const shown = walks.filter((w) => (w.walk ? w.walk.fn : '') === fnName);
  let steps = 0;
  for (const w of shown) steps += w.track.length;
  // Redraw only when something changed, and not more than five times a second: SVG is slower than canvas.
  const key = `${shown.length}|${steps}|${shown.map((w) => w.track.seen).join(',')}|${width()}`;
  const now = performance.now();
  if (key === walkKey) return walkSteps;
  if (now - walkDrawn < 200) {
    setTimeout(schedule, 200 - (now - walkDrawn));
    return walkSteps;
  }
  walkKey = key;
  walkDrawn = now;
  const runs: WalkRun[] = shown.map((w) => ({
    kind: 'walk',
    name: w.walk ? w.walk.optimizer : 'walk',
    walk: w.walk,
    step: w.track.col('step'),
    x: w.track.names.filter((n) => n[0] === 'x').map((n) => w.track.col(n)),
    f: w.track.col('f'),
    done: w.done,
  }));
  const el = $('walk-view');
  const w = width();
  const fn = findFunction(fnName);
  const dims = runs[0].x.length;
  let svg: string;
  if (dims >= 2) {
    let domain: [[number, number], [number, number]] | undefined;
    if (fn && fn.dims === 2) {
      // The function's window, widened to take in every start point: fixed while the walk runs.
      const d: [[number, number], [number, number]] = [[fn.range[0][0], fn.range[0][1]], [fn.range[1][0], fn.range[1][1]]];
      for (const r of runs)
        if (r.walk)
          for (let k = 0; k < 2; k++) {
            d[k][0] = Math.min(d[k][0], r.walk.start[k]);
            d[k][1] = Math.max(d[k][1], r.walk.start[k]);
          }
      domain = d;
    }
    svg = pathFigure(runs, { domain, width: w, height: Math.round(w * 0.66), grid: 90 });
  } else {
    svg = curveFigure(runs, { width: w, height: Math.round(w * 0.6) });
  }
  el.innerHTML = svg;
  walkSteps = steps;
  return steps;
}

/** The figure's own size in SVG units; CSS scales it to the column, text included, for the projector. */
function width(): number {
  return $('walk-view').clientWidth > 1000 ? 860 : 640;
}

// For tests and for curious students in the console.
(window as unknown as { dashboard: unknown }).dashboard = {
  store: () => store,
  lossPoints: () => (lossChart ? lossChart.u.data[0].length : 0),
  lossSeries: () => (lossChart ? lossChart.u.series.slice(1).map((s) => s.label) : []),
  /** How many values each line of the loss chart draws (null and NaN left out), by its label. */
  lossValues: () =>
    lossChart ? Object.fromEntries(lossChart.u.series.slice(1).map((s, i) => [s.label, Array.from((lossChart as Chart).u.data[i + 1] as ArrayLike<number | null | undefined>).filter((v) => v !== null && v !== undefined && v === v).length])) : {},
  /** A parallel run's workers as the table shows them. */
  workers: () => (isParallelRun(store.current) ? workerViews(store.current) : []),
  logScale: () => (lossChart ? lossChart.u.scales.y.distr === 3 : logScale),
  /** The epoch axis's labels as drawn: text and left/right edges in CSS pixels. */
  epochLabels: (which: 'loss' | 'params') => epochLabels(which === 'loss' ? lossChart : paramChart),
};

function epochLabels(c: Chart | null): { label: string; left: number; right: number }[] {
  if (!c) return [];
  // uPlot keeps the splits and values it drew on the axis object.
  const a = c.u.axes[0] as uPlot.Axis & { _splits?: number[] | null; _values?: (string | number | null)[] | null };
  const splits = a._splits ?? [];
  const values = a._values ?? [];
  const out: { label: string; left: number; right: number }[] = [];
  splits.forEach((v, i) => {
    const label = values[i] === null || values[i] === undefined ? '' : String(values[i]);
    if (!label) return;
    const x = c.u.valToPos(v, 'x');
    const w = labelWidth(label);
    out.push({ label, left: x - w / 2, right: x + w / 2 });
  });
  return out;
}
