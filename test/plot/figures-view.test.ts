// What a figure shows of its runs: a window that takes in every path (or says which leave it), every
// path visible where paths overlap, titles and labels inside the canvas in every figure kind, and a
// word on stderr when --log cannot apply.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { autoFigure, costFigure, curveFigure, parallelFigure, pathFigure, type FigureKind } from '../../host/plot/figures.ts';
import { renderSvg } from '../../host/plot/files.ts';
import { runsFromRecords, type Run, type TrainRun, type WalkRun } from '../../host/plot/runs.ts';
import { wrapText, textWidth } from '../../host/plot/svg.ts';
import { toRecords, trainLines, walkLines } from './records.ts';
import { domain, elements, legendLabels } from './svg-inspect.ts';
import { expectTextFits } from './text-fit.ts';
import { tempDir } from '../helpers/temp.ts';

function walk(cfg: Parameters<typeof walkLines>[0], name = 'run'): WalkRun {
  return runsFromRecords(toRecords(walkLines(cfg)), name)[0] as WalkRun;
}
function train(cfg: Parameters<typeof trainLines>[0], name = 'run'): TrainRun {
  return runsFromRecords(toRecords(trainLines(cfg)), name)[0] as TrainRun;
}

describe('the window of a path figure', () => {
  it('takes in the whole of every path, from a start far outside the function range', () => {
    const walks = (['sgd', 'momentum', 'adam'] as const).map((o) => walk({ fn: 'bowl', optimizer: o, start: [100, 100] }));
    const svg = pathFigure(walks, { title: 'bowl: x² + y²' });
    const [xd, yd] = [domain(svg, 'x'), domain(svg, 'y')];
    for (const w of walks)
      for (let i = 0; i < w.x[0].length; i++) {
        expect(w.x[0][i]).toBeGreaterThanOrEqual(xd[0]);
        expect(w.x[0][i]).toBeLessThanOrEqual(xd[1]);
        expect(w.x[1][i]).toBeGreaterThanOrEqual(yd[0]);
        expect(w.x[1][i]).toBeLessThanOrEqual(yd[1]);
      }
    // With a margin past the start, and the function's own range still in view.
    expect(xd[1]).toBeGreaterThan(100);
    expect(xd[0]).toBeLessThanOrEqual(-3);
    expect(elements(svg, 'note')).toHaveLength(0);
    expect(elements(svg, 'start')).toHaveLength(3);
  });

  it('keeps the function in view beside walks that diverge, and says that they leave the window', () => {
    const walks = (['sgd', 'momentum', 'adam'] as const).map((o) => walk({ fn: 'rosenbrock', optimizer: o, start: [100, 100] }));
    expect(walks.map((w) => w.done?.reason)).toEqual(['diverged', 'diverged', 'epochs']);
    const svg = pathFigure(walks, { title: 'rosenbrock' });
    const xd = domain(svg, 'x');
    // The start and adam's whole path are in; sgd's leap to −400,000 is not.
    expect(xd[0]).toBeGreaterThan(-1000);
    expect(xd[1]).toBeGreaterThan(100);
    expect(svg).toMatch(/<text class="note"[^>]*>sgd, momentum diverged: their paths leave the window<\/text>/);
    expectTextFits(svg);
  });

  it('fits a 1-D walk that starts far out, too', () => {
    const w = walk({ fn: 'quadratic', optimizer: 'sgd', start: [40], lr: 0.1 });
    const svg = curveFigure([w], { title: 'T' });
    expect(domain(svg, 'x')[1]).toBeGreaterThan(40);
  });
});

describe('overlapping paths', () => {
  /** Pixels of exactly this colour in the rendered figure. */
  function pixels(svg: string, hex: string): number {
    const img = renderSvg(svg);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    let n = 0;
    const p = img.pixels;
    for (let i = 0; i < p.length; i += 4) if (p[i] === r && p[i + 1] === g && p[i + 2] === b) n++;
    return n;
  }

  it('draws the longest paths first and widest, every walk in its own marker shape, markers over all lines', () => {
    const optimizers = ['sgd', 'momentum', 'nesterov', 'adam'] as const;
    const walks = optimizers.map((o) => walk({ fn: 'rosenbrock', optimizer: o }));
    const svg = pathFigure(walks);
    const lines = elements(svg, 'walk-line');
    expect(lines).toHaveLength(4);
    const widths = lines.map((l) => Number(l['stroke-width']));
    expect([...widths].sort((a, b) => b - a)).toEqual(widths); // drawn widest first
    const groups = elements(svg, 'walk');
    expect(groups.map((g) => g['data-label'])).toEqual([...optimizers]);
    expect(new Set(groups.map((g) => g['data-shape'])).size).toBe(4);
    // Every start and end marker comes after the last line.
    const lastLine = svg.lastIndexOf('class="walk-line"');
    expect(svg.indexOf('class="start"')).toBeGreaterThan(lastLine);
    // The walks share their start: the earlier ones' start markers are larger, so each shows.
    const extent = (e: Record<string, string>) => {
      if (e.tag === 'circle') return 2 * Number(e.r);
      if (e.tag === 'rect') return Number(e.width);
      const xs = e.points.split(' ').map((p) => Number(p.split(',')[0]));
      return Math.max(...xs) - Math.min(...xs);
    };
    const starts = elements(svg, 'start').map(extent);
    expect(starts).toHaveLength(4);
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeLessThan(starts[i - 1]);
    // The legend shows each walk's shape beside its colour.
    expect(legendLabels(svg)).toEqual([...optimizers]);
  });

  it('leaves every path visible where they run together (sgd under the others no more)', () => {
    // On Rosenbrock the four walks share the valley; drawn in their order at one width, sgd's line
    // showed on some 80 pixels of a 760 × 640 figure. Lines only: the markers would show anyway.
    const walks = (['sgd', 'momentum', 'nesterov', 'adam'] as const).map((o) => walk({ fn: 'rosenbrock', optimizer: o }));
    const svg = pathFigure(walks, { title: 'T' }).replace(/<g class="walk" [\s\S]*?<\/g>/g, '');
    const lines = elements(svg, 'walk-line');
    for (const l of lines) expect(pixels(svg, l.stroke), l['data-label']).toBeGreaterThan(200);
  });
});

describe('text inside the canvas, in every figure kind', () => {
  const long = 'res/data/seed.csv: sgd vs momentum vs adagrad vs rmsprop vs adadelta vs adam:0.05 vs adam:0.01 — loss per epoch';
  const cases: [FigureKind, () => Run[], string[] | undefined][] = [
    ['cost', () => [train({ optimizer: 'sgd', lr: 0.01, epochs: 40, valSplit: 0.25 })], undefined],
    [
      'overlay',
      () => (['sgd', 'momentum', 'adagrad', 'rmsprop', 'adadelta', 'adam'] as const).map((o) => train({ optimizer: o, lr: 0.02, epochs: 40, valSplit: 0.25 }, `${o}.ndjson`)),
      ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adadelta', 'a-very-long-run-file-name-from-the-class-laptop:adam:0.05'],
    ],
    ['path', () => (['sgd', 'momentum', 'adam'] as const).map((o) => walk({ fn: 'beale', optimizer: o })), undefined],
    ['curve', () => [walk({ fn: 'quadratic', optimizer: 'sgd' }), walk({ fn: 'quadratic', optimizer: 'adam', lr: 0.3 })], undefined],
  ];

  for (const [kind, runs, labels] of cases) {
    it(`${kind}: default title, a long title, and a narrow canvas`, () => {
      for (const o of [{}, { title: long }, { title: long, width: 520, height: 420 }]) {
        const fig = autoFigure(runs(), { ...o, labels });
        expect(fig.kind).toBe(kind);
        expectTextFits(fig.svg);
      }
    });
  }

  it('parallel: a long title', () => {
    const run = train({ optimizer: 'sgd', lr: 0.01, epochs: 10 });
    expectTextFits(parallelFigure([run], { title: long }));
  });

  it('wraps a long title onto a second line before cutting it', () => {
    const svg = costFigure([train({ epochs: 10 })], { title: long });
    const title = /<text class="title"[^>]*>(.*?)<\/text>/.exec(svg)![1];
    const lines = [...title.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]);
    expect(lines).toHaveLength(2);
    expect(lines.join(' ').replace(/…$/, '')).toBe(long.slice(0, lines.join(' ').replace(/…$/, '').length));
    expectTextFits(svg);
    // The plot moved down to make room for it.
    const area = elements(svg, 'plot-area')[0];
    expect(Number(area.y)).toBeGreaterThan(52);
  });

  it('wrapText: lines within the width, the rest cut with an ellipsis', () => {
    const lines = wrapText(long, 400, 20, true, 2);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(textWidth(l, 20, true)).toBeLessThanOrEqual(400);
    expect(lines[1].endsWith('…')).toBe(true);
    expect(wrapText('short', 400, 20, true)).toEqual(['short']);
  });
});

describe('host plot --log on a walk', () => {
  it('warns on stderr that --log applies to loss curves', async () => {
    const dir = tempDir('plot-log-');
    const file = join(dir, 'walk.ndjson');
    writeFileSync(file, walkLines({ fn: 'bowl', optimizer: 'sgd' }).join('\n') + '\n');
    const run = promisify(execFile);
    const { stderr } = await run(process.execPath, ['host/bin.js', 'plot', file, '--out', join(dir, 'walk.svg'), '--log'], { cwd: join(import.meta.dirname, '../..') });
    expect(stderr).toContain('--log applies to loss curves; this is a path figure');
    const curve = join(dir, 'curve.ndjson');
    writeFileSync(curve, walkLines({ fn: 'quadratic', optimizer: 'sgd' }).join('\n') + '\n');
    const c = await run(process.execPath, ['host/bin.js', 'plot', curve, '--out', join(dir, 'curve.svg'), '--log'], { cwd: join(import.meta.dirname, '../..') });
    expect(c.stderr).toContain('--log applies to loss curves');
    const cost = join(dir, 'cost.ndjson');
    writeFileSync(cost, trainLines({ epochs: 10 }).join('\n') + '\n');
    const t = await run(process.execPath, ['host/bin.js', 'plot', cost, '--out', join(dir, 'cost.svg'), '--log'], { cwd: join(import.meta.dirname, '../..') });
    expect(t.stderr).not.toContain('--log applies');
  });
});
