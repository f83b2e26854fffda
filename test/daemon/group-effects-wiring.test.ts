/**
 * A group's Linux side (daemon/group-effects-wiring.ts): with a macvlan, adverts are framed from
 * the virtual MAC and the effects work on the macvlan; without, the parent's transport and the
 * parent itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wireGroupEffects, type GroupWiringInput } from '../../src/daemon/group-effects-wiring.ts';
import { InterfaceHost } from '../../src/daemon/interface-host.ts';
import { VirtualInterface } from '../../src/daemon/virtual-interface.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { VirtualMacAdvertTransport } from '../../src/linux/virtual-mac-advert-transport.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { groupConfig, PARENT } from '../helpers/fake-platform.ts';

function input(withMacvlan: boolean): GroupWiringInput {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const netlink = new FakeHostNetlink();
  const link = netlink.addLink({ name: PARENT.name, mac: PARENT.mac, up: true, running: true });
  const own = [parseIpAddress(PARENT.address)];
  const transport = new SimTransport(new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 }), 'eth0', own);
  const sockets = {
    transport,
    openPacketSocket: () => {
      throw new Error('no packet socket in this test');
    },
  };
  const host = new InterfaceHost(link, own, [4], sockets, logger, clock);
  const vif = new VirtualInterface({ netlink, host, logger, group: () => 'web', name: () => 'carp7', mac: () => carpVirtualMac(7) });
  return {
    config: groupConfig(),
    protocol: 'carp',
    host,
    netlink,
    clock,
    logger,
    scripts: { run: () => {} },
    addresses: [{ address: parseIpAddress('198.51.100.7'), prefixLength: 24 }],
    virtualInterface: withMacvlan ? vif : undefined,
    virtualMac: carpVirtualMac(7),
    onClaimFailed: () => {},
    onClaimed: () => {},
    onRepaired: () => {},
  };
}

test('with a macvlan: adverts framed from the virtual MAC', () => {
  const wired = wireGroupEffects(input(true));
  assert.ok(wired.transport instanceof VirtualMacAdvertTransport);
  assert.deepEqual(wired.effects.currentAddresses.map((a) => a.address.text), ['198.51.100.7']);
  wired.effects.close();
});

test("without: the parent's own transport", () => {
  const given = input(false);
  const wired = wireGroupEffects(given);
  assert.equal(wired.transport, given.host.transport);
  wired.effects.close();
});
