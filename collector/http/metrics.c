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
 * GET /metrics: Prometheus text format 0.0.4 (docs/api.md), with
 * blackbox_exporter's names for each check's last probe, each device's
 * state, and this month's availability of each group (wall.c's cached
 * figures, so that a scrape does not recompute them).
 */

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"

static void
label(struct evbuffer *b, const char *k, const char *v, int first)
{
	const unsigned char *p = (const unsigned char *)(v ? v : "");
	size_t	 n;

	/*
	 * The exposition format is UTF-8: a byte that is not becomes
	 * U+FFFD, or Prometheus drops the whole scrape.
	 */
	evbuffer_add_printf(b, "%s%s=\"", first ? "" : ",", k);
	for (; *p != '\0'; p += n) {
		n = fm_utf8_len(p, strnlen((const char *)p, 4));
		if (n == 0) {
			evbuffer_add(b, "\xef\xbf\xbd", 3);
			n = 1;
		} else if (*p == '\\' || *p == '"')
			evbuffer_add_printf(b, "\\%c", *p);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, p, n);
	}
	evbuffer_add(b, "\"", 1);
}

static void
check_labels(struct evbuffer *b, const struct device_state *d,
    const struct check_state *c)
{
	evbuffer_add(b, "{", 1);
	label(b, "device", d->id, 1);
	label(b, "check", c->id, 0);
	label(b, "group", d->group, 0);
	label(b, "class", d->class, 0);
	evbuffer_add(b, "}", 1);
}

/* One gauge per group from this month's availability document. */
static void
group_gauge(struct evbuffer *b, json_t *groups, const char *name,
    const char *help, const char *key, double scale)
{
	json_t	*g, *a;
	size_t	 i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
	    name);
	json_array_foreach(groups, i, g) {
		if (!json_is_number(a = json_object_get(g, key)))
			continue;
		evbuffer_add_printf(b, "%s{", name);
		label(b, "group", json_string_value(json_object_get(g, "id")), 1);
		evbuffer_add_printf(b, "} %.9g\n", json_number_value(a) / scale);
	}
}

/*
 * GET /metrics: Prometheus text format 0.0.4 with blackbox_exporter's
 * names for each check's last probe, plus this month's availability of
 * each group from the outage journal.
 */
void
api_metrics(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct device_state **v;
	struct evbuffer *b;
	json_t	*av, *groups;
	size_t	 i, n;
	int	 k;

	(void)rest;
	(void)who;
	if ((v = state_devices_sorted(&n)) == NULL ||
	    (b = evbuffer_new()) == NULL) {
		free(v);
		reply_error(req, 500, "Internal Server Error",
		    "out of memory");
		return;
	}
	evbuffer_add_printf(b, "# HELP probe_success Whether the last probe "
	    "succeeded (1) or failed (0).\n# TYPE probe_success gauge\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < v[i]->nchecks; k++) {
			const struct check_state *c = &v[i]->checks[k];

			if (!c->have_result || c->state == OS_UNKNOWN)
				continue;
			evbuffer_add(b, "probe_success", 13);
			check_labels(b, v[i], c);
			evbuffer_add_printf(b, " %d\n", c->state == OS_UP);
		}
	evbuffer_add_printf(b, "# HELP probe_duration_seconds How long the "
	    "last probe took.\n# TYPE probe_duration_seconds gauge\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < v[i]->nchecks; k++) {
			const struct check_state *c = &v[i]->checks[k];

			if (!c->have_result)
				continue;
			evbuffer_add(b, "probe_duration_seconds", 22);
			check_labels(b, v[i], c);
			evbuffer_add_printf(b, " %.6f\n", c->dur_us / 1e6);
		}
	evbuffer_add_printf(b, "# HELP facmon_device_up Device state: 1 up, "
	    "0.5 degraded, 0 down or unreachable; absent when unknown.\n"
	    "# TYPE facmon_device_up gauge\n");
	for (i = 0; i < n; i++) {
		if (v[i]->state == OS_UNKNOWN)
			continue;
		evbuffer_add(b, "facmon_device_up{", 17);
		label(b, "device", v[i]->id, 1);
		label(b, "group", v[i]->group, 0);
		label(b, "class", v[i]->class, 0);
		evbuffer_add_printf(b, "} %s\n", v[i]->state == OS_UP ? "1" :
		    v[i]->state == OS_DEGRADED ? "0.5" : "0");
	}
	free(v);
	evbuffer_add_printf(b, "# HELP facmon_wire_text_repaired_bytes_total "
	    "Bytes of text from agents that were not UTF-8 and were replaced "
	    "by '?'.\n# TYPE facmon_wire_text_repaired_bytes_total counter\n"
	    "facmon_wire_text_repaired_bytes_total %llu\n",
	    (unsigned long long)__atomic_load_n(&fm_wire_text_repaired,
	    __ATOMIC_RELAXED));
	av = month_avail(now_ms());
	groups = json_object_get(av, "groups");
	group_gauge(b, groups, "facmon_availability_ratio", "This month's "
	    "availability of a group (planned maintenance excluded).",
	    "availability", 1);
	group_gauge(b, groups, "facmon_availability_target_ratio", "The "
	    "group's availability target.", "target", 1);
	group_gauge(b, groups, "facmon_downtime_budget_left_seconds",
	    "Downtime the target still allows this month (negative: "
	    "overrun).", "budget_period_left_ms", 1000);
	json_decref(av);
	reply_text(req, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}
