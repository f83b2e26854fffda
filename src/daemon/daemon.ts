/**
 * The composition root of the daemon: builds the real adapters (raw sockets, netlink, macvlan,
 * announcer, scripts, state files) around one group's engine, reconciles what a previous run
 * may have left behind, and runs until SIGTERM/SIGINT, then hands over gracefully.
 */
import type { DaemonOptions } from '../config/daemon-options.ts';
import { CarpNode } from '../engine/carp-node.ts';
import { GroupRunner } from '../engine/group-runner.ts';
import { makeGroupSettings } from '../engine/group-settings.ts';
import type { IpFamily } from '../protocol/ip-address.ts';
import { ipAddressEquals } from '../protocol/ip-address.ts';
import { carpVirtualMac, parseMacAddress } from '../protocol/mac-address.ts';
import type { Logger } from '../ports/logger.ts';
import { Announcer } from '../linux/announcer.ts';
import { FileGroupStateStore } from '../linux/file-state-store.ts';
import { RouteNetlink } from '../linux/netlink/route-netlink.ts';
import { RawCarpTransport } from '../linux/raw-carp-transport.ts';
import { ScriptRunner } from '../linux/script-runner.ts';
import { prepareVirtualMacSysctls, restoreSysctls } from '../linux/sysctl.ts';
import { SystemClock } from '../linux/system-clock.ts';
import { VirtualMacAdvertTransport } from '../linux/virtual-mac-advert-transport.ts';
import { CleanupGuard } from './cleanup-guard.ts';
import { LinuxGroupEffects } from './linux-group-effects.ts';
import { readCarpKey } from './read-passphrase.ts';
import { resolvePrefixes } from './resolve-prefixes.ts';

/** An error the operator must fix (exit status 2): bad input, missing interface. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Runs the daemon until a stop signal; resolves with the exit status. */
export async function runDaemon(options: DaemonOptions, logger: Logger): Promise<number> {
  const key = readKeyOrThrow(options, logger);
  const netlink = RouteNetlink.open(logger);
  const cleanups: (() => Promise<void> | void)[] = [() => netlink.close()];
  try {
    const parent = await netlink.linkByName(options.interfaceName);
    if (parent === undefined) throw new StartupError(`--interface ${options.interfaceName}: no such interface`);
    const parentAddresses = await netlink.listAddresses(parent.index);
    const addresses = resolvePrefixes(options.addresses, parentAddresses);
    const families = [...new Set(addresses.map((a) => a.address.family))].sort() as IpFamily[];

    // Start-up reconciliation: a VIP left on the parent, or a virtual interface left by a run
    // that was killed, would put the address on two machines once another node is master.
    for (const stale of parentAddresses.filter((p) => addresses.some((a) => ipAddressEquals(a.address, p.address)))) {
      logger.warn('removing a virtual address left on the interface by a previous run', { interface: options.interfaceName, address: `${stale.address.text}/${stale.prefixLength}` });
      await netlink.removeAddress(parent.index, stale.address, stale.prefixLength);
    }
    const ownAddresses = parentAddresses.filter((p) => !addresses.some((a) => ipAddressEquals(a.address, p.address))).map((p) => p.address);

    let addressInterface = { index: parent.index, name: parent.name };
    const virtualMac = carpVirtualMac(options.vhid);
    if (options.vmac) {
      const leftover = await netlink.linkByName(options.virtualInterfaceName);
      if (leftover !== undefined) {
        logger.warn('deleting a virtual interface left by a previous run', { interface: leftover.name });
        await netlink.deleteLink(leftover.index);
      }
      const index = await netlink.createMacvlan({ name: options.virtualInterfaceName, parentIndex: parent.index, mac: virtualMac.text });
      addressInterface = { index, name: options.virtualInterfaceName };
      cleanups.unshift(async () => {
        await netlink.deleteLink(index).catch((error: unknown) => logger.warn('could not delete the virtual interface', { error: String(error) }));
      });
      const changed = prepareVirtualMacSysctls(options.interfaceName, options.virtualInterfaceName, logger);
      // Put the parent's ARP behaviour back when we leave (the macvlan's settings go with it).
      cleanups.push(() => restoreSysctls(changed.filter((c) => !c.path.includes(`/${options.virtualInterfaceName}/`)), logger));
    }

    const clock = new SystemClock();
    const store = new FileGroupStateStore(options.stateDirectory, logger);
    cleanups.unshift(() => store.flush());
    const rawTransport = new RawCarpTransport({
      ifname: options.interfaceName,
      families,
      addresses: ownAddresses,
      ...(options.sourceAddress === undefined ? {} : { sources: { [options.sourceAddress.family]: options.sourceAddress } }),
      onError: (error) => logger.warn('socket error', { interface: options.interfaceName, error: error.message }),
    });
    // With --vmac, adverts carry the virtual MAC as their Ethernet source, as the BSDs send them.
    const transport = options.vmac ? new VirtualMacAdvertTransport(rawTransport, { ifname: options.interfaceName, sourceMac: virtualMac }) : rawTransport;
    cleanups.unshift(() => transport.close());
    const scripts = new ScriptRunner({ timeoutMs: options.scriptTimeoutSeconds * 1000, logger });
    const announcer = new Announcer({ ifname: options.interfaceName, sourceMac: options.vmac ? virtualMac : parseMacAddress(parent.mac), router: false, logger });
    cleanups.unshift(() => announcer.close());
    const groupName = `${options.interfaceName}/vhid${options.vhid}`;
    const effects = new LinuxGroupEffects({
      group: groupName,
      vhid: options.vhid,
      interfaceName: options.interfaceName,
      addressInterface,
      ownsInterface: options.vmac,
      addresses,
      netlink,
      announcer,
      scripts,
      ...(options.masterScript === undefined ? {} : { masterScript: options.masterScript }),
      ...(options.backupScript === undefined ? {} : { backupScript: options.backupScript }),
      announceIntervalMs: options.announceIntervalSeconds * 1000,
      logger,
    });
    const settings = makeGroupSettings({
      name: groupName,
      vhid: options.vhid,
      key,
      addresses: addresses.map((a) => a.address),
      advbase: options.advbase,
      advskew: options.advskew,
      preempt: options.preempt,
      masterDownFormula: options.masterDownFormula,
      replayMode: options.replayMode,
    });
    const runner = new GroupRunner(settings, { clock, transport, effects, logger, stateStore: store });
    const node = new CarpNode(transport, logger);
    node.addGroup(runner);

    const watcher = netlink.watchLinks((event) => {
      if (event.link.index !== parent.index) return;
      const up = event.type === 'new' && event.link.up && event.link.running;
      if (up !== runner.state.linkUp) logger.info(`${options.interfaceName}: link ${up ? 'up' : 'down'}`, { interface: options.interfaceName });
      runner.linkChanged(up);
    });
    cleanups.unshift(() => watcher.close());
    if (!(parent.up && parent.running)) runner.linkChanged(false);

    logger.info('carpd started', {
      group: groupName,
      addresses: addresses.map((a) => `${a.address.text}/${a.prefixLength}`),
      advbase: options.advbase,
      advskew: options.advskew,
      preempt: options.preempt,
      vmac: options.vmac ? `${options.virtualInterfaceName} ${virtualMac.text}` : false,
      replay: options.replayMode,
    });
    const guard = CleanupGuard.start(
      {
        interfaceName: options.interfaceName,
        ...(options.vmac ? { virtualInterface: options.virtualInterfaceName, virtualInterfaceIndex: addressInterface.index } : {}),
        addresses: options.vmac ? [] : addresses.map((a) => `${a.address.text}/${a.prefixLength}`),
      },
      logger,
    );
    cleanups.push(() => guard.release());
    runner.start();
    const signal = await waitForStopSignal();
    logger.info(`${signal}: handing over and stopping`, { group: groupName });
    runner.shutdown();
    effects.close();
    await withTimeout(effects.idle(), 5_000);
    await withTimeout(scripts.whenIdle(), (options.scriptTimeoutSeconds + 5) * 1000);
    return 0;
  } finally {
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn('cleanup step failed', { error: String(error) });
      }
    }
  }
}

function readKeyOrThrow(options: DaemonOptions, logger: Logger): Uint8Array {
  try {
    return readCarpKey(options.passphrase, logger);
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A second signal during the handover ends the process at once.
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP (reload) arrives with the config file; until then it must not kill the daemon.
    process.on('SIGHUP', () => {});
  });
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  if (timer !== undefined) clearTimeout(timer);
}
