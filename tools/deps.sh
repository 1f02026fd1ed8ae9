#!/bin/sh
# Install the Debian packages named on the command line that are missing.
# As root this runs apt-get; otherwise it prints the command to run.
set -u
missing=""
for p in "$@"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$s" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "facmon: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "facmon: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# An install on a fresh machine fails until the package lists exist.
apt-get install -y -q $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null &&
	apt-get install -y -q $missing
} || { echo "facmon: apt-get install failed" >&2; exit 1; }
# Debian starts snmpd on install, and snmptrapd's socket unit listens on
# UDP 162; facmon's tests start their own, and the agent's trap receiver
# needs the port.
if [ -d /run/systemd/system ]; then
	for u in snmpd.service snmptrapd.socket snmptrapd.service; do
		systemctl disable --now "$u" >/dev/null 2>&1 || true
	done
fi
exit 0
