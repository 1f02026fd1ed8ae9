#!/usr/bin/python3
# SNMP polling: facmon-agent against collectd's snmp plugin, on the same
# simulated devices (facmon-sim, one loopback address each), in the same
# run.  Each device is asked for the same 10 objects with one GET every
# interval.  Reported: CPU microseconds per value polled (user + system
# of the poller, from /proc/PID/stat), the poller's resident memory,
# facmon's probe start lateness (median and p99, from the agent's own
# histogram) and the polls that went unanswered or were never sent.
# Values are counted on the simulator's side (responses times 10), so
# both pollers are counted the same way.
#
#   bench/snmp.py [--sizes 1000:10,5000:10,10000:10,1000:1] [--runs 3]
#                 [--rounds 3] [--peer collectd|none]
#
# Every run is bounded: the pollers run for warm-up plus --rounds
# intervals, then are stopped by PID.  Only 127.0.0.0/8 is used.

import argparse
import os
import re
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

AGENT = os.path.join(ROOT, "build", "facmon-agent")
SIM = os.path.join(ROOT, "build", "facmon-sim")
COLLECTD = "/usr/sbin/collectd"
TICK = os.sysconf("SC_CLK_TCK")

# sysUpTime, ifSpeed, ifAdminStatus, ifOperStatus, ifInOctets,
# ifInUcastPkts, ifOutOctets, ifOutUcastPkts, ifHCInOctets, ifHCOutOctets
OIDS = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1.5.1", "1.3.6.1.2.1.2.2.1.7.1",
        "1.3.6.1.2.1.2.2.1.8.1", "1.3.6.1.2.1.2.2.1.10.1",
        "1.3.6.1.2.1.2.2.1.11.1", "1.3.6.1.2.1.2.2.1.16.1",
        "1.3.6.1.2.1.2.2.1.17.1", "1.3.6.1.2.1.31.1.1.1.6.1",
        "1.3.6.1.2.1.31.1.1.1.10.1"]
NVALUES = len(OIDS)


def addr(i):
    # 127.2.0.1 upwards, as facmon-sim's 'count' assigns them.
    v = (127 << 24 | 2 << 16) + 1 + i
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255,
                            v & 255)


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stop(p, timeout=30):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)


class Sim:
    """facmon-sim: n lines, one address each (127.2.0.1 upwards)."""

    def __init__(self, n, tmp):
        self.port = free_port()
        self.start(tmp, "sim", n,
                   'sim: { snmp_port = %d; control = "%%s"; };\n'
                   'devices = ( { id = "d%%%%d"; count = %d; class = "line";'
                   ' address = "%s"; interfaces = 1; } );\n'
                   % (self.port, n, addr(0)))

    def start(self, tmp, name, n, conf_text):
        """Start facmon-sim on conf_text (its %s: the control socket)
        and wait until it has made its n devices."""
        self.ctl = os.path.join(tmp, name + ".sock")
        conf = os.path.join(tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write(conf_text % self.ctl)
        self.log = open(os.path.join(tmp, name + ".log"), "w")
        self.p = subprocess.Popen([SIM, "-f", conf], stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise SystemExit("facmon-sim exited: see %s" % tmp)
            try:
                if self.stats().get("devices") == n:
                    return
            except (OSError, subprocess.SubprocessError, ValueError):
                pass
            time.sleep(0.2)
        raise SystemExit("facmon-sim did not start")

    def stats(self):
        out = subprocess.run([SIM, "ctl", "-s", self.ctl, "stats"],
                             capture_output=True, text=True, timeout=10,
                             check=True).stdout
        return {w[0]: int(w[1]) for w in
                (line.split() for line in out.splitlines())
                if len(w) == 2}

    def close(self):
        stop(self.p)
        self.log.close()


def measure(pid, sim, warm, window):
    """CPU seconds, responses and RSS of one poller over a window."""
    time.sleep(warm)
    c0, r0 = proc_cpu_s(pid), sim.stats()["responses"]
    time.sleep(window)
    c1, r1 = proc_cpu_s(pid), sim.stats()["responses"]
    return c1 - c0, r1 - r0, proc_rss_kb(pid)


def run_facmon(n, ival, rounds, sim, tmp):
    port = free_port()
    sink = subprocess.Popen([sys.executable, os.path.join(HERE, "sink.py"),
                             "--port", str(port)], stdout=subprocess.PIPE,
                            text=True)
    assert sink.stdout.readline().strip() == "ready"
    get = ", ".join('"%s"' % o for o in OIDS)
    timeout = min(ival, 2)
    devs = ",\n".join(
        '{ id = "d%05d"; class = "line"; group = "g"; address = "%s";'
        ' checks = ( { id = "s"; type = "snmp"; interval = %d;'
        ' timeout = %d; version = "2c"; community = "public"; port = %d;'
        ' retries = 0; get = ( %s ); } ); }'
        % (i, addr(i), ival, timeout, sim.port, get) for i in range(n))
    conf = os.path.join(tmp, "agent.conf")
    with open(conf, "w") as f:
        f.write('agent: { id = "bench"; collector = "127.0.0.1:%d"; '
                'tls = false; batch_interval = "1s"; spool_dir = "%s"; };\n'
                'devices = (\n%s\n);\n'
                % (port, os.path.join(tmp, "spool"), devs))
    logpath = os.path.join(tmp, "agent.log")
    log = open(logpath, "w")
    agent = subprocess.Popen([AGENT, "-d", "-f", conf], stderr=log)
    try:
        # Start-up plus one whole interval, then whole intervals.
        cpu, resp, rss = measure(agent.pid, sim, 2 + ival, rounds * ival)
    finally:
        stop(agent)
        log.close()
        stop(sink, 10)
    with open(logpath) as f:
        text = f.read()
    m = re.search(r"start lateness: median ([\d.]+) ms, p99 ([\d.]+) ms",
                  text)
    ov = re.search(r"probes (\d+), overruns (\d+)", text)
    expected = n * rounds
    return {"cpu_us": cpu * 1e6 / max(1, resp * NVALUES),
            "rss_kb": rss, "vps": resp * NVALUES / (rounds * ival),
            "missed": max(0, expected - resp),
            "expected": expected,
            "late50": float(m.group(1)) if m else float("nan"),
            "late99": float(m.group(2)) if m else float("nan"),
            "overruns": int(ov.group(2)) if ov else -1}


def collectd_conf(n, ival, sim, tmp, extra=()):
    """collectd.conf polling the n simulated devices like facmon: one
    10-value type, one GET per host and interval; extra lines (a writer)
    go before the snmp plugin.  Returns the file's path."""
    types = os.path.join(tmp, "types.db")
    with open(types, "w") as f:
        f.write("fm10 " + ", ".join("v%d:GAUGE:U:U" % i
                                    for i in range(NVALUES)) + "\n")
    lines = [
        'BaseDir "%s"' % tmp, 'PIDFile "%s"' % os.path.join(tmp, "cd.pid"),
        'TypesDB "/usr/share/collectd/types.db" "%s"' % types,
        "Interval %d" % ival,
        # collectd's snmp plugin waits for each answer in a read thread;
        # enough threads that the read queue does not fall behind
        # because of the thread count alone.
        "ReadThreads %d" % min(64, max(5, n // 200)),
        "LoadPlugin logfile",
        '<Plugin logfile>\n  LogLevel "warning"\n  File "%s"\n'
        '  Timestamp true\n</Plugin>' % os.path.join(tmp, "collectd.log")]
    lines += list(extra)
    lines += [
        "LoadPlugin snmp",
        "<Plugin snmp>",
        '  <Data "fm">\n    Type "fm10"\n    Table false\n'
        '    Instance ""\n    Values %s\n  </Data>'
        % " ".join('"%s"' % o for o in OIDS)]
    for i in range(n):
        lines.append('  <Host "d%05d">\n    Address "%s:%d"\n    Version 2\n'
                     '    Community "public"\n    Collect "fm"\n'
                     '    Interval %d\n    Timeout %d\n    Retries 0\n'
                     '  </Host>' % (i, addr(i), sim.port, ival,
                                    min(ival, 2)))
    lines.append("</Plugin>")
    conf = os.path.join(tmp, "collectd.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf


def run_collectd(n, ival, rounds, sim, tmp):
    logpath = os.path.join(tmp, "collectd.log")
    conf = collectd_conf(n, ival, sim, tmp)
    cd = subprocess.Popen([COLLECTD, "-f", "-C", conf],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        cpu, resp, rss = measure(cd.pid, sim, 2 + ival, rounds * ival)
    finally:
        stop(cd)
    errors = 0
    if os.path.exists(logpath):
        with open(logpath) as f:
            errors = sum(1 for line in f if "[error]" in line or
                         "timeout" in line.lower())
    expected = n * rounds
    return {"cpu_us": cpu * 1e6 / max(1, resp * NVALUES),
            "rss_kb": rss, "vps": resp * NVALUES / (rounds * ival),
            "missed": max(0, expected - resp), "expected": expected,
            "errors": errors}


def med(xs):
    xs = [x for x in xs if x == x]
    if not xs:
        return float("nan"), float("nan"), float("nan")
    return statistics.median(xs), min(xs), max(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000:10,5000:10,10000:10,1000:1",
                    help="devices:interval_s,...")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peer", default="collectd",
                    choices=["collectd", "none"])
    a = ap.parse_args()
    peer = a.peer == "collectd" and os.path.exists(COLLECTD)
    if a.peer == "collectd" and not peer:
        print("warning: %s missing, collectd not measured" % COLLECTD,
              file=sys.stderr)
    rows = []
    for spec in a.sizes.split(","):
        n, ival = (int(x) for x in spec.split(":"))
        rounds = a.rounds if ival >= 5 else a.rounds * 10
        fm, cd = [], []
        for _ in range(a.runs):
            with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
                sim = Sim(n, tmp)
                try:
                    fm.append(run_facmon(n, ival, rounds, sim, tmp))
                    if peer:
                        cd.append(run_collectd(n, ival, rounds, sim, tmp))
                finally:
                    sim.close()
        rows.append((n, ival, fm, cd))
        print("done %d devices at %d s" % (n, ival), file=sys.stderr,
              flush=True)

    def cell(rs, key, fmt="%.1f"):
        m, lo, hi = med([r[key] for r in rs])
        return (fmt + " (" + fmt + "–" + fmt + ")") % (m, lo, hi)

    print("| devices | interval | facmon µs/value | collectd µs/value | "
          "facmon / collectd | facmon values/s | collectd values/s | "
          "facmon RSS MB | collectd RSS MB | facmon lateness median / p99 "
          "ms | facmon polls missed | collectd polls missed |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, ival, fm, cd in rows:
        fmu = med([r["cpu_us"] for r in fm])[0]
        cdu = med([r["cpu_us"] for r in cd])[0] if cd else float("nan")
        print("| %d | %d s | %s | %s | %.2f | %.0f | %s | %.1f | %s | "
              "%.1f / %.1f | %d of %d | %s |" % (
                  n, ival, cell(fm, "cpu_us"),
                  cell(cd, "cpu_us") if cd else "–",
                  fmu / cdu if cdu > 0 else float("nan"),
                  med([r["vps"] for r in fm])[0],
                  "%.0f" % med([r["vps"] for r in cd])[0] if cd else "–",
                  med([r["rss_kb"] for r in fm])[0] / 1024.0,
                  "%.1f" % (med([r["rss_kb"] for r in cd])[0] / 1024.0)
                  if cd else "–",
                  med([r["late50"] for r in fm])[0],
                  max(r["late99"] for r in fm),
                  max(r["missed"] for r in fm), fm[0]["expected"],
                  "%d of %d" % (max(r["missed"] for r in cd),
                                cd[0]["expected"]) if cd else "–"))
    print()
    print("Runs per size: %d.  Lateness p99 is the worst of the runs." %
          a.runs)


if __name__ == "__main__":
    main()
