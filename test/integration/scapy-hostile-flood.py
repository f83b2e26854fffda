#!/usr/bin/env python3
"""Hostile protocol-112 frames built by scapy, an encoder independent of carpd's, sent at a paced
high rate from an attacker's lab namespace (test/integration/hostile-input.test.ts).

    python3 scapy-hostile-flood.py SPEC_JSON

SPEC_JSON: {"pcap": bridge capture holding the master's adverts, "iface": "eth0", "mac": ...,
"ip": ..., "vhid": 7, "vip": ..., "per_kind": frames of each kind, "rate": frames per second}.
Prints one JSON line: frames sent per kind, the elapsed time and the rate achieved.

Every kind is one that carpd must drop with a known reason (KINDS), so the test can compare the
drop counters with what was sent, kind by kind. Forged digests are random bytes: the acceptance
path checks the vhid, TTL, length, checksum and type before the HMAC, so only the HMAC check can
drop a forged advert. Captured adverts are replayed verbatim and with advbase/advskew rewritten
(those fields are outside the CARP HMAC) and the checksum recomputed by scapy: both are stale,
so only the replay guard can drop them.
"""
import json
import os
import random
import sys
import time

from scapy.all import IP, Ether, Raw, conf, rdpcap
from scapy.contrib.carp import CARP
from scapy.layers.vrrp import VRRP, VRRPv3

# kind -> the drop reason carpd counts on a backup of the attacked vhid ('unknown-vhid' is
# counted per interface, not per group).
KINDS = {
    "forged-hmac": "bad-auth",
    "wrong-vhid": "unknown-vhid",
    "ttl-254": "bad-ttl",
    "truncated": "short",
    "oversized-100": "bad-length",
    "bad-checksum": "bad-checksum",
    "bad-type": "bad-type",
    "vrrpv2": "vrrp",
    "vrrpv3": "vrrp",
    "replay": "replay",
    "tampered-advskew": "replay",
}

CARP_GROUP = "224.0.0.18"
CARP_GROUP_MAC = "01:00:5e:00:00:12"


def random_digest():
    return {f"hmac{i}": random.getrandbits(32) for i in range(1, 6)}


def carp(vhid, **fields):
    # Counters far from anything real: only the failing check can drop the frame.
    base = dict(version=2, type=1, vhid=vhid, advskew=0, authlen=7, demotion=0, advbase=1,
                counter1=random.getrandbits(32), counter2=random.getrandbits(32))
    base.update(random_digest())
    base.update(fields)
    return CARP(**base)


def build(spec):
    ether = Ether(src=spec["mac"], dst=CARP_GROUP_MAC)
    vhid = spec["vhid"]

    def ip(ttl=255):
        return IP(src=spec["ip"], dst=CARP_GROUP, ttl=ttl, proto=112, id=random.getrandbits(16))

    makers = {
        "forged-hmac": lambda: ether / ip() / carp(vhid),
        "wrong-vhid": lambda: ether / ip() / carp(vhid % 255 + 1),
        "ttl-254": lambda: ether / ip(254) / carp(vhid),
        "truncated": lambda: ether / ip() / Raw(bytes(carp(vhid))[:20]),
        "oversized-100": lambda: ether / ip() / Raw(bytes(carp(vhid)) + bytes(64)),
        "bad-checksum": lambda: ether / ip() / Raw(bad_checksum(bytes(carp(vhid)))),
        "bad-type": lambda: ether / ip() / carp(vhid, type=2),
        "vrrpv2": lambda: ether / ip() / VRRP(vrid=vhid, priority=255, addrlist=[spec["vip"]]),
        "vrrpv3": lambda: ether / ip() / VRRPv3(vrid=vhid, priority=255, addrlist=[spec["vip"]]),
    }
    frames = {kind: [bytes(make()) for _ in range(spec["per_kind"])] for kind, make in makers.items()}

    captured = [p for p in rdpcap(spec["pcap"]) if CARP in p and p[CARP].vhid == vhid]
    if not captured:
        raise SystemExit(f"no adverts of vhid {vhid} in {spec['pcap']}")
    frames["replay"] = [bytes(captured[i % len(captured)]) for i in range(spec["per_kind"])]
    tampered = []
    for i in range(spec["per_kind"]):
        p = captured[i % len(captured)].copy()
        p[CARP].advskew = 0
        p[CARP].advbase = 1
        p[CARP].chksum = None  # scapy recomputes it
        p[IP].src = spec["ip"]
        p[IP].chksum = None
        tampered.append(bytes(p))
    frames["tampered-advskew"] = tampered
    return frames


def bad_checksum(header):
    broken = bytearray(header)
    broken[7] = (broken[7] + 1) & 0xFF
    return bytes(broken)


def main():
    spec = json.loads(sys.argv[1])
    frames = build(spec)
    # Interleave the kinds so each is spread over the whole flood.
    schedule = [(kind, frames[kind][i]) for i in range(spec["per_kind"]) for kind in KINDS]
    sock = conf.L2socket(iface=spec["iface"])
    sent = {kind: 0 for kind in KINDS}
    burst = max(1, spec["rate"] // 100)  # paced in 10 ms slices
    start = time.monotonic()
    for index in range(0, len(schedule), burst):
        for kind, frame in schedule[index:index + burst]:
            sock.send(frame)
            sent[kind] += 1
        due = start + (index + burst) / spec["rate"]
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    sock.close()
    total = sum(sent.values())
    print(json.dumps({"sent": sent, "expected": KINDS, "total": total,
                      "elapsedMs": round(elapsed * 1000), "rate": round(total / elapsed)}))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
