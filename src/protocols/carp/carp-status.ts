/**
 * A CARP group's status fields (control/control-types.ts GroupStatus: advbase, advskew, the
 * advertised advskew and demote byte, replay mode, the master and the nodes heard in CARP's
 * terms, a dual-stack family loss, a rolling key change) and its lines in `carpctl status`.
 */
import type { CarpGroupConfig } from './carp-config.ts';
import type { GroupStatus } from '../../control/control-types.ts';
import type { IpFamily } from '../../wire/ip-address.ts';
import type { ProtocolStatusReport, StatusLines, ToIso } from '../protocol-runtime-part.ts';
import { heardCounters, masterLine, masterSources } from '../status-fields.ts';
import type { GroupRunner } from './carp-group-runner.ts';
import { advertFields } from './carp-step.ts';

/** A peer's key change is "in progress" while its last twin copy is this close to its last advert. */
const KEY_CHANGE_RECENT_MS = 10_000;

/** A CARP group's status fields; before the runner exists, the configured values. */
export function carpStatus(config: CarpGroupConfig, runner: GroupRunner | undefined, toIso: ToIso): ProtocolStatusReport {
  const state = runner?.state;
  const fields = runner === undefined ? { advbase: config.advbase, advskew: config.advskew, demote: 0 } : advertFields(runner.settings.machine, runner.state);
  const heard = state?.lastHeardMaster;
  const keyChange = runner?.keyChange;
  return {
    protocol: {
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
        ...heardCounters(p, toIso),
      })),
    },
    ...(keyChange === undefined ? {} : { keyChange: { previousAddresses: keyChange.previousAddresses.map((a) => a.text), until: toIso(keyChange.until) } }),
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

/** What a CARP group advertises and whom it follows; then one line per node heard, a node that does not authenticate named as such. */
export function carpStatusLines(g: GroupStatus, ago: (iso: string) => string): StatusLines {
  return {
    id: `vhid ${g.vhid}`,
    advertised: `advbase ${g.advbase} advskew ${g.advertisedAdvskew} (configured ${g.advskew}), demote ${g.demoteByte}${g.preempt ? ', preempt' : ''}`,
    master: masterLine(g, g.master === null ? '' : `advbase ${g.master.advbase} advskew ${g.master.advskew} demote ${g.master.demote}`, ago),
    extra: [],
    heard: (g.heard ?? []).map((p, i) => {
      const fields = p.advbase === null || p.advbase === undefined ? 'never authenticated' : `advbase ${p.advbase} advskew ${p.advskew} demote ${p.demote}`;
      const twins = p.keyChangeTwins ?? 0;
      // A rolling key change (docs/reload.md): its copies signed with the other key are expected.
      const rolling = p.lastKeyChangeTwin != null && Date.parse(p.lastHeard) - Date.parse(p.lastKeyChangeTwin) <= KEY_CHANGE_RECENT_MS;
      const auth = p.authenticates ? (rolling ? 'authenticates, key change in progress' : 'authenticates') : 'FAILS AUTHENTICATION (passphrase or address list differs)';
      const counts = [`ok ${p.ok}`, ...(p.badAuth > 0 ? [`bad-auth ${p.badAuth}`] : []), ...(twins > 0 ? [`key-change-twin ${twins}`] : []), ...(p.replay > 0 ? [`replay ${p.replay}`] : [])].join(', ');
      return [i === 0 ? 'heard' : '', `${p.address} ${fields}, ${auth}; ${counts}; last ${ago(p.lastHeard)}`] as const;
    }),
  };
}
