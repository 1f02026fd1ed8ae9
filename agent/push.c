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
 * Results from the probes to the collector, through the on-disk spool.
 *
 * Results wait in a queue until the batch timer (or a full batch) makes
 * them a BATCH frame, numbered (session, sequence).  The frame goes to
 * the spool (spool.c), which writes and syncs it in its own thread; only
 * a durable frame is sent.  A sent batch stays until the collector
 * acknowledges it (meaning: it is in the collector's journal); then it
 * is released, and a spool file whose batches are all released is
 * removed.
 *
 * Spooled frames keep their numbers for ever, also across a restart of
 * the agent, so the collector recognises a batch it already has.  After
 * a restart the agent takes a new session for new batches and sends the
 * old ones first: everything goes out in time order.  The backlog is
 * sent at most at drain_rate results a second so that a long outage
 * does not flood the collector.
 *
 * The spool is bounded by size and age.  When the size bound is hit the
 * oldest file loses its values (bulk metrics) first, keeping every
 * outcome; only a file already stripped is dropped whole.  The age bound
 * drops whole files.  Every drop is counted and reported to the
 * collector in an EVENT frame.
 *
 * The link is TLS 1.3 with the agent's pre-shared key (common/tls.c)
 * unless the configuration says tls = false.  Several collectors may be
 * listed: they are tried in order, and while connected to a later one
 * the agent probes the first every `failback` and goes back to it as
 * soon as it answers.  Each collector acknowledges what its own journal
 * holds; a batch sent to one and not acknowledged is sent again to the
 * next, so nothing is lost, and a result may reach both.
 */

#include <sys/random.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "spool.h"

#define PUSH_BATCH_MAX		1000	/* results in one batch */
#define PUSH_WINDOW		8	/* unacknowledged batches in flight */
#define PUSH_RETRY_MIN_MS	500
#define PUSH_RETRY_MAX_MS	30000
#define PUSH_HELLO_TIMEOUT	10
#define PUSH_ACK_TIMEOUT	10	/* s: a batch sent, no ACK: link dead */
#define SEG_MAX			(4U * 1024 * 1024)	/* bytes a spool file */
#define SEG_MIN			(4U * 1024)
#define MEM_MAX			(32U * 1024 * 1024)	/* frames kept in memory */

struct seg {
	uint64_t	 segno;
	size_t		 bytes;
	int		 nbatches;	/* appended to it */
	int		 nreleased;
	int		 stripped;
	int		 busy;		/* a strip or unlink in progress */
	int64_t		 first_ts;
	struct seg	*next;
};

struct batch {
	uint64_t	 session;
	uint64_t	 seq;
	uint32_t	 n;		/* results in it */
	int64_t		 first_ts;
	uint8_t		*frame;		/* NULL: on disk only */
	size_t		 len;
	struct seg	*seg;		/* NULL: not durable (yet) */
	off_t		 off;
	int		 durable;
	int		 loading;
	struct batch	*next;
};

enum push_state { PS_IDLE, PS_CONNECTING, PS_HELLO, PS_READY };

static struct {
	struct agent_conf *conf;
	struct evdns_base *dns;
	struct bufferevent *bev;
	struct event	*batch_ev;
	struct event	*retry_ev;
	struct event	*rate_ev;
	enum push_state	 state;
	int		 cur;		/* index of the collector tried */
	int		 tried;		/* failed attempts in this round */
	SSL_CTX		*tls;		/* NULL: plain TCP */
	struct bufferevent *probe;	/* failback: is the first one back? */
	struct event	*failback_ev;
	int		 retry_ms;
	uint64_t	 session;
	uint64_t	 next_seq;
	int		 devices_dirty;
	uint16_t	 level;		/* protocol level both speak */

	/* Results not yet in a batch: a ring of pointers. */
	struct fm_result **q;
	size_t		 qcap, qhead, qlen;

	/* Batches spooled or being spooled, oldest first. */
	struct batch	*fl_head, *fl_tail;
	struct batch	*fl_unsent;	/* first batch not written yet */
	size_t		 fl_count;	/* batches in the list */
	size_t		 fl_results;	/* results in them */
	size_t		 fl_sent;	/* batches written, not acknowledged */
	size_t		 mem;		/* bytes of frames in memory */

	struct seg	*segs, *segs_tail;	/* oldest first */
	uint64_t	 segno;		/* the one appended to */
	size_t		 spool_bytes;

	double		 tokens;	/* drain rate bucket, results */
	int64_t		 tokens_mono;

	uint64_t	 st_results, st_acked, st_dropped, st_batches;
	uint64_t	 st_connects, st_spool_errors;
	uint64_t	 st_drop_results, st_drop_values;	/* by policy */
	uint64_t	 reported_results, reported_values;
	uint64_t	 st_unspooled;	/* spool = false: dropped unsent */
	uint64_t	 reported_unspooled;
} P;

static void	push_connect(void);
static void	failback_arm(void);
static void	push_flush(void);
static void	spool_done(struct sreq *);

static void
push_drop_oldest(void)
{
	struct fm_result *r = P.q[P.qhead];

	P.qhead = (P.qhead + 1) % P.qcap;
	P.qlen--;
	fm_result_clear(r);
	free(r);
	if (P.st_dropped++ % 1000 == 0)
		log_warnx("results are made faster than they can be spooled "
		    "(%d waiting): dropping the oldest (%llu dropped so far)",
		    P.conf->queue_max, (unsigned long long)P.st_dropped);
}

void
push_result(struct fm_result *r)
{
	P.st_results++;
	if (P.qlen >= (size_t)P.conf->queue_max && P.qlen > 0)
		push_drop_oldest();
	if (P.qlen == P.qcap) {
		size_t	 ncap = P.qcap ? P.qcap * 2 : 1024, i;
		struct fm_result **nq = calloc(ncap, sizeof(*nq));

		if (nq == NULL)
			fatal("calloc");
		for (i = 0; i < P.qlen; i++)
			nq[i] = P.q[(P.qhead + i) % P.qcap];
		free(P.q);
		P.q = nq;
		P.qcap = ncap;
		P.qhead = 0;
	}
	P.q[(P.qhead + P.qlen) % P.qcap] = r;
	P.qlen++;
	if (P.qlen >= PUSH_BATCH_MAX)
		push_flush();
}

/*
 * The bound is kept file by file, so a file is small beside it: a
 * sixteenth of the bound, between SEG_MIN and SEG_MAX.  A small spool
 * (spool_max_kb) then still drops its oldest data in small steps.
 */
static size_t
seg_max(void)
{
	long long m = P.conf->spool_max_bytes / 16;

	if (m < (long long)SEG_MIN)
		return SEG_MIN;
	if (m > (long long)SEG_MAX)
		return SEG_MAX;
	return (size_t)m;
}

static struct seg *
seg_new(uint64_t segno)
{
	struct seg *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->segno = segno;
	if (P.segs_tail != NULL)
		P.segs_tail->next = s;
	else
		P.segs = s;
	P.segs_tail = s;
	return s;
}

static void
seg_unlink(struct seg *s)
{
	struct seg **pp;
	struct sreq *r;

	for (pp = &P.segs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (P.segs_tail == s) {
		P.segs_tail = NULL;
		for (struct seg *t = P.segs; t != NULL; t = t->next)
			P.segs_tail = t;
	}
	P.spool_bytes -= s->bytes;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->op = SR_UNLINK;
	r->segno = s->segno;
	spool_submit(r);
	free(s);
}

static void
batch_free(struct batch *b)
{
	if (b->frame != NULL)
		P.mem -= b->len;
	free(b->frame);
	free(b);
}

static void
batch_append(struct batch *b)
{
	if (P.fl_tail != NULL)
		P.fl_tail->next = b;
	else
		P.fl_head = b;
	P.fl_tail = b;
	if (P.fl_unsent == NULL)
		P.fl_unsent = b;
	P.fl_count++;
	P.fl_results += b->n;
}

/* Is any batch of s sent and waiting for its ACK? */
static int
seg_in_flight(const struct seg *s)
{
	const struct batch *b;

	for (b = P.fl_head; b != NULL && b != P.fl_unsent; b = b->next)
		if (b->seg == s)
			return 1;
	return 0;
}

/* Drop every batch of s that is still in the list: a policy drop. */
static void
seg_drop(struct seg *s)
{
	struct batch **pp = &P.fl_head, *b, *prev = NULL;
	uint64_t n = 0;

	while ((b = *pp) != NULL) {
		if (b->seg != s) {
			prev = b;
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		if (P.fl_tail == b)
			P.fl_tail = prev;
		if (P.fl_unsent == b)
			P.fl_unsent = b->next;
		P.fl_count--;
		P.fl_results -= b->n;
		n += b->n;
		batch_free(b);
	}
	P.st_drop_results += n;
	log_warnx("spool: bound reached, dropped %llu results of spool file "
	    "%llu (%llu dropped so far)", (unsigned long long)n,
	    (unsigned long long)s->segno,
	    (unsigned long long)P.st_drop_results);
	seg_unlink(s);
}

/*
 * Keep the spool within its bounds.  By age, the oldest files are
 * dropped whole.  By size, the values (bulk metrics) go before any
 * outcome: the oldest file that still has values is rewritten without
 * them, and only when every file is stripped is the oldest dropped
 * whole.  A file with batches in flight, or the one being appended to,
 * is left alone; while a strip runs nothing else is decided, since its
 * result changes the size.
 */
static int
seg_eligible(const struct seg *s)
{
	return !s->busy && s->segno != P.segno && !seg_in_flight(s);
}

static void
spool_enforce(void)
{
	int64_t	 now = now_ms();
	struct seg *s, *next;
	struct sreq *r;

	for (s = P.segs; s != NULL; s = next) {
		next = s->next;
		if (s->busy)
			return;
		if (seg_eligible(s) && P.conf->spool_max_age_ms > 0 &&
		    s->first_ts > 0 &&
		    now - s->first_ts > P.conf->spool_max_age_ms)
			seg_drop(s);
	}
	if (P.spool_bytes <= (size_t)P.conf->spool_max_bytes)
		return;
	for (s = P.segs; s != NULL; s = s->next) {
		if (!seg_eligible(s) || s->stripped)
			continue;
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal("calloc");
		r->op = SR_STRIP;
		r->segno = s->segno;
		r->arg = s;
		s->busy = 1;
		spool_submit(r);
		/* Its size is known when the strip is done. */
		return;
	}
	for (s = P.segs; s != NULL; s = s->next)
		if (seg_eligible(s)) {
			seg_drop(s);
			return;
		}
}

/* Move queued results into spooled batches, oldest first. */
static void
push_make_batches(void)
{
	const struct fm_result *chunk[PUSH_BATCH_MAX];
	struct wbuf w;

	if (!P.conf->spool && P.state != PS_READY) {
		/*
		 * No spool: batches are made only to be sent at once.  While
		 * a connection is being made results wait in the queue
		 * (bounded by 'queue'); with no collector at all they are
		 * lost, and counted.
		 */
		if (P.state != PS_IDLE)
			return;
		if (P.qlen > 0 && P.st_unspooled == 0)
			log_warnx("no spool (spool = false) and no collector: "
			    "results are dropped until it is back");
		while (P.qlen > 0) {
			struct fm_result *res = P.q[P.qhead];

			fm_result_clear(res);
			free(res);
			P.qhead = (P.qhead + 1) % P.qcap;
			P.qlen--;
			P.st_unspooled++;
		}
		return;
	}
	while (P.qlen > 0) {
		struct batch *b;
		struct sreq *r;
		uint32_t i, n = P.qlen < PUSH_BATCH_MAX ? (uint32_t)P.qlen :
		    PUSH_BATCH_MAX;
		size_t	 bytes = 8 + 8 + 4;

		/*
		 * A batch must fit one frame: results of large tables take
		 * megabytes, so a batch is bounded by bytes as well as by
		 * count.  One result always fits (result_add keeps it under
		 * FM_RESULT_BYTES_MAX).
		 */
		for (i = 0; i < n; i++) {
			bytes += fm_result_wire_len(P.q[(P.qhead + i) %
			    P.qcap]);
			if (i > 0 && bytes > FM_FRAME_MAX) {
				n = i;
				break;
			}
		}

		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    (r = calloc(1, sizeof(*r))) == NULL)
			fatal("calloc");
		b->session = P.session;
		b->seq = P.next_seq++;
		b->n = n;
		for (i = 0; i < n; i++)
			chunk[i] = P.q[(P.qhead + i) % P.qcap];
		b->first_ts = chunk[0]->ts_ms;
		wbuf_init(&w);
		fm_put_batch(&w, P.session, b->seq, chunk, n);
		if (w.err)
			fatalx("cannot encode a batch");
		for (i = 0; i < n; i++) {
			struct fm_result *res = P.q[P.qhead];

			fm_result_clear(res);
			free(res);
			P.qhead = (P.qhead + 1) % P.qcap;
			P.qlen--;
		}
		b->frame = w.p;
		b->len = w.len;
		P.mem += b->len;
		if (!P.conf->spool) {
			/* Kept in memory until acknowledged, sent again after
			 * a reconnect like any other. */
			b->durable = 1;
			batch_append(b);
			P.st_batches++;
			free(r);
			continue;
		}
		if (P.segs_tail == NULL || P.segs_tail->segno != P.segno ||
		    P.segs_tail->bytes + b->len > seg_max()) {
			if (P.segs_tail != NULL &&
			    P.segs_tail->segno == P.segno)
				P.segno++;
			seg_new(P.segno);
		}
		b->seg = P.segs_tail;
		b->seg->bytes += b->len;
		b->seg->nbatches++;
		if (b->seg->first_ts == 0)
			b->seg->first_ts = b->first_ts;
		P.spool_bytes += b->len;
		/* The thread writes a copy: the frame stays ours to send. */
		r->op = SR_APPEND;
		r->segno = b->seg->segno;
		r->arg = b;
		r->len = b->len;
		if ((r->data = malloc(b->len)) == NULL)
			fatal("malloc");
		memcpy(r->data, b->frame, b->len);
		spool_submit(r);
		batch_append(b);
		P.st_batches++;
	}
	spool_enforce();
}

static int
batch_exists(const struct batch *x)
{
	const struct batch *b;

	for (b = P.fl_head; b != NULL; b = b->next)
		if (b == x)
			return 1;
	return 0;
}

static void
spool_done(struct sreq *r)
{
	struct batch *b;
	struct seg *s;
	size_t	 i;

	switch (r->op) {
	case SR_APPEND:
		b = r->arg;
		if (!batch_exists(b))
			break;
		if (r->err) {
			/*
			 * Kept in memory and sent all the same: losing it
			 * now would be worse than not having it on disk.
			 */
			if (P.st_spool_errors++ % 100 == 0)
				log_warnx("spool: cannot write: %s; batches "
				    "kept in memory only",
				    strerror(r->err));
		} else
			b->off = r->off;
		b->durable = 1;
		/* Far behind: the disk copy is enough until it is sent. */
		if (P.mem > MEM_MAX && r->err == 0 && b != P.fl_unsent) {
			P.mem -= b->len;
			free(b->frame);
			b->frame = NULL;
		}
		break;
	case SR_READ:
		b = r->arg;
		if (!batch_exists(b))
			break;
		b->loading = 0;
		if (r->err) {
			log_warnx("spool: cannot read back batch %llu: %s; "
			    "dropped", (unsigned long long)b->seq,
			    strerror(r->err));
			b->frame = NULL;
			b->n = 0;	/* sent as nothing: see push_flush */
			break;
		}
		b->frame = r->data;
		r->data = NULL;
		P.mem += b->len;
		break;
	case SR_STRIP:
		s = r->arg;
		s->busy = 0;
		if (r->err) {
			log_warnx("spool: cannot strip file %llu: %s",
			    (unsigned long long)s->segno, strerror(r->err));
			break;
		}
		s->stripped = 1;
		P.spool_bytes -= s->bytes;
		s->bytes = 0;
		for (i = 0; i < r->nstrip; i++)
			s->bytes += r->strip[i].len;
		P.spool_bytes += s->bytes;
		P.st_drop_values += r->nvalues;
		log_warnx("spool: bound reached, removed %llu values from "
		    "spool file %llu, outcomes kept",
		    (unsigned long long)r->nvalues,
		    (unsigned long long)s->segno);
		for (b = P.fl_head; b != NULL; b = b->next) {
			if (b->seg != s)
				continue;
			for (i = 0; i < r->nstrip; i++)
				if (r->strip[i].session == b->session &&
				    r->strip[i].seq == b->seq)
					break;
			if (i == r->nstrip)
				continue;
			b->off = r->strip[i].off;
			b->len = r->strip[i].len;
			if (b->frame != NULL) {
				/* Must be read back in its new form. */
				free(b->frame);
				b->frame = NULL;
			}
		}
		P.mem = 0;
		for (b = P.fl_head; b != NULL; b = b->next)
			if (b->frame != NULL)
				P.mem += b->len;
		spool_enforce();
		break;
	}
	spool_req_free(r);
	push_flush();
}

static void
push_send_devices(void)
{
	struct fm_devinfo di;
	struct fm_checkinfo ci[FM_CHECKS_MAX];
	struct wbuf w;
	size_t	 f;
	int	 i, j, n = P.conf->ndevices;

	/*
	 * One device at a time into the frame: a copy of the whole list
	 * would cost almost a kilobyte a device at the moment the agent
	 * connects, which then stays in the process's heap.
	 */
	wbuf_init(&w);
	f = fm_frame_begin(&w, FM_DEVICES);
	wbuf_u32(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct device_conf *dc = &P.conf->devices[i];

		memset(&di, 0, sizeof(di));
		fm_strlcpy(di.id, dc->id, sizeof(di.id));
		fm_strlcpy(di.name, dc->name, sizeof(di.name));
		fm_strlcpy(di.class, dc->class, sizeof(di.class));
		fm_strlcpy(di.group, dc->group, sizeof(di.group));
		fm_strlcpy(di.address, dc->address, sizeof(di.address));
		fm_strlcpy(di.parent, dc->parent, sizeof(di.parent));
		di.nchecks = (uint16_t)dc->nchecks;
		di.checks = ci;
		for (j = 0; j < dc->nchecks && j < FM_CHECKS_MAX; j++) {
			memset(&ci[j], 0, sizeof(ci[j]));
			fm_strlcpy(ci[j].id, dc->checks[j].id,
			    sizeof(ci[j].id));
			ci[j].type = (uint8_t)dc->checks[j].type;
			ci[j].interval_ms = (uint32_t)dc->checks[j].interval_ms;
			ci[j].timeout_ms = (uint32_t)dc->checks[j].timeout_ms;
			ci[j].critical = (uint8_t)dc->checks[j].critical;
		}
		fm_put_device(&w, &di);
	}
	fm_frame_end(&w, f);
	if (w.err)
		fatalx("cannot encode the device list");
	bufferevent_write(P.bev, w.p, w.len);
	wbuf_free(&w);
	P.devices_dirty = 0;
	/* The frame was large; give its pages back once it is queued. */
	malloc_trim(0);
}

static void
send_unspooled_event(void)
{
	struct fm_agent_event e;
	struct wbuf w;

	if (P.st_unspooled == P.reported_unspooled)
		return;
	memset(&e, 0, sizeof(e));
	fm_strlcpy(e.kind, "unspooled-drop", sizeof(e.kind));
	e.value = P.st_unspooled;
	snprintf(e.msg, sizeof(e.msg), "no spool: results dropped while the "
	    "collector was unreachable, so far");
	wbuf_init(&w);
	fm_put_event(&w, &e);
	if (w.err == 0)
		bufferevent_write(P.bev, w.p, w.len);
	wbuf_free(&w);
	P.reported_unspooled = P.st_unspooled;
}

static void
send_drop_event(void)
{
	struct fm_agent_event e;
	struct wbuf w;

	if (P.st_drop_results == P.reported_results &&
	    P.st_drop_values == P.reported_values)
		return;
	memset(&e, 0, sizeof(e));
	fm_strlcpy(e.kind, "spool-drop", sizeof(e.kind));
	e.value = P.st_drop_results;
	e.value2 = P.st_drop_values;
	snprintf(e.msg, sizeof(e.msg), "spool bound reached: results and "
	    "values dropped so far");
	wbuf_init(&w);
	fm_put_event(&w, &e);
	if (w.err == 0)
		bufferevent_write(P.bev, w.p, w.len);
	wbuf_free(&w);
	P.reported_results = P.st_drop_results;
	P.reported_values = P.st_drop_values;
}

/* Take n results' worth from the drain-rate bucket, if there is. */
static int
take_tokens(uint32_t n)
{
	int64_t	 now = mono_ms();
	double	 rate = P.conf->drain_rate, cap = rate > n ? rate : n;
	struct timeval tv;

	P.tokens += (double)(now - P.tokens_mono) * rate / 1000.0;
	P.tokens_mono = now;
	if (P.tokens > cap)
		P.tokens = cap;
	if (P.tokens >= n) {
		P.tokens -= n;
		return 1;
	}
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)((n - P.tokens) / rate * 1e6);
	if (tv.tv_usec > 999999)
		tv.tv_usec = 999999;
	if (tv.tv_usec < 1000)
		tv.tv_usec = 1000;
	evtimer_add(P.rate_ev, &tv);
	return 0;
}

/* Spool what is queued, then send what the window and the rate allow. */
static void
push_flush(void)
{
	struct sreq *r;

	push_make_batches();
	if (P.state != PS_READY)
		return;
	if (P.devices_dirty)
		push_send_devices();
	send_drop_event();
	send_unspooled_event();
	while (P.fl_unsent != NULL && P.fl_sent < PUSH_WINDOW) {
		struct batch *b = P.fl_unsent;

		if (!b->durable)
			break;		/* in time order: wait for it */
		if (b->frame == NULL) {
			if (!b->loading) {
				if ((r = calloc(1, sizeof(*r))) == NULL)
					fatal("calloc");
				r->op = SR_READ;
				r->segno = b->seg->segno;
				r->off = b->off;
				r->len = b->len;
				r->arg = b;
				b->loading = 1;
				spool_submit(r);
			}
			break;
		}
		if (!take_tokens(b->n))
			break;
		bufferevent_write(P.bev, b->frame, b->len);
		P.fl_unsent = b->next;
		P.fl_sent++;
		/* Read back for sending: no need to keep it any longer. */
		if (P.mem > MEM_MAX && P.conf->spool) {
			P.mem -= b->len;
			free(b->frame);
			b->frame = NULL;
		}
	}
}

static void
batch_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	push_flush();
}

static void
batch_release(struct batch *b)
{
	struct seg *s = b->seg;

	if (b == P.fl_unsent)
		P.fl_unsent = b->next;
	else if (P.fl_sent > 0)
		P.fl_sent--;
	P.fl_head = b->next;
	if (P.fl_head == NULL)
		P.fl_tail = NULL;
	P.fl_count--;
	P.fl_results -= b->n;
	P.st_acked += b->n;
	batch_free(b);
	if (s != NULL && ++s->nreleased == s->nbatches &&
	    s->segno != P.segno && !s->busy)
		seg_unlink(s);
}

/*
 * The collector acknowledged (session, seq).  ACKs come in the order
 * the batches were sent, so everything up to it is released; an ACK for
 * a batch not held (dropped meanwhile) releases nothing.
 */
static void
push_release(uint64_t session, uint64_t seq)
{
	struct batch *b;

	for (b = P.fl_head; b != NULL; b = b->next)
		if (b->session == session && b->seq == seq)
			break;
	if (b == NULL)
		return;
	while (P.fl_head != NULL) {
		int	 last = P.fl_head == b;

		batch_release(P.fl_head);
		if (last)
			break;
	}
}

static void
push_disconnect(const char *why)
{
	struct timeval tv;

	if (P.bev != NULL) {
		bufferevent_free(P.bev);
		P.bev = NULL;
	}
	if (P.state == PS_READY || P.state == PS_HELLO)
		log_warnx("collector %s:%d: %s; %zu results waiting",
		    P.conf->coll_hosts[P.cur], P.conf->coll_ports[P.cur], why,
		    P.qlen + P.fl_results);
	else
		log_info("collector %s:%d: %s", P.conf->coll_hosts[P.cur],
		    P.conf->coll_ports[P.cur], why);
	P.state = PS_IDLE;
	/* Everything not acknowledged is sent again after the next hello. */
	P.fl_unsent = P.fl_head;
	P.fl_sent = 0;
	if (P.failback_ev != NULL)
		evtimer_del(P.failback_ev);
	/*
	 * The next collector at once; only when every one has failed in
	 * this round does the agent wait, longer each round.
	 */
	P.cur = (P.cur + 1) % P.conf->ncollectors;
	if (++P.tried < P.conf->ncollectors) {
		tv.tv_sec = 0;
		tv.tv_usec = 1000;
		evtimer_add(P.retry_ev, &tv);
		return;
	}
	P.tried = 0;
	tv.tv_sec = P.retry_ms / 1000;
	tv.tv_usec = (P.retry_ms % 1000) * 1000;
	evtimer_add(P.retry_ev, &tv);
	P.retry_ms *= 2;
	if (P.retry_ms > PUSH_RETRY_MAX_MS)
		P.retry_ms = PUSH_RETRY_MAX_MS;
}

static int
push_frame(const struct fm_hdr *h, const uint8_t *p)
{
	char	 err[256], msg[FM_TEXT_MAX];
	struct fm_welcome w;
	struct fm_ack a;
	uint16_t code;

	switch (h->type) {
	case FM_WELCOME:
		if (P.state != PS_HELLO ||
		    fm_get_welcome(p, h->len, &w, err, sizeof(err)) == -1) {
			push_disconnect("unexpected or bad welcome");
			return -1;
		}
		if (w.status != FME_OK) {
			push_disconnect("collector refused this agent");
			return -1;
		}
		P.state = PS_READY;
		P.level = fm_level_min(w.level);
		P.retry_ms = PUSH_RETRY_MIN_MS;
		P.tried = 0;
		P.st_connects++;
		/*
		 * A partition leaves the connection open but silent: an ACK
		 * overdue means the collector is gone (push_event_cb).
		 */
		{
			struct timeval at = { PUSH_ACK_TIMEOUT, 0 };

			bufferevent_set_timeouts(P.bev, &at, NULL);
		}
		log_info("connected to collector %s:%d%s (protocol level %u, "
		    "acknowledged up to %llu)", P.conf->coll_hosts[P.cur],
		    P.conf->coll_ports[P.cur], P.tls != NULL ? " over TLS" :
		    "", P.level, (unsigned long long)w.last_seq);
		if (P.cur > 0)
			failback_arm();
		/* Only this session's batches are covered by last_seq. */
		while (P.fl_head != NULL && P.fl_head->session == P.session &&
		    P.fl_head->seq <= w.last_seq)
			batch_release(P.fl_head);
		P.devices_dirty = 1;
		push_flush();
		return 0;
	case FM_ACK:
		if (P.state != PS_READY ||
		    fm_get_ack(p, h->len, &a, err, sizeof(err)) == -1) {
			push_disconnect("unexpected or bad ack");
			return -1;
		}
		push_release(a.session, a.seq);
		push_flush();
		return 0;
	case FM_ERROR:
		if (fm_get_error(p, h->len, &code, msg, sizeof(msg), err,
		    sizeof(err)) == 0)
			log_warnx("collector says: %s (error %u)", msg, code);
		push_disconnect("collector sent an error");
		return -1;
	default:
		push_disconnect("unexpected frame type");
		return -1;
	}
}

static void
push_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct fm_hdr h;
	char	 err[256];
	int	 r;

	(void)arg;
	for (;;) {
		size_t	 avail = evbuffer_get_length(in);
		uint8_t	*p;

		if (avail < FM_HDR_LEN)
			return;
		/* Replies are small: a frame is pulled up whole. */
		p = evbuffer_pullup(in, (ssize_t)(avail < 65536 ? avail :
		    65536));
		r = fm_frame_parse(p, avail < 65536 ? avail : 65536, &h, err,
		    sizeof(err));
		if (r == -1 || (r == 0 && avail >= 65536)) {
			push_disconnect(r == -1 ? err : "oversized reply");
			return;
		}
		if (r == 0)
			return;
		if (push_frame(&h, p + FM_HDR_LEN) == -1)
			return;
		evbuffer_drain(in, FM_HDR_LEN + h.len);
	}
}

static void
push_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fm_hello hello;
	struct wbuf w;
	char	 why[320];

	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

		P.state = PS_HELLO;
		memset(&hello, 0, sizeof(hello));
		fm_strlcpy(hello.agent, P.conf->id, sizeof(hello.agent));
		hello.session = P.session;
		fm_strlcpy(hello.version, FACMON_VERSION,
		    sizeof(hello.version));
		hello.level = FM_PROTO_LEVEL;
		wbuf_init(&w);
		fm_put_hello(&w, &hello);
		bufferevent_write(bev, w.p, w.len);
		wbuf_free(&w);
		bufferevent_set_timeouts(bev, &tv, NULL);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && P.state == PS_READY &&
	    P.fl_sent == 0) {
		/* Nothing waits for an ACK: silence is right; read on. */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), P.state == PS_READY ?
		    "no ACK in time" : "no answer");
	else if (P.tls != NULL && P.state == PS_CONNECTING &&
	    bufferevent_get_openssl_error(bev) != 0) {
		unsigned long oe = bufferevent_get_openssl_error(bev);
		char	 e[200];

		ERR_error_string_n(oe, e, sizeof(e));
		/*
		 * Only an alert from the collector says it refused the key;
		 * a connection closed under the handshake is a collector
		 * that is full or restarting (or a cut link), and blaming
		 * the key then sends the operator the wrong way.
		 */
		if (ERR_GET_LIB(oe) == ERR_LIB_SSL &&
		    ERR_GET_REASON(oe) >= SSL_AD_REASON_OFFSET)
			snprintf(why, sizeof(why), "TLS handshake failed: "
			    "refused by the collector (wrong key, or agent "
			    "unknown or revoked there?): %s", e);
		else
			snprintf(why, sizeof(why), "TLS handshake failed: the "
			    "collector closed the connection (full or "
			    "restarting, or the link cut): %s", e);
		ERR_clear_error();
	} else if (P.tls != NULL && P.state == PS_CONNECTING &&
	    (what & BEV_EVENT_EOF))
		snprintf(why, sizeof(why), "TLS handshake failed: the "
		    "collector closed the connection (full or restarting, or "
		    "the link cut)");
	else if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "connection closed");
	else {
		int	 e = EVUTIL_SOCKET_ERROR();
		int	 dnserr = bufferevent_socket_get_dns_error(bev);

		if (dnserr)
			snprintf(why, sizeof(why), "%s",
			    evutil_gai_strerror(dnserr));
		else
			snprintf(why, sizeof(why), "%s",
			    evutil_socket_error_to_string(e));
	}
	push_disconnect(why);
}

static void
push_connect(void)
{
	struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

	if (P.tls != NULL) {
		SSL	*ssl;

		if ((ssl = SSL_new(P.tls)) == NULL ||
		    (P.bev = bufferevent_openssl_socket_new(agent_base, -1,
		    ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			fatalx("TLS: %s", fm_tls_error());
		/* A collector that is killed is not an attack. */
		bufferevent_openssl_set_allow_dirty_shutdown(P.bev, 1);
	} else if ((P.bev = bufferevent_socket_new(agent_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(P.bev, push_read_cb, NULL, push_event_cb, NULL);
	bufferevent_set_timeouts(P.bev, &tv, &tv);
	bufferevent_enable(P.bev, EV_READ | EV_WRITE);
	P.state = PS_CONNECTING;
	if (bufferevent_socket_connect_hostname(P.bev, P.dns, AF_UNSPEC,
	    P.conf->coll_hosts[P.cur], P.conf->coll_ports[P.cur]) == -1)
		push_disconnect("cannot connect");
}

static void
probe_free(void)
{
	if (P.probe != NULL)
		bufferevent_free(P.probe);
	P.probe = NULL;
}

/* The first collector takes connections again: go back to it. */
static void
probe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	probe_free();
	if (!(what & BEV_EVENT_CONNECTED) || P.cur == 0 ||
	    P.state == PS_IDLE) {
		failback_arm();
		return;
	}
	log_info("collector %s:%d answers again: going back to it",
	    P.conf->coll_hosts[0], P.conf->coll_ports[0]);
	/*
	 * What the current collector has not acknowledged yet is sent to
	 * the first one again; what it has is in its journal.
	 */
	bufferevent_free(P.bev);
	P.bev = NULL;
	P.state = PS_IDLE;
	P.fl_unsent = P.fl_head;
	P.fl_sent = 0;
	P.cur = 0;
	P.tried = 0;
	P.retry_ms = PUSH_RETRY_MIN_MS;
	push_connect();
}

/* A plain TCP connect only: cheap for the first collector to answer. */
static void
failback_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

	(void)fd;
	(void)ev;
	(void)arg;
	if (P.cur == 0 || P.state != PS_READY || P.probe != NULL)
		return;
	if ((P.probe = bufferevent_socket_new(agent_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return;
	bufferevent_setcb(P.probe, NULL, NULL, probe_event_cb, NULL);
	bufferevent_set_timeouts(P.probe, &tv, &tv);
	if (bufferevent_socket_connect_hostname(P.probe, P.dns, AF_UNSPEC,
	    P.conf->coll_hosts[0], P.conf->coll_ports[0]) == -1) {
		probe_free();
		failback_arm();
	}
}

static void
failback_arm(void)
{
	struct timeval tv;

	tv.tv_sec = P.conf->failback_ms / 1000;
	tv.tv_usec = (P.conf->failback_ms % 1000) * 1000;
	evtimer_add(P.failback_ev, &tv);
}

/* The agent's key, read at start and on reload. */
static void
push_tls_setup(struct agent_conf *ac)
{
	uint8_t	 key[FM_PSK_LEN];
	char	 err[PATH_MAX + 128];
	SSL_CTX	*ctx;

	if (!ac->tls) {
		log_warnx("TLS is off (tls = false): results go to the "
		    "collector over plain TCP, unauthenticated");
		return;
	}
	if (ac->tls_psk_file[0] == '\0')
		fatalx("%s: tls_psk_file is not set: make this agent a key "
		    "with `facmon-collector keygen %s`, or set tls = false "
		    "for plain TCP", ac->file, ac->id);
	if (fm_psk_read(ac->tls_psk_file, key, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((ctx = fm_tls_client_ctx(ac->id, key)) == NULL)
		fatalx("TLS: %s", fm_tls_error());
	OPENSSL_cleanse(key, sizeof(key));
	if (P.tls != NULL)
		SSL_CTX_free(P.tls);
	P.tls = ctx;
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (P.state == PS_IDLE)
		push_connect();
}

static void
rate_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	push_flush();
}

/* A frame found in the spool at start: a batch from an earlier run. */
static void
spool_found(uint64_t segno, off_t off, const uint8_t *frame, size_t len)
{
	struct fm_batch bt;
	struct batch *b;
	char	 err[128];

	if (fm_get_batch(frame + FM_HDR_LEN, len - FM_HDR_LEN, &bt, err,
	    sizeof(err)) == -1) {
		log_warnx("spool: file %llu offset %lld: %s; skipped",
		    (unsigned long long)segno, (long long)off, err);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("calloc");
	b->session = bt.session;
	b->seq = bt.seq;
	b->n = bt.n;
	b->first_ts = bt.n > 0 ? bt.r[0].ts_ms : 0;
	fm_batch_free(&bt);
	b->len = len;
	b->off = off;
	b->durable = 1;
	if (P.segs_tail == NULL || P.segs_tail->segno != segno)
		seg_new(segno);
	b->seg = P.segs_tail;
	b->seg->bytes += len;
	b->seg->nbatches++;
	if (b->seg->first_ts == 0)
		b->seg->first_ts = b->first_ts;
	P.spool_bytes += len;
	if (P.mem + len <= MEM_MAX) {
		if ((b->frame = malloc(len)) == NULL)
			fatal("malloc");
		memcpy(b->frame, frame, len);
		P.mem += len;
	}
	batch_append(b);
}

int
push_init(struct agent_conf *ac)
{
	struct timeval tv;
	char	 err[256];
	uint64_t last;

	P.conf = ac;
	P.retry_ms = PUSH_RETRY_MIN_MS;
	P.next_seq = 1;
	if (getrandom(&P.session, sizeof(P.session), 0) !=
	    (ssize_t)sizeof(P.session))
		fatal("getrandom");
	last = 0;
	if (!ac->spool)
		log_warnx("no spool (spool = false): results made while the "
		    "collector is unreachable are lost");
	else if (spool_open(agent_base, ac->spool_dir, spool_done,
	    spool_found, &last, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* New batches go to a new file, never after a cut tail. */
	P.segno = last + 1;
	if (P.fl_count > 0)
		log_info("spool: %zu batches (%zu results, %zu bytes) from an "
		    "earlier run to send", P.fl_count, P.fl_results,
		    P.spool_bytes);
	P.tokens_mono = mono_ms();
	push_tls_setup(ac);
	if ((P.dns = evdns_base_new(agent_base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (P.dns = evdns_base_new(agent_base, 0)) == NULL)
		fatalx("evdns_base_new");
	if ((P.batch_ev = event_new(agent_base, -1, EV_PERSIST,
	    batch_timer_cb, NULL)) == NULL ||
	    (P.retry_ev = evtimer_new(agent_base, retry_cb, NULL)) == NULL ||
	    (P.rate_ev = evtimer_new(agent_base, rate_cb, NULL)) == NULL ||
	    (P.failback_ev = evtimer_new(agent_base, failback_cb,
	    NULL)) == NULL)
		fatalx("event_new");
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(P.batch_ev, &tv);
	push_connect();
	return 0;
}

/* The spool's thread, once the agent has dropped its privileges. */
void
push_start(void)
{
	char	 err[128];

	if (spool_start(err, sizeof(err)) == -1)
		fatalx("spool: %s", err);
}

/* After a reload: new limits, and the collector learns the new devices. */
void
push_devices_changed(struct agent_conf *ac)
{
	struct timeval tv;

	P.conf = ac;
	P.devices_dirty = 1;
	if (P.cur >= ac->ncollectors)
		P.cur = 0;
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(P.batch_ev, &tv);
	push_flush();
}

void
push_shutdown(void)
{
	struct batch *b;
	struct seg *s;

	/* What is queued is spooled: it is sent at the next start. */
	push_make_batches();
	spool_close();
	if (P.fl_results > 0)
		log_info("exiting with %zu results spooled, not yet "
		    "acknowledged by the collector", P.fl_results);
	log_info("results %llu, acknowledged %llu, dropped %llu (queue) "
	    "%llu (spool bound) values dropped %llu, batches %llu, connects "
	    "%llu, spool errors %llu, unspooled %llu",
	    (unsigned long long)P.st_results,
	    (unsigned long long)P.st_acked, (unsigned long long)P.st_dropped,
	    (unsigned long long)P.st_drop_results,
	    (unsigned long long)P.st_drop_values,
	    (unsigned long long)P.st_batches,
	    (unsigned long long)P.st_connects,
	    (unsigned long long)P.st_spool_errors,
	    (unsigned long long)P.st_unspooled);
	if (P.bev != NULL)
		bufferevent_free(P.bev);
	probe_free();
	while ((b = P.fl_head) != NULL) {
		P.fl_head = b->next;
		free(b->frame);
		free(b);
	}
	while ((s = P.segs) != NULL) {
		P.segs = s->next;
		free(s);
	}
	while (P.qlen > 0) {
		struct fm_result *r = P.q[P.qhead];

		fm_result_clear(r);
		free(r);
		P.qhead = (P.qhead + 1) % P.qcap;
		P.qlen--;
	}
	free(P.q);
	event_free(P.batch_ev);
	event_free(P.retry_ev);
	event_free(P.rate_ev);
	event_free(P.failback_ev);
	if (P.tls != NULL)
		SSL_CTX_free(P.tls);
	evdns_base_free(P.dns, 0);
	memset(&P, 0, sizeof(P));
}
