/**
 * Least privilege on real daemons (docs/systemd.md, "Privileges and sandbox"): carpd started by
 * hand as the unit starts it — an unprivileged user with only CAP_NET_RAW and CAP_NET_ADMIN,
 * here through setpriv — runs a group as a root daemon does: the other node and the namespace
 * see it master with the VIP, its script runs as its own uid with none of its environment, it
 * cannot dump core, and it hands over on SIGTERM. An unprivileged local user cannot keep carpd
 * from starting by taking its lock name first. A script_user it cannot switch to, or a script
 * others could change, stops it before anything is touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CARPD, holds, stopCarpd, transitions, waitForPhase, type CarpdNode } from './carpd-in-lab.ts';
import { machine, onMachine, startCarpdOn, writeConfig, type Machine } from './machine.ts';
import { labForThisFile } from '../helpers/file-lab.ts';
import { interfaceLockName } from '../../src/daemon/instance-lock.ts';
import type { Lab } from '../../src/lab/lab.ts';

const VIP = '198.51.100.160';
/** The unprivileged user: nobody, as on most systems (setpriv needs a number, not a name). */
const UID = 65534;
const GID = 65534;
/** What the unit gives carpd: its user, no groups, two capabilities, nothing else (contrib/carpd.service). */
const SETPRIV = [
  'setpriv',
  `--reuid=${UID}`,
  `--regid=${GID}`,
  '--clear-groups',
  '--inh-caps=-all,+net_raw,+net_admin',
  '--ambient-caps=-all,+net_raw,+net_admin',
  '--bounding-set=-all,+net_raw,+net_admin',
];
const CAP_NET_ADMIN_AND_RAW = 0x3000n;

const fileLab = await labForThisFile({ hosts: ['a', 'b'] });
const skip = fileLab.skip ?? (existsSync('/usr/bin/setpriv') ? undefined : 'setpriv (util-linux) is not installed');

/**
 * A machine whose directories the unprivileged user can use as the unit's would be: /run/carpd
 * and /var/lib/carpd its own (RuntimeDirectory=, StateDirectory=), /etc/carpd root's and
 * readable, the passphrase file its own, mode 0600.
 */
function unprivilegedMachine(lab: Lab, name: string): { m: Machine; passphrase: string; out: string } {
  const m = machine(lab.host(name));
  chmodSync(m.root, 0o755);
  chmodSync(m.etc, 0o755);
  for (const sub of ['run', 'lib']) chownSync(join(m.root, sub), UID, GID);
  const passphrase = join(m.etc, 'pass');
  writeFileSync(passphrase, 'lab-secret\n', { mode: 0o600 });
  chownSync(passphrase, UID, GID);
  const out = join(m.root, 'out');
  mkdirSync(out, { mode: 0o700 });
  chownSync(out, UID, GID);
  return { m, passphrase, out };
}

/** A script root owns in a root-owned directory (what script security asks for), writing what it sees to `out`. */
function script(m: Machine, out: string): string {
  const path = join(m.etc, 'master.sh');
  writeFileSync(path, `#!/bin/sh\n{ echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; env | sort; } > ${out}/master.txt\n`, { mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

/** A field of /proc/PID/status. */
function status(pid: number, field: string): string {
  return /^(\S+):\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`)) ?? '')?.[2] ?? '';
}

/** The carpd-guard children of a process. */
function guardsOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((p) => p !== '').map(Number);
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'carpd-guard';
    } catch {
      return false;
    }
  });
}

test('carpd under setpriv with only CAP_NET_RAW and CAP_NET_ADMIN becomes master and holds the VIP, runs its script as its own uid with none of its environment, cannot dump core, refuses a reload with an unsafe script, and hands over on SIGTERM', { skip: skip ?? false, timeout: 90_000 }, async () => {
  const lab = fileLab.lab();
  const { m: ma, passphrase, out } = unprivilegedMachine(lab, 'a');
  const mb = machine(lab.host('b'));
  const nodes: CarpdNode[] = [];
  try {
    const master = script(ma, out);
    // script_user naming carpd's own user works without CAP_SETUID (nobody's group is 65534 too).
    const configA = writeConfig(ma, 'carpd.yaml', [{ addresses: [`${VIP}/24`], advskew: 0, passphraseFile: passphrase, extra: { scripts: { master }, script_user: 'nobody' } }]);
    chmodSync(configA, 0o644);
    const passB = join(mb.etc, 'pass');
    writeFileSync(passB, 'lab-secret\n', { mode: 0o600 });
    const configB = writeConfig(mb, 'carpd.yaml', [{ addresses: [`${VIP}/24`], advskew: 100, passphraseFile: passB }]);
    // A variable of the daemon's environment that must reach no script.
    const a = startCarpdOn(lab, ma, ['--config', configA], { launcher: SETPRIV, env: { CARPD_TEST_SECRET: 'daemon-only' } });
    nodes.push(a);
    await waitForPhase(a, 'master', 10_000);
    const b = startCarpdOn(lab, mb, ['--config', configB]);
    nodes.push(b);
    await waitForPhase(b, 'backup', 6_000);

    // What the namespace and the other node see.
    assert.ok(await holds(lab, lab.host('a'), VIP), 'a holds the VIP');
    assert.ok(!(await holds(lab, lab.host('b'), VIP)), 'b does not');
    const ping = await lab.ping(lab.host('b'), VIP, { intervalMs: 200, durationMs: 1_000 });
    assert.ok(ping.received >= 2, `b reaches the VIP: ${JSON.stringify(ping)}`);

    // Who the daemon and its guard are.
    const pid = a.process.pid;
    assert.equal(status(pid, 'Uid').split(/\s+/)[0], String(UID));
    assert.equal(BigInt(`0x${status(pid, 'CapEff')}`), CAP_NET_ADMIN_AND_RAW);
    assert.equal(BigInt(`0x${status(pid, 'CapBnd')}`), CAP_NET_ADMIN_AND_RAW);
    const [guard] = guardsOf(pid);
    assert.ok(guard !== undefined, 'the cleanup guard runs');
    assert.equal(status(guard, 'Uid').split(/\s+/)[0], String(UID), 'the guard runs as the same user');
    assert.equal(BigInt(`0x${status(guard, 'CapEff')}`), CAP_NET_ADMIN_AND_RAW, 'the guard keeps the two capabilities (ambient)');
    assert.equal(readFileSync(`/proc/${guard}/environ`, 'utf8'), '', 'the guard gets no environment');
    // Not dumpable: the kernel makes its /proc entries root's, though the process is uid 65534; and no core size.
    assert.equal(statSync(`/proc/${pid}/fd`).uid, 0, 'PR_SET_DUMPABLE 0');
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s/m);

    // The master script ran as the daemon's user, with no supplementary groups, and only the documented variables.
    const seen = readFileSync(join(out, 'master.txt'), 'utf8');
    assert.match(seen, new RegExp(`^uid=${UID} gid=${GID} groups=${GID}$`, 'm'));
    assert.doesNotMatch(seen, /CARPD_TEST_SECRET/);
    const variables = seen.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]);
    const shellOwn = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);
    assert.deepEqual(variables.filter((v) => !shellOwn.has(v as string)).sort(), ['CARP_ADDRESSES', 'CARP_GROUP', 'CARP_INTERFACE', 'CARP_PREVIOUS_STATE', 'CARP_PROTOCOL', 'CARP_REASON', 'CARP_STATE', 'CARP_VHID', 'CARP_VIRTUAL_INTERFACE', 'PATH']);

    // A reload (SIGHUP) with the script made writable by everyone is refused; the group runs on.
    chmodSync(master, 0o757);
    a.process.signal('SIGHUP');
    await a.process.waitForLine(/reload refused.*CARPD_CONFIG_SCRIPT_UNSAFE/, 5_000);
    chmodSync(master, 0o755);
    assert.ok(await holds(lab, lab.host('a'), VIP), 'still master with the VIP after the refused reload');

    // A clean handover: b takes over at once, a removes the VIP and puts back the sysctls it changed.
    const before = transitions(b).length;
    assert.equal(await stopCarpd(a), 0, 'a exits 0 after SIGTERM');
    await waitForPhase(b, 'master', 3_000, before);
    assert.ok(!(await holds(lab, lab.host('a'), VIP)), 'a removed the VIP');
    assert.ok(a.process.lines.some((l) => l.includes('restored a kernel setting')), 'the sysctls were written back as the unprivileged user');
    const complaints = a.process.lines.filter((l) => /"level":"(warn|error)"/.test(l) && !l.includes('reload refused'));
    assert.deepEqual(complaints, [], 'no warning or error but the refused reload');
    assert.equal(await stopCarpd(b), 0);
  } finally {
    for (const node of nodes) if (!node.process.done) await node.process.kill();
    for (const m of [ma, mb]) rmSync(m.root, { recursive: true, force: true });
  }
});

test('an unprivileged local user (setpriv to nobody) binding the instance-lock name first cannot keep carpd from starting', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const m = machine(lab.host('a'));
  const nodes: CarpdNode[] = [];
  const squatter = lab.spawn(lab.host('a'), [
    'setpriv', `--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
    process.execPath, '-e', `require('net').createServer(() => {}).listen(${JSON.stringify(interfaceLockName({ interface: 'eth0', vhid: 7 }))}, () => console.log('taken'))`,
  ]);
  try {
    await squatter.waitForLine(/taken/, 5_000);
    const pass = join(m.etc, 'pass');
    writeFileSync(pass, 'lab-secret\n', { mode: 0o600 });
    const config = writeConfig(m, 'carpd.yaml', [{ addresses: [`${VIP}/24`], advskew: 0, passphraseFile: pass }]);
    const a = startCarpdOn(lab, m, ['--config', config]);
    nodes.push(a);
    await waitForPhase(a, 'master', 10_000);
    assert.ok(await holds(lab, lab.host('a'), VIP), 'a is master and holds the VIP');
    assert.ok(a.process.lines.some((l) => l.includes('held by another user') && l.includes(`"uid":${UID}`) && l.includes(`"pid":${squatter.pid}`) ), 'the squatter is named');
    assert.equal(await stopCarpd(a), 0);
  } finally {
    for (const node of nodes) if (!node.process.done) await node.process.kill();
    await squatter.kill();
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('unprivileged carpd refuses at start, before touching anything: a script_user it cannot switch to, a script others could change', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const { m, passphrase, out } = unprivilegedMachine(lab, 'a');
  try {
    const master = script(m, out);
    const run = async (file: string, extra: Record<string, unknown>): Promise<{ code: number | null; lines: string[] }> => {
      const config = writeConfig(m, file, [{ addresses: [`${VIP}/24`], advskew: 0, passphraseFile: passphrase, extra }]);
      chmodSync(config, 0o644);
      const node = startCarpdOn(lab, m, ['--config', config], { launcher: SETPRIV });
      const exit = await node.process.exited;
      return { code: exit.code, lines: node.process.lines };
    };
    const other = await run('other-user.yaml', { script_user: 'root', scripts: { master } });
    assert.equal(other.code, 2);
    assert.ok(other.lines.some((l) => l.includes('[CARPD_SCRIPT_USER_PRIVILEGE]')), other.lines.join('\n'));
    chmodSync(master, 0o757);
    const unsafe = await run('unsafe.yaml', { scripts: { master } });
    assert.equal(unsafe.code, 2);
    assert.ok(unsafe.lines.some((l) => l.includes('[CARPD_CONFIG_SCRIPT_UNSAFE]')), unsafe.lines.join('\n'));
    assert.ok(!(await lab.links(lab.host('a'))).some((l) => l.name === 'carp7'), 'nothing was created');
    assert.ok(!(await holds(lab, lab.host('a'), VIP)));
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('carpd cleanup (ucarp mode, ExecStopPost) does not run a down script others could change, and runs a safe one as the unit\'s user with none of its environment', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const lab = fileLab.lab();
  const { m, out } = unprivilegedMachine(lab, 'a');
  const host = lab.host('a');
  try {
    const down = join(m.etc, 'down.sh');
    writeFileSync(down, `#!/bin/sh\n{ echo "uid=$(id -u) args=$*"; env | sort; } > ${out}/down.txt\nip addr del ${VIP}/24 dev eth0\n`, { mode: 0o755 });
    chmodSync(down, 0o757);
    // What a crashed ucarp-mode master leaves: the address its up script added.
    assert.equal((await lab.exec(host, ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0'])).code, 0);
    const cleanup = (): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      lab.exec(host, onMachine(m, [...SETPRIV, process.execPath, CARPD, 'cleanup', 'ucarp', '--interface=eth0', `--srcip=${host.ipv4}`, '--vhid=7', '--pass=lab-secret', `--addr=${VIP}`, `--upscript=${down}`, `--downscript=${down}`]), { timeoutMs: 20_000 });
    const refused = await cleanup();
    assert.match(refused.stdout + refused.stderr, /not running the down script.*CARPD_CONFIG_SCRIPT_UNSAFE/);
    assert.ok(!existsSync(join(out, 'down.txt')), 'the unsafe script did not run');
    assert.ok(await holds(lab, host, VIP), 'so the address is still there');
    chmodSync(down, 0o755);
    const ran = await cleanup();
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const seen = readFileSync(join(out, 'down.txt'), 'utf8');
    assert.match(seen, new RegExp(`^uid=${UID} args=eth0 ${VIP.replaceAll('.', '\\.')}$`, 'm'));
    assert.doesNotMatch(seen, /CARPD_TEST_SECRET|HOME=/);
    assert.ok(!(await holds(lab, host, VIP)), 'the down script removed the address, as carpd\'s user with CAP_NET_ADMIN');
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});
