/**
 * The daemon's parts without the Daemon class: a GroupSupervisor with its interface hosts,
 * health monitors, sysctl book and events on FakeHostNetlink, the fake platform, a VirtualClock
 * and a SimLan; for the unit tests of group-supervisor.ts, host-watch.ts and control-commands.ts.
 */
import type { ControlEvent } from '../../src/control/control-types.ts';
import { DaemonEvents } from '../../src/daemon/daemon-events.ts';
import { GroupSupervisor } from '../../src/daemon/group-supervisor.ts';
import { HealthMonitors } from '../../src/daemon/health-monitors.ts';
import { InterfaceHosts } from '../../src/daemon/interface-hosts.ts';
import { SysctlBook } from '../../src/daemon/sysctl-book.ts';
import { PacketWarningLog } from '../../src/engine/packet-warning-log.ts';
import { FakeHostNetlink } from '../../src/linux/netlink/fake-host-netlink.ts';
import { MemoryGroupStateStore } from '../../src/ports/group-state-store.ts';
import type { LinkInfo } from '../../src/ports/host-netlink.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';
import type { ScriptJob } from '../../src/ports/script-job.ts';
import { SimLan } from '../../src/sim/sim-lan.ts';
import { VirtualClock } from '../../src/sim/virtual-clock.ts';
import { FakePlatform, PARENT } from '../helpers/fake-platform.ts';

/** The parts, and what they did. */
export interface SupervisorRig {
  readonly clock: VirtualClock;
  readonly logger: MemoryLogger;
  readonly netlink: FakeHostNetlink;
  readonly eth0: LinkInfo;
  readonly platform: FakePlatform;
  readonly events: DaemonEvents;
  readonly heard: ControlEvent[];
  readonly hosts: InterfaceHosts;
  readonly monitors: HealthMonitors;
  readonly supervisor: GroupSupervisor;
  readonly jobs: ScriptJob[];
  /** How often the cleanup guard's spec was refreshed. */
  guardRefreshes(): number;
  /** Lets queued work and the fake kernel's events run out. */
  settle(): Promise<void>;
}

export function supervisorRig(): SupervisorRig {
  const clock = new VirtualClock();
  const logger = new MemoryLogger();
  const netlink = new FakeHostNetlink();
  const eth0 = netlink.addLink({ name: PARENT.name, mac: PARENT.mac, up: true, running: true });
  netlink.addHostAddress(eth0.index, PARENT.address, PARENT.prefixLength);
  const platform = new FakePlatform(new SimLan(clock, () => 0, { delayMicros: 100, jitterMicros: 0 }));
  const events = new DaemonEvents(clock, logger);
  const heard: ControlEvent[] = [];
  events.onEvent((event) => heard.push(event));
  const hosts = new InterfaceHosts({ netlink, platform, logger, clock, packetLog: new PacketWarningLog(logger, clock) });
  let supervisor: GroupSupervisor | undefined;
  const monitors = new HealthMonitors({
    logger,
    clock,
    currentConfig: (config) => config,
    linkState: () => true,
    onChange: (group, health, checks) => supervisor?.setHealth(group, health, checks),
    onCheckChange: () => {},
  });
  const jobs: ScriptJob[] = [];
  let refreshes = 0;
  supervisor = new GroupSupervisor({
    logger,
    netlink,
    clock,
    store: new MemoryGroupStateStore(),
    scripts: { run: (job) => void jobs.push(job) },
    claimRetryDelaysMs: [0, 0],
    faultHoldDownsMs: [200],
    hosts,
    sysctls: new SysctlBook(platform, logger),
    monitors,
    events,
    refreshGuard: () => void refreshes++,
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) {
      await netlink.settled();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { clock, logger, netlink, eth0, platform, events, heard, hosts, monitors, supervisor, jobs, guardRefreshes: () => refreshes, settle };
}
