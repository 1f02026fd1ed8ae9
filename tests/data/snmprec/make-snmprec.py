#!/usr/bin/env python3
# Writes the .snmprec recordings that the discover tests serve with
# snmpsim: a UPS speaking RFC 1628 on mains, on battery and with its
# battery low; an H3C-style 28-port switch with sensors and a GBK port
# alias; a Linux host that restarted 42 seconds before it was recorded.
# Run it from this directory after changing it; the files it writes are
# committed.  The format is snmpsim's: OID|tag|value, one line each, in
# OID order; tags are the BER types (2 INTEGER, 4 OCTET STRING, 4x hex,
# 6 OID, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64).

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def oidkey(line):
    return tuple(int(x) for x in line.split("|", 1)[0].split("."))


def write(name, rows):
    lines = sorted(("%s|%s|%s" % r for r in rows), key=oidkey)
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def text(s):
    """An OCTET STRING that may hold line ends or non-ASCII: as hex."""
    b = s if isinstance(s, bytes) else s.encode("utf-8")
    return ("4x", b.hex())


def system(descr, objid, uptime, name):
    s = "1.3.6.1.2.1.1."
    d = text(descr)
    return [(s + "1.0", d[0], d[1]), (s + "2.0", 6, objid),
            (s + "3.0", 67, uptime), (s + "4.0", 4, "noc@example.org"),
            (s + "5.0", 4, name), (s + "6.0", 4, "Service hall, rack B2"),
            (s + "7.0", 2, 72)]


def iftable(ports):
    """ports: (ifIndex, ifDescr, ifName, alias bytes/str, type, Mbit/s,
    admin, oper)."""
    t = "1.3.6.1.2.1.2.2.1."
    x = "1.3.6.1.2.1.31.1.1.1."
    rows = [("1.3.6.1.2.1.2.1.0", 2, len(ports))]
    for i, descr, name, alias, kind, mbit, admin, oper in ports:
        a = text(alias)
        rows += [(t + "1.%d" % i, 2, i), (t + "2.%d" % i, 4, descr),
                 (t + "3.%d" % i, 2, kind), (t + "4.%d" % i, 2, 1500),
                 (t + "5.%d" % i, 66, min(mbit * 1000000, 4294967295)),
                 (t + "6.%d" % i, "4x", "3891d5%06x" % i),
                 (t + "7.%d" % i, 2, admin), (t + "8.%d" % i, 2, oper),
                 (t + "10.%d" % i, 65, 1000 * i), (t + "14.%d" % i, 65, 0),
                 (t + "16.%d" % i, 65, 2000 * i), (t + "20.%d" % i, 65, 0),
                 (x + "1.%d" % i, 4, name),
                 (x + "6.%d" % i, 70, (1 << 33) + i),
                 (x + "10.%d" % i, 70, (1 << 34) + i),
                 (x + "15.%d" % i, 66, mbit),
                 (x + "18.%d" % i, a[0], a[1])]
    return rows


# RFC 1628: upsOutputSource 3 normal, 5 battery; upsBatteryStatus 2
# batteryNormal, 3 batteryLow.
def ups(name, source, battery, on_batt, charge, minutes, involts):
    rows = system("Santak C6KS online UPS, SNMP card firmware 3.1.2",
                  "1.3.6.1.4.1.935.10.1", 31536000, name)
    u = "1.3.6.1.2.1.33.1."
    rows += [(u + "1.1.0", 4, "Santak"), (u + "1.2.0", 4, "C6KS"),
             (u + "1.3.0", 4, "V2.3"), (u + "1.4.0", 4, "3.1.2"),
             (u + "1.5.0", 4, name),
             (u + "2.1.0", 2, battery), (u + "2.2.0", 2, on_batt),
             (u + "2.3.0", 2, minutes), (u + "2.4.0", 2, charge),
             (u + "2.5.0", 2, 2180), (u + "2.7.0", 2, 27),
             (u + "3.1.0", 65, 2), (u + "3.2.0", 2, 1),
             (u + "3.3.1.1.1", 2, 1), (u + "3.3.1.2.1", 2,
                                        500 if involts else 0),
             (u + "3.3.1.3.1", 2, involts), (u + "3.3.1.4.1", 2, 0),
             (u + "4.1.0", 2, source), (u + "4.2.0", 2, 500),
             (u + "4.3.0", 2, 1),
             (u + "4.4.1.1.1", 2, 1), (u + "4.4.1.2.1", 2, 220),
             (u + "4.4.1.3.1", 2, 95), (u + "4.4.1.4.1", 2, 2050),
             (u + "4.4.1.5.1", 2, 38)]
    return rows


def upses():
    write("ups-mains.snmprec", ups("ups-mains", 3, 2, 0, 100, 95, 228))
    write("ups-battery.snmprec", ups("ups-battery", 5, 2, 420, 71, 40, 0))
    write("ups-low.snmprec", ups("ups-low", 5, 3, 1980, 9, 3, 0))


# An H3C-style access switch: 24 copper ports, 4 SFP+ uplinks; its port
# 3 alias is GBK, as a Chinese switch's often is.
def h3c():
    rows = system("H3C Comware Platform Software, Software Version "
                  "7.1.070, Release 6328\r\nH3C S5130S-28S-HI\r\n"
                  "Copyright (c) 2004-2024 New H3C Technologies Co., Ltd. "
                  "All rights reserved.",
                  "1.3.6.1.4.1.25506.1.2370", 864000000, "h3c-hall2")
    ports = []
    for i in range(1, 29):
        if i <= 24:
            name, mbit = "GigabitEthernet1/0/%d" % i, 1000
        else:
            name, mbit = "Ten-GigabitEthernet1/0/%d" % i, 10000
        alias = {3: "二楼大厅自助终端".encode("gbk"), 25: "Uplink to core-1",
                 26: "Uplink to core-2", 7: 'Desk 7 "A" \\ queue'}.get(i, "")
        admin = 2 if i in (27, 28) else 1
        oper = 1 if i <= 10 or i in (25, 26) else 2
        ports.append((i, name, name, alias, 6, mbit, admin, oper))
    rows += iftable(ports)
    # ENTITY-MIB names and ENTITY-SENSOR-MIB (RFC 3433) sensors.
    e = "1.3.6.1.2.1.47.1.1.1.1.7."
    s = "1.3.6.1.2.1.99.1.1.1."
    for idx, name, kind, scale, prec, value in (
            (21, "Board 1 hotspot", 8, 9, 0, 38),
            (22, "PSU 1 input", 3, 9, 0, 229),
            (23, "Fan 1", 10, 9, 0, 5400),
            (24, "PSU 1 output", 4, 8, 1, 120015)):
        rows += [(e + str(idx), 4, name), (s + "1.%d" % idx, 2, kind),
                 (s + "2.%d" % idx, 2, scale), (s + "3.%d" % idx, 2, prec),
                 (s + "4.%d" % idx, 2, value), (s + "5.%d" % idx, 2, 1)]
    rows.append((e + "1", 4, "Chassis"))
    write("h3c-s5130.snmprec", rows)


# A Linux host (net-snmp's snmpd) up for 42 seconds: it restarted.
def linux():
    rows = system("Linux web-01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC "
                  "Debian 6.1.76-1 (2024-02-01) x86_64",
                  "1.3.6.1.4.1.8072.3.2.10", 4200, "web-01")
    rows += iftable([(1, "lo", "lo", "", 24, 10, 1, 1),
                     (2, "ens18", "ens18", "", 6, 1000, 1, 1)])
    h = "1.3.6.1.2.1.25.2.3.1."
    for idx, typ, descr, units, size, used in (
            (1, 2, "Physical memory", 1024, 8048256, 3120448),
            (3, 3, "Virtual memory", 1024, 9096828, 3300000),
            (31, 4, "/", 4096, 6400000, 2250000),
            (36, 4, "/var", 4096, 2560000, 1900000)):
        rows += [(h + "1.%d" % idx, 2, idx),
                 (h + "2.%d" % idx, 6, "1.3.6.1.2.1.25.2.1.%d" % typ),
                 (h + "3.%d" % idx, 4, descr), (h + "4.%d" % idx, 2, units),
                 (h + "5.%d" % idx, 2, size), (h + "6.%d" % idx, 2, used)]
    rows += [("1.3.6.1.2.1.25.1.1.0", 67, 4100),
             ("1.3.6.1.2.1.25.3.3.1.2.196608", 2, 7),
             ("1.3.6.1.2.1.25.3.3.1.2.196609", 2, 12),
             ("1.3.6.1.4.1.2021.4.5.0", 2, 8048256),
             ("1.3.6.1.4.1.2021.4.6.0", 2, 4100000)]
    for i, v in ((1, "0.42"), (2, "0.30"), (3, "0.25")):
        rows += [("1.3.6.1.4.1.2021.10.1.1.%d" % i, 2, i),
                 ("1.3.6.1.4.1.2021.10.1.3.%d" % i, 4, v)]
    write("linux-rebooted.snmprec", rows)


upses()
h3c()
linux()
