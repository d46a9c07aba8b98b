// What to tell someone whose board went away. A Pico on USB is plugged back in; a virtual Pico
// (`npx host sim`) has no cable: its port went because the sim stopped, and it comes back only when
// restarted, blank (or with its --program) and without the run it had.
import { findRunningSims } from '../sim-registry.ts';

/**
 * Whether `path` is a virtual Pico that `npx host sim` runs. Ask while the board is there: a sim
 * that stops leaves the registry before its port closes.
 */
export function isSimPort(path: string | undefined): boolean {
  if (!path) return false;
  try {
    return findRunningSims().includes(path);
  } catch {
    return false;
  }
}

/** How to go on after the board went away during a run (the monitor's last words). */
export function reattachAdvice(virtual: boolean): string {
  return virtual
    ? 'The virtual Pico stopped, and its run with it: restart it with `npx host sim` (in its terminal), then flash, send and train again.'
    : 'Plug it back in and run `npx host monitor` to re-attach if it is still training.';
}

/** How to go on after the board went away during a flash. */
export function reflashAdvice(virtual: boolean): string {
  return virtual ? 'Restart the virtual Pico with `npx host sim`, then flash again' : 'Plug it back in and flash again';
}
