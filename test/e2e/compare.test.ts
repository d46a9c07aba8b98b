// `host compare` and `host surface`: on the desktop, and on two virtual Picos side by side; the
// board's runs equal the desktop's, and the figures hold one series per optimizer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { host } from './cli.ts';
import { tempDir } from '../helpers/temp.ts';

const tmp = tempDir('pico-compare-');
let picos: VirtualPico[] = [];

function runFiles(dir: string): Map<string, ProtocolRecord[]> {
  const out = new Map<string, ProtocolRecord[]>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort()) {
    const recs = readFileSync(join(dir, f), 'utf8').split('\n').map((l) => parseRecord(l)).filter((r): r is ProtocolRecord => r !== null);
    out.set(f, recs.filter((r) => r.type === 'epoch' || r.type === 'done' || r.type === 'step'));
  }
  return out;
}

beforeAll(async () => {
  picos = await Promise.all([startVirtualPico(), startVirtualPico()]);
  for (const p of picos) expect((await host(['flash', '--port', p.path], { timeoutMs: 120000 })).code).toBe(0);
}, 240000);

afterAll(async () => {
  await Promise.all(picos.map((p) => p.close()));
});

describe('compare', () => {
  const common = ['--optimizers', 'sgd,momentum,adagrad,rmsprop,adadelta,adam:0.05', '--data', 'test/fixtures/data/seed.csv', '--no-bias', '--epochs', '50', '--val-split', '0.34'];

  it('overlays six optimizers, train solid and validation dashed, and runs the same on two boards as on the desktop', async () => {
    const desk = join(tmp, 'desk');
    const board = join(tmp, 'board');
    const d = await host(['compare', ...common, '--desktop', '--runs', desk]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^optimizer\s+epochs\s+final loss\s+val loss\s+ended/m);
    expect(d.stdout).toMatch(/^adam:0\.05\s+50\s/m);

    const b = await host(['compare', ...common, '--port', picos[0].path, '--port', picos[1].path, '--runs', board], { timeoutMs: 120000 });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain(`on ${picos[0].path}, ${picos[1].path}`);
    const fromDesk = runFiles(desk);
    const fromBoard = runFiles(board);
    expect([...fromBoard.keys()]).toEqual(['1-sgd.ndjson', '2-momentum.ndjson', '3-adagrad.ndjson', '4-rmsprop.ndjson', '5-adadelta.ndjson', '6-adam_0.05.ndjson']);
    for (const [name, recs] of fromBoard) expect(recs, name).toEqual(fromDesk.get(name));

    const svg = readFileSync(join(board, 'compare.svg'), 'utf8');
    for (const name of ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adadelta', 'adam']) expect(svg).toContain(`>${name}`);
    expect(svg.match(/stroke-dasharray/g)!.length).toBeGreaterThanOrEqual(6); // a dashed validation curve per run
  });

  it('refuses --optimizer and unknown names before touching a board', async () => {
    const a = await host(['compare', '--optimizers', 'sgd,adamx', '--data', 'test/fixtures/data/seed.csv', '--desktop']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--optimizers: unknown optimizer "adamx"/);
    const b = await host(['compare', '--optimizers', 'sgd', '--optimizer', 'adam', '--data', 'test/fixtures/data/seed.csv', '--desktop']);
    expect(b.stderr).toMatch(/use --optimizers/);
  });
});

describe('surface', () => {
  it('walks Rosenbrock on the board exactly as on the desktop and draws the paths over the contours', async () => {
    const args = ['surface', '--fn', 'rosenbrock', '--optimizers', 'momentum,nesterov,adam', '--steps', '200'];
    const desk = join(tmp, 'sdesk');
    const board = join(tmp, 'sboard');
    expect((await host([...args, '--desktop', '--runs', desk])).code).toBe(0);
    const b = await host([...args, '--port', picos[0].path, '--runs', board], { timeoutMs: 120000 });
    expect(b.code, b.stderr).toBe(0);
    const fromBoard = runFiles(board);
    expect(fromBoard.size).toBe(3);
    for (const [name, recs] of fromBoard) {
      expect(recs.filter((r) => r.type === 'step')).toHaveLength(201);
      expect(recs, name).toEqual(runFiles(desk).get(name));
    }
    const svg = readFileSync(join(board, 'surface.svg'), 'utf8');
    for (const name of ['momentum', 'nesterov', 'adam']) expect(svg).toContain(`>${name}`);
  });

  it('draws a 1-D walk on its curve', async () => {
    const r = await host(['surface', '--fn', 'quadratic', '--optimizers', 'sgd', '--desktop', '--runs', join(tmp, 'q')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sgd\s+30 steps\s+ended at \(-2\.0000\)/m);
  });
});
