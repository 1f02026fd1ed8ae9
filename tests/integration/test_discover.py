# facmon-agent discover against real devices' recordings served by
# snmpsim: Debian's shipped walk of a Cisco C3750 and the recordings in
# tests/data/snmprec/ (a UPS on mains, on battery and with its battery
# low; an H3C-style switch; a Linux host that just restarted).  The
# template chosen, the ports and their labels compared with snmpwalk of
# the same recording, the UPS state in words, GBK text, SNMPv3 engine-ID
# discovery, an address that does not answer beside ones that do, and the
# printed block accepted by facmon-agent -n (and polled by the agent).

import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import AGENT, ROOT, FacmonTestCase  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "snmprec")
TEMPLATES = os.path.join(ROOT, "tests", "data", "templates")

# RFC 2863's ifOperStatus and ifAdminStatus, written here from the RFC.
IF_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant",
             6: "notPresent", 7: "lowerLayerDown"}
IFX = "1.3.6.1.2.1.31.1.1.1."
IFT = "1.3.6.1.2.1.2.2.1."

PORT_LINE = re.compile(r'^  #   port (\d+): (.*) \| "((?:[^"\\]|\\.)*)" \| '
                       r'(.*) \| (\w+) \| (\w+)$')


def ports_of(out):
    """The port lines of discover's output: ifIndex -> (name, alias,
    speed, oper, admin)."""
    got = {}
    for line in out.splitlines():
        m = PORT_LINE.match(line)
        if m:
            got[m.group(1)] = m.groups()[1:]
    return got


def blocks(out):
    """The device ids of discover's output, in order."""
    return re.findall(r'^\{ id = "([^"]+)";', out, re.M)


class Discover(FacmonTestCase):
    def shipped(self, name):
        """One of the recordings Debian's snmpsim ships, uncompressed."""
        src = "/usr/share/doc/snmpsim/examples/data/%s.snmprec.gz" % name
        if not os.path.exists(src):
            self.skipTest("snmpsim's example recordings not installed")
        dst = os.path.join(self.tmp, name + ".snmprec")
        with gzip.open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
        return dst

    def serve(self, extra=()):
        recs = {n[:-len(".snmprec")]: os.path.join(DATA, n)
                for n in os.listdir(DATA) if n.endswith(".snmprec")}
        recs["cisco"] = self.shipped("cisco_16_switch")
        self.start_snmpsim(recs, extra=extra)

    def discover(self, *args, templates=TEMPLATES, rc=0):
        argv = [AGENT, "discover"]
        if templates is not None:
            argv += ["-T", templates]
        argv += ["-p", str(self.snmpsim_port)] + list(args)
        p = subprocess.run(argv, capture_output=True, timeout=300)
        out = p.stdout.decode("utf-8")
        err = p.stderr.decode("utf-8")
        self.assertEqual(p.returncode, rc, "stdout:\n%s\nstderr:\n%s"
                         % (out, err))
        return out, err

    def accepted(self, *outs):
        """facmon-agent -n accepts the printed blocks as its devices."""
        conf = self.write("discovered.conf", """
agent: { id = "t"; collector = "127.0.0.1:5640"; tls = false;
         mibdirs = ""; spool_dir = "%s"; templates = "%s"; };
devices = (
%s
);
""" % (os.path.join(self.tmp, "spool"),
       os.path.join(ROOT, "etc", "templates"), ",\n".join(outs)))
        p = subprocess.run([AGENT, "-n", "-f", conf], capture_output=True,
                           text=True, timeout=60)
        n = sum(len(blocks(o)) for o in outs)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration OK: %d devices" % n, p.stdout)

    def walked_ports(self, community):
        """ifIndex -> what discover should print, from snmpwalk."""
        def col(base, n):
            return {k[len(base) + len(str(n)) + 1:]: v
                    for k, v in self.snmpwalk(community, base + str(n))
                    .items()}
        descr, name, alias = col(IFT, 2), col(IFX, 1), col(IFX, 18)
        speed, high = col(IFT, 5), col(IFX, 15)
        oper, admin = col(IFT, 8), col(IFT, 7)
        want = {}
        for idx in descr:
            label = name.get(idx, '""')
            if label == '""':
                label = descr[idx]
            text = alias.get(idx, '""')[1:-1]
            octets = text.strip().split(" ")
            if text and all(re.fullmatch(r"[0-9A-F]{2}", o)
                            for o in octets) and text.endswith(" "):
                text = "0x" + "".join(octets).lower()
            h, s = int(high.get(idx, 0)), int(speed.get(idx, 0))
            if h:
                sp = "%d Gbit/s" % (h // 1000) if h % 1000 == 0 \
                    else "%d Mbit/s" % h
            elif s:
                sp = "%d Gbit/s" % (s // 10**9) if s % 10**9 == 0 \
                    else "%d Mbit/s" % (s // 10**6) if s % 10**6 == 0 \
                    else "%d bit/s" % s
            else:
                sp = "speed unknown"
            want[idx] = (label[1:-1], text, sp, IF_STATUS[int(oper[idx])],
                         IF_STATUS[int(admin[idx])])
        return want

    def test_cisco_c3750_ports_match_snmpwalk(self):
        self.serve()
        out, _ = self.discover("-c", "cisco", "127.0.0.1")
        self.assertEqual(blocks(out), ["Profiler3750"])
        self.assertIn("# sysObjectID: 1.3.6.1.4.1.9.1.516", out)
        # Its sysDescr has line ends: one comment line all the same.
        self.assertRegex(out, r"# sysDescr: Cisco IOS Software, C3750 "
                         r"Software .*Technical Support: .*\n")
        self.assertIn("# template: switch-generic (Generic switch "
                      "(IF-MIB)), by generic switch: IF-MIB answers", out)
        want = self.walked_ports("cisco")
        self.assertEqual(len(want), 59)
        self.assertEqual(ports_of(out), want)
        self.assertIn('class = "switch";', out)
        self.assertIn('"ifName", "ifAlias"', out)
        self.assertIn('"ifHCInOctets"', out)
        self.accepted(out)
        up = [p for p in want.values() if p[3] == "up"]
        print("cisco: %d ports (%d up) equal snmpwalk" % (len(want),
                                                          len(up)))

    def test_h3c_switch_ports_sensors_and_gbk_alias(self):
        self.serve()
        out, _ = self.discover("-c", "h3c-s5130", "127.0.0.1")
        self.assertEqual(blocks(out), ["h3c-hall2"])
        self.assertIn("# sysObjectID: 1.3.6.1.4.1.25506.1.2370", out)
        self.assertIn("template: switch-generic", out)
        self.assertIn("# answers: IF-MIB, IF-MIB ifXTable, "
                      "ENTITY-SENSOR-MIB\n", out)
        want = self.walked_ports("h3c-s5130")
        self.assertEqual(len(want), 28)
        got = ports_of(out)
        self.assertEqual(got, want)
        self.assertEqual(got["25"], ("Ten-GigabitEthernet1/0/25",
                                     "Uplink to core-1", "10 Gbit/s", "up",
                                     "up"))
        self.assertEqual(got["7"][1], r'Desk 7 \"A\" \\ queue')
        # GBK without a charset: hex, never raw bytes.
        gbk = "二楼大厅自助终端".encode("gbk")
        self.assertEqual(got["3"][1], "0x" + gbk.hex())
        for line, words in (("21", "Board 1 hotspot | 38 celsius | ok"),
                            ("22", "PSU 1 input | 229 voltsAC | ok"),
                            ("23", "Fan 1 | 5400 rpm | ok"),
                            ("24", "PSU 1 output | 12.0015 voltsDC | ok")):
            self.assertIn("  #   sensor %s: %s\n" % (line, words), out)
        self.assertIn('"entPhySensorValue"', out)
        # With the device's charset the alias is text, and the block
        # carries the charset for the agent's polls.
        conv, _ = self.discover("-c", "h3c-s5130", "--charset", "GBK",
                                "127.0.0.1")
        self.assertEqual(ports_of(conv)["3"][1], "二楼大厅自助终端")
        self.assertIn('charset = "GBK";', conv)
        self.accepted(out)
        self.accepted(conv)

    def test_ups_states_in_words(self):
        self.serve()
        outs = []
        for comm, words, source, battery in (
                ("ups-mains", "on mains", "normal", "batteryNormal"),
                ("ups-battery", "on battery", "battery", "batteryNormal"),
                ("ups-low", "on battery, battery low", "battery",
                 "batteryLow")):
            out, _ = self.discover("-c", comm, "127.0.0.1")
            self.assertIn("# UPS: %s (upsOutputSource %s, upsBatteryStatus "
                          "%s)" % (words, source, battery), out)
            self.assertIn("template: ups-rfc1628 (UPS (RFC 1628 UPS-MIB)), "
                          "by generic ups: UPS-MIB answers", out)
            self.assertIn('class = "ups";', out)
            # What discover read is what snmpwalk reads.
            walked = self.snmpwalk(comm, "1.3.6.1.2.1.33.1.2")
            self.assertIn("; %s s on battery; charge %s %%" % (
                walked["1.3.6.1.2.1.33.1.2.2.0"],
                walked["1.3.6.1.2.1.33.1.2.4.0"]), out)
            self.assertIn('{ value = "upsOutputSource.0"; in = [ 3 ]; }',
                          out)
            outs.append(out)
        self.assertEqual([blocks(o)[0] for o in outs],
                         ["ups-mains", "ups-battery", "ups-low"])
        self.accepted(*outs)

    def test_linux_host_restarted_and_storage(self):
        self.serve()
        out, _ = self.discover("-c", "linux-rebooted", "127.0.0.1")
        self.assertEqual(blocks(out), ["web-01"])
        self.assertIn("# template: linux-host (Linux host (net-snmp)), by "
                      "sysObjectID under 1.3.6.1.4.1.8072.3.2.10", out)
        self.assertIn("# sysUpTime: 0 d 00:00:42 (restarted less than an "
                      "hour ago)", out)
        self.assertIn('class = "server";', out)
        storage = re.findall(r"^  #   storage (\d+): (.*) \| (.*) \| (.*) "
                             r"\((\d+) %\)$", out, re.M)
        h = "1.3.6.1.2.1.25.2.3.1."
        descr = self.snmpwalk("linux-rebooted", h + "3")
        size = self.snmpwalk("linux-rebooted", h + "5")
        used = self.snmpwalk("linux-rebooted", h + "6")
        self.assertEqual([s[0] for s in storage],
                         [k.rsplit(".", 1)[1] for k in descr])
        for idx, name, _, _, pct in storage:
            self.assertEqual('"%s"' % name, descr[h + "3." + idx])
            self.assertEqual(int(pct), round(100 * int(used[h + "6." + idx])
                                             / int(size[h + "5." + idx])))
        self.assertIn("storage 31: / | 24.4 GiB | 8.6 GiB (35 %)", out)
        self.assertIn('"hrProcessorLoad", "laLoad"', out)
        self.accepted(out)

    def test_template_choice(self):
        """The longest sysObjectID prefix wins, then a sysdescr match,
        then a generic template by what answers; a broken template is
        skipped, and no template at all still gives a block."""
        self.serve()
        d = os.path.join(self.tmp, "templates")
        shutil.copytree(TEMPLATES, d)
        for name, kind, match in (
                ("switch-h3c", "switch",
                 'sysobjectid = [ "1.3.6.1.4.1.25506." ];'),
                ("switch-h3c-s5130", "switch",
                 'sysobjectid = [ "1.3.6.1.4.1.2011.2.23.", '
                 '"1.3.6.1.4.1.25506.1." ]; sysdescr = "Comware";'),
                ("switch-cisco-ios", "switch", 'sysdescr = "cisco ios";'),
                ("ups-santak", "ups", 'sysdescr = "^Santak";')):
            self.write(os.path.join("templates", name + ".conf"), """
template = { name = "%s"; description = "test"; kind = "%s";
             match = { %s }; };
""" % (name, kind, match))
        self.write(os.path.join("templates", "broken.conf"),
                   "template = { name = ; };\n")
        for comm, want in (
                ("h3c-s5130", "switch-h3c-s5130 (test), by sysObjectID "
                 "under 1.3.6.1.4.1.25506.1."),
                ("cisco", 'switch-cisco-ios (test), by sysDescr matches '
                 '"cisco ios"'),
                ("ups-low", 'ups-santak (test), by sysDescr matches '
                 '"^Santak"'),
                ("linux-rebooted", "linux-host (Linux host (net-snmp)), "
                 "by sysObjectID under 1.3.6.1.4.1.8072.3.2.10")):
            out, err = self.discover("-c", comm, "127.0.0.1", templates=d)
            self.assertIn("# template: " + want, out)
            self.assertIn("broken.conf:1:", err)
            self.assertIn("template skipped", err)
        empty = os.path.join(self.tmp, "none")
        os.mkdir(empty)
        out, _ = self.discover("-c", "h3c-s5130", "127.0.0.1",
                               templates=empty)
        self.assertIn("# template: none fits; checks chosen by what "
                      "answers", out)
        self.accepted(out)
        # Run from the build directory, the source tree's templates are
        # the default; without them, the installed ones.
        out, err = self.discover("-c", "ups-mains", "127.0.0.1",
                                 templates=None)
        if os.path.isdir(os.path.join(ROOT, "etc", "templates")):
            self.assertNotIn("templates", err)
        else:
            self.assertIn("share/facmon/templates: No such file", err)
        self.accepted(out)

    def test_shipped_template_makes_a_one_line_device(self):
        """With the shipped templates a switch or a UPS is one entry that
        names its template, with the credentials discover used; what it
        found stays above as comments; the agent takes it as it is."""
        self.serve()
        shipped = os.path.join(ROOT, "etc", "templates")
        outs = []
        for comm, name in (("huawei-s5735", "switch-huawei"),
                           ("ups-battery", "ups-rfc1628")):
            out, _ = self.discover("-c", comm, "127.0.0.1",
                                   templates=shipped)
            self.assertIn('template = "%s";' % name, out)
            self.assertIn('community = "%s";' % comm, out)
            self.assertNotIn("checks = (", out)
            code = [x for x in out.splitlines()
                    if x.strip() and not x.strip().startswith("#")]
            self.assertLessEqual(len(code), 8, out)
            outs.append(out)
        self.assertIn("on battery", outs[1])
        self.accepted(*outs)

    def test_silent_address_fails_alone(self):
        self.serve()
        # A UDP socket that is there and never answers.
        hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hole.bind(("127.0.0.1", 0))
        self.addCleanup(hole.close)
        silent = "127.0.0.1:%d" % hole.getsockname()[1]
        out, err = self.discover("-c", "ups-battery", "-t", "5", "127.0.0.1",
                                 silent, "127.0.0.1", rc=1)
        self.assertEqual(blocks(out), ["ups-battery", "ups-battery-2"])
        self.assertIn("%s: timeout: no answer" % silent, err)
        self.assertIn("1 of 3 addresses failed", err)
        self.assertEqual(err.count("timeout"), 1)
        self.accepted(out)
        # One at a time gives the same.
        out1, _ = self.discover("-c", "ups-battery", "-j", "1", "-t", "5",
                                "127.0.0.1", silent, "127.0.0.1", rc=1)
        self.assertEqual(out1, out)

    def test_snmpv3_engine_id_discovered_and_polled(self):
        engine = "80001f8880a1b2c3d4e5f6"
        self.serve(extra=["--v3-engine-id=" + engine, "--v3-user=facmon",
                          "--v3-auth-key=auth-secret-1",
                          "--v3-auth-proto=SHA",
                          "--v3-priv-key=priv-secret-1",
                          "--v3-priv-proto=AES"])
        v3 = ["-v", "3", "-u", "facmon", "-l", "authPriv", "-a", "SHA",
              "-A", "auth-secret-1", "-x", "AES", "-X", "priv-secret-1",
              "-n", "ups-mains"]
        out, _ = self.discover(*v3 + ["127.0.0.1"])
        self.assertIn('engine_id = "0x%s";' % engine, out)
        self.assertIn('context = "ups-mains";', out)
        self.assertIn("# UPS: on mains (", out)
        self.accepted(out)
        # The block as printed polls the device.
        self.start_collector()
        self.start_agent(out.replace("interval = 60; timeout = 10;",
                                     "interval = 5; timeout = 4;"),
                         mibdirs="")
        c = self.wait_check("ups-mains", "ups", "up", timeout=60)
        self.assertEqual(c["values"]["upsOutputSourceText.0"]["value"],
                         "normal")
        bad = list(v3)
        bad[bad.index("auth-secret-1")] = "not-the-secret"
        _, err = self.discover(*bad + ["127.0.0.1"], rc=1)
        self.assertIn("authentication failure", err)


if __name__ == "__main__":
    unittest.main()
