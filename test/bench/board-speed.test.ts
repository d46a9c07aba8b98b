// The board-speed section (host/bench/board-speed.ts): Duktape as an interpreter proxy for the board.
// No figure is judged here (speed is `npm run bench`'s job); what is checked is that the proxy runs
// the real firmware as a board would (its records equal the desktop engine's, bit for bit), that the
// hand loops do the firmware's job, that a few paths give finite ratios, and that a machine without
// duktape-dev is told so: these tests fail, with what to install, unless PICO_TRAINER_SKIP_DUKTAPE=1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchBoardSpeed, desktopRecords, pathConfig, pathData, prepareBundle, runFirmware, type BoardSpeedBench } from '../../host/bench/board-speed.ts';
import { cleanupSessions, ProxyUnavailable, runnerPath, SKIP_ENV, skipRequested } from '../../host/bench/duktape/proxy.ts';
import { allPaths, handProgram, pathName, type PathSpec } from '../../host/bench/hand-loops.ts';
import { formatBoardSpeed } from '../../host/bench/report-board-speed.ts';
import { buildFirmware } from '../../host/build/firmware.ts';
import type { ProtocolRecord } from '../../shared/protocol.ts';

const skip = skipRequested();
if (skip) process.stderr.write(`\n*** board-speed proxy tests SKIPPED: ${SKIP_ENV} is set ***\n\n`);

function path(name: string): PathSpec {
  const p = allPaths().find((q) => pathName(q) === name);
  if (!p) throw new Error('no path ' + name);
  return p;
}

/** A handful: the given loops' own path, every batch mode, both feature counts, standardization, the split, adaptive rules. */
const SOME = ['sgd b1 f1', 'momentum b32 f1 nobias val', 'adam full f2 std val', 'adadelta b1 f2 std', 'rmsprop full f1 nobias', 'adamw b32 f2 std'].map(path);

function trainingRecords(rs: ProtocolRecord[]): ProtocolRecord[] {
  return rs.filter((r) => r.type === 'epoch' || r.type === 'done');
}

/**
 * Every number as its float32: a text record carries the shortest decimal of each float32
 * (0.28431627), a bits record may be read as the float32 itself (0.2843162715435028); equal
 * float32s are the same record, and any other difference shows.
 */
function asFloat32(v: unknown): unknown {
  if (typeof v === 'number') return Math.fround(v);
  if (Array.isArray(v)) return v.map(asFloat32);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asFloat32(x)]));
  return v;
}

describe.skipIf(skip)('board speed through the Duktape proxy', () => {
  let code = '';
  beforeAll(async () => {
    code = (await buildFirmware({ write: false })).code;
  });
  afterAll(() => cleanupSessions());

  it(`builds its runner from Debian's duktape-dev (apt-get install duktape duktape-dev, or set ${SKIP_ENV}=1 to skip)`, () => {
    expect(runnerPath()).toMatch(/duktape-runner-/);
  });

  describe('without duktape-dev', () => {
    const saved = process.env.PICO_TRAINER_DUKTAPE_DIR;
    const empty = mkdtempSync(join(tmpdir(), 'no-duktape-'));
    beforeAll(() => {
      process.env.PICO_TRAINER_DUKTAPE_DIR = empty;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.PICO_TRAINER_DUKTAPE_DIR;
      else process.env.PICO_TRAINER_DUKTAPE_DIR = saved;
      rmSync(empty, { recursive: true, force: true });
    });
    it('says what to install, and the bench section reports it instead of a figure', async () => {
      expect(() => runnerPath()).toThrow(ProxyUnavailable);
      expect(() => runnerPath()).toThrow(/apt-get install duktape duktape-dev/);
      const r = await benchBoardSpeed('', { quick: true, log: () => undefined });
      expect(r.available).toBe(false);
      if (!r.available) expect(r.reason).toMatch(/duktape-dev/);
    });
  });

  it.each(SOME.map((p) => [pathName(p), p] as const))("the firmware's records under Duktape equal the desktop engine's, bit for bit: %s", async (_name, spec) => {
    const bundle = prepareBundle('after', code, 2);
    const cfg = pathConfig(spec, 3);
    const board = await runFirmware(bundle, pathData(spec.features), spec.features, cfg, 600);
    const desktop = desktopRecords(pathData(spec.features), spec.features, cfg);
    const got = trainingRecords(board.records.map((r) => r.record));
    expect(got.length).toBe(3 + 2); // epochs 0..3, done
    expect(asFloat32(got)).toEqual(asFloat32(trainingRecords(desktop)));
  });

  it('the hand-loop template, with float32 storage, is the engine’s algorithm on every path without a split', () => {
    // Plain hand loops keep float64 locals (as a person writes them); rounding each stored value as
    // the engine does must then give the engine's parameters to float32 precision.
    for (const spec of allPaths().filter((p) => !p.val)) {
      const lines: string[] = [];
      new Function('console', handProgram(spec, 3, 'f32'))({ log: (s: string) => lines.push(s) });
      const hand = JSON.parse(lines[lines.length - 1]) as { w: number[]; b: number };
      const done = trainingRecords(desktopRecords(pathData(spec.features), spec.features, pathConfig(spec, 3))).filter((r) => r.type === 'epoch').pop();
      if (!done || done.type !== 'epoch') throw new Error('no epoch record');
      const want = [...done.w, done.b];
      [...hand.w, hand.b].forEach((v, i) => expect(Math.abs(v - want[i]), `${pathName(spec)} parameter ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[i]))));
    }
  });

  it('runs a handful of paths, the seven of the board table through both bundles, and reports finite ratios', async () => {
    const r = await benchBoardSpeed(code, { quick: true, paths: SOME, epochs: 3, reps: 1, log: () => undefined });
    expect(r.available, r.available ? '' : r.reason).toBe(true);
    const b = r as BoardSpeedBench;
    expect(b.paths.map((p) => p.name)).toEqual(SOME.map(pathName));
    for (const p of b.paths) {
      expect(p.handMs, p.name).toBeGreaterThan(0);
      expect(p.firmwareMs, p.name).toBeGreaterThan(0);
      expect(Number.isFinite(p.ratio) && p.ratio > 0, `${p.name}: ratio ${p.ratio}`).toBe(true);
    }
    expect(b.table).toHaveLength(7);
    for (const t of b.table) {
      for (const v of [t.beforeRatio, t.afterRatio, t.afterVsLocals]) expect(Number.isFinite(v) && v > 0, `${t.label}: ${v}`).toBe(true);
    }
    expect(Number.isFinite(b.scale) && b.scale > 0).toBe(true);
    for (const e of [b.record.bits, b.record.decimal, b.upload.after1000x2, b.upload.before1000x1, b.seed.sgd.after]) expect(e.boardMs).toBeGreaterThan(0);
    const text = formatBoardSpeed(r).join('\n');
    expect(text).toMatch(/not on a board/);
    expect(text).toMatch(/sgd, batch 1, --no-bias\s+162\s+1,962\s+0\.08×/);
    expect(text).toMatch(/Upload of 1,000 samples × 2 features/);
    // The cost model beside Duktape: board ms for the seven table paths, the record, the seed job, the uploads.
    for (const t of b.table) {
      for (const v of [t.model.handMs, t.model.beforeMs, t.model.afterMs, t.model.beforeRatio, t.model.afterRatio]) expect(Number.isFinite(v) && v > 0, `${t.label}: ${v}`).toBe(true);
    }
    const m = b.model;
    for (const v of [m.record.bitsMs, m.record.decimalMs, m.seed.sgd.afterMs, m.seed.adam.beforeMs, m.upload.after1000x2Ms, m.upload.before1000x1Ms]) expect(v).toBeGreaterThan(0);
    expect(text).toMatch(/virtual Pico's cost model/);
  }, 240_000);
});
