#!/usr/bin/python3
# Ingest ceiling: how many values a second the collector gets into RRD
# files when a synthetic agent (build/bench-feeder, the real wire
# protocol over plain TCP) sends as fast as the collector acknowledges,
# compared in the same run with writing the same number of files the two
# usual ways: rrd_update_r() one value per call, and rrdcached (one value
# per update command, as collectd's rrdcached plugin sends them, then a
# flush of every file).  All files have the same shape: one GAUGE data
# source, step 10 s, one AVERAGE archive of a day (8,640 rows), so that
# the disk space stays small (about 70 kB a file).
#
# facmon's rate counts from the feeder's first batch to the moment the
# collector's writer has written every value (its own counters in
# /api/v1/stats), so it includes the journal (fdatasync per group
# commit), the device state and the RRD queue.  CPU is user + system of
# each process (collector, feeder, rrdcached, the peer program).
#
#   bench/ingest.py [--devices 100] [--values 10] [--rounds 300]
#                   [--runs 3]
#
# Bounded: every program gets a round count and a time limit and is
# stopped by PID.  Only 127.0.0.1 and files under a temporary directory.

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from fmtest import free_port  # noqa: E402
from snmp import proc_cpu_s, proc_rss_kb  # noqa: E402

COLLECTOR = os.path.join(ROOT, "build", "facmon-collector")
FEEDER = os.path.join(ROOT, "build", "bench-feeder")
PEER = os.path.join(ROOT, "build", "bench-rrdpeer")
RRDCACHED = "/usr/bin/rrdcached"
TICK = os.sysconf("SC_CLK_TCK")
STEP, ROWS = 10, 8640
LIMIT_S = 300


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def stop(p, timeout=60):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)


def stats(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/stats" % port,
                                timeout=10) as r:
        return json.load(r)


def run_facmon(devices, values, rounds, tmp, step=STEP):
    aport, hport = free_port(), free_port()
    data = os.path.join(tmp, "data")
    conf = os.path.join(tmp, "collector.conf")
    # write_interval = 0: every round of the queue is written at once,
    # so that the rate measures the writer catching up, not holding.
    with open(conf, "w") as f:
        f.write("""collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  web_dir = "%s";
  # retire_after_days = 0: the feeder replays a backlog 300 days old,
  # which the retirement rule would not let create its series.
  rrd: { full_resolution_days = 1; five_minute_days = 0; hourly_days = 0;
         write_interval = 0; retire_after_days = 0; };
  agents = ( { id = "bench"; } );
  tls = false;
};
""" % (aport, hport, data, os.path.join(ROOT, "web")))
    log = open(os.path.join(tmp, "collector.log"), "w")
    coll = subprocess.Popen([COLLECTOR, "-d", "-f", conf], stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                stats(hport)
                break
            except OSError:
                if time.monotonic() > deadline or coll.poll() is not None:
                    raise SystemExit("the collector did not start; see "
                                     + tmp)
                time.sleep(0.2)
        expected = devices * rounds * (values + 2)   # + up, duration_ms
        c0 = proc_cpu_s(coll.pid)
        f0 = children_cpu()
        t0 = time.monotonic()
        out = subprocess.run([FEEDER, "127.0.0.1", str(aport), "bench",
                              str(devices), str(values), str(LIMIT_S),
                              str(rounds), "1000", "8", str(step)],
                             capture_output=True, text=True,
                             timeout=LIMIT_S + 180)
        if out.returncode != 0:
            raise SystemExit("bench-feeder: " + out.stderr)
        feeder_cpu = children_cpu() - f0
        # Wait for the writer to catch up, bounded.
        deadline = time.monotonic() + LIMIT_S
        while True:
            rs = stats(hport)["rrd"]
            if rs["written"] + rs["rejected"] >= expected or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        t1 = time.monotonic()
        cpu = proc_cpu_s(coll.pid) - c0
        rss = proc_rss_kb(coll.pid)
    finally:
        stop(coll)
        log.close()
    shutil.rmtree(data, ignore_errors=True)
    written = rs["written"]
    return {"rate": written / (t1 - t0), "written": written,
            "expected": expected, "rejected": rs["rejected"],
            "calls": rs["update_calls"],
            "cpu_us": (cpu + feeder_cpu) * 1e6 / max(1, written),
            "coll_cpu_us": cpu * 1e6 / max(1, written),
            "rss_kb": rss}


def run_peer(mode, files, rounds, tmp):
    d = os.path.join(tmp, "peer-" + mode)
    os.makedirs(d)
    cached = None
    argv = [PEER, mode, d, str(files), str(STEP), str(ROWS), str(rounds),
            str(LIMIT_S)]
    if mode == "cached":
        sock = os.path.join(tmp, "rrdcached.sock")
        # -w: no timed writes during the run (the peer flushes at the
        # end, as a reader would make it); -B: only files below -b.
        cached = subprocess.Popen([RRDCACHED, "-g", "-l", "unix:" + sock,
                                   "-b", d, "-B", "-w", "3600", "-z", "1",
                                   "-f", "7200",
                                   "-p", os.path.join(tmp, "rrdcached.pid")],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(sock):
            if time.monotonic() > deadline or cached.poll() is not None:
                raise SystemExit("rrdcached did not start")
            time.sleep(0.1)
        argv.append("unix:" + sock)
    try:
        c0 = proc_cpu_s(cached.pid) if cached else 0.0
        p0 = children_cpu()
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=LIMIT_S + 300)
        if out.returncode != 0:
            raise SystemExit("bench-rrdpeer: " + out.stderr)
        cpu = children_cpu() - p0
        if cached:
            cpu += proc_cpu_s(cached.pid) - c0
    finally:
        stop(cached)
    shutil.rmtree(d, ignore_errors=True)
    f = out.stdout.split()
    n, secs, acc = int(f[1]), float(f[3]), float(f[5])
    return {"rate": n / secs, "accept_rate": n / acc,
            "cpu_us": cpu * 1e6 / max(1, n)}


def med(xs):
    return statistics.median(xs), min(xs), max(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--values", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--peer-rounds", type=int, default=0,
                    help="rounds for rrd_update_r (default: rounds / 10)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="1000,10000",
                    help="device counts for the collector's RSS")
    a = ap.parse_args()
    files = a.devices * (a.values + 2)
    prounds = a.peer_rounds or max(1, a.rounds // 10)
    fm, direct, cached = [], [], []
    have_cached = os.path.exists(RRDCACHED)
    for _ in range(a.runs):
        with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
            fm.append(run_facmon(a.devices, a.values, a.rounds, tmp))
            direct.append(run_peer("direct", files, prounds, tmp))
            if have_cached:
                cached.append(run_peer("cached", files, a.rounds, tmp))
    fr = med([r["rate"] for r in fm])
    dr = med([r["rate"] for r in direct])
    print("%d RRD files (%d devices × (%d values + up + duration_ms)); "
          "facmon %d rounds, rrd_update_r %d rounds, rrdcached %d rounds."
          % (files, a.devices, a.values, a.rounds, prounds,
             a.rounds if have_cached else 0))
    print()
    print("| writer | values/s into RRD (median, min–max) | CPU µs/value "
          "(all processes) | facmon / it |")
    print("|---|---|---|---|")
    print("| facmon-collector (journal + state + RRD writer), fed by "
          "bench-feeder | %.0f (%.0f–%.0f) | %.1f (collector %.1f) | – |"
          % (fr + (med([r["cpu_us"] for r in fm])[0],
                   med([r["coll_cpu_us"] for r in fm])[0])))
    print("| rrd_update_r, one value per call | %.0f (%.0f–%.0f) | %.1f | "
          "%.1f× |" % (dr + (med([r["cpu_us"] for r in direct])[0],
                              fr[0] / dr[0])))
    if cached:
        cr = med([r["rate"] for r in cached])
        ca = med([r["accept_rate"] for r in cached])
        print("| rrdcached, one value per update, then flush | %.0f "
              "(%.0f–%.0f); accepted %.0f/s | %.1f (client + rrdcached) | "
              "%.1f× |" % (cr + (ca[0], med([r["cpu_us"] for r in
                                              cached])[0], fr[0] / cr[0])))
    else:
        print("| rrdcached | not installed | – | – |")
    print()
    print("facmon: %d of %d values written (rejected %d), %d rrd_update "
          "calls, collector RSS %.1f MB (medians)." % (
              med([r["written"] for r in fm])[0], fm[0]["expected"],
              med([r["rejected"] for r in fm])[0],
              med([r["calls"] for r in fm])[0],
              med([r["rss_kb"] for r in fm])[0] / 1024.0))
    # The collector's memory at scale: step 600 s keeps each RRD file
    # at a few kilobytes (a day of 10-minute rows), so 10,000 devices
    # fit on a small disk.
    print()
    print("| devices | values each | RRD files | collector RSS MB after "
          "3 rounds | values/s |")
    print("|---|---|---|---|---|")
    for n in [int(x) for x in a.memory.split(",") if x]:
        with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
            r = run_facmon(n, a.values, 3, tmp, step=600)
        print("| %d | %d | %d | %.1f | %.0f |" % (
            n, a.values, n * (a.values + 2), r["rss_kb"] / 1024.0,
            r["rate"]))


if __name__ == "__main__":
    main()
