# SNMP notifications received by the agent: traps v1, v2c and v3 and
# informs from Debian's snmptrap/snmpinform, bad communities and users
# refused, a bounded flood rate-limited; each accepted one reaches the
# collector side as a "trap" result of the device it came from.  The
# collector side here is a small sink that decodes the agent's batches.

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wire  # noqa: E402
from fmtest import (AGENT, COLLECTOR, FacmonTestCase,  # noqa
                    ServiceTestCase, free_port, http_json, wait_for)

ENGINE = "0x" + b"facmon-sender".hex()


class Sink:
    """Accepts the agent, acknowledges batches, keeps every result."""

    def __init__(self):
        self.results = []
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        try:
            conn, _ = self.ls.accept()
        except OSError:
            return
        while True:
            f = wire.read_frame(conn)
            if f is None:
                return
            t, p = f
            if t == wire.HELLO:
                conn.sendall(wire.frame(wire.WELCOME,
                                        struct.pack(">BQQ", 0, 0, 0)))
            elif t == wire.BATCH:
                session, seq, res = wire.parse_batch(p)
                self.results.extend(res)
                conn.sendall(wire.frame(wire.ACK,
                                        struct.pack(">QQ", session, seq)))

    def traps(self):
        return [r for r in self.results if r["check"] == "trap"]

    def close(self):
        self.ls.close()


def ber_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def ber_int(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big",
                                signed=True))


def ber_oid(s):
    parts = [int(x) for x in s.split(".")]
    body = bytes([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.insert(0, 0x80 | (p & 0x7f))
            p >>= 7
        body += bytes(enc)
    return tlv(0x06, body)


def v2c_trap(community, reqid, trap_oid):
    vbs = tlv(0x30, ber_oid("1.3.6.1.2.1.1.3.0") + tlv(0x43, b"\x01")) + \
        tlv(0x30, ber_oid("1.3.6.1.6.3.1.1.4.1.0") + ber_oid(trap_oid))
    pdu = tlv(0xa7, ber_int(reqid) + ber_int(0) + ber_int(0) +
              tlv(0x30, vbs))
    return tlv(0x30, ber_int(1) + tlv(0x04, community.encode()) + pdu)


class Traps(FacmonTestCase):
    def setUp(self):
        super().setUp()
        self.sink = Sink()
        self.addCleanup(self.sink.close)
        self.port = free_port()
        conf = self.write("agent.conf", """
agent: {
  id = "t"; collector = "127.0.0.1:%d"; batch_interval = "100ms";
  tls = false;  # the sink is a plain-TCP collector in Python
  spool_dir = "%s";
  traps: {
    listen = [ "udp:127.0.0.1:%d" ];
    communities = [ "public", "lift-gw" ];
    users = ( { name = "facmon"; engine_id = "%s"; auth_protocol = "SHA";
                auth_passphrase = "auth-secret-1"; priv_protocol = "AES";
                priv_passphrase = "priv-secret-1"; } );
    rate = 20; burst = 40;
  };
};
devices = ( { id = "lift-gw"; name = "电梯网关"; class = "gateway";
  group = "lifts"; address = "127.0.0.1";
  checks = ( { id = "tcp"; type = "tcp"; interval = 5; timeout = 1;
               port = %d; } ); } );
""" % (self.sink.port, os.path.join(self.tmp, "spool"), self.port, ENGINE,
       self.sink.port))
        self.agent = self.start([AGENT, "-d", "-v", "-f", conf], "agent")
        wait_for(lambda: "traps: listening" in self.agent.output(),
                 what="trap listener")

    def snmp(self, *argv):
        return subprocess.run(list(argv), capture_output=True, text=True,
                              timeout=20, env=dict(os.environ, MIBS=""))

    def test_versions_and_auth(self):
        dst = "127.0.0.1:%d" % self.port
        ent = "1.3.6.1.4.1.32473.1"
        r = self.snmp("snmptrap", "-v1", "-c", "public", dst, ent,
                      "127.0.0.1", "6", "17", "", ent + ".9.1", "s",
                      "电梯 3 故障")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.snmp("snmptrap", "-v2c", "-c", "lift-gw", dst, "",
                      ent + ".0.1", ent + ".2.1", "i", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        # An inform returns only once the agent acknowledged it.
        r = self.snmp("snmpinform", "-v2c", "-c", "public", "-t", "2",
                      "-r", "1", dst, "", ent + ".0.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.snmp("snmptrap", "-v3", "-e", ENGINE, "-u", "facmon", "-l",
                      "authPriv", "-a", "SHA", "-A", "auth-secret-1", "-x",
                      "AES", "-X", "priv-secret-1", dst, "", ent + ".0.3")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Refused: a wrong community, a wrong v3 key, an unknown user.
        self.snmp("snmptrap", "-v2c", "-c", "guess", dst, "", ent + ".0.66")
        self.snmp("snmptrap", "-v3", "-e", ENGINE, "-u", "facmon", "-l",
                  "authPriv", "-a", "SHA", "-A", "wrong-secret", "-x", "AES",
                  "-X", "priv-secret-1", dst, "", ent + ".0.67")
        self.snmp("snmptrap", "-v3", "-e", ENGINE, "-u", "nobody", "-l",
                  "authNoPriv", "-a", "SHA", "-A", "auth-secret-1", dst, "",
                  ent + ".0.68")
        wait_for(lambda: len(self.sink.traps()) >= 4, what="4 traps")
        time.sleep(0.5)
        got = {t["values"]["trapOID"]: t for t in self.sink.traps()}
        self.assertEqual(sorted(got), sorted([
            ent + ".0.17", ent + ".0.1", ent + ".0.2", ent + ".0.3"]))
        v1 = got[ent + ".0.17"]
        self.assertEqual(v1["device"], "lift-gw")
        self.assertEqual(v1["type"], wire.CT_TRAP)
        self.assertEqual(v1["values"]["version"], 1)
        self.assertEqual(v1["values"][ent + ".9.1"], "电梯 3 故障")
        self.assertEqual(v1["values"]["source"], "127.0.0.1")
        self.assertEqual(got[ent + ".0.1"]["values"][ent + ".2.1"], 2)
        self.assertEqual(got[ent + ".0.3"]["values"]["user"], "facmon")
        self.assertEqual(got[ent + ".0.3"]["values"]["version"], 3)
        self.assertTrue(self.agent.alive())

    def test_flood_is_rate_limited(self):
        sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.monotonic()
        for i in range(400):		# bounded: 400 packets, once
            sk.sendto(v2c_trap("public", i, "1.3.6.1.4.1.32473.1.0.5"),
                      ("127.0.0.1", self.port))
        sk.sendto(b"\x30\x03garbage", ("127.0.0.1", self.port))
        sent_for = time.monotonic() - t0
        sk.close()
        wait_for(lambda: len(self.sink.traps()) >= 40, what="the burst")
        time.sleep(1.0)
        n = len(self.sink.traps())
        # The burst, plus the rate for as long as the sending took.
        self.assertGreaterEqual(n, 40)
        self.assertLessEqual(n, 40 + 20 * (sent_for + 1.5) + 1)
        self.assertEqual(self.agent.stop(), 0)
        out = self.agent.output()
        self.assertRegex(out, r"traps: received \d+, forwarded %d, bad "
                         r"community 0, rate-limited [1-9]\d*" % n)


class TrapsAtCollector(FacmonTestCase):
    """Through the real collector: an elevator's fault notification takes
    the elevator down at once and its back-in-service one brings it up;
    a notification without a rule is kept and shown."""

    def test_fault_and_back_in_service(self):
        trap_port = free_port()
        self.start_collector()
        self.start_agent("""
{ id = "lift-3"; name = "3号电梯"; class = "elevator"; group = "lifts";
  address = "127.0.0.1";
  checks = ( { id = "gw"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }
""" % self.agent_port, extra="""traps: { listen = [ "udp:127.0.0.1:%d" ];
  communities = [ "public" ]; };""" % trap_port)
        self.wait_check("lift-3", "gw", "up")
        self.assertEqual(self.device("lift-3")["state"], "up")
        env = dict(os.environ, MIBS="")
        dst = "127.0.0.1:%d" % trap_port

        def trap(oid, *vb):
            r = subprocess.run(["snmptrap", "-v2c", "-c", "public", dst, "",
                                oid] + list(vb), capture_output=True,
                               text=True, timeout=20, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
        trap("1.3.6.1.4.1.32473.1.0.1", "1.3.6.1.4.1.32473.1.1.1.1.8.1",
             "u", "17")
        wait_for(lambda: self.device("lift-3")["state"] == "down",
                 what="elevator down by trap")
        trap("1.3.6.1.4.1.32473.1.0.99")	# no rule
        trap("1.3.6.1.4.1.32473.1.0.2")
        wait_for(lambda: self.device("lift-3")["state"] == "up",
                 what="elevator back in service")
        t = json.loads(urllib.request.urlopen(self.api + "/api/v1/traps",
                                              timeout=5).read())
        self.assertEqual(t["received"], 3)
        self.assertEqual(t["unmapped"], 1)
        names = [(x["oid"], x["action"], x["applied"]) for x in t["traps"]]
        self.assertEqual(names, [
            ("1.3.6.1.4.1.32473.1.0.2", "up", True),
            ("1.3.6.1.4.1.32473.1.0.99", "event", False),
            ("1.3.6.1.4.1.32473.1.0.1", "down", True)])
        self.assertIn("1.3.6.1.4.1.32473.1.1.1.1.8.1=17",
                      t["traps"][2]["detail"])
        # The outage is in the journal, confirmed by the trap itself.
        conf = os.path.join(self.tmp, "collector.conf")
        r = subprocess.run([COLLECTOR, "-f", conf, "avail", "--from", "0",
                            "--to", str(int(time.time() * 1000) + 60000),
                            "--devices", "--json"], capture_output=True,
                           text=True, timeout=30)
        dev = {d["id"]: d for d in json.loads(r.stdout)["devices"]}
        self.assertEqual(dev["lift-3"]["outages"], 1)
        self.assertEqual(dev["lift-3"]["blips"], 0)

    def test_warnings_until_cleared_or_held(self):
        """Notifications that say a device is degraded turn it amber on
        the wall with the words, port by port: linkDown of port 3 is
        cleared by linkUp of port 3 only; an LED module failure, which
        has no clearing notification, lasts the rule's hold time."""
        trap_port = free_port()
        self.start_collector(root_extra="""
traps: { hold = "1h"; rules = (
  { oid = "1.3.6.1.6.3.1.1.5.3"; name = "linkDown"; action = "warning";
    text = "端口 {} 断开"; text_en = "port {} down";
    instance = "1.3.6.1.2.1.2.2.1.1"; },
  { oid = "1.3.6.1.6.3.1.1.5.4"; name = "linkUp"; action = "clear";
    clears = "1.3.6.1.6.3.1.1.5.3"; instance = "1.3.6.1.2.1.2.2.1.1"; },
  { oid = "1.3.6.1.4.1.32473.1.0.4"; name = "LED module failure";
    action = "warning"; text = "LED 模块故障"; hold = "3s"; } ); };""")
        self.start_agent("""
{ id = "sw-2"; name = "2号楼层交换机"; class = "switch"; group = "network";
  address = "127.0.0.1";
  checks = ( { id = "tcp"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }
""" % self.agent_port, extra="""traps: { listen = [ "udp:127.0.0.1:%d" ];
  communities = [ "public" ]; };""" % trap_port)
        self.wait_check("sw-2", "tcp", "up")
        env = dict(os.environ, MIBS="")
        dst = "127.0.0.1:%d" % trap_port
        ifindex = "1.3.6.1.2.1.2.2.1.1"

        def trap(oid, *vb):
            r = subprocess.run(["snmptrap", "-v2c", "-c", "public", dst, "",
                                oid] + list(vb), capture_output=True,
                               text=True, timeout=20, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)

        def warnings():
            w = json.loads(urllib.request.urlopen(
                self.api + "/api/v1/wall", timeout=5).read())
            d = [x for x in w["devices"] if x["id"] == "sw-2"][0]
            self.assertEqual(d["state"], "up")	# a warning, not an outage
            return sorted(x["text"] for x in d["warnings"]
                          if x["code"] == "trap")

        trap("1.3.6.1.6.3.1.1.5.3", ifindex + ".3", "i", "3")
        trap("1.3.6.1.6.3.1.1.5.3", ifindex + ".5", "i", "5")
        wait_for(lambda: warnings() == ["端口 3 断开", "端口 5 断开"],
                 what="two ports down on the wall")
        trap("1.3.6.1.6.3.1.1.5.4", ifindex + ".3", "i", "3")
        wait_for(lambda: warnings() == ["端口 5 断开"],
                 what="port 3 cleared, port 5 still down")
        trap("1.3.6.1.4.1.32473.1.0.4")
        wait_for(lambda: "LED 模块故障" in warnings(), what="LED warning")
        # No clearing notification: it goes after its hold time.
        wait_for(lambda: warnings() == ["端口 5 断开"], timeout=30,
                 what="the LED warning held out")
        t = json.loads(urllib.request.urlopen(self.api + "/api/v1/traps",
                                              timeout=5).read())
        self.assertEqual([(x["action"], x["applied"]) for x in t["traps"]],
                         [("warning", True), ("clear", True),
                          ("warning", True), ("warning", True)])


class TrapClearsTheFault(ServiceTestCase):
    """An elevator reports its fault by trap and its poll sees the fault
    too; its back-in-service trap ends the outage at the trap's time, not
    at the next poll: the poll's failure was the fault the trap answered.
    A device whose check was failing before its fault trap came has a
    fault of its own, which the clearing trap does not answer."""

    IV = 5      # s between polls: the trap comes well inside one

    def journal(self):
        r = subprocess.run([COLLECTOR, "--dump-journal",
                            os.path.join(self.data_dir, "outages.fmoj")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(x) for x in r.stdout.splitlines()]

    def test_clearing_trap_ends_the_outage(self):
        trap_port = free_port()
        dead = free_port()      # nothing listens: lift-2's own fault
        self.start_collector(extra="confirm = 1;")
        self.start_agent("""
{ id = "lift-1"; name = "1号电梯"; class = "elevator"; group = "lifts";
  address = "127.0.0.1";
  checks = ( { id = "ctl"; type = "http"; interval = %d; timeout = 1;
               url = "http://127.0.0.1:%d/svc"; } ); },
{ id = "lift-2"; name = "2号电梯"; class = "elevator"; group = "lifts";
  address = "127.0.0.2";
  checks = ( { id = "ctl"; type = "tcp"; interval = %d; timeout = 1;
               port = %d; } ); }
""" % (self.IV, self.hport, self.IV, dead), extra="""traps: {
  listen = [ "udp:127.0.0.1:%d" ]; communities = [ "public" ]; };""" %
            trap_port)
        self.wait_check("lift-1", "ctl", "up")
        self.wait_check("lift-2", "ctl", "down")
        env = dict(os.environ, MIBS="")

        def trap(oid, src):
            # The agent maps a trap to the device by its source address.
            r = subprocess.run(["snmptrap", "--clientaddr=" + src, "-v2c",
                                "-c", "public", "127.0.0.1:%d" % trap_port,
                                "", oid],
                               capture_output=True, text=True, timeout=20,
                               env=env)
            self.assertEqual(r.returncode, 0, r.stderr)

        def traps():
            return http_json(self.api + "/api/v1/traps")["traps"]
        # The fault: the trap, and the poll sees it too.
        self.set(503)
        for src in ("127.0.0.1", "127.0.0.2"):
            trap("1.3.6.1.4.1.32473.1.0.1", src)
        wait_for(lambda: len(traps()) == 2, what="fault traps")
        for dev in ("lift-1", "lift-2"):
            wait_for(lambda: self.device(dev)["state"] == "down",
                     what=dev + " down")
        last = self.wait_check("lift-1", "ctl", "down")["last_ms"]
        # Back in service, just after a poll: the next is IV away.
        self.wait_check("lift-1", "ctl", "down",
                        pred=lambda c: c["last_ms"] > last)
        self.set(200)
        for src in ("127.0.0.1", "127.0.0.2"):
            trap("1.3.6.1.4.1.32473.1.0.2", src)
        wait_for(lambda: len(traps()) == 4, what="clearing traps")
        clear = {t["device"]: t["ts_ms"] for t in traps()
                 if t["oid"] == "1.3.6.1.4.1.32473.1.0.2"}
        self.wait_check("lift-1", "ctl", "up")
        time.sleep(1)
        recs = self.journal()

        def states(dev, check=""):
            return [(r["at_ms"], r["state"]) for r in recs
                    if r["type"] == "state" and r["device"] == dev and
                    r["check"] == check]
        poll_up = [a for a, s in states("lift-1", "ctl") if s == "up"][-1]
        # The poll that saw it back came after the trap (the test's
        # premise: the trap arrived inside one interval).
        self.assertGreater(poll_up, clear["lift-1"])
        self.assertEqual(states("lift-1")[-1], (clear["lift-1"], "up"),
                         states("lift-1"))
        ol = http_json(self.api + "/api/v1/outages?device=lift-1")
        outs = [o for o in ol["outages"] if o["check"] == ""]
        self.assertEqual(len(outs), 1, ol)
        self.assertEqual(outs[0]["end_ms"], clear["lift-1"])
        # lift-2's check failed before its fault trap: still down.
        self.assertEqual(self.device("lift-2")["state"], "down")
        self.assertEqual(states("lift-2")[-1][1], "down")
        print("lift-1: clearing trap %d, next poll up %d (%d ms later); "
              "outage %d ms" % (clear["lift-1"], poll_up,
                                poll_up - clear["lift-1"],
                                outs[0]["end_ms"] - outs[0]["start_ms"]))
