#!/usr/bin/python3
# Transport figures (issue 4), with the real facmon-agent and
# facmon-collector over TLS 1.3 (PSK) on 127.0.0.1:
#
#  tls    results per second through TLS, from the agent's spool to the
#         collector's journal (fsync'd, group commit, ACK), fsyncs per
#         second at that rate, and spool bytes per result.  The spool is
#         generated: BATCH frames of 1,000 results (as the agent writes
#         them, docs/wire.md) in files of 4 MiB, one result per check per
#         second of a clock ten hours back.  The agent starts with that
#         backlog and drain_rate unbounded; the clock runs from its start
#         until the collector has journaled the last batch.
#  plain  the same through plain TCP with the synthetic agent of
#         tests/lib/ledger.py (no agent process): the collector alone.
#  demo   a backlog of the demo centre (etc/demo, 76 devices, run by
#         facmon-sim): the agent runs with no collector for SECONDS,
#         spooling what it probes; then the collector starts and the
#         clock runs until the backlog is journaled.  Spool bytes per
#         result are real (SNMP results carry every counter).  The
#         simulator binds 127.0.5.x:1161 and :8000 like `make run`: do not
#         run both at once.
#
#   bench/transport.py [--results N] [--demo SECONDS] [--no-plain]
#
# Every process started is stopped; every wait is bounded.
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import fmtest  # noqa: E402
import ledger  # noqa: E402
import wire  # noqa: E402

BUILD = os.path.join(ROOT, "build")
SEG = 4 * 1024 * 1024


def stats(api):
    return json.loads(urllib.request.urlopen(api + "/api/v1/stats",
                                             timeout=10).read())


class Run:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="facmon-bench-")
        os.chmod(self.tmp, 0o700)
        self.procs = []

    def start(self, argv, name, cwd=None):
        p = subprocess.Popen(argv, stdout=open(os.path.join(
            self.tmp, name + ".log"), "ab"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def collector(self, tls=True, extra=""):
        self.port, self.hport = fmtest.free_port(), fmtest.free_port()
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, "w") as f:
            f.write("""
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s/data";
  web_dir = "%s/web";
  rrd: { full_resolution_days = 1; };
  agents = ( { id = "bench"; } );
  %s %s
};
""" % (self.port, self.hport, self.tmp, ROOT, "" if tls else
                    "tls = false;", extra))
        self.cconf = conf
        self.psk = os.path.join(self.tmp, "agent.psk")
        if tls and not os.path.exists(self.psk):
            subprocess.run([os.path.join(BUILD, "facmon-collector"), "-f",
                            conf, "keygen", "bench", self.psk], check=True,
                           capture_output=True)
        self.start([os.path.join(BUILD, "facmon-collector"), "-f", conf],
                   "collector")
        self.api = "http://127.0.0.1:%d" % self.hport
        fmtest.wait_for(lambda: stats(self.api), timeout=30,
                        what="collector")

    def journaled(self):
        return stats(self.api)["ingest"]["batches_journaled"]


def gen_spool(d, n, ndev=50, nchk=20, per_batch=1000):
    """n results as an agent's spool would hold them; returns
    (frames, bytes)."""
    os.makedirs(d, mode=0o700, exist_ok=True)
    session = int.from_bytes(os.urandom(8), "big") | 1
    t0 = (int(time.time()) - 36000) * 1000
    checks = [("sd%d" % i, "c%d" % j) for i in range(ndev)
              for j in range(nchk)]
    segno, f, size, frames, total, seq, k = 1, None, 0, 0, 0, 1, 0
    while k < n:
        m = min(per_batch, n - k)
        rs = []
        for i in range(k, k + m):
            dev, chk = checks[i % len(checks)]
            ts = t0 + (i // len(checks)) * 1000
            rs.append(wire.result(dev, chk, wire.CT_TCP, 0, ts,
                                  [("connect_ms", wire.VK_GAUGE,
                                    float(i % 97) / 10)]))
        fr = wire.batch(session, seq, rs)
        seq += 1
        k += m
        if f is None or size + len(fr) > SEG:
            if f is not None:
                f.close()
                segno += 1
            f = open(os.path.join(d, "%016x.spool" % segno), "wb")
            size = 0
        f.write(fr)
        size += len(fr)
        total += len(fr)
        frames += 1
    f.close()
    return frames, total


def bench_tls(n):
    r = Run()
    try:
        r.collector(tls=True)
        spool = os.path.join(r.tmp, "spool")
        frames, nbytes = gen_spool(spool, n)
        devs = ",\n".join(
            '{ id = "sd%d"; class = "other"; group = "g"; address = '
            '"127.0.0.1"; checks = ( %s ); }' % (i, ", ".join(
                '{ id = "c%d"; type = "tcp"; port = 9; interval = 3600; '
                'timeout = 0.2; }' % j for j in range(20)))
            for i in range(50))
        aconf = os.path.join(r.tmp, "agent.conf")
        with open(aconf, "w") as f:
            f.write("""
agent: { id = "bench"; collector = "127.0.0.1:%d"; tls_psk_file = "%s";
  spool_dir = "%s"; drain_rate = 10000000; };
devices = ( %s );
""" % (r.port, r.psk, spool, devs))
        j0 = stats(r.api)["journal"]
        b0 = r.journaled()
        t0 = time.monotonic()
        r.start([os.path.join(BUILD, "facmon-agent"), "-f", aconf], "agent")
        fmtest.wait_for(lambda: r.journaled() - b0 >= frames,
                        timeout=600, interval=0.05, what="backlog journaled")
        dt = time.monotonic() - t0
        j1 = stats(r.api)["journal"]
        return ("TLS 1.3 PSK, facmon-agent -> facmon-collector: %d results "
                "in %d batches\n  results/s %.0f  fsyncs/s %.1f  "
                "(%.1f batches a fsync)  spool bytes/result %.1f  "
                "journal bytes/result %.1f\n" % (
                    n, frames, n / dt, (j1["fsyncs"] - j0["fsyncs"]) / dt,
                    frames / max(1, j1["fsyncs"] - j0["fsyncs"]),
                    nbytes / n, (j1["bytes"] - j0["bytes"]) / n))
    finally:
        r.close()


def bench_plain(n):
    r = Run()
    try:
        r.collector(tls=False)
        a = ledger.SynthAgent(r.port, agent="bench", ndev=50, nchk=20,
                              batch=1000, window=16)
        a.produce(20000)
        a.pump(until_acked=True)
        # Frames are made before the clock starts: the Python encoder is
        # slower than the collector.
        a.produce(n)
        a.flush()
        j0 = stats(r.api)["journal"]
        n0, t0 = len(a.acked_results()), time.monotonic()
        a.pump(until_acked=True, timeout=300)
        dt = time.monotonic() - t0
        j1 = stats(r.api)["journal"]
        k = len(a.acked_results()) - n0
        a.close()
        return ("plain TCP, synthetic agent -> facmon-collector: %d results"
                "\n  results/s %.0f  fsyncs/s %.1f  journal bytes/result "
                "%.1f\n" % (k, k / dt, (j1["fsyncs"] - j0["fsyncs"]) / dt,
                            (j1["bytes"] - j0["bytes"]) / k))
    finally:
        r.close()


def bench_demo(seconds):
    r = Run()
    try:
        d = r.tmp
        # The demo's configuration with this run's paths and ports.
        with open(os.path.join(ROOT, "etc/demo/scenario.conf")) as f:
            sc = f.read()
        sc = sc.replace("state/demo/sim.sock", d + "/sim.sock").replace(
            "state/demo/sim-truth.log", d + "/truth.log").replace(
            "127.0.0.1:16162", "127.0.0.1:16169")
        with open(os.path.join(d, "scenario.conf"), "w") as f:
            f.write(sc)
        shutil.copy(os.path.join(ROOT, "etc/demo/devices.conf"), d)
        r.collector(tls=True)
        with open(os.path.join(ROOT, "etc/demo/agent.conf")) as f:
            ac = f.read()
        ac = ac.replace('"127.0.0.1:5640"', '"127.0.0.1:%d"' % r.port) \
            .replace('"demo"', '"bench"') \
            .replace("state/demo/agent.psk", r.psk) \
            .replace("state/demo/spool", d + "/spool") \
            .replace("127.0.0.1:16162", "127.0.0.1:16169") \
            .replace('"mibs"', '"%s/mibs"' % ROOT)
        with open(os.path.join(d, "agent.conf"), "w") as f:
            f.write(ac)
        # No collector while the backlog builds: stop it, keep its data.
        col = r.procs.pop()
        col.send_signal(signal.SIGTERM)
        col.wait(15)
        r.start([os.path.join(BUILD, "facmon-sim"), "-f",
                 d + "/scenario.conf"], "sim", cwd=d)
        time.sleep(1)
        agent = r.start([os.path.join(BUILD, "facmon-agent"), "-f",
                         d + "/agent.conf"], "agent", cwd=d)
        time.sleep(seconds)
        agent.send_signal(signal.SIGTERM)
        agent.wait(30)
        r.procs.remove(agent)
        nbytes = sum(os.path.getsize(os.path.join(d, "spool", x))
                     for x in os.listdir(d + "/spool"))
        frames = ledger.read_spool_frames(d + "/spool")
        nres = sum(len(x[2]) for x in frames)
        r.start([os.path.join(BUILD, "facmon-collector"), "-f", r.cconf],
                "collector2")
        fmtest.wait_for(lambda: stats(r.api), timeout=30, what="collector")
        b0 = r.journaled()
        t0 = time.monotonic()
        r.start([os.path.join(BUILD, "facmon-agent"), "-f",
                 d + "/agent.conf"], "agent2", cwd=d)
        fmtest.wait_for(lambda: r.journaled() - b0 >= len(frames),
                        timeout=600, interval=0.05, what="backlog drained")
        dt = time.monotonic() - t0
        return ("demo centre backlog of %d s: %d results in %d batches, "
                "%.2f results/s made\n  spool bytes/result %.1f  "
                "drained in %.2f s from the agent's start (drain_rate "
                "5000)\n" % (seconds, nres, len(frames), nres / seconds,
                             nbytes / max(1, nres), dt))
    finally:
        r.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=int, default=200000)
    ap.add_argument("--demo", type=int, default=0, metavar="SECONDS")
    ap.add_argument("--no-plain", action="store_true")
    a = ap.parse_args()
    print(bench_tls(a.results), end="", flush=True)
    if not a.no_plain:
        print(bench_plain(a.results), end="", flush=True)
    if a.demo:
        print(bench_demo(a.demo), end="", flush=True)


if __name__ == "__main__":
    main()
