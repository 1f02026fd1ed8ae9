#!/usr/bin/env python3
# Writes huawei-s5735.snmprec, a Huawei S5735-style 48-port access switch
# as snmpsim (snmpsimd) serves it, and huawei-s5735-changed.snmprec, the
# same switch after a change: a port taken out of its stack member
# (GigabitEthernet0/0/48 gone) and a new one come up (XGigabitEthernet0/0/5).
# Run it from this directory after changing it; the files it writes are
# committed.  The format is snmpsim's: OID|tag|value, in OID order; tags
# are BER types (2 INTEGER, 4 OCTET STRING, 4x hex, 6 OID, 65 Counter32,
# 66 Gauge32, 67 TimeTicks, 70 Counter64); "70:numeric" is a counter that
# grows at 'rate' a second from 'initial'.
#
# The ports, as the tests expect them:
#   GigabitEthernet0/0/1-30   admin up, oper up, 1000 Mbit/s
#   GigabitEthernet0/0/31-44  admin down (unused)
#   GigabitEthernet0/0/45-46  admin up, oper down: the findings
#   GigabitEthernet0/0/47-48  admin up, oper up
#   XGigabitEthernet0/0/1-4   uplinks, 10000 Mbit/s; 1 and 2 up, 3-4 down
#                             but admin down
#   Vlanif1, Vlanif10, NULL0, InLoopBack0, MEth0/0/1: not ports
#   ifIndex 70 and 71: stacking ports without an ifName whose ifDescr is
#                             the same, "Stack-Port"
# ifAlias is in GBK, as Huawei's VRP keeps what the console typed.
# GigabitEthernet0/0/1 carries 12.5 MB/s in (10 %) and 2.5 MB/s out (2 %);
# XGigabitEthernet0/0/1 250 MB/s in (20 %) and 125 MB/s out (10 %).

import os

HERE = os.path.dirname(os.path.abspath(__file__))
IF = "1.3.6.1.2.1.2.2.1."
IFX = "1.3.6.1.2.1.31.1.1.1."
HW = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1."


def gbk(text):
    return "4x|" + text.encode("gbk").hex()


def ports(changed):
    """(ifIndex, name, type, admin, oper, Mbit/s, alias)"""
    out = [(1, "NULL0", 1, 1, 1, 0, ""),
           (2, "InLoopBack0", 24, 1, 1, 0, ""),
           (3, "MEth0/0/1", 6, 1, 2, 100, "管理口"),
           (4, "Vlanif1", 136, 1, 1, 1000, ""),
           (5, "Vlanif10", 136, 1, 1, 1000, "业务网段")]
    for n in range(1, 49):
        if changed and n == 48:
            continue
        admin = 2 if 31 <= n <= 44 else 1
        oper = 2 if admin == 2 or n in (45, 46) else 1
        alias = {1: "办事大厅一楼", 2: "办事大厅二楼", 45: "叫号机",
                 46: "评价器"}.get(n, "")
        out.append((5 + n, "GigabitEthernet0/0/%d" % n, 6, admin, oper,
                    1000, alias))
    for n in range(1, 5 + (1 if changed else 0)):
        admin = 2 if n in (3, 4) else 1
        oper = 1 if n in (1, 2, 5) else 2
        out.append((60 + n, "XGigabitEthernet0/0/%d" % n, 6, admin, oper,
                    10000, {1: "上联核心交换机", 2: "上联备份"}.get(n, "")))
    # Two stacking ports with no ifName and one ifDescr between them.
    out += [(70, "", 6, 1, 1, 10000, ""), (71, "", 6, 1, 1, 10000, "")]
    return out


def octets(idx, direction):
    """A counter: moving for the two loaded ports, still for the rest."""
    rates = {(6, "in"): 12500000, (6, "out"): 2500000,
             (61, "in"): 250000000, (61, "out"): 125000000}
    base = 1000000 * idx + (7 if direction == "out" else 0)
    if (idx, direction) in rates:
        return "70:numeric|rate=%d,initial=%d" % (rates[idx, direction],
                                                  base)
    return "70|%d" % base


def rows(changed):
    r = [("1.3.6.1.2.1.1.1.0", "4", "Huawei Versatile Routing Platform "
          "Software VRP (R) software, Version 5.170 (S5735 V200R021C10)"),
         ("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.2011.2.23.626"),
         ("1.3.6.1.2.1.1.3.0", "67:numeric", "rate=100,initial=4233000"),
         ("1.3.6.1.2.1.1.5.0", "4", "S5735-hall1"),
         ("1.3.6.1.2.1.2.1.0", "2", str(len(ports(changed))))]
    for (i, name, typ, admin, oper, speed, alias) in ports(changed):
        r += [(IF + "1.%d" % i, "2", str(i)),
              (IF + "2.%d" % i, "4", "Huawei, Quidway Series, %s "
               "Interface" % name if name else "Stack-Port"),
              (IF + "3.%d" % i, "2", str(typ)),
              (IF + "5.%d" % i, "66", str(min(speed * 1000000,
                                               4294967295))),
              (IF + "7.%d" % i, "2", str(admin)),
              (IF + "8.%d" % i, "2", str(oper)),
              (IF + "14.%d" % i, "65", str(i % 3)),
              (IF + "20.%d" % i, "65", "0"),
              (IFX + "1.%d" % i, "4", name),
              (IFX + "15.%d" % i, "66", str(speed))]
        tag, val = octets(i, "in").split("|", 1)
        r.append((IFX + "6.%d" % i, tag, val))
        tag, val = octets(i, "out").split("|", 1)
        r.append((IFX + "10.%d" % i, tag, val))
        if alias:
            tag, val = gbk(alias).split("|", 1)
            r.append((IFX + "18.%d" % i, tag, val))
        else:
            r.append((IFX + "18.%d" % i, "4", ""))
    # The main board's CPU, memory and temperature (entPhysicalIndex 67108873).
    for col, val in ((5, 23), (7, 41), (11, 38)):
        r.append((HW + "%d.67108873" % col, "2", str(val)))
    return r


def key(row):
    return tuple(int(x) for x in row[0].split("."))


def write(name, changed):
    with open(os.path.join(HERE, name), "w") as f:
        for oid, tag, val in sorted(rows(changed), key=key):
            f.write("%s|%s|%s\n" % (oid, tag, val))


write("huawei-s5735.snmprec", False)
write("huawei-s5735-changed.snmprec", True)
