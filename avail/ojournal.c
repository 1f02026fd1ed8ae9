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
 * The outage journal (avail.h).  Writers append whole records with one
 * write() each and fsync() before anyone is told (an alert sent, an API
 * answer given); readers stop at the first record whose length or
 * checksum is wrong, which after a crash can only be the last one.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/common.h"
#include "../common/wire.h"
#include "avail.h"

#define OJ_MAGIC	"FMOJ"
#define OJ_VERSION	FM_OJ_VERSION
#define OJ_HDR		8
#define OJ_REC_MAX	4096	/* a record's payload is far smaller */

struct ojournal {
	int		 fd;
	char		 path[1024];
	struct wbuf	 buf;
};

static const char *const oj_type_names[OJ_TYPE_MAX] = {
	[OJ_DEVICE] = "device", [OJ_STATE] = "state",
	[OJ_CONFIRM] = "confirm", [OJ_ACK] = "ack",
	[OJ_CLASSIFY] = "classify", [OJ_NOTE] = "note",
	[OJ_LATENCY] = "latency",
};

static const char *const oj_class_names[OJC_MAX] = {
	[OJC_UNPLANNED] = "unplanned", [OJC_PLANNED] = "planned",
	[OJC_EXTERNAL] = "external",
};

const char *
oj_type_name(int t)
{
	return t > 0 && t < OJ_TYPE_MAX ? oj_type_names[t] : "invalid";
}

const char *
oj_class_name(int c)
{
	return c >= 0 && c < OJC_MAX ? oj_class_names[c] : "invalid";
}

static void
encode(struct wbuf *b, const struct oj_rec *r)
{
	wbuf_u8(b, r->type);
	wbuf_u64(b, (uint64_t)r->ts_ms);
	wbuf_str(b, r->device);
	wbuf_str(b, r->check);
	switch (r->type) {
	case OJ_DEVICE:
		wbuf_str(b, r->text);
		wbuf_str(b, r->dclass);
		wbuf_str(b, r->group);
		wbuf_str(b, r->parent);
		break;
	case OJ_STATE:
		wbuf_u8(b, r->state);
		wbuf_u8(b, r->outcome);
		wbuf_u64(b, (uint64_t)r->at_ms);
		wbuf_str(b, r->text);
		break;
	case OJ_CONFIRM:
		wbuf_u64(b, (uint64_t)r->at_ms);
		wbuf_u64(b, (uint64_t)r->confirmed_ms);
		break;
	case OJ_ACK:
	case OJ_NOTE:
		wbuf_u64(b, (uint64_t)r->at_ms);
		wbuf_str(b, r->who);
		wbuf_str(b, r->text);
		break;
	case OJ_CLASSIFY:
		wbuf_u64(b, (uint64_t)r->at_ms);
		wbuf_u8(b, r->cls);
		wbuf_str(b, r->who);
		wbuf_str(b, r->text);
		break;
	case OJ_LATENCY:
		wbuf_u64(b, (uint64_t)r->at_ms);
		wbuf_u32(b, r->span_ms);
		wbuf_u32(b, r->lat_ms);
		wbuf_u32(b, r->lat_n);
		wbuf_u32(b, r->lat_ok);
		break;
	}
}

static int
decode(const uint8_t *p, size_t len, struct oj_rec *r)
{
	struct rbuf b;

	memset(r, 0, sizeof(*r));
	rbuf_init(&b, p, len);
	r->type = rbuf_u8(&b);
	r->ts_ms = (int64_t)rbuf_u64(&b);
	rbuf_str(&b, r->device, sizeof(r->device));
	rbuf_str(&b, r->check, sizeof(r->check));
	switch (r->type) {
	case OJ_DEVICE:
		rbuf_str(&b, r->text, sizeof(r->text));
		rbuf_str(&b, r->dclass, sizeof(r->dclass));
		rbuf_str(&b, r->group, sizeof(r->group));
		rbuf_str(&b, r->parent, sizeof(r->parent));
		break;
	case OJ_STATE:
		r->state = rbuf_u8(&b);
		r->outcome = rbuf_u8(&b);
		r->at_ms = (int64_t)rbuf_u64(&b);
		rbuf_str(&b, r->text, sizeof(r->text));
		if (r->state >= AV_STATE_MAX)
			return -1;
		break;
	case OJ_CONFIRM:
		r->at_ms = (int64_t)rbuf_u64(&b);
		r->confirmed_ms = (int64_t)rbuf_u64(&b);
		break;
	case OJ_ACK:
	case OJ_NOTE:
		r->at_ms = (int64_t)rbuf_u64(&b);
		rbuf_str(&b, r->who, sizeof(r->who));
		rbuf_str(&b, r->text, sizeof(r->text));
		break;
	case OJ_CLASSIFY:
		r->at_ms = (int64_t)rbuf_u64(&b);
		r->cls = rbuf_u8(&b);
		rbuf_str(&b, r->who, sizeof(r->who));
		rbuf_str(&b, r->text, sizeof(r->text));
		if (r->cls >= OJC_MAX)
			return -1;
		break;
	case OJ_LATENCY:
		r->at_ms = (int64_t)rbuf_u64(&b);
		r->span_ms = rbuf_u32(&b);
		r->lat_ms = rbuf_u32(&b);
		r->lat_n = rbuf_u32(&b);
		r->lat_ok = rbuf_u32(&b);
		if (r->lat_ok > r->lat_n)
			return -1;
		break;
	default:
		return -1;
	}
	return b.err || b.off != b.len ? -1 : 0;
}

/*
 * Walk the records of an open file from the start.  Returns the offset
 * just past the last valid record; fills st.
 */
static off_t
scan(const char *path, int fd, int (*cb)(const struct oj_rec *, void *),
    void *arg, struct oj_stats *st, char *err, size_t errlen, int *cberr)
{
	uint32_t version;
	uint8_t	 hdr[OJ_HDR], rh[8], *p = NULL;
	off_t	 off = OJ_HDR, end;
	struct stat sb;
	struct oj_rec r;

	memset(st, 0, sizeof(*st));
	*cberr = 0;
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	end = sb.st_size;
	if (end == 0)
		return 0;
	if (pread(fd, hdr, OJ_HDR, 0) != OJ_HDR || memcmp(hdr, OJ_MAGIC, 4)) {
		fm_fmt(err, errlen, "%s: not a facmon outage journal", path);
		return -1;
	}
	/*
	 * The header has carried a version from the first release; a
	 * version 0 was never written, so it is damage, not age.
	 */
	version = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 |
	    (uint32_t)hdr[6] << 8 | hdr[7];
	if (version == 0) {
		fm_fmt(err, errlen, "%s: not a facmon outage journal", path);
		return -1;
	}
	if (fm_version_check(path, version, OJ_VERSION, err, errlen) == -1)
		return -1;
	if ((p = malloc(OJ_REC_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (off < end) {
		uint32_t len, crc;

		if (end - off < 8 || pread(fd, rh, 8, off) != 8) {
			snprintf(st->torn_why, sizeof(st->torn_why),
			    "record header cut short at offset %lld",
			    (long long)off);
			break;
		}
		len = (uint32_t)rh[0] << 24 | (uint32_t)rh[1] << 16 |
		    (uint32_t)rh[2] << 8 | rh[3];
		crc = (uint32_t)rh[4] << 24 | (uint32_t)rh[5] << 16 |
		    (uint32_t)rh[6] << 8 | rh[7];
		if (len == 0 || len > OJ_REC_MAX || end - off - 8 < len) {
			snprintf(st->torn_why, sizeof(st->torn_why),
			    "record length %u at offset %lld does not fit",
			    len, (long long)off);
			break;
		}
		if (pread(fd, p, len, off + 8) != (ssize_t)len ||
		    crc32c(0, p, len) != crc) {
			snprintf(st->torn_why, sizeof(st->torn_why),
			    "checksum mismatch at offset %lld", (long long)off);
			break;
		}
		if (decode(p, len, &r) == -1) {
			snprintf(st->torn_why, sizeof(st->torn_why),
			    "undecodable record at offset %lld",
			    (long long)off);
			break;
		}
		if (cb != NULL && cb(&r, arg) == -1) {
			*cberr = 1;
			break;
		}
		st->records++;
		off += 8 + (off_t)len;
	}
	free(p);
	st->bytes = (uint64_t)off;
	st->torn_bytes = (uint64_t)(end - off);
	return off;
}

int
oj_open(const char *path, struct ojournal **out, struct oj_stats *st,
    char *err, size_t errlen)
{
	struct ojournal *j;
	off_t	 good;
	int	 cberr;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fm_strlcpy(j->path, path, sizeof(j->path));
	if ((j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(j);
		return -1;
	}
	if ((good = scan(path, j->fd, NULL, NULL, st, err, errlen,
	    &cberr)) == -1)
		goto fail;
	if (good == 0) {
		uint8_t	 hdr[OJ_HDR] = { 'F', 'M', 'O', 'J', 0, 0, 0,
		    OJ_VERSION };

		if (pwrite(j->fd, hdr, OJ_HDR, 0) != OJ_HDR ||
		    fsync(j->fd) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		good = OJ_HDR;
		st->bytes = OJ_HDR;
	}
	/* Cut a torn tail away so that new records follow valid ones. */
	if (st->torn_bytes > 0 && (ftruncate(j->fd, good) == -1 ||
	    fsync(j->fd) == -1)) {
		snprintf(err, errlen, "%s: truncate: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (lseek(j->fd, good, SEEK_SET) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	wbuf_init(&j->buf);
	*out = j;
	return 0;
fail:
	close(j->fd);
	free(j);
	return -1;
}

int
oj_append(struct ojournal *j, const struct oj_rec *r, char *err,
    size_t errlen)
{
	size_t	 start, plen;
	uint32_t crc;
	uint8_t	*h;
	ssize_t	 n;

	wbuf_reset(&j->buf);
	wbuf_u32(&j->buf, 0);
	wbuf_u32(&j->buf, 0);
	start = j->buf.len;
	encode(&j->buf, r);
	if (j->buf.err) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	plen = j->buf.len - start;
	crc = crc32c(0, j->buf.p + start, plen);
	h = j->buf.p;
	h[0] = (uint8_t)(plen >> 24); h[1] = (uint8_t)(plen >> 16);
	h[2] = (uint8_t)(plen >> 8); h[3] = (uint8_t)plen;
	h[4] = (uint8_t)(crc >> 24); h[5] = (uint8_t)(crc >> 16);
	h[6] = (uint8_t)(crc >> 8); h[7] = (uint8_t)crc;
	/* One write per record: a crash leaves it whole or torn, never mixed. */
	if ((n = write(j->fd, j->buf.p, j->buf.len)) != (ssize_t)j->buf.len) {
		snprintf(err, errlen, "%s: %s", j->path, n == -1 ?
		    strerror(errno) : "short write");
		/*
		 * Take back a partial record so the next one is readable.  If
		 * that fails too, the reader stops at the torn record as
		 * after a crash; the write's error is the one to report.
		 */
		if (n > 0 &&
		    ftruncate(j->fd, lseek(j->fd, 0, SEEK_CUR) - n) == -1)
			log_debug("%s: ftruncate: %s", j->path,
			    strerror(errno));
		return -1;
	}
	return 0;
}

int
oj_sync(struct ojournal *j, char *err, size_t errlen)
{
	if (fdatasync(j->fd) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", j->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
oj_close(struct ojournal *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	wbuf_free(&j->buf);
	free(j);
}

/* Every valid record, in order; -1 if the file cannot be read at all. */
int
oj_read(const char *path, int (*cb)(const struct oj_rec *, void *),
    void *arg, struct oj_stats *st, char *err, size_t errlen)
{
	int	 fd, cberr;
	off_t	 r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = scan(path, fd, cb, arg, st, err, errlen, &cberr);
	close(fd);
	if (cberr) {
		snprintf(err, errlen, "%s: stopped by the reader", path);
		return -1;
	}
	return r == -1 ? -1 : 0;
}
