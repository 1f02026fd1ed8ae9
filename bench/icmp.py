#!/usr/bin/python3
# ICMP: facmon-agent's icmp checks against fping on the same loopback
# targets, in the same run.  Reports CPU microseconds per probe (user +
# system, from the kernel's accounting of each process) and the agent's
# resident memory.  Targets are 127.1.x.y: Linux answers all of 127/8,
# so no packet leaves the machine.
#
#   bench/icmp.py [--targets 1000,10000] [--runs 3] [--rounds 3]

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from fmtest import free_port  # noqa: E402
from snmp import proc_cpu_s, proc_rss_kb  # noqa: E402

AGENT = os.path.join(ROOT, "build", "facmon-agent")
TICK = os.sysconf("SC_CLK_TCK")
INTERVAL = 10


def targets(n):
    return ["127.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(n)]


def run_facmon(addrs, rounds, tmp):
    port = free_port()
    sink = subprocess.Popen([sys.executable, os.path.join(HERE, "sink.py"),
                             "--port", str(port)], stdout=subprocess.PIPE,
                            text=True)
    assert sink.stdout.readline().strip() == "ready"
    devs = ",\n".join(
        '{ id = "d%05d"; class = "terminal"; group = "g"; address = "%s";'
        ' checks = ( { id = "p"; type = "icmp"; interval = %d; timeout = 2;'
        ' count = 1; } ); }' % (i, a, INTERVAL) for i, a in enumerate(addrs))
    conf = os.path.join(tmp, "agent.conf")
    with open(conf, "w") as f:
        f.write('agent: { id = "bench"; collector = "127.0.0.1:%d"; tls = false; '
                'batch_interval = "1s"; spool_dir = "%s"; };\n'
                'devices = (\n%s\n);\n'
                % (port, os.path.join(tmp, "spool"), devs))
    log = open(os.path.join(tmp, "agent.log"), "w")
    agent = subprocess.Popen([AGENT, "-d", "-f", conf], stderr=log)
    try:
        # Skip start-up (config, sockets); then measure whole rounds.
        time.sleep(2)
        c0 = proc_cpu_s(agent.pid)
        time.sleep(rounds * INTERVAL)
        c1 = proc_cpu_s(agent.pid)
        rss = proc_rss_kb(agent.pid)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(30)
        log.close()
        time.sleep(1.5)
        sink.send_signal(signal.SIGTERM)
        out = sink.communicate(timeout=10)[0]
    with open(os.path.join(tmp, "agent.log")) as f:
        text = f.read()
    probes = int(text.split("probes ")[-1].split(",")[0])
    # Probes in the measured window: the agent's rate times the window.
    measured = len(addrs) * rounds
    results = int(out.split()[-1])
    return {"cpu_us_per_probe": (c1 - c0) * 1e6 / measured,
            "rss_kb": rss, "probes": probes, "results": results}


def run_fping(addrs, tmp):
    path = os.path.join(tmp, "targets")
    with open(path, "w") as f:
        f.write("\n".join(addrs) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(["fping", "-q", "-C", "1", "-i", "0", "-t", "2000",
                        "-f", path], capture_output=True, text=True,
                       timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                               before.ru_stime)
    answered = sum(1 for line in p.stderr.splitlines()
                   if ":" in line and line.split(":")[1].strip() != "-")
    return {"cpu_us_per_probe": cpu * 1e6 / len(addrs),
            "answered": answered}


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    rows = []
    for n in [int(x) for x in a.targets.split(",")]:
        addrs = targets(n)
        fm, fp, rss = [], [], []
        for _ in range(a.runs):
            with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
                r = run_facmon(addrs, a.rounds, tmp)
                fm.append(r["cpu_us_per_probe"])
                rss.append(r["rss_kb"])
                f = run_fping(addrs, tmp)
                fp.append(f["cpu_us_per_probe"])
                if f["answered"] != n:
                    print("warning: fping answered %d of %d" %
                          (f["answered"], n), file=sys.stderr)
        m, lo, hi = stats(fm)
        fm_, flo, fhi = stats(fp)
        # A tiny run may measure no CPU tick at all: no ratio then.
        rows.append((n, m, lo, hi, fm_, flo, fhi,
                     m / fm_ if fm_ > 0 else float("nan"),
                     statistics.median(rss) / 1024.0))
    print("| targets | facmon µs/probe (median, min–max) | fping µs/probe "
          "(median, min–max) | facmon / fping | agent RSS MB |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| %d | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %.2f | %.1f |"
              % r)


if __name__ == "__main__":
    main()
