#!/bin/sh
# make run: start facmon-sim (the simulated service centre of
# etc/demo/scenario.conf), facmon-collector and facmon-agent on the demo
# configuration in etc/demo/, with all data under state/demo/.  The
# agent receives the simulator's notifications (elevator faults arrive by
# trap) on 127.0.0.1:16162.  Ctrl-C stops everything.
set -u
cd "$(dirname "$0")/.." || exit 1
state=state/demo
mkdir -p "$state/data" || exit 1
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

# --- TLS credentials of the demo agent (issue #4) ---------------------
# The collector makes the key once: its copy in state/demo/data/keys,
# the agent's in state/demo/agent.psk, both mode 0600.
if [ ! -f "$state/agent.psk" ] || [ ! -f "$state/data/keys/demo.psk" ]; then
	build/facmon-collector -f etc/demo/collector.conf keygen demo \
	    "$state/agent.psk" >/dev/null || exit 1
fi
# --- end of TLS credentials --------------------------------------------

build/facmon-sim -n -f etc/demo/scenario.conf >/dev/null || exit 1
build/facmon-agent -n -f etc/demo/agent.conf >/dev/null || exit 1
build/facmon-collector -n -f etc/demo/collector.conf >/dev/null || exit 1

build/facmon-sim -f etc/demo/scenario.conf 2>>"$state/sim.log" &
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
                (log in as admin / facmon-demo to acknowledge: demo only)
  JSON API:     http://127.0.0.1:8080/api/v1/devices
  simulator:    build/facmon-sim ctl -s $state/sim.sock faults
                (what failed when: $state/sim-truth.log)
  traps:        http://127.0.0.1:8080/api/v1/traps
  try:          snmpwalk -v2c -c public -M mibs -m ALL 127.0.5.3:1161 \\
                    FACMON-FACILITY-MIB::facElevatorTable
Something fails every few minutes (see etc/demo/scenario.conf).
Press Ctrl-C to stop.
MSG
wait
