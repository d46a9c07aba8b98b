#!/usr/bin/env node
// The `host` command. The CLI is TypeScript run through tsx, so that the
// desktop and the board share the engine's sources with no build step between them.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
