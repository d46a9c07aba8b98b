// The terminal monitor's live plot: y labels that tell the rows apart, even for a flat series (what
// `host monitor` shows after re-attaching to a run that has settled).
import { describe, expect, it } from 'vitest';
import { chartAxis, createView } from '../../host/monitor/view.ts';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { toRecords, trainLines } from '../plot/records.ts';

/** A terminal that keeps what was written. */
function fakeTty(columns = 100, rows = 40) {
  const chunks: string[] = [];
  const stream = { isTTY: true, columns, rows, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  // eslint-disable-next-line no-control-regex
  const lastScreen = () => (chunks.filter((c) => c.startsWith('\x1b[H')).pop() ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  return { stream, lastScreen };
}

/** The y labels of the chart that follows `heading` on the screen. */
function labels(screen: string, heading: string): string[] {
  const lines = screen.split('\n');
  const out: string[] = [];
  for (let i = lines.findIndex((l) => l.startsWith(heading)) + 1; i < lines.length; i++) {
    const m = /^\s*(\S+) [┤┼]/.exec(lines[i]);
    if (!m) break;
    out.push(m[1]);
  }
  return out;
}

function epoch(e: number, loss: number, w: number): ProtocolRecord {
  return { type: 'epoch', epoch: e, w: [w], b: 0, loss, lr: 0.01 } as ProtocolRecord;
}

describe('monitor y labels', () => {
  it('labels a flat series with its value, not the value rounded to a whole number', () => {
    const { stream, lastScreen } = fakeTty();
    const view = createView({ log: false, plot: true, stream, title: 'test' });
    // Re-attached to a settled run: no start record, the same loss and w epoch after epoch.
    for (let e = 500; e < 540; e++) view.update(epoch(e, 0.264, 2.9975));
    view.close();
    const screen = lastScreen();
    const loss = labels(screen, 'loss per epoch');
    const w = labels(screen, 'w per epoch');
    expect(loss.length).toBeGreaterThan(2);
    expect(w.length).toBeGreaterThan(2);
    expect(loss).not.toContain('0');
    expect(w).not.toContain('3');
    // The row the line lies on reads the value itself.
    expect(loss).toContain('0.264');
    expect(w).toContain('2.9975');
    expect(new Set(loss).size).toBe(loss.length);
    expect(new Set(w).size).toBe(w.length);
    for (const l of loss) expect(Math.abs(Number(l) - 0.264)).toBeLessThan(0.264 * 0.02);
    for (const l of w) expect(Math.abs(Number(l) - 2.9975)).toBeLessThan(2.9975 * 0.02);
  });

  it('gives rows of a narrow range enough digits to differ, on a linear and a log scale', () => {
    for (const log of [false, true]) {
      const ys = Array.from({ length: 50 }, (_, i) => 2.9975 + i * 0.00001);
      const series = [log ? ys.map(Math.log10) : ys];
      const { format, min, max } = chartAxis(series, 10, log ? (x) => 10 ** x : (x) => x, log);
      const rows: string[] = [];
      for (let k = 0; k <= 10; k++) rows.push(format(max - (k * (max - min)) / 10).trim());
      expect(new Set(rows).size).toBe(rows.length);
      expect(Number(rows[0])).toBeCloseTo(2.9975 + 49 * 0.00001, 6);
    }
  });

  it('keeps short labels for an ordinary run', () => {
    const { stream, lastScreen } = fakeTty();
    const view = createView({ log: true, plot: true, stream, title: 'test' });
    for (const r of toRecords(trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 100 }))) view.update(r);
    view.close();
    const loss = labels(lastScreen(), 'loss per epoch');
    expect(loss.length).toBeGreaterThan(4);
    for (const l of loss) expect(l.replace(/^0\.0*/, '').replace('.', '').length).toBeLessThanOrEqual(4);
  });
});

describe('monitor of a parallel run', () => {
  it('shows one line per board under the charts: its port, loss, counts and last staleness', () => {
    const { stream, lastScreen } = fakeTty();
    const view = createView({ log: false, plot: true, stream, title: 'boards' });
    view.update({ type: 'start', protocol: 3, source: 'board', config: { optimizer: 'sgd', lr: 0.02, batch: 1 } as never, samples: 40, features: 1, train: 40, val: 0, parallel: { algorithm: 'easgd', workers: 2, ports: ['/dev/ttyACM0', '/dev/ttyACM1'] } } as ProtocolRecord);
    for (let e = 0; e < 3; e++) {
      view.update(epoch(e, 1 / (e + 1), 1 + e));
      view.update({ type: 'worker', epoch: e, worker: 0, w: [1], b: 0, loss: 0.5 / (e + 1), samples: 20 * e, updates: e } as ProtocolRecord);
      view.update({ type: 'worker', epoch: e, worker: 1, w: [1], b: 0, loss: null, samples: 20 * e, updates: e } as ProtocolRecord);
      view.update({ type: 'update', worker: 1, t: e, read: 2 * e, version: 2 * e + 4, staleness: 3 } as ProtocolRecord);
    }
    view.close();
    const screen = lastScreen();
    expect(screen).toMatch(/^board 1 {2}\/dev\/ttyACM0 {2}loss 0\.16666667 {2}updates 2 {2}samples 40$/m);
    expect(screen).toMatch(/^board 2 {2}\/dev\/ttyACM1 {2}loss not finite {2}updates 2 {2}samples 40 {2}staleness 3$/m);
  });
});
