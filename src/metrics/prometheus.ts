/**
 * The Prometheus text exposition (format 0.0.4) of a StatusReport, rendered at scrape time.
 * Hand-written rather than prom-client: the daemon already keeps every counter (GroupStatus),
 * so a scrape is a pure function of one snapshot; prom-client wants long-lived metric objects
 * that are incremented (counters cannot be set) and renders asynchronously.
 * Every metric is listed in docs/metrics.md. No passphrase is in a StatusReport, so none can
 * reach a label. Every sample of a group carries its `protocol` ("carp" or "vrrp") beside its
 * `group` label, so CARP and VRRP groups with the same vhid/VRID can be told apart.
 */
import type { GroupStatus, StateName, StatusReport } from '../control/control-types.ts';
import { DROP_REASONS } from '../protocols/index.ts';

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const STATES: readonly StateName[] = ['INIT', 'BACKUP', 'MASTER'];

/** The VRRP mismatch counters as `kind` label values. */
const VRRP_MISMATCH_KINDS = [
  ['interval', 'interval'],
  ['addresses', 'addresses'],
  ['legacy-checksum', 'legacyChecksum'],
] as const;

type Labels = Readonly<Record<string, string>>;

interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One metric family: its HELP and TYPE once, then its samples. */
interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** Renders the whole exposition for one status snapshot. */
export function renderMetrics(status: StatusReport): string {
  return metricFamilies(status).map(renderFamily).join('');
}

/** The families in exposition order; per-group families take one sample per group. */
function metricFamilies(status: StatusReport): Family[] {
  const groups = status.groups;
  const perGroup = (name: string, type: Family['type'], help: string, value: (g: GroupStatus) => number | undefined): Family => ({
    name,
    type,
    help,
    samples: groups.flatMap((g) => {
      const v = value(g);
      return v === undefined ? [] : [{ labels: groupLabels(g), value: v }];
    }),
  });
  const startedAt = Date.parse(status.startedAt);
  return [
    { name: 'carpd_info', type: 'gauge', help: 'Always 1; the version of the running carpd.', samples: [{ labels: { version: status.version }, value: 1 }] },
    { name: 'carpd_start_time_seconds', type: 'gauge', help: 'When the daemon started, seconds since the Unix epoch.', samples: Number.isNaN(startedAt) ? [] : [{ labels: {}, value: startedAt / 1000 }] },
    {
      name: 'carpd_group_state',
      type: 'gauge',
      help: 'The state of each group: 1 for the current state, 0 for the others.',
      samples: groups.flatMap((g) => STATES.map((state) => ({ labels: { ...groupLabels(g), interface: g.interface, vhid: String(g.vhid), state }, value: g.state === state ? 1 : 0 }))),
    },
    perGroup('carpd_group_transitions_total', 'counter', 'State transitions of each group.', (g) => g.counters.transitions),
    perGroup('carpd_adverts_sent_total', 'counter', 'Advertisements sent by each group.', (g) => g.counters.advertsSent),
    perGroup('carpd_adverts_received_total', 'counter', 'Valid advertisements received by each group (after every check).', (g) => g.counters.advertsReceived),
    perGroup('carpd_advert_send_errors_total', 'counter', 'Advertisements that failed to send.', (g) => g.counters.sendErrors),
    {
      name: 'carpd_drops_total',
      type: 'counter',
      help: 'Received packets dropped, by reason; group="" for drops no group could claim on an interface.',
      samples: [
        ...groups.flatMap((g) => DROP_REASONS.map((reason) => ({ labels: { ...groupLabels(g), interface: g.interface, reason }, value: g.counters.drops[reason] ?? 0 }))),
        ...Object.entries(status.unattributedDrops).flatMap(([ifname, drops]) => DROP_REASONS.map((reason) => ({ labels: { group: '', protocol: '', interface: ifname, reason }, value: drops[reason] ?? 0 }))),
      ],
    },
    perGroup('carpd_script_runs_total', 'counter', 'Transition scripts run by each group.', (g) => g.scripts.runs),
    perGroup('carpd_script_failures_total', 'counter', 'Transition scripts that exited non-zero or could not start.', (g) => g.scripts.failures),
    perGroup('carpd_script_timeouts_total', 'counter', 'Transition scripts killed after the timeout.', (g) => g.scripts.timeouts),
    perGroup('carpd_script_superseded_total', 'counter', 'Pending transition scripts replaced by a newer transition before they ran (docs/scripts.md).', (g) => g.scripts.superseded),
    perGroup('carpd_script_last_duration_seconds', 'gauge', 'How long the last transition script of each group ran.', (g) => (g.scripts.lastDurationMs === undefined ? undefined : g.scripts.lastDurationMs / 1000)),
    {
      name: 'carpd_check_healthy',
      type: 'gauge',
      help: 'Health checks and tracked interfaces after rise/fall: 1 healthy, 0 failed.',
      samples: groups.flatMap((g) => g.checks.map((c) => ({ labels: { ...groupLabels(g), check: c.name, kind: c.kind }, value: c.healthy ? 1 : 0 }))),
    },
    perGroup('carpd_group_demotion', 'gauge', 'The demotion of each group (manual + health, or the sync set\'s), capped at 255.', (g) => g.demotion.total),
    perGroup('carpd_group_advertised_advskew', 'gauge', 'The advskew each CARP group advertises, demotion included.', (g) => g.advertisedAdvskew),
    perGroup('carpd_vrrp_priority', 'gauge', 'The priority each VRRP group advertises, demotion included.', (g) => g.vrrp?.effectivePriority),
    {
      name: 'carpd_vrrp_mismatches_total',
      type: 'counter',
      help: 'Accepted VRRP adverts that differ from the group\'s configuration (interval, address list, legacy IPv4 checksum), by kind.',
      samples: groups.flatMap((g) => {
        const counts = g.vrrp?.mismatches;
        return counts === undefined ? [] : VRRP_MISMATCH_KINDS.map(([kind, field]) => ({ labels: { ...groupLabels(g), kind }, value: counts[field] }));
      }),
    },
    perGroup('carpd_group_fault', 'gauge', '1 while the group is held fully demoted after it could not configure its addresses.', (g) => (g.fault === undefined ? undefined : g.fault === null ? 0 : 1)),
    perGroup('carpd_claim_failures_total', 'counter', 'Times a group could not configure its addresses after every retry and left mastership.', (g) => g.effects?.claimFailures),
    perGroup('carpd_drift_repairs_total', 'counter', 'Times a MASTER put back a removed address or a downed or deleted virtual interface.', (g) => g.effects?.repairs),
    perGroup('carpd_address_conflicts_total', 'counter', 'Times a virtual address appeared on this host while the group was not MASTER.', (g) => g.effects?.conflicts),
    perGroup('carpd_foreign_master_adverts_total', 'counter', 'Adverts for the group\'s id that it cannot hear: VRRPv2, the other protocol, a failed authentication, its passphrase under another vhid (a foreign master).', (g) => g.foreign?.adverts),
    perGroup('carpd_group_family_loss', 'gauge', '1 while a dual-stack CARP group hears its master in one address family only (the other\'s adverts are lost; no takeover), else 0.', (g) => (g.familyLoss === undefined ? undefined : g.familyLoss === null ? 0 : 1)),
    perGroup('carpd_foreign_master_reannouncements_total', 'counter', 'Gratuitous ARP / unsolicited NA rounds a MASTER sent because a foreign master was heard or fell silent.', (g) => g.foreign?.reannouncements),
  ];
}

/** The labels naming a group: its name and its protocol. */
function groupLabels(g: GroupStatus): Labels {
  return { group: g.name, protocol: g.protocol };
}

function renderFamily(family: Family): string {
  let text = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  for (const sample of family.samples) text += `${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}\n`;
  return text;
}

function renderLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
