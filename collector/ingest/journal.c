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
 * The collector's journal: what an ACK promises.
 *
 * Every batch (and every device list) an agent sends is appended here
 * before it is acknowledged; on start the journal is replayed into state
 * and RRD, so that a crash between the ACK and the RRD write loses
 * nothing, and the (agent, session, sequence) of every batch survives to
 * recognise replays.
 *
 * Layout: <data_dir>/journal/<16 hex digits>.fmj, segments numbered in
 * order.  Each start opens a new segment, so appends never follow a torn
 * tail.  A record is
 *
 *	u32 magic 'FMJR', u32 payload length, u32 CRC-32C of the payload,
 *	payload: u8 type, u64 receive time (wall ms), str agent, body
 *
 * with the body being the wire payload of the frame (enum jrec).  The
 * segment header is a record of type JR_SEGMENT whose body is the
 * segment's format version (u16, FM_JOURNAL_VERSION); the release
 * before versions wrote it with an empty body, read as version 1, whose
 * records are the same.  Every segment's version is checked before any
 * is replayed, so a newer segment stops the start without half a
 * replay behind it.
 *
 * Writes and fsync happen on the journal's own work queue (common/workq.c),
 * whose one thread keeps each segment single-writer and whose disk holds
 * up nothing else.  The event loop only appends encoded records to a list,
 * gets a ticket and kicks the write job; the job takes all that is queued,
 * writes it with one writev(), calls fdatasync() once for the lot (group
 * commit), and its done() tells the loop the highest ticket now durable.
 * Records appended while a write is under way kick the job once more, and
 * that next run takes all of them in one go.  If a write or fsync fails
 * (ENOSPC on a full disk), the segment is cut back to its last durable
 * length, the records go back to the front of the list, the storage alarm
 * is raised and done() puts the job back on the queue for a second later
 * (an append brings it forward): it tries again with the same records,
 * nothing is acknowledged meanwhile and nothing is lost, and it recovers
 * by itself when space returns.  journal_close() makes one last attempt
 * at what is queued; what that cannot write was never acknowledged, and
 * the agents send it again.
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ingest.h"
#include "../../common/workq.h"

#define JR_MAGIC	0x464d4a52U	/* "FMJR" */
#define JR_HDR_LEN	12
#define JR_MAX		(FM_FRAME_MAX + 1024)
#define RETRY_S		1

struct jrec {
	struct jrec	*next;
	uint64_t	 ticket;
	int		 rotate;	/* start a new segment before this */
	size_t		 len;
	uint8_t		 data[];
};

static struct {
	/*
	 * The list of records to write, the tickets, the alarm and the
	 * counters are shared by the loop (journal_append, the stats) and
	 * the queue's thread (write_run): mtx guards them.
	 */
	pthread_mutex_t	 mtx;
	struct jrec	*head, *tail;
	uint64_t	 next_ticket;	/* loop: last ticket handed out */
	uint64_t	 durable;	/* write_run: highest durable ticket */
	size_t		 pending_bytes;
	int		 failing;	/* storage alarm */
	int		 last_errno;
	struct journal_stats st;

	/* The queue's thread only, once started. */
	int		 fd;
	uint64_t	 segno;
	off_t		 good;		/* durable length of the segment */

	/* The loop only. */
	char		 dir[PATH_MAX];
	struct event_base *base;
	struct workq	*wq;		/* NULL until journal_start */
	struct wjob	 wjob;		/* the group commit: kicked */
	int		 stop;		/* journal_close has begun */
	void		(*durable_cb)(uint64_t);
} J = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
};

static void
seg_path(char *buf, size_t len, uint64_t segno)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".fmj", J.dir, segno);
}

static void
put_header(struct wbuf *b, uint8_t type, int64_t rx_ms, const char *agent)
{
	wbuf_u32(b, JR_MAGIC);
	wbuf_u32(b, 0);		/* length, set by seal() */
	wbuf_u32(b, 0);		/* crc, set by seal() */
	wbuf_u8(b, type);
	wbuf_u64(b, (uint64_t)rx_ms);
	wbuf_str(b, agent);
}

static void
seal(struct wbuf *b)
{
	uint32_t len, crc;

	if (b->err || b->len < JR_HDR_LEN)
		return;
	len = (uint32_t)(b->len - JR_HDR_LEN);
	crc = crc32c(0, b->p + JR_HDR_LEN, len);
	b->p[4] = (uint8_t)(len >> 24);
	b->p[5] = (uint8_t)(len >> 16);
	b->p[6] = (uint8_t)(len >> 8);
	b->p[7] = (uint8_t)len;
	b->p[8] = (uint8_t)(crc >> 24);
	b->p[9] = (uint8_t)(crc >> 16);
	b->p[10] = (uint8_t)(crc >> 8);
	b->p[11] = (uint8_t)crc;
}

/* Queue: open segment segno, durable (file and directory entry). */
static int
seg_open(uint64_t segno)
{
	char	 path[PATH_MAX + 32];
	struct wbuf b;
	int	 fd;

	seg_path(path, sizeof(path), segno);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_APPEND, 0600)) == -1)
		return -1;
	wbuf_init(&b);
	put_header(&b, JR_SEGMENT, now_ms(), "");
	wbuf_u16(&b, FM_JOURNAL_VERSION);
	seal(&b);
	if (b.err || write(fd, b.p, b.len) != (ssize_t)b.len ||
	    fdatasync(fd) == -1 || fm_fsync_dir(J.dir) == -1) {
		int	 e = errno;

		wbuf_free(&b);
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	if (J.fd != -1)
		close(J.fd);
	J.fd = fd;
	J.segno = segno;
	J.good = (off_t)b.len;
	wbuf_free(&b);
	return 0;
}

/*
 * Queue: write and sync a list of records; 0, or -1 with errno and the
 * current segment cut back to its durable length.  Records before a
 * rotation that succeeded are durable in the old segment; if a later
 * write fails they are written again into the new one, which replay
 * tolerates (batches are recognised by sequence, device lists and
 * checkpoints are idempotent).
 */
static int
write_list(struct jrec *list)
{
	struct jrec *r;
	struct iovec iov[64];
	int	 n = 0, e;
	size_t	 want = 0;
	ssize_t	 got = 0;
	off_t	 base = J.good;

	for (r = list; r != NULL; r = r->next) {
		if (r->rotate) {
			/* What precedes the rotation goes to the old one. */
			if (n > 0) {
				got = writev(J.fd, iov, n);
				if (got != (ssize_t)want)
					goto fail;
				n = 0;
				want = 0;
			}
			if (fdatasync(J.fd) == -1 || seg_open(J.segno + 1) ==
			    -1) {
				got = -1;
				goto fail;
			}
			J.st.segments++;
			base = J.good;
			r->rotate = 0;
		}
		iov[n].iov_base = r->data;
		iov[n].iov_len = r->len;
		want += r->len;
		if (++n == 64 || r->next == NULL) {
			got = writev(J.fd, iov, n);
			if (got != (ssize_t)want)
				goto fail;
			n = 0;
			want = 0;
		}
	}
	if (fdatasync(J.fd) == -1) {
		got = -1;
		goto fail;
	}
	J.good = lseek(J.fd, 0, SEEK_END);
	return 0;
fail:
	/* A short write without an error: the disk is full. */
	e = got >= 0 ? ENOSPC : errno;
	(void)!ftruncate(J.fd, base);
	J.good = base;
	errno = e;
	return -1;
}

/*
 * Queue: write all that is queued.  A run may find the list empty (a
 * kick while the last run was writing, whose records that run took).
 */
static void
write_run(struct wjob *w)
{
	struct jrec *list, *r, *next;
	uint64_t top = 0, n = 0;
	size_t	 bytes = 0;
	int	 e;

	(void)w;
	pthread_mutex_lock(&J.mtx);
	list = J.head;
	J.head = J.tail = NULL;
	pthread_mutex_unlock(&J.mtx);
	if (list == NULL)
		return;
	for (r = list; r != NULL; r = r->next) {
		top = r->ticket;
		bytes += r->len;
		n++;
	}
	if (write_list(list) == -1) {
		e = errno;
		/*
		 * The segment is back at its durable length; the very same
		 * records are tried again (write_done).  No ticket past the
		 * last durable one is reported, so nothing is acknowledged.
		 */
		pthread_mutex_lock(&J.mtx);
		if (!J.failing)
			log_warnx("journal: %s; storage alarm raised, "
			    "not acknowledging until it can write",
			    strerror(e));
		J.failing = 1;
		J.last_errno = e;
		J.st.write_errors++;
		/* Put the records back in front, in order. */
		for (r = list; r->next != NULL; r = r->next)
			;
		r->next = J.head;
		J.head = list;
		if (J.tail == NULL)
			J.tail = r;
		pthread_mutex_unlock(&J.mtx);
		return;
	}
	pthread_mutex_lock(&J.mtx);
	if (J.failing)
		log_info("journal: writing again; storage alarm cleared");
	J.failing = 0;
	J.durable = top;
	J.st.fsyncs++;
	J.st.bytes += bytes;
	J.st.records += n;
	J.pending_bytes -= bytes;
	pthread_mutex_unlock(&J.mtx);
	for (r = list; r != NULL; r = next) {
		next = r->next;
		free(r);
	}
}

/*
 * Loop: tell the ingest what is durable now (and whether the disk
 * fails).  Records left on the list with no run to come are those of a
 * failed write: the job comes back for them in RETRY_S.  The job is
 * submitted only on the loop (here, journal_start, journal_append and
 * journal_close), never from its own run, so that workq_busy() cannot
 * change between this test and the submit and the job is never queued
 * twice; a kick that comes meanwhile brings the retry forward.
 */
static void
write_done(struct wjob *w)
{
	uint64_t d;
	int	 left;

	if (w->cancelled || J.stop)
		return;
	pthread_mutex_lock(&J.mtx);
	d = J.durable;
	left = J.head != NULL;
	pthread_mutex_unlock(&J.mtx);
	if (left && !workq_busy(J.wq, w))
		workq_submit_at(J.wq, w, mono_ms() + RETRY_S * 1000);
	J.durable_cb(d);
}

static int
segcmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Segment numbers in the directory, sorted; the caller frees. */
static uint64_t *
list_segments(size_t *n)
{
	DIR	*d;
	struct dirent *de;
	uint64_t *v = NULL, *nv;
	size_t	 cap = 0;
	char	*end;

	*n = 0;
	if ((d = opendir(J.dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		unsigned long long s;

		if (strlen(de->d_name) != 20 ||
		    strcmp(de->d_name + 16, ".fmj") != 0)
			continue;
		s = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[(*n)++] = s;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), segcmp);
	return v;
}

/*
 * The format version of a segment, from its header record: 1 when the
 * body is empty (the release before versions), 0 when the header cannot
 * be read (an empty or torn file, which replay_segment() handles).
 */
static unsigned int
seg_version(uint64_t segno)
{
	char	 path[PATH_MAX + 32], agent[FM_ID_MAX];
	uint8_t	 buf[JR_HDR_LEN + 64];
	struct rbuf r;
	uint32_t len;
	ssize_t	 got;
	unsigned int v = 0;
	int	 fd;

	seg_path(path, sizeof(path), segno);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	got = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (got < JR_HDR_LEN || ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] <<
	    16 | (uint32_t)buf[2] << 8 | buf[3]) != JR_MAGIC)
		return 0;
	len = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
	    (uint32_t)buf[6] << 8 | buf[7];
	if (len > (size_t)got - JR_HDR_LEN || crc32c(0, buf + JR_HDR_LEN,
	    len) != ((uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
	    (uint32_t)buf[10] << 8 | buf[11]))
		return 0;
	rbuf_init(&r, buf + JR_HDR_LEN, len);
	if (rbuf_u8(&r) != JR_SEGMENT)
		return 0;
	(void)rbuf_u64(&r);
	rbuf_str(&r, agent, sizeof(agent));
	if (r.err)
		return 0;
	if (r.off == r.len)
		return 1;
	v = rbuf_u16(&r);
	return r.err ? 0 : v;
}

/*
 * Read one segment, calling cb for each good record.  A record that is
 * cut short or fails its checksum ends the segment: it can only be the
 * tail of a write that a crash interrupted (nothing after it was ever
 * acknowledged), so the file is cut there.
 */
static int
replay_segment(uint64_t segno, journal_replay_cb cb, void *arg)
{
	char	 path[PATH_MAX + 32];
	uint8_t	 hdr[JR_HDR_LEN], *buf = NULL;
	off_t	 off = 0;
	int	 fd, nrec = 0;

	seg_path(path, sizeof(path), segno);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("journal: %s", path);
		return -1;
	}
	for (;;) {
		ssize_t	 got = pread(fd, hdr, sizeof(hdr), off);
		uint32_t magic, len, crc;
		struct rbuf r;
		uint8_t	 type;
		int64_t	 rx;
		char	 agent[FM_ID_MAX];

		if (got == 0)
			break;
		if (got != (ssize_t)sizeof(hdr))
			goto torn;
		magic = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		len = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 |
		    (uint32_t)hdr[6] << 8 | hdr[7];
		crc = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 |
		    (uint32_t)hdr[10] << 8 | hdr[11];
		if (magic != JR_MAGIC || len > JR_MAX)
			goto torn;
		free(buf);
		if ((buf = malloc(len ? len : 1)) == NULL)
			fatal("journal replay");
		if (pread(fd, buf, len, off + JR_HDR_LEN) != (ssize_t)len ||
		    crc32c(0, buf, len) != crc)
			goto torn;
		rbuf_init(&r, buf, len);
		type = rbuf_u8(&r);
		rx = (int64_t)rbuf_u64(&r);
		rbuf_str(&r, agent, sizeof(agent));
		if (r.err)
			goto torn;
		J.st.replayed++;
		nrec++;
		if (type != JR_SEGMENT)
			cb(type, agent, rx, buf + r.off, len - r.off, arg);
		off += JR_HDR_LEN + (off_t)len;
	}
	free(buf);
	close(fd);
	return nrec;
torn:
	free(buf);
	J.st.replay_torn++;
	log_warnx("journal: %s: record at offset %lld is incomplete or "
	    "corrupt (a write cut short by a crash); cutting the file there",
	    path, (long long)off);
	if (ftruncate(fd, off) == -1 || fsync(fd) == -1)
		log_warn("journal: %s: truncate", path);
	close(fd);
	return nrec;
}

int
journal_open(struct event_base *base, const char *data_dir,
    void (*durable_cb)(uint64_t), char *err, size_t errlen)
{
	if ((size_t)snprintf(J.dir, sizeof(J.dir), "%s/journal", data_dir) >=
	    sizeof(J.dir)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		return -1;
	}
	if (fm_mkdirs(J.dir, 0700) == -1) {
		snprintf(err, errlen, "mkdir %s: %s", J.dir, strerror(errno));
		return -1;
	}
	J.durable_cb = durable_cb;
	J.base = base;
	/* Opened again after journal_close: it writes and reports again. */
	J.stop = 0;
	return 0;
}

/*
 * Replay every segment in order (before journal_start), then delete the
 * segments older than keep_ms whose data the caller has written
 * elsewhere; the newest segments are always kept.
 */
int
journal_replay(journal_replay_cb cb, void *arg, char *err, size_t errlen)
{
	uint64_t *segs;
	size_t	 n, i;
	int	 total = 0, r;

	segs = list_segments(&n);
	for (i = 0; i < n; i++) {
		char	 path[PATH_MAX + 32];

		seg_path(path, sizeof(path), segs[i]);
		if (fm_version_check(path, seg_version(segs[i]),
		    FM_JOURNAL_VERSION, err, errlen) == -1) {
			free(segs);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if ((r = replay_segment(segs[i], cb, arg)) > 0)
			total += r;
		J.segno = segs[i];
	}
	J.st.segments = n;
	free(segs);
	return total;
}

/* Remove whole segments older than max_age_ms, never the newest two. */
void
journal_prune(int64_t max_age_ms)
{
	uint64_t *segs;
	size_t	 n, i;
	struct stat sb;
	char	 path[PATH_MAX + 32];
	int64_t	 now = now_ms();

	segs = list_segments(&n);
	for (i = 0; i + 2 < n; i++) {
		seg_path(path, sizeof(path), segs[i]);
		if (stat(path, &sb) == -1 ||
		    now - (int64_t)sb.st_mtime * 1000 < max_age_ms)
			break;
		if (unlink(path) == 0) {
			J.st.pruned++;
			log_info("journal: removed %s (older than %lld days)",
			    path, (long long)(max_age_ms / 86400000));
		}
	}
	free(segs);
}

int
journal_start(char *err, size_t errlen)
{
	int	 queued;

	if (seg_open(J.segno + 1) == -1) {
		snprintf(err, errlen, "%s: cannot open a segment: %s", J.dir,
		    strerror(errno));
		return -1;
	}
	J.st.segments++;
	if ((J.wq = workq_new(J.base, "ingest journal", err, errlen)) == NULL)
		return -1;
	J.wjob.run = write_run;
	J.wjob.done = write_done;
	/* What was appended before the start. */
	pthread_mutex_lock(&J.mtx);
	queued = J.head != NULL;
	pthread_mutex_unlock(&J.mtx);
	if (queued)
		workq_kick(J.wq, &J.wjob);
	return 0;
}

/*
 * Queue one record; returns its ticket, or 0 when it could not be
 * queued (out of memory), in which case the caller must not ACK.
 */
uint64_t
journal_append(uint8_t type, const char *agent, int64_t rx_ms,
    const uint8_t *body, size_t len, int rotate)
{
	struct wbuf b;
	struct jrec *r;
	uint64_t t;

	wbuf_init(&b);
	put_header(&b, type, rx_ms, agent);
	wbuf_put(&b, body, len);
	seal(&b);
	if (b.err || (r = malloc(sizeof(*r) + b.len)) == NULL) {
		wbuf_free(&b);
		return 0;
	}
	memcpy(r->data, b.p, b.len);
	r->len = b.len;
	r->next = NULL;
	r->rotate = rotate;
	wbuf_free(&b);
	pthread_mutex_lock(&J.mtx);
	/*
	 * The ticket is read here, under the lock: once the lock is let go
	 * a running write may take, write and free r at any moment.
	 */
	t = r->ticket = ++J.next_ticket;
	if (J.tail != NULL)
		J.tail->next = r;
	else
		J.head = r;
	J.tail = r;
	J.pending_bytes += r->len;
	J.st.appended++;
	pthread_mutex_unlock(&J.mtx);
	/*
	 * A write already waiting takes r too; one under way may have
	 * taken the list before r, so the kick queues the job once more.
	 */
	if (J.wq != NULL)
		workq_kick(J.wq, &J.wjob);
	return t;
}

uint64_t
journal_last_ticket(void)
{
	uint64_t t;

	pthread_mutex_lock(&J.mtx);
	t = J.next_ticket;
	pthread_mutex_unlock(&J.mtx);
	return t;
}

int
journal_failing(void)
{
	int	 f;

	pthread_mutex_lock(&J.mtx);
	f = J.failing;
	pthread_mutex_unlock(&J.mtx);
	return f;
}

size_t
journal_pending_bytes(void)
{
	size_t	 n;

	pthread_mutex_lock(&J.mtx);
	n = J.pending_bytes;
	pthread_mutex_unlock(&J.mtx);
	return n;
}

/* Write what is queued (if the disk lets us), then end the queue. */
void
journal_close(void)
{
	struct jrec *r, *next;
	int	 queued;

	J.stop = 1;
	if (J.wq != NULL) {
		/*
		 * One last attempt at what waits: a retry not yet due is
		 * brought forward by the kick, and WQ_DRAIN runs it.  A
		 * write that fails now is not retried (write_done).
		 */
		pthread_mutex_lock(&J.mtx);
		queued = J.head != NULL;
		pthread_mutex_unlock(&J.mtx);
		if (queued)
			workq_kick(J.wq, &J.wjob);
		workq_free(J.wq, WQ_DRAIN);
		J.wq = NULL;
	}
	/* Stopping while failing: the records were never acknowledged. */
	pthread_mutex_lock(&J.mtx);
	for (r = J.head; r != NULL; r = next) {
		next = r->next;
		free(r);
	}
	J.head = J.tail = NULL;
	pthread_mutex_unlock(&J.mtx);
	if (J.fd != -1)
		close(J.fd);
	J.fd = -1;
}

void
journal_get_stats(struct journal_stats *s)
{
	pthread_mutex_lock(&J.mtx);
	*s = J.st;
	s->failing = (uint64_t)J.failing;
	s->last_errno = (uint64_t)J.last_errno;
	s->pending_bytes = J.pending_bytes;
	s->durable_ticket = J.durable;
	s->last_ticket = J.next_ticket;
	pthread_mutex_unlock(&J.mtx);
}
