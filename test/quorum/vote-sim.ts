/**
 * A small message-passing simulator for the quorum vote ALONE (docs/partitions.md): members run
 * voter.ts and claimant.ts, the witness runs voter.ts, on virtual real time in µs; every node has
 * its own clock rate within ±ρ and offset. The network is a directed link matrix (partitions,
 * one-way and non-transitive cuts), with loss and delay up to a bound. Faults: crashes and
 * restarts (members and witness), freezes (SIGSTOP: the daemon runs nothing, the kernel backstop
 * still removes the address at its valid lifetime, up to 1 s late). The protocol around the vote
 * is reduced to what the vote needs: a member claims when it has heard no MASTER beacon for its
 * own master-down, stands down when it hears one; no preemption.
 * Output: every interval during which a member had the address (removal time included).
 */
import { seededRandom } from '../../src/sim/random.ts';
import { initialVoter, stepVoter, type VoterAction, type VoterState } from '../../src/quorum/voter.ts';
import { initialClaimant, stepClaimant, type ClaimantAction, type ClaimantEvent, type ClaimantState } from '../../src/quorum/claimant.ts';
import type { RefusalReason, RequestKind } from '../../src/quorum/quorum-codec.ts';
import { WITNESS_INDEX } from '../../src/quorum/quorum-key.ts';
import { DEFAULT_MARGINS, type SafetyMargins } from '../../src/quorum/quorum-timing.ts';

export interface SimOptions {
  readonly seed: number;
  readonly members: number;
  readonly witness: boolean;
  readonly durationUs: number;
  /** Faults happen only before this time; from it on: all up, fully connected, no loss. */
  readonly healAtUs: number;
  readonly margins?: SafetyMargins;
  /** The clocks' real rate error bound, ppm (what the model does, not what the code assumes). */
  readonly actualDriftPpm?: number;
  readonly maxDelayUs?: number;
  /** Longest (lateness + removal) of a running daemon's release, µs (the code assumes < P). */
  readonly maxRemovalUs?: number;
  /** How late the kernel removes an address after its valid lifetime at most, µs. */
  readonly kernelLateUs?: number;
  /**
   * Stickiness runs: when faults start, the member then holding and enough voters for a majority
   * with it (the witness first) stay up and connected to each other; only the others are cut,
   * crashed or frozen.
   */
  readonly protectHolder?: boolean;
  readonly faults?: boolean;
  /** Addresses carry a kernel valid lifetime (default true); without it, nobody freezes (nothing would cover it). */
  readonly kernelBackstop?: boolean;
  /**
   * 'random' (default): random partitions, loss, crashes, restarts, freezes until healAtUs.
   * 'cut-holder' / 'freeze-holder': one fault only, at faultsFromUs, on whoever holds then: every
   * link to it cut (until the heal), or its daemon frozen for 6 s; the sharpest test of a margin.
   */
  readonly faultPlan?: 'random' | 'cut-holder' | 'freeze-holder' | 'scripted';
  /** For 'scripted': at each time, the directed links cut from then on (replacing earlier cuts), and a member to crash. */
  readonly timeline?: readonly { readonly atUs: number; readonly cuts?: readonly (readonly [number, number])[]; readonly crash?: number }[];
  /** Advert interval of an advskew-0 member (default 1 s); others scale with advskew/256. */
  readonly advertBaseUs?: number;
  /** Called with a line per claimant action (debugging a failing seed). */
  readonly trace?: (line: string) => void;
  /** When faults may begin (default 2 s). */
  readonly faultsFromUs?: number;
}

export interface Holding {
  readonly member: number;
  readonly from: number;
  readonly to: number;
}

type Message =
  | { readonly type: 'beacon'; readonly from: number; readonly master: boolean; readonly epoch: number; readonly intervalUs: number; readonly released: boolean }
  | { readonly type: 'request'; readonly from: number; readonly nonce: bigint; readonly epoch: number; readonly kind: RequestKind; readonly leaseUs: number }
  | { readonly type: 'grant'; readonly from: number; readonly to: number; readonly nonce: bigint; readonly epoch: number; readonly leaseUs: number }
  | { readonly type: 'refusal'; readonly from: number; readonly to: number; readonly nonce: bigint; readonly reason: RefusalReason; readonly remainingUs: number; readonly holderEpoch: number };

type SimEvent =
  | { readonly kind: 'deliver'; readonly to: number; readonly message: Message }
  | { readonly kind: 'periodic'; readonly member: number; readonly gen: number }
  | { readonly kind: 'tick'; readonly member: number; readonly gen: number }
  | { readonly kind: 'master-down'; readonly member: number; readonly gen: number }
  | { readonly kind: 'kernel-expire'; readonly member: number; readonly gen: number }
  | { readonly kind: 'removed'; readonly member: number; readonly gen: number; readonly epoch: number | undefined }
  | { readonly kind: 'fault'; readonly apply: () => void };

interface Node {
  readonly id: number;
  rate: number;
  offset: number;
  up: boolean;
  frozenUntil: number;
  voter: VoterState;
}

interface MemberNode extends Node {
  readonly intervalUs: number;
  readonly masterDownUs: number;
  claimant: ClaimantState;
  lastMasterHeardLocal: number;
  gen: number;
  tickGen: number;
  downGen: number;
  addrGen: number;
  present: boolean;
  since: number;
}

export interface SimResult {
  readonly holdings: readonly Holding[];
  readonly messages: number;
  /** Stickiness runs: the member that held when faults began. */
  readonly protectedHolder: number | undefined;
  /** The members' states at the end, for a failing run's message. */
  readonly finalStates: readonly object[];
}

const ADVSKEWS = [0, 100, 50, 25, 75];

export function runVoteSim(options: SimOptions): SimResult {
  return new VoteSim(options).run();
}

class VoteSim {
  private readonly random: () => number;
  private readonly margins: SafetyMargins;
  private readonly maxDelayUs: number;
  private readonly queue: { at: number; order: number; event: SimEvent }[] = [];
  private order = 0;
  private now = 0;
  private messages = 0;
  private readonly members: MemberNode[] = [];
  private readonly witness: Node | undefined;
  private readonly ids: number[];
  private link = new Map<string, boolean>();
  private loss = 0;
  private readonly holdings: Holding[] = [];
  private protectedIds: Set<number> | undefined;

  constructor(private readonly options: SimOptions) {
    this.random = seededRandom(options.seed);
    this.margins = options.margins ?? DEFAULT_MARGINS;
    this.maxDelayUs = options.maxDelayUs ?? 100_000;
    const voters = [...Array.from({ length: options.members }, (_, i) => i), ...(options.witness ? [WITNESS_INDEX] : [])];
    this.ids = voters;
    for (let i = 0; i < options.members; i += 1) {
      const base = options.advertBaseUs ?? 1_000_000;
      const intervalUs = base + Math.floor(((ADVSKEWS[i] ?? 0) * base) / 256);
      const node: MemberNode = { id: i, ...this.clockOf(), up: true, frozenUntil: 0, voter: initialVoter(0, this.margins), intervalUs, masterDownUs: 3 * intervalUs, claimant: initialClaimant(i, voters, intervalUs, this.margins), lastMasterHeardLocal: 0, gen: 0, tickGen: 0, downGen: 0, addrGen: 0, present: false, since: 0 };
      node.voter = initialVoter(this.local(node), this.margins);
      node.lastMasterHeardLocal = this.local(node);
      this.members.push(node);
    }
    if (options.witness) {
      const witness: Node = { id: WITNESS_INDEX, ...this.clockOf(), up: true, frozenUntil: 0, voter: initialVoter(0, this.margins) };
      witness.voter = initialVoter(this.local(witness), this.margins);
      this.witness = witness;
    }
  }

  run(): SimResult {
    for (const member of this.members) {
      this.schedule(Math.floor(this.random() * member.intervalUs), { kind: 'periodic', member: member.id, gen: member.gen });
      this.armMasterDown(member);
    }
    const plan = this.options.faultPlan ?? 'random';
    if (this.options.faults !== false && plan === 'random') this.scheduleFaults();
    if (plan === 'scripted') for (const step of this.options.timeline ?? []) this.schedule(step.atUs, { kind: 'fault', apply: () => this.scripted(step) });
    else if (plan !== 'random') this.schedule(this.options.faultsFromUs ?? 10_000_000, { kind: 'fault', apply: () => this.hitHolder(plan) });
    if (this.options.protectHolder === true) this.schedule(this.options.faultsFromUs ?? 0, { kind: 'fault', apply: () => this.fixProtected() });
    this.schedule(this.options.healAtUs, { kind: 'fault', apply: () => this.heal() });
    while (this.queue.length > 0) {
      const next = this.pop();
      if (next.at > this.options.durationUs) break;
      this.now = next.at;
      this.handle(next.event);
    }
    for (const member of this.members) if (member.present) this.holdings.push({ member: member.id, from: member.since, to: this.options.durationUs });
    const finalStates = this.members.map((m) => ({ id: m.id, up: m.up, phase: m.claimant.phase, epoch: m.claimant.epoch, promise: m.voter.promise, grantedEpoch: m.voter.grantedEpoch, heard: [...m.voter.heardMasters.keys()], nextRequestAt: m.claimant.nextRequestAt - this.local(m), rounds: m.claimant.rounds.length }));
    return { holdings: this.holdings, messages: this.messages, protectedHolder: this.protectedHolder, finalStates };
  }

  /** A random 64-bit nonce, as the daemon draws them (the claimant's backoff comes from it). */
  private freshNonce(): bigint {
    return (BigInt(Math.floor(this.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(this.random() * 2 ** 32));
  }

  // ---- clocks
  private clockOf(): { rate: number; offset: number } {
    const ppm = this.options.actualDriftPpm ?? this.margins.driftPpm;
    return { rate: 1 + ((this.random() * 2 - 1) * ppm) / 1e6, offset: Math.floor(this.random() * 1e9) };
  }
  private local(node: Node): number {
    return Math.floor(node.offset + node.rate * this.now);
  }
  private realOf(node: Node, local: number): number {
    return Math.ceil((local - node.offset) / node.rate);
  }

  // ---- queue (binary heap on (at, order))
  private schedule(at: number, event: SimEvent): void {
    const item = { at: Math.max(at, this.now), order: this.order++, event };
    const q = this.queue;
    q.push(item);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(q[p]!, q[i]!)) break;
      [q[p], q[i]] = [q[i]!, q[p]!];
      i = p;
    }
  }
  private pop(): { at: number; order: number; event: SimEvent } {
    const q = this.queue;
    const top = q[0]!;
    const last = q.pop()!;
    if (q.length > 0) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && less(q[l]!, q[m]!)) m = l;
        if (r < q.length && less(q[r]!, q[m]!)) m = r;
        if (m === i) break;
        [q[m], q[i]] = [q[i]!, q[m]!];
        i = m;
      }
    }
    return top;
  }

  // ---- network
  private linkUp(from: number, to: number): boolean {
    return this.link.get(`${from}>${to}`) ?? true;
  }
  private send(from: number, to: number, message: Message): void {
    this.messages += 1;
    if (from === to) {
      this.schedule(this.now, { kind: 'deliver', to, message });
      return;
    }
    if (!this.linkUp(from, to)) return;
    if (!(this.isProtected(from) && this.isProtected(to)) && this.random() < this.loss) return;
    this.schedule(this.now + Math.floor(this.random() * this.maxDelayUs), { kind: 'deliver', to, message });
  }
  private broadcast(from: number, message: Message): void {
    for (const id of this.ids) if (id !== from || message.type === 'request' || (message.type === 'beacon' && message.released)) this.send(from, id, message);
  }

  // ---- events
  private nodeOf(id: number): Node | undefined {
    return id === WITNESS_INDEX ? this.witness : this.members[id];
  }
  private handle(event: SimEvent): void {
    if (event.kind === 'fault') return event.apply();
    const id = event.kind === 'deliver' ? event.to : event.member;
    const node = this.nodeOf(id);
    if (node === undefined || !node.up) return;
    if (event.kind === 'kernel-expire') return this.kernelExpire(node as MemberNode, event.gen); // the kernel runs while the daemon is frozen
    if (event.kind === 'removed') return this.removed(node as MemberNode, event.gen, event.epoch);
    if (this.now < node.frozenUntil) return this.schedule(node.frozenUntil, event);
    if (event.kind === 'deliver') return this.deliver(node, event.message);
    const member = node as MemberNode;
    if (event.kind === 'periodic') {
      if (event.gen === member.gen) this.periodic(member);
      return;
    }
    if (event.kind === 'master-down') {
      if (event.gen === member.downGen) this.masterDown(member);
      return;
    }
    if (event.gen === member.tickGen) this.claimant(member, { type: 'tick', nonce: this.freshNonce() });
  }

  /** The member's master-down timer: armed again on each MASTER beacon heard, as the protocol's is. */
  private armMasterDown(member: MemberNode): void {
    member.downGen += 1;
    member.lastMasterHeardLocal = this.local(member);
    this.schedule(this.realOf(member, member.lastMasterHeardLocal + member.masterDownUs), { kind: 'master-down', member: member.id, gen: member.downGen });
  }

  private masterDown(member: MemberNode): void {
    if (member.claimant.phase === 'idle') this.claimant(member, { type: 'want-claim', nonce: this.freshNonce() });
  }

  private periodic(member: MemberNode): void {
    const holding = member.claimant.phase === 'holding';
    this.broadcast(member.id, { type: 'beacon', from: member.id, master: holding, epoch: member.claimant.epoch, intervalUs: member.intervalUs, released: false });
    if (member.claimant.phase === 'idle' && this.local(member) - member.lastMasterHeardLocal >= member.masterDownUs) this.claimant(member, { type: 'want-claim', nonce: this.freshNonce() });
    this.schedule(this.realOf(member, this.local(member) + member.intervalUs), { kind: 'periodic', member: member.id, gen: member.gen });
  }

  private deliver(node: Node, message: Message): void {
    const member = node.id === WITNESS_INDEX ? undefined : (node as MemberNode);
    switch (message.type) {
      case 'beacon':
        if (message.released) node.voter = stepVoter(node.voter, { type: 'released', member: message.from, epoch: message.epoch }, this.local(node)).state;
        else if (message.master) node.voter = stepVoter(node.voter, { type: 'heard-master', member: message.from, advertIntervalUs: message.intervalUs }, this.local(node)).state;
        else node.voter = stepVoter(node.voter, { type: 'heard-not-master', member: message.from }, this.local(node)).state;
        if (member !== undefined && message.master) {
          this.armMasterDown(member);
          this.claimant(member, { type: 'heard-master', member: message.from, epoch: message.epoch });
          if (member.claimant.phase === 'claiming') this.claimant(member, { type: 'stand-down' });
        }
        return;
      case 'request': {
        const step = stepVoter(node.voter, { type: 'request', from: message.from, nonce: message.nonce, epoch: message.epoch, kind: message.kind, leaseUs: message.leaseUs }, this.local(node));
        node.voter = step.state;
        for (const action of step.actions) this.send(node.id, message.from, replyOf(node.id, action));
        return;
      }
      case 'grant':
      case 'refusal':
        if (member !== undefined) this.claimant(member, message.type === 'grant' ? { ...message } : { ...message });
        return;
    }
  }

  private claimant(member: MemberNode, event: ClaimantEvent): void {
    const step = stepClaimant(member.claimant, event, this.local(member));
    member.claimant = step.state;
    for (const action of step.actions) this.act(member, action);
  }

  private act(member: MemberNode, action: ClaimantAction): void {
    this.options.trace?.(`${this.now} m${member.id} ${JSON.stringify(action, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    switch (action.type) {
      case 'send-request':
        this.broadcast(member.id, { type: 'request', from: member.id, nonce: action.nonce, epoch: action.epoch, kind: action.kind, leaseUs: action.leaseUs });
        return;
      case 'acquired':
      case 'extend':
        this.addAddress(member, action.validLifetimeS);
        return;
      case 'release': {
        const removal = Math.floor(this.random() * (this.options.maxRemovalUs ?? 200_000));
        this.schedule(this.now + removal, { kind: 'removed', member: member.id, gen: member.addrGen, epoch: action.epoch });
        return;
      }
      case 'arm':
        member.tickGen += 1;
        this.schedule(this.realOf(member, action.at), { kind: 'tick', member: member.id, gen: member.tickGen });
        return;
      case 'abandon':
        this.broadcast(member.id, { type: 'beacon', from: member.id, master: false, epoch: action.epoch, intervalUs: member.intervalUs, released: true });
        return;
      case 'held-back':
      case 'drop':
        return;
    }
  }

  /** Adds (or refreshes) the address with a kernel valid lifetime: removed between 20 ms early and kernelLateUs late. */
  private addAddress(member: MemberNode, validLifetimeS: number): void {
    if (!member.present) {
      member.present = true;
      member.since = this.now;
    }
    member.addrGen += 1;
    if (this.options.kernelBackstop === false) return;
    const late = -20_000 + Math.floor(this.random() * ((this.options.kernelLateUs ?? 1_000_000) + 20_000));
    this.schedule(this.realOf(member, this.local(member) + validLifetimeS * 1_000_000 + late), { kind: 'kernel-expire', member: member.id, gen: member.addrGen });
  }

  private removeAddress(member: MemberNode): void {
    if (!member.present) return;
    member.present = false;
    member.addrGen += 1;
    this.holdings.push({ member: member.id, from: member.since, to: this.now });
  }

  private kernelExpire(member: MemberNode, gen: number): void {
    if (gen === member.addrGen) this.removeAddress(member);
  }

  private removed(member: MemberNode, gen: number, epoch: number | undefined): void {
    if (gen === member.addrGen) this.removeAddress(member);
    if (epoch !== undefined && this.now >= member.frozenUntil) this.broadcast(member.id, { type: 'beacon', from: member.id, master: false, epoch, intervalUs: member.intervalUs, released: true });
  }

  // ---- faults
  private crash(member: MemberNode): void {
    member.up = false;
    member.gen += 1;
    member.tickGen += 1;
    // The cleanup guard removes the address within milliseconds of the daemon's death.
    this.schedule(this.now + Math.floor(this.random() * 50_000), { kind: 'fault', apply: () => this.removeAddress(member) });
  }
  private restart(member: MemberNode): void {
    if (member.up) return;
    this.removeAddress(member);
    member.up = true;
    member.frozenUntil = 0;
    member.voter = initialVoter(this.local(member), this.margins);
    member.claimant = initialClaimant(member.id, this.ids, member.intervalUs, this.margins);
    this.armMasterDown(member);
    member.gen += 1;
    this.schedule(this.now + Math.floor(this.random() * member.intervalUs), { kind: 'periodic', member: member.id, gen: member.gen });
  }
  private restartWitness(): void {
    const witness = this.witness;
    if (witness === undefined) return;
    witness.up = true;
    witness.voter = initialVoter(this.local(witness), this.margins);
  }

  private heal(): void {
    this.link = new Map();
    this.loss = 0;
    for (const member of this.members) {
      member.frozenUntil = Math.min(member.frozenUntil, this.now);
      if (!member.up) this.restart(member);
    }
    if (this.witness !== undefined && !this.witness.up) this.restartWitness();
  }

  private scheduleFaults(): void {
    let at = (this.options.faultsFromUs ?? 2_000_000) + Math.floor(this.random() * 3_000_000);
    while (at < this.options.healAtUs) {
      const fault = this.randomFault();
      this.schedule(at, { kind: 'fault', apply: fault });
      at += 300_000 + Math.floor(this.random() * 4_000_000);
    }
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private randomFault(): () => void {
    const r = this.random();
    const roll = this.random();
    if (r < 0.45) return () => this.setPartition();
    if (r < 0.55) return () => (this.loss = this.pick([0, 0.05, 0.3]));
    if (r >= 0.9) {
      return () => {
        const witness = this.witness;
        if (witness === undefined || this.isProtected(WITNESS_INDEX)) return;
        if (witness.up) witness.up = false;
        else this.restartWitness();
      };
    }
    const duration = 100_000 + Math.floor(this.random() * 8_000_000);
    return () => {
      const candidates = this.members.filter((m) => !this.isProtected(m.id));
      // Faults hit the holder more often than not: that is where two holders could come from.
      const holder = candidates.find((m) => m.present);
      const member = holder !== undefined && roll < 0.6 ? holder : candidates[Math.floor(roll * candidates.length)];
      if (member === undefined) return;
      if (r < 0.7) this.crash(member);
      else if (r < 0.8) this.restart(member);
      else if (member.up && this.options.kernelBackstop !== false) member.frozenUntil = Math.max(member.frozenUntil, this.now + duration);
    };
  }

  private scripted(step: { readonly cuts?: readonly (readonly [number, number])[]; readonly crash?: number }): void {
    if (step.cuts !== undefined) this.link = new Map(step.cuts.map(([a, b]) => [`${a}>${b}`, false]));
    const crashed = step.crash === undefined ? undefined : this.members[step.crash];
    if (crashed !== undefined) this.crash(crashed);
  }

  private hitHolder(plan: 'cut-holder' | 'freeze-holder'): void {
    const holder = this.members.find((m) => m.present);
    if (holder === undefined) return;
    if (plan === 'freeze-holder') {
      holder.frozenUntil = this.now + 6_000_000;
      return;
    }
    const link = new Map<string, boolean>();
    for (const other of this.ids) if (other !== holder.id) (link.set(`${holder.id}>${other}`, false), link.set(`${other}>${holder.id}`, false));
    this.link = link;
  }

  /** In stickiness runs, when faults begin: the holder and a majority with it (the witness first) are spared. */
  private fixProtected(): void {
    const holder = this.members.find((m) => m.present)?.id ?? 0;
    const majority = Math.floor(this.ids.length / 2) + 1;
    const others = [...this.ids.filter((i) => i === WITNESS_INDEX), ...this.ids.filter((i) => i !== WITNESS_INDEX && i !== holder)];
    this.protectedIds = new Set([holder, ...others.slice(0, majority - 1)]);
  }

  private isProtected(id: number): boolean {
    return this.protectedIds?.has(id) ?? false;
  }

  /** The member protected as the holder in a stickiness run (after the first fault). */
  get protectedHolder(): number | undefined {
    return this.protectedIds === undefined ? undefined : [...this.protectedIds][0];
  }

  /** A new link matrix: full, isolation of one node, a split, a non-transitive cut, one-way cuts, or random directed links. */
  private setPartition(): void {
    const link = new Map<string, boolean>();
    const cut = (a: number, b: number): void => {
      if (!(this.isProtected(a) && this.isProtected(b))) link.set(`${a}>${b}`, false);
    };
    const cuttable = this.ids;
    const shape = Math.floor(this.random() * 6);
    if (cuttable.length === 0) return void (this.link = link);
    if (shape === 1) {
      const holder = this.members.find((m) => m.present && !this.isProtected(m.id));
      const alone = holder !== undefined && this.random() < 0.6 ? holder.id : this.pick(cuttable);
      for (const other of this.ids) if (other !== alone) (cut(alone, other), cut(other, alone));
    } else if (shape === 2) {
      const side = new Set(this.ids.filter((id) => cuttable.includes(id) && this.random() < 0.5));
      for (const a of this.ids) for (const b of this.ids) if (side.has(a) !== side.has(b)) cut(a, b);
    } else if (shape === 3 && cuttable.length >= 2) {
      const a = this.pick(cuttable);
      const c = this.pick(this.ids.filter((id) => id !== a));
      cut(a, c);
      cut(c, a);
    } else if (shape === 4) {
      const a = this.pick(cuttable);
      const b = this.pick(this.ids.filter((id) => id !== a));
      if (this.random() < 0.5) cut(a, b);
      else cut(b, a);
    } else if (shape === 5) {
      for (const a of cuttable) for (const b of this.ids) if (a !== b && this.random() < 0.35) this.random() < 0.5 ? cut(a, b) : cut(b, a);
    }
    this.link = link;
  }
}

function less(a: { at: number; order: number }, b: { at: number; order: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

function replyOf(from: number, action: VoterAction): Message {
  return action.type === 'grant'
    ? { type: 'grant', from, to: action.to, nonce: action.nonce, epoch: action.epoch, leaseUs: action.leaseUs }
    : { type: 'refusal', from, to: action.to, nonce: action.nonce, reason: action.reason, remainingUs: action.remainingUs, holderEpoch: action.holderEpoch };
}

/** Pairs of holdings of different members that overlap, and the smallest gap between a release and another member's claim. */
export function judgeHoldings(holdings: readonly Holding[]): { overlaps: [Holding, Holding][]; smallestGapUs: number } {
  const sorted = [...holdings].filter((h) => h.to > h.from).sort((a, b) => a.from - b.from);
  const overlaps: [Holding, Holding][] = [];
  let smallestGapUs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < sorted.length; i += 1) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j += 1) {
      const b = sorted[j]!;
      if (b.member === a.member) continue;
      if (b.from < a.to) overlaps.push([a, b]);
      else smallestGapUs = Math.min(smallestGapUs, b.from - a.to);
    }
  }
  return { overlaps, smallestGapUs };
}

/** Members holding at real time t. */
export function holdersAt(holdings: readonly Holding[], t: number): number[] {
  return [...new Set(holdings.filter((h) => h.from <= t && t < h.to).map((h) => h.member))];
}
