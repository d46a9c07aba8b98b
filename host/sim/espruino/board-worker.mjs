// Worker entry: the board is TypeScript, and a worker thread does not inherit the parent's loader,
// so register tsx here before loading it.
import { register } from 'tsx/esm/api';

register();
await import('./board.ts');
