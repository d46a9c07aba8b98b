// `npx host flash [--port P]` (npm run flash): ask the board which runtime it runs (Kaluma or
// Espruino; --runtime says it instead), build that runtime's firmware, upload it its way (Kaluma's
// `.flash -w` and YMODEM, or Espruino's DLE lines into Storage), and wait for the firmware's hello.
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEFAULT_ESPRUINO_OUT, buildEspruino } from '../build/espruino.ts';
import { REPO_ROOT, buildFirmware } from '../build/firmware.ts';
import { BundleTracer, traceBoardLines } from '../build/trace.ts';
import { BoardLink, CTRL_C, type BoardRuntime } from '../link/board.ts';
import { BOOT_FILE, flashEspruino } from '../link/flash-espruino.ts';
import { identify, runtimeTitle } from '../link/probe.ts';
import { flashProgram } from '../link/flash.ts';
import { choosePort, openPort } from '../link/port.ts';
import { UserError } from '../errors.ts';
import { runInProgress, runName } from '../board-session.ts';
import { HubClient } from '../hub/client.ts';
import { findHub } from '../hub/registry.ts';

interface FlashCliOptions {
  port?: string;
  runtime?: BoardRuntime;
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

const RUNTIMES = ['kaluma', 'espruino'] as const;

/** The firmware for `runtime`: the script --file names (read already), built now, or the last build (--no-build). */
async function firmwareFor(runtime: BoardRuntime, opts: FlashCliOptions, script: Uint8Array | null): Promise<{ code: Uint8Array; name: string; tracer: BundleTracer | null }> {
  if (opts.file && script) {
    return { code: script, name: opts.file, tracer: BundleTracer.load(resolve(opts.file) + '.map') };
  }
  if (opts.build) {
    const built = runtime === 'espruino' ? await buildEspruino() : await buildFirmware();
    const name = relative(REPO_ROOT, built.outfile);
    process.stderr.write(`built ${name} for ${runtimeTitle(runtime)}: ${built.bytes} bytes\n`);
    return { code: Buffer.from(built.code, 'utf8'), name, tracer: BundleTracer.load(built.mapfile) };
  }
  const out = runtime === 'espruino' ? DEFAULT_ESPRUINO_OUT : resolve(REPO_ROOT, 'dist/firmware.js');
  let code: Buffer;
  try {
    code = await readFile(out);
  } catch {
    throw new UserError(`--no-build: there is no ${relative(REPO_ROOT, out)} yet; run \`npx host build${runtime === 'espruino' ? ' --runtime espruino' : ''}\` first, or flash without --no-build`);
  }
  return { code, name: relative(REPO_ROOT, out), tracer: BundleTracer.load(out + '.map') };
}

export function register(program: Command): void {
  program
    .command('flash')
    .description('build the firmware for the board\'s runtime (Kaluma or Espruino, found by asking), flash it, then check that it starts')
    .option('-p, --port <path>', 'serial port (default: the one board, or the one virtual board)')
    .addOption(new Option('--runtime <runtime>', 'the runtime the board runs, when it cannot be asked (default: ask it)').choices([...RUNTIMES]))
    .option('--file <bundle.js>', 'flash this script instead of building the firmware')
    .option('--no-build', 'flash the last build (dist/firmware.js, or dist/espruino.js) without rebuilding')
    .option('-v, --verbose', 'print every line sent to and received from the board (stderr)')
    .action(async (opts: FlashCliOptions) => {
      // A file that cannot be read is said before the board is touched.
      const script = opts.file ? await readScript(opts.file) : null;
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
      let started = false;
      let bar: cliProgress.SingleBar | null = null;
      try {
        const runtime = opts.runtime ?? (await askRuntime(link, path));
        link.runtime = runtime;
        const { code, name, tracer } = await firmwareFor(runtime, opts, script);
        bar = new cliProgress.SingleBar(
          { format: 'flashing {bar} {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        );
        process.stderr.write(runtime === 'espruino' ? `flashing ${path} (Espruino: reset(), the program into Storage's ${BOOT_FILE}, load())\n` : `flashing ${path} (Kaluma .flash -w, YMODEM)\n`);
        bar.start(code.length, 0);
        started = true;
        if (!hub) await announceDirect(link);
        const flashOpts = { onProgress: (sent: number) => bar?.update(sent), traceLines: (lines: string[]) => traceBoardLines(lines, tracer) };
        const hello = runtime === 'espruino' ? await flashEspruino(link, code, flashOpts) : await flashProgram(link, code, flashOpts);
        bar.stop();
        started = false;
        process.stdout.write(
          `flashed ${name} (${code.length} bytes) to ${path}\n` +
            `firmware ${hello.firmware} on ${hello.runtime}, protocol ${hello.protocol}; ` +
            `capacity ${hello.capacity.samples} samples × ${hello.capacity.features} features; ` +
            `${runtime === 'espruino' ? 'memory' : 'heap'} ${hello.heap.used} of ${hello.heap.total} bytes used (${hello.heap.total - hello.heap.used} free)\n`,
        );
      } finally {
        if (started) bar?.stop();
        await link.close();
        await hub?.giveBack();
      }
    });
}

/** Which runtime the board runs, asked over the link (Ctrl-C first: flashing ends what runs anyway). */
async function askRuntime(link: BoardLink, path: string): Promise<BoardRuntime> {
  await link.write(CTRL_C);
  await new Promise((r) => setTimeout(r, 150));
  await link.write('\r');
  const found = await identify(link, 3000);
  if (found.runtime) return found.runtime;
  const heard = found.seen.length > 0 ? ` (it said: ${found.seen.slice(0, 3).map((s) => JSON.stringify(s.slice(0, 60))).join(', ')})` : ' (it said nothing)';
  throw new UserError(
    `${path} answered neither as Kaluma nor as Espruino${heard}. Install Kaluma 1.2.1 on a Pico (kalumajs.org) or use an Espruino board, pick another port (\`npx host ports\`), or say which runtime it runs with --runtime kaluma|espruino`,
  );
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
