/**
 * SystemClock's one subtlety: a due timer's callback waits for one more I/O poll, so data that
 * arrived while the process was not running is read before the timer acts (a backup's
 * master-down must not fire over the master's unread adverts). The ordering is forced, not
 * timed: the data is already in the kernel's buffer and the timer already due when the event
 * loop resumes from a synchronous busy wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { LATE_WAKEUP_MICROS, MAX_EARLY_BATCH, SystemClock, type Wakeup } from '../../src/linux/system-clock.ts';

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The stall: neither timers nor sockets are served.
  }
}

test('a timer fires, once; a cleared timer never fires', async () => {
  const clock = new SystemClock();
  const fired: string[] = [];
  clock.setTimer(clock.nowMicros() + 1_000, () => fired.push('kept'));
  const cleared = clock.setTimer(clock.nowMicros() + 1_000, () => fired.push('cleared'));
  clock.clearTimer(cleared);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(fired, ['kept']);
});

test('after a stall, data that arrived meanwhile is read before a due timer acts, and can cancel it', async () => {
  const clock = new SystemClock();
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = createConnection(address.port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  try {
    // The "advert" sits unread in the kernel's buffer: the peer socket is paused.
    await new Promise<void>((r) => client.write('advert', () => r()));
    await new Promise((r) => setTimeout(r, 20));

    const events: string[] = [];
    const masterDown = clock.setTimer(clock.nowMicros() + 1_000, () => events.push('master-down'));
    peer.on('data', () => {
      events.push('advert');
      clock.clearTimer(masterDown); // an advert re-arms the master-down timer
    });
    peer.resume(); // reading starts in the event loop's next poll
    busyWait(20); // both due now: the timer and the unread data
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(events, ['advert'], 'the advert was read first and cancelled the due timer');
  } finally {
    client.destroy();
    peer.destroy();
    server.close();
  }
});

test('timers whose window has opened run in the wakeup of the first deadline, in deadline order', async () => {
  const clock = new SystemClock();
  const now = clock.nowMicros();
  const ran: { name: string; at: number }[] = [];
  const push = (name: string) => () => ran.push({ name, at: clock.nowMicros() });
  // Due at +20, +25, +28 and +29 ms, each allowed 10 ms early; +60 ms is not open at +20 ms.
  clock.setTimer(now + 25_000, push('b'), now + 15_000);
  clock.setTimer(now + 20_000, push('a'), now + 10_000);
  clock.setTimer(now + 28_000, push('c'), now + 18_000);
  clock.setTimer(now + 29_000, push('d'), now + 19_000);
  clock.setTimer(now + 60_000, push('late'), now + 50_000);
  await new Promise((r) => setTimeout(r, 45));
  assert.deepEqual(ran.map((r) => r.name), ['a', 'b', 'c', 'd']);
  // One wakeup: all four ran in the same check phase, before c's and d's own deadlines.
  assert.ok(ran.every((r) => r.at - (ran[0] as { at: number }).at < 2_000), JSON.stringify(ran.map((r) => r.at - now)));
  assert.ok((ran[0] as { at: number }).at < now + 28_000, 'the batch ran at the first deadline');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(ran.map((r) => r.name), ['a', 'b', 'c', 'd', 'late']);
});

test('a timer cleared after its batch was taken (waiting for the check phase) does not run', async () => {
  const clock = new SystemClock();
  const now = clock.nowMicros();
  const ran: string[] = [];
  let second: ReturnType<SystemClock['setTimer']> | undefined;
  clock.setTimer(now + 5_000, () => {
    ran.push('first');
    if (second !== undefined) clock.clearTimer(second);
  });
  second = clock.setTimer(now + 5_000, () => ran.push('second'));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(ran, ['first']);
});

/** A wakeup driven by hand: what SystemClock armed, and a way to fire it. */
function manualWakeup(): { create: (onWake: () => void) => Wakeup; armed: number[]; disarmed: number; wake: () => void } {
  const state = { armed: [] as number[], disarmed: 0, wake: () => {}, create: (onWake: () => void): Wakeup => {
    state.wake = onWake;
    return { arm: (delay) => void state.armed.push(delay), disarm: () => void state.disarmed++, earlyToleranceMicros: 100 };
  } };
  return state;
}

const checkPhase = () => new Promise((r) => setImmediate(r));

test('each timer of a batch is told the deadline of the wakeup: the first of the batch', async () => {
  const wakeup = manualWakeup();
  // However slow this machine, the wakeup below is not taken for a late one.
  const clock = new SystemClock(wakeup.create, { lateWakeupMicros: 1e12 });
  const now = clock.nowMicros();
  const told: [string, number][] = [];
  // Due 1 ms ago; one due later but open; one due later but not open.
  clock.setTimer(now - 1_000, (at) => told.push(['due', at]));
  clock.setTimer(now + 60_000_000, (at) => told.push(['early', at]), now - 5_000);
  clock.setTimer(now + 60_000_000, (at) => told.push(['closed', at]), now + 50_000_000);
  assert.ok(wakeup.armed.length >= 1 && (wakeup.armed[0] as number) <= 0, 'armed for the deadline already past');
  wakeup.wake();
  await checkPhase();
  assert.deepEqual(told, [['due', now - 1_000], ['early', now - 1_000]]);
});

test(`one wakeup runs at most ${MAX_EARLY_BATCH} timers early, and every timer whose deadline has come`, async () => {
  const wakeup = manualWakeup();
  const clock = new SystemClock(wakeup.create);
  const now = clock.nowMicros();
  let due = 0;
  let early = 0;
  for (let i = 0; i < 3; i++) clock.setTimer(now - 1_000, () => due++);
  for (let i = 0; i < MAX_EARLY_BATCH * 2; i++) clock.setTimer(now + 60_000_000, () => early++, now - 1_000);
  wakeup.wake();
  await checkPhase();
  assert.equal(due, 3);
  assert.equal(early, MAX_EARLY_BATCH - 3);
  // The rest wait for their own deadline (or another wakeup): the clock re-armed for it.
  assert.ok((wakeup.armed.at(-1) as number) > 50_000_000, `re-armed for the next deadline: ${wakeup.armed.at(-1)}`);
});

test('the wakeup is disarmed once no timer is left, and armed again for a new one', () => {
  const wakeup = manualWakeup();
  const clock = new SystemClock(wakeup.create);
  const handle = clock.setTimer(clock.nowMicros() + 10_000_000, () => {});
  assert.equal(wakeup.armed.length, 1);
  clock.clearTimer(handle);
  assert.equal(wakeup.disarmed, 1);
  clock.setTimer(clock.nowMicros() + 10_000_000, () => {});
  assert.equal(wakeup.armed.length, 2);
});

test('a wakeup that came well after its deadline tells its timers when it came, so a batch continues from there together', async () => {
  const wakeup = manualWakeup();
  const clock = new SystemClock(wakeup.create);
  const now = clock.nowMicros();
  const told: number[] = [];
  // The deadline passed 3 × LATE_WAKEUP_MICROS ago: the process was held up.
  const deadline = now - 3 * LATE_WAKEUP_MICROS;
  clock.setTimer(deadline, (at) => told.push(at));
  clock.setTimer(deadline, (at) => told.push(at));
  wakeup.wake();
  await checkPhase();
  assert.equal(told.length, 2);
  assert.equal(told[0], told[1], 'one time for the batch');
  assert.ok((told[0] as number) >= now, `told ${(told[0] as number) - deadline} µs after the deadline`);
});
