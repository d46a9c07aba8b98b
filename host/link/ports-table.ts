// The serial ports as a table for people (host ports).
import type { PortInfo } from './port.ts';
import { alignColumns } from '../text-table.ts';

export function formatPorts(ports: PortInfo[]): string {
  if (ports.length === 0) {
    return 'no serial ports found. Plug the Pico in with a USB cable that carries data, or start a virtual one with `npx host sim`\n';
  }
  const rows = ports.map((p) => [
    p.path,
    p.sim ? (p.runtime === 'espruino' ? 'virtual Espruino' : 'virtual Pico') : p.pico ? (p.runtime === 'espruino' ? 'Espruino' : 'Pico') : '',
    p.manufacturer ?? '',
    p.vendorId ? `${p.vendorId}:${p.productId ?? '????'}` : '',
  ]);
  const head = ['PORT', 'KIND', 'MANUFACTURER', 'USB ID'];
  return alignColumns([head, ...rows]).map((l) => l + '\n').join('');
}
