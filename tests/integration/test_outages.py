# Outages measured to the second against the test's own ground truth: a
# web system is switched to 503 and back at known times; the collector's
# outage journal, read by 'facmon-collector avail', must give the down
# time within one probe interval plus the probe timeout of the truth.
# Also: a blip under the confirmation count is reported, not charged; a
# kill -9 of the collector in the middle of an outage leaves one outage
# with the right start; --verify-journal reads the journal back.

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (COLLECTOR, PY, ROOT, FacmonTestCase,  # noqa
                    ServiceTestCase, free_port, wait_for)

INTERVAL_MS, TIMEOUT_MS = 1000, 500


class Outages(ServiceTestCase):

    def agent(self):
        return self.start_agent("""
{ id = "web"; name = "12345 热线平台"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % self.hport)

    def avail(self, *extra):
        conf = os.path.join(self.tmp, "collector.conf")
        r = subprocess.run([COLLECTOR, "-f", conf, "avail", "--from", "0",
                            "--to", str(int(time.time() * 1000) + 60000),
                            "--devices", "--json"] + list(extra),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        o = json.loads(r.stdout)
        return {d["id"]: d for d in o["devices"]}, o

    def test_measured_against_truth(self):
        self.start_collector(extra="confirm = 3;")
        self.agent()
        self.wait_check("web", "http", "up")
        truth = 0
        # Three outages of known length, and one blip of one probe.
        for secs in (3, 6):
            t0 = self.set(503)
            self.wait_check("web", "http", "down")
            time.sleep(secs)
            t1 = self.set(200)
            self.wait_check("web", "http", "up")
            truth += t1 - t0
        t0 = self.set(503)
        self.wait_check("web", "http", "down")
        t1 = self.set(200)
        blip = t1 - t0
        self.wait_check("web", "http", "up")
        time.sleep(1.5)
        devs, o = self.avail()
        web = devs["web"]
        self.assertEqual(web["outages"], 2)
        self.assertEqual(web["blips"], 1)
        # Each outage is measured from its first failed probe to its
        # first good one: off by at most an interval plus a timeout each.
        slack = 2 * (INTERVAL_MS + TIMEOUT_MS)
        self.assertLessEqual(abs(web["down_ms"] - truth), slack,
                             (web["down_ms"], truth))
        self.assertIsNotNone(web["mttd_ms"])
        # Time to detect: three failed probes, two intervals after the
        # first.
        self.assertGreaterEqual(web["mttd_ms"], 2 * INTERVAL_MS - 100)
        self.assertLessEqual(web["mttd_ms"], 2 * INTERVAL_MS + 600)
        self.assertLess(blip, 3 * INTERVAL_MS)
        self.assertEqual(o["groups"][0]["id"], "systems")
        # The journal is whole.
        r = subprocess.run([COLLECTOR, "--verify-journal",
                            os.path.join(self.data_dir, "outages.fmoj")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("no damage", r.stdout)
        # The same numbers through the API: one code, one source.
        api = json.loads(urllib.request.urlopen(
            self.api + "/api/v1/availability?from=0&to=%d&devices=1" %
            (int(time.time() * 1000) + 60000), timeout=5).read())
        adev = {d["id"]: d for d in api["devices"]}
        self.assertEqual(adev["web"]["outages"], 2)
        self.assertEqual(adev["web"]["blips"], 1)

    def test_collector_killed_during_an_outage(self):
        coll = self.start_collector(extra="confirm = 2;")
        self.agent()
        self.wait_check("web", "http", "up")
        t0 = self.set(503)
        down = self.wait_check("web", "http", "down")
        time.sleep(2.5)
        coll.kill()
        time.sleep(1.5)
        # The same data directory, ports and configuration.
        conf = os.path.join(self.tmp, "collector.conf")
        self.procs.append(self.start([COLLECTOR, "-d", "-f", conf],
                                     "collector2"))
        wait_for(lambda: self.check("web", "http") is not None and
                 self.check("web", "http")["state"] == "down",
                 what="down after the restart")
        t1 = self.set(200)
        self.wait_check("web", "http", "up")
        time.sleep(1.5)
        devs, _ = self.avail()
        web = devs["web"]
        self.assertEqual(web["outages"], 1)
        self.assertEqual(web["blips"], 0)
        self.assertLessEqual(abs(web["down_ms"] - (t1 - t0)),
                             2 * (INTERVAL_MS + TIMEOUT_MS))
        self.assertLess(abs(down["since_ms"] - t0), INTERVAL_MS + TIMEOUT_MS)

    def test_bad_verify_input(self):
        path = self.write("not-a-journal", "hello\n")
        r = subprocess.run([COLLECTOR, "--verify-journal", path],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a facmon outage journal", r.stderr)

    def test_flapping(self):
        self.start_collector(extra="confirm = 3;")
        self.agent()
        self.wait_check("web", "http", "up")
        for i in range(3):		# three down/up cycles: six changes
            self.set(503)
            self.wait_check("web", "http", "down")
            self.set(200)
            self.wait_check("web", "http", "up")
        c = self.check("web", "http")
        self.assertTrue(c["flapping"], c)
        devs, _ = self.avail()
        # Each cycle is one probe long: blips, none charged.
        self.assertEqual(devs["web"]["blips"], 3)
        self.assertEqual(devs["web"]["outages"], 0)
        self.assertEqual(devs["web"]["down_ms"], 0)


class OutageAlerts(FacmonTestCase):
    """From the first failed probe to the e-mail: a confirmed outage of
    a device sends one alert, its end one recovery notice, through the
    collector's real alert layer into Debian's aiosmtpd."""

    def mailbox(self):
        """Debian's aiosmtpd on a free port; returns (messages, port)."""
        box, port = self.start_smtp()
        return box.msgs, port

    def service(self):
        """A web service the test switches; returns its port and a
        function that sets its status."""
        hport, base = self.start_httpd()

        def svc(status):
            urllib.request.urlopen(base + "/set?path=/svc&status=%d"
                                   % status, timeout=2).read()
        svc(200)
        return hport, svc

    def test_confirmed_outage_mails_once(self):
        import email
        import email.policy

        msgs, smtp_port = self.mailbox()
        hport, svc = self.service()
        # The alerts group sits beside the collector group: 'extra' closes
        # the collector group and opens it; the helper closes it.
        self.start_collector(extra="""confirm = 2; };
alerts: {
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  base_url = "http://127.0.0.1:8080";
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );""" % smtp_port)
        self.start_agent("""
{ id = "hotline"; name = "12345 热线平台"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % hport)
        self.wait_check("hotline", "http", "up")
        svc(503)
        wait_for(lambda: len(msgs) >= 1, timeout=30, what="the alert")
        down = email.message_from_bytes(msgs[0],
                                        policy=email.policy.default)
        self.assertIn("12345 热线平台", str(down["Subject"]))
        self.assertIn("hotline-", down["Message-ID"])
        svc(200)
        wait_for(lambda: len(msgs) >= 2, timeout=30, what="recovery")
        up = email.message_from_bytes(msgs[1],
                                      policy=email.policy.default)
        self.assertIn("12345 热线平台", str(up["Subject"]))
        self.assertNotEqual(up["Message-ID"], down["Message-ID"])
        time.sleep(2)
        self.assertEqual(len(msgs), 2)
        out = json.loads(urllib.request.urlopen(
            self.api + "/api/v1/alerts/outbox", timeout=5).read())
        self.assertIsInstance(out, dict)

    def test_maintenance_is_planned_and_silent(self):
        import datetime
        import zoneinfo

        msgs, smtp_port = self.mailbox()
        hport, svc = self.service()
        # A window from two minutes ago, for an hour, in Beijing time.
        start = (datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")) -
                 datetime.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
        self.start_collector(extra="""confirm = 2; };
alerts: {
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
};
availability: {
  site = "测试中心";
  targets = ( { group = "systems"; availability = 99.99; } );
  maintenance = ( { id = "upgrade"; start = "%s"; duration = "1h";
                    devices = [ "hotline" ]; reason = "系统升级"; } );""" %
                             (smtp_port, start))
        self.start_agent("""
{ id = "hotline"; name = "12345 热线平台"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % hport)
        self.wait_check("hotline", "http", "up")
        svc(503)
        self.wait_check("hotline", "http", "down")
        time.sleep(3.5)			# well past two failed probes
        svc(200)
        self.wait_check("hotline", "http", "up")
        time.sleep(1.5)
        self.assertEqual(msgs, [])	# planned: nobody is paged
        a = json.loads(urllib.request.urlopen(
            self.api + "/api/v1/availability?from=0&to=%d&devices=1" %
            (int(time.time() * 1000) + 60000), timeout=5).read())
        dev = {d["id"]: d for d in a["devices"]}["hotline"]
        self.assertEqual(dev["down_ms"], 0)
        self.assertGreater(dev["planned_down_ms"], 2000)
        self.assertEqual(dev["outages"], 0)
        self.assertAlmostEqual(dev["target"], 0.9999)
        # The device has lived only inside the window: nothing outside
        # it to judge, so neither met nor missed.
        self.assertIsNone(dev["availability"])
        self.assertIsNone(dev["met"])
        self.assertEqual(a["timezone"], "Asia/Shanghai")


class Latency(FacmonTestCase):
    """The latency target (数据响应时间 < 800 ms) is counted by the
    collector per probe into the outage journal: a fast check is all
    within its bound, a slow one none, and neither a kill -9 (the open
    slice is rebuilt from the ingest journal's replay) nor a clean stop
    and restart counts a probe twice."""

    def latency(self, conf):
        r = subprocess.run([COLLECTOR, "-f", conf, "avail", "--from", "0",
                            "--to", str(int(time.time() * 1000) + 60000),
                            "--devices", "--json"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        o = json.loads(r.stdout)
        return {x["indicator"]: x for x in o["latency"]}, o

    def test_counted_once_across_restarts(self):
        hport, _ = self.start_httpd()
        coll = self.start_collector(extra="""confirm = 3; };
availability: {
  site = "测试中心";
  indicators = (
    { id = "fast"; level1 = "a"; level2 = "b"; level3 = "数据响应时间";
      metric = "latency_share"; latency = "800ms"; target = 99;
      devices = [ "web" ]; checks = [ "fast" ]; },
    { id = "slow"; level1 = "a"; level2 = "b"; level3 = "慢接口";
      metric = "latency_share"; latency = "800ms"; target = 99;
      devices = [ "web" ]; checks = [ "slow" ]; } );""")
        conf = os.path.join(self.tmp, "collector.conf")
        t0 = time.time()
        agent = self.start_agent("""
{ id = "web"; name = "网上办事大厅"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = (
    { id = "fast"; type = "http"; interval = 1; timeout = 0.7;
      url = "http://127.0.0.1:%(p)d/ok"; },
    { id = "slow"; type = "http"; interval = 1; timeout = 0.95;
      url = "http://127.0.0.1:%(p)d/slow/850"; critical = false; },
    { id = "ping"; type = "tcp"; interval = 1; timeout = 0.5;
      port = %(p)d; } ); }
""" % {"p": hport})
        self.wait_check("web", "fast", "up")
        time.sleep(4)
        coll.signal(9)                  # the open slice is in memory only
        coll.stop()
        coll = self.start([COLLECTOR, "-d", "-f", conf], "collector2")
        wait_for(lambda: self.device("web") is not None, timeout=20,
                 what="collector back")
        time.sleep(4)
        agent.stop()
        time.sleep(1.5)                 # the last batch is in
        t1 = time.time()
        coll.stop()                     # writes the open slices
        lat, o = self.latency(conf)
        fast, slow = lat["fast"], lat["slow"]
        span = t1 - t0 + 2
        self.assertGreaterEqual(fast["probes"], 6)
        self.assertLessEqual(fast["probes"], span)     # none twice
        self.assertEqual(fast["within"], fast["probes"])
        self.assertEqual(fast["share"], 1.0)
        self.assertTrue(fast["met"])
        self.assertGreaterEqual(slow["probes"], 4)
        self.assertLessEqual(slow["probes"], span)
        self.assertEqual(slow["within"], 0)
        self.assertFalse(slow["met"])
        dev = {d["id"]: d for d in o["devices"]}["web"]
        self.assertEqual(sorted(x["indicator"] for x in dev["latency"]),
                         ["fast", "slow"])
        self.assertIn("fault_time_ytd", o)
        self.assertEqual(o["fault_time_ytd"]["target_ms"], 86400000)
        # Once more, with nothing new: a restart replays the ingest
        # journal, and what the outage journal holds is not counted again.
        coll = self.start([COLLECTOR, "-d", "-f", conf], "collector3")
        wait_for(lambda: self.device("web") is not None, timeout=20,
                 what="collector back")
        time.sleep(1)
        coll.stop()
        again, _ = self.latency(conf)
        self.assertEqual(again["fast"]["probes"], fast["probes"])
        self.assertEqual(again["slow"]["probes"], slow["probes"])


class Budget(FacmonTestCase):
    """The downtime budget of the current month: what the days so far
    have earned, and what the whole month still allows (the wall's
    "剩余"), which counts the days to come at the same target."""

    def test_month_budget_left(self):
        import datetime
        import zoneinfo

        hport, _ = self.start_httpd()
        self.start_collector(extra="""confirm = 2; };
availability: {
  site = "测试中心";
  targets = ( { group = "systems"; availability = 99.99; } );""")
        self.start_agent("""
{ id = "web"; name = "12345 热线平台"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/ok"; } ); }
""" % hport)
        self.wait_check("web", "http", "up")
        time.sleep(2)
        now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai"))
        month = now.strftime("%Y-%m")
        end = (now.replace(day=28) + datetime.timedelta(days=4)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0)
        a = json.loads(urllib.request.urlopen(
            self.api + "/api/v1/availability?month=" + month,
            timeout=5).read())
        g = {x["id"]: x for x in a["groups"]}["systems"]
        rest = int(end.timestamp() * 1000) - a["to_ms"]
        self.assertGreater(rest, 0)
        self.assertEqual(g["down_ms"], 0)
        self.assertAlmostEqual(g["budget_left_ms"], g["budget_ms"], 3)
        self.assertAlmostEqual(g["budget_period_left_ms"],
                               g["budget_left_ms"] + 0.0001 * rest, 0)


class Dependencies(FacmonTestCase):
    """An access point behind a switch: when the switch is down the AP
    is unreachable -- the switch's outage, not the AP's."""

    def test_child_behind_a_parent_is_unreachable(self):
        hport = free_port()
        self.start([PY, os.path.join(ROOT, "tests/lib/httpd.py"), "--port",
                    str(hport)], "httpd")
        base = "http://127.0.0.1:%d" % hport
        wait_for(lambda: urllib.request.urlopen(base + "/ok",
                                                timeout=2).status == 200,
                 what="httpd")

        def set_(path, status):
            urllib.request.urlopen(base + "/set?path=/%s&status=%d" %
                                   (path, status), timeout=2).read()
        set_("sw", 200)
        set_("ap", 200)
        self.start_collector(extra="confirm = 3;")
        self.start_agent("""
{ id = "floor2-sw"; name = "二楼交换机"; class = "switch"; group = "network";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%(p)d/sw"; } ); },
{ id = "ap-2-01"; name = "二楼 AP 01"; class = "wifi-ap"; group = "wifi";
  address = "127.0.0.1"; parent = "floor2-sw";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%(p)d/ap"; } ); }
""" % {"p": hport})
        self.wait_check("ap-2-01", "http", "up")
        self.assertEqual(self.device("ap-2-01")["parent"], "floor2-sw")
        set_("sw", 503)
        set_("ap", 503)
        wait_for(lambda: self.device("floor2-sw")["state"] == "down",
                 what="switch down")
        wait_for(lambda: self.device("ap-2-01")["state"] == "unreachable",
                 what="AP unreachable")
        time.sleep(4)
        set_("sw", 200)
        set_("ap", 200)
        wait_for(lambda: self.device("ap-2-01")["state"] == "up",
                 what="AP back")
        time.sleep(1.5)
        conf = os.path.join(self.tmp, "collector.conf")
        r = subprocess.run([COLLECTOR, "-f", conf, "avail", "--from", "0",
                            "--to", str(int(time.time() * 1000) + 60000),
                            "--devices", "--json"], capture_output=True,
                           text=True, timeout=30)
        devs = {d["id"]: d for d in json.loads(r.stdout)["devices"]}
        self.assertEqual(devs["floor2-sw"]["outages"], 1)
        ap = devs["ap-2-01"]
        self.assertEqual(ap["outages"], 0)
        self.assertGreater(ap["unreachable_ms"], 3000)
        # At most the moment between its own failed probe and the
        # switch's, never confirmed: not charged.
        self.assertEqual(ap["down_ms"], 0)
