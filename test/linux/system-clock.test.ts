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
import { SystemClock } from '../../src/linux/system-clock.ts';

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
