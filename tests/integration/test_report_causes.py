# The report's cause columns in words: outages whose causes are written to
# the journal as the collector writes them (tests/data/report/causes.txt,
# built with build/test-ojgen), the report made in Chinese and English,
# and the sentences compared with golden files (tests/golden/causes/;
# FACMON_UPDATE_GOLDEN=1 rewrites them).  The sentence is the alerts'
# (common/cause.c), so the SNMP timeout reads as in
# tests/golden/alerts/zh.txt; the journal's own text stays in the CSV's
# and the workbook's 检测原文 column and the JSON's "cause".

import csv
import io
import json
import os
import re
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
GOLDEN = os.path.join(ROOT, "tests", "golden", "causes")
# What a probe's or the collector's English looks like; none of it may
# reach a Chinese reader (the operator's own trap wording aside).
RAW_ENGLISH = re.compile(r"within|timed out|milliseconds|general failure|"
                         r"occured|expected|took \d|limit \d|parent|"
                         r"no result|echo reply|refused|exception|HTTP 503")


class ReportCauses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="facmon-report-causes-")
        journal = os.path.join(cls.tmp, "outages")
        subprocess.run([OJGEN, "script", os.path.join(DATA, "causes.txt"),
                        journal], check=True)
        with open(os.path.join(DATA, "report.conf"), encoding="utf-8") as f:
            conf = f.read().replace("@JOURNAL@", journal)
        cls.conf = os.path.join(cls.tmp, "report.conf")
        with open(cls.conf, "w", encoding="utf-8") as f:
            f.write(conf)
        cls.raw = [line.rstrip("\n").split("|")[4] for line in
                   open(os.path.join(DATA, "causes.txt"), encoding="utf-8")
                   if line.startswith("state|") and "|down|" in line]

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("FACMON_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def report(self, lang):
        out = os.path.join(self.tmp, lang)
        p = subprocess.run([REPORT, "-f", self.conf, "--out", out,
                            "--month", "2026-11", "--lang", lang,
                            "--format", "json,csv,xlsx"],
                           env=dict(os.environ, SOURCE_DATE_EPOCH="1796000000"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        return os.path.join(out, "facmon-report-2026-11" +
                            ("-en" if lang == "en" else ""))

    def golden(self, name, text):
        path = os.path.join(GOLDEN, name)
        if os.environ.get("FACMON_UPDATE_GOLDEN"):
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        with open(path, encoding="utf-8") as f:
            want = f.read()
        self.assertEqual(text, want, "differs from %s (FACMON_UPDATE_GOLDEN"
                         "=1 rewrites it after a deliberate change)" % path)

    def check(self, lang, col_cause, col_raw, col_analysis, detected):
        base = self.report(lang)
        j = json.load(open(base + ".json", encoding="utf-8"))
        outs = sorted(j["outages"], key=lambda o: o["start"])
        # Every outage of the script, its raw text kept as it was.
        self.assertEqual([o["cause"] for o in outs], self.raw)
        lines = ["%s\t%s" % (o["cause"], o["cause_text"]) for o in outs]
        # Nobody said anything about them: the analysis is the sentence.
        for o in outs:
            self.assertEqual(o["analysis"], detected + o["cause_text"])
        # The CSV: the sentence in the cause column, the raw text beside.
        with open(base + ".csv", encoding="utf-8-sig") as f:
            rows = list(csv.reader(io.StringIO(f.read())))
        head = [r for r in rows if col_raw in r][0]
        body = [r for r in rows[rows.index(head) + 1:]
                if len(r) == len(head)]
        got = {r[head.index(col_raw)]: r for r in body}
        for o in outs:
            r = got[o["cause"]]
            self.assertEqual(r[head.index(col_cause)], o["cause_text"])
            self.assertEqual(r[head.index(col_analysis)],
                             detected + o["cause_text"])
        # The workbook: the same two columns.
        import openpyxl
        ws = openpyxl.load_workbook(base + ".xlsx")[
            "故障清单" if lang == "zh" else "Outages"]
        hx = [c.value for c in ws[1]]
        pairs = {(r[hx.index(col_raw)].value or "",
                  r[hx.index(col_cause)].value or "")
                 for r in ws.iter_rows(min_row=2)}
        self.assertEqual(pairs, {(o["cause"], o["cause_text"])
                                 for o in outs})
        return outs, "\n".join(lines) + "\n"

    def test_chinese(self):
        outs, text = self.check("zh", "原因", "检测原文", "原因分析",
                                "检测到：")
        by = {o["device"] + o["start"][8:10]: o["cause_text"] for o in outs}
        # The alerts' sentence (tests/golden/alerts/zh.txt), word for word.
        self.assertEqual(by["sw-102"], "SNMP 查询在2秒内无应答")
        self.assertEqual(by["web03"], "HTTP 请求在2秒内无应答")
        self.assertEqual(by["lift-108"], "设备上报：电梯故障 elevator fault")
        self.assertEqual(by["sw-115"], "机房断电")
        for o in outs:
            if not o["cause"].startswith("trap: "):
                self.assertIsNone(RAW_ENGLISH.search(o["cause_text"]),
                                  o["cause_text"])
        self.golden("zh.txt", text)

    def test_budget_and_footnotes(self):
        """Days before a group is monitored are no data in the budget
        chart's figures, not a budget kept whole; time summed over
        devices is said in device-days, never as calendar time."""
        j = json.load(open(self.report("zh") + ".json", encoding="utf-8"))
        left = j["daily"]["budget_left_pct"]["lines"]
        self.assertEqual(left[:5], [None] * 5)
        self.assertEqual(left[5], 100)
        self.assertEqual(len(left), 30)
        ind = {i["id"]: i for i in j["indicators"]}
        note = ind["network"]["footnote"]
        self.assertIn("未知时间 共5.0台·天（每台平均", note)
        self.assertNotIn("未知时间 5天", note)

    def test_class_and_group_names(self):
        """Every class by a name (other: 其他), and the charts' series by
        the groups' names, not their ids."""
        base = self.report("zh")
        j = json.load(open(base + ".json", encoding="utf-8"))
        names = {c["id"]: c["name"] for c in j["classes"]}
        self.assertEqual(names["other"], "其他")
        for k, v in names.items():
            self.assertRegex(v, "[\u4e00-\u9fff]|^UPS$", k)
        import openpyxl
        ws = openpyxl.load_workbook(base + ".xlsx")["每日"]
        heads = [c.value for c in ws[1]]
        self.assertIn("专线 可用率", heads)
        self.assertIn("UPS 与机房 预算剩余%", heads)
        self.assertNotIn("lines 可用率", heads)
        en = json.load(open(self.report("en") + ".json", encoding="utf-8"))
        self.assertEqual({c["id"]: c["name"] for c in en["classes"]}
                         ["other"], "Other")

    def test_english(self):
        outs, text = self.check("en", "Cause", "Probe message", "Analysis",
                                "detected: ")
        by = {o["device"] + o["start"][8:10]: o["cause_text"] for o in outs}
        self.assertEqual(by["sw-102"], "SNMP query: no answer within 2 s")
        # Chinese only where the raw text itself was Chinese.
        for o in outs:
            if not re.search("[\u4e00-\u9fff]", o["cause"]):
                self.assertNotRegex(o["cause_text"], "[\u4e00-\u9fff]")
        self.golden("en.txt", text)


if __name__ == "__main__":
    unittest.main()
