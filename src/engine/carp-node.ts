/**
 * The CARP groups of one interface: receives every protocol-112 datagram from the transport (or,
 * beside VRRP groups, the datagrams InterfaceNode routes to CARP), runs acceptance, counts drops
 * by reason (per group when the vhid is known, else per node) and hands accepted adverts to their
 * group.
 */
import { acceptAdvert, type AcceptanceContext, type GroupAcceptance } from '../protocol/acceptance.ts';
import { emptyDropCounts, type DropReason } from '../protocol/drop-reason.ts';
import type { Datagram } from '../protocol/ip-packet.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PacketTransport } from '../ports/packet-transport.ts';
import type { GroupRunner } from './group-runner.ts';
import { decodeCarpHeader } from '../protocol/carp-header.ts';
import { CarpAuthenticator } from '../protocol/carp-hmac.ts';
import { WarningLimiter } from './warning-limiter.ts';

/** A vhid mismatch with one peer is logged at once, then at most once a minute. */
const VHID_MISMATCH_WARNING_INTERVAL_MICROS = 60_000_000;
/** How many (sender, vhid) pairs found to use one of our groups' key under another vhid are remembered. */
const MAX_KNOWN_FOREIGN_VHIDS = 16;

/** A node: one transport, many groups. */
export class CarpNode {
  /** Drops that could not be attributed to a configured group. */
  readonly unattributedDrops: Record<DropReason, number> = emptyDropCounts();
  private readonly groups = new Map<number, { runner: GroupRunner; acceptance: GroupAcceptance }>();
  private readonly context: AcceptanceContext;
  private readonly mismatchWarnings = new WarningLimiter(VHID_MISMATCH_WARNING_INTERVAL_MICROS);
  /**
   * Senders found advertising one of our groups' passphrase and addresses under another vhid, by
   * "source vhid": each of their adverts is checked with that one group's key (one HMAC, not one
   * per group) and, authentic, is a foreign master for that group (it re-announces while MASTER).
   * Bounded, least recently found first out.
   */
  private readonly foreignVhids = new Map<string, { runner: GroupRunner; authenticator: CarpAuthenticator }>();

  constructor(
    private readonly transport: PacketTransport,
    private readonly logger: Logger,
    /** The engine's clock, for rate-limiting warnings. */
    private readonly clock: Pick<Clock, 'nowMicros'>,
    /** false: the caller subscribes to the transport and calls receive() (interface-node.ts). */
    options: { readonly attach?: boolean } = {},
  ) {
    this.context = {
      group: (vhid) => this.groups.get(vhid)?.acceptance,
      isOwnAddress: (address) => this.transport.isOwnAddress(address),
    };
    if (options.attach === false) return;
    transport.onDatagram((datagram) => this.receive(datagram));
    transport.onMalformed(() => this.unattributedDrops['bad-ip']++);
  }

  /** True when a group has this vhid. */
  has(vhid: number): boolean {
    return this.groups.has(vhid);
  }

  /** How many groups run here. */
  get size(): number {
    return this.groups.size;
  }

  /** Adds a group; its vhid must be unique on this node. */
  addGroup(runner: GroupRunner, options: { requireTtl255ForUnicast?: boolean } = {}): void {
    if (this.groups.has(runner.vhid)) throw new Error(`vhid ${runner.vhid} is already configured on this interface`);
    const peers = runner.settings.unicastPeers;
    const acceptance: GroupAcceptance = {
      verify: (counter, digest) => runner.verify(counter, digest),
      requireTtl255ForUnicast: options.requireTtl255ForUnicast ?? true,
      ...(peers !== undefined && peers.length > 0 ? { allowedSources: peers } : {}),
    };
    this.groups.set(runner.vhid, { runner, acceptance });
  }

  /** Removes a group (after shutting it down). */
  removeGroup(vhid: number): void {
    this.groups.delete(vhid);
  }

  /** The groups, by vhid. */
  get runners(): GroupRunner[] {
    return [...this.groups.values()].map((g) => g.runner);
  }

  /** Handles one received datagram. Never throws: a bad packet is a counted drop. */
  receive(datagram: Datagram): void {
    try {
      const result = acceptAdvert(datagram, this.context);
      if (result.ok) {
        this.groups.get(result.advert.header.vhid)?.runner.receive(result.advert);
        return;
      }
      const group = result.vhid === undefined ? undefined : this.groups.get(result.vhid);
      if (result.reason === 'unknown-vhid' && result.vhid !== undefined) this.checkVhidMismatch(datagram, result.vhid);
      if (group === undefined) this.unattributedDrops[result.reason]++;
      else if (result.reason === 'bad-auth') group.runner.noteAuthFailure(datagram); // counts bad-auth or key-change-twin
      else {
        group.runner.countDrop(result.reason);
        if (result.reason === 'vrrp') group.runner.noteForeignAdvert('vrrp', datagram);
      }
    } catch (error) {
      // A bug, not an input problem: keep the daemon alive and say so loudly.
      this.logger.error('internal error while handling a datagram', { error: String(error), source: datagram.source.text });
    }
  }

  /**
   * An advert for a vhid no group here has: if it authenticates with one of our groups' key and
   * address list under its own vhid, it comes from our cluster and only the vhid differs (changed
   * on one side): both sides may be MASTER. Said by name, once per peer and vhid a minute, so a
   * segment shared with other clusters costs a few HMACs a minute and no noise.
   */
  private checkVhidMismatch(datagram: Datagram, vhid: number): void {
    const known = this.knownForeignVhid(datagram, vhid);
    const decision = this.mismatchWarnings.note(`${datagram.source.text} ${vhid}`, this.clock.nowMicros());
    if (!decision.report) return;
    if (known !== undefined) return this.warnVhidMismatch(known, datagram, vhid);
    const decoded = decodeCarpHeader(datagram.payload);
    if (!decoded.ok) return;
    for (const { runner } of this.groups.values()) {
      const { key, addresses } = runner.settings;
      const authenticator = new CarpAuthenticator(key, vhid, addresses);
      if (!authenticator.verify(decoded.value.counter, decoded.value.digest)) continue;
      this.rememberForeignVhid(`${datagram.source.text} ${vhid}`, { runner, authenticator });
      runner.noteForeignAdvert('other-vhid', datagram);
      return this.warnVhidMismatch(runner, datagram, vhid);
    }
  }

  private warnVhidMismatch(runner: GroupRunner, datagram: Datagram, vhid: number): void {
    const name = runner.settings.name;
    this.logger.warn(
      `${name}: adverts for vhid ${vhid} from ${datagram.source.text} authenticate with this group's passphrase and addresses, but this group is vhid ${runner.vhid} here: the vhid was changed on one side? Both may be MASTER and hold the addresses`,
      { group: name, vhid: runner.vhid, peerVhid: vhid, peer: datagram.source.text, phase: runner.state.phase },
    );
  }

  /**
   * An advert from a sender already found using one of our groups' key under `vhid`: if it
   * authenticates, it is that group's foreign master (returned, and noted by the group).
   */
  private knownForeignVhid(datagram: Datagram, vhid: number): GroupRunner | undefined {
    const id = `${datagram.source.text} ${vhid}`;
    const known = this.foreignVhids.get(id);
    if (known === undefined) return undefined;
    const decoded = decodeCarpHeader(datagram.payload);
    // Its group removed, or a reload changed the key (or the sender's): found anew, rate-limited.
    if (this.groups.get(known.runner.vhid)?.runner !== known.runner || !decoded.ok || !known.authenticator.verify(decoded.value.counter, decoded.value.digest)) {
      this.foreignVhids.delete(id);
      return undefined;
    }
    known.runner.noteForeignAdvert('other-vhid', datagram);
    return known.runner;
  }

  private rememberForeignVhid(id: string, entry: { runner: GroupRunner; authenticator: CarpAuthenticator }): void {
    this.foreignVhids.delete(id);
    if (this.foreignVhids.size >= MAX_KNOWN_FOREIGN_VHIDS) {
      const oldest = this.foreignVhids.keys().next().value;
      if (oldest !== undefined) this.foreignVhids.delete(oldest);
    }
    this.foreignVhids.set(id, entry);
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
