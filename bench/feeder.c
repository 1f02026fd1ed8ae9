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
 * bench-feeder: a synthetic agent for the collector's ingest ceiling.  It
 * speaks the wire protocol (docs/wire.md) over plain TCP, announces D
 * devices with one check of V gauge values each, and sends batches of
 * results as fast as the collector acknowledges them, with up to W
 * batches in flight.  Each round gives every check one result, one step
 * (STEP seconds, default 10) after the previous round's: timestamps start 300 days in the
 * past and advance faster than the clock, like an agent replaying a
 * backlog, so that every RRD file receives many values per write.
 *
 *   bench-feeder HOST PORT AGENT DEVICES VALUES SECONDS MAXROUNDS
 *       [BATCH [WINDOW [STEP]]]
 *
 * Bounded: it stops after SECONDS or MAXROUNDS rounds, whichever comes
 * first, and prints "rounds R results N values V seconds S".
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/common.h"
#include "../common/wire.h"

/*
 * The checks' interval, and the step of every round's timestamps: 10 s
 * by default, which keeps the collector's RRD files small (their
 * full-resolution archive is a number of days at one row per step).
 */
static int64_t	 step_ms = 10000;

static int	 fd = -1;

static void
die(const char *what)
{
	fprintf(stderr, "bench-feeder: %s\n", what);
	exit(1);
}

static void
send_all(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t	 n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write failed: the collector closed the connection");
		b += n;
		len -= (size_t)n;
	}
}

static void
recv_all(void *p, size_t len)
{
	uint8_t	*b = p;

	while (len > 0) {
		ssize_t	 n = read(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read failed: the collector closed the connection");
		b += n;
		len -= (size_t)n;
	}
}

/* One frame: its type, its payload in *buf (reused). */
static int
recv_frame(uint8_t **buf, size_t *cap, size_t *len)
{
	uint8_t	 h[12];
	uint32_t n;

	recv_all(h, sizeof(h));
	n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 |
	    h[7];
	if (n > FM_FRAME_MAX)
		die("frame too long");
	if (n > *cap) {
		if ((*buf = realloc(*buf, n)) == NULL)
			die("out of memory");
		*cap = n;
	}
	recv_all(*buf, n);
	*len = n;
	return h[3];
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa;
	struct fm_hello hello;
	struct fm_welcome wel;
	struct fm_devinfo di;
	struct fm_checkinfo ci;
	struct fm_result *res, **rp;
	struct wbuf w;
	uint8_t	*buf = NULL;
	size_t	 cap = 0, len, f;
	char	 err[128];
	int	 ndev, nval, batch = 1000, window = 8, one = 1, i, j, type;
	uint64_t seq = 0, acked = 0, rounds = 0, maxrounds, results = 0;
	uint64_t session;
	double	 secs, t0;
	int64_t	 ts0;
	int	 cur = 0;

	if (argc < 8 || argc > 11) {
		fprintf(stderr, "usage: bench-feeder HOST PORT AGENT DEVICES "
		    "VALUES SECONDS MAXROUNDS [BATCH [WINDOW [STEP]]]\n");
		return 2;
	}
	ndev = atoi(argv[4]);
	nval = atoi(argv[5]);
	secs = atof(argv[6]);
	maxrounds = strtoull(argv[7], NULL, 10);
	if (argc > 8)
		batch = atoi(argv[8]);
	if (argc > 9)
		window = atoi(argv[9]);
	if (argc > 10)
		step_ms = (int64_t)atoi(argv[10]) * 1000;
	if (ndev < 1 || nval < 1 || nval > FM_VALUES_MAX || batch < 1 ||
	    batch > FM_BATCH_MAX || window < 1 || secs <= 0 || step_ms < 1000 ||
	    step_ms > 86400000)
		die("bad arguments");

	/* However the collector behaves, this process ends. */
	alarm((unsigned)secs + 120);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("cannot connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	memset(&hello, 0, sizeof(hello));
	fm_strlcpy(hello.agent, argv[3], sizeof(hello.agent));
	session = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	hello.session = session;
	fm_strlcpy(hello.version, "bench-feeder", sizeof(hello.version));
	wbuf_init(&w);
	fm_put_hello(&w, &hello);
	send_all(w.p, w.len);
	if ((type = recv_frame(&buf, &cap, &len)) != FM_WELCOME ||
	    fm_get_welcome(buf, len, &wel, err, sizeof(err)) == -1 ||
	    wel.status != 0)
		die("the collector did not welcome us (is the agent id "
		    "configured, and tls = false?)");

	/* The device list, one device at a time. */
	wbuf_reset(&w);
	f = fm_frame_begin(&w, FM_DEVICES);
	wbuf_u32(&w, (uint32_t)ndev);
	for (i = 0; i < ndev; i++) {
		memset(&di, 0, sizeof(di));
		memset(&ci, 0, sizeof(ci));
		snprintf(di.id, sizeof(di.id), "f%05d", i);
		snprintf(di.name, sizeof(di.name), "f%05d", i);
		fm_strlcpy(di.class, "line", sizeof(di.class));
		fm_strlcpy(di.group, "bench", sizeof(di.group));
		fm_strlcpy(di.address, "127.3.0.1", sizeof(di.address));
		fm_strlcpy(ci.id, "s", sizeof(ci.id));
		ci.type = CT_SNMP;
		ci.interval_ms = (uint32_t)step_ms;
		ci.timeout_ms = 1000;
		di.nchecks = 1;
		di.checks = &ci;
		fm_put_device(&w, &di);
	}
	fm_frame_end(&w, f);
	send_all(w.p, w.len);

	/*
	 * One result per slot of a batch, rewritten for every batch: a batch
	 * may hold several rounds of the same device.
	 */
	if ((res = calloc((size_t)batch, sizeof(*res))) == NULL ||
	    (rp = calloc((size_t)batch, sizeof(*rp))) == NULL)
		die("out of memory");
	for (i = 0; i < batch; i++) {
		fm_strlcpy(res[i].check, "s", sizeof(res[i].check));
		res[i].type = CT_SNMP;
		res[i].outcome = PR_OK;
		res[i].dur_us = 1000;
		res[i].nvalues = (uint16_t)nval;
		if ((res[i].values = calloc((size_t)nval,
		    sizeof(*res[i].values))) == NULL)
			die("out of memory");
		for (j = 0; j < nval; j++) {
			snprintf(res[i].values[j].name,
			    sizeof(res[i].values[j].name), "v%d", j);
			res[i].values[j].kind = VK_GAUGE;
		}
	}

	ts0 = (int64_t)time(NULL) * 1000 - 300LL * 86400 * 1000;
	t0 = now_s();
	while (rounds < maxrounds && now_s() - t0 < secs) {
		int	 n = 0;

		/* Fill one batch, possibly across a round boundary. */
		while (n < batch) {
			struct fm_result *r = &res[n];

			snprintf(r->device, sizeof(r->device), "f%05d", cur);
			r->ts_ms = ts0 + (int64_t)rounds * step_ms;
			for (j = 0; j < nval; j++)
				r->values[j].d = (double)((rounds + (uint64_t)j) %
				    100);
			rp[n++] = r;
			if (++cur == ndev) {
				cur = 0;
				rounds++;
				if (rounds >= maxrounds)
					break;
			}
		}
		wbuf_reset(&w);
		fm_put_batch(&w, session, ++seq, (const struct fm_result *const *)
		    rp, (uint32_t)n);
		if (w.err)
			die("cannot encode a batch");
		send_all(w.p, w.len);
		results += (uint64_t)n;
		/* Keep at most 'window' batches unacknowledged. */
		while (seq - acked >= (uint64_t)window) {
			struct fm_ack ack;

			type = recv_frame(&buf, &cap, &len);
			if (type == FM_ERROR)
				die("the collector sent an error");
			if (type == FM_ACK && fm_get_ack(buf, len, &ack, err,
			    sizeof(err)) == 0 && ack.seq > acked)
				acked = ack.seq;
		}
	}
	while (acked < seq) {
		struct fm_ack ack;

		if (now_s() - t0 > secs + 60)
			die("acknowledgements stopped coming");
		type = recv_frame(&buf, &cap, &len);
		if (type == FM_ACK && fm_get_ack(buf, len, &ack, err,
		    sizeof(err)) == 0 && ack.seq > acked)
			acked = ack.seq;
	}
	printf("rounds %" PRIu64 " results %" PRIu64 " values %" PRIu64
	    " seconds %.3f\n", rounds, results, results * (uint64_t)nval,
	    now_s() - t0);
	close(fd);
	return 0;
}
