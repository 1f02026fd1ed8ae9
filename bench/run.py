#!/usr/bin/python3
# make bench: every benchmark, side by side with the peer a user would
# pick instead, written to bench/RESULTS.md with the machine, versions
# and commands.  Long (minutes); not part of make check.
#
#   bench/run.py [--smoke]     --smoke: tiny sizes, to keep it from rotting

import argparse
import datetime
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def sh(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def bench(name, argv):
    print("== %s: %s" % (name, " ".join(argv)), flush=True)
    if argv[0].endswith(".py"):
        argv = [sys.executable] + argv
    p = subprocess.run(argv, capture_output=True,
                       text=True, cwd=ROOT, timeout=3600)
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (name, p.stdout + p.stderr))
    print(p.stdout, flush=True)
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    sections = []
    if a.smoke:
        icmp = ["bench/icmp.py", "--targets", "50", "--runs", "1",
                "--rounds", "1"]
    else:
        icmp = ["bench/icmp.py", "--targets", "1000,10000", "--runs", "3",
                "--rounds", "3"]
    out = bench("icmp", icmp)
    sections.append(("ICMP: facmon-agent against fping", icmp, out,
                     "CPU time (user + system, from /proc and getrusage) "
                     "per echo probe. facmon: N icmp checks, interval "
                     "10 s, count 1, measured over whole rounds after "
                     "start-up, results pushed to a sink that "
                     "acknowledges every batch. fping: `fping -q -C 1 -i 0 "
                     "-t 2000 -f targets`, one echo per target. Targets are "
                     "127.1.x.y (the kernel answers all of 127/8). Target: "
                     "facmon/fping <= 1."))
    sizes = ["200"] if a.smoke else ["1000", "10000"]
    out = ""
    for n in sizes:
        o = bench("avail", ["build/bench-avail", n, "3"])
        out += o if not out else o.splitlines()[-1] + "\n"
    sections.append(("Availability of a month from the outage journal",
                     ["build/bench-avail", "N", "3"], out,
                     "Reading a generated journal (N devices, 3 outages "
                     "each, acknowledgements, reclassifications, 10 weekly "
                     "maintenance rules) and computing every device, "
                     "group, class and the site for November 2026 in "
                     "Asia/Shanghai. Target: well under a second for "
                     "10,000 devices."))
    tr = ["bench/transport.py"] + (["--results", "2000", "--no-plain"]
                                   if a.smoke else ["--demo", "600"])
    sections.append(("Transport", tr, bench("transport", tr),
                     "See the head of bench/transport.py for the method."))
    if a.smoke:
        return
    lines = ["# facmon benchmarks", "",
             "Made by `make bench` (bench/run.py) on %s." %
             datetime.date.today().isoformat(), "",
             "| | |", "|---|---|",
             "| machine | %s, %d cores, %s |" % (cpu_model(), os.cpu_count(),
                                               platform.release()),
             "| facmon | %s |" % sh(["git", "-C", ROOT, "describe",
                                     "--always", "--dirty"]),
             "| fping | %s |" % sh(["fping", "--version"]).splitlines()[0]
             if sh(["fping", "--version"]) else "| fping | ? |",
             "| net-snmp | %s |" % sh(["net-snmp-config", "--version"]),
             ""]
    for title, argv, out, how in sections:
        lines += ["## " + title, "", how, "", "Command: `%s`" %
                  " ".join(argv), "", out.strip(), ""]
    extra = os.path.join(HERE, "sim.md")
    if os.path.exists(extra):
        lines += ["## Simulator", "", "See [sim.md](sim.md).", ""]
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
