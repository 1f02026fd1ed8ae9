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
 * One router for the collector's web: every path, its methods, who may
 * use it and its handler, in one table, and access decided here and
 * nowhere else.  The classes:
 *   public: anyone (the login itself, the page that shows its form, the
 *           acknowledge link, which carries its own signed token);
 *   read:   anyone while public_wall is true, else a session;
 *   change: a session, its CSRF token and an application/json body.
 * The first row whose path matches (exactly, or as a prefix when it ends
 * in '/') and whose methods include the request's is taken.  A GET of a
 * path no row names is a file of the page, and "read", so that a private
 * wall keeps whatever is added later private until it is listed here.
 * tests/integration/test_hostile_input.py walks this table.
 */

#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"

#define M_GET		0x01	/* and HEAD */
#define M_POST		0x02
#define M_PUT		0x04
#define M_DELETE	0x08

/*
 * The acknowledge link of an alert (alerting.c) checks its own token;
 * when the console has logins it asks for one (docs/alerts.md).
 */
static void
get_ack(struct evhttp_request *req, const char *rest, const char *who)
{
	struct ack_web w = { webapi_logins(), who, webapi_form_login };

	(void)rest;
	alerting_ack_http(req, "/ack", &w);
}

static const struct route {
	const char	*path;
	unsigned	 methods;
	enum web_access	 access;
	route_fn	 fn;
} routes[] = {
	/* Sessions. */
	{ "/api/v1/login",	M_POST,	WA_PUBLIC,	api_login },
	{ "/api/v1/session",	M_GET,	WA_PUBLIC,	api_session },
	{ "/api/v1/logout",	M_POST,	WA_CHANGE,	api_logout },
	/* Devices and the wall. */
	{ "/api/v1/devices",	M_GET,	WA_READ,	api_devices },
	{ "/api/v1/devices/",	M_GET,	WA_READ,	api_device },
	{ "/api/v1/wall",	M_GET,	WA_READ,	api_wall },
	{ "/api/v1/series/",	M_GET,	WA_READ,	api_series },
	{ "/api/v1/rrd",	M_GET,	WA_READ,	api_rrd },
	/* Outages and availability. */
	{ "/api/v1/outages",	M_GET,	WA_READ,	api_outages },
	{ "/api/v1/outages/",	M_POST,	WA_CHANGE,	api_annotate },
	{ "/api/v1/availability", M_GET, WA_READ,	api_availability },
	{ "/api/v1/uptime",	M_GET,	WA_READ,	api_uptime },
	/* Maintenance windows. */
	{ "/api/v1/maintenance", M_GET,	WA_READ,	api_maint_list },
	{ "/api/v1/maintenance", M_POST, WA_CHANGE,	api_maint_add },
	{ "/api/v1/maintenance/", M_PUT | M_DELETE, WA_CHANGE,
	    api_maint_change },
	/* Alerts, traps, reports, the collector itself. */
	{ "/api/v1/alerts/outbox", M_GET, WA_READ,	api_outbox },
	{ "/api/v1/alerts/sent", M_GET,	WA_READ,	api_sent },
	{ "/api/v1/traps",	M_GET,	WA_READ,	api_traps },
	{ "/api/v1/reports",	M_GET,	WA_READ,	api_reports },
	{ "/api/v1/stats",	M_GET,	WA_READ,	api_stats },
	{ "/api/v1/events",	M_GET,	WA_READ,	api_events },
	{ "/metrics",		M_GET,	WA_READ,	api_metrics },
	{ "/reports/",		M_GET,	WA_READ,	get_report_file },
	{ "/ack",		M_GET | M_POST, WA_PUBLIC, get_ack },
	/* The page, to show the login form; it holds no data. */
	{ "/",			M_GET,	WA_PUBLIC,	get_static },
	{ "/index.html",	M_GET,	WA_PUBLIC,	get_static },
	{ "/app.js",		M_GET,	WA_PUBLIC,	get_static },
	{ "/chart.js",		M_GET,	WA_PUBLIC,	get_static },
	{ "/style.css",		M_GET,	WA_PUBLIC,	get_static },
	/* Browsers ask for it on every page: a 404 each time is noise. */
	{ "/favicon.ico",	M_GET,	WA_PUBLIC,	get_static },
	{ "/favicon.svg",	M_GET,	WA_PUBLIC,	get_static },
	{ "/static/",		M_GET,	WA_PUBLIC,	get_static },
};

static unsigned
method_bit(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return M_GET;
	case EVHTTP_REQ_POST:
		return M_POST;
	case EVHTTP_REQ_PUT:
		return M_PUT;
	case EVHTTP_REQ_DELETE:
		return M_DELETE;
	default:
		return 0;
	}
}

/* The part of path after the route's, or NULL if it does not match. */
static const char *
route_match(const char *rp, const char *path)
{
	size_t	 n = strlen(rp);

	if (n > 1 && rp[n - 1] == '/')
		return strncmp(path, rp, n) == 0 ? path + n : NULL;
	return strcmp(path, rp) == 0 ? path + n : NULL;
}

static void
not_allowed(struct evhttp_request *req, unsigned methods)
{
	char	 allow[32];

	fm_fmt(allow, sizeof(allow), "%s%s%s%s",
	    methods & M_GET ? ", GET, HEAD" : "",
	    methods & M_POST ? ", POST" : "", methods & M_PUT ? ", PUT" : "",
	    methods & M_DELETE ? ", DELETE" : "");
	http_bad_method();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow + 2);
	reply_error(req, 405, "Method Not Allowed",
	    methods == M_GET ? "only GET and HEAD" : "this path takes only "
	    "the methods in Allow");
}

void
http_route(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct route *r = NULL;
	const char *path, *rest = NULL, *user, *csrf = NULL, *ct;
	enum web_access access;
	unsigned m = method_bit(cmd), others = 0;
	size_t	 i;

	if (uri == NULL || (path = evhttp_uri_get_path(uri)) == NULL ||
	    path[0] != '/') {
		reply_error(req, 400, "Bad Request", "bad request URI");
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *p = route_match(routes[i].path, path);

		if (p == NULL)
			continue;
		if ((routes[i].methods & m) != 0) {
			r = &routes[i];
			rest = p;
			break;
		}
		others |= routes[i].methods;
	}
	access = r != NULL ? r->access : m == M_GET ? WA_READ : WA_NONE;
	user = web_request_user(req, &csrf);
	if (access == WA_READ && user == NULL && web_wall_private()) {
		reply_error(req, 401, "Unauthorized",
		    "this status page is private: log in first");
		return;
	}
	if (r == NULL) {
		if (others != 0 && m != 0 && !(others & M_GET && m == M_GET))
			not_allowed(req, others);
		else if (m != M_GET)
			not_allowed(req, M_GET);
		else if (evbuffer_get_length(
		    evhttp_request_get_input_buffer(req)) > 0)
			reply_error(req, 413, "Payload Too Large",
			    "GET requests take no body");
		else if (strncmp(path, "/api/", 5) == 0 ||
		    strcmp(path, "/api") == 0)
			reply_error(req, 404, "Not Found",
			    "no such API endpoint");
		else
			get_static(req, "", user);
		return;
	}
	if (access == WA_CHANGE) {
		if (user == NULL) {
			reply_error(req, 401, "Unauthorized",
			    "log in first (POST /api/v1/login)");
			return;
		}
		if (!web_request_csrf_ok(req)) {
			log_warnx("web: %s from %s: %s %s without a valid CSRF "
			    "token", user, web_peer(req), m == M_POST ? "POST" :
			    "change", path);
			reply_error(req, 403, "Forbidden",
			    "missing or wrong X-CSRF-Token");
			return;
		}
		/*
		 * Every change, DELETE included, says application/json: the
		 * same rule for all, whether or not a body is read.
		 */
		ct = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Content-Type");
		if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
			reply_error(req, 415, "Unsupported Media Type",
			    "a change must be sent as application/json");
			return;
		}
	} else if (m == M_GET && evbuffer_get_length(
	    evhttp_request_get_input_buffer(req)) > 0) {
		reply_error(req, 413, "Payload Too Large",
		    "GET requests take no body");
		return;
	}
	r->fn(req, rest, user);
}
