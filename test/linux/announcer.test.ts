import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Announcer } from '../../src/linux/announcer.ts';
import type { PacketSocket } from '../../src/linux/native-binding.ts';
import { decodeArpPacket } from '../../src/wire/arp-packet.ts';
import { decodeEthernetFrame, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/wire/ethernet-frame.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';
import { decodeNeighborAdvertisement } from '../../src/wire/neighbor-advertisement.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

/** A packet socket that records frames and can be told to fail. */
class FakePacketSocket implements PacketSocket {
  readonly frames: Buffer[] = [];
  closed = false;
  constructor(private readonly failures: { remaining: number }) {}
  sendFrame(frame: Buffer): void {
    if (this.closed) throw new Error('closed');
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      throw Object.assign(new Error('sendto: ENETDOWN'), { code: 'ENETDOWN' });
    }
    this.frames.push(Buffer.from(frame));
  }
  close(): void {
    this.closed = true;
  }
}

/** An Announcer over fake sockets; `opened` lists every socket opened. */
function makeAnnouncer(options: { sendFailures?: number; openFailures?: number; router?: boolean } = {}) {
  const failures = { remaining: options.sendFailures ?? 0 };
  let openFailures = options.openFailures ?? 0;
  const opened: FakePacketSocket[] = [];
  const ifnames: string[] = [];
  const logger = new MemoryLogger();
  const announcer = new Announcer({
    ifname: 'carp7',
    sourceMac: carpVirtualMac(7),
    router: options.router ?? false,
    logger,
    openPacketSocket: (ifname) => {
      ifnames.push(ifname);
      if (openFailures > 0) {
        openFailures--;
        throw new Error('socket: EPERM');
      }
      const socket = new FakePacketSocket(failures);
      opened.push(socket);
      return socket;
    },
  });
  const frames = () => opened.flatMap((s) => s.frames);
  return { announcer, opened, ifnames, logger, frames };
}

const addresses = [parseIpAddress('198.51.100.7'), parseIpAddress('2001:db8::7'), parseIpAddress('198.51.100.8')];

describe('Announcer', () => {
  it('ok, one gratuitous ARP per IPv4 and one NA per IPv6 address, in order, on one lazily opened socket', () => {
    const { announcer, opened, ifnames, frames } = makeAnnouncer({ router: true });
    assert.equal(opened.length, 0);
    announcer.announce(addresses);
    assert.deepEqual(ifnames, ['carp7']);
    const sent = frames().map((bytes) => {
      const frame = decodeEthernetFrame(bytes);
      assert.ok(frame.ok);
      assert.equal(frame.value.source.text, '00:00:5e:00:01:07');
      if (frame.value.etherType === ETHERTYPE_ARP) {
        assert.equal(frame.value.destination.text, 'ff:ff:ff:ff:ff:ff');
        const arp = decodeArpPacket(frame.value.payload);
        assert.ok(arp.ok);
        assert.equal(arp.value.senderMac.text, '00:00:5e:00:01:07');
        assert.equal(arp.value.senderIp.text, arp.value.targetIp.text);
        return `arp ${arp.value.targetIp.text}`;
      }
      assert.equal(frame.value.etherType, ETHERTYPE_IPV6);
      assert.equal(frame.value.destination.text, '33:33:00:00:00:01');
      const na = decodeNeighborAdvertisement(frame.value.payload);
      assert.ok(na.ok);
      assert.equal(na.value.targetMac?.text, '00:00:5e:00:01:07');
      assert.ok(na.value.router && na.value.override && !na.value.solicited);
      return `na ${na.value.target.text}`;
    });
    assert.deepEqual(sent, ['arp 198.51.100.7', 'na 2001:db8::7', 'arp 198.51.100.8']);
    announcer.announce(addresses);
    assert.equal(opened.length, 1, 'the socket is reused');
    assert.deepEqual(announcer.stats, { sent: 6, errors: 0 });
  });

  it('ok, a send error reopens the socket once and retries', () => {
    const { announcer, opened, frames } = makeAnnouncer({ sendFailures: 1 });
    announcer.announce(addresses.slice(0, 1));
    assert.equal(opened.length, 2);
    assert.ok(opened[0]?.closed);
    assert.equal(frames().length, 1);
    assert.deepEqual(announcer.stats, { sent: 1, errors: 0 });
  });

  it('bad, two failures in a row: counted and logged, not thrown, and the next address still goes out', () => {
    const { announcer, frames, logger } = makeAnnouncer({ sendFailures: 2 });
    assert.doesNotThrow(() => announcer.announce(addresses.slice(0, 2)));
    assert.deepEqual(announcer.stats, { sent: 1, errors: 1 });
    assert.equal(frames().length, 1);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields.address === '198.51.100.7'));
  });

  it('bad, the socket cannot be opened: counted, not thrown', () => {
    const { announcer } = makeAnnouncer({ openFailures: 100 });
    assert.doesNotThrow(() => announcer.announce(addresses));
    assert.deepEqual(announcer.stats, { sent: 0, errors: 3 });
  });

  it('ok, close() closes the socket and a later announce reopens it', () => {
    const { announcer, opened } = makeAnnouncer();
    announcer.announce(addresses.slice(0, 1));
    announcer.close();
    assert.ok(opened[0]?.closed);
    announcer.close(); // idempotent
    announcer.announce(addresses.slice(0, 1));
    assert.equal(opened.length, 2);
    assert.deepEqual(announcer.stats, { sent: 2, errors: 0 });
  });

  it('ok, nothing to announce opens nothing', () => {
    const { announcer, opened } = makeAnnouncer();
    announcer.announce([]);
    assert.equal(opened.length, 0);
  });
});
