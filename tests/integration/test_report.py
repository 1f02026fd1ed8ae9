# facmon-report: a known month (tests/data/report/october.txt) is written
# to an outage journal with build/test-ojgen, the report is made in every
# format, and every figure is checked against a second computation made
# here from the same script: JSON and CSV parsed, XLSX read cell by cell
# with Debian's python3-openpyxl, PDF through pdftotext, HTML parsed.
# Page 1 of the PDF is kept as a PNG in tests/artifacts/.

import csv
import datetime
import hashlib
import html.parser
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fmtest  # noqa: E402

ROOT = fmtest.ROOT
REPORT = os.path.join(ROOT, "build", "facmon-report")
OJGEN = os.path.join(ROOT, "build", "test-ojgen")
DATA = os.path.join(ROOT, "tests", "data", "report")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
CN = datetime.timezone(datetime.timedelta(hours=8))   # Asia/Shanghai
EPOCH = "1793000000"

M0 = int(datetime.datetime(2026, 10, 1, tzinfo=CN).timestamp() * 1000)
M1 = int(datetime.datetime(2026, 11, 1, tzinfo=CN).timestamp() * 1000)
STATES = {"unknown": 0, "up": 1, "down": 2, "unreachable": 3}


def local_ms(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
    return int(d.replace(tzinfo=CN).timestamp() * 1000)


# ---- the second computation ------------------------------------------------

def load_script():
    devs, tl, outs = {}, {}, []
    for line in open(os.path.join(DATA, "october.txt"), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        f = line.split("|")
        if f[0] == "device":
            devs[f[1]] = dict(id=f[1], name=f[2], cls=f[3], group=f[4],
                              parent=f[5])
            tl[f[1]] = []
        elif f[0] == "state":
            t, st = local_ms(f[2]), STATES[f[3]]
            prev = tl[f[1]][-1][1] if tl[f[1]] else 0
            tl[f[1]].append((t, st))
            if st == 2 and prev != 2:
                outs.append(dict(device=f[1], start=t, end=0, cause=f[4],
                                 cls="unplanned", acked=0, acked_by="",
                                 confirmed=0, note=""))
            elif st != 2 and prev == 2:
                for o in reversed(outs):
                    if o["device"] == f[1] and o["end"] == 0:
                        o["end"] = t
                        break
        elif f[0] == "latency":
            continue        # latency_share() reads these
        else:
            at, ts = local_ms(f[2]), local_ms(f[3])
            o = [o for o in outs if o["device"] == f[1] and o["start"] == at][0]
            if f[0] == "confirm":
                o["confirmed"] = ts
            elif f[0] == "ack" and not o["acked"]:
                o["acked"], o["acked_by"] = ts, f[4]
            elif f[0] == "classify":
                o["cls"] = f[4]
            elif f[0] == "note":
                o["note"] = f[5]
    return devs, tl, outs


TARGETS = {("class", "line"): 0.9999, ("group", "lines"): 0.9999,
           ("class", "switch"): 0.9999, ("class", "elevator"): 0.95,
           ("device", "gov-web"): 0.999}


def target_for(dev=None, group=None, cls=None):
    if dev and ("device", dev) in TARGETS:
        return TARGETS[("device", dev)]
    if group and ("group", group) in TARGETS:
        return TARGETS[("group", group)]
    if cls and ("class", cls) in TARGETS:
        return TARGETS[("class", cls)]
    return math.nan


def windows_for(d, outs, frm, to):
    w = []
    if d["cls"] == "elevator":      # lift-service: 15th, 02:00, 2 h
        s = local_ms("2026-10-15 02:00:00")
        w.append((s, s + 7200000))
    for o in outs:
        if o["device"] == d["id"] and o["cls"] == "planned":
            w.append((o["start"], o["end"] or to))
    w.sort()
    m = []
    for a, b in w:
        if m and a <= m[-1][1]:
            m[-1] = (m[-1][0], max(m[-1][1], b))
        else:
            m.append((a, b))
    return m


def in_windows(t, w):
    return any(a <= t < b for a, b in w)


def compute_device(d, tl, outs, frm, to):
    """av_compute, written again: cut the period at every change and
    window edge, and add the pieces up."""
    w = windows_for(d, outs, frm, to)
    cuts = {frm, to}
    for t, _ in tl:
        if frm < t < to:
            cuts.add(t)
    for a, b in w:
        for t in (a, b):
            if frm < t < to:
                cuts.add(t)
    cuts = sorted(cuts)
    r = dict(up=0, down=0, unknown=0, unreach=0, planned=0, pdown=0, pup=0,
             punseen=0)

    def state_at(t):
        s = 0
        for ct, cs in tl:
            if ct <= t:
                s = cs
        return s
    for a, b in zip(cuts, cuts[1:]):
        s, ln, im = state_at(a), b - a, in_windows(a, w)
        if im:
            r["planned"] += ln
            r["pdown" if s == 2 else "pup" if s == 1 else "punseen"] += ln
        else:
            r[{1: "up", 2: "down", 0: "unknown", 3: "unreach"}[s]] += ln
    # Outages: down runs with some time outside maintenance.
    r["outages"] = r["ended"] = 0
    r["ended_sum"] = 0.0
    r["longest"] = 0
    runs, cur = [], None
    for t, s in tl:
        if s == 2 and cur is None:
            cur = t
        elif s != 2 and cur is not None:
            runs.append((cur, t))
            cur = None
    if cur is not None:
        runs.append((cur, None))
    for a, b in runs:
        e = b if b is not None else to
        if e <= frm or a >= to:
            continue
        ca, cb = max(a, frm), min(e, to)
        outside = (cb - ca) - sum(max(0, min(cb, wb) - max(ca, wa))
                                  for wa, wb in w)
        if outside <= 0:
            continue
        r["outages"] += 1
        r["longest"] = max(r["longest"], cb - ca)
        if b is not None and b <= to:
            r["ended"] += 1
            r["ended_sum"] += b - a
    r["period"] = to - frm
    r["external"] = 0
    dsum = asum = 0.0
    dn = an = 0
    for o in outs:
        if o["device"] != d["id"]:
            continue
        e = o["end"] or to
        if o["start"] >= to or e <= frm:
            continue
        if o["cls"] == "external":
            r["external"] += min(e, to) - max(o["start"], frm)
        if o["start"] >= frm:
            if o["confirmed"]:
                dsum += o["confirmed"] - o["start"]
                dn += 1
            if o["acked"]:
                asum += o["acked"] - o["start"]
                an += 1
    r["mttd"] = dsum / dn if dn else math.nan
    r["mtta"] = asum / an if an else math.nan
    r["ndev"] = 1
    derive(r, target_for(d["id"], d["group"], d["cls"]))
    return r


def derive(r, target):
    den = r["period"] - r["planned"] - r["unknown"] - r["unreach"]
    r["avail"] = r["up"] / den if den > 0 else math.nan
    den2 = r["period"] - r["unknown"] - r["unreach"] - r["punseen"]
    r["charged"] = (r["up"] + r["pup"]) / den2 if den2 > 0 else math.nan
    r["coverage"] = (r["period"] - r["unknown"] - r["punseen"]) / r["period"]
    r["mttr"] = r["ended_sum"] / r["ended"] if r["ended"] else math.nan
    r["mtbf"] = r["up"] / r["outages"] if r["outages"] else math.nan
    r["target"] = target
    if math.isnan(target) or math.isnan(r["avail"]):
        r["met"] = None
        r["budget"] = r["left"] = math.nan
    else:
        r["budget"] = (1 - target) * den
        r["left"] = r["budget"] - r["down"]
        r["met"] = r["avail"] >= target
        # Under 1 % of the period seen: no verdict (RPT_MIN_COVERAGE).
        if r["coverage"] < 0.01:
            r["met"] = "few"


def add_up(rows, target):
    keys = ("up", "down", "unknown", "unreach", "planned", "pdown", "pup",
            "punseen", "outages", "ended", "ended_sum", "period",
            "external", "ndev", "blips")
    a = {k: 0 for k in keys}
    a["longest"] = 0
    ds = as_ = 0.0
    dn = an = 0
    for r in rows:
        for k in keys:
            a[k] += r[k]
        a["longest"] = max(a["longest"], r["longest"])
        if not math.isnan(r["mttd"]):
            ds += r["mttd"] * r["outages"]
            dn += r["outages"]
        if not math.isnan(r["mtta"]):
            as_ += r["mtta"] * r["outages"]
            an += r["outages"]
    a["mttd"] = ds / dn if dn else math.nan
    a["mtta"] = as_ / an if an else math.nan
    derive(a, target)
    return a


def is_blip(o):
    """Over before it was confirmed, and not planned: read as up."""
    return not o["confirmed"] and o["end"] and o["cls"] != "planned"


def expected(frm=M0, to=M1):
    devs, tl, outs = load_script()
    for o in outs:
        if is_blip(o):
            tl[o["device"]] = [(t, 1 if t == o["start"] and s == 2 else s)
                               for t, s in tl[o["device"]]]
    dev = {i: compute_device(d, tl[i], outs, frm, to) for i, d in devs.items()}
    for i, r in dev.items():
        r["blips"] = sum(1 for o in outs if o["device"] == i and is_blip(o)
                         and o["start"] < to and o["end"] > frm)
    groups = {g: add_up([dev[i] for i in devs if devs[i]["group"] == g],
                        target_for(group=g))
              for g in {d["group"] for d in devs.values()}}
    classes = {c: add_up([dev[i] for i in devs if devs[i]["cls"] == c],
                         target_for(cls=c))
               for c in {d["cls"] for d in devs.values()}}
    site = add_up(list(dev.values()), math.nan)
    # The latency target share: gov-web is the one device the latency
    # indicator covers; groups, classes and the site add up its probes.
    ok, n = latency_share("gov-web", 800, frm, to)
    share = ok / n if n else math.nan
    for i, r in dev.items():
        r["lat"] = share if i == "gov-web" else math.nan
    for rows, key in ((groups, "group"), (classes, "cls")):
        for k, r in rows.items():
            r["lat"] = share if devs["gov-web"][key] == k else math.nan
    site["lat"] = share
    return devs, dev, groups, classes, site, outs


# ---- formats as facmon-report prints them ---------------------------------

def pct(f):
    if f is None or (isinstance(f, float) and math.isnan(f)):
        return "—"
    return "%.4f%%" % (math.floor(f * 1e6 + 1e-7) / 1e4)


def dur(ms):
    """As report/model.c fmt_dur() writes a duration in Chinese."""
    if ms is None or math.isnan(ms):
        return "—"
    sign = "-" if ms < 0 else ""
    s = int(math.floor(abs(ms) / 1000.0 + 0.5))
    if s == 0:
        sign = ""
    if s < 3600:
        if s >= 60:
            return sign + "%d分" % (s // 60) + ("%d秒" % (s % 60)
                                              if s % 60 else "")
        return sign + "%d秒" % s
    m = (s + 30) // 60
    if m >= 1440:
        m = (m + 30) // 60 * 60     # from a day up, to the hour
    out = sign
    if m >= 1440:
        out += "%d天" % (m // 1440)
    if m % 1440 >= 60:
        out += "%d小时" % (m // 60 % 24)
    if m % 60:
        out += "%d分" % (m % 60)
    return out


# Group names as the wall shows them (the defaults of avail/availconf.c),
# and the one tests/data/report/report.conf gives.
GROUP_ZH = {"lines": "专线", "network": "网络", "systems": "业务系统",
            "building": "电梯与空调", "terminals": "大厅终端"}


def met_zh(m, target=0.0):
    if m is None and math.isnan(target):
        return "无目标"
    return {True: "达标", False: "未达标", None: "无数据",
            "few": "数据不足"}[m]


def row_cells(name, r):
    """The 16 cells of a group/device row, as in the PDF and HTML."""
    return [name, pct(r["avail"]), pct(r["charged"]), pct(r["target"]),
            met_zh(r["met"], r["target"]), dur(r["down"]), dur(r["external"]),
            dur(r["planned"]), dur(r["left"]), dur(r["unknown"]),
            str(r["outages"]), dur(r["mttr"]), dur(r["mtbf"]),
            dur(r["mttd"]), dur(r["mtta"]), pct(r["lat"])]


def latency_share(device, bound, frm=M0, to=M1):
    """The latency target's share from the script's slices: (ok, n)."""
    n = ok = 0
    for line in open(os.path.join(DATA, "october.txt"), encoding="utf-8"):
        f = line.rstrip("\n").split("|")
        if (f[0] == "latency" and f[1] == device and int(f[5]) == bound
                and frm <= local_ms(f[3]) < to):
            n += int(f[6])
            ok += int(f[7])
    return ok, n


def close(a, b, tol=1e-9):
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a is not None and abs(a - b) <= tol * max(1.0, abs(b))


class TableParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


# ---- the tests ---------------------------------------------------------------

class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("pdftotext", "pdftoppm"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("%s missing (make deps)" % tool)
        cls.tmp = tempfile.mkdtemp(prefix="facmon-report-")
        cls.journal = os.path.join(cls.tmp, "outages")
        subprocess.run([OJGEN, "script", os.path.join(DATA, "october.txt"),
                        cls.journal], check=True)
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            conf = f.read().replace("@JOURNAL@", cls.journal)
        cls.conf = os.path.join(cls.tmp, "report.conf")
        with open(cls.conf, "w", encoding="utf-8") as f:
            f.write(conf)
        cls.out = cls.run_report("out")
        cls.base = os.path.join(cls.out, "facmon-report-2026-10")
        (cls.devs, cls.dev, cls.groups, cls.classes, cls.site,
         cls.outs) = expected()

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("FACMON_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_report(cls, name, *args, epoch=EPOCH, now=None):
        out = os.path.join(cls.tmp, name)
        env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
        if now is not None:
            # A frozen clock (libfaketime): the period's end is decided
            # by "now", and a test must not depend on today's date.
            env.update(LD_PRELOAD=FAKETIME, FAKETIME=now, TZ="UTC",
                       FAKETIME_DONT_FAKE_MONOTONIC="1")
        p = subprocess.run([REPORT, "-f", cls.conf, "--out", out] +
                           (list(args) or ["--month", "2026-10"]),
                           env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise AssertionError("facmon-report failed:\n" + p.stdout)
        return out

    # The second computation itself, on figures worked out by hand.
    def test_reference_by_hand(self):
        d = self.dev
        self.assertEqual(d["line-telecom"]["down"], 240000)  # blip: up
        self.assertEqual(d["line-telecom"]["blips"], 1)
        self.assertEqual(d["line-mobile"]["external"], 300000)
        self.assertEqual(d["gov-web"]["down"], 20 * 60000 + 3600000)
        self.assertEqual(d["gov-web"]["unknown"], 6 * 3600000)
        self.assertEqual(d["gov-web"]["ended"], 1)
        self.assertEqual(d["gov-web"]["mttr"], 30 * 60000)  # whole length
        self.assertEqual(d["touch-1"]["unreach"], 600000)
        self.assertEqual(d["elevator-1"]["planned"], 4 * 3600000)
        self.assertEqual(d["elevator-1"]["outages"], 0)
        self.assertEqual(d["elevator-2"]["down"], 40 * 3600000)
        self.assertEqual(d["eval-1"]["unknown"], 15 * 86400000)
        self.assertFalse(self.groups["lines"]["met"])  # 540 s > 535.68 s

    def test_json(self):
        j = json.load(open(self.base + ".json", encoding="utf-8"))
        self.assertEqual(j["period"]["from"], "2026-10-01 00:00:00")
        self.assertEqual(j["period"]["to"], "2026-11-01 00:00:00")
        self.assertEqual(j["site"], "测试政务服务中心")

        def check(row, r):
            for k, jk, scale in (
                    ("avail", "availability", 1), ("charged",
                    "availability_planned_charged", 1),
                    ("coverage", "coverage", 1), ("target", "target", 1),
                    ("down", "down_s", 1000), ("external", "external_s", 1000),
                    ("planned", "planned_s", 1000),
                    ("unknown", "unknown_s", 1000),
                    ("unreach", "unreachable_s", 1000),
                    ("budget", "budget_s", 1000),
                    ("left", "budget_left_s", 1000),
                    ("mttr", "mttr_s", 1000), ("mtbf", "mtbf_s", 1000),
                    ("mttd", "mttd_s", 1000), ("mtta", "mtta_s", 1000)):
                want = r[k] / scale if not math.isnan(r[k]) else math.nan
                self.assertTrue(close(row[jk], want),
                                "%s %s: %r != %r" % (row["id"], jk, row[jk],
                                                     want))
            self.assertEqual(row["outages"], r["outages"], row["id"])
            self.assertEqual(row["blips"], r["blips"], row["id"])
            self.assertEqual(row["met"], None if r["met"] == "few" else
                             r["met"], row["id"])
            if math.isnan(r["lat"]):
                self.assertIsNone(row["latency_share"], row["id"])
            else:
                self.assertTrue(close(row["latency_share"], r["lat"]))

        self.assertEqual(len(j["devices"]), len(self.dev))
        for row in j["devices"]:
            check(row, self.dev[row["id"]])
        for row in j["groups"]:
            check(row, self.groups[row["id"]])
        for row in j["classes"]:
            check(row, self.classes[row["id"]])
        check(j["summary"], self.site)
        self.assertEqual(j["summary"]["devices"], 8)

        ind = {i["id"]: i for i in j["indicators"]}
        net = add_up([self.dev[i] for i in self.devs if self.devs[i]["group"]
                      in ("lines", "network", "systems")], math.nan)
        self.assertTrue(close(ind["network"]["value"], net["avail"]))
        self.assertEqual(ind["network"]["met"], net["avail"] >= 0.9999)
        self.assertEqual(ind["network"]["devices"], 4)
        eq = add_up([self.dev[i] for i in self.devs if self.devs[i]["cls"] in
                     ("elevator", "touch-screen", "evaluation-terminal")],
                    math.nan)
        self.assertTrue(close(ind["equipment"]["value"], eq["avail"]))
        self.assertEqual(ind["equipment"]["met"], eq["avail"] >= 0.95)
        self.assertTrue(close(ind["hall"]["value"], self.site["avail"]))
        self.assertTrue(close(ind["system"]["value"],
                              self.dev["gov-web"]["charged"]))
        self.assertFalse(ind["system"]["met"])
        self.assertTrue(close(ind["mttr"]["value_s"],
                              self.site["mttr"] / 1000))
        self.assertEqual(ind["mttr"]["met"], self.site["mttr"] < 1800000)
        fault = self.site["down"] / 8 * 365 / 31
        self.assertTrue(close(ind["fault"]["value_s"], fault / 1000))
        self.assertEqual(ind["fault"]["met"], fault < 86400000)
        ok, n = latency_share("gov-web", 800)
        self.assertEqual((ok, n), (399, 400))
        self.assertTrue(ind["latency"]["measured"])
        self.assertTrue(close(ind["latency"]["value"], ok / n))
        self.assertFalse(ind["latency"]["met"])      # the target is 100 %
        self.assertIn("399 / 400", ind["latency"]["footnote"])
        self.assertEqual(j["targets"]["indicators_not_measured"], 0)
        self.assertEqual(
            j["targets"]["indicators_met"] + j["targets"]["indicators_missed"]
            + j["targets"]["indicators_no_data"], 7)

        # The outage list: every outage overlapping October, in order.
        outs = j["outages"]
        self.assertEqual(len(outs), len(self.outs))
        for o, w in zip(outs, sorted(self.outs, key=lambda o: o["start"])):
            self.assertEqual(o["device"], w["device"])
            self.assertEqual(o["start_ms"], w["start"])
            self.assertEqual(o["end_ms"], w["end"] or None)
            self.assertEqual(o["cause"], w["cause"])
            self.assertEqual(o["acknowledged_by"], w["acked_by"])
            self.assertEqual(o["note"], w["note"])
            self.assertAlmostEqual(o["in_period_s"], (min(w["end"] or M1, M1)
                                   - max(w["start"], M0)) / 1000)
        kinds = [o["kind"] for o in outs]
        self.assertEqual(kinds.count("planned"), 2)   # by rule, reclassified
        self.assertEqual(kinds.count("external"), 1)
        self.assertEqual([o["start"] for o in outs if o["blip"]],
                         ["2026-10-12 09:00:00"])
        self.assertEqual(self.site["blips"], 1)

        # Daily figures: one day recomputed, and the burn-down's end.
        daily = j["daily"]
        self.assertEqual(len(daily["labels"]), 31)
        d3 = local_ms("2026-10-03 00:00:00")
        _, dd, _, _, _, _ = expected(d3, d3 + 86400000)
        self.assertTrue(close(daily["availability"]["lines"][2],
                              add_up([dd["line-telecom"], dd["line-mobile"]],
                                     math.nan)["avail"]))
        g = self.groups["lines"]
        self.assertTrue(close(daily["budget_left_pct"]["lines"][-1],
                              g["left"] / g["budget"] * 100))

        # Provenance: the checksum of exactly the journal's bytes.
        with open(self.journal, "rb") as f:
            data = f.read()
        self.assertEqual(j["method"]["journal_bytes"], len(data))
        self.assertEqual(j["method"]["journal_sha256"],
                         hashlib.sha256(data).hexdigest())
        self.assertEqual(j["method"]["config_sha256"], hashlib.sha256(
            open(self.conf, "rb").read()).hexdigest())

    def test_csv(self):
        raw = open(self.base + ".csv", "rb").read()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "no BOM")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        by_id = {}
        for r in rows:
            if len(r) == 17 and r[0] in self.dev and r[0] not in by_id:
                by_id[r[0]] = r
        self.assertEqual(set(by_id), set(self.dev))

        def num(s):
            return float(s) if s != "" else math.nan
        for i, r in by_id.items():
            w = self.dev[i]
            self.assertEqual(num(r[2]),
                             math.floor(w["avail"] * 1e8 + 1e-7) / 1e6, i)
            self.assertEqual(num(r[3]),
                             math.floor(w["charged"] * 1e8 + 1e-7) / 1e6, i)
            for col, k in ((6, "down"), (7, "external"), (8, "planned"),
                           (9, "left"), (10, "unknown"), (12, "mttr"),
                           (13, "mtbf"), (14, "mttd"), (15, "mtta")):
                if math.isnan(w[k]):
                    self.assertEqual(r[col], "", (i, k))
                else:
                    self.assertAlmostEqual(num(r[col]), w[k] / 1000, 3,
                                           (i, k))
            self.assertEqual(int(r[11]), w["outages"])
            self.assertEqual(r[5], met_zh(w["met"], w["target"]))
            if math.isnan(w["lat"]):
                self.assertEqual(r[16], "", i)
            else:
                self.assertAlmostEqual(num(r[16]), w["lat"] * 100, 4)
        # Formula-looking text is neutralised; numbers are left alone.
        flat = [c for r in rows for c in r]
        self.assertIn("'=1+1 timeout", flat)
        self.assertIn("'@值班员", flat)
        self.assertIn("'-重启后恢复", flat)
        self.assertFalse([c for c in flat if c[:1] in ("=", "+", "@")])
        self.assertEqual(num(by_id["line-mobile"][9]),
                         round(self.dev["line-mobile"]["left"] / 1000, 3))
        ind = [r for r in rows if r and r[0] == "latency"][0]
        self.assertEqual(ind[5], "99.7500% 的探测在 800 毫秒内成功")
        self.assertAlmostEqual(num(ind[6]), 99.75, 6)
        self.assertEqual(ind[8], "未达标")

    def test_xlsx(self):
        import openpyxl
        wb = openpyxl.load_workbook(self.base + ".xlsx")
        self.assertEqual(wb.sheetnames, ["概要", "绩效指标", "分组", "设备类别",
                                         "设备", "故障清单", "每日", "计算方法"])
        ws = wb["设备"]
        seen = set()
        for row in ws.iter_rows(min_row=2):
            i = row[0].value
            w = self.dev[i]
            seen.add(i)
            for col, k in ((2, "avail"), (3, "charged"), (4, "target")):
                c = row[col]
                if math.isnan(w[k]):
                    self.assertIsNone(c.value)
                else:
                    # A number (1.0 is stored as 1), never text.
                    self.assertIsInstance(c.value, (int, float))
                    self.assertEqual(c.number_format, "0.0000%")
                    self.assertAlmostEqual(c.value, w[k], 12)
            for col, k in ((6, "down"), (7, "external"), (8, "planned"),
                           (9, "left"), (10, "unknown"), (12, "mttr"),
                           (13, "mtbf"), (14, "mttd"), (15, "mtta")):
                v = row[col].value
                if math.isnan(w[k]):
                    self.assertIsNone(v, (i, k))
                else:
                    self.assertIsInstance(v, (int, float))
                    self.assertAlmostEqual(v, w[k] / 1000, 6, (i, k))
                    # The unit shows on the cell.
                    self.assertEqual(row[col].number_format,
                                     '#,##0.0" 秒"')
            self.assertEqual(row[11].value, w["outages"])
            self.assertEqual(row[5].value, met_zh(w["met"], w["target"]))
        self.assertEqual(seen, set(self.dev))
        ws = wb["分组"]
        for row in ws.iter_rows(min_row=2):
            self.assertAlmostEqual(row[2].value,
                                   self.groups[row[0].value]["avail"], 12)
        ws = wb["故障清单"]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        want = sorted(self.outs, key=lambda o: o["start"])
        self.assertEqual(len(rows), len(want))
        for r, w in zip(rows, want):
            start = datetime.datetime.fromtimestamp(w["start"] / 1000, CN)
            self.assertEqual(r[0], start.replace(tzinfo=None))
            if w["end"]:
                end = datetime.datetime.fromtimestamp(w["end"] / 1000, CN)
                self.assertEqual(r[1], end.replace(tzinfo=None))
            else:
                self.assertEqual(r[1], "未恢复")
        ws = wb["绩效指标"]
        vals = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
        self.assertAlmostEqual(vals["保障中心（大厅）各项工作正常运行率"][5],
                               self.site["avail"], 12)
        self.assertAlmostEqual(vals["平均故障修复时间"][5],
                               self.site["mttr"] / 1000, 6)
        self.assertAlmostEqual(vals["数据响应时间"][5], 399 / 400, 12)
        self.assertEqual(vals["数据响应时间"][6], "未达标")
        ws = wb["概要"]
        cov = [r for r in ws.iter_rows(values_only=True)
               if r[0] and str(r[0]).startswith("覆盖率")][0]
        self.assertAlmostEqual(cov[1], self.site["coverage"], 12)

    def test_pdf(self):
        pdf = self.base + ".pdf"
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                              stdout=subprocess.PIPE, check=True,
                              text=True).stdout
        flat = re.sub(r"\s+", " ", text)
        self.assertIn("绩效指标完成情况表", text)
        self.assertIn("测试政务服务中心 2026年10月运行可用性报告", flat)
        lines = text.splitlines()
        for i, d in self.devs.items():
            cells = row_cells("%s (%s)" % (d["name"], i), self.dev[i])
            line = [ln for ln in lines if "(%s)" % i in ln and "%" in ln]
            self.assertTrue(line, i)
            pos = 0
            for c in cells[1:]:
                k = line[0].find(c, pos)
                self.assertGreaterEqual(k, 0, "%s: %r not in %r" %
                                        (i, c, line[0]))
                pos = k + len(c)
        for g, r in self.groups.items():
            line = [ln for ln in lines
                    if ln.strip().startswith(GROUP_ZH[g] + "（")]
            self.assertTrue(line, g)
            self.assertIn(pct(r["avail"]), line[0])
            self.assertIn(dur(r["down"]), line[0])
        self.assertIn(pct(self.site["coverage"]), flat)
        self.assertIn("%.1f分钟" % (self.site["mttr"] / 60000), flat)
        self.assertIn("未测量", flat)
        lat = [ln for ln in lines if "数据响应时间" in ln][0]
        self.assertIn("<800ms", lat)
        self.assertIn("99.7500%", lat)
        self.assertIn("未达标", lat)
        self.assertIn("（399 / 400 次；失败", flat)
        with open(self.journal, "rb") as f:
            self.assertIn(hashlib.sha256(f.read()).hexdigest(), flat)
        info = subprocess.run(["pdfinfo", pdf], stdout=subprocess.PIPE,
                              check=True, text=True).stdout
        self.assertIn("A4", info)
        fonts = subprocess.run(["pdffonts", pdf], stdout=subprocess.PIPE,
                               check=True, text=True).stdout
        self.assertIn("NotoSansCJK", fonts)
        # Page 1 as a PNG for people to look at.
        os.makedirs(ARTIFACTS, exist_ok=True)
        prefix = os.path.join(ARTIFACTS, "report-2026-10")
        subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "100",
                        "-png", "-singlefile", pdf, prefix], check=True)
        self.assertGreater(os.path.getsize(prefix + ".png"), 10000)

    def test_html(self):
        p = TableParser()
        p.feed(open(self.base + ".html", encoding="utf-8").read())
        rows = {r[0]: r for r in p.rows if r}
        for i, d in self.devs.items():
            name = "%s (%s)" % (d["name"], i)
            self.assertEqual(rows[name], row_cells(name, self.dev[i]), i)
        for g, r in self.groups.items():
            name = "%s（%d台）" % (GROUP_ZH[g], r["ndev"])
            self.assertEqual(rows[name], row_cells(name, r), g)
        html_text = open(self.base + ".html", encoding="utf-8").read()
        self.assertEqual(html_text.count("<svg"), 2)
        self.assertIn("@page { size: A4", html_text)

    def test_deterministic(self):
        again = self.run_report("again")
        for ext in ("html", "pdf", "xlsx", "csv", "json"):
            name = "facmon-report-2026-10." + ext
            with open(os.path.join(self.out, name), "rb") as a, \
                    open(os.path.join(again, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        # Another generation time the same day changes that line and
        # nothing else (another day changes the sign-off's date too).
        later = self.run_report("later", epoch="1793003600")
        for ext in ("html", "csv", "json"):
            name = "facmon-report-2026-10." + ext
            a = open(os.path.join(self.out, name), encoding="utf-8-sig")
            b = open(os.path.join(later, name), encoding="utf-8-sig")
            diff = [(x, y) for x, y in zip(a.read().splitlines(),
                                          b.read().splitlines()) if x != y]
            self.assertEqual(len(diff), 1, (name, diff))

    def test_english_group_year(self):
        out = self.run_report("en", "--month", "2026-10", "--lang", "en",
                              "--group", "lines", "--format", "pdf,json")
        base = os.path.join(out, "facmon-report-2026-10-lines-en")
        self.assertFalse(os.path.exists(base + ".xlsx"))
        text = subprocess.run(["pdftotext", base + ".pdf", "-"],
                              stdout=subprocess.PIPE, check=True,
                              text=True).stdout
        self.assertIn("Performance indicators", text)
        self.assertIn("not measured", text)
        j = json.load(open(base + ".json", encoding="utf-8"))
        self.assertEqual(sorted(d["id"] for d in j["devices"]),
                         ["line-mobile", "line-telecom"])
        self.assertTrue(close(j["summary"]["availability"],
                              self.groups["lines"]["avail"]))
        self.assertEqual(len(j["outages"]), 3)    # one is the blip
        if not os.path.exists(FAKETIME):
            self.skipTest("faketime not installed")
        # The year as seen once it is over.
        out = self.run_report("year", "--year", "2026", "--format", "json",
                              now="2027-02-01 00:00:00")
        j = json.load(open(os.path.join(out, "facmon-report-2026.json"),
                           encoding="utf-8"))
        self.assertFalse(j["period"]["open"])
        self.assertEqual(len(j["daily"]["labels"]), 12)
        self.assertEqual(j["period"]["from"], "2026-01-01 00:00:00")
        self.assertEqual(j["period"]["to"], "2027-01-01 00:00:00")
        # A year has no outage before the script's September start.
        self.assertEqual(j["summary"]["outages"], self.site["outages"])

    def test_deviation_and_analysis(self):
        """偏差原因 of a missed indicator names the outages that cost it
        most with what people said about them; 原因分析 of each outage is
        its classification reason and repair note -- in every format."""
        j = json.load(open(self.base + ".json", encoding="utf-8"))
        ind = {i["id"]: i for i in j["indicators"]}
        self.assertFalse(ind["network"]["met"])
        dev = ind["network"]["deviation"]
        # core-sw's ten minutes, with its repair note.
        self.assertIn("核心交换机 10-09 14:00 起故障", dev)
        self.assertIn("修复：-重启后恢复", dev)
        self.assertTrue(ind["equipment"]["met"])
        self.assertEqual(ind["equipment"]["deviation"], "")
        self.assertIn("1 次探测失败或超过 800 毫秒（共 400 次）",
                      ind["latency"]["deviation"])
        # The measure stated as the evaluation table states the target.
        self.assertEqual(ind["latency"]["value_text"],
                         "99.7500% 的探测在 800 毫秒内成功")
        an = {(o["device"], o["start"]): o["analysis"] for o in j["outages"]}
        self.assertEqual(an[("line-mobile", "2026-10-06 00:00:00")],
                         "运营商光缆中断（分类：李工）")
        self.assertEqual(an[("line-telecom", "2026-10-03 10:00:00")],
                         "修复：光模块重新插拔后恢复")
        # CSV: the indicator's column and the outage list's.
        with open(self.base + ".csv", encoding="utf-8-sig") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        head = [r for r in rows if "偏差原因" in r][0]
        net = [r for r in rows if r and r[0] == "network"][0]
        self.assertIn("核心交换机", net[head.index("偏差原因")])
        ohead = [r for r in rows if "原因分析" in r][0]
        mob = [r for r in rows if len(r) == len(ohead) and
               r[0].startswith("2026-10-06 00:00")][0]
        self.assertEqual(mob[ohead.index("原因分析")],
                         "运营商光缆中断（分类：李工）")
        # XLSX.
        import openpyxl
        wb = openpyxl.load_workbook(self.base + ".xlsx")
        ws = wb["绩效指标"]
        hx = [c.value for c in ws[1]]
        col = hx.index("偏差原因")
        cells = {r[0].row: r[col].value for r in ws.iter_rows(min_row=2)}
        self.assertIn("核心交换机", cells[2])
        ws = wb["故障清单"]
        hx = [c.value for c in ws[1]]
        self.assertIn("运营商光缆中断（分类：李工）",
                      [r[hx.index("原因分析")].value
                       for r in ws.iter_rows(min_row=2)])
        # PDF.
        text = subprocess.run(["pdftotext", self.base + ".pdf", "-"],
                              stdout=subprocess.PIPE, check=True,
                              text=True).stdout
        flat = re.sub(r"\s+", "", text)
        self.assertIn("偏差原因", flat)
        self.assertIn("运营商光缆中断（分类：李工）", flat)
        self.assertIn("核心交换机10-0914:00起故障", flat)

    def test_names_and_signoff(self):
        """Groups and classes by the names the wall uses (or the
        configured ones), and the sign-off block with the configured
        names and the report's date, in every format."""
        j = json.load(open(self.base + ".json", encoding="utf-8"))
        g = {r["id"]: r["name"] for r in j["groups"]}
        self.assertEqual(g["lines"], "专线")
        self.assertEqual(g["terminals"], "大厅终端")
        c = {r["id"]: r["name"] for r in j["classes"]}
        self.assertEqual(c["switch"], "交换机")
        self.assertEqual(c["evaluation-terminal"], "评价器")
        ind = {i["id"]: i for i in j["indicators"]}
        self.assertIn("分组 专线、网络、业务系统", ind["network"]["footnote"])
        date = datetime.datetime.fromtimestamp(int(EPOCH), CN).strftime(
            "%Y-%m-%d")
        self.assertEqual(j["signoff"], {"prepared": "张工",
                                        "reviewed": "王主任", "date": date})
        with open(self.base + ".csv", encoding="utf-8-sig") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        self.assertIn(["编制", "张工"], rows)
        self.assertIn(["审核", "王主任"], rows)
        self.assertIn(["日期", date], rows)
        import openpyxl
        ws = openpyxl.load_workbook(self.base + ".xlsx")["概要"]
        cells = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2)]
        self.assertIn(("编制", "张工"), cells)
        self.assertIn(("日期", date), cells)
        text = subprocess.run(["pdftotext", "-layout", self.base + ".pdf",
                               "-"], stdout=subprocess.PIPE, check=True,
                              text=True).stdout
        flat = re.sub(r"\s+", "", text)
        self.assertIn("编制：张工审核：王主任日期：" + date, flat)
        self.assertIn("大厅终端（2台）", flat)
        self.assertIn("交换机（1台）", flat)
        # Every page is numbered.
        pages = text.split("\f")
        numbered = [p for p in pages if p.strip()]
        for n, p in enumerate(numbered, 1):
            self.assertIn("第 %d 页，共 %d 页" % (n, len(numbered)), p)
        html_text = open(self.base + ".html", encoding="utf-8").read()
        self.assertIn("编制：张工", html_text)

    def test_web_maintenance_windows(self):
        """Windows made in the web console (maintenance.json beside the
        journal) count in the report as in the API; cancelled ones not."""
        d = os.path.join(self.tmp, "webwin")
        os.makedirs(d)
        journal = os.path.join(d, "outages.fmoj")
        shutil.copy(self.journal, journal)
        conf = os.path.join(d, "report.conf")
        with open(self.conf, encoding="utf-8") as f:
            text = f.read().replace(self.journal, journal)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        win = lambda i, dev, a, b, c: {
            "id": i, "source": "api", "start_ms": local_ms(a),
            "end_ms": local_ms(b), "reason": "更换光模块",
            "devices": [dev], "groups": [], "classes": [],
            "created_by": "admin", "created_ms": 0, "changed_by": None,
            "changed_ms": None, "cancelled": c}
        with open(os.path.join(d, "maintenance.json"), "w") as f:
            json.dump({"version": 1, "windows": [
                win("web-1", "line-telecom", "2026-10-03 09:55:00",
                    "2026-10-03 10:10:00", False),
                win("web-2", "line-mobile", "2026-10-06 00:00:00",
                    "2026-10-06 01:00:00", True),
                # Recurring: the 9th of every month, 14:00, 15 minutes.
                dict(win("web-3", "core-sw", "2026-10-01 00:00:00",
                         "2026-10-01 00:00:00", False), start_ms=0,
                     end_ms=0, repeat="cron", at="0 14 9 * *",
                     duration_ms=900000)]}, f)
        out = os.path.join(d, "out")
        p = subprocess.run([REPORT, "-f", conf, "--month", "2026-10",
                            "--format", "json", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=dict(os.environ,
                                               SOURCE_DATE_EPOCH=EPOCH))
        self.assertEqual(p.returncode, 0, p.stdout)
        j = json.load(open(os.path.join(out, "facmon-report-2026-10.json"),
                           encoding="utf-8"))
        dev = {x["id"]: x for x in j["devices"]}
        self.assertEqual(dev["line-telecom"]["down_s"], 0)
        self.assertEqual(dev["line-telecom"]["planned_s"], 15 * 60)
        self.assertEqual(dev["line-telecom"]["planned_down_s"], 240)
        self.assertEqual(dev["line-mobile"]["down_s"],
                         self.dev["line-mobile"]["down"] / 1000)
        self.assertEqual(dev["core-sw"]["down_s"], 0)
        self.assertEqual(dev["core-sw"]["planned_down_s"], 600)
        # A broken file stops the report with its name and line.
        with open(os.path.join(d, "maintenance.json"), "w") as f:
            f.write('{"windows": [\n')
        p = subprocess.run([REPORT, "-f", conf, "--month", "2026-10",
                            "--format", "json", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn(os.path.join(d, "maintenance.json") + ":", p.stdout)

    def test_bad_config(self):
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write('availability: {\n  site = "x";\n  journal = "/j";\n'
                    '  targets = ( { class = "line"; availability = 120; } );'
                    '\n};\n')
        p = subprocess.run([REPORT, "-n", "-f", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:4: 'availability' must be above 0" % bad, p.stdout)


# ---- the collector makes and mails the month's report by itself ------------

FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


@unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
class CollectorMonthly(fmtest.FacmonTestCase):
    """The 1st of November 06:00 in Shanghai, by libfaketime: the collector
    makes October's report in its data directory, mails it with the PDF
    and XLSX attached (after the mail server deferred it once), lists it
    in the API, and after a restart neither makes nor mails it again."""

    def test_made_and_mailed_once(self):
        import email
        import email.policy
        self.mail, port = self.start_smtp(fmtest.Mailbox(tempfail=1))
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        subprocess.run([OJGEN, "script", os.path.join(DATA, "october.txt"),
                        os.path.join(data, "outages.fmoj")], check=True)
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            av = f.read().replace('journal = "@JOURNAL@";', "")
        http_port = fmtest.free_port()
        conf = self.write("collector.conf", """
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  agents = ( { id = "test"; } );
};
alerts: {
  base_url = "http://facmon.example/";
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org";
                 timeout = "5s"; } );
  recipients = ( { name = "director"; email = "director@example.org"; } );
  deliver = ( [ "mail" ] );
};
report: { hour = 6; mail_to = [ "director" ]; retry = "10s"; };
%s
""" % (fmtest.free_port(), http_port, data, port, av))
        env = dict(os.environ, LD_PRELOAD=FAKETIME,
                   FAKETIME="@2026-11-01 06:00:05",
                   FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC")
        p = self.start([fmtest.COLLECTOR, "-d", "-f", conf], "collector",
                       env=env)
        month = os.path.join(data, "reports", "2026-10")
        fmtest.wait_for(lambda: os.path.exists(os.path.join(month, ".done")),
                        timeout=90, what="October's report")
        for ext in ("pdf", "xlsx", "html", "csv", "json"):
            self.assertTrue(os.path.exists(os.path.join(
                month, "facmon-report-2026-10." + ext)), ext)
        # The same numbers as facmon-report run by hand on the journal.
        j = json.load(open(os.path.join(month, "facmon-report-2026-10.json"),
                           encoding="utf-8"))
        site = expected()[4]
        self.assertTrue(close(j["summary"]["availability"], site["avail"]))
        # Deferred once (451), then delivered after the retry interval.
        fmtest.wait_for(lambda: self.mail.msgs, timeout=90,
                        what="the report by mail")
        fmtest.wait_for(lambda: os.path.exists(
            os.path.join(month, ".mailed-director")), timeout=20,
            what="the mailed marker")
        m = email.message_from_bytes(self.mail.msgs[0],
                                     policy=email.policy.default)
        self.assertIn("2026", str(m["Subject"]))
        self.assertIn("可用性", str(m["Subject"]))
        self.assertEqual(m["To"].addresses[0].addr_spec,
                         "director@example.org")
        att = {a.get_filename(): a.get_content()
               for a in m.iter_attachments()}
        self.assertEqual(sorted(att), ["facmon-report-2026-10.pdf",
                                       "facmon-report-2026-10.xlsx"])
        self.assertTrue(att["facmon-report-2026-10.pdf"].startswith(b"%PDF"))
        self.assertTrue(att["facmon-report-2026-10.xlsx"].startswith(b"PK"))
        text = m.get_body(preferencelist=("plain",)).get_content()
        html = m.get_body(preferencelist=("html",)).get_content()
        self.assertIn("测试政务服务中心", text)
        self.assertIn("%.4f %%" % (site["avail"] * 100), text)
        self.assertIn("平均故障修复时间", html)
        self.assertIn("http://facmon.example/reports/2026-10/", text)
        # Listed for the web.
        api = "http://127.0.0.1:%d/api/v1/reports" % http_port
        r = fmtest.http_json(api)
        self.assertEqual(r[0]["month"], "2026-10")
        self.assertTrue(r[0]["made"])
        self.assertEqual(r[0]["mailed"], ["director"])
        names = sorted(f["name"] for f in r[0]["files"])
        self.assertIn("facmon-report-2026-10.pdf", names)
        pdf = [f for f in r[0]["files"] if f["name"].endswith(".pdf")][0]
        with urllib.request.urlopen("http://127.0.0.1:%d%s" %
                                    (http_port, pdf["url"])) as resp:
            self.assertEqual(resp.headers["Content-Type"], "application/pdf")
            self.assertTrue(resp.read().startswith(b"%PDF"))
        for bad in ("/reports/2026-10/.done", "/reports/2026-10/../x",
                    "/reports/2026-1/x.pdf", "/reports/2026-10/nope.pdf"):
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen("http://127.0.0.1:%d%s" %
                                       (http_port, bad))
            self.assertEqual(cm.exception.code, 404, bad)
        # A restart makes and mails nothing twice.
        p.stop()
        mtime = os.path.getmtime(os.path.join(month,
                                              "facmon-report-2026-10.pdf"))
        self.start([fmtest.COLLECTOR, "-d", "-f", conf], "collector2",
                   env=env)
        fmtest.wait_for(lambda: fmtest.http_json(api) is not None,
                        timeout=15, what="collector HTTP")
        time.sleep(5)       # the report check runs 2 s after start
        self.assertEqual(len(self.mail.msgs), 1)
        self.assertEqual(mtime, os.path.getmtime(
            os.path.join(month, "facmon-report-2026-10.pdf")))


@unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
class CollectorFirstStart(fmtest.FacmonTestCase):
    """The 1st of December 06:00 in Shanghai, by libfaketime.  A new
    install (an empty data directory) never saw November: the collector
    makes no report of it and mails nothing, also after a restart.  An
    install whose journal begins on 20 November mails November's report
    marked as partly monitored, in the subject and on page 1."""

    NOW = "@2026-12-01 06:00:05"

    def setup_collector(self, data):
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            av = f.read().replace('journal = "@JOURNAL@";', "")
        self.http_port = fmtest.free_port()
        self.mail, port = self.start_smtp()
        self.conf = self.write("collector.conf", """
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  agents = ( { id = "test"; } );
};
alerts: {
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org";
                 timeout = "5s"; } );
  recipients = ( { name = "director"; email = "director@example.org"; } );
  deliver = ( [ "mail" ] );
};
report: { hour = 6; mail_to = [ "director" ]; retry = "10s"; };
%s
""" % (fmtest.free_port(), self.http_port, data, port, av))
        self.env = dict(os.environ, LD_PRELOAD=FAKETIME, FAKETIME=self.NOW,
                        FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC")
        self.api = "http://127.0.0.1:%d/api/v1/reports" % self.http_port

    def test_new_install_mails_nothing(self):
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        self.setup_collector(data)
        p = self.start([fmtest.COLLECTOR, "-d", "-f", self.conf],
                       "collector", env=self.env)
        month = os.path.join(data, "reports", "2026-11")
        fmtest.wait_for(lambda: os.path.exists(
            os.path.join(month, ".unseen")), timeout=90,
            what="November marked as never seen")
        self.assertEqual(sorted(os.listdir(month)), [".unseen"])
        r = fmtest.http_json(self.api)
        self.assertEqual(r[0]["month"], "2026-11")
        self.assertFalse(r[0]["made"])
        self.assertTrue(r[0]["unseen"])
        self.assertEqual(r[0]["files"], [])
        # Neither now nor after a restart.
        p.stop()
        self.start([fmtest.COLLECTOR, "-d", "-f", self.conf], "collector2",
                   env=self.env)
        fmtest.wait_for(lambda: fmtest.http_json(self.api) is not None,
                        timeout=15, what="collector HTTP")
        time.sleep(5)       # the report check runs 2 s after start
        self.assertEqual(self.mail.msgs, [])
        self.assertEqual(sorted(os.listdir(month)), [".unseen"])

    def test_partly_seen_month_is_marked(self):
        import email
        import email.policy
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        script = self.write("script.txt", """\
device|hall-sw|大厅交换机|switch|network|
state|hall-sw|2026-11-20 10:00:00|up|
state|hall-sw|2026-11-25 08:00:00|down|no answer
confirm|hall-sw|2026-11-25 08:00:00|2026-11-25 08:00:30
state|hall-sw|2026-11-25 08:20:00|up|
""")
        subprocess.run([OJGEN, "script", script,
                        os.path.join(data, "outages.fmoj")], check=True)
        self.setup_collector(data)
        self.start([fmtest.COLLECTOR, "-d", "-f", self.conf], "collector",
                   env=self.env)
        month = os.path.join(data, "reports", "2026-11")
        fmtest.wait_for(lambda: self.mail.msgs, timeout=90,
                        what="November's report by mail")
        m = email.message_from_bytes(self.mail.msgs[0],
                                     policy=email.policy.default)
        j = json.load(open(os.path.join(month, "facmon-report-2026-11.json"),
                           encoding="utf-8"))
        self.assertTrue(j["monitoring"]["partial"])
        self.assertEqual(j["monitoring"]["since"], "2026-11-20 10:00:00")
        cov = j["summary"]["coverage"]
        # 10 days 14 hours of the month's 30 days were seen.
        self.assertAlmostEqual(cov, (10 * 24 + 14) / (30 * 24.0), places=9)
        subject = str(m["Subject"])
        self.assertIn("部分监测：自 2026-11-20 10:00 起，覆盖率 %.2f%%" %
                      (cov * 100), subject)
        text = m.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("仅部分监测：自 2026-11-20 10:00:00 起有记录", text)
        page1 = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", "-layout",
             os.path.join(month, "facmon-report-2026-11.pdf"), "-"],
            capture_output=True, text=True, check=True).stdout
        flat = "".join(page1.split())
        self.assertIn("仅部分监测：自2026-11-2010:00:00起有记录，覆盖率", flat)
        self.assertFalse(os.path.exists(os.path.join(month, ".unseen")))


if __name__ == "__main__":
    unittest.main()
