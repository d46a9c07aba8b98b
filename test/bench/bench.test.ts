// The bench's parts, checked for what they claim (no timing: speed is `npm run bench`'s job):
// the three contenders train the same model to the same parameters, the memory walk counts the
// arrays the engine really allocates, and the command runs.
import { describe, expect, it } from 'vitest';
import { handGd, handSgd } from '../../host/bench/baseline.ts';
import { syntheticDataset } from '../../host/bench/data.ts';
import { engineMemory } from '../../host/bench/memory.ts';
import { engineTrain, jobConfig } from '../../host/bench/engine.ts';
import { Dataset, appendPacked, packedRows } from '../../shared/dataset.ts';
import { resolveConfig } from '../../shared/config.ts';
import { host } from '../e2e/cli.ts';

describe('bench', () => {
  it.each([
    ['per-sample SGD', 1, 1],
    ['full-batch GD', 0, 1],
    ['per-sample SGD', 1, 2],
    ['full-batch GD', 0, 2],
  ])('%s with %i… the engine and the hand-written loop agree (%i features)', (_name, batch, features) => {
    const ds = syntheticDataset(200, features);
    const lr = batch === 1 ? 0.001 : 0.05;
    const engine = engineTrain(ds, { batch, lr }, 20);
    const hand = (batch === 1 ? handSgd : handGd)(ds.x, ds.y, ds.n, features, lr, 20);
    for (let j = 0; j < features; j++) expect(Math.abs(engine.w[j] - hand.w[j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(hand.w[j])));
    expect(Math.abs(engine.b - hand.b)).toBeLessThan(1e-4 * Math.max(1, Math.abs(hand.b)));
    expect(engine.records).toBe(20 + 3); // start, epochs 0..20, done
  });

  it('counts every typed array of a 1,024 × 2 Adam run, and the board store dominates its footprint', () => {
    const desktop = engineMemory('desktop', syntheticDataset(1024, 2), jobConfig({ batch: 0, lr: 0.01 }, 1, 2, { optimizer: 'adam' }));
    expect(desktop.byOwner.dataset).toBe(1024 * 3 * 4);
    expect(desktop.byOwner.optimizer).toBe(3 * 3 * 4); // m, v, vmax for w1, w2, b
    expect(desktop.total).toBe(desktop.items.reduce((s, i) => s + i.bytes, 0));
    const board = new Dataset(1024, 8);
    board.reset(2);
    const packed = packedRows(syntheticDataset(1024, 2));
    appendPacked(board, packed, 0, packed.length);
    const onBoard = engineMemory('board', board, resolveConfig({ optimizer: 'adam' }, 2));
    expect(onBoard.byOwner.dataset).toBe(1024 * 9 * 4);
  });

  it('`npm run bench -- --quick` runs and reports every section', async () => {
    const r = await host(['bench', '--quick', '--no-tfjs', '--no-board', '--no-board-speed'], { timeoutMs: 120000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Training throughput/);
    expect(r.stdout).toMatch(/Firmware bundle\s+\d[\d,]* B/);
    expect(r.stdout).toMatch(/Static memory/);
    expect(r.stdout).toMatch(/Throughput by dataset size/);
  }, 120000);
});
