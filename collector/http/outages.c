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
 * Outages as the outage journal records them (docs/api.md,
 * docs/availability.md): the list, its acknowledgements, classes and
 * notes, each written to the journal as a record of its own and never
 * as an edit; the availability of a period; and the uptime bars of the
 * availability page.  All read the journal's index in memory
 * (outage_aq), so no request waits on the disk but an annotation's
 * append.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"

/*
 * Why an outage began, in words (common/cause.c); "cause" keeps the
 * journal's own text for engineers.
 */
static json_t *
outage_cause_text(const struct aq_outage *o)
{
	char	 t[FM_TEXT_MAX * 2];

	fm_cause_text(t, sizeof(t), o->cause, 0, -1, 0, 0, http_english());
	return fm_jstr(t);
}

static json_t *
outage_json(const struct aq *q, const struct aq_outage *o)
{
	struct aq_device *d = aq_device((struct aq *)q, o->device);
	json_t	*j;

	/*
	 * Names and notes go through fm_jstr: a byte of a local code
	 * page in an old journal must not make the outage vanish (jansson
	 * refuses the whole object for one invalid string).
	 */
	j = json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:s,s:o,s:o,"
	    "s:o,s:b}",
	    "device", fm_jstr(o->device),
	    "name", fm_jstr(d != NULL ? d->name : o->device),
	    "group", fm_jstr(d != NULL ? d->group : ""),
	    "check", fm_jstr(o->check),
	    "start_ms", (json_int_t)o->start_ms,
	    "end_ms", o->end_ms ? json_integer(o->end_ms) : json_null(),
	    "confirmed_ms", o->confirmed_ms ? json_integer(o->confirmed_ms) :
	    json_null(),
	    "acked_ms", o->acked_ms ? json_integer(o->acked_ms) : json_null(),
	    "acked_by", o->acked_by[0] ? fm_jstr(o->acked_by) :
	    json_null(),
	    "class", oj_class_name(o->cls),
	    "classified_by", o->classified_by[0] ?
	    fm_jstr(o->classified_by) : json_null(),
	    "cause", fm_jstr(o->cause), "note", fm_jstr(o->note),
	    "open", o->end_ms == 0);
	json_object_set_new(j, "cause_text", outage_cause_text(o));
	return j;
}

/* outage_json and what the console adds: the parent, the ack's comment. */
json_t *
outage_json_full(const struct aq *q, const struct aq_outage *o)
{
	struct aq_device *d = aq_device((struct aq *)q, o->device);
	json_t	*j = outage_json(q, o);

	json_object_set_new(j, "parent", json_string(d != NULL ?
	    d->parent : ""));
	json_object_set_new(j, "ack_comment", json_string(o->ack_comment));
	return j;
}

/*
 * GET /api/v1/outages[?device=&group=&from=&to=&open=1|0&limit=N]: the
 * newest first.  A period keeps the outages that overlap it.
 */
void
api_outages(struct evhttp_request *req, const char *rest, const char *who)
{
	struct aq *q = outage_aq();
	struct evkeyvalq args;
	const char *dev, *grp, *open, *lim;
	int64_t	 from = 0, to = INT64_MAX;
	long	 limit = 500, n = 0;
	json_t	*a;
	size_t	 i;
	char	*end;

	(void)rest;
	(void)who;
	if (http_query(req, &args) == -1)
		return;
	dev = evhttp_find_header(&args, "device");
	grp = evhttp_find_header(&args, "group");
	open = evhttp_find_header(&args, "open");
	lim = evhttp_find_header(&args, "limit");
	if ((dev != NULL && !fm_valid_id(dev)) ||
	    (grp != NULL && !fm_valid_id(grp))) {
		reply_error(req, 400, "Bad Request", "bad device or group");
		goto done;
	}
	if (open != NULL && strcmp(open, "0") != 0 && strcmp(open, "1") != 0) {
		reply_error(req, 400, "Bad Request", "open must be 0 or 1");
		goto done;
	}
	if (lim != NULL) {
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 ||
		    limit > 10000) {
			reply_error(req, 400, "Bad Request",
			    "limit must be 1..10000");
			goto done;
		}
	}
	if (qget_ms(req, &args, "from", &from) == -1 ||
	    qget_ms(req, &args, "to", &to) == -1)
		goto done;
	if (to <= from) {
		reply_error(req, 400, "Bad Request", "to must be after "
		    "from");
		goto done;
	}
	if (q == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		goto done;
	}
	a = json_array();
	for (i = q->nout; i-- > 0 && n < limit;) {
		const struct aq_outage *o = &q->out[i];
		struct aq_device *d;

		if (dev != NULL && strcmp(o->device, dev) != 0)
			continue;
		if (grp != NULL && ((d = aq_device(q, o->device)) == NULL ||
		    strcmp(d->group, grp) != 0))
			continue;
		if (open != NULL && (o->end_ms == 0) != (open[0] == '1'))
			continue;
		if (o->start_ms >= to || (o->end_ms != 0 && o->end_ms <= from))
			continue;
		json_array_append_new(a, outage_json_full(q, o));
		n++;
	}
	reply_json(req, 200, "OK", json_pack("{s:I,s:o}", "generated_ms",
	    (json_int_t)now_ms(), "outages", a));
done:
	evhttp_clear_headers(&args);
}

/* POST /api/v1/outages/{ack,classify,note}. */
void
api_annotate(struct evhttp_request *req, const char *what, const char *user)
{
	struct aq *q = outage_aq();
	char	 device[64], check[64] = "", text[256] = "", cls[32] = "";
	const char *textkey;
	int64_t	 start;
	int	 type, c = 0, found = 0;
	size_t	 i;
	json_t	*j;

	if (strcmp(what, "ack") == 0) {
		type = OJ_ACK;
		textkey = "comment";
	} else if (strcmp(what, "classify") == 0) {
		type = OJ_CLASSIFY;
		textkey = "reason";
	} else if (strcmp(what, "note") == 0) {
		type = OJ_NOTE;
		textkey = "note";
	} else {
		reply_error(req, 404, "Not Found", "no such API endpoint");
		return;
	}
	if ((j = body_json(req)) == NULL)
		return;
	if (jget_str(req, j, "device", device, sizeof(device), 1) != 1 ||
	    jget_str(req, j, "check", check, sizeof(check), 0) == -1 ||
	    jget_ms(req, j, "start_ms", &start, 1) != 1 ||
	    jget_str(req, j, textkey, text, sizeof(text),
	    type != OJ_ACK) == -1 ||
	    (type == OJ_CLASSIFY &&
	    jget_str(req, j, "class", cls, sizeof(cls), 1) != 1)) {
		json_decref(j);
		return;
	}
	json_decref(j);
	if (!fm_valid_id(device) || (check[0] != '\0' && !fm_valid_id(check))) {
		reply_error(req, 400, "Bad Request", "bad device or check");
		return;
	}
	if (type == OJ_NOTE && text[0] == '\0') {
		reply_error(req, 400, "Bad Request", "the note is empty");
		return;
	}
	if (type == OJ_CLASSIFY) {
		for (c = 0; c < OJC_MAX; c++)
			if (strcmp(oj_class_name(c), cls) == 0)
				break;
		if (c == OJC_MAX) {
			reply_error(req, 400, "Bad Request", "class must "
			    "be unplanned, planned or external");
			return;
		}
		if (text[0] == '\0') {
			reply_error(req, 400, "Bad Request",
			    "a reclassification needs a reason");
			return;
		}
	}
	if (q == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		return;
	}
	for (i = 0; i < q->nout && !found; i++)
		found = strcmp(q->out[i].device, device) == 0 &&
		    strcmp(q->out[i].check, check) == 0 &&
		    q->out[i].start_ms == start;
	if (!found) {
		reply_error(req, 404, "Not Found", "no such outage");
		return;
	}
	if (outage_annotate(type, device, check, start, user, text, c) == -1) {
		reply_error(req, 503, "Service Unavailable",
		    "the outage journal could not be written");
		return;
	}
	for (i = 0; i < q->nout; i++)
		if (strcmp(q->out[i].device, device) == 0 &&
		    strcmp(q->out[i].check, check) == 0 &&
		    q->out[i].start_ms == start)
			break;
	audit_then_reply(req, user, web_peer(req), what == NULL ? "" : what,
	    json_pack("{s:s,s:s,s:I,s:s,s:s}", "device", device, "check",
	    check, "start_ms", (json_int_t)start, "text", text, "class",
	    type == OJ_CLASSIFY ? oj_class_name(c) : ""), 200,
	    outage_json_full(q, &q->out[i]));
}

/*
 * GET /api/v1/availability?month=YYYY-MM | from=MS&to=MS [&group=G]
 * [&devices=1]: the period from the outage journal (docs/availability.md).
 */
void
api_availability(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = evhttp_uri_get_query(uri), *month, *from_s, *to_s;
	const char *group, *devs;
	struct evkeyvalq args;
	int64_t	 from = 0, to = 0;
	char	 err[256], *end;
	struct aq *aq = outage_aq();
	json_t	*o;

	(void)rest;
	(void)who;
	TAILQ_INIT(&args);
	if (q != NULL && evhttp_parse_query_str(q, &args) == -1) {
		reply_error(req, 400, "Bad Request", "bad query string");
		return;
	}
	month = evhttp_find_header(&args, "month");
	from_s = evhttp_find_header(&args, "from");
	to_s = evhttp_find_header(&args, "to");
	group = evhttp_find_header(&args, "group");
	devs = evhttp_find_header(&args, "devices");
	if (month != NULL) {
		if (avail_parse_month(month, hconf->av.tz, &from, &to) == -1) {
			reply_error(req, 400, "Bad Request",
			    "month must be YYYY-MM");
			goto done;
		}
	} else if (from_s != NULL && to_s != NULL) {
		errno = 0;
		from = strtoll(from_s, &end, 10);
		if (*end != '\0' || end == from_s || errno != 0) {
			reply_error(req, 400, "Bad Request", "bad 'from'");
			goto done;
		}
		to = strtoll(to_s, &end, 10);
		if (*end != '\0' || end == to_s || errno != 0 || to <= from) {
			reply_error(req, 400, "Bad Request", "bad 'to'");
			goto done;
		}
	} else {
		reply_error(req, 400, "Bad Request",
		    "give month=YYYY-MM, or from= and to= in ms");
		goto done;
	}
	if (group != NULL && !fm_valid_id(group)) {
		reply_error(req, 400, "Bad Request", "bad group");
		goto done;
	}
	if (aq == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		goto done;
	}
	if ((o = avail_json(aq, maint_avconf() != NULL ? maint_avconf() :
	    &hconf->av, from, to, group,
	    devs != NULL && strcmp(devs, "1") == 0, err, sizeof(err))) == NULL) {
		reply_error(req, 400, "Bad Request", err);
		goto done;
	}
	reply_json(req, 200, "OK", o);
done:
	evhttp_clear_headers(&args);
}

/*
 * GET /api/v1/uptime?range=24h|30d: each device's availability per hour
 * of the last 24 hours or per day of the last 30 days, for the bars on
 * the availability page (the current, partial hour or day is the last).
 */
void
api_uptime(struct evhttp_request *req, const char *rest, const char *who)
{
	struct evkeyvalq args;
	struct aq *q = outage_aq();
	const char *r;
	int64_t	 span = 3600000, now = now_ms(), to;
	int	 n = 24;
	json_t	*o;

	(void)rest;
	(void)who;
	if (http_query(req, &args) == -1)
		return;
	r = evhttp_find_header(&args, "range");
	if (r != NULL && strcmp(r, "30d") == 0) {
		span = 86400000;
		n = 30;
	} else if (r != NULL && strcmp(r, "24h") != 0) {
		evhttp_clear_headers(&args);
		reply_error(req, 400, "Bad Request",
		    "range is 24h or 30d");
		return;
	}
	evhttp_clear_headers(&args);
	if (q == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		return;
	}
	/* Buckets end on the next whole hour (UTC; the zones are whole). */
	to = (now / 3600000 + 1) * 3600000;
	if ((o = uptime_json(q, maint_avconf(), to, span, n)) == NULL) {
		reply_error(req, 500, "Internal Server Error",
		    "out of memory");
		return;
	}
	json_object_set_new(o, "generated_ms", json_integer(now));
	reply_json(req, 200, "OK", o);
}
