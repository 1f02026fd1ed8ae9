#!/usr/bin/python3
# Writes presence.pcap, the capture the pcap unit test replays: ARP and
# IPv4 frames from two test hosts, plus malformed frames that must be
# counted and skipped.  Run it again only to change the capture.

import struct

OURS = bytes.fromhex("020000000001")
DEV2 = bytes.fromhex("020000000002")
DEV3 = bytes.fromhex("020000000003")
IP1, IP2, IP3 = bytes([198, 18, 7, 1]), bytes([198, 18, 7, 2]), \
    bytes([198, 18, 7, 3])


def eth(dst, src, etype, payload):
    return dst + src + struct.pack(">H", etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def ipv4(src, dst):
    hdr = struct.pack(">BBHHHBBH", 0x45, 0, 28, 1, 0, 64, 17, 0) + src + dst
    return hdr + struct.pack(">HHHH", 5000, 5001, 8, 0)


frames = [
    (1795000000.000, eth(b"\xff" * 6, OURS, 0x0806,
                         arp(1, OURS, IP1, b"\0" * 6, IP2))),
    (1795000000.002, eth(OURS, DEV2, 0x0806, arp(2, DEV2, IP2, OURS, IP1))),
    (1795000010.500, eth(OURS, DEV3, 0x0800, ipv4(IP3, IP1))),
    (1795000011.000, eth(OURS, DEV3, 0x0806, b"\x00\x01")),   # short ARP
    (1795000012.000, b"\x01\x02\x03"),                       # runt
    (1795000020.250, eth(OURS, DEV2, 0x0800, ipv4(IP2, IP1))),
]

with open("presence.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, data in frames:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        f.write(data)

# traffic.pcap, for the traffic check's counting: frames of known length
# on the wire between us (.1), DEV2 (.2) and DEV3 (.3), captured with a
# short snap length as the agent does (only the first 60 bytes kept).
# For DEV2 by address: in 1514 + 200 (2 packets), out 100 + 300 (2);
# by its MAC: in the same, out 42 + 100 + 300 (3); for our interface:
# in 42 + 100 (2), out 42 + 1514 (2).


def ipv4_len(src, dst, total):
    hdr = struct.pack(">BBHHHBBH", 0x45, 0, total, 1, 0, 64, 17, 0) + src + \
        dst
    return hdr + b"\0" * (total - 20)


def vlan(dst, src, vid, etype, payload):
    return dst + src + struct.pack(">HHH", 0x8100, vid, etype) + payload


traffic = [
    (1795000100.000, eth(b"\xff" * 6, OURS, 0x0806,
                         arp(1, OURS, IP1, b"\0" * 6, IP2))),
    (1795000100.001, eth(OURS, DEV2, 0x0806, arp(2, DEV2, IP2, OURS, IP1))),
    (1795000101.000, eth(OURS, DEV2, 0x0800, ipv4_len(IP2, IP1, 86))),
    (1795000102.000, eth(DEV2, OURS, 0x0800, ipv4_len(IP1, IP2, 1500))),
    (1795000103.000, eth(DEV2, DEV3, 0x0800, ipv4_len(IP3, IP2, 186))),
    (1795000104.000, vlan(DEV3, DEV2, 7, 0x0800, ipv4_len(IP2, IP3, 282))),
    (1795000105.000, b"\x01\x02\x03"),                       # runt
]

with open("traffic.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 60, 1))
    for ts, data in traffic:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        cap = data[:60]
        f.write(struct.pack("<IIII", sec, usec, len(cap), len(data)))
        f.write(cap)
