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
 * It then sends DEVICES and BATCHes.  A batch is appended to the journal
 * (journal.c) and acknowledged only once the journal says it is durable
 * and it has been applied to state and the RRD queue.  Batches are
 * pipelined: a connection may have up to PIPELINE_MAX batches waiting
 * for the journal, so that one fsync covers many of them.  Waiting
 * batches sit in one global queue in journal order, which is also the
 * order they are applied in; a connection that goes away leaves its
 * batches there, to be applied all the same.
 *
 * Duplicates are recognised by (agent, session, sequence): the agent
 * numbers the batches of a session from 1 and keeps its spooled batches'
 * numbers across its own restarts, so a batch may belong to an older
 * session than the connection's.  A batch at or below the highest
 * sequence queued for its session is acknowledged (when durable) and not
 * applied again.  The sessions are rebuilt from the journal at start.
 *
 * With TLS (the default) a connection is a TLS 1.3 session keyed by the
 * agent's own pre-shared key, its identity the agent id; the HELLO must
 * name that same agent.  Unknown identities, revoked agents and wrong
 * keys fail the handshake; they are counted, logged and raised as a
 * tls-refused event at most once a minute each (with the count since),
 * and the daemon carries on.  A handshake that found the agent's key but
 * never finished (cut off, or a ClientHello replayed by someone without
 * the key) is counted apart: it says nothing about the key.
 *
 * Every connection has a deadline at every stage: HELLO_TIMEOUT_MS from
 * accept to HELLO, whether the TLS handshake is done or not, and
 * CLOSE_TIMEOUT_S to flush a last ERROR, after which it is freed whatever
 * its peer does.  A peer cannot hold more than handshakes_per_peer
 * connections that have not said HELLO, and at max_connections a new
 * connection takes the place of the oldest one that has not: a peer
 * that opens connections and sends nothing cannot lock agents out.
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
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ingest.h"

#define HELLO_TIMEOUT_MS	10000	/* from accept to HELLO */
#define IDLE_TIMEOUT_MS		120000	/* without a frame */
#define CLOSE_TIMEOUT_S		5	/* to flush a last ERROR */
#define RETRY_MS		50	/* RRD queue full: try again */
#define OUTPUT_MAX		(1024 * 1024)	/* unread ACKs: a stuck peer */
#define SESSIONS_MAX		4096
#define PIPELINE_MAX		32	/* batches of a connection in the journal */
#define PENDING_BYTES_MAX	(64U * 1024 * 1024)	/* journal queue */
#define BAD_PAST_MS		(400LL * 86400 * 1000)	/* older: refused */
#define BAD_FUTURE_MS		(86400LL * 1000)	/* newer: refused */
#define SKEW_EVENT_MS		60000	/* one clock event a minute */

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
 * Per (agent, session): the highest sequence acknowledged, which WELCOME
 * reports, and the highest queued to the journal, against which replays
 * are recognised.  Rebuilt from the journal at start.
 */
struct session {
	TAILQ_ENTRY(session) entry;
	char		 agent[FM_ID_MAX];
	uint64_t	 id;
	uint64_t	 last_seq;
	uint64_t	 last_queued;
	int		 refs;		/* connections and pending batches */
};
TAILQ_HEAD(sessionq, session);

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct bufferevent *bev;
	char		 peer[INET6_ADDRSTRLEN + 8];
	enum conn_st	 st;
	char		 agent[FM_ID_MAX];
	struct session	*sess;
	uint16_t	 level;		/* protocol level both speak */
	int64_t		 accepted_mono;
	int64_t		 last_frame_mono;
	int		 counted;	/* in its agent_rt's connected */
	int		 npend;		/* batches waiting for the journal */
	int		 paused;	/* reading stopped: too many waiting */
	uint64_t	 rx_session;	/* last batch read: backwards check */
	uint64_t	 rx_seq;
	int64_t		 skew_event_mono;
	int		 tls;
	int		 handshaken;
	int64_t		 closing_mono;	/* CS_CLOSING since */
	char		 host[INET6_ADDRSTRLEN];	/* the peer without port */
	struct fm_tls_peer tls_peer;	/* filled during the handshake */
};
TAILQ_HEAD(connq, conn);

/* A batch in the journal queue, waiting to be durable and applied. */
struct pend {
	TAILQ_ENTRY(pend) entry;
	uint64_t	 ticket;
	struct conn	*c;		/* NULL once the connection is gone */
	struct session	*s;
	uint64_t	 seq;
	int		 dup;		/* only to be acknowledged */
	int64_t		 rx_ms;
	struct fm_batch	 bt;
};
TAILQ_HEAD(pendq, pend);

/* What the collector knows of each agent beyond its connections. */
struct agent_rt {
	char		 id[FM_ID_MAX];
	uint8_t		*devices;	/* last DEVICES payload, for rotation */
	size_t		 devices_len;
	int64_t		 last_contact_mono;
	int		 connected;
	int		 unreachable;
	struct fm_agent_event drops;	/* last spool-drop report */
};

static struct event_base *base;
static struct evconnlistener *listeners[COLLECTOR_ADDRS_MAX];
static int	 nlisteners;
static struct connq conns = TAILQ_HEAD_INITIALIZER(conns);
static struct sessionq sessions = TAILQ_HEAD_INITIALIZER(sessions);
static int	 nsessions;
static struct ingest_stats stats;
static struct pendq pending = TAILQ_HEAD_INITIALIZER(pending);
static uint64_t	 durable_ticket;
static struct event *apply_retry;
static struct agent_rt *art;
static size_t	 nart;
static uint64_t	 journal_since_rotate;
static long long journal_segment = 64LL * 1024 * 1024;
static int64_t	 journal_keep_ms = 8LL * 86400 * 1000;
static int	 clock_tolerance_ms = 10000;
static int	 unreachable_ms = 60000;
static int	 storage_alarm;
static SSL_CTX	*tls_ctx;		/* NULL: plain TCP, as configured */

/* Copied from the config, so that a reload can swap the config freely. */
static struct agent_entry *agents;
static int	 nagents;
static int	 max_connections;
static int	 handshakes_per_peer = 16;

/* Peers trigger these at will: a line a minute each, with a count. */
static struct ratelim rl_refused, rl_timeout, rl_reject, rl_incomplete;
static struct ratelim rl_valmeta;
static struct ratelim rl_tls[3], rl_tls_event[3];	/* by kind */

static void	 conn_read(struct conn *);
static void	 conn_free(struct conn *);
static void	 eventcb(struct bufferevent *, short, void *);
static void	 process_pending(void);

static struct agent_rt *
agent_rt_get(const char *id)
{
	struct agent_rt *a;
	size_t	 i;

	for (i = 0; i < nart; i++)
		if (strcmp(art[i].id, id) == 0)
			return &art[i];
	if ((a = reallocarray(art, nart + 1, sizeof(*art))) == NULL)
		return NULL;
	art = a;
	a = &art[nart++];
	memset(a, 0, sizeof(*a));
	fm_strlcpy(a->id, id, sizeof(a->id));
	a->last_contact_mono = mono_ms();
	return a;
}

static int
agent_known(const char *id)
{
	int	 i;

	for (i = 0; i < nagents; i++)
		if (strcmp(agents[i].id, id) == 0)
			return 1;
	return 0;
}

static int
agent_revoked(const char *id)
{
	int	 i;

	for (i = 0; i < nagents; i++)
		if (strcmp(agents[i].id, id) == 0)
			return agents[i].revoked;
	return 0;
}

/* For the handshake (common/tls.c): keys are in memory, no disk. */
static int
psk_lookup(const char *id, uint8_t *key)
{
	int	 i;

	for (i = 0; i < nagents; i++) {
		if (strcmp(agents[i].id, id) != 0)
			continue;
		if (agents[i].revoked)
			return FM_PSK_REVOKED;
		if (!agents[i].has_key)
			return FM_PSK_UNKNOWN;
		memcpy(key, agents[i].key, FM_PSK_LEN);
		return FM_PSK_OK;
	}
	return FM_PSK_UNKNOWN;
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
send_ack(struct conn *c, uint64_t session, uint64_t seq)
{
	struct wbuf b;
	struct fm_ack a = { .session = session, .seq = seq };

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
	c->closing_mono = mono_ms();
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
	uint64_t held;

	if (counter != NULL) {
		(*counter)++;
		stats.malformed++;
	}
	/* Before HELLO anyone can cause this: at most a line a minute. */
	if (c->st == CS_READY)
		log_warnx("agent connection %s agent %s: %s, closing", c->peer,
		    c->agent, msg);
	else if (ratelim_pass(&rl_reject, mono_ms(), NETLIMIT_LOG_MS, &held))
		log_warnx("agent connection %s: %s, closing (%llu more "
		    "refused before HELLO in the last %d s)", c->peer, msg,
		    (unsigned long long)held, NETLIMIT_LOG_MS / 1000);
	send_error(c, code, msg);
	conn_close_after_write(c);
}

static void
conn_free(struct conn *c)
{
	struct pend *p;
	struct agent_rt *a;

	TAILQ_REMOVE(&conns, c, entry);
	stats.conn_active--;
	stats.conn_closed++;
	/* Its batches stay queued: they are applied, just not acked. */
	TAILQ_FOREACH(p, &pending, entry)
		if (p->c == c)
			p->c = NULL;
	if (c->counted && (a = agent_rt_get(c->agent)) != NULL) {
		a->connected--;
		a->last_contact_mono = mono_ms();
	}
	if (c->sess != NULL)
		c->sess->refs--;
	bufferevent_free(c->bev);
	free(c);
}

/*
 * A frame from a connected agent: it is in contact.  A connection can
 * outlive a partition (no FIN crosses a cut link), so contact is the
 * last frame, not an open socket.
 */
static void
agent_heard(struct conn *c)
{
	struct agent_rt *a;

	if ((a = agent_rt_get(c->agent)) == NULL)
		return;
	a->last_contact_mono = c->last_frame_mono;
	if (a->unreachable) {
		a->unreachable = 0;
		stats.agents_unreachable--;
		event_raise_facts("agent-reachable", c->agent, 0, 0, c->peer,
		    "heard again from %s", c->peer);
	}
}

static void
handle_hello(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_hello h;
	struct fm_welcome wm;
	struct conn *o, *onext;
	struct agent_rt *a;
	struct wbuf b;
	char	 err[128];

	if (fm_get_hello(p, len, &h, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return;
	}
	if (c->tls && strcmp(h.agent, c->tls_peer.id) != 0) {
		stats.tls_id_mismatch++;
		log_warnx("agent connection %s: HELLO as '%s' over the TLS "
		    "identity of '%s', closing", c->peer, h.agent,
		    c->tls_peer.id);
		event_raise_facts("tls-refused", c->tls_peer.id, 3, 0, c->peer,
		    "HELLO from %s names another agent (%s)", c->peer,
		    h.agent);
		send_error(c, FME_UNKNOWN_AGENT, "not your agent id");
		conn_close_after_write(c);
		return;
	}
	if (agent_revoked(h.agent)) {
		stats.tls_revoked++;
		log_warnx("agent connection %s: agent '%s' is revoked, "
		    "closing", c->peer, h.agent);
		send_error(c, FME_UNKNOWN_AGENT, "agent revoked");
		conn_close_after_write(c);
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
	if ((a = agent_rt_get(c->agent)) != NULL) {
		a->connected++;
		c->counted = 1;
		a->last_contact_mono = mono_ms();
		if (a->unreachable) {
			a->unreachable = 0;
			stats.agents_unreachable--;
			event_raise_facts("agent-reachable", c->agent, 0, 0,
			    c->peer, "connected again from %s", c->peer);
		}
	}
	wm.status = FME_OK;
	wm.last_seq = c->sess->last_seq;
	wm.server_ms = now_ms();
	/*
	 * An agent of level 1 refuses a WELCOME with more than it knows:
	 * it is told nothing of levels, and is spoken to in level 1.
	 */
	c->level = fm_level_min(h.level);
	wm.level = h.level >= 2 ? FM_PROTO_LEVEL : 0;
	wbuf_init(&b);
	fm_put_welcome(&b, &wm);
	send_frame(c, &b);
	log_info("agent %s connected from %s (session %" PRIu64 ", version "
	    "%s, protocol level %u, last seq %" PRIu64 ")", c->agent, c->peer,
	    h.session, h.version, c->level, wm.last_seq);
}

/*
 * A sessions checkpoint, then every agent's device list: what a new
 * segment needs so that older segments can be pruned one day.
 */
static void
journal_rotate(void)
{
	struct session *s;
	struct wbuf b;
	uint32_t n = 0;
	size_t	 i;
	int64_t	 now = now_ms();

	TAILQ_FOREACH(s, &sessions, entry)
		n++;
	wbuf_init(&b);
	wbuf_u32(&b, n);
	TAILQ_FOREACH(s, &sessions, entry) {
		wbuf_str(&b, s->agent);
		wbuf_u64(&b, s->id);
		wbuf_u64(&b, s->last_queued);
	}
	if (b.err == 0)
		journal_append(JR_SESSIONS, "", now, b.p, b.len, 1);
	wbuf_free(&b);
	for (i = 0; i < nart; i++)
		if (art[i].devices != NULL)
			journal_append(JR_DEVICES, art[i].id, now,
			    art[i].devices, art[i].devices_len, 0);
	journal_since_rotate = 0;
}

static uint64_t
journal_add(uint8_t type, const char *agent, const uint8_t *p, size_t len)
{
	journal_since_rotate += len;
	if ((long long)journal_since_rotate > journal_segment)
		journal_rotate();
	return journal_append(type, agent, now_ms(), p, len, 0);
}

static void
remember_devices(const char *agent, const uint8_t *p, size_t len)
{
	struct agent_rt *a;
	uint8_t	*copy;

	if ((a = agent_rt_get(agent)) == NULL ||
	    (copy = malloc(len ? len : 1)) == NULL)
		return;
	memcpy(copy, p, len);
	free(a->devices);
	a->devices = copy;
	a->devices_len = len;
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
	/*
	 * Journaled so that replay knows the checks the batches after it
	 * refer to.  Applied at once: it is idempotent, and the batches
	 * that need it are applied after it in journal order anyway.
	 */
	if (journal_add(JR_DEVICES, c->agent, p, len) == 0) {
		fm_devices_free(&ds);
		conn_reject(c, NULL, FME_BUSY, "out of memory");
		return;
	}
	remember_devices(c->agent, p, len);
	stats.devices_msgs++;
	state_set_devices(c->agent, &ds, now_ms());
	fm_devices_free(&ds);
}

static void
handle_event(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_agent_event e;
	struct agent_rt *a;
	char	 err[128];

	if (fm_get_event(p, len, &e, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return;
	}
	stats.agent_events++;
	if ((a = agent_rt_get(c->agent)) != NULL &&
	    strcmp(e.kind, "spool-drop") == 0) {
		if (e.value == a->drops.value && e.value2 == a->drops.value2)
			return;		/* the same totals again */
		a->drops = e;
	}
	event_raise_facts(e.kind, c->agent, (int64_t)e.value,
	    (int64_t)e.value2, NULL, "%s (%llu, %llu)", e.msg,
	    (unsigned long long)e.value, (unsigned long long)e.value2);
}

/*
 * What a check's values are (level 3).  It describes and measures
 * nothing, so it is neither journaled nor acknowledged: the agent sends
 * it again after every connect.  A malformed one is dropped and counted
 * without closing the connection, whose frame boundaries are intact
 * (the CRC held): its batches matter more than a description.
 */
static void
handle_valmeta(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_valmeta *m;
	char	 err[128];
	uint64_t held;

	if (c->level < 3) {
		conn_reject(c, &stats.unexpected_frame, FME_PROTO,
		    "VALMETA below protocol level 3");
		return;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		conn_reject(c, NULL, FME_BUSY, "out of memory");
		return;
	}
	if (fm_get_valmeta(p, len, m, err, sizeof(err)) == -1) {
		free(m);
		stats.valmeta_rejected++;
		if (ratelim_pass(&rl_valmeta, mono_ms(), NETLIMIT_LOG_MS,
		    &held))
			log_warnx("agent %s (%s): values' description refused: "
			    "%s (%llu more in the last %d s)", c->agent,
			    c->peer, err, (unsigned long long)held,
			    NETLIMIT_LOG_MS / 1000);
		return;
	}
	if (state_set_valmeta(c->agent, m) == -1) {
		stats.valmeta_unknown++;
		fm_valmeta_free(m);
		free(m);
		return;
	}
	stats.valmeta_msgs++;
}

/* The RRD values of one result, prepended to *list. */
static size_t
result_items(const struct fm_result *r, unsigned int step, int replay,
    struct rrd_item **list)
{
	struct rrd_item *it;
	time_t	 t = (time_t)(r->ts_ms / 1000);
	size_t	 n = 0;
	uint16_t i;

#define PUSH(name, val) do {						\
	if ((it = rrdw_item_new(r->device, r->check, (name), step, t,	\
	    (val))) != NULL) {						\
		it->replay = replay;					\
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

enum tclass { T_OK, T_FUTURE, T_BAD };

/*
 * Judge a result's timestamp against the collector's clock when the
 * batch arrived (rx_ms, kept in the journal so that replay judges alike).
 * Far off: refused outright.  Ahead beyond the tolerance: the agent's
 * clock is wrong, so the result counts for availability but reaches
 * neither RRD (a future second there would block every later value) nor
 * the check's state.
 */
static enum tclass
time_class(const struct fm_result *r, int64_t rx_ms)
{
	if (r->ts_ms < rx_ms - BAD_PAST_MS || r->ts_ms > rx_ms + BAD_FUTURE_MS)
		return T_BAD;
	if (r->ts_ms > rx_ms + clock_tolerance_ms)
		return T_FUTURE;
	return T_OK;
}

/*
 * Apply a durable batch: RRD queue first, then device state.  Returns 0
 * when applied, 1 when the RRD queue has no room (nothing was changed;
 * call again later).
 */
int
ingest_apply_batch(const char *agent, const struct fm_batch *bt,
    int64_t rx_ms, int replay)
{
	const struct check_state *cs;
	struct rrd_item *list = NULL;
	size_t	 need = 0, n = 0;
	uint32_t i;
	int64_t	 mono = mono_ms();

	for (i = 0; i < bt->n; i++)
		if (time_class(&bt->r[i], rx_ms) == T_OK &&
		    state_find_check(agent, bt->r[i].device,
		    bt->r[i].check) != NULL)
			need += result_nitems(&bt->r[i]);
	if (need > 0 && rrdw_room() < need)
		return 1;
	for (i = 0; i < bt->n; i++) {
		if (time_class(&bt->r[i], rx_ms) != T_OK)
			continue;
		cs = state_find_check(agent, bt->r[i].device, bt->r[i].check);
		if (cs == NULL)
			continue;
		n += result_items(&bt->r[i],
		    cs->interval_ms < 1000 ? 1 : cs->interval_ms / 1000,
		    replay, &list);
	}
	if (rrdw_enqueue(list, n) == -1) {
		rrdw_item_free_list(list);
		return 1;
	}
	for (i = 0; i < bt->n; i++) {
		stats.results++;
		switch (time_class(&bt->r[i], rx_ms)) {
		case T_BAD:
			stats.results_bad_time++;
			continue;
		case T_FUTURE:
			stats.results_future++;
			state_count_result(agent, &bt->r[i]);
			continue;
		case T_OK:
			break;
		}
		/* A notification, not a probe: traps.c says what it means. */
		if (bt->r[i].type == CT_TRAP) {
			traps_apply(agent, &bt->r[i]);
			stats.results_applied++;
			continue;
		}
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
conn_resume(struct conn *c)
{
	if (!c->paused || c->st != CS_READY || c->npend > PIPELINE_MAX / 2 ||
	    journal_pending_bytes() > PENDING_BYTES_MAX / 2)
		return;
	c->paused = 0;
	bufferevent_enable(c->bev, EV_READ);
	/* Frames may already wait in the input buffer: no new read event. */
	conn_read(c);
}

/*
 * Apply and acknowledge, in journal order, every waiting batch that the
 * journal has made durable.  Stops at a batch the RRD queue has no room
 * for and tries again shortly: the order is kept.
 */
static void
process_pending(void)
{
	struct timeval tv = { 0, RETRY_MS * 1000 };
	struct pend *p;
	struct conn *c, *cnext;

	while ((p = TAILQ_FIRST(&pending)) != NULL &&
	    p->ticket <= durable_ticket) {
		if (!p->dup) {
			if (ingest_apply_batch(p->s->agent, &p->bt, p->rx_ms,
			    0) == 1) {
				stats.batches_deferred++;
				evtimer_add(apply_retry, &tv);
				break;
			}
			stats.batches_applied++;
		}
		if (p->seq > p->s->last_seq)
			p->s->last_seq = p->seq;
		if (p->c != NULL) {
			send_ack(p->c, p->s->id, p->seq);
			p->c->npend--;
		}
		TAILQ_REMOVE(&pending, p, entry);
		stats.pending_batches--;
		p->s->refs--;
		fm_batch_free(&p->bt);
		free(p);
	}
	TAILQ_FOREACH_SAFE(c, &conns, entry, cnext)
		conn_resume(c);
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	process_pending();
}

static void
durable_cb(uint64_t ticket)
{
	int	 failing = journal_failing();

	if (failing != storage_alarm) {
		struct journal_stats js;

		journal_get_stats(&js);
		storage_alarm = failing;
		stats.storage_alarm = (uint64_t)failing;
		if (failing)
			event_raise_facts("storage-alarm", NULL,
			    (int64_t)js.last_errno, 0,
			    strerror((int)js.last_errno), "journal cannot "
			    "write (%s): not acknowledging",
			    strerror((int)js.last_errno));
		else
			event_raise("storage-ok", NULL, "journal writes "
			    "again");
	}
	if (ticket > durable_ticket)
		durable_ticket = ticket;
	process_pending();
}

static void
clock_check(struct conn *c, const struct fm_batch *bt, int64_t now)
{
	int64_t	 ahead = INT64_MIN, mono = mono_ms();
	uint32_t i;

	for (i = 0; i < bt->n; i++)
		if (bt->r[i].ts_ms - now > ahead)
			ahead = bt->r[i].ts_ms - now;
	if (ahead <= clock_tolerance_ms)
		return;
	if (c->skew_event_mono != 0 &&
	    mono - c->skew_event_mono < SKEW_EVENT_MS)
		return;
	c->skew_event_mono = mono;
	stats.clock_skew_events++;
	event_raise_facts("clock-skew", c->agent, ahead, clock_tolerance_ms,
	    NULL, "results stamped %lld ms ahead of the collector's clock "
	    "(tolerance %d ms); kept out of RRD", (long long)ahead,
	    clock_tolerance_ms);
}

/* Returns 1 when the connection is paused waiting for the journal. */
static int
handle_batch(struct conn *c, const uint8_t *p, size_t len)
{
	struct fm_batch bt;
	struct session *s;
	struct pend *pe;
	char	 err[128];
	int64_t	 now = now_ms();

	if (fm_get_batch(p, len, &bt, err, sizeof(err)) == -1) {
		conn_reject(c, &stats.decode_error, FME_PROTO, err);
		return 0;
	}
	stats.batches++;
	if (bt.seq == 0) {
		fm_batch_free(&bt);
		conn_reject(c, &stats.bad_session, FME_SEQUENCE,
		    "sequence 0");
		return 0;
	}
	if ((s = session_get(c->agent, bt.session)) == NULL ||
	    (pe = calloc(1, sizeof(*pe))) == NULL) {
		fm_batch_free(&bt);
		conn_reject(c, NULL, FME_BUSY, "out of memory");
		return 0;
	}
	if (bt.session == c->rx_session && bt.seq <= c->rx_seq)
		stats.batches_backwards++;
	c->rx_session = bt.session;
	c->rx_seq = bt.seq;
	pe->c = c;
	pe->s = s;
	pe->seq = bt.seq;
	pe->rx_ms = now;
	if (bt.seq <= s->last_queued) {
		/* Acknowledged once everything queued before is durable. */
		stats.batches_duplicate++;
		pe->dup = 1;
		pe->ticket = journal_last_ticket();
		fm_batch_free(&bt);
	} else {
		if (s->last_queued != 0 && bt.seq > s->last_queued + 1)
			stats.seq_gaps++;
		clock_check(c, &bt, now);
		if ((pe->ticket = journal_add(JR_BATCH, c->agent, p,
		    len)) == 0) {
			free(pe);
			fm_batch_free(&bt);
			conn_reject(c, NULL, FME_BUSY, "out of memory");
			return 0;
		}
		stats.batches_journaled++;
		s->last_queued = bt.seq;
		pe->bt = bt;
	}
	s->refs++;
	c->npend++;
	stats.pending_batches++;
	TAILQ_INSERT_TAIL(&pending, pe, entry);
	if (pe->dup && pe->ticket <= durable_ticket)
		process_pending();
	if (c->npend >= PIPELINE_MAX ||
	    journal_pending_bytes() > PENDING_BYTES_MAX) {
		/*
		 * Enough waiting: stop reading, and the backpressure reaches
		 * the agent through TCP.  The agent keeps everything until
		 * it is acknowledged, so nothing is lost while paused.
		 */
		c->paused = 1;
		bufferevent_disable(c->bev, EV_READ);
		return 1;
	}
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

	while (c->st != CS_CLOSING && !c->paused) {
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
		if (c->counted)
			agent_heard(c);
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
		else if (h.type == FM_EVENT)
			handle_event(c, p, h.len);
		else if (h.type == FM_VALMETA)
			handle_valmeta(c, p, h.len);
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

/*
 * A TLS handshake that failed: the find-session callback recorded which
 * identity was offered and what the keys said of it, so the refusal is
 * told apart (unknown, revoked, wrong key) for the log and the counters.
 */
static void
tls_refused(struct conn *c, struct bufferevent *bev)
{
	const struct fm_tls_peer *tp = &c->tls_peer;
	unsigned long e = bufferevent_get_openssl_error(bev);
	char	 why[256];
	const char *what;
	uint64_t held;
	int64_t	 now = mono_ms();
	int	 kind;

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	else
		fm_strlcpy(why, "connection closed", sizeof(why));
	ERR_clear_error();
	if (!tp->looked_up) {
		/* No PSK offered at all: not one of ours, or not TLS. */
		stats.tls_failed++;
		log_debug("agent connection %s: TLS handshake failed: %s",
		    c->peer, why);
		return;
	}
	if (tp->found == FM_PSK_OK &&
	    ERR_GET_REASON(e) != SSL_R_BINDER_DOES_NOT_VERIFY) {
		/*
		 * The key was found and its binder never failed: the peer
		 * went away (a cut link, a restart) or replayed a ClientHello
		 * it cannot finish.  Neither says the key is wrong.
		 */
		stats.tls_incomplete++;
		if (ratelim_pass(&rl_incomplete, now, NETLIMIT_LOG_MS, &held))
			log_info("agent connection %s: TLS handshake of '%s' "
			    "not completed (cut off or replayed): %s; %llu "
			    "more in the last %d s", c->peer, tp->id, why,
			    (unsigned long long)held, NETLIMIT_LOG_MS / 1000);
		return;
	}
	if (tp->found == FM_PSK_REVOKED) {
		stats.tls_revoked++;
		what = "agent revoked";
		kind = 0;
	} else if (tp->found == FM_PSK_UNKNOWN) {
		stats.tls_unknown_agent++;
		stats.hello_unknown_agent++;
		what = "unknown agent or no key for it";
		kind = 1;
	} else {
		stats.tls_bad_key++;
		what = "wrong key";
		kind = 2;
	}
	if (ratelim_pass(&rl_tls[kind], now, NETLIMIT_LOG_MS, &held))
		log_warnx("agent connection %s: TLS identity '%s' refused: %s "
		    "(%s); %llu more refused in the last %d s", c->peer,
		    tp->id, what, why, (unsigned long long)held,
		    NETLIMIT_LOG_MS / 1000);
	/* The history keeps 1,024 events: a flood must not empty it. */
	if (ratelim_pass(&rl_tls_event[kind], now, NETLIMIT_LOG_MS, &held))
		event_raise_facts("tls-refused", tp->id, kind, 0, c->peer,
		    "%s from %s; refused so "
		    "far: unknown %llu, wrong key %llu, revoked %llu", what,
		    c->peer, (unsigned long long)stats.tls_unknown_agent,
		    (unsigned long long)stats.tls_bad_key,
		    (unsigned long long)stats.tls_revoked);
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done; HELLO comes next. */
		c->handshaken = 1;
		stats.tls_handshakes++;
		log_debug("agent connection %s: TLS identity '%s'", c->peer,
		    c->tls_peer.id);
		return;
	}
	if (c->tls && !c->handshaken &&
	    (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
		tls_refused(c, bev);
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF)
		log_debug("agent connection %s: closed by peer", c->peer);
	else if (what & BEV_EVENT_ERROR)
		log_debug("agent connection %s: %s", c->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_TIMEOUT) {
		if (c->st != CS_CLOSING)
			stats.conn_idle_timeout++;
		if (c->st == CS_READY)
			log_warnx("agent connection %s: timeout, closing",
			    c->peer);
	}
	if (c->st == CS_READY)
		log_info("agent %s disconnected (%s)", c->agent, c->peer);
	conn_free(c);
}

static void
format_peer(const struct sockaddr *sa, char *buf, size_t len, char *host,
    size_t hostlen)
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
		fm_strlcpy(a, "?", sizeof(a));
	if (sa->sa_family != AF_INET6 && sa->sa_family != AF_INET)
		snprintf(buf, len, "?");
	fm_strlcpy(host, a, hostlen);
}

/* A connection refused at accept: counted, and a line a minute. */
static void
refuse(evutil_socket_t fd, const char *peer, uint64_t *counter,
    const char *why)
{
	uint64_t held;

	if (counter != NULL)
		(*counter)++;
	stats.conn_refused++;
	evutil_closesocket(fd);
	if (ratelim_pass(&rl_refused, mono_ms(), NETLIMIT_LOG_MS, &held))
		log_warnx("agent connection %s refused: %s (%llu more refused "
		    "in the last %d s; %llu in all)", peer, why,
		    (unsigned long long)held, NETLIMIT_LOG_MS / 1000,
		    (unsigned long long)stats.conn_refused);
}

/*
 * Room for one more connection: the oldest one closing or not yet past
 * HELLO goes, as a legitimate agent says HELLO within milliseconds of
 * connecting and only a peer that holds connections open is that old.
 */
static int
make_room(void)
{
	struct conn *c, *victim = NULL;

	TAILQ_FOREACH(c, &conns, entry)
		if (c->st == CS_CLOSING || c->st == CS_HELLO) {
			victim = c;	/* conns is in accept order */
			break;
		}
	if (victim == NULL)
		return 0;
	stats.conn_evicted++;
	conn_free(victim);
	return 1;
}

static void
acceptcb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn *c;
	char	 peer[INET6_ADDRSTRLEN + 8], host[INET6_ADDRSTRLEN];
	struct timeval idle = { IDLE_TIMEOUT_MS / 1000, 0 };
	int	 cap = netlimit_cap(NL_AGENT, max_connections), npeer = 0;

	(void)l;
	(void)salen;
	(void)arg;
	format_peer(sa, peer, sizeof(peer), host, sizeof(host));
	if (!netlimit_fd_ok(fd)) {
		refuse(fd, peer, &stats.conn_refused_fd,
		    "descriptors running out");
		return;
	}
	TAILQ_FOREACH(c, &conns, entry)
		if (c->st == CS_HELLO && strcmp(c->host, host) == 0)
			npeer++;
	if (npeer >= handshakes_per_peer) {
		refuse(fd, peer, &stats.conn_refused_peer, "too many "
		    "connections of this address before HELLO");
		return;
	}
	if (stats.conn_active >= (uint64_t)cap && !make_room()) {
		refuse(fd, peer, NULL, "every connection is an agent's");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	fm_strlcpy(c->peer, peer, sizeof(c->peer));
	fm_strlcpy(c->host, host, sizeof(c->host));
	if (tls_ctx != NULL) {
		SSL	*ssl;

		c->tls = 1;
		if ((ssl = fm_tls_server_ssl(tls_ctx, &c->tls_peer)) == NULL) {
			log_warnx("agent connection %s: %s", peer,
			    fm_tls_error());
			evutil_closesocket(fd);
			free(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL)
			SSL_free(ssl);
		else
			/* An agent killed mid-stream is no attack. */
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev,
			    1);
	} else
		c->bev = bufferevent_socket_new(base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
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
	/* EMFILE and friends: every listener rests a moment. */
	netlimit_accept_error("agent");
}

int
ingest_init(struct event_base *b, const struct collector_conf *cf)
{
	char	 err[256];
	int	 i;

	base = b;
	ingest_reconf(cf);
	if (cf->tls) {
		if ((tls_ctx = fm_tls_server_ctx(psk_lookup)) == NULL) {
			log_warnx("TLS: %s", fm_tls_error());
			return -1;
		}
	} else
		log_warnx("TLS is off (tls = false): agents connect over "
		    "plain TCP, unauthenticated");
	if ((apply_retry = evtimer_new(base, retry_cb, NULL)) == NULL)
		return -1;
	if (journal_open(base, cf->data_dir, durable_cb, err,
	    sizeof(err)) == -1) {
		log_warnx("journal: %s", err);
		return -1;
	}
	if (ingest_replay() == -1)
		return -1;
	journal_prune(journal_keep_ms);
	if (journal_start(err, sizeof(err)) == -1) {
		log_warnx("journal: %s", err);
		return -1;
	}
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
		netlimit_listener(l);
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
	if (agents != NULL)
		OPENSSL_cleanse(agents, (size_t)nagents * sizeof(*agents));
	free(agents);
	agents = na;
	nagents = cf->nagents;
	max_connections = cf->max_connections;
	handshakes_per_peer = cf->handshakes_per_peer;
	clock_tolerance_ms = cf->clock_tolerance_ms;
	unreachable_ms = cf->unreachable_ms;
	journal_segment = cf->journal_segment;
	journal_keep_ms = (int64_t)cf->journal_keep_days * 86400 * 1000;
	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (c->st != CS_READY ||
		    (agent_known(c->agent) && !agent_revoked(c->agent)))
			continue;
		log_info("agent %s: removed from the config, disconnecting",
		    c->agent);
		send_error(c, FME_UNKNOWN_AGENT, "agent removed");
		conn_close_after_write(c);
	}
}

/*
 * An agent listed in the config that has not been connected for
 * unreachable_ms is unreachable: an event of its own, distinct from its
 * devices, which go unknown (not down) through state_expire().
 */
static void
agents_tick(int64_t now_mono)
{
	struct agent_rt *a;
	int	 i;

	for (i = 0; i < nagents; i++) {
		if ((a = agent_rt_get(agents[i].id)) == NULL)
			continue;
		if (a->unreachable ||
		    now_mono - a->last_contact_mono < unreachable_ms)
			continue;
		a->unreachable = 1;
		stats.agents_unreachable++;
		event_raise_facts("agent-unreachable", a->id,
		    now_mono - a->last_contact_mono, 0, NULL, "nothing heard "
		    "for %lld s; its devices become unknown",
		    (long long)((now_mono - a->last_contact_mono) / 1000));
	}
}

/*
 * For the status wall: whether an agent has a connection now and how
 * long since the collector last heard from it.  -1: no such agent has
 * ever been seen nor configured.
 */
int
ingest_agent_status(const char *id, int *connected, int64_t *silent_ms)
{
	size_t	 i;

	for (i = 0; i < nart; i++)
		if (strcmp(art[i].id, id) == 0) {
			*connected = art[i].connected > 0;
			*silent_ms = art[i].connected > 0 ? 0 :
			    mono_ms() - art[i].last_contact_mono;
			return 0;
		}
	return -1;
}

/* Once a second: drop connections that missed their deadlines. */
void
ingest_tick(int64_t now_mono)
{
	struct conn *c, *next;
	uint64_t held;

	TAILQ_FOREACH_SAFE(c, &conns, entry, next) {
		if (c->st == CS_HELLO &&
		    now_mono - c->accepted_mono >= HELLO_TIMEOUT_MS) {
			stats.conn_hello_timeout++;
			if (ratelim_pass(&rl_timeout, now_mono,
			    NETLIMIT_LOG_MS, &held))
				log_warnx("agent connection %s: no HELLO in "
				    "%d s, closing (%llu more in the last "
				    "%d s)", c->peer, HELLO_TIMEOUT_MS / 1000,
				    (unsigned long long)held,
				    NETLIMIT_LOG_MS / 1000);
			/*
			 * Before the TLS handshake is done nothing can be
			 * said to the peer, and a frame written then would
			 * wait for a handshake that never comes: free it.
			 */
			if (c->tls && !c->handshaken) {
				conn_free(c);
				continue;
			}
			send_error(c, FME_PROTO, "no HELLO in time");
			conn_close_after_write(c);
		} else if (c->st == CS_CLOSING && now_mono - c->closing_mono >=
		    CLOSE_TIMEOUT_S * 1000 + 1000) {
			/* A peer that reads nothing keeps no descriptor. */
			stats.conn_closing_timeout++;
			conn_free(c);
		} else if (c->st == CS_READY && !c->paused &&
		    now_mono - c->last_frame_mono >= IDLE_TIMEOUT_MS) {
			stats.conn_idle_timeout++;
			log_warnx("agent %s (%s): no frame in %d s, closing",
			    c->agent, c->peer, IDLE_TIMEOUT_MS / 1000);
			conn_free(c);
		}
	}
	agents_tick(now_mono);
}

/* Stop accepting and close every connection; unacknowledged is resent. */
void
ingest_stop(void)
{
	struct conn *c;
	struct pend *p;
	int	 i;

	for (i = 0; i < nlisteners; i++)
		evconnlistener_free(listeners[i]);
	nlisteners = 0;
	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_free(c);
	/*
	 * Whatever is still queued is written by journal_close() and
	 * replayed at the next start; it was never acknowledged, so the
	 * agents resend it and it is recognised as a replay.
	 */
	journal_close();
	while ((p = TAILQ_FIRST(&pending)) != NULL) {
		TAILQ_REMOVE(&pending, p, entry);
		fm_batch_free(&p->bt);
		free(p);
	}
	if (apply_retry != NULL)
		event_free(apply_retry);
	apply_retry = NULL;
	for (i = 0; i < (int)nart; i++)
		free(art[i].devices);
	free(art);
	art = NULL;
	nart = 0;
	while (!TAILQ_EMPTY(&sessions)) {
		struct session *s = TAILQ_FIRST(&sessions);

		TAILQ_REMOVE(&sessions, s, entry);
		free(s);
	}
	nsessions = 0;
	OPENSSL_cleanse(agents, (size_t)nagents * sizeof(*agents));
	free(agents);
	agents = NULL;
	nagents = 0;
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

struct replay_ctx {
	int	 records;
};

static void
replay_cb(uint8_t type, const char *agent, int64_t rx_ms, const uint8_t *p,
    size_t len, void *arg)
{
	struct replay_ctx *rc = arg;
	struct fm_devices ds;
	struct fm_batch bt;
	struct session *s;
	struct rbuf r;
	char	 err[128], a[FM_ID_MAX];
	uint32_t n, i;
	uint64_t id, seq;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	rc->records++;
	switch (type) {
	case JR_DEVICES:
		if (fm_get_devices(p, len, &ds, err, sizeof(err)) == -1) {
			log_warnx("journal replay: %s", err);
			return;
		}
		remember_devices(agent, p, len);
		state_set_devices(agent, &ds, rx_ms);
		fm_devices_free(&ds);
		break;
	case JR_BATCH:
		if (fm_get_batch(p, len, &bt, err, sizeof(err)) == -1) {
			log_warnx("journal replay: %s", err);
			return;
		}
		if ((s = session_get(agent, bt.session)) == NULL)
			fatalx("journal replay: out of memory");
		if (bt.seq <= s->last_seq) {
			stats.replayed_duplicates++;
			fm_batch_free(&bt);
			return;
		}
		/* Before the loop runs: waiting for the writer is fine. */
		while (ingest_apply_batch(agent, &bt, rx_ms, 1) == 1)
			nanosleep(&ts, NULL);
		s->last_seq = s->last_queued = bt.seq;
		stats.replayed_batches++;
		stats.replayed_results += bt.n;
		fm_batch_free(&bt);
		break;
	case JR_SESSIONS:
		rbuf_init(&r, p, len);
		n = rbuf_u32(&r);
		for (i = 0; i < n && !r.err; i++) {
			rbuf_str(&r, a, sizeof(a));
			id = rbuf_u64(&r);
			seq = rbuf_u64(&r);
			if (r.err || (s = session_get(a, id)) == NULL)
				break;
			if (seq > s->last_seq)
				s->last_seq = s->last_queued = seq;
		}
		break;
	}
}

/* Rebuild state, RRD and the sessions from the journal. */
int
ingest_replay(void)
{
	struct replay_ctx rc = { 0 };
	int64_t	 t0 = mono_ms();
	char	 err[PATH_MAX + 128];

	if (journal_replay(replay_cb, &rc, err, sizeof(err)) == -1) {
		log_warnx("journal: %s", err);
		return -1;
	}
	if (rc.records > 0)
		log_info("journal: replayed %d records (%llu batches, %llu "
		    "results, %llu duplicates) in %lld ms", rc.records,
		    (unsigned long long)stats.replayed_batches,
		    (unsigned long long)stats.replayed_results,
		    (unsigned long long)stats.replayed_duplicates,
		    (long long)(mono_ms() - t0));
	return 0;
}

void
ingest_get_stats(struct ingest_stats *s)
{
	*s = stats;
}

/*
 * Reload: the agents list, unknown_after and max_connections apply at
 * once; the listening sockets are bound at start, before privileges
 * are dropped, so 'listen' waits for a restart.
 */
static int
ingest_reload_check(const struct collector_conf *old,
    struct collector_conf *nc)
{
	if (listen_addrs_equal(nc->listen, nc->nlisten, old->listen,
	    old->nlisten))
		return 0;
	memcpy(nc->listen, old->listen, sizeof(nc->listen));
	nc->nlisten = old->nlisten;
	return reload_refuse("listen");
}

const struct reload_ops ingest_reload = {
	.module = "ingest",
	.check = ingest_reload_check,
	.apply = ingest_reconf,
};
