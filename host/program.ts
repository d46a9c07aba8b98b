// The program's name as it was invoked, for help and error lines: `pico-trainer` (the bin that
// works from any folder: `npx pico-trainer …`), else `host` (`npx host …` inside the project, or
// `node host/bin.js`). And its version, from package.json.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export function programName(argv1 = process.argv[1] ?? ''): 'pico-trainer' | 'host' {
  return /^pico-trainer(\.(c?js|cmd|ps1))?$/i.test(basename(argv1)) ? 'pico-trainer' : 'host';
}

export function programVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
