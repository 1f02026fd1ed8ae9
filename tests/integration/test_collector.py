# The collector on its own: the agent protocol spoken by hand, bad frames
# rejected and counted while it keeps serving, the HTTP API's errors and
# limits, and devices going unknown when their agent falls silent.

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wire  # noqa: E402
from fmtest import (FacmonTestCase, http_json, http_status,  # noqa: E402
                    wait_for)


class Collector(FacmonTestCase):
    def start_collector(self, *a, **kw):
        # These tests write frames by hand over plain TCP: tls = false,
        # configured explicitly.
        kw.setdefault("tls", False)
        return super().start_collector(*a, **kw)

    def connect(self):
        sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=5)
        self.addCleanup(sk.close)
        return sk

    def session(self, agent="test", session=1):
        sk = self.connect()
        sk.sendall(wire.hello(agent, session))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.WELCOME)
        status, last_seq, _ = struct.unpack(">BQQ", p)
        self.assertEqual(status, 0)
        return sk, last_seq

    def stats(self):
        return http_json(self.api + "/api/v1/stats")

    def test_protocol_by_hand(self):
        self.start_collector()
        sk, last = self.session()
        self.assertEqual(last, 0)
        sk.sendall(wire.devices([("lift-1", "1号电梯", "elevator", "lifts",
                                  "127.0.0.9",
                                  [("http", wire.CT_HTTP, 1000)])]))
        now = int(time.time() * 1000)
        b = wire.batch(1, 1, [wire.result(
            "lift-1", "http", wire.CT_HTTP, 0, now,
            [("floor", wire.VK_GAUGE, 3.0),
             ("trips", wire.VK_COUNTER, (123456, 0.5)),
             ("state", wire.VK_TEXT, "运行正常")])])
        sk.sendall(b)
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ACK)
        self.assertEqual(struct.unpack(">QQ", p), (1, 1))
        d = wait_for(lambda: self.device("lift-1"), what="device")
        c = d["checks"][0]
        self.assertEqual(c["state"], "up")
        self.assertEqual(c["values"]["floor"], {"kind": "gauge",
                                                "value": 3.0})
        self.assertEqual(c["values"]["trips"]["raw"], 123456)
        self.assertEqual(c["values"]["state"]["value"], "运行正常")
        self.assertEqual(d["name"], "1号电梯")
        # The same batch again: acknowledged, not applied twice.
        sk.sendall(b)
        ftype, p = wire.read_frame(sk)
        self.assertEqual(struct.unpack(">QQ", p), (1, 1))
        self.assertEqual(self.stats()["ingest"]["batches_duplicate"], 1)
        # A reconnect of the same session learns what was acknowledged.
        sk.close()
        sk2, last = self.session()
        self.assertEqual(last, 1)

    def test_bad_frames_are_counted_and_the_daemon_serves_on(self):
        self.start_collector()
        bad = {
            "bad_magic": b"XX" + b"\0" * 30,
            "bad_version": wire.frame(wire.HELLO, b"", version=7),
            "bad_type": wire.frame(99, b""),
            "too_long": b"FM\x01\x01" + struct.pack(">II", 1 << 30, 0),
            "bad_crc": wire.hello("test", 1)[:-1] + b"\xff",
            "decode_error": wire.frame(wire.HELLO, b"\x00\x05ab"),
            "unexpected_frame": wire.batch(1, 1, []),
        }
        for reason, data in bad.items():
            sk = self.connect()
            sk.sendall(data)
            # The collector answers with an ERROR frame and hangs up.
            got = wire.read_frame(sk)
            self.assertTrue(got is None or got[0] == wire.ERROR, reason)
            self.assertIsNone(wire.read_frame(sk), reason)
        st = self.stats()["ingest"]
        for reason in bad:
            self.assertGreaterEqual(st["malformed_by"][reason], 1, reason)
        # Random bytes and a truncated frame followed by a hang-up.
        sk = self.connect()
        sk.sendall(os.urandom(4096))
        sk.close()
        sk = self.connect()
        sk.sendall(wire.hello("test", 5)[:7])
        sk.close()
        # An unknown agent is refused.
        sk = self.connect()
        sk.sendall(wire.hello("intruder", 1))
        ftype, _ = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ERROR)
        self.assertEqual(self.stats()["ingest"]["hello_unknown_agent"], 1)
        # And a well-behaved agent is still served.
        self.session(session=9)

    def test_message_type_it_does_not_know_ends_the_session(self):
        """What this collector does with a message type newer than it
        (type 9, the first free one) from an agent already welcomed: an
        ERROR naming the type, and the connection closed; the session
        goes on at the next connection.  So an agent must not send a new
        type to a collector that has not said it understands it."""
        self.start_collector()
        sk, _ = self.session()
        now = int(time.time() * 1000)
        sk.sendall(wire.devices([("d", "d", "pc", "g", "", [
            ("c", wire.CT_ICMP, 1000)])]))
        sk.sendall(wire.batch(1, 1, [wire.result(
            "d", "c", wire.CT_ICMP, 0, now, [("rtt", wire.VK_GAUGE, 1.5)])]))
        self.assertEqual(wire.read_frame(sk)[0], wire.ACK)
        sk.sendall(wire.frame(9, wire.s("d") + wire.s("c") + b"\0\0"))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ERROR)
        self.assertIn(b"unknown frame type 9", p)
        self.assertIsNone(wire.read_frame(sk))
        self.assertGreaterEqual(
            self.stats()["ingest"]["malformed_by"]["bad_type"], 1)
        sk2, last = self.session()
        self.assertEqual(last, 1)

    def test_batch_with_bad_values_is_refused(self):
        self.start_collector()
        sk, _ = self.session()
        sk.sendall(wire.devices([("d", "d", "pc", "g", "", [
            ("c", wire.CT_ICMP, 1000)])]))
        now = int(time.time() * 1000)
        sk.sendall(wire.batch(1, 1, [wire.result(
            "d", "c", wire.CT_ICMP, 0, now,
            [("x", wire.VK_GAUGE, float("inf"))])]))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ERROR)
        self.assertIn(b"finite", p)
        self.assertGreaterEqual(
            self.stats()["ingest"]["malformed_by"]["decode_error"], 1)
        self.assertEqual(self.device("d")["checks"][0]["state"], "unknown")

    def test_http_errors(self):
        self.start_collector()
        st, h, body = http_status(self.api + "/api/v1/devices")
        self.assertEqual(st, 200)
        self.assertEqual(h["Content-Type"], "application/json; charset=utf-8")
        self.assertIn("default-src 'self'", h["Content-Security-Policy"])
        st, h, body = http_status(self.api + "/api/v1/devices/nope")
        self.assertEqual(st, 404)
        self.assertIn(b'"error"', body)
        st, _, _ = http_status(self.api + "/api/v1/devices/..%2f..%2fetc")
        self.assertIn(st, (400, 404))
        st, _, _ = http_status(self.api + "/api/v1/devices", method="POST",
                               data=b"{}")
        self.assertEqual(st, 405)
        st, _, _ = http_status(self.api + "/../../etc/passwd")
        self.assertIn(st, (400, 404))
        st, h, body = http_status(self.api + "/")
        self.assertEqual(st, 200)
        self.assertIn(b"facmon", body)
        # Headers over the limit.
        sk = socket.create_connection(("127.0.0.1", self.http_port),
                                      timeout=5)
        sk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
                   b"\r\n\r\n")
        reply = sk.recv(100)
        sk.close()
        self.assertTrue(reply == b"" or b" 4" in reply[:13], reply)
        # Still serving.
        self.assertEqual(http_status(self.api + "/api/v1/stats")[0], 200)

    def test_silent_agent_makes_checks_unknown(self):
        self.start_collector()
        agent = self.start_agent("""
{ id = "lo"; class = "other"; group = "g"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/api/v1/stats"; } ); }
""" % self.http_port)
        up = self.wait_check("lo", "http", "up")
        agent.kill()
        unk = self.wait_check("lo", "http", "unknown", timeout=20)
        # Unknown from one interval after the last result: never "down".
        self.assertGreaterEqual(unk["since_ms"], up["last_ms"])
        self.assertEqual(self.device("lo")["state"], "unknown")

    def test_newer_agent_check_type_degrades(self):
        """A check type and an outcome this collector does not know (a
        newer agent's) are accepted: the devices and batches are not
        refused for ever; the known check goes on, the new one is kept
        and its unjudgeable outcome is unknown."""
        self.start_collector()
        sk, _ = self.session()
        sk.sendall(wire.devices([("ups-1", "1号UPS", "ups", "power",
                                  "127.0.0.9",
                                  [("http", wire.CT_HTTP, 1000),
                                   ("modbus", 42, 1000)])]))
        now = int(time.time() * 1000)
        sk.sendall(wire.batch(1, 1, [
            wire.result("ups-1", "http", wire.CT_HTTP, 0, now),
            wire.result("ups-1", "modbus", 42, 0, now,
                        [("input_v", wire.VK_GAUGE, 229.5)]),
            wire.result("ups-1", "modbus", 42, 77, now + 1)]))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ACK)
        d = wait_for(lambda: self.device("ups-1"), what="device")
        checks = {c["id"]: c for c in d["checks"]}
        self.assertEqual(checks["http"]["state"], "up")
        self.assertEqual(checks["modbus"]["type"], "newer")
        self.assertEqual(checks["modbus"]["state"], "unknown")
        self.assertEqual(checks["modbus"]["values"]["input_v"]["value"],
                         229.5)
        self.assertEqual(d["state"], "up")
        self.assertEqual(self.stats()["ingest"]["malformed_by"]
                         ["decode_error"], 0)
