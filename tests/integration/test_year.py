# The year report: the twelve months side by side.
#
# The clock of facmon-report is frozen by libfaketime at 2026-11-06 18:30
# in Shanghai, with a journal that begins on 1 October 2026.  In the year
# report for 2026, January to September (before monitoring began) read
# 无数据, October is a closed month, November the month so far, and
# December, not begun, reads "—".  Each month's figures must be those of
# the monthly report for that month at the same moment, in JSON, CSV,
# XLSX and PDF; the year column is the year report's own figure.

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fmtest  # noqa: E402
from test_month_so_far import (FAKETIME, NOW, NOV, OCT, SCRIPT,  # noqa: E402
                               faked_env)

ROOT = fmtest.ROOT
REPORT = os.path.join(ROOT, "build", "facmon-report")
OJGEN = os.path.join(ROOT, "build", "test-ojgen")
DATA = os.path.join(ROOT, "tests", "data", "report")

NOT_BEGUN = "—"
NO_DATA = "无数据"


def run(conf, out, *args):
    p = subprocess.run([REPORT, "-f", conf, "--out", out] + list(args),
                       env=faked_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    return p.returncode, p.stdout


def pct_cut(f):
    """A fraction as the CSV writes a percentage (cut to 6 decimals)."""
    import math
    return math.floor(f * 1e8 + 1e-7) / 1e6


@unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
class YearReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("pdftotext",):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("%s missing (make deps)" % tool)
        cls.tmp = tempfile.mkdtemp(prefix="facmon-year-")
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
        out = os.path.join(cls.tmp, "out")
        for args in (("--year", "2026"), ("--month", "2026-10"),
                     ("--month", "2026-11")):
            rc, text = run(cls.conf, out, *args)
            if rc != 0:
                raise AssertionError("facmon-report %s failed:\n%s" %
                                     (" ".join(args), text))
        cls.base = os.path.join(out, "facmon-report-2026")
        cls.year = json.load(open(cls.base + ".json", encoding="utf-8"))
        cls.month = {
            m: json.load(open(os.path.join(out, "facmon-report-%s.json" % m),
                              encoding="utf-8"))
            for m in ("2026-10", "2026-11")}

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("FACMON_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def rows(self):
        return {(r["kind"], r["id"]): r for r in self.year["year"]["rows"]}

    def test_months_states(self):
        y = self.year["year"]
        self.assertIn("截至 2026-11-06 18:30（未结束年度）", self.year["title"])
        states = [m["state"] for m in y["months"]]
        self.assertEqual(states, ["no_data"] * 9 + ["closed", "open",
                                                    "not_begun"])
        self.assertEqual(y["months"][9]["from_ms"], OCT)
        self.assertEqual(y["months"][9]["to_ms"], NOV)
        self.assertEqual(y["months"][10]["to_ms"], NOW)
        self.assertEqual(y["months"][10]["as_of"], "2026-11-06 18:30")
        self.assertEqual(y["columns"][10], "11月（截至 11-06 18:30）")
        self.assertEqual(y["columns"][12], "全年（至今）")
        for r in y["rows"]:
            self.assertEqual(r["texts"][:9], [NO_DATA] * 9, r["id"])
            self.assertEqual(r["values"][:9], [None] * 9, r["id"])
            self.assertEqual(r["texts"][11], NOT_BEGUN, r["id"])
            self.assertIsNone(r["values"][11], r["id"])

    def test_months_equal_monthly_reports(self):
        """Every figure of October and November as the monthly reports
        give them at the same moment."""
        y = self.year["year"]
        for k, label in ((9, "2026-10"), (10, "2026-11")):
            mo, rep = y["months"][k], self.month[label]
            self.assertEqual(mo["label"], label)
            self.assertEqual(mo["summary"], rep["summary"], label)
            self.assertEqual(mo["groups"], rep["groups"], label)
            ind = {i["id"]: i for i in rep["indicators"]}
            for i in mo["indicators"]:
                key = "value_s" if "value_s" in i else "value"
                self.assertEqual(i[key], ind[i["id"]][key], i["id"])
                self.assertEqual(i["value_text"], ind[i["id"]]["value_text"])
                self.assertEqual(i["met"], ind[i["id"]]["met"], i["id"])
            # The table's cells are the same figures.
            rows = self.rows()
            self.assertEqual(rows[("site", "site")]["values"][k],
                             rep["summary"]["availability"])
            for g in rep["groups"]:
                self.assertEqual(rows[("group", g["id"])]["values"][k],
                                 g["availability"], (label, g["id"]))
            for i in rep["indicators"]:
                key = "value_s" if "value_s" in i else "value"
                self.assertEqual(rows[("indicator", i["id"])]["values"][k],
                                 i[key], (label, i["id"]))
        # The month so far counts ten minutes of hall-sw down, not weeks.
        nov = {g["id"]: g for g in y["months"][10]["groups"]}
        self.assertEqual(nov["network"]["down_s"], 600)

    def test_year_column(self):
        rows = self.rows()
        self.assertEqual(rows[("site", "site")]["values"][12],
                         self.year["summary"]["availability"])
        for g in self.year["groups"]:
            self.assertEqual(rows[("group", g["id"])]["values"][12],
                             g["availability"], g["id"])
        for i in self.year["indicators"]:
            key = "value_s" if "value_s" in i else "value"
            self.assertEqual(rows[("indicator", i["id"])]["values"][12],
                             i[key], i["id"])

    def test_csv(self):
        text = open(self.base + ".csv", encoding="utf-8-sig").read()
        lines = list(csv.reader(io.StringIO(text)))
        at = [i for i, ln in enumerate(lines)
              if ln and ln[0].startswith("逐月对比")]
        self.assertEqual(len(at), 1, text)
        head = lines[at[0] + 1]
        self.assertEqual(head[:4], ["id", "名称", "目标", "单位"])
        self.assertEqual(head[4 + 10], "11月（截至 11-06 18:30）")
        rows = {}
        for ln in lines[at[0] + 2:]:
            if not ln or not ln[0]:
                break
            rows[ln[0]] = ln
        sw = rows["network"]
        self.assertEqual(sw[4:13], [NO_DATA] * 9)
        self.assertEqual(sw[4 + 11], NOT_BEGUN)
        nov = {g["id"]: g for g in self.month["2026-11"]["groups"]}
        self.assertAlmostEqual(float(sw[4 + 10]),
                               pct_cut(nov["network"]["availability"]),
                               places=6)
        oct_ = {g["id"]: g for g in self.month["2026-10"]["groups"]}
        self.assertAlmostEqual(float(rows["building"][4 + 9]),
                               pct_cut(oct_["building"]["availability"]),
                               places=6)
        # Network had no device in October: no data, not "not begun".
        self.assertEqual(sw[4 + 9], NO_DATA)
        mttr = rows["mttr"]
        self.assertEqual(mttr[3], "秒")
        self.assertEqual(float(mttr[4 + 9]), 300)

    def test_xlsx(self):
        import openpyxl
        wb = openpyxl.load_workbook(self.base + ".xlsx")
        ws = wb["逐月"]
        head = [c.value for c in ws[1]]
        self.assertEqual(head[:3], ["id", "名称", "目标"])
        self.assertEqual(head[3 + 10], "11月（截至 11-06 18:30）")
        rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
        nov = {g["id"]: g for g in self.month["2026-11"]["groups"]}
        net = rows["network"]
        self.assertEqual(net[3].value, NO_DATA)
        self.assertEqual(net[3 + 11].value, NOT_BEGUN)
        self.assertAlmostEqual(net[3 + 10].value,
                               nov["network"]["availability"], places=11)
        self.assertEqual(net[3 + 10].number_format, "0.0000%")
        self.assertEqual(rows["mttr"][3 + 9].value, 300)
        self.assertIn("秒", rows["mttr"][3 + 9].number_format)

    def test_pdf(self):
        text = subprocess.run(["pdftotext", "-layout", self.base + ".pdf",
                               "-"], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("逐月对比", text)
        nov = {g["id"]: g for g in self.month["2026-11"]["groups"]}
        # The network row: nine months and October without data, then
        # November's figure as its monthly report prints it, December
        # not begun, and the year.
        # (The groups table follows with the same name: the first is
        # the year's.)
        line = [ln for ln in text.splitlines() if ln.startswith("网络（1台）")]
        self.assertTrue(line, text)
        cells = line[0].split()
        self.assertEqual(cells[2:12], [NO_DATA] * 10)
        monthly = subprocess.run(
            ["pdftotext", "-layout",
             os.path.join(os.path.dirname(self.base),
                          "facmon-report-2026-11.pdf"), "-"],
            capture_output=True, text=True, check=True).stdout
        self.assertIn(cells[12], monthly)
        self.assertEqual(cells[12], "%.4f%%" % (
            int(nov["network"]["availability"] * 1e6 + 1e-7) / 1e4))
        self.assertEqual(cells[13], NOT_BEGUN)

    def test_english(self):
        out = os.path.join(self.tmp, "en")
        rc, text = run(self.conf, out, "--year", "2026", "--lang", "en",
                       "--format", "json,html")
        self.assertEqual(rc, 0, text)
        j = json.load(open(os.path.join(out, "facmon-report-2026-en.json"),
                           encoding="utf-8"))
        self.assertEqual(j["year"]["columns"][10], "Nov (to 11-06 18:30)")
        self.assertEqual(j["year"]["rows"][0]["texts"][0], "no data")
        html = open(os.path.join(out, "facmon-report-2026-en.html"),
                    encoding="utf-8").read()
        self.assertIn("id=\"year\"", html)
        self.assertIn("Month by month", html)

    def test_year_before_monitoring(self):
        """2025 is over and the journal begins in October 2026: every
        month no data, nothing counted."""
        out = os.path.join(self.tmp, "y2025")
        rc, text = run(self.conf, out, "--year", "2025", "--format", "json")
        self.assertEqual(rc, 0, text)
        j = json.load(open(os.path.join(out, "facmon-report-2025.json"),
                           encoding="utf-8"))
        self.assertFalse(j["period"]["open"])
        self.assertEqual([m["state"] for m in j["year"]["months"]],
                         ["no_data"] * 12)
        for r in j["year"]["rows"]:
            self.assertEqual(r["texts"][:12], [NO_DATA] * 12)

    def test_month_report_has_no_year_table(self):
        self.assertNotIn("year", self.month["2026-11"])


if __name__ == "__main__":
    unittest.main()
