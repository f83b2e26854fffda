/**
 * VRRPv2 groups in the daemon, on fakes: the simple password is read as such (not hashed into a
 * CARP key), adverts carry it, status shows the version and auth type, and a reload changes the
 * password in place while a new vrrp_version restarts the group (docs/configuration.md "VRRPv2").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupConfig, PassphraseSource, VrrpGroupConfig } from '../../src/config/config-types.ts';
import { prepareGroups } from '../../src/daemon/daemon.ts';
import { decodeIpPacket } from '../../src/wire/ip-packet.ts';
import { decodeVrrp2Header } from '../../src/protocols/vrrp/vrrp2-header.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { carpdConfig, makeDaemon, vrrpGroupConfig, type DaemonRig } from '../helpers/fake-platform.ts';

function v2Group(password: string | undefined): VrrpGroupConfig {
  const base = vrrpGroupConfig();
  const passphrase: PassphraseSource = password === undefined ? { kind: 'none' } : { kind: 'inline', value: password };
  return { ...base, passphrase, vrrp: { ...base.vrrp, version: 2, authType: password === undefined ? 'none' : 'pass' } };
}

/** The VRRPv2 adverts the daemon sent: their Auth Type and password text. */
function v2Adverts(rig: DaemonRig): { priority: number; authType: number; password: string }[] {
  return rig.platform.packets.flatMap((packet) => {
    const ip = decodeIpPacket(packet.bytes);
    if (!ip.ok || ip.value.protocol !== 112 || (ip.value.payload[0] ?? 0) >> 4 !== 2) return [];
    const header = decodeVrrp2Header(ip.value.payload);
    if (!header.ok) return [];
    const data = header.value.auth?.data ?? new Uint8Array(0);
    return [{ priority: header.value.priority, authType: header.value.auth?.type ?? -1, password: new TextDecoder().decode(data).replace(/\0+$/, '') }];
  });
}

test('a VRRPv2 password is read as the password itself; no key is read without authentication', () => {
  const purposes: (string | undefined)[] = [];
  const platform = {
    readKey: (source: PassphraseSource, _logger: unknown, purpose?: string) => {
      purposes.push(purpose);
      assert.equal(source.kind, 'inline');
      return new TextEncoder().encode(source.kind === 'inline' ? source.value : '');
    },
  };
  const prepared = prepareGroups([v2Group('secret'), v2Group(undefined)], platform, new MemoryLogger());
  assert.deepEqual(purposes, ['vrrp2-password']);
  assert.equal(new TextDecoder().decode(prepared[0]?.key), 'secret');
  assert.equal(prepared[1]?.key.length, 0);
});

test('VRRPv2 master: adverts carry Auth Type 1 and the password; status shows version 2 and pass; a new password reloads in place; vrrp_version 3 restarts', async () => {
  const rig = makeDaemon({ groups: [v2Group('secret')] });
  await rig.daemon.start();
  await rig.advance(3_700_000);
  const status = rig.daemon.status().groups[0];
  assert.equal(status?.state, 'MASTER');
  assert.equal(status?.vrrp?.version, 2);
  assert.equal(status?.vrrp?.authType, 'pass');
  const sent = v2Adverts(rig);
  assert.ok(sent.length >= 1);
  for (const advert of sent) assert.deepEqual(advert, { priority: 100, authType: 1, password: 'secret' });

  const transitions = status?.counters.transitions;
  rig.next = carpdConfig([v2Group('other')]);
  const inPlace = await rig.daemon.reload();
  assert.equal(inPlace.ok, true, inPlace.message);
  assert.match(inPlace.message, /1 changed \(1 in place\)/);
  await rig.advance(1_100_000);
  assert.equal(rig.daemon.status().groups[0]?.counters.transitions, transitions, 'no transition');
  assert.equal(v2Adverts(rig).at(-1)?.password, 'other');

  rig.next = carpdConfig([vrrpGroupConfig()]);
  const restart = await rig.daemon.reload();
  assert.equal(restart.ok, true, restart.message);
  assert.match(restart.message, /1 changed \(0 in place\)/);
  assert.equal(v2Adverts(rig).at(-1)?.priority, 0, 'the VRRPv2 master resigned on its way out');
  await rig.advance(4_000_000);
  assert.equal(rig.daemon.status().groups[0]?.vrrp?.version, undefined, 'a VRRPv3 group now');
  assert.ok(rig.platform.vrrpAdverts().length >= 1, 'VRRPv3 adverts after the restart');
  await rig.daemon.stop();
});
