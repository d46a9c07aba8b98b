// `npx host build` (npm run build:firmware): bundles firmware/main.ts into dist/firmware.js for
// Kaluma, or with `--runtime espruino` (entry firmware/espruino-main.ts, runtime module
// firmware/espruino.ts in place of kaluma.ts) into dist/espruino.js for Espruino.
import { relative } from 'node:path';
import { Option, type Command } from 'commander';
import { buildEspruino } from '../build/espruino.ts';
import { MAX_BUNDLE_BYTES, REPO_ROOT, buildFirmware } from '../build/firmware.ts';

const RUNTIMES = ['kaluma', 'espruino'] as const;
type Runtime = (typeof RUNTIMES)[number];

const DEFAULTS: Record<Runtime, { entry: string; out: string }> = {
  kaluma: { entry: 'firmware/main.ts', out: 'dist/firmware.js' },
  // The same main.ts behind it, with Espruino's runtime module (host/build/espruino.ts).
  espruino: { entry: 'firmware/espruino-main.ts', out: 'dist/espruino.js' },
};

const shown = (abs: string): string => relative(REPO_ROOT, abs) || abs;

async function buildKaluma(entry: string, out: string): Promise<void> {
  const res = await buildFirmware({ entry, outfile: out });
  const kaluma = res.globals.filter((g) => !g.typeofOnly).map((g) => g.name);
  const pct = ((100 * res.bytes) / MAX_BUNDLE_BYTES).toFixed(0);
  process.stdout.write(
    `built ${shown(res.outfile)}: ${res.bytes} bytes (${pct}% of the 64 KB limit), ${res.lines} lines; map in ${relative(REPO_ROOT, res.mapfile)}\n` +
      `globals it reads: ${kaluma.join(', ') || '(none)'}\n`,
  );
  if (res.unknownGlobals.length > 0) {
    process.stderr.write(`warning: the bundle reads globals Kaluma 1.2.1 may not have: ${res.unknownGlobals.map((g) => `${g.name} (line ${g.line})`).join(', ')}\n`);
  }
}

async function buildForEspruino(entry: string, out: string): Promise<void> {
  const res = await buildEspruino({ entry, outfile: out });
  process.stdout.write(
    `built ${shown(res.outfile)} for Espruino 2v29: ${res.bytes} bytes, ${res.lines} lines; map in ${relative(REPO_ROOT, res.mapfile)}\n` +
      `hoisted for Espruino: ${res.hoistedFunctions} function declaration(s), ${res.hoistedVars} var(s); no syntax or built-in it lacks\n`,
  );
}

export function register(program: Command): void {
  program
    .command('build')
    .description('bundle the firmware (firmware/main.ts) into dist/firmware.js for Kaluma, or for Espruino with --runtime espruino, with checks')
    .addOption(new Option('--runtime <runtime>', 'the board runtime to build for').choices(RUNTIMES).default('kaluma'))
    .option('--entry <file>', 'entry point (default: firmware/main.ts; firmware/espruino-main.ts for Espruino)')
    .option('--out <file>', 'output bundle (default: dist/firmware.js; dist/espruino.js for Espruino)')
    .action(async (opts: { runtime: Runtime; entry?: string; out?: string }) => {
      const entry = opts.entry ?? DEFAULTS[opts.runtime].entry;
      const out = opts.out ?? DEFAULTS[opts.runtime].out;
      if (opts.runtime === 'espruino') await buildForEspruino(entry, out);
      else await buildKaluma(entry, out);
    });
}
