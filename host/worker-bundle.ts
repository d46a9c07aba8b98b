// A worker thread's entry as one plain JavaScript file, so that a worker starts without registering
// tsx and transpiling (about 200 ms of each boot): the virtual Pico's board (sim/board.ts) and the
// Hogwild! threads (parallel/thread-worker.ts). esbuild bundles the entry and the project's own
// modules once per process; packages stay outside the bundle but are imported by absolute file URL,
// so the file can live in the temp directory. If anything goes wrong, the tsx entry is used instead.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Keeps packages external, but as absolute file URLs (a bare name would not resolve from the temp directory). */
const packagesByAbsoluteUrl: Plugin = {
  name: 'packages-by-absolute-url',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: pathToFileURL(r.path).href, external: true };
    });
  },
};

const urls = new Map<string, Promise<URL>>();

async function bundled(entry: URL, name: string, tsxEntry: URL): Promise<URL> {
  let text: string;
  try {
    const out = await build({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [packagesByAbsoluteUrl],
    });
    text = out.outputFiles[0].text;
  } catch {
    return tsxEntry;
  }
  try {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const file = join(tmpdir(), `pico-trainer-${name}-${hash}.mjs`);
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file); // atomic: another process may be writing the same file
    }
    return pathToFileURL(file);
  } catch {
    return tsxEntry;
  }
}

/**
 * The URL to start a worker from: `entry` (TypeScript) bundled to the temp directory as
 * pico-trainer-NAME-HASH.mjs, or `tsxEntry` (a .mjs that registers tsx) when that fails.
 */
export function workerUrl(entry: URL, name: string, tsxEntry: URL): Promise<URL> {
  let url = urls.get(entry.href);
  if (!url) {
    url = bundled(entry, name, tsxEntry);
    urls.set(entry.href, url);
  }
  return url;
}
