import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileGroupStateStore } from '../../src/linux/file-state-store.ts';
import { MemoryLogger } from '../../src/ports/logger.ts';

function withDirectory(run: (directory: string) => void): void {
  const directory = mkdtempSync(join(tmpdir(), 'carpd-state-'));
  try {
    run(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test('file state store: values survive a new store instance (a restart) and only grow', () => {
  withDirectory((directory) => {
    const first = new FileGroupStateStore(directory, new MemoryLogger());
    first.saveSendReservation('eth0/vhid7', 1_800_000_000_000_000n);
    first.saveReplayHighWater('eth0/vhid7', 42n);
    first.saveReplayHighWater('eth0/vhid7', 41n);
    first.flush();
    const second = new FileGroupStateStore(directory, new MemoryLogger());
    assert.deepEqual(second.load('eth0/vhid7'), { sendReservation: 1_800_000_000_000_000n, replayHighWater: 42n });
    assert.deepEqual(second.load('eth0/vhid8'), { sendReservation: 0n, replayHighWater: 0n });
  });
});

test('file state store: a damaged file is reported and read as zeros, never a crash', () => {
  withDirectory((directory) => {
    writeFileSync(join(directory, 'eth0_vhid7.json'), '{not json');
    const logger = new MemoryLogger();
    const store = new FileGroupStateStore(directory, logger);
    assert.deepEqual(store.load('eth0/vhid7'), { sendReservation: 0n, replayHighWater: 0n });
    assert.equal(logger.records.filter((r) => r.level === 'warn').length, 1);
    store.saveReplayHighWater('eth0/vhid7', 5n);
    store.flush();
    assert.match(readFileSync(join(directory, 'eth0_vhid7.json'), 'utf8'), /"replayHighWater":"5"/);
  });
});

test('file state store: saves are written in the background, coalesced, without a flush', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'carpd-state-'));
  try {
    const store = new FileGroupStateStore(directory, new MemoryLogger(), 20);
    for (let i = 1; i <= 50; i++) store.saveReplayHighWater('g', BigInt(i));
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && new FileGroupStateStore(directory, new MemoryLogger()).load('g').replayHighWater !== 50n) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(new FileGroupStateStore(directory, new MemoryLogger()).load('g').replayHighWater, 50n);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('file state store: a saturated file is refused by the group runner, named by its path, and overwritten on disk (issue 19 item 9)', async () => {
  const { GroupRunner } = await import('../../src/protocols/carp/carp-group-runner.ts');
  const { makeGroupSettings } = await import('../../src/protocols/carp/carp-group-settings.ts');
  const { carpKeyFromPassphrase } = await import('../../src/protocols/carp/carp-key.ts');
  const { parseIpAddress } = await import('../../src/wire/ip-address.ts');
  const { noGroupEffects } = await import('../../src/ports/group-effects.ts');
  const { SimLan } = await import('../../src/sim/sim-lan.ts');
  const { SimTransport } = await import('../../src/sim/sim-transport.ts');
  const { seededRandom } = await import('../../src/sim/random.ts');
  const { VirtualClock } = await import('../../src/sim/virtual-clock.ts');
  withDirectory((directory) => {
    const file = join(directory, 'web.json');
    writeFileSync(file, JSON.stringify({ sendReservation: '18446744073709551615', replayHighWater: '0' }));
    const logger = new MemoryLogger();
    const store = new FileGroupStateStore(directory, logger);
    const clock = new VirtualClock();
    const own = parseIpAddress('198.51.100.2');
    const transport = new SimTransport(new SimLan(clock, seededRandom(1)), 'n', [own]);
    const settings = makeGroupSettings({ name: 'web', vhid: 7, key: carpKeyFromPassphrase('secret-pass'), addresses: [parseIpAddress('198.51.100.100')], sourceAddresses: { 4: own } });
    new GroupRunner(settings, { clock, transport, effects: noGroupEffects, logger, stateStore: store });
    const refused = logger.records.filter((r) => r.level === 'warn' && r.fields['field'] === 'sendReservation');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.fields['file'], file);
    assert.equal(refused[0]?.fields['value'], '18446744073709551615');
    store.flush();
    assert.match(readFileSync(file, 'utf8'), /"sendReservation":"0"/);
  });
});
