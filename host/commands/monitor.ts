// `npx host monitor`: attach to the board (without interrupting it) and show its run live: a
// terminal plot of the loss and w, every record saved to a run file as it arrives, Ctrl-C stops
// the board's training and leaves the file complete. --web also serves the live page.
import type { Command } from 'commander';
import { connectBoard } from '../board-session.ts';
import { addMonitorOptions, type MonitorCliOptions } from '../monitor/options.ts';
import { webSinks } from '../web/sinks.ts';
import { monitorBoard } from '../monitor/run-monitor.ts';
import { defaultRunPath } from '../monitor/run-file.ts';

export function register(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('watch the board train: live plot, run file, Ctrl-C stops training')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)');
  addMonitorOptions(cmd);
  cmd.action(async (opts: MonitorCliOptions & { port?: string }) => {
    const session = await connectBoard(opts);
    const web = await webSinks(opts, session, `pico-trainer · ${session.path}`);
    try {
      const result = await monitorBoard(session, { out: opts.out ?? defaultRunPath('board'), log: !!opts.log, plot: opts.plot !== false, sinks: web.sinks });
      process.exitCode = result.exitCode;
      if (result.reason === 'done') await web.hold();
    } finally {
      await web.close();
      await session.close();
    }
  });
}
