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
from fmtest import FacmonTestCase, Mailbox, wait_for  # noqa: E402


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


class AlertReloadRecipients(FacmonTestCase):
    def test_recipient_and_channel_added_by_reload(self):
        # Alerts running with one recipient and one mail channel; a
        # reload adds a recipient and a file channel in a second chain.
        # The next outage reaches both recipients by mail and both in
        # the file: the worker takes the new recipients and channels.
        box, smtp_port = self.start_smtp()
        hport, base = self.start_httpd()

        def set_(status):
            urllib.request.urlopen(base + "/set?path=/svc&status=%d"
                                   % status, timeout=5).read()
        wall = os.path.join(self.tmp, "wall.log")
        alerts = """
alerts: {
  timezone = "Asia/Shanghai";
  digest = "0s";
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; }%s );
  recipients = ( { name = "duty"; email = "duty@example.org"; }%s );
  rules = ( { recipients = [ %s ]; } );
  deliver = ( [ "mail" ]%s );
};
"""
        set_(200)
        coll = self.start_collector(extra="confirm = 2;")
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, encoding="utf-8") as f:
            plain = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(plain + alerts % (smtp_port, "", "", '"duty"', ""))
        coll.signal(signal.SIGHUP)
        self.start_agent("""
{ id = "web"; name = "网上办事大厅"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % hport)
        self.wait_check("web", "http", "up")
        set_(503)
        wait_for(lambda: len(box.msgs) >= 1, timeout=30,
                 what="the first outage's alert")
        set_(200)
        wait_for(lambda: len(box.msgs) >= 2, timeout=30, what="recovery")
        self.assertEqual([r for rs in box.rcpts for r in rs],
                         ["duty@example.org"] * 2)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(plain + alerts % (
                smtp_port,
                ', { name = "wall"; type = "file"; path = "%s"; }' % wall,
                ', { name = "head"; email = "head@example.org"; }',
                '"duty", "head"', ', [ "wall" ]'))
        coll.signal(signal.SIGHUP)
        log = os.path.join(self.tmp, "collector.log")
        wait_for(lambda: "alerts: configuration reloaded" in
                 open(log, encoding="utf-8").read(), timeout=20,
                 what="the worker taking the new configuration")
        set_(503)
        wait_for(lambda: len(box.msgs) >= 4, timeout=30,
                 what="the second outage to both recipients")
        rcpts = sorted(r for rs in box.rcpts[2:4] for r in rs)
        self.assertEqual(rcpts, ["duty@example.org", "head@example.org"])

        def wall_rcpts():
            if not os.path.exists(wall):
                return []
            with open(wall, encoding="utf-8") as f:
                return sorted(line.split("\t")[2] for line in f)
        wait_for(lambda: wall_rcpts() == ["duty", "head"], timeout=30,
                 what="the new file channel")
        with open(wall, encoding="utf-8") as f:
            for line in f:
                self.assertIn("网上办事大厅", line)
        with open(log, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("not configured", text)
        self.assertNotIn("no longer configured", text)
        coll.signal(signal.SIGTERM)
        wait_for(lambda: not coll.alive(), timeout=20, what="exit")

    def test_removed_recipient_gets_what_was_queued(self):
        # The mail server defers every recipient: the down alert to
        # "old" waits for its retry.  A reload removes "old" and adds
        # "new"; once the server takes mail again, the queued alert
        # still reaches old@ (as queued, not failed as unconfigured),
        # and the recovery goes to new@ only.
        box, smtp_port = self.start_smtp(Mailbox(tempfail=10 ** 6))
        hport, base = self.start_httpd()

        def set_(status):
            urllib.request.urlopen(base + "/set?path=/svc&status=%d"
                                   % status, timeout=5).read()
        alerts = """
alerts: {
  digest = "0s";
  retry: { first = "1s"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "%s"; email = "%s@example.org"; } );
  rules = ( { recipients = [ "%s" ]; } );
  deliver = ( [ "mail" ] );
};
"""
        set_(200)
        coll = self.start_collector(
            extra="confirm = 2;",
            root_extra=alerts % (smtp_port, "old", "old", "old"))
        conf = os.path.join(self.tmp, "collector.conf")
        log = os.path.join(self.tmp, "collector.log")
        self.start_agent("""
{ id = "web"; name = "网上办事大厅"; class = "web-system"; group = "systems";
  address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % hport)
        self.wait_check("web", "http", "up")
        set_(503)
        wait_for(lambda: box.tempfail < 10 ** 6, timeout=30,
                 what="the down alert deferred by the server")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace(alerts % (smtp_port, "old", "old", "old"),
                                 alerts % (smtp_port, "new", "new", "new")))
        coll.signal(signal.SIGHUP)
        wait_for(lambda: "1 queued deliveries finish under the "
                 "configuration they were queued with" in
                 open(log, encoding="utf-8").read(), timeout=20,
                 what="the worker keeping the queued delivery")
        box.tempfail = 0
        wait_for(lambda: ["old@example.org"] in box.rcpts, timeout=30,
                 what="the queued alert to the removed recipient")
        set_(200)
        wait_for(lambda: ["new@example.org"] in box.rcpts, timeout=30,
                 what="the recovery to the added recipient")
        self.assertEqual(box.rcpts.count(["old@example.org"]), 1)
        with open(log, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("not configured", text)
