# facmon-sim against real parts: Debian's net-snmp tools read every
# simulated device (GET, walk, bulkwalk, v1 and v2c, types, counter
# wrap); scheduled faults show up in facmon as the simulator's
# ground-truth log says they happened; notifications reach Debian's
# snmptrapd; bad scenario files and bad control commands get file:line
# errors.

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (BUILD, ROOT, FacmonTestCase, free_port,  # noqa: E402
                    http_status, wait_for)

SIM = os.path.join(BUILD, "facmon-sim")
MIBS = os.path.join(ROOT, "mibs")
# A /16 of loopback of our own, so that parallel runs do not collide.
NET = "127.%d" % (60 + os.getpid() % 150)

SCENARIO = """
sim: { snmp_port = %(snmp)d; http_port = %(http)d; control = "%(ctl)s";
       truth_log = "%(log)s"; trap_receiver = "127.0.0.1:%(trap)d";
       seed = 3; };
devices = (
  { id = "line"; name = "专线"; class = "line"; address = "%(net)s.1.1";
    rate = 1000000.0; counter32_start = %(c32)s; },
  { id = "elev-%%d"; name = "%%d号电梯"; count = 2; class = "elevator";
    address = "%(net)s.2.1"; },
  { id = "led"; class = "led-wall"; address = "%(net)s.3.1"; modules = 5;
    http = true; },
  { id = "hvac"; class = "hvac"; address = "%(net)s.3.2"; },
  { id = "ups"; class = "ups"; address = "%(net)s.3.3"; },
  { id = "wlc"; class = "wifi-controller"; address = "%(net)s.3.4";
    aps = 4; },
  { id = "sw"; class = "switch"; address = "%(net)s.3.5"; interfaces = 8; },
  { id = "ts-%%d"; count = 2; class = "touch-screen";
    address = "%(net)s.4.1"; tcp = [ %(tcp)d ]; },
  { id = "tgw"; class = "gateway"; address = "%(net)s.4.10"; },
  { id = "web"; class = "web-system"; address = "%(net)s.5.1"; http = true; },
  { id = "plat"; model = "platform"; class = "gateway";
    address = "%(net)s.5.2"; http = true; }
);
faults = ( %(faults)s );
"""


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          **kw)


class SimCase(FacmonTestCase):
    def start_sim(self, faults="", c32="0.0"):
        self.snmp_port = free_port()
        self.http_port = free_port()
        self.trap_port = free_port()
        self.tcp_port = free_port()
        self.ctl = os.path.join(self.tmp, "sim.sock")
        self.truth_log = os.path.join(self.tmp, "truth.log")
        conf = self.write("scenario.conf", SCENARIO % {
            "snmp": self.snmp_port, "http": self.http_port,
            "ctl": self.ctl, "log": self.truth_log, "trap": self.trap_port,
            "net": NET, "c32": c32, "faults": faults,
            "tcp": self.tcp_port})
        self.scenario = conf
        self.sim = self.start([SIM, "-d", "-f", conf], "sim")
        wait_for(lambda: self.ctl_ok("ping") == "pong\n", timeout=15,
                 what="facmon-sim control socket")
        return self.sim

    def ctl_run(self, *args):
        return run([SIM, "ctl", "-s", self.ctl] + list(args))

    def ctl_ok(self, *args):
        p = self.ctl_run(*args)
        if p.returncode != 0:
            raise ValueError(p.stderr)
        return p.stdout

    def truth(self):
        return [json.loads(x) for x in self.ctl_ok("history").splitlines()]

    def addr(self, host):
        return "%s:%d" % (host, self.snmp_port)

    def snmp(self, tool, host, *oids, version="2c", mibs=False,
             community="public"):
        argv = [tool, "-v", version, "-c", community, "-t", "1", "-r", "1"]
        env = dict(os.environ, MIBS="")
        if mibs:
            argv += ["-M", MIBS, "-m", "ALL"]
            env["MIBS"] = "ALL"
        else:
            argv += ["-On"]
        return run(argv + [self.addr(host)] + list(oids), env=env)


class SimSnmp(SimCase):
    def test_net_snmp_tools_read_every_device(self):
        self.start_sim()
        line = NET + ".1.1"
        p = self.snmp("snmpget", line, "1.3.6.1.2.1.1.1.0",
                      "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0",
                      "1.3.6.1.2.1.2.2.1.5.1", "1.3.6.1.2.1.2.2.1.8.1",
                      "1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.2.1.31.1.1.1.6.1",
                      "1.3.6.1.2.1.2.2.1.6.1")
        self.assertEqual(p.returncode, 0, p.stderr)
        types = re.findall(r"= ([A-Za-z0-9-]+):", p.stdout)
        self.assertEqual(types, ["STRING", "OID", "Timeticks", "Gauge32",
                                 "INTEGER", "Counter32", "Counter64",
                                 "Hex-STRING"])
        self.assertIn('"facmon-sim line line"', p.stdout)
        # Exceptions: no such object, no such instance, end of the view.
        p = self.snmp("snmpget", line, "1.3.6.1.2.1.99.1.0",
                      "1.3.6.1.2.1.1.3")
        self.assertIn("No Such Object", p.stdout)
        self.assertIn("No Such Instance", p.stdout)
        p = self.snmp("snmpgetnext", line, "1.3.6.1.6")
        self.assertIn("No more variables left", p.stdout)
        # v1: an unknown OID is an error, and there is no Counter64.
        p = self.snmp("snmpget", line, "1.3.6.1.2.1.1.3.0",
                      "1.3.6.1.2.1.31.1.1.1.6.1", version="1")
        self.assertIn("noSuchName", p.stderr)
        self.assertIn("31.1.1.1.6.1", p.stderr)
        # A SET is refused, a wrong community is not answered at all.
        p = run(["snmpset", "-v2c", "-c", "public", "-On", self.addr(line),
                 "1.3.6.1.2.1.1.5.0", "s", "x"])
        self.assertIn("notWritable", p.stderr)
        p = self.snmp("snmpget", line, "1.3.6.1.2.1.1.3.0",
                      community="wrong")
        self.assertIn("Timeout", p.stderr)

        # Every device: walk (GETNEXT) and bulkwalk (GETBULK) agree, v1
        # walks see the same minus Counter64, and the walk is ordered.
        devs = self.ctl_ok("devices").split("\n")
        self.assertEqual(len([d for d in devs if d]), 13)
        for d in devs:
            if not d:
                continue
            host = d.split()[1].split(":")[0]
            w = self.snmp("snmpwalk", host, ".1")
            b = self.snmp("snmpbulkwalk", host, ".1")
            w1 = self.snmp("snmpwalk", host, ".1", version="1")
            for r in (w, b, w1):
                self.assertEqual(r.returncode, 0, d + r.stderr)

            def rows(out):
                return [(ln.split(" = ")[0], ln.split(" = ")[1].split(":")[0])
                        for ln in out.splitlines()
                        if " = " in ln and "No more variables" not in ln]
            rw, rb, r1 = rows(w.stdout), rows(b.stdout), rows(w1.stdout)
            self.assertGreater(len(rw), 6, d)
            self.assertEqual(rw, rb, d)
            self.assertEqual([r for r in rw if r[1] != "Counter64"], r1, d)
            oids = [tuple(int(x) for x in r[0].strip(".").split("."))
                    for r in rw]
            self.assertEqual(oids, sorted(oids), d)

    def test_named_objects_through_mibs(self):
        self.start_sim()
        p = self.snmp("snmpwalk", NET + ".2.2", "FACMON-FACILITY-MIB::"
                      "facElevatorTable", mibs=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("FACMON-FACILITY-MIB::facElevOperState.1 = INTEGER: "
                      "normal(1)", p.stdout)
        self.assertIn("FACMON-FACILITY-MIB::facElevName.1 = STRING: 2号电梯",
                      p.stdout)
        self.assertIn("facElevRunningHours.1 = Gauge32:", p.stdout)
        p = self.snmp("snmpbulkwalk", NET + ".3.4",
                      "FACMON-FACILITY-MIB::facApClients", mibs=True)
        self.assertEqual(len(re.findall(r"facApClients\.\d+ = Gauge32",
                                        p.stdout)), 4)
        p = self.snmp("snmpwalk", NET + ".4.10",
                      "FACMON-FACILITY-MIB::facTermTable", mibs=True)
        self.assertIn("facTermOnline.2 = INTEGER: online(1)", p.stdout)
        self.assertRegex(p.stdout, r"facTermLastHeartbeat\.1 = STRING: "
                         r"\d{4}-\d+-\d+,")
        # A silent terminal is offline at its gateway.
        self.ctl_ok("inject", "ts-2", "silent", "0")
        p = self.snmp("snmpget", NET + ".4.10",
                      "FACMON-FACILITY-MIB::facTermOnline.2", mibs=True)
        self.assertIn("offline(2)", p.stdout)

    def test_counter32_wrap(self):
        # Start 2 s of traffic below 2^32: the 32-bit counter wraps, the
        # 64-bit one does not, and the ground truth logs the wrap.
        self.start_sim(c32="4292967296.0")
        line = NET + ".1.1"
        seen = []

        def wrapped():
            p = self.snmp("snmpget", line, "1.3.6.1.2.1.2.2.1.10.1",
                          "1.3.6.1.2.1.31.1.1.1.6.1")
            v = [int(x) for x in re.findall(r"Counter(?:32|64): (\d+)",
                                            p.stdout)]
            seen.append(v)
            return len(seen) > 1 and seen[-1][0] < seen[-2][0]
        wait_for(wrapped, timeout=30, interval=0.5, what="32-bit wrap")
        self.assertGreater(seen[-1][1], seen[-2][1])
        self.assertGreater(seen[-2][0], 2 ** 31)
        self.assertTrue(any(t["event"] == "wrap" and t["device"] == "line"
                            for t in self.truth()))
        # The counter_wrap fault brings the next wrap within seconds.
        before = len([t for t in self.truth() if t["event"] == "wrap" and
                      t["device"] == "sw"])
        self.ctl_ok("inject", "sw", "counter_wrap")
        wait_for(lambda: len([t for t in self.truth()
                              if t["event"] == "wrap" and
                              t["device"] == "sw"]) > before, timeout=30,
                 what="wrap after counter_wrap")

    def test_wire_faults(self):
        self.start_sim()
        ups = NET + ".3.3"
        oid = "1.3.6.1.2.1.33.1.4.1.0"
        self.ctl_ok("inject", "ups", "snmp_error", "0", "5")
        p = self.snmp("snmpget", ups, oid)
        self.assertIn("genErr", p.stderr)
        self.ctl_ok("clear", "ups")
        self.ctl_ok("inject", "ups", "wrong_type", "0")
        p = self.snmp("snmpget", ups, oid)
        self.assertIn('STRING: "3"', p.stdout)
        self.ctl_ok("clear", "ups", "wrong_type")
        self.ctl_ok("inject", "ups", "garbage", "0")
        p = self.snmp("snmpget", ups, oid)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("INTEGER", p.stdout)
        self.ctl_ok("clear", "ups")
        self.ctl_ok("inject", "ups", "on_battery", "0")
        p = self.snmp("snmpget", ups, oid)
        self.assertIn("INTEGER: 5", p.stdout)
        # Silent: SNMP unanswered, TCP refused; back when cleared.
        ts = NET + ".4.1"
        s = socket.create_connection((ts, self.tcp_port), timeout=2)
        self.assertIn(b"ready", s.recv(100))
        s.close()
        self.ctl_ok("inject", "ts-1", "silent", "0")
        self.assertIn("Timeout", self.snmp("snmpget", ts,
                                           "1.3.6.1.2.1.1.3.0").stderr)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((ts, self.tcp_port), timeout=2)
        self.assertEqual(self.ctl_ok("clear", "ts-1"), "1\n")
        self.assertEqual(self.snmp("snmpget", ts,
                                   "1.3.6.1.2.1.1.3.0").returncode, 0)
        socket.create_connection((ts, self.tcp_port), timeout=2).close()
        # HTTP: health, the elevator platform, errors.
        web = "http://%s.5.1:%d" % (NET, self.http_port)
        st, _, body = http_status(web + "/api/health")
        self.assertEqual((st, json.loads(body)["status"]), (200, "ok"))
        self.ctl_ok("inject", "web", "http_error", "0", "500")
        self.assertEqual(http_status(web + "/api/health")[0], 500)
        plat = "http://%s.5.2:%d/api/elevators" % (NET, self.http_port)
        st, _, body = http_status(plat)
        self.assertEqual([e["id"] for e in json.loads(body)["elevators"]],
                         ["elev-1", "elev-2"])
        self.ctl_ok("inject", "elev-2", "elevator_fault", "0", "31")
        st, _, body = http_status(plat + "/elev-2")
        self.assertEqual((json.loads(body)["state"],
                          json.loads(body)["fault_code"]), ("fault", 31))
        self.assertEqual(http_status(plat + "/nope")[0], 404)
        # The load generator, bounded: every request answered.
        p = run([SIM, "load", "-n", "3000", "-w", "32", "-t", "20",
                 self.addr(NET + ".1.1"), self.addr(NET + ".3.4")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("answered 3000 bad 0 lost 0", p.stdout)


class SimTraps(SimCase):
    def test_notifications_reach_snmptrapd(self):
        if not os.path.exists("/usr/sbin/snmptrapd"):
            self.skipTest("snmptrapd not installed")
        self.start_sim()
        d = os.path.join(self.tmp, "trapd")
        os.makedirs(d)
        conf = os.path.join(d, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write("disableAuthorization yes\n")
        log = os.path.join(d, "traps.log")
        env = dict(os.environ, MIBS="ALL", MIBDIRS=MIBS,
                   SNMP_PERSISTENT_DIR=d)
        self.start(["/usr/sbin/snmptrapd", "-f", "-C", "-c", conf, "-Lf",
                    log, "-p", os.path.join(d, "pid"),
                    "udp:127.0.0.1:%d" % self.trap_port], "snmptrapd",
                   env=env)
        wait_for(lambda: os.path.exists(log) and
                 "NET-SNMP" in open(log).read(), timeout=15,
                 what="snmptrapd")
        self.ctl_ok("inject", "elev-1", "elevator_fault", "1s", "17")
        self.ctl_ok("inject", "led", "led_modules", "0", "1")
        self.ctl_ok("inject", "led", "led_signal", "0")
        self.ctl_ok("inject", "hvac", "hvac_alarm", "0")
        self.ctl_ok("inject", "ups", "on_battery", "0")
        # LED modules fail one by one, once a second, up to all five.
        wait_for(lambda: len([t for t in self.truth()
                              if t["event"] == "module_failed"]) == 5,
                 timeout=20, what="five LED modules failed")
        sent = [t for t in self.truth() if t["fault"] == "trap"]

        def received():
            return open(log).read().count("SNMPv2-SMI::snmpModules.1.1.4."
                                          "1.0 = OID:") >= len(sent)
        wait_for(received, timeout=15, what="every trap received")
        text = open(log).read()
        for name in ("facElevatorFault", "facElevatorInService",
                     "facLedSignalLost", "facHvacAlarm"):
            self.assertEqual(text.count("FACMON-FACILITY-MIB::" + name), 1,
                             name)
        self.assertEqual(text.count("FACMON-FACILITY-MIB::"
                                    "facLedModuleFailure"), 5)
        self.assertIn("facElevFaultCode.1 = Gauge32: 17", text)
        self.assertIn("facLedFailedModules.1 = Gauge32: 5", text)
        self.assertIn("mib-2.33.2.0.1", text)	# upsTrapOnBattery
        self.assertIn("[%s.2.1]" % NET, text)	# from the device itself


class SimFacmon(SimCase):
    """Scheduled faults, seen by facmon, against the ground truth."""

    FAULTS = """
  { device = "ups"; kind = "silent"; at = "3s"; duration = "4s"; },
  { device = "hvac"; kind = "snmp_error"; at = "3s"; duration = "4s"; },
  { device = "wlc"; kind = "slow"; at = "3s"; duration = "4s"; arg = 1500; },
  { device = "sw"; kind = "garbage"; at = "3s"; duration = "4s"; },
  { device = "web"; kind = "http_error"; at = "3s"; duration = "4s"; },
  { device = "elev-1"; kind = "elevator_fault"; at = "3s"; duration = "4s";
    arg = 12; },
  { device = "led"; kind = "led_signal"; at = "3s"; duration = "4s"; },
  { device = "ts-1"; kind = "reboot"; at = "3s"; duration = "4s"; }
"""
    # device -> (check, outcome while the fault lasts)
    EXPECT = {
        "ups": ("snmp", "timeout"),
        "hvac": ("snmp", "snmp_error"),
        "wlc": ("snmp", "timeout"),
        "sw": ("system", None),      # the switch-generic template's
        "web": ("http", "bad_status"),
        "elev-1": ("platform", "bad_content"),
        "led": ("signal", "bad_content"),
        "ts-1": ("snmp", "timeout"),
    }

    def test_scheduled_faults_seen_by_facmon(self):
        self.start_sim(faults=self.FAULTS)
        p = run([SIM, "agent-config", "-f", self.scenario])
        self.assertEqual(p.returncode, 0, p.stderr)
        # The generated devices, with 1 s checks for the test.
        devices = p.stdout.split("devices = (", 1)[1].rsplit(");", 1)[0]
        devices = re.sub(r"interval = \d+; timeout = 2;",
                         "interval = 1; timeout = 0.8;", devices)
        self.start_collector()
        self.start_agent(devices)
        for dev, (chk, _) in self.EXPECT.items():
            self.wait_check(dev, chk, "up", timeout=20)
        seen = {}
        for dev, (chk, outcome) in self.EXPECT.items():
            c = self.wait_check(dev, chk, "down", timeout=20)
            if outcome:
                self.assertEqual(c["outcome"], outcome, dev)
            seen[dev] = c
        for dev, (chk, _) in self.EXPECT.items():
            self.wait_check(dev, chk, "up", timeout=20)
        truth = self.truth()
        kinds = {"ups": "silent", "hvac": "snmp_error", "wlc": "slow",
                 "sw": "garbage", "web": "http_error",
                 "elev-1": "elevator_fault", "led": "led_signal",
                 "ts-1": "reboot"}
        for dev, kind in kinds.items():
            ev = [t for t in truth if t["device"] == dev and
                  t["fault"] == kind and t["event"] in ("start", "end")]
            self.assertEqual([t["event"] for t in ev], ["start", "end"], dev)
            start, end = ev[0]["t_ms"], ev[1]["t_ms"]
            # facmon's outage began with a probe inside the fault: after
            # the start (less the probe's own length) and before the end.
            down = seen[dev]["since_ms"]
            self.assertGreaterEqual(down, start - 1000, dev)
            self.assertLessEqual(down, end, dev)
            up = self.check(dev, self.EXPECT[dev][0])["since_ms"]
            self.assertGreaterEqual(up, end - 1000, dev)
        # A reboot restarts sysUpTime and the counters.
        self.assertTrue(any(t["device"] == "ts-1" and t["event"] == "booted"
                            for t in truth))


class SimErrors(SimCase):
    BAD = [
        ("devices = ( { id = \"a\"; address = \"127.0.0.5\"; colour = 1; } );",
         [":1: unknown setting 'colour'"]),
        ("devices = (\n { id = \"a\"; address = \"10.1.2.3\"; } );",
         [":2: address '10.1.2.3' is not in 127.0.0.0/8"]),
        ("devices = (\n { id = \"a\"; address = \"127.0.0.5\"; },\n"
         " { id = \"a\"; address = \"127.0.0.6\"; } );",
         [":3: device 'a' defined twice (first at line 2)"]),
        ("devices = ( { id = \"ap\"; count = 3; address = \"127.0.0.5\"; } );",
         [":1: with 'count', 'id' must hold one %d"]),
        ("devices = ( { id = \"u\"; class = \"ups\"; address = \"127.0.0.5\";"
         " } );\nfaults = (\n { device = \"u\"; kind = \"meltdown\";"
         " at = 1; duration = 2; },\n"
         " { device = \"x\"; kind = \"silent\"; at = 1; duration = 2; },\n"
         " { device = \"u\"; kind = \"elevator_fault\"; at = 1;"
         " duration = 2; },\n"
         " { device = \"u\"; kind = \"silent\"; at = 1; duration = 5;"
         " every = 2; } );",
         [":3: unknown fault kind 'meltdown'", ":4: no device 'x'",
          ":5: fault 'elevator_fault' does not apply to 'u': not an "
          "elevator", ":6: 'every' must be longer than 'duration'"]),
        ("sim: { snmp_port = 0; trap_receiver = \"192.0.2.1:162\"; };\n"
         "devices = ( { id = \"a\"; address = \"127.0.0.5\"; } );",
         [":1: 'snmp_port' must be between 1 and 65535",
          ":1: 'trap_receiver' must be a 127.x.y.z:port address"]),
        ("devices = ( { id = \"a\"; address = \"127.0.0.5\" } \n oops",
         [":2: syntax error"]),
        ("devices = (\n { id = \"a\"; address = \"127.0.0.5\"; parent = \"b\"; },\n"
         " { id = \"b\"; address = \"127.0.0.6\"; parent = \"a\"; },\n"
         " { id = \"c\"; address = \"127.0.0.7\"; parent = \"nope\"; } );",
         [":4: device 'c': no parent device 'nope'",
          ":2: device 'a': its parents lead back to it"]),
    ]

    def test_bad_scenarios_give_file_line_errors(self):
        for i, (text, errors) in enumerate(self.BAD):
            path = self.write("bad%d.conf" % i, text + "\n")
            p = run([SIM, "-n", "-f", path])
            self.assertEqual(p.returncode, 1, text)
            for e in errors:
                self.assertIn(path + e, p.stderr, text)
            self.assertEqual(len(p.stderr.strip().splitlines()), len(errors),
                             p.stderr)

    def test_bad_control_commands(self):
        self.start_sim()
        script = self.write("cmds", "\n".join([
            "# a comment, then commands",
            "inject led led_signal 0",
            "inject led meltdown",
            "inject nope silent",
            "",
            "inject hvac elevator_fault 10s",
            "inject hvac silent forever",
            "inject hvac silent 10s notanumber",
            "frobnicate",
            "clear led led_signal",
        ]) + "\n")
        p = self.ctl_run("-f", script)
        self.assertEqual(p.returncode, 1)
        err = p.stderr.splitlines()
        self.assertEqual(err, [
            script + ":3: unknown fault kind 'meltdown'",
            script + ":4: no device 'nope'",
            script + ":6: fault 'elevator_fault' does not apply to 'hvac' "
            "(model hvac): not an elevator",
            script + ":7: bad duration 'forever' (0 = until cleared, 30s, "
            "500ms, 2m)",
            script + ":8: bad argument 'notanumber'",
            script + ":9: unknown command 'frobnicate' (ping, devices, "
            "inject, clear, faults, history, stats)",
        ])
        # The good lines ran, in order, and nothing else happened.
        ev = [(t["device"], t["fault"], t["event"]) for t in self.truth()
              if t["device"] in ("led", "hvac", "nope")
              and t["fault"] != "trap"]
        self.assertEqual(ev, [("led", "led_signal", "start"),
                              ("led", "led_signal", "end")])
        p = self.ctl_run("inject", "led")
        self.assertEqual(p.returncode, 1)
        self.assertIn("usage: inject", p.stderr)
        p = run([SIM, "ctl", "-s", os.path.join(self.tmp, "none"), "ping"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot connect", p.stderr)
        self.assertTrue(self.sim.alive())


class SimDemo(FacmonTestCase):
    def test_demo_devices_are_generated_and_valid(self):
        p = run([SIM, "-n", "-f", "etc/demo/scenario.conf"], cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run([SIM, "agent-config", "-f", "etc/demo/scenario.conf"],
                cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(ROOT, "etc", "demo", "devices.conf"),
                  encoding="utf-8") as f:
            self.assertEqual(f.read(), p.stdout,
                             "etc/demo/devices.conf is stale: make "
                             "demo-config")
        self.assertIn('@include "devices.conf"',
                      open(os.path.join(ROOT, "etc", "demo",
                                        "agent.conf")).read())
        self.assertIsNotNone(shutil.which("snmpget"))
