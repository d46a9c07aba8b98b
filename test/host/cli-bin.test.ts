// The `pico-trainer` bin beside `host` (`npx host` outside the project finds an unrelated npm
// package of that name), `--version`, and the program's name in help and error lines.
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { programName } from '../../host/program.ts';
import { ROOT } from '../e2e/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

async function outcome(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file, ...args], { cwd, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the bins', () => {
  it('declares pico-trainer beside host, the same program', () => {
    expect(pkg.bin).toEqual({ host: 'host/bin.js', 'pico-trainer': 'host/bin.js' });
  });

  it('`node host/bin.js --version` prints the version of package.json', async () => {
    const r = await outcome('host/bin.js', ['--version'], ROOT);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('names itself after the bin it was run as, from any folder', async () => {
    const elsewhere = tempDir('pt-bin-');
    const bin = join(elsewhere, 'pico-trainer'); // what npm links into node_modules/.bin
    symlinkSync(join(ROOT, 'host/bin.js'), bin);
    const help = await outcome(bin, ['--help'], elsewhere);
    expect(help.stdout).toMatch(/^Usage: pico-trainer \[options\] \[command\]/);
    expect((await outcome(bin, ['-V'], elsewhere)).stdout).toBe(`${pkg.version}\n`);
    const missing = await outcome(bin, ['run', '--data', 'nope.csv'], elsewhere);
    expect(missing).toMatchObject({ code: 1, stderr: 'pico-trainer: nope.csv: no such file; check the path\n' });
    const trained = await outcome(bin, ['run', '--data', join(ROOT, 'test/fixtures/data/seed.csv'), '--epochs', '3', '--format', 'text'], elsewhere);
    expect(trained.stdout).toMatch(/^Done: 3 epochs\./m);
    expect((await outcome('host/bin.js', ['run', '--data', 'nope.csv'], ROOT)).stderr).toBe('host: nope.csv: no such file; check the path\n');
  });

  it('programName: pico-trainer for that bin (and its Windows shims), host otherwise', () => {
    expect(programName('/x/node_modules/.bin/pico-trainer')).toBe('pico-trainer');
    expect(programName('C:\\x\\node_modules\\.bin\\pico-trainer.cmd'.replace(/\\/g, '/'))).toBe('pico-trainer');
    expect(programName('/x/node_modules/.bin/host')).toBe('host');
    expect(programName('/work/main/host/bin.js')).toBe('host');
    expect(programName('')).toBe('host');
  });
});
