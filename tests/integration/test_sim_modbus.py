# facmon-sim's Modbus TCP server against a client that is not ours
# (Debian's python3-pymodbus) and against raw sockets: every table of the
# HVAC, UPS and power meter maps, a gateway with several unit ids,
# exceptions 1, 2, 3, 4, 10 and 11, the scenario faults (compressor
# fault, on battery, overload) in the registers and the ground-truth
# log, slow and garbled answers, and the bounds on connections.

import json
import os
import re
import socket
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (ROOT, SIM, FacmonTestCase, free_port,  # noqa: E402
                    http_json, wait_for)

NET = "127.%d" % (60 + (os.getpid() + 77) % 150)

SCENARIO = """
sim: { snmp_port = %(snmp)d; http_port = %(http)d; modbus_port = %(mb)d;
       control = "%(ctl)s"; truth_log = "%(log)s"; seed = 5; };
devices = (
  { id = "hvac"; name = "1号空调机组"; class = "hvac";
    address = "%(net)s.7.1"; modbus = true; setpoint = 22.0; },
  { id = "ups"; name = "1号UPS"; class = "ups"; address = "%(net)s.7.2";
    modbus = true; unit = 3; },
  { id = "pm-gw"; class = "gateway"; address = "%(net)s.7.3";
    modbus = true; unit = 100; },
  { id = "meter-%%d"; count = 3; class = "other"; model = "power-meter";
    address = "%(net)s.7.10"; modbus_gateway = "pm-gw"; unit = 1; },
  { id = "plain"; class = "switch"; address = "%(net)s.7.20"; }
);
faults = ( %(faults)s );
"""


def have_pymodbus():
    try:
        import pymodbus  # noqa: F401
        return True
    except ImportError:
        return False


def f32(hi, lo):
    return struct.unpack(">f", struct.pack(">HH", hi, lo))[0]


def s16(v):
    return v - 65536 if v >= 32768 else v


class SimBase(FacmonTestCase):
    FAULTS = ""

    def setUp(self):
        super().setUp()
        self.mb_port = free_port()
        self.ctl = os.path.join(self.tmp, "sim.sock")
        self.truth_log = os.path.join(self.tmp, "truth.log")
        conf = self.write("scenario.conf", SCENARIO % {
            "snmp": free_port(), "http": free_port(), "mb": self.mb_port,
            "ctl": self.ctl, "log": self.truth_log, "net": NET,
            "faults": self.FAULTS})
        self.scenario = conf
        self.start([SIM, "-d", "-f", conf], "sim")

        def up():
            with socket.create_connection((NET + ".7.1", self.mb_port), 1):
                return True
        wait_for(up, timeout=15, what="facmon-sim modbus listener")

    def ctl_ok(self, *args):
        import subprocess
        r = subprocess.run([SIM, "ctl", "-s", self.ctl] + list(args),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def client(self, host, timeout=3):
        from pymodbus.client import ModbusTcpClient
        c = ModbusTcpClient(host, port=self.mb_port, timeout=timeout,
                            retries=0)
        self.assertTrue(c.connect())
        self.addCleanup(c.close)
        return c

    def truth(self):
        with open(self.truth_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def assertExc(self, r, code):
        self.assertTrue(r.isError(), r)
        self.assertEqual(r.exception_code, code, r)


@unittest.skipUnless(have_pymodbus(), "python3-pymodbus not installed")
class SimModbus(SimBase):

    def test_hvac_registers_and_compressor_fault(self):
        c = self.client(NET + ".7.1")
        r = c.read_input_registers(0, count=4, slave=1)
        self.assertFalse(r.isError(), r)
        supply, ret, hum, fan = r.registers
        self.assertTrue(100 < s16(supply) < 400, supply)
        self.assertTrue(100 < s16(ret) < 400, ret)
        self.assertEqual(fan, 80)
        self.assertTrue(200 <= hum <= 900, hum)
        r = c.read_input_registers(10, count=2, slave=1)
        hours = r.registers[0] << 16 | r.registers[1]
        self.assertTrue(12000 <= hours <= 20000, hours)
        r = c.read_holding_registers(0, count=3, slave=1)
        self.assertEqual(r.registers[0], 220)      # setpoint 22.0
        r = c.read_holding_registers(10, count=3, slave=1)
        status, alarms, code = r.registers
        self.assertEqual(status & 3, 3)            # on, cooling
        self.assertEqual(alarms & 1, 0)
        self.assertEqual(code, 0)
        # A table or address the unit does not have: exception 2.
        self.assertExc(c.read_holding_registers(3, count=1, slave=1), 2)
        self.assertExc(c.read_holding_registers(0, count=11, slave=1), 2)
        self.assertExc(c.read_coils(0, count=1, slave=1), 2)
        # Too many registers in one request: exception 3.
        self.assertExc(c.read_input_registers(0, count=126, slave=1), 3)

        self.ctl_ok("inject", "hvac", "compressor_fault", "0", "105")
        r = c.read_holding_registers(10, count=3, slave=1)
        status, alarms, code = r.registers
        self.assertEqual(status & 3, 1)            # on, not cooling
        self.assertEqual(alarms & 1, 1)            # compressor fault
        self.assertEqual(code, 105)
        self.ctl_ok("clear", "hvac", "compressor_fault")
        r = c.read_holding_registers(10, count=3, slave=1)
        self.assertEqual(r.registers[1] & 1, 0)
        self.assertEqual(r.registers[2], 0)
        events = [(t["device"], t["fault"], t["event"], t["arg"])
                  for t in self.truth()]
        self.assertIn(("hvac", "compressor_fault", "start", 105), events)
        self.assertIn(("hvac", "compressor_fault", "end", 105), events)

    def test_ups_on_battery_and_overload(self):
        c = self.client(NET + ".7.2")
        r = c.read_input_registers(0, count=9, slave=3)
        self.assertFalse(r.isError(), r)
        self.assertEqual(r.registers[0], 2200)     # 220.0 V in
        self.assertEqual(r.registers[1], 5000)     # 50.00 Hz
        self.assertTrue(25 <= r.registers[4] <= 45, r.registers)
        load = r.registers[4]
        r = c.read_input_registers(20, count=4, slave=3)
        # Low word first ("cdab"), as etc/modbus/ups-example.conf says.
        kw = f32(r.registers[1], r.registers[0])
        self.assertAlmostEqual(kw, 18.0 * load / 100, delta=18.0 * 2 / 100)
        r = c.read_discrete_inputs(0, count=7, slave=3)
        self.assertEqual(r.bits[:7], [False] * 7)
        # The unit id is checked: another one is no path.
        self.assertExc(c.read_input_registers(0, count=1, slave=9), 10)

        self.ctl_ok("inject", "ups", "on_battery", "0")
        self.ctl_ok("inject", "ups", "overload", "0", "120")
        r = c.read_input_registers(0, count=5, slave=3)
        self.assertEqual(r.registers[0], 0)
        self.assertEqual(r.registers[1], 0)
        self.assertEqual(r.registers[4], 120)
        r = c.read_discrete_inputs(0, count=4, slave=3)
        self.assertEqual(r.bits[:4], [True, False, False, True])
        self.ctl_ok("clear", "ups")
        r = c.read_discrete_inputs(0, count=4, slave=3)
        self.assertEqual(r.bits[:4], [False, False, False, False])
        r = c.read_input_registers(0, count=1, slave=3)
        self.assertEqual(r.registers[0], 2200)
        faults = {t["fault"] for t in self.truth() if t["device"] == "ups"}
        self.assertTrue({"on_battery", "overload"} <= faults, faults)

    def test_gateway_units_and_gateway_exceptions(self):
        c = self.client(NET + ".7.3")
        for unit in (1, 2, 3):
            r = c.read_input_registers(0, count=12, slave=unit)
            self.assertFalse(r.isError(), (unit, r))
            v = f32(r.registers[0], r.registers[1])
            self.assertTrue(215 <= v <= 225, v)
            a = f32(r.registers[2], r.registers[3])
            self.assertTrue(30 <= a <= 50, a)
        r = c.read_holding_registers(0, count=1, slave=2)
        self.assertEqual(r.registers, [63])
        # Nobody has unit 7 behind the gateway: path unavailable (10).
        self.assertExc(c.read_input_registers(0, count=1, slave=7), 10)
        # The gateway's own unit has no registers: illegal address.
        self.assertExc(c.read_input_registers(0, count=1, slave=100), 2)
        # A silent meter behind it: target failed to respond (11); the
        # others still answer.
        self.ctl_ok("inject", "meter-2", "silent", "0")
        self.assertExc(c.read_input_registers(0, count=2, slave=2), 11)
        self.assertFalse(c.read_input_registers(0, count=2,
                                                slave=3).isError())
        self.ctl_ok("clear", "meter-2")
        self.assertFalse(c.read_input_registers(0, count=2,
                                                slave=2).isError())
        # Overload of one meter: its current and its alarm bit.
        self.ctl_ok("inject", "meter-1", "overload", "0", "130")
        r = c.read_input_registers(2, count=2, slave=1)
        self.assertAlmostEqual(f32(*r.registers), 63 * 1.3, delta=0.01)
        self.assertEqual(c.read_discrete_inputs(0, count=1,
                                                slave=1).bits[0], True)
        self.assertEqual(c.read_discrete_inputs(0, count=1,
                                                slave=3).bits[0], False)

    def test_exception_fault_and_illegal_function(self):
        c = self.client(NET + ".7.1")
        self.assertExc(c.write_register(0, 5, slave=1), 1)
        self.ctl_ok("inject", "hvac", "modbus_exception", "0")
        self.assertExc(c.read_input_registers(0, count=1, slave=1), 4)
        self.ctl_ok("inject", "hvac", "modbus_exception", "0", "6")
        self.assertExc(c.read_input_registers(0, count=1, slave=1), 6)
        self.ctl_ok("clear", "hvac", "modbus_exception")
        self.assertFalse(c.read_input_registers(0, count=1,
                                                slave=1).isError())
        # A device without Modbus cannot take the fault.
        import subprocess
        r = subprocess.run([SIM, "ctl", "-s", self.ctl, "inject", "plain",
                            "modbus_exception", "0"], capture_output=True,
                           text=True, timeout=30)
        self.assertIn("has no Modbus", r.stdout + r.stderr)

    def raw(self, host):
        s = socket.create_connection((host, self.mb_port), 3)
        self.addCleanup(s.close)
        return s

    def recv_frame(self, s):
        hdr = b""
        while len(hdr) < 7:
            b = s.recv(7 - len(hdr))
            if not b:
                return None
            hdr += b
        n = struct.unpack(">H", hdr[4:6])[0] - 1
        body = b""
        while len(body) < n:
            b = s.recv(n - len(body))
            if not b:
                return None
            body += b
        return hdr + body

    def test_garbage_slow_and_silent(self):
        host = NET + ".7.1"
        req = struct.pack(">HHHBBHH", 9, 0, 6, 1, 4, 0, 4)
        s = self.raw(host)
        s.sendall(req)
        f = self.recv_frame(s)
        self.assertEqual(f[7], 4)
        self.assertEqual(f[8], 8)                  # 4 registers
        self.assertEqual(len(f), 9 + 8)
        # Garbage: a byte count that does not match the request.
        self.ctl_ok("inject", "hvac", "garbage", "0")
        s.sendall(req)
        f = self.recv_frame(s)
        self.assertEqual(f[8], 7)
        self.ctl_ok("clear", "hvac", "garbage")
        # Slow: no answer within the client's patience, then the answer.
        self.ctl_ok("inject", "hvac", "slow", "0", "2500")
        s.settimeout(0.3)
        s.sendall(req)
        with self.assertRaises(socket.timeout):
            s.recv(1)
        s.settimeout(10)
        f = self.recv_frame(s)
        self.assertEqual(struct.unpack(">H", f[:2])[0], 9)
        self.ctl_ok("clear", "hvac", "slow")
        # Silent on its own address: requests go unanswered.
        self.ctl_ok("inject", "hvac", "silent", "0")
        s.settimeout(0.5)
        s.sendall(req)
        with self.assertRaises(socket.timeout):
            s.recv(1)
        self.ctl_ok("clear", "hvac", "silent")

    def test_bad_frames_and_connection_bounds(self):
        host = NET + ".7.2"
        # A protocol id other than 0 is not Modbus TCP: closed.
        s = self.raw(host)
        s.sendall(struct.pack(">HHHBBHH", 1, 7, 6, 3, 4, 0, 1))
        s.settimeout(10)
        self.assertEqual(s.recv(10), b"")
        # A frame begun and never finished: closed after a while.
        s = self.raw(host)
        s.sendall(b"\x00\x01\x00")
        s.settimeout(15)
        self.assertEqual(s.recv(10), b"")
        # A client that sends and never reads: closed once the answers
        # waiting for it pass a bound (the kernel's buffers first).
        s = self.raw(host)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        burst = struct.pack(">HHHBBHH", 5, 0, 6, 3, 4, 0, 9) * 4096
        s.settimeout(10)
        closed = False
        for _ in range(400):
            try:
                s.sendall(burst)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        self.assertTrue(closed, "a client that never reads was kept")
        # A request with a wrong length for its function: exception 3.
        s = self.raw(host)
        s.sendall(struct.pack(">HHHBBHHB", 2, 0, 7, 3, 4, 0, 1, 0))
        s.settimeout(5)
        f = self.recv_frame(s)
        self.assertEqual((f[7], f[8]), (0x84, 3))
        # At most 32 connections to one listener; the next is closed.
        conns = [self.raw(host) for _ in range(31)]
        extra = self.raw(host)
        extra.settimeout(10)
        try:
            self.assertEqual(extra.recv(10), b"")
        except ConnectionResetError:
            pass
        req = struct.pack(">HHHBBHH", 3, 0, 6, 3, 4, 4, 1)
        conns[-1].sendall(req)
        conns[-1].settimeout(5)
        self.assertEqual(self.recv_frame(conns[-1])[7], 4)
        for c in conns:
            c.close()
        s.close()

        def reusable():
            t = socket.create_connection((host, self.mb_port), 2)
            t.settimeout(3)
            t.sendall(req)
            ok = self.recv_frame(t) is not None
            t.close()
            return ok
        wait_for(reusable, timeout=10, what="connections freed")
        out = self.ctl_ok("stats")
        self.assertIn("modbus_bad_frames 2", out)



class SimModbusFacmon(SimBase):
    """The agent polls the simulator over Modbus with the shipped maps, as
    'facmon-sim agent-config' writes the checks; the collector's API
    shows the decoded values, the faults in the maps' words as warnings
    (the devices stay up), and the recovery."""

    # The compressor fails 5 s in, for 8 s, and again every 25 s: a
    # scheduled fault of the scenario, seen whenever the test looks.
    FAULTS = ('{ device = "hvac"; kind = "compressor_fault"; at = "5s"; '
              'duration = "8s"; every = "25s"; arg = 105; }')

    def start_facmon(self):
        mapdir = os.path.relpath(os.path.join(ROOT, "etc", "modbus"),
                                 self.tmp)
        devs = subprocess.run([SIM, "agent-config", "-M", mapdir, "-f",
                               self.scenario], capture_output=True,
                              text=True, timeout=30, check=True).stdout
        self.assertIn('@include "%s/crac-example.conf"' % mapdir, devs)
        devs = devs[devs.index("devices = (") + len("devices = ("):
                    devs.rindex(");")]
        devs = re.sub(r"interval = \d+;", "interval = 1;", devs)
        devs = re.sub(r"timeout = \d+;", "timeout = 0.8;", devs)
        self.start_collector()
        self.start_agent(devs)

    def wall(self, dev):
        for d in http_json(self.api + "/api/v1/wall")["devices"]:
            if d["id"] == dev:
                return d
        return None

    def warnings(self, dev):
        """The device's warnings as the status wall gets them."""
        return [(w["code"], w["text"], w["text_en"])
                for w in (self.wall(dev) or {}).get("warnings", [])]

    def test_faults_in_words_and_recovery(self):
        self.start_facmon()
        # Decoded, scaled and said in words.
        c = self.wait_check("hvac", "modbus", "up", pred=lambda c:
                            "supply_air_temp.text" in c["values"])
        v = c["values"]
        t = v["supply_air_temp"]["value"]
        self.assertTrue(10 < t < 40, t)
        self.assertTrue(v["supply_air_temp.text"]["value"].startswith(
            "送风温度 "), v["supply_air_temp.text"])
        self.assertTrue(v["supply_air_temp.text"]["value"].endswith(
            " °C|Supply air %s °C" % v["supply_air_temp.text"]["value"]
            .split(" ")[1]), v["supply_air_temp.text"])
        self.assertEqual(v["temp_setpoint"]["value"], 22.0)
        self.assertEqual(v["run_mode.text"]["value"], "运行模式 制冷|Mode cooling")

        # The scheduled compressor fault: a warning in words, still up.
        fault = ("modbus_fault", "压缩机故障", "compressor fault")
        wait_for(lambda: fault in self.warnings("hvac"), timeout=40,
                 what="compressor fault on the wall")
        self.assertEqual(self.wall("hvac")["state"], "up")
        c = self.check("hvac", "modbus")
        self.assertEqual(c["values"]["alarm_compressor_fault"]["value"], 1)
        self.assertEqual(c["values"]["fault.alarm_compressor_fault"]["value"],
                         "压缩机故障|compressor fault")
        wait_for(lambda: self.check("hvac", "modbus")["values"]
                 ["fault_code"]["value"] == 105, timeout=10,
                 what="fault code 105")
        # And its end, as the ground truth says it ended.
        wait_for(lambda: fault not in self.warnings("hvac"), timeout=30,
                 what="compressor fault cleared")
        self.assertEqual(self.check("hvac", "modbus")["values"]
                         ["fault.alarm_compressor_fault"]["value"], "")
        ev = [(t["fault"], t["event"]) for t in self.truth()
              if t["device"] == "hvac"]
        self.assertIn(("compressor_fault", "start"), ev)
        self.assertIn(("compressor_fault", "end"), ev)

        # The UPS on battery: "UPS 电池供电", the supply in words.
        self.wait_check("ups", "modbus", "up")
        self.ctl_ok("inject", "ups", "on_battery", "0")
        batt = ("modbus_alarm", "UPS 电池供电", "UPS on battery")
        wait_for(lambda: batt in self.warnings("ups"), timeout=20,
                 what="UPS on battery on the wall")
        c = self.check("ups", "modbus")
        self.assertEqual(c["values"]["on_battery.text"]["value"],
                         "供电 电池|Supply battery")
        self.assertEqual(c["values"]["input_voltage"]["value"], 0)
        self.assertEqual(self.wall("ups")["state"], "up")
        self.ctl_ok("clear", "ups")
        wait_for(lambda: self.warnings("ups") == [], timeout=20,
                 what="UPS back on mains")
        self.assertEqual(self.check("ups", "modbus")["values"]
                         ["input_voltage"]["value"], 220.0)

    def test_exceptions_and_gateway(self):
        self.start_facmon()
        for m in ("meter-1", "meter-2", "meter-3"):
            c = self.wait_check(m, "modbus", "up", pred=lambda c:
                                "voltage" in c["values"])
            self.assertTrue(215 <= c["values"]["voltage"]["value"] <= 225)
        # An exception: the device answered, so it is not down; the
        # message names the exception.
        self.ctl_ok("inject", "ups", "modbus_exception", "0", "6")
        c = self.wait_check("ups", "modbus", "up", pred=lambda c:
                            "busy" in (c.get("message") or ""))
        self.assertEqual(self.device("ups")["state"], "up")
        self.ctl_ok("clear", "ups")
        self.wait_check("ups", "modbus", "up", pred=lambda c:
                        not c.get("message"))
        # A meter behind the gateway goes silent: the gateway answers
        # exception 11 and that meter is unreachable, the others not.
        self.ctl_ok("inject", "meter-2", "silent", "0")
        c = self.wait_check("meter-2", "modbus", "down")
        self.assertIn("exception 11", c.get("message") or "")
        self.assertEqual(self.check("meter-1", "modbus")["state"], "up")
        self.ctl_ok("inject", "meter-3", "overload", "0", "120")
        over = ("modbus_alarm", "电表过载（电流超过额定值）",
                "meter overload (current above rating)")
        wait_for(lambda: over in self.warnings("meter-3"), timeout=20,
                 what="meter overload")
        self.ctl_ok("clear", "all")
        self.wait_check("meter-2", "modbus", "up")
        wait_for(lambda: self.warnings("meter-3") == [], timeout=20,
                 what="overload cleared")


if __name__ == "__main__":
    unittest.main()
