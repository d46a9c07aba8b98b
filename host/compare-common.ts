// What `compare` and `surface` share: the optimizer list (name[:lr]), opening one or several
// boards, and a folder for the run files of one comparison.
import { OPTIMIZERS, type OptimizerName } from '../shared/config.ts';
import { connectBoard, type BoardSession } from './board-session.ts';
import { UserError } from './errors.ts';
import { parseDecimal } from './csv.ts';

export interface OptimizerChoice {
  name: OptimizerName;
  /** A learning rate for this optimizer alone (`adam:0.05`), else undefined. */
  lr?: number;
}

/** "sgd,momentum:0.005,adam:0.05" → choices; names checked, each at most once. */
export function parseOptimizers(raw: string): OptimizerChoice[] {
  const seen = new Set<string>();
  return raw.split(',').map((part) => {
    const [name, lrText, extra] = part.trim().split(':');
    if (!OPTIMIZERS.includes(name as OptimizerName)) {
      throw new UserError(`--optimizers: unknown optimizer "${name}"; choose from ${OPTIMIZERS.join(', ')} (optionally name:lr, e.g. adam:0.05)`);
    }
    if (extra !== undefined) throw new UserError(`--optimizers: "${part}" has more than one ":"; write name or name:lr`);
    if (seen.has(part)) throw new UserError(`--optimizers: ${part} is listed twice`);
    seen.add(part);
    if (lrText === undefined) return { name: name as OptimizerName };
    const lr = parseDecimal(lrText);
    if (lr === null || !(lr > 0)) throw new UserError(`--optimizers: the learning rate in "${part}" must be a positive number`);
    return { name: name as OptimizerName, lr };
  });
}

export function collectPorts(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Opens every port given (or the one Pico when none is); closes what it opened if one fails. */
export async function connectBoards(ports: string[] | undefined): Promise<BoardSession[]> {
  const list = ports && ports.length > 0 ? ports : [undefined];
  const sessions: BoardSession[] = [];
  try {
    for (const port of list) sessions.push(await connectBoard({ port }));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
  return sessions;
}

/** runs/compare-2026-11-21T14-05-09/: one folder per comparison, one run file per optimizer. */
export function comparisonDir(kind: string, now = new Date()): string {
  return `runs/${kind}-${now.toISOString().slice(0, 19).replace(/:/g, '-')}`;
}
