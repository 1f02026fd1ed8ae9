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
 * The alerts' side of the console (docs/alerts.md): the outbox, with
 * the deliveries it holds and the queue's counters, and what each
 * delivery said.  The alert module keeps both (alert/alert.c) and hands
 * them as JSON made under its own lock.
 */

#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "../alert/alert.h"

/* GET /api/v1/alerts/outbox: its deliveries and counters. */
void
api_outbox(struct evhttp_request *req, const char *rest, const char *who)
{
	json_t	*o = alert_outbox_json();

	(void)rest;
	(void)who;
	if (o == NULL)
		reply_error(req, 500, "Internal Server Error", "out of memory");
	else
		reply_json(req, 200, "OK", o);
}

/*
 * What each delivery said (alerts.show_sent: the demo).  Not a missing
 * endpoint when off but one turned off: 403.
 */
void
api_sent(struct evhttp_request *req, const char *rest, const char *who)
{
	json_t	*o = alert_sent_json();

	(void)rest;
	(void)who;
	if (o == NULL)
		reply_error(req, 403, "Forbidden", "not enabled: "
		    "alerts.show_sent (docs/alerts.md)");
	else
		reply_json(req, 200, "OK", o);
}
