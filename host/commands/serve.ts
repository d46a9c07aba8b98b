// `npx host serve`: hold the board for the class. This process becomes the board's hub: every
// other `npx host` command for that board (train, send, stop, pause, status, monitor, flash) goes
// through it, and the live page shows every run. It prints one line per run and notice, and keeps
// each run's records in its own file (a monitor that shows runs, not records), until Ctrl-C.
import type { Command } from 'commander';
import { connectBoard } from '../board-session.ts';
import { RunHistory } from '../monitor/history.ts';
import { monitorBoard } from '../monitor/run-monitor.ts';
import type { MonitorCliOptions } from '../monitor/options.ts';
import { webSinks } from '../web/sinks.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('hold the board for the class: other commands share it through this process, and the live page shows every run (Ctrl-C to quit)')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)')
    .option('--runs <dir>', 'folder for the run files (default: runs/)')
    .option('--host <address>', 'address the page listens on (default 127.0.0.1: this computer only)')
    .option('--web-port <n>', 'page port (default: a free one)')
    .option('--log', 'the loss chart starts on a log scale')
    .action(async (opts: MonitorCliOptions & { port?: string; runs?: string }) => {
      const session = await connectBoard({ port: opts.port, hub: 'host serve' });
      const history = new RunHistory();
      const web = await webSinks({ ...opts, web: true }, session, `pico-trainer · ${session.path}`, history);
      try {
        if (web.url) session.serving?.setWeb(web.url);
        process.stderr.write(`serving ${session.path}: other \`npx host\` commands for it go through this process${web.url ? `; page ${web.url}` : ''} (Ctrl-C to quit)\n`);
        await monitorBoard(session, { dir: opts.runs ?? 'runs', sinks: web.sinks, history, follow: 'all', view: 'runs', log: false, plot: false });
      } finally {
        await web.close();
        await session.close();
      }
    });
}
