// `npx host train [options]`: send the training settings to the board and start it. With
// --monitor (or --web) it stays attached and shows the run as `host monitor` does; --data sends a
// dataset first. The options are exactly `host run`'s.
import type { Command } from 'commander';
import { formatF32 } from '../../shared/protocol.ts';
import { announceEnd, connectBoard } from '../board-session.ts';
import { readDataset } from '../csv.ts';
import { UserError } from '../errors.ts';
import { monitorBoard } from '../monitor/run-monitor.ts';
import { addTrainOptions, configFromOptions } from '../options.ts';
import { uploadToBoard } from '../upload.ts';
import { addMonitorOptions, type MonitorCliOptions } from '../monitor/options.ts';
import { webSinks } from '../web/sinks.ts';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('start training on the board with the same options as `host run`')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)')
    .option('--data <file.csv>', 'send this dataset first (as `host send`)')
    .option('--monitor', 'stay attached and show the run live (as `host monitor`)');
  addMonitorOptions(cmd);
  addTrainOptions(cmd);
  cmd.action(async (opts: MonitorCliOptions & { port?: string; data?: string; monitor?: boolean }) => {
    const data = opts.data ? readDataset(opts.data) : null;
    const watching = !!opts.monitor || !!opts.web;
    const session = await connectBoard({ port: opts.port, hub: watching ? 'host train --monitor' : undefined });
    try {
      const features = data ? data.features : session.status.features;
      if (!data && session.status.samples === 0) {
        throw new UserError(`there is no dataset on the board at ${session.path}: send one first with \`npx host send FILE.csv\` (or add --data FILE.csv)`);
      }
      // Everything is checked before the board is touched: a bad option ends no run.
      const cfg = configFromOptions(opts, features);
      await announceEnd(session, data ? 'to send new data and start this one' : 'to start this one');
      if (data && opts.data) await uploadToBoard(session, data, opts.data);
      await session.link.sendCommand({ op: 'config', config: cfg as unknown as Record<string, unknown> });
      const start = () => session.link.sendCommand({ op: 'start' }).then(() => undefined);
      const summary = `${cfg.optimizer}, lr ${formatF32(cfg.lr)}, ${cfg.batch === 0 ? 'full batch' : `batch ${cfg.batch}`}, ${cfg.epochs} epochs`;
      if (!watching) {
        await start();
        const st = await session.link.status();
        process.stdout.write(`Training run ${st.run ?? '?'} started on ${session.path} (${summary}). Watch it with: npx host monitor\n`);
        return;
      }
      const web = await webSinks(opts, session, `pico-trainer · ${summary}`);
      try {
        if (web.url) session.serving?.setWeb(web.url);
        const result = await monitorBoard(session, {
          subtitle: web.url,
          out: opts.out,
          log: !!opts.log,
          plot: opts.plot !== false,
          sinks: web.sinks,
          ready: start,
          follow: 'one',
        });
        process.exitCode = result.exitCode;
        if (result.reason === 'done') await web.hold();
      } finally {
        await web.close();
      }
    } finally {
      await session.close();
    }
  });
}
