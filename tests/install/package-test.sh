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
# make package-test: build the Debian packages from a copy of the tree
# with dpkg-buildpackage, check them with lintian, install them into a
# fresh Debian 12 debootstrap tree and run tests/install/in-chroot.sh
# there (the facmon user, permissions, conffiles, enabled units, the
# daemons' -n checks, keygen, and a collector + agent pair through their
# installed paths, in a network namespace of its own).
#
# Root, the network to the Debian mirror, a few minutes and about 400 MB
# under $TMPDIR; everything is removed at the end unless KEEP=1.
set -eu
cd "$(dirname "$0")/../.."
mirror=${MIRROR:-http://deb.debian.org/debian}
suite=${SUITE:-bookworm}

say() { echo "package-test: $*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot)"
for t in dpkg-buildpackage lintian debootstrap unshare ip chroot; do
	command -v "$t" >/dev/null || fail "$t is missing (make deps)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/facmon-pkgtest.XXXXXX")
root=$work/root
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT INT TERM

say "1. copy of the tree in $work/src"
mkdir "$work/src"
git ls-files -co --exclude-standard | grep -v '^tests/browser/node_modules/' |
	tar -cf - -T - | tar -xf - -C "$work/src"

say "2. dpkg-buildpackage -us -uc -b (log: build.log)"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j2) >"$work/build.log" 2>&1 ||
	{ tail -30 "$work/build.log"; fail "dpkg-buildpackage"; }
for p in "$work"/*.deb; do
	printf '  %-40s %6s KB  installed %5s KB\n' "$(basename "$p")" \
	    $(( $(stat -c %s "$p") / 1024 )) \
	    "$(dpkg-deb -f "$p" Installed-Size)"
done

say "3. lintian (default level: errors and warnings fail)"
lintian --fail-on error,warning "$work"/facmon_*.changes ||
	fail "lintian"

say "4. debootstrap --variant=minbase $suite (log: debootstrap.log)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" \
	>"$work/debootstrap.log" 2>&1 ||
	{ tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"

say "5. apt-get install the packages and curl into the tree"
mkdir -p "$root/tmp/debs"
cp "$work"/facmon-agent_*.deb "$work"/facmon-collector_*.deb \
	"$work"/facmon-sim_*.deb "$root/tmp/debs/"
chroot "$root" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q curl /tmp/debs/*.deb' >"$work/install.log" 2>&1 ||
	{ tail -30 "$work/install.log"; fail "apt-get install"; }
grep -E '^(Setting up facmon|Adding system user|Created symlink)' \
	"$work/install.log" | sed 's/^/  /' || true

say "6. the installed system, in a network namespace of its own"
cp tests/install/in-chroot.sh "$root/tmp/"
unshare -n sh -c "ip link set lo up && chroot '$root' sh /tmp/in-chroot.sh" ||
	fail "in-chroot.sh"
# Nothing the test started may outlive it: a daemon left running in the
# removed tree would hold its port and files until the next boot.
left=""
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] || continue
	left="$left ${p#/proc/}"
done
if [ -n "$left" ]; then
	kill -9 $left 2>/dev/null || true
	fail "processes left running in the tree:$left"
fi
say "7. nothing left running"
say "passed"
