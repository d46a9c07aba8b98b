// `npx host ports`: the serial ports there are, with Picos and virtual Picos marked.
import type { Command } from 'commander';
import { listPorts, type PortInfo } from '../link/port.ts';

export function formatPorts(ports: PortInfo[]): string {
  if (ports.length === 0) {
    return 'no serial ports found. Plug the Pico in with a USB cable that carries data, or start a virtual one with `npx host sim`\n';
  }
  const rows = ports.map((p) => [
    p.path,
    p.sim ? 'virtual Pico' : p.pico ? 'Pico' : '',
    p.manufacturer ?? '',
    p.vendorId ? `${p.vendorId}:${p.productId ?? '????'}` : '',
  ]);
  const head = ['PORT', 'KIND', 'MANUFACTURER', 'USB ID'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return fmt(head) + rows.map(fmt).join('');
}

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
