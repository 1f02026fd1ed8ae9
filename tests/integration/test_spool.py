# The durable transport, agent side: the real facmon-agent spools every
# batch before sending it.  The agent writes a ledger line for every
# result once it is synced in its spool (FACMON_SPOOL_LEDGER, a test
# aid); the verifier checks that each of them ends up in the collector's
# journal exactly once, through kill -9 of the agent (also while it
# writes) and an outage of the collector.

import os
import random
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ledger  # noqa: E402
from fmtest import (AGENT, COLLECTOR, PY, ROOT, FacmonTestCase,  # noqa
                    Proc, free_port, http_json, wait_for)


def devices(port, n):
    return ",\n".join("""
{ id = "t%d"; class = "other"; group = "g"; address = "127.0.0.1";
  checks = ( { id = "tcp"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }""" % (i, port) for i in range(n))


class Spool(FacmonTestCase):
    def read_ledger(self, path):
        out = []
        with open(path) as f:
            for line in f:
                d, c, ts, o = line.split()
                out.append((d, c, int(ts), int(o)))
        return out

    def start_agent_env(self, ledger_path):
        env = dict(os.environ, FACMON_SPOOL_LEDGER=ledger_path)
        return self.start([AGENT, "-d", "-f", self.agent_conf], "agent",
                          env=env)

    def test_kill9_agent_and_collector_outage(self):
        col = self.start_collector()
        lpath = os.path.join(self.tmp, "ledger")
        env = dict(os.environ, FACMON_SPOOL_LEDGER=lpath)
        self.start_agent(devices(self.http_port, 30), env=env)
        rnd = random.Random(os.getpid())
        # kill -9 of the agent at random moments, batches being written
        # every 200 ms.
        for _ in range(3):
            time.sleep(rnd.uniform(0.5, 2.0))
            self.procs[-1].kill()
            self.start_agent_env(lpath)
        # The collector goes away for a while: the agent spools.
        time.sleep(1)
        col.kill()
        spool = os.path.join(self.tmp, "spool-agent")
        wait_for(lambda: len(ledger.read_spool_frames(spool)) >= 10,
                 timeout=30, what="batches spooled while the collector "
                 "is down")
        # And the agent is killed while it spools.
        self.procs[-1].kill()
        self.start_agent_env(lpath)
        time.sleep(1)
        p = Proc([COLLECTOR, "-d", "-f",
                  os.path.join(self.tmp, "collector.conf")],
                 os.path.join(self.tmp, "collector.log"))
        self.procs.append(p)
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=30)
        time.sleep(1)
        # Stop the agent cleanly: what it holds is spooled.  Then start
        # it once more to drain the spool.
        agent = self.procs[-2]
        agent.signal(signal.SIGTERM)
        agent.stop()
        self.start_agent_env(lpath)
        spooled = self.read_ledger(lpath)
        self.assertGreater(len(spooled), 100)

        def drained():
            got, _ = ledger.read_journal(self.data_dir)
            rep = ledger.verify(spooled, got)
            return rep if rep["n_lost"] == 0 else None
        try:
            rep = wait_for(drained, timeout=60, what="spool drained")
        except AssertionError:
            got, _ = ledger.read_journal(self.data_dir)
            print(ledger.verify(spooled, got))
            self.dump_logs()
            raise
        print("ledger:", {k: v for k, v in rep.items() if k != "lost"})
        self.assertEqual(rep["n_duplicated"], 0)
        st = http_json(self.api + "/api/v1/stats")["ingest"]
        self.assertGreaterEqual(st["batches_journaled"], 1)

    def test_bounds_drop_values_first_then_oldest(self):
        # A small spool (64 KiB, so files of 4 KiB) filled while the
        # collector is away: the values of the oldest files go first,
        # then whole files, oldest first; every result lost is one the
        # agent counted, and the count reaches the collector as an event.
        # The agent starts with the collector away (configured, keyed,
        # then stopped): no batch can be in the collector's journal and
        # unacknowledged when its file is dropped, so the results lost
        # are exactly those the agent counts.
        tport = self.start_tcpd()
        col = self.start_collector()
        col.stop()
        lpath = os.path.join(self.tmp, "ledger")
        env = dict(os.environ, FACMON_SPOOL_LEDGER=lpath)
        agent = self.start_agent(devices(tport, 120), env=env,
                                 extra="spool_max_kb = 64;")
        # Past the bound: stripped, then dropped whole.
        wait_for(lambda: "results of spool file" in agent.output(),
                 timeout=120, what="a spool file dropped whole")
        time.sleep(2)
        col2 = Proc([COLLECTOR, "-d", "-f",
                     os.path.join(self.tmp, "collector.conf")],
                    os.path.join(self.tmp, "collector2.log"))
        self.procs.append(col2)
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=30)
        # Drained: the spool holds no more than the file appended to.
        spool = os.path.join(self.tmp, "spool-agent")
        wait_for(lambda: len([f for f in os.listdir(spool)
                              if f.endswith(".spool")]) <= 1,
                 timeout=60, what="spool drained")
        agent.signal(signal.SIGTERM)
        agent.stop()
        m = re.search(r"dropped (\d+) \(queue\) (\d+) \(spool bound\) "
                      r"values dropped (\d+)", agent.output())
        self.assertIsNotNone(m, agent.output()[-2000:])
        queue_drops, drops, vdrops = (int(x) for x in m.groups())
        self.assertEqual(queue_drops, 0)
        self.assertGreater(drops, 0)
        self.assertGreater(vdrops, 0)
        spooled = self.read_ledger(lpath)
        # What the stopped agent spooled is sent by the next one.
        self.start_agent_env(lpath)
        nv = {}

        def settled():
            nv.clear()
            got, _ = ledger.read_journal(self.data_dir, nv)
            rep = ledger.verify(spooled, got)
            return rep if rep["n_lost"] == drops else None
        try:
            rep = wait_for(settled, timeout=60,
                           what="every result but the dropped ones")
        except AssertionError:
            got, _ = ledger.read_journal(self.data_dir)
            print(ledger.verify(spooled, got), drops)
            self.dump_logs()
            raise
        print("ledger:", {k: v for k, v in rep.items() if k != "lost"},
              "dropped by policy", drops, "values dropped", vdrops)
        self.assertEqual(rep["n_duplicated"], 0)
        got, _ = ledger.read_journal(self.data_dir)
        seen = set(r for b in got for r in b[3])
        lost = [r for r in spooled if r not in seen]
        # Every tcp result that is up carries connect_ms unless its file
        # was stripped: outcomes outlived the values.
        stripped = [r for r in spooled if r in seen and r[3] == 0 and
                    nv.get(r) == 0]
        self.assertGreater(len(stripped), 0)
        self.assertLessEqual(len(stripped), vdrops)
        self.assertLessEqual(max(r[2] for r in lost),
                             min(r[2] for r in stripped) + 2000)
        newest = [r for r in spooled[-50:] if r[3] == 0]
        self.assertTrue(all(nv.get(r, 0) > 0 for r in newest))
        # The collector was told, with the agent's own totals.
        evs = [e for e in http_json(self.api + "/api/v1/events")
               if e["kind"] == "spool-drop"]
        self.assertTrue(evs, "no spool-drop event")
        self.assertIn("(%d, %d)" % (drops, vdrops), evs[-1]["message"])

    def start_tcpd(self):
        port = free_port()
        self.start([PY, os.path.join(ROOT, "tests/lib/tcpd.py"), "--port",
                    str(port)], "tcpd")
        return port
