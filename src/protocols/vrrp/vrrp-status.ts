/**
 * A VRRP group's status fields (control/control-types.ts GroupStatus: the `vrrp` block, the
 * master and the nodes heard in VRRP's terms; a VRRPv2 group's version and authentication) and
 * its lines in `carpctl status`.
 */
import type { VrrpGroupConfig } from './vrrp-config.ts';
import type { GroupStatus, VrrpStatus } from '../../control/control-types.ts';
import type { IpFamily } from '../../wire/ip-address.ts';
import type { ProtocolStatus, StatusLines, ToIso } from '../protocol-runtime-part.ts';
import { heardCounters, intervalText, masterLine, masterSources } from '../status-fields.ts';
import { OWNER_PRIORITY } from './vrrp-election.ts';
import type { VrrpGroupRunner } from './vrrp-group-runner.ts';
import { VRRP_DEFAULTS } from './vrrp-machine-types.ts';

/** A VRRP group's status fields; before the runner exists, the configured values. */
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
      ...heardCounters(p, toIso),
    })),
  };
}

/** Centiseconds as seconds, without binary noise (7 cs → 0.07). */
function centisToSeconds(centis: number): number {
  return centis / 100;
}

/** A VRRPv2 group's version and authentication, and the adverts it dropped for either (RFC 3768 §7.1). */
function vrrp2Rows(g: GroupStatus): (readonly [string, string])[] {
  const auth = g.vrrp?.authType === 'pass' ? 'simple password (sent in clear)' : 'none';
  const d = g.counters.drops;
  const rejected = (['password-mismatch', 'auth-type-mismatch', 'interval-mismatch', 'vrrp-v3'] as const).filter((r) => (d[r] ?? 0) > 0).map((r) => `${r} ${d[r]}`);
  return [['version', `VRRPv2 (RFC 3768), authentication ${auth}`], ...(rejected.length === 0 ? [] : [['dropped', `${rejected.join(', ')} (see the log)`] as const])];
}

/** What a VRRP group advertises and whom it follows; then one line per node heard. */
export function vrrpStatusLines(g: GroupStatus, ago: (iso: string) => string): StatusLines {
  const v = g.vrrp;
  const id = `${v?.version === 2 ? 'VRRPv2' : 'VRRP'} VRID ${g.vhid}`;
  if (v === undefined) return { id, advertised: '', master: masterLine(g, '', ago), extra: [], heard: [] };
  const flags = [...(g.preempt ? ['preempt'] : []), ...(v.owner ? ['address owner'] : []), ...(v.acceptMode ? ['accept mode'] : [])];
  const m = v.mismatches;
  return {
    id,
    advertised: `priority ${v.effectivePriority} (configured ${v.priority}), interval ${intervalText(v.advertInterval)}${flags.length === 0 ? '' : `, ${flags.join(', ')}`}`,
    master: masterLine(g, `priority ${v.masterPriority ?? '?'} interval ${intervalText(v.masterAdvertInterval)}`, ago),
    extra: [
      ...(m.interval + m.addresses + m.legacyChecksum > 0 ? [['mismatches', `interval ${m.interval}, addresses ${m.addresses}, legacy checksum ${m.legacyChecksum} (accepted, see the log)`] as const] : []),
      ...(v.version === 2 ? vrrp2Rows(g) : []),
    ],
    // VRRPv3 has no authentication: a node heard is one whose adverts passed every check.
    heard: (g.heard ?? []).map((p, i) => [i === 0 ? 'heard' : '', `${p.address} priority ${p.priority ?? '?'} interval ${p.advertInterval === undefined ? '?' : intervalText(p.advertInterval)}; ok ${p.ok}; last ${ago(p.lastHeard)}`] as const),
  };
}
