// `npx host flash [--port P]` (npm run flash): build the firmware, upload it with Kaluma's
// YMODEM, check the board's `Done`, `.load` it and wait for its hello.
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { REPO_ROOT, buildFirmware } from '../build/firmware.ts';
import { BundleTracer, traceBoardLines } from '../build/trace.ts';
import { BoardLink } from '../link/board.ts';
import { flashProgram } from '../link/flash.ts';
import { choosePort, openPort } from '../link/port.ts';
import { UserError } from '../errors.ts';
import { runInProgress, runName } from '../board-session.ts';
import { HubClient } from '../hub/client.ts';
import { findHub } from '../hub/registry.ts';

interface FlashCliOptions {
  port?: string;
  file?: string;
  build: boolean;
  verbose?: boolean;
}

/** The script --file names, or a one-line UserError saying why it cannot be read. */
async function readScript(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder; give the .js file to flash' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new UserError(`--file ${file}: ${why}`);
  }
}

export function register(program: Command): void {
  program
    .command('flash')
    .description('build the firmware and flash it onto the Pico (Kaluma .flash -w), then check that it starts')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)')
    .option('--file <bundle.js>', 'flash this script instead of building firmware/main.ts')
    .option('--no-build', 'flash the existing dist/firmware.js without rebuilding')
    .option('-v, --verbose', 'print every line sent to and received from the board (stderr)')
    .action(async (opts: FlashCliOptions) => {
      let code: Uint8Array;
      let name: string;
      let tracer: BundleTracer | null = null;
      if (opts.file) {
        name = opts.file;
        code = await readScript(opts.file);
        tracer = BundleTracer.load(resolve(opts.file) + '.map');
      } else if (opts.build) {
        const built = await buildFirmware();
        name = relative(REPO_ROOT, built.outfile);
        code = Buffer.from(built.code, 'utf8');
        tracer = BundleTracer.load(built.mapfile);
        process.stderr.write(`built ${name}: ${built.bytes} bytes\n`);
      } else {
        const out = resolve(REPO_ROOT, 'dist/firmware.js');
        name = relative(REPO_ROOT, out);
        code = await readFile(out);
        tracer = BundleTracer.load(out + '.map');
      }

      const path = await choosePort(opts.port);
      // A hub holds the port (a monitor, a page, serve): it lends it for the flash and takes it back.
      const hub = await lendFromHub(path);
      let port;
      try {
        port = await openPort(path);
      } catch (err) {
        await hub?.giveBack();
        throw err;
      }
      const link = new BoardLink(port, opts.verbose ? { trace: (dir, text) => process.stderr.write(`${dir === 'out' ? '>>' : '<<'} ${JSON.stringify(text)}\n`) } : {});
      const bar = new cliProgress.SingleBar(
        { format: 'flashing {bar} {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      process.stderr.write(`flashing ${path} (Kaluma .flash -w, YMODEM)\n`);
      bar.start(code.length, 0);
      let started = true;
      try {
        if (!hub) await announceDirect(link);
        const hello = await flashProgram(link, code, {
          onProgress: (sent) => bar.update(sent),
          traceLines: (lines) => traceBoardLines(lines, tracer),
        });
        bar.stop();
        started = false;
        process.stdout.write(
          `flashed ${name} (${code.length} bytes) to ${path}\n` +
            `firmware ${hello.firmware} on ${hello.runtime}, protocol ${hello.protocol}; ` +
            `capacity ${hello.capacity.samples} samples × ${hello.capacity.features} features; ` +
            `heap ${hello.heap.used} of ${hello.heap.total} bytes used (${hello.heap.total - hello.heap.used} free)\n`,
        );
      } finally {
        if (started) bar.stop();
        await link.close();
        await hub?.giveBack();
      }
    });
}

/**
 * Borrows the port from the board's hub, if one holds it: says which run the flash ends, asks the
 * hub to let go, and returns how to hand the port back (the hub reopens it and its watchers go on).
 */
async function lendFromHub(path: string): Promise<{ giveBack(): Promise<void> } | null> {
  const entry = await findHub(path);
  if (!entry) return null;
  const client = await HubClient.connect(entry);
  try {
    const st = await client.status({ timeoutMs: 2000 }).catch(() => null);
    if (st && runInProgress(st)) {
      const line = `stopped ${runName(st)} to flash the firmware`;
      process.stderr.write(`${line}\n`);
      client.notify(line);
    }
    await client.release(`being flashed by host flash (pid ${process.pid})`);
  } catch (err) {
    await client.close();
    throw err;
  }
  process.stderr.write(`borrowed ${path} from its hub (${entry.command}, pid ${entry.pid})\n`);
  return {
    async giveBack() {
      try {
        await client.reclaim();
      } catch (err) {
        process.stderr.write(`host: the hub (${entry.command}, pid ${entry.pid}) could not open ${path} again: ${(err as Error).message}\n`);
      } finally {
        await client.close();
      }
    },
  };
}

/** Without a hub: the run the flash ends, if the firmware answers at once (it is about to be replaced). */
async function announceDirect(link: BoardLink): Promise<void> {
  try {
    const st = await link.status({ timeoutMs: 1000 });
    if (runInProgress(st)) process.stderr.write(`stopped ${runName(st)} to flash the firmware\n`);
  } catch {
    // No firmware, or not ours: nothing runs that a notice could name.
  }
}
