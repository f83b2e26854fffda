/**
 * Node built-ins that only some daemons use, loaded on first use: at every start, importing
 * node:http and node:https costs ~4.5 ms of the ~60 ms carpd needs beyond `node -e 0` to reach
 * BACKUP (bench/footprint.ts), while only a metrics listener needs http and only HTTP health
 * checks need either. require() (not import()) keeps the callers synchronous.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** node:http. */
export function httpModule(): typeof import('node:http') {
  return load('node:http') as typeof import('node:http');
}

/** node:https. */
export function httpsModule(): typeof import('node:https') {
  return load('node:https') as typeof import('node:https');
}
