# The secure, redundant transport between agent and collector: TLS 1.3
# with a pre-shared key per agent (refusals counted, the daemon serving
# on), failover between two collectors and back, a partition in a
# network namespace and a clock jump on the agent (libfaketime).  Every result the agent spooled (its ledger,
# FACMON_SPOOL_LEDGER) must end up in a collector's journal.

import datetime
import os
import re
import signal
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ledger  # noqa: E402
from fmtest import (AGENT, COLLECTOR, ROOT, FacmonTestCase, NetNS,  # noqa
                    Proc, can_netns, free_port, http_json, wait_for)

SOAK = bool(os.environ.get("FACMON_SOAK"))
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def devices(port, n=5, interval=1):
    return ",\n".join("""
{ id = "t%d"; class = "other"; group = "g"; address = "127.0.0.1";
  checks = ( { id = "tcp"; type = "tcp"; interval = %g; timeout = 0.5;
               port = %d; } ); }""" % (i, interval, port) for i in range(n))


def events(api, kind=None):
    ev = http_json(api + "/api/v1/events")
    return [e for e in ev if kind is None or e["kind"] == kind]


def read_ledger(path):
    out = []
    with open(path) as f:
        for line in f:
            d, c, ts, o = line.split()
            out.append((d, c, int(ts), int(o)))
    return out


class Tls(FacmonTestCase):
    def agent(self, agent_id, psk, name):
        """An agent of the given identity and key file (no wait)."""
        conf = self.write(name + ".conf", """
agent: { id = "%s"; collector = "127.0.0.1:%d"; tls_psk_file = "%s";
         batch_interval = "200ms"; spool_dir = "%s"; };
devices = ( %s );
""" % (agent_id, self.agent_port, psk, os.path.join(self.tmp, "sp-" + name),
            devices(self.http_port, 1).replace("t0", "d-" + name)))
        return self.start([AGENT, "-d", "-f", conf], name)

    def bad_key(self, name):
        path = os.path.join(self.tmp, "key-" + name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        return path

    def test_handshake_and_refusals(self):
        col = self.start_collector(agents=("test", "old"))
        self.start_agent(devices(self.http_port, 2))
        self.wait_check("t0", "tcp", "up")
        out = self.procs[-1].output()
        self.assertIn("over TLS", out)
        # The key file keygen wrote is the agent's alone.
        self.assertEqual(os.stat(self.psk_files["test"]).st_mode & 0o777,
                         0o600)
        self.assertEqual(os.stat(os.path.join(
            self.data_dir, "keys", "test.psk")).st_mode & 0o777, 0o600)

        # A listed agent with a key that is not its own.
        self.agent("test", self.bad_key("wrong"), "wrong")
        # An identity the collector does not list.
        self.agent("stranger", self.bad_key("stranger"), "stranger")
        # An agent with its real key, then revoked by a reload.
        old = self.agent("old", self.psk_files["old"], "old")
        self.wait_check("d-old", "tcp", "up")
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace('{ id = "old"; }',
                                 '{ id = "old"; revoked = true; }'))
        col.signal(signal.SIGHUP)

        def refused():
            ev = events(self.api, "tls-refused")
            got = {(e["agent"], e["message"].split(" from ")[0]) for e in ev}
            want = {("test", "wrong key"),
                    ("stranger", "unknown agent or no key for it"),
                    ("old", "agent revoked")}
            return ev if want <= got else None
        ev = wait_for(refused, timeout=30, what="three kinds of refusal")
        # The counters, in the last event's message.
        self.assertRegex(ev[-1]["message"],
                         r"unknown [1-9]\d*, wrong key [1-9]\d*, "
                         r"revoked [1-9]\d*")
        # And in /api/v1/stats.
        st = http_json(self.api + "/api/v1/stats")["ingest"]
        self.assertGreaterEqual(st["tls_bad_key"], 1)
        self.assertGreaterEqual(st["tls_unknown_agent"], 1)
        self.assertGreaterEqual(st["tls_revoked"], 1)
        self.assertGreaterEqual(st["tls_handshakes"], 1)
        # The daemon still serves: the real agent goes on.
        t = self.check("t0", "tcp")["last_ms"]
        wait_for(lambda: self.check("t0", "tcp")["last_ms"] > t + 1500,
                 what="new results after the refusals")
        self.assertTrue(col.alive() and old.alive())
        self.assertIn("TLS handshake failed", old.output())

    def test_world_readable_key_refused_at_start(self):
        self.start_collector()
        self.procs[-1].stop()
        key = os.path.join(self.data_dir, "keys", "test.psk")
        os.chmod(key, 0o644)
        conf = os.path.join(self.tmp, "collector.conf")
        r = subprocess.run([COLLECTOR, "-d", "-f", conf],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("readable by group or others", r.stderr)
        self.assertIn("chmod 600", r.stderr)
        os.chmod(key, 0o600)
        # The agent's side likewise.
        os.chmod(self.psk_files["test"], 0o640)
        self.start_agent(devices(self.http_port, 1))
        agent = self.procs[-1]
        wait_for(lambda: not agent.alive(), timeout=20, what="agent exit")
        self.assertIn("readable by group or others", agent.output())

    def test_plain_agent_to_tls_collector_refused(self):
        self.start_collector()
        self.tls = False
        self.start_agent(devices(self.http_port, 1))
        wait_for(lambda: http_json(self.api + "/api/v1/stats")["ingest"]
                 ["conn_closed"] >= 1, what="plain connection closed")
        self.assertIsNone(self.device("t0"))


class Failover(FacmonTestCase):
    def second_collector(self, agent_id="test"):
        """Collector B: the same agent, its key copied as an operator
        would (docs/wire.md); returns (proc, api, port, data_dir)."""
        first = (self.agent_port, self.api, self.data_dir)
        os.rename(os.path.join(self.tmp, "collector.conf"),
                  os.path.join(self.tmp, "collector-a.conf"))
        data_b = os.path.join(self.tmp, "data-b")
        os.makedirs(os.path.join(data_b, "keys"), mode=0o700)
        shutil.copy2(os.path.join(self.data_dir, "keys", agent_id + ".psk"),
                     os.path.join(data_b, "keys", agent_id + ".psk"))
        p = self.start_collector(data_dir=data_b, keygen=False)
        b = (p, self.api, self.agent_port, data_b)
        self.agent_port, self.api, self.data_dir = first
        return b

    def test_failover_and_back(self):
        col_a = self.start_collector()
        api_a, data_a = self.api, self.data_dir
        col_b, api_b, port_b, data_b = self.second_collector()
        lpath = os.path.join(self.tmp, "ledger")
        env = dict(os.environ, FACMON_SPOOL_LEDGER=lpath)
        self.start_agent(devices(self.http_port, 5), env=env,
                         collector='[ "127.0.0.1:%d", "127.0.0.1:%d" ]' % (
                             self.agent_port, port_b),
                         extra='failback = "2s";')
        self.wait_check("t0", "tcp", "up")
        # A goes away: the agent moves to B.
        col_a.stop()
        self.api = api_b
        self.wait_check("t0", "tcp", "up", timeout=30)
        t = self.check("t0", "tcp")["last_ms"]
        wait_for(lambda: self.check("t0", "tcp")["last_ms"] > t + 2000,
                 what="results at B")
        # A comes back: the agent returns to it.
        col_a = Proc([COLLECTOR, "-d", "-f",
                      os.path.join(self.tmp, "collector-a.conf")],
                     os.path.join(self.tmp, "collector-a2.log"))
        self.procs.append(col_a)
        self.api = api_a
        wait_for(lambda: http_json(api_a + "/api/v1/stats"), timeout=15)
        agent = self.procs[-2]
        wait_for(lambda: "going back to it" in agent.output(), timeout=30,
                 what="failback")
        t = int(time.time() * 1000)
        wait_for(lambda: self.check("t0", "tcp")["last_ms"] > t,
                 what="results at A again")
        # Nothing lost: all the agent spooled until now is in A or B.
        spooled = read_ledger(lpath)
        self.assertGreater(len(spooled), 20)

        def delivered():
            got = ledger.read_journal(data_a)[0] + \
                ledger.read_journal(data_b)[0]
            rep = ledger.verify(spooled, got)
            return rep if rep["n_lost"] == 0 else None
        rep = wait_for(delivered, timeout=60, what="everything delivered")
        print("failover ledger:", {k: v for k, v in rep.items()
                                   if k != "lost"})


@unittest.skipUnless(can_netns(), "needs root and network namespaces")
class Partition(FacmonTestCase):
    HOST, NS = "198.18.9.1", "198.18.9.2"

    def test_partition_nothing_lost(self):
        ns = NetNS(self.HOST, self.NS)
        self.addCleanup(ns.close)
        self.agent_port, self.http_port = free_port(), free_port()
        self.data_dir = os.path.join(self.tmp, "data")
        conf = self.write("collector.conf", """
collector: {
  listen = [ "%s:%d" ];
  http = [ "%s:%d" ];
  data_dir = "%s";
  web_dir = "%s";
  agent_unreachable_after = "5s";
  rrd: { full_resolution_days = 1; };
  agents = ( { id = "test"; } );
};
""" % (self.NS, self.agent_port, self.NS, self.http_port, self.data_dir,
            os.path.join(ROOT, "web")))
        self.psk_files = {}
        self.tls = True
        self.keygen(conf, "test")
        self.start([COLLECTOR, "-d", "-f", conf], "collector",
                   netns=ns.name)
        self.api = "http://%s:%d" % (self.NS, self.http_port)
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=15)
        lpath = os.path.join(self.tmp, "ledger")
        self.start_agent(devices(self.http_port, 10).replace(
            "127.0.0.1", self.NS), collector='"%s:%d"' % (
                self.NS, self.agent_port),
            env=dict(os.environ, FACMON_SPOOL_LEDGER=lpath))
        self.wait_check("t0", "tcp", "up")
        ns.link(False)
        time.sleep(60 if SOAK else 20)
        ns.link(True)
        wait_for(lambda: events(self.api, "agent-unreachable"), timeout=30,
                 what="agent-unreachable event")
        spooled = read_ledger(lpath)

        def drained():
            rep = ledger.verify(spooled, ledger.read_journal(
                self.data_dir)[0])
            return rep if rep["n_lost"] == 0 else None
        rep = wait_for(drained, timeout=90, what="backlog drained")
        print("partition ledger:", {k: v for k, v in rep.items()
                                    if k != "lost"})
        wait_for(lambda: events(self.api, "agent-reachable"), timeout=30,
                 what="agent-reachable event")


class ClockAndSpool(FacmonTestCase):
    @unittest.skipUnless(os.path.exists(FAKETIME), "faketime not installed")
    def test_clock_jump_on_agent(self):
        self.start_collector(extra='clock_tolerance = "5s";')
        # The agent's wall clock an hour ahead; its cadence runs on the
        # monotonic clock, which libfaketime leaves alone here.
        env = dict(os.environ, LD_PRELOAD=FAKETIME, FAKETIME="+1h",
                   DONT_FAKE_MONOTONIC="1")
        self.start_agent(devices(self.http_port, 1), env=env)
        wait_for(lambda: events(self.api, "clock-skew"), timeout=30,
                 what="clock-skew event")
        st = http_json(self.api + "/api/v1/stats")["ingest"]
        self.assertGreater(st["results_future"], 0)
        # Cadence: one probe a second by the agent's own (jumped but
        # steady) clock, read from the times in its log over five more
        # results -- not from how long the test waited, so that a loaded
        # machine does not fail it.  The collector keeps results from the
        # future out of the check's state, but counts them.
        agent = self.procs[-1]
        n0 = self.check("t0", "tcp")["results"]["total"]
        wait_for(lambda: self.check("t0", "tcp")["results"]["total"] >=
                 n0 + 5, timeout=60, what="five more results")
        stamps = [datetime.datetime.strptime(m, "%Y-%m-%d %H:%M:%S.%f")
                  for m in re.findall(r"^(\S+ [0-9:.]+)\S* facmon-agent: "
                                      r"t0/tcp: ",
                                      agent.output(), re.M)]
        steps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
        self.assertGreaterEqual(len(steps), 4, agent.output()[-2000:])
        steps.sort()
        self.assertAlmostEqual(steps[len(steps) // 2], 1.0, delta=0.1)
