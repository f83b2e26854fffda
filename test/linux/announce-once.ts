/**
 * Helper process for announcer.netns.test.ts: runs one Announcer announce() inside the network
 * namespace it was started in (`ip netns exec`), then prints its stats as one JSON line.
 * Argument: JSON { ifname, mac, router, addresses }.
 */
import { Announcer } from '../../src/linux/announcer.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { parseMacAddress } from '../../src/wire/mac-address.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { ifname: string; mac: string; router: boolean; addresses: string[] };
const logger = new MemoryLogger();
const announcer = new Announcer({ ifname: args.ifname, sourceMac: parseMacAddress(args.mac), router: args.router, logger });
announcer.announce(args.addresses.map(parseIpAddress));
announcer.close();
process.stdout.write(`${JSON.stringify({ stats: announcer.stats, log: logger.records })}\n`);
