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
 * Started as root with `user` set, the collector binds its ports (which
 * may be below 1024), opens its journals and reads its keys, and then
 * becomes that user with no capability at all and no way back: nothing
 * it does afterwards needs root, and a bug in the frame decoder or the
 * HTTP code then holds no more than the data directory.
 *
 * The data directory is handed to the user first, as files the collector
 * creates later (journal segments, RRD files, reports) go there; only
 * what is owned by someone else is changed, so that a restart walks the
 * tree without writing.
 *
 * The uid and gid change in every thread at once (the C library applies
 * setresuid and setgroups to all threads); PR_SET_NO_NEW_PRIVS holds for
 * the loop's thread, which is the one that starts other programs.
 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

static uid_t	 to_uid;
static gid_t	 to_gid;
static int	 walk_errno;
static char	 walk_path[PATH_MAX];

static int
chown_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	if (sb->st_uid == to_uid && sb->st_gid == to_gid)
		return 0;
	if (lchown(path, to_uid, to_gid) == -1) {
		walk_errno = errno;
		fm_strlcpy(walk_path, path, sizeof(walk_path));
		return 1;
	}
	return 0;
}

int
collector_priv_drop(const struct collector_conf *cf, char *err,
    size_t errlen)
{
	struct passwd *pw;

	if (cf->user[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		/* systemd's User= did it already: only close the way back. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1) {
			snprintf(err, errlen, "no_new_privs: %s",
			    strerror(errno));
			return -1;
		}
		log_info("user \"%s\": not started as root, running as uid %d",
		    cf->user, (int)geteuid());
		return 0;
	}
	if ((pw = getpwnam(cf->user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": no such user", cf->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root: nothing would be "
		    "dropped", cf->user);
		return -1;
	}
	to_uid = pw->pw_uid;
	to_gid = pw->pw_gid;
	walk_errno = 0;
	if (nftw(cf->data_dir, chown_one, 32, FTW_PHYS) != 0) {
		snprintf(err, errlen, "handing %s to user \"%s\": %s",
		    walk_errno ? walk_path : cf->data_dir, cf->user,
		    strerror(walk_errno ? walk_errno : errno));
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "becoming user \"%s\": %s", cf->user,
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1 ||
	    setuid(0) != -1) {
		snprintf(err, errlen, "the privilege drop did not hold");
		return -1;
	}
	log_info("running as user %s (uid %d, gid %d), no capabilities",
	    cf->user, (int)pw->pw_uid, (int)pw->pw_gid);
	return 0;
}

/* Reload: privileges were dropped at start, once. */
static int
privdrop_reload_check(const struct collector_conf *old,
    struct collector_conf *nc)
{
	if (strcmp(nc->user, old->user) == 0)
		return 0;
	fm_strlcpy(nc->user, old->user, sizeof(nc->user));
	return reload_refuse("user");
}

const struct reload_ops privdrop_reload = {
	.module = "privdrop",
	.check = privdrop_reload_check,
};
