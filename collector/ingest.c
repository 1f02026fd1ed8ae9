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
 * The agent side of the collector: accept connections, read frames,
 * apply batches, acknowledge them.
 *
 * A connection must say HELLO first, as an agent listed in the config.
 * It then sends DEVICES and BATCHes.  A batch is acknowledged only after
 * it has been applied; a batch with a sequence number already
 * acknowledged for its (agent, session) is acknowledged again without
 * being applied, so an agent that lost an ACK can resend safely.
 *
 * Anything malformed closes the connection: a stream of frames has no
 * way to find the next frame boundary after garbage, and an agent that
 * sends garbage is broken, not unlucky.  The daemon itself carries on.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "collector.h"

#define HELLO_TIMEOUT_MS	10000	/* from accept to HELLO */
#define IDLE_TIMEOUT_MS		120000	/* without a frame */
#define CLOSE_TIMEOUT_S		5	/* to flush a last ERROR */
#define RETRY_MS		50	/* RRD queue full: try again */
#define OUTPUT_MAX		(1024 * 1024)	/* unread ACKs: a stuck peer */
#define SESSIONS_MAX		4096

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

enum conn_st {
	CS_HELLO,
	CS_READY,
	CS_CLOSING
};

/*
 * The highest sequence acknowledged per (agent, session), so that a
 * reconnecting agent learns in WELCOME where to resume.  Only in memory
 * for now: a restart of the collector starts every session over, and the
 * agent resends what it still holds.
 */
struct session {
	TAILQ_ENTRY(session) entry;
	char		 agent[FM_ID_MAX];
	uint64_t	 id;
	uint64_t	 last_seq;
	int		 refs;		/* connections using it */
};
TAILQ_HEAD(sessionq, session);

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct bufferevent *bev;
	struct event	*retry;
	char		 peer[INET6_ADDRSTRLEN + 8];
	enum conn_st	 st;
	char		 agent[FM_ID_MAX];
	struct session	*sess;
	int64_t		 accepted_mono;
	int64_t		 last_frame_mono;
	struct fm_batch	 pending;	/* waiting for room in the RRD queue */
	int		 have_pending;
};
TAILQ_HEAD(connq, conn);

static struct event_base *base;
static struct evconnlistener *listeners[COLLECTOR_ADDRS_MAX];
static int	 nlisteners;
static struct connq conns = TAILQ_HEAD_INITIALIZER(conns);
static struct sessionq sessions = TAILQ_HEAD_INITIALIZER(sessions);
static int	 nsessions;
static struct ingest_stats stats;

/* Copied from the config, so that a reload can swap the config freely. */
static struct agent_entry *agents;
static int	 nagents;
static int	 max_connections;

static void	 conn_read(struct conn *);
static void	 conn_free(struct conn *);
static void	 eventcb(struct bufferevent *, short, void *);

static int
agent_known(const char *id)
{
	int	 i;

	for (i = 0; i < nagents; i++)
		if (strcmp(agents[i].id, id) == 0)
			return 1;
	return 0;
}

static struct session *
session_get(const char *agent, uint64_t id)
{
	struct session *s, *victim = NULL;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->id == id && strcmp(s->agent, agent) == 0) {
			/* Most recently used first. */
			TAILQ_REMOVE(&sessions, s, entry);
			TAILQ_INSERT_HEAD(&sessions, s, entry);
			return s;
		}
	if (nsessions >= SESSIONS_MAX) {
		TAILQ_FOREACH_REVERSE(s, &sessions, sessionq, entry)
			if (s->refs == 0) {
				victim = s;
				break;
			}
		if (victim != NULL) {
			TAILQ_REMOVE(&sessions, victim, entry);
			free(victim);
			nsessions--;
		}
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	fm_strlcpy(s->agent, agent, sizeof(s->agent));
	s->id = id;
	TAILQ_INSERT_HEAD(&sessions, s, entry);
	nsessions++;
	return s;
}

static void
send_frame(struct conn *c, struct wbuf *b)
{
	if (b->err == 0)
		bufferevent_write(c->bev, b->p, b->len);
	wbuf_free(b);
}

static void
send_error(struct conn *c, uint16_t code, const char *msg)
{
	struct wbuf b;

	wbuf_init(&b);
	fm_put_error(&b, code, msg);
	send_frame(c, &b);
}

static void
send_ack(struct conn *c, uint64_t seq)
{
	struct wbuf b;
	struct fm_ack a = { .session = c->sess->id, .seq = seq };

	wbuf_init(&b);
	fm_put_ack(&b, &a);
	send_frame(c, &b);
	stats.acks_sent++;
}

static void
close_writecb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

/* Let the last frame go out, then close. */
static void
conn_close_after_write(struct conn *c)
{
	struct timeval tv = { CLOSE_TIMEOUT_S, 0 };

	c->st = CS_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_setcb(c->bev, NULL, close_writecb, eventcb, c);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

/* A protocol violation: count it, tell the peer why, log once, close. */
static void
conn_reject(struct conn *c, uint64_t *counter, uint16_t code, const char *msg)
{
	if (counter != NULL) {
		(*counter)++;
		stats.malformed++;
	}
	log_warnx("agent connection %s%s%s: %s, closing", c->peer,
	    c->agent[0] ? " agent " : "", c->agent, msg);
	send_error(c, code, msg);
	conn_close_after_write(c);
}

static void
conn_free(struct conn *c)
{
	TAILQ_REMOVE(&conns, c, entry);
	stats.conn_active--;
	stats.conn_closed++;
	if (c->have_pending)
		fm_batch_free(&c->pending);
	if (c->retry != NULL)
		event_free(c->retry);
	if (c->sess != NULL)
		c->sess->refs--;
	bufferevent_free(c->bev);
	free(c);
}

static void
handle_hello(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_hello h;
	struct fm_welcome wm;
	struct conn *o, *onext;
	struct wbuf b;
	char	 err[128];

	if (fm_get_hello(p, len, &h, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return;
	}
	if (!agent_known(h.agent)) {
		stats.hello_unknown_agent++;
		log_warnx("agent connection %s: unknown agent '%s', closing",
		    c->peer, h.agent);
		send_error(c, FME_UNKNOWN_AGENT, "unknown agent");
		conn_close_after_write(c);
		return;
	}
	if ((c->sess = session_get(h.agent, h.session)) == NULL) {
		send_error(c, FME_BUSY, "out of memory");
		conn_close_after_write(c);
		return;
	}
	c->sess->refs++;
	fm_strlcpy(c->agent, h.agent, sizeof(c->agent));

	/*
	 * One connection per agent: a new HELLO means the agent gave up on
	 * the old connection, which is likely half-dead.  Two connections
	 * of one agent would also race on its device list.
	 */
	TAILQ_FOREACH_SAFE(o, &conns, entry, onext) {
		if (o == c || o->st == CS_CLOSING ||
		    strcmp(o->agent, c->agent) != 0)
			continue;
		stats.conn_replaced++;
		log_info("agent %s: new connection from %s replaces %s",
		    c->agent, c->peer, o->peer);
		send_error(o, FME_BUSY, "replaced by a new connection");
		conn_close_after_write(o);
	}

	c->st = CS_READY;
	stats.hello_ok++;
	wm.status = FME_OK;
	wm.last_seq = c->sess->last_seq;
	wm.server_ms = now_ms();
	wbuf_init(&b);
	fm_put_welcome(&b, &wm);
	send_frame(c, &b);
	log_info("agent %s connected from %s (session %" PRIu64 ", version "
	    "%s, last seq %" PRIu64 ")", c->agent, c->peer, h.session,
	    h.version, wm.last_seq);
}

static void
handle_devices(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_devices ds;
	char	 err[128];

	if (fm_get_devices(p, len, &ds, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return;
	}
	stats.devices_msgs++;
	state_set_devices(c->agent, &ds, now_ms());
	fm_devices_free(&ds);
}

/* The RRD values of one result, prepended to *list. */
static size_t
result_items(const struct fm_result *r, unsigned int step,
    struct rrd_item **list)
{
	struct rrd_item *it;
	time_t	 t = (time_t)(r->ts_ms / 1000);
	size_t	 n = 0;
	uint16_t i;

#define PUSH(name, val) do {						\
	if ((it = rrdw_item_new(r->device, r->check, (name), step, t,	\
	    (val))) != NULL) {						\
		it->next = *list;					\
		*list = it;						\
		n++;							\
	}								\
} while (0)

	if (!probe_result_is_unknown(r->outcome)) {
		PUSH("up", probe_result_is_up(r->outcome) ? 1.0 : 0.0);
		PUSH("duration_ms", r->dur_us / 1000.0);
	}
	for (i = 0; i < r->nvalues; i++) {
		const struct fm_value *v = &r->values[i];
		char	 name[FM_VNAME_MAX + 2];

		/* The two series of the check itself keep their names. */
		if (strcmp(v->name, "up") == 0 ||
		    strcmp(v->name, "duration_ms") == 0)
			snprintf(name, sizeof(name), "v_%s", v->name);
		else
			fm_strlcpy(name, v->name, sizeof(name));
		if (v->kind == VK_GAUGE)
			PUSH(name, v->d);
		else if (v->kind == VK_COUNTER && !isnan(v->d))
			PUSH(name, v->d);
	}
#undef PUSH
	return n;
}

static size_t
result_nitems(const struct fm_result *r)
{
	size_t	 n = probe_result_is_unknown(r->outcome) ? 0 : 2;
	uint16_t i;

	for (i = 0; i < r->nvalues; i++)
		if (r->values[i].kind == VK_GAUGE ||
		    (r->values[i].kind == VK_COUNTER && !isnan(r->values[i].d)))
			n++;
	return n;
}

/*
 * Apply a decoded batch: RRD queue first, then device state.  Returns 0
 * when applied, 1 when the RRD queue has no room (nothing was changed;
 * call again later).
 *
 * This is the one place between decoding a batch and acknowledging it,
 * where a journal write (and its fsync) will go so that an ACK means the
 * batch survives a crash.
 */
int
ingest_apply_batch(const char *agent, const struct fm_batch *bt)
{
	const struct check_state *cs;
	struct rrd_item *list = NULL;
	size_t	 need = 0, n = 0;
	uint32_t i;
	int64_t	 mono = mono_ms();

	for (i = 0; i < bt->n; i++)
		if (state_find_check(agent, bt->r[i].device,
		    bt->r[i].check) != NULL)
			need += result_nitems(&bt->r[i]);
	if (need > 0 && rrdw_room() < need)
		return 1;
	for (i = 0; i < bt->n; i++) {
		cs = state_find_check(agent, bt->r[i].device, bt->r[i].check);
		if (cs == NULL)
			continue;
		n += result_items(&bt->r[i],
		    cs->interval_ms < 1000 ? 1 : cs->interval_ms / 1000, &list);
	}
	if (rrdw_enqueue(list, n) == -1) {
		rrdw_item_free_list(list);
		return 1;
	}
	for (i = 0; i < bt->n; i++) {
		stats.results++;
		switch (state_apply_result(agent, &bt->r[i], mono)) {
		case SA_APPLIED:
			stats.results_applied++;
			break;
		case SA_UNKNOWN_DEVICE:
			stats.results_unknown_device++;
			break;
		case SA_OUT_OF_ORDER:
			stats.results_out_of_order++;
			break;
		}
	}
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, RETRY_MS * 1000 };

	(void)fd;
	(void)ev;
	if (!c->have_pending)
		return;
	if (ingest_apply_batch(c->agent, &c->pending) == 1) {
		evtimer_add(c->retry, &tv);
		return;
	}
	c->sess->last_seq = c->pending.seq;
	send_ack(c, c->pending.seq);
	stats.batches_applied++;
	fm_batch_free(&c->pending);
	c->have_pending = 0;
	c->last_frame_mono = mono_ms();
	bufferevent_enable(c->bev, EV_READ);
	/* Frames may already wait in the input buffer: no new read event. */
	conn_read(c);
}

/* Returns 1 when the connection is paused waiting for RRD room. */
static int
handle_batch(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_batch bt;
	struct timeval tv = { 0, RETRY_MS * 1000 };
	char	 err[128];

	if (fm_get_batch(p, len, &bt, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return 0;
	}
	stats.batches++;
	if (bt.session != c->sess->id) {
		fm_batch_free(&bt);
		conn_reject(c, &stats.bad_session, FME_SEQUENCE,
		    "batch for another session");
		return 0;
	}
	if (bt.seq <= c->sess->last_seq) {
		stats.batches_duplicate++;
		send_ack(c, bt.seq);
		fm_batch_free(&bt);
		return 0;
	}
	if (ingest_apply_batch(c->agent, &bt) == 1) {
		/*
		 * No room: keep the batch, stop reading and try again soon.
		 * The agent holds it until the ACK, so nothing is lost and
		 * the backpressure reaches the agent through TCP.
		 */
		stats.batches_deferred++;
		c->pending = bt;
		c->have_pending = 1;
		bufferevent_disable(c->bev, EV_READ);
		evtimer_add(c->retry, &tv);
		return 1;
	}
	c->sess->last_seq = bt.seq;
	send_ack(c, bt.seq);
	stats.batches_applied++;
	fm_batch_free(&bt);
	return 0;
}

/* Classify a frame that fm_frame_parse refused, for the counters. */
static uint64_t *
frame_reason(const uint8_t *p, size_t avail, uint16_t *code)
{
	uint32_t len;

	*code = FME_PROTO;
	if (p[0] != FM_MAGIC0 || (avail >= 2 && p[1] != FM_MAGIC1))
		return &stats.bad_magic;
	if (p[2] != FM_PROTO_VERSION) {
		*code = FME_VERSION;
		return &stats.bad_version;
	}
	if (p[3] == 0 || p[3] >= FM_MSG_MAX)
		return &stats.bad_type;
	len = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
	    ((uint32_t)p[6] << 8) | p[7];
	if (len > FM_FRAME_MAX)
		return &stats.too_long;
	return &stats.bad_crc;
}

/* Handle every whole frame in the input buffer. */
static void
conn_read(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct fm_hdr h;
	uint8_t	 hb[FM_HDR_LEN];
	const uint8_t *p;
	size_t	 avail, flen;
	ssize_t	 got;
	uint64_t *reason;
	uint16_t code;
	char	 err[128];
	int	 r;

	while (c->st != CS_CLOSING && !c->have_pending) {
		if ((avail = evbuffer_get_length(in)) == 0)
			return;
		got = evbuffer_copyout(in, hb, sizeof(hb));
		if (got <= 0)
			return;
		r = fm_frame_parse(hb, (size_t)got, &h, err, sizeof(err));
		if (r == -1) {
			reason = frame_reason(hb, (size_t)got, &code);
			conn_reject(c, reason, code, err);
			return;
		}
		if ((size_t)got < FM_HDR_LEN)
			return;
		flen = FM_HDR_LEN + (size_t)h.len;
		if (avail < flen)
			return;
		if ((p = evbuffer_pullup(in, (ssize_t)flen)) == NULL) {
			conn_reject(c, NULL, FME_BUSY, "out of memory");
			return;
		}
		if (fm_frame_parse(p, flen, &h, err, sizeof(err)) != 1) {
			reason = frame_reason(p, flen, &code);
			conn_reject(c, reason, code, err);
			return;
		}
		stats.frames_in++;
		stats.bytes_in += flen;
		c->last_frame_mono = mono_ms();
		p += FM_HDR_LEN;
		r = 0;
		if (c->st == CS_HELLO) {
			if (h.type == FM_HELLO)
				handle_hello(c, p, h.len);
			else
				conn_reject(c, &stats.unexpected_frame,
				    FME_PROTO, "expected HELLO first");
		} else if (h.type == FM_DEVICES)
			handle_devices(c, p, h.len);
		else if (h.type == FM_BATCH)
			r = handle_batch(c, p, h.len);
		else
			conn_reject(c, &stats.unexpected_frame, FME_PROTO,
			    "unexpected frame type");
		/*
		 * A conn_reject() above may have freed c already when its
		 * output was empty; it never is, as an ERROR was just
		 * written, so c is still valid here.
		 */
		evbuffer_drain(in, flen);
		if (r == 1)
			return;
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (evbuffer_get_length(out) > OUTPUT_MAX) {
		stats.conn_slow_reader++;
		log_warnx("agent connection %s: peer does not read its ACKs, "
		    "closing", c->peer);
		conn_free(c);
		return;
	}
	conn_read(c);
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF)
		log_debug("agent connection %s: closed by peer", c->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("agent connection %s: %s", c->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_TIMEOUT) {
		if (c->st != CS_CLOSING)
			stats.conn_idle_timeout++;
		log_warnx("agent connection %s: timeout, closing", c->peer);
	}
	if (c->st == CS_READY)
		log_info("agent %s disconnected (%s)", c->agent, c->peer);
	conn_free(c);
}

static void
format_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "?");
}

static void
acceptcb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn *c;
	char	 peer[INET6_ADDRSTRLEN + 8];
	struct timeval idle = { IDLE_TIMEOUT_MS / 1000, 0 };

	(void)l;
	(void)salen;
	(void)arg;
	format_peer(sa, peer, sizeof(peer));
	if (stats.conn_active >= (uint64_t)max_connections) {
		stats.conn_refused++;
		log_warnx("agent connection %s refused: %d connections",
		    peer, max_connections);
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	fm_strlcpy(c->peer, peer, sizeof(c->peer));
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->retry = evtimer_new(base, retry_cb, c);
	if (c->bev == NULL || c->retry == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->retry != NULL)
			event_free(c->retry);
		free(c);
		return;
	}
	c->st = CS_HELLO;
	c->accepted_mono = c->last_frame_mono = mono_ms();
	TAILQ_INSERT_TAIL(&conns, c, entry);
	stats.conn_accepted++;
	stats.conn_active++;

	/*
	 * Never buffer more than one whole frame: reading stops at the
	 * high-water mark until the frame there has been handled.
	 */
	bufferevent_setwatermark(c->bev, EV_READ, 0, FM_HDR_LEN + FM_FRAME_MAX);
	/* A dead peer on a silent socket; ingest_tick() does the rest. */
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_setcb(c->bev, readcb, NULL, eventcb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("agent connection from %s", peer);
}

static void
listen_errorcb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: libevent retries on the next readiness. */
	log_warn("agent listener: accept");
}

int
ingest_init(struct event_base *b, const struct collector_conf *cf)
{
	int	 i;

	base = b;
	ingest_reconf(cf);
	for (i = 0; i < cf->nlisten; i++) {
		struct evconnlistener *l;

		l = evconnlistener_new_bind(base, acceptcb, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_REUSEABLE, 128,
		    (const struct sockaddr *)&cf->listen[i].ss,
		    (int)cf->listen[i].sslen);
		if (l == NULL) {
			log_warn("listen %s", cf->listen[i].text);
			return -1;
		}
		evconnlistener_set_error_cb(l, listen_errorcb);
		listeners[nlisteners++] = l;
		log_info("listening for agents on %s", cf->listen[i].text);
	}
	return 0;
}

/* Apply what a reload may change; agents no longer listed are dropped. */
void
ingest_reconf(const struct collector_conf *cf)
{
	struct agent_entry *na = NULL;
	struct conn *c, *next;

	if (cf->nagents > 0) {
		if ((na = calloc((size_t)cf->nagents, sizeof(*na))) == NULL) {
			log_warnx("ingest: out of memory, agents unchanged");
			return;
		}
		memcpy(na, cf->agents, (size_t)cf->nagents * sizeof(*na));
	}
	free(agents);
	agents = na;
	nagents = cf->nagents;
	max_connections = cf->max_connections;
	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (c->st != CS_READY || agent_known(c->agent))
			continue;
		log_info("agent %s: removed from the config, disconnecting",
		    c->agent);
		send_error(c, FME_UNKNOWN_AGENT, "agent removed");
		conn_close_after_write(c);
	}
}

/* Once a second: drop connections that missed their deadlines. */
void
ingest_tick(int64_t now_mono)
{
	struct conn *c, *next;

	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (c->st == CS_HELLO &&
		    now_mono - c->accepted_mono >= HELLO_TIMEOUT_MS) {
			stats.conn_hello_timeout++;
			log_warnx("agent connection %s: no HELLO in %d s, "
			    "closing", c->peer, HELLO_TIMEOUT_MS / 1000);
			send_error(c, FME_PROTO, "no HELLO in time");
			conn_close_after_write(c);
		} else if (c->st == CS_READY && !c->have_pending &&
		    now_mono - c->last_frame_mono >= IDLE_TIMEOUT_MS) {
			stats.conn_idle_timeout++;
			log_warnx("agent %s (%s): no frame in %d s, closing",
			    c->agent, c->peer, IDLE_TIMEOUT_MS / 1000);
			conn_free(c);
		}
	}
}

/* Stop accepting and close every connection; unacknowledged is resent. */
void
ingest_stop(void)
{
	struct conn *c;
	int	 i;

	for (i = 0; i < nlisteners; i++)
		evconnlistener_free(listeners[i]);
	nlisteners = 0;
	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_free(c);
	while (!TAILQ_EMPTY(&sessions)) {
		struct session *s = TAILQ_FIRST(&sessions);

		TAILQ_REMOVE(&sessions, s, entry);
		free(s);
	}
	nsessions = 0;
	free(agents);
	agents = NULL;
	nagents = 0;
}

void
ingest_get_stats(struct ingest_stats *s)
{
	*s = stats;
}
