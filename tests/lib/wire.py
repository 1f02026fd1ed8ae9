# The agent -> collector frame format (docs/wire.md), for tests that
# speak to the collector directly: hand-made good frames and bad ones.

import struct

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)

HELLO, WELCOME, DEVICES, BATCH, ACK, ERROR = 1, 2, 3, 4, 5, 6
EVENT, VALMETA = 7, 8
VM_NONE = 0xFFFF
CT_SNMP, CT_ICMP, CT_TCP, CT_HTTP, CT_ARP, CT_PRESENCE, CT_TRAP = \
    1, 2, 3, 4, 5, 6, 7
VK_GAUGE, VK_COUNTER, VK_TEXT = 1, 2, 3


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def s(text):
    b = text.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def frame(ftype, payload, version=1):
    return b"FM" + struct.pack(">BBII", version, ftype, len(payload),
                               crc32c(payload)) + payload


def hello(agent, session, auth=""):
    return frame(HELLO, s(agent) + struct.pack(">Q", session) + s("test") +
                 s(auth))


def devices(devs):
    """devs: [(id, name, class, group, address, [(check, type, ival_ms)])
    [, parent]]"""
    # A list joined once: += on bytes copies, quadratic in the devices.
    p = [struct.pack(">I", len(devs))]
    for d in devs:
        p.append(s(d[0]) + s(d[1]) + s(d[2]) + s(d[3]) + s(d[4]))
        p.append(s(d[6] if len(d) > 6 else ""))
        p.append(struct.pack(">H", len(d[5])))
        for c in d[5]:
            p.append(s(c[0]) + struct.pack(">BIIB", c[1], c[2], 1000, 1))
    return frame(DEVICES, b"".join(p))


def result(dev, chk, ctype, outcome, ts_ms, values=(), msg=""):
    p = s(dev) + s(chk) + struct.pack(">BBQI", ctype, outcome, ts_ms, 1000)
    p += s(msg) + struct.pack(">H", len(values))
    for name, kind, v in values:
        p += s(name) + struct.pack(">B", kind)
        if kind == VK_GAUGE:
            p += struct.pack(">d", v)
        elif kind == VK_COUNTER:
            p += struct.pack(">Qd", v[0], v[1])
        else:
            p += s(v)
    return p


def batch(session, seq, results):
    return frame(BATCH, struct.pack(">QQI", session, seq, len(results)) +
                 b"".join(results))


def valmeta(dev, chk, cols, rows, vals):
    """A VALMETA (level 3).  cols: [(name, unit, scale, enums,
    important)], rows: [(label, alias, important)], vals: [(name, col,
    row)] with VM_NONE for none."""
    p = [s(dev), s(chk), struct.pack(">H", len(cols))]
    for name, unit, scale, enums, imp in cols:
        p.append(s(name) + s(unit) + struct.pack(">d", scale) + s(enums) +
                 struct.pack(">B", imp))
    p.append(struct.pack(">H", len(rows)))
    for label, alias, imp in rows:
        p.append(s(label) + s(alias) + struct.pack(">B", imp))
    p.append(struct.pack(">I", len(vals)))
    for name, col, row in vals:
        p.append(s(name) + struct.pack(">HH", col, row))
    return frame(VALMETA, b"".join(p))


def read_frame(sock):
    """(type, payload) of the next frame, or None at EOF."""
    hdr = _read(sock, 12)
    if hdr is None:
        return None
    _, ver, ftype, length, crc = struct.unpack(">2sBBII", hdr)
    payload = _read(sock, length) if length else b""
    assert crc32c(payload) == crc, "bad CRC from the collector"
    return ftype, payload


def _read(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _str(p, off):
    n = struct.unpack(">H", p[off:off + 2])[0]
    return p[off + 2:off + 2 + n].decode("utf-8"), off + 2 + n


def parse_batch(p):
    """A BATCH payload as (session, seq, [result dict])."""
    session, seq, n = struct.unpack(">QQI", p[:20])
    off = 20
    out = []
    for _ in range(n):
        r = {}
        r["device"], off = _str(p, off)
        r["check"], off = _str(p, off)
        r["type"], r["outcome"], r["ts_ms"], r["dur_us"] = \
            struct.unpack(">BBQI", p[off:off + 14])
        off += 14
        r["msg"], off = _str(p, off)
        nv = struct.unpack(">H", p[off:off + 2])[0]
        off += 2
        vals = {}
        for _ in range(nv):
            name, off = _str(p, off)
            kind = p[off]
            off += 1
            if kind == VK_GAUGE:
                vals[name] = struct.unpack(">d", p[off:off + 8])[0]
                off += 8
            elif kind == VK_COUNTER:
                vals[name] = struct.unpack(">Qd", p[off:off + 16])
                off += 16
            else:
                vals[name], off = _str(p, off)
        r["values"] = vals
        out.append(r)
    return session, seq, out
