/** The adverts the netns test sends and expects: the real encoder, a digest derived from the counter. */
import { encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';

/** The advert number `counter` of a peer. */
export function testAdvert(vhid: number, counter: number): Uint8Array {
  const digest = new Uint8Array(20).fill(counter & 0xff);
  return encodeCarpHeader({ vhid, advskew: 7, demote: 0, advbase: 1, counter: BigInt(counter), digest });
}
