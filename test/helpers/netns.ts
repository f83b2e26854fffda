/**
 * What the privileged kernel tests share: running `ip`, the check that the host holds no
 * test-range addresses, and network namespaces of the test's own that are deleted afterwards
 * (docs/development.md "Test networks").
 */
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Runs `ip` with these arguments and returns its stdout; throws on failure or after 10 s. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** The host's own test-range addresses, if any: then the test must not run (docs/development.md "Test networks"). */
export function hostTestRangeAddresses(): string[] {
  const links = JSON.parse(ip('-j', 'addr', 'show')) as { addr_info?: { local?: string }[] }[];
  const locals = links.flatMap((link) => (link.addr_info ?? []).map((info) => info.local ?? ''));
  return locals.filter((a) => a.startsWith('198.51.100.') || a.startsWith('203.0.113.') || /^2001:db8:/i.test(a));
}

/** Namespaces a test adds; deleteAll (in the test's finally) removes exactly those it added. */
export class TestNamespaces {
  readonly #added: string[] = [];

  /** Adds each namespace in turn; returns why `ip netns add` failed (for t.skip), or undefined. */
  tryAdd(...names: string[]): string | undefined {
    for (const name of names) {
      try {
        ip('netns', 'add', name);
      } catch (error) {
        return `ip netns add failed: ${(error as Error).message.split('\n')[0]}`;
      }
      this.#added.push(name);
    }
    return undefined;
  }

  /** Deletes every namespace added; one that cannot be deleted is reported, not thrown. */
  deleteAll(t: TestContext): void {
    for (const name of this.#added.splice(0)) {
      try {
        ip('netns', 'del', name);
      } catch (error) {
        t.diagnostic(`could not delete namespace ${name}: ${(error as Error).message}`);
      }
    }
  }
}
