// End to end through serialport and a pseudo-terminal: the virtual Pico (host/sim) with Kaluma's
// REPL and YMODEM receiver, the real flash procedure, and the real firmware.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware, type BuildResult } from '../../host/build/firmware.ts';
import { BundleTracer, traceBoardLines } from '../../host/build/trace.ts';
import { BoardLink } from '../../host/link/board.ts';
import { LinkClosedError, WrongBoardError } from '../../host/link/errors.ts';
import { FlashError, flashProgram } from '../../host/link/flash.ts';
import { openPort } from '../../host/link/port.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { resolveConfig } from '../../shared/config.ts';

const FIX = resolve(import.meta.dirname, '../fixtures/link');
const tmp = mkdtempSync(join(tmpdir(), 'pt-e2e-'));
let fixture: BuildResult;
let throws: BuildResult;
let firmware: BuildResult;

beforeAll(async () => {
  fixture = await buildFirmware({ entry: join(FIX, 'ok-main.ts'), outfile: join(tmp, 'ok.js') });
  throws = await buildFirmware({ entry: join(FIX, 'throws.ts'), outfile: join(tmp, 'throws.js') });
  firmware = await buildFirmware({ outfile: join(tmp, 'firmware.js') });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let sim: VirtualPico | null = null;
let link: BoardLink | null = null;
afterEach(async () => {
  if (link) await link.close();
  if (sim) await sim.close();
  link = null;
  sim = null;
});

async function connect(program?: string): Promise<{ sim: VirtualPico; link: BoardLink }> {
  sim = await startVirtualPico(program === undefined ? {} : { program });
  link = new BoardLink(await openPort(sim.path));
  return { sim, link };
}

const bytes = (code: string): Uint8Array => new TextEncoder().encode(code);

describe('flash onto the virtual Pico', () => {
  it('flashes a program, sees Done, loads it and receives its hello', async () => {
    const { sim, link } = await connect();
    const progress: number[] = [];
    const hello = await flashProgram(link, bytes(fixture.code), { onProgress: (s) => progress.push(s) });
    expect(hello.firmware).toBe('fixture');
    expect(sim.storedProgram()).toBe(fixture.code);
    expect(progress[progress.length - 1]).toBe(fixture.bytes);
  });

  it('recovers from corrupted blocks', async () => {
    const { sim, link } = await connect();
    sim.corruptNextFlashBlocks(2);
    const hello = await flashProgram(link, bytes(firmware.code));
    expect(hello.protocol).toBe(PROTOCOL_VERSION);
    expect(sim.storedProgram()).toBe(firmware.code);
  });

  it('fails when blocks never get through', async () => {
    const { sim, link } = await connect(fixture.code);
    sim.corruptNextFlashBlocks(1000);
    const err = await flashProgram(link, bytes(firmware.code), { blockTimeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).stage).toBe('transfer');
  });

  it('fails when the board cancels (flash write error)', async () => {
    const { sim, link } = await connect();
    sim.failNextFlashWrite();
    const err = await flashProgram(link, bytes(fixture.code)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).message).toMatch(/cancel|Verification failed/);
  });

  it('fails when the program stops with an error after .load, naming the TypeScript line', async () => {
    const { link } = await connect();
    const tracer = BundleTracer.load(throws.mapfile);
    const err = await flashProgram(link, bytes(throws.code), { traceLines: (l) => traceBoardLines(l, tracer) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).stage).toBe('load');
    expect((err as Error).message).toMatch(/boom from the fixture/);
    expect((err as Error).message).toMatch(/test\/fixtures\/link\/ok-lib\.ts:7/);
  });
});

describe('probe and upload against the real firmware', () => {
  it('a blank board is Kaluma without the firmware', async () => {
    const { link } = await connect();
    await link.prepare({ interrupt: true });
    const err = await link.expectFirmware('sim').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongBoardError);
    expect((err as WrongBoardError).kind).toBe('no-firmware');
  });

  it('the flashed firmware answers status and takes a dataset bit-exact', async () => {
    const { link } = await connect();
    await flashProgram(link, bytes(firmware.code));
    await link.prepare({ interrupt: false });
    const { status } = await link.expectFirmware('sim');
    expect(status.state).toBe('idle');
    const packed = new Float32Array(2 * 300);
    for (let i = 0; i < 300; i++) {
      packed[2 * i] = Math.fround(i / 10);
      packed[2 * i + 1] = Math.fround(2 * (i / 10) + 0.5);
    }
    const count = await link.uploadDataset(packed, 1);
    expect(count).toBe(300);
  });
});

describe('the cable pulled', () => {
  it('during a flash: a clear failure, not a hang', async () => {
    const { sim, link } = await connect();
    let pulled = false;
    const err = await flashProgram(link, bytes(firmware.code), {
      onProgress: (sent) => {
        if (!pulled && sent >= 8 * 1024) {
          pulled = true;
          void sim.unplug();
        }
      },
    }).catch((e: unknown) => e);
    expect(pulled).toBe(true);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).stage).toBe('transfer');
    expect((err as Error).message).toMatch(/unplugged/);
  });

  it('during an upload: the link reports it closed', async () => {
    const { sim, link } = await connect();
    await flashProgram(link, bytes(firmware.code));
    const packed = new Float32Array(2 * 1000).fill(1);
    let pulled = false;
    const err = await link
      .uploadDataset(packed, 1, (p) => {
        if (!pulled && p.sentSamples > 0) {
          pulled = true;
          void sim.unplug();
        }
      })
      .catch((e: unknown) => e);
    expect(pulled).toBe(true);
    expect(err).toBeInstanceOf(LinkClosedError);
    expect(link.isClosed).toBe(true);
  });
});

describe('a board that is busy', () => {
  it('running other code: flash interrupts it and succeeds', async () => {
    const { link } = await connect('var n = 0; setInterval(function () { console.log("tick " + n++); }, 5);');
    const hello = await flashProgram(link, bytes(fixture.code));
    expect(hello.firmware).toBe('fixture');
  });

  it('training: re-attaching (prepare without Ctrl-C) leaves the training running', async () => {
    const first = await connect();
    await flashProgram(first.link, bytes(firmware.code));
    const packed = new Float32Array([1, 2, 2, 4, 3, 6]);
    await first.link.uploadDataset(packed, 1);
    await first.link.sendCommand({ op: 'config', config: resolveConfig({ epochs: 100000, lr: 0.001 }) as unknown as Record<string, unknown> });
    await first.link.sendCommand({ op: 'start' });
    await first.link.close();

    // A second host session, as `host monitor` opens after `host train` has exited.
    link = new BoardLink(await openPort(first.sim.path));
    await link.prepare({ interrupt: false });
    const { status } = await link.expectFirmware('sim');
    expect(status.state).toBe('training');
    const epoch = await link.waitForRecord((r) => r.type === 'epoch', 15000, 'epoch record');
    expect(epoch.type).toBe('epoch');
    // Listen before sending: the done record may come in the same chunk as the ack.
    const doneRec = link.waitForRecord((r) => r.type === 'done', 15000, 'done record');
    await link.sendCommand({ op: 'stop' });
    const done = await doneRec;
    expect(done).toMatchObject({ type: 'done', reason: 'stopped' });
  });
});
