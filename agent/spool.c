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
 * The agent's on-disk spool: every batch is written here, and synced,
 * before it is sent; it is released when the collector acknowledges it.
 *
 * A spool file is <spool_dir>/<16 hex digits>.spool and holds BATCH
 * frames exactly as they go on the wire (docs/wire.md): the frame header
 * already carries a version (the spool's, FM_SPOOL_VERSION), a length
 * and a CRC-32C, so a torn tail left by a crash
 * is recognised and cut, and a frame keeps its (session, sequence) for
 * ever, so that the collector recognises a batch sent again after an
 * agent restart.
 *
 * All file I/O happens on one work queue (common/workq.c), whose single
 * thread runs the requests (append, read back, unlink, strip) in the
 * order they were submitted: an append is written and fdatasync'd before
 * the next request begins, and its done() reaches the loop, in the same
 * order, only after that, so the queue counts a batch durable only once
 * it is on disk.  The only blocking I/O outside the thread is the scan
 * of the spool at start, before the loop runs.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "spool.h"

static struct {
	struct event_base *base;
	struct workq	*wq;		/* NULL until spool_start */
	int		 opened;
	int		 closing;	/* done() frees, no callback */
	/* Submitted before spool_start: handed to the queue then. */
	struct wjob	*early, **early_tail;
	void		(*cb)(struct sreq *);
	char		 dir[PATH_MAX];
	FILE		*ledger;	/* FACMON_SPOOL_LEDGER: tests only */

	/* The queue's thread only. */
	int		 fd;
	uint64_t	 segno;
} S = {
	.early_tail = &S.early,
	.fd = -1,
};

void
spool_path(char *buf, size_t len, uint64_t segno)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".spool", S.dir, segno);
}

/*
 * The test ledger: one line per result that is durable in the spool, so
 * that a test can check that everything spooled reaches the collector.
 */
static void
ledger_write(const uint8_t *frame, size_t len)
{
	struct fm_batch bt;
	char	 err[128];
	uint32_t i;

	if (S.ledger == NULL || len < FM_HDR_LEN)
		return;
	if (fm_get_batch(frame + FM_HDR_LEN, len - FM_HDR_LEN, &bt, err,
	    sizeof(err)) == -1)
		return;
	for (i = 0; i < bt.n; i++)
		fprintf(S.ledger, "%s %s %lld %u\n", bt.r[i].device,
		    bt.r[i].check, (long long)bt.r[i].ts_ms, bt.r[i].outcome);
	fflush(S.ledger);
	fm_batch_free(&bt);
}

static int
do_append(struct sreq *r)
{
	char	 path[PATH_MAX + 32];
	struct stat sb;

	if (S.fd == -1 || S.segno != r->segno) {
		if (S.fd != -1)
			close(S.fd);
		spool_path(path, sizeof(path), r->segno);
		if ((S.fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600)) == -1)
			return -1;
		S.segno = r->segno;
		if (fm_fsync_dir(S.dir) == -1)
			return -1;
	}
	if (fstat(S.fd, &sb) == -1)
		return -1;
	r->off = sb.st_size;
	if (write(S.fd, r->data, r->len) != (ssize_t)r->len) {
		/* Cut a partial frame so the file stays a clean sequence. */
		(void)!ftruncate(S.fd, r->off);
		if (errno == 0)
			errno = ENOSPC;
		return -1;
	}
	if (fdatasync(S.fd) == -1) {
		(void)!ftruncate(S.fd, r->off);
		return -1;
	}
	ledger_write(r->data, r->len);
	return 0;
}

static int
do_read(struct sreq *r)
{
	char	 path[PATH_MAX + 32];
	int	 fd;
	ssize_t	 got;

	spool_path(path, sizeof(path), r->segno);
	if ((r->data = malloc(r->len)) == NULL)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	got = pread(fd, r->data, r->len, r->off);
	close(fd);
	if (got != (ssize_t)r->len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Rewrite a spool file with the values of every result removed: the
 * bulk metrics go, the outcomes (what availability is made of) stay.
 * Each frame keeps its session and sequence.  The new offsets and
 * lengths are returned in r->strip, in file order.
 */
static int
do_strip(struct sreq *r)
{
	char	 path[PATH_MAX + 32], tmp[PATH_MAX + 40], err[128];
	uint8_t	*buf = NULL;
	struct wbuf out;
	struct stat sb;
	size_t	 off = 0, n = 0, cap = 0;
	int	 fd;

	spool_path(path, sizeof(path), r->segno);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || (buf = malloc((size_t)sb.st_size + 1)) ==
	    NULL || read(fd, buf, (size_t)sb.st_size) != sb.st_size) {
		close(fd);
		free(buf);
		return -1;
	}
	close(fd);
	wbuf_init(&out);
	while (off + FM_HDR_LEN <= (size_t)sb.st_size) {
		struct fm_hdr h;
		struct fm_batch bt;
		const struct fm_result **ptr;
		struct spool_loc *nl;
		size_t	 start = out.len;
		uint32_t i;

		if (fm_frame_parse(buf + off, (size_t)sb.st_size - off, &h, err,
		    sizeof(err)) != 1 || h.type != FM_BATCH ||
		    fm_get_batch(buf + off + FM_HDR_LEN, h.len, &bt, err,
		    sizeof(err)) == -1)
			break;
		if ((ptr = calloc(bt.n ? bt.n : 1, sizeof(*ptr))) == NULL) {
			fm_batch_free(&bt);
			break;
		}
		for (i = 0; i < bt.n; i++) {
			r->nvalues += bt.r[i].nvalues;
			fm_result_clear(&bt.r[i]);
			ptr[i] = &bt.r[i];
		}
		fm_put_batch(&out, bt.session, bt.seq, ptr, bt.n);
		free(ptr);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nl = reallocarray(r->strip, cap,
			    sizeof(*nl))) == NULL) {
				fm_batch_free(&bt);
				break;
			}
			r->strip = nl;
		}
		r->strip[n].session = bt.session;
		r->strip[n].seq = bt.seq;
		r->strip[n].off = (off_t)start;
		r->strip[n].len = out.len - start;
		n++;
		fm_batch_free(&bt);
		off += FM_HDR_LEN + h.len;
	}
	free(buf);
	r->nstrip = n;
	if (out.err || fm_write_file_atomic(path, out.p, out.len, err,
	    sizeof(err)) == -1) {
		wbuf_free(&out);
		errno = ENOSPC;
		return -1;
	}
	wbuf_free(&out);
	if (S.segno == r->segno && S.fd != -1) {
		/* The old inode is gone: appends must reopen the file. */
		close(S.fd);
		S.fd = -1;
	}
	return 0;
}

/* One request, on the queue's thread. */
static void
sreq_run(struct wjob *j)
{
	struct sreq *r = j->arg;
	char	 path[PATH_MAX + 32];

	errno = 0;
	switch (r->op) {
	case SR_APPEND:
		r->err = do_append(r) == -1 ? errno : 0;
		break;
	case SR_READ:
		r->err = do_read(r) == -1 ? errno : 0;
		break;
	case SR_UNLINK:
		if (S.segno == r->segno && S.fd != -1) {
			close(S.fd);
			S.fd = -1;
		}
		spool_path(path, sizeof(path), r->segno);
		r->err = unlink(path) == -1 && errno != ENOENT ?
		    errno : 0;
		break;
	case SR_STRIP:
		r->err = do_strip(r) == -1 ? errno : 0;
		break;
	}
}

/*
 * Back on the loop.  While the spool closes, what the thread finishes
 * is only freed: the queue is shutting down and must not be called.
 */
static void
sreq_done(struct wjob *j)
{
	struct sreq *r = j->arg;

	if (S.closing)
		spool_req_free(r);
	else
		S.cb(r);
}

void
spool_submit(struct sreq *r)
{
	r->job.run = sreq_run;
	r->job.done = sreq_done;
	r->job.arg = r;
	if (S.wq == NULL) {
		r->job.next = NULL;
		*S.early_tail = &r->job;
		S.early_tail = &r->job.next;
		return;
	}
	workq_submit(S.wq, &r->job);
}

void
spool_req_free(struct sreq *r)
{
	free(r->data);
	free(r->strip);
	free(r);
}

static int
segcmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Open the spool (refusing a directory others can read: the batches say
 * what the site's devices are) and report every frame already in it,
 * oldest first, through found().  A torn tail is cut.  Runs before the
 * event loop, so its reads may block.
 */
int
spool_open(struct event_base *base, const char *dir,
    void (*cb)(struct sreq *),
    void (*found)(uint64_t segno, off_t off, const uint8_t *frame,
    size_t len), uint64_t *last_segno, char *err, size_t errlen)
{
	DIR	*d;
	struct dirent *de;
	struct stat sb;
	uint64_t *segs = NULL, *ns;
	size_t	 n = 0, cap = 0, i;
	const char *lp;

	fm_strlcpy(S.dir, dir, sizeof(S.dir));
	S.base = base;
	S.cb = cb;
	if (fm_mkdirs(S.dir, 0700) == -1 || stat(S.dir, &sb) == -1) {
		snprintf(err, errlen, "spool %s: %s", S.dir, strerror(errno));
		return -1;
	}
	if (sb.st_mode & 0077) {
		snprintf(err, errlen, "spool %s: readable by others (mode "
		    "%03o); chmod 700 it", S.dir, (unsigned)(sb.st_mode &
		    0777));
		return -1;
	}
	if ((lp = getenv("FACMON_SPOOL_LEDGER")) != NULL && *lp != '\0' &&
	    (S.ledger = fopen(lp, "a")) == NULL) {
		snprintf(err, errlen, "%s: %s", lp, strerror(errno));
		return -1;
	}
	if ((d = opendir(S.dir)) == NULL) {
		snprintf(err, errlen, "spool %s: %s", S.dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char	*end;
		unsigned long long s;

		if (strlen(de->d_name) != 22 ||
		    strcmp(de->d_name + 16, ".spool") != 0)
			continue;
		s = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((ns = reallocarray(segs, cap, sizeof(*ns))) ==
			    NULL)
				fatal("spool");
			segs = ns;
		}
		segs[n++] = s;
	}
	closedir(d);
	/* No segment, no array: qsort() must not be handed a null pointer. */
	if (n > 0)
		qsort(segs, n, sizeof(*segs), segcmp);
	*last_segno = 0;
	for (i = 0; i < n; i++) {
		char	 path[PATH_MAX + 32], e2[128];
		uint8_t	*buf;
		size_t	 off = 0;
		int	 fd;

		*last_segno = segs[i];
		spool_path(path, sizeof(path), segs[i]);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 ||
		    fstat(fd, &sb) == -1) {
			log_warn("spool: %s", path);
			if (fd != -1)
				close(fd);
			continue;
		}
		if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
			fatal("spool");
		if (read(fd, buf, (size_t)sb.st_size) != sb.st_size) {
			log_warn("spool: %s", path);
			free(buf);
			close(fd);
			continue;
		}
		while (off < (size_t)sb.st_size) {
			struct fm_hdr h;

			/*
			 * A frame of a newer version is a spool a newer agent
			 * left: refused whole, never cut as if it were torn.
			 */
			if ((size_t)sb.st_size - off >= 3 &&
			    buf[off] == FM_MAGIC0 && buf[off + 1] == FM_MAGIC1 &&
			    fm_version_check(path, buf[off + 2],
			    FM_SPOOL_VERSION, err, errlen) == -1) {
				free(buf);
				close(fd);
				free(segs);
				return -1;
			}
			if (fm_frame_parse(buf + off, (size_t)sb.st_size - off,
			    &h, e2, sizeof(e2)) != 1 || h.type != FM_BATCH) {
				log_warnx("spool: %s: incomplete frame at %zu "
				    "(a write cut short); cutting it", path,
				    off);
				if (ftruncate(fd, (off_t)off) == -1)
					log_warn("spool: truncate %s", path);
				break;
			}
			found(segs[i], (off_t)off, buf + off,
			    FM_HDR_LEN + h.len);
			off += FM_HDR_LEN + h.len;
		}
		free(buf);
		close(fd);
		if (off == 0 && unlink(path) == 0)
			log_debug("spool: removed empty %s", path);
	}
	free(segs);
	S.opened = 1;
	return 0;
}

/*
 * Start the I/O thread (the work queue); requests submitted before wait
 * for it.  Apart from spool_open so that the agent can drop its
 * privileges first: a thread keeps the capabilities it was started with.
 */
int
spool_start(char *err, size_t errlen)
{
	struct wjob *j;

	if (S.wq != NULL || !S.opened)
		return 0;
	if ((S.wq = workq_new(S.base, "spool", err, errlen)) == NULL)
		return -1;
	while ((j = S.early) != NULL) {
		S.early = j->next;
		workq_submit(S.wq, j);
	}
	S.early_tail = &S.early;
	return 0;
}

/* Finish what is queued, then stop the thread. */
void
spool_close(void)
{
	struct wjob *j, *next;

	S.closing = 1;
	workq_free(S.wq, WQ_DRAIN);
	S.wq = NULL;
	/* Never started: what was submitted never ran. */
	for (j = S.early; j != NULL; j = next) {
		next = j->next;
		spool_req_free(j->arg);
	}
	S.early = NULL;
	S.early_tail = &S.early;
	S.closing = 0;
	S.opened = 0;
	if (S.fd != -1)
		close(S.fd);
	S.fd = -1;
	if (S.ledger != NULL)
		fclose(S.ledger);
	S.ledger = NULL;
}
