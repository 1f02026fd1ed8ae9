# The agent as a daemon: reload with a good configuration, cadence kept
# steady, and a clean exit that says what it did.

import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import FacmonTestCase, wait_for  # noqa: E402

DEV = """
{ id = "%(id)s"; name = "%(name)s"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "api"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%(port)d/api/v1/stats"; } ); }
"""


class Agent(FacmonTestCase):
    def test_reload_adds_a_device(self):
        self.start_collector()
        a = DEV % {"id": "web-a", "name": "网站 A", "port": self.http_port}
        agent = self.start_agent(a)
        first = self.wait_check("web-a", "api", "up")
        conf = os.path.join(self.tmp, "agent.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        b = DEV % {"id": "web-b", "name": "网站 B", "port": self.http_port}
        text = text.replace(a, a.rstrip() + ",\n" + b)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        agent.signal(signal.SIGHUP)
        self.wait_check("web-b", "api", "up")
        self.assertEqual(self.device("web-b")["name"], "网站 B")
        wait_for(lambda: self.check("web-a", "api")["last_ms"] >
                 first["last_ms"] + 1500, what="web-a still polled")
        self.assertIn("configuration reloaded: 2 devices", agent.output())
        self.assertTrue(agent.alive())

    def test_cadence_and_clean_exit(self):
        self.start_collector()
        agent = self.start_agent(DEV % {"id": "w", "name": "w",
                                        "port": self.http_port})
        c = self.wait_check("w", "api", "up")
        # Consecutive probes are one interval apart on the agent's clock.
        seen = [c["last_ms"]]

        def more():
            ms = self.check("w", "api")["last_ms"]
            if ms != seen[-1]:
                seen.append(ms)
            return len(seen) >= 4
        wait_for(more, what="four probes")
        gaps = [b - a for a, b in zip(seen, seen[1:])]
        for g in gaps:
            # Whole intervals (a poll of the API may miss one): the
            # cadence is anchored to slots, so a late start does not
            # shift the probes after it.  The margin is generous on
            # purpose: this checks the anchoring, not the machine.
            self.assertLess(abs(g - round(g / 1000.0) * 1000), 300, gaps)
        self.assertEqual(agent.stop(), 0)
        out = agent.output()
        m = re.search(r"probes (\d+), overruns (\d+)", out)
        self.assertIsNotNone(m, out[-2000:])
        self.assertEqual(m.group(2), "0")
        self.assertRegex(out, r"results \d+, acknowledged \d+, dropped 0")
