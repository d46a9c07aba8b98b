// `npx host sim`: a virtual Pico running Kaluma 1.2.1 on a pseudo-terminal, for everyone without a
// board (or, with `--runtime espruino`, a virtual Espruino Pico running Espruino 2v29). It is listed in
// a registry in the temp directory, so other `host` commands find it when no USB Pico is connected.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { startVirtualPico } from '../sim/virtual-pico.ts';
import { startVirtualEspruino } from '../sim/espruino/virtual-espruino.ts';
import { ESPRUINO_VERSION, BOARD_NAME, PICO_VARIABLES } from '../sim/espruino/board-facts.ts';
import { registerSim, registryFile, unregisterSim } from '../sim-registry.ts';
import { reportFlashes } from '../sim/status.ts';

interface SimOptions {
  blank?: boolean;
  program?: string;
  trace?: boolean;
  pace: string;
  runtime: string;
  variables?: string;
}

const PACES = ['board', 'fast'] as const;
const RUNTIMES = ['kaluma', 'espruino'] as const;

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
    .option('--runtime <runtime>', 'kaluma: a Raspberry Pi Pico with Kaluma 1.2.1; espruino: an Espruino Pico with Espruino 2v29', 'kaluma')
    .option('--variables <n>', `Espruino only: the interpreter's variables (13-byte blocks; default ${PICO_VARIABLES}, an Espruino Pico)`)
    .addHelpText(
      'after',
      `
Examples:
  npx host sim                              a blank Kaluma board; \`npx host flash\` puts the firmware on it
  npx host build && npx host sim --program dist/firmware.js
                                            the pico-trainer firmware already in flash: send and train at once
  npx host sim --program blink.js --pace fast
                                            your own Kaluma program, at this computer's speed
  npx host sim --runtime espruino           a virtual Espruino Pico (Espruino 2v29, 5,100 variables)
  npx host sim --runtime espruino --program app.js --variables 12000
                                            app.js in Storage as .bootcde, on an Espruino with 12,000 variables

The window says what was flashed at the start, then each flash and what then runs.`,
    )
    .action(async (opts: SimOptions, cmd: Command) => {
      if (opts.blank && opts.program) throw new UserError('--blank and --program exclude each other');
      if (!(RUNTIMES as readonly string[]).includes(opts.runtime)) throw new UserError(`--runtime: expected kaluma or espruino, got "${opts.runtime}"`);
      if (opts.runtime === 'espruino') {
        await runEspruino(opts, cmd);
        return;
      }
      if (opts.variables !== undefined) throw new UserError('--variables is for --runtime espruino (a Kaluma board has a heap in bytes)');
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

/** Waits for Ctrl-C (or SIGTERM/SIGHUP). */
function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const stop = () => {
      for (const sig of signals) process.off(sig, stop);
      resolve();
    };
    for (const sig of signals) process.on(sig, stop);
  });
}

/** `npx host sim --runtime espruino`: the virtual Espruino (host/sim/espruino/README.md). */
async function runEspruino(opts: SimOptions, cmd: Command): Promise<void> {
  if (cmd.getOptionValueSource('pace') === 'cli' && opts.pace !== 'fast') {
    throw new UserError('--pace board is for Kaluma: the virtual Espruino runs at this computer\'s speed (--pace fast)');
  }
  let variables = PICO_VARIABLES;
  if (opts.variables !== undefined) {
    variables = Number(opts.variables);
    if (!Number.isInteger(variables) || variables < 200 || variables > 65535) throw new UserError(`--variables: expected a whole number from 200 to 65535, got "${opts.variables}"`);
  }
  const code = opts.program ? readProgram(opts.program) : undefined;
  const board = await startVirtualEspruino({ program: code, variables });
  let registered = true;
  try {
    await registerSim(board.path, 'espruino');
  } catch (err) {
    registered = false;
    process.stderr.write(`host sim: could not list the port in ${registryFile()} (${(err as Error).message}); other commands need --port ${board.path}\n`);
  }
  if (opts.trace) {
    board.onInput((b) => process.stderr.write(`host  → board  ${visible(b)}\n`));
    board.onOutput((b) => process.stderr.write(`board → host   ${visible(b)}\n`));
  }
  const what = variables === PICO_VARIABLES ? `${BOARD_NAME}: ${variables.toLocaleString('en-US')} variables` : `${variables.toLocaleString('en-US')} variables`;
  const flashed = code === undefined ? 'nothing in Storage (a blank Espruino board)' : `${opts.program} in Storage as .bootcde (it runs at power-on)`;
  process.stdout.write(
    `Virtual Espruino (Espruino ${ESPRUINO_VERSION}, ${what}) on ${board.path}\n` +
      `  ${flashed}\n` +
      `  runs as fast as this computer, far faster than a real Espruino\n` +
      `  Other host commands in another terminal find it when no USB board is connected, or name it:\n` +
      (code === undefined ? `    npx host flash --runtime espruino --port ${board.path}   put the pico-trainer firmware on it\n` : '') +
      `    npx host send data.csv --port ${board.path}\n` +
      `    screen ${board.path}                      type at its console (try process.memory())\n` +
      `  Ctrl-C stops it.\n`,
  );
  await untilStopped();
  if (registered) await unregisterSim(board.path);
  await board.close();
  process.stdout.write('Virtual Espruino stopped.\n');
}
