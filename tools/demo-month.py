#!/usr/bin/python3
#
# Copyright (c) 2026 The facmon authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS.

"""A simulated month of the demo centre, through facmon's own numbers.

    tools/demo-month.py [--month 2026-10] [--seed 2021] [--out DIR]

Writes an outage journal for every device of etc/demo/devices.conf over
one month, with faults drawn (seeded, so the month is the same every time)
from a model of what such a hall sees: short line outages acknowledged by
the duty engineer, a carrier fault classified as external, a floor switch
reboot, access points and terminals dropping out, an elevator fault over
several hours, the elevators' monthly service inside their maintenance
window, the web systems' brief errors, and ten minutes when facmon itself
saw nothing (an agent restart: unknown, not down).  Then it asks the
collector's own code for the month (facmon-collector avail --json, the
same document as GET /api/v1/availability) and prints the per-group table
in Markdown, and facmon-report makes the month's report from the same
journal.  Needs build/facmon-collector, build/facmon-report and
build/test-ojgen (make all build/test-ojgen).
"""

import argparse
import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
CN = datetime.timezone(datetime.timedelta(hours=8))


def devices():
    """id, name, class, group, parent of each demo device."""
    out, cur = [], None
    path = os.path.join(ROOT, "etc", "demo", "devices.conf")
    for line in open(path, encoding="utf-8"):
        m = re.match(r'^    (id|name|class|group|parent) = "(.*)";', line)
        if not m:
            continue
        if m.group(1) == "id":
            cur = {"id": m.group(2), "parent": ""}
            out.append(cur)
        else:
            cur[m.group(1)] = m.group(2)
    return out


def fmt(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, CN).strftime(
        "%Y-%m-%d %H:%M:%S")


def script(devs, year, month, seed):
    """The month as test-ojgen's script: device, state and annotations."""
    rnd = random.Random(seed)
    m0 = datetime.datetime(year, month, 1, tzinfo=CN)
    m1 = datetime.datetime(year + (month == 12), month % 12 + 1, 1,
                           tzinfo=CN)
    t0, t1 = int(m0.timestamp() * 1000), int(m1.timestamp() * 1000)
    days = (t1 - t0) // 86400000
    lines = ["# a simulated month of the demo centre, seed %d" % seed]
    events = []                 # (device, start, end, cause, kind, state)

    def at(day, hour, minute=0, sec=0):
        return t0 + ((day - 1) * 86400 + hour * 3600 + minute * 60 +
                     sec) * 1000

    def rand_time():
        return at(rnd.randint(1, days), rnd.randint(0, 23),
                  rnd.randint(0, 59), rnd.randint(0, 59))

    by_class = {}
    for d in devs:
        by_class.setdefault(d["class"], []).append(d)
    for d in devs:
        c = d["class"]
        if c == "line":
            s = rand_time()
            events.append((d["id"], s, s + rnd.randint(90, 300) * 1000,
                           "no echo reply", "ack", "down"))
        elif c in ("wifi-ap", "touch-screen", "evaluation-terminal",
                   "pc", "phone") and rnd.random() < 0.25:
            s = rand_time()
            events.append((d["id"], s, s + rnd.randint(5, 60) * 60000,
                           "timeout", "ack", "down"))
        elif c in ("led-wall", "hvac") and rnd.random() < 0.5:
            s = rand_time()
            events.append((d["id"], s, s + rnd.randint(10, 45) * 60000,
                           "bad value", "ack", "down"))
        elif c == "web-system" and rnd.random() < 0.6:
            s = rand_time()
            events.append((d["id"], s, s + rnd.randint(30, 150) * 1000,
                           "HTTP 502", "ack", "down"))
    # A carrier fault on the second line, classified external.
    lines_ = by_class.get("line", [])
    if len(lines_) > 1:
        s = at(9, 14, 20)
        events.append((lines_[1]["id"], s, s + 20 * 60000, "timeout",
                       "external", "down"))
    # An elevator stuck for six hours; the monthly service (15th, 02:00,
    # the maintenance window of etc/demo/collector.conf) takes 70 min.
    elev = by_class.get("elevator", [])
    if elev:
        s = at(21, 9, 5)
        events.append((elev[0]["id"], s, s + 6 * 3600000, "elevator fault",
                       "ack", "down"))
        for e in elev:
            s = at(15, 2, 10)
            events.append((e["id"], s, s + 70 * 60000, "elevator fault",
                           "", "down"))
    # A floor switch reboots for four minutes.
    sw = [d for d in by_class.get("switch", []) if d["id"] != "core-sw"]
    if sw:
        s = at(12, 10, 31)
        events.append((sw[0]["id"], s, s + 240000, "no echo reply", "ack",
                       "down"))
    # facmon's own agent restarts: ten minutes unseen, for every device.
    s = at(18, 3, 0)
    for d in devs:
        events.append((d["id"], s, s + 600000, "agent unreachable", "",
                       "unknown"))

    for d in devs:
        lines.append("device|%s|%s|%s|%s|%s" % (d["id"], d.get("name", ""),
                                                d["class"], d["group"],
                                                d["parent"]))
        lines.append("state|%s|%s|up|" % (d["id"], fmt(t0 - 86400000)))
    events.sort(key=lambda e: (e[1], e[0]))
    for dev, s, e, cause, kind, state in events:
        lines.append("state|%s|%s|%s|%s" % (dev, fmt(s), state, cause))
        if state == "down":
            lines.append("confirm|%s|%s|%s" % (dev, fmt(s),
                                               fmt(s + 3000)))
            if kind in ("ack", "external"):
                lines.append("ack|%s|%s|%s|值班员" % (
                    dev, fmt(s), fmt(s + rnd.randint(60, 600) * 1000)))
            if kind == "external":
                lines.append("classify|%s|%s|%s|external|值班员|运营商光缆中断"
                             % (dev, fmt(s), fmt(s + 900000)))
        lines.append("state|%s|%s|up|" % (dev, fmt(e)))
    return "\n".join(lines) + "\n"


def hms(ms):
    if ms is None:
        return "—"
    s = int(round(ms / 1000))
    if s < 0:
        return "−" + hms(-ms)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def pct(x):
    return "—" if x is None else "%.4f %%" % (x * 100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    year, month = (int(x) for x in a.month.split("-"))
    out = a.out or tempfile.mkdtemp(prefix="facmon-demo-month-")
    os.makedirs(out, exist_ok=True)
    devs = devices()
    spath = os.path.join(out, "month.txt")
    with open(spath, "w", encoding="utf-8") as f:
        f.write(script(devs, year, month, a.seed))
    journal = os.path.join(out, "outages.fmoj")
    subprocess.run([os.path.join(BUILD, "test-ojgen"), "script", spath,
                    journal], check=True)
    conf = os.path.join(ROOT, "etc", "demo", "collector.conf")
    t = time.monotonic()
    r = subprocess.run([os.path.join(BUILD, "facmon-collector"), "-f", conf,
                        "avail", "--month", a.month, "--journal", journal,
                        "--json"], check=True, capture_output=True,
                       text=True)
    t_avail = time.monotonic() - t
    o = json.loads(r.stdout)
    with open(os.path.join(out, "availability.json"), "w") as f:
        f.write(r.stdout)
    print("A simulated %s of the demo centre: %d devices, journal %s "
          "(%d bytes); facmon-collector avail took %.2f s.\n" %
          (a.month, len(devs), journal, os.path.getsize(journal), t_avail))
    print("| group | devices | availability | target | met | down | "
          "external | planned | unknown | budget left | outages | MTTR | "
          "time to ack |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for g in o["groups"] + [dict(o["site"], id="(site)")]:
        met = {True: "yes", False: "**no**", None: "—"}[g["met"]]
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s "
              "| %s |" % (g["id"], g["devices"], pct(g["availability"]),
                          pct(g["target"]), met, hms(g["down_ms"]),
                          hms(g["external_ms"]), hms(g["planned_ms"]),
                          hms(g["unknown_ms"]), hms(g["budget_left_ms"]),
                          g["outages"], hms(g["mttr_ms"]),
                          hms(g["mtta_ms"])))
    # The month's report from the same journal, timed.
    t = time.monotonic()
    subprocess.run([os.path.join(BUILD, "facmon-report"), "-f", conf,
                    "--month", a.month, "--journal", journal, "--out",
                    os.path.join(out, "report")], check=True,
                   capture_output=True)
    print("\nfacmon-report --month %s, every format: %.2f s (%s)." %
          (a.month, time.monotonic() - t, os.path.join(out, "report")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
