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
