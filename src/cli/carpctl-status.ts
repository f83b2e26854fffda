/**
 * carpctl's human-readable status (`carpctl status` without --json): a summary table, then one
 * block per group, the protocol's own lines from its runtime part (protocols/protocol-runtime-part.ts
 * statusLines). carpctl.ts loads this file only for that command.
 */
import type { GroupStatus, StatusReport } from '../control/control-types.ts';
import { DEFAULT_PROTOCOL, protocolModule } from '../protocols/index.ts';

/** "3m12s ago", "2h05m ago", "1d3h ago": the time since `iso`. */
export function ago(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const total = Math.round((now.getTime() - then) / 1000);
  const span = Math.abs(total);
  const d = Math.floor(span / 86_400);
  const h = Math.floor((span % 86_400) / 3_600);
  const m = Math.floor((span % 3_600) / 60);
  const s = span % 60;
  const text = d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
  return total < 0 ? `in ${text}` : `${text} ago`;
}

/** Left-aligned columns, two spaces apart. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** Non-zero counts as "reason N, reason N", or "none". */
function nonZero(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** The human-readable status: a summary table, then one block per group. */
export function formatStatus(report: StatusReport, now: Date): string {
  const out: string[] = [];
  out.push(`carpd ${report.version}, pid ${report.pid}, started ${ago(report.startedAt, now)}${report.configFile === undefined ? '' : `, config ${report.configFile}`}`);
  out.push('');
  if (report.groups.length === 0) out.push('no groups');
  else {
    // The protocol column only when a group of another protocol than the default (CARP) runs: a CARP-only daemon prints what it always did.
    const mixed = report.groups.some((g) => g.protocol !== DEFAULT_PROTOCOL);
    const rows = [['GROUP', 'INTERFACE', ...(mixed ? ['PROTOCOL'] : []), 'VHID', 'STATE', 'SINCE', 'WHY']];
    for (const g of report.groups) rows.push([g.name, g.interface, ...(mixed ? [g.protocol] : []), String(g.vhid), g.state, ago(g.since, now), g.reason]);
    out.push(columns(rows));
  }
  for (const g of report.groups) out.push('', formatGroup(g, now));
  const unattributed = Object.entries(report.unattributedDrops).filter(([, counts]) => nonZero(counts) !== 'none');
  if (unattributed.length > 0) {
    out.push('', 'drops no group claimed:');
    out.push(columns(unattributed.map(([iface, counts]) => [`  ${iface}`, nonZero(counts)])));
  }
  return `${out.join('\n')}\n`;
}

/** What to change, per kind of foreign master (protocols/foreign-advert.ts). */
const FOREIGN_HINTS: Readonly<Record<string, string>> = {
  'vrrp-v2': 'a VRRPv2 router on this VRID: set `vrrp_version 3` on it',
  'vrrp-v3': 'a VRRPv3 router on this VRRPv2 group\'s VRID: set `vrrp_version 2` on it',
  carp: 'a CARP node on this VRID: give one of them another id',
  vrrp: 'a VRRP router on this vhid: give one of them another id',
  'other-vhid': 'this passphrase and these addresses under another vhid: the vhid differs on one side',
  'bad-auth': 'fails authentication',
};

/** The foreign-master row: who was heard last, what to change, and how often we re-announced. */
function foreignRow(foreign: GroupStatus['foreign'], now: Date): string | undefined {
  if (foreign === undefined || foreign.adverts === 0 || foreign.last === null) return undefined;
  const { peer, kind, heardAt } = foreign.last;
  return `${peer}, ${FOREIGN_HINTS[kind] ?? kind}; ${foreign.adverts} advert(s), last ${ago(heardAt, now)}; re-announced ${foreign.reannouncements} time(s)`;
}

function formatGroup(g: GroupStatus, now: Date): string {
  const d = g.demotion;
  const parts = [`manual ${d.manual}`, `health ${d.health}`];
  if (d.maintenance) parts.push('maintenance');
  if (d.syncSet !== undefined) parts.push(`sync set ${d.syncSet.name} ${d.syncSet.demotion}`);
  if (d.fault === true) parts.push('fault');
  if (d.linkDown === true) parts.push('link down');
  // The protocol's own lines are its runtime part's (protocols/protocol-runtime-part.ts statusLines).
  const protocol = protocolModule(g.protocol).runtime.statusLines(g, (iso) => ago(iso, now));
  const c = g.counters;
  const rows: (readonly string[])[] = [
    ['addresses', g.addresses.length === 0 ? '-' : g.addresses.join(' ')],
    ['advertised', protocol.advertised],
    ['demotion', `${d.total} (${parts.join(', ')})`],
    ['master', protocol.master],
    ['counters', `adverts sent ${c.advertsSent}, received ${c.advertsReceived}, send errors ${c.sendErrors}, transitions ${c.transitions}`],
    ['drops', nonZero(c.drops)],
    ...protocol.extra,
    ...protocol.heard,
  ];
  if (g.fault !== undefined && g.fault !== null) {
    rows.push(['FAULT', `${g.fault.reason}; fully demoted until ${g.fault.until} (${g.fault.failures} failed claim(s) in a row)`]);
  }
  if (g.effects !== undefined && (g.effects.claimFailures > 0 || g.effects.repairs > 0 || g.effects.conflicts > 0)) {
    rows.push(['effects', `failed claims ${g.effects.claimFailures}, repairs ${g.effects.repairs}, address conflicts ${g.effects.conflicts}`]);
  }
  if (g.familyLoss != null) {
    // docs/state-machine.md "Dual-stack groups": the master is alive, one family's adverts are lost.
    const { family, since, heardIn } = g.familyLoss;
    const label = (f: 'ipv4' | 'ipv6'): string => (f === 'ipv4' ? 'IPv4' : 'IPv6');
    rows.push(['FAMILY LOSS', `the master's ${label(family)} adverts stopped ${ago(since, now)}, its ${heardIn.map(label).join(' and ')} adverts arrive: not taking over (something drops ${label(family)} protocol 112)`]);
  }
  const foreign = foreignRow(g.foreign, now);
  if (foreign !== undefined) rows.push(['FOREIGN', foreign]);
  if (g.keyChange !== undefined) rows.push(['key change', `also signing with the previous key and addresses (${g.keyChange.previousAddresses.join(' ')}) until ${g.keyChange.until}`]);
  if (g.peers.length > 0) rows.push(['peers', g.peers.join(' ')]);
  if (g.vmac !== undefined) rows.push(['vmac', g.vmac]);
  rows.push(['scripts', `runs ${g.scripts.runs}, failures ${g.scripts.failures}, timeouts ${g.scripts.timeouts}, superseded ${g.scripts.superseded}${g.scripts.lastDurationMs === undefined ? '' : `, last ${g.scripts.lastDurationMs} ms`}`]);
  if (g.checks.length === 0) rows.push(['checks', 'none']);
  g.checks.forEach((check, i) => {
    const since = check.lastChangeAt === undefined ? '' : `, since ${ago(check.lastChangeAt, now)}`;
    rows.push([i === 0 ? 'checks' : '', `${check.name} (${check.kind}) ${check.healthy ? 'healthy' : 'FAILING'}, weight ${check.weight}: ${check.lastResult}${since}`]);
  });
  return `${g.name} (${g.interface} ${protocol.id}): ${g.state}\n${columns(rows.map(([k = '', v = '']) => [`  ${k}`, v]))}`;
}
