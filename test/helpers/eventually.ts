/** Polling for lab tests: bounded in time and in count, failing with what was awaited. */
import assert from 'node:assert/strict';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls every pollMs until `predicate` holds and returns the ms it took, or fails with `what` after timeoutMs. */
export async function eventually(what: string, timeoutMs: number, predicate: () => Promise<boolean> | boolean, pollMs = 25): Promise<number> {
  const started = Date.now();
  const maxPolls = Math.ceil(timeoutMs / pollMs) + 10;
  for (let i = 0; i < maxPolls && Date.now() - started < timeoutMs; i++) {
    if (await predicate()) return Date.now() - started;
    await sleep(pollMs);
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}
