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
 * Files: the status page's, under web_dir, and the monthly reports the
 * collector made (alert/report_run.c) with their list.  A name of the
 * page is checked strictly and then with realpath(), so that no request
 * reads outside web_dir; a report's is the report module's to resolve.
 * reply_file (reply.c) sends them.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"

/*
 * Only [A-Za-z0-9._-] in components separated by single slashes, no
 * component starting with '.', so no "..", no hidden files and no
 * absolute path.  The realpath() check then catches symbolic links that
 * point out of web_dir.
 */
static int
static_name_ok(const char *rel)
{
	const char *p;
	int	 start = 1;

	if (rel[0] == '\0' || strlen(rel) > 200)
		return 0;
	for (p = rel; *p != '\0'; p++) {
		char	 c = *p;

		if (c == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start && c == '.')
			return 0;
		start = 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return !start;
}

/* A file of the page by its name under web_dir. */
static void
serve_static(struct evhttp_request *req, const char *rel)
{
	char	 full[PATH_MAX * 2], root[PATH_MAX], real[PATH_MAX];
	size_t	 rlen;

	if (!static_name_ok(rel)) {
		http_count_bad_path();
		reply_error(req, 400, "Bad Request", "bad path");
		return;
	}
	if (realpath(hconf->web_dir, root) == NULL) {
		reply_error(req, 404, "Not Found", "no web directory");
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", root, rel);
	rlen = strlen(root);
	if (realpath(full, real) == NULL) {
		reply_error(req, 404, "Not Found", "not found");
		return;
	}
	if (strncmp(real, root, rlen) != 0 || real[rlen] != '/') {
		http_count_bad_path();
		reply_error(req, 404, "Not Found", "not found");
		return;
	}
	reply_file(req, real);
}

/* GET /api/v1/reports: the monthly reports made, with their files. */
void
api_reports(struct evhttp_request *req, const char *rest, const char *who)
{
	(void)rest;
	(void)who;
	reply_json(req, 200, "OK", reports_json());
}

/* The monthly reports the collector made (report_run.c). */
void
get_report_file(struct evhttp_request *req, const char *rel, const char *who)
{
	char	 rp[PATH_MAX * 2];

	(void)who;
	if (report_file_path(rel, rp, sizeof(rp)) == -1)
		reply_error(req, 404, "Not Found", "no such report");
	else
		reply_file(req, rp);
}

/*
 * The page's files, under web_dir: rel is what follows a prefix route
 * (/static/), or "" for a route of one file, which the request's path
 * names ("/" is the page itself).
 */
void
get_static(struct evhttp_request *req, const char *rel, const char *who)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	(void)who;
	if (rel[0] == '\0')
		rel = path == NULL || strcmp(path, "/") == 0 ? "index.html" :
		    path + 1;
	serve_static(req, rel);
}
