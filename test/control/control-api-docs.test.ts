/**
 * docs/control-api.md against the real thing: every example request in it is sent to a real
 * Daemon (on the fake platform) through the real ControlServer, and the answers and events the
 * docs show must be what the daemon sends. Messages are compared with numbers (and the temporary
 * config path) normalised, so "web demoted: demotion 10" must match the daemon's wording exactly;
 * the status example must have exactly the fields the daemon's StatusReport has.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFileLoader } from '../../src/config/config-file.ts';
import { request, streamEvents } from '../../src/control/control-client.ts';
import { ControlServer } from '../../src/control/control-server.ts';
import type { ControlEvent, ControlRequest } from '../../src/control/control-types.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { groupConfig, makeDaemon, simPeer, simVrrpPeer, vrrpGroupConfig, type DaemonRig } from '../helpers/fake-platform.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'control-api.md'), 'utf8');
const DOC_CONFIG_PATH = '/etc/carpd/carpd.yaml';

/** The JSON lines of every ```json block, parsed; a block spread over lines is one value. */
function jsonExamples(): unknown[] {
  const values: unknown[] = [];
  for (const block of DOC.matchAll(/```json\n([\s\S]*?)```/g)) {
    const text = (block[1] as string).trim();
    if (text.startsWith('{\n')) {
      values.push(JSON.parse(text));
      continue;
    }
    for (const line of text.split('\n')) values.push(JSON.parse(line));
  }
  return values;
}

const examples = jsonExamples();
const requests = examples.filter((v): v is { command: string } => typeof (v as { command?: unknown }).command === 'string');
const answers = examples.filter((v): v is { ok: boolean; message: string; code?: string } => typeof (v as { ok?: unknown }).ok === 'boolean' && typeof (v as { message?: unknown }).message === 'string');
const statusExample = examples.find((v) => typeof (v as { status?: unknown }).status === 'object') as { status: Record<string, unknown> } | undefined;
const eventExamples = examples.filter((v): v is ControlEvent => typeof (v as { type?: unknown }).type === 'string');

/** Numbers, times and the temporary path replaced, so wording is compared, not values. */
function normalise(text: string, configPath: string): string {
  return text.split(configPath).join(DOC_CONFIG_PATH).replace(/[0-9a-f]{2}(:[0-9a-f]{2}){5}/g, 'MAC').replace(/\d+/g, 'N');
}

/** Every key path of a JSON value ("groups[].counters.drops.bad-auth"); arrays by their elements. */
function keyPaths(value: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(value)) {
    for (const element of value) for (const path of keyPaths(element, `${prefix}[]`)) out.add(path);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.add(path);
      for (const sub of keyPaths(child, path)) out.add(sub);
    }
  }
  return out;
}

describe('docs/control-api.md against a real Daemon', () => {
  let dir: string;
  let configPath: string;
  let socket: string;
  let rig: DaemonRig;
  let server: ControlServer;
  const streamed: ControlEvent[] = [];
  const stopStream = new AbortController();
  let stream: Promise<void>;

  const writeConfig = (groups: string): void =>
    writeFileSync(configPath, `groups:\n${groups}`);
  const webGroup = (extra = ''): string =>
    ['  - name: web', '    interface: eth0', '    vhid: 7', '    addresses: [198.51.100.7/24]', '    passphrase: secret', extra, ''].filter((l) => l !== '').join('\n') + '\n';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carpd-api-docs-'));
    configPath = join(dir, 'carpd.yaml');
    socket = join(dir, 'carpd.sock');
    writeConfig(webGroup());
    rig = makeDaemon({
      // A CARP group and a VRRPv3 group, as in the documented example.
      groups: [groupConfig({ name: 'web' }), vrrpGroupConfig({ name: 'gw' })],
      loadConfig: configFileLoader(configPath, {}),
      prepare: (netlink) => void netlink.addLink({ name: 'eth1', mac: '52:54:00:12:34:57', up: true, running: true }),
    });
    await rig.daemon.start();
    server = await ControlServer.listen(socket, rig.daemon, silentLogger);
    stream = streamEvents(socket, (event) => streamed.push(event as ControlEvent), stopStream.signal);
    // The subscription takes real I/O while the rig's clock is virtual: wait until it streams
    // (a demotion and its undo are events) before anything happens that the test looks for.
    for (let i = 0; i < 200 && streamed.length === 0; i++) {
      await rig.daemon.demote('web', 1);
      await rig.daemon.promote('web', 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(streamed.length > 0, 'the event stream is subscribed');
    // A better master on the segment, so status has a master and a heard node, and a transition has a peer.
    const peer = simPeer(rig, { address: '198.51.100.2', advskew: 0 });
    peer.start();
    simVrrpPeer(rig, { address: '198.51.100.3', priority: 150 });
    await rig.advance(3_500_000);
  });
  after(async () => {
    stopStream.abort();
    await stream.catch(() => {});
    await server.close();
    await rig.daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the examples were found: requests, answers, a status report and events', () => {
    assert.deepEqual([...new Set(requests.map((r) => r.command))].sort(), ['demote', 'events', 'maintenance', 'promote', 'reload', 'status']);
    assert.ok(answers.length >= 6, `${answers.length} answers`);
    assert.ok(statusExample !== undefined);
    assert.ok(eventExamples.length >= 4);
  });

  it('every example request is accepted by the real control server (no bad-request, no unknown-command)', async () => {
    for (const req of requests) {
      if (req.command === 'events' || req.command === 'reload') continue; // streamed, and reloaded below
      const answer = (await request(socket, req as ControlRequest, 2000)) as { ok: boolean; code?: string };
      assert.ok(answer.ok, `${JSON.stringify(req)} -> ${JSON.stringify(answer)}`);
    }
    await rig.daemon.promote('web', 255);
    await rig.daemon.maintenance('web', false);
  });

  it('the status example has exactly the fields of the daemon\'s StatusReport', async () => {
    const answer = (await request(socket, { command: 'status' }, 2000)) as { ok: true; status: Record<string, unknown> };
    const real = keyPaths(answer.status);
    const documented = keyPaths(statusExample?.status);
    // Present only in some states, each explained beside the example (fault non-null, keyChange
    // during a key-change window, foreign.last once a foreign master was heard, familyLoss
    // non-null while a dual-stack master is heard in one family only), and the
    // interface keys of unattributedDrops are examples.
    const conditional = (path: string) =>
      path.startsWith('groups[].keyChange') || path.startsWith('groups[].foreign.last.') || path.startsWith('groups[].familyLoss.') || path.startsWith('unattributedDrops.') || path.startsWith('groups[].checks[]') || path === 'groups[].scripts.lastDurationMs' || path === 'groups[].master.addresses.ipv6';
    assert.deepEqual([...real].filter((p) => !documented.has(p) && !conditional(p)), [], 'fields the daemon sends that the example lacks');
    assert.deepEqual([...documented].filter((p) => !real.has(p) && !conditional(p)), [], 'fields in the example the daemon does not send');
  });

  /** The documented answer whose normalised message starts like this one's. */
  const documentedAnswer = (ok: boolean, code: string | undefined, startsWith: string) => {
    const found = answers.find((a) => a.ok === ok && a.code === code && a.message.startsWith(startsWith));
    assert.ok(found !== undefined, `no documented ${ok ? 'ok' : code} answer starting "${startsWith}"`);
    return found;
  };
  const assertLike = (answer: unknown, doc: { ok: boolean; code?: string; message: string }) => {
    const real = answer as { ok: boolean; code?: string; message: string };
    assert.equal(real.ok, doc.ok);
    assert.equal(real.code, doc.code);
    assert.equal(normalise(real.message, configPath), normalise(doc.message, configPath));
  };

  it('demote, promote, maintenance: the documented answers, word for word', async () => {
    assertLike(await request(socket, { command: 'demote', group: 'web', amount: 10 }, 2000), documentedAnswer(true, undefined, 'web demoted'));
    assertLike(await request(socket, { command: 'demote', group: 'nope', amount: 10 }, 2000), documentedAnswer(false, 'CARPD_NO_GROUP', 'no group'));
    assertLike(await request(socket, { command: 'promote', group: 'web', amount: 10 }, 2000), { ok: true, message: 'web promoted: demotion 0' });
    const maintenanceDoc = /e\.g\. `(\{"ok":true,[^`]*\})`/.exec(DOC)?.[1];
    assert.ok(maintenanceDoc !== undefined, 'the maintenance answer example');
    assertLike(await request(socket, { command: 'maintenance', group: 'web', on: true }, 2000), JSON.parse(maintenanceDoc) as { ok: boolean; message: string });
    await request(socket, { command: 'maintenance', group: 'web', on: false }, 2000);
  });

  it('an unknown command: the documented error line', async () => {
    const doc = answers.find((a) => a.code === 'unknown-command');
    assert.ok(doc !== undefined);
    // Not a ControlRequest on purpose: what an older or newer client might send.
    assert.deepEqual(await request(socket, { command: 'shutdown' } as unknown as ControlRequest, 2000), doc);
  });

  it('reload: the documented success, refusal (with file position) and failure answers', async () => {
    writeConfig(webGroup() + ['  - name: db', '    interface: eth0', '    vhid: 8', '    addresses: [198.51.100.8/24]', '    passphrase: secret', ''].join('\n'));
    assertLike(await request(socket, { command: 'reload' }, 5000), documentedAnswer(true, undefined, 'reloaded:'));
    await rig.settle();

    writeConfig(webGroup() + ['  - name: db', '    interface: eth0', '    vhid: 300', '    addresses: [198.51.100.8/24]', '    passphrase: secret', ''].join('\n'));
    assertLike(await request(socket, { command: 'reload' }, 5000), documentedAnswer(false, 'CARPD_RELOAD_INVALID', ''));

    writeConfig(webGroup() + ['  - name: db', '    interface: eth0', '    vhid: 8', '    addresses: [198.51.100.8/24]', '    passphrase: secret', '  - name: app', '    interface: eth1', '    vhid: 20', '    addresses: [203.0.113.20/24]', '    passphrase: secret', ''].join('\n'));
    rig.netlink.failNext('createMacvlan', 'EPERM');
    const failed = (await request(socket, { command: 'reload' }, 5000)) as { ok: boolean; code?: string; message: string };
    // The fake kernel marks its failures "(injected)"; the real one may add its own text there.
    assertLike({ ...failed, message: failed.message.replace(/ \(injected\)$/, '') }, documentedAnswer(false, 'CARPD_RELOAD_FAILED', 'reload failed'));
    await rig.settle();
  });

  it('events: every documented event type is streamed with exactly the documented fields', async () => {
    await rig.settle();
    for (const doc of eventExamples) {
      if (doc.type === 'check') continue; // needs a health check; its fields are checked in test/daemon
      const real = streamed.filter((e) => e.type === doc.type && (doc.type !== 'reload' || (e as { ok: boolean }).ok === (doc as { ok: boolean }).ok));
      assert.ok(real.length > 0, `no ${doc.type} event streamed`);
      const documented = [...keyPaths(doc)].sort();
      assert.ok(
        real.some((e) => JSON.stringify([...keyPaths(e)].sort()) === JSON.stringify(documented)),
        `${doc.type}: documented ${documented.join(',')}; streamed ${real.map((e) => [...keyPaths(e)].sort().join(',')).join(' | ')}`,
      );
    }
    // The documented table: a refused reload is an event with its errors.
    const refused = streamed.find((e): e is Extract<ControlEvent, { type: 'reload' }> => e.type === 'reload' && !e.ok);
    assert.ok(refused?.errors !== undefined && refused.errors.some((e) => /groups\[1\]\.vhid: 300 is outside 1\.\.255/.test(e)), JSON.stringify(refused));
  });
});
