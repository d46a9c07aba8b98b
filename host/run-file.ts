// Opening a run file for `--out` before any work starts, so that a bad path fails first, with a
// message that says why (host run, host distributed). Missing folders are created, as `host train
// --out` and `host monitor` do (monitor/run-file.ts).
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.ts';

export function openRunFile(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'its directory does not exist'
      : code === 'EISDIR' ? 'it is a directory'
      : code === 'ENOTDIR' || code === 'EEXIST' ? `${(err as NodeJS.ErrnoException).path ?? 'a folder in its path'} is a file, not a folder`
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : (err as Error).message;
    throw new UserError(`--out: cannot write ${path}: ${why}`);
  }
}
