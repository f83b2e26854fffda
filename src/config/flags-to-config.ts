/**
 * The daemon's one-group command line (daemon-options.ts) as a CarpdConfig, so that the daemon
 * only ever runs a CarpdConfig whichever front end produced it.
 */
import { CONFIG_DEFAULTS, type CarpdConfig, type GroupConfig } from './config-types.ts';
import type { DaemonOptions } from './daemon-options.ts';
import { VRRP_INERT_CARP_SETTINGS, vrrpDefaultName, vrrpFamily } from './vrrp-settings.ts';

/** Converts validated daemon flags into the normalised configuration (one group). */
export function configFromDaemonOptions(options: DaemonOptions): CarpdConfig {
  return {
    logLevel: options.logLevel,
    stateDirectory: options.stateDirectory,
    controlSocket: CONFIG_DEFAULTS.controlSocket,
    groups: [
      {
        ...protocolSettings(options),
        interface: options.interfaceName,
        vhid: options.vhid,
        addresses: options.addresses.map((a) => (a.prefixLength === undefined ? { address: a.address } : { address: a.address, prefixLength: a.prefixLength })),
        preempt: options.preempt,
        ...(options.preemptDelaySeconds > 0 ? { preemptDelaySeconds: options.preemptDelaySeconds } : {}),
        ...(options.sourceAddress === undefined ? {} : { sourceAddress: options.sourceAddress }),
        vmac: options.vmac,
        manageAddresses: true,
        virtualInterface: options.virtualInterfaceName,
        scripts: {
          ...(options.masterScript === undefined ? {} : { master: options.masterScript }),
          ...(options.backupScript === undefined ? {} : { backup: options.backupScript }),
          timeoutSeconds: options.scriptTimeoutSeconds,
          style: 'carpd',
          neutral: false,
        },
        announce: { intervalSeconds: options.announceIntervalSeconds, router: false },
        peers: [],
        unicastTtl: CONFIG_DEFAULTS.unicastTtl,
        track: { interfaces: [], checks: [] },
      },
    ],
  };
}

/** The name and the protocol's own fields: CARP's from its flags, or VRRP's block with CARP's inert (as from the file). */
function protocolSettings(options: DaemonOptions): Pick<GroupConfig, 'protocol' | 'vrrp' | 'name' | 'passphrase' | 'advbase' | 'advskew' | 'masterDown' | 'deadRatio' | 'replay'> {
  if (options.protocol === 'vrrp' && options.vrrp !== undefined) {
    const family = vrrpFamily(options.addresses);
    // A VRRPv2 group's simple password keeps its source (--pass/--passfile); VRRPv3's is none.
    return { protocol: 'vrrp', vrrp: options.vrrp, name: vrrpDefaultName(options.interfaceName, options.vhid, family), ...VRRP_INERT_CARP_SETTINGS, passphrase: options.passphrase };
  }
  return {
    name: `${options.interfaceName}/vhid${options.vhid}`,
    passphrase: options.passphrase,
    advbase: options.advbase,
    advskew: options.advskew,
    masterDown: options.masterDownFormula,
    deadRatio: CONFIG_DEFAULTS.deadRatio,
    replay: { mode: options.replayMode, windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds },
  };
}
