// What the `npx host sim` window says while the virtual Pico runs: the banner tells what was in
// flash at the start; these lines follow each change (a flash, an erase) and what then runs (the
// pico-trainer firmware says hello), so the window never goes on saying "nothing flashed".
import type { VirtualPico } from './virtual-pico.ts';

/** How long after a flash the firmware's hello is looked for in the board's output. */
const HELLO_WINDOW_MS = 15_000;
/** An erase followed by this long without input from the host is told as an erase (a transfer that failed, or `.flash -e`). */
const ERASE_QUIET_MS = 3_000;

function clock(now: Date): string {
  return now.toTimeString().slice(0, 8);
}

/** A line for a flash change: `flashed a 53,723-byte program (it runs at boot)`, or the erase. */
export function flashLine(program: string | null, now = new Date()): string {
  if (program === null) return `  ${clock(now)}  flash erased: nothing flashed now (a blank Kaluma board; \`npx host flash\` puts the firmware on it)`;
  const bytes = Buffer.byteLength(program, 'utf8');
  return `  ${clock(now)}  flashed: a ${bytes.toLocaleString('en-US')}-byte program is in flash (it runs at boot)`;
}

/** A line for the firmware's hello record, or null when the text holds none. */
export function helloLine(text: string, now = new Date()): string | null {
  const m = /\{"type":"hello"[^\r\n]*\}/.exec(text);
  if (!m) return null;
  try {
    const h = JSON.parse(m[0]) as { firmware?: string; runtime?: string; protocol?: number };
    if (typeof h.firmware !== 'string') return null;
    return `  ${clock(now)}  running: pico-trainer firmware ${h.firmware}${h.protocol !== undefined ? `, protocol ${h.protocol}` : ''}; send data and train`;
  } catch {
    return null;
  }
}

/** Writes a status line to `write` at each flash of `pico`, and once the flashed firmware says hello. Returns a function that stops it. */
export function reportFlashes(pico: VirtualPico, write: (line: string) => void): () => void {
  let listening = false;
  let heard = '';
  let until = 0;
  // `.flash -w` erases before it receives: an erase is told only if no program follows it.
  let lastInput = 0;
  const offInput = pico.onInput(() => {
    lastInput = Date.now();
  });
  let erased: NodeJS.Timeout | null = null;
  const offFlash = pico.onFlash((program) => {
    if (erased) clearTimeout(erased);
    erased = null;
    listening = false;
    if (program === null) {
      // Told once the host has been quiet for a while: a transfer that is still coming is not an erase.
      const at = Date.now();
      const tell = () => {
        const quiet = Date.now() - lastInput;
        if (quiet < ERASE_QUIET_MS && Date.now() - at < 10 * ERASE_QUIET_MS) {
          erased = setTimeout(tell, ERASE_QUIET_MS - quiet);
          erased.unref();
          return;
        }
        erased = null;
        write(flashLine(null));
      };
      erased = setTimeout(tell, ERASE_QUIET_MS);
      erased.unref();
      return;
    }
    write(flashLine(program));
    listening = true;
    heard = '';
    until = Date.now() + HELLO_WINDOW_MS;
  });
  const offOutput = pico.onOutput((bytes) => {
    if (!listening) return;
    if (Date.now() > until) {
      listening = false;
      return;
    }
    heard = (heard + Buffer.from(bytes).toString('latin1')).slice(-4096);
    const line = helloLine(heard);
    if (line) {
      write(line);
      listening = false;
    }
  });
  return () => {
    if (erased) clearTimeout(erased);
    offFlash();
    offInput();
    offOutput();
  };
}
