// Temporary folders for tests that remove themselves: `tempDir('pt-compare-')` makes a fresh folder
// in the system's temp directory and deletes it, with everything written into it, once the test
// that asked for it has finished (inside a test) or once the tests of its file or describe block
// are done (at the top level of a file or block). A folder whose hooks never ran (a skipped block)
// goes when the test process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished, TestRunner } from 'vitest';

const left = new Set<string>();

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  left.delete(dir);
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (left.size === 0) process.once('exit', () => [...left].forEach(remove));
  left.add(dir);
  if (TestRunner.getCurrentTest()) onTestFinished(() => remove(dir));
  else afterAll(() => remove(dir));
  return dir;
}
