#!/usr/bin/python3
# Makes the files of tests/data/upgrade/<release>/ with the binaries of a
# previous release: a short run of its facmon-sim, facmon-collector and
# facmon-agent on this machine's loopback, then its facmon-report.  The
# files are what that release leaves on disk (ingest journal, outage
# journal, agent spool, alert outbox, maintenance.json, RRD files) and
# expected.json, what its API and report said about them;
# tests/integration/test_upgrade.py runs them through the current
# release.  See README in the release's directory.
#
#   /usr/bin/python3 tests/data/upgrade/make-files.py OLD_BUILD_DIR OUT_DIR

import datetime
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
import fmtest  # noqa
from fmtest import FacmonTestCase, wait_for, http_json  # noqa
from webclient import WebClient  # noqa

OLD = os.path.abspath(sys.argv[1])
OUT = os.path.abspath(sys.argv[2])
fmtest.AGENT = os.path.join(OLD, "facmon-agent")
fmtest.COLLECTOR = os.path.join(OLD, "facmon-collector")
fmtest.SIM = os.path.join(OLD, "facmon-sim")
REPORT = os.path.join(OLD, "facmon-report")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery"

SCENARIO = """
sim: {
  snmp_port = %d; http_port = %d; community = "public";
  control = "%s"; seed = 2021;
};
devices = (
  { id = "ups-1"; name = "1号UPS"; class = "ups"; group = "power";
    address = "127.29.0.1"; },
  { id = "platform"; name = "电梯物联网平台"; model = "platform";
    class = "gateway"; group = "building"; address = "127.29.0.2";
    http = true; }
);
"""

AVAIL = """
availability: {
  timezone = "Asia/Shanghai";
  site = "升级测试中心";
};
"""

ALERTS = """
alerts: {
  digest = "0";
  retry: { first = "1h"; max = "1h"; give_up_after = "168h"; };
  channels = ( { name = "mail"; type = "smtp"; host = "127.0.0.1";
                 port = %d; tls = "none"; from = "facmon@example.org";
                 timeout = "1s"; } );
  recipients = ( { name = "duty"; email = "duty@example.org"; } );
  deliver = ( [ "mail" ] );
};
"""


class Run(FacmonTestCase):
    def runTest(self):
        pass


def minute(ms, up):
    t = datetime.datetime.fromtimestamp(ms / 1000, TZ)
    t = t.replace(second=0, microsecond=0)
    if up:
        t += datetime.timedelta(minutes=1)
    return t


def main():
    r = Run()
    r.setUp()
    try:
        make(r)
    except BaseException:
        r.dump_logs()
        raise
    finally:
        r.doCleanups()


def make(r):
    t0 = int(time.time() * 1000)
    sim_ctl = os.path.join(r.tmp, "sim.sock")
    scen = r.write("scenario.conf", SCENARIO % (
        fmtest.free_port(), fmtest.free_port(), sim_ctl))
    r.start([fmtest.SIM, "-d", "-f", scen], "sim")
    wait_for(lambda: subprocess.run(
        [fmtest.SIM, "ctl", "-s", sim_ctl, "ping"], capture_output=True,
        text=True, timeout=10).stdout == "pong\n", what="facmon-sim")
    devs = subprocess.run([fmtest.SIM, "agent-config", "-f", scen],
                          capture_output=True, text=True, timeout=30,
                          check=True).stdout
    devs = devs[devs.index("devices = (") + len("devices = ("):
                devs.rindex(");")]
    devs = devs.replace("interval = 10;", "interval = 2;")
    pw = subprocess.run([fmtest.COLLECTOR, "hashpw"], input=PASSWORD + "\n",
                        capture_output=True, text=True, timeout=60,
                        check=True).stdout.strip()
    web = """
web: { users = ( { name = "op"; password_hash = "%s"; } ); };
""" % pw
    dead_smtp = fmtest.free_port()
    r.start_collector(agents=("upgrade",), extra="confirm = 2;",
                      root_extra=AVAIL + ALERTS % dead_smtp + web,
                      rrd="full_resolution_days = 1; five_minute_days = 0; "
                          "hourly_days = 0; write_interval = 0;")
    r.start_agent(devs, agent_id="upgrade")
    for d in ("ups-1", "platform"):
        wait_for(lambda: (r.device(d) or {}).get("state") == "up",
                 timeout=60, what=d + " up")

    c = WebClient(r.http_port)
    st, _, _ = c.login("op", PASSWORD)
    assert st == 200, st
    day = 86400000
    for body in (
            {"start_ms": t0 + 30 * day, "duration_ms": 2 * 3600000,
             "reason": "UPS 年检", "devices": ["ups-1"]},
            {"repeat": "weekly", "at": "Sun 02:00",
             "duration_ms": 3600000, "reason": "每周平台升级",
             "groups": ["building"]}):
        st, o = c.json("POST", "/api/v1/maintenance", body)
        assert st in (200, 201), (st, o)

    # An outage of the platform's web service, confirmed and alerted;
    # the mail server is down, so the alert waits in the outbox.
    subprocess.run([fmtest.SIM, "ctl", "-s", sim_ctl, "inject", "platform",
                    "http_error", "0"], check=True, timeout=10)
    wait_for(lambda: any(o["confirmed_ms"] and o["device"] == "platform"
                         for o in http_json(r.api + "/api/v1/outages"
                                            "?open=1")["outages"]),
             timeout=60, what="outage confirmed")
    outbox = os.path.join(r.data_dir, "alerts", "outbox")
    wait_for(lambda: os.path.isdir(outbox) and os.listdir(outbox),
             timeout=30, what="a delivery in the outbox")
    subprocess.run([fmtest.SIM, "ctl", "-s", sim_ctl, "clear", "platform"],
                   check=True, timeout=10)
    wait_for(lambda: not http_json(r.api + "/api/v1/outages?open=1")
             ["outages"],
             timeout=60, what="outage over")
    time.sleep(4)
    expect = {
        "outages": http_json(r.api + "/api/v1/outages"),
        "maintenance": http_json(r.api + "/api/v1/maintenance"),
        "outbox": sorted(os.listdir(outbox)),
    }
    # The collector goes; the agent spools what it makes meanwhile.
    r.procs[1].stop()
    spool = os.path.join(r.tmp, "spool-agent")
    time.sleep(6)
    r.procs[2].stop()
    t1 = int(time.time() * 1000)

    # The report over whole minutes around the run, once they are past.
    frm, to = minute(t0, False), minute(t1, True)
    while time.time() * 1000 < to.timestamp() * 1000 + 1000:
        time.sleep(1)
    rep = os.path.join(r.tmp, "report")
    p = subprocess.run([REPORT, "-f", os.path.join(r.tmp, "collector.conf"),
                        "--from", frm.strftime("%Y-%m-%d %H:%M"),
                        "--to", to.strftime("%Y-%m-%d %H:%M"),
                        "--format", "json", "--out", rep],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(glob.glob(os.path.join(rep, "*.json"))[0],
              encoding="utf-8") as f:
        expect["report"] = json.load(f)
    expect["report_from"] = frm.strftime("%Y-%m-%d %H:%M")
    expect["report_to"] = to.strftime("%Y-%m-%d %H:%M")

    # The files, small: the RRD files of one check, compressed (they are
    # a day of rows, almost all unknown).
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    data = os.path.join(OUT, "data")
    os.makedirs(os.path.join(data, "journal"))
    for f in glob.glob(os.path.join(r.data_dir, "journal", "*.fmj")):
        shutil.copy(f, os.path.join(data, "journal"))
    for f in ("outages.fmoj", "maintenance.json"):
        shutil.copy(os.path.join(r.data_dir, f), data)
    shutil.copytree(outbox, os.path.join(data, "alerts", "outbox"))
    rrd = os.path.join(data, "rrd", "platform", "http")
    os.makedirs(rrd)
    for f in ("up.rrd", "duration_ms.rrd"):
        with open(os.path.join(r.data_dir, "rrd", "platform", "http", f),
                  "rb") as src, gzip.GzipFile(os.path.join(rrd, f + ".gz"),
                                              "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    shutil.copytree(spool, os.path.join(OUT, "spool"))
    with open(os.path.join(OUT, "expected.json"), "w",
              encoding="utf-8") as f:
        json.dump(expect, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print("spool:", os.listdir(spool))
    subprocess.run(["du", "-ab", OUT])


if __name__ == "__main__":
    main()
