# The status page in a real browser: Debian's chromium driven by
# playwright-core (tests/browser/), against facmon-sim playing the demo
# centre, the collector and the agent.  The wall shows every device, a
# hostile device name stays text, the English switch works; the
# simulator takes a line down, its tile turns red, an operator logs in
# and acknowledges the incident.  Screenshots go to tests/artifacts/.

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import COLLECTOR, ROOT, SIM, FacmonTestCase  # noqa

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
        self.ids = self.start_demo_centre(NET, interval=5, extra_devices="""\
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
