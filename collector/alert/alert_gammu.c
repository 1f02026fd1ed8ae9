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
 * The gammu channel: a file in gammu-smsd's "files" outbox, named
 * OUT<priority><date>_<time>_<serial>_<number>_<note>.txt as
 * gammu-smsd-files(7) describes; written under a hidden name (smsd
 * skips names starting with '.') and renamed in, so smsd never reads
 * half a message.  The text is UTF-16 with a byte order mark, which
 * smsd recognises whatever its locale (without a mark it decodes in
 * the locale); "encoding = utf-8" writes plain UTF-8 instead.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_channel.h"

/* UTF-8 to UTF-16BE after a byte order mark, as smsd writes it too. */
static size_t
to_utf16be(unsigned char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	 o = 0;

	if (len < 2)
		return 0;
	dst[o++] = 0xfe;
	dst[o++] = 0xff;
	while (*s && o + 4 <= len) {
		uint32_t cp;
		size_t	 l = fm_utf8_len(s, strnlen((const char *)s, 4)), i;

		/* common/util.c validated the sequence: only its bits here. */
		if (l == 0) {
			cp = '?';
			l = 1;
		} else if (l == 1)
			cp = *s;
		else {
			cp = s[0] & (0xff >> (l + 1));
			for (i = 1; i < l; i++)
				cp = (cp << 6) | (s[i] & 0x3f);
		}
		s += l;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			dst[o++] = (unsigned char)(0xd8 | ((cp >> 18) & 3));
			dst[o++] = (unsigned char)(cp >> 10);
			dst[o++] = (unsigned char)(0xdc | ((cp >> 8) & 3));
			dst[o++] = (unsigned char)cp;
		} else {
			dst[o++] = (unsigned char)(cp >> 8);
			dst[o++] = (unsigned char)cp;
		}
	}
	return o;
}

static int
gammu_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	char	 text[1024], note[48], tmp[PATH_MAX], path[PATH_MAX], ts[32];
	unsigned char data[2048];
	size_t	 len, i, off;
	time_t	 now = time(NULL);
	struct tm tm;
	ssize_t	 w;
	int	 fd, e;

	alert_sms_text(text, sizeof(text), m, ch->english);
	/* The note must hold neither '.' (extension) nor '_' (fields). */
	for (i = 0; msgid[i] != '\0' && i < 40; i++)
		note[i] = (msgid[i] == '.' || msgid[i] == '_') ? '-' :
		    msgid[i];
	note[i] = '\0';
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d_%H%M%S", &tm);
	if ((size_t)snprintf(path, sizeof(path), "%s/OUT%c%s_00_%s_%s.txt",
	    ch->spool_dir, ch->priority, ts, rc->phone, note) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.facmon-%s.tmp", ch->spool_dir, note) >= sizeof(tmp)) {
		snprintf(err, errlen, "spool path too long");
		return SEND_PERM;
	}
	if (ch->utf8) {
		len = strlen(text);
		memcpy(data, text, len);
	} else
		len = to_utf16be(data, sizeof(data), text);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		goto fail;
	for (off = 0; off < len; off += (size_t)w) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			goto fail;
		}
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return SEND_OK;
fail:
	snprintf(err, errlen, "gammu spool %s: %s", ch->spool_dir,
	    strerror(errno));
	/* A missing or forbidden spool is a configuration fault. */
	return (errno == ENOENT || errno == EACCES || errno == ENOTDIR ||
	    errno == EROFS) ? SEND_PERM : SEND_TEMP;
}

static const char *const gammu_keys[] = { "name", "type", "spool_dir",
	"encoding", "priority", "language", "per_hour", "signature",
	"template", "segments", NULL };

static void
gammu_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	char	 s[16];

	alert_conf_line(e, g, "spool_dir", ch->spool_dir,
	    sizeof(ch->spool_dir), 1);
	if (cfg_get_str(e, g, "encoding", s, sizeof(s), 0) == 1) {
		if (strcmp(s, "utf-8") == 0)
			ch->utf8 = 1;
		else if (strcmp(s, "utf-16") != 0)
			cfgerr_add(e, config_setting_get_member(g, "encoding"),
			    "'encoding' must be \"utf-16\" or \"utf-8\"");
	}
	if (cfg_get_str(e, g, "priority", s, sizeof(s), 0) == 1) {
		if (strlen(s) != 1 || s[0] < 'A' || s[0] > 'Z')
			cfgerr_add(e, config_setting_get_member(g, "priority"),
			    "'priority' must be one letter A..Z");
		else
			ch->priority = s[0];
	}
	alert_conf_sms_text(e, g, ch, "template");
}

const struct channel_ops channel_gammu = {
	.type = "gammu",
	.keys = gammu_keys,
	.needs = CN_PHONE,
	.parse = gammu_parse,
	.send = gammu_send,
};
