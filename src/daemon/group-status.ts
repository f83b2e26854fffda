/**
 * The protocol-specific part of a group's status: CARP's advbase/advskew/demote fields and
 * replay mode, or VRRP's `vrrp` block; the master as last heard and the nodes heard, in each
 * protocol's terms. GroupInstance adds what both share (demotion, counters, scripts, fault ...).
 */
import type { CarpGroupConfig, GroupConfig, VrrpGroupConfig } from '../config/config-types.ts';
import type { GroupStatus, VrrpStatus } from '../control/control-types.ts';
import type { GroupRunner } from '../protocols/carp/carp-group-runner.ts';
import type { HeardPeer } from '../engine/peer-table.ts';
import type { ProtocolRunner } from '../engine/runner-core.ts';
import type { VrrpGroupRunner } from '../protocols/vrrp/vrrp-group-runner.ts';
import { advertFields } from '../protocols/carp/carp-step.ts';
import { VRRP_DEFAULTS } from '../protocols/vrrp/vrrp-machine-types.ts';
import { OWNER_PRIORITY } from '../protocols/vrrp/vrrp-election.ts';
import type { IpFamily } from '../wire/ip-address.ts';

/** The fields of GroupStatus that depend on the protocol. */
export type ProtocolStatus = Pick<GroupStatus, 'protocol' | 'advbase' | 'advskew' | 'advertisedAdvskew' | 'demoteByte' | 'replayMode' | 'vrrp' | 'master' | 'heard' | 'familyLoss'>;

/** Foreign masters heard for a group's id and the re-announcements they caused (either protocol). */
export function foreignStatus(runner: Pick<ProtocolRunner, 'foreignMasters'> | undefined, toIso: ToIso): NonNullable<GroupStatus['foreign']> {
  const stats = runner?.foreignMasters;
  const last = stats?.last;
  return {
    adverts: stats?.adverts ?? 0,
    reannouncements: stats?.reannouncements ?? 0,
    last: last === undefined ? null : { peer: last.peer, kind: last.kind, heardAt: toIso(last.at) },
  };
}

/** Monotonic µs to an ISO time. */
export type ToIso = (micros: number) => string;

/** A CARP group's part. */
export function carpStatus(config: CarpGroupConfig, runner: GroupRunner | undefined, toIso: ToIso): ProtocolStatus {
  const state = runner?.state;
  const fields = runner === undefined ? { advbase: config.advbase, advskew: config.advskew, demote: 0 } : advertFields(runner.settings.machine, runner.state);
  const heard = state?.lastHeardMaster;
  return {
    protocol: 'carp',
    advbase: config.advbase,
    advskew: config.advskew,
    advertisedAdvskew: fields.advskew,
    demoteByte: fields.demote,
    replayMode: config.replay.mode,
    master:
      heard === undefined || state?.phase === 'master'
        ? null
        : { address: heard.address.text, advbase: heard.advbase, advskew: heard.advskew, demote: heard.demote, heardAt: toIso(heard.at), addresses: masterSources(runner?.masterSources ?? {}) },
    familyLoss: familyLoss(runner, toIso),
    heard: (runner?.peers.entries() ?? []).map((p) => ({
      address: p.address,
      advbase: p.advbase ?? null,
      advskew: p.advskew ?? null,
      demote: p.demote ?? null,
      ...common(p, toIso),
    })),
  };
}

/** A dual-stack CARP group's master heard in one family only (fsm/silent-family.ts); null otherwise. */
function familyLoss(runner: GroupRunner | undefined, toIso: ToIso): NonNullable<GroupStatus['familyLoss']> | null {
  const silent = runner?.state.silentFamilies;
  if (runner === undefined || silent === undefined) return null;
  const entry = Object.entries(silent)[0];
  if (entry === undefined) return null;
  const family = Number(entry[0]) as IpFamily;
  const name = (f: IpFamily) => (f === 4 ? ('ipv4' as const) : ('ipv6' as const));
  const heardIn = runner.settings.machine.families.filter((f) => silent[f] === undefined).map(name);
  return { family: name(family), since: toIso(entry[1]), heardIn };
}

/** A VRRP group's part. */
export function vrrpStatus(config: VrrpGroupConfig, runner: VrrpGroupRunner | undefined, toIso: ToIso): ProtocolStatus {
  const settings = config.vrrp;
  const priority = settings?.priority ?? VRRP_DEFAULTS.priority;
  const interval = settings?.advertIntervalCentis ?? VRRP_DEFAULTS.advertIntervalCentis;
  const state = runner?.state;
  const heard = state?.phase === 'master' ? undefined : state?.lastHeardMaster;
  const vrrp: VrrpStatus = {
    priority,
    effectivePriority: runner?.effectivePriority ?? priority,
    owner: priority === OWNER_PRIORITY,
    advertInterval: centisToSeconds(interval),
    masterAdvertInterval: centisToSeconds(state?.masterAdverIntervalCentis ?? interval),
    masterPriority: heard?.priority ?? null,
    acceptMode: settings?.acceptMode ?? VRRP_DEFAULTS.acceptMode,
    checksumMode: settings?.checksumMode ?? 'compatible',
    mismatches: { ...(runner?.mismatches ?? { interval: 0, addresses: 0, legacyChecksum: 0 }) },
    // Only a VRRPv2 group shows its version and auth type: a VRRPv3 group's block reads as before (absent = 3, none).
    ...(settings?.version === 2 ? { version: 2, authType: settings.authType ?? 'none' } : {}),
  };
  const family: IpFamily = runner?.settings.family ?? config.addresses[0]?.address.family ?? 4;
  return {
    protocol: 'vrrp',
    vrrp,
    master: heard === undefined ? null : { address: heard.address.text, heardAt: toIso(heard.at), addresses: masterSources({ [family]: heard.address.text }) },
    heard: (runner?.peers.entries() ?? []).map((p) => ({
      address: p.address,
      ...(p.priority === undefined ? {} : { priority: p.priority }),
      ...(p.advertIntervalCentis === undefined ? {} : { advertInterval: centisToSeconds(p.advertIntervalCentis) }),
      ...common(p, toIso),
    })),
  };
}

function common(p: HeardPeer, toIso: ToIso): { authenticates: boolean; ok: number; badAuth: number; replay: number; keyChangeTwins: number; lastKeyChangeTwin: string | null; lastHeard: string } {
  return {
    authenticates: p.authenticates,
    ok: p.ok,
    badAuth: p.badAuth,
    replay: p.replay,
    keyChangeTwins: p.keyChangeTwins,
    lastKeyChangeTwin: p.lastKeyChangeTwinAt === undefined ? null : toIso(p.lastKeyChangeTwinAt),
    lastHeard: toIso(p.lastHeardAt),
  };
}

function masterSources(sources: Partial<Record<IpFamily, string>>): { ipv4?: string; ipv6?: string } {
  return { ...(sources[4] === undefined ? {} : { ipv4: sources[4] }), ...(sources[6] === undefined ? {} : { ipv6: sources[6] }) };
}

/** Centiseconds as seconds, without binary noise (7 cs → 0.07). */
function centisToSeconds(centis: number): number {
  return centis / 100;
}
