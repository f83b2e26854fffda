/**
 * Runs inside the test's network namespace (route-netlink.test.ts): exercises RouteNetlink and
 * the sysctl helpers against the real kernel and prints one JSON object of observations for the
 * parent test to assert on. `ip` is used only to cross-check and to generate a burst of events.
 * Usage: node --import tsx route-netlink-peer.ts '{"veth":"a","peer":"b"}'
 */
import { execFileSync } from 'node:child_process';
import { RouteNetlink, type AddressEvent, type LinkEvent, type LinkInfo } from '../../src/linux/netlink/route-netlink.ts';
import { prepareVirtualMacSysctls, readSysctl, restoreSysctls, writeSysctl } from '../../src/linux/sysctl.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';

const { veth, peer } = JSON.parse(process.argv[2] ?? '{}') as { veth: string; peer: string };
const logger = new MemoryLogger();
const nl = RouteNetlink.open(logger);
const result: Record<string, unknown> = {};

const V4 = parseIpAddress('198.51.100.1');
const V6 = parseIpAddress('2001:db8::1');
const VIP4 = parseIpAddress('198.51.100.7');
const VIP6 = parseIpAddress('2001:db8::7');

function ipJson(...args: string[]): unknown {
  return JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8', timeout: 5000 }));
}

/** Addresses of one interface as "addr/len" text, through RouteNetlink. */
async function addressesOf(ifindex: number): Promise<string[]> {
  return (await nl.listAddresses(ifindex)).map((a) => `${a.address.text}/${a.prefixLength}`).sort();
}

/** The error code of a rejected promise, or 'resolved'. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return String((error as { code?: string }).code ?? error);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `condition` holds, or rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
    if (condition()) return;
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** Resolves when `predicate` holds for an event seen so far, or rejects after `timeoutMs`. */
const waitFor = <E>(events: E[], predicate: (event: E) => boolean, timeoutMs: number): Promise<void> => until(() => events.some(predicate), timeoutMs);

const summary = (link: LinkInfo | undefined): unknown =>
  link === undefined ? null : { name: link.name, mac: link.mac, up: link.up, running: link.running, kind: link.kind ?? null, parentIndex: link.parentIndex ?? null };

async function main(): Promise<void> {
  const links = await nl.listLinks();
  result.linkNames = links.map((l) => l.name).sort();
  const a = await nl.linkByName(veth);
  const b = await nl.linkByName(peer);
  if (a === undefined || b === undefined) throw new Error('veth ends not found');
  result.vethKind = a.kind ?? null;
  result.missingLink = summary(await nl.linkByName('nosuchlink0'));
  await nl.setLinkUp(a.index, true);
  await nl.setLinkUp(b.index, true);
  result.vethUp = (await nl.linkByName(veth))?.up;

  // Addresses on the veth.
  await nl.addAddress(a.index, V4, 24);
  result.addTwiceCode = await codeOf(nl.addAddress(a.index, V4, 24));
  await nl.addAddress(a.index, V6, 64, { nodad: true });
  result.afterAdd = await addressesOf(a.index);
  const viaIp = ipJson('addr', 'show', 'dev', veth) as { addr_info: { local: string; prefixlen: number; nodad?: boolean }[] }[];
  result.afterAddViaIp = (viaIp[0]?.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}${i.nodad === true ? ' nodad' : ''}`).sort();
  await nl.removeAddress(a.index, V4, 24);
  await nl.removeAddress(a.index, V6, 64);
  result.afterRemove = await addressesOf(a.index);
  result.removeMissingCode = await codeOf(nl.removeAddress(a.index, V4, 24));
  result.removeMissing6Code = await codeOf(nl.removeAddress(a.index, V6, 64));
  result.addMissingIfCode = await codeOf(nl.addAddress(99999, V4, 24));
  result.addMissingIfMessage = await nl.addAddress(99999, V4, 24).then(() => '', (e: Error) => e.message);

  // The macvlan.
  const index = await nl.createMacvlan({ name: 'carp7', parentIndex: a.index, mac: '00:00:5e:00:01:07' });
  result.macvlanIndexMatches = (await nl.linkByName('carp7'))?.index === index;
  result.macvlan = summary(await nl.linkByName('carp7'));
  result.parentIndex = a.index;
  result.createTwiceCode = await codeOf(nl.createMacvlan({ name: 'carp7', parentIndex: a.index, mac: '00:00:5e:00:01:07' }));
  const detail = ipJson('-d', 'link', 'show', 'carp7') as { linkinfo?: { info_kind?: string; info_data?: { mode?: string } }; inet6_addr_gen_mode?: string }[];
  result.macvlanViaIp = { mode: detail[0]?.linkinfo?.info_data?.mode ?? null, addrGenMode: detail[0]?.inet6_addr_gen_mode ?? null };
  const sysctlChanges = prepareVirtualMacSysctls(veth, 'carp7', logger);
  result.sysctlChanges = sysctlChanges.map((c) => `${c.path}=${c.value} (was ${c.previous})`);
  result.sysctlAfterPrepare = [readSysctl(`net/ipv4/conf/${veth}/arp_ignore`), readSysctl('net/ipv4/conf/carp7/arp_ignore'), readSysctl('net/ipv4/conf/carp7/arp_announce')];
  await nl.setLinkUp(index, true);
  result.macvlanUp = summary(await nl.linkByName('carp7'));
  await sleep(300); // the kernel adds a link-local at NETDEV_UP; give it time to show up if it would
  result.macvlanAddressesAfterUp = await addressesOf(index);
  await nl.addAddress(index, VIP4, 24);
  await nl.addAddress(index, VIP6, 64, { nodad: true });
  result.macvlanAddresses = await addressesOf(index);
  await nl.setLinkUp(index, false);
  result.macvlanDown = summary(await nl.linkByName('carp7'));
  // keep_addr_on_down=0: a link going down loses its global IPv6 addresses (docs/development.md "Links and addresses").
  result.macvlanAddressesAfterDown = await addressesOf(index);
  restoreSysctls(sysctlChanges, logger);
  result.sysctlAfterRestore = [readSysctl(`net/ipv4/conf/${veth}/arp_ignore`), readSysctl('net/ipv4/conf/carp7/arp_ignore')];
  await nl.deleteLink(index);
  result.macvlanAfterDelete = summary(await nl.linkByName('carp7'));
  result.deleteTwiceCode = await codeOf(nl.deleteLink(index));

  // Sysctls in this namespace.
  const path = `net/ipv4/conf/${veth}/arp_ignore`;
  writeSysctl(path, '2');
  result.sysctlWritten = readSysctl(path);
  writeSysctl(path, '0');
  result.sysctlMissing = readSysctl('net/ipv4/conf/nosuchlink0/arp_ignore') ?? null;
  try {
    writeSysctl('net/ipv4/conf/nosuchlink0/arp_ignore', '1');
    result.sysctlMissingWrite = 'resolved';
  } catch (error) {
    result.sysctlMissingWrite = (error as { code?: string }).code;
  }

  // Link events.
  const events: LinkEvent[] = [];
  const watcher = nl.watchLinks((event) => events.push(event));
  await nl.setLinkUp(a.index, false);
  await waitFor(events, (e) => e.type === 'new' && e.link.index === a.index && !e.link.up, 3000);
  await nl.setLinkUp(a.index, true);
  await waitFor(events, (e) => e.type === 'new' && e.link.index === a.index && e.link.up, 3000);
  const tmp = await nl.createMacvlan({ name: 'carp8', parentIndex: a.index, mac: '00:00:5e:00:01:08' });
  await nl.deleteLink(tmp);
  await waitFor(events, (e) => e.type === 'del' && e.link.name === 'carp8', 3000);
  watcher.close();
  result.events = events.filter((e) => e.link.index === a.index || e.link.name === 'carp8').map((e) => `${e.type} ${e.link.name} ${e.link.up ? 'up' : 'down'}`);
  const deleted = events.find((e) => e.type === 'del' && e.link.name === 'carp8')?.link;
  result.macvlanDelEvent = { indexMatches: deleted?.index === tmp, kind: deleted?.kind ?? null, parentMatches: deleted?.parentIndex === a.index };

  // Address events: add and remove one address of each family on the veth.
  const addressEvents: AddressEvent[] = [];
  let addressResyncs = 0;
  const addressWatcher = nl.watchAddresses(
    (event) => addressEvents.push(event),
    () => addressResyncs++,
  );
  const isOurs = (e: AddressEvent): boolean => e.address.ifindex === a.index && !e.address.address.text.startsWith('fe80:');
  await nl.addAddress(a.index, V4, 24);
  await nl.addAddress(a.index, V6, 64, { nodad: true });
  // The kernel announces a new IPv6 address from a work queue; removed before that runs, it is
  // never announced at all. Wait for both announcements before removing.
  await waitFor(addressEvents, (e) => isOurs(e) && e.type === 'new' && e.address.address.family === 6, 3000);
  await waitFor(addressEvents, (e) => isOurs(e) && e.type === 'new' && e.address.address.family === 4, 3000);
  await nl.removeAddress(a.index, V4, 24);
  await nl.removeAddress(a.index, V6, 64);
  await waitFor(addressEvents, (e) => isOurs(e) && e.type === 'del' && e.address.address.family === 6, 3000);
  addressWatcher.close();
  result.addressEvents = addressEvents.filter(isOurs).map((e) => `${e.type} ${e.address.address.text}/${e.address.prefixLength}`);
  result.addressResyncsWithoutOverflow = addressResyncs;

  // Address overflow: a tiny buffer and a burst while the event loop is blocked; the listener is asked to re-read.
  const smallAddress = nl.watchAddresses(
    () => undefined,
    () => addressResyncs++,
    { receiveBufferSize: 4096 },
  );
  execFileSync('sh', ['-c', `for i in $(seq 60); do ip addr add 198.51.100.9/24 dev ${veth}; ip addr del 198.51.100.9/24 dev ${veth}; done`], { timeout: 20_000 });
  await until(() => addressResyncs > 0, 3000).catch(() => undefined);
  smallAddress.close();
  result.addressOverflowResynced = addressResyncs > 0;
  result.addressOverflowLogged = logger.records.some((r) => r.message.startsWith('address events lost') && r.fields.code === 'ENOBUFS');

  // Overflow: a tiny receive buffer and a blocked event loop while the kernel sends a burst.
  const overflowEvents: LinkEvent[] = [];
  const small = nl.watchLinks((event) => overflowEvents.push(event), { receiveBufferSize: 4096 });
  execFileSync('sh', ['-c', `for i in $(seq 60); do ip link set ${peer} down; ip link set ${peer} up; done`], { timeout: 20_000 });
  await sleep(100);
  await waitFor(overflowEvents, (e) => e.link.index === b.index && e.link.up, 3000);
  await sleep(300); // let the re-dump finish
  // The socket must keep working after an overflow (libuv stops a poll on EPOLLERR; the addon restarts it).
  const before = overflowEvents.length;
  await nl.setLinkUp(b.index, false);
  const isLater = (e: LinkEvent): boolean => overflowEvents.indexOf(e) >= before;
  await waitFor(overflowEvents, (e) => isLater(e) && e.link.index === b.index && !e.link.up, 3000).catch(() => undefined);
  result.eventAfterOverflow = overflowEvents.slice(before).some((e) => e.link.index === b.index && !e.link.up);
  small.close();
  result.overflowLogged = logger.records.some((r) => r.message.startsWith('link events lost') && r.fields.code === 'ENOBUFS');
  result.overflowEventCount = overflowEvents.length;
  result.overflowSawAllLinks = [veth, peer, 'lo'].every((name) => overflowEvents.some((e) => e.link.name === name));
  result.errorsLogged = logger.records.filter((r) => r.level === 'error').map((r) => r.message);
}

const watchdog = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ ...result, fatal: 'peer watchdog (30 s)' })}\n`);
  process.exit(2);
}, 30_000);
main().then(
  () => {
    nl.close();
    clearTimeout(watchdog);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error: unknown) => {
    nl.close();
    clearTimeout(watchdog);
    process.stdout.write(`${JSON.stringify({ ...result, fatal: String((error as Error).stack ?? error) })}\n`);
    process.exitCode = 1;
  },
);
