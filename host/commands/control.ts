// `npx host stop | pause | resume | status`: one command to the board (through its hub when a
// monitor, a page or `npx host serve` holds it), and one line about what happened.
import type { Command } from 'commander';
import { formatF32 } from '../../shared/protocol.ts';
import { connectBoard, runInProgress, runName } from '../board-session.ts';

const PORT = ['-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)'] as const;

export function register(program: Command): void {
  program
    .command('stop')
    .description("stop the board's run (its run file, where a monitor keeps one, ends complete)")
    .option(...PORT)
    .action(async (opts: { port?: string }) => {
      const session = await connectBoard(opts);
      try {
        if (!runInProgress(session.status)) {
          process.stdout.write(`nothing to stop: the board on ${session.path} is ${session.status.state}\n`);
          return;
        }
        await session.link.sendCommand({ op: 'stop' });
        process.stdout.write(`stopped ${runName(session.status)} on ${session.path}\n`);
      } finally {
        await session.close();
      }
    });
  for (const op of ['pause', 'resume'] as const) {
    program
      .command(op)
      .description(op === 'pause' ? "pause the board's run (resume goes on from the same point)" : "resume the board's paused run")
      .option(...PORT)
      .action(async (opts: { port?: string }) => {
        const session = await connectBoard(opts);
        try {
          if (!runInProgress(session.status)) {
            process.stdout.write(`nothing to ${op}: the board on ${session.path} is ${session.status.state}\n`);
            return;
          }
          await session.link.sendCommand({ op });
          process.stdout.write(`${op === 'pause' ? 'paused' : 'resumed'} ${runName(session.status)} on ${session.path}\n`);
        } finally {
          await session.close();
        }
      });
  }
  program
    .command('status')
    .description('what the board is doing: its run, its data, its memory')
    .option(...PORT)
    .option('--json', 'print the status record')
    .action(async (opts: { port?: string; json?: boolean }) => {
      const session = await connectBoard(opts);
      try {
        const st = await session.link.status();
        if (opts.json) {
          process.stdout.write(JSON.stringify(st) + '\n');
          return;
        }
        const c = st.config;
        const run = runInProgress(st) || st.state === 'done' ? `${runName(st)}${c && st.state !== 'walking' ? `: ${c.optimizer}, lr ${formatF32(c.lr)}, ${c.epochs} epochs` : ''}` : 'no run';
        const via = session.via === 'hub' && session.hub ? `; shared through ${session.hub.command} (pid ${session.hub.pid})${session.hub.web ? `, page ${session.hub.web}` : ''}` : '';
        process.stdout.write(
          `${session.path}${st.runtime ? ` (${st.runtime})` : ''}: ${st.state}, ${run}; data ${st.samples} samples × ${st.features} feature${st.features === 1 ? '' : 's'}; heap ${st.heap.used} of ${st.heap.total} bytes used${via}\n`,
        );
      } finally {
        await session.close();
      }
    });
}
