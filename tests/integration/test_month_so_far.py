# The month so far, and one definition of every figure.
#
# A month that is not over is counted up to now, by facmon-report as by
# the API and 'facmon-collector avail': the clock of each process is
# frozen by libfaketime at 2026-11-06 18:30 in Shanghai (a month that,
# by the real clock, is long over, so a report that read the real clock
# would count the whole of November).  A device up since the 1st and
# down for the last ten minutes must show ten minutes down, not 24 days,
# in JSON, CSV, XLSX and PDF; the API, the command line and the report
# must give the same figures at that moment; and unseen time inside a
# maintenance window must be counted the same way by all three, so that
# the documented formulas hold on the API's own fields.

import csv
import datetime
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fmtest  # noqa: E402

ROOT = fmtest.ROOT
REPORT = os.path.join(ROOT, "build", "facmon-report")
OJGEN = os.path.join(ROOT, "build", "test-ojgen")
DATA = os.path.join(ROOT, "tests", "data", "report")
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
CN = datetime.timezone(datetime.timedelta(hours=8))

# Frozen (no '@'): every process sees exactly this instant.
NOW_UTC = "2026-11-06 10:30:00"
NOW = int(datetime.datetime(2026, 11, 6, 18, 30, tzinfo=CN).timestamp()
          * 1000)
NOV = int(datetime.datetime(2026, 11, 1, tzinfo=CN).timestamp() * 1000)
DEC = int(datetime.datetime(2026, 12, 1, tzinfo=CN).timestamp() * 1000)
OCT = int(datetime.datetime(2026, 10, 1, tzinfo=CN).timestamp() * 1000)

# hall-sw: up since the 1st, an hour unseen on the 3rd, down for the last
# ten minutes (confirmed).  elevator-1: up since the 1st; its monthly
# service (lift-service, the 15th 02:00 for 2 h, in report.conf) lies in
# the future and must not be counted.  lift-2, in October: unseen from
# 01:30 to 03:00 on the 15th, across the start of its 02:00-04:00
# service, and down for five minutes on the 20th.
SCRIPT = """\
device|hall-sw|大厅交换机|switch|network|
device|elevator-1|1号电梯|elevator|building|
device|lift-2|2号电梯|elevator|building|
state|lift-2|2026-10-01 00:00:00|up|
state|lift-2|2026-10-15 01:30:00|unknown|agent away
state|lift-2|2026-10-15 03:00:00|up|
state|lift-2|2026-10-20 10:00:00|down|no answer
confirm|lift-2|2026-10-20 10:00:00|2026-10-20 10:00:30
state|lift-2|2026-10-20 10:05:00|up|
state|hall-sw|2026-11-01 00:00:00|up|
state|elevator-1|2026-11-01 00:00:00|up|
state|hall-sw|2026-11-03 10:00:00|unknown|agent away
state|hall-sw|2026-11-03 11:00:00|up|
state|hall-sw|2026-11-06 18:20:00|down|no answer
confirm|hall-sw|2026-11-06 18:20:00|2026-11-06 18:20:30
ack|hall-sw|2026-11-06 18:20:00|2026-11-06 18:25:00|张工|机房停电，已联系物业
"""


def faked_env():
    return dict(os.environ, LD_PRELOAD=FAKETIME, FAKETIME=NOW_UTC,
                FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC",
                SOURCE_DATE_EPOCH=str(NOW // 1000))


def report(conf, out, month, *extra):
    p = subprocess.run([REPORT, "-f", conf, "--out", out, "--month", month]
                       + list(extra), env=faked_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("facmon-report failed:\n" + p.stdout)
    return os.path.join(out, "facmon-report-%s" % month)


def check_formulas(tc, row, suffix, scale):
    """The documented formulas applied to one document's own fields."""
    def g(k):
        return row[k + suffix] * scale
    period = g("period")
    tc.assertEqual(g("up") + g("down") + g("unknown") + g("unreachable") +
                   g("planned"), period, row["id"])
    tc.assertEqual(g("planned_up") + g("planned_down") +
                   g("planned_unseen"), g("planned"), row["id"])
    den = period - g("planned") - g("unknown") - g("unreachable")
    tc.assertAlmostEqual(row["availability"], g("up") / den, places=12)
    den = period - g("unknown") - g("unreachable") - g("planned_unseen")
    tc.assertAlmostEqual(row["availability_planned_charged"],
                         (g("up") + g("planned_up")) / den, places=12)
    tc.assertAlmostEqual(row["coverage"], (period - g("unknown") -
                                           g("planned_unseen")) / period,
                         places=12)


@unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
class MonthSoFarReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("pdftotext",):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("%s missing (make deps)" % tool)
        cls.tmp = tempfile.mkdtemp(prefix="facmon-month-")
        script = os.path.join(cls.tmp, "script.txt")
        with open(script, "w", encoding="utf-8") as f:
            f.write(SCRIPT)
        cls.journal = os.path.join(cls.tmp, "outages")
        subprocess.run([OJGEN, "script", script, cls.journal], check=True)
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            conf = f.read().replace("@JOURNAL@", cls.journal)
        cls.conf = os.path.join(cls.tmp, "report.conf")
        with open(cls.conf, "w", encoding="utf-8") as f:
            f.write(conf)
        cls.base = report(cls.conf, os.path.join(cls.tmp, "out"), "2026-11")
        cls.elapsed = NOW - NOV

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("FACMON_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_json(self):
        j = json.load(open(self.base + ".json", encoding="utf-8"))
        self.assertIn("截至 2026-11-06 18:30（未结束月份）", j["title"])
        p = j["period"]
        self.assertTrue(p["open"])
        self.assertEqual(p["to_ms"], NOW)
        self.assertEqual(p["period_end_ms"], DEC)
        self.assertEqual(p["to"], "2026-11-06 18:30:00")
        dev = {d["id"]: d for d in j["devices"]}
        sw = dev["hall-sw"]
        self.assertEqual(sw["down_s"], 600)
        self.assertEqual(sw["unknown_s"], 3600)
        self.assertEqual(sw["period_s"] * 1000, self.elapsed)
        self.assertEqual((sw["up_s"] + sw["down_s"] + sw["unknown_s"]) *
                         1000, self.elapsed)
        self.assertEqual(sw["outages"], 1)
        self.assertEqual(sw["outages_ended"], 0)
        self.assertTrue(math.isclose(sw["availability"], sw["up_s"] /
                                     (sw["up_s"] + sw["down_s"]),
                                     rel_tol=1e-12))
        # The 15th's service has not happened: nothing planned yet.
        self.assertEqual(dev["elevator-1"]["planned_s"], 0)
        self.assertEqual(dev["elevator-1"]["up_s"] * 1000, self.elapsed)
        self.assertEqual(j["summary"]["planned_s"], 0)
        # lift-2 is up since October: up so far, not all month.
        self.assertEqual(dev["lift-2"]["up_s"] * 1000, self.elapsed)
        for row in j["devices"] + j["groups"] + [j["summary"]]:
            if row["availability"] is not None:
                check_formulas(self, row, "_s", 1000)
        outs = j["outages"]
        self.assertEqual(len(outs), 1)
        self.assertTrue(outs[0]["open"])
        self.assertIsNone(outs[0]["end"])
        self.assertEqual(outs[0]["in_period_s"], 600)
        # What the duty engineer said on acknowledging it, for 原因分析.
        self.assertEqual(outs[0]["analysis"], "确认：机房停电，已联系物业")
        # The daily series stops today.
        self.assertEqual(j["daily"]["labels"][-1], "11-06")
        self.assertEqual(len(j["daily"]["labels"]), 6)

    def test_csv(self):
        with open(self.base + ".csv", encoding="utf-8-sig") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        self.assertIn("截至 2026-11-06 18:30（未结束月份）", rows[0][0])
        head = None
        found = {}
        for row in rows:
            if row and row[0] == "id" and len(row) > 5:
                head = row
            elif head and row and row[0] in ("hall-sw", "elevator-1"):
                found[row[0]] = dict(zip(head, row))
        sw = found["hall-sw"]
        self.assertEqual(float(sw["故障时间（秒）"]), 600)
        self.assertEqual(float(sw["未知时间（秒）"]), 3600)
        self.assertEqual(float(found["elevator-1"]["计划维护（秒）"]), 0)
        out = [r for r in rows if len(r) > 3 and r[0].startswith(
            "2026-11-06 18:20")]
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0][1], "未恢复")
        self.assertEqual(float(out[0][2]), 600)

    def test_xlsx(self):
        import openpyxl
        wb = openpyxl.load_workbook(self.base + ".xlsx")
        self.assertIn("截至 2026-11-06 18:30（未结束月份）",
                      wb["概要"]["A1"].value)
        ws = wb["设备"]
        head = [c.value for c in ws[1]]
        rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
        sw = rows["hall-sw"]
        self.assertEqual(sw[head.index("故障时间（秒）")].value, 600)
        self.assertEqual(sw[head.index("未知时间（秒）")].value, 3600)
        self.assertEqual(rows["elevator-1"][head.index("计划维护（秒）")].value,
                         0)
        ws = wb["故障清单"]
        self.assertEqual(ws.max_row, 2)
        self.assertEqual(ws["B2"].value, "未恢复")
        self.assertEqual(ws["C2"].value, 600)
        ws = wb["每日"]
        self.assertEqual(ws.max_row, 1 + 6)
        self.assertEqual(ws.cell(row=7, column=1).value, "11-06")

    def test_pdf(self):
        text = subprocess.run(["pdftotext", "-layout", self.base + ".pdf",
                               "-"], capture_output=True, text=True,
                              check=True).stdout
        flat = " ".join(text.split())
        self.assertIn("截至 2026-11-06 18:30（未结束月份）", flat)
        self.assertIn("未恢复", flat)
        line = [ln for ln in text.splitlines() if "2026-11-06 18:20" in ln]
        self.assertTrue(line, text)
        self.assertIn("10分", line[0])

    def test_closed_month_is_whole(self):
        """October, over by the faked clock: counted to its end, not to
        now, and titled without 截至."""
        base = report(self.conf, os.path.join(self.tmp, "oct"), "2026-10")
        j = json.load(open(base + ".json", encoding="utf-8"))
        self.assertFalse(j["period"]["open"])
        self.assertEqual(j["period"]["to_ms"], NOV)
        self.assertNotIn("截至", j["title"])
        self.assertEqual(len(j["daily"]["labels"]), 31)

    def test_english_and_html(self):
        base = report(self.conf, os.path.join(self.tmp, "en"), "2026-11",
                      "--lang", "en", "--format", "json,html")
        j = json.load(open(base + "-en.json", encoding="utf-8"))
        self.assertIn("as of 2026-11-06 18:30 (month not over)", j["title"])
        html_text = open(self.base + ".html", encoding="utf-8").read()
        self.assertIn("截至 2026-11-06 18:30（未结束月份）", html_text)
        self.assertIn("未恢复", html_text)

    def test_not_begun(self):
        p = subprocess.run([REPORT, "-f", self.conf, "--out",
                            os.path.join(self.tmp, "dec"), "--month",
                            "2026-12"], env=faked_env(), text=True,
                           capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not begun", p.stderr)


@unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
class SameFiguresEverywhere(fmtest.FacmonTestCase):
    """The collector, 'facmon-collector avail' and facmon-report, all three
    frozen at the same instant on the same journal, give the same figure
    for every field of every row: the month so far (November) and a closed
    month with unseen time inside maintenance (October)."""

    def setUp(self):
        super().setUp()
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        script = self.write("script.txt", SCRIPT)
        subprocess.run([OJGEN, "script", script,
                        os.path.join(data, "outages.fmoj")], check=True)
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            av = f.read().replace('journal = "@JOURNAL@";', "")
        self.http = fmtest.free_port()
        self.conf = self.write("collector.conf", """
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  agents = ( { id = "test"; } );
};
%s
""" % (fmtest.free_port(), self.http, data, av))
        self.start([fmtest.COLLECTOR, "-d", "-f", self.conf], "collector",
                   env=faked_env())
        self.api = "http://127.0.0.1:%d" % self.http
        fmtest.wait_for(lambda: fmtest.http_json(
            self.api + "/api/v1/stats"), timeout=30, what="collector HTTP")

    def three(self, month):
        api = fmtest.http_json(self.api + "/api/v1/availability?month=%s"
                               "&devices=1" % month)
        p = subprocess.run([fmtest.COLLECTOR, "-f", self.conf, "avail",
                            "--month", month, "--devices", "--json"],
                           env=faked_env(), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        cli = json.loads(p.stdout)
        base = report(self.conf, os.path.join(self.tmp, "r" + month), month,
                      "--format", "json")
        rep = json.load(open(base + ".json", encoding="utf-8"))
        return api, cli, rep

    def compare(self, api, cli, rep):
        self.assertEqual(api, cli)
        self.assertEqual(api["to_ms"], rep["period"]["to_ms"])
        self.assertEqual(api["open"], rep["period"]["open"])
        rows = [(api["site"], rep["summary"])]
        rg = {g["id"]: g for g in rep["groups"]}
        rows += [(g, rg[g["id"]]) for g in api["groups"]]
        rd = {d["id"]: d for d in rep["devices"]}
        rows += [(d, rd[d["id"]]) for d in api["devices"]]
        self.assertEqual(len(api["devices"]), len(rep["devices"]))
        compared = 0
        for a, r in rows:
            for k, v in a.items():
                if k in ("id", "name", "latency"):
                    continue
                if k.endswith("_ms"):
                    rk = k[:-3] + "_s"
                    want = None if v is None else v / 1000.0
                else:
                    rk, want = k, v
                self.assertIn(rk, r, "%s: %s missing in the report" %
                              (a["id"], rk))
                if want is None or isinstance(want, bool):
                    self.assertEqual(r[rk], want, "%s %s" % (a["id"], k))
                else:
                    self.assertTrue(math.isclose(r[rk], want, rel_tol=1e-12,
                                                 abs_tol=1e-9),
                                    "%s %s: report %r, API %r" %
                                    (a["id"], k, r[rk], want))
                compared += 1
            if a["availability"] is not None:
                check_formulas(self, a, "_ms", 1)
        self.assertGreater(compared, 100)

    def test_month_so_far(self):
        api, cli, rep = self.three("2026-11")
        self.compare(api, cli, rep)
        self.assertTrue(api["open"])
        self.assertEqual(api["to_ms"], NOW)
        sw = {d["id"]: d for d in api["devices"]}["hall-sw"]
        self.assertEqual(sw["down_ms"], 600000)
        # The wall's month is the same month so far, the same figures.
        wall = fmtest.http_json(self.api + "/api/v1/wall")["availability"]
        self.assertEqual(wall["month"], "2026-11")
        self.assertEqual(wall["to_ms"], NOW)
        self.assertEqual(wall["groups"], api["groups"])
        self.assertEqual(sw["up_ms"] + sw["down_ms"] + sw["unknown_ms"],
                         NOW - NOV)

    def test_unknown_inside_maintenance(self):
        api, cli, rep = self.three("2026-10")
        self.compare(api, cli, rep)
        self.assertFalse(api["open"])
        lift = {d["id"]: d for d in api["devices"]}["lift-2"]
        # 01:30-02:00 unseen outside the window, 02:00-03:00 inside it.
        self.assertEqual(lift["unknown_ms"], 30 * 60000)
        self.assertEqual(lift["planned_unseen_ms"], 3600000)
        self.assertEqual(lift["planned_ms"], 7200000)
        self.assertEqual(lift["planned_up_ms"], 3600000)
        self.assertEqual(lift["down_ms"], 5 * 60000)
        self.assertEqual(lift["period_ms"], NOV - OCT)
        self.assertAlmostEqual(lift["coverage"], 1 - 5400000 / (NOV - OCT),
                               places=12)
        # Each row of the command line's table is the API's too.
        p = subprocess.run([fmtest.COLLECTOR, "-f", self.conf, "avail",
                            "--month", "2026-10", "--devices"],
                           env=faked_env(), capture_output=True, text=True,
                           timeout=60)
        line = [ln for ln in p.stdout.splitlines()
                if ln.startswith("lift-2 ")]
        self.assertEqual(len(line), 1, p.stdout)
        self.assertIn("30m00s", line[0])


if __name__ == "__main__":
    unittest.main()
