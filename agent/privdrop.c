/*
 * Copyright (c) 2026 The facmon authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS.
 */

/*
 * Started as root with `user` set, the agent opens what needs root
 * first -- the ICMP raw socket, the pcap handles, the trap ports, its key
 * -- and then becomes that user, keeping only CAP_NET_RAW (raw sockets
 * and pcap handles for checks added by a reload) and, when a trap port
 * is below 1024, CAP_NET_BIND_SERVICE (so that a reload can bind it
 * again).  Everything else goes: a bug in an SNMP, HTTP or trap parser
 * then holds no more than the right to send and read raw packets.
 *
 * It runs before any other thread exists (the spool thread starts
 * after it): capabilities belong to threads, and a thread started
 * earlier would keep root's.
 *
 * See docs/agent.md for setcap and the systemd unit, the other ways.
 */

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* A trap listen address on a port below 1024 ("udp:0.0.0.0:162"). */
static int
low_trap_port(const struct agent_conf *ac)
{
	const char *p;
	int	 i;

	if (ac->traps == NULL)
		return 0;
	for (i = 0; i < ac->traps->nlisten; i++) {
		p = strrchr(ac->traps->listen[i], ':');
		p = p != NULL ? p + 1 : ac->traps->listen[i];
		if (atoi(p) > 0 && atoi(p) < 1024)
			return 1;
	}
	return 0;
}

/* The spool must stay writable: hand it, and what is in it, over. */
static int
chown_spool(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char	 path[PATH_MAX + 300];
	struct dirent *de;
	DIR	*d;

	if (chown(dir, uid, gid) == -1) {
		snprintf(err, errlen, "chown %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (chown(path, uid, gid) == -1) {
			snprintf(err, errlen, "chown %s: %s", path,
			    strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/*
 * Become ac->user with only the capabilities kept.  Returns 0 when done
 * (or nothing to do), -1 with err filled.
 */
int
priv_drop(const struct agent_conf *ac, char *err, size_t errlen)
{
	cap_value_t keep[2];
	struct passwd *pw;
	cap_t	 caps;
	int	 nkeep = 0;

	if (ac->user[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		/* Already unprivileged (setcap, or systemd's User=). */
		log_info("user \"%s\": not started as root, running as uid %d",
		    ac->user, (int)geteuid());
		return 0;
	}
	if ((pw = getpwnam(ac->user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": no such user", ac->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root: nothing would be "
		    "dropped", ac->user);
		return -1;
	}
	if (ac->spool && chown_spool(ac->spool_dir, pw->pw_uid, pw->pw_gid,
	    err, errlen) == -1)
		return -1;
	keep[nkeep++] = CAP_NET_RAW;
	if (low_trap_port(ac))
		keep[nkeep++] = CAP_NET_BIND_SERVICE;
	/* Keep the permitted set through setuid, then cut it down. */
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "becoming user \"%s\": %s", ac->user,
		    strerror(errno));
		return -1;
	}
	if ((caps = cap_init()) == NULL ||
	    cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) == -1 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) == -1 ||
	    cap_set_proc(caps) == -1) {
		snprintf(err, errlen, "dropping capabilities: %s",
		    strerror(errno));
		if (caps != NULL)
			cap_free(caps);
		return -1;
	}
	cap_free(caps);
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	/* Neither root nor a setuid program can give them back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1 ||
	    setuid(0) != -1) {
		snprintf(err, errlen, "the privilege drop did not hold");
		return -1;
	}
	log_info("running as user %s (uid %d, gid %d), keeping CAP_NET_RAW%s",
	    ac->user, (int)pw->pw_uid, (int)pw->pw_gid, nkeep > 1 ?
	    " and CAP_NET_BIND_SERVICE" : "");
	return 0;
}
