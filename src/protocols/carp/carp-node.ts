/**
 * The CARP groups of one interface: receives every protocol-112 datagram from the transport (or,
 * beside VRRP groups, the datagrams InterfaceNode routes to CARP), runs acceptance, counts drops
 * by reason (per group when the vhid is known, else per node) and hands accepted adverts to their
 * group.
 *
 * An advert for a vhid no group here has is dropped after one map lookup (carp-acceptance.ts, check
 * 7), before any HMAC. The vhid-mismatch diagnosis (checkVhidMismatch) does verify such an advert
 * against every group's key, which costs one HMAC per group (about 1 ms at 255 groups): it runs
 * at most once per vhid every VHID_MISMATCH_PROBE_INTERVAL_MICROS and within a node-wide token
 * bucket, so a flood of wrong-vhid adverts costs O(1) per packet whatever the number of groups
 * or of forged sources (issue 18). A sender found that way is remembered (at most
 * MAX_KNOWN_FOREIGN_VHIDS, by source and vhid): its later adverts cost one HMAC with that group's
 * key and make the group a foreign master's witness (it re-announces while MASTER). Under such a flood a real vhid mismatch is named later, not
 * never: the probes that get through still find it.
 */
import { acceptAdvert, type AcceptanceContext, type GroupAcceptance } from './carp-acceptance.ts';
import { emptyDropCounts, type DropReason } from '../../wire/drop-reason.ts';
import type { Datagram } from '../../wire/ip-packet.ts';
import type { IpAddress } from '../../wire/ip-address.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { PacketTransport } from '../../ports/packet-transport.ts';
import type { GroupRunner } from './carp-group-runner.ts';
import { decodeCarpHeader } from './carp-header.ts';
import { CarpAuthenticator } from './carp-hmac.ts';
import { WarningLimiter } from '../../engine/warning-limiter.ts';
import { PacketWarningLog } from '../../engine/packet-warning-log.ts';
import { TokenBucket } from '../../engine/token-bucket.ts';
import type { ProtocolNode, ProtocolNodeContext } from '../../engine/protocol-node.ts';
import type { ProtocolRunner } from '../../engine/runner-core.ts';
import { CARP_DROP_REASONS } from './carp-wire-reasons.ts';

/** A vhid mismatch with one peer is logged at once, then at most once a minute. */
const VHID_MISMATCH_WARNING_INTERVAL_MICROS = 60_000_000;
/** An unknown vhid is probed for a mismatch at most once in this long: 10 s. */
export const VHID_MISMATCH_PROBE_INTERVAL_MICROS = 10_000_000;
/** Mismatch probes per minute on one node, across all vhids (each costs one HMAC per group): 12, at most 4 at once. */
export const VHID_MISMATCH_PROBES_PER_MINUTE = 12;
const VHID_MISMATCH_PROBE_BURST = 4;

/** What verifies a digest (CarpAuthenticator; tests count its calls). */
export interface ProbeAuthenticator {
  verify(counter: bigint, digest: Uint8Array): boolean;
}
/** Makes a ProbeAuthenticator for a key, a vhid and an address list. */
export type ProbeAuthenticatorFactory = (key: Uint8Array, vhid: number, addresses: readonly IpAddress[]) => ProbeAuthenticator;

/** CarpNode's options. */
export interface CarpNodeOptions {
  /** false: the caller subscribes to the transport and calls receive() (engine/interface-demux.ts through carpProtocolNode). */
  readonly attach?: boolean;
  /** The daemon-wide budget for packet-caused warnings (else one of this node's own). */
  readonly packetLog?: PacketWarningLog;
  /** How mismatch probes verify (default CarpAuthenticator). */
  readonly probeAuthenticator?: ProbeAuthenticatorFactory;
}
/** How many (sender, vhid) pairs found to use one of our groups' key under another vhid are remembered. */
const MAX_KNOWN_FOREIGN_VHIDS = 16;

/** A node: one transport, many groups. */
export class CarpNode {
  /** Drops that could not be attributed to a configured group. */
  readonly unattributedDrops: Record<DropReason, number> = emptyDropCounts(CARP_DROP_REASONS);
  private readonly groups = new Map<number, { runner: GroupRunner; acceptance: GroupAcceptance }>();
  private readonly context: AcceptanceContext;
  private readonly mismatchWarnings = new WarningLimiter(VHID_MISMATCH_WARNING_INTERVAL_MICROS);
  /** When each unknown vhid was last probed (≤ 256 keys: the vhid is one byte). */
  private readonly lastProbeAt = new Map<number, number>();
  private readonly probes = new TokenBucket(VHID_MISMATCH_PROBES_PER_MINUTE, 60_000_000, VHID_MISMATCH_PROBE_BURST);
  private readonly packetLog: PacketWarningLog;
  private readonly probeAuthenticator: ProbeAuthenticatorFactory;
  /**
   * Senders found advertising one of our groups' passphrase and addresses under another vhid, by
   * "source vhid": each of their adverts is checked with that one group's key (one HMAC, not one
   * per group) and, authentic, is a foreign master for that group (it re-announces while MASTER).
   * Bounded, least recently found first out.
   */
  private readonly foreignVhids = new Map<string, { runner: GroupRunner; authenticator: ProbeAuthenticator }>();

  constructor(
    private readonly transport: PacketTransport,
    private readonly logger: Logger,
    /** The engine's clock, for rate-limiting warnings. */
    private readonly clock: Pick<Clock, 'nowMicros' | 'setTimer' | 'clearTimer'>,
    options: CarpNodeOptions = {},
  ) {
    this.packetLog = options.packetLog ?? new PacketWarningLog(logger, clock);
    this.probeAuthenticator = options.probeAuthenticator ?? ((key, vhid, addresses) => new CarpAuthenticator(key, vhid, addresses));
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
      // A bug, not an input problem: keep the daemon alive and say so loudly (within the budget:
      // a packet that triggers it can be sent at will).
      this.packetLog.log('error', 'internal error while handling a datagram', { error: String(error), source: datagram.source.text });
    }
  }

  /**
   * An advert for a vhid no group here has: if it authenticates with one of our groups' key and
   * address list under its own vhid, it comes from our cluster and only the vhid differs (changed
   * on one side): both sides may be MASTER. Said by name, once per peer and vhid a minute. The
   * probe is keyed by vhid, not by the (forgeable) source, and budgeted (see the header), so a
   * segment shared with other clusters, or a flood of forged adverts, costs a few probes a minute.
   */
  private checkVhidMismatch(datagram: Datagram, vhid: number): void {
    if (this.groups.size === 0) return;
    const now = this.clock.nowMicros();
    const id = `${datagram.source.text} ${vhid}`;
    // A sender already found: one HMAC with that group's key, no probe budget spent.
    const known = this.knownForeignVhid(datagram, vhid);
    if (known !== undefined) {
      if (this.mismatchWarnings.note(id, now).report) this.warnVhidMismatch(known, datagram, vhid);
      return;
    }
    const last = this.lastProbeAt.get(vhid);
    if (last !== undefined && now - last < VHID_MISMATCH_PROBE_INTERVAL_MICROS) return;
    if (!this.probes.take(now)) return;
    this.lastProbeAt.set(vhid, now);
    const decoded = decodeCarpHeader(datagram.payload);
    if (!decoded.ok) return;
    for (const { runner } of this.groups.values()) {
      const { key, addresses } = runner.settings;
      const authenticator = this.probeAuthenticator(key, vhid, addresses);
      if (!authenticator.verify(decoded.value.counter, decoded.value.digest)) continue;
      this.rememberForeignVhid(id, { runner, authenticator });
      runner.noteForeignAdvert('other-vhid', datagram);
      if (this.mismatchWarnings.note(id, now).report) this.warnVhidMismatch(runner, datagram, vhid);
      return;
    }
  }

  private warnVhidMismatch(runner: GroupRunner, datagram: Datagram, vhid: number): void {
    const name = runner.settings.name;
    this.packetLog.warn(
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

  private rememberForeignVhid(id: string, entry: { runner: GroupRunner; authenticator: ProbeAuthenticator }): void {
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

/** CarpNode as the interface's CARP node (engine/protocol-node.ts): the demultiplexer subscribes to the transport. */
export function carpProtocolNode(context: ProtocolNodeContext): ProtocolNode {
  const node = new CarpNode(context.transport, context.logger, context.clock, { attach: false, packetLog: context.packetLog });
  const carpRunner = (runner: ProtocolRunner): GroupRunner => {
    // The registry gives each protocol's runners only to its own node; this guards the cast.
    if (runner.protocol !== 'carp') throw new Error(`a ${runner.protocol} group cannot join the CARP node`);
    return runner as GroupRunner;
  };
  return {
    has: (_family, vhid) => node.has(vhid), // a vhid is one group whatever the family
    get size() {
      return node.size;
    },
    addGroup: (runner, options) => node.addGroup(carpRunner(runner), options),
    removeGroup: (runner) => node.removeGroup(carpRunner(runner).vhid),
    receive: (datagram) => node.receive(datagram),
    unattributedDrops: node.unattributedDrops,
  };
}
