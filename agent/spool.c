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
 * All file I/O happens in one thread.  The event loop queues requests
 * (append, read back, unlink, strip) and is told through an eventfd when
 * they are done; the only blocking I/O outside the thread is the scan of
 * the spool at start, before the loop runs.
 */

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "spool.h"

static struct {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	pthread_t	 thr;
	int		 running, stop;
	struct sreq	*todo, *todo_tail;
	struct sreq	*done, *done_tail;
	int		 efd;
	struct event	*ev;
	void		(*cb)(struct sreq *);
	char		 dir[PATH_MAX];
	FILE		*ledger;	/* FACMON_SPOOL_LEDGER: tests only */

	/* Thread only. */
	int		 fd;
	uint64_t	 segno;
} S = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.efd = -1,
	.fd = -1,
};

void
spool_path(char *buf, size_t len, uint64_t segno)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".spool", S.dir, segno);
}

static int
sync_dir(void)
{
	int	 fd, r;

	if ((fd = open(S.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
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
		if (sync_dir() == -1)
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

static void *
sthread(void *arg)
{
	struct sreq *r;
	char	 path[PATH_MAX + 32];
	uint64_t one = 1;

	(void)arg;
	pthread_mutex_lock(&S.mtx);
	for (;;) {
		while (S.todo == NULL && !S.stop)
			pthread_cond_wait(&S.cv, &S.mtx);
		if (S.todo == NULL)
			break;
		r = S.todo;
		if ((S.todo = r->next) == NULL)
			S.todo_tail = NULL;
		pthread_mutex_unlock(&S.mtx);

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
		pthread_mutex_lock(&S.mtx);
		r->next = NULL;
		if (S.done_tail != NULL)
			S.done_tail->next = r;
		else
			S.done = r;
		S.done_tail = r;
		(void)!write(S.efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&S.mtx);
	return NULL;
}

static void
efd_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sreq *list, *r, *next;
	uint64_t v;

	(void)ev;
	(void)arg;
	(void)!read(fd, &v, sizeof(v));
	pthread_mutex_lock(&S.mtx);
	list = S.done;
	S.done = S.done_tail = NULL;
	pthread_mutex_unlock(&S.mtx);
	for (r = list; r != NULL; r = next) {
		next = r->next;
		S.cb(r);
	}
}

void
spool_submit(struct sreq *r)
{
	r->next = NULL;
	pthread_mutex_lock(&S.mtx);
	if (S.todo_tail != NULL)
		S.todo_tail->next = r;
	else
		S.todo = r;
	S.todo_tail = r;
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mtx);
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
	if ((S.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (S.ev = event_new(base, S.efd, EV_READ | EV_PERSIST, efd_cb,
	    NULL)) == NULL || event_add(S.ev, NULL) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Start the I/O thread; requests submitted before wait for it.  Apart
 * from spool_open so that the agent can drop its privileges first: a
 * thread keeps the capabilities it was started with.
 */
int
spool_start(char *err, size_t errlen)
{
	if (S.running || S.efd == -1)
		return 0;
	if (pthread_create(&S.thr, NULL, sthread, NULL) != 0) {
		snprintf(err, errlen, "pthread_create failed");
		return -1;
	}
	S.running = 1;
	return 0;
}

/* Finish what is queued, then stop the thread. */
void
spool_close(void)
{
	struct sreq *r, *next;

	if (S.running) {
		pthread_mutex_lock(&S.mtx);
		S.stop = 1;
		pthread_cond_signal(&S.cv);
		pthread_mutex_unlock(&S.mtx);
		pthread_join(S.thr, NULL);
		S.running = 0;
	}
	for (r = S.done; r != NULL; r = next) {
		next = r->next;
		spool_req_free(r);
	}
	S.done = S.done_tail = NULL;
	if (S.fd != -1)
		close(S.fd);
	S.fd = -1;
	if (S.ev != NULL)
		event_free(S.ev);
	S.ev = NULL;
	if (S.efd != -1)
		close(S.efd);
	S.efd = -1;
	if (S.ledger != NULL)
		fclose(S.ledger);
	S.ledger = NULL;
}
