// The registry of running simulators: how `npx host send` finds `npx host sim` from another terminal.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findRunningSimEntries, findRunningSims, registerSim, registryFile, unregisterSim } from '../../host/sim-registry.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { SerialSession } from './serial-session.ts';

// Each test run gets its own temp directory, so the registry of a real `npx host sim` is not touched.
const realTmp = process.env.TMPDIR;
const dir = mkdtempSync(join(tmpdir(), 'pt-sim-registry-'));
beforeAll(() => {
  process.env.TMPDIR = dir;
});
afterAll(() => {
  if (realTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = realTmp;
  rmSync(dir, { recursive: true, force: true });
});

let pico: VirtualPico | null = null;
afterEach(async () => {
  await pico?.close();
  pico = null;
});

describe('registry', () => {
  it('lives in the temp directory', () => {
    expect(registryFile()).toBe(join(dir, 'pico-trainer-sims.json'));
  });

  it('lists a registered simulator while it runs, and forgets it when it closes', async () => {
    pico = await startVirtualPico({ register: true });
    expect(findRunningSims()).toContain(pico.path);
    const path = pico.path;
    await pico.close();
    pico = null;
    expect(findRunningSims()).not.toContain(path);
  });

  it('keeps a simulator\'s serial number across an unplug and a replug, as a USB board keeps its own', async () => {
    pico = await startVirtualPico({ register: true });
    const serial = pico.serial;
    expect(findRunningSimEntries()).toContainEqual({ path: pico.path, runtime: 'kaluma', serial });
    await pico.unplug();
    expect(findRunningSimEntries().filter((e) => e.serial === serial)).toEqual([]);
    const path = await pico.replug();
    expect(findRunningSimEntries().filter((e) => e.serial === serial)).toEqual([{ path, runtime: 'kaluma', serial }]);
  });

  it('ignores entries whose process is gone or whose port does not exist', async () => {
    writeFileSync(
      registryFile(),
      JSON.stringify([
        { path: '/dev/null', pid: 2 ** 22 + 12345 }, // no such process
        { path: '/dev/pts/does-not-exist', pid: process.pid },
        { path: '/dev/null', pid: process.pid },
      ]),
    );
    expect(findRunningSims()).toEqual(['/dev/null']);
  });

  it('survives a missing or broken file', async () => {
    writeFileSync(registryFile(), '{not json');
    expect(findRunningSims()).toEqual([]);
    await registerSim('/dev/null');
    expect(findRunningSims()).toEqual(['/dev/null']);
    await unregisterSim('/dev/null');
    expect(findRunningSims()).toEqual([]);
  });
});

describe('npx host sim', () => {
  it('prints its port, registers it, answers on it, and cleans up on Ctrl-C', async () => {
    const bin = resolve(import.meta.dirname, '../../host/bin.js');
    const child = spawn(process.execPath, [bin, 'sim', '--blank'], { env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const path = await new Promise<string>((res, rej) => {
      child.stdout.on('data', () => {
        const m = / on (\/dev\/\S+)\n/.exec(out);
        if (m) res(m[1]);
      });
      child.on('exit', (code) => rej(new Error(`host sim exited (${code}): ${out}`)));
    });
    expect(out).toContain(`npx host flash --port ${path}`);
    expect(JSON.parse(readFileSync(registryFile(), 'utf8'))).toContainEqual({ path, pid: child.pid });

    const s = await SerialSession.open(path);
    expect(await s.send('.hi', 'Type')).toContain('Welcome to Kaluma v1.2.1');
    await s.close();

    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Virtual Pico stopped.');
    expect(findRunningSims()).not.toContain(path);
  });
});
