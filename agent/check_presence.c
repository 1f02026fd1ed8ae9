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
 * Passive presence: a device is present if any frame from its MAC (or,
 * without one, from its IPv4 address) was seen on the interface within
 * the last 'window'.  Nothing is sent, so it suits devices that answer
 * nothing at all but do talk (DHCP renewals, ARP, their own traffic);
 * on a mirror port with 'promisc' it sees a whole segment.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

struct presence_opts {
	char		 iface[32];
	int		 window_ms;
	int		 promisc;
	int		 have_mac;
	uint8_t		 mac[6];
};

struct presence_state {
	struct pcapif	*pi;
	uint32_t	 ip;
	int64_t		 started_ms;
};

static const char *const presence_keys[] = { "interface", "window", "mac",
	"promisc", NULL };

static int
presence_parse(struct cfgerr *e, const config_setting_t *s,
    struct check_conf *cc, const struct device_conf *dc)
{
	struct presence_opts *o;
	struct in_addr a;
	char	 mac[32];
	int	 nerr = e->n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	cc->opts = o;
	cfg_get_str(e, s, "interface", o->iface, sizeof(o->iface), 1);
	o->window_ms = 300000;
	cfg_get_secs(e, s, "window", &o->window_ms, 1000, 86400000, 0);
	cfg_get_bool(e, s, "promisc", &o->promisc, 0);
	if (cfg_get_str(e, s, "mac", mac, sizeof(mac), 0) == 1) {
		if (parse_mac(mac, o->mac) == -1)
			cfgerr_add(e, config_setting_get_member(s, "mac"),
			    "mac must look like 02:00:5e:10:00:01");
		else
			o->have_mac = 1;
	} else if (inet_pton(AF_INET, dc->address, &a) != 1)
		cfgerr_add(e, s, "check '%s': a presence check needs 'mac' or "
		    "an IPv4 device address", cc->id);
	return e->n > nerr ? -1 : 0;
}

static void
presence_free_opts(void *p)
{
	free(p);
}

static int
presence_init(struct check *c)
{
	const struct presence_opts *o = c->conf->opts;
	struct presence_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("calloc");
	inet_pton(AF_INET, c->dev->conf->address, &st->ip);
	if ((st->pi = pcapif_get(o->iface, o->promisc)) == NULL) {
		free(st);
		return -1;
	}
	st->started_ms = now_ms();
	c->state = st;
	return 0;
}

static void
presence_start(struct check *c)
{
	const struct presence_opts *o = c->conf->opts;
	struct presence_state *st = c->state;
	struct fm_result *r = result_new(c);
	int64_t	 last = pcapif_last_seen(st->pi, st->ip,
	    o->have_mac ? o->mac : NULL);

	if (last > 0) {
		result_add_gauge(r, "seen_ago_s", (double)(r->ts_ms - last) /
		    1000.0);
		if (r->ts_ms - last > o->window_ms)
			result_fail(r, PR_TIMEOUT, "nothing heard for %.0f s",
			    (double)(r->ts_ms - last) / 1000.0);
	} else if (r->ts_ms - st->started_ms < o->window_ms)
		/* Listening for less than a window: not yet an answer. */
		result_fail(r, PR_INTERNAL, "listening on %s for %.0f s so far",
		    o->iface, (double)(r->ts_ms - st->started_ms) / 1000.0);
	else
		result_fail(r, PR_TIMEOUT, "never heard on %s", o->iface);
	probe_done_later(c, r);
}

static void
presence_cleanup(struct check *c)
{
	struct presence_state *st = c->state;

	if (st == NULL)
		return;
	pcapif_put(st->pi, NULL);
	free(st);
	c->state = NULL;
}

const struct probe_ops probe_presence = {
	.type = CT_PRESENCE,
	.name = "presence",
	.keys = presence_keys,
	.parse = presence_parse,
	.free_opts = presence_free_opts,
	.init = presence_init,
	.start = presence_start,
	.cleanup = presence_cleanup,
};
