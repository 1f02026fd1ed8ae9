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
 * The replies and the request helpers every handler shares (api.h).
 *
 * Every answer of the web goes through reply() here, so that each one
 * carries the same security headers and is counted by its status in
 * /api/v1/stats, whichever handler made it: JSON, an error (JSON too),
 * text, or a file.  The request helpers read a JSON body, its members
 * and the query string the same way for every handler and answer 400 or
 * 415 themselves, so that a handler that gets -1 or NULL only returns.
 * A change is answered once its line is in the audit log
 * (audit_then_reply).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "../alert/alert.h"

#define STATIC_MAX	(16 * 1024 * 1024)	/* largest file sent */

static const char csp[] = "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

static void
common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	if (http_is_https())
		evhttp_add_header(h, "Strict-Transport-Security",
		    "max-age=31536000");
}

static void
reply(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *body)
{
	http_count_status(code);
	evhttp_send_reply(req, code, reason, body);
}

/* Reply with a JSON document; takes the reference to j. */
void
reply_json(struct evhttp_request *req, int code, const char *reason,
    json_t *j)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	char	*s;

	common_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		free(s);
		reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	reply(req, code, reason, b);
	evbuffer_free(b);
}

/* An error, as JSON: {"error": msg}. */
void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

/*
 * The language of what people read on the pages: the alerts', else the
 * availability's (as the events' texts).
 */
int
http_english(void)
{
	return hconf != NULL && (hconf->alerts != NULL ?
	    hconf->alerts->english : strcmp(hconf->av.lang, "en") == 0);
}

/* Reply 200 with a body of the given type; the body stays the caller's. */
void
reply_text(struct evhttp_request *req, const char *ctype,
    struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	common_headers(req);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	reply(req, 200, "OK", b);
}

static const char *
content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".pdf", "application/pdf" },
		{ ".xlsx", "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet" },
		{ ".csv", "text/csv; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');
	size_t	 i;

	if (dot != NULL)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* A file whose path has been checked: sent whole, typed by its name. */
void
reply_file(struct evhttp_request *req, const char *real)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	struct stat sb;
	int	 fd;

	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		reply_error(req, 404, "Not Found", "not found");
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > STATIC_MAX) {
		close(fd);
		reply_error(req, 404, "Not Found", "not found");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		close(fd);
		reply_error(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	/* evbuffer_add_file takes the descriptor, even on failure. */
	if (sb.st_size > 0 && evbuffer_add_file(b, fd, 0, sb.st_size) == -1) {
		evbuffer_free(b);
		reply_error(req, 500, "Internal Server Error", "read failed");
		return;
	}
	if (sb.st_size == 0)
		close(fd);
	common_headers(req);
	evhttp_add_header(h, "Content-Type", content_type(real));
	evhttp_add_header(h, "Cache-Control", "no-cache");
	reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* The address the request came from, for the logs and the audit log. */
const char *
web_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	return addr != NULL ? addr : "?";
}

/* The JSON object of a request body, or NULL after an error reply. */
json_t *
body_json(struct evhttp_request *req)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	size_t	 len = evbuffer_get_length(b);
	json_error_t je;
	json_t	*j;
	char	 msg[300];

	/*
	 * Only application/json: a cross-site form cannot send it without
	 * a CORS preflight, which this server never grants.
	 */
	if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		reply_error(req, 415, "Unsupported Media Type",
		    "the body must be application/json");
		return NULL;
	}
	j = json_loadb((const char *)evbuffer_pullup(b, (ev_ssize_t)len), len,
	    JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    j == NULL ? ": " : "", j == NULL ? je.text : "");
		json_decref(j);
		reply_error(req, 400, "Bad Request", msg);
		return NULL;
	}
	return j;
}

/* A string member: 1 found, 0 absent, -1 bad (after an error reply). */
int
jget_str(struct evhttp_request *req, json_t *o, const char *key, char *dst,
    size_t len, int required)
{
	json_t	*v = json_object_get(o, key);
	char	 msg[160];

	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "missing '%s'", key);
	} else if (!json_is_string(v))
		snprintf(msg, sizeof(msg), "'%s' must be a string", key);
	else if (json_string_length(v) >= len)
		snprintf(msg, sizeof(msg), "'%s' is longer than %zu bytes",
		    key, len - 1);
	else if (strlen(json_string_value(v)) != json_string_length(v))
		snprintf(msg, sizeof(msg), "'%s' contains a NUL", key);
	else if (!fm_utf8_valid(json_string_value(v), json_string_length(v)))
		snprintf(msg, sizeof(msg), "'%s' is not valid UTF-8", key);
	else {
		fm_strlcpy(dst, json_string_value(v), len);
		return 1;
	}
	reply_error(req, 400, "Bad Request", msg);
	return -1;
}

/* A member of milliseconds since 1970: as jget_str. */
int
jget_ms(struct evhttp_request *req, json_t *o, const char *key,
    int64_t *dst, int required)
{
	json_t	*v = json_object_get(o, key);
	char	 msg[160];

	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "missing '%s'", key);
	} else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > AV_TIME_MAX)
		snprintf(msg, sizeof(msg), "'%s' must be milliseconds since "
		    "1970 (an integer)", key);
	else {
		*dst = json_integer_value(v);
		return 1;
	}
	reply_error(req, 400, "Bad Request", msg);
	return -1;
}

/* The request's query string parsed into args; -1 after an error reply. */
int
http_query(struct evhttp_request *req, struct evkeyvalq *args)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	TAILQ_INIT(args);
	if (q != NULL && evhttp_parse_query_str(q, args) == -1) {
		reply_error(req, 400, "Bad Request", "bad query string");
		return -1;
	}
	return 0;
}

/* A parameter of milliseconds since 1970: 1 found, 0 absent, -1 bad. */
int
qget_ms(struct evhttp_request *req, struct evkeyvalq *args, const char *k,
    int64_t *dst)
{
	const char *v = evhttp_find_header(args, k);
	char	*end, msg[128];
	long long x;

	if (v == NULL)
		return 0;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || x < 0 ||
	    x > AV_TIME_MAX) {
		snprintf(msg, sizeof(msg), "'%s' must be milliseconds since "
		    "1970, before the year 10000", k);
		reply_error(req, 400, "Bad Request", msg);
		return -1;
	}
	*dst = x;
	return 1;
}

/*
 * A change's answer, sent once its audit line is written (the web's
 * disk queue): whoever reads the audit log after the answer finds it.
 */
struct audited {
	struct evhttp_request *req;
	int		 code;
	json_t		*answer;
};

static void
audited_reply(void *arg)
{
	struct audited *a = arg;

	reply_json(a->req, a->code, a->code == 201 ? "Created" : "OK",
	    a->answer);
	free(a);
}

/* Takes detail and answer. */
void
audit_then_reply(struct evhttp_request *req, const char *user,
    const char *ip, const char *action, json_t *detail, int code,
    json_t *answer)
{
	struct audited *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		json_decref(detail);
		json_decref(answer);
		reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return;
	}
	a->req = req;
	a->code = code;
	a->answer = answer;
	web_audit_then(hconf->data_dir, user, ip, action, detail, audited_reply,
	    a);
}
