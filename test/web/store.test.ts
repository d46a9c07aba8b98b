import { describe, expect, it } from 'vitest';
import type { EpochRecord, ProtocolRecord } from '../../shared/protocol.ts';
import { RecordStore, type TrainTrack, type WalkTrack } from '../../host/web/store.ts';
import { toRecords, trainLines, walkLines } from '../plot/records.ts';

function epoch(e: number): EpochRecord {
  return { type: 'epoch', epoch: e, w: [2 + 1 / (e + 1)], b: 1, loss: 1 / (e + 1), lr: 0.01 };
}

describe('the dashboard store', () => {
  it('keeps every record while under budget, as columns', () => {
    const s = new RecordStore(1000);
    for (const r of toRecords(trainLines({ epochs: 20, valSplit: 0.25 }))) s.add(r);
    const run = s.current as TrainTrack;
    expect(run.kind).toBe('train');
    expect(run.track.col('epoch')).toEqual([...Array(21).keys()]);
    expect(run.track.col('val').every(Number.isFinite)).toBe(true);
    expect(run.start?.config.epochs).toBe(20);
    expect(run.done?.reason).toBe('epochs');
    expect(s.size).toBe(21);
  });

  it('stays within a million points over a long run, keeping the first, the latest and an even spread', () => {
    const s = new RecordStore(); // the default budget: 10^6 points
    const n = 2_500_000;
    for (let e = 0; e < n; e++) s.add(epoch(e));
    const t = (s.current as TrainTrack).track;
    expect(s.size).toBeLessThanOrEqual(1_000_000);
    expect(s.size).toBeGreaterThan(500_000);
    const ep = t.col('epoch');
    expect(ep[0]).toBe(0);
    expect(ep[ep.length - 1]).toBe(n - 1);
    // Every kept point but the latest sits on the stride grid: evenly spread.
    for (let i = 1; i < ep.length - 1; i++) if (ep[i] - ep[i - 1] !== t.stride) throw new Error(`gap at ${i}: ${ep[i - 1]} → ${ep[i]}`);
    expect(t.col('loss')[ep.length - 1]).toBe(1 / n);
  });

  it('shares the budget between runs by thinning the longest', () => {
    const s = new RecordStore(100);
    for (let e = 0; e < 300; e++) s.add(epoch(e));
    for (const r of toRecords(walkLines({ fn: 'bowl', steps: 40 }))) s.add(r);
    expect(s.runs.map((r) => r.kind)).toEqual(['train', 'walk']);
    const walk = s.runs[1] as WalkTrack;
    expect(walk.track.length).toBe(41); // the short walk is whole
    expect(walk.track.col('x1')).toHaveLength(41);
    expect(s.size).toBeLessThanOrEqual(100);
  });

  it('starts a new run at each start record and after a done record', () => {
    const s = new RecordStore(1000);
    const recs: ProtocolRecord[] = [epoch(0), epoch(1), { type: 'done', reason: 'stopped', epoch: 1, w: [2], b: 1, loss: 0.5 }, epoch(0), ...toRecords(trainLines({ epochs: 2 }))];
    for (const r of recs) s.add(r);
    expect(s.runs).toHaveLength(3);
    expect(s.runs.map((r) => r.track.length)).toEqual([2, 1, 3]);
  });

  it('round-trips through a snapshot (NaN included), thinned to what a page keeps', () => {
    const s = new RecordStore(10_000);
    for (let e = 0; e < 5000; e++) s.add(epoch(e));
    const json = JSON.parse(JSON.stringify(s.snapshot(1000)));
    const page = RecordStore.from(json, 1000);
    const t = (page.current as TrainTrack).track;
    expect(page.size).toBeLessThanOrEqual(1000);
    expect(t.col('epoch')[0]).toBe(0);
    expect(t.col('epoch')[t.length - 1]).toBe(4999);
    expect(Number.isNaN(t.col('val')[0])).toBe(true);
    expect(page.records).toBe(5000);
    // The page goes on from there like the server does.
    page.add(epoch(5000));
    expect(t.col('epoch')[t.length - 1]).toBe(5000);
    expect(s.size).toBe(5000); // the server's own store is untouched by the snapshot
  });
});
