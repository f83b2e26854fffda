/**
 * The 'start' event's 'resume-master' mode (fsm/machine-types.ts StartMode): a reload's protocol
 * switch starts the new machine as MASTER at once (docs/state-machine.md "Protocol switch"), in
 * both machines; afterwards it is a MASTER like any other.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, step } from '../../src/protocols/carp/carp-step.ts';
import { initialVrrpState, stepVrrp } from '../../src/protocols/vrrp/vrrp-step.ts';
import type { MachineAction, MachineState } from '../../src/protocols/carp/carp-machine-types.ts';
import type { VrrpAction, VrrpState } from '../../src/protocols/vrrp/vrrp-machine-types.ts';
import { advert, makeConfig } from '../helpers/fsm-scenario.ts';
import { advert as vrrpAdvert, makeVrrpConfig } from '../helpers/vrrp-scenario.ts';

const S = 1_000_000;
const T0 = 5 * S;
const MASTER_ENTRY = ['cancel-timer', 'send-advert', 'add-addresses', 'announce', 'arm-timer', 'run-script', 'transition'];

function types(actions: readonly (MachineAction | VrrpAction)[]): string[] {
  return actions.map((a) => a.type);
}

describe('CARP: start with mode resume-master', () => {
  const config = makeConfig({ advskew: 0 });

  it('is MASTER at once: the advert first, the addresses (adopted), an announcement, the advert timer, the master script, INIT -> MASTER (protocol-switch)', () => {
    const { state, actions } = step(config, initialState(0), { type: 'start', mode: 'resume-master' }, T0);
    assert.equal(state.phase, 'master');
    assert.equal(state.reason, 'protocol-switch');
    assert.equal(state.since, T0);
    assert.deepEqual(types(actions), MASTER_ENTRY);
    assert.deepEqual(actions.find((a) => a.type === 'send-advert'), { type: 'send-advert', families: [4], fields: { advbase: 1, advskew: 0, demote: 0 }, bowOut: false });
    const advertTimer = actions.find((a) => a.type === 'arm-timer');
    assert.equal(advertTimer?.type === 'arm-timer' ? [advertTimer.timer, advertTimer.at].join() : undefined, ['advert', T0 + S].join());
    assert.ok(!actions.some((a) => a.type === 'arm-timer' && a.timer.startsWith('master-down')), 'no master-down wait');
    assert.deepEqual(actions.find((a) => a.type === 'run-script'), { type: 'run-script', phase: 'master', previous: 'init', reason: 'protocol-switch' });
    assert.deepEqual(actions.at(-1), { type: 'transition', from: 'init', to: 'master', reason: 'protocol-switch' });
  });

  it('a plain start is still BACKUP (started)', () => {
    const { state } = step(config, initialState(0), { type: 'start' }, T0);
    assert.deepEqual([state.phase, state.reason], ['backup', 'started']);
  });

  it('then a better peer takes over by the normal rules: BACKUP (outranked-by-peer), the addresses removed', () => {
    const worse = makeConfig({ advskew: 100 });
    const resumed = step(worse, initialState(0), { type: 'start', mode: 'resume-master' }, T0).state;
    const { state, actions } = step(worse, resumed, advert({ advskew: 0 }), T0 + S / 2);
    assert.deepEqual([state.phase, state.reason], ['backup', 'outranked-by-peer']);
    assert.ok(actions.some((a) => a.type === 'remove-addresses'));
  });

  it('a worse peer is answered as by any MASTER: it stays MASTER', () => {
    const resumed = step(config, initialState(0), { type: 'start', mode: 'resume-master' }, T0).state;
    const { state } = step(config, resumed, advert({ advskew: 100 }), T0 + S / 2);
    assert.equal(state.phase, 'master');
  });

  it('with the link down it waits in INIT and comes up as BACKUP (link-up): nothing to resume', () => {
    const down: MachineState = { ...initialState(0), linkUp: false };
    const started = step(config, down, { type: 'start', mode: 'resume-master' }, T0);
    assert.deepEqual([started.state.phase, started.state.running, started.actions.length], ['init', true, 0]);
    const up = step(config, started.state, { type: 'link-up' }, T0 + S);
    assert.deepEqual([up.state.phase, up.state.reason], ['backup', 'link-up']);
  });

  it('a second start is ignored', () => {
    const resumed = step(config, initialState(0), { type: 'start', mode: 'resume-master' }, T0).state;
    const again = step(config, resumed, { type: 'start', mode: 'resume-master' }, T0 + 1);
    assert.deepEqual(types(again.actions), ['ignored']);
    assert.equal(again.state, resumed);
  });
});

for (const version of [3, 2] as const) {
  describe(`VRRPv${version}: start with mode resume-master`, () => {
    const config = makeVrrpConfig({ priority: 100, ...(version === 2 ? { version } : {}) });

    it('is MASTER at once (not the owner, not after Master_Down_Interval): advert, addresses, announcement, Adver_Timer, master script, protocol-switch', () => {
      const { state, actions } = stepVrrp(config, initialVrrpState(config, 0), { type: 'start', mode: 'resume-master' }, T0);
      assert.deepEqual([state.phase, state.reason, state.since], ['master', 'protocol-switch', T0]);
      assert.deepEqual(types(actions), MASTER_ENTRY);
      assert.deepEqual(actions.find((a) => a.type === 'send-advert'), { type: 'send-advert', families: [4], fields: { priority: 100, maxAdvertIntervalCentis: 100 }, bowOut: false });
      const advertTimer = actions.find((a) => a.type === 'arm-timer');
      assert.equal(advertTimer?.type === 'arm-timer' ? [advertTimer.timer, advertTimer.at].join() : undefined, ['advert', T0 + S].join());
      assert.deepEqual(actions.at(-1), { type: 'transition', from: 'init', to: 'master', reason: 'protocol-switch' });
    });

    it('a plain start is still BACKUP (started)', () => {
      const { state } = stepVrrp(config, initialVrrpState(config, 0), { type: 'start' }, T0);
      assert.deepEqual([state.phase, state.reason], ['backup', 'started']);
    });

    it('then a higher priority takes over by the normal rules: BACKUP (outranked-by-peer)', () => {
      const resumed = stepVrrp(config, initialVrrpState(config, 0), { type: 'start', mode: 'resume-master' }, T0).state;
      const { state, actions } = stepVrrp(config, resumed, vrrpAdvert({ priority: 200 }), T0 + S / 2);
      assert.deepEqual([state.phase, state.reason], ['backup', 'outranked-by-peer']);
      assert.ok(actions.some((a) => a.type === 'remove-addresses'));
    });

    it('with the link down it waits in Initialize and comes up as BACKUP (link-up)', () => {
      const down: VrrpState = { ...initialVrrpState(config, 0), linkUp: false };
      const started = stepVrrp(config, down, { type: 'start', mode: 'resume-master' }, T0);
      assert.deepEqual([started.state.phase, started.state.running, started.actions.length], ['init', true, 0]);
      const up = stepVrrp(config, started.state, { type: 'link-up' }, T0 + S);
      assert.deepEqual([up.state.phase, up.state.reason], ['backup', 'link-up']);
    });
  });
}
