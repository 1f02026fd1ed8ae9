#!/usr/bin/env python3
# Writes the .snmprec recordings the SNMP device tests serve with snmpsim
# (snmpsimd).  Run it from this directory after changing it; the files it
# writes are committed.  The format is snmpsim's: OID|tag|value, one line
# each, in OID order; tags are the BER types (2 INTEGER, 4 OCTET STRING,
# 4x hex, 6 OID, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks,
# 70 Counter64).

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def oidkey(line):
    return tuple(int(x) for x in line.split("|", 1)[0].split("."))


def write(name, rows):
    lines = sorted(("%s|%s|%s" % r for r in rows), key=oidkey)
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def system(descr, uptime, objid="1.3.6.1.4.1.8072.3.2.10", name="dev"):
    s = "1.3.6.1.2.1.1."
    return [(s + "1.0", 4, descr), (s + "2.0", 6, objid),
            (s + "3.0", 67, uptime), (s + "4.0", 4, "noc@example.org"),
            (s + "5.0", 4, name), (s + "6.0", 4, "Hall 1, rack A3"),
            (s + "7.0", 2, 72)]


# A 59-port access switch (48 copper, 4 uplinks, 7 logical interfaces):
# every ifTable and ifXTable column, 59 rows.
def switch():
    rows = system("Access switch S5720-52X-SI, software V200R019C10",
                  123456789, "1.3.6.1.4.1.2011.2.23.378", "sw-hall1")
    rows.append(("1.3.6.1.2.1.2.1.0", 2, 59))
    t = "1.3.6.1.2.1.2.2.1."
    x = "1.3.6.1.2.1.31.1.1.1."
    for i in range(1, 60):
        idx = 4 + i if i <= 52 else 100 + i
        if i <= 48:
            name, kind, speed = "GigabitEthernet0/0/%d" % i, 6, 1000
        elif i <= 52:
            name, kind, speed = "XGigabitEthernet0/0/%d" % (i - 48), 6, 10000
        else:
            name, kind, speed = "Vlanif%d" % (i * 10), 136, 1000
        up = i % 5 == 1 or i > 48
        rows += [(t + "1.%d" % idx, 2, idx), (t + "2.%d" % idx, 4, name),
                 (t + "3.%d" % idx, 2, kind), (t + "4.%d" % idx, 2, 1500),
                 (t + "5.%d" % idx, 66, min(speed * 1000000, 4294967295)),
                 (t + "6.%d" % idx, "4x", "00e0fc%06x" % idx),
                 (t + "7.%d" % idx, 2, 1 if up or i % 2 else 2),
                 (t + "8.%d" % idx, 2, 1 if up else 2),
                 (t + "9.%d" % idx, 67, 1000 * i),
                 (t + "10.%d" % idx, 65, 1000003 * i % 4294967296),
                 (t + "11.%d" % idx, 65, 7001 * i),
                 (t + "12.%d" % idx, 65, 11 * i),
                 (t + "13.%d" % idx, 65, i % 3),
                 (t + "14.%d" % idx, 65, i % 7),
                 (t + "15.%d" % idx, 65, 0),
                 (t + "16.%d" % idx, 65, 2000003 * i % 4294967296),
                 (t + "17.%d" % idx, 65, 9001 * i),
                 (t + "18.%d" % idx, 65, 13 * i),
                 (t + "19.%d" % idx, 65, i % 4),
                 (t + "20.%d" % idx, 65, i % 2),
                 (t + "21.%d" % idx, 66, 0),
                 (t + "22.%d" % idx, 6, "0.0")]
        rows += [(x + "1.%d" % idx, 4, name.replace("GigabitEthernet",
                                                     "GE"))]
        rows += [(x + "%d.%d" % (c, idx), 65, c * i) for c in range(2, 6)]
        rows += [(x + "%d.%d" % (c, idx), 70, (1 << 33) + c * i * 1000)
                 for c in range(6, 14)]
        rows += [(x + "14.%d" % idx, 2, 1), (x + "15.%d" % idx, 66, speed),
                 (x + "16.%d" % idx, 2, 2), (x + "17.%d" % idx, 2,
                                             1 if i <= 52 else 2),
                 (x + "18.%d" % idx, 4, "uplink to core" if 48 < i <= 52
                  else ""),
                 (x + "19.%d" % idx, 67, 0)]
    write("switch.snmprec", rows)


# A UPS speaking RFC 1628, on battery; its sysDescr is longer than 256
# bytes, as some vendors' are.
def ups():
    descr = ("Online UPS 10 kVA, three phase in / single phase out; "
             "network card firmware 2.4.1 build 5; ") * 6
    rows = system(descr.strip(), 8640000, "1.3.6.1.4.1.935.10.1", "ups-1")
    u = "1.3.6.1.2.1.33.1."
    rows += [(u + "1.1.0", 4, "Santak"), (u + "1.2.0", 4, "C10KS"),
             (u + "2.1.0", 2, 3), (u + "2.2.0", 2, 420),
             (u + "2.3.0", 2, 12), (u + "2.4.0", 2, 31),
             (u + "2.5.0", 2, 2184), (u + "2.7.0", 2, 29),
             (u + "3.1.0", 65, 4), (u + "3.2.0", 2, 1),
             (u + "3.3.1.1.1", 2, 1), (u + "3.3.1.2.1", 2, 0),
             (u + "3.3.1.3.1", 2, 0), (u + "4.1.0", 2, 5),
             (u + "4.2.0", 2, 500), (u + "4.3.0", 2, 1),
             (u + "4.4.1.1.1", 2, 1), (u + "4.4.1.2.1", 2, 220),
             (u + "4.4.1.3.1", 2, 182), (u + "4.4.1.4.1", 2, 3900),
             (u + "4.4.1.5.1", 2, 43),
             # hrSystemDate, a DateAndTime: 2026-12-06 13:30:15.0 +08:00
             ("1.3.6.1.2.1.25.1.2.0", "4x", "07ea0c060d1e0f002b0800")]
    write("ups.snmprec", rows)


# A host before and after a restart: sysUpTime falls, and a 32-bit
# counter that was near the top of its range starts again from near zero
# (read as a wrap, it would be a rate of hundreds of megabytes a second).
def host():
    for name, uptime, octets, hc in (("host-before", 50000000, 4000000000,
                                      1 << 40),
                                     ("host-after", 3000, 1000, 5000)):
        rows = system("Linux host 6.1.0-18-amd64 x86_64", uptime,
                      name="host")
        t = "1.3.6.1.2.1.2.2.1."
        rows += [(t + "1.2", 2, 2), (t + "2.2", 4, "eth0"),
                 (t + "10.2", 65, octets),
                 ("1.3.6.1.2.1.31.1.1.1.6.2", 70, hc),
                 ("1.3.6.1.2.1.25.2.3.1.6.1", 2, 123456)]
        write(name + ".snmprec", rows)


# A switch that describes itself in GBK, as many sold in China do.
def gbk():
    rows = system("S5720 核心交换机".encode("gbk").hex(), 100, name="core")
    rows[0] = (rows[0][0], "4x", rows[0][2])
    t = "1.3.6.1.2.1.2.2.1."
    x = "1.3.6.1.2.1.31.1.1.1."
    for idx, alias in ((1, "上联至汇聚层"), (2, "二楼大厅自助终端")):
        rows += [(t + "2.%d" % idx, 4, "GigabitEthernet0/0/%d" % idx),
                 (t + "6.%d" % idx, "4x", "00e0fc00000%d" % idx),
                 (x + "18.%d" % idx, "4x", alias.encode("gbk").hex())]
    write("gbk.snmprec", rows)


switch()
ups()
host()
gbk()
