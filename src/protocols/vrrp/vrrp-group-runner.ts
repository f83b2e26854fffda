/**
 * Runs one VRRPv3 virtual router (one VRID in one address family, RFC 5798 §1) on a clock: feeds
 * stepVrrp() its events, encodes its adverts with the real IP source and destination in the
 * checksum (one copy per unicast peer, each with its own checksum, as keepalived sends them,
 * docs/protocol-vrrp.md "keepalived"), and takes accepted adverts from the interface's demultiplexer. The
 * lifecycle commands are MachineDriver's and timers, effects, scripts and transition reports
 * RunnerCore's, both shared with CARP's GroupRunner. All decisions are in protocols/vrrp/vrrp-step.ts and
 * protocol/vrrp-*.ts.
 *
 * Not dropped but counted and logged (rate-limited per peer, like CARP's authentication
 * warnings): an advert whose Max Adver Int or address list differs from ours (keepalived logs
 * both, FRR the address count; a backup follows the master's interval, §6.4.2 (450)), and an
 * IPv4 checksum computed without the pseudo-header or over 224.0.0.18 for a unicast advert
 * (accepted in checksum_mode compatible: v3_checksum_as_v2, FRR, keepalived ≤ 1.3.6).
 */
import { DROP_REASONS } from '../index.ts';
import { summarizeForeignAdvert } from '../foreign-advert.ts';
import { initialVrrpState, stepVrrp, vrrpPriority } from './vrrp-step.ts';
import type { VrrpAction, VrrpAdvertFields, VrrpAdvertReceived, VrrpConfig, VrrpEvent, VrrpState } from './vrrp-machine-types.ts';
import { centisToMicros, masterDownIntervalMicros } from './vrrp-intervals.ts';
import { ipAddressEquals, isIpv6LinkLocal, type IpAddress } from '../../wire/ip-address.ts';
import type { Datagram } from '../../wire/ip-packet.ts';
import type { AcceptedVrrpAdvert, VrrpGroupAcceptance } from './vrrp-acceptance.ts';
import { VRRP_GROUP_V4, VRRP_GROUP_V6 } from './vrrp-checksum.ts';
import { authTypeName, intervalFieldCentis, vrrpProfile, type VrrpVersionProfile } from './vrrp-version.ts';
import type { PacketTransport } from '../../ports/packet-transport.ts';
import { PeerTable } from '../../engine/peer-table.ts';
import { MachineDriver } from '../../engine/machine-driver.ts';
import type { ProtocolRunner, RunnerCorePorts } from '../../engine/runner-core.ts';
import type { VrrpGroupSettings } from './vrrp-group-settings.ts';
import { WarningLimiter } from '../../engine/warning-limiter.ts';
import { PacketWarningLog } from '../../engine/packet-warning-log.ts';

/** A mismatch with one peer is logged at once, then at most once a minute. */
export const VRRP_MISMATCH_WARNING_INTERVAL_MICROS = 60_000_000;

/**
 * The ports a VRRP group runs on (no state store: VRRPv3 has no counter to persist), and the
 * daemon-wide budget for packet-caused warnings (packet-warning-log.ts; else one of its own).
 */
export type VrrpGroupPorts = RunnerCorePorts & { readonly packetLog?: PacketWarningLog };

/** Accepted adverts that differ from our configuration; counted, never dropped. */
export interface VrrpMismatchCounts {
  /** Max Adver Int differs from our Advertisement_Interval. */
  interval: number;
  /** The address list differs from ours (as sets). */
  addresses: number;
  /** IPv4 checksum of a legacy variant (no pseudo-header, or 224.0.0.18 on unicast). */
  legacyChecksum: number;
}

/** The interface cannot give the group a source address (IPv4 primary, IPv6 link-local). */
export class VrrpSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VrrpSourceError';
  }
}

/**
 * The address our adverts leave from: the transport's (the interface's primary IPv4 address, or
 * its IPv6 link-local one, or the source_address the socket was pinned to), since the checksum
 * covers it and the tie rule compares it. Undefined when the interface has none.
 */
export function vrrpSourceAddress(transport: Pick<PacketTransport, 'sourceAddress'>, settings: Pick<VrrpGroupSettings, 'family' | 'sourceAddress'>): IpAddress | undefined {
  return transport.sourceAddress(settings.family) ?? settings.sourceAddress;
}

/**
 * One running VRRP virtual router. Its start() makes the address owner MASTER at once; its
 * shutdown() and resign() send a priority-0 advert when MASTER (RFC 5798 §6.4.3 (655)); its
 * setDemotion() lowers the advertised priority (vrrp-election.ts).
 */
export class VrrpGroupRunner extends MachineDriver<VrrpAdvertReceived> implements ProtocolRunner {
  readonly protocol = 'vrrp' as const;
  readonly peers = new PeerTable();
  readonly mismatches: VrrpMismatchCounts = { interval: 0, addresses: 0, legacyChecksum: 0 };
  private currentSettings: VrrpGroupSettings;
  private machine: VrrpConfig;
  private machineState: VrrpState;
  private groupAcceptance: VrrpGroupAcceptance;
  private readonly warnings = new WarningLimiter(VRRP_MISMATCH_WARNING_INTERVAL_MICROS);
  /** Mismatch warnings come from unauthenticated packets (VRRPv3 has no authentication): budgeted. */
  private readonly packetLog: PacketWarningLog;

  /** Throws VrrpSourceError when the transport has no source address of the group's family. */
  constructor(
    settings: VrrpGroupSettings,
    private readonly ports: VrrpGroupPorts,
  ) {
    // Every label at 0 for every group, whatever its protocol: status and metrics list them all (docs/control-api.md).
    super(ports, { dropReasons: DROP_REASONS, summarizeForeign: summarizeForeignAdvert });
    this.packetLog = ports.packetLog ?? new PacketWarningLog(ports.logger, ports.clock);
    const primary = vrrpSourceAddress(ports.transport, settings);
    if (primary === undefined) {
      throw new VrrpSourceError(`${settings.name}: no ${settings.family === 4 ? 'IPv4 address' : 'IPv6 link-local address'} on the interface to send VRRP adverts from (RFC 5798 §5.1)`);
    }
    this.warnAboutSource(settings, primary);
    this.currentSettings = settings;
    this.machine = machineConfig(settings, primary);
    this.groupAcceptance = acceptanceFor(settings);
    this.machineState = initialVrrpState(this.machine, ports.clock.nowMicros());
  }

  /** The VRID (the vhid of the group's configuration). */
  override get vhid(): number {
    return this.currentSettings.vrid;
  }

  /** Our Master_Down_Interval now (µs). */
  override get masterDownMicros(): number {
    return masterDownIntervalMicros(vrrpPriority(this.machine, this.machineState), this.currentSettings.advertIntervalCentis, this.currentSettings.version);
  }

  /** Our Advertisement_Interval (µs). */
  override get advertIntervalMicros(): number {
    return centisToMicros(this.currentSettings.advertIntervalCentis);
  }

  /** The settings in force. */
  override get settings(): VrrpGroupSettings {
    return this.currentSettings;
  }

  /** The machine's state (read-only snapshot). */
  get state(): VrrpState {
    return this.machineState;
  }

  /** The priority advertised now, demotion included (0 only in the farewell advert). */
  get effectivePriority(): number {
    return vrrpPriority(this.machine, this.machineState);
  }

  /** Our primary address: the source of our adverts and our side of the tie rule. */
  get primaryAddress(): IpAddress {
    return this.machine.primaryAddress;
  }

  /** The rules of the version this group speaks (protocols/vrrp/vrrp-version.ts). */
  get profile(): VrrpVersionProfile {
    return vrrpProfile(this.currentSettings.version);
  }

  /** What acceptance needs to know about this group (vrrp-acceptance.ts). */
  get acceptance(): VrrpGroupAcceptance {
    return this.groupAcceptance;
  }

  /**
   * Applies new settings in place, keeping the phase and timers: priority, interval, preempt,
   * accept and checksum mode, addresses and peers take effect with the next advert, comparison
   * or received packet. The VRID and the family must not change (the caller restarts for that).
   */
  reconfigure(settings: VrrpGroupSettings): void {
    if (settings.vrid !== this.currentSettings.vrid || settings.family !== this.currentSettings.family || settings.version !== this.currentSettings.version) {
      throw new RangeError(`${settings.name}: the VRID, family and version of a running VRRP group cannot change in place`);
    }
    this.currentSettings = settings;
    this.machine = machineConfig(settings, this.machine.primaryAddress);
    this.groupAcceptance = acceptanceFor(settings);
  }

  /** Handles an advert that passed vrrp-acceptance.ts: mismatches noted, then the machine. */
  receive(accepted: AcceptedVrrpAdvert): void {
    const { header, datagram, mismatch, checksumVariant } = accepted;
    const sender = datagram.source.text;
    const now = this.ports.clock.nowMicros();
    const intervalCentis = intervalFieldCentis(this.profile, header.maxAdvertInterval);
    this.peers.acceptedVrrp(sender, { priority: header.priority, advertIntervalCentis: intervalCentis }, now);
    this.core.stats.advertsReceived++;
    if (mismatch.interval) {
      this.mismatches.interval++;
      this.warn('interval', sender, now, `carry an advertisement interval of ${seconds(intervalCentis)}, this group's is ${seconds(this.currentSettings.advertIntervalCentis)}: a backup follows the master's (RFC 5798 §6.4.2); set advert_interval alike on every router`, { peerIntervalCentis: intervalCentis, intervalCentis: this.currentSettings.advertIntervalCentis });
    }
    if (mismatch.addresses) {
      this.mismatches.addresses++;
      const theirs = header.addresses.map((a) => a.text);
      this.warn('addresses', sender, now, `list the addresses ${theirs.join(' ') || '(none)'}, this group has ${this.currentSettings.addresses.map((a) => a.text).join(' ')}: accepted, but the routers disagree on what to hold`, { peerAddresses: theirs });
    }
    if (checksumVariant !== this.profile.standardChecksum) {
      this.mismatches.legacyChecksum++;
      const how = checksumVariant === 'no-pseudo-header' ? 'without the IPv4 pseudo-header (keepalived v3_checksum_as_v2, FRR no checksum-with-ipv4-pseudoheader)' : 'over 224.0.0.18 for a unicast advert (keepalived 1.3.6 and older)';
      this.warn('checksum', sender, now, `compute the checksum ${how}: accepted in checksum_mode compatible`, { checksumVariant }, 'info');
    }
    this.otherMasterHeard(header.priority === 0);
    this.dispatch({ type: 'advert', advert: { family: datagram.family, source: datagram.source, priority: header.priority, maxAdvertIntervalCentis: intervalCentis } });
  }

  /**
   * A VRRPv2 advert for our VRID dropped for its authentication or interval (already counted):
   * named at warn level (RFC 3768 §7.1 discards it, so both routers may end up MASTER), once per
   * reason a minute; forged sources buy no extra lines.
   */
  noteRejectedAdvert(reason: 'auth-type-mismatch' | 'password-mismatch' | 'interval-mismatch', datagram: Datagram): void {
    const sender = datagram.source.text;
    const now = this.ports.clock.nowMicros();
    const payload = datagram.payload;
    // Another password is another router that cannot hear us: a foreign master, as a CARP advert failing its HMAC.
    if (reason !== 'interval-mismatch') this.hearForeign(sender, 'bad-auth', payload);
    const text =
      reason === 'password-mismatch'
        ? 'fail authentication: simple password mismatch (auth_type PASS): dropped, so both routers may be MASTER; give every router the same password (at most 8 bytes)'
        : reason === 'auth-type-mismatch'
          ? `use authentication ${authTypeName(payload[4] ?? 0)}, this group uses ${authTypeName(this.currentSettings.auth.type === 'pass' ? 1 : 0)}: auth type mismatch, dropped (RFC 3768 §7.1); set auth_type alike on every router`
          : `carry an advertisement interval of ${payload[5] ?? 0} s, this group's is ${seconds(this.currentSettings.advertIntervalCentis)}: VRRPv2 drops it (RFC 3768 §7.1), so both routers may be MASTER; set advert_interval alike on every router`;
    this.warn(reason, sender, now, text, { drop: reason, phase: this.machineState.phase }, 'warn', reason);
  }

  /**
   * A packet for our VRID that this VRRPv3 group cannot hear (already counted as a drop): a
   * VRRPv2 router (keepalived's default is `vrrp_version 2`) or a CARP node on our id. Only a
   * master sends adverts in either, so both may be MASTER for the same addresses: named at warn
   * level with what to change, once per sender a minute, and a MASTER re-announces its addresses.
   */
  noteForeignAdvert(kind: 'vrrp-v2' | 'vrrp-v3' | 'carp', datagram: Datagram): void {
    const sender = datagram.source.text;
    const now = this.ports.clock.nowMicros();
    this.hearForeign(sender, kind, datagram.payload);
    const text =
      kind === 'vrrp-v2'
        ? 'are VRRPv2: this group speaks VRRPv3 and cannot hear them, so both routers may be MASTER for the same addresses. Set `vrrp_version 3` on that router (keepalived defaults to version 2), or `vrrp_version: 2` on this group'
        : kind === 'vrrp-v3'
          ? 'are VRRPv3: this group speaks VRRPv2 and cannot hear them, so both routers may be MASTER for the same addresses. Set `vrrp_version 2` on that router, or `vrrp_version: 3` on this group (and every carpd of it)'
          : 'are CARP: a CARP node uses this VRRP group\'s VRID as its vhid and neither hears the other, so both may be MASTER for the same addresses. Give one of them another id';
    const fix = kind === 'vrrp-v2' ? { fix: 'vrrp_version 3' } : kind === 'vrrp-v3' ? { fix: 'vrrp_version 2' } : {};
    // Limited per kind, not per sender: forged sources must not buy one line each (the line names the latest).
    this.warn(kind, sender, now, text, { foreign: kind, phase: this.machineState.phase, ...fix }, 'warn', kind);
  }

  private warn(kind: string, sender: string, now: number, text: string, fields: Record<string, unknown>, level: 'warn' | 'info' = 'warn', limitKey = `${kind} ${sender}`): void {
    const decision = this.warnings.note(limitKey, now);
    if (!decision.report) return;
    const { name, vrid } = this.currentSettings;
    const times = decision.count > 1 ? ` (${decision.count} adverts since the last report)` : '';
    this.packetLog.log(level, `${name}: adverts for VRID ${vrid} from ${sender} ${text}${times}`, { group: name, vhid: vrid, peer: sender, mismatch: kind, count: decision.count, ...fields });
  }

  /** Our primary address (the adverts' checksum and our side of the tie rule) follows the transport's source. */
  sourceChanged(): void {
    const primary = vrrpSourceAddress(this.ports.transport, this.currentSettings);
    if (primary !== undefined) this.machine = { ...this.machine, primaryAddress: primary };
  }

  private warnAboutSource(settings: VrrpGroupSettings, primary: IpAddress): void {
    if (settings.sourceAddress !== undefined && !ipAddressEquals(settings.sourceAddress, primary)) {
      this.ports.logger.warn(`${settings.name}: source_address ${settings.sourceAddress.text} is not the address this interface sends from (${primary.text}, the first source_address given for it): VRRP adverts go out from ${primary.text}`, {
        group: settings.name,
        sourceAddress: settings.sourceAddress.text,
        actualSource: primary.text,
      });
    }
    if (settings.family === 6 && !isIpv6LinkLocal(primary)) {
      this.ports.logger.warn(`${settings.name}: IPv6 VRRP adverts go out from ${primary.text}, not a link-local address as RFC 5798 §5.1.2.1 requires; peers may drop them`, { group: settings.name, source: primary.text });
    }
  }

  protected override dispatch(event: VrrpEvent): void {
    const result = stepVrrp(this.machine, this.machineState, event, this.ports.clock.nowMicros());
    this.machineState = result.state;
    for (const action of result.actions) this.execute(action);
    this.afterEvent();
  }

  private execute(action: VrrpAction): void {
    if (action.type === 'send-advert') {
      this.sendAdvert(action.fields);
      return;
    }
    this.core.execute(action, () => this.machineState.lastHeardMaster?.address);
  }

  private sendAdvert(fields: VrrpAdvertFields): void {
    const { vrid, family, addresses, unicastPeers } = this.currentSettings;
    const peers = unicastPeers?.filter((p) => p.family === family) ?? [];
    const group = family === 4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6;
    const advert = { vrid, priority: fields.priority, advertIntervalCentis: fields.maxAdvertIntervalCentis, addresses, auth: this.currentSettings.auth };
    const profile = this.profile;
    // The VRRPv3 checksum covers the destination (docs/protocol-vrrp.md "Checksum"): one encoding per unicast peer.
    this.core.sendAdvert(family, peers.length === 0 ? [undefined] : peers, (destination) => profile.encode(advert, { source: this.machine.primaryAddress, destination: destination ?? group }));
  }
}

function machineConfig(settings: VrrpGroupSettings, primaryAddress: IpAddress): VrrpConfig {
  return {
    vrid: settings.vrid,
    family: settings.family,
    version: settings.version,
    priority: settings.priority,
    advertIntervalCentis: settings.advertIntervalCentis,
    preempt: settings.preempt,
    preemptDelayMicros: settings.preemptDelayMicros,
    acceptMode: settings.acceptMode,
    primaryAddress,
  };
}

function acceptanceFor(settings: VrrpGroupSettings): VrrpGroupAcceptance {
  const peers = settings.unicastPeers?.filter((p) => p.family === settings.family) ?? [];
  return {
    version: settings.version,
    auth: settings.auth,
    checksumMode: settings.checksumMode,
    requireTtl255ForUnicast: settings.requireTtl255ForUnicast,
    advertInterval: settings.advertIntervalCentis,
    addresses: settings.addresses,
    ...(peers.length > 0 ? { allowedSources: peers } : {}),
  };
}

function seconds(centis: number): string {
  return `${centisToMicros(centis) / 1e6} s`;
}
