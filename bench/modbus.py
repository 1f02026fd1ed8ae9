#!/usr/bin/python3
# Modbus TCP polling: facmon-agent reading N devices, each one request
# of 10 registers per interval.  The server is facmon-sim (--server sim,
# the default: N power meters, one loopback address each, 10 input
# registers) or a Modbus server written for the benchmark (--server
# asyncio: one listening port per device, 10 holding registers).  Either
# way every device has its own connection, as real devices do.
# Reported: the agent's CPU microseconds per register read and per
# request (user + system, from /proc/PID/stat, threads included), its
# resident memory, requests and registers per second as the server
# counted its answers, and the requests due that went unanswered.
# --snmp also measures the SNMP poll of bench/snmp.py (facmon-agent, N
# simulated devices, 10 objects in one GET) at the same size in the same
# run, so that the two stand side by side on the same machine and load.
#
#   bench/modbus.py [--sizes 1000:10,1000:1] [--runs 3] [--rounds 3]
#                   [--server sim|asyncio] [--snmp]
#
# Every run is bounded: the agent runs for warm-up plus --rounds
# intervals, then is stopped by PID.  Only 127.0.0.1 is used.

import argparse
import asyncio
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AGENT = os.path.join(ROOT, "build", "facmon-agent")
# /proc readers and the process stop shared with the SNMP benchmark.
sys.path.insert(0, HERE)
import snmp  # noqa: E402
from snmp import addr, proc_cpu_s, proc_rss_kb, stop  # noqa: E402
SIM = os.path.join(ROOT, "build", "facmon-sim")
NREGS = 10


def server_main(n):
    """The server: n listeners, answers reads of holding and input
    registers; a line on stdin asks for the count of answers."""
    answered = [0]

    async def handle(reader, writer):
        try:
            while True:
                hdr = await reader.readexactly(12)
                tid, _, _, unit, fc, _, cnt = struct.unpack(">HHHBBHH", hdr)
                cnt = min(cnt, 125)
                writer.write(struct.pack(">HHHBBB", tid, 0, 3 + 2 * cnt,
                                         unit, fc, 2 * cnt) +
                             b"\x00\x07" * cnt)
                answered[0] += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def control():
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            print(answered[0], flush=True)

    async def main():
        ports = []
        for _ in range(n):
            srv = await asyncio.start_server(handle, "127.0.0.1", 0,
                                             backlog=64)
            ports.append(srv.sockets[0].getsockname()[1])
        print(" ".join(map(str, ports)), flush=True)
        await control()

    asyncio.run(main())


class AsyncioServer:
    """The benchmark's own server: n ports on 127.0.0.1."""
    table = "holding"

    def __init__(self, n, tmp):
        self.p = subprocess.Popen([sys.executable, __file__, "--serve",
                                   str(n)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        ports = [int(p) for p in self.p.stdout.readline().split()]
        assert len(ports) == n
        self.targets = [("127.0.0.1", p) for p in ports]

    def answered(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()
        return int(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        stop(self.p, 10)


class SimServer(snmp.Sim):
    """facmon-sim: n power meters speaking Modbus TCP, one address each
    (127.2.0.1 upwards, as bench/snmp.py), registers from its model."""
    table = "input"

    def __init__(self, n, tmp):
        from fmtest import free_port
        port = free_port()
        self.targets = [(addr(i), port) for i in range(n)]
        self.start(tmp, "mbsim", n,
                   'sim: { snmp_port = %d; modbus_port = %d; '
                   'control = "%%s"; };\n'
                   'devices = ( { id = "m%%%%d"; count = %d; '
                   'model = "power-meter"; address = "%s"; '
                   'modbus = true; } );\n'
                   % (free_port(), port, n, addr(0)))

    def answered(self):
        return self.stats()["responses"]


def run(n, ival, rounds, tmp, server):
    srv = (SimServer if server == "sim" else AsyncioServer)(n, tmp)
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    from fmtest import free_port
    sport = free_port()
    sink = subprocess.Popen([sys.executable, os.path.join(HERE, "sink.py"),
                             "--port", str(sport)], stdout=subprocess.PIPE,
                            text=True)
    assert sink.stdout.readline().strip() == "ready"
    regs = ", ".join('{ name = "r%d"; table = "%s"; address = %d; }'
                     % (i, srv.table, i) for i in range(NREGS))
    timeout = min(ival, 2)
    devs = ",\n".join(
        '{ id = "d%05d"; class = "hvac"; group = "g"; address = '
        '"%s"; checks = ( { id = "m"; type = "modbus"; port = %d;'
        ' interval = %d; timeout = %d; registers = ( %s ); } ); }'
        % (i, h, p, ival, timeout, regs)
        for i, (h, p) in enumerate(srv.targets))
    conf = os.path.join(tmp, "agent.conf")
    with open(conf, "w") as f:
        f.write('agent: { id = "bench"; collector = "127.0.0.1:%d"; '
                'tls = false; batch_interval = "1s"; spool_dir = "%s"; };\n'
                'devices = (\n%s\n);\n'
                % (sport, os.path.join(tmp, "spool"), devs))
    log = open(os.path.join(tmp, "agent.log"), "w")
    agent = subprocess.Popen([AGENT, "-d", "-f", conf], stderr=log)
    try:
        time.sleep(2 + ival)
        c0, a0 = proc_cpu_s(agent.pid), srv.answered()
        time.sleep(rounds * ival)
        c1, a1 = proc_cpu_s(agent.pid), srv.answered()
        rss = proc_rss_kb(agent.pid)
        with open("/proc/%d/status" % agent.pid) as f:
            threads = [int(x.split()[1]) for x in f
                       if x.startswith("Threads:")][0]
    finally:
        stop(agent)
        log.close()
        stop(sink, 10)
        srv.close()
    req = a1 - a0
    expected = n * rounds
    return {"us_req": (c1 - c0) * 1e6 / max(1, req),
            "us_reg": (c1 - c0) * 1e6 / max(1, req * NREGS),
            "rps": req / (rounds * ival), "regps": req * NREGS /
            (rounds * ival), "rss_kb": rss, "threads": threads,
            "missed": max(0, expected - req), "expected": expected}


def med(xs):
    return statistics.median(xs), min(xs), max(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", type=int)
    ap.add_argument("--sizes", default="1000:10,1000:1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server", default="sim", choices=["sim", "asyncio"])
    ap.add_argument("--snmp", action="store_true")
    a = ap.parse_args()
    if a.serve:
        return server_main(a.serve)
    rows = []
    for spec in a.sizes.split(","):
        n, ival = (int(x) for x in spec.split(":"))
        rounds = a.rounds if ival >= 5 else a.rounds * 10
        rs, ss = [], []
        for _ in range(a.runs):
            with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
                rs.append(run(n, ival, rounds, tmp, a.server))
            if not a.snmp:
                continue
            with tempfile.TemporaryDirectory(prefix="facmon-bench-") as tmp:
                sim = snmp.Sim(n, tmp)
                try:
                    ss.append(snmp.run_facmon(n, ival, rounds, sim, tmp))
                finally:
                    sim.close()
        rows.append((n, ival, rs, ss))
        print("done %d devices at %d s" % (n, ival), file=sys.stderr,
              flush=True)
    print("| devices | interval | agent µs/register | agent µs/request | "
          "requests/s | registers/s | agent RSS MB | agent threads | "
          "requests missed | SNMP: agent µs/value | SNMP values/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, ival, rs, ss in rows:
        m, lo, hi = med([r["us_reg"] for r in rs])
        print("| %d | %d s | %.1f (%.1f–%.1f) | %.1f | %.0f | %.0f | %.1f | "
              "%d | %d of %d | %s | %s |" % (
                  n, ival, m, lo, hi, med([r["us_req"] for r in rs])[0],
                  med([r["rps"] for r in rs])[0],
                  med([r["regps"] for r in rs])[0],
                  med([r["rss_kb"] for r in rs])[0] / 1024.0,
                  max(r["threads"] for r in rs),
                  max(r["missed"] for r in rs), rs[0]["expected"],
                  "%.1f" % med([r["cpu_us"] for r in ss])[0] if ss else "–",
                  "%.0f" % med([r["vps"] for r in ss])[0] if ss else "–"))
    print()
    print("Runs per size: %d; %d registers per request; server: %s%s." %
          (a.runs, NREGS, "facmon-sim (power meters, input registers)"
           if a.server == "sim" else "the benchmark's asyncio server",
           "; SNMP measured in the same run (bench/snmp.py's facmon "
           "poll: 10 objects in one GET per device)" if a.snmp else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
