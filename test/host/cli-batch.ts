// Runs the real CLI (host/cli.ts) once per argument list, all in one process, so that a corpus
// of dozens of bad inputs costs one tsx start-up instead of dozens. Each run re-evaluates cli.ts
// (a fresh commander program and its error handling) by importing it under a new URL, with
// process.argv set and stdout/stderr captured. Input: a JSON array of argument arrays on stdin.
// Output: a JSON array of {stdout, stderr, exitCode} on stdout.
import { readFileSync } from 'node:fs';

const cases = JSON.parse(readFileSync(0, 'utf8')) as string[][];
const realStdout = process.stdout.write.bind(process.stdout);
const realStderr = process.stderr.write.bind(process.stderr);
const argv0 = process.argv.slice(0, 2);
const results: { stdout: string; stderr: string; exitCode: number }[] = [];

for (let i = 0; i < cases.length; i++) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = 0;
  process.argv = [...argv0, ...cases[i]];
  try {
    await import(`../../host/cli.ts?run=${i}`);
  } catch (err) {
    stderr += `uncaught: ${(err as Error).stack}`;
    process.exitCode = 99;
  }
  results.push({ stdout, stderr, exitCode: Number(process.exitCode ?? 0) });
}
process.stdout.write = realStdout;
process.stderr.write = realStderr;
process.exitCode = 0;
realStdout(JSON.stringify(results) + '\n');
