# A partition between agent and collector.  The agent runs in a network
# namespace that the test creates (a veth pair with addresses from
# 198.18.0.0/15); its device is a TCP service inside the same namespace,
# so the device stays up while the link to the collector is down.
#
# With the spool, nothing is lost: the backlog drains when the link is
# back, and the availability of that time equals the truth (up, no
# unknown left).  With the spool disabled, the partition's results are
# gone and that time is unknown: not down, not up.
#
# The partition lasts 20 s here; FACMON_SOAK=1 (make soak) makes it 10
# minutes.

import json
import os
import re
import signal
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ledger  # noqa: E402
from fmtest import (COLLECTOR, PY, ROOT, FacmonTestCase, NetNS,  # noqa
                    Proc, can_netns, free_port, http_json, wait_for)

HOST, AGENT_ADDR = "198.18.11.1", "198.18.11.2"
SOAK = bool(os.environ.get("FACMON_SOAK"))
PARTITION_S = 600 if SOAK else 20


def devices(port, n):
    return ",\n".join("""
{ id = "p%d"; class = "server"; group = "g"; address = "127.0.0.1";
  checks = ( { id = "svc"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }""" % (i, port) for i in range(n))


@unittest.skipUnless(can_netns(), "needs root and network namespaces")
class Partition(FacmonTestCase):
    def setUp(self):
        super().setUp()
        self.ns = NetNS(HOST, AGENT_ADDR)
        self.addCleanup(self.ns.close)

    def collector_on_host_addr(self):
        """The collector, listening on the veth's host address too."""
        p = self.start_collector()
        p.stop()
        path = os.path.join(self.tmp, "collector.conf")
        with open(path) as f:
            text = f.read()
        old = 'listen = [ "127.0.0.1:%d" ]' % self.agent_port
        self.assertIn(old, text)
        text = text.replace(old, 'listen = [ "127.0.0.1:%d", "%s:%d" ]' % (
            self.agent_port, HOST, self.agent_port))
        with open(path, "w") as f:
            f.write(text)
        p = Proc([COLLECTOR, "-d", "-f", path],
                 os.path.join(self.tmp, "collector2.log"))
        self.procs.append(p)
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=30,
                 what="collector back")
        return p

    def avail(self, t0, t1):
        o = json.loads(urllib.request.urlopen(
            self.api + "/api/v1/availability?from=%d&to=%d&devices=1" %
            (t0, t1), timeout=10).read())
        return {d["id"]: d for d in o["devices"]}

    def run_partition(self, spool, ndev=5):
        tport = free_port()
        # The device, inside the agent's namespace.
        self.start([PY, os.path.join(ROOT, "tests/lib/tcpd.py"), "--port",
                    str(tport), "--bind", "127.0.0.1"], "tcpd",
                   netns=self.ns.name)
        self.collector_on_host_addr()
        lpath = os.path.join(self.tmp, "ledger")
        env = dict(os.environ, FACMON_SPOOL_LEDGER=lpath)
        agent = self.start_agent(
            devices(tport, ndev), netns=self.ns.name, env=env,
            collector='"%s:%d"' % (HOST, self.agent_port),
            extra="" if spool else "spool = false;")
        for i in range(ndev):
            self.wait_check("p%d" % i, "svc", "up")
        # Availability is judged from here, once every check is up.
        t0 = int(time.time() * 1000) + 2000
        time.sleep(3)
        self.ns.link(False)
        t_cut = int(time.time() * 1000)
        time.sleep(PARTITION_S)
        self.ns.link(True)
        t_back = int(time.time() * 1000)
        # The agent finds the collector again (its retry is at most 30 s
        # apart) and the backlog drains.
        wait_for(lambda: agent.output().count("connected to collector")
                 >= 2, timeout=120, what="agent reconnected")
        return agent, lpath, t0, t_cut, t_back

    def test_partition_with_spool_loses_nothing(self):
        agent, lpath, t0, t_cut, t_back = self.run_partition(spool=True)
        spool = os.path.join(self.tmp, "spool-agent")
        wait_for(lambda: len([f for f in os.listdir(spool)
                              if f.endswith(".spool")]) <= 1,
                 timeout=120, what="spool drained")
        # Results up to well after the partition, judged by the collector.
        t1 = t_back + 3000
        wait_for(lambda: all(self.check("p%d" % i, "svc")["last_ms"] > t1
                             for i in range(5)), timeout=60,
                 what="results after the partition")
        agent.signal(signal.SIGTERM)
        agent.stop()
        spooled = []
        with open(lpath) as f:
            for line in f:
                d, c, ts, o = line.split()
                spooled.append((d, c, int(ts), int(o)))
        got, _ = ledger.read_journal(self.data_dir)
        rep = ledger.verify(spooled, got)
        print("ledger:", {k: v for k, v in rep.items() if k != "lost"})
        made = [r for r in spooled if t_cut <= r[2] <= t_back]
        self.assertGreater(len(made), PARTITION_S * 5 * 0.8)
        # What the stopped agent spooled last is not sent: only the
        # partition and before matter here.
        lost = [r for r in rep["lost"] if r[2] <= t1]
        self.assertEqual(lost, [])
        self.assertEqual(rep["n_duplicated"], 0)
        self.assertEqual(
            re.findall(r"dropped (\d+) \(queue\) (\d+) \(spool bound\)",
                       agent.output()), [("0", "0")])
        av = self.avail(t0, t1)
        for i in range(5):
            d = av["p%d" % i]
            print("p%d" % i, {k: d[k] for k in ("up_ms", "down_ms",
                                                  "unknown_ms",
                                                  "availability")})
            self.assertEqual(d["down_ms"], 0)
            self.assertEqual(d["unknown_ms"], 0)
            self.assertEqual(d["up_ms"], t1 - t0)

    def test_partition_without_spool_is_unknown(self):
        agent, lpath, t0, t_cut, t_back = self.run_partition(spool=False)
        t1 = t_back + 3000
        wait_for(lambda: all(self.check("p%d" % i, "svc")["last_ms"] > t1
                             for i in range(5)), timeout=120,
                 what="results after the partition")
        self.assertFalse(os.path.exists(os.path.join(self.tmp,
                                                     "spool-agent")))
        av = self.avail(t0, t1)
        for i in range(5):
            d = av["p%d" % i]
            print("p%d" % i, {k: d[k] for k in ("up_ms", "down_ms",
                                                  "unknown_ms",
                                                  "availability")})
            self.assertEqual(d["down_ms"], 0)
            # The results that were lost: up to the partition's length,
            # less what the agent sent before it noticed (an ACK overdue
            # after 10 s) and got through after.
            self.assertGreater(d["unknown_ms"], (PARTITION_S - 12) * 1000
                               if PARTITION_S > 12 else 0)
            self.assertLessEqual(d["unknown_ms"], t_back - t_cut + 35000)
            self.assertEqual(d["up_ms"] + d["unknown_ms"], t1 - t0)
        # The collector was told how many went.
        evs = [e for e in http_json(self.api + "/api/v1/events")
               if e["kind"] == "unspooled-drop"]
        self.assertTrue(evs, "no unspooled-drop event")
