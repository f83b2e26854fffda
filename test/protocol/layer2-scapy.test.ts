/**
 * Cross-checks the layer-2 encoders against scapy, an independent implementation. Skips itself
 * when python3 or scapy is missing (install with `pip install scapy`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gratuitousArpFrame } from '../../src/wire/arp-packet.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { carpVirtualMac } from '../../src/wire/mac-address.ts';
import { unsolicitedNeighborAdvertisementFrame } from '../../src/wire/neighbor-advertisement.ts';
import { toHex } from '../helpers/bytes.ts';

/** Runs a python snippet with scapy imported; undefined when scapy is not available. */
function scapy(expression: string): string | undefined {
  const script = `import sys\ntry:\n  from scapy.all import *\nexcept ImportError:\n  sys.exit(3)\nprint(bytes(${expression}).hex())\n`;
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 20000 });
  if (result.error !== undefined || result.status === 3) return undefined;
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

const available = scapy('Ether()') !== undefined;

describe('layer 2 against scapy', { skip: available ? false : 'python3 with scapy not available' }, () => {
  for (const router of [false, true]) {
    it(`ok, unsolicited NA (router ${router}) matches scapy byte for byte`, () => {
      const ours = unsolicitedNeighborAdvertisementFrame({ mac: carpVirtualMac(7), target: parseIpAddress('2001:db8::7'), router });
      const theirs = scapy(
        `Ether(dst='33:33:00:00:00:01', src='00:00:5e:00:01:07')/IPv6(src='2001:db8::7', dst='ff02::1', hlim=255)` +
          `/ICMPv6ND_NA(R=${router ? 1 : 0}, S=0, O=1, tgt='2001:db8::7')/ICMPv6NDOptDstLLAddr(lladdr='00:00:5e:00:01:07')`,
      );
      assert.equal(toHex(ours), theirs);
    });
  }

  it('ok, gratuitous ARP matches scapy byte for byte', () => {
    const ours = gratuitousArpFrame(carpVirtualMac(7), parseIpAddress('198.51.100.7'));
    const theirs = scapy(
      `Ether(dst='ff:ff:ff:ff:ff:ff', src='00:00:5e:00:01:07')/ARP(op=1, hwsrc='00:00:5e:00:01:07', psrc='198.51.100.7', hwdst='00:00:00:00:00:00', pdst='198.51.100.7')`,
    );
    assert.equal(toHex(ours), theirs);
  });
});
