/**
 * A CARP peer for the netns integration test (raw-carp-transport.test.ts), run inside a network
 * namespace. It prints one JSON line per event on stdout:
 *   {"event":"ready"} once the sockets are open,
 *   {"event":"datagram", family, source, destination, ttl, protocol, payload (hex)} per receipt,
 *   {"event":"malformed", code} and {"event":"error", code, message}.
 * Arguments: one JSON object, see PeerArgs. With `expect`, the peer closes its transport from
 * inside the receive handler after that many datagrams and then relies on the event loop
 * emptying to exit; `lingerMs` bounds everything.
 */
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import type { IpFamily } from '../../src/wire/ip-address.ts';
import { RawCarpTransport } from '../../src/linux/raw-carp-transport.ts';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';
import { testAdvert } from './carp-advert-fixture.ts';

interface PeerArgs {
  readonly ifname: string;
  readonly addresses: readonly string[];
  /** Adverts to send per family to the group. */
  readonly send: number;
  /** Unicast destinations, one advert each after the group adverts. */
  readonly unicast: readonly string[];
  /** Close after this many datagrams (0: never). */
  readonly expect: number;
  /** Hard exit after this long. */
  readonly lingerMs: number;
  readonly vhid: number;
  /** Also print the TOS and flags of the first IPv4 header seen on a bare addon socket. */
  readonly rawHeader?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as PeerArgs;
const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const transport = new RawCarpTransport({
  ifname: args.ifname,
  families: [4, 6],
  addresses: args.addresses.map(parseIpAddress),
  onError: (error) => print({ event: 'error', code: (error as { code?: string }).code, message: error.message }),
});
let received = 0;
transport.onMalformed((code) => print({ event: 'malformed', code }));
transport.onDatagram((datagram) => {
  received++;
  print({
    event: 'datagram',
    family: datagram.family,
    source: datagram.source.text,
    destination: datagram.destination.text,
    ttl: datagram.ttl,
    protocol: datagram.protocol,
    payload: Buffer.from(datagram.payload).toString('hex'),
  });
  if (args.expect > 0 && received === args.expect) transport.close(); // closing inside the callback
});
if (args.rawHeader === true) {
  const raw = loadNativeBinding().openCarpSocket({
    family: 4,
    ifname: args.ifname,
    onPacket: (packet) => {
      print({ event: 'ipv4-header', tos: packet.data[1], flags: packet.data.readUInt16BE(6) >> 13, ifindex: packet.ifindex });
      raw.close(); // the addon's own close-inside-callback path
    },
    onError: (error) => print({ event: 'error', code: error.code, message: error.message }),
  });
}
setTimeout(() => process.exit(0), args.lingerMs).unref();
print({ event: 'ready' });

let counter = 0;
const families: IpFamily[] = [4, 6];
for (let i = 0; i < args.send; i++) {
  for (const family of families) transport.send(family, testAdvert(args.vhid, ++counter));
  await new Promise((resolve) => setTimeout(resolve, 10));
}
for (const destination of args.unicast) {
  const address = parseIpAddress(destination);
  transport.send(address.family, testAdvert(args.vhid, ++counter), address);
}
print({ event: 'sent', count: counter });
// A sender listens a little longer for anything looped back to itself, then closes.
if (args.send > 0 || args.unicast.length > 0) setTimeout(() => transport.close(), 300);
