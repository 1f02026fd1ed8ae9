# Alerts configured by a reload: a collector started without alerts is
# given them with SIGHUP, and the next confirmed outage is mailed.  (The
# worker used to start only at start-up, so alerts added by a reload
# were ignored.)  And a stop after a reload that removed the alerts still
# shuts the worker down.

import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import FacmonTestCase, wait_for  # noqa: E402


class AlertReload(FacmonTestCase):
    def test_alerts_added_and_removed_by_reload(self):
        box, smtp_port = self.start_smtp()
        hport, base = self.start_httpd()

        def set_(status):
            urllib.request.urlopen(base + "/set?path=/svc&status=%d"
                                   % status, timeout=5).read()
        set_(200)
        coll = self.start_collector(extra="confirm = 2;")
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, encoding="utf-8") as f:
            plain = f.read()
        self.start_agent("""
{ id = "web"; name = "网上办事大厅"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % hport)
        self.wait_check("web", "http", "up")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(plain + """
alerts: {
  timezone = "Asia/Shanghai";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  rules = ( { recipients = [ "duty" ]; } );
  deliver = ( [ "mail" ] );
};
""" % smtp_port)
        coll.signal(signal.SIGHUP)
        time.sleep(1)
        set_(503)
        wait_for(lambda: len(box.msgs) >= 1, timeout=30,
                 what="the outage's alert after the reload")
        set_(200)
        wait_for(lambda: len(box.msgs) >= 2, timeout=30,
                 what="the recovery")
        # Alerts removed again; the daemon still stops cleanly.
        with open(conf, "w", encoding="utf-8") as f:
            f.write(plain)
        coll.signal(signal.SIGHUP)
        time.sleep(1)
        coll.signal(signal.SIGTERM)
        wait_for(lambda: not coll.alive(), timeout=20, what="exit")
        with open(os.path.join(self.tmp, "collector.log"),
                  encoding="utf-8") as f:
            log = f.read()
        self.assertIn("exiting", log)
