// `host distributed` and `host compare --algorithms` as a user runs them: records, run files,
// figures, determinism across processes, and one clear line for each mistake.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecord, type DoneRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { host } from '../e2e/cli.ts';

const DIR = mkdtempSync(join(tmpdir(), 'pt-distributed-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const TWO = 'test/fixtures/data/two-features.csv';

function records(text: string): ProtocolRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const r = parseRecord(l);
      if (r === null) throw new Error('not a record: ' + l);
      return r;
    });
}

describe('host distributed', () => {
  it('writes a run file whose records parse, the same bytes in two processes, and a figure', async () => {
    const a = join(DIR, 'a.ndjson');
    const b = join(DIR, 'b.ndjson');
    const args = ['distributed', '--algorithm', 'adarevision', '--data', TWO, '--workers', '4', '--lr', '0.3', '--epochs', '20', '--shuffle', '--seed', '5', '--format', 'ndjson'];
    const r1 = await host([...args, '--out', a, '--figure', join(DIR, 'a.svg')]);
    const r2 = await host([...args, '--out', b]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(r1.stdout).toBe(readFileSync(a, 'utf8'));
    const recs = records(readFileSync(a, 'utf8'));
    expect(recs[0]).toMatchObject({ type: 'start', source: 'cluster', parallel: { algorithm: 'adarevision', workers: 4 } });
    expect(recs.filter((r) => r.type === 'epoch')).toHaveLength(21);
    expect(recs.filter((r) => r.type === 'worker')).toHaveLength(84);
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done.counts?.updates).toBeGreaterThan(0);
    expect(readFileSync(join(DIR, 'a.svg'), 'utf8')).toMatch(/^<svg/);
  }, 60000);

  it('prints a readable line per epoch-equivalent in text', async () => {
    const r = await host(['distributed', '--algorithm', 'easgd', '--data', TWO, '--epochs', '3', '--format', 'text']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/easgd with 4 workers/);
    expect(r.stdout).toMatch(/Epoch: 3 W= \[.*\] B= .* Loss= .* v \d+ +staleness avg/);
  });

  it('runs hogwild on threads and says how fast', async () => {
    const r = await host(['distributed', '--algorithm', 'hogwild', '--generate', 'sparse', '--samples', '2000', '--threads', '2', '--epochs', '3', '--format', 'ndjson']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 threads: [\d,]+ updates\/s/);
    expect(records(r.stdout)[0]).toMatchObject({ type: 'start', source: 'threads' });
  }, 60000);

  it.each([
    [['--algorithm', 'ring', '--data', TWO], /argument 'ring' is invalid/],
    [['--algorithm', 'sync', '--data', 'test/fixtures/data/seed.csv'], /--workers: 4 workers but only 3 training samples/],
    [['--algorithm', 'sync', '--data', TWO, '--period', '3'], /--period: belongs to easgd, not sync/],
    [['--algorithm', 'easgd', '--data', TWO, '--period', '0'], /--period: 0 is out of range/],
    [['--algorithm', 'adarevision', '--data', TWO, '--threads', '2'], /--threads: runs hogwild or sync, not adarevision/],
    [['--algorithm', 'hogwild', '--data', TWO, '--beta1', '0.5'], /--beta1: does not apply to hogwild/],
    [['--algorithm', 'sync', '--data', TWO, '--compute-us', '1,2'], /--compute-us: give one value for every worker or 4/],
    [['--algorithm', 'sync', '--data', TWO, '--generate', 'dense'], /give either --data FILE.csv or --generate/],
  ])('refuses %j with one line', async (args, message) => {
    const out = join(DIR, 'never.ndjson');
    const r = await host(['distributed', ...args, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(DIR)).not.toContain('never.ndjson');
  });
});

describe('host compare --algorithms', () => {
  it('runs each algorithm with its own options and learning rate, keeps a file each, and overlays them', async () => {
    const runs = join(DIR, 'cmp');
    const r = await host(['compare', '--algorithms', 'sync:0.05,downpour:0.3,easgd', '--data', TWO, '--epochs', '30', '--lr', '0.02', '--local-lr', '0.02', '--period', '2', '--runs', runs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^algorithm +epochs +final loss/m);
    expect(r.stdout).toMatch(/^downpour:0\.3 +30 /m);
    const files = readdirSync(runs).sort();
    expect(files).toEqual(['1-sync_0.05.ndjson', '2-downpour_0.3.ndjson', '3-easgd.ndjson', 'compare.svg']);
    const start = (f: string) => records(readFileSync(join(runs, f), 'utf8'))[0];
    expect(start('2-downpour_0.3.ndjson')).toMatchObject({ config: { lr: 0.3 }, parallel: { algorithm: 'downpour', localLr: 0.02 } });
    expect(start('3-easgd.ndjson')).toMatchObject({ config: { lr: 0.02 }, parallel: { algorithm: 'easgd', period: 2 } });
    expect((start('1-sync_0.05.ndjson') as { parallel: Record<string, unknown> }).parallel.period).toBeUndefined();
  }, 60000);

  it('refuses an option that belongs to none of the algorithms', async () => {
    const r = await host(['compare', '--algorithms', 'sync,easgd', '--data', TWO, '--fetch-every', '2', '--runs', join(DIR, 'never')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--fetch-every: belongs to downpour/);
  });
});
