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
 * The file channel: each message is appended to a file as one line,
 *
 *	time<TAB>key<TAB>recipient<TAB>text<TAB>crc32c
 *
 * for a wall display, a demo without a mail server, or a script that
 * tails it.  The line goes out in one write(2) on a file opened with
 * O_APPEND, so lines of two collectors never interleave, and it is
 * synced before the channel reports it sent: a crash loses no message
 * the outbox already marked sent.  The checksum covers the line up to
 * the tab before it, so a reader can tell a torn last line.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_channel.h"

struct file_opts {
	char		 path[PATH_MAX];
};

static const char *const file_keys[] = { "name", "type", "path",
	"language", "per_hour", NULL };

static void
file_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	struct file_opts *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		cfgerr_add(e, g, "out of memory");
		return;
	}
	ch->opts = o;
	if (alert_conf_line(e, g, "path", o->path, sizeof(o->path), 1) == 1 &&
	    o->path[0] != '/')
		cfgerr_add(e, config_setting_get_member(g, "path"),
		    "'path' must be absolute");
}

static void
file_free(struct alert_channel *ch)
{
	free(ch->opts);
	ch->opts = NULL;
}

static int
file_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	const struct file_opts *o = ch->opts;
	char	 text[1024], ts[32], line[1536];
	time_t	 t = time(NULL);
	struct tm tm;
	size_t	 n;
	ssize_t	 w;
	int	 fd, e;

	(void)msgid;
	alert_sms_text(text, sizeof(text), m, ch->english);
	/* The tab separates fields: none inside one. */
	for (n = 0; text[n] != '\0'; n++)
		if (text[n] == '\t')
			text[n] = ' ';
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
	n = (size_t)snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t", ts,
	    m->key, rc->name, text);
	if (n >= sizeof(line) - 10) {
		snprintf(err, errlen, "message too long for one line");
		return SEND_PERM;
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%08" PRIx32 "\n",
	    crc32c(0, line, n - 1));
	if ((fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1)
		goto fail;
	if ((w = write(fd, line, n)) != (ssize_t)n || fsync(fd) == -1) {
		/* A short write is a full disk: try again later. */
		e = w >= 0 && w != (ssize_t)n ? ENOSPC : errno;
		close(fd);
		errno = e;
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	return SEND_OK;
fail:
	snprintf(err, errlen, "file %s: %s", o->path, strerror(errno));
	/* A missing directory or no permission is a configuration fault. */
	return (errno == ENOENT || errno == EACCES || errno == ENOTDIR ||
	    errno == EROFS || errno == EISDIR) ? SEND_PERM : SEND_TEMP;
}

const struct channel_ops channel_file = {
	.type = "file",
	.keys = file_keys,
	.needs = CN_NONE,
	.parse = file_parse,
	.free = file_free,
	.send = file_send,
};
