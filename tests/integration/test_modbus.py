# Modbus TCP checks against a server that is not ours (Debian's pymodbus)
# and against plain sockets that misbehave: every data type and byte
# order, scale, bits, exceptions, a gateway with several unit ids,
# timeouts, closed connections and malformed replies.  Values are read
# back through the collector's API.

import json
import os
import signal
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (PY, ROOT, FacmonTestCase, free_port,  # noqa: E402
                    http_json, wait_for)

MBSERVER = os.path.join(ROOT, "tests", "lib", "mbserver.py")


def have_pymodbus():
    try:
        import pymodbus  # noqa: F401
        return True
    except ImportError:
        return False


def regs32(fmt, value, order):
    """The two registers holding a 32-bit value stored in byte order
    'order' ("abcd" is big-endian; letter i is the value's byte i)."""
    b = struct.pack(">" + fmt, value)
    out = bytes(b[ord(c) - ord("a")] for c in order)
    return [out[0] << 8 | out[1], out[2] << 8 | out[3]]


# Register map of the main unit: name -> (table, address, raw registers
# or bit, the check's settings, the value the wall must show).
I16 = -300 & 0xFFFF
MAIN = [
    ("supply_temp", "hr", 0, [I16], 'type = "int16"; scale = 0.1;', -30.0),
    ("fan_rpm", "hr", 1, [65000], 'type = "uint16";', 65000.0),
    ("swapped", "hr", 2, [0x3412], 'order = "ba";', float(0x1234)),
    ("comp_fault", "hr", 3, [0b1010], "bit = 1;", 1.0),
    ("filter_alarm", "hr", 3, None, "bit = 2;", 0.0),
    ("energy", "hr", 10, regs32("i", -123456, "abcd"),
     'type = "int32";', -123456.0),
    ("runtime", "hr", 12, regs32("I", 3000000000, "cdab"),
     'type = "uint32"; order = "cdab";', 3000000000.0),
    ("return_temp", "hr", 14, regs32("f", 21.5, "abcd"),
     'type = "float32"; unit = "°C";', 21.5),
    ("offset", "hr", 16, regs32("f", -1.25, "cdab"),
     'type = "float32"; order = "cdab";', -1.25),
    ("power_kw", "hr", 18, regs32("f", 1234.5, "badc"),
     'type = "float32"; order = "badc";', 1234.5),
    ("counter", "hr", 20, regs32("i", 7654321, "dcba"),
     'type = "int32"; order = "dcba";', 7654321.0),
    ("humidity", "ir", 0, [2305], "scale = 0.01;", 23.05),
    ("voltage", "ir", 1, regs32("f", 230.5, "cdab"),
     'type = "float32"; order = "cdab";', 230.5),
    ("on_battery", "co", 0, [1], "", 1.0),
    ("bypass", "co", 1, [0], "", 0.0),
    ("alarm", "co", 2, [1], "scale = 1;", 1.0),
    ("door_open", "di", 5, [1], "", 1.0),
    ("smoke", "di", 6, [0], "", 0.0),
]
TABLES = {"hr": "holding", "ir": "input", "co": "coil", "di": "discrete"}


def main_spec():
    u = {"hr": {}, "ir": {}, "co": {}, "di": {}}
    for _, t, addr, raw, _, _ in MAIN:
        for i, v in enumerate(raw or []):
            u[t][str(addr + i)] = v
    return u


def reg_lines(entries):
    out = []
    for name, t, addr, _, extra, _ in entries:
        out.append('{ name = "%s"; table = "%s"; address = %d; %s }'
                   % (name, TABLES[t], addr, extra))
    return ",\n      ".join(out)


def mb_check(cid, regs, unit=1, extra="", interval=1, timeout=0.8):
    return ('{ id = "%s"; type = "modbus"; port = %%(port)d; unit = %d; '
            'interval = %g; timeout = %g; %s\n    registers = ( %s ); }'
            % (cid, unit, interval, timeout, extra, regs))


def device(dev_id, port, checks):
    body = ",\n  ".join(c % {"port": port} for c in checks)
    return ('{ id = "%s"; name = "%s"; class = "hvac"; group = "facility";'
            ' address = "127.0.0.1";\n  checks = ( %s ); }'
            % (dev_id, dev_id, body))


@unittest.skipUnless(have_pymodbus(), "python3-pymodbus not installed")
class Modbus(FacmonTestCase):
    def start_mb(self, name, port, spec=None, mode=None, delay=None):
        ports = port if isinstance(port, list) else [port]
        argv = [PY, MBSERVER]
        for p in ports:
            argv += ["--port", str(p)]
        if spec is not None:
            argv += ["--spec", self.write(name + ".json", json.dumps(spec))]
        else:
            argv += ["--mode", mode]
        if delay is not None:
            argv += ["--delay", str(delay)]
        proc = self.start(argv, name)

        def listening():
            for p in ports:
                with socket.create_connection(("127.0.0.1", p), 1.0):
                    pass
            return True
        wait_for(listening, what="%s listening" % name)
        return proc

    def values(self, dev_id, check_id):
        c = self.check(dev_id, check_id)
        return {k: v for k, v in c["values"].items()}

    def counter(self, dev_id, check_id, name):
        return self.check(dev_id, check_id)["values"][name]["raw"]

    def test_types_orders_scale_and_bits(self):
        port = free_port()
        self.start_mb("mb-main", port, spec={"units": {"1": main_spec()}})
        self.start_collector()
        self.start_agent(device("crac-1", port,
                                [mb_check("regs", reg_lines(MAIN))]))
        c = self.wait_check("crac-1", "regs", "up",
                            pred=lambda c: "door_open" in c["values"])
        self.assertEqual(c["type"], "modbus")
        self.assertEqual(c["outcome"], "ok")
        vals = c["values"]
        for name, _, _, _, _, want in MAIN:
            self.assertIn(name, vals, name)
            self.assertEqual(vals[name]["kind"], "gauge")
            self.assertAlmostEqual(vals[name]["value"], want, places=4,
                                   msg=name)
        self.assertIn("response_ms", vals)
        self.assertEqual(vals["modbus_malformed"]["raw"], 0)
        self.assertEqual(vals["modbus_exceptions"]["raw"], 0)

    def test_connection_kept_and_remade_after_server_restart(self):
        port = free_port()
        spec = {"units": {"1": main_spec()}}
        srv = self.start_mb("mb-a", port, spec=spec)
        self.start_collector()
        regs = reg_lines(MAIN[:2])
        self.start_agent(device("ups-1", port, [mb_check("regs", regs)]))
        first = self.wait_check("ups-1", "regs", "up")

        # Several probes over one connection.
        wait_for(lambda: self.check("ups-1", "regs")["last_ms"] >=
                 first["last_ms"] + 3000, what="four probes")
        self.assertEqual(self.counter("ups-1", "regs", "modbus_connects"), 1)

        # The server goes away and comes back: the agent's kept
        # connection is dead, and the next probes make a new one.
        srv.stop()
        self.start_mb("mb-b", port, spec=spec)
        wait_for(lambda: self.counter("ups-1", "regs",
                                      "modbus_connects") == 2,
                 what="one new connection")
        c = self.wait_check("ups-1", "regs", "up")
        self.assertAlmostEqual(c["values"]["supply_temp"]["value"], -30.0)

    def test_exceptions_up_unless_configured(self):
        port = free_port()
        self.start_mb("mb-exc", port, spec={"units": {"1": main_spec()}})
        self.start_collector()
        # Address 100 does not exist: exception 2 for that request only.
        missing = ('{ name = "missing"; address = 100; }')
        regs = reg_lines(MAIN[:1]) + ",\n      " + missing
        dev = device("crac-2", port, [
            mb_check("lenient", regs),
            mb_check("strict", missing, extra="exception_is_down = true;"),
        ])
        self.start_agent(dev)
        c = self.wait_check("crac-2", "lenient", "up",
                            pred=lambda c: c["message"])
        self.assertEqual(c["outcome"], "ok")
        self.assertIn("illegal data address", c["message"])
        self.assertIn("holding 100..100", c["message"])
        self.assertAlmostEqual(c["values"]["supply_temp"]["value"], -30.0)
        self.assertNotIn("missing", c["values"])
        self.assertGreaterEqual(c["values"]["modbus_exceptions"]["raw"], 1)

        s = self.wait_check("crac-2", "strict", "down")
        self.assertEqual(s["outcome"], "bad_status")
        self.assertIn("illegal data address", s["message"])

    def test_gateway_with_several_units(self):
        port = free_port()
        spec = {"units": {"1": {"hr": {"0": 11}},
                          "2": {"hr": {"0": 22}, "co": {"3": 1}}},
                "failing": [4], "gone": [3]}
        self.start_mb("mb-gw", port, spec=spec)
        self.start_collector()
        r0 = '{ name = "v"; address = 0; }'
        r2 = r0 + ', { name = "b"; table = "coil"; address = 3; }'
        self.start_agent(device("gw", port, [
            mb_check("u1", r0, unit=1),
            mb_check("u2", r2, unit=2),
            mb_check("u3", r0, unit=3),
            mb_check("u4", r0, unit=4),
        ]))
        u1 = self.wait_check("gw", "u1", "up")
        u2 = self.wait_check("gw", "u2", "up")
        self.assertEqual(u1["values"]["v"]["value"], 11)
        self.assertEqual(u2["values"]["v"]["value"], 22)
        self.assertEqual(u2["values"]["b"]["value"], 1)
        # Unit 3 behind the gateway is silent: the gateway says so
        # (exception 11), and the device is down.
        u3 = self.wait_check("gw", "u3", "down")
        self.assertEqual(u3["outcome"], "unreachable")
        self.assertIn("gateway target", u3["message"])
        self.assertIn("unit 3", u3["message"])
        # Unit 4 answers with exception 4: there, but not well.
        u4 = self.wait_check("gw", "u4", "up", pred=lambda c: c["message"])
        self.assertIn("server device failure", u4["message"])
        # Four checks of one gateway share one connection.
        wait_for(lambda: all((self.check("gw", c) or {"results": {
            "total": 0}})["results"]["total"] >= 3
            for c in ("u1", "u2", "u3", "u4")),
                 what="three rounds")
        total = sum(self.counter("gw", c, "modbus_connects")
                    for c in ("u1", "u2", "u3", "u4"))
        self.assertEqual(total, 1)

    def test_timeout_refused_and_closed(self):
        silent, closer, nothing = free_port(), free_port(), free_port()
        self.start_mb("mb-silent", silent, mode="silent")
        self.start_mb("mb-close", closer, mode="close")
        self.start_collector()
        r0 = '{ name = "v"; address = 0; }'
        self.start_agent(
            device("silent", silent, [mb_check("m", r0, timeout=0.5)]) +
            ",\n" + device("closer", closer, [mb_check("m", r0)]) +
            ",\n" + device("nothing", nothing, [mb_check("m", r0)]))
        s = self.wait_check("silent", "m", "down")
        self.assertEqual(s["outcome"], "timeout")
        self.assertIn("no answer within 500 ms", s["message"])
        c = self.wait_check("closer", "m", "down")
        self.assertEqual(c["outcome"], "io_error")
        self.assertIn("connection closed", c["message"])
        n = self.wait_check("nothing", "m", "down")
        self.assertEqual(n["outcome"], "refused")

    def test_malformed_replies_are_counted(self):
        garbage, badlen, good = free_port(), free_port(), free_port()
        self.start_mb("mb-garbage", garbage, mode="garbage")
        self.start_mb("mb-badlen", badlen, mode="badlen")
        self.start_mb("mb-good", good, spec={"units": {"1": main_spec()}})
        self.start_collector()
        r0 = '{ name = "v"; address = 0; }'
        agent = self.start_agent(
            device("garbage", garbage, [mb_check("m", r0)]) + ",\n" +
            device("badlen", badlen, [mb_check("m", r0)]) + ",\n" +
            device("good", good, [mb_check("m", reg_lines(MAIN[:1]))]))
        for dev in ("garbage", "badlen"):
            c = self.wait_check(dev, "m", "down",
                                pred=lambda c: c["values"].get(
                                    "modbus_malformed", {}).get("raw", 0)
                                >= 3)
            self.assertEqual(c["outcome"], "bad_content", dev)
            self.assertIn("malformed reply", c["message"])
            self.assertNotIn("v", c["values"])
        # The agent lives on and its other devices are polled.
        g = self.wait_check("good", "m", "up")
        self.assertAlmostEqual(g["values"]["supply_temp"]["value"], -30.0)
        self.assertTrue(agent.alive())

    def test_silent_devices_do_not_starve_the_others(self):
        # Each silent device holds a worker up to its deadline; more of
        # them than the pool starts with must not leave a slow but good
        # device waiting for a worker until too little time is left.
        silent = [free_port() for _ in range(10)]
        good = free_port()
        self.start_mb("mb-silent", silent, mode="silent")
        self.start_mb("mb-slow", good, mode="slow", delay=0.5)
        self.start_collector()
        r0 = '{ name = "v"; address = 0; }'
        devs = [device("s%d" % i, p, [mb_check("m", r0, interval=2,
                                                timeout=1.8)])
                for i, p in enumerate(silent)]
        devs.append(device("good", good, [mb_check("m", r0, interval=2,
                                                   timeout=1.8)]))
        agent = self.start_agent(",\n".join(devs))
        ids = ["s%d" % i for i in range(len(silent))] + ["good"]
        def rounds(d):
            c = self.check(d, "m")
            return c["results"]["total"] if c else 0
        wait_for(lambda: all(rounds(d) >= 5 for d in ids),
                 what="five rounds")
        g = self.check("good", "m")
        self.assertEqual(g["results"]["up"], g["results"]["total"], g)
        self.assertEqual(g["values"]["v"]["value"], 7)
        # Every silent device was asked each time and timed out; none
        # was left waiting for a worker ("internal", unknown).
        for d in ids[:-1]:
            c = self.check(d, "m")
            self.assertEqual(c["outcome"], "timeout", d)
            self.assertEqual(c["results"]["up"], 0, d)
            self.assertEqual(c["results"]["unknown"], 0, d)
        self.assertEqual(agent.stop(), 0)

    def test_shipped_ups_example_map(self):
        # The example map in etc/modbus, included as a user would, read
        # from a device laid out as the map says.
        port = free_port()
        ir = {0: 2301, 1: 5000, 2: 2299, 3: 123, 4: 45, 5: 2712, 6: 87,
              7: 34, 8: -5 & 0xFFFF}
        for i, v in enumerate(regs32("f", 12.5, "cdab")):
            ir[20 + i] = v
        for i, v in enumerate(regs32("I", 123456, "cdab")):
            ir[22 + i] = v
        di = {0: 1, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}
        spec = {"units": {"1": {
            "ir": {str(k): v for k, v in ir.items()},
            "di": {str(k): v for k, v in di.items()}}}}
        self.start_mb("mb-ups", port, spec=spec)
        self.start_collector()
        # libconfig resolves @include against the including file's
        # directory, even for an absolute path.
        path = os.path.relpath(
            os.path.join(ROOT, "etc", "modbus", "ups-example.conf"),
            self.tmp)
        check = ('{ id = "modbus"; type = "modbus"; port = %d; interval = 1;'
                 ' timeout = 0.8;\n  registers = (\n@include "%s"\n  ); }'
                 % (port, path))
        self.start_agent('{ id = "ups-1"; name = "1号UPS"; class = "ups";'
                         ' address = "127.0.0.1"; checks = ( %s ); }' % check)
        c = self.wait_check("ups-1", "modbus", "up",
                            pred=lambda c: "on_battery" in c["values"])
        want = {"input_voltage": 230.1, "input_frequency": 50.0,
                "output_voltage": 229.9, "output_current": 12.3,
                "load": 45, "battery_voltage": 271.2, "battery_charge": 87,
                "battery_runtime": 34, "battery_temp": -0.5,
                "output_power": 12.5, "output_energy": 123456,
                "on_battery": 1, "on_bypass": 0, "battery_low": 0,
                "overload": 0, "inverter_fault": 0, "battery_replace": 0,
                "fan_fault": 0}
        got = {k: v["value"] for k, v in c["values"].items()
               if v["kind"] == "gauge" and k != "response_ms"}
        self.assertEqual(set(got), set(want))
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=4, msg=k)
        self.assertEqual(c["message"], "")
        # The map's words: label and unit, the enum's word, and the
        # alarms as text values ("" while clear).
        text = {k: v["value"] for k, v in c["values"].items()
                if v["kind"] == "text"}
        self.assertEqual(text["input_voltage.text"],
                         "市电输入 230.1 V|Mains input 230.1 V")
        self.assertEqual(text["battery_temp.text"],
                         "电池温度 -0.5 °C|Battery temperature -0.5 °C")
        self.assertEqual(text["on_battery.text"], "供电 电池|Supply battery")
        self.assertEqual(text["alarm.on_battery"],
                         "UPS 电池供电|UPS on battery")
        self.assertEqual(text["alarm.overload"], "")
        self.assertEqual(text["fault.inverter_fault"], "")
        w = http_json(self.api + "/api/v1/wall")
        ups = [d for d in w["devices"] if d["id"] == "ups-1"][0]
        self.assertEqual([(x["code"], x["text"]) for x in ups["warnings"]],
                         [("modbus_alarm", "UPS 电池供电")])

    def test_reload_keeps_polling(self):
        # A reload frees the checks and builds new ones, some of them
        # on the connection the old ones shared, while probes may be in
        # flight.
        port = free_port()
        self.start_mb("mb-r", port, spec={"units": {"1": main_spec()}})
        self.start_collector()
        one = device("crac-r", port, [mb_check("a", reg_lines(MAIN[:1]))])
        agent = self.start_agent(one)
        first = self.wait_check("crac-r", "a", "up")
        two = device("crac-r", port, [
            mb_check("a", reg_lines(MAIN[:1])),
            mb_check("b", reg_lines(MAIN[5:7]))])
        with open(self.agent_conf, encoding="utf-8") as f:
            text = f.read()
        with open(self.agent_conf, "w", encoding="utf-8") as f:
            f.write(text.replace(one, two))
        agent.signal(signal.SIGHUP)
        b = self.wait_check("crac-r", "b", "up",
                            pred=lambda c: "runtime" in c["values"])
        self.assertEqual(b["values"]["runtime"]["value"], 3000000000)
        wait_for(lambda: self.check("crac-r", "a")["last_ms"] >
                 first["last_ms"] + 2000, what="a still polled")
        self.assertEqual(self.check("crac-r", "a")["state"], "up")
        self.assertIn("configuration reloaded", agent.output())
        self.assertEqual(agent.stop(), 0)

    def test_busy_and_illegal_function(self):
        busy, illfunc = free_port(), free_port()
        self.start_mb("mb-busy", busy, mode="busy")
        self.start_mb("mb-illfunc", illfunc, mode="illfunc")
        self.start_collector()
        r0 = '{ name = "v"; address = 0; }'
        self.start_agent(
            device("busy", busy, [
                mb_check("lenient", r0),
                mb_check("strict", r0, extra="exception_is_down = true;")])
            + ",\n" + device("illfunc", illfunc, [mb_check("m", r0)]))
        b = self.wait_check("busy", "lenient", "up",
                            pred=lambda c: c["message"])
        self.assertEqual(b["outcome"], "ok")
        self.assertIn("server device busy (exception 6)", b["message"])
        self.assertNotIn("v", b["values"])
        s = self.wait_check("busy", "strict", "down")
        self.assertEqual(s["outcome"], "bad_status")
        self.assertIn("server device busy", s["message"])
        f = self.wait_check("illfunc", "m", "up", pred=lambda c: c["message"])
        self.assertIn("illegal function (exception 1)", f["message"])
        self.assertEqual(f["values"]["modbus_malformed"]["raw"], 0)
