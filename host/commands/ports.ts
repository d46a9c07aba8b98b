// `npx host ports`: the serial ports there are, with Picos and virtual Picos marked.
import type { Command } from 'commander';
import { listPorts } from '../link/port.ts';
import { formatPorts } from '../link/ports-table.ts';

export function register(program: Command): void {
  program
    .command('ports')
    .description('list serial ports; Picos (USB vendor 2e8a) and running virtual Picos are marked')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const ports = await listPorts();
      process.stdout.write(opts.json ? JSON.stringify(ports, null, 2) + '\n' : formatPorts(ports));
    });
}
