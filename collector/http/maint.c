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
 * Maintenance windows made through the web (docs/maintenance.md): the
 * list with each window's occurrences for the calendar, and a window
 * made, edited or cancelled.  The windows themselves are the
 * maintenance module's (collector/outage/maint.c), which writes them to
 * <data_dir>/maintenance.json off the loop and merges them with the
 * configuration's; this file turns requests into its calls and answers
 * once the file holds the change.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"

/*
 * Fill w from a request body: start_ms, end_ms (or duration_ms), reason,
 * devices, groups, classes.  On an update, absent members keep theirs.
 */
static int
win_from_body(struct evhttp_request *req, json_t *j, struct maint_window *w,
    int update)
{
	json_t	*dv = json_object_get(j, "devices"), *gv =
	    json_object_get(j, "groups"), *cv = json_object_get(j, "classes");
	json_t	*rp = json_object_get(j, "repeat");
	int64_t	 dur = -1;
	int	 r;

	if (rp != NULL && !json_is_null(rp)) {
		/* Recurring: repeat (weekly, monthly, cron), at, duration. */
		struct mw_rule t;
		char	 err[256];

		if (jget_str(req, j, "repeat", w->repeat, sizeof(w->repeat),
		    1) == -1 || jget_str(req, j, "at", w->at, sizeof(w->at),
		    1) == -1 || jget_ms(req, j, "duration_ms", &w->dur_ms,
		    1) == -1)
			return -1;
		if (w->dur_ms < 60000 || w->dur_ms > 24LL * 86400000) {
			reply_error(req, 400, "Bad Request", "a recurring "
			    "window lasts 1 minute to 24 days");
			return -1;
		}
		w->start_ms = w->end_ms = 0;
		if (maint_window_rule(w, &t, err, sizeof(err)) == -1) {
			reply_error(req, 400, "Bad Request", err);
			return -1;
		}
	} else {
		if (update && w->repeat[0] != '\0' &&
		    json_object_get(j, "start_ms") == NULL) {
			reply_error(req, 400, "Bad Request", "a recurring "
			    "window takes repeat, at and duration_ms");
			return -1;
		}
		w->repeat[0] = w->at[0] = '\0';
		w->dur_ms = 0;
		if ((r = jget_ms(req, j, "start_ms", &w->start_ms,
		    !update)) == -1)
			return -1;
		if (jget_ms(req, j, "duration_ms", &dur, 0) == -1 ||
		    jget_ms(req, j, "end_ms", &w->end_ms, 0) == -1)
			return -1;
		if (dur >= 0)
			w->end_ms = w->start_ms + dur;
		if (!update && w->end_ms == 0) {
			reply_error(req, 400, "Bad Request",
			    "give end_ms or duration_ms");
			return -1;
		}
		if (w->end_ms <= w->start_ms || w->end_ms - w->start_ms >
		    366LL * 86400 * 1000) {
			reply_error(req, 400, "Bad Request", "a window "
			    "ends after it starts and lasts at most a year");
			return -1;
		}
	}
	if (jget_str(req, j, "reason", w->reason, sizeof(w->reason),
	    !update) == -1)
		return -1;
	if (!maint_ids_ok(dv) || !maint_ids_ok(gv) || !maint_ids_ok(cv)) {
		reply_error(req, 400, "Bad Request", "devices, groups and "
		    "classes are lists of ids");
		return -1;
	}
	if (dv != NULL) {
		json_decref(w->devices);
		w->devices = json_incref(dv);
	}
	if (gv != NULL) {
		json_decref(w->groups);
		w->groups = json_incref(gv);
	}
	if (cv != NULL) {
		json_decref(w->classes);
		w->classes = json_incref(cv);
	}
	if (w->devices == NULL)
		w->devices = json_array();
	if (w->groups == NULL)
		w->groups = json_array();
	if (w->classes == NULL)
		w->classes = json_array();
	if (json_array_size(w->devices) + json_array_size(w->groups) +
	    json_array_size(w->classes) == 0) {
		reply_error(req, 400, "Bad Request", "a window names "
		    "devices, groups or classes");
		return -1;
	}
	return 0;
}

/*
 * GET /api/v1/maintenance[?from=&to=]: every window; with a range (ms, up
 * to 93 days) each also has its occurrences in it, for the calendar.
 */
void
api_maint_list(struct evhttp_request *req, const char *rest, const char *who)
{
	struct evkeyvalq args;
	json_t	*a;
	long long from = 0, to = 0;
	const char *fs, *ts;
	char	*e1 = NULL, *e2 = NULL;

	(void)rest;
	(void)who;
	if (http_query(req, &args) == -1)
		return;
	fs = evhttp_find_header(&args, "from");
	ts = evhttp_find_header(&args, "to");
	if (fs != NULL || ts != NULL) {
		if (fs != NULL)
			from = strtoll(fs, &e1, 10);
		if (ts != NULL)
			to = strtoll(ts, &e2, 10);
		if (fs == NULL || ts == NULL || *fs == '\0' || *ts == '\0' ||
		    *e1 != '\0' || *e2 != '\0')
			to = -1;
	}
	evhttp_clear_headers(&args);
	if (to < 0 || (a = maint_list_json(now_ms(), from, to)) == NULL) {
		reply_error(req, 400, "Bad Request", "from and to are ms, "
		    "at most 93 days apart");
		return;
	}
	reply_json(req, 200, "OK", json_pack("{s:s,s:o}", "timezone",
	    hconf->av.tz, "windows", a));
}

/*
 * A change of a window is answered once maintenance.json holds it (the
 * module writes it off the loop), and written to the audit log then.
 */
struct maint_req {
	struct evhttp_request *req;
	int		 code;		/* 200 or 201 */
	char		 user[64], ip[64], action[32];
};

static void
maint_saved(void *arg, int rc, const char *err, json_t *win)
{
	struct maint_req *m = arg;

	if (rc == -1 || win == NULL)
		reply_error(m->req, 503, "Service Unavailable", err);
	else
		audit_then_reply(m->req, m->user, m->ip, m->action,
		    json_deep_copy(win), m->code, json_incref(win));
	free(m);
}

static struct maint_req *
maint_req(struct evhttp_request *req, int code, const char *user,
    const char *action)
{
	struct maint_req *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return NULL;
	}
	m->req = req;
	m->code = code;
	fm_strlcpy(m->user, user, sizeof(m->user));
	fm_strlcpy(m->ip, web_peer(req), sizeof(m->ip));
	fm_strlcpy(m->action, action, sizeof(m->action));
	return m;
}

void
api_maint_change(struct evhttp_request *req, const char *id,
    const char *user)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct maint_window nw, *w;
	struct maint_req *m;
	json_t	*j = NULL;

	memset(&nw, 0, sizeof(nw));
	if (id == NULL) {
		if (cmd != EVHTTP_REQ_POST) {
			reply_error(req, 405, "Method Not Allowed",
			    "POST to make a window");
			return;
		}
		if (maint_full()) {
			reply_error(req, 507, "Insufficient Storage",
			    "too many windows");
			return;
		}
		if ((j = body_json(req)) == NULL)
			return;
		if (win_from_body(req, j, &nw, 0) == -1) {
			maint_window_free(&nw);
			json_decref(j);
			return;
		}
		json_decref(j);
		/* The id is given by maint_add: the reply is made after. */
		if ((m = maint_req(req, 201, user,
		    "maintenance-create")) == NULL) {
			maint_window_free(&nw);
			return;
		}
		if (maint_add(&nw, user, maint_saved, m) == -1) {
			maint_window_free(&nw);
			free(m);
			reply_error(req, 507, "Insufficient Storage",
			    "too many windows");
		}
		return;
	}
	if ((w = maint_find(id)) == NULL) {
		reply_error(req, 404, "Not Found", fm_valid_id(id) ?
		    "no such window made through the web (the "
		    "configuration's are edited there)" : "bad window id");
		return;
	}
	if (cmd == EVHTTP_REQ_DELETE) {
		if ((m = maint_req(req, 200, user,
		    "maintenance-cancel")) == NULL)
			return;
		maint_change(id, NULL, user, maint_saved, m);
		return;
	}
	if (cmd != EVHTTP_REQ_PUT) {
		reply_error(req, 405, "Method Not Allowed",
		    "PUT to edit, DELETE to cancel");
		return;
	}
	/* An edit is made on a copy: a refused body changes nothing. */
	nw = *w;
	json_incref(nw.devices);
	json_incref(nw.groups);
	json_incref(nw.classes);
	if ((j = body_json(req)) == NULL || win_from_body(req, j, &nw,
	    1) == -1) {
		maint_window_free(&nw);
		json_decref(j);
		return;
	}
	json_decref(j);
	if ((m = maint_req(req, 200, user, "maintenance-edit")) == NULL) {
		maint_window_free(&nw);
		return;
	}
	maint_change(id, &nw, user, maint_saved, m);
}

/* POST /api/v1/maintenance: a new window. */
void
api_maint_add(struct evhttp_request *req, const char *rest, const char *user)
{
	(void)rest;
	api_maint_change(req, NULL, user);
}
