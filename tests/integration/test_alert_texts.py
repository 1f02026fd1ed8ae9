# What a person reads: the alert texts as delivered -- the e-mail in
# aiosmtpd, the SMS file in the gammu spool, the webhook body at
# tests/lib/smsgw.py -- for every probe outcome, thresholds and each
# notification of FACMON-FACILITY-MIB, in Chinese and in English,
# compared with golden files (tests/golden/alerts/; FACMON_UPDATE_GOLDEN=1
# rewrites them).  build/test-alertd runs the real collector/alert*.c
# with TZ=UTC, as on a server in UTC: the texts must still show the
# configured zone's time (Asia/Shanghai, +08:00).  Everything on
# 127.0.0.1; only bounded waits for outcomes.

import datetime
import email
import email.policy
import json
import os
import hashlib
import hmac
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from fmtest import (BUILD, COLLECTOR, FacmonTestCase, Mailbox, free_port,
                    http_json, wait_for)
import smsgw

try:
    from aiosmtpd.controller import Controller
except ImportError:        # make deps installs python3-aiosmtpd
    Controller = None

ALERTD = os.path.join(BUILD, "test-alertd")
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "alerts")
FAC = "1.3.6.1.4.1.32473.1"
SINCE = 1796524200000          # 2026-12-06 02:30:00 UTC, 10:30 in Shanghai
OUTCOMES = ["timeout", "refused", "unreachable", "resolve_error",
            "bad_status", "bad_content", "slow", "snmp_error", "snmp_nosuch",
            "tls_error", "io_error", "internal", "bad_value"]
RAW = {"timeout": "no complete SNMP answer within 2000 ms",
       "bad_status": "HTTP status 503 Service Unavailable",
       "bad_content": "bad_content: JSON field 'status' is not \"ok\"",
       "slow": "answer took 1834 ms"}
TYPES = {"timeout": "snmp", "bad_status": "http", "bad_content": "http",
         "slow": "http", "refused": "tcp", "tls_error": "http",
         "snmp_error": "snmp", "snmp_nosuch": "snmp", "unreachable": "icmp"}
# Modbus outcomes as agent/check_modbus.c words them.
MODBUS = [
    ("mb-timeout", "timeout", "port 502 unit 1: no answer within 2000 ms"),
    ("mb-illegal-function", "bad_status",
     "unit 1 holding 0..12: illegal function (exception 1)"),
    ("mb-illegal-address", "bad_status",
     "unit 1 holding 0..12: illegal data address (exception 2)"),
    ("mb-illegal-value", "bad_status",
     "unit 1 input 0..130: illegal data value (exception 3)"),
    ("mb-busy", "bad_status",
     "unit 1 input 0..8: server device busy (exception 6)"),
    ("mb-gateway-path", "unreachable",
     "unit 7 input 0..11: gateway path unavailable (exception 10)"),
    ("mb-gateway-target", "unreachable", "unit 2 input 0..11: gateway "
     "target device failed to respond (exception 11)"),
    ("mb-malformed", "bad_content", "unit 1 input 0..8: malformed reply"),
]
# Each notification of the MIB with the objects it carries (instance 1).
TRAPS = {
    # name: (notification, [(table, column, instance, value)], class)
    "facElevatorFault": ("1", [(1, 3, 1, "2"), (1, 7, 1, "11"),
                               (1, 4, 1, "3")], "elevator"),
    "facElevatorInService": ("2", [(1, 3, 1, "1"), (1, 4, 1, "1")],
                             "elevator"),
    "facHvacAlarm": ("3", [(2, 8, 2, "4"), (2, 9, 2, "1")], "hvac"),
    "facLedModuleFailure": ("4", [(3, 8, 1, "11"), (3, 7, 1, "96")],
                            "led-wall"),
    "facLedSignalLost": ("5", [(3, 4, 1, "2")], "led-wall"),
}


def fmtest_json(url, cookie):
    r = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(r, timeout=10) as resp:
        return json.loads(resp.read().decode())


def alerts():
    """The cases: key -> the alert as test-alertd submits it."""
    out = []

    def add(key, **kw):
        a = {"key": key, "kind": "down", "severity": 2,
             "device_id": "elev-1", "device_name": "1号楼客梯",
             "check": "", "since_ms": SINCE, "duration_ms": 300000,
             "link": "http://127.0.0.1:8080/#device/elev-1"}
        a.update(kw)
        a.setdefault("facts", {})
        a["facts"].setdefault("group", "elevators")
        a["facts"].setdefault("class", "elevator")
        a["facts"].setdefault("address", "10.8.1.21")
        out.append(a)

    for o in OUTCOMES:
        add("pr-" + o.replace("_", "-"), cause=RAW.get(o, o),
            facts={"what": "probe", "outcome": o,
                   "check_type": TYPES.get(o, "tcp"), "timeout_ms": 2000,
                   "dur_ms": 1834, "budget_known": o in ("timeout",
                                                         "refused"),
                   "budget_left_ms": 10920000 if o == "timeout" else
                   -600000})
    # Modbus: exceptions typed by their code, with exception_is_down
    # (bad_status) or from a gateway (unreachable), and a timeout.
    for key, o, raw in MODBUS:
        add(key, device_id="ups-1", device_name="1号UPS", cause=raw,
            facts={"what": "probe", "outcome": o, "check_type": "modbus",
                   "timeout_ms": 2000, "group": "power", "class": "ups",
                   "address": "10.8.3.11"})
    add("pr-behind", device_id="core-sw", device_name="核心交换机",
        cause="HTTP status 503",
        facts={"what": "probe", "outcome": "bad_status",
               "check_type": "http", "timeout_ms": 500, "note_kind": 1,
               "note_n": 3, "note": "三楼 AP 1, 三楼 AP 2, 三楼 AP 3",
               "group": "network", "class": "switch"})
    add("pr-escalated", cause="no complete SNMP answer within 2000 ms",
        duration_ms=1200000,
        facts={"what": "probe", "outcome": "timeout", "check_type": "snmp",
               "timeout_ms": 2000, "note_kind": 3, "note_ms": 900000})
    add("pr-recovery", kind="recovery", severity=0, cause="",
        duration_ms=754000,
        facts={"what": "probe", "outcome": "ok", "check_type": "snmp"})
    add("thr-return", kind="threshold", severity=1, device_id="ahu-2",
        device_name="2号空调机组", check="hvac", cause="空调回风温度高",
        facts={"what": "threshold", "value_name": "returnTemp",
               "value": 291, "limit": 280, "op": 1, "hits": 3,
               "label": "回风温度", "label_en": "return air", "unit": "℃",
               "scale": 0.1,
               "group": "hvac", "class": "hvac", "address": "10.8.2.2"})
    add("thr-mib", kind="threshold", severity=1, device_id="led-1",
        device_name="大厅 LED 屏", check="led", cause="",
        facts={"what": "threshold", "value_name": "facLedFailedModules.1",
               "value": 12, "limit": 10, "op": 1, "hits": 1,
               "group": "screens", "class": "led-wall"})
    add("thr-latency-up", kind="recovery", severity=0, device_id="portal",
        device_name="政务服务网", check="http", cause="",
        duration_ms=95000,
        facts={"what": "threshold", "value_name": "duration_ms",
               "value": 0.524, "limit": 600, "op": 1, "hits": 3,
               "group": "systems", "class": "web-system"})
    for name, (n, vbs, cls) in sorted(TRAPS.items()):
        add("trap-" + name, kind="event", severity=1, check="trap",
            device_id="led-1" if "Led" in name else
            "ahu-2" if "Hvac" in name else "elev-1",
            device_name="大厅 LED 屏" if "Led" in name else
            "2号空调机组" if "Hvac" in name else "1号楼客梯",
            cause=name,
            facts={"what": "trap", "trap_oid": FAC + ".0." + n,
                   "label": name,
                   "varbinds": "; ".join("%s.1.%d.1.%d.%d=%s" %
                                         (FAC, t, c, i, v)
                                         for t, c, i, v in vbs),
                   "class": cls,
                   "group": "screens" if "Led" in name else
                   "hvac" if "Hvac" in name else "elevators"})
    return out


# facmon's own events (collector/events.c) as alerting.c submits them:
# the facts beside the English log line, by kind.
HEALTH = [
    # key, event kind, severity, agent, n0, n1, arg, log line
    ("agent-lost", "agent-unreachable", 2, "hall-agent", 95000, 0, "",
     "nothing heard for 95 s; its devices become unknown"),
    ("agent-back", "agent-reachable", 0, "hall-agent", 0, 0,
     "127.0.0.1:40512", "connected again from 127.0.0.1:40512"),
    ("clock-skew", "clock-skew", 2, "b1-agent", 4200, 2000, "",
     "results stamped 4200 ms ahead of the collector's clock "
     "(tolerance 2000 ms); kept out of RRD"),
    ("spool-drop", "spool-drop", 2, "b1-agent", 120, 960, "",
     "spool bound reached: results and values dropped so far (120, 960)"),
    ("disk-full", "storage-alarm", 2, "", 28, 0, "No space left on device",
     "journal cannot write (No space left on device): not acknowledging"),
    ("journal-ok", "storage-ok", 0, "", 0, 0, "", "journal writes again"),
    ("rrd-limit", "rrd-limit", 1, "", 4, 2,
     "elev-1/snmp/facElevatorFloor.1.rrd",
     "new series elev-1/snmp/facElevatorFloor.1.rrd refused: "
     "rrd.max_series_per_device is 4; its values still reach state and "
     "the journal"),
]


def health_alerts():
    out = []
    for key, kind, sev, agent, n0, n1, arg, line in HEALTH:
        out.append({
            "key": "health-" + key, "kind": "health", "severity": sev,
            "device_id": agent or "facmon",
            "device_name": "facmon" + (" agent " + agent if agent else ""),
            "check": kind, "cause": "%s: %s" % (kind, line),
            "since_ms": SINCE, "duration_ms": 0,
            "link": "http://127.0.0.1:8080/#events",
            "facts": {"what": "health", "health": kind, "agent": agent,
                      "health_n0": n0, "health_n1": n1, "health_arg": arg,
                      "group": "", "class": "", "address": ""}})
    return out


class AlertTexts(FacmonTestCase):

    def setUp(self):
        super().setUp()
        if Controller is None:
            self.skipTest("python3-aiosmtpd not installed")
        self.gw = smsgw.Gateway()
        self.addCleanup(self.gw.close)
        self.mail = Mailbox()
        port = free_port()
        self.ctl = Controller(self.mail, hostname="127.0.0.1", port=port)
        self.ctl.start()
        self.addCleanup(self.ctl.stop)
        self.smtp_port = port
        self.spool = os.path.join(self.tmp, "gammu-outbox")
        os.makedirs(self.spool)

    def conf(self, lang, segments=1, sms_tmpl=""):
        return self.write("alerts-%s.conf" % lang, """
availability: { timezone = "Asia/Shanghai"; };
alerts: {
  language = "%s";
  digest = "0";          # each case its own message
  signature = "【市政务服务中心】";
  retry: { first = "200ms"; max = "500ms"; give_up_after = "1h"; };
  group_names = ( { groups = [ "elevators" ]; name = "电梯";
                    name_en = "Elevators"; },
                  { groups = [ "hvac" ]; name = "暖通空调"; name_en = "HVAC"; } );
  places = ( { devices = [ "elev-*" ]; location = "1号楼东侧电梯厅";
               location_en = "Building 1, east lift lobby"; },
             { classes = [ "hvac" ]; location = "地下一层空调机房";
               location_en = "B1 plant room"; } );
  runbooks = ( { classes = [ "elevator" ]; text = "通知维保单位（电话 8001），确认轿厢内无人被困";
                 text_en = "Call the lift contractor (8001); check nobody is trapped"; },
               { classes = [ "hvac" ]; text = "检查滤网和冷冻水阀";
                 text_en = "Check the filter and the chilled water valve"; } );
  channels = (
    { name = "mail"; type = "smtp"; host = "127.0.0.1"; port = %d;
      tls = "none"; from = "facmon@example.org"; timeout = "2s"; },
    { name = "gsm"; type = "gammu"; spool_dir = "%s"; segments = %d;
      signature = "【市政务中心】"; %s },
    { name = "hook"; type = "webhook"; url = "%s"; timeout = "2s";
      segments = 3; }
  );
  recipients = ( { name = "duty"; email = "duty@example.org";
                   phone = "+8613800000000"; } );
  deliver = ( [ "mail" ], [ "gsm" ], [ "hook" ] );
};
""" % (lang, self.smtp_port, self.spool, segments, sms_tmpl,
            self.gw.url("/hook")))

    def deliver(self, conf, items):
        """Run test-alertd in UTC; the texts each channel delivered, by
        key: {"mail": message, "sms": text, "hook": text}."""
        path = self.write("alerts.json", json.dumps(items))
        self.runs = getattr(self, "runs", 0) + 1
        data = os.path.join(self.tmp, "data-%d" % self.runs)
        env = dict(os.environ, TZ="UTC")
        p = self.start([ALERTD, "-f", conf, "-D", data, "-s", path],
                       "alertd-%d" % self.runs, env=env)
        n = len(items)

        def done():
            files = [f for f in os.listdir(self.spool)
                     if not f.startswith(".")]
            return (len(self.mail.msgs) >= n and len(files) >= n and
                    len(self.gw.received) >= n)
        try:
            wait_for(done, timeout=60, what="every text delivered")
        except AssertionError:
            self.dump_logs()
            raise
        p.stop()
        got = {}
        for raw in self.mail.msgs:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            got.setdefault(m["X-Facmon-Key"], {})["mail"] = m
        for f in os.listdir(self.spool):
            if f.startswith("."):
                continue
            with open(os.path.join(self.spool, f), "rb") as fh:
                raw = fh.read()
            self.assertEqual(raw[:2], b"\xfe\xff")
            key = re.search(r"_\+8613800000000_(.*)-duty-1\.txt$", f).group(1)
            got.setdefault(key, {})["sms"] = raw[2:].decode("utf-16-be")
        for path_, rec in self.gw.received:
            key = rec["key"][:-len(".duty.2")]
            got.setdefault(key, {})["hook"] = rec["body"]["text"]["content"]
        # Cleared for the next run of the same test.
        self.mail.msgs.clear()
        self.gw.received.clear()
        for f in os.listdir(self.spool):
            os.unlink(os.path.join(self.spool, f))
        return got

    def render(self, items, got):
        """One text file: for each case what a person reads."""
        out = []
        for a in items:
            g = got[a["key"]]
            m = g["mail"]
            out.append("=== %s" % a["key"])
            out.append("subject: %s" % m["Subject"])
            out.append(m.get_body(("plain",)).get_content().replace(
                "\r\n", "\n").rstrip())
            out.append("--- sms (%d)" % len(g["sms"]))
            out.append(g["sms"])
            out.append("--- webhook")
            out.append(g["hook"])
            out.append("")
        return "\n".join(out) + "\n"

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

    def check_common(self, items, got, en):
        for a in items:
            g = got[a["key"]]
            m, sms, hook = g["mail"], g["sms"], g["hook"]
            text = m.get_body(("plain",)).get_content()
            first = text.splitlines()[0]
            subj = str(m["Subject"])
            # Severity first, in the subject and the first line.
            sev = {2: ("[严重]", "[CRITICAL]"), 1: ("[警告]", "[WARNING]"),
                   0: ("[恢复]", "[RECOVERED]")}[a["severity"]][en]
            self.assertTrue(subj.startswith(sev), subj)
            self.assertTrue(first.startswith(sev), first)
            self.assertTrue(sms.startswith("【市政务中心】" + sev), sms)
            # The configured zone: 10:30 in Shanghai, never 02:30 UTC.
            for t in (text, sms, hook):
                self.assertNotIn("02:30", t)
                self.assertNotIn("已0秒", t)
                self.assertNotIn("起已0", t)
            self.assertIn("2026-12-06 10:30:00 +08:00", text)
            if a["kind"] != "recovery":
                self.assertIn("12-06 10:30", hook)
            # No bare OIDs and no English probe text where people read.
            for t in (subj, first, sms, hook):
                self.assertNotIn("1.3.6.1", t)
                self.assertNotIn("SNMP answer within", t)
                self.assertNotIn("duration_ms", t)
            self.assertLessEqual(len(sms), 70, sms)
            # The link, whole, in the mail; the HTML part fits a phone.
            self.assertIn("http://127.0.0.1:8080/#device/", text)
            html = m.get_body(("html",)).get_content()
            self.assertIn('name="viewport"', html)
            self.assertIn("font-size:17px", html)

    def test_golden_chinese(self):
        items = alerts()
        got = self.deliver(self.conf("zh"), items)
        self.check_common(items, got, 0)
        # Decoded, with units.
        self.assertIn("回风温度 29.1℃，高于上限 28℃（连续3次）",
                      got["thr-return"]["hook"])
        self.assertIn("故障模组 11块", got["trap-facLedModuleFailure"]["hook"])
        self.assertIn("响应时间已恢复至 0.52毫秒",
                      got["thr-latency-up"]["hook"])
        self.assertIn("电梯故障停运（1号电梯）：运行状态 故障，故障码 11", got["trap-facElevatorFault"]
                      ["hook"])
        self.assertIn("SNMP 查询在2秒内无应答", got["pr-timeout"]["hook"])
        self.assertIn("升级：15分钟无人确认；SNMP 查询在2秒内无应答",
                      got["pr-escalated"]["hook"])
        self.assertIn("下游3台不可达（三楼 AP 1, 三楼 AP 2, 三楼 AP 3）；返回异常"
                      "状态码 503", got["pr-behind"]["hook"])
        body = got["pr-timeout"]["mail"].get_body(("plain",)).get_content()
        self.assertIn("位置：电梯 · 1号楼东侧电梯厅 · 10.8.1.21", body)
        self.assertIn("处理建议：通知维保单位", body)
        self.assertIn("影响：本组本月停机预算剩余3小时2分钟", body)
        self.assertIn("影响：本组本月停机预算已超出10分钟", got["pr-refused"]
                      ["mail"].get_body(("plain",)).get_content())
        self.golden("zh.txt", self.render(items, got))

    def test_golden_english(self):
        items = alerts()
        got = self.deliver(self.conf("en"), items)
        self.check_common(items, got, 1)
        self.assertIn("return air 29.1℃, above the limit of 28℃",
                      got["thr-return"]["hook"])
        self.assertIn("SNMP query: no answer within 2 s",
                      got["pr-timeout"]["hook"])
        self.assertIn("escalated: not acknowledged for 15 min; SNMP query",
                      got["pr-escalated"]["hook"])
        for g in got.values():
            self.assertNotIn("已", g["hook"])
        self.golden("en.txt", self.render(items, got))

    def check_health(self, items, got, en):
        sev = {2: ("[严重]", "[CRITICAL]"), 1: ("[警告]", "[WARNING]"),
               0: ("[提示]", "[INFO]")}
        for a in items:
            g = got[a["key"]]
            m, sms, hook = g["mail"], g["sms"], g["hook"]
            text = m.get_body(("plain",)).get_content()
            subj = str(m["Subject"])
            first = text.splitlines()[0]
            want = sev[a["severity"]][en]
            self.assertTrue(subj.startswith(want), subj)
            self.assertTrue(first.startswith(want), first)
            self.assertTrue(sms.startswith("【市政务中心】" + want), sms)
            self.assertLessEqual(len(sms), 70, sms)
            self.assertIn("2026-12-06 10:30:00 +08:00", text)
            for t in (text, sms, hook):
                self.assertNotIn("02:30", t)
            # Where people read, the configured language only: the log's
            # English line is kept as 原始信息 in the mail's body.
            line = a["cause"].split(": ", 1)[1]
            for t in (subj, first, sms, hook):
                self.assertNotIn(line, t)
                if not en:
                    self.assertNotIn(line[:12], t)
                    self.assertNotIn(" agent ", t)
            self.assertIn(a["cause"], text)

    def test_golden_health_chinese(self):
        """facmon's own events -- an agent lost and back, a clock ahead,
        a spool dropping data, the journal's disk full and writing
        again, the graphs' limit -- in Chinese, from their facts."""
        items = health_alerts()
        got = self.deliver(self.conf("zh"), items)
        self.check_health(items, got, 0)
        self.assertIn("系统告警：采集代理 hall-agent，失联：1分35秒未收到任何"
                      "消息", got["health-agent-lost"]["hook"])
        self.assertIn("数据日志无法写入磁盘（磁盘已满）",
                      got["health-disk-full"]["hook"])
        self.assertIn("时钟超前4.2秒（允许2.0秒）",
                      got["health-clock-skew"]["hook"])
        self.assertIn("已丢弃120条结果、960个数值",
                      got["health-spool-drop"]["hook"])
        self.assertIn("每台设备的曲线数：4", got["health-rrd-limit"]["hook"])
        self.assertTrue(str(got["health-agent-lost"]["mail"]["Subject"])
                        .startswith("[严重] 系统告警：采集代理 hall-agent"))
        self.golden("health-zh.txt", self.render(items, got))

    def test_golden_health_english(self):
        items = health_alerts()
        got = self.deliver(self.conf("en"), items)
        self.check_health(items, got, 1)
        self.assertIn("facmon agent hall-agent, lost: nothing heard for "
                      "1 min 35 s", got["health-agent-lost"]["hook"])
        self.assertIn("the journal cannot write to disk (the disk is full)",
                      got["health-disk-full"]["hook"])
        for g in got.values():
            self.assertNotIn("采集", g["hook"])
        self.golden("health-en.txt", self.render(items, got))

    def test_sms_fits_without_cutting_words(self):
        """Long Chinese and mixed names: 70 characters, or the configured
        segments; parts are dropped by importance, and what is shortened
        is cut between Chinese characters, never inside a Latin word or
        a number."""
        names = ["一楼大厅东侧电梯一号机控制柜通信模块与楼宇自控系统之间的连接",
                 "Schindler 5500 MRL controller east-wing lift no.2 B1",
                 "3号楼 Siemens PXC100-E.D 楼宇控制器 BACnet/IP gateway 4F"]
        items = []
        for i, n in enumerate(names):
            items.append({"key": "long%d" % i, "kind": "down",
                          "severity": 2, "device_id": "elev-%d" % i,
                          "device_name": n, "check": "snmp",
                          "since_ms": SINCE, "duration_ms": 3723000,
                          "cause": "x", "link": "http://127.0.0.1/#device/x",
                          "facts": {"what": "probe", "outcome": "timeout",
                                    "check_type": "snmp",
                                    "timeout_ms": 2000, "group": "elevators",
                                    "class": "elevator",
                                    "address": "10.8.1.21"}})
        for segs in (1, 2):
            got = self.deliver(self.conf("zh", segments=segs), items)
            limit = 70 if segs == 1 else 134
            for a in items:
                sms, full = got[a["key"]]["sms"], got[a["key"]]["hook"]
                self.assertLessEqual(len(sms), limit, sms)
                # The most important parts survive.
                self.assertTrue(sms.startswith("【市政务中心】[严重] 故障："),
                                sms)
                # Every Latin word or number in the SMS is whole: it is
                # a word of the full text (the webhook's, 3 segments).
                words = set(re.findall(r"[A-Za-z0-9._/:%+#@'-]+", full))
                for w in re.findall(r"[A-Za-z0-9._/:%+#@'-]+", sms):
                    self.assertIn(w, words, "cut word %r in %r" % (w, sms))
                if segs == 2:
                    # Room for more: since when, in local time.
                    self.assertIn("12-06 10:30起", sms)

    def test_digest_by_default(self):
        """No digest configured: a warning goes at once; the next ones
        for the same recipient wait for the window (5 minutes), and a
        critical alert goes at once and takes them along, summarised in
        one message."""
        conf = self.write("digest.conf", """
alerts: {
  retry: { first = "200ms"; max = "500ms"; give_up_after = "1h"; };
  channels = ( { name = "gsm"; type = "gammu"; spool_dir = "%s"; } );
  recipients = ( { name = "duty"; phone = "+8613800000000"; } );
  deliver = ( [ "gsm" ] );
};
""" % self.spool)
        cases = {a["key"]: a for a in alerts()}
        data = os.path.join(self.tmp, "digest-data")
        status = os.path.join(self.tmp, "status.json")

        def run(keys, name):
            path = self.write(name + ".json",
                              json.dumps([cases[k] for k in keys]))
            return self.start([ALERTD, "-f", conf, "-D", data, "-s", path,
                               "-o", status], name)

        def spool():
            return sorted(f for f in os.listdir(self.spool)
                          if not f.startswith("."))

        def state(key):
            with open(status) as f:
                for d in json.load(f)["deliveries"]:
                    if d["key"] == key:
                        return d["state"]
            return None
        p = run(["trap-facLedModuleFailure"], "first")
        wait_for(lambda: len(spool()) == 1, timeout=20, what="the first")
        first = spool()
        p.stop()
        p = run(["thr-mib", "trap-facLedSignalLost"], "rest")
        wait_for(lambda: state("thr-mib") == "pending" and
                 state("trap-facLedSignalLost") == "pending", timeout=20,
                 what="the rest waiting")
        self.assertEqual(len(spool()), 1)
        p.stop()
        run(["pr-timeout"], "critical")
        wait_for(lambda: len(spool()) == 2, timeout=20, what="the digest")
        new = [f for f in spool() if f not in first]
        self.assertEqual(len(new), 1, new)
        with open(os.path.join(self.spool, new[0]), "rb") as f:
            text = f.read()[2:].decode("utf-16-be")
        self.assertTrue(text.startswith("[严重] 故障：3条告警"), text)
        self.assertLessEqual(len(text), 70)

    def test_sms_template_per_channel(self):
        """gammu takes a template of its own, like the providers'
        template ids; the signature is the channel's."""
        items = alerts()[:1]
        got = self.deliver(self.conf("zh", sms_tmpl='template = '
                                     '"${signature}${level}:${name} ${what}'
                                     ' ${since}";'), items)
        sms = got["pr-timeout"]["sms"]
        self.assertEqual(sms, "【市政务中心】严重:1号楼客梯 SNMP 查询在2秒内"
                         "无应答 12-06 10:30")


class CollectorTexts(FacmonTestCase):
    """The real collector and agent, a server clock in UTC (TZ=UTC) and
    the configured zone Asia/Shanghai: the mail of an HTTP outage says
    what failed in Chinese, at what local time, and its link -- whether
    base_url ends in "/" or not -- opens the collector's page; the
    collector's log lines carry the zone's offset."""

    def setUp(self):
        super().setUp()
        old = os.environ.get("TZ")
        os.environ["TZ"] = "UTC"
        self.addCleanup(lambda: os.environ.__setitem__("TZ", old)
                        if old is not None else os.environ.pop("TZ", None))
        self.box, self.smtp_port = self.start_smtp()
        self.hport, self.base = self.start_httpd()

    def outage(self, tail, web=""):
        """base_url is the collector's own address plus tail; web: a
        'web' group (logins)."""
        urllib.request.urlopen(self.base + "/set?path=/p&status=200",
                               timeout=5).read()
        port = free_port()
        self.start_collector(http_port=port, root_extra="""
availability: { timezone = "Asia/Shanghai"; site = "测试中心";
  targets = ( { group = "systems"; availability = 99.9; } ); };
alerts: {
  base_url = "http://127.0.0.1:%d%s";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
  runbooks = ( { groups = [ "systems" ]; text = "联系信息中心值班（8002）"; } );
};
%s""" % (port, tail, self.smtp_port, web), extra="confirm = 2;")
        self.start_agent("""
{ id = "portal"; name = "政务服务网"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/p"; } ); }""" % self.hport)
        self.wait_check("portal", "http", "up")
        urllib.request.urlopen(self.base + "/set?path=/p&status=503",
                               timeout=5).read()
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=30,
                 what="the outage's alert")
        return email.message_from_bytes(self.box.msgs[0],
                                        policy=email.policy.default)

    def check_mail(self, msg):
        text = msg.get_body(("plain",)).get_content()
        self.assertTrue(str(msg["Subject"]).startswith(
            "[严重] 故障：政务服务网"), msg["Subject"])
        self.assertIn("返回异常状态码 503", text)
        self.assertIn("处理建议：联系信息中心值班（8002）", text)
        self.assertIn("位置：systems · 127.0.0.1", text)
        # What it costs, as the wall's "剩余": 0.1 % of the time the
        # device was seen plus 0.1 % of the rest of the month, less the
        # seconds down so far; the device is minutes old, so about
        # 0.1 % of the rest of the month in Shanghai.
        cost = re.search(r"影响：本组本月停机预算剩余(\d+)分钟", text)
        self.assertIsNotNone(cost, text)
        tz8 = datetime.timezone(datetime.timedelta(hours=8))
        now = datetime.datetime.now(tz8)
        end = (now.replace(day=28) + datetime.timedelta(days=4)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0)
        rest_min = (end - now).total_seconds() * 0.001 / 60
        self.assertLessEqual(abs(int(cost.group(1)) - rest_min), 2,
                             (cost.group(0), rest_min))
        # The outage's start in Asia/Shanghai, as the API has it in ms.
        since = re.search(r"发生时间：(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) "
                          r"\+08:00", text)
        self.assertIsNotNone(since, text)
        start = self.device("portal")["since_ms"]
        self.assertEqual(since.group(1), datetime.datetime.fromtimestamp(
            start // 1000, datetime.timezone(datetime.timedelta(hours=8)))
            .strftime("%Y-%m-%d %H:%M:%S"))
        link = re.search(r"查看：(\S+)", text).group(1)
        self.assertEqual(link, self.api + "/#device/portal")
        # The page behind it answers (a "//" path was refused with 400).
        with urllib.request.urlopen(link, timeout=5) as r:
            self.assertEqual(r.status, 200)
        with open(os.path.join(self.tmp, "collector.log"),
                  encoding="utf-8", errors="replace") as f:
            stamps = re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
                                r"([+-]\d\d:\d\d) facmon-collector",
                                f.read(), re.M)
        self.assertTrue(stamps)
        self.assertEqual(set(stamps), {"+08:00"})

    def test_link_with_trailing_slash_and_local_times(self):
        self.check_mail(self.outage("/"))

    def test_acknowledge_link(self):
        """The mail's one-tap link: GET shows a button (a link scanner
        acknowledges nothing), POST acknowledges as the recipient; a
        replayed link finds it acknowledged, a forged or expired one is
        refused.  The expired token is signed here with the collector's
        key, by Python's own HMAC."""
        msg = self.outage("/")
        text = msg.get_body(("plain",)).get_content()
        link = re.search(r"一键确认：(\S+)", text).group(1)
        self.assertTrue(link.startswith(self.api + "/ack?t=portal~~"), link)
        html = msg.get_body(("html",)).get_content()
        self.assertIn(">一键确认</a>", html)
        tok = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]

        def get(t):
            try:
                with urllib.request.urlopen(
                        self.api + "/ack?" + urllib.parse.urlencode({"t": t}),
                        timeout=5) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        def post(t):
            try:
                with urllib.request.urlopen(
                        self.api + "/ack", data=urllib.parse.urlencode(
                            {"t": t}).encode(), timeout=5) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()
        code, page = get(tok)
        self.assertEqual(code, 200)
        self.assertIn('method="post"', page)
        # No login asked: the console has no users.
        self.assertNotIn('name="password"', page)
        # What was sent is listed only where configured (the demo).
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.api + "/api/v1/alerts/sent",
                                   timeout=5)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"show_sent", cm.exception.read())
        self.assertIn('name="viewport"', page)
        # Forged: one character of the signature changed.
        bad = tok[:-1] + ("0" if tok[-1] != "0" else "1")
        self.assertEqual(post(bad)[0], 403)
        # Expired, though truly signed.
        with open(os.path.join(self.data_dir, "alerts", "ack.key"),
                  "rb") as f:
            key = f.read()
        dev, chk, start, exp, who, sig = tok.split("~")
        payload = "~".join([dev, chk, start, "1000", who])
        old = payload + "~" + hmac.new(key, payload.encode(),
                                       hashlib.sha256).hexdigest()[:32]
        self.assertEqual(post(old)[0], 410)
        # Still open: GET asked, nothing acknowledged it.
        self.assertEqual(get(tok)[0], 200)
        code, page = post(tok)
        self.assertEqual(code, 200, page)
        self.assertIn("已确认", page)
        # Replayed: acknowledged already, by the recipient of the link.
        code, page = post(tok)
        self.assertEqual(code, 409)
        self.assertIn("已由 duty 确认", page)

    def test_demo_sink_spool_and_sent_page(self):
        """The demo's alert path: build/facmon-mailsink keeps the e-mail
        as an .eml file, the gammu channel writes the SMS into its spool,
        and with show_sent the collector lists both on
        /api/v1/alerts/sent with the text a person reads (without it
        that list is refused: test_acknowledge_link)."""
        sink_port = free_port()
        mail_dir = os.path.join(self.tmp, "mail")
        sms_dir = os.path.join(self.tmp, "sms")
        os.makedirs(sms_dir)
        self.start([os.path.join(BUILD, "facmon-mailsink"), "-l",
                    "127.0.0.1:%d" % sink_port, "-d", mail_dir, "-n", "50"],
                   "mailsink")
        urllib.request.urlopen(self.base + "/set?path=/p&status=200",
                               timeout=5).read()
        port = free_port()
        self.start_collector(http_port=port, root_extra="""
availability: { timezone = "Asia/Shanghai"; site = "测试中心"; };
alerts: {
  base_url = "http://127.0.0.1:%d/";
  show_sent = true;
  signature = "【测试中心】";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = (
    { name = "mail"; type = "smtp"; host = "127.0.0.1"; port = %d;
      tls = "none"; from = "facmon-demo@localhost"; timeout = "5s"; },
    { name = "sms"; type = "gammu"; spool_dir = "%s"; } );
  recipients = ( { name = "duty"; email = "duty@localhost";
                   phone = "+8613800000000"; } );
  deliver = ( [ "mail" ], [ "sms" ] );
};""" % (port, sink_port, sms_dir), extra="confirm = 2;")
        self.start_agent("""
{ id = "portal"; name = "政务服务网"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/p"; } ); }""" % self.hport)
        self.wait_check("portal", "http", "up")
        urllib.request.urlopen(self.base + "/set?path=/p&status=503",
                               timeout=5).read()

        def files(d):
            return sorted(f for f in os.listdir(d) if not f.startswith("."))
        wait_for(lambda: os.path.isdir(mail_dir) and files(mail_dir) and
                 files(sms_dir), timeout=40, what="the e-mail and the SMS")
        with open(os.path.join(mail_dir, files(mail_dir)[0]), "rb") as f:
            m = email.message_from_bytes(f.read(),
                                         policy=email.policy.default)
        subject = str(m["Subject"])
        self.assertTrue(subject.startswith("[严重] 故障：政务服务网"), subject)
        self.assertEqual(m["To"].addresses[0].addr_spec, "duty@localhost")
        with open(os.path.join(sms_dir, files(sms_dir)[0]), "rb") as f:
            sms = f.read()[2:].decode("utf-16-be")
        self.assertTrue(sms.startswith("【测试中心】[严重] 故障：政务服务网"), sms)

        def sent():
            s = http_json(self.api + "/api/v1/alerts/sent")
            return s if s and len([x for x in s["sent"]
                                   if x["state"] == "sent"]) >= 2 else None
        s = wait_for(sent, timeout=20, what="both listed as sent")
        # The page asks for the list only when the session says so.
        self.assertTrue(http_json(self.api + "/api/v1/session")["show_sent"])
        by = {x["channel"]: x for x in s["sent"] if x["state"] == "sent"}
        self.assertEqual(by["mail"]["channel_type"], "mail")
        self.assertEqual(by["mail"]["recipient"], "duty")
        # The subject as the mail sink received it (the list is not cut).
        self.assertTrue(by["mail"]["subject"].startswith(subject.rstrip("…")),
                        (by["mail"]["subject"], subject))
        self.assertEqual(by["sms"]["channel_type"], "sms")
        self.assertEqual(by["sms"]["sms"], sms)
        self.assertGreater(by["mail"]["time_ms"], 0)

    def test_acknowledge_link_behind_login(self):
        """With logins on, the link's page asks to
        log in; the login goes with the token in one POST and the person
        logged in acknowledges.  A wrong password acknowledges nothing,
        an expired token is refused before any login, an open session
        gets the button, and a replayed link finds the outage
        acknowledged."""
        pw = subprocess.run([COLLECTOR, "hashpw"], input="correct horse\n",
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(pw.returncode, 0, pw.stderr)
        h = pw.stdout.strip()
        msg = self.outage("/", web="""
web: { public_wall = true;
       users = ( { name = "op"; password_hash = "%s"; },
                 { name = "boss"; password_hash = "%s"; } ); };""" % (h, h))
        text = msg.get_body(("plain",)).get_content()
        link = re.search(r"一键确认：(\S+)", text).group(1)
        tok = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]

        def req(method, fields=None, cookie=None, t=tok):
            url = self.api + "/ack"
            data = None
            if method == "GET":
                url += "?" + urllib.parse.urlencode({"t": t})
            else:
                data = urllib.parse.urlencode(
                    dict({"t": t}, **(fields or {}))).encode()
            r = urllib.request.Request(url, data=data, method=method)
            if cookie:
                r.add_header("Cookie", cookie)
            try:
                with urllib.request.urlopen(r, timeout=10) as resp:
                    return (resp.status, resp.read().decode(),
                            resp.headers.get("Set-Cookie"))
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode(), e.headers.get("Set-Cookie")
        code, page, _ = req("GET")
        self.assertEqual(code, 200, page)
        self.assertIn('name="password"', page)
        self.assertIn('method="post"', page)
        # The token alone no longer acknowledges.
        code, page, _ = req("POST")
        self.assertEqual(code, 401, page)
        self.assertIn('name="password"', page)
        code, page, cookie = req("POST", {"user": "op",
                                          "password": "wrong"})
        self.assertEqual(code, 401, page)
        self.assertIn("用户名或密码错误", page)
        self.assertIsNone(cookie)
        # Expired though truly signed: refused before any login.
        with open(os.path.join(self.data_dir, "alerts", "ack.key"),
                  "rb") as f:
            key = f.read()
        dev, chk, start, exp, who, sig = tok.split("~")
        payload = "~".join([dev, chk, start, "1000", who])
        old = payload + "~" + hmac.new(key, payload.encode(),
                                       hashlib.sha256).hexdigest()[:32]
        code, page, cookie = req("POST", {"user": "op",
                                          "password": "correct horse"},
                                 t=old)
        self.assertEqual(code, 410, page)
        self.assertIsNone(cookie)
        # A session already open (boss, through the API) gets the button.
        r = urllib.request.Request(
            self.api + "/api/v1/login", method="POST",
            data=json.dumps({"user": "boss",
                             "password": "correct horse"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=10) as resp:
            boss = resp.headers["Set-Cookie"].split(";")[0]
        code, page, _ = req("GET", cookie=boss)
        self.assertEqual(code, 200, page)
        self.assertNotIn('name="password"', page)
        self.assertIn("确认 Acknowledge", page)
        # Log in and acknowledge in one step, as op.
        code, page, cookie = req("POST", {"user": "op",
                                          "password": "correct horse"})
        self.assertEqual(code, 200, page)
        self.assertIn("已确认", page)
        self.assertTrue(cookie and cookie.startswith("facmon_session="),
                        cookie)
        # Replayed, with or without the new session: acknowledged by op.
        code, page, _ = req("POST", {"user": "op",
                                     "password": "correct horse"})
        self.assertEqual(code, 409, page)
        self.assertIn("已由 op 确认", page)
        code, page, _ = req("POST", cookie=cookie.split(";")[0])
        self.assertEqual(code, 409, page)
        out = [o for o in fmtest_json(self.api + "/api/v1/outages",
                                      cookie.split(";")[0])["outages"]
               if o["device"] == "portal"]
        self.assertEqual(out[0]["acked_by"], "op")
        self.assertIn("发给 duty", out[0]["ack_comment"])

    def test_facility_trap_decoded(self):
        """A facLedModuleFailure trap from snmptrap, through the agent and
        the collector: the mail says it in Chinese with the decoded
        values and units, and shows no numeric OID anywhere."""
        trap_port = free_port()
        port = free_port()
        self.start_collector(http_port=port, root_extra="""
availability: { timezone = "Asia/Shanghai"; site = "测试中心"; };
alerts: {
  base_url = "http://127.0.0.1:%d";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
};
traps: { rules = ( { oid = "%s.0.4"; name = "LED模组故障";
                     action = "event"; } ); };""" % (port, self.smtp_port, FAC))
        self.start_agent("""
{ id = "led-1"; name = "大厅 LED 屏"; class = "led-wall"; group = "screens";
  address = "127.0.0.1";
  checks = ( { id = "ctl"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }
""" % self.agent_port, extra="""traps: { listen = [ "udp:127.0.0.1:%d" ];
  communities = [ "public" ]; };""" % trap_port)
        self.wait_check("led-1", "ctl", "up")
        r = subprocess.run(
            ["snmptrap", "-v2c", "-c", "public", "127.0.0.1:%d" % trap_port,
             "", FAC + ".0.4", FAC + ".1.3.1.8.1", "u", "11",
             FAC + ".1.3.1.7.1", "u", "96"],
            capture_output=True, text=True, timeout=20,
            env=dict(os.environ, MIBS=""))
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=30,
                 what="the trap's alert")
        msg = email.message_from_bytes(self.box.msgs[0],
                                       policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        self.assertEqual(str(msg["Subject"]),
                         "[警告] 事件：大厅 LED 屏 — LED 屏模组故障（1号 LED 屏）"
                         "：故障模组 11块，模组总数 96块")
        self.assertNotIn("1.3.6.1", text)
        self.assertNotIn("32473", msg.get_body(("html",)).get_content())
        self.assertIn("发生时间：", text)
        self.assertIn("+08:00", text)

    def test_link_without_trailing_slash(self):
        self.check_mail(self.outage(""))


class ReportLogZone(FacmonTestCase):
    """The collector makes the month's report by running facmon-report,
    whose lines go to the same log: on a server in UTC both write the
    configured zone's time with its offset (+08:00), so the file reads
    in one zone."""

    def test_collector_and_report_lines_agree(self):
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        ojgen = os.path.join(root, "build", "test-ojgen")
        data_src = os.path.join(root, "tests", "data", "report")
        faketime = [p for p in (
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1")
            if os.path.exists(p)]
        if not faketime or not os.path.exists(ojgen):
            self.skipTest("libfaketime or build/test-ojgen missing")
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        subprocess.run([ojgen, "script", os.path.join(data_src,
                                                      "october.txt"),
                        os.path.join(data, "outages.fmoj")], check=True)
        with open(os.path.join(data_src, "report.conf"),
                  encoding="utf-8") as f:
            av = f.read().replace('journal = "@JOURNAL@";', "")
        conf = self.write("collector.conf", """
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  agents = ( { id = "test"; } );
};
report: { hour = 6; };
%s
""" % (free_port(), free_port(), data, av))
        env = dict(os.environ, LD_PRELOAD=faketime[0],
                   FAKETIME="@2026-11-01 06:00:05",
                   FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC")
        self.start([os.path.join(root, "build", "facmon-collector"), "-d",
                    "-f", conf], "collector", env=env)
        month = os.path.join(data, "reports", "2026-10")
        wait_for(lambda: os.path.exists(os.path.join(month, ".done")),
                 timeout=90, what="October's report")
        with open(os.path.join(self.tmp, "collector.log"),
                  encoding="utf-8", errors="replace") as f:
            log = f.read()
        stamps = re.findall(r"^\d{4}-\d\d-\d\d (\d\d):\d\d:\d\d\.\d{3}"
                            r"([+-]\d\d:\d\d) (facmon-[a-z]+):", log, re.M)
        progs = {p for h, z, p in stamps}
        self.assertEqual(progs, {"facmon-collector", "facmon-report"}, log)
        self.assertEqual({z for h, z, p in stamps}, {"+08:00"}, log)


class AgentLogZone(FacmonTestCase):
    """The agent's lines go to the same journal as the collector's: on a
    server in UTC they carry the configured zone's time and offset, the
    collector's default (+08:00) unless its own timezone says else."""

    def agent_zones(self, name):
        def zones():
            with open(os.path.join(self.tmp, name + ".log"),
                      encoding="utf-8", errors="replace") as f:
                z = re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
                               r"([+-]\d\d:\d\d) facmon-agent:", f.read(),
                               re.M)
            return z if len(z) >= 2 else None
        return set(wait_for(zones, timeout=20, what="agent log lines"))

    def test_default_zone(self):
        self.start_collector()
        self.start_agent("", env=dict(os.environ, TZ="UTC"))
        self.assertEqual(self.agent_zones("agent"), {"+08:00"})

    def test_configured_zone(self):
        self.start_collector()
        self.start_agent("", extra='timezone = "Asia/Tokyo";',
                         env=dict(os.environ, TZ="UTC"), name="tokyo")
        self.assertEqual(self.agent_zones("tokyo"), {"+09:00"})

    def test_unknown_zone_refused(self):
        conf = self.write("bad.conf", """
agent: { id = "t"; collector = "127.0.0.1:1"; timezone = "Mars/Olympus"; };
devices = ( );
""")
        p = subprocess.run([os.path.join(BUILD, "facmon-agent"), "-n",
                            "-f", conf], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("timezone 'Mars/Olympus' is not in the zone database",
                      p.stderr)
