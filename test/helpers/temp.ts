// Temporary folders for tests that remove themselves: `tempDir('pt-compare-')` at a test file's top
// level (or in a describe block) makes a fresh folder in the system's temp directory and deletes it,
// with everything written into it, once that file's (or block's) tests are done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
