/** CARP's simulator part (protocols/protocol-sim-part.ts): a neutral simulated group as a CARP GroupRunner. */
import { masterDownMicros } from './carp-intervals.ts';
import type { ProtocolSimPart, SimGroupSpec } from '../protocol-sim-part.ts';
import { GroupRunner } from './carp-group-runner.ts';
import { makeGroupSettings } from './carp-group-settings.ts';
import { carpKeyFromPassphrase } from './carp-key.ts';

/** The passphrase of a simulated CARP group that names none (CARP always authenticates). */
const SIM_DEFAULT_PASSPHRASE = 'sim-passphrase';

export const carpSim: ProtocolSimPart = {
  rankName: 'advskew',
  farewell: 'a bow-out advert (advbase 255, advskew 255)',
  groupLabel: (spec) => `vhid ${spec.id}`,
  addSimGroup(spec, ports, node) {
    if (spec.version !== undefined) throw new RangeError(`CARP has one version: no version ${spec.version}`);
    const runner = new GroupRunner(
      makeGroupSettings({
        name: spec.name,
        vhid: spec.id,
        key: carpKeyFromPassphrase(spec.passphrase ?? SIM_DEFAULT_PASSPHRASE),
        addresses: spec.virtualAddresses,
        advbase: spec.intervalSeconds,
        advskew: spec.rank,
        preempt: spec.preempt,
        sourceAddresses: spec.sourceAddresses,
      }),
      ports,
    );
    node.addGroup(runner);
    return { runner, onAdvertSent: (listener) => runner.onAdvertSent((family, _counter, bowOut) => listener(family, bowOut)) };
  },
  masterDownMicros: (spec: SimGroupSpec) => masterDownMicros('openbsd', spec.intervalSeconds, spec.rank),
  describe: (spec) => `advbase ${spec.intervalSeconds}  advskew ${String(spec.rank).padStart(3)}`,
};
