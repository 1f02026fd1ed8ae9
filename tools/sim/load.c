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
 * A bounded SNMP GET load generator, to measure how many requests the
 * simulator (or any agent on loopback) answers per second.  It keeps a
 * fixed window of requests in flight, sends and receives in batches,
 * and stops after a number of requests or seconds, whichever is first.
 * Only loopback targets are accepted.
 */

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define LBATCH		32
#define TARGETS_MAX	1024
#define REQID_BASE	0x01000000	/* always four content octets */

static __dead void
load_usage(void)
{
	fprintf(stderr, "usage: facmon-sim load [-c community] [-n requests] "
	    "[-w window] [-t seconds] [-o oid] 127.x.y.z:port ...\n");
	exit(2);
}

/* A GET for oid with a four-octet request id at a known offset. */
static size_t
build_get(uint8_t *buf, const char *comm, const uint32_t *oid, int oidlen,
    size_t *reqid_off)
{
	size_t	 cl = strlen(comm), ol = ber_oid_size(oid, oidlen);
	size_t	 vb = 1 + ber_len_size(ol) + ol + 2;	/* OID, NULL */
	size_t	 vbseq = 1 + ber_len_size(vb) + vb;
	size_t	 vbl = 1 + ber_len_size(vbseq) + vbseq;
	size_t	 pdu = 6 + 3 + 3 + vbl;
	size_t	 msg = 3 + 1 + ber_len_size(cl) + cl + 1 + ber_len_size(pdu) +
	    pdu;
	uint8_t	*p = buf;

	p = ber_put_hdr(p, BER_SEQ, msg);
	p = ber_put_int(p, BER_INT, 1);		/* v2c */
	p = ber_put_hdr(p, BER_STR, cl);
	memcpy(p, comm, cl);
	p += cl;
	p = ber_put_hdr(p, PDU_GET, pdu);
	*reqid_off = (size_t)(p - buf) + 2;
	p = ber_put_int(p, BER_INT, REQID_BASE);
	p = ber_put_int(p, BER_INT, 0);
	p = ber_put_int(p, BER_INT, 0);
	p = ber_put_hdr(p, BER_SEQ, vbseq);
	p = ber_put_hdr(p, BER_SEQ, vb);
	p = ber_put_oid(p, oid, oidlen);
	p = ber_put_hdr(p, BER_NULL, 0);
	return (size_t)(p - buf);
}

/* The request id of a response, or -1 if it is not a good one. */
static int64_t
reply_id(const uint8_t *buf, size_t len)
{
	struct ber b = { buf, buf + len }, msg, pdu, tmp;
	int64_t	 v, id, err;
	uint8_t	 tag;

	if (ber_get_tlv(&b, &tag, &msg) == -1 || tag != BER_SEQ ||
	    ber_get_int(&msg, &v) == -1 ||
	    ber_get_tlv(&msg, &tag, &tmp) == -1 ||
	    ber_get_tlv(&msg, &tag, &pdu) == -1 || tag != PDU_RESPONSE ||
	    ber_get_int(&pdu, &id) == -1 || ber_get_int(&pdu, &err) == -1 ||
	    err != 0)
		return -1;
	return id;
}

int
load_main(int argc, char **argv)
{
	static struct sockaddr_in tgt[TARGETS_MAX];
	static uint8_t req[LBATCH][256], rbuf[LBATCH][SIM_PKT_MAX];
	struct mmsghdr smsg[LBATCH], rmsg[LBATCH];
	struct iovec siov[LBATCH], riov[LBATCH];
	const char *comm = "public", *oidstr = "1.3.6.1.2.1.1.3.0";
	uint32_t oid[SIM_REQ_OID_MAX];
	uint8_t	 tmpl[256];
	size_t	 tlen, roff;
	long	 nreq = 100000, window = 64, secs = 10;
	long	 sent = 0, got = 0, bad = 0, lost = 0, inflight = 0;
	int	 ch, i, fd, ntgt = 0, oidlen, idle = 0;
	int64_t	 t0, t1, deadline;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:n:w:t:o:")) != -1) {
		switch (ch) {
		case 'c':
			comm = optarg;
			break;
		case 'n':
			nreq = strtol(optarg, NULL, 10);
			break;
		case 'w':
			window = strtol(optarg, NULL, 10);
			break;
		case 't':
			secs = strtol(optarg, NULL, 10);
			break;
		case 'o':
			oidstr = optarg;
			break;
		default:
			load_usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* Bounded by construction: at most 10^8 requests, 600 s. */
	if (argc == 0 || nreq < 1 || nreq > 100000000 || window < 1 ||
	    window > 4096 || secs < 1 || secs > 600 || strlen(comm) > 64)
		load_usage();
	if ((oidlen = oid_parse(oidstr, oid, SIM_REQ_OID_MAX)) == -1) {
		fprintf(stderr, "facmon-sim load: bad oid %s\n", oidstr);
		return 2;
	}
	for (i = 0; i < argc && ntgt < TARGETS_MAX; i++) {
		char	 host[64], *colon;

		fm_strlcpy(host, argv[i], sizeof(host));
		if ((colon = strrchr(host, ':')) == NULL)
			load_usage();
		*colon++ = '\0';
		memset(&tgt[ntgt], 0, sizeof(tgt[ntgt]));
		tgt[ntgt].sin_family = AF_INET;
		tgt[ntgt].sin_port = htons((uint16_t)atoi(colon));
		if (inet_pton(AF_INET, host, &tgt[ntgt].sin_addr) != 1 ||
		    (ntohl(tgt[ntgt].sin_addr.s_addr) >> 24) != 127) {
			fprintf(stderr, "facmon-sim load: %s is not a "
			    "loopback address\n", argv[i]);
			return 2;
		}
		ntgt++;
	}
	tlen = build_get(tmpl, comm, oid, oidlen, &roff);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("socket");
		return 1;
	}
	{
		int	 sz = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	t0 = mono_us();
	deadline = t0 + secs * 1000000LL;
	while (got + lost < nreq && mono_us() < deadline) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int	 n, ns = 0;

		/* Fill the window. */
		while (inflight + ns < window && sent + ns < nreq &&
		    ns < LBATCH) {
			uint32_t id = REQID_BASE + (uint32_t)((sent + ns) %
			    0x7e000000);

			memcpy(req[ns], tmpl, tlen);
			req[ns][roff] = (uint8_t)(id >> 24);
			req[ns][roff + 1] = (uint8_t)(id >> 16);
			req[ns][roff + 2] = (uint8_t)(id >> 8);
			req[ns][roff + 3] = (uint8_t)id;
			siov[ns].iov_base = req[ns];
			siov[ns].iov_len = tlen;
			memset(&smsg[ns], 0, sizeof(smsg[ns]));
			smsg[ns].msg_hdr.msg_iov = &siov[ns];
			smsg[ns].msg_hdr.msg_iovlen = 1;
			smsg[ns].msg_hdr.msg_name =
			    &tgt[(sent + ns) % ntgt];
			smsg[ns].msg_hdr.msg_namelen = sizeof(tgt[0]);
			ns++;
		}
		if (ns > 0) {
			n = sendmmsg(fd, smsg, (unsigned)ns, 0);
			if (n > 0) {
				sent += n;
				inflight += n;
			}
		}
		if (poll(&pfd, 1, 200) == 0) {
			/* Nothing for 200 ms: what is in flight is lost. */
			lost += inflight;
			inflight = 0;
			if (++idle == 5)
				break;
			continue;
		}
		idle = 0;
		for (i = 0; i < LBATCH; i++) {
			riov[i].iov_base = rbuf[i];
			riov[i].iov_len = SIM_PKT_MAX;
			memset(&rmsg[i], 0, sizeof(rmsg[i]));
			rmsg[i].msg_hdr.msg_iov = &riov[i];
			rmsg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, rmsg, LBATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++) {
			if (reply_id(rbuf[i], rmsg[i].msg_len) < REQID_BASE)
				bad++;
			else
				got++;
			if (inflight > 0)
				inflight--;
		}
	}
	t1 = mono_us();
	close(fd);
	printf("requests %ld answered %ld bad %ld lost %ld seconds %.3f "
	    "rate %.0f/s window %ld targets %d\n", sent, got, bad, lost,
	    (double)(t1 - t0) / 1e6, (double)got * 1e6 / (double)(t1 - t0),
	    window, ntgt);
	return got > 0 ? 0 : 1;
}
