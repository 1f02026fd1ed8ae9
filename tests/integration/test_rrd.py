# RRD storage (docs/rrd.md): write-behind, the flush before a read and at
# shutdown, the journal re-applying held values after kill -9, the series
# limits and rrdcached mode, read back with the real rrdtool.

import email
import email.policy
import math
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ledger  # noqa: E402
import wire  # noqa: E402
from fmtest import (COLLECTOR, FacmonTestCase, Proc, http_json,  # noqa: E402
                    http_status, rrd_fetch, wait_for)

RRDCACHED = "/usr/bin/rrdcached"
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
DAY = 86400
# Held for an hour: within a test nothing is written unless flushed.
HOLD = ("full_resolution_days = 1; five_minute_days = 0; hourly_days = 0; "
        "write_interval = \"1h\"; write_jitter = 0;")
SERIES = ("up", "duration_ms", "rtt_ms")


class RotatingAgent(ledger.SynthAgent):
    """A device answering new row indices in every result, as a hostile
    SNMP table would: 'per' values named if.<n>, n never repeating."""

    per = 5

    def _cut(self, n):
        rs, self.queue = self.queue[:n], self.queue[n:]
        seq = self.next_seq
        self.next_seq += 1
        self.batches[seq] = rs
        res = []
        for d, c, ts, o in rs:
            k = ts // 1000 - self.t0 // 1000
            res.append(wire.result(d, c, wire.CT_TCP, o, ts, [
                ("if.%d" % (k * self.per + j), wire.VK_GAUGE, float(j))
                for j in range(self.per)]))
        self.frames[seq] = wire.batch(self.session, seq, res)


class Rrd(FacmonTestCase):
    def start_collector(self, *a, **kw):
        # The synthetic agent speaks the protocol over plain TCP.
        kw.setdefault("tls", False)
        kw.setdefault("rrd", HOLD)
        return super().start_collector(*a, **kw)

    def restart_collector(self, days_later=0):
        """The collector again; days_later runs it under libfaketime with
        its clocks that many days ahead (nothing sleeps for days)."""
        env = None
        if days_later:
            if not os.path.exists(FAKETIME):
                self.skipTest("libfaketime not installed (make deps)")
            # NO_FAKE_STAT: files keep the times they were written at
            # (libfaketime would otherwise shift them with the clock),
            # so that they have aged by days_later.
            env = dict(os.environ, LD_PRELOAD=FAKETIME,
                       FAKETIME="+%dd" % days_later, NO_FAKE_STAT="1")
        p = Proc([COLLECTOR, "-d", "-f",
                  os.path.join(self.tmp, "collector.conf")],
                 os.path.join(self.tmp, "collector.log"), env=env)
        self.procs.append(p)
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=30,
                 what="collector restarted")
        return p

    def rrd(self):
        return http_json(self.api + "/api/v1/stats")["rrd"]

    def path(self, d, c, s):
        return os.path.join(self.data_dir, "rrd", d, c, s + ".rrd")

    def agent(self, n, ndev=1, nchk=2, cls=ledger.SynthAgent):
        """n results (one a second per check, in the last minutes) sent
        and acknowledged; returns the agent."""
        a = cls(self.agent_port, ndev=ndev, nchk=nchk, batch=20,
                t0_ms=(int(time.time()) - 900) * 1000)
        a.produce(n)
        a.flush()
        a.pump(until_acked=True)
        self.addCleanup(a.close)
        return a

    def expected(self, a):
        """{(device, check): {second: up value}} of the results sent."""
        out = {}
        for d, c, ts, o in a.produced:
            out.setdefault((d, c), {})[ts // 1000] = 1.0 if o == 0 else 0.0
        return out

    def assert_all_written(self, a, series=SERIES):
        """Every result of the agent in RRD: up as the outcome said, and
        the other series known at the same seconds."""
        for (d, c), want in self.expected(a).items():
            lo, hi = min(want), max(want)
            for s in series:
                rows = dict(rrd_fetch(self.path(d, c, s), lo - 1, hi))
                have = {t: rows.get(t) for t in want}
                missing = [t for t, v in have.items() if v is None]
                self.assertEqual(missing, [], "%s/%s/%s: %d of %d seconds "
                                 "missing" % (d, c, s, len(missing),
                                              len(want)))
                if s == "up":
                    self.assertEqual(have, want, "%s/%s up" % (d, c))

    def wait_held(self, n):
        wait_for(lambda: self.rrd()["held"] == n and
                 self.rrd()["queue_len"] == 0, timeout=60,
                 what="%d values held (%r)" % (n, self.rrd()))

    # --- write-behind ------------------------------------------------------

    def test_held_values_are_written_at_shutdown_in_few_calls(self):
        """Nothing is written while held; SIGTERM writes every value, one
        rrd_update call per file (fewer than 256 values each)."""
        self.start_collector()
        a = self.agent(200)
        self.wait_held(200 * 3)
        st = self.rrd()
        self.assertEqual(st["written"], 0)
        self.assertEqual(st["files_created"], 0)
        self.assertEqual(st["held_files"], 2 * 3)
        self.assertFalse(os.path.exists(self.path("sd0", "c0", "up")))
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertIn("writing the RRD values held", self.procs[-1].output())
        self.assert_all_written(a)
        # The counters of the run are gone with it; the files tell: one
        # update per file means rrdtool's last update is the last second.
        for (d, c), want in self.expected(a).items():
            out = subprocess.run(["rrdtool", "lastupdate",
                                  self.path(d, c, "up")], check=True,
                                 capture_output=True, text=True).stdout
            self.assertIn("%d:" % max(want), out)

    def test_write_interval_writes_by_itself(self):
        """With a short interval the held values reach the files without
        any read or stop, each file in one call."""
        self.start_collector(rrd="full_resolution_days = 1; "
                             "five_minute_days = 0; hourly_days = 0; "
                             "write_interval = 2; write_jitter = 1;")
        a = self.agent(100)
        wait_for(lambda: self.rrd()["written"] == 300 and
                 self.rrd()["held"] == 0, timeout=60,
                 what="values written by the interval")
        st = self.rrd()
        self.assertEqual(st["files_created"], 6)
        # 100 results in batches of 20 over the agent's pump: however the
        # writer's rounds fall, a file never takes more calls than it
        # was given batches, and batching makes it far fewer than values.
        self.assertLessEqual(st["update_calls"], 6 * 5)
        self.assertEqual(st["rejected"], 0)
        self.assert_all_written(a)

    def test_api_read_flushes_the_file(self):
        """/api/v1/rrd of a held series shows its latest value: the
        writer writes that file first, and only that file."""
        self.start_collector()
        a = self.agent(120)
        self.wait_held(120 * 3)
        want = self.expected(a)[("sd0", "c0")]
        # Held, no file yet: the device page's list has the series all
        # the same, or its graphs would say "no data" for write_interval.
        self.assertFalse(os.path.exists(self.path("sd0", "c0", "up")))
        lst = http_json(self.api + "/api/v1/series/sd0")["series"]
        self.assertEqual(sorted(lst["c0"]), sorted(SERIES))
        q = urllib.parse.urlencode({"device": "sd0", "check": "c0",
                                    "series": "up", "period": "hour"})
        r = http_json(self.api + "/api/v1/rrd?" + q)
        pts = {p[0] // 1000: p[1] for p in r["points"]}
        last = max(want)
        # The API's points are per its step: the latest step holding the
        # last second has a value, the average of the seconds in it.
        step = r["step_ms"] // 1000
        end = ((last + step - 1) // step) * step
        self.assertIn(end, pts)
        self.assertIsNotNone(pts[end])
        got = [v for t, v in pts.items() if v is not None]
        self.assertGreater(len(got), 0)
        st = self.rrd()
        self.assertEqual(st["read_flushes"], 1)
        self.assertEqual(st["written"], len(want))
        # The other files are still held.
        self.assertEqual(st["held"], 120 * 3 - len(want))
        self.assertFalse(os.path.exists(self.path("sd0", "c1", "up")))
        rows = dict(rrd_fetch(self.path("sd0", "c0", "up"), min(want) - 1,
                              last))
        self.assertEqual({t: rows.get(t) for t in want}, want)
        # A series that does not exist is still a 404.
        q = urllib.parse.urlencode({"device": "sd0", "check": "c0",
                                    "series": "nope"})
        with self.assertRaises(Exception) as cm:
            http_json(self.api + "/api/v1/rrd?" + q)
        self.assertIn("404", str(cm.exception))
        # A range picked or zoomed into on the page: from and to in ms.
        to_ms = (last + 60) * 1000
        q = urllib.parse.urlencode({"device": "sd0", "check": "c0",
                                    "series": "up", "from": to_ms - 1800000,
                                    "to": to_ms})
        r = http_json(self.api + "/api/v1/rrd?" + q)
        self.assertEqual(r["period"], "range")
        self.assertTrue(all(to_ms - 1800000 <= p[0] <= to_ms + r["step_ms"]
                            for p in r["points"]), r["points"][:3])
        self.assertTrue(any(p[1] is not None for p in r["points"]))
        for bad in ({"from": to_ms, "to": to_ms - 3600000},
                    {"from": to_ms - 3600000},
                    {"from": "x", "to": to_ms},
                    {"from": 0, "to": 400 * 86400000}):
            bad.update({"device": "sd0", "check": "c0", "series": "up"})
            st = http_status(self.api + "/api/v1/rrd?" +
                             urllib.parse.urlencode(bad))[0]
            self.assertEqual(st, 400, bad)

    def test_kill9_with_values_held_loses_nothing(self):
        """kill -9 while every value is held: the restart re-applies them
        from the journal, by each file's last update."""
        self.start_collector()
        a = self.agent(160)
        self.wait_held(160 * 3)
        # Half of them already written for one file, through a read.
        q = urllib.parse.urlencode({"device": "sd0", "check": "c1",
                                    "series": "up"})
        http_json(self.api + "/api/v1/rrd?" + q)
        self.assertEqual(self.rrd()["written"], 80)
        self.procs[-1].kill()
        self.assertFalse(os.path.exists(self.path("sd0", "c0", "up")))
        self.restart_collector()
        # Everything is offered again; what the file has is skipped.
        self.wait_held(160 * 3 - 80)
        st = self.rrd()
        self.assertEqual(st["series"], 6)
        self.assertEqual((st["written"], st["replay_skipped"]), (0, 80))
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assert_all_written(a)

    def test_same_second_and_older_values_are_dropped_not_failed(self):
        """RRD refuses a second twice: of the values held for one file,
        one per second is written, the others counted as rejected, and
        no update fails (one refused value would fail the whole call)."""
        self.start_collector()
        a = ledger.SynthAgent(self.agent_port, ndev=1, nchk=1, batch=4,
                              t0_ms=(int(time.time()) - 600) * 1000)
        self.addCleanup(a.close)
        t0 = a.t0
        # Two in one second, a later one, then one between them that
        # comes last but is older than the latest: held together, sorted,
        # it is written in order.
        a.queue = [("sd0", "c0", t0, 0), ("sd0", "c0", t0 + 500, 0),
                   ("sd0", "c0", t0 + 3000, 0), ("sd0", "c0", t0 + 2000, 1)]
        a.produced = list(a.queue)
        a.flush()
        a.pump(until_acked=True)
        self.wait_held(4 * 3)
        q = urllib.parse.urlencode({"device": "sd0", "check": "c0",
                                    "series": "up"})
        http_json(self.api + "/api/v1/rrd?" + q)
        st = self.rrd()
        self.assertEqual((st["written"], st["rejected"], st["errors"]),
                         (3, 1, 0))
        rows = dict(rrd_fetch(self.path("sd0", "c0", "up"), t0 // 1000 - 1,
                              t0 // 1000 + 3))
        s0 = t0 // 1000
        self.assertEqual(rows.get(s0), 1.0)
        self.assertEqual(rows.get(s0 + 2), 0.0)
        self.assertEqual(rows.get(s0 + 3), 1.0)
        self.assertEqual(self.procs[-1].stop(), 0)
        rows = dict(rrd_fetch(self.path("sd0", "c0", "rtt_ms"), s0 - 1,
                              s0 + 3))
        self.assertIn(rows.get(s0), (1.0, 501.0))

    # --- limits ------------------------------------------------------------

    def test_series_per_check_limit_refuses_and_counts(self):
        """A device answering rotating row indices stops at the limit:
        the files stay at the limit, the rest is refused and counted,
        logged once per ten seconds, and state still counts every
        result."""
        self.start_collector(rrd=HOLD + " max_series_per_check = 12;")
        a = self.agent(40, nchk=1, cls=RotatingAgent)
        # 40 results of up + duration_ms + 5 new rows each: 280 values.
        wait_for(lambda: self.rrd()["held"] + self.rrd()["values_refused"]
                 == 280, timeout=60, what="values held or refused")
        st = self.rrd()
        self.assertEqual(st["series"], 12)
        self.assertEqual(st["held_files"], 12)
        self.assertEqual(st["values_refused"], 280 - st["held"])
        # up, duration_ms and two results' five rows: 12 files.
        self.assertEqual(st["held"], 40 * 2 + 10)
        dev = http_json(self.api + "/api/v1/devices/sd0")
        self.assertEqual(dev["checks"][0]["results"]["total"], 40)
        # The operator's event, raised as often as the log line.
        wait_for(lambda: "rrd-limit" in [
            e["kind"] for e in http_json(self.api + "/api/v1/events")],
            timeout=30, what="the rrd-limit event")
        ev = [e for e in http_json(self.api + "/api/v1/events")
              if e["kind"] == "rrd-limit"]
        self.assertLess(len(ev), 10)
        self.assertIn("rrd.max_series_per_check is 12", ev[0]["message"])
        self.assertIn("sd0/c0/if.", ev[0]["message"])
        self.assertIn("曲线图存储达到上限（每个检查项的曲线数：12）：未创建新"
                      "曲线 sd0/c0/if.", ev[0]["text"])
        self.assertEqual(self.procs[-1].stop(), 0)
        log = self.procs[-1].output()
        # Logged once per ten seconds, not once per value refused.
        lines = log.count("refused: rrd.max_series_per_check")
        self.assertGreaterEqual(lines, 1)
        self.assertLess(lines, 10)
        files = os.listdir(os.path.join(self.data_dir, "rrd", "sd0", "c0"))
        self.assertEqual(len(files), 12)
        del a

    def test_limits_count_files_already_on_disk(self):
        """After a restart the files on disk count against the device
        limit and the byte budget."""
        self.start_collector(rrd=HOLD + " max_series_per_device = 7;")
        self.agent(20, nchk=1, cls=RotatingAgent)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertEqual(len(os.listdir(os.path.join(
            self.data_dir, "rrd", "sd0", "c0"))), 7)
        # A budget of about one more file of this layout (one day of
        # one-second rows: 86,400 × 8 bytes plus the header).
        size = sum(os.path.getsize(os.path.join(self.data_dir, "rrd", "sd0",
                                                "c0", f))
                   for f in os.listdir(os.path.join(self.data_dir, "rrd",
                                                    "sd0", "c0")))
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace("max_series_per_device = 7;",
                                 "max_bytes = %d;" % (size + 700000)))
        self.restart_collector()
        # The replay offers the refused series again: one more fits.
        wait_for(lambda: self.rrd()["series"] == 8 and
                 self.rrd()["values_refused"] > 0, timeout=60,
                 what="the budget reached")
        st = self.rrd()
        self.assertGreater(st["bytes"], size)
        self.assertLessEqual(st["bytes"], size + 700000)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertIn("refused: rrd.max_bytes", self.procs[-1].output())
        self.assertEqual(len(os.listdir(os.path.join(
            self.data_dir, "rrd", "sd0", "c0"))), 8)

    # --- retirement ------------------------------------------------------

    def tree(self, *sub):
        """{relative path: size} of the .rrd files under data_dir/sub."""
        root = os.path.join(self.data_dir, *sub)
        out = {}
        for d, _dirs, files in os.walk(root):
            for f in files:
                if f.endswith(".rrd"):
                    p = os.path.join(d, f)
                    out[os.path.relpath(p, root)] = os.path.getsize(p)
        return out

    def rotate_at(self, t0, n):
        """A rotating device's n results at t0 (seconds), acknowledged."""
        a = RotatingAgent(self.agent_port, ndev=1, nchk=1, batch=20,
                          t0_ms=t0 * 1000)
        a.produce(n)
        a.flush()
        a.pump(until_acked=True)
        a.close()
        return a

    def test_rotating_rows_are_retired_then_removed(self):
        """A device whose table rows rotate fills its check's limit;
        30 days without an update later its series are moved to the
        retired tree (freeing the limit for the rows it answers now,
        and the journal's replay does not bring them back), and 30 days
        after that they are removed: the tree stays bounded."""
        self.start_collector(rrd=HOLD + " max_series_per_check = 12;")
        now = int(time.time())
        self.rotate_at(now - 900, 40)
        self.assertEqual(self.procs[-1].stop(), 0)
        first = self.tree("rrd")
        self.assertEqual(len(first), 12)
        self.assertEqual(self.tree("retired", "rrd"), {})

        # 31 days on: the walk at start retires every file.
        self.restart_collector(days_later=31)
        wait_for(lambda: self.rrd()["retired"] == 12, timeout=60,
                 what="12 series retired (%r)" % self.rrd())
        st = self.rrd()
        self.assertEqual(st["series"], 0)
        self.assertEqual(st["bytes"], 0)
        self.assertEqual(st["retired_files"], 12)
        self.assertEqual(self.tree("retired", "rrd"), first)
        # No empty directories left behind for the rows that went.
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "rrd",
                                                     "sd0")))
        ev = [e for e in http_json(self.api + "/api/v1/events")
              if e["kind"] == "rrd-retired"]
        self.assertEqual(len(ev), 1)
        self.assertIn("12 series not updated for 30 days moved to",
                      ev[0]["message"])
        # The device answers new rows now: the limit has room again.
        self.rotate_at(now + 31 * DAY - 900, 40)
        wait_for(lambda: self.rrd()["held"] + self.rrd()["values_refused"]
                 == 280, timeout=60, what="the new results taken in")
        st = self.rrd()
        self.assertEqual(st["series"], 12)
        self.assertEqual(st["held"], 40 * 2 + 10)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertEqual(len(self.tree("rrd")), 12)
        # The retired copies are the old values, the live files the new.
        p = os.path.join(self.data_dir, "retired", "rrd", "sd0", "c0",
                         "up.rrd")
        last = subprocess.run(["rrdtool", "last", p], check=True,
                              capture_output=True, text=True).stdout
        self.assertLess(int(last), now + DAY)
        last = subprocess.run(["rrdtool", "last", self.path("sd0", "c0",
                                                            "up")],
                              check=True, capture_output=True,
                              text=True).stdout
        self.assertGreater(int(last), now + 30 * DAY)

        # 62 days on: the first retired files are removed, the second
        # rows retired in their place.
        self.restart_collector(days_later=62)
        wait_for(lambda: self.rrd()["retired"] == 12 and
                 self.rrd()["retired_removed"] == 12, timeout=60,
                 what="retired and removed (%r)" % self.rrd())
        self.assertEqual(self.tree("rrd"), {})
        self.assertEqual(len(self.tree("retired", "rrd")), 12)
        last = subprocess.run(["rrdtool", "last", p], check=True,
                              capture_output=True, text=True).stdout
        self.assertGreater(int(last), now + 30 * DAY)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertIn("12 retired files older than 30 days removed",
                      self.procs[-1].output())

    def test_recent_series_are_not_retired(self):
        """Files updated within rrd.retire_after_days stay, and 0 turns
        retirement off."""
        self.start_collector(rrd=HOLD + " retire_after_days = 40;")
        self.agent(20, nchk=1)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertEqual(len(self.tree("rrd")), 3)
        self.restart_collector(days_later=31)
        wait_for(lambda: self.rrd()["series"] == 3, timeout=30,
                 what="the files counted")
        self.assertEqual(self.rrd()["retired"], 0)
        self.assertEqual(self.procs[-1].stop(), 0)
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace("retire_after_days = 40;",
                                 "retire_after_days = 0;"))
        self.restart_collector(days_later=400)
        wait_for(lambda: self.rrd()["series"] == 3, timeout=30,
                 what="the files counted")
        self.assertEqual(self.rrd()["retired"], 0)
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertEqual(len(self.tree("rrd")), 3)

    def test_config_check_knows_the_new_keys(self):
        """facmon-collector -n accepts the keys and says what is wrong."""
        def check(rrd):
            conf = self.write("c.conf", 'collector: { listen = '
                              '[ "127.0.0.1:1" ]; data_dir = "%s"; '
                              'rrd: { %s }; agents = ( { id = "a"; } ); };'
                              % (self.tmp, rrd))
            return subprocess.run([COLLECTOR, "-n", "-f", conf],
                                  capture_output=True, text=True)
        r = check('write_interval = "5m"; write_jitter = "1m"; hold = 100000;'
                  ' max_series_per_check = 100; max_series_per_device = 1000;'
                  ' max_bytes = 1000000000; daemon = "unix:/run/r.sock";'
                  ' retire_after_days = 90; retired_keep_days = 0;')
        self.assertEqual(r.returncode, 0, r.stderr)
        r = check('full_resolution_days = 0.05;')
        self.assertEqual(r.returncode, 0, r.stderr)
        r = check('full_resolution_days = 0.001;')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("full_resolution_days", r.stderr)
        r = check('retire_after_days = -1;')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("retire_after_days", r.stderr)
        r = check('write_interval = "1m"; write_jitter = "2m";')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'write_jitter' must not exceed", r.stderr)
        r = check('write_interval = "2h";')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("write_interval", r.stderr)
        r = check('daemon = "unix:relative";')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'daemon' must be", r.stderr)
        r = check('max_series_per_check = 0;')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("max_series_per_check", r.stderr)

    def test_default_retention_fits_a_megabyte(self):
        """The default layout: a 10 s series at most 1 MiB, keeping two
        days at 10 s, 30 days at 5 minutes and 400 days hourly."""
        self.start_collector(rrd="")
        a = ledger.SynthAgent(self.agent_port, ndev=1, nchk=1, batch=5,
                              t0_ms=(int(time.time()) - 100) * 1000)
        a.checks = [("sd0", "c0")]
        a.devices_frame = lambda: wire.devices(
            [("sd0", "sd0", "pc", "synth", "", [("c0", wire.CT_TCP,
                                                  10000)])])
        a.produce(5)
        a.pump(until_acked=True)
        self.addCleanup(a.close)
        self.assertEqual(self.procs[-1].stop(), 0)
        p = self.path("sd0", "c0", "up")
        self.assertLessEqual(os.path.getsize(p), 1 << 20)
        info = subprocess.run(["rrdtool", "info", p], check=True,
                              capture_output=True, text=True).stdout
        kv = dict(line.split(" = ", 1) for line in info.splitlines()
                  if " = " in line)
        self.assertEqual(kv["step"], "10")
        kept = {}
        for i in range(7):
            if "rra[%d].rows" % i not in kv:
                break
            secs = (int(kv["rra[%d].rows" % i]) *
                    int(kv["rra[%d].pdp_per_row" % i]) * 10)
            span = int(kv["rra[%d].pdp_per_row" % i]) * 10
            cf = kv["rra[%d].cf" % i].strip('"')
            kept[(span, cf)] = secs
        self.assertGreaterEqual(kept[(10, "AVERAGE")], 2 * 86400)
        for cf in ("AVERAGE", "MIN", "MAX"):
            self.assertGreaterEqual(kept[(300, cf)], 30 * 86400)
            self.assertGreaterEqual(kept[(3600, cf)], 400 * 86400)

    def test_rrd_migrate_rewrites_old_layout_keeping_data(self):
        """facmon-collector rrd-migrate: a file of the old default layout
        (40 days at 10 s, 400 days of 5-minute and 5 years of hourly
        rows) becomes the new one, at most 1 MiB, with its values."""
        d = os.path.join(self.tmp, "data", "rrd", "sw1", "ping")
        os.makedirs(d)
        old = os.path.join(d, "rtt_ms.rrd")
        now = int(time.time())
        start = now - 3600
        subprocess.run(["rrdtool", "create", old, "-b", str(start), "-s",
                        "10", "DS:value:GAUGE:30:U:U",
                        "RRA:AVERAGE:0.5:1:345600"] +
                       ["RRA:%s:0.5:30:115200" % cf
                        for cf in ("AVERAGE", "MIN", "MAX")] +
                       ["RRA:%s:0.5:360:43920" % cf
                        for cf in ("AVERAGE", "MIN", "MAX")], check=True)
        subprocess.run(["rrdtool", "update", old] +
                       ["%d:%d" % (start + 10 * i, i) for i in
                        range(1, 301)], check=True)
        self.assertGreater(os.path.getsize(old), 6 << 20)
        conf = self.write("m.conf", 'collector: { listen = [ "127.0.0.1:1" '
                          ']; data_dir = "%s"; agents = ( ); };'
                          % os.path.join(self.tmp, "data"))
        r = subprocess.run([COLLECTOR, "-f", conf, "rrd-migrate"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 files rewritten, 0 already", r.stdout)
        self.assertLessEqual(os.path.getsize(old), 1 << 20)
        info = subprocess.run(["rrdtool", "info", old], check=True,
                              capture_output=True, text=True).stdout
        self.assertIn("rra[0].rows = 17280", info)
        self.assertIn("rra[1].rows = 8640", info)
        self.assertIn("rra[4].rows = 9600", info)
        last = subprocess.run(["rrdtool", "lastupdate", old], check=True,
                              capture_output=True, text=True).stdout
        self.assertIn("%d: 300" % (start + 3000), last)
        # Every step of the 50 minutes still has its value (RRD spreads
        # a value over the steps it overlaps: within 1 of the original).
        rows = rrd_fetch(old, start + 10, start + 3000)
        vals = {t: v for t, v in rows if start + 20 <= t <= start + 2990}
        self.assertGreaterEqual(len(vals), 296)
        for t, v in vals.items():
            self.assertIsNotNone(v, t)
            self.assertLessEqual(abs(v - (t - start) / 10.0), 1.0)
        # A second run has nothing to do.
        r = subprocess.run([COLLECTOR, "-f", conf, "rrd-migrate"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 files rewritten, 1 already", r.stdout)

    # --- rrdcached ---------------------------------------------------------

    def start_rrdcached(self):
        if not os.path.exists(RRDCACHED):
            self.skipTest("rrdcached not installed (make deps)")
        sock = os.path.join(self.tmp, "rrdcached.sock")
        # It keeps what it is given for an hour: only a FLUSH writes.
        self.start([RRDCACHED, "-g", "-l", "unix:" + sock, "-w", "3600",
                    "-f", "7200", "-p", os.path.join(self.tmp, "rrdcached.pid")],
                   "rrdcached")
        wait_for(lambda: os.path.exists(sock), timeout=20, what="rrdcached")
        return sock

    def test_rrdcached_mode_writes_through_the_daemon(self):
        """rrd.daemon: files are created and updated by rrdcached; a read
        through the API flushes the daemon's copy of that file."""
        sock = self.start_rrdcached()
        self.start_collector(rrd="full_resolution_days = 1; "
                             "five_minute_days = 0; hourly_days = 0; "
                             "write_interval = 0; daemon = \"unix:%s\";"
                             % sock)
        self.assertIn("writing through rrdcached", self.procs[-1].output())
        a = self.agent(60)
        wait_for(lambda: self.rrd()["written"] == 180, timeout=60,
                 what="values given to rrdcached")
        want = self.expected(a)[("sd0", "c0")]
        # The daemon created the file, and holds the values.
        p = self.path("sd0", "c0", "up")
        self.assertTrue(os.path.exists(p))
        rows = dict(rrd_fetch(p, min(want) - 1, max(want)))
        self.assertTrue(all(rows.get(t) is None for t in want))
        out = subprocess.run(["rrdtool", "lastupdate", p], check=True,
                             capture_output=True, text=True).stdout
        self.assertNotIn("%d:" % max(want), out)
        # The API's read makes the daemon write that file.
        q = urllib.parse.urlencode({"device": "sd0", "check": "c0",
                                    "series": "up"})
        r = http_json(self.api + "/api/v1/rrd?" + q)
        self.assertTrue(any(v is not None for _t, v in r["points"]))
        rows = dict(rrd_fetch(p, min(want) - 1, max(want)))
        self.assertEqual({t: rows.get(t) for t in want}, want)
        # Read again, with nothing left to flush.
        r2 = http_json(self.api + "/api/v1/rrd?" + q)
        pts = {t // 1000: v for t, v in r2["points"]}
        self.assertEqual(r2["step_ms"], 1000)
        self.assertEqual({t: pts.get(t) for t in want}, want)
        # Another file is still only in the daemon; rrdtool asks it.
        p2 = self.path("sd0", "c1", "rtt_ms")
        rows = rrd_fetch(p2, min(want) - 1, max(want))
        self.assertTrue(all(v is None for _t, v in rows))
        out = subprocess.run(["rrdtool", "fetch", p2, "AVERAGE", "-s",
                              str(min(want) - 1), "-e", str(max(want)),
                              "--daemon", "unix:" + sock], check=True,
                             capture_output=True, text=True).stdout
        vals = [float(line.split(":")[1]) for line in out.splitlines()
                if ":" in line and not math.isnan(float(
                    line.split(":")[1]))]
        self.assertEqual(len(vals), len(want))
        self.assertEqual(self.procs[-1].stop(), 0)

    def test_rrdcached_retirement_flushes_and_forgets_first(self):
        """With rrd.daemon, a series is retired only after the daemon
        wrote what it held for the file (FLUSH) and dropped it (FORGET):
        the retired file has every value, and the daemon never writes
        the old path again."""
        sock = self.start_rrdcached()
        self.start_collector(rrd="full_resolution_days = 1; "
                             "five_minute_days = 0; hourly_days = 0; "
                             "write_interval = 0; daemon = \"unix:%s\";"
                             % sock)
        a = self.agent(60, nchk=1)
        wait_for(lambda: self.rrd()["written"] == 180, timeout=60,
                 what="values given to rrdcached")
        self.assertEqual(self.procs[-1].stop(), 0)
        want = self.expected(a)[("sd0", "c0")]
        p = self.path("sd0", "c0", "up")
        # The daemon still holds the values (it writes after an hour).
        rows = dict(rrd_fetch(p, min(want) - 1, max(want)))
        self.assertTrue(all(rows.get(t) is None for t in want))
        self.restart_collector(days_later=31)
        wait_for(lambda: self.rrd()["retired"] == 3, timeout=60,
                 what="3 series retired (%r)" % self.rrd())
        self.assertFalse(os.path.exists(p))
        r = os.path.join(self.data_dir, "retired", "rrd", "sd0", "c0",
                         "up.rrd")
        rows = dict(rrd_fetch(r, min(want) - 1, max(want)))
        self.assertEqual({t: rows.get(t) for t in want}, want)
        # Forgotten: a flush through the daemon does not bring it back.
        subprocess.run(["rrdtool", "flushcached", "--daemon",
                        "unix:" + sock, p], capture_output=True)
        self.assertFalse(os.path.exists(p))
        self.assertEqual(self.rrd()["errors"], 0)
        self.assertEqual(self.procs[-1].stop(), 0)

    def mail_setup(self, rrd):
        """A collector mailing facmon's RRD health alerts to one address
        (Debian's aiosmtpd); returns the mailbox."""
        box, port = self.start_smtp()
        self.start_collector(rrd=HOLD + rrd, extra="""confirm = 2; };
alerts: {
  timezone = "Asia/Shanghai";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "it"; email = "it@example.org"; } );
  deliver = ( [ "mail" ] );
  rules = ( { name = "storage"; kinds = [ "health" ];
              checks = [ "rrd-limit", "rrd-budget" ];
              recipients = [ "it" ]; } );""" % port)
        return box

    def mailed(self, box, kind):
        """The plain body of the first mail about the event kind."""
        for raw in box.msgs:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            body = m.get_body(preferencelist=("plain",)).get_content()
            if kind in body:
                return body
        return None

    def test_series_limit_event_is_mailed(self):
        """rrd-limit is a facmon health alert: the IT staff get it by
        mail, not only on /api/v1/events."""
        box = self.mail_setup(" max_series_per_check = 6;")
        self.agent(10, nchk=1, cls=RotatingAgent)
        body = wait_for(lambda: self.mailed(box, "rrd-limit"), timeout=30,
                        what="the rrd-limit mail")
        self.assertIn("rrd.max_series_per_check is 6", body)
        self.assertEqual(self.procs[-1].stop(), 0)

    def test_disk_budget_event_is_mailed(self):
        """The disk budget refusing a new series raises rrd-budget, an
        event of its own, mailed as a health alert too."""
        box = self.mail_setup(" max_bytes = 1000;")
        self.agent(5, nchk=1, cls=RotatingAgent)
        body = wait_for(lambda: self.mailed(box, "rrd-budget"), timeout=30,
                        what="the rrd-budget mail")
        self.assertIn("rrd.max_bytes is 1000", body)
        ev = [e["kind"] for e in http_json(self.api + "/api/v1/events")]
        self.assertIn("rrd-budget", ev)
        self.assertNotIn("rrd-limit", ev)
        self.assertEqual(self.procs[-1].stop(), 0)
