// `npx host monitor`: attach to the board (without interrupting it) and show its runs live: a
// terminal plot of the loss and w, each run's records saved to its own run file as they arrive,
// every run after it too, until Ctrl-C (which stops a run in progress and leaves its file
// complete). The monitor becomes the board's hub: other commands go through it. --web also
// serves the live page.
import type { Command } from 'commander';
import { connectBoard } from '../board-session.ts';
import { addMonitorOptions, type MonitorCliOptions } from '../monitor/options.ts';
import { webSinks } from '../web/sinks.ts';
import { monitorBoard } from '../monitor/run-monitor.ts';
import { RunHistory } from '../monitor/history.ts';

export function register(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('watch the board train: live plot, one run file per run; other commands share the board through it; Ctrl-C stops training')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)');
  addMonitorOptions(cmd);
  cmd.action(async (opts: MonitorCliOptions & { port?: string }) => {
    const session = await connectBoard({ port: opts.port, hub: 'host monitor' });
    const history = new RunHistory();
    const web = await webSinks(opts, session, `pico-trainer · ${session.path}`, history);
    try {
      if (web.url) session.serving?.setWeb(web.url);
      const result = await monitorBoard(session, { out: opts.out, log: !!opts.log, plot: opts.plot !== false, sinks: web.sinks, follow: 'all', subtitle: web.url, history });
      process.exitCode = result.exitCode;
      if (result.reason === 'done') await web.hold();
    } finally {
      await web.close();
      await session.close();
    }
  });
}
