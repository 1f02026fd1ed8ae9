# The status page in a real browser: Debian's chromium driven by
# playwright-core (tests/browser/), against facmon-sim playing the demo
# centre, the collector and the agent.  The wall shows every device, a
# hostile device name stays text, the English switch works; the
# simulator takes a line down, its tile turns red, an operator logs in
# and acknowledges the incident.  Screenshots go to tests/artifacts/.

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (BUILD, COLLECTOR, ROOT, FacmonTestCase,  # noqa
                    free_port, wait_for)

SIM = os.path.join(BUILD, "facmon-sim")
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
        """The demo scenario on ports of our own, without its timed
        faults, plus one device with a hostile name; the agent probes
        every 5 s so that the test waits less."""
        with open(os.path.join(ROOT, "etc/demo/scenario.conf"),
                  encoding="utf-8") as f:
            text = f.read()
        self.ctl = os.path.join(self.tmp, "sim.sock")
        text = re.sub(r"(?s)^sim: \{.*?\n\};", """sim: {
  snmp_port = %d; http_port = %d; community = "public";
  control = "%s"; truth_log = "%s"; seed = 2021;
};""" % (free_port(), free_port(), self.ctl,
         os.path.join(self.tmp, "truth.log")), text, count=1, flags=re.M)
        text = re.sub(r"(?s)\nfaults = \(.*?\n\);", "\n", text)
        # Addresses of our own, so that a running demo (make run) or a
        # parallel test run does not hold the same address and port.
        text = text.replace('address = "127.0.', 'address = "%s.' % NET)
        text = text.replace("\n);", """,
  { id = "xss"; name = "%s"; class = "ups"; group = "power";
    address = "%s.7.99"; }
);""" % (XSS, NET), 1)
        scen = self.write("scenario.conf", text)
        self.start([SIM, "-d", "-f", scen], "sim")
        wait_for(lambda: subprocess.run(
            [SIM, "ctl", "-s", self.ctl, "ping"], capture_output=True,
            text=True, timeout=10).stdout == "pong\n", timeout=20,
            what="facmon-sim")
        devs = subprocess.run([SIM, "agent-config", "-f", scen],
                              capture_output=True, text=True, timeout=30,
                              check=True).stdout
        devs = devs[devs.index("devices = (") + len("devices = ("):
                    devs.rindex(");")]
        devs = re.sub(r"interval = \d+;", "interval = 5;", devs)
        self.ids = re.findall(r'^    id = "([^"]+)";', devs, flags=re.M)
        self.assertIn("xss", self.ids)
        pw = subprocess.run([COLLECTOR, "hashpw"], input=PASSWORD + "\n",
                            capture_output=True, text=True, timeout=60,
                            check=True).stdout.strip()
        with open(os.path.join(ROOT, "etc/demo/collector.conf"),
                  encoding="utf-8") as f:
            demo = f.read()
        avail = demo[demo.index("availability: {"):demo.index("\n};",
                     demo.index("availability: {")) + 3]
        self.start_collector(agents=("test",), root_extra=avail + """
web: { users = ( { name = "%s"; password_hash = "%s"; } ); };
""" % (USER, pw))
        self.start_agent(devs)
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
                                "maintenance-cancel"])
        self.assertTrue(os.path.exists(os.path.join(ARTIFACTS,
                                                    "device.png")))
