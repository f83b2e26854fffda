/**
 * Runs one vhid's state machine on a clock: feeds it events, carries out its actions through
 * the ports, signs outgoing adverts and replay-checks incoming ones. All decisions are in
 * protocols/carp/carp-step.ts and protocol/; this file only wires them to time and I/O. The lifecycle commands
 * are MachineDriver's and timers, effects, scripts, transition reports and send-error logging
 * RunnerCore's, both shared with VrrpGroupRunner.
 */
import { DROP_REASONS } from '../index.ts';
import { summarizeForeignAdvert } from '../foreign-advert.ts';
import { advertFields, initialState, step } from './carp-step.ts';
import { advertIntervalMicros, masterDownMicros } from './carp-intervals.ts';
import { isBowOutOffer } from './carp-election.ts';
import type { AdvertReceived, MachineAction, MachineConfig, MachineEvent, MachineState } from './carp-machine-types.ts';
import type { AcceptedAdvert } from './carp-acceptance.ts';
import { decodeCarpHeader, encodeCarpHeader } from './carp-header.ts';
import { CarpAuthenticator, carpHmacAddresses } from './carp-hmac.ts';
import type { IpAddress, IpFamily } from '../../wire/ip-address.ts';
import type { Datagram } from '../../wire/ip-packet.ts';
import { isKeyChangeTwin } from './key-change-twin.ts';
import { checkReplay, freshnessFloor, initialReplayState, noteSent, type ReplayState } from './replay-guard.ts';
import { counterSequence, initialSendCounter, nextSendCounter, type SendCounterState } from './send-counter.ts';
import { backwardsCounterCause } from './backwards-counter-cause.ts';
import type { Clock } from '../../ports/clock.ts';
import type { GroupStateStore } from '../../ports/group-state-store.ts';
import type { GroupEffects } from '../../ports/group-effects.ts';
import type { Logger } from '../../ports/logger.ts';
import type { PacketTransport } from '../../ports/packet-transport.ts';
import type { GroupSettings } from './carp-group-settings.ts';
import { WarningLimiter } from '../../engine/warning-limiter.ts';
import { PacketWarningLog } from '../../engine/packet-warning-log.ts';
import { PeerTable } from '../../engine/peer-table.ts';
import { loadPlausibleCounters } from './persisted-counters.ts';
import { MachineDriver } from '../../engine/machine-driver.ts';
import type { ProtocolRunner } from '../../engine/runner-core.ts';

export type { TransitionEvent } from '../../engine/runner-core.ts';

/** Authentication failures of one peer are logged at once, then at most once a minute. */
export const AUTH_WARNING_INTERVAL_MICROS = 60_000_000;
/**
 * Our own counters heard from one source are logged at once, then at most once an hour: a
 * misnumbered node repeats the same news, and the source may be spoofed (replays of our adverts).
 */
export const OWN_LANE_WARNING_INTERVAL_MICROS = 3_600_000_000;

/** The ports a group runs on. */
export interface GroupPorts {
  readonly clock: Clock;
  readonly transport: PacketTransport;
  readonly effects: GroupEffects;
  readonly logger: Logger;
  readonly stateStore: GroupStateStore;
  /**
   * The daemon-wide budget for warnings caused by received packets (packet-warning-log.ts);
   * without one the group has a budget of its own.
   */
  readonly packetLog?: PacketWarningLog;
}

/**
 * One running virtual host. Its shutdown() sends the bow-out advert (advbase/advskew 255/255)
 * when MASTER; setDemotion() raises the advertised demote byte and advskew.
 */
export class GroupRunner extends MachineDriver<AdvertReceived> implements ProtocolRunner {
  readonly protocol = 'carp' as const;
  private machineState: MachineState;
  private replay: ReplayState;
  private sendCounter: SendCounterState;
  private authenticator: CarpAuthenticator;
  /**
   * After a reload changed the key or the address list (both are in the HMAC): the previous
   * authenticator, accepted and also signed with until `until` (monotonic µs), so nodes
   * reloaded one by one keep hearing each other (docs/reload.md, rolling changes).
   */
  private previousKey: { readonly authenticator: CarpAuthenticator; readonly until: number; readonly addresses: readonly IpAddress[] } | undefined;
  /**
   * After the key-change window, until the next key change: the previous authenticator, only to
   * tell a peer's key-change twin from a wrong passphrase (protocols/carp/key-change-twin.ts; a peer
   * reloaded later signs with it for up to its own window); never accepted.
   */
  private retiredKey: CarpAuthenticator | undefined;
  private currentSettings: GroupSettings;
  /** Our counter lane: the last byte of our advert source address (send-counter.ts). */
  private readonly lane: number;
  /**
   * Senders reported for using our lane: keyed by an unauthenticated source address, so a
   * bounded limiter (its oldest key forgotten first), not a set that grows with every source.
   */
  private readonly laneReports = new WarningLimiter(OWN_LANE_WARNING_INTERVAL_MICROS);
  private readonly authWarnings = new WarningLimiter(AUTH_WARNING_INTERVAL_MICROS);
  /** Where warnings caused by received packets go (budgeted). */
  private readonly packetLog: PacketWarningLog;
  /** The peers heard (status). */
  readonly peers = new PeerTable();
  /**
   * The master's source address per family, as last heard while BACKUP (status): a dual-stack
   * master advertises from its IPv4 address and its IPv6 link-local one.
   */
  readonly masterSources: Partial<Record<IpFamily, string>> = {};
  /** The machine config with our advert source addresses filled in from the transport (the tie rule needs them). */
  private machine: MachineConfig;
  private readonly sentListeners: ((family: IpFamily, counter: bigint, bowOut: boolean) => void)[] = [];

  constructor(
    settings: GroupSettings,
    private readonly ports: GroupPorts,
  ) {
    // Every label at 0 for every group, whatever its protocol: status and metrics list them all (docs/control-api.md).
    super(ports, { dropReasons: DROP_REASONS, summarizeForeign: summarizeForeignAdvert });
    this.currentSettings = settings;
    this.packetLog = ports.packetLog ?? new PacketWarningLog(ports.logger, ports.clock);
    this.authenticator = new CarpAuthenticator(settings.key, settings.machine.vhid, settings.addresses);
    this.machine = { ...settings.machine, sourceAddresses: { ...transportSources(ports.transport, settings.machine.families), ...settings.machine.sourceAddresses } };
    this.machineState = initialState(ports.clock.nowMicros());
    const persisted = loadPlausibleCounters(ports.stateStore, this.storeKey(), ports.clock.wallclockMicros(), ports.logger, { name: settings.name, vhid: settings.machine.vhid });
    const clockFloor = settings.replayMode === 'strict' ? freshnessFloor(ports.clock.wallclockMicros(), settings.replayWindowSeconds) : 0n;
    this.lane = counterLaneFor(this.machine);
    this.replay = initialReplayState(persisted.replayHighWater > clockFloor ? persisted.replayHighWater : clockFloor, this.lane);
    this.sendCounter = initialSendCounter(persisted.sendReservation);
    // Everything sent before a restart is at or below the reservation: still recognised as ours.
    if (persisted.sendReservation > 0n) this.replay = noteSent(this.replay, persisted.sendReservation);
  }

  /** The settings in force (reconfigure() replaces them). */
  override get settings(): GroupSettings {
    return this.currentSettings;
  }

  /** While a key change is being rolled out: the previous address list and when its window ends (monotonic µs). */
  get keyChange(): { readonly previousAddresses: readonly IpAddress[]; readonly until: number } | undefined {
    this.expirePreviousKey();
    return this.previousKey === undefined ? undefined : { previousAddresses: this.previousKey.addresses, until: this.previousKey.until };
  }

  /**
   * Applies new settings in place, keeping the phase, timers and counters: advbase, advskew,
   * preempt and the replay window take effect with the next advert or election. When the key or
   * the address list changed, the old ones stay valid (accepted, and signed with as well) for
   * `keyChangeWindowMicros`, so the nodes of a cluster can be reloaded one at a time in any order.
   * The vhid and the address families must not change (the caller restarts the group for that).
   */
  reconfigure(settings: GroupSettings, keyChangeWindowMicros: number): void {
    const before = this.currentSettings;
    const keyChanged = !sameBytes(before.key, settings.key) || before.addresses.map((a) => a.text).join(',') !== settings.addresses.map((a) => a.text).join(',');
    this.currentSettings = settings;
    this.machine = { ...settings.machine, sourceAddresses: { ...this.machine.sourceAddresses, ...settings.machine.sourceAddresses } };
    if (!keyChanged) return;
    const now = this.ports.clock.nowMicros();
    this.retiredKey = undefined;
    this.previousKey = keyChangeWindowMicros > 0 ? { authenticator: this.authenticator, until: now + keyChangeWindowMicros, addresses: before.addresses } : undefined;
    this.authenticator = new CarpAuthenticator(settings.key, settings.machine.vhid, settings.addresses);
    if (this.previousKey !== undefined) {
      this.ports.logger.info(`${settings.name}: key or address list changed: signing with both the old and the new one for ${Math.round(keyChangeWindowMicros / 1e6)} s, accepting either`, {
        group: settings.name,
        vhid: this.vhid,
        previousAddresses: before.addresses.map((a) => a.text),
        addresses: settings.addresses.map((a) => a.text),
      });
    }
  }

  /**
   * Our side of the tie rule (carp-step.ts ownOffer) follows the transport's source; a configured
   * source_address stays. The counter lane stays too: it was chosen at start and the replay state
   * and persisted reservation are on it.
   */
  sourceChanged(): void {
    this.machine = { ...this.machine, sourceAddresses: { ...transportSources(this.ports.transport, this.machine.families), ...this.currentSettings.machine.sourceAddresses } };
  }

  private expirePreviousKey(): void {
    if (this.previousKey === undefined || this.ports.clock.nowMicros() < this.previousKey.until) return;
    this.retiredKey = this.previousKey.authenticator;
    this.previousKey = undefined;
    this.ports.logger.info(`${this.settings.name}: key change complete: signing and accepting the new key and address list only`, { group: this.settings.name, vhid: this.vhid });
  }

  /** Our master-down interval now, demotion included (µs). */
  override get masterDownMicros(): number {
    const fields = advertFields(this.machine, this.machineState);
    return masterDownMicros(this.machine.masterDownFormula, fields.advbase, fields.advskew, this.machine.deadRatio);
  }

  /** Our advert interval now, demotion included (µs). */
  override get advertIntervalMicros(): number {
    const fields = advertFields(this.machine, this.machineState);
    return advertIntervalMicros(fields.advbase, fields.advskew);
  }

  /** The vhid. */
  override get vhid(): number {
    return this.settings.machine.vhid;
  }

  /** The current machine state (read-only snapshot). */
  get state(): MachineState {
    return this.machineState;
  }

  /** The replay high-water mark (strict mode). */
  get replayHighWater(): bigint {
    return this.replay.highWater;
  }

  /** Verifies digests for carp-acceptance.ts. */
  verify(counter: bigint, digest: Uint8Array): boolean {
    if (this.authenticator.verify(counter, digest)) return true;
    this.expirePreviousKey();
    return this.previousKey?.authenticator.verify(counter, digest) ?? false;
  }

  /** Subscribes to every advert this group sends (simulator invariants, tests). */
  onAdvertSent(listener: (family: IpFamily, counter: bigint, bowOut: boolean) => void): void {
    this.sentListeners.push(listener);
  }

  /**
   * An advert for our vhid that fails authentication. A key-change twin (a peer's copy signed
   * with the key this node does not use, protocols/carp/key-change-twin.ts) is counted as such and
   * nothing else. Anything else is a `bad-auth` drop from a node that may be MASTER beside us:
   * named at warn level, once per peer a minute, with the likely causes (a MASTER says split
   * brain is possible), and a MASTER re-announces its addresses while it is heard.
   */
  noteAuthFailure(datagram: Datagram): void {
    const sender = datagram.source.text;
    const now = this.ports.clock.nowMicros();
    const decoded = decodeCarpHeader(datagram.payload);
    if (decoded.ok && this.isKeyChangeTwin(sender, decoded.value.counter, decoded.value.digest, now)) {
      this.countDrop('key-change-twin');
      this.peers.keyChangeTwin(sender, now);
      return;
    }
    this.countDrop('bad-auth');
    this.peers.badAuth(sender, now);
    this.hearForeign(sender, 'bad-auth', datagram.payload);
    const master = this.machineState.phase === 'master';
    // Limited per peer and per role: becoming MASTER while they keep coming is news (split brain).
    const decision = this.authWarnings.note(`${sender} ${master ? 'master' : 'backup'}`, now);
    if (!decision.report) return;
    const hashed = carpHmacAddresses(this.settings.addresses).map((a) => a.text);
    const times = decision.count > 1 ? ` (${decision.count} adverts since the last warning)` : '';
    const retired = decoded.ok && this.signedWithRetiredKey(decoded.value.counter, decoded.value.digest);
    this.packetLog.warn(
      `${this.settings.name}: adverts for vhid ${this.vhid} from ${sender} fail authentication${times}: ` +
        (retired ? `they are signed with this group's previous key or address list (its key-change window is over): reload ${sender} with the new configuration` : `its passphrase differs from ours, or its address list does (this node hashes ${hashed.join(' ')})`) +
        '; they are dropped' +
        (master ? `. This node is MASTER and ${sender} advertises too: possible split brain, both may hold the addresses` : ''),
      { group: this.settings.name, vhid: this.vhid, peer: sender, count: decision.count, hashedAddresses: hashed, splitBrain: master, previousKey: retired },
    );
  }

  /**
   * A foreign advert for our vhid other than a failed authentication (already counted as a drop):
   * a VRRP router using our vhid as its VRID (`vrrp`, named here), or a node with our passphrase
   * and addresses under another vhid (`other-vhid`, named by CarpNode).
   */
  noteForeignAdvert(kind: 'vrrp' | 'other-vhid', datagram: Datagram): void {
    const sender = datagram.source.text;
    this.hearForeign(sender, kind, datagram.payload);
    if (kind !== 'vrrp') return;
    // Limited per group, not per sender: forged sources must not buy one line each (the line names the latest).
    const decision = this.authWarnings.note('foreign vrrp', this.ports.clock.nowMicros());
    if (!decision.report) return;
    const version = (datagram.payload[0] ?? 0) >> 4;
    const times = decision.count > 1 ? ` (${decision.count} adverts since the last warning)` : '';
    this.packetLog.warn(
      `${this.settings.name}: VRRPv${version} adverts for VRID ${this.vhid} from ${sender}${times}: a VRRP router uses this CARP group's vhid as its VRID; neither hears the other, so both may be MASTER for the same addresses. Give one of them another id`,
      { group: this.settings.name, vhid: this.vhid, peer: sender, count: decision.count, foreign: 'vrrp', peerVersion: version, phase: this.machineState.phase },
    );
  }

  private isKeyChangeTwin(sender: string, counter: bigint, digest: Uint8Array, now: number): boolean {
    const last = this.peers.lastAccepted(sender);
    if (last === undefined) return false;
    const fields = this.peers.lastFields(sender);
    // Three of the sender's intervals: its adverts stop being recent as a master's would time out.
    const recent = 3 * (fields === undefined ? this.advertIntervalMicros : advertIntervalMicros(fields.advbase, fields.advskew));
    return isKeyChangeTwin({ counter, at: now, signedWithRetiredKey: this.signedWithRetiredKey(counter, digest) }, last, recent);
  }

  private signedWithRetiredKey(counter: bigint, digest: Uint8Array): boolean {
    this.expirePreviousKey();
    return this.retiredKey?.verify(counter, digest) ?? false;
  }

  /** Handles an advert that passed acceptance checks 1–10: replay check, then the machine. */
  receive(accepted: AcceptedAdvert): void {
    const { header, datagram } = accepted;
    const check = checkReplay(this.replay, this.settings.replayMode, datagram.source.text, header.counter);
    if (check.state.highWater > this.replay.highWater) this.ports.stateStore.saveReplayHighWater(this.storeKey(), check.state.highWater);
    this.replay = check.state;
    if (check.notice !== undefined) this.reportUncheckablePeer(check.notice.sender, check.notice.previous, check.notice.counter);
    if (check.verdict !== 'fresh') {
      if (check.verdict === 'loop') this.reportOwnLane(datagram.source.text);
      else this.peers.replay(datagram.source.text, this.ports.clock.nowMicros());
      this.countDrop(check.verdict === 'loop' ? 'own-advert' : 'replay');
      return;
    }
    this.peers.accepted(datagram.source.text, { advbase: header.advbase, advskew: header.advskew, demote: header.demote, counter: header.counter }, this.ports.clock.nowMicros());
    this.stats.advertsReceived++;
    this.otherMasterHeard(isBowOutOffer(header));
    this.dispatch({
      type: 'advert',
      advert: { family: datagram.family, source: datagram.source, advbase: header.advbase, advskew: header.advskew, demote: header.demote },
    });
    // Followed as the master (BACKUP, and the machine took it as the master it heard).
    if (this.machineState.phase === 'backup' && this.machineState.lastHeardMaster?.address.text === datagram.source.text) this.masterSources[datagram.family] = datagram.source.text;
  }

  private reportOwnLane(sender: string): void {
    const decision = this.laneReports.note(sender, this.ports.clock.nowMicros());
    if (!decision.report) return;
    this.packetLog.warn(
      `adverts from ${sender} carry our own counters: someone replays our adverts, or that node's address ends in the same byte as ours (counter lane ${this.lane}); they are dropped`,
      { group: this.settings.name, vhid: this.vhid, peer: sender, lane: this.lane, count: decision.count },
    );
  }

  private reportUncheckablePeer(sender: string, previous: bigint, counter: bigint): void {
    // A carpd peer whose clock went back needs its clock fixed, not "compat" (issue 19).
    const likelyCause = backwardsCounterCause(previous, counter, this.ports.clock.wallclockMicros());
    const fields = { group: this.settings.name, vhid: this.vhid, peer: sender, previousCounter: hex(previous), counter: hex(counter), likelyCause };
    const strict = this.settings.replayMode === 'strict';
    if (likelyCause === 'peer-clock-stepped-back') {
      const back = Number(counterSequence(previous - counter)) / 1e6;
      this.packetLog.warn(
        `peer ${sender} is a carpd whose counters went back ${back.toFixed(1)} s: its clock was stepped back (or it restarted without its state with its clock behind); fix its clock (NTP)${strict ? ', its stale adverts are dropped as replays until it continues above what it sent' : ''}; replay mode "compat" is not the cure`,
        fields,
      );
    } else if (strict) {
      this.packetLog.warn(
        `peer ${sender} sends counters that go backwards, as ucarp, FreeBSD and OpenBSD do (or someone replays its adverts): its stale adverts are dropped as replays; set replay mode "compat" for this group to interoperate with it`,
        fields,
      );
    } else {
      this.packetLog.warn(`peer ${sender} sends counters that go backwards: its adverts cannot be replay-checked (replay mode "compat")`, fields);
    }
  }

  protected override dispatch(event: MachineEvent): void {
    const result = step(this.machine, this.machineState, event, this.ports.clock.nowMicros());
    this.machineState = result.state;
    for (const action of result.actions) this.execute(action);
    this.afterEvent();
  }

  private execute(action: MachineAction): void {
    if (action.type === 'send-advert') {
      for (const family of action.families) this.sendAdvert(family, action.bowOut);
      return;
    }
    this.core.execute(action, () => this.machineState.lastHeardMaster?.address);
  }

  private sendAdvert(family: IpFamily, bowOut: boolean): void {
    this.expirePreviousKey();
    // During a key change the old-key copy goes first: nodes not yet reloaded only accept it.
    if (this.previousKey !== undefined) this.sendSignedAdvert(family, bowOut, this.previousKey.authenticator);
    this.sendSignedAdvert(family, bowOut, this.authenticator);
  }

  private sendSignedAdvert(family: IpFamily, bowOut: boolean, authenticator: CarpAuthenticator): void {
    const heard = this.settings.replayMode === 'strict' ? this.replay.highWater : undefined;
    const next = nextSendCounter(this.sendCounter, this.ports.clock.wallclockMicros(), heard, this.lane);
    this.sendCounter = next.state;
    if (next.persist !== undefined) this.ports.stateStore.saveSendReservation(this.storeKey(), next.persist);
    const fields = advertFields(this.machine, this.machineState);
    const payload = encodeCarpHeader({
      vhid: this.vhid,
      advbase: bowOut ? 255 : fields.advbase,
      advskew: bowOut ? 255 : fields.advskew,
      demote: fields.demote,
      counter: next.counter,
      digest: authenticator.sign(next.counter),
    });
    this.replay = noteSent(this.replay, next.counter);
    this.core.sendAdvert(family, this.destinations(family), () => payload);
    for (const listener of this.sentListeners) listener(family, next.counter, bowOut);
  }

  private destinations(family: IpFamily): readonly (IpAddress | undefined)[] {
    const peers = this.settings.unicastPeers?.filter((p) => p.family === family);
    return peers === undefined || peers.length === 0 ? [undefined] : peers;
  }

  private storeKey(): string {
    return this.settings.name;
  }
}

function counterLaneFor(machine: MachineConfig): number {
  const source = machine.sourceAddresses[4] ?? machine.sourceAddresses[6];
  return source === undefined ? 0 : (source.bytes[source.bytes.length - 1] as number);
}

function transportSources(transport: PacketTransport, families: readonly IpFamily[]): MachineConfig['sourceAddresses'] {
  const sources: Partial<Record<IpFamily, IpAddress>> = {};
  for (const family of families) {
    const address = transport.sourceAddress(family);
    if (address !== undefined) sources[family] = address;
  }
  return sources;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hex(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}
