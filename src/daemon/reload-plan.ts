/**
 * What a reload changes, decided purely from the groups that run and the groups wanted, with
 * their keys (a rotated passphrase file is a change even when its path is not). A changed group
 * is updated in place when every changed setting can be applied to a running group without a
 * state transition (addresses, key, timing, preempt, scripts, checks, announcements, sync set);
 * otherwise it is restarted (a new interface, vhid, vmac, replay mode, peers, address families).
 * For a VRRP group the VRRP settings are compared one by one: priority, advert interval, accept
 * mode and checksum mode change in place; a change of protocol, or of address ownership (priority
 * 255 given or taken away: the addresses become, or stop being, the interface's own), restarts it.
 * A restart that only switches the protocol of a MASTER is carried out as a hand-over in place
 * (protocol-switch.ts decides, group-supervisor.ts does it).
 */
import type { GroupConfig } from '../config/config-types.ts';
import { configPartOf, moduleOf, runtimeOf } from '../protocols/index.ts';

/** A group with its key. */
export interface KeyedGroup {
  readonly config: GroupConfig;
  readonly key: Uint8Array;
}

/** A group that changes, and the settings that do. */
export interface GroupChange {
  readonly name: string;
  readonly fields: readonly string[];
}

/** The plan of a reload. */
export interface ReloadPlan {
  readonly added: string[];
  readonly removed: string[];
  /** Stopped and started again (a bow-out on the master). */
  readonly restarted: string[];
  /** Updated in place: no transition. */
  readonly inPlace: GroupChange[];
  readonly unchanged: string[];
}

/** Settings a running group can take in place. */
const IN_PLACE_FIELDS: ReadonlySet<string> = new Set([
  'addresses',
  'passphrase',
  'key',
  'advbase',
  'advskew',
  'preempt',
  'scripts',
  'announce',
  'track',
  'syncSet',
  'replay.windowSeconds',
  'keyChangeWindowSeconds',
  'preemptDelaySeconds',
  'vrrp.priority',
  'vrrp.advertIntervalCentis',
  'vrrp.acceptMode',
  'vrrp.checksumMode',
  // A VRRPv2 password or auth type changes with the next advert; vrrp.version restarts the group.
  'vrrp.authType',
]);

/** The pseudo-field for a VRRP group becoming or ceasing to be the address owner (restart). */
const OWNER_FIELD = 'vrrp.owner';

/** Compares what runs with what is wanted. */
export function planReload(running: readonly KeyedGroup[], wanted: readonly KeyedGroup[]): ReloadPlan {
  const current = new Map(running.map((g) => [g.config.name, g]));
  const next = new Map(wanted.map((g) => [g.config.name, g]));
  const plan: ReloadPlan = { added: [], removed: [], restarted: [], inPlace: [], unchanged: [] };
  for (const name of current.keys()) if (!next.has(name)) plan.removed.push(name);
  for (const [name, group] of next) {
    const old = current.get(name);
    if (old === undefined) {
      plan.added.push(name);
      continue;
    }
    const fields = changedFields(old, group);
    if (fields.length === 0) plan.unchanged.push(name);
    else if (fields.every((f) => IN_PLACE_FIELDS.has(f)) && sameFamilies(old.config, group.config)) plan.inPlace.push({ name, fields });
    else plan.restarted.push(name);
  }
  return plan;
}

/**
 * The top-level settings (and each field of the protocol's setting blocks, such as replay's two and
 * the VRRP block's) that differ, plus 'key'
 * when the key bytes do and 'vrrp.owner' when priority 255 was given or taken away.
 */
export function changedFields(a: KeyedGroup, b: KeyedGroup): string[] {
  const fields: string[] = [];
  const keys = new Set([...Object.keys(a.config), ...Object.keys(b.config)]);
  // A protocol's setting blocks are compared field by field when both groups speak it; between
  // protocols the blocks differ whole (and so does `protocol`).
  const blocks = moduleOf(a.config).name === moduleOf(b.config).name ? configPartOf(a.config).settingBlocks : [];
  for (const key of keys) {
    if (blocks.includes(key)) {
      const before = (a.config as unknown as Record<string, Record<string, unknown>>)[key] ?? {};
      const after = (b.config as unknown as Record<string, Record<string, unknown>>)[key] ?? {};
      for (const field of Object.keys({ ...before, ...after })) if (json(before[field]) !== json(after[field])) fields.push(`${key}.${field}`);
      // Becoming or ceasing to be the address owner is a change of its own (a VRRP block's priority 255).
      if (runtimeOf(a.config).isAddressOwner(a.config) !== runtimeOf(b.config).isAddressOwner(b.config)) fields.push(OWNER_FIELD);
      continue;
    }
    if (json((a.config as unknown as Record<string, unknown>)[key]) !== json((b.config as unknown as Record<string, unknown>)[key])) fields.push(key);
  }
  if (!sameBytes(a.key, b.key)) fields.push('key');
  return fields;
}

/** Do two configurations track the same interfaces and run the same checks? */
export function sameTrack(a: GroupConfig, b: GroupConfig): boolean {
  return json(a.track) === json(b.track);
}

/** One advert stream and timer per family: adding the first IPv6 address needs a restart. */
function sameFamilies(a: GroupConfig, b: GroupConfig): boolean {
  const families = (g: GroupConfig): string => [...new Set(g.addresses.map((x) => x.address.family))].sort().join(',');
  return families(a) === families(b);
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)) ?? 'undefined';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
