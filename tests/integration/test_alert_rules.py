# What the collector alerts on and whom it tells, end to end: the real
# collector and agent, probes against tests/lib/httpd.py, alerts into
# Debian's aiosmtpd.  A failed core switch gives one message naming it
# and counting the unreachable devices behind it, routed by the rules;
# a latency threshold with hits fires once and recovers once.  All on
# 127.0.0.1; only bounded waits for outcomes, no wall-clock assertion.

import email
import email.policy
import subprocess
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (BUILD, FacmonTestCase, free_port,  # noqa
                    http_json, wait_for)


class AlertRules(FacmonTestCase):

    def setUp(self):
        super().setUp()
        self.box, self.smtp_port = self.start_smtp()
        self.hport, self.base = self.start_httpd()

    def set(self, path, status, delay_ms=0):
        urllib.request.urlopen(self.base + "/set?path=/%s&status=%d"
                               "&delay_ms=%d" % (path, status, delay_ms),
                               timeout=5).read()

    def alerts_conf(self, rules):
        return """confirm = 2; };
alerts: {
  timezone = "Asia/Shanghai";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; },
                 { name = "net"; email = "net@example.org"; },
                 { name = "night"; email = "night@example.org"; } );
  rosters = ( { name = "it"; shifts = (
      { days = "*"; from = "00:00"; to = "24:00";
        recipients = [ "duty" ]; } ); } );
  deliver = ( [ "mail" ] );
  %s""" % (self.smtp_port, rules)

    def parsed(self, i):
        rcpt, raw = self.box.rcpts[i], self.box.msgs[i]
        return rcpt, email.message_from_bytes(raw,
                                              policy=email.policy.default)

    def body(self, msg):
        return msg.get_body(preferencelist=("plain",)).get_content()

    def test_core_switch_storm_one_message_routed(self):
        for p in ("sw", "ap1", "ap2", "ap3", "ups"):
            self.set(p, 200)
        self.start_collector(extra=self.alerts_conf("""
  rules = ( { name = "network"; groups = [ "network", "wifi" ];
              kinds = [ "down", "recovery" ]; recipients = [ "net" ]; },
            { name = "rest"; groups = [ "power" ];
              recipients = [ "it" ]; } );"""))
        devs = ["""
{ id = "core-sw"; name = "核心交换机 <b>&\\r\\nBcc: x@example.org"; class = "switch";
  group = "network"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/sw"; } ); }""" % self.hport]
        for i in (1, 2, 3):
            devs.append("""
{ id = "ap%d"; name = "三楼 AP %d"; class = "wifi-ap"; group = "wifi";
  address = "127.0.0.1"; parent = "core-sw";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/ap%d"; } ); }""" %
                        (i, i, self.hport, i))
        self.start_agent(",".join(devs))
        for i in (1, 2, 3):
            self.wait_check("ap%d" % i, "http", "up")
        self.wait_check("core-sw", "http", "up")
        for p in ("sw", "ap1", "ap2", "ap3"):
            self.set(p, 503)
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=30,
                 what="the switch's alert")
        # The children become unreachable, never alerted themselves.
        wait_for(lambda: all(self.device("ap%d" % i)["state"] ==
                             "unreachable" for i in (1, 2, 3)),
                 timeout=20, what="APs unreachable")
        time.sleep(3)		# several more probes: children confirm
        self.assertEqual(len(self.box.msgs), 1, self.box.rcpts)
        rcpt, msg = self.parsed(0)
        self.assertEqual(rcpt, ["net@example.org"])
        self.assertIn("核心交换机", str(msg["Subject"]))
        self.assertIsNone(msg["Bcc"])
        self.assertNotIn("\n", str(msg["Subject"]))
        text = self.body(msg)
        self.assertRegex(text, r"下游\d台")
        html = msg.get_body(preferencelist=("html",)).get_content()
        self.assertNotIn("<b>", html)
        self.assertIn("&lt;b&gt;", html)
        # Back: one recovery, to the same rule's recipient.
        for p in ("sw", "ap1", "ap2", "ap3"):
            self.set(p, 200)
        wait_for(lambda: len(self.box.msgs) >= 2, timeout=30,
                 what="the recovery")
        time.sleep(2)
        self.assertEqual(len(self.box.msgs), 2)
        rcpt, msg = self.parsed(1)
        self.assertEqual(rcpt, ["net@example.org"])
        self.assertIn("恢复", str(msg["Subject"]))
        # It says how long the outage lasted.
        self.assertRegex(self.body(msg), r"共中断：\d+秒")

    def test_latency_threshold_hits_and_recovery(self):
        self.set("slow", 200)
        self.start_collector(extra=self.alerts_conf("""
  rules = ( { name = "slow"; kinds = [ "threshold", "recovery" ];
              recipients = [ "it" ]; } );
  thresholds = ( { name = "latency"; groups = [ "systems" ];
                   value = "duration_ms"; op = ">"; threshold = 300;
                   clear = 150; hits = 3; severity = "warning";
                   text = "响应慢 ${key} <i>"; } );"""))
        self.start_agent("""
{ id = "portal"; name = "政务服务网"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 2; timeout = 1.5;
               url = "http://127.0.0.1:%d/slow"; } ); }""" % self.hport)
        self.wait_check("portal", "http", "up")
        time.sleep(2)
        self.assertEqual(self.box.msgs, [])
        self.set("slow", 200, delay_ms=600)
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=40,
                 what="the threshold alert")
        rcpt, msg = self.parsed(0)
        self.assertEqual(rcpt, ["duty@example.org"])
        self.assertIn("超限", str(msg["Subject"]))
        # The value by name and unit, not the threshold's value name.
        self.assertRegex(self.body(msg), r"响应时间 \d+毫秒，高于上限 300毫秒")
        self.assertNotIn("<i>", msg.get_body(
            preferencelist=("html",)).get_content())
        # The wall says it from the same judgement: amber with the words
        # while the alert stands.
        w = wait_for(lambda: self.wall_thresholds("portal"), timeout=20,
                     what="the threshold on the wall")
        self.assertEqual(w[0]["threshold"], "latency")
        self.assertEqual(w[0]["hits"], 3)
        self.assertIn("duration_ms", w[0]["text"])
        self.assertIn("解除值 150", w[0]["text"])
        # Between the clear value and the limit: still breached on the
        # wall (hysteresis), for three results in a row, and no recovery.
        self.set("slow", 200, delay_ms=220)
        self.results_pass("portal", "http", 5, lambda c:
                          c["duration_ms"] is not None and
                          150 < c["duration_ms"] < 300)
        self.assertEqual(len(self.wall_thresholds("portal")), 1)
        self.assertEqual(len(self.box.msgs), 1)
        self.set("slow", 200, delay_ms=0)
        wait_for(lambda: len(self.box.msgs) >= 2, timeout=40,
                 what="the threshold's recovery")
        wait_for(lambda: self.wall_thresholds("portal") == [], timeout=20,
                 what="the wall back to green")
        time.sleep(2)
        self.assertEqual(len(self.box.msgs), 2)
        self.assertIn("恢复", str(self.parsed(1)[1]["Subject"]))

    def wall_thresholds(self, dev):
        w = http_json(self.api + "/api/v1/wall")
        return [x for d in w["devices"] if d["id"] == dev
                for x in d["warnings"] if x["code"] == "threshold"]

    def results_pass(self, dev, chk, n, pred):
        """Waits for n results in a row for which pred(check) holds."""
        seen = {"last": None, "n": 0}

        def step():
            c = self.check(dev, chk)
            if c is None or c["last_ms"] == seen["last"]:
                return False
            seen["last"] = c["last_ms"]
            seen["n"] = seen["n"] + 1 if pred(c) else 0
            # The wall must hold the warning at every one of them.
            if seen["n"] > 0:
                self.assertEqual(len(self.wall_thresholds(dev)), 1, c)
            return seen["n"] >= n
        wait_for(step, timeout=60, what="%d results that pass" % n)

    def test_trap_event_and_agent_health(self):
        """A trap mapped to an event alerts (its text reaches no header
        and no HTML unescaped); an agent that falls silent is a facmon
        health alert."""
        trap_port = free_port()
        self.start_collector(extra='agent_unreachable_after = "3s"; ' +
                             self.alerts_conf("") + """
};
traps: { rules = ( { oid = "1.3.6.1.4.1.32473.1.0.7";
                     name = "电梯困人"; action = "event"; } );""")
        agent = self.start_agent("""
{ id = "lift-3"; name = "3号电梯"; class = "elevator"; group = "lifts";
  address = "127.0.0.1";
  checks = ( { id = "gw"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }
""" % self.agent_port, extra="""traps: { listen = [ "udp:127.0.0.1:%d" ];
  communities = [ "public" ]; };""" % trap_port)
        self.wait_check("lift-3", "gw", "up")
        r = subprocess.run(
            ["snmptrap", "-v2c", "-c", "public", "127.0.0.1:%d" % trap_port,
             "", "1.3.6.1.4.1.32473.1.0.7", "1.3.6.1.4.1.32473.1.1.9.0",
             "s", "困人\r\nBcc: victim@example.org\r\n<b>${key}</b>"],
            capture_output=True, text=True, timeout=20,
            env=dict(os.environ, MIBS=""))
        self.assertEqual(r.returncode, 0, r.stderr)
        # No rules: every recipient, one message each.
        wait_for(lambda: len(self.box.msgs) >= 3, timeout=30,
                 what="the trap's alerts")
        self.assertEqual(sorted(r for m in self.box.rcpts[:3] for r in m),
                         ["duty@example.org", "net@example.org",
                          "night@example.org"])
        rcpt, msg = self.parsed(0)
        self.assertIn("事件", str(msg["Subject"]))
        self.assertIn("3号电梯", str(msg["Subject"]))
        self.assertIsNone(msg["Bcc"])
        self.assertIn("电梯困人", self.body(msg))
        html = msg.get_body(preferencelist=("html",)).get_content()
        self.assertNotIn("<b>", html)
        self.assertIn("&lt;b&gt;", html)
        n = len(self.box.msgs)
        # The agent goes silent: facmon's own health is paged.
        agent.kill()

        def health():
            for raw in self.box.msgs[n:]:
                m = email.message_from_bytes(raw,
                                             policy=email.policy.default)
                if "系统告警" in str(m["Subject"]):
                    return m
            return None
        m = wait_for(health, timeout=40, what="the health alert")
        self.assertIn("agent-unreachable", self.body(m))

    def test_ups_on_battery_threshold_over_snmp(self):
        """facmon-sim's UPS goes on battery (upsOutputSource 5 over
        SNMP): one threshold alert, then its recovery when mains is
        back."""
        sim = os.path.join(BUILD, "facmon-sim")
        sock = os.path.join(self.tmp, "sim.sock")
        net = "127.%d" % (60 + os.getpid() % 150)
        scen = self.write("scenario.conf", """
sim: { snmp_port = %d; http_port = %d; control = "%s"; truth_log = "%s";
       seed = 2; };
devices = ( { id = "ups"; name = "机房 UPS"; class = "ups";
              address = "%s.3.3"; } );
""" % (free_port(), free_port(), sock, os.path.join(self.tmp, "truth.log"),
            net))
        self.start([sim, "-d", "-f", scen], "sim")

        def ctl(*args):
            p = subprocess.run([sim, "ctl", "-s", sock] + list(args),
                               capture_output=True, text=True, timeout=30)
            return p.stdout if p.returncode == 0 else None
        wait_for(lambda: ctl("ping") == "pong\n", timeout=15, what="sim")
        p = subprocess.run([sim, "agent-config", "-f", scen],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        devices = p.stdout.split("devices = (", 1)[1].rsplit(");", 1)[0]
        devices = re.sub(r"interval = \d+; timeout = 2;",
                         "interval = 1; timeout = 0.8;", devices)
        self.start_collector(extra=self.alerts_conf("""
  thresholds = ( { name = "ups-on-battery"; classes = [ "ups" ];
                   value = "upsOutputSource"; op = "=="; threshold = 5;
                   hits = 2; severity = "critical";
                   text = "UPS 电池供电"; } );"""))
        self.start_agent(devices)
        self.wait_check("ups", "snmp", "up", timeout=30)
        time.sleep(2)
        self.assertEqual(self.box.msgs, [])
        self.assertIsNotNone(ctl("inject", "ups", "on_battery", "0"))
        wait_for(lambda: len(self.box.msgs) >= 3, timeout=30,
                 what="the threshold alerts")
        time.sleep(1)
        self.assertEqual(len(self.box.msgs), 3)	# one per recipient
        msg = self.parsed(0)[1]
        self.assertIn("超限", str(msg["Subject"]))
        self.assertIn("机房 UPS", str(msg["Subject"]))
        self.assertIn("UPS 电池供电", self.body(msg))
        self.assertIn("upsOutputSource", self.body(msg))
        self.assertIsNotNone(ctl("clear", "ups"))
        wait_for(lambda: len(self.box.msgs) >= 6, timeout=30,
                 what="the recoveries")
        self.assertIn("恢复", str(self.parsed(5)[1]["Subject"]))

    def test_non_critical_check_alerts_on_its_own(self):
        """A secondary check's confirmed outage (the device only
        degraded) alerts with the check named, and recovers."""
        self.set("main", 200)
        self.set("extra", 200)
        self.start_collector(extra=self.alerts_conf("""
  rules = ( { checks = [ "extra" ]; recipients = [ "net" ]; } );"""))
        self.start_agent("""
{ id = "portal"; name = "政务服务网"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "main"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%(p)d/main"; },
             { id = "extra"; type = "http"; interval = 1; timeout = 0.5;
               critical = false; url = "http://127.0.0.1:%(p)d/extra"; } );
}""" % {"p": self.hport})
        self.wait_check("portal", "extra", "up")
        self.set("extra", 503)
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=30,
                 what="the check's alert")
        self.assertEqual(self.device("portal")["state"], "degraded")
        rcpt, msg = self.parsed(0)
        self.assertEqual(rcpt, ["net@example.org"])
        self.assertIn("政务服务网 extra", str(msg["Subject"]))
        self.assertIn("portal.extra-", msg["Message-ID"])
        self.set("extra", 200)
        wait_for(lambda: len(self.box.msgs) >= 2, timeout=30,
                 what="the check's recovery")
        time.sleep(2)
        self.assertEqual(len(self.box.msgs), 2)
        self.assertIn("恢复", str(self.parsed(1)[1]["Subject"]))


class DemoStorm(FacmonTestCase):
    """The core switch of the demo centre fails (facmon-sim cuts off what
    hangs off it, as the network would): everyone on duty gets one
    message that names the switch and counts what is unreachable behind
    it, none for the 50 devices behind it, and one recovery notice."""

    NET = "127.%d" % (250 + os.getpid() % 5)

    def test_core_switch_of_the_demo_centre(self):
        box, port = self.start_smtp()
        self.start_demo_centre(self.NET, interval=2, timeout=1,
                               extra="confirm = 3;", root_extra="""
alerts: {
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; },
                 { name = "head"; email = "head@example.org"; } );
  deliver = ( [ "mail" ] );
};""" % port)
        for d in ("core-sw", "floor-sw-1", "floor-sw-2", "touch-01",
                  "eval-20", "led-4", "wlc"):
            wait_for(lambda: (self.device(d) or {}).get("state") == "up",
                     timeout=60, what=d + " up")
        self.assertEqual(box.msgs, [])
        self.sim("inject", "core-sw", "silent", "0")
        wait_for(lambda: len(box.msgs) >= 2, timeout=40,
                 what="the core switch's alerts")
        for d in ("floor-sw-1", "floor-sw-4", "wlc", "touch-01", "eval-20",
                  "led-4", "terminal-gw"):
            wait_for(lambda: self.device(d)["state"] == "unreachable",
                     timeout=20, what=d + " unreachable")
        time.sleep(8)           # the children's own probes confirm
        self.assertEqual(sorted(r[0] for r in box.rcpts),
                         ["duty@example.org", "head@example.org"])
        for raw in box.msgs:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            self.assertIn("核心交换机", str(m["Subject"]))
            n = re.search(r"下游(\d+)台不可达", self.body_of(m))
            self.assertTrue(n, self.body_of(m))
            self.assertGreaterEqual(int(n.group(1)), 45)
            self.assertLessEqual(int(n.group(1)), 50)
        self.sim("clear", "core-sw")
        wait_for(lambda: len(box.msgs) >= 4, timeout=40,
                 what="the recoveries")
        time.sleep(4)
        self.assertEqual(len(box.msgs), 4, box.rcpts)
        for raw in box.msgs[2:]:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            self.assertIn("核心交换机", str(m["Subject"]))
            self.assertIn("恢复", str(m["Subject"]))

    @staticmethod
    def body_of(m):
        return m.get_body(preferencelist=("plain",)).get_content()

