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
 * ARP check: who-has for the device's IPv4 address on a named interface,
 * sent with pcap_inject, answered (or not) by the device itself.  This
 * reaches what blocks ping and speaks no SNMP -- touch screens,
 * evaluation terminals, LED controllers -- as long as it is on the same
 * segment.  The reply's MAC is kept: a different one on a later probe is
 * reported (a swapped or spoofed device), and with 'mac' set a mismatch
 * fails the check.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

struct arp_opts {
	char		 iface[32];
	int		 count;
	int		 spacing_ms;
	int		 have_mac;
	uint8_t		 mac[6];
};

struct arp_state {
	struct check	*c;
	struct pcapif	*pi;
	struct pcap_watch w;
	uint32_t	 ip;		/* network order */
	struct fm_result *r;
	struct event	*send_ev;
	struct event	*deadline;
	int		 sent;
	int64_t		 first_us;
	int		 have_last;
	uint8_t		 last_mac[6];
};

static const char *const arp_keys[] = { "interface", "count", "spacing",
	"mac", NULL };

static int
arp_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dc)
{
	struct arp_opts *o;
	struct in_addr a;
	char	 mac[32];
	long long v;
	int	 nerr = e->n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	cc->opts = o;
	if (inet_pton(AF_INET, dc->address, &a) != 1)
		cfgerr_add(e, s, "check '%s': an arp check needs an IPv4 "
		    "address as the device's address", cc->id);
	cfg_get_str(e, s, "interface", o->iface, sizeof(o->iface), 1);
	o->count = 3;
	if (cfg_get_int(e, s, "count", &v, 1, 10, 0) == 1)
		o->count = (int)v;
	o->spacing_ms = 200;
	cfg_get_secs(e, s, "spacing", &o->spacing_ms, 10, 10000, 0);
	if (cfg_get_str(e, s, "mac", mac, sizeof(mac), 0) == 1) {
		if (parse_mac(mac, o->mac) == -1)
			cfgerr_add(e, config_setting_get_member(s, "mac"),
			    "mac must look like 02:00:5e:10:00:01");
		else
			o->have_mac = 1;
	}
	if ((o->count - 1) * o->spacing_ms >= cc->timeout_ms)
		cfgerr_add(e, s, "check '%s': %d requests %d ms apart do not "
		    "fit in the %d ms timeout", cc->id, o->count,
		    o->spacing_ms, cc->timeout_ms);
	return e->n > nerr ? -1 : 0;
}

static void
arp_free_opts(void *p)
{
	free(p);
}

static void
arp_finish(struct arp_state *st, const uint8_t *mac)
{
	const struct arp_opts *o = st->c->conf->opts;
	struct fm_result *r = st->r;
	char	 now[24], was[24], want[24];

	st->r = NULL;
	evtimer_del(st->send_ev);
	evtimer_del(st->deadline);
	result_add_gauge(r, "sent", st->sent);
	if (mac == NULL) {
		result_fail(r, PR_TIMEOUT, "no ARP reply (%d requests on %s)",
		    st->sent, o->iface);
		probe_done(st->c, r);
		return;
	}
	format_mac(mac, now, sizeof(now));
	result_add_gauge(r, "rtt_ms", (double)(mono_us() - st->first_us) /
	    1000.0);
	result_add_text(r, "mac", now);
	if (st->have_last && memcmp(st->last_mac, mac, 6) != 0) {
		format_mac(st->last_mac, was, sizeof(was));
		snprintf(r->msg, sizeof(r->msg), "MAC changed from %s to %s",
		    was, now);
		result_add_gauge(r, "mac_changed", 1);
		log_warnx("%s/%s: MAC address changed from %s to %s",
		    st->c->dev->conf->id, st->c->conf->id, was, now);
	} else
		result_add_gauge(r, "mac_changed", 0);
	memcpy(st->last_mac, mac, 6);
	st->have_last = 1;
	if (o->have_mac && memcmp(o->mac, mac, 6) != 0) {
		format_mac(o->mac, want, sizeof(want));
		result_fail(r, PR_BAD_CONTENT, "answered from %s, expected %s",
		    now, want);
	}
	probe_done(st->c, r);
}

static void
arp_watch_cb(void *arg, uint16_t op, const uint8_t *sha, uint32_t spa,
    int64_t ts_ms)
{
	struct arp_state *st = arg;

	(void)ts_ms;
	/* A reply, or the device's own request: either proves it is there. */
	if (st->r == NULL || spa != st->ip || (op != 2 && op != 1))
		return;
	if (op == 1 && st->sent == 0)
		return;
	arp_finish(st, sha);
}

static void
arp_send(struct arp_state *st)
{
	uint8_t	 f[42];

	memset(f, 0xff, 6);			/* broadcast */
	memcpy(f + 6, st->pi->mac, 6);
	f[12] = 0x08; f[13] = 0x06;		/* ARP */
	f[14] = 0x00; f[15] = 0x01;		/* Ethernet */
	f[16] = 0x08; f[17] = 0x00;		/* IPv4 */
	f[18] = 6; f[19] = 4;
	f[20] = 0x00; f[21] = 0x01;		/* who-has */
	memcpy(f + 22, st->pi->mac, 6);
	memcpy(f + 28, &st->pi->ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &st->ip, 4);
	if (st->sent == 0)
		st->first_us = mono_us();
	st->sent++;
	if (pcapif_inject(st->pi, f, sizeof(f)) == -1)
		log_debug("%s/%s: pcap_inject failed", st->c->dev->conf->id,
		    st->c->conf->id);
}

static void
arp_send_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct arp_state *st = arg;
	const struct arp_opts *o = st->c->conf->opts;

	(void)fd;
	(void)ev;
	if (st->r == NULL)
		return;
	arp_send(st);
	if (st->sent < o->count)
		timer_in_ms(st->send_ev, o->spacing_ms);
}

static void
arp_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct arp_state *st = arg;

	(void)fd;
	(void)ev;
	if (st->r != NULL)
		arp_finish(st, NULL);
}

static int
arp_init(struct check *c)
{
	const struct arp_opts *o = c->conf->opts;
	struct arp_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("calloc");
	st->c = c;
	inet_pton(AF_INET, c->dev->conf->address, &st->ip);
	if ((st->pi = pcapif_get(o->iface, 0)) == NULL) {
		free(st);
		return -1;
	}
	if (st->pi->ip == 0) {
		log_warnx("%s/%s: %s has no IPv4 address to ask from",
		    c->dev->conf->id, c->conf->id, o->iface);
		pcapif_put(st->pi, NULL);
		free(st);
		return -1;
	}
	st->w.arp = arp_watch_cb;
	st->w.arg = st;
	pcapif_watch(st->pi, &st->w);
	if ((st->send_ev = evtimer_new(agent_base, arp_send_cb, st)) == NULL ||
	    (st->deadline = evtimer_new(agent_base, arp_deadline_cb, st)) ==
	    NULL)
		fatalx("evtimer_new");
	c->state = st;
	return 0;
}

static void
arp_start(struct check *c)
{
	struct arp_state *st = c->state;

	st->r = result_new(c);
	st->sent = 0;
	timer_in_ms(st->send_ev, 0);
	timer_at(st->deadline, c->deadline_us);
}

static void
arp_cleanup(struct check *c)
{
	struct arp_state *st = c->state;

	if (st == NULL)
		return;
	if (st->r != NULL) {
		fm_result_clear(st->r);
		free(st->r);
	}
	event_free(st->send_ev);
	event_free(st->deadline);
	pcapif_put(st->pi, &st->w);
	free(st);
	c->state = NULL;
}

const struct probe_ops probe_arp = {
	.type = CT_ARP,
	.name = "arp",
	.keys = arp_keys,
	.parse = arp_parse,
	.free_opts = arp_free_opts,
	.init = arp_init,
	.start = arp_start,
	.cleanup = arp_cleanup,
};
