/**
 * VRRP's runtime part (protocols/protocol-runtime-part.ts), for both versions: a VRRP group's
 * config as VrrpGroupRunner's settings (the VRID is the group's vhid; a VRRPv2 group's key is its
 * simple password), the source-address check before anything on the host changes
 * (CARPD_VRRP_NO_SOURCE), the runner planned, built and reconfigured in place, the virtual MAC of
 * the group's family (RFC 5798 §7.3; VRRPv2's is the IPv4 one) and the address owner
 * (priority 255). Status: vrrp-status.ts.
 */
import type { VrrpGroupConfig } from './vrrp-config.ts';
import { isIpv6LinkLocal } from '../../wire/ip-address.ts';
import { vrrpVirtualMac } from '../../wire/mac-address.ts';
import type { GroupAddress, KeyPurpose, ProtocolRunner, ProtocolRuntimePart, ProtocolStatusReport, RunnerContext, RunnerNode, RunnerRefusal } from '../protocol-runtime-part.ts';
import { OWNER_PRIORITY } from './vrrp-election.ts';
import { VrrpGroupRunner, vrrpSourceAddress } from './vrrp-group-runner.ts';
import { makeVrrpGroupSettings, type VrrpGroupSettings } from './vrrp-group-settings.ts';
import { VRRP_DEFAULTS } from './vrrp-machine-types.ts';
import { vrrpStatus, vrrpStatusLines } from './vrrp-status.ts';
import { DEFAULT_VRRP_VERSION, VRRP_NO_AUTH } from './vrrp-version.ts';
import { vrrp2SecretReader } from './vrrp2-secret.ts';

/** A VRRPv2 group with `auth_type pass` reads its password; VRRPv3 and VRRPv2 without authentication read nothing. */
function keyPurpose(config: Pick<VrrpGroupConfig, 'vrrp'>): KeyPurpose | undefined {
  return config.vrrp?.authType === 'pass' ? 'vrrp2-password' : undefined;
}

/** True for a group configured as the address owner (priority 255, RFC 5798 §1). */
function isAddressOwner(config: Pick<VrrpGroupConfig, 'vrrp'>): boolean {
  return config.vrrp?.priority === OWNER_PRIORITY;
}

/** The VRRP engine's settings; `key` is a VRRPv2 group's password (keyPurpose). Pure. */
export function vrrpSettingsFor(config: VrrpGroupConfig, addresses: readonly GroupAddress[], key: Uint8Array = new Uint8Array(0)): VrrpGroupSettings {
  const vrrp = config.vrrp;
  return makeVrrpGroupSettings({
    name: config.name,
    vrid: config.vhid,
    addresses: addresses.map((a) => a.address),
    version: vrrp?.version ?? DEFAULT_VRRP_VERSION,
    auth: keyPurpose(config) === 'vrrp2-password' ? { type: 'pass', password: key } : VRRP_NO_AUTH,
    priority: vrrp?.priority ?? VRRP_DEFAULTS.priority,
    advertIntervalCentis: vrrp?.advertIntervalCentis ?? VRRP_DEFAULTS.advertIntervalCentis,
    preempt: config.preempt,
    preemptDelayMicros: Math.round((config.preemptDelaySeconds ?? 0) * 1_000_000),
    acceptMode: vrrp?.acceptMode ?? VRRP_DEFAULTS.acceptMode,
    checksumMode: vrrp?.checksumMode ?? 'compatible',
    requireTtl255ForUnicast: config.unicastTtl === 'require-255',
    ...(config.peers.length > 0 ? { unicastPeers: config.peers } : {}),
    ...(config.sourceAddress === undefined ? {} : { sourceAddress: config.sourceAddress }),
  });
}

/**
 * A VRRP advert's checksum covers its real source, which over IPv6 is the link-local address
 * (RFC 5798 §5.1.2.1) unless source_address says otherwise: without one, the group cannot run.
 */
function sourceRefusal(config: VrrpGroupConfig, { key, addresses, host }: RunnerContext): RunnerRefusal | undefined {
  const settings = vrrpSettingsFor(config, addresses, key);
  const source = vrrpSourceAddress(host.transport, settings);
  const usable = source !== undefined && (settings.family === 4 || isIpv6LinkLocal(source) || config.sourceAddress !== undefined);
  if (usable) return undefined;
  return {
    code: 'CARPD_VRRP_NO_SOURCE',
    message: `group ${config.name}: interface ${host.name} has no ${settings.family === 4 ? 'IPv4 address' : 'IPv6 link-local address'} to send VRRP adverts from (RFC 5798 §5.1)`,
  };
}

/** The runner as VRRP built it; anything else is a caller's mistake (a runner reaches only its own protocol's part). */
export function asVrrpRunner(runner: ProtocolRunner): VrrpGroupRunner {
  if (!(runner instanceof VrrpGroupRunner)) throw new Error(`a ${runner.protocol} runner reached VRRP's runtime part`);
  return runner;
}

export const vrrpRuntime: ProtocolRuntimePart<VrrpGroupConfig, VrrpGroupRunner> = {
  keyPurpose,
  secretReader: vrrp2SecretReader,
  virtualMac: (config) => vrrpVirtualMac(config.vhid, config.addresses[0]?.address.family ?? 4),
  isAddressOwner,
  label: (config) => (config.vrrp?.version === 2 ? 'vrrp2' : 'vrrp'),
  hostAddressHint: ', or make this router its owner with priority 255 (docs/vrrp.md)',
  preStartCheck: sourceRefusal,
  planRunner: (config, { key, addresses, logger }) => ({
    protocol: 'vrrp',
    build: (ports) => {
      const settings = vrrpSettingsFor(config, addresses, key);
      const runner = new VrrpGroupRunner(settings, ports);
      if (!settings.acceptMode && !isAddressOwner(config)) {
        // Said once, so nobody relies on it: carpd installs no packet filter (docs/vrrp.md, Accept_Mode).
        logger.info(`${config.name}: accept_mode false is not enforced: as MASTER this host accepts packets for the virtual addresses (carpd installs no packet filter)`, { group: config.name });
      }
      return runner;
    },
  }),
  reconfigure: (runner, config, key, addresses) => asVrrpRunner(runner).reconfigure(vrrpSettingsFor(config, addresses, key)),
  attach: (runner, node: RunnerNode, config) => node.addGroup(asVrrpRunner(runner), { requireTtl255ForUnicast: config.unicastTtl === 'require-255' }),
  detach: (runner, node: RunnerNode) => node.removeGroup(asVrrpRunner(runner)),
  status: (config, runner, toIso): ProtocolStatusReport => ({ protocol: vrrpStatus(config, runner === undefined ? undefined : asVrrpRunner(runner), toIso) }),
  statusLines: vrrpStatusLines,
};
