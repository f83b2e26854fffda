import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInspect } from '../../src/cli/inspect.ts';
import type { InspectIo } from '../../src/cli/inspect.ts';
import { encodeCarpHeader } from '../../src/protocols/carp/carp-header.ts';
import { CarpAuthenticator } from '../../src/protocols/carp/carp-hmac.ts';
import { carpKeyFromPassphrase } from '../../src/protocols/carp/carp-key.ts';
import { parseIpAddress } from '../../src/wire/ip-address.ts';
import { encodeIpv4Packet, encodeIpv6Packet } from '../../src/wire/ip-packet.ts';
import { hexBytes, toHex } from '../helpers/bytes.ts';
import { fixtureBytes, fixturePath } from '../helpers/fixtures.ts';
import { buildPcap, ethernetFrame } from '../helpers/pcap-builder.ts';
import { PCAPS, T1, V1 } from '../fixtures/carp-vectors.ts';

type Line = Record<string, unknown>;

/** What one run printed. */
interface Run {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
  /** stdout parsed as JSON lines. */
  readonly lines: Line[];
}

/** Runs runInspect against a fake file system of named byte arrays. */
async function inspect(args: string[], files: Record<string, Uint8Array> = {}): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: InspectIo = {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    readFile: async (path) => {
      const bytes = files[path];
      if (bytes === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return bytes;
    },
  };
  const code = await runInspect(args, io);
  const lines = code === 0 && !args.includes('--help') ? stdout.map((l) => JSON.parse(l) as Line) : [];
  return { code, stdout, stderr, lines };
}

const fixtures: Record<string, Uint8Array> = Object.fromEntries(Object.values(PCAPS).map((name) => [name, fixtureBytes(name)]));
const pass = ['--pass', V1.passphrase];
const vip = ['--addr', V1.address];

/** An IPv4 packet from 192.0.2.1 to the CARP group. */
function ipv4(payload: Uint8Array, protocol = 112): Uint8Array {
  return encodeIpv4Packet({ source: parseIpAddress('192.0.2.1'), destination: parseIpAddress('224.0.0.18'), payload, protocol });
}

/** A signed advert in an IP packet, for --hex cases. */
function advertPacket(options: { family: 4 | 6; advbase?: number; advskew?: number; addresses: string[] }): Uint8Array {
  const addresses = options.addresses.map(parseIpAddress);
  const auth = new CarpAuthenticator(carpKeyFromPassphrase(V1.passphrase), 9, addresses);
  const counter = 0x1122334455667788n;
  const timing = { advbase: options.advbase ?? 1, advskew: options.advskew ?? 0 };
  const payload = encodeCarpHeader({ vhid: 9, ...timing, demote: 0, counter, digest: auth.sign(counter) });
  return options.family === 4
    ? encodeIpv4Packet({ source: parseIpAddress('198.51.100.1'), destination: parseIpAddress('224.0.0.18'), payload })
    : encodeIpv6Packet({ source: parseIpAddress('fe80::1'), destination: parseIpAddress('ff02::12'), payload });
}

describe('carpd inspect on the captures', () => {
  it('ok, ucarp with --pass and --addr: 11 adverts, all authentic', async () => {
    const run = await inspect([...pass, ...vip, PCAPS.ucarp], fixtures);
    assert.equal(run.code, 0);
    assert.deepEqual(run.stderr, []);
    assert.deepEqual(run.lines.map((l) => l.frame), [...V1.advertFrames]);
    assert.ok(run.lines.every((l) => l.auth === 'ok' && l.checksumOk === true && !('hint' in l)));
    assert.deepEqual(run.lines[0], {
      frame: 2,
      time: '2026-11-24T20:39:28.391472Z',
      family: 4,
      src: '192.0.2.1',
      dst: '224.0.0.18',
      ttl: 255,
      payloadLength: 36,
      version: 2,
      type: 1,
      vhid: 7,
      advskew: 0,
      authlen: 7,
      demote: 0,
      advbase: 1,
      counter: 'c819695857265d17',
      digest: '95e916cf022fe74c82dc5133a3b4479ef3018e8d',
      checksumOk: true,
      auth: 'ok',
      bowOut: false,
    });
    // B's adverts after the takeover continue A's counter (docs/protocol-carp.md "What peers send").
    assert.deepEqual(run.lines.slice(-3).map((l) => [l.src, l.advskew, l.counter]), [
      ['192.0.2.2', 50, 'f14f7101fcb2a937'],
      ['192.0.2.2', 50, 'f14f7101fcb2a938'],
      ['192.0.2.2', 50, 'f14f7101fcb2a939'],
    ]);
  });

  it('ok, --key-hex and an --addr with a prefix length work the same', async () => {
    const keyHex = '7365637265742d70617373000000000000000000'; // "secret-pass", zero padded
    const run = await inspect(['--key-hex', keyHex, '--addr', '192.0.2.100/24', PCAPS.ucarp], fixtures);
    assert.equal(run.code, 0);
    assert.ok(run.lines.length === 11 && run.lines.every((l) => l.auth === 'ok'));
  });

  it('ok, without a key auth is "unchecked" and there is no hint', async () => {
    const run = await inspect([PCAPS.ucarp], fixtures);
    assert.equal(run.code, 0);
    assert.ok(run.lines.length === 11 && run.lines.every((l) => l.auth === 'unchecked' && !('hint' in l)));
  });

  it('bad auth, wrong passphrase: "bad" with a hint', async () => {
    const run = await inspect(['--pass', 'secret-pas', ...vip, PCAPS.ucarp], fixtures);
    assert.equal(run.code, 0);
    assert.ok(run.lines.length === 11 && run.lines.every((l) => l.auth === 'bad' && typeof l.hint === 'string'));
  });

  it('bad auth, --pass without --addr hashes an empty list and the hint is the no-address one', async () => {
    const withoutAddr = await inspect([...pass, PCAPS.ucarp], fixtures);
    const wrongAddr = await inspect([...pass, '--addr', '192.0.2.101', PCAPS.ucarp], fixtures);
    assert.ok(withoutAddr.lines.every((l) => l.auth === 'bad'));
    assert.ok(wrongAddr.lines.every((l) => l.auth === 'bad'));
    assert.notEqual(withoutAddr.lines[0]?.hint, wrongAddr.lines[0]?.hint);
  });

  for (const name of [PCAPS.vrrpV3, PCAPS.vrrpV2, PCAPS.vrrpV2AuthPass]) {
    it(`ok, ${name}: VRRP is skipped silently`, async () => {
      const run = await inspect([...pass, ...vip, name], fixtures);
      assert.deepEqual({ code: run.code, stdout: run.stdout, stderr: run.stderr }, { code: 0, stdout: [], stderr: [] });
    });
  }

  it('error objects, malformed protocol-112 packets in a pcap carry their frame number', async () => {
    const badChecksum = hexBytes(V1.frame2Ip);
    badChecksum[11] = 0xd7;
    const shortPayload = ipv4(hexBytes('21070007'));
    const badVersion = ipv4(hexBytes(T1.header.replace('21', '51')));
    const tcp = ipv4(new Uint8Array(20), 6);
    const packets = [badChecksum, tcp, shortPayload, badVersion, hexBytes(V1.frame2Ip)];
    const records = packets.map((ip, i) => ({ seconds: 1795552768, fraction: i, data: ethernetFrame(ip) }));
    const run = await inspect(['capture.pcap'], { 'capture.pcap': buildPcap({ records }) });
    assert.equal(run.code, 0);
    assert.deepEqual(run.lines.map((l) => [l.frame, l.error ?? l.vhid]), [
      [1, 'bad-ip-checksum'],
      [3, 'short'],
      [4, 'bad-version'],
      [5, 7],
    ]);
    assert.ok(run.lines.slice(0, 3).every((l) => typeof l.detail === 'string'));
  });
});

describe('carpd inspect --hex', () => {
  const cases: { name: string; args: string[]; want: Line }[] = [
    {
      name: 'skipped, VRRPv3 advert (K1)',
      args: ['--hex', '45c0002000010000ff701899c0000201e0000012310796010064d39dc0000264'],
      want: { skipped: 'vrrp-v3' },
    },
    {
      name: 'skipped, VRRPv2 advert (K2)',
      args: ['--hex', '45c0002800010000ff701891c0000201e00000122107960100018691c00002640000000000000000'],
      want: { skipped: 'vrrp-v2' },
    },
    {
      name: 'skipped, not protocol 112',
      args: ['--hex', toHex(ipv4(new Uint8Array(8), 17))],
      want: { skipped: 'other-protocol', protocol: 17 },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await inspect(c.args);
      assert.equal(run.code, 0);
      assert.deepEqual(run.lines, [c.want]);
    });
  }

  it('ok, whitespace and a 0x prefix are allowed', async () => {
    const spaced = '0x' + V1.frame2Ip.replace(/(.{8})/g, '$1 \n\t');
    const run = await inspect([...pass, ...vip, '--hex', spaced]);
    assert.equal(run.code, 0);
    assert.deepEqual([run.lines[0]?.counter, run.lines[0]?.auth, 'frame' in (run.lines[0] ?? {})], ['c819695857265d17', 'ok', false]);
  });

  it('ok, an Ethernet frame is unwrapped (as tcpdump -xx prints a captured frame)', async () => {
    const frame = toHex(ethernetFrame(hexBytes(V1.frame2Ip)));
    const run = await inspect([...pass, ...vip, '--hex', frame]);
    assert.deepEqual([run.lines[0]?.counter, run.lines[0]?.auth], ['c819695857265d17', 'ok']);
  });

  it('error, neither IP nor Ethernet', async () => {
    const run = await inspect(['--hex', '00'.repeat(60)]);
    assert.deepEqual(run.lines.map((l) => l.error), ['bad-ip-version']);
  });

  it('error, bad IP header checksum', async () => {
    const run = await inspect(['--hex', V1.frame2Ip.replace('a5d6', 'a5d7')]);
    assert.equal(run.code, 0);
    assert.deepEqual(run.lines.map((l) => l.error), ['bad-ip-checksum']);
  });

  it('ok, CARP checksum wrong but the packet still shown with checksumOk false', async () => {
    const ip = hexBytes(V1.frame2Ip);
    ip[55] = (ip[55] as number) ^ 1; // last digest byte
    const run = await inspect([...pass, ...vip, '--hex', toHex(ip)]);
    assert.deepEqual([run.lines[0]?.checksumOk, run.lines[0]?.auth], [false, 'bad']);
  });

  it('ok, IPv6 advert verified against an IPv6 --addr list, link-local left out', async () => {
    const ip = advertPacket({ family: 6, addresses: ['2001:db8::100', 'fe80::100'] });
    const run = await inspect([...pass, '--addr', '2001:db8::100/64', '--addr', 'fe80::100', '--hex', toHex(ip)]);
    assert.deepEqual([run.lines[0]?.family, run.lines[0]?.src, run.lines[0]?.vhid, run.lines[0]?.auth], [6, 'fe80::1', 9, 'ok']);
  });

  it('ok, an OpenBSD bow-out advert (advbase 255, advskew 255)', async () => {
    const ip = advertPacket({ family: 4, advbase: 255, advskew: 255, addresses: ['198.51.100.100'] });
    const run = await inspect([...pass, '--addr', '198.51.100.100', '--hex', toHex(ip)]);
    assert.deepEqual([run.lines[0]?.bowOut, run.lines[0]?.auth], [true, 'ok']);
  });

  it('ok, an oversized CARP payload is decoded from its first 36 bytes', async () => {
    const payload = Uint8Array.from([...hexBytes(T1.header), 0, 0, 0, 0]);
    const ip = encodeIpv4Packet({ source: parseIpAddress('10.99.0.1'), destination: parseIpAddress('224.0.0.18'), payload });
    const run = await inspect(['--pass', T1.passphrase, '--addr', T1.address, '--hex', toHex(ip)]);
    assert.deepEqual([run.lines[0]?.payloadLength, run.lines[0]?.checksumOk, run.lines[0]?.auth], [40, true, 'ok']);
  });
});

describe('carpd inspect exit codes', () => {
  const usage: { name: string; args: string[] }[] = [
    { name: 'nothing to inspect', args: [] },
    { name: 'unknown option', args: ['--bogus', 'x.pcap'] },
    { name: '--pass and --key-hex together', args: ['--pass', 'a', '--key-hex', '00'.repeat(20), 'x.pcap'] },
    { name: '--hex and a file together', args: ['--hex', '45', 'x.pcap'] },
    { name: 'two files', args: ['a.pcap', 'b.pcap'] },
    { name: 'odd number of hex digits', args: ['--hex', '451'] },
    { name: 'not hex', args: ['--hex', 'zz'] },
    { name: 'empty hex', args: ['--hex', '  '] },
    { name: '--hex without a value', args: ['--hex'] },
    { name: '--addr that is not an address', args: ['--pass', 'a', '--addr', '192.0.2.300', 'x.pcap'] },
    { name: '--addr with a bad prefix', args: ['--pass', 'a', '--addr', '192.0.2.1/x', 'x.pcap'] },
    { name: '--addr without a key', args: ['--addr', '192.0.2.1', 'x.pcap'] },
    { name: 'passphrase of 20 bytes', args: ['--pass', 'a'.repeat(20), 'x.pcap'] },
    { name: '--key-hex of 39 digits', args: ['--key-hex', '0'.repeat(39), 'x.pcap'] },
  ];
  for (const c of usage) {
    it(`2, usage error: ${c.name}`, async () => {
      const run = await inspect(c.args, { 'x.pcap': fixtureBytes(PCAPS.ucarp) });
      assert.equal(run.code, 2);
      assert.deepEqual(run.stdout, []);
      assert.ok(run.stderr.length > 0);
    });
  }

  const pcapngHeader = hexBytes('0a0d0d0a 1c000000 4d3c2b1a 01000000 ffffffffffffffff 1c000000');
  const wifiPcap = buildPcap({ linkType: 105, records: [{ seconds: 0, fraction: 0, data: new Uint8Array(30) }] });
  const unreadable: { name: string; files: Record<string, Uint8Array>; error: string }[] = [
    { name: 'missing file', files: {}, error: 'unreadable-file' },
    { name: 'not a pcap', files: { 'x.pcap': new TextEncoder().encode('hello, not a capture') }, error: 'bad-pcap' },
    { name: 'pcapng', files: { 'x.pcap': pcapngHeader }, error: 'bad-pcap' },
    { name: 'truncated pcap', files: { 'x.pcap': fixtureBytes(PCAPS.ucarp).subarray(0, 100) }, error: 'short' },
    { name: 'unsupported link type', files: { 'x.pcap': wifiPcap }, error: 'unsupported-link-type' },
  ];
  for (const c of unreadable) {
    it(`1, ${c.name}`, async () => {
      const run = await inspect(['x.pcap'], c.files);
      assert.equal(run.code, 1);
      assert.deepEqual(run.stdout, []);
      assert.equal((JSON.parse(run.stderr[0] ?? '{}') as Line).error, c.error);
    });
  }

  it('1, a readFile that throws a non-Error still gives one line, no stack', async () => {
    const stderr: string[] = [];
    const io: InspectIo = { stdout: () => undefined, stderr: (l) => stderr.push(l), readFile: () => Promise.reject('boom') };
    const code = await runInspect(['x.pcap'], io);
    assert.equal(code, 1);
    assert.equal(stderr.length, 1);
    assert.ok(!stderr[0]?.includes('    at '));
  });

  it('0, --help prints usage on stdout', async () => {
    const run = await inspect(['--help']);
    assert.equal(run.code, 0);
    assert.ok(run.stdout.length > 0 && run.stderr.length === 0);
  });
});

describe('bin/carpd inspect (subprocess)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dispatcher = `${root}src/cli/carpd.ts`;
  it('ok, prints the ucarp adverts as JSON lines', (t) => {
    if (!existsSync(dispatcher) || !readFileSync(dispatcher, 'utf8').includes('inspect')) {
      t.skip('src/cli/carpd.ts does not dispatch "inspect" yet');
      return;
    }
    const args = [`${root}bin/carpd`, 'inspect', ...pass, ...vip, fixturePath(PCAPS.ucarp)];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
    assert.equal(lines.length, 11);
    assert.ok(lines.every((l) => l.auth === 'ok'));
  });
});
