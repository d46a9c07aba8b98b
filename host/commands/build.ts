// `npx host build` (npm run build:firmware): bundles firmware/main.ts into dist/firmware.js.
import { relative } from 'node:path';
import type { Command } from 'commander';
import { MAX_BUNDLE_BYTES, REPO_ROOT, buildFirmware } from '../build/firmware.ts';

export function register(program: Command): void {
  program
    .command('build')
    .description('bundle the firmware (firmware/main.ts) into dist/firmware.js for Kaluma, with checks')
    .option('--entry <file>', 'entry point', 'firmware/main.ts')
    .option('--out <file>', 'output bundle', 'dist/firmware.js')
    .action(async (opts: { entry: string; out: string }) => {
      const res = await buildFirmware({ entry: opts.entry, outfile: opts.out });
      const kaluma = res.globals.filter((g) => !g.typeofOnly).map((g) => g.name);
      const pct = ((100 * res.bytes) / MAX_BUNDLE_BYTES).toFixed(0);
      process.stdout.write(
        `built ${relative(REPO_ROOT, res.outfile) || res.outfile}: ${res.bytes} bytes (${pct}% of the 64 KB limit), ${res.lines} lines; map in ${relative(REPO_ROOT, res.mapfile)}\n` +
          `globals it reads: ${kaluma.join(', ') || '(none)'}\n`,
      );
      if (res.unknownGlobals.length > 0) {
        process.stderr.write(`warning: the bundle reads globals Kaluma 1.2.1 may not have: ${res.unknownGlobals.map((g) => `${g.name} (line ${g.line})`).join(', ')}\n`);
      }
    });
}
