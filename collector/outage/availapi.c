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
 * Availability for the API and the command line, from one function:
 * avail_json() computes a period from the outage journal's index and
 * renders every row the same way for both.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "outage.h"

static json_t *
num_or_null(double d)
{
	return isnan(d) || isinf(d) ? json_null() : json_real(d);
}

/*
 * A row: every figure from aq_figure(), the report's too, under its name
 * with "_ms" for times.  rest_ms: the part of the period asked for that
 * has not happened yet.
 */
static json_t *
row_json(const struct aq_row *w, int64_t rest_ms)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", fm_jstr(w->key));
	json_object_set_new(o, "name", fm_jstr(w->name));
	json_object_set_new(o, "devices", json_integer(w->ndevices));
	aq_figures_json(o, w, rest_ms, 0);
	return o;
}

static json_t *
rows_json(const struct aq_row *rows, size_t n, const char *only,
    int64_t rest_ms)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		if (only == NULL || strcmp(rows[i].key, only) == 0)
			json_array_append_new(a, row_json(&rows[i], rest_ms));
	return a;
}

/*
 * The latency targets (latency_share indicators): of the probes of the
 * checks each covers, how many succeeded within its bound, counted by
 * the collector per check (latency.c) into the journal.
 */
static json_t *
latency_json(const struct aq *q, const struct avconf *av,
    const struct aq_device *only, int64_t from, int64_t to)
{
	json_t	*a = json_array();
	uint64_t n, ok;
	int	 i;

	for (i = 0; i < av->nind; i++) {
		const struct av_indicator *x = &av->ind[i];
		double	 share;

		if (x->metric != AVI_LATENCY_SHARE || (only != NULL &&
		    !avi_covers(x, only->id, only->group, only->cls)))
			continue;
		aq_latency(q, x, only, from, to, &n, &ok);
		share = n ? (double)ok / (double)n : NAN;
		json_array_append_new(a, json_pack("{s:s,s:f,s:I,s:I,s:o,s:f,"
		    "s:o}", "indicator", x->id, "bound_ms", x->latency_ms,
		    "probes", (json_int_t)n, "within", (json_int_t)ok,
		    "share", num_or_null(share), "target", x->target, "met",
		    n == 0 ? json_null() : json_boolean(avi_compare(x->cmp,
		    share, x->target))));
	}
	return a;
}

/*
 * Unplanned fault time from the 1st of January to 'to' in the zone, per
 * device, against the evaluation's "yearly fault time < 1 day".
 */
static json_t *
fault_ytd_json(struct aq *q, const struct avconf *av, int64_t to)
{
	struct aq_row *dr = NULL, *gr = NULL, *cr = NULL, site;
	size_t	 ng = 0, nc = 0;
	int64_t	 y0, y1, next;
	time_t	 t = (time_t)(to / 1000);
	struct tm tm;
	double	 per;
	json_t	*o;
	int	 y;

	gmtime_r(&t, &tm);
	/* The zone's year may begin or end hours apart from UTC's. */
	y = tm.tm_year + 1900;
	if (av_month_range(y + 1, 1, av->tz, &next, &y1) == 0 && to > next)
		y++;
	if (av_month_range(y, 1, av->tz, &y0, &y1) == -1)
		return json_null();
	if (y0 >= to && av_month_range(--y, 1, av->tz, &y0, &y1) == -1)
		return json_null();
	if (aq_compute(q, av->rules, av->nrules, av->targets, av->ntargets,
	    y0, to, &dr, &gr, &ng, &cr, &nc, &site) == -1)
		return json_null();
	per = site.ndevices ? (double)site.r.down_ms / site.ndevices : NAN;
	o = json_pack("{s:I,s:I,s:I,s:i,s:o,s:I,s:o}", "from_ms",
	    (json_int_t)y0, "to_ms", (json_int_t)to, "down_ms",
	    (json_int_t)site.r.down_ms, "devices", site.ndevices,
	    "per_device_ms", num_or_null(per), "target_ms",
	    (json_int_t)86400000, "met", isnan(per) ? json_null() :
	    json_boolean(per < 86400000.0));
	free(dr);
	free(gr);
	free(cr);
	return o;
}

/*
 * Uptime bars: n buckets of span_ms each, the last ending at 'to', each
 * device's availability (null: nothing seen) and down time per bucket.
 * One aq_compute per bucket over the index in memory: 30 buckets of a
 * few hundred devices is milliseconds.
 */
json_t *
uptime_json(struct aq *q, const struct avconf *av, int64_t to,
    int64_t span_ms, int n)
{
	json_t	*o = json_object(), *devs = json_object();
	struct aq_row *dr, *gr, *cr, site;
	size_t	 ng, nc, i;
	int	 b;

	for (i = 0; i < q->ndev; i++)
		json_object_set_new(devs, q->dev[i].id, json_pack("{s:[],s:[]}",
		    "availability", "down_ms"));
	for (b = 0; b < n; b++) {
		int64_t	 from = to - (int64_t)(n - b) * span_ms;
		int64_t	 end = from + span_ms;

		/* Time that has not happened yet is neither up nor unknown. */
		if (end > now_ms())
			end = now_ms();
		if (end <= from)
			end = from + 1;
		dr = gr = cr = NULL;
		ng = nc = 0;
		if (aq_compute(q, av->rules, av->nrules, av->targets,
		    av->ntargets, from, end, &dr, &gr, &ng, &cr, &nc,
		    &site) == -1) {
			json_decref(o);
			json_decref(devs);
			return NULL;
		}
		for (i = 0; i < q->ndev; i++) {
			json_t	*d = json_object_get(devs, dr[i].key);

			json_array_append_new(json_object_get(d, "availability"),
			    num_or_null(dr[i].r.availability));
			json_array_append_new(json_object_get(d, "down_ms"),
			    json_integer(dr[i].r.down_ms));
		}
		free(dr);
		free(gr);
		free(cr);
	}
	json_object_set_new(o, "from_ms", json_integer(to - (int64_t)n *
	    span_ms));
	json_object_set_new(o, "to_ms", json_integer(to));
	json_object_set_new(o, "span_ms", json_integer(span_ms));
	json_object_set_new(o, "devices", devs);
	return o;
}

/*
 * The period [from, to) over what the index knows, ended by
 * av_period_end() as the report ends it: time that has not happened yet
 * is neither up nor unknown.
 */
json_t *
avail_json(struct aq *q, const struct avconf *av, int64_t from, int64_t to,
    const char *group, int with_devices, char *err, size_t errlen)
{
	struct aq_row *dr = NULL, *gr = NULL, *cr = NULL, site;
	size_t	 ng = 0, nc = 0, i;
	int64_t	 end, rest;
	json_t	*o, *devs;
	int	 open;

	if (!AV_PERIOD_OK(from, to)) {
		snprintf(err, errlen, "the period must lie between 1970 and "
		    "the year 9999 (from and to in ms since 1970)");
		return NULL;
	}
	if ((open = av_period_end(from, to, now_ms(), &end)) == -1) {
		snprintf(err, errlen, "the period has not begun");
		return NULL;
	}
	rest = to - end;
	to = end;
	q->charge_blips = av->charge_blips;
	if (aq_compute(q, av->rules, av->nrules, av->targets, av->ntargets,
	    from, to, &dr, &gr, &ng, &cr, &nc, &site) == -1) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "from_ms", json_integer(from));
	json_object_set_new(o, "to_ms", json_integer(to));
	json_object_set_new(o, "period_end_ms", json_integer(to + rest));
	json_object_set_new(o, "open", json_boolean(open));
	json_object_set_new(o, "timezone", json_string(av->tz));
	json_object_set_new(o, "method", json_string(
	    "up / (period - planned - unknown - unreachable), from the outage "
	    "journal; groups and classes are device-time weighted "
	    "(docs/availability.md)"));
	if (group == NULL)
		json_object_set_new(o, "site", row_json(&site, rest));
	json_object_set_new(o, "groups", rows_json(gr, ng, group, rest));
	if (group == NULL)
		json_object_set_new(o, "classes", rows_json(cr, nc, NULL, rest));
	json_object_set_new(o, "latency", latency_json(q, av, NULL, from, to));
	if (with_devices) {
		devs = json_array();
		for (i = 0; i < q->ndev; i++) {
			json_t	*row;

			if (group != NULL && strcmp(q->dev[i].group, group) != 0)
				continue;
			row = row_json(&dr[i], rest);
			json_object_set_new(row, "latency", latency_json(q, av,
			    &q->dev[i], from, to));
			json_array_append_new(devs, row);
		}
		json_object_set_new(o, "devices", devs);
	}
	free(dr);
	free(gr);
	free(cr);
	if (group == NULL)
		json_object_set_new(o, "fault_time_ytd", fault_ytd_json(q, av,
		    to));
	return o;
}

/* "2026-11" → that month in tz. */
int
avail_parse_month(const char *s, const char *tz, int64_t *from, int64_t *to)
{
	int	 y, m, n = 0;

	if (sscanf(s, "%d-%d%n", &y, &m, &n) != 2 || s[n] != '\0')
		return -1;
	return av_month_range(y, m, tz, from, to);
}

static const char *
pct(double d, char *buf, size_t len)
{
	if (isnan(d))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4f %%", d * 100.0);
	return buf;
}

static const char *
dur(double ms, char *buf, size_t len)
{
	long	 s;

	if (isnan(ms)) {
		snprintf(buf, len, "-");
		return buf;
	}
	s = (long)(ms / 1000.0 + 0.5);
	if (s >= 86400)
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lds", s);
	return buf;
}

static void
print_rows(json_t *a)
{
	size_t	 i;
	json_t	*r;
	char	 b1[32], b2[32], b3[32], b4[32];

	json_array_foreach(a, i, r) {
		json_t	*t = json_object_get(r, "mttr_ms");

		printf("%-24s %5lld %12s %10s %8s %4lld %8s %12s\n",
		    json_string_value(json_object_get(r, "id")),
		    (long long)json_integer_value(json_object_get(r,
		    "devices")),
		    pct(json_is_number(json_object_get(r, "availability")) ?
		    json_number_value(json_object_get(r, "availability")) : NAN,
		    b1, sizeof(b1)),
		    dur((double)json_integer_value(json_object_get(r,
		    "down_ms")), b2, sizeof(b2)),
		    dur((double)json_integer_value(json_object_get(r,
		    "unknown_ms")), b3, sizeof(b3)),
		    (long long)json_integer_value(json_object_get(r,
		    "outages")),
		    dur(json_is_number(t) ? json_number_value(t) : NAN, b4,
		    sizeof(b4)),
		    pct(json_is_number(json_object_get(r, "coverage")) ?
		    json_number_value(json_object_get(r, "coverage")) : NAN,
		    b1, sizeof(b1)));
	}
}

/*
 * facmon-collector [-f conf] avail [--month YYYY-MM | --from MS --to MS]
 *     [--group G] [--devices] [--json] [--journal FILE]
 */
int
avail_main(const struct collector_conf *conf, int argc, char *argv[])
{
	const char *month = NULL, *group = NULL, *tz = conf->av.tz;
	char	 journal[PATH_MAX + 32], err[256], *s;
	int64_t	 from = 0, to = 0;
	int	 i, as_json = 0, devices = 0, rc = 0;
	struct aq q;
	json_t	*o;

	snprintf(journal, sizeof(journal), "%s/outages.fmoj", conf->data_dir);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0)
			as_json = 1;
		else if (strcmp(a, "--devices") == 0)
			devices = 1;
		else if (v != NULL && strcmp(a, "--month") == 0) {
			month = v;
			i++;
		} else if (v != NULL && strcmp(a, "--group") == 0) {
			group = v;
			i++;
		} else if (v != NULL && strcmp(a, "--from") == 0) {
			from = strtoll(v, &s, 10);
			i++;
		} else if (v != NULL && strcmp(a, "--to") == 0) {
			to = strtoll(v, &s, 10);
			i++;
		} else if (v != NULL && strcmp(a, "--journal") == 0) {
			fm_strlcpy(journal, v, sizeof(journal));
			i++;
		} else {
			fprintf(stderr, "usage: facmon-collector [-f conf] avail "
			    "[--month YYYY-MM | --from MS --to MS] [--group G] "
			    "[--devices] [--json] [--journal FILE]\n");
			return 2;
		}
	}
	if (month != NULL) {
		if (avail_parse_month(month, tz, &from, &to) == -1) {
			fprintf(stderr, "avail: bad month '%s' (YYYY-MM)\n",
			    month);
			return 2;
		}
	} else if (to == 0) {
		int	 y, m;

		/* This month in the configured zone, not the process's. */
		if (av_month_of(now_ms(), tz, &y, &m) == -1 ||
		    av_month_range(y, m, tz, &from, &to) == -1) {
			fprintf(stderr, "avail: bad time zone '%s'\n", tz);
			return 2;
		}
	}
	aq_init(&q);
	if (aq_load(&q, journal, err, sizeof(err)) == -1) {
		fprintf(stderr, "avail: %s\n", err);
		aq_free(&q);
		return 1;
	}
	if ((o = avail_json(&q, &conf->av, from, to, group, devices, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "avail: %s\n", err);
		aq_free(&q);
		return 1;
	}
	if (as_json) {
		char	*text = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);

		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		printf("%-24s %5s %12s %10s %8s %4s %8s %12s\n", "", "devs",
		    "availability", "down", "unknown", "outs", "MTTR",
		    "coverage");
		if (json_object_get(o, "site") != NULL) {
			json_t	*a = json_array();

			json_array_append(a, json_object_get(o, "site"));
			print_rows(a);
			json_decref(a);
		}
		print_rows(json_object_get(o, "groups"));
		if (devices)
			print_rows(json_object_get(o, "devices"));
	}
	if (q.st.torn_bytes > 0) {
		fprintf(stderr, "avail: the journal ends in %llu unreadable "
		    "bytes (%s)\n", (unsigned long long)q.st.torn_bytes,
		    q.st.torn_why);
		rc = 1;
	}
	json_decref(o);
	aq_free(&q);
	return rc;
}
