// The options of every command that watches a run live (monitor, train --monitor, compare, surface):
// declared once here.
import type { Command } from 'commander';

export interface MonitorCliOptions {
  out?: string;
  log?: boolean;
  plot?: boolean;
  web?: boolean;
  host?: string;
  webPort?: string;
}

export function addMonitorOptions(cmd: Command): Command {
  return cmd
    .option('--out <run.ndjson>', 'run file for every record (default: runs/<time>-<optimizer>.ndjson)')
    .option('--log', 'plot the loss on a log scale')
    .option('--no-plot', 'print one text line per record instead of the live plot')
    .option('--web', 'also serve the live dashboard page')
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1: this computer only)')
    .option('--web-port <n>', 'dashboard port (default: a free one)');
}
