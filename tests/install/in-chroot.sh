#!/bin/sh
# Copyright (c) 2026 The facmon authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS.
#
# Run by tests/install/package-test.sh inside a fresh Debian tree where
# the facmon packages were just installed, in a network namespace with
# only loopback.  There is no systemd running here: the daemons are
# started as the unit would (user facmon, the unit's command lines).
set -u
n=0
ok() { n=$((n + 1)); echo "  ok $n - $*"; }
fail() { echo "  FAILED: $*" >&2; dump; exit 1; }
pids=""
dump() {
	for f in /tmp/collector.log /tmp/agent.log; do
		[ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }
	done
}
# The daemons are started through setpriv, which execs them: $! is the
# daemon itself, not a shell around it that a kill would leave orphaned.
stop() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			i=$((i + 1)); sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
	done
}
trap stop EXIT

# --- what the packages made ------------------------------------------
u=$(getent passwd facmon) || fail "no facmon user"
uid=$(echo "$u" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "facmon is not a system user (uid $uid)"
echo "$u" | grep -q ':/usr/sbin/nologin$' || fail "facmon can log in: $u"
ok "system user facmon ($u)"

[ "$(stat -c '%U:%G %a' /etc/facmon)" = "root:facmon 750" ] ||
	fail "/etc/facmon is $(stat -c '%U:%G %a' /etc/facmon)"
for f in facmon-agent.conf facmon-collector.conf facmon-report.conf; do
	[ "$(stat -c '%U:%G %a' /etc/facmon/$f)" = "root:facmon 640" ] ||
	    fail "/etc/facmon/$f is $(stat -c '%U:%G %a' /etc/facmon/$f)"
done
[ "$(stat -c '%U %a' /var/lib/facmon)" = "facmon 700" ] ||
	fail "/var/lib/facmon is $(stat -c '%U %a' /var/lib/facmon)"
ok "/etc/facmon root:facmon 750, its files 640, /var/lib/facmon facmon 700"

for p in facmon-agent:/etc/facmon/facmon-agent.conf \
    facmon-collector:/etc/facmon/facmon-collector.conf \
    facmon-collector:/etc/facmon/facmon-report.conf; do
	dpkg-query --control-show "${p%%:*}" conffiles | grep -qx "${p#*:}" ||
	    fail "${p#*:} is not a conffile of ${p%%:*}"
done
ok "configuration files are conffiles"

for s in facmon-agent facmon-collector; do
	[ -L /etc/systemd/system/multi-user.target.wants/$s.service ] ||
	    fail "$s.service is not enabled"
done
ok "both units enabled (not started: installed with --no-start)"

for f in /usr/sbin/facmon-agent /usr/sbin/facmon-collector \
    /usr/bin/facmon-report /usr/bin/facmon-sim \
    /usr/share/facmon/web/index.html /usr/share/facmon/mibs/FACMON-FACILITY-MIB \
    /usr/share/facmon/demo/scenario.conf \
    /usr/share/man/man8/facmon-agent.8.gz \
    /usr/share/man/man8/facmon-collector.8.gz \
    /usr/share/man/man1/facmon-report.1.gz /usr/share/man/man1/facmon-sim.1.gz \
    /usr/share/man/man5/facmon-agent.conf.5.gz \
    /usr/share/man/man5/facmon-collector.conf.5.gz \
    /usr/share/man/man5/facmon-report.conf.5.gz; do
	[ -e "$f" ] || fail "$f missing"
done
ok "programs, web console, MIBs, demo scenario and the 7 man pages"

for p in facmon-agent facmon-collector facmon-report facmon-sim; do
	v=$($p --version) || fail "$p --version"
	echo "$v" | grep -q "^$p [0-9]" || fail "$p --version: $v"
done
ok "--version: $(facmon-collector --version)"

# --- the shipped configuration ------------------------------------------
as_facmon() { setpriv --reuid=facmon --regid=facmon --init-groups "$@"; }
as_facmon facmon-collector -n >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "facmon-collector -n on the shipped file"; }
ok "facmon-collector -n (as facmon, /etc/facmon/facmon-collector.conf)"
facmon-sim -n -f /usr/share/facmon/demo/scenario.conf >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "facmon-sim -n on the demo scenario"; }
ok "facmon-sim -n on the installed demo scenario"

# The one edit: the example agent hall-1 admitted by the collector.
sed -i 's/{ id = "demo"; description = "demo agent on this host"; }/{ id = "hall-1"; }/' \
	/etc/facmon/facmon-collector.conf
grep -q 'id = "hall-1"' /etc/facmon/facmon-collector.conf ||
	fail "the collector's example changed: no agents entry to edit"
# The one keygen, as root, as an administrator would.
facmon-collector keygen hall-1 /etc/facmon/agent.psk >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "keygen"; }
[ "$(stat -c '%U %a' /etc/facmon/agent.psk)" = "facmon 600" ] ||
	fail "agent.psk is $(stat -c '%U %a' /etc/facmon/agent.psk)"
[ "$(stat -c '%U %a' /var/lib/facmon/keys/hall-1.psk)" = "facmon 600" ] ||
	fail "hall-1.psk is $(stat -c '%U %a' /var/lib/facmon/keys/hall-1.psk)"
ok "keygen hall-1: both key files facmon 0600"
as_facmon facmon-agent -n >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "facmon-agent -n on the shipped file"; }
ok "facmon-agent -n (as facmon, /etc/facmon/facmon-agent.conf)"

# --- a collector and an agent through their installed paths ------------
# The agent watches the collector's own port: the only device there is
# in a namespace with nothing but loopback.
cat >/etc/facmon/facmon-agent.conf <<'CONF'
agent: {
  id = "hall-1";
  collector = "127.0.0.1:5640";
  tls_psk_file = "/etc/facmon/agent.psk";
};
devices = (
  { id = "collector-port"; name = "collector"; class = "server";
    group = "systems"; address = "127.0.0.1";
    checks = ( { id = "tcp"; type = "tcp"; port = 5640; interval = 2; } ); }
);
CONF
setpriv --reuid=facmon --regid=facmon --init-groups \
	facmon-collector -d >/tmp/collector.log 2>&1 &
pids="$pids $!"
i=0
until curl -fs -o /dev/null http://127.0.0.1:8080/api/v1/stats; do
	i=$((i + 1)); [ $i -lt 60 ] || fail "collector API not up in 30 s"
	sleep 0.5
done
ok "collector up, API on 127.0.0.1:8080"
setpriv --reuid=facmon --regid=facmon --init-groups \
	facmon-agent -d >/tmp/agent.log 2>&1 &
pids="$pids $!"
i=0
until curl -fs http://127.0.0.1:8080/api/v1/devices/collector-port \
    2>/dev/null | grep -Eq '"state": ?"up"'; do
	i=$((i + 1)); [ $i -lt 120 ] || fail "device not up through the agent in 60 s"
	sleep 0.5
done
ok "agent connected over TLS; collector-port is up at /api/v1/devices"
[ -d /var/lib/facmon/spool ] || fail "no spool in /var/lib/facmon/spool"
[ -s /var/lib/facmon/outages.fmoj ] || [ -d /var/lib/facmon/rrd ] ||
	fail "nothing written under /var/lib/facmon"
ok "spool and data under /var/lib/facmon: $(ls /var/lib/facmon | tr '\n' ' ')"

# --- the report from the installed files ---------------------------------
as_facmon facmon-report -n >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "facmon-report -n on /etc/facmon/facmon-report.conf"; }
ok "facmon-report -n (as facmon, /etc/facmon/facmon-report.conf)"
mkdir -p /tmp/report && chown facmon /tmp/report
as_facmon facmon-report --month "$(date +%Y-%m)" --format json,pdf \
    --out /tmp/report >/tmp/out 2>&1 ||
	{ cat /tmp/out; fail "facmon-report --month"; }
grep -q "\"generator\": *\"facmon-report $(facmon-report --version |
    cut -d' ' -f2)\"" /tmp/report/*.json ||
	fail "the report's method does not name the version"
ls /tmp/report/*.pdf >/dev/null 2>&1 || fail "no PDF"
ok "facmon-report made this month's PDF and JSON; the method names $(facmon-report --version)"
echo "  $n checks passed"
