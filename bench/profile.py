#!/usr/bin/python3
# Instructions per stored value of facmon-agent and facmon-collector, the
# pipeline of bench/e2e.py (SNMP devices simulated by facmon-sim, TLS 1.3
# PSK, journal, RRD write-behind) with both daemons under valgrind's
# callgrind.  CPU time on the shared 2-core machine moves with the load
# of the other users; instruction counts do not, so this is the measure
# for a before and after of a change to the per-value path.
#
#   bench/profile.py [--devices 100] [--interval 2] [--window 40]
#                    [--write-interval 10] [--out DIR]
#
# After a warm-up (every RRD file made), the counters of both daemons
# are zeroed (callgrind_control -z), the window runs, and they are
# dumped (callgrind_control -d): the dumps cover the window only.  The
# values are those the collector queued for RRD in the window.  With
# --out the callgrind files are kept there for callgrind_annotate;
# otherwise they are deleted with the temporary directory.
#
# Bounded: one warm-up and one window; every process is stopped by PID;
# only 127.0.0.0/8 and a temporary directory.

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import snmp  # noqa: E402
from snmp import OIDS, NVALUES, ROOT, Sim, addr, free_port, stop  # noqa: E402
from e2e import wait  # noqa: E402

COLLECTOR = os.path.join(ROOT, "build", "facmon-collector")
VALGRIND = ["valgrind", "--tool=callgrind", "--dump-instr=no",
            "--collect-jumps=no"]


def total_ir(path):
    """The instruction count of a callgrind dump (its summary line)."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--interval", type=int, default=2)
    ap.add_argument("--window", type=int, default=40)
    ap.add_argument("--write-interval", type=int, default=10)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    n, ival = a.devices, a.interval
    with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
        sim = Sim(n, tmp)
        aport, hport = free_port(), free_port()
        data = os.path.join(tmp, "fm-data")
        conf = os.path.join(tmp, "collector.conf")
        with open(conf, "w") as f:
            f.write("""collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  web_dir = "%s";
  rrd: { full_resolution_days = 1; five_minute_days = 0; hourly_days = 0;
         write_interval = %d; };
  agents = ( { id = "bench"; } );
};
""" % (aport, hport, data, os.path.join(ROOT, "web"), a.write_interval))
        psk = os.path.join(tmp, "agent.psk")
        subprocess.run([COLLECTOR, "-f", conf, "keygen", "bench", psk],
                       check=True, capture_output=True, timeout=30)
        get = ", ".join('"%s"' % o for o in OIDS)
        devs = ",\n".join(
            '{ id = "d%05d"; class = "line"; group = "g"; address = "%s";'
            ' checks = ( { id = "s"; type = "snmp"; interval = %d;'
            ' timeout = %d; version = "2c"; community = "public";'
            ' port = %d; retries = 0; get = ( %s ); } ); }'
            % (i, addr(i), ival, min(ival, 2), sim.port, get)
            for i in range(n))
        aconf = os.path.join(tmp, "agent.conf")
        with open(aconf, "w") as f:
            f.write('agent: { id = "bench"; collector = "127.0.0.1:%d"; '
                    'tls_psk_file = "%s"; batch_interval = "1s"; '
                    'spool_dir = "%s"; };\ndevices = (\n%s\n);\n'
                    % (aport, psk, os.path.join(tmp, "spool"), devs))
        url = "http://127.0.0.1:%d/api/v1/stats" % hport

        def st():
            with urllib.request.urlopen(url, timeout=30) as r:
                return json.load(r)
        coll = agent = None
        clog = open(os.path.join(tmp, "collector.log"), "w")
        alog = open(os.path.join(tmp, "agent.log"), "w")
        try:
            coll = subprocess.Popen(VALGRIND + [
                "--callgrind-out-file=%s/cg.collector.%%p" % tmp,
                COLLECTOR, "-d", "-f", conf], stderr=clog)
            wait(lambda: st() is not None, 120, "the collector")
            agent = subprocess.Popen(VALGRIND + [
                "--callgrind-out-file=%s/cg.agent.%%p" % tmp,
                snmp.AGENT, "-d", "-f", aconf], stderr=alog)
            wait(lambda: st()["rrd"]["files_created"] >= n * (NVALUES + 2),
                 300 + a.write_interval * 2, "the RRD files")
            time.sleep(ival)
            for p in (agent, coll):
                subprocess.run(["callgrind_control", "-z", str(p.pid)],
                               check=True, capture_output=True, timeout=60)
            q0 = st()["rrd"]["queued"]
            time.sleep(a.window)
            q1 = st()["rrd"]["queued"]
            for p in (agent, coll):
                subprocess.run(["callgrind_control", "-d", str(p.pid)],
                               check=True, capture_output=True, timeout=60)
        finally:
            stop(agent, timeout=120)
            stop(coll, timeout=120)
            clog.close()
            alog.close()
            sim.close()
        values = q1 - q0
        res = {}
        for who in ("agent", "collector"):
            dumps = [p for p in glob.glob(os.path.join(tmp, "cg.%s.*" % who))
                     if p.endswith(".1")]
            if not dumps:
                raise SystemExit("no callgrind dump of the " + who)
            res[who] = total_ir(dumps[0])
            if a.out:
                os.makedirs(a.out, exist_ok=True)
                shutil.copy(dumps[0], os.path.join(a.out, "cg." + who))
        print("%d devices at %d s, write_interval %d s, window %d s: "
              "%d values stored" % (n, ival, a.write_interval, a.window,
                                    values))
        for who in ("agent", "collector"):
            print("  %-9s %12d instructions, %7.0f per value" % (
                who, res[who], res[who] / max(1, values)))
        print("  both      %12d instructions, %7.0f per value" % (
            res["agent"] + res["collector"],
            (res["agent"] + res["collector"]) / max(1, values)))


if __name__ == "__main__":
    main()
