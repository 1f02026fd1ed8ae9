#!/usr/bin/python3
# End to end: the whole facmon pipeline -- facmon-agent polling simulated
# devices over SNMP, pushing over TLS 1.3 PSK to facmon-collector, which
# journals (fdatasync), applies and writes one RRD file per value -- and,
# on the same devices in the same run, collectd's snmp plugin writing
# with its rrdtool plugin, then with its rrdcached plugin to rrdcached.
# The devices, the 10 objects per device and the GET per interval are
# those of bench/snmp.py.
#
# Reported: values per second stored (facmon: the values its RRD writer
# accepted over the window, all of which it writes -- with write-behind
# a window shorter than the write interval would see the writes land in
# lumps, so facmon's window spans at least two write cycles; collectd: values answered by the simulator, all of which its
# writer receives), CPU microseconds per value of the pipeline's
# processes (agent + collector; collectd; collectd + rrdcached), with
# the simulator's CPU apart, and the polls missed.  RRD files are kept
# small (a day at full resolution, no consolidated archives) so that the
# benchmark fits on a small disk; this changes the size of each write,
# not the number of writes.  --full-days makes them smaller still (a
# fraction of a day at full resolution), for sizes whose files would
# not fit the disk otherwise: disk = values/s x 86,400 x full-days x 8
# bytes.  The agent's probe start lateness (median and p99, from its
# log at exit) is reported for facmon; --no-peers runs facmon alone.
# --daemon adds a row of facmon writing through rrdcached (rrd.daemon,
# the daemon run as for collectd: -w 2 intervals, -z 1 interval), its
# CPU counted with the pipeline's.
#
#   bench/e2e.py [--sizes 1000:10] [--runs 3] [--rounds 3]
#                [--write-interval 60] [--full-days 1] [--no-peers]
#                [--daemon]
#
# Bounded: warm-up plus --rounds intervals per pipeline; every process
# is stopped by PID; only 127.0.0.0/8 and a temporary directory.

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import snmp  # noqa: E402
from snmp import (OIDS, NVALUES, ROOT, Sim, addr, free_port,  # noqa: E402
                  proc_cpu_s, proc_rss_kb, stop)

COLLECTOR = os.path.join(ROOT, "build", "facmon-collector")
RRDCACHED = "/usr/bin/rrdcached"


def wait(pred, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("timed out waiting for " + what)


def proc_write_bytes(pid):
    """Bytes the process caused to be written to storage (/proc/PID/io;
    dirtied pages of mmap'd RRD files included)."""
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def window(pids, sim, secs, extra=None):
    """CPU seconds of each pid, simulator responses, extra() deltas, RSS
    and the bytes all pids wrote."""
    w0 = sum(proc_write_bytes(p) for p in pids)
    c0 = [proc_cpu_s(p) for p in pids]
    s0 = proc_cpu_s(sim.p.pid)
    r0 = sim.stats()["responses"]
    e0 = extra() if extra else 0
    time.sleep(secs)
    c1 = [proc_cpu_s(p) for p in pids]
    s1 = proc_cpu_s(sim.p.pid)
    r1 = sim.stats()["responses"]
    e1 = extra() if extra else 0
    w1 = sum(proc_write_bytes(p) for p in pids)
    return ([b - a for a, b in zip(c0, c1)], r1 - r0, s1 - s0, e1 - e0,
            [proc_rss_kb(p) for p in pids], w1 - w0)


def lateness(log):
    """(median, p99) ms of probe start lateness from the agent's log."""
    try:
        with open(log) as f:
            for line in f:
                if "start lateness: median" in line:
                    w = line.split("median ")[1].split()
                    return float(w[0]), float(line.split("p99 ")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None


def run_facmon(n, ival, rounds, sim, tmp, wint, full_days=1.0,
               cached=False):
    aport, hport = free_port(), free_port()
    data = os.path.join(tmp, "fm-data")
    conf = os.path.join(tmp, "collector.conf")
    rc = None
    daemon = ""
    if cached:
        sock = os.path.join(tmp, "fm-rrdcached.sock")
        rc = subprocess.Popen([RRDCACHED, "-g", "-l", "unix:" + sock,
                               "-w", str(2 * ival), "-z", str(ival), "-p",
                               os.path.join(tmp, "fm-rrdcached.pid")],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        wait(lambda: os.path.exists(sock), 20, "rrdcached")
        daemon = 'daemon = "unix:%s";' % sock
    with open(conf, "w") as f:
        f.write("""collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  web_dir = "%s";
  rrd: { full_resolution_days = %g; five_minute_days = 0; hourly_days = 0;
         write_interval = %d; %s };
  agents = ( { id = "bench"; } );
};
""" % (aport, hport, data, os.path.join(ROOT, "web"), full_days, wint,
       daemon))
    psk = os.path.join(tmp, "agent.psk")
    subprocess.run([COLLECTOR, "-f", conf, "keygen", "bench", psk],
                   check=True, capture_output=True, timeout=30)
    get = ", ".join('"%s"' % o for o in OIDS)
    devs = ",\n".join(
        '{ id = "d%05d"; class = "line"; group = "g"; address = "%s";'
        ' checks = ( { id = "s"; type = "snmp"; interval = %d;'
        ' timeout = %d; version = "2c"; community = "public"; port = %d;'
        ' retries = 0; get = ( %s ); } ); }'
        % (i, addr(i), ival, min(ival, 2), sim.port, get) for i in range(n))
    aconf = os.path.join(tmp, "agent.conf")
    with open(aconf, "w") as f:
        f.write('agent: { id = "bench"; collector = "127.0.0.1:%d"; '
                'tls_psk_file = "%s"; batch_interval = "1s"; '
                'spool_dir = "%s"; };\ndevices = (\n%s\n);\n'
                % (aport, psk, os.path.join(tmp, "spool"), devs))
    clog = open(os.path.join(tmp, "collector.log"), "w")
    alog = open(os.path.join(tmp, "agent.log"), "w")
    coll = agent = None
    url = "http://127.0.0.1:%d/api/v1/stats" % hport

    def st():
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    try:
        coll = subprocess.Popen([COLLECTOR, "-d", "-f", conf], stderr=clog)
        wait(lambda: st() is not None, 30, "the collector")
        agent = subprocess.Popen([snmp.AGENT, "-d", "-f", aconf],
                                 stderr=alog)
        # Warm-up: every file created (its first values written, one
        # write interval and its jitter after they came), then one more
        # interval.
        wait(lambda: st()["rrd"]["files_created"] >= n * (NVALUES + 2),
             120 + n / 50 + wint * 1.2, "the RRD files")
        time.sleep(ival)
        # A window of whole write cycles (write_interval + jitter, a
        # fifth of it by default), at least two.
        secs = max(rounds * ival, int(2 * wint * 1.2) + ival)
        cpu, resp, scpu, written, rss, wbytes = window(
            [agent.pid, coll.pid] + ([rc.pid] if rc else []), sim, secs,
            lambda: st()["rrd"]["queued"])
        rs = st()["rrd"]
        disk = rs["bytes"]
    finally:
        stop(agent)
        stop(coll)
        stop(rc)
        alog.close()
        clog.close()
    late = lateness(os.path.join(tmp, "agent.log"))
    shutil.rmtree(data, ignore_errors=True)
    if rs["errors"] or rs["values_refused"]:
        raise SystemExit("facmon: RRD errors %d, refused %d" % (
            rs["errors"], rs["values_refused"]))
    return {"vps": written / secs, "cpu_us": sum(cpu) * 1e6 / max(1, written),
            "agent_us": cpu[0] * 1e6 / max(1, written),
            "coll_us": sum(cpu[1:]) * 1e6 / max(1, written),
            "sim_us": scpu * 1e6 / max(1, written),
            "wb": wbytes / max(1, written),
            "late": late, "disk_mb": disk / 1e6,
            "missed": max(0, n * (secs // ival) - resp),
            "expected": n * (secs // ival),
            "rss": " + ".join("%.0f" % (x / 1024.0) for x in rss)}


def run_collectd(n, ival, rounds, sim, tmp, cached):
    d = os.path.join(tmp, "cd-data")
    os.makedirs(d, exist_ok=True)
    rc = None
    if cached:
        sock = os.path.join(tmp, "rrdcached.sock")
        rc = subprocess.Popen([RRDCACHED, "-g", "-l", "unix:" + sock,
                               "-b", d, "-B", "-w", str(2 * ival), "-z",
                               str(ival), "-p",
                               os.path.join(tmp, "rrdcached.pid")],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        wait(lambda: os.path.exists(sock), 20, "rrdcached")
        writer = ('LoadPlugin rrdcached\n<Plugin rrdcached>\n'
                  '  DaemonAddress "unix:%s"\n  DataDir "%s"\n'
                  '  CreateFiles true\n  RRARows 1440\n'
                  '  RRATimespan 86400\n</Plugin>' % (sock, d))
    else:
        writer = ('LoadPlugin rrdtool\n<Plugin rrdtool>\n  DataDir "%s"\n'
                  '  RRARows 1440\n  RRATimespan 86400\n</Plugin>' % d)
    conf = snmp.collectd_conf(n, ival, sim, tmp, ["WriteThreads 2",
                                                 writer])
    cd = None
    try:
        cd = subprocess.Popen([snmp.COLLECTD, "-f", "-C", conf],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        # Warm-up: the files are created with the first values.
        time.sleep(2 + 2 * ival)
        pids = [cd.pid] + ([rc.pid] if rc else [])
        cpu, resp, scpu, _, rss, wbytes = window(pids, sim, rounds * ival)
    finally:
        stop(cd)
        stop(rc)
    shutil.rmtree(d, ignore_errors=True)
    values = resp * NVALUES
    return {"vps": values / (rounds * ival),
            "cpu_us": sum(cpu) * 1e6 / max(1, values),
            "sim_us": scpu * 1e6 / max(1, values),
            "wb": wbytes / max(1, values),
            "missed": max(0, n * rounds - resp), "expected": n * rounds,
            "rss": " + ".join("%.0f" % (x / 1024.0) for x in rss)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000:10")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write-interval", type=int, default=60,
                    help="facmon's rrd.write_interval, seconds")
    ap.add_argument("--full-days", type=float, default=1.0,
                    help="rrd.full_resolution_days of facmon's files")
    ap.add_argument("--no-peers", action="store_true",
                    help="facmon only, without collectd")
    ap.add_argument("--daemon", action="store_true",
                    help="also facmon writing through rrdcached")
    a = ap.parse_args()
    peer = os.path.exists(snmp.COLLECTD) and not a.no_peers
    cached = peer and os.path.exists(RRDCACHED)
    print("| devices | interval | pipeline | values/s stored | CPU µs/value "
          "(median, min–max) | of which | simulator µs/value | RSS MB | "
          "polls missed | facmon / it | bytes written/value |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in a.sizes.split(","):
        n, ival = (int(x) for x in spec.split(":"))
        res = {"fm": [], "fmcached": [], "rrdtool": [], "rrdcached": []}
        for _ in range(a.runs):
            with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
                sim = Sim(n, tmp)
                try:
                    res["fm"].append(run_facmon(n, ival, a.rounds, sim,
                                                tmp, a.write_interval,
                                                a.full_days))
                    if a.daemon and os.path.exists(RRDCACHED):
                        res["fmcached"].append(run_facmon(
                            n, ival, a.rounds, sim, tmp, a.write_interval,
                            a.full_days, True))
                    if peer:
                        res["rrdtool"].append(run_collectd(
                            n, ival, a.rounds, sim, tmp, False))
                    if cached:
                        res["rrdcached"].append(run_collectd(
                            n, ival, a.rounds, sim, tmp, True))
                finally:
                    sim.close()
        fm_cpu = statistics.median(r["cpu_us"] for r in res["fm"])
        names = {"fm": "facmon agent → TLS → collector → journal → RRD",
                 "fmcached": "facmon agent → TLS → collector → journal → "
                             "rrdcached",
                 "rrdtool": "collectd snmp + rrdtool",
                 "rrdcached": "collectd snmp + rrdcached plugin + "
                              "rrdcached"}
        for k in ("fm", "fmcached", "rrdtool", "rrdcached"):
            rs = res[k]
            if not rs:
                continue
            cpus = [r["cpu_us"] for r in rs]
            m = statistics.median(cpus)
            part = ("agent %.1f + collector%s %.1f" % (
                statistics.median(r["agent_us"] for r in rs),
                " and rrdcached" if k == "fmcached" else "",
                statistics.median(r["coll_us"] for r in rs))
                if k.startswith("fm") else "–")
            print("| %d | %d s | %s | %.0f | %.1f (%.1f–%.1f) | %s | %.1f | "
                  "%s | %d of %d | %s | %.0f |" % (
                      n, ival, names[k],
                      statistics.median(r["vps"] for r in rs), m, min(cpus),
                      max(cpus), part,
                      statistics.median(r["sim_us"] for r in rs),
                      rs[len(rs) // 2]["rss"],
                      max(r["missed"] for r in rs), rs[0]["expected"],
                      # A tiny run may measure no CPU tick at all.
                      "–" if k.startswith("fm") or m <= 0 else
                      "%.2f" % (fm_cpu / m),
                      statistics.median(r["wb"] for r in rs)))
        for r in res["fm"]:
            print("facmon %d devices at %d s: probe start lateness median "
                  "/ p99 %s ms; RRD tree %.0f MB" % (
                      n, ival, "%.1f / %.1f" % r["late"] if r["late"]
                      else "?", r["disk_mb"]), file=sys.stderr)
        print("done %d devices at %d s" % (n, ival), file=sys.stderr,
              flush=True)
    print()
    print("Runs per size: %d; facmon's rrd.write_interval %d s, "
          "full_resolution_days %g." % (a.runs, a.write_interval,
                                        a.full_days))


if __name__ == "__main__":
    main()
