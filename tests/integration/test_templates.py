# Device templates (etc/templates/) and SNMP table discovery, against
# snmpsim serving tests/data/snmprec/huawei-s5735.snmprec (a Huawei-style
# 48-port switch: ports admin down, ports down, GBK ifAlias, ifHighSpeed)
# and Debian snmpsim's own walk of a Cisco C3750: every port is named by
# its ifName, the filters keep what the template says and nothing else,
# utilisation comes from two polls, an admin-up port that is down is a
# finding and an unused port is not, and the rows follow the device when
# ports come and go -- each compared with what net-snmp's snmpwalk reads
# from the same recording.

import gzip
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (AGENT, COLLECTOR, ROOT, FacmonTestCase,  # noqa: E402
                    Proc, http_json, wait_for)

RECS = os.path.join(ROOT, "tests", "data", "snmprec")
TEMPLATES = os.path.join(ROOT, "etc", "templates")
IFX = "1.3.6.1.2.1.31.1.1.1"
IF = "1.3.6.1.2.1.2.2.1"

# The filters of the switch templates, written here from the template
# files' params as a person reads them.
HUAWEI_TYPES = {6, 117, 161}
HUAWEI_EXCLUDE = r"^(Vlanif|NULL|InLoopBack|MEth|Eth-Trunk[0-9]+\.)"
CISCO_TYPES = {6, 117, 161}
CISCO_EXCLUDE = r"^(Vl|Vlan|Nu|Null|Lo|Loopback|StackPort|StackSub)"


def label_name(label):
    """The value-name form of a label (common/util.c fm_label_name)."""
    out = []
    for b in label.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-/"):
            out.append(c)
        else:
            out.append("_%02x" % b)
    return "".join(out)


class Templates(FacmonTestCase):
    def walk(self, community, oid, hexed=False):
        """snmpwalk of one column: {index: printed value}."""
        p = subprocess.run(
            ["snmpwalk", "-v2c", "-c", community, "-On", "-Oq", "-Oe",
             "-t", "2", "-r", "1"] + (["-Ox"] if hexed else []) +
            ["127.0.0.1:%d" % self.snmpsim_port, oid],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, MIBS=""))
        out = {}
        for line in p.stdout.splitlines():
            if not line.startswith("." + oid + "."):
                continue
            k, _, v = line.partition(" ")
            v = v.strip()
            if v.startswith('"') and v.endswith('"'):
                v = v[1:-1]
            out[k[len(oid) + 2:]] = v
        return out

    def expected_rows(self, community, types, exclude, charset="utf-8"):
        """The rows a template with these filters must keep, from
        snmpwalk: {label: {oper, speed, alias, index}}."""
        names = self.walk(community, IFX + ".1")
        descr = self.walk(community, IF + ".2")
        admin = self.walk(community, IF + ".7")
        typ = self.walk(community, IF + ".3")
        oper = self.walk(community, IF + ".8")
        speed = self.walk(community, IFX + ".15")
        alias = self.walk(community, IFX + ".18", hexed=True)
        labels = {}
        for idx in self.walk(community, IF + ".1"):
            labels[idx] = names.get(idx) or descr.get(idx, "")
        counts = {}
        for lab in labels.values():
            counts[lab] = counts.get(lab, 0) + 1
        rows = {}
        for idx, lab in labels.items():
            if admin.get(idx) != "1" or int(typ.get(idx, 0)) not in types:
                continue
            if re.search(exclude, lab):
                continue
            name = label_name(lab)
            if counts[lab] > 1:
                name += "~" + idx
            a = alias.get(idx, "")
            try:
                a = bytes.fromhex(a.replace(" ", "")).decode(charset)
            except ValueError:
                pass	 # printed as text: no byte that needs hex
            rows[name] = {"label": lab, "oper": int(oper[idx]),
                          "speed": int(speed[idx]), "index": idx,
                          "alias": a}
        return rows

    def agent_huawei(self, interval=5):
        return self.start_agent("""
{ id = "sw1"; name = "办事大厅接入交换机"; address = "127.0.0.1";
  template = "switch-huawei"; charset = "GBK";
  params = { interval = %d; timeout = 2; }; }
""" % interval,
            top='defaults = { snmp = { community = "huawei"; port = %d; }; };'
            % self.snmpsim_port)

    def test_huawei_ports_by_name_filtered_with_findings(self):
        self.start_snmpsim({"huawei": os.path.join(
            RECS, "huawei-s5735.snmprec")})
        self.start_collector()
        self.agent_huawei()
        want = self.expected_rows("huawei", HUAWEI_TYPES, HUAWEI_EXCLUDE,
                                  "gbk")
        # 34 of 48 GigabitEthernet ports, 2 uplinks, 2 stacking ports.
        self.assertEqual(len(want), 38)
        c = self.wait_check(
            "sw1", "ports", "up", timeout=90,
            pred=lambda c: "XGigabitEthernet0/0/1.in_util" in c["values"])
        vals = c["values"]
        got = {k[:-len(".name")] for k in vals if k.endswith(".name")}
        self.assertEqual(got, set(want))
        # Nothing of a row the filters dropped is polled.
        for k in vals:
            self.assertIn(k.split(".", 1)[0], want, k)
        self.assertIn("Stack-Port~70", got)
        for name, w in want.items():
            self.assertEqual(vals[name + ".name"]["value"], w["label"])
            self.assertEqual(vals[name + ".ifOperStatus"]["value"],
                             w["oper"], name)
            self.assertEqual(vals[name + ".ifOperStatusText"]["value"],
                             {1: "up", 2: "down"}[w["oper"]])
            self.assertEqual(vals[name + ".ifHighSpeed"]["value"],
                             w["speed"])
            self.assertEqual(vals[name + ".down"]["value"],
                             0 if w["oper"] == 1 else 1, name)
            if w["alias"]:
                self.assertEqual(vals[name + ".alias"]["value"], w["alias"])
            else:
                self.assertNotIn(name + ".alias", vals)
        self.assertEqual(vals["GigabitEthernet0/0/1.alias"]["value"],
                         "办事大厅一楼")
        self.assertEqual(vals["XGigabitEthernet0/0/1.alias"]["value"],
                         "上联核心交换机")
        # The two admin-up ports that are down are the findings; the 14
        # ports an administrator turned off are not.
        self.assertIn("2 of 38 rows down: GigabitEthernet0/0/45, "
                      "GigabitEthernet0/0/46", c["message"])
        # Counters of still ports equal snmpwalk's.
        hc = self.walk("huawei", IFX + ".6")
        for name, w in want.items():
            if name not in ("GigabitEthernet0/0/1",
                            "XGigabitEthernet0/0/1"):
                self.assertEqual(vals[name + ".ifHCInOctets"]["raw"],
                                 int(hc[w["index"]]), name)
        # Utilisation: the rate the agent measured over the speed; the
        # recording moves GigabitEthernet0/0/1 at 12.5 MB/s in (10 % of
        # 1 Gbit/s) and the first uplink at 250 and 125 MB/s (20 and 10 %
        # of 10 Gbit/s).  A rate is taken over the probes' cadence while
        # snmpsim answers a column some way into the probe, so it is near
        # the recording's, not equal.
        for name, direction, pct in (
                ("GigabitEthernet0/0/1", "In", 10.0),
                ("GigabitEthernet0/0/1", "Out", 2.0),
                ("XGigabitEthernet0/0/1", "In", 20.0),
                ("XGigabitEthernet0/0/1", "Out", 10.0)):
            util = vals["%s.%s_util" % (name, direction.lower())]["value"]
            rate = vals["%s.ifHC%sOctets" % (name, direction)]["rate"]
            speed = vals[name + ".ifHighSpeed"]["value"]
            self.assertTrue(math.isclose(util, rate * 8 * 100 /
                                         (speed * 1e6), rel_tol=1e-9))
            self.assertTrue(math.isclose(util, pct, rel_tol=0.15),
                            (name, direction, util))
        self.assertEqual(vals["GigabitEthernet0/0/2.in_util"]["value"], 0)
        # The template's other check: the board's CPU, memory, heat.
        s = self.wait_check("sw1", "system", "up")
        self.assertEqual(s["values"]["hwEntityCpuUsage.67108873"]["value"],
                         23)
        self.assertEqual(s["values"]["hwEntityTemperature.67108873"]
                         ["value"], 38)
        self.assertEqual(s["values"]["sysName.0"]["value"], "S5735-hall1")

    def test_values_for_people_switch(self):
        """The device API gives each value of a templated switch its
        row's label and alias, its column, unit, enumeration word and
        scaled display as the agent described them (VALMETA), and marks
        the uplink important by its alias -- compared with snmpwalk of
        the recording."""
        self.start_snmpsim({"huawei": os.path.join(
            RECS, "huawei-s5735.snmprec")})
        self.start_collector()
        self.agent_huawei(interval=2)
        want = self.expected_rows("huawei", HUAWEI_TYPES, HUAWEI_EXCLUDE,
                                  "gbk")
        c = self.wait_check(
            "sw1", "ports", "up", timeout=90,
            pred=lambda c: "label" in c["values"].get(
                "XGigabitEthernet0/0/1.in_util", {}))
        vals = c["values"]
        for name, w in want.items():
            v = vals[name + ".ifOperStatus"]
            self.assertEqual(v["value"], w["oper"], name)
            self.assertEqual(v["column"], "ifOperStatus")
            self.assertEqual(v["label"], w["label"])
            self.assertEqual(v["alias"], w["alias"] or None)
            self.assertEqual(v["text"], {1: "up", 2: "down"}[w["oper"]])
            self.assertEqual(v["display"], v["text"])
            self.assertIsNone(v["unit"])
            v = vals[name + ".ifHighSpeed"]
            self.assertEqual(v["value"], w["speed"])
            self.assertEqual(v["unit"], "bit/s")
            self.assertEqual(v["scale"], 1e6)
            self.assertEqual(v["display"], {
                10000: "10 Gbit/s", 1000: "1 Gbit/s", 100: "100 Mbit/s"}
                .get(w["speed"], v["display"]), name)
            self.assertEqual(vals[name + ".down"]["text"],
                             "up" if w["oper"] == 1 else "down")
            self.assertEqual(vals[name + ".ifHCInOctets"]["unit"], "bit/s")
            self.assertEqual(vals[name + ".ifHCInOctets"]["scale"], 8)
            # The uplinks, by their alias or name, are the important rows.
            imp = bool(re.search("uplink|上联|trunk|core|核心",
                                 w["label"] + " " + w["alias"], re.I))
            for k in (".ifOperStatus", ".ifHighSpeed", ".name"):
                self.assertEqual(vals[name + k]["important"], imp,
                                 name + k)
        self.assertTrue(vals["XGigabitEthernet0/0/1.ifOperStatus"]
                        ["important"])
        self.assertFalse(vals["GigabitEthernet0/0/1.ifOperStatus"]
                         ["important"])
        u = vals["XGigabitEthernet0/0/1.in_util"]
        self.assertEqual(u["unit"], "%")
        self.assertEqual(u["column"], "in_util")
        self.assertEqual(u["display"], "%.3g %%" % u["value"])
        # The board: a column marked important, a unit spelt for people.
        s = self.wait_check("sw1", "system", "up",
                            pred=lambda c: "unit" in c["values"].get(
                                "hwEntityCpuUsage.67108873", {}))
        cpu = s["values"]["hwEntityCpuUsage.67108873"]
        self.assertEqual((cpu["value"], cpu["unit"], cpu["display"],
                          cpu["important"], cpu["column"]),
                         (23, "%", "23 %", True, "hwEntityCpuUsage"))
        t = s["values"]["hwEntityTemperature.67108873"]
        self.assertEqual((t["value"], t["unit"], t["display"]),
                         (38, "°C", "38 °C"))
        n = s["values"]["sysName.0"]
        self.assertEqual((n["text"], n["column"], n["important"]),
                         ("S5735-hall1", "sysName", False))
        self.assertIsNone(n["label"])
        # The list of devices says the same.
        devs = http_json(self.api + "/api/v1/devices")["devices"]
        sw = [d for d in devs if d["id"] == "sw1"][0]
        ports = [c for c in sw["checks"] if c["id"] == "ports"][0]
        self.assertEqual(ports["values"]["XGigabitEthernet0/0/1.ifOperStatus"]
                         ["label"], "XGigabitEthernet0/0/1")

    def test_values_for_people_ups(self):
        """The UPS template on battery: its values in words and units,
        compared with snmpwalk of the recording; a value without a
        description keeps exactly the fields it had."""
        self.start_snmpsim({"ups": os.path.join(RECS, "ups-battery.snmprec")})
        self.start_collector()
        port_http, _ = self.start_httpd()
        self.start_agent("""
{ id = "ups1"; name = "UPS"; address = "127.0.0.1";
  template = "ups-rfc1628"; params = { interval = 2; timeout = 1; };
  checks = ( { id = "web"; type = "http"; interval = 2; timeout = 1;
               url = "http://127.0.0.1:%d/ok"; } ); }
""" % port_http,
            top='defaults = { snmp = { community = "ups"; port = %d; }; };'
            % self.snmpsim_port)
        c = self.wait_check("ups1", "snmp", "up", timeout=60,
                            pred=lambda c: "text" in c["values"].get(
                                "upsOutputSource", {}))
        vals = c["values"]
        walked = self.walk("ups", "1.3.6.1.2.1.33.1.4.1")
        self.assertEqual(vals["upsOutputSource"]["value"], int(walked["0"]))
        self.assertEqual(vals["upsOutputSource"]["value"], 5)
        self.assertEqual(vals["upsOutputSource"]["text"], "battery")
        self.assertEqual(vals["upsOutputSource"]["display"], "battery")
        self.assertTrue(vals["upsOutputSource"]["important"])
        self.assertEqual(vals["upsBatteryStatus"]["text"], "batteryNormal")
        self.assertEqual(vals["upsEstimatedChargeRemaining"]["display"],
                         "71 %")
        self.assertTrue(vals["upsEstimatedChargeRemaining"]["important"])
        self.assertEqual(vals["upsInputVoltage"]["unit"], "V")
        self.assertEqual(vals["upsInputVoltage"]["display"], "%d V" % int(
            self.walk("ups", "1.3.6.1.2.1.33.1.3.3.1.3")["1"]))
        self.assertFalse(vals["upsInputVoltage"]["important"])
        self.assertEqual(vals["upsEstimatedMinutesRemaining"]["unit"], "min")
        self.assertEqual(vals["sysUpTime"]["unit"], "s")
        self.assertEqual(vals["upsOutputSourceText"]["text"], "battery")
        self.assertIsNone(vals["upsOutputSourceText"]["unit"])
        # A check the agent describes nothing of: today's fields only.
        w = self.wait_check("ups1", "web", "up")
        self.assertEqual(set(w["values"]["status"]), {"kind", "value"})
        self.assertEqual(w["values"]["status"]["value"], 200)
        # The description is not journaled: a restarted collector has
        # the values back from its journal, and the words once the agent
        # has connected again and described them anew.
        coll = [p for p in self.procs if p.argv[0] == COLLECTOR][0]
        coll.stop()
        self.procs.append(Proc([COLLECTOR, "-d", "-f", os.path.join(
            self.tmp, "collector.conf")], os.path.join(
                self.tmp, "collector2.log")))
        wait_for(lambda: http_json(self.api + "/api/v1/stats"), timeout=30,
                 what="collector restarted")
        c = self.wait_check("ups1", "snmp", "up", timeout=60,
                            pred=lambda c: c["values"].get(
                                "upsOutputSource", {}).get("text") ==
                            "battery")
        self.assertEqual(c["values"]["upsInputVoltage"]["unit"], "V")

    def test_rows_follow_the_device(self):
        """A port that goes stops being polled, one that comes appears,
        without waiting for the next scheduled discovery."""
        self.start_snmpsim({"huawei": os.path.join(
            RECS, "huawei-s5735.snmprec")})
        self.start_collector()
        agent = self.agent_huawei()
        self.wait_check("sw1", "ports", "up", timeout=60,
                        pred=lambda c: "GigabitEthernet0/0/48.name" in
                        c["values"])
        for p in self.procs:
            if "snmpsimd" in p.argv[0]:
                p.stop()
        self.start_snmpsim({"huawei": os.path.join(
            RECS, "huawei-s5735-changed.snmprec")})
        want = self.expected_rows("huawei", HUAWEI_TYPES, HUAWEI_EXCLUDE,
                                  "gbk")
        self.assertIn("XGigabitEthernet0/0/5", want)
        self.assertNotIn("GigabitEthernet0/0/48", want)
        c = self.wait_check(
            "sw1", "ports", "up", timeout=60,
            pred=lambda c: "XGigabitEthernet0/0/5.name" in c["values"] and
            "GigabitEthernet0/0/48.name" not in c["values"])
        got = {k[:-len(".name")] for k in c["values"]
               if k.endswith(".name")}
        self.assertEqual(got, set(want))
        self.assertEqual(c["values"]["XGigabitEthernet0/0/5.ifOperStatus"]
                         ["value"], 1)
        # The discovery changed the rows: the agent described them again,
        # the new port with its label and words.
        c = self.wait_check(
            "sw1", "ports", "up", timeout=60,
            pred=lambda c: "label" in c["values"][
                "XGigabitEthernet0/0/5.ifOperStatus"])
        v = c["values"]["XGigabitEthernet0/0/5.ifOperStatus"]
        self.assertEqual((v["label"], v["text"]),
                         (want["XGigabitEthernet0/0/5"]["label"], "up"))
        self.assertTrue(agent.alive())

    def test_cisco_c3750_shipped_recording(self):
        """Debian snmpsim's walk of a Cisco C3750 stack through the Cisco
        template, one short device entry with its own SNMP settings."""
        src = "/usr/share/doc/snmpsim/examples/data/cisco_16_switch." \
            "snmprec.gz"
        if not os.path.exists(src):
            self.skipTest("snmpsim's example recordings not installed")
        dst = os.path.join(self.tmp, "cisco.snmprec")
        with gzip.open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
        self.start_snmpsim({"cisco": dst})
        self.start_collector()
        self.start_agent("""
{ id = "c3750"; name = "Cisco 3750"; address = "127.0.0.1";
  template = "switch-cisco";
  snmp = { community = "cisco"; port = %d; };
  params = { interval = 5; timeout = 4; }; }
""" % self.snmpsim_port)
        want = self.expected_rows("cisco", CISCO_TYPES, CISCO_EXCLUDE)
        self.assertGreater(len(want), 10)
        c = self.wait_check("c3750", "ports", "up", timeout=60,
                            pred=lambda c: any(k.endswith(".name")
                                               for k in c["values"]))
        vals = c["values"]
        got = {k[:-len(".name")] for k in vals if k.endswith(".name")}
        self.assertEqual(got, set(want))
        down = sorted(n for n, w in want.items() if w["oper"] != 1)
        for name, w in want.items():
            self.assertEqual(vals[name + ".ifOperStatus"]["value"],
                             w["oper"])
            self.assertEqual(vals[name + ".down"]["value"],
                             int(w["oper"] != 1))
        if down:
            self.assertIn("%d of %d rows down" % (len(down), len(want)),
                          c["message"])
        print("c3750: %d ports kept by the template, %d down"
              % (len(want), len(down)))

    def test_config_errors_point_at_the_line(self):
        conf = self.write("bad.conf", """
agent: { id = "t"; collector = "127.0.0.1:1"; tls = false;
         templates = "%s"; };
devices = (
  { id = "a"; address = "127.0.0.1"; template = "no-such-switch"; },
  { id = "b"; address = "127.0.0.1"; template = "switch-huawei";
    params = { intervall = 5; }; },
  { id = "c"; address = "127.0.0.1"; template = "switch-huawei";
    params = { exclude = "(unclosed"; }; },
  { id = "d"; address = "127.0.0.1"; template = "switch-huawei";
    params = { important = "[上联"; }; }
);
""" % TEMPLATES)
        p = subprocess.run([AGENT, "-n", "-f", conf], capture_output=True,
                           text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("bad.conf:5: no template 'no-such-switch'", p.stderr)
        self.assertIn("bad.conf:7: template 'switch-huawei' has no "
                      "parameter 'intervall'", p.stderr)
        self.assertRegex(p.stderr, r"bad.conf:9: table: exclude "
                         r"'\(unclosed'")
        # The port table's important mark is a regular expression too.
        self.assertRegex(p.stderr, r"bad.conf:11: table: important "
                         r"'\[上联'")

    def test_every_template_parses(self):
        """Each shipped template, used by a device with only an address
        and credentials, is a valid configuration (facmon-agent -n)."""
        names = sorted(f[:-5] for f in os.listdir(TEMPLATES)
                       if f.endswith(".conf"))
        self.assertGreaterEqual(len(names), 9)
        devs = ",\n".join(
            '{ id = "d%d"; address = "127.0.0.%d"; template = "%s"; }'
            % (i, i + 1, n) for i, n in enumerate(names))
        conf = self.write("all.conf", """
agent: { id = "t"; collector = "127.0.0.1:1"; tls = false;
         templates = "%s"; };
defaults = { snmp = { community = "public"; version = "2c"; }; };
devices = (
%s
);
""" % (TEMPLATES, devs))
        p = subprocess.run([AGENT, "-n", "-f", conf], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        for n in names:
            with open(os.path.join(TEMPLATES, n + ".conf")) as f:
                head = f.read()
            self.assertRegex(head, r'template = \{ name = "%s"; '
                             r'description = "[^"]+";\s+match = \{ '
                             r'sysobjectid = \[' % re.escape(n))


if __name__ == "__main__":
    import unittest
    unittest.main()
