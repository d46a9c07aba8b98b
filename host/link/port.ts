// Finding and opening the board's serial port, with errors that say what to do.
import { readFile, readdir } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { UserError } from '../errors.ts';
import { findRunningSimEntries } from '../sim-registry.ts';

/** USB vendor id of the Raspberry Pi Pico (Raspberry Pi Ltd). */
export const PICO_VENDOR_ID = '2e8a';

export interface PortInfo {
  path: string;
  manufacturer?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  /** A board this tool trains on: USB vendor id 2e8a (a Raspberry Pi Pico, with Kaluma or Espruino's RP2040 port), or 0483:5740 (an Espruino board's USB serial). */
  pico: boolean;
  /** A virtual board started by `npx host sim`. */
  sim: boolean;
  /** The virtual board's runtime (`npx host sim --runtime`), or 'espruino' for a board with Espruino's USB id. */
  runtime?: 'kaluma' | 'espruino';
}

/** The USB ids an Espruino board (Pico, WiFi, Original) shows for its console. */
const ESPRUINO_USB = { vendorId: '0483', productId: '5740' };

/** Whether USB ids belong to a board: a Raspberry Pi Pico, or an Espruino board. */
function boardIds(vendorId: string | undefined, productId: string | undefined): Pick<PortInfo, 'pico' | 'runtime'> {
  if (vendorId === PICO_VENDOR_ID) return { pico: true };
  if (vendorId === ESPRUINO_USB.vendorId && productId === ESPRUINO_USB.productId) return { pico: true, runtime: 'espruino' };
  return { pico: false };
}

function normaliseId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const s = id.trim().toLowerCase().replace(/^0x/, '');
  return s === '' ? undefined : s;
}

/**
 * Ports from serialport's list. On machines without udev (containers) the list spawns
 * `udevadm` and fails; then /dev/ttyACM* is scanned and vendor ids are read from sysfs.
 */
export async function listSerialPorts(): Promise<PortInfo[]> {
  try {
    const found = await SerialPort.list();
    return found.map((p) => {
      const vendorId = normaliseId(p.vendorId);
      const productId = normaliseId(p.productId);
      return { path: p.path, manufacturer: p.manufacturer, vendorId, productId, serialNumber: p.serialNumber, ...boardIds(vendorId, productId), sim: false };
    });
  } catch {
    return scanDevAcm();
  }
}

async function readSysId(sysDir: string, device: string, file: string): Promise<string | undefined> {
  // /sys/class/tty/ttyACM0/device is the USB interface; its parent holds the ids.
  for (const dir of [`${sysDir}/${device}/device/..`, `${sysDir}/${device}/device`]) {
    try {
      return (await readFile(`${dir}/${file}`, 'utf8')).trim();
    } catch {
      // not there: try the next place
    }
  }
  return undefined;
}

/** The fallback: every /dev/ttyACM*, with ids from sysfs where the kernel exposes them. */
export async function scanDevAcm(devDir = '/dev', sysDir = '/sys/class/tty'): Promise<PortInfo[]> {
  let names: string[];
  try {
    names = (await readdir(devDir)).filter((n) => /^ttyACM\d+$/.test(n));
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const out: PortInfo[] = [];
  for (const name of names) {
    const vendorId = normaliseId(await readSysId(sysDir, name, 'idVendor'));
    const productId = normaliseId(await readSysId(sysDir, name, 'idProduct'));
    out.push({
      path: `${devDir}/${name}`,
      manufacturer: await readSysId(sysDir, name, 'manufacturer'),
      vendorId,
      productId,
      serialNumber: await readSysId(sysDir, name, 'serial'),
      ...boardIds(vendorId, productId),
      sim: false,
    });
  }
  return out;
}

/** Paths of running virtual Picos (`npx host sim`); never fails a listing. */
export async function findSims(): Promise<{ path: string; runtime: 'kaluma' | 'espruino'; serial?: string }[]> {
  try {
    return findRunningSimEntries();
  } catch {
    return [];
  }
}

/** Every port a command could use: serial ports first, then running virtual Picos. */
export async function listPorts(): Promise<PortInfo[]> {
  const [serial, sims] = await Promise.all([listSerialPorts(), findSims()]);
  const out = serial.slice();
  for (const { path, runtime, serial } of sims) {
    const known = out.find((p) => p.path === path);
    if (known) known.sim = true;
    else out.push({ path, manufacturer: `pico-trainer virtual ${runtime === 'espruino' ? 'Espruino' : 'Pico'}`, pico: false, sim: true, runtime, ...(serial ? { serialNumber: serial } : {}) });
  }
  return out;
}

/**
 * The port to use when --port is not given: the one Pico, else the one running virtual Pico.
 * Several candidates, or none, is an error that lists what there is and what to do.
 */
export async function choosePort(explicit?: string, list: () => Promise<PortInfo[]> = listPorts): Promise<string> {
  if (explicit) return explicit;
  const ports = await list();
  const picos = ports.filter((p) => p.pico);
  if (picos.length === 1) return picos[0].path;
  if (picos.length > 1) {
    throw new UserError(`several Picos are connected: ${picos.map((p) => p.path).join(', ')}. Choose one with --port (\`npx host ports\` lists them)`);
  }
  const sims = ports.filter((p) => p.sim);
  if (sims.length === 1) return sims[0].path;
  if (sims.length > 1) {
    throw new UserError(`several virtual Picos are running: ${sims.map((p) => p.path).join(', ')}. Choose one with --port`);
  }
  const others = ports.length > 0 ? ` (other serial ports: ${ports.map((p) => p.path).join(', ')}; pass one with --port if it is the board)` : '';
  throw new UserError(`no Pico found${others}. Plug the Pico (or an Espruino board) in with a USB cable that carries data (some only charge), or start a virtual one with \`npx host sim\` (\`--runtime espruino\` for an Espruino)`);
}

/** Turns the errors serialport gives when opening into messages a student can act on. */
export function describeOpenError(path: string, err: unknown): UserError {
  const e = err as { message?: string; code?: string };
  const msg = String(e?.message ?? err);
  if (e?.code === 'EACCES' || /permission denied|EACCES/i.test(msg)) {
    return new UserError(`Permission denied on ${path}: add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in`);
  }
  if (e?.code === 'ENOENT' || /no such file|ENOENT/i.test(msg)) {
    return new UserError(`no such port ${path}: run \`npx host ports\` to see the ports there are`);
  }
  if (e?.code === 'ENOTTY' || /inappropriate ioctl|ENOTTY/i.test(msg)) {
    // A regular file or /dev/null opens, but it takes no serial settings.
    return new UserError(`${path} is not a serial port (it takes no serial settings): give the board's port, such as /dev/ttyACM0; \`npx host ports\` lists them`);
  }
  if (e?.code === 'EISDIR' || /is a directory|EISDIR/i.test(msg)) {
    return new UserError(`${path} is a folder, not a serial port: give the board's port, such as /dev/ttyACM0; \`npx host ports\` lists them`);
  }
  if (e?.code === 'EBUSY' || /cannot lock|resource temporarily unavailable|busy|EBUSY|EAGAIN/i.test(msg)) {
    return new UserError(`${path} is busy: another program has it open (a serial monitor, Thonny, \`screen\`?). Close it and try again (an \`npx host\` monitor, page or serve would have shared it)`);
  }
  return new UserError(`cannot open ${path}: ${msg.replace(/^Error:\s*/, '')}`);
}

export interface OpenOptions {
  baudRate?: number;
  /** Lock the port (serialport's default); tests against a pty may turn it off. */
  lock?: boolean;
}

/** Opens `path` (USB CDC ignores the baud rate) and asserts DTR, without which Kaluma drops output. */
export async function openPort(path: string, opts: OpenOptions = {}): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? 115200, autoOpen: false, lock: opts.lock ?? true });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(describeOpenError(path, err)) : resolve())));
  await new Promise<void>((resolve) => {
    // A pseudo-terminal has no modem lines; that is fine.
    port.set({ dtr: true, rts: true }, () => resolve());
  });
  return port;
}
