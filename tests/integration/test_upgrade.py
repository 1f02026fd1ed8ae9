# Upgrades: the files the previous release left on disk
# (tests/data/upgrade/0.1, made by tests/data/upgrade/make-files.py with
# that release's binaries) read by this one, and the protocol levels of
# the HELLO and WELCOME with a peer of the previous release played from
# Python: an old agent at the current collector, the current agent at an
# old collector.

import glob
import gzip
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wire  # noqa: E402
from fmtest import (BUILD, COLLECTOR, ROOT, FacmonTestCase,  # noqa: E402
                    free_port, http_json, rrd_fetch, wait_for)

OLD = os.path.join(ROOT, "tests", "data", "upgrade", "0.1")
REPORT = os.path.join(BUILD, "facmon-report")
PASSWORD = "correct horse battery"

AVAIL = """
availability: {
  timezone = "Asia/Shanghai";
  site = "升级测试中心";
  journal = "%s";
};
"""

# The previous release's devices, as its facmon-sim made them (with no
# simulator now, the new agent's own probes fail: that is after the
# checks below that look at the old outages).
DEVICES = """
{ id = "ups-1"; name = "1号UPS"; class = "ups"; group = "power";
  address = "127.29.0.1";
  checks = ( { id = "snmp"; type = "snmp"; interval = 2; timeout = 1;
               retries = 0; version = "2c"; community = "public";
               port = %(snmp)d;
               get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } );
             } ); },
{ id = "platform"; name = "电梯物联网平台"; class = "gateway";
  group = "building"; address = "127.29.0.2";
  checks = ( { id = "snmp"; type = "snmp"; interval = 2; timeout = 1;
               retries = 0; version = "2c"; community = "public";
               port = %(snmp)d;
               get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } );
             },
             { id = "http"; type = "http"; interval = 2; timeout = 1;
               url = "http://{address}:%(http)d/api/health";
               expect_status = 200; } ); }
"""


def load_expected():
    with open(os.path.join(OLD, "expected.json"), encoding="utf-8") as f:
        return json.load(f)


class Upgrade(FacmonTestCase):
    def copy_old(self):
        """The previous release's data directory and spool, as it left
        them (the RRD files unpacked)."""
        data = os.path.join(self.tmp, "data")
        shutil.copytree(os.path.join(OLD, "data"), data)
        for gz in glob.glob(os.path.join(data, "rrd", "*", "*", "*.gz")):
            with gzip.open(gz, "rb") as src, open(gz[:-3], "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.unlink(gz)
        spool = os.path.join(self.tmp, "spool-agent")
        shutil.copytree(os.path.join(OLD, "spool"), spool)
        os.chmod(spool, 0o700)
        os.chmod(data, 0o700)
        return data, spool

    def test_previous_release_files(self):
        exp = load_expected()
        data, spool = self.copy_old()

        # The report over the old outage journal and maintenance.json,
        # before anything of this release wrote to them.
        conf = self.write("report.conf", AVAIL % os.path.join(
            data, "outages.fmoj"))
        out = os.path.join(self.tmp, "report")
        p = subprocess.run([REPORT, "-f", conf, "--from", exp["report_from"],
                            "--to", exp["report_to"], "--format", "json",
                            "--out", out], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(glob.glob(os.path.join(out, "*.json"))[0],
                  encoding="utf-8") as f:
            rep = json.load(f)
        old = exp["report"]
        for key in ("summary", "devices", "groups", "classes", "daily",
                    "period"):
            self.assertEqual(rep[key], old[key], key)
        # The outages, field by field; this release words the cause
        # ("返回异常状态码 503" for "http: bad_status: HTTP 503") where the
        # old one printed the journal's text, which it still keeps.
        self.assertEqual(len(rep["outages"]), len(old["outages"]))
        for new, was in zip(rep["outages"], old["outages"]):
            for k, v in was.items():
                if k != "analysis":
                    self.assertEqual(new[k], v, k)
            self.assertEqual(new["analysis"], "检测到：" + new["cause_text"])
            self.assertEqual(was["analysis"], "检测到：" + was["cause"])
        plat = [d for d in rep["devices"] if d["id"] == "platform"][0]
        self.assertEqual(plat["outages"], 1)
        self.assertLess(plat["availability"], 1.0)

        # The collector on the old data directory.
        pw = subprocess.run([COLLECTOR, "hashpw"], input=PASSWORD + "\n",
                            capture_output=True, text=True, timeout=60,
                            check=True).stdout.strip()
        self.start_collector(
            agents=("upgrade",), extra="confirm = 2;", data_dir=data,
            rrd="full_resolution_days = 1; five_minute_days = 0; "
                "hourly_days = 0; write_interval = 0;",
            root_extra=(AVAIL % os.path.join(data, "outages.fmoj")) + """
alerts: {
  digest = "0";
  retry: { first = "1h"; max = "1h"; give_up_after = "168h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org";
                 timeout = "1s"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
};
web: { users = ( { name = "op"; password_hash = "%s"; } ); };
""" % (free_port(), pw))
        # Outages: the same, every field the old release gave; this one
        # adds the cause in words beside it.
        got = http_json(self.api + "/api/v1/outages")["outages"]
        self.assertEqual([{k: o[k] for k in was} for o, was in
                          zip(got, exp["outages"]["outages"])],
                         exp["outages"]["outages"])
        self.assertEqual(len(got), len(exp["outages"]["outages"]))
        self.assertTrue(all(o["cause_text"] for o in got))
        # Maintenance windows: the web's, listed as they were made.
        keys = ("id", "source", "reason", "start_ms", "end_ms", "repeat",
                "at", "duration_ms", "devices", "groups", "classes",
                "created_by", "cancelled")

        def wins(j):
            return sorted([{k: w.get(k) for k in keys}
                           for w in j["windows"] if w["source"] == "api"],
                          key=lambda w: w["id"])
        now_wins = wins(http_json(self.api + "/api/v1/maintenance"))
        self.assertEqual(now_wins, wins(exp["maintenance"]))
        self.assertEqual(len(now_wins), 2)
        # The outbox: both alerts still waiting, none set aside.
        ob = http_json(self.api + "/api/v1/alerts/outbox")
        waiting = {d["id"]: d["state"] for d in ob["deliveries"]}
        for name in exp["outbox"]:
            self.assertIn(waiting.get(name[:-5]), ("pending", "retrying"),
                          (name, ob))
        self.assertEqual(sorted(os.listdir(os.path.join(
            data, "alerts", "outbox"))), exp["outbox"])
        # RRD: the tree gets its layout file; the old files are listed.
        with open(os.path.join(data, "rrd", ".layout")) as f:
            self.assertEqual(f.read(), "facmon-rrd-layout 2\n")
        series = http_json(self.api + "/api/v1/series/platform")["series"]
        self.assertIn("up", series["http"])
        self.assertIn("duration_ms", series["http"])

        # The agent on the old spool: every batch in it acknowledged, the
        # ones the old collector had (its journal) as duplicates, the
        # others applied, and the spool file released.
        frames = self.spool_batches(spool)
        self.assertEqual(len(frames), 24)
        self.start_agent(DEVICES % {"snmp": free_port(),
                                    "http": free_port()},
                         agent_id="upgrade")
        wait_for(lambda: not os.path.exists(os.path.join(
            spool, "0000000000000001.spool")), timeout=30,
            what="the old spool file acknowledged and removed")
        st = http_json(self.api + "/api/v1/stats")["ingest"]
        self.assertEqual(st["batches_duplicate"], 15)
        self.assertGreaterEqual(st["batches_applied"], 9)
        # The old RRD file, written by the previous release up to the
        # collector's stop and by this one from the spool after it.
        # Results over 400 days old are refused by design (docs/wire.md,
        # "Time"): with files that old, those are counted instead.
        up = os.path.join(data, "rrd", "platform", "http", "up.rrd")
        http_ts = [ts for _, _, (d, c, ts) in frames
                   if (d, c) == ("platform", "http")]
        if time.time() * 1000 - http_ts[-1] > 399 * 86400000:
            self.assertGreaterEqual(st["results_bad_time"], 9)
            return
        wait_for(lambda: int(subprocess.run(
            ["rrdtool", "last", up], capture_output=True, text=True,
            check=True).stdout) >= http_ts[-1] // 1000, timeout=20,
            what="the spooled results in up.rrd")
        rows = rrd_fetch(up, http_ts[0] // 1000 - 4, http_ts[-1] // 1000)
        vals = [v for _, v in rows if v is not None]
        self.assertIn(0.0, vals)        # the outage
        self.assertIn(1.0, vals)
        last = [v for ts, v in rows if ts >= http_ts[-2] // 1000 and
                v is not None]
        self.assertTrue(last and last[-1] == 1.0, rows[-8:])

    def spool_batches(self, spool):
        """(session, seq, (device, check, ts_ms)) of every frame."""
        out = []
        for path in sorted(glob.glob(os.path.join(spool, "*.spool"))):
            with open(path, "rb") as f:
                d = f.read()
            off = 0
            while off < len(d):
                _, ver, ftype, ln, _ = struct.unpack(">2sBBII",
                                                     d[off:off + 12])
                self.assertEqual((ver, ftype), (1, wire.BATCH))
                s, q, rs = wire.parse_batch(d[off + 12:off + 12 + ln])
                for r in rs:
                    out.append((s, q, (r["device"], r["check"],
                                       r["ts_ms"])))
                off += 12 + ln
        return out

    def test_newer_files_refused(self):
        """A file of a newer release stops the start with its name and
        both versions, and is left as it is."""
        data, spool = self.copy_old()
        seg = glob.glob(os.path.join(data, "journal", "*.fmj"))[0]
        # A segment header of version 9: type 1, time, agent "", u16 9.
        body = struct.pack(">BQH", 1, 0, 0) + struct.pack(">H", 9)
        newer = os.path.join(data, "journal", "00000000000000ff.fmj")
        with open(newer, "wb") as f:
            f.write(struct.pack(">III", 0x464d4a52, len(body),
                                wire.crc32c(body)) + body)
        conf = self.write("c.conf", """
collector: { listen = [ "127.0.0.1:%d" ]; http = [ "127.0.0.1:%d" ];
  data_dir = "%s"; tls = false; agents = ( { id = "upgrade"; } ); };
""" % (free_port(), free_port(), data))

        def run():
            return subprocess.run([COLLECTOR, "-d", "-f", conf],
                                  capture_output=True, text=True,
                                  timeout=30)
        p = run()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("%s: version 9 is newer than this facmon (2)" % newer,
                      p.stdout + p.stderr)
        os.unlink(newer)
        size = os.path.getsize(seg)
        # The outage journal's header says version 7.
        oj = os.path.join(data, "outages.fmoj")
        with open(oj, "r+b") as f:
            f.seek(4)
            f.write(struct.pack(">I", 7))
        p = run()
        self.assertIn("%s: version 7 is newer than this facmon (1)" % oj,
                      p.stdout + p.stderr)
        self.assertEqual(os.path.getsize(seg), size)
        with open(oj, "r+b") as f:
            f.seek(4)
            f.write(struct.pack(">I", 1))
        # The RRD tree's layout.
        layout = os.path.join(data, "rrd", ".layout")
        with open(layout, "w") as f:
            f.write("facmon-rrd-layout 9\n")
        p = run()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("%s: version 9 is newer than this facmon (2)" %
                      layout, p.stdout + p.stderr)
        os.unlink(layout)

        # An outbox record and maintenance.json of a newer release: the
        # collector starts, logs them, sends nothing and overwrites
        # nothing; the report refuses the windows.
        ob = os.path.join(data, "alerts", "outbox")
        rec = os.path.join(ob, sorted(os.listdir(ob))[0])
        with open(rec, encoding="utf-8") as f:
            body = json.loads(f.read().split("\n", 1)[1])
        body["format_version"] = 4
        text = json.dumps(body, separators=(",", ":"))
        with open(rec, "w", encoding="utf-8") as f:
            f.write("%08x\n%s\n" % (wire.crc32c(text.encode()), text))
        mw = os.path.join(data, "maintenance.json")
        with open(mw, encoding="utf-8") as f:
            m = json.load(f)
        m["version"] = 5
        with open(mw, "w", encoding="utf-8") as f:
            json.dump(m, f)
        with open(mw, "rb") as f:
            mw_bytes = f.read()
        self.start_collector(agents=("upgrade",), data_dir=data, tls=False,
                             root_extra="""
alerts: {
  retry: { first = "1h"; max = "1h"; give_up_after = "168h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
};""" % free_port())
        log = self.procs[-1].output()
        self.assertIn("%s: version 4 is newer than this facmon (2); left in "
                      "the outbox, not sent" % rec, log)
        self.assertIn("%s: version 5 is newer than this facmon (1); the "
                      "web's maintenance windows are not loaded" % mw, log)
        ids = [d["id"] for d in http_json(
            self.api + "/api/v1/alerts/outbox")["deliveries"]]
        self.assertNotIn(os.path.basename(rec)[:-5], ids)
        self.assertEqual(len(ids), 1)
        self.assertTrue(os.path.exists(rec))
        self.assertEqual([w for w in http_json(
            self.api + "/api/v1/maintenance")["windows"]
            if w["source"] == "api"], [])
        with open(mw, "rb") as f:
            self.assertEqual(f.read(), mw_bytes)
        conf = self.write("report.conf", AVAIL % oj)
        p = subprocess.run([REPORT, "-n", "-f", conf, "--maintenance", mw],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("%s: version 5 is newer than this facmon (1)" % mw,
                      p.stdout + p.stderr)
        # The agent's spool: frames of version 3 are not cut as torn.
        sp = glob.glob(os.path.join(spool, "*.spool"))[0]
        with open(sp, "r+b") as f:
            f.seek(2)
            f.write(b"\x03")
        before = os.path.getsize(sp)
        aconf = self.write("a.conf", """
agent: { id = "upgrade"; collector = "127.0.0.1:%d"; tls = false;
  spool_dir = "%s"; };
devices = ( );
""" % (free_port(), spool))
        p = subprocess.run([os.path.join(BUILD, "facmon-agent"), "-d",
                            "-f", aconf], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("%s: version 3 is newer than this facmon (1)" % sp,
                      p.stdout + p.stderr)
        self.assertEqual(os.path.getsize(sp), before)


class OldPeers(FacmonTestCase):
    """The protocol level in HELLO and WELCOME with peers of the
    previous release (level 1), played from Python exactly as that
    release's wire.c decodes: no field it does not know, no byte after
    the last one it reads."""

    def test_old_agent_current_collector(self):
        self.start_collector(tls=False)
        sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=5)
        self.addCleanup(sk.close)
        sk.sendall(wire.hello("test", 11))            # capabilities ""
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.WELCOME)
        self.assertEqual(len(p), 17)                  # the old WELCOME
        status, last, _ = struct.unpack(">BQQ", p)
        self.assertEqual((status, last), (0, 0))
        sk.sendall(wire.devices([("d", "d", "pc", "g", "127.0.0.1",
                                  [("c", wire.CT_TCP, 1000)])]))
        now = int(time.time() * 1000)
        sk.sendall(wire.batch(11, 1, [wire.result("d", "c", wire.CT_TCP, 0,
                                                  now)]))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ACK)
        self.assertEqual(struct.unpack(">QQ", p), (11, 1))
        wait_for(lambda: "protocol level 1," in self.procs[0].output(),
                 timeout=10, what="the level in the collector's log")
        # An agent of the previous release (level 2), one of this
        # release and one of a later release that knows more words: each
        # is told the collector's level.
        for caps, level in (("proto=2", 3), ("proto=3", 3),
                            ("x=1 proto=5 y", 3)):
            s2 = socket.create_connection(("127.0.0.1", self.agent_port),
                                          timeout=5)
            self.addCleanup(s2.close)
            s2.sendall(wire.hello("test", 12, auth=caps))
            ftype, p = wire.read_frame(s2)
            self.assertEqual(ftype, wire.WELCOME)
            self.assertEqual(len(p), 19)
            self.assertEqual(struct.unpack(">H", p[17:])[0], level)
            s2.close()

    def test_valmeta_only_at_level_3(self):
        """VALMETA is a level-3 message: from an agent that announced
        level 2 it is a protocol error; from one of level 3 a malformed
        one is refused and counted while the connection and its batches
        go on, and a good one gives the API its words."""
        self.start_collector(tls=False)
        devs = wire.devices([("d", "d", "pc", "g", "127.0.0.1",
                              [("c", wire.CT_SNMP, 1000)])])
        meta = wire.valmeta("d", "c", [("ifOperStatus", "", 1.0,
                                        "1:up,2:down", 0)],
                            [("GigabitEthernet0/0/1", "上联", 1)],
                            [("ge1.ifOperStatus", 0, 0)])
        s2 = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=5)
        self.addCleanup(s2.close)
        s2.sendall(wire.hello("test", 21, auth="proto=2"))
        self.assertEqual(wire.read_frame(s2)[0], wire.WELCOME)
        s2.sendall(devs + meta)
        ftype, p = wire.read_frame(s2)
        self.assertEqual(ftype, wire.ERROR)
        self.assertIn(b"level 3", p)
        s2.close()

        sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=5)
        self.addCleanup(sk.close)
        sk.sendall(wire.hello("test", 22, auth="proto=3"))
        ftype, p = wire.read_frame(sk)
        self.assertEqual((ftype, struct.unpack(">H", p[17:])[0]),
                         (wire.WELCOME, 3))
        bad = wire.valmeta("d", "c", [], [], [("x", 0, wire.VM_NONE)])
        now = int(time.time() * 1000)
        sk.sendall(devs + bad + wire.batch(22, 1, [wire.result(
            "d", "c", wire.CT_SNMP, 0, now,
            [("ge1.ifOperStatus", wire.VK_GAUGE, 2.0)])]))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ACK)
        self.assertEqual(struct.unpack(">QQ", p), (22, 1))
        sk.sendall(meta + wire.batch(22, 2, [wire.result(
            "d", "c", wire.CT_SNMP, 0, now + 1,
            [("ge1.ifOperStatus", wire.VK_GAUGE, 2.0)])]))
        ftype, p = wire.read_frame(sk)
        self.assertEqual((ftype, struct.unpack(">QQ", p)), (wire.ACK,
                                                            (22, 2)))
        v = self.check("d", "c")["values"]["ge1.ifOperStatus"]
        self.assertEqual((v["value"], v["text"], v["label"], v["alias"],
                          v["important"], v["column"]),
                         (2, "down", "GigabitEthernet0/0/1", "上联", True,
                          "ifOperStatus"))
        st = http_json(self.api + "/api/v1/stats")["ingest"]
        self.assertEqual((st["valmeta_rejected"], st["valmeta_msgs"]),
                         (1, 1))
        self.assertIn("values' description refused",
                      self.procs[0].output())

    def strict_collector(self, level, enough):
        """A collector of an earlier release, in a thread: it decodes the
        HELLO as four fields and nothing after them, answers the WELCOME
        of its level (17 bytes at level 1, 19 with its level at 2),
        closes the connection on any message type above 7 (its last) and
        acknowledges batches until enough(seen) holds.  Returns the port,
        what it saw and the thread."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        self.addCleanup(srv.close)
        seen = {"hello": None, "acked": 0, "types": set(), "error": None,
                "snmp_values": 0}

        def serve():
            try:
                c, _ = srv.accept()
                c.settimeout(30)
                ftype, p = wire.read_frame(c)
                assert ftype == wire.HELLO, ftype
                agent, off = wire._str(p, 0)
                version, off = wire._str(p, off + 8)
                caps, off = wire._str(p, off)
                assert off == len(p), "trailing bytes in HELLO"
                seen["hello"] = (agent, version, caps)
                welcome = struct.pack(">BQQ", 0, 0, 0)
                if level >= 2:
                    welcome += struct.pack(">H", level)
                c.sendall(wire.frame(wire.WELCOME, welcome))
                while not enough(seen):
                    got = wire.read_frame(c)
                    if got is None:
                        break
                    ftype, p = got
                    assert 1 <= ftype <= 7, ftype
                    seen["types"].add(ftype)
                    if ftype == wire.BATCH:
                        s, q, res = wire.parse_batch(p)
                        for r in res:
                            if r["check"] == "snmp" and r["values"]:
                                seen["snmp_values"] += 1
                        c.sendall(wire.frame(wire.ACK,
                                             struct.pack(">QQ", s, q)))
                        seen["acked"] += 1
                c.close()
            except Exception as e:              # reported by the test
                seen["error"] = repr(e)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        return srv.getsockname()[1], seen, t

    def test_current_agent_level2_collector(self):
        """A collector of the previous release (level 2).  The agent,
        whose SNMP check would describe its values to a level-3
        collector, sends no VALMETA and delivers."""
        self.start_snmpsim({"ups": os.path.join(ROOT, "tests", "data",
                                                "snmprec",
                                                "ups-battery.snmprec")})
        port, seen, t = self.strict_collector(
            2, lambda x: x["acked"] >= 3 and x["snmp_values"] >= 2)
        self.tls = False
        self.start_agent("""
{ id = "ups1"; name = "UPS"; address = "127.0.0.1";
  template = "ups-rfc1628"; params = { interval = 1; timeout = 0.8; }; }
""", collector='"127.0.0.1:%d"' % port,
            top='defaults = { snmp = { community = "ups"; port = %d; }; };'
            % self.snmpsim_port)
        t.join(60)
        self.assertIsNone(seen["error"])
        self.assertEqual(seen["hello"][2], "proto=3")
        self.assertGreaterEqual(seen["acked"], 3)
        self.assertGreaterEqual(seen["snmp_values"], 2)
        self.assertNotIn(wire.VALMETA, seen["types"])
        log = self.procs[-1].output()
        self.assertIn("connected to collector 127.0.0.1:%d (protocol level "
                      "2," % port, log)
        self.assertNotIn("collector sent an error", log)

    def test_current_agent_old_collector(self):
        """A collector of the first release (level 1).  The agent speaks
        level 1 and delivers."""
        port, seen, t = self.strict_collector(1, lambda x: x["acked"] >= 3)
        self.tls = False
        port_http, base = self.start_httpd()
        self.start_agent("""
{ id = "web"; name = "web"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/ok"; } ); }
""" % port_http, collector='"127.0.0.1:%d"' % port)
        t.join(30)
        self.assertIsNone(seen["error"])
        self.assertEqual(seen["acked"], 3)
        self.assertEqual(seen["hello"][0], "test")
        self.assertEqual(seen["hello"][2], "proto=3")
        self.assertIn(wire.DEVICES, seen["types"])
        log = self.procs[-1].output()
        self.assertIn("connected to collector 127.0.0.1:%d (protocol level "
                      "1," % port, log)
