#!/bin/sh
# make run: start Debian's snmpd, facmon-collector and facmon-agent on the
# demo configuration in etc/demo/, with all data under state/demo/.
# Ctrl-C stops all three.
set -u
cd "$(dirname "$0")/.." || exit 1
state=state/demo
mkdir -p "$state/snmp" "$state/data" || exit 1
pids=""

stop() {
	trap - INT TERM EXIT
	echo
	echo "facmon demo: stopping"
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	exit 0
}
trap stop INT TERM EXIT

build/facmon-agent -n -f etc/demo/agent.conf >/dev/null || exit 1
build/facmon-collector -n -f etc/demo/collector.conf >/dev/null || exit 1

SNMP_PERSISTENT_DIR="$PWD/$state/snmp" MIBS="" /usr/sbin/snmpd -f -C \
	-c etc/demo/snmpd.conf -Lf "$state/snmpd.log" \
	-p "$state/snmpd.pid" udp:127.0.0.1:16161 &
pids="$pids $!"
build/facmon-collector -d -f etc/demo/collector.conf \
	2>>"$state/collector.log" &
pids="$pids $!"
sleep 0.5
build/facmon-agent -d -f etc/demo/agent.conf 2>>"$state/agent.log" &
pids="$pids $!"

cat <<MSG
facmon demo is running (logs in $state/).
  status page:  http://127.0.0.1:8080/
  JSON API:     http://127.0.0.1:8080/api/v1/devices
Press Ctrl-C to stop.
MSG
wait
