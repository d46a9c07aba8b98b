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

interface FlashCliOptions {
  port?: string;
  file?: string;
  build: boolean;
  verbose?: boolean;
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
        code = await readFile(opts.file);
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
      const port = await openPort(path);
      const link = new BoardLink(port, opts.verbose ? { trace: (dir, text) => process.stderr.write(`${dir === 'out' ? '>>' : '<<'} ${JSON.stringify(text)}\n`) } : {});
      const bar = new cliProgress.SingleBar(
        { format: 'flashing {bar} {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      process.stderr.write(`flashing ${path} (Kaluma .flash -w, YMODEM)\n`);
      bar.start(code.length, 0);
      let started = true;
      try {
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
      }
    });
}
