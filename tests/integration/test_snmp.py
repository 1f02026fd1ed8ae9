# SNMP end to end against Debian's real snmpd: values polled by the agent
# reach the collector's API and RRD files; stopping snmpd turns the check
# down from the first failed probe, starting it again turns it up.

import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import FacmonTestCase, rrd_fetch, wait_for  # noqa: E402

DEVICES = """
{ id = "srv"; name = "机房服务器"; class = "server"; group = "servers";
  address = "127.0.0.1";
  checks = (
    { id = "snmp"; type = "snmp"; interval = 1; timeout = 0.8; retries = 1;
      version = "%(version)s"; community = "public"; port = %(port)d;
      get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; },
              { name = "sysDescr"; oid = "1.3.6.1.2.1.1.1.0"; },
              "1.3.6.1.2.1.1.6.0" );
      walk = ( { name = "ifDescr"; oid = "1.3.6.1.2.1.2.2.1.2"; },
               { name = "ifInOctets"; oid = "1.3.6.1.2.1.2.2.1.10"; },
               { name = "ifHCInOctets"; oid = "1.3.6.1.2.1.31.1.1.1.6"; } ); },
    { id = "nosuch"; type = "snmp"; interval = 1; timeout = 0.8;
      port = %(port)d; critical = false;
      get = ( "1.3.6.1.4.1.99999.1.0" ); },
    { id = "badcomm"; type = "snmp"; interval = 1; timeout = 0.5; retries = 0;
      port = %(port)d; community = "wrong"; critical = false;
      get = ( "1.3.6.1.2.1.1.3.0" ); }
  ); }
"""


class Snmp(FacmonTestCase):
    def lo_index(self, c):
        for k, v in c["values"].items():
            if k.startswith("ifDescr.") and v["value"] == "lo":
                return k.split(".", 1)[1]
        return None

    def run_version(self, version):
        self.start_snmpd()
        self.start_collector()
        self.start_agent(DEVICES % {"port": self.snmp_port,
                                    "version": version})
        c = self.wait_check("srv", "snmp", "up",
                            pred=lambda c: self.lo_index(c) is not None and
                            any(v["kind"] == "counter" and
                                v["rate"] is not None
                                for v in c["values"].values()))
        vals = c["values"]
        self.assertEqual(vals["sysUpTime"]["kind"], "gauge")
        self.assertGreater(vals["sysUpTime"]["value"], 0)
        self.assertIn("Linux", vals["sysDescr"]["value"])
        self.assertEqual(vals["1.3.6.1.2.1.1.6.0"]["value"], "facmon test")
        idx = self.lo_index(c)
        self.assertEqual(vals["ifInOctets." + idx]["kind"], "counter")
        self.assertGreaterEqual(vals["ifInOctets." + idx]["raw"], 0)
        if version != "1":
            # Counter64 exists only in v2c and later.
            self.assertEqual(vals["ifHCInOctets." + idx]["kind"], "counter")
        dev = self.device("srv")
        self.assertEqual(dev["name"], "机房服务器")
        self.assertEqual(dev["class"], "server")
        # The two broken checks say why, and do not take the device down.
        ns = self.wait_check("srv", "nosuch", "down")
        self.assertEqual(ns["outcome"], "snmp_nosuch")
        bc = self.wait_check("srv", "badcomm", "down")
        self.assertEqual(bc["outcome"], "timeout")
        self.assertEqual(self.device("srv")["state"], "degraded")
        return idx

    def test_v2c_values_rrd_and_outage(self):
        idx = self.run_version("2c")
        # RRD files, read back with rrdtool.
        base = os.path.join(self.data_dir, "rrd", "srv", "snmp")
        wait_for(lambda: os.path.exists(os.path.join(base,
                                                     "sysUpTime.rrd")),
                 what="sysUpTime.rrd")
        now = int(time.time())

        def uptime_rows():
            return [v for t, v in rrd_fetch(os.path.join(base,
                                                         "sysUpTime.rrd"),
                                            now - 60, now + 5)
                    if v is not None]
        rows = wait_for(lambda: len(uptime_rows()) >= 2 and uptime_rows(),
                        what="sysUpTime rows in RRD")
        self.assertGreater(rows[-1], 0)
        self.assertTrue(os.path.exists(os.path.join(
            base, "ifHCInOctets.%s.rrd" % idx)))
        up_rows = wait_for(lambda: [v for t, v in rrd_fetch(
            os.path.join(base, "up.rrd"), now - 60, now + 5)
            if v is not None], what="up rows")
        self.assertEqual(up_rows[-1], 1.0)

        # Stop snmpd: down within interval x (retries + 1), counted from
        # the first probe that failed.
        snmpd = [p for p in self.procs if "snmpd" in p.argv[0]][0]
        before = self.check("srv", "snmp")
        t_stop_ms = int(time.time() * 1000)
        snmpd.stop()
        down = self.wait_check("srv", "snmp", "down", timeout=20)
        self.assertEqual(down["outcome"], "timeout")
        # The outage starts at the first failed probe: after the last
        # good one, and no later than one interval after the stop.
        self.assertGreater(down["since_ms"], before["last_ms"])
        self.assertLessEqual(down["since_ms"], t_stop_ms + 1000 + 100)
        self.assertEqual(self.device("srv")["state"], "down")

        # Start it again on the same port: up again.
        self.start_snmpd(port=self.snmp_port)
        up = self.wait_check("srv", "snmp", "up", timeout=20)
        self.assertGreater(up["since_ms"], down["since_ms"])

    def test_v1(self):
        self.run_version("1")

    def test_agent_survives_sighup_with_bad_config(self):
        self.start_snmpd()
        self.start_collector()
        agent = self.start_agent(DEVICES % {"port": self.snmp_port,
                                            "version": "2c"})
        self.wait_check("srv", "snmp", "up")
        conf = os.path.join(self.tmp, "agent.conf")
        with open(conf, "a") as f:
            f.write("\nbogus = 1;\n")
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running one" in agent.output(),
                 what="reload refused")
        self.assertIn("agent.conf:", agent.output())
        # Still polling.
        last = self.check("srv", "snmp")["last_ms"]
        wait_for(lambda: self.check("srv", "snmp")["last_ms"] > last,
                 what="polling after a refused reload")
        self.assertTrue(agent.alive())
        for f in glob.glob(os.path.join(self.tmp, "*.log")):
            with open(f, "rb") as fh:
                self.assertNotIn(b"AddressSanitizer", fh.read())


V3_SNMPD = """exactEngineID facmon-test-01
createUser facmon SHA "auth-secret-1" AES "priv-secret-1"
rouser facmon priv
"""
ENGINE_ID = "0x" + b"facmon-test-01".hex()


class SnmpV3(FacmonTestCase):
    """SNMPv3 authPriv (SHA + AES) with a configured engine ID, so that
    the agent never runs the blocking engine-ID discovery."""

    def devices(self, auth, engine=ENGINE_ID):
        return """
{ id = "ups"; name = "1号UPS"; class = "ups"; group = "power";
  address = "127.0.0.1";
  checks = (
    { id = "v3"; type = "snmp"; interval = 1; timeout = 0.8; retries = 0;
      port = %d; version = "3"; security_name = "facmon";
      security_level = "authPriv"; auth_protocol = "SHA";
      auth_passphrase = "%s"; priv_protocol = "AES";
      priv_passphrase = "priv-secret-1"; engine_id = "%s";
      get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } ); }
  ); }
""" % (self.snmp_port, auth, engine)

    def test_v3_auth_priv(self):
        self.start_snmpd(extra=V3_SNMPD)
        self.start_collector()
        self.start_agent(self.devices("auth-secret-1"))
        c = self.wait_check("ups", "v3", "up")
        self.assertGreater(c["values"]["sysUpTime"]["value"], 0)

    def test_v3_wrong_key_is_down_not_hung(self):
        self.start_snmpd(extra=V3_SNMPD)
        self.start_collector()
        agent = self.start_agent(self.devices("wrong-secret-9"))
        c = self.wait_check("ups", "v3", "down")
        self.assertIn(c["outcome"], ("snmp_error", "timeout", "io_error"))
        # Still probing on cadence after the failures.
        last = c["last_ms"]
        wait_for(lambda: self.check("ups", "v3")["last_ms"] > last,
                 what="next probe")
        self.assertTrue(agent.alive())


class Expect(FacmonTestCase):
    """A device that answers is not yet one that works: conditions on
    the values turn an answering check into a failed one."""

    def test_expectations(self):
        self.start_snmpd()
        self.start_collector()
        self.start_agent("""
{ id = "srv"; class = "server"; group = "servers"; address = "127.0.0.1";
  checks = (
    { id = "good"; type = "snmp"; interval = 1; timeout = 0.8; port = %(p)d;
      get = ( { name = "sysDescr"; oid = "1.3.6.1.2.1.1.1.0"; },
              { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } );
      walk = ( { name = "ifDescr"; oid = "1.3.6.1.2.1.2.2.1.2"; } );
      expect_values = ( { value = "sysDescr"; contains = "Linux"; },
                 { value = "sysUpTime"; min = 0; },
                 { value = "ifDescr.*"; contains = ""; } ); },
    { id = "range"; type = "snmp"; interval = 1; timeout = 0.8;
      port = %(p)d; critical = false;
      get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } );
      expect_values = ( { value = "sysUpTime"; max = 0.001; } ); },
    { id = "rows"; type = "snmp"; interval = 1; timeout = 0.8;
      port = %(p)d; critical = false;
      walk = ( { name = "ifDescr"; oid = "1.3.6.1.2.1.2.2.1.2"; } );
      expect_values = ( { value = "ifDescr.*"; contains = "eth-nonexistent"; } ); },
    { id = "missing"; type = "snmp"; interval = 1; timeout = 0.8;
      port = %(p)d; critical = false;
      get = ( { name = "sysUpTime"; oid = "1.3.6.1.2.1.1.3.0"; } );
      expect_values = ( { value = "operState"; equals = 1; } ); }
  ); }
""" % {"p": self.snmp_port})
        self.wait_check("srv", "good", "up")
        c = self.wait_check("srv", "range", "down")
        self.assertEqual(c["outcome"], "bad_value")
        self.assertRegex(c["message"], r"^sysUpTime = [0-9.e+]+, expected "
                         r"<= 0\.001$")
        # The values are still there: the probe itself worked.
        self.assertGreater(c["values"]["sysUpTime"]["value"], 0)
        c = self.wait_check("srv", "rows", "down")
        self.assertIn('expected containing "eth-nonexistent"', c["message"])
        c = self.wait_check("srv", "missing", "down")
        self.assertEqual(c["message"], "no value operState")
        self.assertEqual(self.device("srv")["state"], "degraded")
