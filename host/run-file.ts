// Opening a run file for `--out` before any work starts, so that a bad path fails first, with a
// message that says why (host run, host distributed).
import { openSync } from 'node:fs';
import { UserError } from './errors.ts';

export function openRunFile(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UserError(`--out: cannot write ${path}: ${why}`);
  }
}
