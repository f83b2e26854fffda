/**
 * carpd's rtnetlink adapter: links, addresses and the macvlan, through the addon's netlink socket
 * (never by running `ip`). One request socket carries every request; replies are matched to
 * their request by sequence number and end with an ack (NLMSG_ERROR 0), an error, or NLMSG_DONE
 * for dumps. Each request has a deadline, so a lost reply becomes an ETIMEDOUT error rather than
 * a hang. Events come from a socket of their own per watcher, bound to RTMGRP_LINK or to
 * RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR.
 */
import { loadNativeBinding } from '../native-binding.ts';
import type { NativeError, NetlinkBinding, NetlinkSocket } from '../native-binding.ts';
import { CARPD_ADDRESS_PROTOCOL, type AddressEvent, type HostNetlink, type InterfaceAddress, type LinkEvent, type LinkInfo, type Subscription } from '../../ports/host-netlink.ts';
import type { Logger } from '../../ports/logger.ts';
import type { IpAddress } from '../../wire/ip-address.ts';
import { formatMac, parseMacAddress } from '../../wire/mac-address.ts';
import { decodeNetlinkDone, decodeNetlinkError, decodeNetlinkMessages, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, type NetlinkMessage } from './netlink-message.ts';
import {
  decodeAddressMessage,
  decodeLinkMessage,
  encodeAddressRequest,
  encodeCreateMacvlanRequest,
  encodeDeleteLinkRequest,
  encodeDisableAddrGenRequest,
  encodeGetAddressesRequest,
  encodeGetLinkByNameRequest,
  encodeGetLinksRequest,
  encodeSetLinkUpRequest,
  IFF_RUNNING,
  IFF_UP,
  NETLINK_ROUTE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTMGRP_LINK,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  type LinkMessage,
} from './rtnetlink-codec.ts';

// The port owns these types; re-exported so that imports from this module keep working.
export type { AddressEvent, InterfaceAddress, LinkEvent, LinkInfo, Subscription } from '../../ports/host-netlink.ts';

/** A failed netlink operation: `code` is the errno name (EPERM, ENODEV ...) or ETIMEDOUT. */
export class NetlinkError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly kernelMessage?: string,
  ) {
    super(`${operation}: ${code}${kernelMessage === undefined ? '' : ` (${kernelMessage})`}`);
    this.name = 'NetlinkError';
  }
}

/** Options of RouteNetlink.open; the defaults are the real addon and 2 s. */
export interface RouteNetlinkOptions {
  readonly binding?: NetlinkBinding;
  readonly timeoutMs?: number;
}

interface QueuedRequest {
  readonly operation: string;
  readonly encode: (seq: number) => Uint8Array;
  readonly resolve: (messages: NetlinkMessage[]) => void;
  readonly reject: (error: NetlinkError) => void;
}

interface PendingRequest extends QueuedRequest {
  readonly messages: NetlinkMessage[];
  readonly timer: NodeJS.Timeout;
}

/**
 * Requests on the wire at once; the rest wait in order. The kernel handles an rtnetlink request
 * inside sendmsg(), so 255 groups releasing at once (3 requests each) would otherwise send ~765
 * requests in one turn of the event loop: a long stretch of blocking sends, replies that could
 * overflow the socket's receive buffer (ENOBUFS), and deadlines expiring before a single reply
 * is read. Seen before the window: 255 masters stopping at once logged "set carpN down:
 * ETIMEDOUT (no reply within 2000 ms)" for their releases (retried, so they still completed).
 */
export const NETLINK_MAX_IN_FLIGHT = 16;

/** What an event socket needs from its watcher (see openEventSocket). */
interface EventSocketSpec {
  /** 'link' or 'address', for log messages. */
  readonly what: string;
  readonly groups: number;
  readonly receiveBufferSize: number | undefined;
  readonly onMessage: (message: NetlinkMessage) => void;
  /** The kernel dropped events (ENOBUFS: receive queue full; EMSGSIZE: datagram too big). */
  readonly onLost: (code: string) => void;
  readonly onClose: () => void;
}

/** The rtnetlink adapter (see the file comment). */
export class RouteNetlink implements HostNetlink {
  private readonly socket: NetlinkSocket;
  private readonly pending = new Map<number, PendingRequest>();
  /** Requests waiting for a place in the window (NETLINK_MAX_IN_FLIGHT). */
  private readonly queued: QueuedRequest[] = [];
  private readonly watchers = new Set<Subscription>();
  /** Interface names seen so far, so that error messages can name the interface. */
  private readonly names = new Map<number, string>();
  private seq = 0;
  private closed = false;
  private foreign = 0;

  private constructor(
    private readonly binding: NetlinkBinding,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {
    this.socket = binding.openNetlinkSocket({
      protocol: NETLINK_ROUTE,
      groups: 0,
      onMessage: (datagram, senderPort) => {
        if (this.fromKernel(senderPort, 'request')) this.receive(datagram);
      },
      onError: (error) => this.receiveFailed(error),
    });
    // Referenced only while a request is in flight: an idle adapter never holds the process.
    this.socket.unref();
  }

  /** Opens the request socket (throws NativeError if the addon or the socket is unavailable). */
  static open(logger: Logger, options: RouteNetlinkOptions = {}): RouteNetlink {
    return new RouteNetlink(options.binding ?? loadNativeBinding(), logger, options.timeoutMs ?? 2000);
  }

  /** Datagrams dropped because a process sent them, not the kernel (see fromKernel). */
  get foreignDatagrams(): number {
    return this.foreign;
  }

  /**
   * Only the kernel (port id 0) speaks for the host. Any local process may unicast to a netlink
   * socket's port id, so a datagram from another port could forge an address event (drift
   * repair would act on it) or an ack for a pending request: dropped and counted, and the first
   * one logged (one line, however many follow: a flood must not flood the log).
   */
  private fromKernel(senderPort: number | undefined, socket: string): boolean {
    if (senderPort === undefined || senderPort === 0) return true;
    if (this.foreign++ === 0) this.logger.warn('ignoring netlink messages not sent by the kernel', { socket, senderPort });
    return false;
  }

  /** Every link (RTM_GETLINK dump). */
  async listLinks(): Promise<LinkInfo[]> {
    const replies = await this.request('list links', (seq) => encodeGetLinksRequest(seq));
    return this.linksFrom(replies);
  }

  /** One link by name, or undefined when there is none (ENODEV). */
  async linkByName(name: string): Promise<LinkInfo | undefined> {
    try {
      const replies = await this.request(`look up link ${name}`, (seq) => encodeGetLinkByNameRequest(seq, name));
      return this.linksFrom(replies)[0];
    } catch (error) {
      if (error instanceof NetlinkError && error.code === 'ENODEV') return undefined;
      throw error;
    }
  }

  /** IPv4 and IPv6 addresses, of one interface or all (RTM_GETADDR dump). */
  async listAddresses(ifindex?: number): Promise<InterfaceAddress[]> {
    const replies = await this.request('list addresses', (seq) => encodeGetAddressesRequest(seq));
    const addresses: InterfaceAddress[] = [];
    for (const message of replies) {
      if (message.type !== RTM_NEWADDR) continue;
      const decoded = decodeAddressMessage(message);
      if (!decoded.ok) {
        if (decoded.error.code !== 'unsupported-family') this.logger.warn('undecodable address message', { ...decoded.error });
        continue;
      }
      const { ifindex: index, address, prefixLength, protocol } = decoded.value;
      if (ifindex === undefined || index === ifindex) addresses.push({ ifindex: index, address, prefixLength, ...(protocol === undefined ? {} : { protocol }) });
    }
    return addresses;
  }

  /**
   * Adds an address marked as carpd's (IFA_PROTO CARPD_ADDRESS_PROTOCOL); already present
   * (EEXIST) counts as done. `nodad` applies to IPv6.
   */
  async addAddress(ifindex: number, address: IpAddress, prefixLength: number, options: { nodad?: boolean } = {}): Promise<void> {
    const spec = { ifindex, address, prefixLength, protocol: CARPD_ADDRESS_PROTOCOL, ...(options.nodad === undefined ? {} : { nodad: options.nodad }) };
    await this.request(`add ${address.text}/${prefixLength} on ${this.nameOf(ifindex)}`, (seq) => encodeAddressRequest('add', seq, spec), ['EEXIST']);
  }

  /**
   * Removes an address; already gone (EADDRNOTAVAIL) or interface gone (ENODEV) counts as done.
   * The prefix length must be the one the address has: the kernel matches on it and answers
   * EADDRNOTAVAIL otherwise, which would count as done with the address still there.
   */
  async removeAddress(ifindex: number, address: IpAddress, prefixLength: number): Promise<void> {
    const spec = { ifindex, address, prefixLength };
    await this.request(`remove ${address.text}/${prefixLength} from ${this.nameOf(ifindex)}`, (seq) => encodeAddressRequest('remove', seq, spec), [
      'EADDRNOTAVAIL',
      'ENODEV',
    ]);
  }

  /**
   * Creates a bridge-mode macvlan with the given MAC and IPv6 address generation off, left
   * down; resolves with its ifindex. An existing link of that name fails with code EEXIST.
   * Two steps, because the kernel refuses addrgenmode in the create message (EAFNOSUPPORT):
   * the mode is set while the link is still down, before any link-local could be generated.
   */
  async createMacvlan(spec: { name: string; parentIndex: number; mac: string }): Promise<number> {
    const operation = `create macvlan ${spec.name} (${spec.mac}) on ${this.nameOf(spec.parentIndex)}`;
    const mac = parseMacAddress(spec.mac).bytes;
    await this.request(operation, (seq) => encodeCreateMacvlanRequest(seq, { name: spec.name, parentIndex: spec.parentIndex, mac }));
    // The ack carries no index (NLM_F_ECHO for RTM_NEWLINK needs kernel 6.3+): look it up.
    const link = await this.linkByName(spec.name);
    if (link === undefined) throw new NetlinkError(operation, 'ENODEV', 'created, then gone before it could be looked up');
    try {
      await this.request(`set addrgenmode none on ${spec.name}`, (seq) => encodeDisableAddrGenRequest(seq, link.index));
    } catch (error) {
      // A macvlan that would announce a shared link-local is worse than none: take it away.
      await this.deleteLink(link.index).catch(() => undefined);
      throw error;
    }
    return link.index;
  }

  /** Deletes a link (a macvlan carpd created). */
  async deleteLink(ifindex: number): Promise<void> {
    await this.request(`delete link ${this.nameOf(ifindex)}`, (seq) => encodeDeleteLinkRequest(seq, ifindex));
  }

  /** Sets IFF_UP on or off. */
  async setLinkUp(ifindex: number, up: boolean): Promise<void> {
    await this.request(`set ${this.nameOf(ifindex)} ${up ? 'up' : 'down'}`, (seq) => encodeSetLinkUpRequest(seq, ifindex, up));
  }

  /**
   * Reports link changes. If the kernel drops events (ENOBUFS, a full receive queue), the
   * links are dumped again and each is reported as 'new', so the listener's view converges. A
   * throwing listener is logged, never thrown into the event loop. `receiveBufferSize`
   * overrides the addon's 4 MiB (tests use a tiny one to provoke overflow).
   */
  watchLinks(listener: (event: LinkEvent) => void, options: { receiveBufferSize?: number } = {}): Subscription {
    const deliver = this.guarded('link event listener threw', listener);
    let resyncing = false;
    let resyncAgain = false;
    let watching = true;
    const resync = (): void => {
      if (resyncing) return void (resyncAgain = true);
      resyncing = true;
      this.listLinks()
        .then((links) => links.forEach((link) => watching && deliver({ type: 'new', link })))
        .catch((error: unknown) => this.logger.error('could not re-read links after losing events', { error: String(error) }))
        .finally(() => {
          resyncing = false;
          if (resyncAgain && watching) {
            resyncAgain = false;
            resync();
          }
        });
    };
    return this.openEventSocket({
      what: 'link',
      groups: RTMGRP_LINK,
      receiveBufferSize: options.receiveBufferSize,
      onMessage: (message) => {
        if (message.type !== RTM_NEWLINK && message.type !== RTM_DELLINK) return;
        const link = decodeLinkMessage(message);
        if (!link.ok) return this.logger.warn('undecodable link event', { ...link.error });
        deliver({ type: message.type === RTM_NEWLINK ? 'new' : 'del', link: this.toLinkInfo(link.value) });
      },
      onLost: (code) => {
        this.logger.warn('link events lost, re-reading every link', { code });
        resync();
      },
      onClose: () => (watching = false),
    });
  }

  /**
   * Reports IPv4 and IPv6 address changes. If the kernel drops events, `resynced` is called
   * and the caller re-reads the addresses it cares about (a full re-dump would report every
   * address of the host, most of them no business of carpd's). Throwing callbacks are logged.
   */
  watchAddresses(listener: (event: AddressEvent) => void, resynced?: () => void, options: { receiveBufferSize?: number } = {}): Subscription {
    const deliver = this.guarded('address event listener threw', listener);
    const resync = this.guarded('address resync callback threw', () => resynced?.());
    return this.openEventSocket({
      what: 'address',
      groups: RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
      receiveBufferSize: options.receiveBufferSize,
      onMessage: (message) => {
        if (message.type !== RTM_NEWADDR && message.type !== RTM_DELADDR) return;
        const decoded = decodeAddressMessage(message);
        if (!decoded.ok) {
          if (decoded.error.code !== 'unsupported-family') this.logger.warn('undecodable address event', { ...decoded.error });
          return;
        }
        const { ifindex, address, prefixLength, protocol } = decoded.value;
        deliver({ type: message.type === RTM_NEWADDR ? 'new' : 'del', address: { ifindex, address, prefixLength, ...(protocol === undefined ? {} : { protocol }) } });
      },
      onLost: (code) => {
        this.logger.warn('address events lost, asking the listener to re-read', { code });
        resync();
      },
      onClose: () => undefined,
    });
  }

  /** Closes the request socket and every watcher; pending requests fail with ECANCELED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of [...this.watchers]) watcher.close();
    this.failAll('ECANCELED');
    this.socket.close();
  }

  /**
   * Opens a socket bound to event groups and registers it for close(). Events stop at
   * close(): the flag guards against a datagram the addon had already read.
   */
  private openEventSocket(spec: EventSocketSpec): Subscription {
    if (this.closed) throw new NetlinkError(`watch ${spec.what} events`, 'ECANCELED', 'netlink adapter closed');
    let watching = true;
    const socket = this.binding.openNetlinkSocket({
      protocol: NETLINK_ROUTE,
      groups: spec.groups,
      onMessage: (datagram, senderPort) => {
        if (!this.fromKernel(senderPort, spec.what)) return;
        for (const message of this.decodeDatagram(datagram)) if (watching) spec.onMessage(message);
      },
      onError: (error) => {
        if (!watching) return;
        if (error.code === 'ENOBUFS' || error.code === 'EMSGSIZE') spec.onLost(error.code);
        else this.logger.error(`${spec.what} event socket error`, { code: error.code, error: error.message });
      },
    });
    if (spec.receiveBufferSize !== undefined) socket.setReceiveBufferSize(spec.receiveBufferSize);
    const watcher: Subscription = {
      close: (): void => {
        if (!watching) return;
        watching = false;
        spec.onClose();
        socket.close();
        this.watchers.delete(watcher);
      },
    };
    this.watchers.add(watcher);
    return watcher;
  }

  /** Wraps a listener so that a throw is logged, never thrown into the event loop. */
  private guarded<A extends unknown[]>(message: string, listener: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        listener(...args);
      } catch (error) {
        this.logger.error(message, { error: String(error) });
      }
    };
  }

  /** Sends one request and collects its replies until the ack or NLMSG_DONE. */
  private request(operation: string, encode: (seq: number) => Uint8Array, successCodes: readonly string[] = []): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new NetlinkError(operation, 'ECANCELED', 'netlink adapter closed'));
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      this.queued.push({ operation, encode, resolve, reject });
      this.dispatch();
    }).catch((error: unknown) => {
      if (error instanceof NetlinkError && successCodes.includes(error.code)) return [];
      throw error;
    });
  }

  /** Sends queued requests while the window has room; each deadline starts at its send. */
  private dispatch(): void {
    while (!this.closed && this.pending.size < NETLINK_MAX_IN_FLIGHT) {
      const next = this.queued.shift();
      if (next === undefined) return;
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
      const seq = this.seq;
      const timer = setTimeout(() => this.expire(seq), this.timeoutMs);
      this.pending.set(seq, { ...next, messages: [], timer });
      if (this.pending.size === 1) this.socket.ref();
      try {
        this.socket.send(Buffer.from(next.encode(seq)));
      } catch (error) {
        this.settle(seq, new NetlinkError(next.operation, (error as NativeError).code ?? 'EIO', (error as Error).message));
      }
    }
  }

  /**
   * A deadline passed. Node runs expired timers before it polls for I/O, so after a long busy
   * stretch the reply may already be waiting in the socket: the verdict waits for the poll phase
   * (setImmediate runs after it), and only a request still unanswered then fails.
   */
  private expire(seq: number): void {
    const request = this.pending.get(seq);
    if (request === undefined) return;
    setImmediate(() => {
      if (this.pending.get(seq) === request) this.settle(seq, new NetlinkError(request.operation, 'ETIMEDOUT', `no reply within ${this.timeoutMs} ms`));
    });
  }

  /** Ends a request: with its replies, or with an error; then lets the next one on the wire. */
  private settle(seq: number, outcome: NetlinkError | 'done'): void {
    const request = this.pending.get(seq);
    if (request === undefined) return;
    this.pending.delete(seq);
    clearTimeout(request.timer);
    if (outcome === 'done') request.resolve(request.messages);
    else request.reject(outcome);
    this.dispatch();
    if (this.pending.size === 0) this.socket.unref();
  }

  private receive(datagram: Buffer): void {
    for (const message of this.decodeDatagram(datagram)) {
      const request = this.pending.get(message.seq);
      if (request === undefined) {
        this.logger.debug('netlink reply for no pending request', { seq: message.seq, type: message.type });
        continue;
      }
      if (message.type === NLMSG_ERROR || message.type === NLMSG_DONE) {
        const status = message.type === NLMSG_ERROR ? decodeNetlinkError(message) : decodeNetlinkDone(message);
        if (!status.ok) this.settle(message.seq, new NetlinkError(request.operation, 'EBADMSG', status.error.detail));
        else if (status.value.errno === 0) this.settle(message.seq, 'done');
        else this.settle(message.seq, new NetlinkError(request.operation, status.value.code, status.value.kernelMessage));
      } else if (message.type !== NLMSG_NOOP) {
        request.messages.push(message);
      }
    }
  }

  /** A receive error on the request socket: replies may have been lost, so fail what waits. */
  private receiveFailed(error: NativeError): void {
    this.logger.warn('netlink request socket error', { code: error.code, error: error.message });
    this.failAll(error.code ?? 'EIO');
  }

  /** Fails every request in flight and, once closed, every queued one (never sent). */
  private failAll(code: string): void {
    for (const [seq, request] of [...this.pending]) this.settle(seq, new NetlinkError(request.operation, code));
    if (this.closed) for (const request of this.queued.splice(0)) request.reject(new NetlinkError(request.operation, code, 'netlink adapter closed'));
  }

  private decodeDatagram(datagram: Buffer): NetlinkMessage[] {
    const decoded = decodeNetlinkMessages(datagram);
    if (decoded.ok) return decoded.value;
    this.logger.warn('undecodable netlink datagram', { ...decoded.error, bytes: datagram.length });
    return [];
  }

  private linksFrom(replies: readonly NetlinkMessage[]): LinkInfo[] {
    const links: LinkInfo[] = [];
    for (const message of replies) {
      if (message.type !== RTM_NEWLINK) continue;
      const decoded = decodeLinkMessage(message);
      if (decoded.ok) links.push(this.toLinkInfo(decoded.value));
      else this.logger.warn('undecodable link message', { ...decoded.error });
    }
    return links;
  }

  private toLinkInfo(link: LinkMessage): LinkInfo {
    const name = link.name ?? `ifindex ${link.index}`;
    if (link.name !== undefined) this.names.set(link.index, link.name);
    return {
      index: link.index,
      name,
      mac: link.mac === undefined ? '' : formatMac(link.mac),
      up: (link.flags & IFF_UP) !== 0,
      running: (link.flags & IFF_RUNNING) !== 0,
      ...(link.kind === undefined ? {} : { kind: link.kind }),
      ...(link.parentIndex === undefined ? {} : { parentIndex: link.parentIndex }),
    };
  }

  private nameOf(ifindex: number): string {
    return this.names.get(ifindex) ?? `ifindex ${ifindex}`;
  }
}
