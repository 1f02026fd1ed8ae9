# Real devices over SNMP, served by snmpsim from the recordings in
# tests/data/snmp/: standard names resolve with no MIB file on disk, every
# value of a 59-port switch's ifTable and ifXTable matches what net-snmp's
# snmpwalk reads from the same recording, a UPS on battery says so in
# words, one missing OID marks that value only (v2c and v1), an empty walk
# fails, a restart of the device is noticed and is no traffic spike,
# counter baselines survive a reload, and tables past the limits fail
# saying why.

import gzip
import math
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (ROOT, FacmonTestCase, rrd_fetch,  # noqa: E402
                    wait_for)

DATA = os.path.join(ROOT, "tests", "data", "snmp")

# Columns of ifTable (RFC 2863) and ifXTable, by number: written here from
# the RFC, independently of the agent's dictionary.
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_XTABLE = "1.3.6.1.2.1.31.1.1.1"
IF_COLS = {
    IF_TABLE: ["ifIndex", "ifDescr", "ifType", "ifMtu", "ifSpeed",
               "ifPhysAddress", "ifAdminStatus", "ifOperStatus",
               "ifLastChange", "ifInOctets", "ifInUcastPkts",
               "ifInNUcastPkts", "ifInDiscards", "ifInErrors",
               "ifInUnknownProtos", "ifOutOctets", "ifOutUcastPkts",
               "ifOutNUcastPkts", "ifOutDiscards", "ifOutErrors",
               "ifOutQLen", "ifSpecific"],
    IF_XTABLE: ["ifName", "ifInMulticastPkts", "ifInBroadcastPkts",
                "ifOutMulticastPkts", "ifOutBroadcastPkts", "ifHCInOctets",
                "ifHCInUcastPkts", "ifHCInMulticastPkts",
                "ifHCInBroadcastPkts", "ifHCOutOctets", "ifHCOutUcastPkts",
                "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts",
                "ifLinkUpDownTrapEnable", "ifHighSpeed",
                "ifPromiscuousMode", "ifConnectorPresent", "ifAlias",
                "ifCounterDiscontinuityTime"],
}
TIMETICKS = {"ifLastChange", "ifCounterDiscontinuityTime"}
# The same for the other tables the shipped recordings have (ENTITY-MIB,
# HOST-RESOURCES-MIB, UCD-SNMP-MIB), by column number.
OTHER_COLS = {
    "1.3.6.1.2.1.47.1.1.1.1": {2: "entPhysicalDescr",
                               5: "entPhysicalClass",
                               7: "entPhysicalName",
                               13: "entPhysicalModelName"},
    "1.3.6.1.2.1.25.2.3.1": {3: "hrStorageDescr", 4:
                             "hrStorageAllocationUnits",
                             5: "hrStorageSize", 6: "hrStorageUsed"},
    "1.3.6.1.4.1.2021.4": {5: "memTotalReal", 6: "memAvailReal"},
    "1.3.6.1.4.1.2021.10.1": {2: "laNames", 3: "laLoad"},
    "1.3.6.1.4.1.9.9.48.1.1.1": {2: "ciscoMemoryPoolName",
                                 5: "ciscoMemoryPoolUsed",
                                 6: "ciscoMemoryPoolFree"},
    "1.3.6.1.4.1.9.9.109.1.1.1.1": {6: "cpmCPUTotal5secRev",
                                    7: "cpmCPUTotal1minRev",
                                    8: "cpmCPUTotal5minRev"},
}
CISCO = ("1.3.6.1.2.1.47.", "1.3.6.1.4.1.9.")


def our_name(oid):
    """The agent's value name for a numeric OID of the tables above."""
    for base, cols in OTHER_COLS.items():
        if oid.startswith(base + "."):
            col, idx = oid[len(base) + 1:].split(".", 1)
            if int(col) in cols:
                return "%s.%s" % (cols[int(col)], idx)
    for base, cols in IF_COLS.items():
        if oid.startswith(base + "."):
            col, idx = oid[len(base) + 1:].split(".", 1)
            return "%s.%s" % (cols[int(col) - 1], idx)
    return None


def same(ours, printed, name):
    """Does the agent's value equal snmpwalk's -On -Oq -Ot -Oe output?"""
    col = name.split(".", 1)[0]
    if ours["kind"] == "counter":
        return ours["raw"] == int(printed)
    if ours["kind"] == "gauge":
        want = int(printed)
        if col in TIMETICKS:
            want = want / 100.0
        return math.isclose(ours["value"], want)
    text = ours["value"]
    if printed.startswith('"') and printed.endswith('"'):
        body = printed[1:-1]
        # snmpwalk prints a binary string as spaced hex.
        hexed = body.strip().split(" ")
        if col == "ifPhysAddress" and all(len(h) == 2 for h in hexed):
            return text == ":".join(h.lower() for h in hexed)
        return text == body
    if printed.startswith("."):	 # an OBJECT IDENTIFIER
        return text == printed[1:]
    return text == printed


def dictionary():
    """The rows of the agent's built-in dictionary, from its source."""
    with open(os.path.join(ROOT, "agent", "mibdict.c")) as f:
        return re.findall(r'^\t\{ "([A-Za-z0-9-]+)", "(\w+)", '
                          r'"([0-9.]+)", (MS_\w+),', f.read(), re.M)


class Dictionary(unittest.TestCase):
    def test_rows_agree_with_mib_files_where_debian_has_them(self):
        """UCD-SNMP-MIB (Debian's libsnmp-base) and FACMON-FACILITY-MIB
        (mibs/) are on disk: net-snmp's own parser must give every one of
        their names the dictionary's number."""
        rows = dictionary()
        self.assertGreater(len(rows), 150)
        names = [r[1] for r in rows]
        self.assertEqual(len(set(names)), len(names))
        oids = [r[2] for r in rows]
        self.assertEqual(len(set(oids)), len(oids))
        ucd = "/usr/share/snmp/mibs"
        if not os.path.exists(os.path.join(ucd, "UCD-SNMP-MIB.txt")):
            self.skipTest("UCD-SNMP-MIB.txt not installed")
        checked = 0
        for module in ("UCD-SNMP-MIB", "FACMON-FACILITY-MIB"):
            mine = [r for r in rows if r[0] == module]
            p = subprocess.run(
                ["snmptranslate", "-M", ucd + ":" + os.path.join(ROOT,
                                                                 "mibs"),
                 "-On"] + ["%s::%s" % (module, r[1]) for r in mine],
                capture_output=True, text=True,
                env=dict(os.environ, MIBS=module))
            got = [line[1:] for line in p.stdout.split() if line]
            self.assertEqual(got, [r[2] for r in mine], p.stderr)
            checked += len(mine)
        self.assertGreater(checked, 80)


def probes(c):
    return c["results"]["total"] if c else 0


class Devices(FacmonTestCase):
    def empty_mibdir(self):
        d = os.path.join(self.tmp, "no-mibs")
        os.makedirs(d, exist_ok=True)
        return d

    def test_switch_names_without_mib_files_match_snmpwalk(self):
        self.start_snmpsim({"switch": os.path.join(DATA,
                                                   "switch.snmprec")})
        self.start_collector()
        cols = ['"IF-MIB::%s"' % n for n in IF_COLS[IF_TABLE]] + \
            ['"%s"' % n for n in IF_COLS[IF_XTABLE]]
        self.start_agent("""
{ id = "sw"; name = "Hall switch"; class = "switch";
  address = "127.0.0.1";
  checks = (
    { id = "ports"; type = "snmp"; interval = 5; timeout = 4;
      community = "switch"; port = %d; max_repetitions = 50;
      get = ( "SNMPv2-MIB::sysUpTime.0", "sysName.0" );
      walk = ( %s ); }
  ); }
""" % (self.snmpsim_port, ", ".join(cols)), mibdirs=self.empty_mibdir())
        walked = self.snmpwalk("switch", IF_TABLE)
        walked.update(self.snmpwalk("switch", IF_XTABLE))
        # 59 rows of 22 and 19 columns: more than 1,024 values.
        self.assertEqual(len(walked), 59 * (22 + 19))
        c = self.wait_check("sw", "ports", "up", timeout=60,
                            pred=lambda c: len(c["values"]) > len(walked))
        vals = c["values"]
        self.assertEqual(vals["sysName.0"]["value"], "sw-hall1")
        self.assertEqual(vals["sysUpTime.0"]["value"], 1234567.89)
        numeric = {k: v for k, v in vals.items()
                   if not k.split(".", 1)[0].endswith("Text") and
                   not k.startswith("sys")}
        self.assertEqual(len(numeric), len(walked))
        bad = []
        for oid, printed in walked.items():
            name = our_name(oid)
            if name not in vals or not same(vals[name], printed, name):
                bad.append((oid, name, printed, vals.get(name)))
        self.assertEqual(bad, [])
        print("switch: %d values in one check, probe took %.0f ms"
              % (len(vals), c["duration_ms"]))
        # Enumerations in words beside the numbers.
        for k, v in vals.items():
            if k.startswith("ifOperStatus."):
                word = vals["ifOperStatusText." + k.split(".", 1)[1]]
                self.assertEqual(word["value"],
                                 {1: "up", 2: "down"}[v["value"]])
        self.assertEqual(vals["ifTypeText.5"]["value"], "ethernetCsmacd")
        self.assertEqual(vals["ifTypeText.153"]["value"], "l3ipvlan")

    def shipped(self, name):
        """One of the recordings Debian's snmpsim ships, uncompressed."""
        src = "/usr/share/doc/snmpsim/examples/data/%s.snmprec.gz" % name
        if not os.path.exists(src):
            self.skipTest("snmpsim's example recordings not installed")
        dst = os.path.join(self.tmp, name + ".snmprec")
        with gzip.open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
        return dst

    def compare(self, vals, walked, moving=()):
        """Every value walked is the agent's; those of OIDs whose value
        moves with time (snmpsim's variation modules) only exist."""
        bad = []
        for oid, printed in walked.items():
            name = our_name(oid)
            if name not in vals or (oid not in moving and
                                    not same(vals[name], printed, name)):
                bad.append((oid, name, printed, vals.get(name)))
        self.assertEqual(bad, [])

    @staticmethod
    def moving(path):
        with open(path) as f:
            return {line.split("|", 1)[0] for line in f
                    if ":" in line.split("|")[1]}

    def test_shipped_recordings_by_name_match_snmpwalk(self):
        """Debian snmpsim's own walks of a Cisco C3750 stack and of a
        Linux host, polled by standard names only."""
        cisco = self.shipped("cisco_16_switch")
        linux = self.shipped("public")
        self.start_snmpsim({"cisco": cisco, "linux": linux})
        self.start_collector()
        ifcols = ", ".join('"%s"' % n for cols in IF_COLS.values()
                           for n in cols)
        self.start_agent("""
{ id = "c3750"; name = "Cisco"; class = "switch"; address = "127.0.0.1";
  checks = (
    { id = "ports"; type = "snmp"; interval = 10; timeout = 8;
      community = "cisco"; port = %(p)d; max_repetitions = 50;
      get = ( "sysName.0" );
      walk = ( %(ifcols)s ); },
    { id = "inventory"; type = "snmp"; interval = 10; timeout = 8;
      community = "cisco"; port = %(p)d; max_repetitions = 50;
      walk = ( "ENTITY-MIB::entPhysicalDescr", "entPhysicalClass",
               "entPhysicalName", "entPhysicalModelName",
               "CISCO-MEMORY-POOL-MIB::ciscoMemoryPoolName",
               "ciscoMemoryPoolUsed", "ciscoMemoryPoolFree",
               "cpmCPUTotal5secRev", "cpmCPUTotal1minRev",
               "cpmCPUTotal5minRev" ); }
  ); },
{ id = "linux"; name = "Linux"; class = "server"; address = "127.0.0.1";
  checks = (
    { id = "host"; type = "snmp"; interval = 10; timeout = 8;
      community = "linux"; port = %(p)d;
      walk = ( "HOST-RESOURCES-MIB::hrStorageDescr",
               "hrStorageAllocationUnits", "hrStorageSize", "hrStorageUsed",
               "UCD-SNMP-MIB::memTotalReal", "memAvailReal", "laNames",
               "laLoad" ); }
  ); }
""" % {"p": self.snmpsim_port, "ifcols": ifcols},
            mibdirs=self.empty_mibdir())
        walked = {}
        for base in IF_COLS:
            walked.update(self.snmpwalk("cisco", base))
        self.assertGreater(len(walked), 2000)
        c = self.wait_check("c3750", "ports", "up", timeout=60)
        self.assertEqual(c["values"]["sysName.0"]["value"], "Profiler3750")
        self.compare(c["values"], walked)
        inv = {}
        for base, cols in OTHER_COLS.items():
            if base.startswith(CISCO):
                for col in cols:
                    inv.update(self.snmpwalk("cisco", "%s.%d" % (base,
                                                                 col)))
        self.assertGreater(len(inv), 100)
        c = self.wait_check("c3750", "inventory", "up", timeout=60)
        self.compare(c["values"], inv)
        self.assertIn("chassis", [v["value"] for k, v in c["values"].items()
                                  if k.startswith("entPhysicalClassText.")])
        self.assertEqual(c["values"]["ciscoMemoryPoolName.1"]["value"],
                         "Processor")
        self.assertEqual(c["values"]["ciscoMemoryPoolUsed.1"]["value"],
                         34973844)
        host = {}
        for base, cols in OTHER_COLS.items():
            if base.startswith(CISCO):
                continue
            for col in cols:
                host.update(self.snmpwalk("linux", "%s.%d" % (base, col)))
        self.assertGreater(len(host), 20)
        c = self.wait_check("linux", "host", "up", timeout=60)
        moving = self.moving(linux)
        self.assertLess(len(moving & set(host)), len(host) / 2)
        self.compare(c["values"], host, moving)
        print("shipped recordings: %d Cisco port values, %d inventory, "
              "%d host values equal snmpwalk" % (len(walked), len(inv),
                                                 len(host)))

    def test_ups_on_battery_in_words_and_long_description(self):
        self.start_snmpsim({"ups": os.path.join(DATA, "ups.snmprec")})
        self.start_collector()
        self.start_agent("""
{ id = "ups"; name = "UPS 1"; class = "ups"; address = "127.0.0.1";
  checks = (
    { id = "state"; type = "snmp"; interval = 2; timeout = 1.5;
      community = "ups"; port = %d;
      get = ( "SNMPv2-MIB::sysDescr.0", "UPS-MIB::upsOutputSource.0",
              "upsBatteryStatus.0", "upsEstimatedChargeRemaining.0",
              "upsSecondsOnBattery.0", "hrSystemDate.0" );
      walk = ( "upsOutputVoltage", "upsOutputPercentLoad" ); }
  ); }
""" % self.snmpsim_port, mibdirs=self.empty_mibdir())
        c = self.wait_check("ups", "state", "up", timeout=30)
        vals = c["values"]
        self.assertEqual(vals["upsOutputSource.0"]["value"], 5)
        self.assertEqual(vals["upsOutputSourceText.0"]["value"], "battery")
        self.assertEqual(vals["upsBatteryStatusText.0"]["value"],
                         "batteryLow")
        self.assertEqual(vals["upsEstimatedChargeRemaining.0"]["value"], 31)
        self.assertEqual(vals["upsOutputVoltage.1"]["value"], 220)
        self.assertEqual(vals["upsOutputPercentLoad.1"]["value"], 43)
        # A DateAndTime as its DISPLAY-HINT reads it, not hex.
        self.assertEqual(vals["hrSystemDate.0"]["value"],
                         "2026-12-06T13:30:15.0+08:00")
        descr = self.snmpwalk("ups", "1.3.6.1.2.1.1.1")["1.3.6.1.2.1.1.1.0"]
        self.assertGreater(len(descr), 256)
        self.assertEqual(vals["sysDescr.0"]["kind"], "text")
        self.assertEqual(vals["sysDescr.0"]["value"], descr.strip('"'))

    def per_oid(self, version):
        self.start_snmpsim({"ups": os.path.join(DATA, "ups.snmprec")})
        self.start_collector()
        self.start_agent("""
{ id = "ups"; name = "UPS 1"; class = "ups"; address = "127.0.0.1";
  checks = (
    { id = "some"; type = "snmp"; interval = 2; timeout = 1.5;
      version = "%(v)s"; community = "ups"; port = %(p)d;
      get = ( "sysName.0", "1.3.6.1.4.1.99999.1.0", "upsOutputSource.0" ); },
    { id = "none"; type = "snmp"; interval = 2; timeout = 1.5;
      version = "%(v)s"; community = "ups"; port = %(p)d; critical = false;
      get = ( "1.3.6.1.4.1.99999.1.0", "1.3.6.1.4.1.99999.2.0" ); },
    { id = "empty"; type = "snmp"; interval = 2; timeout = 1.5;
      version = "%(v)s"; community = "ups"; port = %(p)d; critical = false;
      walk = ( "1.3.6.1.4.1.99999" ); }
  ); }
""" % {"v": version, "p": self.snmpsim_port}, mibdirs=self.empty_mibdir())
        c = self.wait_check("ups", "some", "up", timeout=30)
        self.assertEqual(c["values"]["sysName.0"]["value"], "ups-1")
        self.assertEqual(c["values"]["upsOutputSource.0"]["value"], 5)
        self.assertNotIn("1.3.6.1.4.1.99999.1.0", c["values"])
        self.assertIn("no such object: 1.3.6.1.4.1.99999.1.0",
                      c["message"])
        n = self.wait_check("ups", "none", "down")
        self.assertEqual(n["outcome"], "snmp_nosuch")
        e = self.wait_check("ups", "empty", "down")
        self.assertEqual(e["outcome"], "snmp_nosuch")
        self.assertIn("empty walk", e["message"])
        self.assertIn("1.3.6.1.4.1.99999", e["message"])

    def test_per_oid_errors_v2c(self):
        self.per_oid("2c")

    def test_per_oid_errors_v1_nosuchname_retried(self):
        self.per_oid("1")

    def test_reboot_is_noticed_and_no_spike(self):
        before = os.path.join(DATA, "host-before.snmprec")
        after = os.path.join(DATA, "host-after.snmprec")
        self.start_snmpsim({"host": before})
        self.start_collector()
        agent = self.start_agent("""
{ id = "host"; name = "Host"; class = "server"; address = "127.0.0.1";
  checks = (
    { id = "polled"; type = "snmp"; interval = 2; timeout = 1.5;
      community = "host"; port = %(p)d;
      get = ( "sysUpTime.0" );
      walk = ( "ifInOctets", "ifHCInOctets" ); },
    { id = "unasked"; type = "snmp"; interval = 2; timeout = 1.5;
      community = "host"; port = %(p)d;
      walk = ( "ifInOctets" ); }
  ); }
""" % {"p": self.snmpsim_port}, mibdirs=self.empty_mibdir())
        # Three probes each: a rate, and the uptime read unasked too.
        for chk in ("polled", "unasked"):
            self.wait_check("host", chk, "up", timeout=30,
                            pred=lambda c: probes(c) >= 3 and
                            c["values"]["ifInOctets.2"]["rate"] == 0)
        # The device restarts: uptime falls from 500,000 s to 30 s, and
        # ifInOctets from 4,000,000,000 to 1,000.
        for p in self.procs:
            if "snmpsimd" in p.argv[0]:
                p.stop()
        self.start_snmpsim({"host": after})
        wait_for(lambda: agent.output().count("the device restarted") >= 2,
                 timeout=60, what="both checks notice the restart")
        for chk in ("polled", "unasked"):
            self.wait_check("host", chk, "up", timeout=30,
                            pred=lambda c: c["values"]["ifInOctets.2"]
                            ["raw"] == 1000 and
                            c["values"]["ifInOctets.2"]["rate"] == 0)
        # Not one rate of the restart reached the series: read as a wrap
        # it would have been about 1.5e8 bytes a second.
        now = int(time.time())
        for chk in ("polled", "unasked"):
            path = os.path.join(self.data_dir, "rrd", "host", chk,
                                "ifInOctets.2.rrd")
            rows = wait_for(lambda: [v for t, v in rrd_fetch(
                path, now - 120, now + 5) if v is not None],
                what="rates in " + path)
            self.assertLess(max(rows), 1000.0, rows)
        self.assertIn("host/polled: the device restarted (uptime 30 s, "
                      "was 500000 s before)", agent.output())

    def test_counter_baselines_survive_reload(self):
        self.start_snmpsim({"host": os.path.join(DATA,
                                                 "host-before.snmprec")})
        self.start_collector()
        agent = self.start_agent("""
{ id = "host"; name = "Host"; class = "server"; address = "127.0.0.1";
  checks = (
    { id = "octets"; type = "snmp"; interval = 3; timeout = 2;
      community = "host"; port = %d;
      walk = ( "ifHCInOctets" ); }
  ); }
""" % self.snmpsim_port, mibdirs=self.empty_mibdir())
        self.wait_check("host", "octets", "up", timeout=30,
                        pred=lambda c: c["values"]["ifHCInOctets.2"]
                        ["rate"] is not None)
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in agent.output(),
                 what="the reload")
        n = probes(self.check("host", "octets"))
        seen = []

        def next_result():
            c = self.check("host", "octets")
            if probes(c) > n:
                seen.append(c["values"]["ifHCInOctets.2"]["rate"])
                return True
            return False
        wait_for(next_result, timeout=30, interval=0.1,
                 what="a result after the reload")
        # The first probe after the reload already has a rate.
        self.assertEqual(seen[0], 0)

    def test_limits_long_names_and_too_many_values(self):
        # A recording of the test's own: a column whose index makes a
        # 243-byte value name, one whose index makes 265 bytes, and a
        # column of 16,400 rows (over the 16,384 values of one check).
        path = os.path.join(self.tmp, "big.snmprec")
        base = "1.3.6.1.4.1.32473.99"
        long_ok = ".".join(["4294967295"] * 22)
        long_bad = ".".join(["4294967295"] * 24)
        with open(path, "w") as f:
            f.write("1.3.6.1.2.1.1.5.0|4|big\n")
            f.write("%s.1.%s|2|7\n" % (base, long_ok))
            f.write("%s.2.%s|2|8\n" % (base, long_bad))
            for i in range(1, 16401):
                f.write("%s.3.%d|66|%d\n" % (base, i, i))
        self.start_snmpsim({"big": path})
        self.start_collector()
        self.start_agent("""
{ id = "big"; name = "Big"; class = "server"; address = "127.0.0.1";
  checks = (
    { id = "longok"; type = "snmp"; interval = 5; timeout = 4;
      community = "big"; port = %(p)d; critical = false;
      walk = ( { name = "x"; oid = "%(b)s.1"; } ); },
    { id = "longbad"; type = "snmp"; interval = 5; timeout = 4;
      community = "big"; port = %(p)d; critical = false;
      walk = ( { name = "x"; oid = "%(b)s.2"; } ); },
    { id = "many"; type = "snmp"; interval = 20; timeout = 18;
      community = "big"; port = %(p)d; critical = false;
      max_repetitions = 100;
      walk = ( { name = "r"; oid = "%(b)s.3"; } ); }
  ); }
""" % {"p": self.snmpsim_port, "b": base}, mibdirs=self.empty_mibdir())
        c = self.wait_check("big", "longok", "up", timeout=30)
        name = "x." + long_ok
        self.assertEqual(len(name), 243)
        self.assertEqual(c["values"][name]["value"], 7)
        # Its series file: the name is too long for a file name (255
        # bytes with ".rrd"), so it is the start of it and a hash.
        d = os.path.join(self.data_dir, "rrd", "big", "longok")

        def series_file():
            fs = [f for f in os.listdir(d) if f.startswith("x.4294967295")] \
                if os.path.isdir(d) else []
            return fs[0] if fs else None
        f = wait_for(series_file, what="the long name's series file")
        self.assertLessEqual(len(f), 204)
        self.assertRegex(f, r"^x\.4294967295[.0-9]*~[0-9a-f]{16}\.rrd$")
        now = int(time.time())
        rows = wait_for(lambda: [v for t, v in rrd_fetch(
            os.path.join(d, f), now - 120, now + 5) if v is not None],
            what="points of the long name")
        self.assertEqual(rows[-1], 7.0)
        b = self.wait_check("big", "longbad", "down", timeout=30)
        self.assertIn("longer than 255 bytes", b["message"])
        m = self.wait_check("big", "many", "down", timeout=90)
        self.assertIn("more than 16384 values", m["message"])

    def test_gbk_text_converted_with_device_charset(self):
        self.start_snmpsim({"gbk": os.path.join(DATA, "gbk.snmprec")})
        self.start_collector()
        dev = """
{ id = "%(id)s"; name = "Core"; class = "switch"; address = "127.0.0.1";
  %(cs)s
  checks = (
    { id = "ports"; type = "snmp"; interval = 2; timeout = 1.5;
      community = "gbk"; port = %(p)d;
      get = ( "sysDescr.0" );
      walk = ( "ifAlias", "ifPhysAddress" ); }
  ); }"""
        self.start_agent(",".join([
            dev % {"id": "gbk", "cs": 'charset = "GBK";',
                   "p": self.snmpsim_port},
            dev % {"id": "raw", "cs": "", "p": self.snmpsim_port}]),
            mibdirs=self.empty_mibdir())
        c = self.wait_check("gbk", "ports", "up", timeout=30)
        vals = c["values"]
        self.assertEqual(vals["sysDescr.0"]["value"], "S5720 核心交换机")
        self.assertEqual(vals["ifAlias.1"]["value"], "上联至汇聚层")
        self.assertEqual(vals["ifAlias.2"]["value"], "二楼大厅自助终端")
        # Binary stays hex, charset or not.
        self.assertEqual(vals["ifPhysAddress.1"]["value"],
                         "00:e0:fc:00:00:01")
        # The same bytes as snmpwalk reads them.
        walked = self.snmpwalk("gbk", "1.3.6.1.2.1.31.1.1.1.18")
        raw = bytes.fromhex(walked["1.3.6.1.2.1.31.1.1.1.18.2"]
                            .strip('"').replace(" ", ""))
        self.assertEqual(raw.decode("gbk"), vals["ifAlias.2"]["value"])
        # Without a charset the bytes are shown as hex, as before.
        r = self.wait_check("raw", "ports", "up", timeout=30)
        self.assertEqual(r["values"]["ifAlias.2"]["value"],
                         ":".join("%02x" % b for b in raw))
