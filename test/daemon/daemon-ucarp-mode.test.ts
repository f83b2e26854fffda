/**
 * `carpd ucarp` as the daemon runs it, on fakes: the cleanup guard is told the group's down
 * script (so a SIGKILLed master leaves no VIP: the guard runs it), and a SIGHUP logs that reload
 * is not supported in ucarp mode, with what to do instead, changing nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { UCARP_RELOAD_UNSUPPORTED } from '../../src/cli/daemon-command.ts';
import { parseUcarpFlags } from '../../src/config/ucarp-flags.ts';
import { encodeGuardSpec } from '../../src/daemon/cleanup-guard.ts';
import { Lifecycle } from '../../src/daemon/lifecycle.ts';
import { makeDaemon } from '../helpers/fake-platform.ts';

const VIP = '198.51.100.7';

function ucarpGroup() {
  const parsed = parseUcarpFlags(['--interface=eth0', '--srcip=198.51.100.10', '--vhid=7', '--pass=secret', `--addr=${VIP}`, '--upscript=/etc/vip-up.sh', '--downscript=/etc/vip-down.sh']);
  assert.ok(parsed.ok);
  return parsed.config.groups[0]!;
}

test('ucarp mode: the cleanup guard gets the down script (ucarp arguments, CARP_REASON=cleanup) once the group runs, and no address of its own to remove', async () => {
  const rig = makeDaemon({ groups: [ucarpGroup()], reloadUnsupported: UCARP_RELOAD_UNSUPPORTED });
  await rig.daemon.start();
  const guard = rig.platform.guards[0];
  assert.ok(guard !== undefined);
  assert.deepEqual(guard.spec.items.flatMap((i) => i.addresses), []);
  const [down, ...more] = guard.spec.downScripts ?? [];
  assert.equal(more.length, 0);
  assert.deepEqual([down?.interfaceName, down?.address.text, down?.path, ...(down?.args ?? [])], ['eth0', VIP, '/etc/vip-down.sh', 'eth0', VIP]);
  assert.equal(down?.env['CARP_REASON'], 'cleanup');
  assert.match(encodeGuardSpec(guard.spec), new RegExp(`^down eth0 ${VIP.replaceAll('.', '\\.')} 30000 /etc/vip-down\\.sh$`, 'm'));
  await rig.daemon.stop();
  assert.equal(guard.released, true, 'a clean stop releases the guard: it runs nothing');
});

test('ucarp mode: SIGHUP logs "reload is not supported in ucarp mode" (CARPD_NO_CONFIG_FILE) and what to do; the group runs on untouched', async () => {
  const rig = makeDaemon({ groups: [ucarpGroup()], reloadUnsupported: UCARP_RELOAD_UNSUPPORTED });
  await rig.daemon.start();
  await rig.becomeMaster();
  const signals = new EventEmitter();
  const lifecycle = new Lifecycle(rig.logger, { events: signals });
  lifecycle.serveReloads(rig.daemon);
  const before = rig.logger.records.length;
  signals.emit('SIGHUP');
  await rig.settle();
  const said = rig.logger.records.slice(before).filter((r) => r.fields['code'] === 'CARPD_NO_CONFIG_FILE');
  assert.equal(said.length, 1, JSON.stringify(rig.logger.records.slice(before)));
  assert.equal(said[0]?.level, 'warn');
  assert.match(said[0]?.message ?? '', /reload is not supported in ucarp mode/);
  assert.match(said[0]?.message ?? '', /restart carpd ucarp with the new flags/);
  assert.equal(rig.daemon.status().groups[0]?.state, 'MASTER');
  lifecycle.dispose();
  await rig.daemon.stop();
});
