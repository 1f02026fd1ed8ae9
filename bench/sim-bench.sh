#!/bin/sh
# GET rate of facmon-sim, and of Debian's snmpd for comparison, measured
# with the bounded load generator 'facmon-sim load'.  The server runs on
# CPU 0 and the load on CPU 1 (taskset), all on loopback.  Every run is
# bounded in requests and seconds.  See bench/sim.md.
#
#   sh bench/sim-bench.sh [requests]
set -u
cd "$(dirname "$0")/.." || exit 1
n=${1:-1000000}
sim=build/facmon-sim
tmp=$(mktemp -d /tmp/facmon-bench.XXXXXX) || exit 1
port=21161
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/bench.conf" <<CONF
sim: { snmp_port = $port; control = "$tmp/ctl.sock"; };
devices = ( { id = "line"; class = "line"; address = "127.0.90.1"; },
  { id = "elev-%d"; count = 8; class = "elevator";
    address = "127.0.90.10"; } );
CONF
taskset -c 0 $sim -f "$tmp/bench.conf" 2>"$tmp/sim.log" &
pids="$pids $!"
sleep 0.5
echo "facmon-sim, sysUpTime.0, one device:"
for i in 1 2 3; do
	taskset -c 1 $sim load -n "$n" -w 128 -t 60 127.0.90.1:$port
done
echo "facmon-sim, sysUpTime.0, eight devices:"
taskset -c 1 $sim load -n "$n" -w 128 -t 60 \
    $(for i in $(seq 10 17); do printf '127.0.90.%d:%d ' "$i" $port; done)

printf 'rocommunity public 127.0.0.1\n' >"$tmp/snmpd.conf"
SNMP_PERSISTENT_DIR="$tmp" MIBS="" taskset -c 0 /usr/sbin/snmpd -f -C \
    -c "$tmp/snmpd.conf" -Lf "$tmp/snmpd.log" -p "$tmp/snmpd.pid" \
    udp:127.0.0.1:$((port + 1)) &
pids="$pids $!"
sleep 1
echo "Debian snmpd, sysUpTime.0:"
for i in 1 2 3; do
	taskset -c 1 $sim load -n $((n / 5)) -w 128 -t 60 \
	    127.0.0.1:$((port + 1))
done
