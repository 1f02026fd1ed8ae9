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
 * ICMP echo ("ping") with loss and round-trip time.
 *
 * All icmp checks share one socket: a raw socket when the agent has
 * CAP_NET_RAW, otherwise an unprivileged ICMP datagram socket (Linux
 * net.ipv4.ping_group_range).  A probe sends `count` echo requests
 * `spacing` apart and ends when every reply is in or at its deadline.
 * Replies are matched by the 16-bit sequence number through a table of
 * all 65536 numbers, and checked against a per-process cookie in the
 * payload, so replies meant for another pinger on the host are ignored.
 * A raw socket also sees ICMP errors (destination unreachable, time
 * exceeded) quoting our requests, which turn a silent timeout into an
 * "unreachable" with the router that said so.
 */

#include <sys/socket.h>
#include <sys/random.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/icmp.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define ICMP_COUNT_MAX	20
#define ICMP_HDR	8
#define ICMP_PAYLOAD	56		/* as ping(8) sends by default */

struct icmp_opts {
	int		 count;
	int		 spacing_ms;
	int		 min_replies;
	int		 max_rtt_ms;	/* 0: none */
	int		 size;
};

struct icmp_state {
	struct check	*c;
	struct sockaddr_in dst;
	struct fm_result *r;
	struct event	*send_ev;
	struct event	*deadline;
	int		 sent;
	int		 recv;
	uint16_t	 seqs[ICMP_COUNT_MAX];
	uint8_t		 got[ICMP_COUNT_MAX];
	double		 rtt_sum, rtt_min, rtt_max;
	int		 unreach;	/* an ICMP error came back */
	char		 unreach_msg[96];
	int		 send_errno;
};

static struct {
	int		 fd;
	int		 raw;
	uint16_t	 id;
	uint64_t	 cookie;
	uint16_t	 next_seq;
	struct event	*rd;
	int		 users;
	struct icmp_state *slot[65536];
	uint64_t	 st_sent, st_recv, st_bad;
} I = { .fd = -1 };

static const char *const icmp_keys[] = { "count", "spacing", "min_replies",
	"max_rtt", "size", NULL };

static int
icmp_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dc)
{
	struct icmp_opts *o;
	long long v;
	int	 nerr = e->n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	cc->opts = o;
	if (dc->address[0] == '\0')
		cfgerr_add(e, s, "check '%s': an icmp check needs the device's "
		    "address", cc->id);
	else if (strchr(dc->address, ':') != NULL)
		cfgerr_add(e, s, "check '%s': ICMP to IPv6 addresses is not "
		    "supported yet", cc->id);
	o->count = 3;
	if (cfg_get_int(e, s, "count", &v, 1, ICMP_COUNT_MAX, 0) == 1)
		o->count = (int)v;
	o->spacing_ms = 100;
	cfg_get_secs(e, s, "spacing", &o->spacing_ms, 1, 10000, 0);
	o->min_replies = 1;
	if (cfg_get_int(e, s, "min_replies", &v, 1, ICMP_COUNT_MAX, 0) == 1)
		o->min_replies = (int)v;
	if (o->min_replies > o->count)
		cfgerr_add(e, config_setting_get_member(s, "min_replies"),
		    "min_replies (%d) is more than count (%d)", o->min_replies,
		    o->count);
	cfg_get_secs(e, s, "max_rtt", &o->max_rtt_ms, 1, 60000, 0);
	o->size = ICMP_PAYLOAD;
	if (cfg_get_int(e, s, "size", &v, 16, 1400, 0) == 1)
		o->size = (int)v;
	if ((o->count - 1) * o->spacing_ms >= cc->timeout_ms)
		cfgerr_add(e, s, "check '%s': %d echoes %d ms apart do not fit "
		    "in the %d ms timeout", cc->id, o->count, o->spacing_ms,
		    cc->timeout_ms);
	return e->n > nerr ? -1 : 0;
}

static void
icmp_free_opts(void *p)
{
	free(p);
}

static uint16_t
in_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void
icmp_finish(struct icmp_state *st)
{
	const struct icmp_opts *o = st->c->conf->opts;
	struct fm_result *r = st->r;
	int	 i;

	for (i = 0; i < st->sent; i++)
		if (I.slot[st->seqs[i]] == st)
			I.slot[st->seqs[i]] = NULL;
	event_del(st->send_ev);
	event_del(st->deadline);
	st->r = NULL;

	result_add_gauge(r, "sent", st->sent);
	result_add_gauge(r, "received", st->recv);
	result_add_gauge(r, "loss_pct", st->sent ? 100.0 *
	    (st->sent - st->recv) / st->sent : 100.0);
	if (st->recv > 0) {
		result_add_gauge(r, "rtt_ms", st->rtt_sum / st->recv);
		result_add_gauge(r, "rtt_min_ms", st->rtt_min);
		result_add_gauge(r, "rtt_max_ms", st->rtt_max);
	}
	if (st->recv >= o->min_replies) {
		if (o->max_rtt_ms > 0 && st->rtt_sum / st->recv > o->max_rtt_ms)
			result_fail(r, PR_SLOW, "round trip %.1f ms over %d ms",
			    st->rtt_sum / st->recv, o->max_rtt_ms);
	} else if (st->unreach)
		result_fail(r, PR_UNREACHABLE, "%s", st->unreach_msg);
	else if (st->send_errno == EHOSTUNREACH ||
	    st->send_errno == ENETUNREACH)
		result_fail(r, PR_UNREACHABLE, "%s",
		    strerror(st->send_errno));
	else if (st->send_errno != 0 && st->sent == 0)
		result_fail(r, PR_IO_ERROR, "send: %s",
		    strerror(st->send_errno));
	else if (st->recv == 0)
		result_fail(r, PR_TIMEOUT, "no echo reply (%d sent)", st->sent);
	else
		result_fail(r, PR_TIMEOUT, "%d of %d replies, %d needed",
		    st->recv, st->sent, o->min_replies);
	probe_done(st->c, r);
}

static void
icmp_send_one(struct icmp_state *st)
{
	const struct icmp_opts *o = st->c->conf->opts;
	uint8_t	 pkt[ICMP_HDR + 1400];
	size_t	 len = ICMP_HDR + (size_t)o->size;
	uint16_t seq = I.next_seq++;
	int64_t	 now = mono_us();
	ssize_t	 n;

	memset(pkt, 0, len);
	pkt[0] = ICMP_ECHO;
	pkt[4] = (uint8_t)(I.id >> 8);
	pkt[5] = (uint8_t)I.id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	memcpy(pkt + ICMP_HDR, &I.cookie, 8);
	memcpy(pkt + ICMP_HDR + 8, &now, 8);
	*(uint16_t *)(void *)(pkt + 2) = in_cksum(pkt, len);

	st->seqs[st->sent] = seq;
	st->got[st->sent] = 0;
	I.slot[seq] = st;
	st->sent++;
	n = sendto(I.fd, pkt, len, 0, (struct sockaddr *)&st->dst,
	    sizeof(st->dst));
	if (n == -1)
		st->send_errno = errno;
	else
		I.st_sent++;
}

static void
icmp_send_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct icmp_state *st = arg;
	const struct icmp_opts *o = st->c->conf->opts;

	(void)fd;
	(void)ev;
	if (st->r == NULL)
		return;
	icmp_send_one(st);
	if (st->sent < o->count)
		timer_in_ms(st->send_ev, o->spacing_ms);
}

static void
icmp_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct icmp_state *st = arg;

	(void)fd;
	(void)ev;
	if (st->r != NULL)
		icmp_finish(st);
}

static void
icmp_got_reply(const uint8_t *icmp, size_t len, const struct sockaddr_in *from)
{
	struct icmp_state *st;
	uint16_t seq;
	uint64_t cookie;
	int64_t	 sent_us;
	int	 i;
	double	 rtt;

	if (len < ICMP_HDR + 16) {
		I.st_bad++;
		return;
	}
	/* A datagram socket's kernel rewrites the id to its port. */
	if (I.raw && (uint16_t)(icmp[4] << 8 | icmp[5]) != I.id)
		return;
	memcpy(&cookie, icmp + ICMP_HDR, 8);
	if (cookie != I.cookie)
		return;
	seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	if ((st = I.slot[seq]) == NULL || st->r == NULL)
		return;		/* late: its probe has ended */
	if (from->sin_addr.s_addr != st->dst.sin_addr.s_addr) {
		I.st_bad++;
		return;
	}
	for (i = 0; i < st->sent; i++)
		if (st->seqs[i] == seq)
			break;
	if (i == st->sent || st->got[i])
		return;		/* a duplicate reply */
	st->got[i] = 1;
	memcpy(&sent_us, icmp + ICMP_HDR + 8, 8);
	rtt = (double)(mono_us() - sent_us) / 1000.0;
	if (rtt < 0)
		rtt = 0;
	st->recv++;
	st->rtt_sum += rtt;
	if (st->recv == 1 || rtt < st->rtt_min)
		st->rtt_min = rtt;
	if (rtt > st->rtt_max)
		st->rtt_max = rtt;
	I.st_recv++;
	if (st->recv == ((const struct icmp_opts *)st->c->conf->opts)->count)
		icmp_finish(st);
}

/* An ICMP error that quotes one of our echo requests. */
static void
icmp_got_error(const uint8_t *icmp, size_t len, const struct sockaddr_in *from)
{
	const uint8_t *inner = icmp + ICMP_HDR, *q;
	struct icmp_state *st;
	size_t	 ihl;
	uint16_t seq;
	char	 addr[INET_ADDRSTRLEN];

	if (len < ICMP_HDR + 20 + 8)
		return;
	ihl = (size_t)(inner[0] & 0x0f) * 4;
	if (ihl < 20 || len < ICMP_HDR + ihl + 8 || inner[9] != IPPROTO_ICMP)
		return;
	q = inner + ihl;
	if (q[0] != ICMP_ECHO || (uint16_t)(q[4] << 8 | q[5]) != I.id)
		return;
	seq = (uint16_t)(q[6] << 8 | q[7]);
	if ((st = I.slot[seq]) == NULL || st->r == NULL)
		return;
	if (memcmp(inner + 16, &st->dst.sin_addr, 4) != 0)
		return;
	inet_ntop(AF_INET, &from->sin_addr, addr, sizeof(addr));
	st->unreach = 1;
	snprintf(st->unreach_msg, sizeof(st->unreach_msg), "%s (ICMP type "
	    "%u code %u from %s)", icmp[0] == ICMP_TIME_EXCEEDED ?
	    "time exceeded" : icmp[1] == ICMP_HOST_UNREACH ?
	    "host unreachable" : icmp[1] == ICMP_NET_UNREACH ?
	    "network unreachable" : "destination unreachable", icmp[0],
	    icmp[1], addr);
}

#define ICMP_RECV_BATCH	32

/* One received datagram: the IP header first on a raw socket. */
static void
icmp_packet(const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	const uint8_t *icmp = buf;

	if (I.raw) {
		size_t	 ihl;

		if (len < 20 || (ihl = (size_t)(buf[0] & 0x0f) * 4) < 20 ||
		    ihl > len) {
			I.st_bad++;
			return;
		}
		icmp += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR) {
		I.st_bad++;
		return;
	}
	if (icmp[0] == ICMP_ECHOREPLY)
		icmp_got_reply(icmp, len, from);
	else if (icmp[0] == ICMP_DEST_UNREACH || icmp[0] == ICMP_TIME_EXCEEDED)
		icmp_got_error(icmp, len, from);
}

static void
icmp_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	static uint8_t bufs[ICMP_RECV_BATCH][1536];
	struct sockaddr_in from[ICMP_RECV_BATCH];
	struct mmsghdr msgs[ICMP_RECV_BATCH];
	struct iovec iov[ICMP_RECV_BATCH];
	int	 i, n, loops;

	(void)ev;
	(void)arg;
	/*
	 * One recvmmsg() takes whatever has arrived, up to a batch; a few
	 * batches per wake-up at most, so other events get their turn.
	 */
	for (loops = 0; loops < 8; loops++) {
		for (i = 0; i < ICMP_RECV_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, msgs, ICMP_RECV_BATCH, MSG_DONTWAIT,
		    NULL)) <= 0)
			return;
		for (i = 0; i < n; i++)
			icmp_packet(bufs[i], msgs[i].msg_len, &from[i]);
		if (n < ICMP_RECV_BATCH)
			return;
	}
}

static int
icmp_socket_open(void)
{
	int	 rcvbuf = 1 << 20;

	if ((I.fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMP)) != -1) {
		struct icmp_filter f;

		I.raw = 1;
		f.data = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) |
		    (1U << ICMP_TIME_EXCEEDED));
		setsockopt(I.fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else if ((I.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_ICMP)) != -1) {
		I.raw = 0;
		log_info("icmp: no raw socket (CAP_NET_RAW); using an "
		    "unprivileged ICMP socket, which sees no ICMP errors");
	} else {
		log_warn("icmp: cannot open a raw or datagram ICMP socket "
		    "(need CAP_NET_RAW or net.ipv4.ping_group_range)");
		return -1;
	}
	setsockopt(I.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (getrandom(&I.cookie, sizeof(I.cookie), 0) != sizeof(I.cookie) ||
	    getrandom(&I.id, sizeof(I.id), 0) != sizeof(I.id))
		fatal("getrandom");
	if ((I.rd = event_new(agent_base, I.fd, EV_READ | EV_PERSIST,
	    icmp_read_cb, NULL)) == NULL)
		fatalx("event_new");
	event_add(I.rd, NULL);
	return 0;
}

static int
icmp_init(struct check *c)
{
	struct icmp_state *st;
	struct addrinfo hints, *res;
	int	 rv;

	if (I.fd == -1 && icmp_socket_open() == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("calloc");
	st->c = c;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_RAW;
	hints.ai_flags = AI_NUMERICHOST;
	/* Names are resolved once here, at start or reload, not per probe. */
	if ((rv = getaddrinfo(c->dev->conf->address, NULL, &hints, &res)) ==
	    EAI_NONAME) {
		hints.ai_flags = 0;
		rv = getaddrinfo(c->dev->conf->address, NULL, &hints, &res);
	}
	if (rv != 0) {
		log_warnx("%s/%s: %s: %s", c->dev->conf->id, c->conf->id,
		    c->dev->conf->address, gai_strerror(rv));
		free(st);
		return -1;
	}
	memcpy(&st->dst, res->ai_addr, sizeof(st->dst));
	freeaddrinfo(res);
	if ((st->send_ev = evtimer_new(agent_base, icmp_send_cb, st)) == NULL ||
	    (st->deadline = evtimer_new(agent_base, icmp_deadline_cb, st)) ==
	    NULL)
		fatalx("evtimer_new");
	c->state = st;
	I.users++;
	return 0;
}

static void
icmp_start(struct check *c)
{
	struct icmp_state *st = c->state;

	st->r = result_new(c);
	st->sent = st->recv = 0;
	st->rtt_sum = st->rtt_min = st->rtt_max = 0;
	st->unreach = 0;
	st->send_errno = 0;
	/*
	 * The first echo goes out now: sending does not end the probe, so
	 * this keeps the rule that probe_done() comes from the loop.
	 */
	icmp_send_cb(-1, 0, st);
	timer_at(st->deadline, c->deadline_us);
}

static void
icmp_cleanup(struct check *c)
{
	struct icmp_state *st = c->state;
	int	 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->sent; i++)
		if (I.slot[st->seqs[i]] == st)
			I.slot[st->seqs[i]] = NULL;
	if (st->r != NULL) {
		fm_result_clear(st->r);
		free(st->r);
	}
	event_free(st->send_ev);
	event_free(st->deadline);
	free(st);
	c->state = NULL;
	if (--I.users == 0 && I.fd != -1) {
		event_free(I.rd);
		close(I.fd);
		I.fd = -1;
	}
}

const struct probe_ops probe_icmp = {
	.type = CT_ICMP,
	.name = "icmp",
	.keys = icmp_keys,
	.parse = icmp_parse,
	.free_opts = icmp_free_opts,
	.init = icmp_init,
	.start = icmp_start,
	.cleanup = icmp_cleanup,
};
