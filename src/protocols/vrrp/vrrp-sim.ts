/**
 * VRRP's simulator part (protocols/protocol-sim-part.ts): a neutral simulated group as a
 * VrrpGroupRunner of version 3 (default) or 2. One family per group, as a VRRP virtual router
 * (RFC 5798 §1); rank r is priority 254 - r, so rank 0 is the best priority short of an address
 * owner's 255 (docs/protocol-vrrp.md).
 */
import type { IpFamily } from '../../wire/ip-address.ts';
import type { PacketTransport } from '../../ports/packet-transport.ts';
import type { ProtocolSimPart, SimGroupSpec } from '../protocol-sim-part.ts';
import { VrrpGroupRunner } from './vrrp-group-runner.ts';
import { makeVrrpGroupSettings } from './vrrp-group-settings.ts';
import { masterDownIntervalMicros } from './vrrp-intervals.ts';
import { vrrp2AuthData } from './vrrp2-header.ts';
import { DEFAULT_VRRP_VERSION, VRRP_NO_AUTH, VRRP_VERSIONS, vrrpProfile, type VrrpAuth, type VrrpVersion } from './vrrp-version.ts';

/** The best priority a non-owner may have. */
const TOP_PRIORITY = 254;
/** The priority byte of a VRRP advert (v2 and v3 alike: version/type, VRID, priority). */
const PRIORITY_OFFSET = 2;

function versionOf(spec: SimGroupSpec): VrrpVersion {
  const version = spec.version ?? DEFAULT_VRRP_VERSION;
  if (!(VRRP_VERSIONS as readonly number[]).includes(version)) throw new RangeError(`no VRRP version ${version}`);
  return version as VrrpVersion;
}

function priorityOf(spec: SimGroupSpec): number {
  if (!Number.isInteger(spec.rank) || spec.rank < 0 || spec.rank > TOP_PRIORITY - 1) throw new RangeError(`rank ${spec.rank}: VRRP takes 0-253 (priority 254-1)`);
  return TOP_PRIORITY - spec.rank;
}

/** VRRPv2's simple password (the passphrase, at most 8 bytes); VRRPv3 has no authentication. */
function authOf(spec: SimGroupSpec, version: VrrpVersion): VrrpAuth {
  if (spec.passphrase === undefined || !vrrpProfile(version).authTypes.includes('pass')) return VRRP_NO_AUTH;
  const password = new TextEncoder().encode(spec.passphrase);
  vrrp2AuthData(password); // throws on more than 8 bytes, here rather than at each advert
  return { type: 'pass', password };
}

export const vrrpSim: ProtocolSimPart = {
  versions: [DEFAULT_VRRP_VERSION, ...VRRP_VERSIONS.filter((version) => version !== DEFAULT_VRRP_VERSION)],
  rankName: 'priority',
  farewell: 'an advert with priority 0',
  groupLabel: (spec) => `VRRPv${versionOf(spec)} VRID ${spec.id}`,
  addSimGroup(spec, ports, node) {
    const version = versionOf(spec);
    const sent: ((family: IpFamily, farewell: boolean) => void)[] = [];
    // The runner sends through this view of the host's transport, so each advert is seen leaving.
    const host = ports.transport;
    const transport: PacketTransport = {
      send: (family, payload, destination) => {
        host.send(family, payload, destination);
        for (const listener of sent) listener(family, payload[PRIORITY_OFFSET] === 0);
      },
      sourceAddress: (family) => host.sourceAddress(family),
      setOwnAddresses: (addresses) => host.setOwnAddresses(addresses),
      isOwnAddress: (address) => host.isOwnAddress(address),
      onDatagram: (handler) => host.onDatagram(handler),
      onMalformed: (handler) => host.onMalformed(handler),
      close: () => host.close(),
    };
    const settings = makeVrrpGroupSettings({
      name: spec.name,
      vrid: spec.id,
      addresses: spec.virtualAddresses,
      version,
      auth: authOf(spec, version),
      priority: priorityOf(spec),
      advertIntervalCentis: spec.intervalSeconds * 100,
      preempt: spec.preempt,
    });
    const runner = new VrrpGroupRunner(settings, { ...ports, transport });
    node.addGroup(runner);
    return { runner, onAdvertSent: (listener) => sent.push(listener) };
  },
  masterDownMicros: (spec) => masterDownIntervalMicros(priorityOf(spec), spec.intervalSeconds * 100, versionOf(spec)),
  describe: (spec) => `interval ${spec.intervalSeconds} s  priority ${String(priorityOf(spec)).padStart(3)}`,
};
