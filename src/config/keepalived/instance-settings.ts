/**
 * One `vrrp_instance` block read into plain settings, keyword by keyword; each keyword carpd has
 * no equivalent for is named with its line (docs/migration.md "The converter"). instance.ts
 * turns the settings into carpd groups.
 */
import type { NoteSink } from './notes.ts';
import type { Statement } from './parse.ts';
import { argTexts, describe, numberArg, parseAddress, type Family } from './values.ts';

/** A virtual address kept, with the family it belongs to. */
export interface AddressIn {
  readonly address: string;
  readonly family: Family;
  /** `dev IF` when given: carpd keeps only addresses on the instance's own interface (instance.ts). */
  readonly dev?: string;
  readonly at: Statement;
  readonly block: string;
}

/** What the converter takes from a vrrp_instance. */
export interface InstanceSettings {
  interface?: string;
  vrid?: number;
  priority: number;
  advertInt: number;
  version?: 2 | 3;
  preempt: boolean;
  preemptDelay?: number;
  addresses: AddressIn[];
  /** The family of the first `virtual_ipaddress`: the instance's own (keepalived adverts in it). */
  family?: Family;
  nativeIpv6: boolean;
  source?: string;
  peers: string[];
  useVmac: boolean;
  vmacName?: string;
  accept?: boolean;
  strict: boolean;
  auth?: { type: string; pass?: string; at: Statement };
  trackScripts: Statement[];
  trackInterfaces: Statement[];
  notify: Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', Statement>>;
  garpRefresh?: number;
}

const NO_EQUIVALENT = 'no equivalent in carpd';

/** Keywords named with a reason of their own. */
const REASONS: Readonly<Record<string, string>> = {
  garp_master_delay: 'carpd announces the addresses on becoming master and at announce.interval_seconds, with no second burst',
  garp_master_repeat: 'carpd sends one gratuitous ARP / NA per address on becoming master',
  garp_master_refresh_repeat: 'carpd sends one gratuitous ARP / NA per address at each refresh',
  garp_lower_prio_delay: 'carpd sends no gratuitous ARP on hearing a lower priority',
  garp_lower_prio_repeat: 'carpd sends no gratuitous ARP on hearing a lower priority',
  garp_extra_if: 'carpd announces on the group\'s interface only',
  garp_extra_if_vmac: 'carpd announces on the group\'s interface only',
  track_file: 'carpd tracks interfaces and checks (a command check can read the file)',
  track_process: 'carpd tracks interfaces and checks (a command check like pidof can replace it)',
  track_bfd: 'BFD is out of scope for carpd',
  v3_checksum_as_v2: 'carpd sends the checksum with the pseudo-header and accepts both (checksum_mode: compatible)',
  notify_deleted: 'carpd runs scripts.stop when a reload removes a group',
  virtual_routes: 'carpd adds addresses, not routes: a master script can add them',
  virtual_rules: 'carpd adds addresses, not rules: a master script can add them',
  unicast_ttl: 'carpd sends unicast adverts with TTL 255',
  mcast_dst_ip: 'carpd sends to 224.0.0.18 / ff02::12',
  dont_track_primary: 'carpd always follows the interface\'s link',
  auth_hmac: 'keepalived\'s own HMAC trailer: for authenticated adverts between carpd nodes use a CARP group',
};

/** Reads one vrrp_instance's keywords. */
export function readInstance(block: Statement, globalStrict: boolean, sink: NoteSink): InstanceSettings {
  const s: InstanceSettings = { priority: 100, advertInt: 1, preempt: true, addresses: [], nativeIpv6: false, peers: [], useVmac: false, strict: globalStrict, trackScripts: [], trackInterfaces: [], notify: {} };
  for (const child of block.children ?? []) readKeyword(child, s, sink);
  return s;
}

function readKeyword(child: Statement, s: InstanceSettings, sink: NoteSink): void {
  const first = child.args[0]?.text;
  switch (child.keyword) {
    case 'interface':
      if (first !== undefined) s.interface = first;
      return;
    case 'virtual_router_id':
      s.vrid = numberArg(child, sink, 1, 255, true);
      return;
    case 'priority':
      s.priority = numberArg(child, sink, 1, 255, true) ?? s.priority;
      return;
    case 'advert_int':
      s.advertInt = numberArg(child, sink, 0.01, 255) ?? s.advertInt;
      return;
    case 'version': {
      const version = numberArg(child, sink, 2, 3, true);
      if (version !== undefined) s.version = version as 2 | 3;
      return;
    }
    case 'state':
      sink.differs(child, describe(child), 'carpd starts every group as BACKUP and elects by priority (an owner, priority 255, takes over at once)');
      return;
    case 'nopreempt':
    case 'no_preempt':
      s.preempt = false;
      return;
    case 'preempt':
      return;
    case 'preempt_delay':
      s.preemptDelay = numberArg(child, sink, 0, 1000);
      return;
    case 'virtual_ipaddress':
    case 'virtual_ipaddress_excluded':
      for (const line of child.children ?? []) readAddress(line, child.keyword, s, sink);
      return;
    case 'unicast_src_ip':
    case 'mcast_src_ip':
      if (first !== undefined) s.source = first;
      return;
    case 'unicast_peer':
      for (const peer of child.children ?? []) {
        s.peers.push(peer.keyword);
        if (peer.args.length > 0) sink.leftOut(peer, `unicast_peer ${describe(peer)}`, 'min_ttl / max_ttl: carpd checks no TTL on unicast adverts (unicast_ttl: any)');
      }
      return;
    case 'use_vmac':
      readUseVmac(child, s, sink);
      return;
    case 'vmac_xmit_base':
      sink.differs(child, 'vmac_xmit_base', 'carpd sends multicast adverts from the virtual MAC\'s interface; unicast adverts leave from the interface\'s own MAC, as with vmac_xmit_base');
      return;
    case 'native_ipv6':
      s.nativeIpv6 = true;
      return;
    case 'accept':
      s.accept = true;
      return;
    case 'no_accept':
      s.accept = false;
      return;
    case 'strict_mode':
      s.strict = first === undefined || ['on', 'true', 'yes'].includes(first);
      return;
    case 'authentication':
      readAuthentication(child, s, sink);
      return;
    case 'track_script':
      s.trackScripts.push(...(child.children ?? []));
      return;
    case 'track_interface':
      s.trackInterfaces.push(...(child.children ?? []));
      return;
    case 'notify_master':
    case 'notify_backup':
    case 'notify_fault':
    case 'notify_stop':
      s.notify[child.keyword.slice('notify_'.length) as 'master' | 'backup' | 'fault' | 'stop'] = child;
      return;
    case 'notify':
      s.notify.any = child;
      return;
    case 'garp_master_refresh':
      s.garpRefresh = numberArg(child, sink, 0, 86_400);
      return;
    default:
      sink.leftOut(child, describe(child) + (child.children === undefined ? '' : ' { … }'), REASONS[child.keyword] ?? NO_EQUIVALENT);
  }
}

/** One line of virtual_ipaddress(_excluded): `IP[/PREFIX] [dev IF] [label L] [scope S] …`. */
function readAddress(line: Statement, block: string, s: InstanceSettings, sink: NoteSink): void {
  const parsed = parseAddress(line.keyword);
  if ('problem' in parsed) {
    sink.leftOut(line, `${block} ${describe(line)}`, `${line.keyword} ${parsed.problem}`);
    return;
  }
  const words = argTexts(line);
  const dev = words.includes('dev') ? words[words.indexOf('dev') + 1] ?? '' : undefined;
  const dropped = words.filter((word, i) => !(word === 'dev' || words[i - 1] === 'dev'));
  if (dropped.length > 0) sink.leftOut(line, `${block} ${describe(line)}`, `${dropped.join(' ')}: carpd adds the address with its prefix only (no label, scope, broadcast or flags)`);
  if (block === 'virtual_ipaddress_excluded') sink.differs(line, `${block} ${line.keyword}`, 'carpd lists every address in its adverts (a keepalived peer logs the count mismatch, nothing more)');
  if (block === 'virtual_ipaddress' && s.family === undefined) s.family = parsed.family;
  s.addresses.push({ ...parsed, at: line, block, ...(dev === undefined ? {} : { dev }) });
}

function readUseVmac(child: Statement, s: InstanceSettings, sink: NoteSink): void {
  s.useVmac = true;
  const words = argTexts(child).filter((word) => word !== 'name');
  const [name, ...rest] = words;
  if (name !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){4,5}$/.test(name)) {
    // Linux interface names are 1..15 bytes (docs/configuration.md, virtual_interface).
    if (Buffer.byteLength(name, 'utf8') <= 15) s.vmacName = name;
    else sink.leftOut(child, describe(child), `${name} is longer than 15 bytes: carpd's default name is used`);
  }
  const extra = name !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){4,5}$/.test(name) ? rest : words;
  if (extra.length > 0) sink.leftOut(child, describe(child), `${extra.join(' ')}: carpd's virtual MAC is always 00:00:5e:00:01:VRID (IPv6 …:02:VRID)`);
}

function readAuthentication(block: Statement, s: InstanceSettings, sink: NoteSink): void {
  let type = 'PASS';
  let pass: string | undefined;
  for (const line of block.children ?? []) {
    if (line.keyword === 'auth_type') type = (line.args[0]?.text ?? '').toUpperCase();
    else if (line.keyword === 'auth_pass') pass = line.args[0]?.text;
    else sink.leftOut(line, describe(line), NO_EQUIVALENT);
  }
  s.auth = { type, at: block, ...(pass === undefined ? {} : { pass }) };
}
