/**
 * The fail-safe suite (issue 9): real daemons in a namespace lab, each host a separate machine
 * with carpd's *default* control socket and state directory (machine.ts), faults done to the
 * host around a running cluster. Every scenario asserts what the client and the other node see:
 * who holds the VIP, whether the client's pings (every 10 ms from host c) come back, and that
 * the other node made no transition it should not have.
 *
 * Cluster: a (advskew 0, the master) and b (advskew 100), vhid 7, VIP 198.51.100.107/24,
 * advbase 1, preempt. Client: c.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Lab, type PingResult } from '../../src/lab/lab.ts';
import { holds, phaseOf, records, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { carpctlOn, machine, startCarpdOn, writeConfig, writePassphrase, type Machine, type MountOptions } from './machine.ts';
import { eventually } from '../helpers/eventually.ts';

const VIP = '198.51.100.107';
const VIP2 = '198.51.100.108';
const PASS = 'fail-safe-pass';
/** Master-down of b (advskew 100) at advbase 1, ms, plus scheduling slack. */
const B_TAKEOVER_MS = Math.round(3000 * (1 + 100 / 256) + 1500);

const skip = await Lab.available();
let lab: Lab | undefined;
const cleanups: (() => void)[] = [];

before(async () => {
  if (skip !== undefined) return;
  lab = await Lab.create({ hosts: ['a', 'b', 'c'], ipv6: true });
});
after(async () => {
  try {
    await lab?.destroy();
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Node {
  readonly m: Machine;
  readonly config: string;
  node: CarpdNode;
}

/** A fresh machine pair a/b with configs, passphrase files and empty state. */
function machines(): { a: Machine; b: Machine } {
  assert.ok(lab !== undefined);
  const a = machine(lab.host('a'));
  const b = machine(lab.host('b'));
  cleanups.push(() => rmSync(a.root, { recursive: true, force: true }), () => rmSync(b.root, { recursive: true, force: true }));
  return { a, b };
}

function config(m: Machine, advskew: number, options: { addresses?: string[]; extra?: Record<string, unknown>; top?: Record<string, unknown>; file?: string } = {}): string {
  const passphraseFile = existsSync(join(m.etc, 'web.pass')) ? join(m.etc, 'web.pass') : writePassphrase(m, 'web.pass', PASS);
  return writeConfig(m, options.file ?? 'carpd.yaml', [{ addresses: options.addresses ?? [`${VIP}/24`], advskew, passphraseFile, extra: { key_change_window: 120, ...options.extra } }], options.top ?? {});
}

function start(m: Machine, configPath: string, options: MountOptions & { env?: Record<string, string>; launcher?: readonly string[] } = {}): CarpdNode {
  assert.ok(lab !== undefined);
  return startCarpdOn(lab, m, ['--config', configPath], options);
}

/** a master, b backup, both with the default paths of their machine. */
async function cluster(): Promise<{ a: Node; b: Node }> {
  const { a: ma, b: mb } = machines();
  const a: Node = { m: ma, config: config(ma, 0), node: undefined as unknown as CarpdNode };
  const b: Node = { m: mb, config: config(mb, 100), node: undefined as unknown as CarpdNode };
  a.node = start(a.m, a.config);
  await waitForPhase(a.node, 'master', 8_000);
  b.node = start(b.m, b.config);
  await waitForPhase(b.node, 'backup', 6_000);
  await eventually('VIP on a', 3_000, () => holdsVip('a'));
  return { a, b };
}

async function stopAll(...nodes: (CarpdNode | undefined)[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      if (node === undefined || node.process.done) return;
      node.process.signal('SIGTERM');
      await Promise.race([node.process.exited, sleep(10_000)]);
      if (!node.process.done) node.process.signal('SIGKILL');
    }),
  );
}

async function holdsVip(host: string, address = VIP): Promise<boolean> {
  assert.ok(lab !== undefined);
  return holds(lab, lab.host(host), address);
}

async function vipHolders(address = VIP): Promise<string[]> {
  const out: string[] = [];
  for (const host of ['a', 'b']) if (await holdsVip(host, address)) out.push(host);
  return out;
}

async function carpLink(host: string): Promise<{ index: number; up: boolean } | undefined> {
  assert.ok(lab !== undefined);
  const result = await lab.exec(host, ['ip', '-j', 'link', 'show', 'carp7']);
  if (result.code !== 0) return undefined;
  const [link] = JSON.parse(result.stdout) as { ifindex: number; flags: string[] }[];
  return link === undefined ? undefined : { index: link.ifindex, up: link.flags.includes('UP') };
}

/** Pings the VIP from the client every 10 ms while `during` runs (and for durationMs in all). */
async function pingDuring(durationMs: number, during: () => Promise<void>, address = VIP): Promise<PingResult> {
  assert.ok(lab !== undefined);
  const ping = lab.ping('c', address, { intervalMs: 10, durationMs });
  await sleep(200);
  await during();
  return ping;
}

/** The transitions of group web a node logged (other groups' are left out). */
function webTransitions(node: CarpdNode): { from: string; to: string; reason: string }[] {
  return records(node)
    .filter((r) => r['group'] === 'web' && typeof r['to'] === 'string' && typeof r['reason'] === 'string')
    .map((r) => ({ from: String(r['from']), to: String(r['to']), reason: String(r['reason']) }));
}

/** Group web's transitions after the first `count`. */
function newTransitions(node: CarpdNode, count: number): string[] {
  return webTransitions(node)
    .slice(count)
    .map((t) => `${t.from}->${t.to} (${t.reason})`);
}

function logHas(node: CarpdNode, pattern: RegExp): boolean {
  return node.process.lines.some((line) => pattern.test(line));
}

function tail(node: CarpdNode | undefined, lines = 25): string {
  return node === undefined ? '' : node.process.lines.slice(-lines).join('\n');
}

async function status(m: Machine): Promise<{ groups: { name: string; state: string; counters: { drops: Record<string, number> }; heard?: { address: string; authenticates: boolean }[]; scripts: { failures: number; runs: number }; fault?: unknown; keyChange?: unknown; effects?: { repairs: number } }[] }> {
  assert.ok(lab !== undefined);
  const result = await carpctlOn(lab, m, ['status', '--json']);
  assert.equal(result.code, 0, `carpctl status: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function diag(t: TestContext, label: string, ping: PingResult): void {
  t.diagnostic(`${label}: client outage ${Math.round(ping.longestGapMs)} ms, ${ping.sent - ping.received} of ${ping.sent} pings lost`);
}

describe('fail-safe: start-up', { skip: skip ?? false }, () => {
  test('second instance on the same host: refused before it touches anything; the master keeps its VIP', { timeout: 60_000 }, async (t) => {
    const { a, b } = await cluster();
    try {
      const before = await carpLink('a');
      const bCount = webTransitions(b.node).length;
      let second: CarpdNode | undefined;
      const ping = await pingDuring(4_000, async () => {
        second = start(a.m, a.config);
        await Promise.race([second.process.exited, sleep(8_000)]);
      });
      assert.ok(second !== undefined);
      assert.equal(second.process.done, true, `the second carpd must exit:\n${tail(second)}`);
      assert.equal((await second.process.exited).code, 2);
      assert.ok(logHas(second, /CARPD_ALREADY_RUNNING/), tail(second));
      assert.deepEqual(await carpLink('a'), before, 'carp7 untouched (same ifindex, still up)');
      assert.deepEqual(await vipHolders(), ['a']);
      assert.deepEqual(newTransitions(b.node, bCount), []);
      assert.equal(phaseOf(a.node), 'master');
      assert.ok(ping.longestGapMs < 500, `client outage ${ping.longestGapMs} ms`);
      diag(t, 'second instance', ping);
    } finally {
      await stopAll(a.node, b.node);
    }
  });

  test('second instance with its own state directory and control socket: refused by the interface lock', { timeout: 60_000 }, async (t) => {
    const { a, b } = await cluster();
    try {
      const before = await carpLink('a');
      const own = config(a.m, 0, { file: 'own-paths.yaml', top: { state_directory: join(a.m.etc, 'state2'), control_socket: join(a.m.etc, 'carpd2.sock') } });
      let second: CarpdNode | undefined;
      const ping = await pingDuring(4_000, async () => {
        second = start(a.m, own);
        await Promise.race([second.process.exited, sleep(8_000)]);
      });
      assert.ok(second !== undefined);
      assert.equal((await second.process.exited).code, 2, tail(second));
      assert.ok(logHas(second, /CARPD_ALREADY_RUNNING/), tail(second));
      assert.deepEqual(await carpLink('a'), before, 'carp7 untouched');
      assert.deepEqual(await vipHolders(), ['a']);
      assert.ok(ping.longestGapMs < 500, `client outage ${ping.longestGapMs} ms`);
      diag(t, 'second instance, other paths', ping);
    } finally {
      await stopAll(a.node, b.node);
    }
  });

  /** b runs alone as master; a (better, preempting) fails to start: nothing on a, b undisturbed. */
  async function failedStart(t: TestContext, label: string, prepare: (a: Machine, config: string) => { config?: string; mount?: MountOptions; cleanup?: () => void }, code: RegExp, message?: RegExp): Promise<void> {
    const { a: ma, b: mb } = machines();
    const b = start(mb, config(mb, 100));
    let a: CarpdNode | undefined;
    let cleanup: (() => void) | undefined;
    try {
      await waitForPhase(b, 'master', 8_000);
      await eventually('VIP on b', 3_000, () => holdsVip('b'));
      const bCount = webTransitions(b).length;
      const setup = prepare(ma, config(ma, 0));
      cleanup = setup.cleanup;
      const ping = await pingDuring(5_000, async () => {
        a = start(ma, setup.config ?? join(ma.etc, 'carpd.yaml'), setup.mount ?? {});
        await Promise.race([a.process.exited, sleep(8_000)]);
      });
      assert.ok(a !== undefined);
      assert.equal(a.process.done, true, `${label}: carpd must exit, not stay half-alive:\n${tail(a)}`);
      assert.equal((await a.process.exited).code, 2, tail(a));
      assert.ok(logHas(a, code), `${label}: expected ${code}:\n${tail(a)}`);
      if (message !== undefined) assert.ok(logHas(a, message), `${label}: expected the real cause ${message}:\n${tail(a)}`);
      assert.equal(await carpLink('a'), undefined, `${label}: no carp7 left on a`);
      const arpIgnore = await lab!.exec('a', ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_ignore']);
      assert.equal(arpIgnore.stdout.trim(), '0', `${label}: no sysctl changed`);
      assert.deepEqual(await vipHolders(), ['b'], `${label}: the VIP stays on b alone`);
      assert.deepEqual(newTransitions(b, bCount), [], `${label}: b saw no master from a`);
      assert.equal(records(a).filter((r) => r['to'] === 'master').length, 0, `${label}: a never became master`);
      assert.ok(ping.longestGapMs < 500, `${label}: client outage ${ping.longestGapMs} ms`);
      diag(t, label, ping);
    } finally {
      cleanup?.();
      await stopAll(a, b);
    }
  }

  test('start-up failure: a regular file where the control socket goes (CARPD_CONTROL_SOCKET, nothing touched)', { timeout: 60_000 }, (t) =>
    failedStart(
      t,
      'file in socket path',
      (m) => {
        writeFileSync(join(m.root, 'run', 'carpd.sock'), 'not a socket\n');
        return {};
      },
      /CARPD_CONTROL_SOCKET/,
      /not a socket/,
    ),
  );

  test('start-up failure: read-only /run/carpd (CARPD_CONTROL_SOCKET naming EROFS)', { timeout: 60_000 }, (t) =>
    failedStart(t, 'read-only run dir', () => ({ mount: { readOnlyRun: true } }), /CARPD_CONTROL_SOCKET/, /EROFS/),
  );

  test('start-up failure: read-only state directory (CARPD_STATE_DIRECTORY naming EROFS)', { timeout: 60_000 }, (t) =>
    failedStart(t, 'read-only state dir', () => ({ mount: { readOnlyLib: true } }), /CARPD_STATE_DIRECTORY/, /EROFS/),
  );

  test("start-up failure: a second group's passphrase file is missing (CARPD_PASSPHRASE)", { timeout: 60_000 }, (t) =>
    failedStart(
      t,
      'missing passphrase',
      (m) => {
        const path = writeConfig(m, 'two.yaml', [
          { addresses: [`${VIP}/24`], advskew: 0, passphraseFile: join(m.etc, 'web.pass') },
          { name: 'db', vhid: 8, addresses: ['198.51.100.109/24'], advskew: 0, passphraseFile: join(m.etc, 'db.pass') },
        ]);
        return { config: path };
      },
      /CARPD_PASSPHRASE/,
      /db/,
    ),
  );

  test('start-up failure: the metrics port is taken (CARPD_METRICS_LISTEN naming EADDRINUSE)', { timeout: 60_000 }, (t) => {
    assert.ok(lab !== undefined);
    const holder = lab.spawn('a', [process.execPath, '-e', "require('net').createServer().listen(9273, '198.51.100.10', () => console.log('listening'))"]);
    return failedStart(
      t,
      'metrics port taken',
      (m) => ({ config: config(m, 0, { file: 'metrics.yaml', top: { metrics: { listen: '198.51.100.10:9273' } } }), cleanup: () => holder.signal('SIGKILL') }),
      /CARPD_METRICS_LISTEN/,
      /EADDRINUSE/,
    );
  });
});

describe('fail-safe: drift under a master', { skip: skip ?? false }, () => {
  async function drift(t: TestContext, label: string, fault: () => Promise<void>, check: () => Promise<boolean>): Promise<void> {
    const { a, b } = await cluster();
    try {
      const bCount = webTransitions(b.node).length;
      const aCount = webTransitions(a.node).length;
      let repairedAfter = 0;
      const ping = await pingDuring(4_000, async () => {
        const at = Date.now();
        await fault();
        await eventually(`${label}: repaired`, 3_000, check);
        repairedAfter = Date.now() - at;
      });
      assert.ok(logHas(a.node, /repaired/), `${label}: logged as repaired:\n${tail(a.node)}`);
      assert.deepEqual(await vipHolders(), ['a']);
      assert.deepEqual(newTransitions(a.node, aCount), [], `${label}: no transition on the master`);
      assert.deepEqual(newTransitions(b.node, bCount), [], `${label}: no failover`);
      assert.ok(repairedAfter < 1_500, `${label}: repaired after ${repairedAfter} ms`);
      assert.ok(ping.longestGapMs < 1_500, `${label}: client outage ${ping.longestGapMs} ms`);
      t.diagnostic(`${label}: repaired ${repairedAfter} ms after the fault`);
      diag(t, label, ping);
    } finally {
      await stopAll(a.node, b.node);
    }
  }

  test('VIP deleted under a master: put back', { timeout: 60_000 }, (t) =>
    drift(
      t,
      'ip addr del',
      async () => void (await lab!.exec('a', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'carp7'])),
      () => holdsVip('a'),
    ),
  );

  test('carp7 set down under a master: set up again with its VIP', { timeout: 60_000 }, (t) =>
    drift(
      t,
      'ip link set carp7 down',
      async () => void (await lab!.exec('a', ['ip', 'link', 'set', 'carp7', 'down'])),
      async () => (await carpLink('a'))?.up === true && (await holdsVip('a')),
    ),
  );

  test('carp7 deleted under a master: re-created with its VIP', { timeout: 60_000 }, async (t) => {
    let before: number | undefined;
    await drift(
      t,
      'ip link del carp7',
      async () => {
        before = (await carpLink('a'))?.index;
        await lab!.exec('a', ['ip', 'link', 'del', 'carp7']);
      },
      async () => {
        const link = await carpLink('a');
        return link !== undefined && link.index !== before && link.up && (await holdsVip('a'));
      },
    );
  });

  test('a VIP added by hand on the backup: logged and counted as a conflict, left to the operator', { timeout: 60_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    try {
      const counts = { a: webTransitions(a.node).length, b: webTransitions(b.node).length };
      await lab.exec('b', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
      await eventually('b reports the conflict', 3_000, () => logHas(b.node, /conflict: virtual address 198\.51\.100\.107 appeared on this host while BACKUP/));
      const s = (await status(b.m)).groups[0] as unknown as { effects: { conflicts: number } };
      assert.equal(s.effects.conflicts, 1);
      assert.deepEqual(newTransitions(a.node, counts.a), []);
      assert.deepEqual(newTransitions(b.node, counts.b), []);
      await lab.exec('b', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
      t.diagnostic('conflict logged; carpd left the operator\'s address alone');
    } finally {
      await stopAll(a.node, b.node);
    }
  });

  test('parent interface deleted and re-created: b takes over, then a picks up the new eth0 and preempts', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    try {
      const aCount = webTransitions(a.node).length;
      await lab.deleteHostLink('a');
      const takeover = await eventually('b master with the VIP', B_TAKEOVER_MS + 1_000, async () => phaseOf(b.node) === 'master' && (await holdsVip('b')));
      assert.deepEqual(await vipHolders(), ['b']);
      await sleep(500);
      await lab.recreateHostLink('a');
      const back = await eventually('a master again on the new eth0', 10_000, async () => phaseOf(a.node) === 'master' && (await vipHolders()).join() === 'a');
      assert.ok(newTransitions(a.node, aCount).some((x) => x.endsWith('->master (preempting-worse-master)') || x.includes('->master')), newTransitions(a.node, aCount).join('\n'));
      assert.equal(phaseOf(b.node), 'backup');
      const ping = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 1_000 });
      assert.ok(ping.received > 90, `client pings after the re-creation: ${ping.received}/${ping.sent}`);
      t.diagnostic(`b took over ${takeover} ms after eth0 was deleted; a master again ${back} ms after it came back`);
    } finally {
      await stopAll(a.node, b.node);
    }
  });
});

describe('fail-safe: reload', { skip: skip ?? false }, () => {
  test('reload failing part way (a new group without its passphrase file) changes nothing; fixed, it applies', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    try {
      const aCount = webTransitions(a.node).length;
      const bCount = webTransitions(b.node).length;
      writeConfig(a.m, 'carpd.yaml', [
        { addresses: [`${VIP}/24`, `${VIP2}/24`], advskew: 0, passphraseFile: join(a.m.etc, 'web.pass'), extra: { key_change_window: 120 } },
        { name: 'db', vhid: 8, addresses: ['198.51.100.109/24'], advskew: 0, passphraseFile: join(a.m.etc, 'db.pass') },
      ]);
      let failed = { code: 0 as number | null, stdout: '', stderr: '' };
      const ping = await pingDuring(3_000, async () => {
        failed = await carpctlOn(lab!, a.m, ['reload']);
      });
      assert.notEqual(failed.code, 0, 'the reply says the reload failed');
      assert.match(failed.stdout + failed.stderr, /db/, 'and names what failed');
      assert.equal(await holdsVip('a', VIP2), false, 'nothing of the new file applied');
      assert.equal((await lab.links('a')).some((l) => l.name === 'carp8'), false);
      assert.deepEqual(await vipHolders(), ['a']);
      assert.ok(ping.longestGapMs < 500, `client outage ${ping.longestGapMs} ms`);
      writePassphrase(a.m, 'db.pass', 'db-pass');
      const fixed = await carpctlOn(lab, a.m, ['reload']);
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.match(fixed.stdout, /1 added/);
      assert.match(fixed.stdout, /1 changed \(1 in place\)/);
      await eventually('VIP2 on a', 2_000, () => holdsVip('a', VIP2));
      assert.deepEqual(newTransitions(a.node, aCount), [], 'web made no transition');
      assert.deepEqual(newTransitions(b.node, bCount), [], 'b saw no failover');
      diag(t, 'failed reload', ping);
    } finally {
      await stopAll(a.node, b.node);
    }
  });

  async function rolling(t: TestContext, order: ('a' | 'b')[]): Promise<void> {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    const nodes = { a, b };
    try {
      const counts = { a: webTransitions(a.node).length, b: webTransitions(b.node).length };
      const ping = await pingDuring(9_000, async () => {
        for (const [i, name] of order.entries()) {
          const node = nodes[name];
          config(node.m, name === 'a' ? 0 : 100, { addresses: [`${VIP}/24`, `${VIP2}/24`] });
          const result = await carpctlOn(lab!, node.m, ['reload']);
          assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
          assert.match(result.stdout, /in place/);
          if (i === 0) await sleep(3_000);
        }
        await sleep(3_000);
      });
      assert.deepEqual(newTransitions(a.node, counts.a), [], 'a stays master throughout');
      assert.deepEqual(newTransitions(b.node, counts.b), [], 'b never becomes master');
      assert.deepEqual(await vipHolders(VIP), ['a']);
      assert.deepEqual(await vipHolders(VIP2), ['a']);
      const second = await lab.ping('c', VIP2, { intervalMs: 10, durationMs: 500 });
      assert.ok(second.received > 40, `the new VIP answers: ${second.received}/${second.sent}`);
      assert.ok(ping.sent - ping.received <= 2, `at most two lost pings: ${ping.sent - ping.received}`);
      assert.ok(((await status(b.m)).groups[0]?.keyChange) !== undefined, 'b shows the key change under way');
      if (order[0] === 'a') {
        // For 3 s b, not yet reloaded, heard a's twin copies signed with the new list: their own
        // drop reason, not bad-auth; no warning; a still authenticates (issue 18, item 4).
        const web = (await status(b.m)).groups[0];
        assert.ok((web?.counters.drops['key-change-twin'] ?? 0) >= 2, JSON.stringify(web?.counters.drops));
        assert.equal(web?.counters.drops['bad-auth'], 0);
        assert.ok(web?.heard?.every((p) => p.authenticates), JSON.stringify(web?.heard));
        assert.equal(b.node.process.lines.filter((l) => l.includes('"level":"warn"') && l.includes('fail authentication')).length, 0);
      }
      diag(t, `rolling ${order.join(' then ')}`, ping);
    } finally {
      await stopAll(a.node, b.node);
    }
  }

  test('rolling address change, backup first: no failover, never two masters', { timeout: 90_000 }, (t) => rolling(t, ['b', 'a']));
  test('rolling address change, master first: no failover, never two masters', { timeout: 90_000 }, (t) => rolling(t, ['a', 'b']));

  test('passphrase rotation by reload, then a restart of the backup with the new key: one master throughout', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    try {
      const counts = { a: webTransitions(a.node).length, b: webTransitions(b.node).length };
      let restarted: CarpdNode | undefined;
      const ping = await pingDuring(14_000, async () => {
        for (const node of [a, b]) {
          writePassphrase(node.m, 'web.pass', 'rotated-pass');
          const result = await carpctlOn(lab!, node.m, ['reload']);
          assert.equal(result.code, 0, result.stdout + result.stderr);
          assert.match(result.stdout, /1 changed \(1 in place\)/, 'a rotated key is a change even with the same path');
          await sleep(1_000);
        }
        await stopAll(b.node);
        restarted = start(b.m, b.config);
        await waitForPhase(restarted, 'backup', 6_000);
        await sleep(B_TAKEOVER_MS);
      });
      assert.ok(restarted !== undefined);
      assert.deepEqual(newTransitions(a.node, counts.a), [], 'a stays master');
      assert.deepEqual(webTransitions(restarted).filter((x) => x.to === 'master'), [], `the restarted b hears a and stays backup:\n${tail(restarted)}`);
      assert.deepEqual(await vipHolders(), ['a']);
      assert.ok(ping.sent - ping.received <= 2, `lost pings: ${ping.sent - ping.received}`);
      diag(t, 'passphrase rotation', ping);
      b.node = restarted;
    } finally {
      await stopAll(a.node, b.node);
    }
  });
});

describe('fail-safe: effects confirmed', { skip: skip ?? false }, () => {
  test('claim failure (IPv6 disabled on the new carp7): a leaves mastership fully demoted and b holds every VIP', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const VIP6 = '2001:db8::107';
    const { a: ma, b: mb } = machines();
    const addresses = [`${VIP}/24`, `${VIP6}/64`];
    const b = start(mb, config(mb, 100, { addresses }));
    let a: CarpdNode | undefined;
    // Every interface created from now on in a's namespace has IPv6 off: carp7's IPv6 VIP cannot be added.
    await lab.exec('a', ['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    try {
      await waitForPhase(b, 'master', 8_000);
      await eventually('both VIPs on b', 3_000, async () => (await holdsVip('b')) && (await holdsVip('b', VIP6)));
      const ping = await pingDuring(6_000, async () => {
        a = start(ma, config(ma, 0, { addresses }));
        await waitForPhase(a, 'master', 8_000);
        await waitForPhase(a, 'backup', 3_000, webTransitions(a).findIndex((x) => x.to === 'master') + 1);
        await eventually('b master again with both VIPs', 3_000, async () => phaseOf(b) === 'master' && (await holdsVip('b')) && (await holdsVip('b', VIP6)));
      });
      assert.ok(a !== undefined);
      const left = webTransitions(a).find((x) => x.reason === 'claim-failed');
      assert.ok(left !== undefined, `a left mastership as claim-failed:\n${tail(a)}`);
      assert.ok(logHas(a, /leaving mastership/), tail(a));
      assert.equal(await holdsVip('a'), false, 'a keeps none of the VIPs');
      assert.equal(await holdsVip('a', VIP6), false);
      const s = (await status(ma)).groups[0] as unknown as { fault: unknown; demotion: { total: number } };
      assert.notEqual(s.fault, null, 'status shows the fault');
      assert.equal(s.demotion.total, 255);
      const after = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
      assert.ok(after.received > 40, `the client reaches b: ${after.received}/${after.sent}`);
      diag(t, 'failed claim and hand-back', ping);
    } finally {
      await lab.exec('a', ['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=0']);
      await stopAll(a, b);
    }
  });
});

describe('fail-safe: helpers and resources', { skip: skip ?? false }, () => {
  test('cleanup guard killed: restarted; then the daemon killed: carp7 and the VIP leave a, b takes over', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a, b } = await cluster();
    try {
      const guardOf = (): number[] => {
        try {
          return execFileSync('pgrep', ['-P', String(a.node.process.pid), '-x', 'carpd-guard'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
        } catch {
          return [];
        }
      };
      await eventually('a guard runs', 5_000, () => guardOf().length === 1);
      const [first] = guardOf();
      process.kill(first as number, 'SIGKILL');
      await eventually('the guard restarted', 5_000, () => guardOf().length === 1 && guardOf()[0] !== first);
      assert.ok(logHas(a.node, /cleanup guard died/), tail(a.node));
      await sleep(300);
      const killedAt = Date.now();
      process.kill(a.node.process.pid, 'SIGKILL');
      const cleaned = await eventually('carp7 gone from a', 3_000, async () => (await carpLink('a')) === undefined && !(await holdsVip('a')));
      await eventually('b master with the VIP', B_TAKEOVER_MS, async () => phaseOf(b.node) === 'master' && (await holdsVip('b')));
      assert.deepEqual(await vipHolders(), ['b']);
      const ping = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
      assert.ok(ping.received > 40);
      assert.ok(cleaned < 1_500, `the guard cleaned up ${cleaned} ms after the kill`);
      t.diagnostic(`restarted guard removed carp7 ${cleaned} ms after SIGKILL; b master ${Date.now() - killedAt} ms after`);
    } finally {
      await stopAll(a.node, b.node);
    }
  });

  test('EMFILE at a script start: a counted script failure; the daemon lives, takes over and holds the VIP', { timeout: 90_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a: ma, b: mb } = machines();
    const marker = join(ma.etc, 'master-ran');
    const script = join(ma.etc, 'master.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    // b is the master here; a (worse) is the backup whose descriptors run out.
    const b = start(mb, config(mb, 0));
    await waitForPhase(b, 'master', 8_000);
    const a = start(ma, config(ma, 100, { extra: { scripts: { master: script } } }));
    try {
      await waitForPhase(a, 'backup', 6_000);
      await sleep(500);
      const open = Number(execFileSync('sh', ['-c', `ls /proc/${a.process.pid}/fd | wc -l`], { encoding: 'utf8' }).trim());
      const soft = execFileSync('prlimit', ['--pid', String(a.process.pid), '--nofile', '--output=SOFT', '--noheadings'], { encoding: 'utf8' }).trim();
      // The soft limit only (the hard one could not be raised again): no descriptor to spare.
      execFileSync('prlimit', ['--pid', String(a.process.pid), `--nofile=${open}:`]);
      let takeover = 0;
      const ping = await pingDuring(B_TAKEOVER_MS + 2_000, async () => {
        const at = Date.now();
        await stopAll(b);
        await waitForPhase(a, 'master', B_TAKEOVER_MS);
        takeover = Date.now() - at;
        await sleep(1_000);
      });
      assert.equal(a.process.done, false, `a must not die:\n${tail(a)}`);
      assert.equal(await holdsVip('a'), true);
      assert.ok(logHas(a, /script could not be started/), tail(a));
      assert.equal(existsSync(marker), false);
      execFileSync('prlimit', ['--pid', String(a.process.pid), `--nofile=${soft}:`]);
      const s = await status(ma);
      assert.ok((s.groups[0]?.scripts.failures ?? 0) >= 1, JSON.stringify(s.groups[0]?.scripts));
      // Pings come back and keep coming back. One CI run saw 13/50 replies here once (not
      // reproduced locally): a short window is retried (at most 3, bounded), and what the client
      // and a looked like at the bad window is printed so the next occurrence can be explained.
      let after = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
      for (let attempt = 1; attempt < 3 && after.received <= 40; attempt++) {
        const neigh = await lab.exec('c', ['ip', 'neigh', 'show']);
        const addrs = await lab.exec('a', ['ip', '-br', 'addr', 'show']);
        t.diagnostic(
          `client window ${attempt}: ${after.received}/${after.sent} replies, longest gap ${Math.round(after.longestGapMs)} ms; ` +
            `c neigh: ${neigh.stdout.trim().replace(/\n/g, ' | ')}; a addrs: ${addrs.stdout.trim().replace(/\n/g, ' | ')}; ` +
            `holders ${(await vipHolders()).join(',')}; a log tail:\n${tail(a)}`,
        );
        await sleep(500);
        after = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
      }
      assert.ok(after.received > 40, `client pings the new master: ${after.received}/${after.sent}`);
      assert.deepEqual(await vipHolders(), ['a']);
      t.diagnostic(`a master ${takeover} ms after b's stop with no descriptor to spare; client outage ${Math.round(ping.longestGapMs)} ms`);
    } finally {
      await stopAll(a, b);
    }
  });

  test('fresh receiver with a clock an hour ahead: captured adverts refused, takes over, then accepts a live peer', { timeout: 120_000 }, async (t) => {
    assert.ok(lab !== undefined);
    const { a: ma, b: mb } = machines();
    // The adverts to replay: a (advskew 0) on the real clock, captured while it is master.
    let a = start(ma, config(ma, 0));
    await waitForPhase(a, 'master', 8_000);
    const capture = await lab.startCapture('bridge', 'ip proto 112');
    await sleep(3_500);
    const pcap = await capture.stop();
    await stopAll(a);
    // An hour later (both live nodes' clocks one hour ahead): b starts with no saved state while
    // the captured adverts are replayed every 200 ms.
    const faketime = ['env', 'FAKETIME_DONT_FAKE_MONOTONIC=1', 'faketime', '-f', '+1h'];
    const injector = lab.spawn('c', [process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'replay-injector.ts'), pcap, 'eth0', '200', '12000']);
    const b = start(mb, config(mb, 100), { launcher: faketime });
    try {
      await waitForPhase(b, 'master', B_TAKEOVER_MS + 1_000);
      await eventually('VIP on b', 2_000, () => holdsVip('b'));
      const drops = (await status(mb)).groups[0]?.counters.drops ?? {};
      assert.ok((drops['replay'] ?? 0) > 0, `replays counted: ${JSON.stringify(drops)}`);
      // The live peer: a again, also an hour ahead, better and preempting.
      a = start(ma, config(ma, 0), { launcher: faketime });
      await waitForPhase(a, 'master', 8_000);
      await eventually('b backup, VIP on a alone', 5_000, async () => phaseOf(b) === 'backup' && (await vipHolders()).join() === 'a');
      // The replayed frames carry the virtual MAC from c's port: the bridge learnt it there. Stop
      // them and let a's next adverts teach the bridge the right port again before pinging.
      injector.signal('SIGKILL');
      await sleep(1_500);
      const ping = await lab.ping('c', VIP, { intervalMs: 10, durationMs: 500 });
      assert.ok(ping.received > 40);
      t.diagnostic(`replay drops at b: ${drops['replay']}`);
    } finally {
      injector.signal('SIGKILL');
      await stopAll(a, b);
    }
  });
});

