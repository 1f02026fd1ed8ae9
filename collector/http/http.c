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
 * The collector's web server (docs/api.md): its listeners, the
 * admission of each connection with its limits and deadlines, and
 * the module's start, reload and stop.  Every request goes to the
 * route table (routes.c), which decides access and calls the handler;
 * the handlers live in a file per subject (api.h lists them) and answer
 * through reply.c.  No handler is here: this file owns what they share,
 * the running configuration (hconf) and the counters of /api/v1/stats.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "api.h"

#define HEADERS_MAX	(8 * 1024)
#define BODY_MAX	(64 * 1024)
#define REQ_TIMEOUT_S	30

/*
 * The running configuration, replaced on reload (http_reconf): this
 * file owns it, every handler reads it (api.h).
 */
const struct collector_conf *hconf;

static struct evhttp *http;
static struct http_stats stats;
static int64_t	 started_ms;

/*
 * Web connections, counted from accept.  evhttp (libevent 2.1) tells
 * nothing of a connection until its first whole request, so the
 * bufferevent it asks for at accept (evhttp_set_bevcb) is made here and
 * a reference to it kept: evhttp frees it by clearing its callbacks and
 * dropping its own reference, which the sweep sees, and only then does
 * our reference go, with the descriptor.  A connection is shut down
 * (shutdown(2)) rather than freed when it must go, so that evhttp frees
 * it through its own path.
 *
 * A new connection is admitted just after accept: refused when its
 * address has http_connections_per_peer already or descriptors run out;
 * at http_connections the connection idle the longest (no request being
 * answered) makes room for it.  Above three quarters of the limit, idle
 * keep-alive connections are closed after IDLE_SHORT_MS instead of
 * REQ_TIMEOUT_S: a client that sends a request every 20 s keeps its
 * connection only while there is room for everyone.
 */
#define IDLE_SHORT_MS	5000	/* idle keep-alive near the limit */
#define SWEEP_MS	1000

struct hconn {
	struct bufferevent *bev;	/* referenced until evhttp drops it */
	char		 host[INET6_ADDRSTRLEN];
	int64_t		 active_mono;	/* accept, or the last reply sent */
	int		 busy;		/* a request is being answered */
	int		 admitted;
	int		 closing;	/* shut down: evhttp frees it */
};

static struct evconnlistener *listeners[COLLECTOR_ADDRS_MAX];
static struct hconn *hc;
static int	 nlisteners, nhc, ahc, conn_max = 256, per_peer = 32;
static struct event *admit_ev, *sweep_ev;
static struct ratelim rl_refused, rl_idle;

static int
hconn_live(void)
{
	int	 i, n = 0;

	for (i = 0; i < nhc; i++)
		if (!hc[i].closing)
			n++;
	return n;
}

/* Drop our reference to the connections evhttp has let go of. */
static void
sweep_freed(void)
{
	bufferevent_event_cb ecb;
	int	 i;

	for (i = 0; i < nhc; ) {
		bufferevent_getcb(hc[i].bev, NULL, NULL, &ecb, NULL);
		if (ecb != NULL) {
			i++;
			continue;
		}
		bufferevent_decref(hc[i].bev);
		hc[i] = hc[--nhc];
	}
	stats.connections = (uint64_t)hconn_live();
}

static void
hconn_close(struct hconn *h)
{
	evutil_socket_t fd = bufferevent_getfd(h->bev);

	h->closing = 1;
	if (fd != -1)
		shutdown(fd, SHUT_RDWR);
}

static void
refused_log(const char *why, const char *host)
{
	uint64_t held;

	if (ratelim_pass(&rl_refused, mono_ms(), NETLIMIT_LOG_MS, &held))
		log_warnx("web connection from %s refused: %s (%llu more "
		    "refused in the last %d s; %llu in all)", host, why,
		    (unsigned long long)held, NETLIMIT_LOG_MS / 1000,
		    (unsigned long long)stats.connections_refused);
}

/* The oldest idle connection other than skip, or NULL. */
static struct hconn *
oldest_idle(const struct hconn *skip, int64_t now)
{
	struct hconn *v = NULL;
	int	 i;

	(void)now;
	for (i = 0; i < nhc; i++) {
		if (&hc[i] == skip || hc[i].closing || !hc[i].admitted ||
		    hc[i].busy)
			continue;
		if (v == NULL || hc[i].active_mono < v->active_mono)
			v = &hc[i];
	}
	return v;
}

static void
admit(struct hconn *h, int64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(h->bev);
	struct hconn *v;
	int	 i, npeer = 0, cap = netlimit_cap(NL_HTTP, conn_max);

	h->admitted = 1;
	fm_strlcpy(h->host, "?", sizeof(h->host));
	/* The address alone counts, not the port. */
	if (fd != -1 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->
			    sin_addr, h->host, sizeof(h->host));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->
			    sin6_addr, h->host, sizeof(h->host));
	}
	if (fd != -1 && !netlimit_fd_ok(fd)) {
		stats.connections_refused++;
		hconn_close(h);
		refused_log("descriptors running out", h->host);
		return;
	}
	for (i = 0; i < nhc; i++)
		if (&hc[i] != h && hc[i].admitted && !hc[i].closing &&
		    strcmp(hc[i].host, h->host) == 0)
			npeer++;
	if (npeer >= per_peer) {
		stats.connections_refused++;
		stats.connections_refused_peer++;
		hconn_close(h);
		refused_log("too many connections from this address", h->host);
		return;
	}
	if (hconn_live() <= cap)
		return;
	stats.connections_full++;
	if ((v = oldest_idle(h, now)) != NULL) {
		stats.connections_evicted++;
		hconn_close(v);
		return;
	}
	stats.connections_refused++;
	hconn_close(h);
	refused_log("every connection is busy", h->host);
}

static void
admit_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = mono_ms();
	int	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	sweep_freed();
	for (i = 0; i < nhc; i++)
		if (!hc[i].admitted)
			admit(&hc[i], now);
	stats.connections = (uint64_t)hconn_live();
}

static void
sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = mono_ms();
	int	 i, live, cap = netlimit_cap(NL_HTTP, conn_max), n = 0;
	uint64_t held;

	(void)fd;
	(void)ev;
	(void)arg;
	sweep_freed();
	live = hconn_live();
	if (live * 4 <= cap * 3)
		return;
	for (i = 0; i < nhc; i++)
		if (!hc[i].closing && hc[i].admitted && !hc[i].busy &&
		    now - hc[i].active_mono >= IDLE_SHORT_MS) {
			hconn_close(&hc[i]);
			stats.connections_idle_closed++;
			n++;
		}
	if (n > 0 && ratelim_pass(&rl_idle, now, NETLIMIT_LOG_MS, &held))
		log_info("web: %d of %d connections, closing %d idle for %d s "
		    "(%llu more closed so in the last %d s)", live, cap, n,
		    IDLE_SHORT_MS / 1000, (unsigned long long)held,
		    NETLIMIT_LOG_MS / 1000);
}

/* evhttp_set_bevcb: a connection was just accepted. */
static struct bufferevent *
new_bev(struct event_base *b, void *arg)
{
	struct bufferevent *bev;
	struct hconn *n;

	(void)arg;
	if ((bev = http_tls_bev(b)) == NULL && !http_is_https())
		bev = bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	if (nhc == ahc) {
		int	 na = ahc ? ahc * 2 : 64;

		if ((n = reallocarray(hc, (size_t)na, sizeof(*hc))) == NULL)
			return bev;	/* not counted: memory is short */
		hc = n;
		ahc = na;
	}
	bufferevent_incref(bev);
	memset(&hc[nhc], 0, sizeof(hc[nhc]));
	hc[nhc].bev = bev;
	hc[nhc].active_mono = mono_ms();
	nhc++;
	stats.connections = (uint64_t)hconn_live();
	/* evhttp sets the descriptor after this returns: admit just then. */
	event_active(admit_ev, EV_TIMEOUT, 1);
	return bev;
}

static struct hconn *
hconn_find(const struct bufferevent *bev)
{
	int	 i;

	for (i = 0; i < nhc; i++)
		if (hc[i].bev == bev && !hc[i].closing)
			return &hc[i];
	return NULL;
}

/* The reply went out: the connection is idle from now. */
static void
req_done(struct evhttp_request *req, void *arg)
{
	struct hconn *h;

	(void)req;
	if ((h = hconn_find(arg)) != NULL) {
		h->busy = 0;
		h->active_mono = mono_ms();
	}
}

/* A request: its connection is busy until the reply is sent. */
static void
conn_active(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	struct hconn *h;

	if (c == NULL || (bev = evhttp_connection_get_bufferevent(c)) == NULL ||
	    (h = hconn_find(bev)) == NULL)
		return;
	h->busy = 1;
	h->active_mono = mono_ms();
	evhttp_request_set_on_complete_cb(req, req_done, bev);
}

static void
http_listen_errorcb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	netlimit_accept_error("web");
}

static void
handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	stats.requests++;
	conn_active(req);
	http_route(req);
}

/* A method no route takes, for the counters. */
void
http_bad_method(void)
{
	stats.bad_method++;
}

/* Every reply, by its status (reply.c). */
void
http_count_status(int code)
{
	if (code >= 500)
		stats.status_5xx++;
	else if (code >= 400)
		stats.status_4xx++;
	else if (code >= 300)
		stats.status_3xx++;
	else
		stats.status_2xx++;
}

/* A path of the page's files refused (files.c). */
void
http_count_bad_path(void)
{
	stats.bad_path++;
}

/* When the collector started, for /api/v1/stats. */
int64_t
http_started_ms(void)
{
	return started_ms;
}

int
http_init(struct event_base *base, const struct collector_conf *cf)
{
	int	 i;

	started_ms = now_ms();
	http_reconf(cf);
	if (cf->nhttp == 0)
		return 0;
	if ((http = evhttp_new(base)) == NULL) {
		log_warnx("evhttp_new failed");
		return -1;
	}
	evhttp_set_max_headers_size(http, HEADERS_MAX);
	evhttp_set_max_body_size(http, BODY_MAX);
	evhttp_set_timeout(http, REQ_TIMEOUT_S);
	/*
	 * Let every method through to the handler, which answers 405 with
	 * an Allow header; evhttp itself would answer 501.
	 */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, handler, NULL);
	/*
	 * Logins and HTTPS of the 'web' group.  The login thread starts
	 * always, since a reload may add users.
	 */
	{
		char	 err[512];

		if (web_auth_start(base, err, sizeof(err)) == -1 ||
		    http_tls_init(http, cf->web, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
	}
	evhttp_set_bevcb(http, new_bev, NULL);
	if ((admit_ev = event_new(base, -1, 0, admit_cb, NULL)) == NULL ||
	    (sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, NULL)) ==
	    NULL) {
		log_warnx("http: event setup failed");
		return -1;
	}
	{
		struct timeval tv = { 0, SWEEP_MS * 1000 };

		evtimer_add(sweep_ev, &tv);
	}
	for (i = 0; i < cf->nhttp; i++) {
		struct evconnlistener *l;

		l = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_REUSEABLE, 128,
		    (const struct sockaddr *)&cf->http[i].ss,
		    (int)cf->http[i].sslen);
		if (l == NULL) {
			log_warn("http listen %s", cf->http[i].text);
			return -1;
		}
		if (evhttp_bind_listener(http, l) == NULL) {
			evconnlistener_free(l);
			log_warnx("http listen %s: bind failed",
			    cf->http[i].text);
			return -1;
		}
		evconnlistener_set_error_cb(l, http_listen_errorcb);
		netlimit_listener(l);
		listeners[nlisteners++] = l;
		log_info("serving HTTP on %s", cf->http[i].text);
	}
	return 0;
}

void
http_reconf(const struct collector_conf *cf)
{
	hconf = cf;
	conn_max = cf->http_connections;
	per_peer = cf->http_per_peer;
	webauth_reconf(cf->web);
}

void
http_stop(void)
{
	int	 i;

	/* First, so that what the web's disk queue still holds (a window
	   being saved) is answered while its request lives. */
	web_auth_stop();
	http_tls_free();
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	/* evhttp has let every connection go: ours go with them. */
	for (i = 0; i < nhc; i++)
		bufferevent_decref(hc[i].bev);
	free(hc);
	hc = NULL;
	nhc = ahc = 0;
	if (admit_ev != NULL)
		event_free(admit_ev);
	if (sweep_ev != NULL)
		event_free(sweep_ev);
	admit_ev = sweep_ev = NULL;
}

void
http_get_stats(struct http_stats *s)
{
	*s = stats;
}

/* Reload: web_dir and the pages' settings at once; 'http' is bound. */
static int
http_reload_check(const struct collector_conf *old, struct collector_conf *nc)
{
	if (listen_addrs_equal(nc->http, nc->nhttp, old->http, old->nhttp))
		return 0;
	memcpy(nc->http, old->http, sizeof(nc->http));
	nc->nhttp = old->nhttp;
	return reload_refuse("http");
}

const struct reload_ops http_reload = {
	.module = "http",
	.check = http_reload_check,
	.apply = http_reconf,
};
