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
 * What happened, as lists other modules keep: the operators' events
 * (an agent lost, storage, clock skew; core/events.c) with their text
 * in the pages' language, and the traps received lately
 * (ingest/traps.c).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "../alert/alert.h"

/* /api/v1/events[?after=ID]: operator events, oldest first. */
void
api_events(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = evhttp_uri_get_query(uri), *v;
	struct evkeyvalq args;
	const struct fm_event *ev;
	unsigned long long after = 0;
	size_t	 n, i;
	json_t	*a;
	char	*end, text[FM_TEXT_MAX * 3];
	int	 en;

	(void)rest;
	(void)who;
	TAILQ_INIT(&args);
	if (q != NULL && evhttp_parse_query_str(q, &args) == 0 &&
	    (v = evhttp_find_header(&args, "after")) != NULL) {
		after = strtoull(v, &end, 10);
		if (*v == '\0' || *end != '\0') {
			evhttp_clear_headers(&args);
			reply_error(req, 400, "Bad Request", "bad 'after'");
			return;
		}
	}
	evhttp_clear_headers(&args);
	ev = events_since(after, &n);
	/* The text in the alerts' language, else the report's. */
	en = http_english();
	a = json_array();
	for (i = 0; i < n; i++) {
		alert_event_text(text, sizeof(text), ev[i].kind, ev[i].agent,
		    ev[i].n[0], ev[i].n[1], ev[i].arg, ev[i].msg, en);
		json_array_append_new(a, json_pack("{s:o,s:o,s:s,s:o,s:o,s:o}",
		    "id", jint((int64_t)ev[i].id), "ts_ms", jint(ev[i].ts_ms),
		    "kind", ev[i].kind, "agent", ev[i].agent[0] ?
		    jstr(ev[i].agent) : json_null(), "message",
		    jstr(ev[i].msg), "text", jstr(text)));
	}
	reply_json(req, 200, "OK", a);
}

/* /api/v1/traps: the traps received lately, as ingest/traps.c keeps them. */
void
api_traps(struct evhttp_request *req, const char *rest, const char *who)
{
	(void)rest;
	(void)who;
	reply_json(req, 200, "OK", traps_json());
}
