/**
 * A fatal signal skips process 'exit', so a lab whose process is stopped by SIGTERM, SIGHUP or
 * SIGINT (a CI timeout, `kill`, Ctrl-C) would leave its namespaces and daemons behind. While any
 * lab lives, one handler per signal tears every live lab down synchronously and then lets the
 * signal end the process as it would have — unless someone else also listens for it (the demo's
 * own SIGINT handler), who then decides how to exit.
 */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
const teardowns = new Set<() => void>();

/** Runs `teardown` on a fatal signal until the returned function is called. */
export function tearDownOnSignal(teardown: () => void): () => void {
  if (teardowns.size === 0) for (const signal of SIGNALS) process.on(signal, onSignal);
  teardowns.add(teardown);
  return () => forget(teardown);
}

function forget(teardown: () => void): void {
  if (!teardowns.delete(teardown) || teardowns.size > 0) return;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const teardown of [...teardowns]) {
    forget(teardown);
    teardown();
  }
  // Our listener is gone now: with no other, re-raising gets the signal's default action.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
