// Argument parsing only: each command lives in its own module under commands/ and registers itself.
import { Command, CommanderError } from 'commander';
import { register as registerRun } from './commands/run.ts';
import { register as registerBuild } from './commands/build.ts';
import { register as registerFlash } from './commands/flash.ts';
import { register as registerPorts } from './commands/ports.ts';
import { register as registerSend } from './commands/send.ts';
import { register as registerTrain } from './commands/train.ts';
import { register as registerMonitor } from './commands/monitor.ts';
import { register as registerSim } from './commands/sim.ts';
import { register as registerPlot } from './commands/plot.ts';
import { register as registerCompare } from './commands/compare.ts';
import { register as registerSurface } from './commands/surface.ts';
import { register as registerBench } from './commands/bench.ts';
import { register as registerDistributed } from './commands/distributed.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerControl } from './commands/control.ts';
import { ConfigError } from '../shared/config.ts';
import { UserError } from './errors.ts';
import { programName, programVersion } from './program.ts';

// `host monitor --no-plot | head -3`: once the reader is gone, end quietly with status 0 as Unix
// tools do, rather than with Node's stack trace for an unhandled EPIPE. Installed once per process
// (test/host/cli-batch.ts evaluates this module again for every case).
const EPIPE_HANDLER = Symbol.for('pico-trainer.host.epipe');
const proc = process as unknown as Record<symbol, boolean>;
if (!proc[EPIPE_HANDLER]) {
  proc[EPIPE_HANDLER] = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

// `pico-trainer` when run as that bin (from any folder), else `host`.
const name = programName();
const program = new Command(name)
  .description('pico-trainer: gradient descent on a Raspberry Pi Pico, and its desktop twin')
  .version(programVersion(), '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for the options)')
  .exitOverride();

for (const register of [registerRun, registerBuild, registerFlash, registerPorts, registerSend, registerTrain, registerMonitor, registerSim, registerPlot, registerCompare, registerSurface, registerDistributed, registerServe, registerControl, registerBench]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has already printed its message (unknown option, missing argument, --help).
    process.exitCode = err.exitCode;
  } else if (err instanceof UserError || err instanceof ConfigError) {
    // Errors a user can act on: one clear line, no stack trace.
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exitCode = err instanceof UserError ? err.exitCode : 1;
  } else {
    throw err;
  }
}
