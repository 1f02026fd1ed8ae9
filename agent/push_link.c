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
 * The link to the collector: the connection, TLS, HELLO and WELCOME
 * with the protocol level, the frames read back (WELCOME, ACK, ERROR),
 * the device list and the agent's events written before any batch,
 * failback and the retry timer.
 *
 * The link is TLS 1.3 with the agent's pre-shared key (common/tls.c)
 * unless the configuration says tls = false.  Several collectors may be
 * listed: they are tried in order, and while connected to a later one
 * the agent probes the first every `failback` and goes back to it as
 * soon as it answers.  Each collector acknowledges what its own journal
 * holds; a batch sent to one and not acknowledged is sent again to the
 * next, so nothing is lost, and a result may reach both.
 *
 * It may call the queue only through push.h's functions (push_flush,
 * push_release and the pq_* ones: a WELCOME's or an ACK's release, the
 * rewind after a disconnect) and the spool policy for its drop counts;
 * it never sees a batch or a segment.
 */

#include <stdio.h>
#include <string.h>
#include <malloc.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "push.h"

#define PUSH_RETRY_MIN_MS	500
#define PUSH_RETRY_MAX_MS	30000
#define PUSH_HELLO_TIMEOUT	10
#define PUSH_ACK_TIMEOUT	10	/* s: a batch sent, no ACK: link dead */

enum push_state { PS_IDLE, PS_CONNECTING, PS_HELLO, PS_READY };

static struct {
	struct agent_conf *conf;
	struct evdns_base *dns;
	struct bufferevent *bev;
	struct event	*retry_ev;
	enum push_state	 state;
	int		 cur;		/* index of the collector tried */
	int		 tried;		/* failed attempts in this round */
	SSL_CTX		*tls;		/* NULL: plain TCP */
	struct bufferevent *probe;	/* failback: is the first one back? */
	struct event	*failback_ev;
	int		 retry_ms;
	int		 devices_dirty;
	uint16_t	 level;		/* protocol level both speak */

	uint64_t	 st_connects;
	uint64_t	 reported_results, reported_values;
	uint64_t	 reported_unspooled;

	/*
	 * VALMETA: per check (a hash of device and check), a hash of the
	 * last description sent on this connection, so that a check that
	 * rebuilds the same one sends nothing.  Frames are not kept: a
	 * check describes its values again at its first probe after a
	 * connect (meta_epoch), which costs less than a copy of every
	 * switch's port list in the agent's memory.
	 */
	uint64_t	 meta_epoch;	/* connections of level 3 or more */
	struct metasent {
		uint64_t key, hash, epoch;
	}		*meta;
	size_t		 meta_cap, meta_n;
	uint64_t	 st_meta_sent;
} L;

static void	failback_arm(void);

static void
push_send_devices(void)
{
	struct fm_devinfo di;
	struct fm_checkinfo ci[FM_CHECKS_MAX];
	struct wbuf w;
	size_t	 f;
	int	 i, j, n = L.conf->ndevices;

	/*
	 * One device at a time into the frame: a copy of the whole list
	 * would cost almost a kilobyte a device at the moment the agent
	 * connects, which then stays in the process's heap.
	 */
	wbuf_init(&w);
	f = fm_frame_begin(&w, FM_DEVICES);
	wbuf_u32(&w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct device_conf *dc = &L.conf->devices[i];

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
	bufferevent_write(L.bev, w.p, w.len);
	wbuf_free(&w);
	L.devices_dirty = 0;
	/* The frame was large; give its pages back once it is queued. */
	malloc_trim(0);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static struct metasent *
meta_slot(uint64_t key)
{
	size_t	 i, mask;

	if (L.meta_n * 2 >= L.meta_cap) {
		size_t	 ncap = L.meta_cap ? L.meta_cap * 2 : 256;
		struct metasent *n = calloc(ncap, sizeof(*n)), *old = L.meta;
		size_t	 ocap = L.meta_cap;

		if (n == NULL)
			fatal("calloc");
		L.meta = n;
		L.meta_cap = ncap;
		L.meta_n = 0;
		for (i = 0; i < ocap; i++)
			if (old[i].key != 0)
				*meta_slot(old[i].key) = old[i];
		free(old);
	}
	mask = L.meta_cap - 1;
	for (i = key & mask; L.meta[i].key != 0 && L.meta[i].key != key;
	    i = (i + 1) & mask)
		;
	if (L.meta[i].key == 0) {
		L.meta[i].key = key;
		L.meta_n++;
	}
	return &L.meta[i];
}

/*
 * A check's description of its values: sent at once to a collector of
 * level 3 or more when it differs from the last one sent on this
 * connection, and never spooled (it describes, it measures nothing).
 * To an older collector, nothing: it would close the connection on the
 * unknown message type.
 */
void
push_meta(const struct fm_valmeta *m)
{
	struct metasent *ms;
	struct wbuf w;
	uint64_t key, h;

	if (L.state != PS_READY || L.level < 3)
		return;
	if (L.devices_dirty)
		/* The collector must know the check first. */
		push_send_devices();
	wbuf_init(&w);
	fm_put_valmeta(&w, m);
	if (w.err) {
		log_warnx("%s/%s: cannot encode the values' description",
		    m->device, m->check);
		wbuf_free(&w);
		return;
	}
	key = fnv(fnv(14695981039346656037ull, m->device, strlen(m->device)),
	    m->check, strlen(m->check) + 1) | 1;
	h = fnv(14695981039346656037ull, w.p, w.len);
	ms = meta_slot(key);
	if (ms->epoch != L.meta_epoch || ms->hash != h) {
		bufferevent_write(L.bev, w.p, w.len);
		ms->hash = h;
		ms->epoch = L.meta_epoch;
		L.st_meta_sent++;
		log_debug("%s/%s: values described (%u values, %u rows, "
		    "%zu bytes)", m->device, m->check, m->nvals, m->nrows,
		    w.len);
	}
	wbuf_free(&w);
}

/* Checks describe their values again when this changes. */
uint64_t
push_meta_epoch(void)
{
	return L.meta_epoch;
}

static void
send_unspooled_event(void)
{
	struct fm_agent_event e;
	struct wbuf w;

	if (pq_unspooled() == L.reported_unspooled)
		return;
	memset(&e, 0, sizeof(e));
	fm_strlcpy(e.kind, "unspooled-drop", sizeof(e.kind));
	e.value = pq_unspooled();
	snprintf(e.msg, sizeof(e.msg), "no spool: results dropped while the "
	    "collector was unreachable, so far");
	wbuf_init(&w);
	fm_put_event(&w, &e);
	if (w.err == 0)
		bufferevent_write(L.bev, w.p, w.len);
	wbuf_free(&w);
	L.reported_unspooled = pq_unspooled();
}

static void
send_drop_event(void)
{
	struct fm_agent_event e;
	struct wbuf w;
	uint64_t drop_results, drop_values;

	pspool_drops(&drop_results, &drop_values);
	if (drop_results == L.reported_results &&
	    drop_values == L.reported_values)
		return;
	memset(&e, 0, sizeof(e));
	fm_strlcpy(e.kind, "spool-drop", sizeof(e.kind));
	e.value = drop_results;
	e.value2 = drop_values;
	snprintf(e.msg, sizeof(e.msg), "spool bound reached: results and "
	    "values dropped so far");
	wbuf_init(&w);
	fm_put_event(&w, &e);
	if (w.err == 0)
		bufferevent_write(L.bev, w.p, w.len);
	wbuf_free(&w);
	L.reported_results = drop_results;
	L.reported_values = drop_values;
}

static void
push_disconnect(const char *why)
{
	struct timeval tv;

	if (L.bev != NULL) {
		bufferevent_free(L.bev);
		L.bev = NULL;
	}
	if (L.state == PS_READY || L.state == PS_HELLO)
		log_warnx("collector %s:%d: %s; %zu results waiting",
		    L.conf->coll_hosts[L.cur], L.conf->coll_ports[L.cur], why,
		    pq_waiting());
	else
		log_info("collector %s:%d: %s", L.conf->coll_hosts[L.cur],
		    L.conf->coll_ports[L.cur], why);
	L.state = PS_IDLE;
	/* Everything not acknowledged is sent again after the next hello. */
	pq_rewind();
	if (L.failback_ev != NULL)
		evtimer_del(L.failback_ev);
	/*
	 * The next collector at once; only when every one has failed in
	 * this round does the agent wait, longer each round.
	 */
	L.cur = (L.cur + 1) % L.conf->ncollectors;
	if (++L.tried < L.conf->ncollectors) {
		tv.tv_sec = 0;
		tv.tv_usec = 1000;
		evtimer_add(L.retry_ev, &tv);
		return;
	}
	L.tried = 0;
	tv.tv_sec = L.retry_ms / 1000;
	tv.tv_usec = (L.retry_ms % 1000) * 1000;
	evtimer_add(L.retry_ev, &tv);
	L.retry_ms *= 2;
	if (L.retry_ms > PUSH_RETRY_MAX_MS)
		L.retry_ms = PUSH_RETRY_MAX_MS;
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
		if (L.state != PS_HELLO ||
		    fm_get_welcome(p, h->len, &w, err, sizeof(err)) == -1) {
			push_disconnect("unexpected or bad welcome");
			return -1;
		}
		if (w.status != FME_OK) {
			push_disconnect("collector refused this agent");
			return -1;
		}
		L.state = PS_READY;
		L.level = fm_level_min(w.level);
		if (L.level >= 3)
			L.meta_epoch++;
		L.retry_ms = PUSH_RETRY_MIN_MS;
		L.tried = 0;
		L.st_connects++;
		/*
		 * A partition leaves the connection open but silent: an ACK
		 * overdue means the collector is gone (push_event_cb).
		 */
		{
			struct timeval at = { PUSH_ACK_TIMEOUT, 0 };

			bufferevent_set_timeouts(L.bev, &at, NULL);
		}
		log_info("connected to collector %s:%d%s (protocol level %u, "
		    "acknowledged up to %llu)", L.conf->coll_hosts[L.cur],
		    L.conf->coll_ports[L.cur], L.tls != NULL ? " over TLS" :
		    "", L.level, (unsigned long long)w.last_seq);
		if (L.cur > 0)
			failback_arm();
		pq_welcome(w.last_seq);
		L.devices_dirty = 1;
		push_flush();
		return 0;
	case FM_ACK:
		if (L.state != PS_READY ||
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

		L.state = PS_HELLO;
		memset(&hello, 0, sizeof(hello));
		fm_strlcpy(hello.agent, L.conf->id, sizeof(hello.agent));
		hello.session = pq_session();
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
	if ((what & BEV_EVENT_TIMEOUT) && L.state == PS_READY &&
	    pq_in_flight() == 0) {
		/* Nothing waits for an ACK: silence is right; read on. */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), L.state == PS_READY ?
		    "no ACK in time" : "no answer");
	else if (L.tls != NULL && L.state == PS_CONNECTING &&
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
	} else if (L.tls != NULL && L.state == PS_CONNECTING &&
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

void
link_connect(void)
{
	struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

	if (L.tls != NULL) {
		SSL	*ssl;

		if ((ssl = SSL_new(L.tls)) == NULL ||
		    (L.bev = bufferevent_openssl_socket_new(agent_base, -1,
		    ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			fatalx("TLS: %s", fm_tls_error());
		/* A collector that is killed is not an attack. */
		bufferevent_openssl_set_allow_dirty_shutdown(L.bev, 1);
	} else if ((L.bev = bufferevent_socket_new(agent_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(L.bev, push_read_cb, NULL, push_event_cb, NULL);
	bufferevent_set_timeouts(L.bev, &tv, &tv);
	bufferevent_enable(L.bev, EV_READ | EV_WRITE);
	L.state = PS_CONNECTING;
	if (bufferevent_socket_connect_hostname(L.bev, L.dns, AF_UNSPEC,
	    L.conf->coll_hosts[L.cur], L.conf->coll_ports[L.cur]) == -1)
		push_disconnect("cannot connect");
}

static void
probe_free(void)
{
	if (L.probe != NULL)
		bufferevent_free(L.probe);
	L.probe = NULL;
}

/* The first collector takes connections again: go back to it. */
static void
probe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	probe_free();
	if (!(what & BEV_EVENT_CONNECTED) || L.cur == 0 ||
	    L.state == PS_IDLE) {
		failback_arm();
		return;
	}
	log_info("collector %s:%d answers again: going back to it",
	    L.conf->coll_hosts[0], L.conf->coll_ports[0]);
	/*
	 * What the current collector has not acknowledged yet is sent to
	 * the first one again; what it has is in its journal.
	 */
	bufferevent_free(L.bev);
	L.bev = NULL;
	L.state = PS_IDLE;
	pq_rewind();
	L.cur = 0;
	L.tried = 0;
	L.retry_ms = PUSH_RETRY_MIN_MS;
	link_connect();
}

/* A plain TCP connect only: cheap for the first collector to answer. */
static void
failback_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { PUSH_HELLO_TIMEOUT, 0 };

	(void)fd;
	(void)ev;
	(void)arg;
	if (L.cur == 0 || L.state != PS_READY || L.probe != NULL)
		return;
	if ((L.probe = bufferevent_socket_new(agent_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return;
	bufferevent_setcb(L.probe, NULL, NULL, probe_event_cb, NULL);
	bufferevent_set_timeouts(L.probe, &tv, &tv);
	if (bufferevent_socket_connect_hostname(L.probe, L.dns, AF_UNSPEC,
	    L.conf->coll_hosts[0], L.conf->coll_ports[0]) == -1) {
		probe_free();
		failback_arm();
	}
}

static void
failback_arm(void)
{
	struct timeval tv;

	tv.tv_sec = L.conf->failback_ms / 1000;
	tv.tv_usec = (L.conf->failback_ms % 1000) * 1000;
	evtimer_add(L.failback_ev, &tv);
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
	if (L.tls != NULL)
		SSL_CTX_free(L.tls);
	L.tls = ctx;
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (L.state == PS_IDLE)
		link_connect();
}

/* The key, the resolver and the timers; link_connect() dials. */
void
link_init(struct agent_conf *ac)
{
	L.conf = ac;
	L.retry_ms = PUSH_RETRY_MIN_MS;
	push_tls_setup(ac);
	if ((L.dns = evdns_base_new(agent_base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (L.dns = evdns_base_new(agent_base, 0)) == NULL)
		fatalx("evdns_base_new");
	if ((L.retry_ev = evtimer_new(agent_base, retry_cb, NULL)) == NULL ||
	    (L.failback_ev = evtimer_new(agent_base, failback_cb,
	    NULL)) == NULL)
		fatalx("event_new");
}

/* After a reload: the collector learns the new devices. */
void
link_conf_changed(struct agent_conf *ac)
{
	L.conf = ac;
	L.devices_dirty = 1;
	/* Checks may have gone: forget what was sent of every one. */
	free(L.meta);
	L.meta = NULL;
	L.meta_cap = L.meta_n = 0;
	if (L.cur >= ac->ncollectors)
		L.cur = 0;
}

int
link_ready(void)
{
	return L.state == PS_READY;
}

int
link_idle(void)
{
	return L.state == PS_IDLE;
}

/* What goes before any batch: the device list when new, the drops. */
void
link_announce(void)
{
	if (L.devices_dirty)
		push_send_devices();
	send_drop_event();
	send_unspooled_event();
}

void
link_write(const void *p, size_t len)
{
	bufferevent_write(L.bev, p, len);
}

uint64_t
link_connects(void)
{
	return L.st_connects;
}

void
link_shutdown(void)
{
	if (L.bev != NULL)
		bufferevent_free(L.bev);
	probe_free();
	event_free(L.retry_ev);
	event_free(L.failback_ev);
	if (L.tls != NULL)
		SSL_CTX_free(L.tls);
	evdns_base_free(L.dns, 0);
	free(L.meta);
	memset(&L, 0, sizeof(L));
}
