#!/usr/bin/python3
# Detection to delivery: the time from a fault injected into facmon-sim
# (its ground-truth log says when) to the alert arriving in Debian's
# aiosmtpd, through the real agent, collector, outage confirmation and
# alert worker.  One HTTP check, interval 1 s, confirmation 3; N runs
# (default 20), each bounded in time.  Everything on 127.0.0.0/8.
#
#   bench/alert.py [--runs N] [--batch-interval 1s,200ms] [--write]
#
# Aim: no more than 1 s beyond the 3-s confirmation window.

import argparse
import email
import email.policy
import json
import os
import re
import statistics
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "lib"))
import fmtest  # noqa: E402

SIM = os.path.join(fmtest.BUILD, "facmon-sim")
NET = "127.%d" % (60 + os.getpid() % 150)
ARGS = None

SCENARIO = """
sim: { snmp_port = %(snmp)d; http_port = %(http)d; control = "%(ctl)s";
       truth_log = "%(log)s"; seed = 1; };
devices = (
  { id = "web"; name = "12345 热线平台"; class = "web-system";
    address = "%(net)s.5.1"; http = true; }
);
"""


class Bench(fmtest.FacmonTestCase):

    def ctl(self, *args):
        p = subprocess.run([SIM, "ctl", "-s", self.sock] + list(args),
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        return p.stdout

    def runTest(self):
        try:
            self.measure()
        except Exception:
            self.dump_logs()
            raise

    def measure(self):
        from aiosmtpd.controller import Controller

        arrivals = []

        class Box:
            async def handle_DATA(self, server, session, envelope):
                arrivals.append((time.time(), envelope.content))
                return "250 OK"
        smtp_port = fmtest.free_port()
        ctl = Controller(Box(), hostname="127.0.0.1", port=smtp_port)
        ctl.start()
        self.addCleanup(ctl.stop)

        self.sock = os.path.join(self.tmp, "sim.sock")
        truth = os.path.join(self.tmp, "truth.log")
        scen = self.write("scenario.conf", SCENARIO % {
            "snmp": fmtest.free_port(), "http": fmtest.free_port(),
            "ctl": self.sock, "log": truth, "net": NET})
        self.start([SIM, "-d", "-f", scen], "sim")
        def ping():
            try:
                return self.ctl("ping") == "pong\n"
            except RuntimeError:
                return False
        fmtest.wait_for(ping, timeout=15, what="facmon-sim")
        p = subprocess.run([SIM, "agent-config", "-f", scen],
                           capture_output=True, text=True, timeout=30)
        devices = p.stdout.split("devices = (", 1)[1].rsplit(");", 1)[0]
        devices = re.sub(r"interval = \d+; timeout = 2;",
                         "interval = 1; timeout = 0.8;", devices)
        self.start_collector(extra="""confirm = 3; };
alerts: {
  retry: { first = "200ms"; max = "1s"; give_up_after = "1h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );""" % smtp_port)
        # The agent as tests/lib/fmtest.py starts it, but with the batch
        # interval asked for (the test helper fixes it at 200 ms).
        conf = self.write("agent.conf", """
agent: { id = "test"; collector = "127.0.0.1:%d"; %s
  batch_interval = "%s"; mibdirs = "%s"; spool_dir = "%s"; };
devices = ( %s );
""" % (self.agent_port, self.tls_lines("test"), ARGS.batch_interval,
       os.path.join(fmtest.ROOT, "mibs"), os.path.join(self.tmp, "spool"),
       devices))
        self.start([fmtest.AGENT, "-d", "-v", "-f", conf], "agent")
        self.wait_check("web", "http", "up", timeout=30)

        lat, probe, after = [], [], []
        for i in range(ARGS.runs):
            n0 = len(arrivals)
            self.ctl("inject", "web", "http_error", "0", "500")
            hist = [json.loads(x) for x in self.ctl("history").splitlines()]
            start = [h for h in hist if h["device"] == "web" and
                     h["fault"] == "http_error" and
                     h["event"] == "start"][-1]["t_ms"] / 1000.0

            def down():
                for t, raw in arrivals[n0:]:
                    m = email.message_from_bytes(
                        raw, policy=email.policy.default)
                    if "故障" in str(m["Subject"]):
                        return t
                return None
            t = fmtest.wait_for(down, timeout=30, interval=0.01,
                                what="alert %d" % (i + 1))
            # The outage starts at the first failed probe: what is the
            # probing's share, what the rest's.
            first = self.check("web", "http")["since_ms"] / 1000.0
            lat.append(t - start)
            probe.append(first - start)
            after.append(t - first)
            print("run %2d: %.3f s (first failed probe +%.3f s, mail "
                  "+%.3f s after it)" % (i + 1, t - start, first - start,
                                         t - first), file=sys.stderr,
                  flush=True)
            n1 = len(arrivals)
            self.ctl("clear", "web")
            fmtest.wait_for(lambda: len(arrivals) > n1, timeout=30,
                            what="recovery %d" % (i + 1))
            self.wait_check("web", "http", "up", timeout=30)
        lat.sort()
        self.row = ("| %d | %s | %.3f | %.3f | %.3f | %+.3f | %+.3f | "
                    "%.3f / %.3f | %.3f / %.3f |" % (
                        len(lat), ARGS.batch_interval,
                        statistics.median(lat), lat[-1], lat[0],
                        statistics.median(lat) - 3, lat[-1] - 3,
                        statistics.median(probe), max(probe),
                        statistics.median(after), max(after)))


HEAD = """## Alerts: fault injection to e-mail

Time from a fault injected into facmon-sim (`http_error` on a simulated
web system; the start taken from the simulator's ground-truth log) to
the alert in Debian's aiosmtpd, through facmon-agent, facmon-collector
(outage confirmation, alert routing, the outbox worker) and SMTP. One
HTTP check, interval 1 s, timeout 0.8 s, confirm = 3; the agent's
`batch_interval` as given (its default is 1 s). The first failed probe
comes 0-1 s after the fault, so confirmation lands 2-3 s after it.
Aim: no more than 1 s beyond the 3-s confirmation window.

Command: `%s`

The last two columns split it: from the fault to the first failed
probe (when the outage starts), and from there to the mail, which holds
the two further probes (2 s) that confirm it.  In the collector's log
the alert layer itself (alert queued to mail accepted) takes 10-100 ms;
the occasional slow run is slow before it, between the confirming probe
and the collector applying its result (agent batch, journal commit).

| runs | batch_interval | median s | worst s | best s | median beyond 3 s | worst beyond 3 s | fault to 1st failed probe, median / worst s | 1st failed probe to mail, median / worst s |
|---|---|---|---|---|---|---|---|---|
"""


def upsert(section):
    """Put the section into bench/RESULTS.md, replacing an older one:
    bench/run.py rewrites that file, bench-alert adds itself again."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "RESULTS.md")
    with open(path) as f:
        text = f.read()
    title = section.split("\n", 1)[0]
    m = re.search(re.escape(title) + r"\n.*?(?=\n## |\Z)", text, re.S)
    if m:
        text = text[:m.start()] + section.rstrip("\n") + "\n" + \
            text[m.end():]
    elif "\n## Not measured yet" in text:
        i = text.index("\n## Not measured yet")
        text = text[:i] + "\n" + section + text[i:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--batch-interval", default="1s",
                    help="the agent's batch_interval (its default: 1s); "
                    "several separated by commas")
    ap.add_argument("--write", action="store_true",
                    help="put the figures into bench/RESULTS.md")
    ARGS = ap.parse_args()
    rows = []
    for bi in ARGS.batch_interval.split(","):
        ARGS.batch_interval = bi
        b = Bench()
        r = unittest.TextTestRunner(stream=sys.stderr).run(b)
        if not r.wasSuccessful():
            sys.exit(1)
        rows.append(b.row)
    cmd = "bench/alert.py " + " ".join(sys.argv[1:])
    section = HEAD % cmd.strip() + "\n".join(rows) + "\n"
    print(section)
    if ARGS.write:
        upsert(section)
