# A ledger for the durability tests: a synthetic agent that speaks the
# real protocol (tests/lib/wire.py) and remembers every result it made and
# which batches the collector acknowledged; a reader of the collector's
# journal (collector/ingest/journal.c) and of the agent's spool; and a verifier
# that compares them.
#
# A result is identified by (device, check, ts_ms): the synthetic agent
# gives every check one result per second of a clock of its own, so the
# triple is unique and RRD (one-second steps) can hold every one of them.

import os
import socket
import struct
import time

import wire

J_MAGIC = 0x464D4A52
JR_SEGMENT, JR_DEVICES, JR_BATCH, JR_SESSIONS = 1, 2, 3, 4


def _str(b, off):
    n = struct.unpack_from(">H", b, off)[0]
    return b[off + 2:off + 2 + n].decode("utf-8"), off + 2 + n


def parse_results(payload, off, nvalues=None):
    """The results of a BATCH payload from off: [(dev, chk, ts, outcome)].
    With a dict as nvalues, also records each result's number of values
    there (a spool file stripped by its size bound keeps none)."""
    n = struct.unpack_from(">I", payload, off)[0]
    off += 4
    out = []
    for _ in range(n):
        dev, off = _str(payload, off)
        chk, off = _str(payload, off)
        _t, outcome, ts, _dur = struct.unpack_from(">BBQI", payload, off)
        off += 14
        _msg, off = _str(payload, off)
        nv = struct.unpack_from(">H", payload, off)[0]
        off += 2
        for _ in range(nv):
            _name, off = _str(payload, off)
            kind = payload[off]
            off += 1
            if kind == wire.VK_GAUGE:
                off += 8
            elif kind == wire.VK_COUNTER:
                off += 16
            else:
                _v, off = _str(payload, off)
        out.append((dev, chk, ts, outcome))
        if nvalues is not None:
            nvalues[(dev, chk, ts, outcome)] = nv
    return out


def read_journal(data_dir, nvalues=None):
    """Batches in the journal as replay applies them: duplicates by
    (agent, session, seq) dropped.  Returns (batches, dup_count) with
    batches a list of (agent, session, seq, results).  nvalues: see
    parse_results."""
    jdir = os.path.join(data_dir, "journal")
    seen = {}
    out = []
    dups = 0
    for name in sorted(os.listdir(jdir)) if os.path.isdir(jdir) else []:
        if not name.endswith(".fmj"):
            continue
        with open(os.path.join(jdir, name), "rb") as f:
            data = f.read()
        off = 0
        while off + 12 <= len(data):
            magic, length, crc = struct.unpack_from(">III", data, off)
            body = data[off + 12:off + 12 + length]
            if magic != J_MAGIC or len(body) != length or \
                    wire.crc32c(body) != crc:
                break
            off += 12 + length
            rtype = body[0]
            agent, p = _str(body, 9)
            if rtype != JR_BATCH:
                continue
            session, seq = struct.unpack_from(">QQ", body, p)
            key = (agent, session)
            if seq <= seen.get(key, 0):
                dups += 1
                continue
            seen[key] = seq
            out.append((agent, session, seq,
                        parse_results(body, p + 16, nvalues)))
    return out, dups


def read_spool_frames(spool_dir):
    """Every BATCH frame in an agent spool: [(session, seq, results)]."""
    out = []
    if not os.path.isdir(spool_dir):
        return out
    for name in sorted(os.listdir(spool_dir)):
        if not name.endswith(".spool"):
            continue
        with open(os.path.join(spool_dir, name), "rb") as f:
            data = f.read()
        off = 0
        while off + 12 <= len(data):
            _m, _v, ftype, length, crc = struct.unpack_from(">2sBBII", data,
                                                            off)
            body = data[off + 12:off + 12 + length]
            if len(body) != length or wire.crc32c(body) != crc:
                break
            off += 12 + length
            if ftype != wire.BATCH:
                continue
            session, seq = struct.unpack_from(">QQ", body, 0)
            out.append((session, seq, parse_results(body, 16)))
    return out


class SynthAgent:
    """An agent made of the real protocol and a ledger.

    produce(n) makes n new results (round robin over the checks, one per
    check per second of the agent's own clock); pump() sends what is
    waiting and reads ACKs, reconnecting when the collector is gone.
    """

    def __init__(self, port, agent="test", ndev=4, nchk=5, batch=200,
                 window=8, session=None, t0_ms=None):
        self.port = port
        self.agent = agent
        self.session = session or int.from_bytes(os.urandom(8), "big") | 1
        self.checks = [("sd%d" % d, "c%d" % c) for d in range(ndev)
                       for c in range(nchk)]
        self.batch = batch
        self.window = window
        # Ten hours ago: every result is in the past, none in the
        # future, and a day-long full-resolution RRA holds them all.
        self.t0 = t0_ms or (int(time.time()) - 36000) * 1000
        self.tick = 0
        self.queue = []            # results not in a batch yet
        self.batches = {}          # seq -> [ids]
        self.frames = {}           # seq -> frame bytes
        self.next_seq = 1
        self.acked = set()         # seqs acknowledged
        self.sent_upto = 0
        self.sk = None
        self.produced = []         # every result id
        self.reconnects = 0

    def devices_frame(self):
        devs = {}
        for d, c in self.checks:
            devs.setdefault(d, []).append((c, wire.CT_TCP, 1000))
        return wire.devices([(d, d, "pc", "synth", "", cs)
                             for d, cs in sorted(devs.items())])

    def produce(self, n):
        nc = len(self.checks)
        for _ in range(n):
            tick, (d, c) = self.tick // nc, self.checks[self.tick % nc]
            ts = self.t0 + tick * 1000
            rid = (d, c, ts, 0 if (tick + len(c)) % 7 else 1)
            self.queue.append(rid)
            self.produced.append(rid)
            self.tick += 1
        while len(self.queue) >= self.batch:
            self._cut(self.batch)

    def flush(self):
        while self.queue:
            self._cut(min(self.batch, len(self.queue)))

    def _cut(self, n):
        rs, self.queue = self.queue[:n], self.queue[n:]
        seq = self.next_seq
        self.next_seq += 1
        self.batches[seq] = rs
        self.frames[seq] = wire.batch(self.session, seq, [
            wire.result(d, c, wire.CT_TCP, o, ts,
                        [("rtt_ms", wire.VK_GAUGE, float(ts % 1000 + 1))])
            for d, c, ts, o in rs])

    def connect(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                sk = socket.create_connection(("127.0.0.1", self.port),
                                              timeout=5)
                sk.sendall(wire.hello(self.agent, self.session))
                got = wire.read_frame(sk)
                if got is None or got[0] != wire.WELCOME:
                    raise OSError("no welcome: %r" % (got,))
                status, last, _ = struct.unpack(">BQQ", got[1])
                if status != 0:
                    raise OSError("refused %d" % status)
                sk.sendall(self.devices_frame())
                for s in list(self.frames):
                    if s <= last:
                        self.acked.add(s)
                        del self.frames[s]
                self.sent_upto = last
                self.sk = sk
                self.reconnects += 1
                return
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def pump(self, until_acked=False, timeout=60.0):
        """Send and read ACKs; with until_acked, until all are acked."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sk is None:
                self.connect(timeout=max(1.0, deadline - time.monotonic()))
            try:
                pend = sorted(self.frames)
                inflight = [s for s in pend if s <= self.sent_upto]
                for s in pend:
                    if s > self.sent_upto and len(inflight) < self.window:
                        self.sk.sendall(self.frames[s])
                        self.sent_upto = s
                        inflight.append(s)
                if not inflight:
                    if not until_acked or not self.frames:
                        return
                    continue
                got = wire.read_frame(self.sk)
                if got is None:
                    raise OSError("closed")
                if got[0] == wire.ACK:
                    sess, seq = struct.unpack(">QQ", got[1])
                    assert sess == self.session
                    self.acked.add(seq)
                    self.frames.pop(seq, None)
                elif got[0] == wire.ERROR:
                    raise OSError("error frame %r" % got[1][:80])
                if not until_acked:
                    return
            except (OSError, socket.timeout):
                try:
                    self.sk.close()
                except (OSError, AttributeError):
                    pass
                self.sk = None
                if not until_acked:
                    return
        if until_acked and self.frames:
            raise AssertionError("%d batches never acknowledged" %
                                 len(self.frames))

    def close(self):
        if self.sk is not None:
            self.sk.close()
            self.sk = None

    def acked_results(self):
        out = []
        for s in sorted(self.acked):
            out.extend(self.batches[s])
        return out


def verify(expected, journal_batches, agent=None):
    """Compare result ids that must be present with the journal.
    Returns a report dict: lost, duplicated, extra."""
    seen = {}
    for a, _sess, _seq, rs in journal_batches:
        if agent is not None and a != agent:
            continue
        for r in rs:
            seen[r] = seen.get(r, 0) + 1
    exp = set(expected)
    return {
        "expected": len(exp),
        "journaled": sum(seen.values()),
        "lost": sorted(exp - set(seen))[:20],
        "n_lost": len(exp - set(seen)),
        "n_duplicated": sum(1 for v in seen.values() if v > 1),
        "n_extra": len(set(seen) - exp),
    }
