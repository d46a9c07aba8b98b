// `npx host flash` as a user runs it, against the virtual Pico: exit code and messages.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware } from '../../host/build/firmware.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = resolve(ROOT, 'test/fixtures/link');
const tmp = mkdtempSync(join(tmpdir(), 'pt-flash-cli-'));
let okJs = '';
let throwsJs = '';

beforeAll(async () => {
  okJs = (await buildFirmware({ entry: join(FIX, 'ok-main.ts'), outfile: join(tmp, 'ok.js') })).outfile;
  throwsJs = (await buildFirmware({ entry: join(FIX, 'throws.ts'), outfile: join(tmp, 'throws.js') })).outfile;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let sim: VirtualPico | null = null;
afterEach(async () => {
  if (sim) await sim.close();
  sim = null;
});

function host(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'host/bin.js'), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('host flash', () => {
  it('flashes, checks Done and the hello, prints what the firmware says, exits 0', async () => {
    sim = await startVirtualPico();
    const res = await host(['flash', '--port', sim.path, '--file', okJs]);
    expect(res.stderr).not.toMatch(/host:/);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^flashed .*ok\.js \(\d+ bytes\) to /m);
    expect(res.stdout).toMatch(/firmware fixture on kaluma, protocol \d+; capacity 1 samples × 1 features/);
  });

  it('a program that throws at start: non-zero exit and the traced error', async () => {
    sim = await startVirtualPico();
    const res = await host(['flash', '--port', sim.path, '--file', throwsJs]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/host: the program was stored but stopped with an error/);
    expect(res.stderr).toMatch(/at test\/fixtures\/link\/ok-lib\.ts:7/);
  });

  it('a port that does not exist: non-zero exit, says to run `host ports`', async () => {
    const res = await host(['flash', '--port', join(tmp, 'ttyACM9'), '--file', okJs]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/no such port .*npx host ports/);
  });
});

describe('host ports', () => {
  it('lists a running virtual Pico as such', async () => {
    sim = await startVirtualPico({ register: true });
    const res = await host(['ports']);
    expect(res.code).toBe(0);
    const row = res.stdout.split('\n').find((l) => l.startsWith(sim!.path + ' '));
    expect(row).toMatch(/virtual Pico/);
    const json = JSON.parse((await host(['ports', '--json'])).stdout) as { path: string; sim: boolean }[];
    expect(json.find((p) => p.path === sim!.path)?.sim).toBe(true);
  });
});
