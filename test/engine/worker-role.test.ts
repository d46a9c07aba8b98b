// The Trainer's worker role (firmware/main.ts, host/distributed/stream.ts): a push every N training
// samples at a place (the sample-visit) that does not depend on how the run is cut into slices;
// one push unanswered at a time; the server's answer taken between slices, with the push of what
// it replaces. The board-run replay stands on these.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { elasticMove } from '../../shared/parallel/easgd.ts';
import { formatF32, parseRecord, type ProtocolRecord, type PushRecord } from '../../shared/protocol.ts';
import { bitsRecords, textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';
import { base64Encode } from '../../shared/wire.ts';

const DATA = new Float32Array([1, 2, 3, 2, 1, 1, 0.5, 4, 2, 3, 2, 3, 4, 1, 9, 0.25, 2, 0.5, 3, 1, 5, 2, 2, 1, 1, -1, 2]);
const F = 2;

function worker(cfg: Partial<TrainConfig>, every: number): { t: Trainer; records: ProtocolRecord[] } {
  const records: ProtocolRecord[] = [];
  const t = new Trainer(datasetFromPacked(DATA, F), resolveConfig({ lr: 0.01, epochs: 40, ...cfg }, F), textRecords((l) => records.push(parseRecord(l) as ProtocolRecord)));
  t.pushEvery = t.pushAt = every;
  return { t, records };
}

const pushes = (r: ProtocolRecord[]) => r.filter((x): x is PushRecord => x.type === 'push');
const answer = (t: Trainer) => t.setParams(new Float64Array([0.5, -0.25, 0.125]), false);

describe('the worker role', () => {
  it('meets every push again when a replay takes the answers where the board took them, whatever the slices', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 30 }), fc.constantFrom(0, 1, 3), fc.boolean(), fc.integer({ min: 1, max: 7 }), (slices, batch, shuffle, every) => {
        const cfg = { batch, shuffle, seed: 5 };
        // The board: slices of its own, an answer between two slices whenever it waits for one.
        const board = worker(cfg, every);
        const taken: number[] = [];
        for (let i = 0; !board.t.finished; i++) {
          board.t.work(slices[i % slices.length]);
          if (board.t.waiting && !board.t.finished && i % 2 === 1) {
            taken.push(board.t.visits);
            answer(board.t);
          }
        }
        // The replay: straight to each place an answer was taken.
        const replay = worker(cfg, every);
        for (const at of taken) {
          replay.t.work(at - replay.t.visits);
          answer(replay.t);
        }
        replay.t.run();
        expect(pushes(replay.records)).toEqual(pushes(board.records));
        expect(replay.records.filter((x) => x.type === 'epoch')).toEqual(board.records.filter((x) => x.type === 'epoch'));
        expect(pushes(board.records).length).toBeGreaterThan(taken.length);
      }),
      { numRuns: 60 },
    );
  });

  it('has one push unanswered at a time: the next due point after the answer pushes again', () => {
    const { t, records } = worker({ batch: 1 }, 2);
    t.work(40);
    expect(pushes(records).map((p) => p.trained)).toEqual([2]);
    const at = t.visits;
    const trained = t.trained;
    answer(t);
    // Taking the answer pushes the parameters it replaces, at the place it was taken.
    expect(pushes(records)[1]).toMatchObject({ at, trained });
    t.work(20);
    expect(pushes(records).length).toBe(3);
    expect(pushes(records)[2].trained % 2).toBe(0);
  });

  it('pushes after a fused full-batch step too (no training pass of its own)', () => {
    const { t, records } = worker({ batch: 0 }, 3);
    t.work(200);
    expect(pushes(records)[0]).toMatchObject({ trained: 9 });
  });

  it("takes EASGD's elastic difference by elasticMove's rule, bit for bit", () => {
    const f32 = fc.float({ min: -8, max: 8, noNaN: true });
    fc.assert(
      fc.property(fc.array(f32, { minLength: 3, maxLength: 3 }), fc.array(f32, { minLength: 3, maxLength: 3 }), fc.array(f32, { minLength: 3, maxLength: 3 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (x, snap, center, alpha) => {
        const want = Float32Array.from(x);
        const d = new Float64Array(3);
        elasticMove(want, Float32Array.from(snap), Float32Array.from(center), alpha, 3, d);
        const { t, records } = worker({ batch: 1 }, 1);
        t.setParams(Float64Array.from(x, Math.fround), false);
        t.setParams(d, true);
        t.setParams(new Float64Array(3), true);
        const last = pushes(records)[2];
        expect([...last.w, last.b].map(formatF32)).toEqual(Array.from(want, formatF32));
      }),
      { numRuns: 200 },
    );
  });

  it("prints the board's push with its bits, and the host reads back the text form's record", () => {
    const text: ProtocolRecord[] = [];
    const bits: ProtocolRecord[] = [];
    textRecords((l) => text.push(parseRecord(l) as ProtocolRecord)).push(17, 9, Float32Array.from([0.1, -2.5, 3]), 3);
    bitsRecords((l) => bits.push(parseRecord(l) as ProtocolRecord), base64Encode, JSON.stringify).push(17, 9, Float32Array.from([0.1, -2.5, 3]), 3);
    expect(bits).toEqual(text);
    expect(text[0]).toEqual({ type: 'push', at: 17, trained: 9, w: [0.1, -2.5], b: 3 });
  });
});
