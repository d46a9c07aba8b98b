// The bad-input corpus (test/fixtures/bad/cases.json) through the real CLI. Every case runs in one
// process (cli-batch.ts re-evaluates host/cli.ts per case: one tsx start-up instead of ~70), and a
// sample also runs as its own `node host/bin.js` process, which must behave exactly the same.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../shared/protocol.ts';

const run = promisify(execFile);

interface Case {
  name: string;
  args: string[];
  /** file:line:column, or the option, that the message must name. */
  where: string;
  /** What the message must say. */
  expect: string;
}
interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const { cases } = JSON.parse(readFileSync('test/fixtures/bad/cases.json', 'utf8')) as { cases: Case[] };
const argsOf = (c: Case): string[] => ['run', ...c.args, '--format', 'ndjson'];

async function spawnCli(args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['host/bin.js', ...args], { encoding: 'utf8' });
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, exitCode: e.code };
  }
}

let outcomes: Outcome[] = [];

beforeAll(async () => {
  const child = execFile(process.execPath, ['--import', 'tsx', 'test/host/cli-batch.ts'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const done = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`cli-batch exited with ${code}`))));
  });
  child.stdin!.end(JSON.stringify(cases.map(argsOf)));
  outcomes = JSON.parse(await done) as Outcome[];
});

describe('bad input through the CLI', () => {
  it('has at least 30 cases, CSV files and option sets alike, with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.filter((c) => /\.csv:\d+:\d+$/.test(c.where)).length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => c.where.startsWith('--')).length).toBeGreaterThanOrEqual(20);
  });

  for (const [i, c] of cases.entries()) {
    it(`${c.name}: exits non-zero, names ${c.where}, trains nothing`, () => {
      const o = outcomes[i];
      expect(o.exitCode, o.stderr).toBe(1);
      expect(o.stderr).toContain(c.where);
      expect(o.stderr).toContain(c.expect);
      // Nothing on stdout: not a record, not a partial line.
      expect(o.stdout).toBe('');
      expect(o.stderr.split('\n').some((line) => parseRecord(line) !== null)).toBe(false);
      // One message, no stack trace.
      expect(o.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('a file:line:column message starts with the location, so editors and terminals can jump to it', () => {
    for (const [i, c] of cases.entries()) {
      if (/:\d+:\d+$/.test(c.where)) expect(outcomes[i].stderr.startsWith(`host: test/fixtures/bad/${c.where.split(':')[0]}`), c.name).toBe(true);
    }
  });

  it('gives the same outcome as separate `node host/bin.js` processes', async () => {
    const sample = ['javascript-cell', 'ragged-long', 'lr-dangling-exponent', 'unknown-option'].map((name) => cases.findIndex((c) => c.name === name));
    expect(sample.every((i) => i >= 0)).toBe(true);
    const real = await Promise.all(sample.map((i) => spawnCli(argsOf(cases[i]))));
    real.forEach((o, k) => expect(o).toEqual(outcomes[sample[k]]));
  });
});
