#!/bin/sh
# make run: start facmon-sim (the simulated service centre of
# etc/demo/scenario.conf), facmon-collector and facmon-agent on the demo
# configuration in etc/demo/, with all data under state/demo/.  The
# agent receives the simulator's notifications (elevator faults arrive by
# trap) on 127.0.0.1:16162.  HTTP_PORT (default 8080) is the status
# page's port.  Ctrl-C stops everything.
set -u
cd "$(dirname "$0")/.." || exit 1
state=state/demo
port=${HTTP_PORT:-8080}
# The demo's mail sink (etc/demo/collector.conf: alerts).
smtp_port=2525
mkdir -p "$state/data" "$state/mail" "$state/sms" || exit 1
pids=""

stop() {
	trap - INT TERM EXIT
	echo
	echo "facmon demo: stopping"
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	exit "${1:-0}"
}
trap stop INT TERM EXIT

# A daemon that exited says why in its log: show the end of it.
died() {
	echo "facmon demo: $1 did not come up; the end of $state/$1.log:" >&2
	tail -n 5 "$state/$1.log" >&2
	stop 1
}

case $port in
''|*[!0-9]*) echo "facmon demo: HTTP_PORT=$port is not a port" >&2; exit 2;;
esac

# The demo's collector configuration with the chosen status page port:
# etc/demo/collector.conf stays as it is.
conf=$state/collector.conf
sed -e "s/\"127\.0\.0\.1:8080\"/\"127.0.0.1:$port\"/" \
    -e "s#\"http://127\.0\.0\.1:8080/\"#\"http://127.0.0.1:$port/\"#" \
    etc/demo/collector.conf >"$conf.tmp" && chmod 600 "$conf.tmp" && mv "$conf.tmp" "$conf" || exit 1

# --- TLS credentials of the demo agent (issue #4) ---------------------
# The collector makes the key once: its copy in state/demo/data/keys,
# the agent's in state/demo/agent.psk, both mode 0600.
if [ ! -f "$state/agent.psk" ] || [ ! -f "$state/data/keys/demo.psk" ]; then
	build/facmon-collector -f "$conf" keygen demo \
	    "$state/agent.psk" >/dev/null || exit 1
fi
# --- end of TLS credentials --------------------------------------------

build/facmon-sim -n -f etc/demo/scenario.conf >/dev/null || exit 1
build/facmon-agent -n -f etc/demo/agent.conf >/dev/null || exit 1
build/facmon-collector -n -f "$conf" >/dev/null || exit 1

build/facmon-sim -f etc/demo/scenario.conf 2>>"$state/sim.log" &
sim=$!
pids="$pids $sim"
build/facmon-mailsink -l "127.0.0.1:$smtp_port" -d "$state/mail" \
    2>>"$state/mailsink.log" &
mailsink=$!
pids="$pids $mailsink"
build/facmon-collector -d -f "$conf" 2>>"$state/collector.log" &
collector=$!
pids="$pids $collector"

# The collector is up when its own API answers (another server on the
# port would not say "started_ms"); a port already taken makes it exit,
# which is said rather than reported as running.  At most 30 s.
i=0
until curl -fs -m 2 "http://127.0.0.1:$port/api/v1/stats" 2>/dev/null |
    grep -q '"started_ms"'; do
	kill -0 "$collector" 2>/dev/null || died collector
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "facmon demo: the collector does not answer on" \
		    "127.0.0.1:$port after 30 s" >&2
		stop 1
	fi
	sleep 0.5
done
kill -0 "$sim" 2>/dev/null || died sim
kill -0 "$mailsink" 2>/dev/null || died mailsink

build/facmon-agent -d -f etc/demo/agent.conf 2>>"$state/agent.log" &
agent=$!
pids="$pids $agent"
# The agent opens its trap port and connects within a second or two.
sleep 2
kill -0 "$agent" 2>/dev/null || died agent
kill -0 "$sim" 2>/dev/null || died sim
kill -0 "$collector" 2>/dev/null || died collector

cat <<MSG
facmon demo is running (logs in $state/).
  status page:  http://127.0.0.1:$port/
                (log in as admin / facmon-demo to acknowledge: demo only)
  JSON API:     http://127.0.0.1:$port/api/v1/devices
  simulator:    build/facmon-sim ctl -s $state/sim.sock faults
                (what failed when: $state/sim-truth.log)
  traps:        http://127.0.0.1:$port/api/v1/traps
  alerts sent:  http://127.0.0.1:$port/#incidents  (what was "sent", by channel)
                e-mails: $state/mail/*.eml  (build/facmon-mailsink on
                    127.0.0.1:$smtp_port keeps them; nothing leaves)
                SMS:     $state/sms/  (gammu's spool format, UTF-16)
                one-tap acknowledge links ask for the admin login
  try:          snmpwalk -v2c -c public -M mibs -m ALL 127.0.5.3:1161 \\
                    FACMON-FACILITY-MIB::facElevatorTable
Something fails every few minutes (see etc/demo/scenario.conf).
Press Ctrl-C to stop.
MSG
# Any daemon that exits ends the demo, saying which.
while :; do
	for p in collector agent sim mailsink; do
		eval "pid=\$$p"
		kill -0 "$pid" 2>/dev/null || died "$p"
	done
	sleep 2
done
