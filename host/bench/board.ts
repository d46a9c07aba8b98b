// The board path, measured through the virtual Pico (host/sim): flash the built firmware with the
// real YMODEM procedure, upload a dataset with the real acknowledged chunks, train, and count the
// records that come back through the pseudo-terminal and the host's parser. These figures are the
// simulator's (QuickJS in a worker thread behind a pty), not a real Pico's: they measure the host,
// the protocol and the firmware's slicing, not the RP2040.
import type { BuildResult } from '../build/firmware.ts';
import { syntheticDataset } from './data.ts';
import { packedRows } from '../../shared/dataset.ts';

export interface BoardBench {
  available: true;
  /** Flashing the bundle by YMODEM, to the firmware's hello. */
  flashMs: number;
  uploadSamples: number;
  uploadMs: number;
  uploadSamplesPerSecond: number;
  train: {
    samples: number;
    epochs: number;
    batch: number;
    /** Epoch and done records received from `start`'s ack to the done record. */
    records: number;
    ms: number;
    recordsPerSecond: number;
    sampleUpdatesPerSecond: number;
  }[];
}

export type BoardResult = BoardBench | { available: false; reason: string };

const UPLOAD_SAMPLES = 1000;

export async function benchBoard(firmware: BuildResult, log: (msg: string) => void = () => undefined): Promise<BoardResult> {
  let sim: import('../sim/virtual-pico.ts').VirtualPico;
  let link: import('../link/board.ts').BoardLink;
  let flashProgram: typeof import('../link/flash.ts').flashProgram;
  try {
    const { startVirtualPico } = await import('../sim/virtual-pico.ts');
    const { openPort } = await import('../link/port.ts');
    const { BoardLink } = await import('../link/board.ts');
    ({ flashProgram } = await import('../link/flash.ts'));
    sim = await startVirtualPico();
    link = new BoardLink(await openPort(sim.path));
  } catch (err) {
    return { available: false, reason: `the virtual Pico did not start: ${(err as Error).message}` };
  }
  try {
    log('virtual Pico: flashing');
    let t0 = performance.now();
    await flashProgram(link, new TextEncoder().encode(firmware.code));
    const flashMs = performance.now() - t0;
    await link.prepare({ interrupt: false });
    await link.expectFirmware(sim.path);

    log('virtual Pico: uploading');
    const ds = syntheticDataset(UPLOAD_SAMPLES, 1);
    t0 = performance.now();
    const count = await link.uploadDataset(packedRows(ds), 1);
    const uploadMs = performance.now() - t0;
    if (count !== UPLOAD_SAMPLES) throw new Error(`the board holds ${count} samples after the upload`);

    const train: BoardBench['train'] = [];
    // Full-batch GD prints a record per pass over the data; per-sample SGD does 1,000 steps per record.
    for (const job of [
      { batch: 0, lr: 0.1, epochs: 1000 },
      { batch: 1, lr: 0.01, epochs: 50 },
    ]) {
      log(`virtual Pico: training (batch ${job.batch})`);
      await link.sendCommand({ op: 'config', config: { optimizer: 'sgd', lr: job.lr, batch: job.batch, epochs: job.epochs } });
      let records = 0;
      let t1 = 0;
      const done = new Promise<void>((resolve) => {
        const off = link.onRecord((r) => {
          if (r.type === 'epoch' || r.type === 'done') records++;
          if (r.type === 'done') {
            t1 = performance.now();
            off();
            resolve();
          }
        });
      });
      const tStart = performance.now();
      await link.sendCommand({ op: 'start' });
      await Promise.race([
        done,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no done record within 60 s')), 60_000).unref()),
      ]);
      const ms = t1 - tStart;
      train.push({
        samples: UPLOAD_SAMPLES,
        epochs: job.epochs,
        batch: job.batch,
        records,
        ms,
        recordsPerSecond: records / (ms / 1000),
        sampleUpdatesPerSecond: (job.epochs * UPLOAD_SAMPLES) / (ms / 1000),
      });
    }
    return {
      available: true,
      flashMs,
      uploadSamples: UPLOAD_SAMPLES,
      uploadMs,
      uploadSamplesPerSecond: UPLOAD_SAMPLES / (uploadMs / 1000),
      train,
    };
  } catch (err) {
    return { available: false, reason: `the virtual Pico run failed: ${(err as Error).message}` };
  } finally {
    await link.close();
    await sim.close();
  }
}
