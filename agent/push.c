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
 * Results from the probes to the collector.
 *
 * Results wait in a queue until the batch timer (or a full batch) sends
 * them.  A sent batch stays in the in-flight list, with its encoded
 * frame, until the collector acknowledges its sequence number; after a
 * reconnect the collector's WELCOME says which sequence it has, the
 * batches up to it are released and the rest are sent again with the
 * same numbers, so the collector can drop what it already has.
 *
 * This is where the durable transport lands next: the queue becomes an
 * on-disk spool and the connection becomes TLS.  Until then the queue is
 * bounded in memory and a drop is counted and logged, never silent.
 */

#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>

#include "agent.h"

#define PUSH_BATCH_MAX		1000	/* results in one batch */
#define PUSH_WINDOW		8	/* unacknowledged batches in flight */
#define PUSH_RETRY_MIN_MS	500
#define PUSH_RETRY_MAX_MS	30000
#define PUSH_HELLO_TIMEOUT	10

struct batch {
	uint64_t	 seq;
	uint32_t	 n;		/* results in it */
	struct wbuf	 frame;
	struct batch	*next;
};

enum push_state { PS_IDLE, PS_CONNECTING, PS_HELLO, PS_READY };

static struct {
	struct agent_conf *conf;
	struct evdns_base *dns;
	struct bufferevent *bev;
	struct event	*batch_ev;
	struct event	*retry_ev;
	enum push_state	 state;
	int		 retry_ms;
	uint64_t	 session;
	uint64_t	 next_seq;
	int		 devices_dirty;

	/* Results not yet in a batch: a ring of pointers. */
	struct fm_result **q;
	size_t		 qcap, qhead, qlen;

	/* Batches sent or waiting to be sent, oldest first. */
	struct batch	*fl_head, *fl_tail;
	struct batch	*fl_unsent;	/* first batch not written yet */
	size_t		 fl_count;	/* batches in the list */
	size_t		 fl_results;	/* results in them */
	size_t		 fl_sent;	/* batches written, not acknowledged */

	uint64_t	 st_results, st_acked, st_dropped, st_batches;
	uint64_t	 st_connects;
} P;

static void	push_connect(void);
static void	push_flush(void);

static void
push_drop_oldest(void)
{
	struct fm_result *r = P.q[P.qhead];

	P.qhead = (P.qhead + 1) % P.qcap;
	P.qlen--;
	fm_result_clear(r);
	free(r);
	if (P.st_dropped++ % 1000 == 0)
		log_warnx("collector unreachable and the queue is full "
		    "(%d results): dropping the oldest (%llu dropped so far)",
		    P.conf->queue_max, (unsigned long long)P.st_dropped);
}

void
push_result(struct fm_result *r)
{
	P.st_results++;
	if (P.qlen + P.fl_results >= (size_t)P.conf->queue_max && P.qlen > 0)
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
	if (P.qlen >= PUSH_BATCH_MAX && P.state == PS_READY)
		push_flush();
}

/* Move queued results into encoded batches, oldest first. */
static void
push_make_batches(void)
{
	const struct fm_result *chunk[PUSH_BATCH_MAX];

	while (P.qlen > 0 && P.fl_count < PUSH_WINDOW * 4) {
		struct batch *b;
		uint32_t i, n = P.qlen < PUSH_BATCH_MAX ? (uint32_t)P.qlen :
		    PUSH_BATCH_MAX;

		if ((b = calloc(1, sizeof(*b))) == NULL)
			fatal("calloc");
		b->seq = P.next_seq++;
		b->n = n;
		for (i = 0; i < n; i++)
			chunk[i] = P.q[(P.qhead + i) % P.qcap];
		wbuf_init(&b->frame);
		fm_put_batch(&b->frame, P.session, b->seq, chunk, n);
		if (b->frame.err)
			fatalx("cannot encode a batch");
		for (i = 0; i < n; i++) {
			struct fm_result *r = P.q[P.qhead];

			fm_result_clear(r);
			free(r);
			P.qhead = (P.qhead + 1) % P.qcap;
			P.qlen--;
		}
		if (P.fl_tail != NULL)
			P.fl_tail->next = b;
		else
			P.fl_head = b;
		P.fl_tail = b;
		if (P.fl_unsent == NULL)
			P.fl_unsent = b;
		P.fl_count++;
		P.fl_results += n;
		P.st_batches++;
	}
}

static void
push_send_devices(void)
{
	struct fm_devinfo *di;
	struct wbuf w;
	int	 i, j, n = P.conf->ndevices;

	if ((di = calloc((size_t)(n ? n : 1), sizeof(*di))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		const struct device_conf *dc = &P.conf->devices[i];

		fm_strlcpy(di[i].id, dc->id, sizeof(di[i].id));
		fm_strlcpy(di[i].name, dc->name, sizeof(di[i].name));
		fm_strlcpy(di[i].class, dc->class, sizeof(di[i].class));
		fm_strlcpy(di[i].group, dc->group, sizeof(di[i].group));
		fm_strlcpy(di[i].address, dc->address, sizeof(di[i].address));
		di[i].nchecks = (uint16_t)dc->nchecks;
		if ((di[i].checks = calloc((size_t)(dc->nchecks ? dc->nchecks :
		    1), sizeof(*di[i].checks))) == NULL)
			fatal("calloc");
		for (j = 0; j < dc->nchecks; j++) {
			struct fm_checkinfo *ci = &di[i].checks[j];

			fm_strlcpy(ci->id, dc->checks[j].id, sizeof(ci->id));
			ci->type = (uint8_t)dc->checks[j].type;
			ci->interval_ms = (uint32_t)dc->checks[j].interval_ms;
			ci->timeout_ms = (uint32_t)dc->checks[j].timeout_ms;
			ci->critical = (uint8_t)dc->checks[j].critical;
		}
	}
	wbuf_init(&w);
	fm_put_devices(&w, di, (uint32_t)n);
	if (w.err)
		fatalx("cannot encode the device list");
	bufferevent_write(P.bev, w.p, w.len);
	wbuf_free(&w);
	for (i = 0; i < n; i++)
		free(di[i].checks);
	free(di);
	P.devices_dirty = 0;
}

/* Write what the window allows. */
static void
push_flush(void)
{
	if (P.state != PS_READY)
		return;
	if (P.devices_dirty)
		push_send_devices();
	push_make_batches();
	while (P.fl_unsent != NULL && P.fl_sent < PUSH_WINDOW) {
		bufferevent_write(P.bev, P.fl_unsent->frame.p,
		    P.fl_unsent->frame.len);
		P.fl_unsent = P.fl_unsent->next;
		P.fl_sent++;
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

/* Release every batch up to and including seq. */
static void
push_release(uint64_t seq)
{
	while (P.fl_head != NULL && P.fl_head->seq <= seq) {
		struct batch *b = P.fl_head;

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
		wbuf_free(&b->frame);
		free(b);
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
		    P.conf->collector_host, P.conf->collector_port, why,
		    P.qlen + P.fl_results);
	else
		log_debug("collector %s:%d: %s", P.conf->collector_host,
		    P.conf->collector_port, why);
	P.state = PS_IDLE;
	/* Everything not acknowledged is sent again after the next hello. */
	P.fl_unsent = P.fl_head;
	P.fl_sent = 0;
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
		P.retry_ms = PUSH_RETRY_MIN_MS;
		P.st_connects++;
		bufferevent_set_timeouts(P.bev, NULL, NULL);
		log_info("connected to collector %s:%d (acknowledged up to "
		    "%llu)", P.conf->collector_host, P.conf->collector_port,
		    (unsigned long long)w.last_seq);
		push_release(w.last_seq);
		P.devices_dirty = 1;
		push_flush();
		return 0;
	case FM_ACK:
		if (P.state != PS_READY ||
		    fm_get_ack(p, h->len, &a, err, sizeof(err)) == -1 ||
		    a.session != P.session) {
			push_disconnect("unexpected or bad ack");
			return -1;
		}
		push_release(a.seq);
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
	char	 why[128];

	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

		P.state = PS_HELLO;
		memset(&hello, 0, sizeof(hello));
		fm_strlcpy(hello.agent, P.conf->id, sizeof(hello.agent));
		hello.session = P.session;
		fm_strlcpy(hello.version, FACMON_VERSION,
		    sizeof(hello.version));
		wbuf_init(&w);
		fm_put_hello(&w, &hello);
		bufferevent_write(bev, w.p, w.len);
		wbuf_free(&w);
		bufferevent_set_timeouts(bev, &tv, NULL);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "no answer");
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

	if ((P.bev = bufferevent_socket_new(agent_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(P.bev, push_read_cb, NULL, push_event_cb, NULL);
	bufferevent_set_timeouts(P.bev, &tv, &tv);
	bufferevent_enable(P.bev, EV_READ | EV_WRITE);
	P.state = PS_CONNECTING;
	if (bufferevent_socket_connect_hostname(P.bev, P.dns, AF_UNSPEC,
	    P.conf->collector_host, P.conf->collector_port) == -1)
		push_disconnect("cannot connect");
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

int
push_init(struct agent_conf *ac)
{
	struct timeval tv;

	P.conf = ac;
	P.retry_ms = PUSH_RETRY_MIN_MS;
	P.next_seq = 1;
	if (getrandom(&P.session, sizeof(P.session), 0) !=
	    (ssize_t)sizeof(P.session))
		fatal("getrandom");
	if ((P.dns = evdns_base_new(agent_base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (P.dns = evdns_base_new(agent_base, 0)) == NULL)
		fatalx("evdns_base_new");
	if ((P.batch_ev = event_new(agent_base, -1, EV_PERSIST,
	    batch_timer_cb, NULL)) == NULL ||
	    (P.retry_ev = evtimer_new(agent_base, retry_cb, NULL)) == NULL)
		fatalx("event_new");
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(P.batch_ev, &tv);
	push_connect();
	return 0;
}

/* After a reload: new limits, and the collector learns the new devices. */
void
push_devices_changed(struct agent_conf *ac)
{
	struct timeval tv;

	P.conf = ac;
	P.devices_dirty = 1;
	tv.tv_sec = ac->batch_ms / 1000;
	tv.tv_usec = (ac->batch_ms % 1000) * 1000;
	event_add(P.batch_ev, &tv);
	push_flush();
}

void
push_shutdown(void)
{
	struct batch *b;

	if (P.qlen + P.fl_results > 0)
		log_warnx("exiting with %zu results not acknowledged by the "
		    "collector", P.qlen + P.fl_results);
	log_info("results %llu, acknowledged %llu, dropped %llu, batches "
	    "%llu, connects %llu", (unsigned long long)P.st_results,
	    (unsigned long long)P.st_acked, (unsigned long long)P.st_dropped,
	    (unsigned long long)P.st_batches,
	    (unsigned long long)P.st_connects);
	if (P.bev != NULL)
		bufferevent_free(P.bev);
	while ((b = P.fl_head) != NULL) {
		P.fl_head = b->next;
		wbuf_free(&b->frame);
		free(b);
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
	evdns_base_free(P.dns, 0);
	memset(&P, 0, sizeof(P));
}
