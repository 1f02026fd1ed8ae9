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
 * The simulator's sockets: one UDP socket per device for SNMP, read and
 * answered in batches with recvmmsg/sendmmsg; evhttp servers for the
 * devices with HTTP endpoints; plain TCP listeners for services.  Faults
 * that live on the wire (silent, slow, garbage, HTTP errors) act here.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "sim.h"

#define BATCH		32
#define DELAYED_MAX	20000	/* late answers held at once */

struct tcpsvc {
	struct evconnlistener *l[4];
};

static struct mmsghdr	 inmsg[BATCH], outmsg[BATCH];
static struct iovec	 iniov[BATCH], outiov[BATCH];
static struct sockaddr_in inaddr[BATCH];
static uint8_t		 inbuf[BATCH][SIM_PKT_MAX];
static uint8_t		 outbuf[BATCH][SIM_PKT_MAX];

struct delayed {
	struct device	*d;
	struct sockaddr_in sa;
	size_t		 len;
	uint8_t		 buf[];
};

static void
delayed_send(evutil_socket_t fd, short ev, void *arg)
{
	struct delayed *p = arg;

	(void)fd;
	(void)ev;
	/* A device that went silent meanwhile does not answer either. */
	if (dev_silence(p->d) == NULL &&
	    sendto(p->d->fd, p->buf, p->len, 0, (struct sockaddr *)&p->sa,
	    sizeof(p->sa)) != -1)
		p->d->nresp++;
	sim->ndelayed--;
	free(p);
}

static void
send_later(struct device *d, const struct sockaddr_in *sa, const uint8_t *buf,
    size_t len, int64_t ms)
{
	struct delayed *p;
	struct timeval tv;

	if (sim->ndelayed >= DELAYED_MAX ||
	    (p = malloc(sizeof(*p) + len)) == NULL) {
		d->ndrop++;
		return;
	}
	p->d = d;
	p->sa = *sa;
	p->len = len;
	memcpy(p->buf, buf, len);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (event_base_once(sim->base, -1, EV_TIMEOUT, delayed_send, p,
	    &tv) == -1) {
		free(p);
		d->ndrop++;
		return;
	}
	sim->ndelayed++;
}

static void
garbage(uint8_t *buf, size_t *len)
{
	size_t	 i;

	/* Starts like a message, then is nonsense: a broken firmware. */
	*len = 24 + (size_t)(arc4random_uniform(40));
	buf[0] = BER_SEQ;
	buf[1] = 0x84;
	for (i = 2; i < *len; i++)
		buf[i] = (uint8_t)arc4random_uniform(256);
}

static void
on_udp(evutil_socket_t fd, short ev, void *arg)
{
	struct device *d = arg;
	struct fault *slow;
	int	 round, i, n, nout;

	(void)ev;
	for (round = 0; round < 8; round++) {
		for (i = 0; i < BATCH; i++) {
			iniov[i].iov_base = inbuf[i];
			iniov[i].iov_len = SIM_PKT_MAX;
			memset(&inmsg[i].msg_hdr, 0, sizeof(inmsg[i].msg_hdr));
			inmsg[i].msg_hdr.msg_iov = &iniov[i];
			inmsg[i].msg_hdr.msg_iovlen = 1;
			inmsg[i].msg_hdr.msg_name = &inaddr[i];
			inmsg[i].msg_hdr.msg_namelen = sizeof(inaddr[i]);
		}
		n = recvmmsg(fd, inmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("%s: recvmmsg", d->id);
			return;
		}
		nout = 0;
		slow = d->fault[FK_SLOW];
		for (i = 0; i < n; i++) {
			size_t	 len;

			d->nreq++;
			if (dev_silence(d) != NULL) {
				d->ndrop++;
				continue;
			}
			if (d->fault[FK_GARBAGE])
				garbage(outbuf[nout], &len);
			else if ((len = snmp_answer(d, inbuf[i],
			    inmsg[i].msg_len, outbuf[nout],
			    SIM_PKT_MAX)) == 0) {
				d->ndrop++;
				continue;
			}
			if (slow != NULL) {
				send_later(d, &inaddr[i], outbuf[nout], len,
				    slow->arg > 0 ? slow->arg : 1200);
				continue;
			}
			outiov[nout].iov_base = outbuf[nout];
			outiov[nout].iov_len = len;
			memset(&outmsg[nout].msg_hdr, 0,
			    sizeof(outmsg[nout].msg_hdr));
			outmsg[nout].msg_hdr.msg_iov = &outiov[nout];
			outmsg[nout].msg_hdr.msg_iovlen = 1;
			outmsg[nout].msg_hdr.msg_name = &inaddr[i];
			outmsg[nout].msg_hdr.msg_namelen =
			    inmsg[i].msg_hdr.msg_namelen;
			nout++;
		}
		if (nout > 0) {
			int	 sent = sendmmsg(fd, outmsg, (unsigned)nout, 0);

			if (sent > 0)
				d->nresp += (uint64_t)sent;
			if (sent < nout)
				d->ndrop += (uint64_t)(nout - (sent > 0 ?
				    sent : 0));
		}
		if (n < BATCH)
			return;
	}
}

/* --- HTTP ----------------------------------------------------------------- */

struct http_later {
	struct evhttp_request *req;
	int		 code;
	struct evbuffer	*body;
};

static void
http_finish(struct evhttp_request *req, int code, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 404 ?
	    "Not Found" : code == 405 ? "Method Not Allowed" : "Error", body);
	evbuffer_free(body);
}

static void
http_later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_later *h = arg;

	(void)fd;
	(void)ev;
	/*
	 * If the client gave up meanwhile, libevent has detached the
	 * request from its connection and this reply only frees it.
	 */
	http_finish(h->req, h->code, h->body);
	free(h);
}

static int
elevators_json(struct evbuffer *b, const char *one)
{
	char	 buf[512];
	int	 i, n = 0;

	if (one == NULL)
		evbuffer_add_printf(b, "{\"elevators\":[");
	for (i = 0; i < sim->ndevs; i++) {
		const struct device *e = &sim->devs[i];

		if (e->model != M_ELEVATOR ||
		    (one != NULL && strcmp(one, e->id) != 0))
			continue;
		model_json(e, buf, sizeof(buf));
		evbuffer_add_printf(b, "%s%s", n++ ? "," : "", buf);
	}
	if (one == NULL)
		evbuffer_add_printf(b, "]}");
	return n;
}

static void
on_http(struct evhttp_request *req, void *arg)
{
	struct device *d = arg;
	struct evbuffer *b;
	struct fault *f;
	const struct fault *sf;
	const char *path;
	char	 buf[512];
	int	 code = 200;
	int64_t	 delay = 0;

	d->nreq++;
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "/";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		code = 405;
		evbuffer_add_printf(b, "{\"error\":\"only GET\"}\n");
	} else if ((f = d->fault[FK_HTTP_ERROR]) != NULL) {
		code = f->arg >= 400 && f->arg <= 599 ? (int)f->arg : 503;
		evbuffer_add_printf(b, "{\"status\":\"error\"}\n");
	} else if (strcmp(path, "/api/health") == 0) {
		evbuffer_add_printf(b, "{\"status\":\"ok\",\"service\":\"%s\","
		    "\"uptime_s\":%lld}\n", d->id,
		    (long long)(now_ms() - d->boot_ms) / 1000);
	} else if (strcmp(path, "/api/status") == 0) {
		model_json(d, buf, sizeof(buf));
		evbuffer_add_printf(b, "%s\n", buf);
	} else if (strcmp(path, "/api/elevators") == 0) {
		elevators_json(b, NULL);
		evbuffer_add_printf(b, "\n");
	} else if (strncmp(path, "/api/elevators/", 15) == 0 &&
	    elevators_json(b, path + 15) == 1) {
		evbuffer_add_printf(b, "\n");
	} else {
		evbuffer_drain(b, evbuffer_get_length(b));
		code = 404;
		evbuffer_add_printf(b, "{\"error\":\"not found\"}\n");
	}
	/* A silent device holds the request: the client times out. */
	if ((sf = dev_silence(d)) != NULL) {
		delay = sf->end_ms ? sf->end_ms - now_ms() : 30000;
		if (delay > 30000 || delay < 0)
			delay = 30000;
		code = 503;
	} else if ((f = d->fault[FK_SLOW]) != NULL)
		delay = f->arg > 0 ? f->arg : 1200;
	if (delay > 0) {
		struct http_later *h = malloc(sizeof(*h));
		struct timeval tv = { delay / 1000, (delay % 1000) * 1000 };

		if (h != NULL) {
			h->req = req;
			h->code = code;
			h->body = b;
			if (event_base_once(sim->base, -1, EV_TIMEOUT,
			    http_later_cb, h, &tv) == 0)
				return;
			free(h);
		}
	}
	d->nresp++;
	http_finish(req, code, b);
}

/* --- TCP services ------------------------------------------------------------ */

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct device *d = arg;
	char	 banner[FM_ID_MAX + 32];
	int	 n;

	(void)l;
	(void)sa;
	(void)salen;
	d->nreq++;
	/* A greeting, then close: enough for a connect or banner check. */
	n = snprintf(banner, sizeof(banner), "facmon-sim %s ready\r\n", d->id);
	if (write(fd, banner, (size_t)n) == n)
		d->nresp++;
	close(fd);
}

/*
 * A silent device refuses connections: its listeners are closed, not
 * merely paused, because the kernel would still complete handshakes
 * into a paused listener's backlog.
 */
void
tcp_set_enabled(struct device *d, int on)
{
	struct sockaddr_in sa;
	int	 i;

	if (d->tcp == NULL)
		return;
	for (i = 0; i < d->ntcp; i++) {
		if (!on && d->tcp->l[i] != NULL) {
			evconnlistener_free(d->tcp->l[i]);
			d->tcp->l[i] = NULL;
		} else if (on && d->tcp->l[i] == NULL) {
			memset(&sa, 0, sizeof(sa));
			sa.sin_family = AF_INET;
			sa.sin_addr = d->in;
			sa.sin_port = htons((uint16_t)d->tcp_ports[i]);
			d->tcp->l[i] = evconnlistener_new_bind(sim->base,
			    on_accept, d, LEV_OPT_REUSEABLE |
			    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
			    (struct sockaddr *)&sa, sizeof(sa));
			if (d->tcp->l[i] == NULL)
				log_warn("%s: tcp %s:%d", d->id, d->addr,
				    d->tcp_ports[i]);
		}
	}
}

/* --- setup ------------------------------------------------------------------- */

static void
raise_nofile(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= (rlim_t)need)
		return;
	rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
}

int
net_start(struct sim *s)
{
	struct sockaddr_in sa;
	int	 i, one = 1, rcv = 1 << 20;

	/* Sockets, listeners and a few Modbus connections per device. */
	raise_nofile(s->ndevs * 12 + 64);
	for (i = 0; i < s->ndevs; i++) {
		struct device *d = &s->devs[i];

		d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (d->fd == -1) {
			log_warn("socket");
			return -1;
		}
		setsockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr = d->in;
		sa.sin_port = htons((uint16_t)d->snmp_port);
		if (bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			log_warn("%s: cannot bind udp %s:%d", d->id, d->addr,
			    d->snmp_port);
			return -1;
		}
		d->ev = event_new(s->base, d->fd, EV_READ | EV_PERSIST, on_udp,
		    d);
		if (d->ev == NULL || event_add(d->ev, NULL) == -1)
			return -1;
		if (d->http_port) {
			d->http = evhttp_new(s->base);
			if (d->http == NULL || evhttp_bind_socket(d->http,
			    d->addr, (uint16_t)d->http_port) == -1) {
				log_warnx("%s: cannot bind http %s:%d", d->id,
				    d->addr, d->http_port);
				return -1;
			}
			evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET |
			    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
			    EVHTTP_REQ_DELETE);
			evhttp_set_timeout(d->http, 60);
			evhttp_set_gencb(d->http, on_http, d);
		}
		if (d->ntcp > 0) {
			if ((d->tcp = calloc(1, sizeof(*d->tcp))) == NULL)
				return -1;
			tcp_set_enabled(d, 1);
			if (d->tcp->l[0] == NULL)
				return -1;
		}
		if (d->modbus && modbus_listen(d) == -1)
			return -1;
	}
	return 0;
}

void
net_stop(struct sim *s)
{
	int	 i;

	for (i = 0; i < s->ndevs; i++) {
		struct device *d = &s->devs[i];

		if (d->ev)
			event_free(d->ev);
		if (d->fd != -1)
			close(d->fd);
		if (d->http)
			evhttp_free(d->http);
		if (d->tcp) {
			tcp_set_enabled(d, 0);
			free(d->tcp);
		}
		modbus_stop(d);
	}
}
