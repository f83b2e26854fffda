/**
 * One keepalived `vrrp_instance` as carpd VRRP groups (docs/migration.md "The converter"): one
 * group per address family, as carpd requires (docs/configuration.md "VRRP groups"); VRRPv2
 * (`vrrp_version: 2`, keepalived's default) or v3; the PASS password moved to a passphrase file
 * the CLI writes or tells how to write, never into the YAML.
 */
import type { NoteSink } from './notes.ts';
import type { Statement } from './parse.ts';
import { readInstance, type AddressIn, type InstanceSettings } from './instance-settings.ts';
import { checkFor, trackedInterfaceFor, type CheckOut, type ScriptDefinition, type TrackedInterfaceOut } from './tracking.ts';
import { splitCommand } from './lex.ts';
import { carpdName, describe, familyOf, type Family } from './values.ts';

/** A carpd group as written in carpd.yaml; keys in the order they are printed. */
export type GroupOut = Record<string, unknown> & { name: string };

/** A passphrase file the CLI writes (--write-secrets) or says how to write. */
export interface Secret {
  readonly path: string;
  /** The passphrase's bytes as a latin1 string (one character per byte). */
  readonly value: string;
  readonly group: string;
}

/** What every instance's conversion reads. */
export interface InstanceContext {
  readonly globalVersion: 2 | 3;
  readonly globalStrict: boolean;
  readonly scripts: ReadonlyMap<string, ScriptDefinition>;
  /** keepalived instance name → its vrrp_sync_group's name. */
  readonly syncSetOf: ReadonlyMap<string, string>;
  readonly secretsDir: string;
}

/** The groups of one instance, each with the statement it comes from, and the passphrase files they need. */
export function convertInstance(block: Statement, context: InstanceContext, sink: NoteSink): { groups: GroupOut[]; secrets: Secret[] } {
  const name = block.args[0]?.text ?? 'unnamed';
  const s = readInstance(block, context.globalStrict, sink);
  if (s.interface === undefined || s.vrid === undefined) {
    sink.leftOut(block, `vrrp_instance ${name}`, `${s.interface === undefined ? 'no interface' : 'no virtual_router_id'}: carpd needs both; instance left out`);
    return { groups: [], secrets: [] };
  }
  const addresses = s.addresses.filter((a) => keepAddress(a, s.interface as string, sink));
  if (addresses.length === 0) {
    sink.leftOut(block, `vrrp_instance ${name}`, 'no virtual address carpd can manage: instance left out');
    return { groups: [], secrets: [] };
  }
  const primary: Family = s.family ?? (s.nativeIpv6 ? 6 : (addresses[0] as AddressIn).family);
  if (s.nativeIpv6 && primary === 4) sink.differs(block, 'native_ipv6', 'the first virtual_ipaddress is IPv4: the IPv4 group speaks for it');
  const families = ([primary, primary === 4 ? 6 : 4] as Family[]).filter((f) => addresses.some((a) => a.family === f));
  const split = families.length === 2;
  const syncSet = context.syncSetOf.get(name) ?? (split ? carpdName(name) : undefined);
  const shared = sharedSettings(s, context, sink);
  const groups: GroupOut[] = [];
  const secrets: Secret[] = [];
  for (const family of families) {
    const own = family === primary;
    const groupName = own ? carpdName(name) : `${carpdName(name)}-v${family}`;
    const version = versionOf(s, family, context, own ? block : undefined, sink);
    const group: GroupOut = { name: groupName, protocol: 'vrrp' };
    if (version === 2) group['vrrp_version'] = 2;
    Object.assign(group, { interface: s.interface, vrid: s.vrid, priority: shared.priority, advert_interval: advertInterval(s.advertInt, version, block, sink) });
    if (!s.preempt) group['preempt'] = false;
    if (s.preemptDelay !== undefined) group['preempt_delay'] = preemptDelay(s.preemptDelay, block, sink);
    group['addresses'] = addresses.filter((a) => a.family === family).map((a) => a.address);
    Object.assign(group, unicast(s, family, block, sink));
    group['vmac'] = s.useVmac;
    if (own && s.useVmac && s.vmacName !== undefined) group['virtual_interface'] = s.vmacName;
    // keepalived accepts packets for the addresses unless no_accept or strict mode, in v2 as in v3.
    if (s.accept !== false && !s.strict && shared.priority < 255) group['accept_mode'] = true;
    if (own && version === 2) Object.assign(group, authentication(s, groupName, context, secrets, sink));
    if (shared.track !== undefined) group['track'] = shared.track;
    if (own && shared.scripts !== undefined) group['scripts'] = shared.scripts;
    if (s.garpRefresh !== undefined) group['announce'] = { interval_seconds: Math.round(s.garpRefresh) };
    if (syncSet !== undefined) group['sync_set'] = syncSet;
    groups.push(group);
  }
  if (split) sink.differs(block, `vrrp_instance ${name}`, `IPv4 and IPv6 addresses: two carpd groups (${groups.map((g) => g.name).join(', ')}) in sync set ${syncSet}; the ${primary === 4 ? 'IPv6' : 'IPv4'} one advertises on its own, which keepalived peers do not hear: mix carpd and keepalived nodes only after moving these addresses to an instance of their own`);
  if (s.auth !== undefined && !groups.some((g) => g['vrrp_version'] === 2)) sink.leftOut(s.auth.at, 'authentication', 'VRRPv3 has no authentication (keepalived ignores it too)');
  if (!s.accept && s.accept !== undefined) sink.leftOut(block, 'no_accept', 'carpd installs no packet filter: a master always accepts packets for the addresses (vrrp.md in the carpd documentation)');
  if (s.strict) sink.leftOut(block, 'strict_mode / vrrp_strict', 'carpd installs no packet filter (no no_accept) and does not refuse unicast or authentication');
  return { groups, secrets };
}

/** Whether an address stays: one given for another interface (`dev`) is left out. */
function keepAddress(address: AddressIn, iface: string, sink: NoteSink): boolean {
  if (address.dev === undefined || address.dev === iface) return true;
  sink.leftOut(address.at, `${address.block} ${describe(address.at)}`, `dev ${address.dev}: carpd puts a group's addresses on its own interface (${iface}): address left out`);
  return false;
}

/** The VRRP version of one family's group: keepalived's IPv6 instances always speak v3. */
function versionOf(s: InstanceSettings, family: Family, context: InstanceContext, at: Statement | undefined, sink: NoteSink): 2 | 3 {
  const wanted = s.version ?? context.globalVersion;
  if (family === 6 && wanted === 2) {
    if (at !== undefined && s.version === 2) sink.differs(at, 'version 2', 'an IPv6 instance speaks VRRPv3 (as keepalived does)');
    return 3;
  }
  return wanted;
}

function advertInterval(value: number, version: 2 | 3, at: Statement, sink: NoteSink): number {
  if (version === 2) {
    const whole = Math.min(255, Math.max(1, Math.round(value)));
    if (whole !== value) sink.differs(at, `advert_int ${value}`, `VRRPv2 carries whole seconds: ${whole}`);
    return whole;
  }
  const centis = Math.min(40.95, Math.max(0.01, Math.round(value * 100) / 100));
  if (centis !== value) sink.differs(at, `advert_int ${value}`, `VRRPv3 carries centiseconds up to 40.95 s: ${centis}`);
  return centis;
}

function preemptDelay(value: number, at: Statement, sink: NoteSink): number {
  const whole = Math.ceil(value);
  if (whole !== value) sink.differs(at, `preempt_delay ${value}`, `carpd counts whole seconds: ${whole}`);
  return whole;
}

/** source_address, peers and unicast_ttl of one family's group. */
function unicast(s: InstanceSettings, family: Family, at: Statement, sink: NoteSink): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.source !== undefined && familyOf(s.source) === family) out['source_address'] = s.source;
  const peers = s.peers.filter((peer) => familyOf(peer) === family);
  if (peers.length > 0) {
    out['peers'] = peers;
    // keepalived checks no TTL on unicast adverts (docs/protocol-vrrp.md "keepalived").
    out['unicast_ttl'] = 'any';
  } else if (s.peers.length > 0) sink.differs(at, 'unicast_peer', `no IPv${family} peer: the IPv${family} group uses multicast`);
  return out;
}

/** The priority with keepalived's positive weights folded in, the track block and the scripts, which all of an instance's groups share. */
function sharedSettings(s: InstanceSettings, context: InstanceContext, sink: NoteSink): { priority: number; track?: Record<string, unknown>; scripts?: Record<string, string> } {
  let bonus = 0;
  const checks: CheckOut[] = [];
  const interfaces: TrackedInterfaceOut[] = [];
  for (const line of s.trackScripts) {
    const converted = checkFor(line, context.scripts, sink);
    if (converted === undefined) continue;
    if (checks.some((c) => c.name === converted.check.name)) sink.leftOut(line, `track_script ${line.keyword}`, 'tracked twice');
    else checks.push(converted.check);
    bonus += converted.bonus;
  }
  for (const line of s.trackInterfaces) {
    const converted = trackedInterfaceFor(line, sink);
    if (converted === undefined) continue;
    if (interfaces.some((t) => t.interface === converted.tracked.interface)) sink.leftOut(line, `track_interface ${line.keyword}`, 'tracked twice');
    else interfaces.push(converted.tracked);
    bonus += converted.bonus;
  }
  let priority = s.priority;
  if (bonus > 0 && priority < 255) {
    priority = Math.min(254, priority + bonus);
    const first = [...s.trackScripts, ...s.trackInterfaces][0] as Statement;
    sink.differs(first, 'positive tracking weights', `keepalived adds them while the tracker is up; carpd starts from priority ${priority} (${s.priority} + ${bonus}, at most 254) and lowers it by the weight while a tracker fails`);
  }
  const track: Record<string, unknown> = {};
  if (interfaces.length > 0) track['interfaces'] = interfaces;
  if (checks.length > 0) track['checks'] = checks;
  const scripts = notifyScripts(s, sink);
  return { priority, ...(Object.keys(track).length > 0 ? { track } : {}), ...(scripts === undefined ? {} : { scripts }) };
}

/** notify_* → scripts.*: carpd runs a path with `<interface> <vrid> <state>` and CARP_* variables. */
function notifyScripts(s: InstanceSettings, sink: NoteSink): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const path = (line: Statement): string | undefined => {
    const [program, ...args] = line.args.length === 1 ? splitCommand(line.args[0]?.text ?? '') : line.args.map((w) => w.text);
    if (line.args.length > 1) sink.leftOut(line, describe(line), `${line.args.slice(1).map((w) => w.text).join(' ')}: carpd runs scripts as the script_user of the group`);
    if (program === undefined || !program.startsWith('/')) {
      sink.leftOut(line, describe(line), 'carpd needs an absolute script path');
      return undefined;
    }
    if (line.args.length === 1 && args.length > 0) sink.leftOut(line, describe(line), `arguments ${args.join(' ')}: carpd passes <interface> <vrid> <state> (and CARP_* variables), nothing else`);
    else sink.differs(line, line.keyword, 'carpd calls it with <interface> <vrid> <state> and CARP_* variables (scripts.md in the carpd documentation); keepalived with none');
    return program;
  };
  const { master, backup, fault, stop, any } = s.notify;
  if (master !== undefined) assign(out, 'master', path(master));
  if (backup !== undefined) assign(out, 'backup', path(backup));
  if (stop !== undefined) assign(out, 'stop', path(stop));
  if (fault !== undefined) {
    if (backup === undefined) {
      assign(out, 'backup', path(fault));
      sink.differs(fault, 'notify_fault', 'carpd has no FAULT state: a link loss leaves MASTER and runs the backup script');
    } else sink.leftOut(fault, describe(fault), 'carpd has no FAULT state: a link loss leaves MASTER and runs notify_backup\'s script');
  }
  if (any !== undefined) {
    if (master !== undefined || backup !== undefined) sink.leftOut(any, describe(any), 'carpd runs one script per transition: notify_master / notify_backup are used');
    else {
      const program = path(any);
      assign(out, 'master', program);
      assign(out, 'backup', program);
      sink.differs(any, 'notify', 'keepalived passes INSTANCE <name> <state> <priority>; carpd <interface> <vrid> <state>: the state is the third argument in CARP_STATE');
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function assign(out: Record<string, string>, key: string, value: string | undefined): void {
  if (value !== undefined) out[key] = value;
}

/** VRRPv2 authentication: PASS becomes a passphrase file (8 bytes at most, as keepalived uses); AH is refused by carpd. */
function authentication(s: InstanceSettings, groupName: string, context: InstanceContext, secrets: Secret[], sink: NoteSink): Record<string, unknown> {
  if (s.auth === undefined) return {};
  if (s.auth.type !== 'PASS') {
    sink.leftOut(s.auth.at, `auth_type ${s.auth.type}`, 'carpd refuses AH: switch the keepalived nodes to PASS or none first, or carpd and they both become master');
    return {};
  }
  if (s.auth.pass === undefined || s.auth.pass === '') {
    sink.leftOut(s.auth.at, 'authentication', 'auth_type PASS without auth_pass');
    return {};
  }
  // Bytes as a latin1 string: the first 8 bytes of the UTF-8 text, as keepalived copies them.
  const bytes = Buffer.from(s.auth.pass, 'utf8');
  const value = bytes.subarray(0, 8).toString('latin1');
  if (bytes.length > 8) {
    sink.differs(s.auth.at, 'auth_pass', 'keepalived uses only its first 8 bytes: the passphrase file holds those');
  }
  const path = `${context.secretsDir.replace(/\/+$/, '')}/${groupName}.pass`;
  secrets.push({ path, value, group: groupName });
  return { passphrase_file: path };
}
