// Worker entry when the bundled worker could not be built (threads.ts): the worker is TypeScript,
// and a worker thread does not inherit the parent's loader, so register tsx here before loading it.
import { register } from 'tsx/esm/api';

register();
await import('./thread-worker.ts');
