import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdvertFrame } from '../../src/wire/advert-frame.ts';
import { parseIpAddress, type IpAddress, type IpFamily } from '../../src/wire/ip-address.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';
import type { PacketTransport } from '../../src/ports/packet-transport.ts';
import { VirtualMacAdvertTransport } from '../../src/linux/virtual-mac-advert-transport.ts';

function fakeInner() {
  const sent: { family: IpFamily; destination?: IpAddress }[] = [];
  const source = parseIpAddress('198.51.100.11');
  const inner: PacketTransport = {
    send: (family, _payload, destination) => void sent.push({ family, ...(destination === undefined ? {} : { destination }) }),
    sourceAddress: (family) => (family === 4 ? source : undefined),
    setOwnAddresses: () => [],
    isOwnAddress: () => false,
    onDatagram: () => {},
    onMalformed: () => {},
    close: () => {},
  };
  return { inner, sent };
}

describe('VirtualMacAdvertTransport', () => {
  it('ok, a multicast advert goes out as a frame from the virtual MAC', () => {
    const { inner, sent } = fakeInner();
    const frames: Buffer[] = [];
    const transport = new VirtualMacAdvertTransport(inner, {
      ifname: 'eth0',
      sourceMac: carpVirtualMac(7),
      openPacketSocket: () => ({ sendFrame: (frame) => void frames.push(frame), close: () => {} }),
      randomId: () => 0x1234,
    });
    transport.send(4, new Uint8Array(36).fill(1));
    assert.equal(sent.length, 0, 'not through the kernel');
    assert.equal(frames.length, 1);
    const decoded = decodeAdvertFrame(frames[0] as Buffer);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.sourceMac.text, '00:00:5e:00:01:07');
    assert.equal(decoded.value.destinationMac.text, '01:00:5e:00:00:12');
  });

  it('ok, a unicast advert and a family without a source go through the kernel', () => {
    const { inner, sent } = fakeInner();
    const transport = new VirtualMacAdvertTransport(inner, { ifname: 'eth0', sourceMac: carpVirtualMac(7), openPacketSocket: () => assert.fail('no frame expected') });
    transport.send(4, new Uint8Array(36), parseIpAddress('198.51.100.12'));
    transport.send(6, new Uint8Array(36));
    assert.equal(sent.length, 2);
  });

  it('ok, a failed send is retried once on a fresh socket, then the error propagates', () => {
    const { inner } = fakeInner();
    let opened = 0;
    const transport = new VirtualMacAdvertTransport(inner, {
      ifname: 'eth0',
      sourceMac: carpVirtualMac(7),
      openPacketSocket: () => {
        opened++;
        return { sendFrame: () => assert.fail('ENETDOWN'), close: () => {} };
      },
    });
    assert.throws(() => transport.send(4, new Uint8Array(36)));
    assert.equal(opened, 2);
  });
});
