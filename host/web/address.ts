// Where the class finds the live page: when it listens beyond this computer (--host 0.0.0.0 or a
// network address), the addresses to type, and a QR code of the first, for the terminal and the page.
import QRCode from 'qrcode';
import { localAddresses } from './server.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** True when the page is reachable from other computers. */
export function beyondLoopback(host: string): boolean {
  return !LOOPBACK.has(host);
}

/** The page's addresses for the class: every network address of this computer (or the one given). */
export function classroomUrls(host: string, port: number): string[] {
  if (!beyondLoopback(host)) return [];
  const hosts = host === '0.0.0.0' || host === '::' ? localAddresses() : [host];
  return hosts.map((h) => (h.includes(':') ? `http://[${h}]:${port}/` : `http://${h}:${port}/`));
}

/** A QR code of `url` drawn with block characters, for a terminal. */
export function qrForTerminal(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'terminal', small: true });
}

/** A QR code of `url` as SVG, for the page. */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', margin: 1 });
}
