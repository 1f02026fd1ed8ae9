# The status page in a real browser: Debian's chromium driven by
# playwright-core (tests/browser/), against facmon-sim playing the demo
# centre, the collector and the agent.  The wall shows every device, a
# hostile device name stays text, the English switch works; the
# simulator takes a line down, its tile turns red, an operator logs in
# and acknowledges the incident.  The collector stopped turns the page
# to a loud no-data state and back; a UPS on battery is an amber
# warning with its reason, and so are notifications sent with snmptrap
# (an LED module failure; a port down until its linkUp); search, filters and a storm folded under its
# parent; every page at 390 px without sideways scroll or words broken
# a character a line, the kiosk within 1920x1080; a maintenance window
# made by picking a Chinese name; graphs with units, a range picker,
# zoom by drag and a port's in and out on one; the small lies (已确认,
# the acknowledgement's comment, decimals, coverage, 未达标, headers),
# the group budget explained and the maintenance calendar; a templated
# switch's port table.
# Screenshots go to tests/artifacts/.

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (AGENT, BUILD, COLLECTOR, ROOT, SIM, FacmonTestCase,  # noqa
                    free_port, wait_for)

BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
USER, PASSWORD = "admin", "facmon-browser-test"
XSS = "<img src=x onerror=alert(1)>"
# A /16 of loopback apart from test_sim.py's 127.60-209.
NET = "127.%d" % (210 + os.getpid() % 40)


def have_browser():
    return (shutil.which("node") and os.path.exists("/usr/bin/chromium") and
            os.path.isdir(os.path.join(BROWSER_DIR, "node_modules",
                                       "playwright-core")))


class Web(FacmonTestCase):
    def setUp(self):
        super().setUp()
        if not have_browser():
            self.skipTest("chromium, node or tests/browser/node_modules "
                          "missing (make deps)")

    def start_centre(self):
        """The demo centre with one device with a hostile name; the agent
        probes every 5 s so that the test waits less."""
        pw = subprocess.run([COLLECTOR, "hashpw"], input=PASSWORD + "\n",
                            capture_output=True, text=True, timeout=60,
                            check=True).stdout.strip()
        # The agent also listens for notifications, which the test sends
        # with Debian's snmptrap from a device's own address.
        self.trap_port = free_port()
        self.ids = self.start_demo_centre(NET, interval=5, agent_extra="""
traps: { listen = [ "udp:127.0.0.1:%d" ]; communities = [ "public" ]; };
""" % self.trap_port, extra_devices="""\
  { id = "xss"; name = "%s"; class = "ups"; group = "power";
    address = "%s.7.99"; }""" % (XSS, NET), root_extra="""
web: { users = ( { name = "%s"; password_hash = "%s"; } ); };
""" % (USER, pw))
        self.assertIn("xss", self.ids)
        self.ctl = self.sim_ctl
        self.url = self.api

    def browse(self, scenario, timeout=400):
        env = dict(os.environ, FACMON_URL=self.url,
                   FACMON_SCENARIO=scenario,
                   FACMON_DEVICES=json.dumps(self.ids),
                   FACMON_SIM=SIM, FACMON_SIM_CTL=self.ctl,
                   FACMON_USER=USER, FACMON_PASSWORD=PASSWORD,
                   FACMON_ARTIFACTS=ARTIFACTS)
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "wall.js")],
                           cwd=BROWSER_DIR, env=env, capture_output=True,
                           text=True, timeout=timeout)
        if p.returncode != 0:
            print(p.stdout[-6000:], p.stderr[-3000:])
            self.dump_logs()
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        self.assertTrue(p.stdout.rstrip().endswith("ok"))
        return p.stdout

    def browse_sync(self, scenario, actions, timeout=400):
        """browse() for a scenario that asks the test to act: each
        "sync: NAME" line on its stdout runs actions[NAME](), then a
        line on its stdin lets it go on."""
        env = dict(os.environ, FACMON_URL=self.url,
                   FACMON_SCENARIO=scenario,
                   FACMON_DEVICES=json.dumps(self.ids),
                   FACMON_SIM=SIM, FACMON_SIM_CTL=self.ctl,
                   FACMON_USER=USER, FACMON_PASSWORD=PASSWORD,
                   FACMON_ARTIFACTS=ARTIFACTS)
        p = subprocess.Popen(["node", os.path.join(BROWSER_DIR, "wall.js")],
                             cwd=BROWSER_DIR, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, bufsize=1)
        out = []
        lines = queue.Queue()
        # A thread reads: select() on a buffered pipe misses the lines
        # already in the buffer.
        def reader():
            for x in iter(p.stdout.readline, ""):
                lines.put(x)
            lines.put("")
        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    continue
                if line == "":
                    break
                out.append(line)
                if line.startswith("sync: "):
                    actions[line[6:].strip()]()
                    p.stdin.write("go\n")
                    p.stdin.flush()
            p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        text = "".join(out)
        if p.returncode != 0:
            print(text[-6000:])
            self.dump_logs()
        self.assertEqual(p.returncode, 0, text[-2000:])
        self.assertTrue(text.rstrip().endswith("ok"))
        return text

    def test_sent_alerts_listed(self):
        """The demo's alert path: the e-mail kept by facmon-mailsink, the
        SMS in the gammu spool, and both on the incidents page."""
        sink = free_port()
        mail_dir = os.path.join(self.tmp, "mail")
        sms_dir = os.path.join(self.tmp, "sms")
        os.makedirs(sms_dir)
        self.start([os.path.join(BUILD, "facmon-mailsink"), "-l",
                    "127.0.0.1:%d" % sink, "-d", mail_dir], "mailsink")
        self.ids = self.start_demo_centre(NET, interval=5, root_extra="""
alerts: {
  show_sent = true;
  signature = "【演示中心】";
  channels = (
    { name = "mail"; type = "smtp"; host = "127.0.0.1"; port = %d;
      tls = "none"; from = "facmon-demo@localhost"; timeout = "5s"; },
    { name = "sms"; type = "gammu"; spool_dir = "%s"; } );
  recipients = ( { name = "duty"; email = "duty@localhost";
                   phone = "+8613800000000"; } );
  deliver = ( [ "mail" ], [ "sms" ] );
};""" % (sink, sms_dir))
        self.ctl = self.sim_ctl
        self.url = self.api
        self.browse("sent")
        self.assertTrue(os.listdir(mail_dir))
        self.assertTrue(os.listdir(sms_dir))

    def test_wall_every_device_english_and_escaping(self):
        self.start_centre()
        self.browse("wall")
        self.assertTrue(os.path.getsize(os.path.join(ARTIFACTS,
                                                     "wall.png")) > 10000)

    def test_line_down_red_then_acknowledged(self):
        self.start_centre()
        self.browse("outage")
        from webclient import WebClient
        st, o = WebClient(self.http_port).json(
            "GET", "/api/v1/outages?device=line-telecom&open=1")
        self.assertEqual(st, 200)
        self.assertEqual(o["outages"][0]["acked_by"], USER)
        with open(os.path.join(self.data_dir, "audit.log"),
                  encoding="utf-8") as f:
            acts = [json.loads(x)["action"] for x in f]
        self.assertEqual(acts, ["login", "ack", "maintenance-create",
                                "maintenance-cancel", "maintenance-create"])
        with open(os.path.join(self.data_dir, "maintenance.json"),
                  encoding="utf-8") as f:
            weekly = json.load(f)["windows"][-1]
        self.assertEqual((weekly["repeat"], weekly["at"],
                          weekly["duration_ms"], weekly["groups"]),
                         ("weekly", "Sun 02:00", 7200000, ["network"]))
        self.assertTrue(os.path.exists(os.path.join(ARTIFACTS,
                                                    "device.png")))

    def test_collector_stopped_no_data_then_live(self):
        self.start_centre()
        coll = [p for p in self.procs if p.argv[0] == COLLECTOR][-1]

        def kill():
            coll.kill()

        def restart():
            self.start(coll.argv, "collector-again")

        agent = [p for p in self.procs if p.argv[0] == AGENT][-1]

        def kill_agent():
            agent.kill()

        def start_agent():
            self.start(agent.argv, "agent-again")

        out = self.browse_sync("stale", {"kill-collector": kill,
                                         "start-collector": restart,
                                         "kill-agent": kill_agent,
                                         "start-agent": start_agent})
        self.assertIn("figure: stale state shown", out)
        print([x for x in out.splitlines() if x.startswith("figure:")])
        self.assertTrue(os.path.exists(os.path.join(ARTIFACTS,
                                                    "wall-stale.png")))

    def test_port_table_of_a_templated_switch(self):
        """The demo's floor switch through the switch-generic template:
        its ports by name with their state in words, speed and
        utilisation; a port that goes down says so."""
        self.start_centre()
        self.browse("ports")

    def test_important_first_and_words_from_the_api(self):
        """A switch through snmpsim's Huawei recording and its template,
        the device's params marking the port described 办事大厅一楼
        important: the page graphs that port before the faster uplinks
        and the board's CPU before its memory, and its port table and
        values say what the API says."""
        self.start_snmpsim({"huawei": os.path.join(
            ROOT, "tests", "data", "snmprec", "huawei-s5735.snmprec")})
        self.start_collector(tls=False,
                             root_extra="web: { public_wall = true; };")
        self.start_agent("""
{ id = "sw1"; name = "办事大厅接入交换机"; address = "127.0.0.1";
  template = "switch-huawei"; charset = "GBK";
  params = { interval = 3; timeout = 2; important = "办事大厅一楼"; }; }
""", top='defaults = { snmp = { community = "huawei"; port = %d; }; };'
            % self.snmpsim_port)
        self.ids = ["sw1"]
        self.ctl = ""
        self.url = self.api
        self.browse("important")
        self.assertTrue(os.path.exists(os.path.join(
            ARTIFACTS, "device-important.png")))

    def snmptrap(self, source, oid, *vb):
        """One notification from a device's address (net-snmp binds the
        sending socket to clientaddr)."""
        r = subprocess.run(["snmptrap", "--clientaddr=" + source, "-v2c",
                            "-c", "public", "127.0.0.1:%d" % self.trap_port,
                            "", oid] + list(vb), capture_output=True,
                           text=True, timeout=20, env=dict(os.environ,
                                                           MIBS=""))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_notification_warnings_amber_then_cleared(self):
        """An LED wall's module failure notification turns its tile amber
        with the words and counts it in the faults strip; a switch's
        linkDown of port 7 does the same until its linkUp of port 7."""
        self.start_centre()
        ifindex = "1.3.6.1.2.1.2.2.1.1.7"
        out = self.browse_sync("trapwarn", {
            "led-trap": lambda: self.snmptrap(
                NET + ".4.1", "1.3.6.1.4.1.32473.1.0.4",
                "1.3.6.1.4.1.32473.1.1.3.1.8.1", "u", "11"),
            "link-down": lambda: self.snmptrap(
                NET + ".2.13", "1.3.6.1.6.3.1.1.5.3", ifindex, "i", "7"),
            "link-up": lambda: self.snmptrap(
                NET + ".2.13", "1.3.6.1.6.3.1.1.5.4", ifindex, "i", "7")})
        self.assertIn("step: cleared by linkUp", out)
        for size in ("phone", "screen"):
            self.assertTrue(os.path.exists(os.path.join(
                ARTIFACTS, "wall-trap-warning-%s.png" % size)))

    def test_graphs_range_zoom_and_in_out(self):
        """The core switch's page: a port's in and out on one graph with
        its unit, readable axes, the range picker, zoom by drag, a custom
        range; at 1920x1080 and at 390 px."""
        self.start_centre()
        self.browse("graphs")
        for size in ("phone", "screen"):
            self.assertTrue(os.path.exists(os.path.join(
                ARTIFACTS, "device-graphs-%s.png" % size)))

    def test_small_lies_budget_and_calendar(self):
        """已确认 only once acknowledged and the comment shown; decimals,
        coverage and 未达标 on the availability page; every column with a
        header; the group budget explained with the API's figures; the
        maintenance calendar of this month and the next."""
        self.start_centre()
        self.browse("honest")
        # The figure beside the verdict is the one facmon-report prints
        # for the same month and journal: the budget of the time elapsed,
        # an overrun for the lines after their outage.
        from webclient import WebClient
        from datetime import datetime
        from zoneinfo import ZoneInfo
        month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
        st, av = WebClient(self.http_port).json(
            "GET", "/api/v1/availability?month=" + month)
        self.assertEqual(st, 200)
        web = [g for g in av["groups"] if g["id"] == "lines"][0]
        out = os.path.join(self.tmp, "report")
        # The collector's availability section is the report's.
        with open(os.path.join(self.tmp, "collector.conf"),
                  encoding="utf-8") as f:
            conf = f.read()
        i = conf.index("availability: {")
        rconf = os.path.join(self.tmp, "report.conf")
        with open(rconf, "w", encoding="utf-8") as f:
            f.write(conf[i:conf.index("\n};", i) + 3].replace(
                "availability: {", 'availability: {\n  journal = "%s";' %
                os.path.join(self.data_dir, "outages.fmoj"), 1) + "\n")
        p = subprocess.run([os.path.join(BUILD, "facmon-report"), "-f",
                            rconf, "--month", month, "--format", "json",
                            "--out", out], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, [x for x in os.listdir(out)
                                     if x.endswith(".json")][0]),
                  encoding="utf-8") as f:
            rep = [g for g in json.load(f)["groups"]
                   if g["id"] == "lines"][0]
        self.assertLess(web["budget_left_ms"], 0)
        self.assertLess(rep["budget_left_s"], 0)
        # A few seconds later the elapsed time's budget has grown by
        # (1 - 99.99 %) of them: well under a second.
        self.assertAlmostEqual(rep["budget_left_s"],
                               web["budget_left_ms"] / 1000.0, delta=1.0)
        print("figure: the lines' budget left, web %.3f s, report %.3f s"
              % (web["budget_left_ms"] / 1000.0, rep["budget_left_s"]))
        for name in ("availability-budget", "maintenance-calendar"):
            for size in ("phone", "screen"):
                self.assertTrue(os.path.exists(os.path.join(
                    ARTIFACTS, "%s-%s.png" % (name, size))), name + size)

    def test_warning_search_storm_layout_and_maintenance_by_name(self):
        self.start_centre()
        # The wall's API says it in words, before the browser looks.
        from webclient import WebClient
        web = WebClient(self.http_port)
        self.sim("inject", "led-2", "led_modules", "0", "1")

        def led():
            st, w = web.json("GET", "/api/v1/wall")
            return [x for d in w["devices"] if d["id"] == "led-2"
                    for x in d["warnings"] if x["code"] == "led_modules"]
        found = wait_for(led, timeout=90, what="the LED wall's warning")
        self.assertRegex(found[0]["text"], r"^LED 模块故障 \d+ 块$")
        # The device's own answer carries the same warning, for a device
        # page opened without the wall.
        st, one = web.json("GET", "/api/v1/devices/led-2")
        self.assertEqual(st, 200)
        self.assertEqual([x["text"] for x in one["warnings"]
                          if x["code"] == "led_modules"],
                         [found[0]["text"]])
        for k in ("stale", "maintenance", "data_age_ms"):
            self.assertIn(k, one)
        self.sim("clear", "led-2")
        st, w = web.json("GET", "/api/v1/wall")
        self.assertEqual(st, 200)
        self.assertEqual([a["id"] for a in w["agents"]], ["test"])
        self.assertTrue(w["agents"][0]["connected"])
        d = w["devices"][0]
        for k in ("warnings", "data_age_ms", "stale", "agent_connected",
                  "address", "parent"):
            self.assertIn(k, d)
        st, up = web.json("GET", "/api/v1/uptime?range=30d")
        self.assertEqual(st, 200)
        self.assertEqual(up["span_ms"], 86400000)
        self.assertEqual(len(up["devices"]["ups-1"]["availability"]), 30)
        self.assertEqual(web.json("GET", "/api/v1/uptime?range=7x")[0], 400)
        self.browse("warning")
        self.browse("find")
        out = self.browse("layout")
        print([x for x in out.splitlines() if x.startswith("figure:")])
        self.browse("maintname")
        for name in ("wall", "incidents", "maintenance", "availability",
                     "device", "topology", "kiosk"):
            for size in ("phone", "screen"):
                self.assertTrue(os.path.exists(os.path.join(
                    ARTIFACTS, "%s-%s.png" % (name, size))), name + size)
