# A MIB copied into a directory of 'mibdirs' is read on SIGHUP: the
# agent, started without it, refuses a check that names its objects;
# after the MIB is in place a reload takes the same check and the value
# polled from Debian's snmpd reaches the collector under the new name.

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import ROOT, FacmonTestCase, wait_for  # noqa: E402

TOY_MIB = """TOY-SITE-MIB DEFINITIONS ::= BEGIN
IMPORTS mib-2 FROM SNMPv2-SMI;
toySystem OBJECT IDENTIFIER ::= { mib-2 1 }
toyLocation OBJECT IDENTIFIER ::= { toySystem 6 }
END
"""

DEVICES = """
{ id = "srv"; name = "机房服务器"; class = "server"; group = "servers";
  address = "127.0.0.1";
  checks = (
    { id = "snmp"; type = "snmp"; interval = 1; timeout = 0.8; retries = 1;
      version = "2c"; community = "public"; port = %(port)d;
      get = ( { name = "uptime"; oid = "1.3.6.1.2.1.1.3.0"; }%(more)s ); } ); }
"""


class MibReload(FacmonTestCase):
    def test_mib_copied_in_resolves_after_sighup(self):
        self.start_snmpd()
        self.start_collector()
        site = os.path.join(self.tmp, "site-mibs")
        os.makedirs(site)
        agent = self.start_agent(DEVICES % {"port": self.snmp_port,
                                            "more": ""},
                                 mibdirs=os.path.join(ROOT, "mibs") + ":" +
                                 site)
        self.wait_check("srv", "snmp", "up")
        conf = self.agent_conf
        with open(conf, encoding="utf-8") as f:
            plain = f.read()
        named = plain.replace(
            '"1.3.6.1.2.1.1.3.0"; }',
            '"1.3.6.1.2.1.1.3.0"; },\n'
            '              { name = "where"; '
            'oid = "TOY-SITE-MIB::toyLocation.0"; }')
        self.assertNotEqual(named, plain)
        # Without the MIB: the name does not resolve, the reload is
        # refused and the running configuration kept.
        with open(conf, "w", encoding="utf-8") as f:
            f.write(named)
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running one" in agent.output(),
                 what="the reload refused")
        self.assertIn("TOY-SITE-MIB::toyLocation.0", agent.output())
        # The MIB copied in, the same file reloaded.
        with open(os.path.join(site, "TOY-SITE-MIB"), "w",
                  encoding="utf-8") as f:
            f.write(TOY_MIB)
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "MIB directories read again" in agent.output(),
                 what="the MIB directories read again")
        c = self.wait_check("srv", "snmp", "up",
                            pred=lambda c: "where" in c["values"])
        self.assertEqual(c["values"]["where"]["value"], "facmon test")
        self.assertTrue(agent.alive())
        shutil.rmtree(site)
