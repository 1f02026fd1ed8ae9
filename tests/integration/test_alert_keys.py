# An outage's alerts are keyed by device, check, start and kind, so that a
# replay after a crash sends nothing twice.  With ids of the longest
# allowed length the key used to lose its "-down"/"-up" suffix, and the
# recovery was dropped as already sent.

import email
import email.policy
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import FacmonTestCase, wait_for  # noqa: E402

DEV = "d" * 63
CHK = "c" * 63


class AlertKeys(FacmonTestCase):
    def setUp(self):
        super().setUp()
        self.box, self.smtp_port = self.start_smtp()
        self.hport, self.base = self.start_httpd()

    def set(self, path, status):
        urllib.request.urlopen(self.base + "/set?path=/%s&status=%d"
                               % (path, status), timeout=5).read()

    def test_long_ids_keep_down_and_recovery_apart(self):
        self.set("main", 200)
        self.set("extra", 200)
        self.start_collector(extra="""confirm = 2; };
alerts: {
  timezone = "Asia/Shanghai";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "net"; email = "net@example.org"; } );
  rules = ( { recipients = [ "net" ]; } );
  deliver = ( [ "mail" ] );""" % self.smtp_port)
        self.start_agent("""
{ id = "%(d)s"; name = "长名字的设备"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "main"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%(p)d/main"; },
             { id = "%(c)s"; type = "http"; interval = 1; timeout = 0.5;
               critical = false; url = "http://127.0.0.1:%(p)d/extra"; } );
}""" % {"p": self.hport, "d": DEV, "c": CHK})
        self.wait_check(DEV, CHK, "up")
        # The secondary check fails and comes back; then the device.
        self.set("extra", 503)
        wait_for(lambda: len(self.box.msgs) >= 1, timeout=30,
                 what="the check's alert")
        self.set("extra", 200)
        wait_for(lambda: len(self.box.msgs) >= 2, timeout=30,
                 what="the check's recovery")
        self.set("main", 503)
        wait_for(lambda: len(self.box.msgs) >= 3, timeout=30,
                 what="the device's alert")
        self.set("main", 200)
        wait_for(lambda: len(self.box.msgs) >= 4, timeout=30,
                 what="the device's recovery")
        time.sleep(2)
        msgs = [email.message_from_bytes(m, policy=email.policy.default)
                for m in self.box.msgs]
        self.assertEqual(len(msgs), 4)
        ids = [m["Message-ID"] for m in msgs]
        self.assertEqual(len(set(ids)), 4, ids)
        self.assertIn("恢复", str(msgs[1]["Subject"]))
        self.assertIn("恢复", str(msgs[3]["Subject"]))
