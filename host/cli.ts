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
import { ConfigError } from '../shared/config.ts';
import { UserError } from './errors.ts';

const program = new Command('host')
  .description('pico-trainer: gradient descent on a Raspberry Pi Pico, and its desktop twin')
  .showHelpAfterError('(run with --help for the options)')
  .exitOverride();

for (const register of [registerRun, registerBuild, registerFlash, registerPorts, registerSend, registerTrain, registerMonitor, registerSim, registerPlot, registerCompare, registerSurface, registerDistributed, registerBench]) {
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
    process.stderr.write(`host: ${err.message}\n`);
    process.exitCode = err instanceof UserError ? err.exitCode : 1;
  } else {
    throw err;
  }
}
