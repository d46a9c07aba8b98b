import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SerialPort } from 'serialport';
import { choosePort, describeOpenError, listSerialPorts, openPort, scanDevAcm, type PortInfo } from '../../host/link/port.ts';
import { formatPorts } from '../../host/link/ports-table.ts';
import { UserError } from '../../host/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pt-port-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pico = (path: string): PortInfo => ({ path, vendorId: '2e8a', productId: '0005', manufacturer: 'Raspberry Pi', pico: true, sim: false });
const other = (path: string): PortInfo => ({ path, vendorId: '0403', productId: '6001', pico: false, sim: false });
const sim = (path: string): PortInfo => ({ path, pico: false, sim: true });
const list = (ports: PortInfo[]) => async () => ports;

describe('choosePort', () => {
  it('takes --port as given', async () => {
    expect(await choosePort('/dev/ttyUSB9', list([]))).toBe('/dev/ttyUSB9');
  });

  it('picks the one Pico among other ports', async () => {
    expect(await choosePort(undefined, list([other('/dev/ttyUSB0'), pico('/dev/ttyACM1')]))).toBe('/dev/ttyACM1');
  });

  it('prefers a real Pico to a virtual one', async () => {
    expect(await choosePort(undefined, list([sim('/dev/pts/7'), pico('/dev/ttyACM0')]))).toBe('/dev/ttyACM0');
  });

  it('asks for --port when several Picos are connected, listing them', async () => {
    const err = await choosePort(undefined, list([pico('/dev/ttyACM0'), pico('/dev/ttyACM1')])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/several Picos.*\/dev\/ttyACM0, \/dev\/ttyACM1.*--port/);
  });

  it('falls back to the one running virtual Pico', async () => {
    expect(await choosePort(undefined, list([other('/dev/ttyS0'), sim('/dev/pts/3')]))).toBe('/dev/pts/3');
  });

  it('with nothing there, says what to do', async () => {
    const err = (await choosePort(undefined, list([])).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/no Pico found/);
    expect(err.message).toMatch(/carries data/);
    expect(err.message).toMatch(/npx host sim/);
  });
});

describe('describeOpenError', () => {
  it('permission: the dialout group', () => {
    expect(describeOpenError('/dev/ttyACM0', new Error('Error: Permission denied, cannot open /dev/ttyACM0')).message).toBe(
      'Permission denied on /dev/ttyACM0: add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in',
    );
  });
  it('missing: no such port, run ports', () => {
    expect(describeOpenError('/dev/ttyACM7', new Error('Error: No such file or directory, cannot open /dev/ttyACM7')).message).toMatch(/no such port \/dev\/ttyACM7.*npx host ports/);
  });
  it('locked: another program has it', () => {
    expect(describeOpenError('/dev/ttyACM0', new Error('Error Resource temporarily unavailable Cannot lock port')).message).toMatch(/another program has it open/);
  });
  it('really opening a missing path gives the same message', async () => {
    const err = (await openPort(join(tmp, 'ttyACM99')).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/no such port/);
  });
});

describe('scanDevAcm (no udevadm)', () => {
  it('lists /dev/ttyACM* in number order with vendor ids from sysfs', async () => {
    const dev = join(tmp, 'dev');
    const sys = join(tmp, 'sys');
    mkdirSync(dev);
    for (const n of ['ttyACM10', 'ttyACM2', 'ttyS0', 'ttyACM0']) writeFileSync(join(dev, n), '');
    // sysfs: <tty>/device is the USB interface; the ids live one level up.
    mkdirSync(join(sys, 'ttyACM0', 'device'), { recursive: true });
    writeFileSync(join(sys, 'ttyACM0', 'idVendor'), '2e8a\n');
    writeFileSync(join(sys, 'ttyACM0', 'idProduct'), '0005\n');
    mkdirSync(join(sys, 'ttyACM2', 'device'), { recursive: true });
    writeFileSync(join(sys, 'ttyACM2', 'idVendor'), '0403\n');
    const ports = await scanDevAcm(dev, sys);
    expect(ports.map((p) => [p.path.slice(dev.length + 1), p.vendorId ?? null, p.pico])).toEqual([
      ['ttyACM0', '2e8a', true],
      ['ttyACM2', '0403', false],
      ['ttyACM10', null, false],
    ]);
  });

  it('listSerialPorts falls back to the scan when SerialPort.list() fails (spawn udevadm ENOENT)', async () => {
    const spy = vi.spyOn(SerialPort, 'list').mockRejectedValue(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' }));
    try {
      const ports = await listSerialPorts();
      expect(spy).toHaveBeenCalled();
      expect(ports).toEqual(await scanDevAcm());
    } finally {
      spy.mockRestore();
    }
  });

  it('is empty when the directory cannot be read', async () => {
    expect(await scanDevAcm(join(tmp, 'nowhere'))).toEqual([]);
  });
});

describe('formatPorts', () => {
  it('marks Picos and virtual Picos', () => {
    const text = formatPorts([pico('/dev/ttyACM0'), other('/dev/ttyUSB0'), sim('/dev/pts/4')]);
    const rows = text.trim().split('\n');
    expect(rows[0]).toMatch(/^PORT\s+KIND\s+MANUFACTURER\s+USB ID$/);
    expect(rows[1]).toMatch(/^\/dev\/ttyACM0\s+Pico\s+Raspberry Pi\s+2e8a:0005$/);
    expect(rows[2]).toMatch(/^\/dev\/ttyUSB0\s+0403:6001$/);
    expect(rows[3]).toMatch(/^\/dev\/pts\/4\s+virtual Pico$/);
  });
});

describe('Espruino boards', () => {
  it("are found by their USB ids (0483:5740) and listed as Espruino", async () => {
    const { formatPorts } = await import('../../host/link/ports-table.ts');
    const { choosePort } = await import('../../host/link/port.ts');
    const ports = [
      { path: '/dev/ttyACM0', vendorId: '0483', productId: '5740', manufacturer: 'STMicroelectronics', pico: true, sim: false, runtime: 'espruino' as const },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', pico: false, sim: false },
    ];
    expect(await choosePort(undefined, async () => ports)).toBe('/dev/ttyACM0');
    expect(formatPorts(ports)).toMatch(/\/dev\/ttyACM0\s+Espruino\s+STMicroelectronics\s+0483:5740/);
  });
});
