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
 * Results from the probes to the collector: the queue.
 *
 * Results wait in a queue until the batch timer (or a full batch) makes
 * them a BATCH frame, numbered (session, sequence).  The frame goes to
 * the spool (push_spool.c decides where, spool.c's thread writes and
 * syncs it); only a durable frame is sent.  A sent batch stays until the
 * collector acknowledges it (meaning: it is in the collector's journal);
 * then it is released, and the spool policy removes a file whose
 * batches are all released.
 *
 * Spooled frames keep their numbers for ever, also across a restart of
 * the agent, so the collector recognises a batch it already has.  After
 * a restart the agent takes a new session for new batches and sends the
 * old ones first: everything goes out in time order.  The backlog is
 * sent at most at drain_rate results a second so that a long outage
 * does not flood the collector.
 *
 * The queue owns the results not yet batched, the list of batches until
 * their ACK, the send window and the drain-rate tokens, and the agent's
 * entry points (push_init, push_result, push_shutdown, agent.h).  It may
 * call the spool policy and the link through push.h; the spool policy
 * shares its batch list (PUSH_QUEUE_INTERNALS), the link does not.
 */

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#define PUSH_QUEUE_INTERNALS
#include "push.h"

#define PUSH_WINDOW		8	/* unacknowledged batches in flight */

struct push_queue PQ;

static void	batch_release(struct batch *);

static void
push_drop_oldest(void)
{
	struct fm_result *r = PQ.q[PQ.qhead];

	PQ.qhead = (PQ.qhead + 1) % PQ.qcap;
	PQ.qlen--;
	fm_result_clear(r);
	free(r);
	if (PQ.st_dropped++ % 1000 == 0)
		log_warnx("results are made faster than they can be spooled "
		    "(%d waiting): dropping the oldest (%llu dropped so far)",
		    PQ.conf->queue_max, (unsigned long long)PQ.st_dropped);
}

void
push_result(struct fm_result *r)
{
	PQ.st_results++;
	if (PQ.qlen >= (size_t)PQ.conf->queue_max && PQ.qlen > 0)
		push_drop_oldest();
	if (PQ.qlen == PQ.qcap) {
		size_t	 ncap = PQ.qcap ? PQ.qcap * 2 : 1024, i;
		struct fm_result **nq = calloc(ncap, sizeof(*nq));

		if (nq == NULL)
			fatal("calloc");
		for (i = 0; i < PQ.qlen; i++)
			nq[i] = PQ.q[(PQ.qhead + i) % PQ.qcap];
		free(PQ.q);
		PQ.q = nq;
		PQ.qcap = ncap;
		PQ.qhead = 0;
	}
	PQ.q[(PQ.qhead + PQ.qlen) % PQ.qcap] = r;
	PQ.qlen++;
	if (PQ.qlen >= PUSH_BATCH_MAX)
		push_flush();
}

void
batch_free(struct batch *b)
{
	if (b->frame != NULL)
		PQ.mem -= b->len;
	free(b->frame);
	free(b);
}

void
batch_append(struct batch *b)
{
	if (PQ.fl_tail != NULL)
		PQ.fl_tail->next = b;
	else
		PQ.fl_head = b;
	PQ.fl_tail = b;
	if (PQ.fl_unsent == NULL)
		PQ.fl_unsent = b;
	PQ.fl_count++;
	PQ.fl_results += b->n;
}

/* Move queued results into spooled batches, oldest first. */
static void
push_make_batches(void)
{
	const struct fm_result *chunk[PUSH_BATCH_MAX];
	struct wbuf w;

	if (!PQ.conf->spool && !link_ready()) {
		/*
		 * No spool: batches are made only to be sent at once.  While
		 * a connection is being made results wait in the queue
		 * (bounded by 'queue'); with no collector at all they are
		 * lost, and counted.
		 */
		if (!link_idle())
			return;
		if (PQ.qlen > 0 && PQ.st_unspooled == 0)
			log_warnx("no spool (spool = false) and no collector: "
			    "results are dropped until it is back");
		while (PQ.qlen > 0) {
			struct fm_result *res = PQ.q[PQ.qhead];

			fm_result_clear(res);
			free(res);
			PQ.qhead = (PQ.qhead + 1) % PQ.qcap;
			PQ.qlen--;
			PQ.st_unspooled++;
		}
		return;
	}
	while (PQ.qlen > 0) {
		struct batch *b;
		uint32_t i, n = PQ.qlen < PUSH_BATCH_MAX ? (uint32_t)PQ.qlen :
		    PUSH_BATCH_MAX;
		size_t	 bytes = 8 + 8 + 4;

		/*
		 * A batch must fit one frame: results of large tables take
		 * megabytes, so a batch is bounded by bytes as well as by
		 * count.  One result always fits (result_add keeps it under
		 * FM_RESULT_BYTES_MAX).
		 */
		for (i = 0; i < n; i++) {
			bytes += fm_result_wire_len(PQ.q[(PQ.qhead + i) %
			    PQ.qcap]);
			if (i > 0 && bytes > FM_FRAME_MAX) {
				n = i;
				break;
			}
		}

		if ((b = calloc(1, sizeof(*b))) == NULL)
			fatal("calloc");
		b->session = PQ.session;
		b->seq = PQ.next_seq++;
		b->n = n;
		for (i = 0; i < n; i++)
			chunk[i] = PQ.q[(PQ.qhead + i) % PQ.qcap];
		b->first_ts = chunk[0]->ts_ms;
		wbuf_init(&w);
		fm_put_batch(&w, PQ.session, b->seq, chunk, n);
		if (w.err)
			fatalx("cannot encode a batch");
		for (i = 0; i < n; i++) {
			struct fm_result *res = PQ.q[PQ.qhead];

			fm_result_clear(res);
			free(res);
			PQ.qhead = (PQ.qhead + 1) % PQ.qcap;
			PQ.qlen--;
		}
		b->frame = w.p;
		b->len = w.len;
		PQ.mem += b->len;
		if (!PQ.conf->spool) {
			/* Kept in memory until acknowledged, sent again after
			 * a reconnect like any other. */
			b->durable = 1;
			batch_append(b);
			PQ.st_batches++;
			continue;
		}
		pspool_add(b);
		batch_append(b);
		PQ.st_batches++;
	}
	pspool_enforce();
}

int
batch_exists(const struct batch *x)
{
	const struct batch *b;

	for (b = PQ.fl_head; b != NULL; b = b->next)
		if (b == x)
			return 1;
	return 0;
}

/* Take n results' worth from the drain-rate bucket, if there is. */
static int
take_tokens(uint32_t n)
{
	int64_t	 now = mono_ms();
	double	 rate = PQ.conf->drain_rate, cap = rate > n ? rate : n;
	struct timeval tv;

	PQ.tokens += (double)(now - PQ.tokens_mono) * rate / 1000.0;
	PQ.tokens_mono = now;
	if (PQ.tokens > cap)
		PQ.tokens = cap;
	if (PQ.tokens >= n) {
		PQ.tokens -= n;
		return 1;
	}
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)((n - PQ.tokens) / rate * 1e6);
	if (tv.tv_usec > 999999)
		tv.tv_usec = 999999;
	if (tv.tv_usec < 1000)
		tv.tv_usec = 1000;
	evtimer_add(PQ.rate_ev, &tv);
	return 0;
}

/* Spool what is queued, then send what the window and the rate allow. */
void
push_flush(void)
{
	push_make_batches();
	if (!link_ready())
		return;
	link_announce();
	while (PQ.fl_unsent != NULL && PQ.fl_sent < PUSH_WINDOW) {
		struct batch *b = PQ.fl_unsent;

		if (!b->durable)
			break;		/* in time order: wait for it */
		if (b->frame == NULL) {
			pspool_read(b);
			break;
		}
		if (!take_tokens(b->n))
			break;
		link_write(b->frame, b->len);
		PQ.fl_unsent = b->next;
		PQ.fl_sent++;
		/* Read back for sending: no need to keep it any longer. */
		if (PQ.mem > MEM_MAX && PQ.conf->spool) {
			PQ.mem -= b->len;
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

	if (b == PQ.fl_unsent)
		PQ.fl_unsent = b->next;
	else if (PQ.fl_sent > 0)
		PQ.fl_sent--;
	PQ.fl_head = b->next;
	if (PQ.fl_head == NULL)
		PQ.fl_tail = NULL;
	PQ.fl_count--;
	PQ.fl_results -= b->n;
	PQ.st_acked += b->n;
	batch_free(b);
	pspool_released(s);
}

/*
 * The collector acknowledged (session, seq).  ACKs come in the order
 * the batches were sent, so everything up to it is released; an ACK for
 * a batch not held (dropped meanwhile) releases nothing.
 */
void
push_release(uint64_t session, uint64_t seq)
{
	struct batch *b;

	for (b = PQ.fl_head; b != NULL; b = b->next)
		if (b->session == session && b->seq == seq)
			break;
	if (b == NULL)
		return;
	while (PQ.fl_head != NULL) {
		int	 last = PQ.fl_head == b;

		batch_release(PQ.fl_head);
		if (last)
			break;
	}
}

static void
rate_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	push_flush();
}

/* The queue's side of what the link needs. */
size_t
pq_waiting(void)
{
	return PQ.qlen + PQ.fl_results;
}

size_t
pq_in_flight(void)
{
	return PQ.fl_sent;
}

uint64_t
pq_session(void)
{
	return PQ.session;
}

uint64_t
pq_unspooled(void)
{
	return PQ.st_unspooled;
}

/* Everything not acknowledged is sent again after the next hello. */
void
pq_rewind(void)
{
	PQ.fl_unsent = PQ.fl_head;
	PQ.fl_sent = 0;
}

/* Only this session's batches are covered by last_seq. */
void
pq_welcome(uint64_t last_seq)
{
	while (PQ.fl_head != NULL && PQ.fl_head->session == PQ.session &&
	    PQ.fl_head->seq <= last_seq)
		batch_release(PQ.fl_head);
}

int
push_init(struct agent_conf *ac)
{
	struct timeval tv;

	PQ.conf = ac;
	PQ.next_seq = 1;
	if (getrandom(&PQ.session, sizeof(PQ.session), 0) !=
	    (ssize_t)sizeof(PQ.session))
		fatal("getrandom");
	pspool_open(ac);
	if (PQ.fl_count > 0)
		log_info("spool: %zu batches (%zu results, %zu bytes) from an "
		    "earlier run to send", PQ.fl_count, PQ.fl_results,
		    pspool_bytes());
	PQ.tokens_mono = mono_ms();
	link_init(ac);
	if ((PQ.batch_ev = event_new(agent_base, -1, EV_PERSIST,
	    batch_timer_cb, NULL)) == NULL ||
	    (PQ.rate_ev = evtimer_new(agent_base, rate_cb, NULL)) == NULL)
		fatalx("event_new");
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(PQ.batch_ev, &tv);
	link_connect();
	return 0;
}

/* The spool's thread, once the agent has dropped its privileges. */
void
push_start(void)
{
	pspool_start();
}

/* After a reload: new limits, and the collector learns the new devices. */
void
push_devices_changed(struct agent_conf *ac)
{
	struct timeval tv;

	PQ.conf = ac;
	link_conf_changed(ac);
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(PQ.batch_ev, &tv);
	push_flush();
}

void
push_shutdown(void)
{
	struct batch *b;
	uint64_t drop_results, drop_values;

	/* What is queued is spooled: it is sent at the next start. */
	push_make_batches();
	pspool_close();
	pspool_drops(&drop_results, &drop_values);
	if (PQ.fl_results > 0)
		log_info("exiting with %zu results spooled, not yet "
		    "acknowledged by the collector", PQ.fl_results);
	log_info("results %llu, acknowledged %llu, dropped %llu (queue) "
	    "%llu (spool bound) values dropped %llu, batches %llu, connects "
	    "%llu, spool errors %llu, unspooled %llu",
	    (unsigned long long)PQ.st_results,
	    (unsigned long long)PQ.st_acked, (unsigned long long)PQ.st_dropped,
	    (unsigned long long)drop_results,
	    (unsigned long long)drop_values,
	    (unsigned long long)PQ.st_batches,
	    (unsigned long long)link_connects(),
	    (unsigned long long)pspool_errors(),
	    (unsigned long long)PQ.st_unspooled);
	link_shutdown();
	while ((b = PQ.fl_head) != NULL) {
		PQ.fl_head = b->next;
		free(b->frame);
		free(b);
	}
	while (PQ.qlen > 0) {
		struct fm_result *r = PQ.q[PQ.qhead];

		fm_result_clear(r);
		free(r);
		PQ.qhead = (PQ.qhead + 1) % PQ.qcap;
		PQ.qlen--;
	}
	free(PQ.q);
	event_free(PQ.batch_ev);
	event_free(PQ.rate_ev);
	memset(&PQ, 0, sizeof(PQ));
}
