/**
 * Issue 18, item 1: the packet log budget is daemon-wide, not per group. Two groups hear adverts
 * that fail authentication from many sources each; all their warnings together stay within one
 * budget, and what was left out is summarised once. The daemon as the composition root builds
 * it, on the fake platform.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PACKET_WARNINGS_PER_WINDOW, PACKET_WARNING_WINDOW_MICROS } from '../../src/engine/packet-warning-log.ts';
import { encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet } from '../../src/wire/ip-packet.ts';
import { groupConfig, makeDaemon } from '../helpers/fake-platform.ts';

test('issue 18 item 1: bad-auth warnings of two groups from 2 × 100 sources share one daemon-wide budget, with one counted summary', async () => {
  const rig = makeDaemon({ groups: [groupConfig({ vhid: 1 }), groupConfig({ vhid: 2 })] });
  await rig.daemon.start();
  const wrongKey = carpKeyFromPassphrase('not-the-secret');
  for (const vhid of [1, 2]) {
    const auth = new CarpAuthenticator(wrongKey, vhid, [parseIpAddress(`198.51.100.${vhid}`)]);
    for (let n = 0; n < 100; n++) {
      const source = parseIpAddress(n < 50 ? `198.51.100.${100 + n}` : `203.0.113.${n}`);
      const payload = encodeCarpHeader({ vhid, advbase: 1, advskew: 0, demote: 0, counter: BigInt(n + 1), digest: auth.sign(BigInt(n + 1)) });
      rig.lan.inject(encodeIpv4Packet({ source, destination: parseIpAddress('224.0.0.18'), payload }));
    }
  }
  await rig.advance(10_000);
  const badAuth = rig.logger.records.filter((r) => r.level === 'warn' && /fail authentication/.test(r.message));
  assert.equal(badAuth.length, PACKET_WARNINGS_PER_WINDOW, 'one budget for both groups, not one each');
  await rig.advance(PACKET_WARNING_WINDOW_MICROS);
  const summaries = rig.logger.records.filter((r) => typeof r.fields['suppressed'] === 'number');
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0]?.fields['suppressed'], 200 - PACKET_WARNINGS_PER_WINDOW);
  await rig.daemon.stop();
});
