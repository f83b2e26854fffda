/**
 * The daemon's one-group command line (daemon-options.ts) as a CarpdConfig, so that the daemon
 * only ever runs a CarpdConfig whichever front end produced it.
 */
import { CONFIG_DEFAULTS, type CarpdConfig } from './config-types.ts';
import type { DaemonOptions } from './daemon-options.ts';

/** Converts validated daemon flags into the normalised configuration (one group). */
export function configFromDaemonOptions(options: DaemonOptions): CarpdConfig {
  return {
    logLevel: options.logLevel,
    stateDirectory: options.stateDirectory,
    controlSocket: CONFIG_DEFAULTS.controlSocket,
    groups: [
      {
        name: `${options.interfaceName}/vhid${options.vhid}`,
        interface: options.interfaceName,
        vhid: options.vhid,
        addresses: options.addresses.map((a) => (a.prefixLength === undefined ? { address: a.address } : { address: a.address, prefixLength: a.prefixLength })),
        passphrase: options.passphrase,
        advbase: options.advbase,
        advskew: options.advskew,
        preempt: options.preempt,
        ...(options.preemptDelaySeconds > 0 ? { preemptDelaySeconds: options.preemptDelaySeconds } : {}),
        masterDown: options.masterDownFormula,
        deadRatio: CONFIG_DEFAULTS.deadRatio,
        ...(options.sourceAddress === undefined ? {} : { sourceAddress: options.sourceAddress }),
        vmac: options.vmac,
        manageAddresses: true,
        virtualInterface: options.virtualInterfaceName,
        replay: { mode: options.replayMode, windowSeconds: CONFIG_DEFAULTS.replayWindowSeconds },
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
