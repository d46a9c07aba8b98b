// Runs a process as if node-pty (an optional dependency) were not installed:
//   node --import ./test/helpers/without-node-pty.mjs host/bin.js sim
// A module resolve hook refuses `node-pty` and its files as Node refuses a missing package, so the
// production code is tested exactly as it runs, with nothing in it that knows about tests.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === 'node-pty' || specifier.startsWith('node-pty/')) {
    const err = new Error("Cannot find package 'node-pty' imported from " + context.parentURL);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
