/**
 * Run inside an attacker's lab namespace: re-sends every CARP frame of a pcap through an
 * AF_PACKET socket, over and over, for a bounded time.
 *   node --import tsx test/integration/replay-injector.ts PCAP IFNAME INTERVAL_MS DURATION_MS
 */
import { readFileSync } from 'node:fs';
import { readPcap } from '../../src/capture/pcap.ts';
import { loadNativeBinding } from '../../src/linux/native-binding.ts';

const [pcapPath, ifname, intervalText, durationText] = process.argv.slice(2);
if (pcapPath === undefined || ifname === undefined) throw new Error('usage: replay-injector PCAP IFNAME INTERVAL_MS DURATION_MS');
const records = readPcap(new Uint8Array(readFileSync(pcapPath)));
if (!records.ok) throw new Error(`bad pcap: ${records.error.detail}`);
const frames = records.value.filter((r) => r.linkType === 1).map((r) => Buffer.from(r.data));
const socket = loadNativeBinding().openPacketSocket(ifname);
const interval = Number(intervalText ?? 200);
const end = Date.now() + Number(durationText ?? 10_000);
let sent = 0;
const timer = setInterval(() => {
  if (Date.now() >= end || frames.length === 0) {
    clearInterval(timer);
    socket.close();
    console.log(JSON.stringify({ frames: frames.length, sent }));
    return;
  }
  socket.sendFrame(frames[sent % frames.length] as Buffer);
  sent++;
}, interval);
