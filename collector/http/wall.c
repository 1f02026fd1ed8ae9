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
 * GET /api/v1/wall: what the status wall shows, in one request, and
 * what the wall adds to a device beyond its state (its warnings, how
 * old its data is, whether its agent is connected), which the device
 * page shows too.  This month's availability per group is kept here
 * for AVAIL_CACHE_MS, for the wall's screens polling every second and
 * for /metrics (metrics.c).
 */

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"

#define AVAIL_CACHE_MS	10000		/* the wall's availability figures */

/* This month's availability (month_avail), made at most so often. */
static json_t	*avail_cache;
static int64_t	 avail_cache_ms;
static uint64_t	 avail_cache_gen;	/* maint_generation() it was made at */

/*
 * This month's availability of every group, as GET /api/v1/availability
 * gives it, or null without the outage journal; a new reference.
 */
json_t *
month_avail(int64_t now)
{
	char	 month[16], err[256];
	int64_t	 from, to;
	struct aq *q = outage_aq();
	int	 y, m;

	if (avail_cache != NULL && now - avail_cache_ms < AVAIL_CACHE_MS &&
	    avail_cache_gen == maint_generation())
		return json_incref(avail_cache);
	if (q == NULL)
		return json_null();
	/* The month is the configured zone's, as for the report. */
	if (av_month_of(now, hconf->av.tz, &y, &m) == -1 ||
	    av_month_range(y, m, hconf->av.tz, &from, &to) == -1)
		return json_null();
	fm_fmt(month, sizeof(month), "%04d-%02d", y, m);
	json_decref(avail_cache);
	avail_cache = avail_json(q, maint_avconf(), from, to, NULL, 0, err,
	    sizeof(err));
	if (avail_cache == NULL)
		return json_null();
	json_object_set_new(avail_cache, "month", json_string(month));
	avail_cache_ms = now;
	avail_cache_gen = maint_generation();
	return json_incref(avail_cache);
}

/*
 * What the wall adds to a device beyond its state: its warnings in
 * words (warnings.c), how old its newest result is, and whether its
 * agent is connected.  A device whose agent is gone, or whose newest
 * result is older than three of its probe intervals, is "stale": the
 * collector no longer knows its state and says so rather than show the
 * last one as if it were current.
 */
static void
wall_extra(json_t *o, const struct device_state *d, int64_t now,
    int64_t mono)
{
	int64_t	 newest = 0, silent = 0, until;
	uint32_t ival = 0;
	int	 i, conn = 0, known;

	for (i = 0; i < d->nchecks; i++) {
		const struct check_state *c = &d->checks[i];

		if (c->have_result && c->arrival_mono > newest)
			newest = c->arrival_mono;
		if (c->interval_ms > ival)
			ival = c->interval_ms;
	}
	known = ingest_agent_status(d->agent, &conn, &silent) == 0;
	json_object_set_new(o, "warnings", warnings_json(d, hconf->alerts));
	json_object_set_new(o, "data_age_ms", newest > 0 ?
	    json_integer(mono - newest) : json_null());
	json_object_set_new(o, "agent", json_string(d->agent));
	json_object_set_new(o, "address", json_string(d->address));
	json_object_set_new(o, "parent", json_string(d->parent));
	json_object_set_new(o, "agent_connected", json_boolean(known &&
	    conn));
	json_object_set_new(o, "stale", json_boolean(!known || !conn ||
	    newest == 0 || (ival > 0 && mono - newest > 3 * (int64_t)ival)));
	if ((until = maint_until(d, now)) > 0)
		json_object_set_new(o, "maintenance_until_ms",
		    json_integer(until));
}

/*
 * The same additions for GET /api/v1/devices/{id}: the device page is
 * often opened by a link or a reload, without the wall, and must learn
 * from its own request whether the device has warnings, is stale or is
 * in maintenance.
 */
void
webapi_device_extra(json_t *o, const struct device_state *d)
{
	int64_t	 now = now_ms();

	json_object_set_new(o, "maintenance", json_boolean(maint_in(d, now)));
	wall_extra(o, d, now, mono_ms());
}

/* The agents listed in the configuration: connected, silent for how long. */
static json_t *
wall_agents(void)
{
	json_t	*a = json_array();
	int64_t	 silent;
	int	 i, conn;

	for (i = 0; i < hconf->nagents; i++) {
		if (ingest_agent_status(hconf->agents[i].id, &conn,
		    &silent) == -1) {
			conn = 0;
			silent = -1;
		}
		json_array_append_new(a, json_pack("{s:s,s:b,s:o}", "id",
		    hconf->agents[i].id, "connected", conn, "silent_ms",
		    silent >= 0 ? json_integer(silent) : json_null()));
	}
	return a;
}

/*
 * GET /api/v1/wall: what the status wall shows, in one request so that
 * a wall screen polling every second costs one small answer: devices
 * (state, maintenance, the failing check's message), this month's
 * availability per group (cached for AVAIL_CACHE_MS) and open outages.
 */
void
api_wall(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct device_state **v;
	struct aq *q = outage_aq();
	int64_t	 now = now_ms(), mono = mono_ms();
	json_t	*devs, *inc, *ans;
	size_t	 i, n;

	(void)rest;
	(void)who;
	if ((v = state_devices_sorted(&n)) == NULL) {
		reply_error(req, 500, "Internal Server Error",
		    "out of memory");
		return;
	}
	devs = json_array();
	for (i = 0; i < n; i++) {
		const struct device_state *d = v[i];
		/* Strings from agents go through devices.c's safe JSON. */
		json_t	*full = http_device_json(d), *o, *c, *msg = NULL;
		json_t	*ctext = NULL;
		const char *chk = "";
		size_t	 ci;

		json_array_foreach(json_object_get(full, "checks"), ci, c) {
			const char *st = json_string_value(json_object_get(c,
			    "state"));

			if (st == NULL || strcmp(st, "down") != 0 ||
			    (msg != NULL && !json_is_true(json_object_get(c,
			    "critical"))))
				continue;
			msg = json_object_get(c, "message");
			ctext = json_object_get(c, "cause_text");
			chk = json_string_value(json_object_get(c, "id"));
		}
		o = json_pack("{s:O,s:O,s:O,s:O,s:s,s:O,s:b,s:s,s:O}",
		    "id", json_object_get(full, "id"),
		    "name", json_object_get(full, "name"),
		    "class", json_object_get(full, "class"),
		    "group", json_object_get(full, "group"),
		    "state", state_name(d->state),
		    "since_ms", json_object_get(full, "since_ms"),
		    "maintenance", maint_in(d, now),
		    "check", chk != NULL ? chk : "",
		    "message", msg != NULL && json_is_string(msg) ? msg :
		    json_null());
		json_object_set(o, "cause_text", ctext != NULL &&
		    json_is_string(ctext) ? ctext : json_null());
		json_decref(full);
		wall_extra(o, d, now, mono);
		json_array_append_new(devs, o);
	}
	free(v);
	inc = json_array();
	if (q != NULL)
		for (i = q->nout; i-- > 0;)
			if (q->out[i].end_ms == 0)
				json_array_append_new(inc,
				    outage_json_full(q, &q->out[i]));
	ans = json_pack("{s:I,s:s,s:o,s:o,s:o}",
	    "generated_ms", (json_int_t)now, "timezone", hconf->av.tz,
	    "devices", devs, "availability", month_avail(now),
	    "incidents", inc);
	json_object_set_new(ans, "agents", wall_agents());
	reply_json(req, 200, "OK", ans);
}
