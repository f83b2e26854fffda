/**
 * Run inside a lab host's namespace: a quorum member asking `carpd witness` for leases, built with
 * carpd's own quorum codec. One JSON line out per run.
 *
 *   node --import tsx test/integration/witness-client.ts SPEC_JSON
 *
 * Modes: `ask` sends one request per group (groups vhid 1..groups) and reports every answer;
 * `replay` sends one request, then the same bytes again and the grant it got back, and reports
 * whether anything answered those; `until-grant` asks for group 1 every 200 ms until granted
 * (at most `maxMs`), reporting every answer with its wall-clock time (ms).
 */
import { createSocket } from 'node:dgram';
import { Buffer } from 'node:buffer';
import { decodeQuorumMessage, encodeQuorumMessage, type QuorumMessage } from '../../src/quorum/quorum-codec.ts';
import { memberListHash, quorumKey } from '../../src/quorum/quorum-key.ts';
import { QUORUM_LEASE_US } from '../../src/quorum/quorum-timing.ts';

export interface WitnessClientSpec {
  readonly mode: 'ask' | 'replay' | 'until-grant';
  readonly witness: { readonly address: string; readonly port: number };
  readonly passphrase: string;
  readonly sender: number;
  readonly incarnation: string;
  readonly groups: number;
  readonly epoch: number;
  readonly maxMs?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as WitnessClientSpec;
const passphrase = Buffer.from(spec.passphrase);
const groupOf = (vhid: number) => {
  const listHash = memberListHash({ protocol: 'carp', vhid, members: ['198.51.100.11', '198.51.100.12'], witness: `${spec.witness.address}:${spec.witness.port}` });
  return { vhid, listHash, key: quorumKey(passphrase, listHash) };
};
type Group = ReturnType<typeof groupOf>;
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, resolve));
const inbox: Buffer[] = [];
let wake: (() => void) | undefined;
socket.on('message', (bytes) => {
  inbox.push(bytes);
  wake?.();
});
let seq = 0n;
let nonce = BigInt(Date.now()) * 1000n;

function request(group: Group): Buffer {
  seq += 1n;
  nonce += 1n;
  const message: QuorumMessage = { type: 'request', listHash: group.listHash, sender: spec.sender, incarnation: BigInt(spec.incarnation), seq, nonce, epoch: spec.epoch, kind: 'claim', leaseUs: QUORUM_LEASE_US, advertIntervalUs: 1_000_000 };
  return encodeQuorumMessage(message, group.key);
}

/** The next datagram, or undefined after `ms`. */
async function next(ms: number): Promise<Buffer | undefined> {
  const deadline = Date.now() + ms;
  while (inbox.length === 0 && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.max(1, deadline - Date.now()));
    });
  }
  return inbox.shift();
}

function describe(bytes: Buffer | undefined, group: Group): string {
  if (bytes === undefined) return 'none';
  const decoded = decodeQuorumMessage(bytes, (hash) => (hash.equals(group.listHash) ? group.key : undefined));
  if (!decoded.ok) return `bad:${decoded.error}`;
  const m = decoded.message;
  if (m.type === 'grant') return m.to === spec.sender && m.nonce === nonce ? 'grant' : 'grant-not-mine';
  if (m.type === 'refusal') return `refuse:${m.reason}`;
  return m.type;
}

async function ask(group: Group): Promise<{ answer: string; bytes: Buffer | undefined; request: Buffer }> {
  const bytes = request(group);
  socket.send(bytes, spec.witness.port, spec.witness.address);
  const reply = await next(500);
  return { answer: describe(reply, group), bytes: reply, request: bytes };
}

const result: Record<string, unknown> = { mode: spec.mode };
if (spec.mode === 'ask') {
  const answers: Record<string, number> = {};
  for (let vhid = 1; vhid <= spec.groups; vhid += 1) {
    const { answer } = await ask(groupOf(vhid));
    answers[answer] = (answers[answer] ?? 0) + 1;
  }
  result.answers = answers;
} else if (spec.mode === 'replay') {
  const group = groupOf(1);
  const first = await ask(group);
  result.first = first.answer;
  socket.send(first.request, spec.witness.port, spec.witness.address);
  if (first.bytes !== undefined) socket.send(first.bytes, spec.witness.port, spec.witness.address);
  result.afterReplay = describe(await next(800), group);
} else {
  // Started before the witness: asks from then on, so the hold-off is seen however slow this start.
  process.stdout.write('ready\n');
  const group = groupOf(1);
  const answers: { atMs: number; answer: string }[] = [];
  const started = Date.now();
  while (Date.now() - started < (spec.maxMs ?? 8_000)) {
    const { answer } = await ask(group);
    answers.push({ atMs: Date.now(), answer });
    if (answer === 'grant') break;
    await new Promise((resolve) => setTimeout(resolve, answer === 'none' ? 50 : 200));
  }
  result.answers = answers;
}
socket.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
