/**
 * The daemon's one-group command line (daemon-options.ts) as a CarpdConfig, so that the daemon
 * only ever runs a CarpdConfig whichever front end produced it.
 */
import { CONFIG_DEFAULTS, type CarpdConfig, type GroupConfig } from './config-types.ts';
import type { DaemonOptions } from './daemon-options.ts';
import { groupFamily } from './build-group.ts';
import { protocolModule } from '../protocols/index.ts';

/** Converts validated daemon flags into the normalised configuration (one group). */
export function configFromDaemonOptions(options: DaemonOptions): CarpdConfig {
  return {
    logLevel: options.logLevel,
    stateDirectory: options.stateDirectory,
    controlSocket: CONFIG_DEFAULTS.controlSocket,
    groups: [
      {
        ...options.protocolFields,
        name: protocolModule(options.protocol).config.defaultName(options.interfaceName, options.vhid, groupFamily(options.addresses)),
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
