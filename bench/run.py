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
    sys.stdout.flush()
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
    # BENCH_QUICK=1: one run of each, fewer sizes, for a first look.
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    if a.smoke:
        icmp = ["bench/icmp.py", "--targets", "50", "--runs", "1",
                "--rounds", "1"]
    elif quick:
        icmp = ["bench/icmp.py", "--targets", "1000,10000", "--runs", "1",
                "--rounds", "2"]
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
    if a.smoke:
        snmp = ["bench/snmp.py", "--sizes", "20:2", "--runs", "1",
                "--rounds", "1"]
    elif quick:
        snmp = ["bench/snmp.py", "--sizes", "1000:10,10000:10", "--runs",
                "1", "--rounds", "2"]
    else:
        snmp = ["bench/snmp.py", "--sizes",
                "1000:10,5000:10,10000:10,1000:1", "--runs", "3",
                "--rounds", "2"]
    out = bench("snmp", snmp)
    sections.append(("SNMP polling: facmon-agent against collectd", snmp,
                     out,
                     "N devices simulated by facmon-sim (one loopback "
                     "address each, model `line`), each asked for the same "
                     "10 objects (sysUpTime, ifSpeed, ifAdminStatus, "
                     "ifOperStatus, ifIn/OutOctets, ifIn/OutUcastPkts, "
                     "ifHCIn/OutOctets) with one SNMPv2c GET per interval, "
                     "timeout 2 s (1 s at 1 s), no retries. facmon-agent "
                     "pushes its results to a sink that acknowledges every "
                     "batch; collectd 5.12 runs its snmp plugin with one "
                     "10-value type (one GET per host, as facmon) and no "
                     "writer. CPU is user + system of the poller only, "
                     "from /proc/PID/stat, over whole intervals after "
                     "start-up plus one interval; values are counted from "
                     "the simulator's responses, the same way for both. "
                     "Lateness: how long after its slot each facmon probe "
                     "started (the agent's 100 µs histogram, each check's "
                     "first slot left out). Polls missed: polls due in the "
                     "window that the simulator did not answer (timed out, "
                     "or never sent because the poller fell behind). "
                     "Targets: facmon/collectd <= 0.5; p99 lateness < 50 "
                     "ms at 10,000 devices at 10 s."))
    # Brief on purpose: one run at 1,000 devices, with the SNMP poll of
    # the same size measured in the same run for comparison.
    if a.smoke:
        # The SNMP beside it is the section above's; the smoke run keeps
        # to what only this section exercises.
        modbus = ["bench/modbus.py", "--sizes", "20:5", "--runs", "1",
                  "--rounds", "1"]
    else:
        modbus = ["bench/modbus.py", "--sizes", "1000:10", "--runs", "1",
                  "--rounds", "2", "--snmp"]
    out = bench("modbus", modbus)
    sections.append(("Modbus TCP polling: facmon-agent, beside its SNMP "
                     "poll", modbus, out,
                     "N power meters simulated by facmon-sim (one loopback "
                     "address each, Modbus TCP), each read with one request "
                     "of 10 input registers per interval, timeout 2 s; the "
                     "agent runs libmodbus on its worker pool and keeps one "
                     "connection per device. CPU is user + system of the "
                     "agent (all threads) from /proc/PID/stat over whole "
                     "intervals after start-up plus one interval, per "
                     "register read and per request; requests are counted "
                     "from the simulator's answers. The SNMP columns are "
                     "bench/snmp.py's facmon poll (10 objects in one GET per "
                     "device, the simulator's `line` model) at the same size "
                     "in the same invocation, right after, so both stand on "
                     "the same machine and load."))
    if a.smoke:
        ingest = ["bench/ingest.py", "--devices", "5", "--values", "2",
                  "--rounds", "20", "--runs", "1", "--memory", "20"]
    elif quick:
        ingest = ["bench/ingest.py", "--runs", "1", "--memory", "1000"]
    else:
        ingest = ["bench/ingest.py", "--runs", "3", "--memory",
                  "1000,10000"]
    out = bench("ingest", ingest)
    sections.append(("Ingest ceiling: the collector's RRD writer against "
                     "rrd_update_r and rrdcached", ingest, out,
                     "The collector alone, fed by `build/bench-feeder` (a "
                     "synthetic agent speaking the wire protocol over "
                     "plain TCP, 1,000 results a batch, 8 batches in "
                     "flight, timestamps 10 s apart starting 300 days "
                     "back, as an agent replaying a backlog). The rate "
                     "runs from the first batch until the writer's own "
                     "counters show every value written, so it includes "
                     "the journal's fdatasync, device state and the RRD "
                     "queue. The peers write the same number of files of "
                     "the same shape with `build/bench-rrdpeer`: "
                     "rrd_update_r with one value per call, and rrdcached "
                     "1.7.2 with one value per update command (as "
                     "collectd's rrdcached plugin sends them) and a flush "
                     "of every file at the end. The collector has no "
                     "rrdcached mode, so 'facmon with rrdcached' is not "
                     "measured. Targets: facmon >= 10x rrd_update_r and "
                     ">= 2x rrdcached. The second table is the collector's "
                     "resident memory with N devices announced and "
                     "written (target <= 256 MB at 10,000)."))
    if a.smoke:
        # The peers' own runs are the full benchmark's business.
        e2e = ["bench/e2e.py", "--sizes", "10:2", "--runs", "1",
               "--rounds", "2", "--write-interval", "2", "--no-peers"]
    elif quick:
        e2e = ["bench/e2e.py", "--sizes", "1000:10", "--runs", "1",
               "--rounds", "2"]
    else:
        e2e = ["bench/e2e.py", "--sizes", "1000:10", "--runs", "3",
               "--rounds", "2"]
    out = bench("e2e", e2e)
    sections.append(("End to end: agent → TLS → collector → journal → RRD, "
                     "against collectd snmp + rrdtool / rrdcached", e2e, out,
                     "The devices and objects of the SNMP polling benchmark. "
                     "facmon: facmon-agent pushes over TLS 1.3 PSK to "
                     "facmon-collector, which journals every batch "
                     "(fdatasync), applies it and writes one RRD file per "
                     "value plus `up` and `duration_ms` per check (12 "
                     "files, 12 values stored per poll). collectd 5.12: "
                     "snmp plugin with one 10-value type, written by the "
                     "rrdtool plugin (one file per host with 10 data "
                     "sources) or by the rrdcached plugin to rrdcached "
                     "(-w 2 intervals, -z 1 interval, so that writes "
                     "happen inside the window). Files are small (a day "
                     "at full resolution, no consolidated archives) for "
                     "the disk's sake. CPU per value: all processes of "
                     "the pipeline over the window (the simulator apart), "
                     "per value stored; values stored for collectd are "
                     "the values the simulator answered. Targets: "
                     "facmon/collectd+rrdtool <= 0.25 and >= 50,000 "
                     "values/s sustained."))
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
             "| collectd | %s |" % next(
                 (x.split(",")[0] for x in
                  sh(["/usr/sbin/collectd", "-h"]).splitlines()
                  if x.startswith("collectd ")), "?"),
             ""]
    for title, argv, out, how in sections:
        lines += ["## " + title, "", how, "", "Command: `%s`" %
                  " ".join(argv), "", out.strip(), ""]
    notes = os.path.join(HERE, "targets.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += [f.read().strip(), ""]
    extra = os.path.join(HERE, "sim.md")
    if os.path.exists(extra):
        lines += ["## Simulator", "", "See [sim.md](sim.md).", ""]
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
