// `--out` of host run and host distributed: missing folders are created (as host train --out
// does), and a path that cannot be written fails before any work, saying why.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRunFile } from '../../host/run-file.ts';
import { host } from '../e2e/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const tmp = tempDir('pt-run-file-');

describe('openRunFile', () => {
  it('creates the missing folders of the path', () => {
    const out = join(tmp, 'a', 'b', 'run.ndjson');
    expect(openRunFile(out)).toBeGreaterThan(2);
    expect(existsSync(out)).toBe(true);
  });

  it('says which file is in the way, and refuses a folder', () => {
    const file = join(tmp, 'file');
    writeFileSync(file, '');
    expect(() => openRunFile(join(file, 'run.ndjson'))).toThrow(`--out: cannot write ${file}/run.ndjson: ${file} is a file, not a folder`);
    expect(() => openRunFile(join(file, 'x', 'run.ndjson'))).toThrow(`--out: cannot write ${file}/x/run.ndjson: cannot create the folder ${file}/x: ${file} is a file, not a folder`);
    expect(() => openRunFile(tmp)).toThrow(`--out: cannot write ${tmp}: it is a directory`);
  });

  it('host run and host distributed --out into folders that do not exist yet', async () => {
    const one = join(tmp, 'new', 'run.ndjson');
    const r = await host(['run', '--data', 'test/fixtures/data/seed.csv', '--epochs', '2', '--out', one]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(one, 'utf8')).toBe(r.stdout);
    const two = join(tmp, 'new2', 'deeper', 'run.ndjson');
    const d = await host(['distributed', '--algorithm', 'sync', '--data', 'test/fixtures/data/two-features.csv', '--epochs', '2', '--out', two]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(two, 'utf8')).toMatch(/"type":"done"/);
  });
});
