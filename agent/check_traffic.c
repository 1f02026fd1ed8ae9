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
 * Traffic accounting, for lines whose router gives no SNMP: bytes and
 * packets per direction counted from the frames on an interface, through
 * the shared pcap handle (pcapif.c).  On the line's own interface the
 * counts are the interface's (of = "interface": in is what it receives,
 * out what it sends); on a mirror port (promisc) they are the device's,
 * by its IPv4 address or, with 'mac', by its MAC: in is what is sent to
 * it, out what it sends, as its own ifInOctets and ifOutOctets would
 * say.
 *
 * Each probe reports the four totals since the check started as
 * counters (in_octets, out_octets, in_packets, out_packets), each with
 * its rate per second since the previous probe: the same form as an SNMP
 * counter, so the collector stores the rate in RRD like ifInOctets.
 * Octets are whole Ethernet frames as on the wire, less the FCS; the
 * capture keeps only the headers, but libpcap reports each frame's full
 * length.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define ETHERTYPE_IP_	0x0800
#define ETHERTYPE_VLAN_	0x8100

struct traffic_opts {
	char		 iface[32];
	int		 promisc;
	int		 of_iface;	/* the interface's own frames */
	int		 have_mac;
	uint8_t		 mac[6];
};

struct traffic_state {
	struct pcapif	*pi;
	struct pcap_watch w;
	struct traffic_ctr ctr;
	int		 have_prev;
	uint64_t	 prev[4];
	int64_t		 prev_us;
};

static const char *const traffic_keys[] = { "interface", "of", "mac",
	"promisc", NULL };

/*
 * Count one frame: in if it is addressed to the subject, out if the
 * subject sent it.  A frame from the subject to itself counts both ways,
 * as a loopback would on an interface counter.
 */
void
traffic_frame(void *arg, const uint8_t *p, size_t caplen, size_t len,
    int64_t ts_ms)
{
	struct traffic_ctr *t = arg;
	int	 in = 0, out = 0;

	(void)ts_ms;
	if (caplen < 14)
		return;
	if (t->by_mac) {
		in = memcmp(p, t->mac, 6) == 0;
		out = memcmp(p + 6, t->mac, 6) == 0;
	} else {
		size_t	 off = 14;
		uint16_t type = (uint16_t)(p[12] << 8 | p[13]);

		if (type == ETHERTYPE_VLAN_ && caplen >= 18) {
			type = (uint16_t)(p[16] << 8 | p[17]);
			off += 4;
		}
		if (type != ETHERTYPE_IP_ || caplen < off + 20 ||
		    (p[off] >> 4) != 4)
			return;
		out = memcmp(p + off + 12, &t->ip, 4) == 0;
		in = memcmp(p + off + 16, &t->ip, 4) == 0;
	}
	if (in) {
		t->in_octets += len;
		t->in_packets++;
	}
	if (out) {
		t->out_octets += len;
		t->out_packets++;
	}
}

static int
traffic_parse(struct cfgerr *e, const config_setting_t *s,
    struct check_conf *cc, const struct device_conf *dc)
{
	struct traffic_opts *o;
	struct in_addr a;
	char	 mac[32], of[32];
	int	 nerr = e->n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	cc->opts = o;
	cfg_get_str(e, s, "interface", o->iface, sizeof(o->iface), 1);
	cfg_get_bool(e, s, "promisc", &o->promisc, 0);
	if (cfg_get_str(e, s, "of", of, sizeof(of), 0) == 1) {
		if (strcmp(of, "interface") == 0)
			o->of_iface = 1;
		else if (strcmp(of, "device") != 0)
			cfgerr_add(e, config_setting_get_member(s, "of"),
			    "'of' must be \"device\" or \"interface\"");
	}
	if (cfg_get_str(e, s, "mac", mac, sizeof(mac), 0) == 1) {
		if (o->of_iface)
			cfgerr_add(e, config_setting_get_member(s, "mac"),
			    "'mac' and of = \"interface\" exclude each other");
		else if (parse_mac(mac, o->mac) == -1)
			cfgerr_add(e, config_setting_get_member(s, "mac"),
			    "mac must look like 02:00:5e:10:00:01");
		else
			o->have_mac = 1;
	} else if (!o->of_iface && inet_pton(AF_INET, dc->address, &a) != 1)
		cfgerr_add(e, s, "check '%s': a traffic check needs 'mac', "
		    "of = \"interface\", or an IPv4 device address", cc->id);
	return e->n > nerr ? -1 : 0;
}

static void
traffic_free_opts(void *p)
{
	free(p);
}

static int
traffic_init(struct check *c)
{
	const struct traffic_opts *o = c->conf->opts;
	struct traffic_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("calloc");
	if ((st->pi = pcapif_get(o->iface, o->promisc)) == NULL) {
		free(st);
		return -1;
	}
	if (o->of_iface) {
		st->ctr.by_mac = 1;
		memcpy(st->ctr.mac, st->pi->mac, 6);
	} else if (o->have_mac) {
		st->ctr.by_mac = 1;
		memcpy(st->ctr.mac, o->mac, 6);
	} else
		inet_pton(AF_INET, c->dev->conf->address, &st->ctr.ip);
	st->w.frame = traffic_frame;
	st->w.arg = &st->ctr;
	pcapif_watch(st->pi, &st->w);
	c->state = st;
	return 0;
}

static void
traffic_start(struct check *c)
{
	struct traffic_state *st = c->state;
	struct fm_result *r = result_new(c);
	static const char *const names[4] = { "in_octets", "out_octets",
	    "in_packets", "out_packets" };
	uint64_t now[4];
	int64_t	 us = mono_us();
	int	 i;

	now[0] = st->ctr.in_octets;
	now[1] = st->ctr.out_octets;
	now[2] = st->ctr.in_packets;
	now[3] = st->ctr.out_packets;
	for (i = 0; i < 4; i++) {
		double	 rate = NAN;

		if (st->have_prev && us > st->prev_us)
			rate = (double)(now[i] - st->prev[i]) * 1e6 /
			    (double)(us - st->prev_us);
		result_add_counter(r, names[i], now[i], rate);
		st->prev[i] = now[i];
	}
	st->have_prev = 1;
	st->prev_us = us;
	probe_done_later(c, r);
}

static void
traffic_cleanup(struct check *c)
{
	struct traffic_state *st = c->state;

	if (st == NULL)
		return;
	pcapif_put(st->pi, &st->w);
	free(st);
	c->state = NULL;
}

const struct probe_ops probe_traffic = {
	.type = CT_TRAFFIC,
	.name = "traffic",
	.keys = traffic_keys,
	.parse = traffic_parse,
	.free_opts = traffic_free_opts,
	.init = traffic_init,
	.start = traffic_start,
	.cleanup = traffic_cleanup,
};
