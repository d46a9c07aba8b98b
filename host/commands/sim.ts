// `npx host sim`: a virtual Pico running Kaluma 1.2.1 on a pseudo-terminal, for everyone without a
// board. It is listed in a registry in the temp directory, so other `host` commands find it when no
// USB Pico is connected.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { startVirtualPico } from '../sim/virtual-pico.ts';
import { registerSim, registryFile, unregisterSim } from '../sim-registry.ts';
import { reportFlashes } from '../sim/status.ts';

interface SimOptions {
  blank?: boolean;
  program?: string;
  trace?: boolean;
  pace: string;
}

const PACES = ['board', 'fast'] as const;

function readProgram(file: string): string {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read --program ${file}: ${(err as Error).message}`);
  }
  if (code.includes('\0')) throw new UserError(`--program ${file} contains a NUL byte; the board stores code NUL-terminated`);
  return code;
}

/** Shows bytes as text, control characters escaped, for --trace. */
function visible(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes).toString('latin1')).slice(1, -1);
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run a virtual Raspberry Pi Pico (Kaluma 1.2.1) on a pseudo-terminal until Ctrl-C')
    .option('--blank', 'a Kaluma board with nothing flashed (the default unless --program is given)')
    .option('--program <file>', "start with this JavaScript file already in the board's flash, as if `npx host flash` had put it there; it runs at boot (see the examples)")
    .option('--trace', 'print every byte that crosses the virtual USB cable (to stderr)')
    // The class should see the loss fall at the real board's pace; "fast" is for impatient debugging.
    .option('--pace <pace>', "board: as fast as a real Pico (cost model of Kaluma's JerryScript on the RP2040); fast: as fast as this computer", 'board')
    .addHelpText(
      'after',
      `
Examples:
  npx host sim                              a blank Kaluma board; \`npx host flash\` puts the firmware on it
  npx host build && npx host sim --program dist/firmware.js
                                            the pico-trainer firmware already in flash: send and train at once
  npx host sim --program blink.js --pace fast
                                            your own Kaluma program, at this computer's speed

The window says what was flashed at the start, then each flash and what then runs.`,
    )
    .action(async (opts: SimOptions) => {
      if (opts.blank && opts.program) throw new UserError('--blank and --program exclude each other');
      if (!(PACES as readonly string[]).includes(opts.pace)) throw new UserError(`--pace: expected board or fast, got "${opts.pace}"`);
      const pace = opts.pace as (typeof PACES)[number];
      const code = opts.program ? readProgram(opts.program) : undefined;
      const pico = await startVirtualPico({ program: code, pace });
      let registered = true;
      try {
        await registerSim(pico.path);
      } catch (err) {
        registered = false;
        process.stderr.write(`host sim: could not list the port in ${registryFile()} (${(err as Error).message}); other commands need --port ${pico.path}\n`);
      }
      if (opts.trace) {
        pico.onInput((b) => process.stderr.write(`host  → board  ${visible(b)}\n`));
        pico.onOutput((b) => process.stderr.write(`board → host   ${visible(b)}\n`));
      }
      const flashed = code === undefined ? 'nothing flashed (a blank Kaluma board)' : `${opts.program} in flash (it runs at boot)`;
      process.stdout.write(
        `Virtual Pico (Kaluma 1.2.1, 180 KB heap) on ${pico.path}\n` +
          `  ${flashed}\n` +
          (pace === 'board'
            ? `  runs at a real Pico's speed (--pace fast: as fast as this computer)\n`
            : `  runs as fast as this computer, far faster than a real Pico (--pace board: at its speed)\n`) +
          `  Other host commands in another terminal find it when no USB Pico is connected, or name it:\n` +
          (code === undefined ? `    npx host flash --port ${pico.path}      put the pico-trainer firmware on it\n` : '') +
          `    npx host send data.csv --port ${pico.path}\n` +
          `    screen ${pico.path}                      type at its REPL (try .hi)\n` +
          `  Ctrl-C stops it.\n`,
      );
      // After the banner, a line at each flash (and once the firmware says hello), so the window tells what the board holds now.
      const offFlashes = reportFlashes(pico, (line) => process.stdout.write(line + '\n'));
      await new Promise<void>((resolve) => {
        const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
        const stop = () => {
          for (const sig of signals) process.off(sig, stop);
          resolve();
        };
        for (const sig of signals) process.on(sig, stop);
      });
      offFlashes();
      if (registered) await unregisterSim(pico.path);
      await pico.close();
      process.stdout.write('Virtual Pico stopped.\n');
    });
}
