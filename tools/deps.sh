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
# Debian starts snmpd on install; facmon's tests start their own.
if [ -d /run/systemd/system ]; then
	systemctl disable --now snmpd >/dev/null 2>&1 || true
fi
exit 0
