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
 * GET /api/v1/devices and /api/v1/devices/{id}: each device as the
 * state module holds it, its checks, their last results and values.
 * The JSON of a device is made here only, so that the list, the device
 * page and the wall (wall.c, through http_device_json) say the same
 * thing; strings from agents go through fm_jstr, which keeps an invalid
 * byte from making jansson refuse the whole document.
 */

#include <stdlib.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"

static json_t *
value_json(const struct value_state *v)
{
	switch (v->kind) {
	case VK_GAUGE:
		return json_pack("{s:s,s:o}", "kind", "gauge", "value",
		    jnum(v->d));
	case VK_COUNTER:
		/* JSON integers are signed 64-bit in jansson. */
		return json_pack("{s:s,s:o,s:o}", "kind", "counter", "raw",
		    v->u <= INT64_MAX ? jint((int64_t)v->u) :
		    json_real((double)v->u), "rate", jnum(v->d));
	case VK_TEXT:
		return json_pack("{s:s,s:o}", "kind", "text", "value",
		    jstr(v->text != NULL ? v->text : ""));
	}
	return json_null();
}

/*
 * Why a check fails, in words (common/cause.c), beside the agent's raw
 * message; null while it has no result or is fine.
 */
static json_t *
check_cause_text(const struct check_state *c)
{
	char	 t[FM_TEXT_MAX * 2];

	if (!c->have_result || c->outcome == PR_OK)
		return json_null();
	fm_cause_text(t, sizeof(t), c->msg, c->type, c->outcome,
	    c->timeout_ms, (int)(c->dur_us / 1000), http_english());
	return jstr(t);
}

static json_t *
check_json(const struct check_state *c)
{
	json_t	*j, *vals;
	int	 i;

	vals = json_object();
	for (i = 0; i < c->nvalues; i++) {
		json_t *k = jstr(c->values[i].name);

		json_object_set_new_nocheck(vals, json_string_value(k),
		    value_json(&c->values[i]));
		json_decref(k);
	}
	valmeta_values_json(vals, c);
	j = json_pack("{s:o,s:s,s:b,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "id", jstr(c->id),
	    "type", check_type_name(c->type),
	    "critical", c->critical,
	    "state", state_name(c->state),
	    "since_ms", c->since_ms > 0 ? jint(c->since_ms) : json_null(),
	    "outcome", c->have_result ?
	    json_string(probe_result_name(c->outcome)) : json_null(),
	    "message", c->have_result ? jstr(c->msg) : json_null(),
	    "last_ms", c->have_result ? jint(c->last_ms) : json_null(),
	    "duration_ms", c->have_result ? json_real(c->dur_us / 1000.0) :
	    json_null(),
	    "interval_ms", jint(c->interval_ms),
	    "timeout_ms", jint(c->timeout_ms),
	    "values", vals);
	json_object_set_new(j, "cause_text", check_cause_text(c));
	json_object_set_new(j, "flapping", json_boolean(c->flapping));
	/* Every result counted, late ones too: what availability needs. */
	json_object_set_new(j, "results", json_pack("{s:o,s:o,s:o}",
	    "total", jint((int64_t)c->nresults),
	    "up", jint((int64_t)c->nresults_up),
	    "unknown", jint((int64_t)c->nresults_unknown)));
	return j;
}

static json_t *
device_json(const struct device_state *d)
{
	json_t	*checks = json_array();
	int	 i;

	for (i = 0; i < d->nchecks; i++)
		json_array_append_new(checks, check_json(&d->checks[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o}",
	    "id", jstr(d->id),
	    "name", jstr(d->name),
	    "class", jstr(d->class),
	    "group", jstr(d->group),
	    "address", jstr(d->address),
	    "parent", d->parent[0] ? jstr(d->parent) : json_null(),
	    "agent", jstr(d->agent),
	    "state", state_name(d->state),
	    "since_ms", d->since_ms > 0 ? jint(d->since_ms) : json_null(),
	    "checks", checks);
}

/* For wall.c: the same JSON as /api/v1/devices/{id}. */
json_t *
http_device_json(const struct device_state *d)
{
	return device_json(d);
}

void
api_devices(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct device_state **v;
	json_t	*arr;
	size_t	 i, n;

	(void)rest;
	(void)who;
	if ((v = state_devices_sorted(&n)) == NULL) {
		reply_error(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, device_json(v[i]));
	free(v);
	reply_json(req, 200, "OK", json_pack("{s:o,s:o}", "generated_ms",
	    jint(now_ms()), "devices", arr));
}

void
api_device(struct evhttp_request *req, const char *id, const char *who)
{
	const struct device_state *d;
	json_t	*o;

	(void)who;
	if (!fm_valid_id(id)) {
		reply_error(req, 400, "Bad Request", "invalid device id");
		return;
	}
	if ((d = state_find_device(id)) == NULL) {
		reply_error(req, 404, "Not Found", "no such device");
		return;
	}
	o = device_json(d);
	webapi_device_extra(o, d);
	reply_json(req, 200, "OK", o);
}
