/**
 * An in-memory kernel behind the HostNetlink port, for unit tests of the daemon: start-up order,
 * rollback, drift repair and reload, without root or a namespace. It keeps the semantics carpd
 * relies on, as the namespace test of RouteNetlink observes them on Linux: increasing ifindexes,
 * ENODEV / EEXIST where the kernel answers so, IPv6 addresses lost when a link goes down
 * (keep_addr_on_down=0), a deleted parent taking its macvlans with it, and change events
 * delivered later (setImmediate, in order), as multicast datagrams arrive. Not modelled: IPv6
 * link-local generation (carpd's macvlan has addrgenmode none), DAD, routes.
 *
 * Test helpers (addLink, removeLinkExternally ...) act like an operator's `ip` commands: they
 * change the state and emit events, and throw a plain Error when misused.
 */
import { CARPD_ADDRESS_PROTOCOL, type AddressEvent, type HostNetlink, type InterfaceAddress, type LinkEvent, type LinkInfo, type Subscription } from '../../ports/host-netlink.ts';
import { ipAddressEquals, parseIpAddress, type IpAddress } from '../../wire/ip-address.ts';
import { formatMac, parseMacAddress } from '../../wire/mac-address.ts';
import { NetlinkError } from './route-netlink.ts';

/** One port call as FakeHostNetlink recorded it (listeners of watch calls are not recorded). */
export interface FakeNetlinkCall {
  readonly op: string;
  readonly args: unknown[];
}

/** Decides whether a call fails: returns the errno name to fail with, or undefined. */
export type FailurePredicate = (op: string, args: readonly unknown[]) => string | undefined;

/** The port operations that change the host, as `calls` names them. */
export const MUTATING_OPS: readonly string[] = ['addAddress', 'removeAddress', 'createMacvlan', 'deleteLink', 'setLinkUp'];

/** IFNAMSIZ - 1: the longest interface name the kernel accepts. */
const MAX_NAME_LENGTH = 15;

/** Thrown inside an operation's body to fail it with that errno; run() names the operation. */
class Errno {
  constructor(readonly code: string) {}
}

interface FakeLink {
  readonly index: number;
  name: string;
  readonly mac: string;
  readonly kind: string | undefined;
  readonly parentIndex: number | undefined;
  up: boolean;
  /** Carrier of a plain link; a macvlan's follows its parent's running state. */
  carrier: boolean;
}

type Delivery = { kind: 'link'; watcher: LinkWatcher; event: LinkEvent } | { kind: 'address'; watcher: AddressWatcher; event: AddressEvent } | { kind: 'resync'; watcher: AddressWatcher };

interface LinkWatcher {
  active: boolean;
  readonly listener: (event: LinkEvent) => void;
}

interface AddressWatcher {
  active: boolean;
  readonly listener: (event: AddressEvent) => void;
  readonly resynced: (() => void) | undefined;
}

/** The in-memory kernel (see the file comment). */
export class FakeHostNetlink implements HostNetlink {
  /** Every port call, in order, including failed ones and calls after close(). */
  readonly calls: FakeNetlinkCall[] = [];
  /** True once close() was called. */
  closed = false;
  /** Listener exceptions, which the real adapter logs; tests can assert there were none. */
  readonly listenerErrors: unknown[] = [];

  private nextIndex = 1;
  private readonly linkTable = new Map<number, FakeLink>();
  private addressTable: InterfaceAddress[] = [];
  private readonly linkWatchers = new Set<LinkWatcher>();
  private readonly addressWatchers = new Set<AddressWatcher>();
  private readonly failures: { op: string; code: string; remaining: number }[] = [];
  private readonly predicates = new Set<FailurePredicate>();
  private queue: Delivery[] = [];
  private heldAddressEvents: AddressEvent[] | undefined;
  private flushScheduled = false;

  // ---- test helpers -------------------------------------------------------------------------

  /** Adds an existing interface (eth0 ...), up with carrier unless told; `running` sets the carrier. */
  addLink(spec: { name: string; mac?: string; up?: boolean; running?: boolean; kind?: string; parentIndex?: number }): LinkInfo {
    if (this.findByName(spec.name) !== undefined) throw new Error(`fake netlink: link ${spec.name} exists`);
    const index = this.nextIndex++;
    const mac = spec.mac === undefined ? formatMac(Uint8Array.of(0x02, 0, 0, 0, (index >> 8) & 0xff, index & 0xff)) : formatMac(parseMacAddress(spec.mac).bytes);
    const link: FakeLink = { index, name: spec.name, mac, kind: spec.kind, parentIndex: spec.parentIndex, up: spec.up ?? true, carrier: spec.running ?? true };
    this.linkTable.set(index, link);
    this.emitLink('new', link);
    return this.info(link);
  }

  /**
   * Adds an address as `ip addr add` would (an operator's, or one present before start-up):
   * unmarked, or with `protocol` (CARPD_ADDRESS_PROTOCOL: one a previous carpd run left).
   */
  addHostAddress(ifindex: number, text: string, prefixLength: number, options: { protocol?: number } = {}): InterfaceAddress {
    if (!this.linkTable.has(ifindex)) throw new Error(`fake netlink: no link with ifindex ${ifindex}`);
    const address = { ifindex, address: parseIpAddress(text), prefixLength, ...(options.protocol === undefined ? {} : { protocol: options.protocol }) };
    if (this.findAddress(address) === undefined) this.insertAddress(address);
    return address;
  }

  /** `ip link del NAME`: the link, its addresses and its macvlans go, with events. */
  removeLinkExternally(name: string): void {
    this.removeLink(this.requireByName(name));
  }

  /** `ip link set NAME up|down`, or its carrier coming and going (`running`). */
  setLinkStateExternally(name: string, state: { up?: boolean; running?: boolean }): void {
    const link = this.requireByName(name);
    this.changeLink(link, () => {
      if (state.up !== undefined) link.up = state.up;
      if (state.running !== undefined) link.carrier = state.running;
    });
  }

  /** `ip link set OLD name NEW` (the kernel allows it only while the link is down): same ifindex, a 'new' event. */
  renameLinkExternally(name: string, newName: string): void {
    const link = this.requireByName(name);
    if (this.findByName(newName) !== undefined) throw new Error(`fake netlink: link ${newName} exists`);
    link.name = newName;
    this.emitLink('new', link);
  }

  /** `ip addr del TEXT dev ...`: removes the address (whatever its prefix), with an event. */
  removeAddressExternally(ifindex: number, text: string): void {
    const address = parseIpAddress(text);
    const gone = this.addressTable.filter((a) => a.ifindex === ifindex && ipAddressEquals(a.address, address));
    if (gone.length === 0) throw new Error(`fake netlink: no address ${text} on ifindex ${ifindex}`);
    gone.forEach((a) => this.deleteAddress(a));
  }

  /** A snapshot of every link, by ifindex. */
  links(): LinkInfo[] {
    return [...this.linkTable.values()].map((link) => this.info(link));
  }

  /** A snapshot of every address, in the order they were added. */
  addresses(): InterfaceAddress[] {
    return [...this.addressTable];
  }

  /** The recorded calls that change the host (MUTATING_OPS). */
  mutations(): FakeNetlinkCall[] {
    return this.calls.filter((call) => MUTATING_OPS.includes(call.op));
  }

  /** Makes the next `times` calls of `op` fail with errno `code`, before changing anything. */
  failNext(op: string, code: string, times = 1): void {
    this.failures.push({ op, code, remaining: times });
  }

  /** Fails every call for which `predicate` names a code, until the subscription is closed. */
  failWhen(predicate: FailurePredicate): Subscription {
    this.predicates.add(predicate);
    return { close: () => void this.predicates.delete(predicate) };
  }

  /**
   * The kernel dropped events (ENOBUFS): events not yet delivered are lost; link watchers get
   * every link again as 'new', address watchers their resynced callback.
   */
  simulateOverflow(): void {
    this.queue = [];
    for (const watcher of this.linkWatchers) for (const link of this.linkTable.values()) this.enqueue({ kind: 'link', watcher, event: { type: 'new', link: this.info(link) } });
    for (const watcher of this.addressWatchers) this.enqueue({ kind: 'resync', watcher });
  }

  /**
   * Address events are held back until releaseAddressEvents(), in order: a busy host whose
   * events arrive later than carpd's own changes complete (the state changes at once).
   */
  holdAddressEvents(): void {
    this.heldAddressEvents ??= [];
  }

  /** Delivers the held address events, in order, and stops holding. */
  releaseAddressEvents(): void {
    const held = this.heldAddressEvents ?? [];
    this.heldAddressEvents = undefined;
    held.forEach((event) => this.emitAddress(event));
  }

  /** Resolves once every event emitted so far (and any emitted while delivering) was delivered. */
  async settled(): Promise<void> {
    while (this.flushScheduled) await new Promise((resolve) => setImmediate(resolve));
  }

  // ---- the port -----------------------------------------------------------------------------

  /** Every link, by ifindex. */
  listLinks(): Promise<LinkInfo[]> {
    return this.run('listLinks', [], 'list links', () => this.links());
  }

  /** One link by name, or undefined. */
  linkByName(name: string): Promise<LinkInfo | undefined> {
    return this.run('linkByName', [name], `look up link ${name}`, () => {
      const link = this.findByName(name);
      return link === undefined ? undefined : this.info(link);
    });
  }

  /** Addresses of one interface (none for a missing one) or of all. */
  listAddresses(ifindex?: number): Promise<InterfaceAddress[]> {
    return this.run('listAddresses', ifindex === undefined ? [] : [ifindex], 'list addresses', () =>
      this.addressTable.filter((a) => ifindex === undefined || a.ifindex === ifindex),
    );
  }

  /** Adds an address marked as carpd's; ENODEV for a missing link, already present resolves (EEXIST is done). */
  addAddress(ifindex: number, address: IpAddress, prefixLength: number, options?: { nodad?: boolean }): Promise<void> {
    const args = options === undefined ? [ifindex, address, prefixLength] : [ifindex, address, prefixLength, options];
    return this.run('addAddress', args, `add ${address.text}/${prefixLength} on ${this.nameOf(ifindex)}`, () => {
      if (!this.linkTable.has(ifindex)) throw new Errno('ENODEV');
      if (this.findAddress({ ifindex, address, prefixLength }) === undefined) this.insertAddress({ ifindex, address, prefixLength, protocol: CARPD_ADDRESS_PROTOCOL });
    });
  }

  /** Removes an address matching on the prefix too, as the kernel does; absent resolves. */
  removeAddress(ifindex: number, address: IpAddress, prefixLength: number): Promise<void> {
    return this.run('removeAddress', [ifindex, address, prefixLength], `remove ${address.text}/${prefixLength} from ${this.nameOf(ifindex)}`, () => {
      const present = this.addressTable.find((a) => a.ifindex === ifindex && a.prefixLength === prefixLength && ipAddressEquals(a.address, address));
      if (present !== undefined) this.deleteAddress(present);
    });
  }

  /** Creates a macvlan, down; ENODEV without the parent, EEXIST for a taken name. */
  createMacvlan(spec: { name: string; parentIndex: number; mac: string }): Promise<number> {
    return this.run('createMacvlan', [{ ...spec }], `create macvlan ${spec.name} (${spec.mac}) on ${this.nameOf(spec.parentIndex)}`, () => {
      if (spec.name.length === 0 || spec.name.length > MAX_NAME_LENGTH || /[\s/:]/.test(spec.name)) throw new Errno('EINVAL');
      let mac: string;
      try {
        mac = formatMac(parseMacAddress(spec.mac).bytes);
      } catch {
        throw new Errno('EINVAL');
      }
      if (!this.linkTable.has(spec.parentIndex)) throw new Errno('ENODEV');
      if (this.findByName(spec.name) !== undefined) throw new Errno('EEXIST');
      const link: FakeLink = { index: this.nextIndex++, name: spec.name, mac, kind: 'macvlan', parentIndex: spec.parentIndex, up: false, carrier: true };
      this.linkTable.set(link.index, link);
      this.emitLink('new', link);
      return link.index;
    });
  }

  /** Deletes a link, its addresses and the macvlans on it; ENODEV when missing. */
  deleteLink(ifindex: number): Promise<void> {
    return this.run('deleteLink', [ifindex], `delete link ${this.nameOf(ifindex)}`, () => this.removeLink(this.requireIndex(ifindex)));
  }

  /** Sets a link up or down (down drops its IPv6 addresses); ENODEV when missing. */
  setLinkUp(ifindex: number, up: boolean): Promise<void> {
    return this.run('setLinkUp', [ifindex, up], `set ${this.nameOf(ifindex)} ${up ? 'up' : 'down'}`, () => {
      const link = this.requireIndex(ifindex);
      this.changeLink(link, () => (link.up = up));
    });
  }

  /** Reports link changes (a failNext('watchLinks', ...) makes it throw, as a socket error would). */
  watchLinks(listener: (event: LinkEvent) => void): Subscription {
    this.check('watchLinks', [], 'watch link events');
    const watcher: LinkWatcher = { active: true, listener };
    this.linkWatchers.add(watcher);
    return { close: () => this.unwatch(watcher, this.linkWatchers) };
  }

  /** Reports address changes; simulateOverflow() calls `resynced`. */
  watchAddresses(listener: (event: AddressEvent) => void, resynced?: () => void): Subscription {
    this.check('watchAddresses', [], 'watch address events');
    const watcher: AddressWatcher = { active: true, listener, resynced };
    this.addressWatchers.add(watcher);
    return { close: () => this.unwatch(watcher, this.addressWatchers) };
  }

  /** Every later call fails with ECANCELED; watchers stop, undelivered events are dropped. */
  close(): void {
    this.calls.push({ op: 'close', args: [] });
    this.closed = true;
    for (const watcher of [...this.linkWatchers]) this.unwatch(watcher, this.linkWatchers);
    for (const watcher of [...this.addressWatchers]) this.unwatch(watcher, this.addressWatchers);
    this.queue = [];
  }

  // ---- the kernel ---------------------------------------------------------------------------

  /**
   * Records a call, applies closing and injected failures, then runs the operation. `body`
   * throws an Errno to fail; anything else it throws is a bug and propagates.
   */
  private run<T>(op: string, args: unknown[], operation: string, body: () => T): Promise<T> {
    try {
      this.check(op, args, operation);
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Errno ? new NetlinkError(operation, error.code) : error);
    }
  }

  /** Records a call and throws the NetlinkError it must fail with, if any. */
  private check(op: string, args: unknown[], operation: string): void {
    this.calls.push({ op, args });
    if (this.closed) throw new NetlinkError(operation, 'ECANCELED', 'netlink adapter closed');
    const failure = this.failures.find((f) => f.op === op);
    if (failure !== undefined) {
      if (--failure.remaining <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      throw new NetlinkError(operation, failure.code, 'injected');
    }
    for (const predicate of this.predicates) {
      const code = predicate(op, args);
      if (code !== undefined) throw new NetlinkError(operation, code, 'injected');
    }
  }

  /** Removes a link the way unregister_netdevice does: its macvlans first, then its addresses. */
  private removeLink(link: FakeLink): void {
    for (const child of [...this.linkTable.values()]) if (child.parentIndex === link.index && child.kind === 'macvlan') this.removeLink(child);
    for (const address of this.addressTable.filter((a) => a.ifindex === link.index)) this.deleteAddress(address);
    this.linkTable.delete(link.index);
    this.emitLink('del', link);
  }

  /**
   * Applies a change of up or carrier and reports what it changed: the link, the macvlans whose
   * running state follows it, and the IPv6 addresses a link loses when it goes down.
   */
  private changeLink(link: FakeLink, change: () => void): void {
    const before = new Map([...this.linkTable.values()].map((l) => [l.index, this.info(l)]));
    const wasUp = link.up;
    change();
    if (wasUp && !link.up) for (const address of this.addressTable.filter((a) => a.ifindex === link.index && a.address.family === 6)) this.deleteAddress(address);
    for (const other of this.linkTable.values()) {
      const old = before.get(other.index);
      const now = this.info(other);
      if (old === undefined || old.up !== now.up || old.running !== now.running) this.emitLink('new', other);
    }
  }

  private insertAddress(address: InterfaceAddress): void {
    this.addressTable.push(address);
    this.emitAddress({ type: 'new', address });
  }

  private deleteAddress(address: InterfaceAddress): void {
    this.addressTable = this.addressTable.filter((a) => a !== address);
    this.emitAddress({ type: 'del', address });
  }

  /** The kernel's duplicate check: IPv4 by address and prefix, IPv6 by address alone. */
  private findAddress(candidate: InterfaceAddress): InterfaceAddress | undefined {
    return this.addressTable.find(
      (a) =>
        a.ifindex === candidate.ifindex &&
        ipAddressEquals(a.address, candidate.address) &&
        (candidate.address.family === 6 || a.prefixLength === candidate.prefixLength),
    );
  }

  private info(link: FakeLink): LinkInfo {
    return {
      index: link.index,
      name: link.name,
      mac: link.mac,
      up: link.up,
      running: this.isRunning(link),
      ...(link.kind === undefined ? {} : { kind: link.kind }),
      ...(link.parentIndex === undefined ? {} : { parentIndex: link.parentIndex }),
    };
  }

  /** IFF_RUNNING: up with carrier; a macvlan has carrier while its parent runs. */
  private isRunning(link: FakeLink): boolean {
    if (!link.up) return false;
    if (link.kind !== 'macvlan' || link.parentIndex === undefined) return link.carrier;
    const parent = this.linkTable.get(link.parentIndex);
    return parent !== undefined && this.isRunning(parent);
  }

  private findByName(name: string): FakeLink | undefined {
    return [...this.linkTable.values()].find((link) => link.name === name);
  }

  private requireByName(name: string): FakeLink {
    const link = this.findByName(name);
    if (link === undefined) throw new Error(`fake netlink: no link ${name}`);
    return link;
  }

  /** The link, or the errno a missing one gets. */
  private requireIndex(ifindex: number): FakeLink {
    const link = this.linkTable.get(ifindex);
    if (link === undefined) throw new Errno('ENODEV');
    return link;
  }

  private nameOf(ifindex: number): string {
    return this.linkTable.get(ifindex)?.name ?? `ifindex ${ifindex}`;
  }

  // ---- event delivery -----------------------------------------------------------------------

  private emitLink(type: 'new' | 'del', link: FakeLink): void {
    const event: LinkEvent = { type, link: this.info(link) };
    for (const watcher of this.linkWatchers) this.enqueue({ kind: 'link', watcher, event });
  }

  private emitAddress(event: AddressEvent): void {
    if (this.heldAddressEvents !== undefined) return void this.heldAddressEvents.push(event);
    for (const watcher of this.addressWatchers) this.enqueue({ kind: 'address', watcher, event });
  }

  /** Queues a delivery; the queue is drained on a later turn, in order, like a socket's. */
  private enqueue(delivery: Delivery): void {
    this.queue.push(delivery);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Delivers what was queued before this turn; what listeners cause waits for the next one. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const delivery of batch) {
      if (!delivery.watcher.active) continue;
      try {
        if (delivery.kind === 'link') delivery.watcher.listener(delivery.event);
        else if (delivery.kind === 'address') delivery.watcher.listener(delivery.event);
        else delivery.watcher.resynced?.();
      } catch (error) {
        this.listenerErrors.push(error);
      }
    }
  }

  private unwatch<W extends { active: boolean }>(watcher: W, set: Set<W>): void {
    watcher.active = false;
    set.delete(watcher);
  }
}
