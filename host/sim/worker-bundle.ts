// The board worker as one plain JavaScript file, so that a worker starts without registering tsx
// and transpiling (about 200 ms of each boot). esbuild bundles board.ts and the simulator's own
// modules once per process; packages stay outside the bundle but are imported by absolute file URL,
// so the file can live in the temp directory. If anything goes wrong, the tsx entry is used instead.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const TSX_ENTRY = new URL('./board-worker.mjs', import.meta.url);

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

let code: Promise<string | null> | null = null;

function bundle(): Promise<string | null> {
  code ??= build({
    entryPoints: [fileURLToPath(new URL('./board.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [packagesByAbsoluteUrl],
  }).then(
    (out) => out.outputFiles[0].text,
    () => null,
  );
  return code;
}

/** The URL to start a board worker from. */
export async function boardWorkerUrl(): Promise<URL> {
  const text = await bundle();
  if (text === null) return TSX_ENTRY;
  try {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const file = join(tmpdir(), `pico-trainer-board-${hash}.mjs`);
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file); // atomic: another process may be writing the same file
    }
    return pathToFileURL(file);
  } catch {
    return TSX_ENTRY;
  }
}
