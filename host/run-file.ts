// Opening a run file for `--out` before any work starts, so that a bad path fails first, with a
// message that says why (host run, host distributed). Missing folders are created, as `host train
// --out` and `host monitor` do (monitor/run-file.ts).
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.ts';

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EROFS') return 'the file system is read-only';
  return e.message;
}

/**
 * Creates the folders of `dir` that do not exist yet, from the top down. (Not mkdirSync's
 * `recursive`: on some file systems, /proc for one, Node 20's loops forever on ENOENT.)
 */
function makeFolders(path: string, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.push(d);
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOTDIR' ? `${dirname(d)} is a file, not a folder` : reason(err);
      throw new UserError(`--out: cannot write ${path}: cannot create the folder ${d}: ${why}`);
    }
  }
}

export function openRunFile(path: string): number {
  makeFolders(path, dirname(path));
  try {
    return openSync(path, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOTDIR' ? `${dirname(path)} is a file, not a folder` : reason(err);
    throw new UserError(`--out: cannot write ${path}: ${why}`);
  }
}
