# HTTP checks against a real HTTP server (tests/lib/httpd.py): up, wrong
# status, slow (the 800 ms data-response target), JSON health fields,
# and a server that is flipped from up to down while the agent runs.

import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import PY, ROOT, FacmonTestCase, free_port, wait_for  # noqa


class Http(FacmonTestCase):
    def test_http_outcomes(self):
        port = free_port()
        self.start([PY, os.path.join(ROOT, "tests/lib/httpd.py"), "--port",
                    str(port)], "httpd")
        base = "http://127.0.0.1:%d" % port
        wait_for(lambda: urllib.request.urlopen(base + "/ok", timeout=2)
                 .status == 200, what="httpd")
        self.start_collector()
        self.start_agent("""
{ id = "web"; name = "政务服务网"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = (
    { id = "ok"; type = "http"; interval = 1; timeout = 0.9;
      url = "http://{address}:%(p)d/ok"; expect_body = "facmon-ok"; },
    { id = "health"; type = "http"; interval = 1; timeout = 0.9;
      url = "http://{address}:%(p)d/health"; json_field = "status";
      json_value = "ok"; },
    { id = "degraded"; type = "http"; interval = 1; timeout = 0.9;
      url = "http://{address}:%(p)d/json/degraded"; json_field = "status";
      json_value = "ok"; critical = false; },
    { id = "e503"; type = "http"; interval = 1; timeout = 0.9;
      url = "http://{address}:%(p)d/status/503"; critical = false; },
    { id = "slow"; type = "http"; interval = 2; timeout = 1.9;
      url = "http://{address}:%(p)d/slow/1000"; max_latency = "800ms";
      critical = false; },
    { id = "flip"; type = "http"; interval = 1; timeout = 0.9;
      url = "http://{address}:%(p)d/flip"; critical = false; }
  ); }
""" % {"p": port})
        ok = self.wait_check("web", "ok", "up")
        self.assertEqual(ok["values"]["status"]["value"], 200)
        self.assertGreater(ok["values"]["total_ms"]["value"], 0)
        self.wait_check("web", "health", "up")
        c = self.wait_check("web", "degraded", "down")
        self.assertEqual(c["outcome"], "bad_content")
        c = self.wait_check("web", "e503", "down")
        self.assertEqual(c["outcome"], "bad_status")
        self.assertIn("503", c["message"])
        c = self.wait_check("web", "slow", "down")
        self.assertEqual(c["outcome"], "slow")
        self.assertGreaterEqual(c["values"]["total_ms"]["value"], 800)

        # /flip starts as a 404 (down), then the server is told to answer.
        self.wait_check("web", "flip", "down")
        urllib.request.urlopen(base + "/set?path=/flip&status=200&body=hi",
                               timeout=2)
        self.wait_check("web", "flip", "up")

    def test_refused(self):
        port = free_port()
        self.start_collector()
        self.start_agent("""
{ id = "gone"; class = "web-system"; group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.9;
               url = "http://127.0.0.1:%d/"; } ); }
""" % port)
        c = self.wait_check("gone", "http", "down")
        self.assertEqual(c["outcome"], "refused")
