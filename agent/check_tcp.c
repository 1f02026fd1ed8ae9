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
 * TCP probe: connect to a port, optionally write a request and wait for
 * a substring in the reply.
 *
 *	port	required, 1..65535
 *	send	optional string written once the connection is up
 *	expect	optional substring the server must send before the deadline
 *
 * A probe moves through resolve, connect, send and receive; each step
 * waits on the event loop, and the one deadline timer of the check ends
 * whichever step is running.  Address literals are parsed on the spot;
 * host names go through evdns, so a slow name server never stalls the
 * loop.  Every address a name resolves to is tried in turn until one
 * accepts the connection, because a host that answers on IPv4 only is up.
 *
 * Values: connect_ms (the TCP handshake of the address that answered)
 * and, with send or expect, response_ms (from the connection being up to
 * the expected text arriving, or to the request being written when there
 * is nothing to expect).
 */

#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "probe.h"

#define TCP_SEND_MAX	1024	/* bytes of the send string, with NUL */
#define TCP_EXPECT_MAX	256	/* bytes of the expect string, with NUL */
#define TCP_BUF		4096	/* receive window searched for expect */
#define TCP_HEAD	64	/* first bytes received, kept for messages */

struct tcp_opts {
	int		 port;
	char		*send;		/* NULL: write nothing */
	size_t		 sendlen;
	char		*expect;	/* NULL: do not read */
	size_t		 expectlen;
};

enum tcp_phase {
	TP_IDLE,
	TP_RESOLVE,
	TP_CONNECT,
	TP_SEND,
	TP_RECV,
	TP_DONE			/* outcome recorded, finish event pending */
};

/*
 * evdns may run the callback of a cancelled lookup later, from the loop,
 * after the check is gone.  The callback therefore gets this small ticket
 * rather than the state; cancelling clears the back pointer and the
 * callback frees the ticket whatever happened.
 */
struct tcp_dnsticket {
	struct tcp_state *st;
};

struct tcp_state {
	struct check	*check;
	const struct tcp_opts *o;
	struct fm_result *r;		/* non-NULL while a probe runs */
	struct event	*deadline;
	struct event	*finish;
	struct event	*io;
	struct evdns_getaddrinfo_request *dnsreq;
	struct tcp_dnsticket *ticket;
	struct evutil_addrinfo *ai0;	/* every address */
	struct evutil_addrinfo *ai;	/* the next one to try */
	int		 phase;
	int		 fd;
	int		 lasterr;	/* errno of the last failed address */
	int64_t		 t_connect;	/* monotonic us of connect() */
	int64_t		 t_up;		/* monotonic us the connection was up */
	size_t		 sent;
	size_t		 buflen;
	size_t		 headlen;
	size_t		 total;		/* bytes received */
	char		 buf[TCP_BUF];
	char		 head[TCP_HEAD];
};

/* One resolver for every TCP check, made when a host name first needs it. */
static struct evdns_base *tcp_dns;

static int	tcp_parse(struct cfgerr *, const config_setting_t *,
		    struct check_conf *, const struct device_conf *);
static void	tcp_free_opts(void *);
static int	tcp_init(struct check *);
static void	tcp_start(struct check *);
static void	tcp_cleanup(struct check *);

static const char *const tcp_keys[] = { "port", "send", "expect", NULL };

const struct probe_ops probe_tcp = {
	.type = CT_TCP,
	.name = "tcp",
	.keys = tcp_keys,
	.parse = tcp_parse,
	.free_opts = tcp_free_opts,
	.init = tcp_init,
	.start = tcp_start,
	.cleanup = tcp_cleanup,
};

static void
tcp_free_opts(void *arg)
{
	struct tcp_opts *o = arg;

	if (o == NULL)
		return;
	free(o->send);
	free(o->expect);
	free(o);
}

static int
tcp_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dev)
{
	struct tcp_opts *o;
	char	 send[TCP_SEND_MAX], expect[TCP_EXPECT_MAX];
	long long port = 0;
	int	 bad = 0, r;

	(void)dev;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return -1;
	}
	if (cfg_get_int(e, s, "port", &port, 1, 65535, 1) != 1)
		bad = 1;
	o->port = (int)port;

	if ((r = cfg_get_str(e, s, "send", send, sizeof(send), 0)) == -1)
		bad = 1;
	else if (r == 1) {
		if (send[0] == '\0') {
			cfgerr_add(e, config_setting_get_member(s, "send"),
			    "'send' must not be empty");
			bad = 1;
		} else if ((o->send = strdup(send)) == NULL)
			bad = 1;
		else
			o->sendlen = strlen(send);
	}

	if ((r = cfg_get_str(e, s, "expect", expect, sizeof(expect), 0)) == -1)
		bad = 1;
	else if (r == 1) {
		if (expect[0] == '\0') {
			cfgerr_add(e, config_setting_get_member(s, "expect"),
			    "'expect' must not be empty");
			bad = 1;
		} else if ((o->expect = strdup(expect)) == NULL)
			bad = 1;
		else
			o->expectlen = strlen(expect);
	}

	if (bad) {
		tcp_free_opts(o);
		return -1;
	}
	cc->opts = o;
	return 0;
}

/*
 * Bytes from the network become a short, printable, quoted string for a
 * message: control characters would garble logs and the web page.
 */
static void
tcp_printable(char *dst, size_t dlen, const char *src, size_t slen,
    size_t max)
{
	size_t	 i, o = 0;

	if (dlen < 3)
		return;
	dst[o++] = '"';
	for (i = 0; i < slen && i < max && o + 3 < dlen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '\r' || c == '\n' || c == '\t') {
			if (o + 4 >= dlen)
				break;
			dst[o++] = '\\';
			dst[o++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
		} else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			dst[o++] = (char)c;
		else
			dst[o++] = '.';
	}
	dst[o++] = '"';
	dst[o] = '\0';
	if (i < slen && o + 3 < dlen) {
		/* Mark that there was more than we show. */
		memcpy(dst + o, "...", 4);
	}
}

static void
tcp_close_io(struct tcp_state *st)
{
	if (st->io != NULL) {
		event_free(st->io);
		st->io = NULL;
	}
	if (st->fd != -1) {
		close(st->fd);
		st->fd = -1;
	}
}

static void
tcp_cancel_dns(struct tcp_state *st)
{
	if (st->dnsreq != NULL) {
		struct evdns_getaddrinfo_request *req = st->dnsreq;

		st->dnsreq = NULL;
		st->ticket->st = NULL;
		st->ticket = NULL;
		evdns_getaddrinfo_cancel(req);
	}
}

static void
tcp_free_addrs(struct tcp_state *st)
{
	if (st->ai0 != NULL) {
		evutil_freeaddrinfo(st->ai0);
		st->ai0 = st->ai = NULL;
	}
}

/* Stop everything that runs on behalf of the current probe. */
static void
tcp_stop(struct tcp_state *st)
{
	evtimer_del(st->deadline);
	event_del(st->finish);
	tcp_cancel_dns(st);
	tcp_close_io(st);
	tcp_free_addrs(st);
}

/*
 * The outcome is known: release the socket now and hand the result over
 * from the loop.  The hand-over is deferred because this may run inside
 * start(), which must not report synchronously.
 */
static void
tcp_end(struct tcp_state *st)
{
	tcp_cancel_dns(st);
	tcp_close_io(st);
	tcp_free_addrs(st);
	evtimer_del(st->deadline);
	st->phase = TP_DONE;
	event_active(st->finish, EV_TIMEOUT, 1);
}

static void
tcp_fail(struct tcp_state *st, int outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tcp_fail(struct tcp_state *st, int outcome, const char *fmt, ...)
{
	char	 msg[FM_ERRMSG_MAX];
	va_list	 ap;

	if (st->phase == TP_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	result_fail(st->r, outcome, "%s", msg);
	tcp_end(st);
}

static void
tcp_fail_errno(struct tcp_state *st, int err, const char *what)
{
	switch (err) {
	case ECONNREFUSED:
		tcp_fail(st, PR_REFUSED, "%s port %d: connection refused",
		    what, st->o->port);
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		tcp_fail(st, PR_UNREACHABLE, "%s port %d: %s", what,
		    st->o->port, strerror(err));
		break;
	case ETIMEDOUT:
		tcp_fail(st, PR_TIMEOUT, "%s port %d: %s", what,
		    st->o->port, strerror(err));
		break;
	default:
		tcp_fail(st, PR_IO_ERROR, "%s port %d: %s", what,
		    st->o->port, strerror(err));
		break;
	}
}

static void
tcp_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_state *st = arg;
	struct fm_result *r = st->r;

	(void)fd;
	(void)what;
	if (r == NULL)
		return;
	st->r = NULL;
	st->phase = TP_IDLE;
	probe_done(st->check, r);
}

static double
ms_since(int64_t t0_us)
{
	return (double)(mono_us() - t0_us) / 1000.0;
}

static int
tcp_watch(struct tcp_state *st, short what, event_callback_fn cb)
{
	if (st->io != NULL)
		event_free(st->io);
	st->io = event_new(agent_base, st->fd, what | EV_PERSIST, cb, st);
	if (st->io == NULL || event_add(st->io, NULL) == -1) {
		tcp_fail(st, PR_INTERNAL, "cannot watch socket");
		return -1;
	}
	return 0;
}

static void	tcp_connect_next(struct tcp_state *);
static void	tcp_connected(struct tcp_state *);

static void
tcp_recv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_state *st = arg;
	const struct tcp_opts *o = st->o;
	char	 got[64];
	ssize_t	 n;

	(void)what;
	for (;;) {
		n = recv(fd, st->buf + st->buflen, sizeof(st->buf) - st->buflen,
		    0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_printable(got, sizeof(got), st->head, st->headlen,
			    32);
			tcp_fail(st, PR_IO_ERROR, "receive: %s; got %s",
			    strerror(errno), got);
			return;
		}
		if (n == 0) {
			tcp_printable(got, sizeof(got), st->head, st->headlen,
			    40);
			tcp_fail(st, PR_BAD_CONTENT, "connection closed before "
			    "expected text; got %zu bytes %s", st->total, got);
			return;
		}
		if (st->headlen < sizeof(st->head)) {
			size_t	 k = sizeof(st->head) - st->headlen;

			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(st->head + st->headlen, st->buf + st->buflen, k);
			st->headlen += k;
		}
		st->total += (size_t)n;
		st->buflen += (size_t)n;
		if (memmem(st->buf, st->buflen, o->expect, o->expectlen) !=
		    NULL) {
			result_add_gauge(st->r, "response_ms",
			    ms_since(st->t_up));
			tcp_end(st);
			return;
		}
		/*
		 * Slide the window, keeping just enough of its tail for a
		 * match that straddles two reads.
		 */
		if (st->buflen == sizeof(st->buf)) {
			size_t	 keep = o->expectlen - 1;

			memmove(st->buf, st->buf + st->buflen - keep, keep);
			st->buflen = keep;
		}
	}
}

static void
tcp_after_send(struct tcp_state *st)
{
	if (st->o->expect != NULL) {
		st->phase = TP_RECV;
		tcp_watch(st, EV_READ, tcp_recv_cb);
		return;
	}
	result_add_gauge(st->r, "response_ms", ms_since(st->t_up));
	tcp_end(st);
}

static void
tcp_send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_state *st = arg;
	const struct tcp_opts *o = st->o;
	ssize_t	 n;

	(void)what;
	while (st->sent < o->sendlen) {
		/* MSG_NOSIGNAL: a peer that hung up must not kill the agent. */
		n = send(fd, o->send + st->sent, o->sendlen - st->sent,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_fail(st, PR_IO_ERROR, "send: %s", strerror(errno));
			return;
		}
		st->sent += (size_t)n;
	}
	tcp_after_send(st);
}

static void
tcp_connected(struct tcp_state *st)
{
	st->t_up = mono_us();
	result_add_gauge(st->r, "connect_ms",
	    (double)(st->t_up - st->t_connect) / 1000.0);
	tcp_free_addrs(st);
	if (st->o->send != NULL) {
		st->phase = TP_SEND;
		tcp_watch(st, EV_WRITE, tcp_send_cb);
	} else if (st->o->expect != NULL) {
		st->phase = TP_RECV;
		tcp_watch(st, EV_READ, tcp_recv_cb);
	} else
		tcp_end(st);
}

static void
tcp_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_state *st = arg;
	socklen_t len = sizeof(int);
	int	 err = 0;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		tcp_connected(st);
		return;
	}
	st->lasterr = err;
	tcp_close_io(st);
	tcp_connect_next(st);
}

/* Try the remaining addresses until a connect() is under way. */
static void
tcp_connect_next(struct tcp_state *st)
{
	struct evutil_addrinfo *ai;

	st->phase = TP_CONNECT;
	while ((ai = st->ai) != NULL) {
		st->ai = ai->ai_next;
		st->fd = socket(ai->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (st->fd == -1) {
			st->lasterr = errno;
			continue;
		}
		st->t_connect = mono_us();
		if (connect(st->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS || errno == EINTR) {
			/*
			 * Even a connection made at once is reported through
			 * the write event, which keeps one path for both.
			 */
			tcp_watch(st, EV_WRITE, tcp_connect_cb);
			return;
		}
		st->lasterr = errno;
		close(st->fd);
		st->fd = -1;
	}
	tcp_fail_errno(st, st->lasterr ? st->lasterr : EADDRNOTAVAIL,
	    "connect");
}

static void
tcp_dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct tcp_dnsticket *t = arg;
	struct tcp_state *st = t->st;

	free(t);
	if (st == NULL) {
		/* The probe was cancelled or timed out meanwhile. */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	st->dnsreq = NULL;
	st->ticket = NULL;
	if (result != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		tcp_fail(st, PR_RESOLVE, "resolve %s: %s",
		    st->check->dev->conf->address,
		    evutil_gai_strerror(result));
		return;
	}
	st->ai0 = st->ai = res;
	tcp_connect_next(st);
}

static void
tcp_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_state *st = arg;
	const struct tcp_opts *o = st->o;
	int	 ms = st->check->conf->timeout_ms;
	char	 got[64], want[48];

	(void)fd;
	(void)what;
	switch (st->phase) {
	case TP_RESOLVE:
		tcp_fail(st, PR_TIMEOUT, "resolve %s: no answer within %d ms",
		    st->check->dev->conf->address, ms);
		break;
	case TP_CONNECT:
		tcp_fail(st, PR_TIMEOUT, "connect port %d: no answer within "
		    "%d ms", o->port, ms);
		break;
	case TP_SEND:
		tcp_fail(st, PR_TIMEOUT, "send: not written within %d ms", ms);
		break;
	case TP_RECV:
		tcp_printable(want, sizeof(want), o->expect, o->expectlen, 24);
		tcp_printable(got, sizeof(got), st->head, st->headlen, 40);
		tcp_fail(st, PR_BAD_CONTENT, "expected %s within %d ms; got "
		    "%zu bytes %s", want, ms, st->total, got);
		break;
	default:
		break;
	}
}

static int
tcp_init(struct check *c)
{
	struct tcp_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->check = c;
	st->o = c->conf->opts;
	st->fd = -1;
	st->deadline = evtimer_new(agent_base, tcp_deadline_cb, st);
	st->finish = evtimer_new(agent_base, tcp_finish_cb, st);
	if (st->deadline == NULL || st->finish == NULL) {
		if (st->deadline != NULL)
			event_free(st->deadline);
		if (st->finish != NULL)
			event_free(st->finish);
		free(st);
		return -1;
	}
	c->state = st;
	return 0;
}

static void
tcp_cleanup(struct check *c)
{
	struct tcp_state *st = c->state;

	if (st == NULL)
		return;
	tcp_stop(st);
	if (st->r != NULL) {
		/* A probe in flight is dropped without a report. */
		fm_result_clear(st->r);
		free(st->r);
	}
	event_free(st->deadline);
	event_free(st->finish);
	free(st);
	c->state = NULL;
}

static void
tcp_start(struct check *c)
{
	struct tcp_state *st = c->state;
	struct evutil_addrinfo hints, *res = NULL;
	struct tcp_dnsticket *t;
	struct timeval tv;
	const char *addr = c->dev->conf->address;
	char	 port[8];
	int64_t	 left;
	int	 rv;

	if (st->r != NULL) {
		/* The scheduler never overlaps probes; drop the old one. */
		log_warnx("%s/%s: tcp probe started while one runs",
		    c->dev->conf->id, c->conf->id);
		tcp_stop(st);
		fm_result_clear(st->r);
		free(st->r);
	}
	st->r = result_new(c);
	st->phase = TP_IDLE;
	st->lasterr = 0;
	st->sent = st->buflen = st->headlen = st->total = 0;

	left = c->deadline_us - mono_us();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	evtimer_add(st->deadline, &tv);

	snprintf(port, sizeof(port), "%d", st->o->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;

	/* A literal address needs no lookup; most devices are configured so. */
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	rv = evutil_getaddrinfo(addr, port, &hints, &res);
	if (rv == 0 && res != NULL) {
		st->ai0 = st->ai = res;
		tcp_connect_next(st);
		return;
	}

	st->phase = TP_RESOLVE;
	if (tcp_dns == NULL) {
		tcp_dns = evdns_base_new(agent_base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (tcp_dns == NULL) {
			tcp_fail(st, PR_INTERNAL, "cannot set up the resolver");
			return;
		}
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		tcp_fail(st, PR_INTERNAL, "out of memory");
		return;
	}
	t->st = st;
	st->ticket = t;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	/*
	 * The callback may run before this returns (a hosts file entry);
	 * then the request is NULL and the probe has already moved on.
	 */
	st->dnsreq = evdns_getaddrinfo(tcp_dns, addr, port, &hints,
	    tcp_dns_cb, t);
	if (st->dnsreq == NULL && st->ticket != NULL) {
		/* Neither answered nor queued: the lookup could not start. */
		free(st->ticket);
		st->ticket = NULL;
		tcp_fail(st, PR_RESOLVE, "resolve %s: cannot start the lookup",
		    addr);
	}
}
