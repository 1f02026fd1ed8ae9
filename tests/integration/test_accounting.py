# The accounting harness: what facmon charges, against the test's own
# arithmetic of the documented rules (docs/availability.md) and against
# the time nobody saw.
#
# Scripted: a timeline of results with the test's own timestamps is sent
# over the wire protocol, with the collector stopped, killed and restarted
# at chosen moments; a second computation made here from the same script
# gives every device's up, down and unknown time, every outage's start,
# end and charge, and the API, the command line and facmon-report must
# all say the same.  The cases are the ones an independent check found
# wrong: devices with several checks whose silence was counted as up, an
# outage that went on after a gap and was charged as a blip, and
# confirmation records written again at every restart.
#
# Live: a real agent probing a real service, stopped together with the
# collector, and stopped in the middle of an outage; facmon's unknown and
# down time against the times the test switched things itself.

import datetime
import json
import os
import random
import signal
import unittest
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wire  # noqa: E402
from fmtest import (COLLECTOR, ROOT, FacmonTestCase,  # noqa: E402
                    ServiceTestCase, http_json, wait_for)

REPORT = os.path.join(ROOT, "build", "facmon-report")
CN = datetime.timezone(datetime.timedelta(hours=8))
GAP = 3         # unknown_after
CONFIRM = 3
OK, TIMEOUT = 0, 1
S = 1000


# ---- the test's own arithmetic ---------------------------------------------

def check_timeline(results, interval):
    """[(t, state)] of one check from its results [(ts, up)], by the
    rule: a state holds from its result; a check that said nothing for
    more than GAP intervals is unknown from one interval after its last
    result (and after its very last one, once the collector noticed)."""
    tl = []
    rs = sorted(results)
    for k, (ts, up) in enumerate(rs):
        tl.append((ts, "up" if up else "down"))
        nxt = rs[k + 1][0] if k + 1 < len(rs) else None
        if nxt is None or nxt - ts > GAP * interval:
            tl.append((ts + interval, "unknown"))
    return tl


def device_timeline(checks):
    """checks: {id: (interval, critical, [(ts, up)])} -> [(t, state)]:
    unknown when every check is unknown, down when a critical one is
    down, else up."""
    tls = {c: check_timeline(v[2], v[0]) for c, v in checks.items()}
    times = sorted({t for tl in tls.values() for t, _ in tl})
    out = []
    for t in times:
        states = {}
        for c, tl in tls.items():
            st = "unknown"
            for ts, s in tl:
                if ts <= t:
                    st = s
            states[c] = st
        known = [c for c in states if states[c] != "unknown"]
        if not known:
            s = "unknown"
        elif any(states[c] == "down" and checks[c][1] for c in known):
            s = "down"
        else:
            s = "up"
        if not out or out[-1][1] != s:
            out.append((t, s))
    return out


def outages(tl, down_results):
    """Runs of down joined across unknown, ended by the first up seen
    (end None while open): [start, end, gap, confirmed].  confirmed: CONFIRM failed probes in a row within
    the run (a gap neither counts nor resets)."""
    runs = []
    cur = None
    for k, (t, s) in enumerate(tl):
        if s == "down":
            if cur is None:
                cur = [t, None, 0, False]
                runs.append(cur)
            elif cur[1] is not None:
                cur[2] += t - cur[1]    # the gap inside it
                cur[1] = None
        elif s == "unknown":
            if cur is not None and cur[1] is None:
                cur[1] = t              # not seen since; still open
        else:
            if cur is not None:
                if cur[1] is not None:
                    cur[2] += t - cur[1]    # unseen until now
                cur[1] = t              # over at the first up seen
                cur = None
    if cur is not None:
        cur[1] = None                   # never seen over: open
    for r in runs:
        end = r[1] if r[1] is not None else float("inf")
        r[3] = sum(1 for ts in down_results if r[0] <= ts < end) >= CONFIRM
    return runs


def figures(tl, runs, p0, p1):
    """up, down, unknown ms in [p0, p1), blips read as up."""
    blips = [(r[0], r[1]) for r in runs if not r[3] and r[1] is not None]
    sums = {"up": 0, "down": 0, "unknown": 0}
    pts = [(p0, "unknown")] + [x for x in tl]
    cuts = sorted({p0, p1} | {t for t, _ in tl if p0 < t < p1})
    for a, b in zip(cuts, cuts[1:]):
        st = "unknown"
        for t, s in pts:
            if t <= a:
                st = s
        if st == "down" and any(s0 <= a < e0 for s0, e0 in blips):
            st = "up"
        sums[st] += b - a
    return sums


# ---- the scripted timeline -------------------------------------------------

def script(B):
    """Results of four devices over 70 s from B, and where the script
    stops the collector.  Times are ms."""
    r = []
    # multi: three checks, every 2 s, all up; nothing from 20 s to 60 s,
    # when the collector and the agent were both stopped.
    for k in range(0, 20, 2):
        for i, c in enumerate(("ping", "tcp", "http")):
            r.append(("multi", c, B + k * S + i * 100, True))
    for k in range(60, 71, 2):
        for i, c in enumerate(("ping", "tcp", "http")):
            r.append(("multi", c, B + k * S + i * 100, True))
    # gapdown: up, 7 s down (confirmed), 8 s not seen, 4 s down, up.
    for k in range(0, 35):
        if 17 <= k < 25:
            continue
        r.append(("gapdown", "http", B + k * S + 300,
                  not (10 <= k < 29)))
    # gapconf: 2 failed probes, 8 s not seen, 2 failed probes: the third
    # failure confirms the outage that began before the gap.
    for k in range(0, 30):
        if 12 <= k < 20:
            continue
        r.append(("gapconf", "http", B + k * S + 400,
                  not (10 <= k < 12 or 20 <= k < 22)))
    # blip: one failed probe, a gap, one failed probe: never confirmed.
    for k in range(0, 30):
        if 11 <= k < 19:
            continue
        r.append(("blip", "http", B + k * S + 500,
                  not (k == 10 or k == 19)))
    r.sort(key=lambda x: x[2])
    return r


CHECKS = {
    "multi": {"ping": (2000, True), "tcp": (2000, True),
              "http": (2000, True)},
    "gapdown": {"http": (1000, True)},
    "gapconf": {"http": (1000, True)},
    "blip": {"http": (1000, True)},
}
TYPES = {"ping": wire.CT_ICMP, "tcp": wire.CT_TCP, "http": wire.CT_HTTP}


def expected(results, p0, p1):
    out = {}
    for dev, checks in CHECKS.items():
        cs = {c: (iv, crit, [(ts, up) for d, cc, ts, up in results
                             if d == dev and cc == c])
              for c, (iv, crit) in checks.items()}
        tl = device_timeline(cs)
        crit_down = [ts for d, c, ts, up in results
                     if d == dev and checks[c][1] and not up]
        runs = outages(tl, crit_down)
        f = figures(tl, runs, p0, p1)
        f["outages"] = sum(1 for r in runs if r[3] or r[1] is None)
        f["blips"] = sum(1 for r in runs if not r[3] and r[1] is not None)
        f["runs"] = runs
        f["timeline"] = tl
        out[dev] = f
    return out


class Scripted(FacmonTestCase):
    def start_collector(self, *a, **kw):
        kw.setdefault("tls", False)
        kw.setdefault("extra", "confirm = %d;" % CONFIRM)
        return super().start_collector(*a, **kw)

    def restart(self, how):
        """Stop the collector (SIGTERM or SIGKILL) and start it again on
        the same data directory and ports."""
        p = self.coll
        if how == "kill":
            p.kill()
        else:
            p.stop()
        conf = os.path.join(self.tmp, "collector.conf")
        self.coll = self.start([COLLECTOR, "-d", "-f", conf],
                               "collector-%d" % len(self.procs))
        wait_for(lambda: http_json(self.api + "/api/v1/devices")
                 is not None, timeout=20, what="collector back")

    def session(self, sid):
        sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=10)
        self.addCleanup(sk.close)
        sk.sendall(wire.hello("test", sid))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.WELCOME)
        self.assertEqual(struct.unpack(">BQQ", p)[0], 0)
        devs = []
        for dev, checks in CHECKS.items():
            devs.append((dev, dev, "line", "lines", "127.0.0.1",
                         [(c, TYPES[c], iv) for c, (iv, _) in
                          checks.items()]))
        sk.sendall(wire.devices(devs))
        return sk

    def send(self, sk, sid, seq, results):
        frames = [wire.result(d, c, TYPES[c], OK if up else TIMEOUT, ts,
                              msg="" if up else "no answer")
                  for d, c, ts, up in results]
        sk.sendall(wire.batch(sid, seq, frames))
        ftype, p = wire.read_frame(sk)
        self.assertEqual(ftype, wire.ACK)
        self.assertEqual(struct.unpack(">QQ", p), (sid, seq))

    def dump(self):
        r = subprocess.run([COLLECTOR, "--dump-journal",
                            os.path.join(self.data_dir, "outages.fmoj")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(x) for x in r.stdout.splitlines()]

    def test_gaps_restarts_and_continuations(self):
        now = int(time.time() * 1000)
        # On a minute, so that facmon-report's --from/--to can say it.
        B = (now - 3600 * S) // 60000 * 60000
        P0, P1 = B, B + 120 * S
        results = script(B)
        # Both the collector's journal and the report read this file.
        self.start_collector(root_extra="""
availability: { timezone = "Asia/Shanghai"; site = "test"; };
""")
        self.coll = self.procs[-1]
        sk = self.session(1)
        first = [x for x in results if x[2] < B + 20 * S]
        rest = [x for x in results if x[2] >= B + 20 * S]
        self.send(sk, 1, 1, first)
        # The collector goes down with the agent: no expiry can see the
        # silence; only the results that come after it show the gap.
        sk.close()
        self.restart("term")
        sk = self.session(2)
        self.send(sk, 2, 1, [x for x in rest if x[2] < B + 40 * S])
        sk.close()
        self.restart("kill")
        sk = self.session(3)
        self.send(sk, 3, 1, [x for x in rest if x[2] >= B + 40 * S])
        # Every check goes silent at the end: wait for the collector to
        # say so (unknown_after intervals), so that every figure is final.
        wait_for(lambda: all(
            (self.device(d) or {}).get("state") == "unknown"
            for d in CHECKS), timeout=30, what="every device unknown")
        # Restarts replay the journal; nothing may be written twice.
        for _ in range(3):
            self.restart("kill")
        time.sleep(1)

        exp = expected(results, P0, P1)
        recs = self.dump()
        # The device timelines in the journal are the test's own.  (A
        # change and its undoing at the same instant -- an expiry that a
        # late result proved wrong -- is no change: the last one stands.)
        for dev in CHECKS:
            got = []
            for r in recs:
                if not (r["type"] == "state" and r["device"] == dev and
                        r["check"] == ""):
                    continue
                if got and got[-1][0] == r["at_ms"]:
                    got.pop()
                if not got or got[-1][1] != r["state"]:
                    got.append((r["at_ms"], r["state"]))
            self.assertEqual(got, exp[dev]["timeline"], dev)
        # No state record twice, however many restarts.
        states = [(r["device"], r["check"], r["at_ms"], r["state"])
                  for r in recs if r["type"] == "state"]
        self.assertEqual(len(states), len(set(states)))
        # One confirmation per outage, however many restarts.
        confs = [(r["device"], r["check"], r["at_ms"]) for r in recs
                 if r["type"] == "confirm"]
        self.assertEqual(len(confs), len(set(confs)), confs)
        dev_confs = sorted((d, a) for d, c, a in confs if c == "")
        want = sorted((dev, r[0]) for dev in CHECKS
                      for r in exp[dev]["runs"] if r[3])
        self.assertEqual(dev_confs, want)

        # The API, the command line and the report agree with the
        # arithmetic, to the millisecond.
        api = http_json(self.api + "/api/v1/availability?from=%d&to=%d"
                        "&devices=1" % (P0, P1))
        conf = os.path.join(self.tmp, "collector.conf")
        cli = json.loads(subprocess.run(
            [COLLECTOR, "-f", conf, "avail", "--from", str(P0), "--to",
             str(P1), "--devices", "--json"], capture_output=True,
            text=True, timeout=30, check=True).stdout)
        out = os.path.join(self.tmp, "report")
        t0 = datetime.datetime.fromtimestamp(P0 / 1000, CN)
        t1 = datetime.datetime.fromtimestamp(P1 / 1000, CN)
        subprocess.run([REPORT, "-f", conf, "--journal",
                        os.path.join(self.data_dir, "outages.fmoj"),
                        "--from", t0.strftime("%Y-%m-%d %H:%M"),
                        "--to", t1.strftime("%Y-%m-%d %H:%M"),
                        "--format", "json", "--out", out],
                       check=True, capture_output=True, timeout=60)
        rep = None
        for name in os.listdir(out):
            if name.endswith(".json"):
                with open(os.path.join(out, name), encoding="utf-8") as f:
                    rep = json.load(f)
        self.assertIsNotNone(rep, os.listdir(out))
        rdevs = {d["id"]: d for d in rep["devices"]}
        table = []
        for src, doc in (("api", api), ("cli", cli)):
            devs = {d["id"]: d for d in doc["devices"]}
            for dev in CHECKS:
                d, e = devs[dev], exp[dev]
                table.append((src, dev, d["up_ms"], d["down_ms"],
                              d["unknown_ms"], e["up"], e["down"],
                              e["unknown"]))
                self.assertEqual(d["up_ms"], e["up"], (src, dev))
                self.assertEqual(d["down_ms"], e["down"], (src, dev))
                self.assertEqual(d["unknown_ms"], e["unknown"], (src, dev))
                self.assertEqual(d["outages"], e["outages"], (src, dev))
                self.assertEqual(d["blips"], e["blips"], (src, dev))
        for dev in CHECKS:
            d, e = rdevs[dev], exp[dev]
            self.assertAlmostEqual(d["up_s"] * 1000, e["up"], delta=1)
            self.assertAlmostEqual(d["down_s"] * 1000, e["down"], delta=1)
            self.assertAlmostEqual(d["unknown_s"] * 1000, e["unknown"],
                                   delta=1)
        # Against the time nobody saw: multi's checks were last heard at
        # 18.2 s and heard again at 60 s; its unknown time inside the
        # silence differs from that by less than one interval.
        e = exp["multi"]
        unseen = (B + 60 * S) - (B + 18 * S + 200)
        gap_unknown = e["unknown"] - ((P1 - (B + 72 * S + 200)))
        self.assertLessEqual(abs(gap_unknown - unseen), 2000)
        self.assertEqual(e["down"], 0)
        # gapdown: truth 19 s of outage, 8 of them unseen.
        self.assertEqual(exp["gapdown"]["down"], 11 * S)
        self.assertEqual(exp["gapdown"]["outages"], 1)
        self.assertEqual(exp["gapconf"]["down"], 4 * S)
        self.assertEqual(exp["blip"]["blips"], 1)
        for row in table:
            print("%-4s %-8s up %6d down %6d unknown %6d | expected "
                  "%6d %6d %6d" % row)


    def report_json(self, *args):
        conf = os.path.join(self.tmp, "collector.conf")
        out = os.path.join(self.tmp, "report-%d" % time.monotonic_ns())
        subprocess.run([REPORT, "-f", conf, "--journal",
                        os.path.join(self.data_dir, "outages.fmoj"),
                        "--format", "json", "--out", out] + list(args),
                       check=True, capture_output=True, timeout=60)
        for name in os.listdir(out):
            if name.endswith(".json"):
                with open(os.path.join(out, name), encoding="utf-8") as f:
                    return {d["id"]: d for d in json.load(f)["devices"]}
        self.fail("no JSON report in %s" % os.listdir(out))

    def test_month_boundary_and_a_long_stop(self):
        """An outage running into a gap across the Shanghai midnight at
        the end of November, and a system off for sixteen days."""
        global CHECKS
        saved = CHECKS
        M = int(datetime.datetime(2026, 12, 1, tzinfo=CN).timestamp()) * S
        M0 = int(datetime.datetime(2026, 11, 1, tzinfo=CN).timestamp()) * S
        now = int(time.time() * 1000) // S * S
        D = now - 16 * 86400 * S
        CHECKS = {
            "edge": {"ping": (2000, True), "snmp": (2000, True)},
            "off": {"ping": (2000, True), "http": (2000, True)},
        }
        self.addCleanup(lambda: globals().__setitem__("CHECKS", saved))
        TYPES["snmp"] = wire.CT_SNMP
        res = []
        for k in range(-600, 900, 2):
            if -20 <= k < 600:
                continue        # the system was off across midnight
            down = -120 <= k < 690
            res.append(("edge", "ping", M + k * S, not down))
            res.append(("edge", "snmp", M + k * S + 500, not down))
        for base, n in ((D, 60), (now - 120 * S, 30)):
            for k in range(n):
                res.append(("off", "ping", base + k * 2 * S, True))
                res.append(("off", "http", base + k * 2 * S + 500, True))
        res.sort(key=lambda x: x[2])
        self.start_collector(root_extra="""
availability: { timezone = "Asia/Shanghai"; site = "test"; };
""")
        self.coll = self.procs[-1]
        sk = self.session(1)
        self.send(sk, 1, 1, [x for x in res if x[2] < M])
        sk.close()
        self.restart("kill")
        sk = self.session(2)
        self.send(sk, 2, 1, [x for x in res if x[2] >= M])
        wait_for(lambda: all((self.device(d) or {}).get("state") ==
                             "unknown" for d in CHECKS), timeout=30,
                 what="every device unknown")
        self.restart("kill")
        conf = os.path.join(self.tmp, "collector.conf")
        P1 = now        # after the last result; the API stops at now
        for name, p0, p1, month in (("november", M0, M, "2026-11"),
                                    ("sixteen days", D, P1, None)):
            exp = expected(res, p0, p1)
            api = {d["id"]: d for d in http_json(
                self.api + "/api/v1/availability?from=%d&to=%d&devices=1"
                % (p0, p1))["devices"]}
            cli = {d["id"]: d for d in json.loads(subprocess.run(
                [COLLECTOR, "-f", conf, "avail", "--from", str(p0),
                 "--to", str(p1), "--devices", "--json"],
                capture_output=True, text=True, timeout=30,
                check=True).stdout)["devices"]}
            for dev in CHECKS:
                for src, got in (("api", api), ("cli", cli)):
                    for f in ("up", "down", "unknown"):
                        self.assertEqual(got[dev][f + "_ms"], exp[dev][f],
                                         (name, src, dev, f))
            if month:
                rep = self.report_json("--month", month)
                for dev in CHECKS:
                    for f in ("up", "down", "unknown"):
                        self.assertAlmostEqual(rep[dev][f + "_s"] * 1000,
                                               exp[dev][f], delta=1,
                                               msg=(name, dev, f))
            print("%s: %s" % (name, {d: (exp[d]["up"], exp[d]["down"],
                                         exp[d]["unknown"])
                                     for d in CHECKS}))
        # November: the outage's 100.5 s before the gap are charged; the
        # 19.5 s from the last probe's due time to midnight are unknown.
        exp = expected(res, M0, M)
        self.assertEqual(exp["edge"]["down"], 100500)
        self.assertEqual(exp["edge"]["unknown"], M - M0 - 600 * S + 19500)
        # December so far: one outage, charged on both sides of the gap.
        dec = {d["id"]: d for d in http_json(
            self.api + "/api/v1/availability?from=%d&to=%d&devices=1"
            % (M, P1))["devices"]}
        self.assertEqual(dec["edge"]["down_ms"], 90500)   # snmp last
        self.assertEqual(dec["edge"]["blips"], 0)
        self.assertEqual(dec["edge"]["outages"], 1)
        # Off for sixteen days: unknown, not up.
        off = expected(res, D, P1)["off"]
        self.assertGreater(off["unknown"], 15 * 86400 * S)
        self.assertLess(off["up"], 20 * 60 * S)


class HeldDown(FacmonTestCase):
    """A device down by one critical check, then not seen: after the gap
    its other critical check answers first.  That answer does not end
    the outage -- the failing check, not seen yet, may still fail -- so
    the device stays unknown until the failing check is seen; seen down,
    the outage goes on, one outage across the gap."""

    def test_other_check_answering_first_does_not_end_it(self):
        self.start_collector(tls=False, extra="confirm = %d;" % CONFIRM)
        sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                      timeout=30)
        self.addCleanup(sk.close)
        sk.sendall(wire.hello("test", 1))
        ftype, _ = wire.read_frame(sk)
        self.assertEqual(ftype, wire.WELCOME)
        sk.sendall(wire.devices([("gw", "gw", "web-system", "systems",
                                  "127.0.0.1",
                                  [("tcp", wire.CT_TCP, 1000),
                                   ("http", wire.CT_HTTP, 1000)])]))
        seq = [0]

        def send(results):
            seq[0] += 1
            sk.sendall(wire.batch(1, seq[0], [
                wire.result("gw", c, TYPES[c], OK if up else TIMEOUT, ts,
                            msg="" if up else "no answer")
                for c, ts, up in results]))
            ftype, p = wire.read_frame(sk)
            self.assertEqual(ftype, wire.ACK, p)

        t = int(time.time() * 1000) - 60000
        send([("tcp", t, True), ("http", t + 100, True)])
        for k in range(1, 4):
            send([("tcp", t + k * S, True), ("http", t + k * S + 100,
                                                False)])
        # Not seen for 17 s; then the tcp check answers first.
        send([("tcp", t + 20 * S, True)])
        self.assertEqual(self.device("gw")["state"], "unknown")
        send([("http", t + 20 * S + 100, False)])
        self.assertEqual(self.device("gw")["state"], "down")
        send([("tcp", t + 21 * S, True), ("http", t + 21 * S + 100, True)])
        self.assertEqual(self.device("gw")["state"], "up")
        r = subprocess.run([COLLECTOR, "--dump-journal",
                            os.path.join(self.data_dir, "outages.fmoj")],
                           capture_output=True, text=True, timeout=30)
        recs = [json.loads(x) for x in r.stdout.splitlines()]
        tl = [(x["at_ms"] - t, x["state"]) for x in recs
              if x["type"] == "state" and x["device"] == "gw" and
              x["check"] == ""]
        self.assertEqual(tl, [(0, "up"), (1100, "down"),
                              (4100, "unknown"), (20100, "down"),
                              (21100, "up")])
        ol = http_json(self.api + "/api/v1/outages?device=gw")
        outs = [(o["start_ms"] - t, o["end_ms"] - t, o["confirmed_ms"] - t)
                for o in ol["outages"] if o["check"] == ""]
        self.assertEqual(outs, [(1100, 21100, 3100)])


class Live(ServiceTestCase):
    """A real agent probing the test's HTTP service, one probe a second."""

    IV = 1000

    def agent(self):
        return self.start_agent("""
{ id = "web"; name = "网上办事大厅"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; },
             { id = "tcp"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; },
             { id = "home"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/"; critical = false; } ); }
""" % (self.hport, self.hport, self.hport), name="agent-%d" % len(self.procs))

    def avail(self, p0, p1):
        a = http_json(self.api + "/api/v1/availability?from=%d&to=%d"
                      "&devices=1" % (p0, p1))
        return {d["id"]: d for d in a["devices"]}["web"]

    def test_stopped_together_is_unknown(self):
        coll = self.start_collector(extra="confirm = %d;" % CONFIRM)
        ag = self.agent()
        self.wait_check("web", "http", "up")
        time.sleep(2)
        p0 = int(time.time() * 1000)
        time.sleep(2)
        # Both stopped, gracefully, for about eight seconds.
        t_stop = int(time.time() * 1000)
        ag.stop()
        coll.stop()
        time.sleep(8)
        conf = os.path.join(self.tmp, "collector.conf")
        self.start([COLLECTOR, "-d", "-f", conf], "collector2")
        wait_for(lambda: http_json(self.api + "/api/v1/devices") is not None,
                 timeout=20, what="collector back")
        self.start(ag.argv, "agent2")
        first = self.wait_check(
            "web", "http", "up", pred=lambda c: c["last_ms"] > t_stop)
        time.sleep(3)
        p1 = int(time.time() * 1000)
        d = self.avail(p0, p1)
        seen_gap = first["last_ms"] - t_stop
        self.assertEqual(d["down_ms"], 0)
        # Nobody saw the device from the stop to the first probe after
        # it: unknown, give or take an interval and a timeout.
        self.assertLessEqual(abs(d["unknown_ms"] - seen_gap), 2 * self.IV +
                             500, (d, seen_gap))
        self.assertEqual(d["up_ms"] + d["unknown_ms"], p1 - p0)
        print("stopped together: nobody saw %d ms, facmon unknown %d ms"
              % (seen_gap, d["unknown_ms"]))

    def test_outage_goes_on_across_an_agent_stop(self):
        self.start_collector(extra="confirm = %d;" % CONFIRM)
        ag = self.agent()
        self.wait_check("web", "http", "up")
        p0 = int(time.time() * 1000)
        time.sleep(1)
        t0 = self.set(503)
        # Confirmed: three failed probes and then some.
        wait_for(lambda: (self.device("web") or {}).get("state") == "down",
                 what="device down")
        time.sleep(CONFIRM + 1)
        a0 = int(time.time() * 1000)
        ag.stop()
        time.sleep(6)
        a1 = int(time.time() * 1000)
        self.start(ag.argv, "agent2")
        self.wait_check("web", "http", "down",
                        pred=lambda c: c["last_ms"] > a1)
        # Down for two probes after the gap, then repaired: fewer than
        # CONFIRM, so without the continuation it would be a blip.
        time.sleep(1.5)
        t1 = self.set(200)
        self.wait_check("web", "http", "up", pred=lambda c:
                        c["last_ms"] > t1)
        time.sleep(2)
        p1 = int(time.time() * 1000)
        d = self.avail(p0, p1)
        self.assertEqual(d["outages"], 1, d)
        self.assertEqual(d["blips"], 0, d)
        truth_down = (t1 - t0) - (a1 - a0)
        slack = 2 * (self.IV + 500)
        self.assertLessEqual(abs(d["down_ms"] - truth_down), slack,
                             (d, truth_down))
        self.assertLessEqual(abs(d["unknown_ms"] - (a1 - a0)), slack,
                             (d, a1 - a0))
        ol = http_json(self.api + "/api/v1/outages?device=web")
        print("outage across an agent stop: truth down %d ms, unseen %d "
              "ms; facmon down %d, unknown %d; outages %s" % (
                  truth_down, a1 - a0, d["down_ms"], d["unknown_ms"],
                  json.dumps(ol)[:300]))

    def test_outage_open_while_the_agent_is_paused(self):
        """The agent paused (SIGSTOP) while the service is down: the
        device goes unknown, and its outage stays open -- in the outage
        list, among the wall's current faults, and in the figures (not
        ended, no MTTR).  Seen up again after the pause, the outage ends
        at that first up, and MTTR runs to there."""
        self.start_collector(extra="confirm = %d;" % CONFIRM)
        # Two critical checks, one of which (tcp) stays up through the
        # outage: its answer after the pause must not end it.
        ag = self.agent()
        self.wait_check("web", "http", "up")
        p0 = int(time.time() * 1000)
        time.sleep(1)
        t0 = self.set(503)
        wait_for(lambda: (self.device("web") or {}).get("state") == "down",
                 what="device down")
        time.sleep(CONFIRM + 1)
        a0 = int(time.time() * 1000)
        os.kill(ag.p.pid, signal.SIGSTOP)
        self.addCleanup(lambda: ag.p.poll() is None and
                        os.kill(ag.p.pid, signal.SIGCONT))
        try:
            wait_for(lambda: (self.device("web") or {}).get("state") ==
                     "unknown", what="device unknown while paused")
            ol = http_json(self.api + "/api/v1/outages?device=web")
            outs = ol["outages"] if isinstance(ol, dict) else ol
            dev = [o for o in outs if o["check"] == ""]
            self.assertEqual(len(dev), 1, ol)
            self.assertTrue(dev[0]["open"], dev[0])
            self.assertIsNone(dev[0]["end_ms"], dev[0])
            wall = http_json(self.api + "/api/v1/wall")
            inc = [o for o in wall["incidents"] if o["device"] == "web"
                   and o["check"] == ""]
            self.assertEqual(len(inc), 1, wall["incidents"])
            mid = self.avail(p0, int(time.time() * 1000))
            self.assertEqual(mid["outages"], 1, mid)
            self.assertEqual(mid["outages_ended"], 0, mid)
            self.assertIsNone(mid["mttr_ms"], mid)
            # Unknown is neither up nor down.
            self.assertLessEqual(mid["down_ms"], a0 - t0 + 2 * self.IV,
                                 mid)
        finally:
            os.kill(ag.p.pid, signal.SIGCONT)
        a1 = int(time.time() * 1000)
        t1 = self.set(200)
        first = self.wait_check("web", "http", "up",
                                pred=lambda c: c["last_ms"] > t1)
        time.sleep(2)
        p1 = int(time.time() * 1000)
        ol = http_json(self.api + "/api/v1/outages?device=web")
        outs = ol["outages"] if isinstance(ol, dict) else ol
        dev = [o for o in outs if o["check"] == ""]
        self.assertEqual(len(dev), 1, ol)
        self.assertFalse(dev[0]["open"], dev[0])
        # Over at the first up seen: after the service came back, no
        # later than that first good probe -- not where the pause began.
        self.assertGreaterEqual(dev[0]["end_ms"], a1, dev[0])
        self.assertLessEqual(dev[0]["end_ms"], first["last_ms"], dev[0])
        d = self.avail(p0, p1)
        self.assertEqual(d["outages"], 1, d)
        self.assertEqual(d["outages_ended"], 1, d)
        self.assertAlmostEqual(d["mttr_ms"],
                               dev[0]["end_ms"] - dev[0]["start_ms"],
                               delta=1)
        self.assertGreaterEqual(d["mttr_ms"], t1 - t0 - self.IV, d)
        print("outage across a paused agent: truth %d ms (paused %d ms); "
              "facmon MTTR %d, down %d, unknown %d" % (
                  t1 - t0, a1 - a0, d["mttr_ms"], d["down_ms"],
                  d["unknown_ms"]))

    @unittest.skipUnless(os.environ.get("FACMON_SOAK"), "make soak")
    def test_soak_random_stops_and_kills(self):
        """make soak: cycles of an outage or none, with the agent, the
        collector or both stopped or killed at a random moment for a
        random time; each cycle's down and unknown time against the
        test's own clock."""
        rng = random.Random(int(os.environ.get("FACMON_SEED", "2026")))
        cycles = int(os.environ.get("FACMON_CYCLES", "12"))
        coll = self.start_collector(extra="confirm = %d;" % CONFIRM)
        conf = os.path.join(self.tmp, "collector.conf")
        ag = self.agent()
        self.wait_check("web", "http", "up")
        rows = []
        for n in range(cycles):
            outage = rng.random() < 0.6
            who = rng.choice(("agent", "collector", "both"))
            how = rng.choice(("stop", "kill"))
            away = rng.uniform(4, 12)
            p0 = int(time.time() * 1000)
            time.sleep(1)
            t0 = self.set(503) if outage else None
            if outage:
                time.sleep(CONFIRM + 1.5)
            a0 = int(time.time() * 1000)
            for p in ((ag,) if who == "agent" else (coll,) if
                      who == "collector" else (ag, coll)):
                p.kill() if how == "kill" else p.stop()
            time.sleep(away)
            if who in ("collector", "both"):
                coll = self.start([COLLECTOR, "-d", "-f", conf],
                                  "collector-%d" % n)
                wait_for(lambda: http_json(self.api + "/api/v1/devices")
                         is not None, timeout=20, what="collector back")
            if who in ("agent", "both"):
                ag = self.start(ag.argv, "agent-%d" % n)
            a1 = int(time.time() * 1000)
            self.wait_check("web", "http", "down" if outage else "up",
                            pred=lambda c: c["last_ms"] > a1, timeout=30)
            time.sleep(2)
            t1 = self.set(200) if outage else None
            self.wait_check("web", "http", "up",
                            pred=lambda c: c["last_ms"] > (t1 or a1))
            time.sleep(2)
            p1 = int(time.time() * 1000)
            d = self.avail(p0, p1)
            slack = 3 * (self.IV + 500)
            # Who was away saw nothing; the collector alone away loses
            # nothing when the agent spools.
            unseen = 0 if who == "collector" else a1 - a0
            truth_down = (t1 - t0 - unseen) if outage else 0
            rows.append((n, who, how, outage, unseen, d["unknown_ms"],
                         truth_down, d["down_ms"], d["outages"],
                         d["blips"]))
            self.assertLessEqual(abs(d["unknown_ms"] - unseen), slack,
                                 rows[-1])
            self.assertLessEqual(abs(d["down_ms"] - truth_down), slack,
                                 rows[-1])
            self.assertEqual(d["outages"], 1 if outage else 0, rows[-1])
            self.assertEqual(d["blips"], 0, rows[-1])
        for r in rows:
            print("cycle %2d %-9s %-4s outage %-5s unseen %6d unknown %6d "
                  "| down truth %6d facmon %6d | outages %d blips %d" % r)
