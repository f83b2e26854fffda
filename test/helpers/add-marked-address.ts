/**
 * `ip netns exec NS node --import tsx test/helpers/add-marked-address.ts IFNAME IP PREFIX`: adds
 * an address the way carpd does, with carpd's mark (IFA_PROTO CARPD_ADDRESS_PROTOCOL), through
 * RouteNetlink. The iproute2 of some test machines cannot set an address protocol itself.
 */
import { RouteNetlink } from '../../src/linux/netlink/route-netlink.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const [name, ip, prefix] = process.argv.slice(2);
const netlink = RouteNetlink.open(silentLogger);
try {
  const link = await netlink.linkByName(name as string);
  if (link === undefined) throw new Error(`no link ${name}`);
  const address = parseIpAddress(ip as string);
  await netlink.addAddress(link.index, address, Number(prefix), { nodad: address.family === 6 });
} finally {
  netlink.close();
}
