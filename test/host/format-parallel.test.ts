import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.ts';
import { textParallelRecords } from '../../shared/parallel/records.ts';
import { formatEpoch, type StartRecord } from '../../shared/protocol.ts';
import { RecordFormatter } from '../../host/format.ts';

function start(workers = 4, patch: Partial<StartRecord> = {}): StartRecord {
  return {
    type: 'start',
    protocol: 3,
    source: 'cluster',
    config: { ...defaultConfig('sgd'), batch: 1 },
    samples: 40,
    features: 2,
    train: 40,
    val: 0,
    parallel: { algorithm: 'downpour', workers, computeUs: new Array(workers).fill(170), latencyUs: 1000 },
    ...patch,
  };
}

/** A parallel run's lines as the runners write them (shared/parallel/records.ts). */
function lines(build: (sink: ReturnType<typeof textParallelRecords>, p: (w1: number, w2: number, b: number) => Float32Array) => void): string[] {
  const out: string[] = [];
  build(textParallelRecords((l) => out.push(l)), (w1, w2, b) => new Float32Array([w1, w2, b]));
  return out;
}

const COUNTS = { messages: 800, pushes: 400, fetches: 400, updates: 400, lost: 0, time_us: 123456 };

/** Two epochs of four workers, with updates of staleness 0, 1 (then 2, 3, 2) between them. */
const run = lines((s, p) => {
  s.start(start());
  s.epoch(0, p(1, 1, 0), 2, 12.5, NaN, 0.01, 0, 0);
  [11.9, 12.25, 13, 12.75].forEach((l, k) => s.worker(0, k, p(1, 1, 0), 2, l, 0, 0));
  s.update(2, 2370, 0, 1, -1, NaN, NaN);
  s.update(0, 2390, 0, 2, -1, 0.5, NaN);
  s.epoch(1, p(1.5, 0.75, 0.25), 2, 3.5, NaN, 0.01, 2, 2400);
  [3.25, 3.75, 3.5, 3.125].forEach((l, k) => s.worker(1, k, p(1.5, 0.75, 0.25), 2, l, 10, 1));
  s.update(1, 4000, 0, 3, -1, NaN, NaN);
  s.update(3, 4010, 0, 4, -1, NaN, NaN);
  s.update(2, 4020, 2, 5, -1, NaN, NaN);
  s.epoch(2, p(1.99, 0.5, 0.01), 2, 0.0012, NaN, 0.01, 5, 4800);
  [0.00111, 0.0013, 0.0012, 0.00091234].forEach((l, k) => s.worker(2, k, p(1.99, 0.5, 0.01), 2, l, 20, 2));
  s.done('epochs', 2, p(1.99, 0.5, 0.01), 2, 0.0012, '', COUNTS);
});

function render(format: 'text' | 'csv' | 'ndjson', input: string[]): string[] {
  const f = new RecordFormatter(format);
  return input.flatMap((l) => f.line(l));
}

describe('text for parallel runs', () => {
  it('prints one line per epoch with the version, the staleness since the last line and each worker’s loss', () => {
    const out = render('text', run);
    expect(out).toEqual([
      'Training on 40 samples × 2 features: downpour with 4 workers, sgd, lr 0.01, per-sample (batch 1), 100 epochs (simulated cluster)',
      'Epoch: 0 W= [1, 1] B= 0 Loss= 12.5  v 0  workers 11.9 12.25 13 12.75',
      'Epoch: 1 W= [1.5, 0.75] B= 0.25 Loss= 3.5  v 2  staleness avg 0.5 max 1  workers 3.25 3.75 3.5 3.125',
      'Epoch: 2 W= [1.99, 0.5] B= 0.01 Loss= 0.0012  v 5  staleness avg 2.3 max 3  workers 0.00111 0.0013 0.0012 0.0009123',
      'Done: 2 epochs. W= [1.99, 0.5] B= 0.01 Loss= 0.0012',
      'Counts: 800 messages, 400 pushes, 400 fetches, 400 updates, 0 lost updates, 123.5 ms simulated time; staleness avg 1.6 max 3 over 5 updates',
    ]);
  });

  it('holds the epoch line back until the p-th worker record, and prints nothing for updates', () => {
    const f = new RecordFormatter('text');
    const per = run.map((l) => f.line(l).length);
    // start, epoch 0 (held), workers 0–2 (held), worker 3 (the line), updates (nothing), …
    expect(per.slice(0, 8)).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    expect(per.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('flushes a line still waiting for workers at done, at the next record, or on flush()', () => {
    const short = lines((s, p) => {
      s.start(start(3));
      s.epoch(0, p(1, 1, 0), 2, 12.5, NaN, 0.01, 0, 0);
      s.worker(0, 0, p(1, 1, 0), 2, 11.9, 0, 0);
      s.worker(0, 2, p(1, 1, 0), 2, NaN, 0, 0);
      s.done('stopped', 0, p(1, 1, 0), 2, 12.5, '', { updates: 0 });
    });
    expect(render('text', short).slice(1)).toEqual([
      'Epoch: 0 W= [1, 1] B= 0 Loss= 12.5  v 0  workers 11.9 - nan',
      'Stopped at epoch 0. W= [1, 1] B= 0 Loss= 12.5',
      'Counts: 0 updates',
    ]);
    const f = new RecordFormatter('text');
    for (const l of short.slice(0, 3)) f.line(l);
    expect(f.flush()).toEqual(['Epoch: 0 W= [1, 1] B= 0 Loss= 12.5  v 0  workers 11.9 - -']);
    expect(f.flush()).toEqual([]);
  });

  it('without a start record, knows a parallel epoch by its version and lets it out at the next update', () => {
    const f = new RecordFormatter('text');
    const out = run.slice(1, 8).flatMap((l) => f.line(l));
    // (No start record: a bias of 0 is left out, as for any run.)
    expect(out).toEqual(['Epoch: 0 W= [1, 1] Loss= 12.5  v 0  workers 11.9 12.25 13 12.75']);
  });

  it('counts every key of done, known ones in words (left out at 0, but for lost updates) and the others as they are', () => {
    const out = render('text', lines((s, p) => {
      s.start(start(2, { source: 'threads' }));
      s.done('epochs', 1, p(1, 1, 0), 2, 1, '', { messages: 0, pushes: 0, updates: 1, lost: 0, exchanges: 3, time_us: 2_500_000 });
    }));
    expect(out[0]).toContain('(threads)');
    expect(out[2]).toBe('Counts: 1 update, 0 lost updates, exchanges 3, 2.5 s time');
  });

  it('leaves sequential runs as they were', () => {
    const seq = [JSON.stringify({ ...start(), protocol: 2, source: 'desktop', parallel: undefined }), formatEpoch(0, [1, 1], 2, 0, 4.5, NaN, 0.01)];
    expect(render('text', seq)).toEqual([
      'Training on 40 samples × 2 features: sgd, lr 0.01, per-sample (batch 1), 100 epochs (desktop)',
      'Epoch: 0 W= [1, 1] B= 0 Loss= 4.5',
    ]);
  });
});

describe('csv and ndjson for parallel runs', () => {
  it('csv: the epoch rows as for any run; worker and update records left out', () => {
    expect(render('csv', run)).toEqual([
      'epoch,w1,w2,b,loss,val_loss,lr',
      '0,1,1,0,12.5,,0.01',
      '1,1.5,0.75,0.25,3.5,,0.01',
      '2,1.99,0.5,0.01,0.0012,,0.01',
    ]);
  });

  it('ndjson: every record line unchanged', () => {
    expect(render('ndjson', run)).toEqual(run);
  });
});
