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
 * The operator console's API (docs/api.md, docs/openapi.yaml): login and
 * sessions, outages with their acknowledgements, classes and notes,
 * maintenance windows made through the web, the status wall in one
 * request, RRD series as JSON for the pages' charts, and /metrics for
 * Prometheus.
 *
 * Every change needs a session and its CSRF token, and is written to the
 * audit log.  Outage annotations go into the outage journal as records
 * of their own, never as edits.  Windows made here are kept by the
 * maintenance module (outage/maint.c), which writes them to
 * <data_dir>/maintenance.json and merges them with the configuration's.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rrd.h>

#include "http.h"
#include "../../common/workq.h"
#include "../alert/alert.h"

#define AVAIL_CACHE_MS	10000		/* the wall's availability figures */
#define COOKIE		"facmon_session"

static const struct collector_conf *C;
static json_t	*avail_cache;
static int64_t	 avail_cache_ms;
static uint64_t	 avail_cache_gen;	/* maint_generation() it was made at */



/* ---- requests ---------------------------------------------------------- */

static const char *
peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	return addr != NULL ? addr : "?";
}

/* The session cookie's value, or NULL. */
static const char *
cookie_token(struct evhttp_request *req, char *buf, size_t len)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Cookie"), *p;
	size_t	 n;

	if (h == NULL)
		return NULL;
	for (p = h; (p = strstr(p, COOKIE "=")) != NULL; p++) {
		if (p != h && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += sizeof(COOKIE);
		n = strcspn(p, "; ");
		if (n == 0 || n >= len)
			return NULL;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

static const char *
session_user(struct evhttp_request *req, const char **csrf)
{
	char	 tok[128];

	return web_session_user(cookie_token(req, tok, sizeof(tok)), csrf);
}

/* The JSON object of a request body, or NULL after an error reply. */
static json_t *
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
		http_reply_error(req, 415, "Unsupported Media Type",
		    "the body must be application/json");
		return NULL;
	}
	j = json_loadb((const char *)evbuffer_pullup(b, (ev_ssize_t)len), len,
	    JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		snprintf(msg, sizeof(msg), "the body must be a JSON object%s%s",
		    j == NULL ? ": " : "", j == NULL ? je.text : "");
		json_decref(j);
		http_reply_error(req, 400, "Bad Request", msg);
		return NULL;
	}
	return j;
}

/* A string member: 1 found, 0 absent, -1 bad (after an error reply). */
static int
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
	http_reply_error(req, 400, "Bad Request", msg);
	return -1;
}

static int
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
	http_reply_error(req, 400, "Bad Request", msg);
	return -1;
}

static int
query(struct evhttp_request *req, struct evkeyvalq *args)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	TAILQ_INIT(args);
	if (q != NULL && evhttp_parse_query_str(q, args) == -1) {
		http_reply_error(req, 400, "Bad Request", "bad query string");
		return -1;
	}
	return 0;
}

static int
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
		http_reply_error(req, 400, "Bad Request", msg);
		return -1;
	}
	*dst = x;
	return 1;
}

/* ---- login ------------------------------------------------------------- */

static void
set_cookie(struct evhttp_request *req, const char *token, int max_age)
{
	char	 c[256];

	snprintf(c, sizeof(c), COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; "
	    "SameSite=Strict%s", token, max_age,
	    C->web != NULL && C->web->secure_cookies ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", c);
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

	http_reply_json(a->req, a->code, a->code == 201 ? "Created" : "OK",
	    a->answer);
	free(a);
}

/* Takes detail and answer. */
static void
audit_then_reply(struct evhttp_request *req, const char *user,
    const char *ip, const char *action, json_t *detail, int code,
    json_t *answer)
{
	struct audited *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		json_decref(detail);
		json_decref(answer);
		http_reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return;
	}
	a->req = req;
	a->code = code;
	a->answer = answer;
	web_audit_then(C->data_dir, user, ip, action, detail, audited_reply,
	    a);
}

static void
login_done(void *arg, int rc, const char *user, const char *ip,
    const char *token, const char *csrf)
{
	struct evhttp_request *req = arg;

	if (rc != 0) {
		http_reply_error(req, 401, "Unauthorized",
		    "wrong user name or password");
		return;
	}
	set_cookie(req, token, C->web->session_ms / 1000);
	audit_then_reply(req, user, ip, "login", NULL, 200,
	    json_pack("{s:s,s:s}", "user", user, "csrf", csrf));
}

/*
 * The password is checked on webauth.c's thread; the request is
 * answered from login_done() when it is.  If the client goes away
 * meanwhile, evhttp keeps the request until that answer frees it.
 */
void
api_login(struct evhttp_request *req, const char *rest, const char *who)
{
	char	 user[64], pw[1024], ra[32];
	int64_t	 retry;
	json_t	*j;
	int	 rc;

	(void)rest;
	(void)who;
	if (C->web == NULL || C->web->nusers == 0) {
		http_reply_error(req, 403, "Forbidden", "no users are "
		    "configured ('web' group, docs/api.md)");
		return;
	}
	if ((j = body_json(req)) == NULL)
		return;
	if (jget_str(req, j, "user", user, sizeof(user), 1) != 1 ||
	    jget_str(req, j, "password", pw, sizeof(pw), 1) != 1) {
		json_decref(j);
		return;
	}
	json_decref(j);
	rc = web_login_begin(user, pw, peer(req), login_done, req, &retry);
	explicit_bzero(pw, sizeof(pw));
	if (rc == -2) {
		snprintf(ra, sizeof(ra), "%lld", (long long)(retry / 1000 + 1));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", ra);
		http_reply_error(req, 429, "Too Many Requests",
		    "too many failed logins from this address; try later");
	} else if (rc == -3) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		http_reply_error(req, 503, "Service Unavailable",
		    "too many logins at once; try again");
	} else if (rc != 0)
		http_reply_error(req, 401, "Unauthorized",
		    "wrong user name or password");
}

int
webapi_logins(void)
{
	return C != NULL && C->web != NULL && C->web->nusers > 0;
}

struct form_login {
	struct evhttp_request *req;
	ack_login_cb	 cb;
	void		*arg;
};

static void
form_login_done(void *arg, int rc, const char *user, const char *ip,
    const char *token, const char *csrf)
{
	struct form_login *f = arg;

	(void)csrf;
	if (rc == 0) {
		set_cookie(f->req, token, C->web->session_ms / 1000);
		web_audit(C->data_dir, user, ip, "login", NULL);
	}
	f->cb(f->req, rc == 0 ? user : NULL, f->arg);
	free(f);
}

/*
 * A login from an HTML form (the acknowledgement page), limited and
 * checked like POST /api/v1/login; web_login_begin()'s codes.  When it
 * returns 0, cb answers the request later.
 */
int
webapi_form_login(struct evhttp_request *req, const char *user,
    const char *pw, ack_login_cb cb, void *arg, int64_t *retry_ms)
{
	struct form_login *f;
	int	 rc;

	*retry_ms = 0;
	if (!webapi_logins() || (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->req = req;
	f->cb = cb;
	f->arg = arg;
	if ((rc = web_login_begin(user, pw, peer(req), form_login_done, f,
	    retry_ms)) != 0)
		free(f);
	return rc;
}

void
api_logout(struct evhttp_request *req, const char *rest, const char *user)
{
	(void)rest;
	char	 tok[128];

	web_logout(cookie_token(req, tok, sizeof(tok)));
	set_cookie(req, "", 0);
	audit_then_reply(req, user, peer(req), "logout", NULL, 200,
	    json_pack("{s:b}", "ok", 1));
}

void
api_session(struct evhttp_request *req, const char *rest, const char *who)
{
	const char *csrf = NULL, *user = session_user(req, &csrf);
	const struct avconf *av = &C->av;
	json_t	*gn = json_object(), *cn = json_object(), *ans;
	int	 i;

	(void)rest;
	(void)who;
	/*
	 * The display names of groups and classes (availability.names), so
	 * that the page shows what people call them, not the keys.
	 */
	for (i = 0; i < av->nnames; i++)
		json_object_set_new(av->names[i].is_class ? cn : gn,
		    av->names[i].key, json_pack("[s,s]", av->names[i].name[0],
		    av->names[i].name[1][0] ? av->names[i].name[1] :
		    av->names[i].name[0]));
	ans = json_pack(
	    "{s:o,s:o,s:b,s:b,s:b,s:s,s:s,s:s}",
	    "user", user ? json_string(user) : json_null(),
	    "csrf", csrf ? json_string(csrf) : json_null(),
	    "public_wall", C->web == NULL || C->web->public_wall,
	    "logins", C->web != NULL && C->web->nusers > 0,
	    /* The page asks for /api/v1/alerts/sent only then. */
	    "show_sent", C->alerts != NULL && C->alerts->show_sent,
	    "timezone", av->tz[0] ? av->tz : "Asia/Shanghai",
	    "site", av->site[0], "site_en", av->site[1][0] ? av->site[1] :
	    av->site[0]);
	json_object_set_new(ans, "group_names", gn);
	json_object_set_new(ans, "class_names", cn);
	http_reply_json(req, 200, "OK", ans);
}

/* ---- outages ----------------------------------------------------------- */

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
static json_t *
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
	if (query(req, &args) == -1)
		return;
	dev = evhttp_find_header(&args, "device");
	grp = evhttp_find_header(&args, "group");
	open = evhttp_find_header(&args, "open");
	lim = evhttp_find_header(&args, "limit");
	if ((dev != NULL && !fm_valid_id(dev)) ||
	    (grp != NULL && !fm_valid_id(grp))) {
		http_reply_error(req, 400, "Bad Request", "bad device or group");
		goto done;
	}
	if (open != NULL && strcmp(open, "0") != 0 && strcmp(open, "1") != 0) {
		http_reply_error(req, 400, "Bad Request", "open must be 0 or 1");
		goto done;
	}
	if (lim != NULL) {
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 ||
		    limit > 10000) {
			http_reply_error(req, 400, "Bad Request",
			    "limit must be 1..10000");
			goto done;
		}
	}
	if (qget_ms(req, &args, "from", &from) == -1 ||
	    qget_ms(req, &args, "to", &to) == -1)
		goto done;
	if (to <= from) {
		http_reply_error(req, 400, "Bad Request", "to must be after "
		    "from");
		goto done;
	}
	if (q == NULL) {
		http_reply_error(req, 503, "Service Unavailable",
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
	http_reply_json(req, 200, "OK", json_pack("{s:I,s:o}", "generated_ms",
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
		http_reply_error(req, 404, "Not Found", "no such API endpoint");
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
		http_reply_error(req, 400, "Bad Request", "bad device or check");
		return;
	}
	if (type == OJ_NOTE && text[0] == '\0') {
		http_reply_error(req, 400, "Bad Request", "the note is empty");
		return;
	}
	if (type == OJ_CLASSIFY) {
		for (c = 0; c < OJC_MAX; c++)
			if (strcmp(oj_class_name(c), cls) == 0)
				break;
		if (c == OJC_MAX) {
			http_reply_error(req, 400, "Bad Request", "class must "
			    "be unplanned, planned or external");
			return;
		}
		if (text[0] == '\0') {
			http_reply_error(req, 400, "Bad Request",
			    "a reclassification needs a reason");
			return;
		}
	}
	if (q == NULL) {
		http_reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		return;
	}
	for (i = 0; i < q->nout && !found; i++)
		found = strcmp(q->out[i].device, device) == 0 &&
		    strcmp(q->out[i].check, check) == 0 &&
		    q->out[i].start_ms == start;
	if (!found) {
		http_reply_error(req, 404, "Not Found", "no such outage");
		return;
	}
	if (outage_annotate(type, device, check, start, user, text, c) == -1) {
		http_reply_error(req, 503, "Service Unavailable",
		    "the outage journal could not be written");
		return;
	}
	for (i = 0; i < q->nout; i++)
		if (strcmp(q->out[i].device, device) == 0 &&
		    strcmp(q->out[i].check, check) == 0 &&
		    q->out[i].start_ms == start)
			break;
	audit_then_reply(req, user, peer(req), what == NULL ? "" : what,
	    json_pack("{s:s,s:s,s:I,s:s,s:s}", "device", device, "check",
	    check, "start_ms", (json_int_t)start, "text", text, "class",
	    type == OJ_CLASSIFY ? oj_class_name(c) : ""), 200,
	    outage_json_full(q, &q->out[i]));
}

/* ---- maintenance windows ----------------------------------------------- */

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
			http_reply_error(req, 400, "Bad Request", "a recurring "
			    "window lasts 1 minute to 24 days");
			return -1;
		}
		w->start_ms = w->end_ms = 0;
		if (maint_window_rule(w, &t, err, sizeof(err)) == -1) {
			http_reply_error(req, 400, "Bad Request", err);
			return -1;
		}
	} else {
		if (update && w->repeat[0] != '\0' &&
		    json_object_get(j, "start_ms") == NULL) {
			http_reply_error(req, 400, "Bad Request", "a recurring "
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
			http_reply_error(req, 400, "Bad Request",
			    "give end_ms or duration_ms");
			return -1;
		}
		if (w->end_ms <= w->start_ms || w->end_ms - w->start_ms >
		    366LL * 86400 * 1000) {
			http_reply_error(req, 400, "Bad Request", "a window "
			    "ends after it starts and lasts at most a year");
			return -1;
		}
	}
	if (jget_str(req, j, "reason", w->reason, sizeof(w->reason),
	    !update) == -1)
		return -1;
	if (!maint_ids_ok(dv) || !maint_ids_ok(gv) || !maint_ids_ok(cv)) {
		http_reply_error(req, 400, "Bad Request", "devices, groups and "
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
		http_reply_error(req, 400, "Bad Request", "a window names "
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
	if (query(req, &args) == -1)
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
		http_reply_error(req, 400, "Bad Request", "from and to are ms, "
		    "at most 93 days apart");
		return;
	}
	http_reply_json(req, 200, "OK", json_pack("{s:s,s:o}", "timezone",
	    C->av.tz, "windows", a));
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
		http_reply_error(m->req, 503, "Service Unavailable", err);
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
		http_reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return NULL;
	}
	m->req = req;
	m->code = code;
	fm_strlcpy(m->user, user, sizeof(m->user));
	fm_strlcpy(m->ip, peer(req), sizeof(m->ip));
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
			http_reply_error(req, 405, "Method Not Allowed",
			    "POST to make a window");
			return;
		}
		if (maint_full()) {
			http_reply_error(req, 507, "Insufficient Storage",
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
			http_reply_error(req, 507, "Insufficient Storage",
			    "too many windows");
		}
		return;
	}
	if ((w = maint_find(id)) == NULL) {
		http_reply_error(req, 404, "Not Found", fm_valid_id(id) ?
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
		http_reply_error(req, 405, "Method Not Allowed",
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

/* ---- the status wall --------------------------------------------------- */

static json_t *
month_avail(int64_t now)
{
	char	 month[16], err[256];
	int64_t	 from, to;
	struct aq *q = outage_aq();
	int	 y, m;

	if (avail_cache != NULL && now - avail_cache_ms < AVAIL_CACHE_MS &&
	    avail_cache_gen == maint_generation())
		return json_incref(avail_cache);
	if (q == NULL)
		return json_null();
	/* The month is the configured zone's, as for the report. */
	if (av_month_of(now, C->av.tz, &y, &m) == -1 ||
	    av_month_range(y, m, C->av.tz, &from, &to) == -1)
		return json_null();
	fm_fmt(month, sizeof(month), "%04d-%02d", y, m);
	json_decref(avail_cache);
	avail_cache = avail_json(q, maint_avconf(), from, to, NULL, 0, err,
	    sizeof(err));
	if (avail_cache == NULL)
		return json_null();
	json_object_set_new(avail_cache, "month", json_string(month));
	avail_cache_ms = now;
	avail_cache_gen = maint_generation();
	return json_incref(avail_cache);
}

/*
 * What the wall adds to a device beyond its state: its warnings in
 * words (warnings.c), how old its newest result is, and whether its
 * agent is connected.  A device whose agent is gone, or whose newest
 * result is older than three of its probe intervals, is "stale": the
 * collector no longer knows its state and says so rather than show the
 * last one as if it were current.
 */
static void
wall_extra(json_t *o, const struct device_state *d, int64_t now,
    int64_t mono)
{
	int64_t	 newest = 0, silent = 0, until;
	uint32_t ival = 0;
	int	 i, conn = 0, known;

	for (i = 0; i < d->nchecks; i++) {
		const struct check_state *c = &d->checks[i];

		if (c->have_result && c->arrival_mono > newest)
			newest = c->arrival_mono;
		if (c->interval_ms > ival)
			ival = c->interval_ms;
	}
	known = ingest_agent_status(d->agent, &conn, &silent) == 0;
	json_object_set_new(o, "warnings", warnings_json(d, C->alerts));
	json_object_set_new(o, "data_age_ms", newest > 0 ?
	    json_integer(mono - newest) : json_null());
	json_object_set_new(o, "agent", json_string(d->agent));
	json_object_set_new(o, "address", json_string(d->address));
	json_object_set_new(o, "parent", json_string(d->parent));
	json_object_set_new(o, "agent_connected", json_boolean(known &&
	    conn));
	json_object_set_new(o, "stale", json_boolean(!known || !conn ||
	    newest == 0 || (ival > 0 && mono - newest > 3 * (int64_t)ival)));
	if ((until = maint_until(d, now)) > 0)
		json_object_set_new(o, "maintenance_until_ms",
		    json_integer(until));
}

/*
 * The same additions for GET /api/v1/devices/{id}: the device page is
 * often opened by a link or a reload, without the wall, and must learn
 * from its own request whether the device has warnings, is stale or is
 * in maintenance.
 */
void
webapi_device_extra(json_t *o, const struct device_state *d)
{
	int64_t	 now = now_ms();

	json_object_set_new(o, "maintenance", json_boolean(maint_in(d, now)));
	wall_extra(o, d, now, mono_ms());
}

/* The agents listed in the configuration: connected, silent for how long. */
static json_t *
wall_agents(void)
{
	json_t	*a = json_array();
	int64_t	 silent;
	int	 i, conn;

	for (i = 0; i < C->nagents; i++) {
		if (ingest_agent_status(C->agents[i].id, &conn, &silent) == -1) {
			conn = 0;
			silent = -1;
		}
		json_array_append_new(a, json_pack("{s:s,s:b,s:o}", "id",
		    C->agents[i].id, "connected", conn, "silent_ms",
		    silent >= 0 ? json_integer(silent) : json_null()));
	}
	return a;
}

/*
 * GET /api/v1/wall: what the status wall shows, in one request so that
 * a wall screen polling every second costs one small answer: devices
 * (state, maintenance, the failing check's message), this month's
 * availability per group (cached for AVAIL_CACHE_MS) and open outages.
 */
void
api_wall(struct evhttp_request *req, const char *rest, const char *who)
{
	const struct device_state **v;
	struct aq *q = outage_aq();
	int64_t	 now = now_ms(), mono = mono_ms();
	json_t	*devs, *inc, *ans;
	size_t	 i, n;

	(void)rest;
	(void)who;
	if ((v = state_devices_sorted(&n)) == NULL) {
		http_reply_error(req, 500, "Internal Server Error",
		    "out of memory");
		return;
	}
	devs = json_array();
	for (i = 0; i < n; i++) {
		const struct device_state *d = v[i];
		/* Strings from agents go through http.c's UTF-8 safe encoder. */
		json_t	*full = http_device_json(d), *o, *c, *msg = NULL;
		json_t	*ctext = NULL;
		const char *chk = "";
		size_t	 ci;

		json_array_foreach(json_object_get(full, "checks"), ci, c) {
			const char *st = json_string_value(json_object_get(c,
			    "state"));

			if (st == NULL || strcmp(st, "down") != 0 ||
			    (msg != NULL && !json_is_true(json_object_get(c,
			    "critical"))))
				continue;
			msg = json_object_get(c, "message");
			ctext = json_object_get(c, "cause_text");
			chk = json_string_value(json_object_get(c, "id"));
		}
		o = json_pack("{s:O,s:O,s:O,s:O,s:s,s:O,s:b,s:s,s:O}",
		    "id", json_object_get(full, "id"),
		    "name", json_object_get(full, "name"),
		    "class", json_object_get(full, "class"),
		    "group", json_object_get(full, "group"),
		    "state", state_name(d->state),
		    "since_ms", json_object_get(full, "since_ms"),
		    "maintenance", maint_in(d, now),
		    "check", chk != NULL ? chk : "",
		    "message", msg != NULL && json_is_string(msg) ? msg :
		    json_null());
		json_object_set(o, "cause_text", ctext != NULL &&
		    json_is_string(ctext) ? ctext : json_null());
		json_decref(full);
		wall_extra(o, d, now, mono);
		json_array_append_new(devs, o);
	}
	free(v);
	inc = json_array();
	if (q != NULL)
		for (i = q->nout; i-- > 0;)
			if (q->out[i].end_ms == 0)
				json_array_append_new(inc,
				    outage_json_full(q, &q->out[i]));
	ans = json_pack("{s:I,s:s,s:o,s:o,s:o}",
	    "generated_ms", (json_int_t)now, "timezone", C->av.tz,
	    "devices", devs, "availability", month_avail(now),
	    "incidents", inc);
	json_object_set_new(ans, "agents", wall_agents());
	http_reply_json(req, 200, "OK", ans);
}

/* ---- uptime bars ------------------------------------------------------- */

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
	if (query(req, &args) == -1)
		return;
	r = evhttp_find_header(&args, "range");
	if (r != NULL && strcmp(r, "30d") == 0) {
		span = 86400000;
		n = 30;
	} else if (r != NULL && strcmp(r, "24h") != 0) {
		evhttp_clear_headers(&args);
		http_reply_error(req, 400, "Bad Request",
		    "range is 24h or 30d");
		return;
	}
	evhttp_clear_headers(&args);
	if (q == NULL) {
		http_reply_error(req, 503, "Service Unavailable",
		    "the outage journal is not open");
		return;
	}
	/* Buckets end on the next whole hour (UTC; the zones are whole). */
	to = (now / 3600000 + 1) * 3600000;
	if ((o = uptime_json(q, maint_avconf(), to, span, n)) == NULL) {
		http_reply_error(req, 500, "Internal Server Error",
		    "out of memory");
		return;
	}
	json_object_set_new(o, "generated_ms", json_integer(now));
	http_reply_json(req, 200, "OK", o);
}

/* ---- RRD series -------------------------------------------------------- */

/*
 * GET /api/v1/rrd?device=&check=&series=&period=hour|day|week|month|year
 * or &from=&to= (ms, for a range picked or zoomed into on the page): the
 * averages of one series as [[ms, value|null], ...].  A range asks for
 * about RRD_POINTS steps; rrd_fetch answers from the archive nearest
 * that resolution which covers the range.  'series' is
 * the file's name without .rrd (docs/rrd.md): up, duration_ms, or the
 * value's sanitized name.  The RRD writer reads the file on its thread,
 * after writing the values it holds for it (rrdw_read), and the request
 * is answered from rrd_done() on the loop.
 */
#define RRD_POINTS	600		/* a range's resolution: a wide graph */
#define RRD_SPAN_MAX	(366LL * 86400000)

struct rrd_req {
	struct evhttp_request *req;
	char	 dev[FM_ID_MAX], chk[FM_ID_MAX], ser[FM_VNAME_MAX], per[8];
};

static void
rrd_done(struct rrdw_read *r)
{
	struct rrd_req *q = r->arg;
	json_t	*pts;
	unsigned long i;

	if (r->status == 404)
		http_reply_error(q->req, 404, "Not Found", "no such series");
	else if (r->status != 0)
		http_reply_error(q->req, 500, "Internal Server Error", r->err);
	else {
		pts = json_array();
		for (i = 0; r->start + (time_t)((i + 1) * r->step) <= r->end;
		    i++) {
			double	 d = r->data[i * r->nds];

			json_array_append_new(pts, json_pack("[I,o]",
			    (json_int_t)(r->start + (time_t)((i + 1) *
			    r->step)) * 1000,
			    isfinite(d) ? json_real(d) : json_null()));
		}
		http_reply_json(q->req, 200, "OK",
		    json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "device", q->dev,
		    "check", q->chk, "series", q->ser, "period", q->per,
		    "step_ms", (json_int_t)r->step * 1000, "points", pts));
	}
	free(q);
	rrdw_read_free(r);
}

void
api_rrd(struct evhttp_request *req, const char *rest, const char *who)
{
	static const struct {
		const char *name;
		long	 secs, step;
	} periods[] = {
		{ "hour", 3600, 10 }, { "day", 86400, 300 },
		{ "week", 7 * 86400, 1800 }, { "month", 31 * 86400, 3600 },
		{ "year", 366 * 86400, 86400 },
	};
	struct evkeyvalq args;
	const char *dev, *chk, *ser, *per, *fs, *ts;
	long long from = 0, to = 0;
	long	 step = 0;
	char	 clean[FM_VNAME_MAX], file[FM_VNAME_MAX], path[PATH_MAX];
	struct rrd_req *q;
	time_t	 end;
	size_t	 p;

	(void)rest;
	(void)who;
	if (query(req, &args) == -1)
		return;
	dev = evhttp_find_header(&args, "device");
	chk = evhttp_find_header(&args, "check");
	ser = evhttp_find_header(&args, "series");
	per = evhttp_find_header(&args, "period");
	fs = evhttp_find_header(&args, "from");
	ts = evhttp_find_header(&args, "to");
	if (fs != NULL || ts != NULL) {
		char	*e1 = NULL, *e2 = NULL;

		if (fs != NULL)
			from = strtoll(fs, &e1, 10);
		if (ts != NULL)
			to = strtoll(ts, &e2, 10);
		if (fs == NULL || ts == NULL || *fs == '\0' || *ts == '\0' ||
		    *e1 != '\0' || *e2 != '\0' || from < 0 ||
		    to - from < 60000 || to - from > RRD_SPAN_MAX) {
			http_reply_error(req, 400, "Bad Request", "from and to "
			    "are ms, from 1 minute to 366 days apart");
			goto done;
		}
		/* The RRD picks the archive that has this resolution. */
		step = (long)((to - from) / 1000 / RRD_POINTS);
		if (step < 10)
			step = 10;
		per = "range";
	}
	if (per == NULL)
		per = "hour";
	for (p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
		if (strcmp(periods[p].name, per) == 0)
			break;
	if (dev == NULL || chk == NULL || ser == NULL || !fm_valid_id(dev) ||
	    !fm_valid_id(chk) || strlen(ser) >= sizeof(clean)) {
		http_reply_error(req, 400, "Bad Request",
		    "give device, check and series");
		goto done;
	}
	fm_sanitize_name(clean, sizeof(clean), ser);
	if (strcmp(clean, ser) != 0 || ser[0] == '\0') {
		http_reply_error(req, 400, "Bad Request", "bad series name");
		goto done;
	}
	if (p == sizeof(periods) / sizeof(periods[0]) && step == 0) {
		http_reply_error(req, 400, "Bad Request",
		    "period must be hour, day, week, month or year");
		goto done;
	}
	/* Long names are files of their start and a hash (fm_series_file). */
	fm_series_file(file, sizeof(file), ser);
	fm_fmt(path, sizeof(path), "%s/%s/%s.rrd", dev, chk, file);
	end = (time_t)(now_ms() / 1000);
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		http_reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		goto done;
	}
	q->req = req;
	fm_strlcpy(q->dev, dev, sizeof(q->dev));
	fm_strlcpy(q->chk, chk, sizeof(q->chk));
	fm_strlcpy(q->ser, ser, sizeof(q->ser));
	fm_strlcpy(q->per, per, sizeof(q->per));
	/* As with logins, evhttp keeps the request until it is answered. */
	if ((step > 0 ? rrdw_read(path, (time_t)(from / 1000),
	    (time_t)(to / 1000), (unsigned long)step, rrd_done, q) :
	    rrdw_read(path, end - periods[p].secs, end,
	    (unsigned long)periods[p].step, rrd_done, q)) == -1) {
		free(q);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		http_reply_error(req, 503, "Service Unavailable",
		    "too many series reads at once; try again");
	}
done:
	evhttp_clear_headers(&args);
}

/*
 * The series a device has on disk, per check, for the device page: the
 * directories are listed on the web's disk queue.  The check ids are
 * copied first, since the device may change before the listing is done.
 */
struct series_job {
	struct wjob	 w;
	struct evhttp_request *req;
	char		 dev[FM_ID_MAX];
	char		 dir[PATH_MAX];	/* <data_dir>/rrd/<device> */
	int		 nchecks;
	char		 (*checks)[FM_ID_MAX];
	json_t		*held;		/* per check: series not yet on disk */
	json_t		*series;	/* built on the queue's thread */
};

/*
 * The series a check's results make (as ingest.c names them), whether or
 * not the RRD writer has created their files yet: with write-behind a
 * new series has no file for up to rrd.write_interval, and a read of it
 * flushes the file first, so the page can graph it at once.
 */
static json_t *
check_series(const struct check_state *c)
{
	json_t	*a = json_array();
	char	 name[FM_VNAME_MAX + 2], file[FM_VNAME_MAX];
	int	 k;

	if (!c->have_result)
		return a;
	if (!probe_result_is_unknown(c->outcome) || c->nresults >
	    c->nresults_unknown) {
		json_array_append_new(a, json_string("up"));
		json_array_append_new(a, json_string("duration_ms"));
	}
	for (k = 0; k < c->nvalues; k++) {
		const struct value_state *v = &c->values[k];

		if (v->kind != VK_GAUGE && !(v->kind == VK_COUNTER &&
		    !isnan(v->d)))
			continue;
		if (strcmp(v->name, "up") == 0 ||
		    strcmp(v->name, "duration_ms") == 0)
			snprintf(name, sizeof(name), "v_%s", v->name);
		else
			fm_strlcpy(name, v->name, sizeof(name));
		fm_series_file(file, sizeof(file), name);
		json_array_append_new(a, json_string(file));
	}
	return a;
}

static int
listed(json_t *a, const char *name)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 1;
	return 0;
}

static void
series_run(struct wjob *w)
{
	struct series_job *j = w->arg;
	char	 path[PATH_MAX + FM_ID_MAX + 2];
	size_t	 k;
	json_t	*v;
	int	 i;

	j->series = json_object();
	for (i = 0; i < j->nchecks && j->series != NULL; i++) {
		json_t	*a = json_array();
		DIR	*dir;
		struct dirent *de;

		fm_fmt(path, sizeof(path), "%s/%s", j->dir, j->checks[i]);
		if ((dir = opendir(path)) != NULL) {
			while ((de = readdir(dir)) != NULL) {
				size_t	 l = strlen(de->d_name);

				if (l > 4 && de->d_name[0] != '.' &&
				    strcmp(de->d_name + l - 4, ".rrd") == 0)
					json_array_append_new(a,
					    json_stringn(de->d_name, l - 4));
			}
			closedir(dir);
		}
		json_array_foreach(json_object_get(j->held, j->checks[i]), k,
		    v)
			if (!listed(a, json_string_value(v)))
				json_array_append(a, v);
		json_object_set_new(j->series, j->checks[i], a);
	}
}

static void
series_done(struct wjob *w)
{
	struct series_job *j = w->arg;

	if (w->cancelled)
		json_decref(j->series);
	else if (j->series == NULL)
		http_reply_error(j->req, 503, "Service Unavailable",
		    "out of memory");
	else
		http_reply_json(j->req, 200, "OK", json_pack("{s:s,s:o}",
		    "device", j->dev, "series", j->series));
	json_decref(j->held);
	free(j->checks);
	free(j);
}

void
api_series(struct evhttp_request *req, const char *dev, const char *who)
{
	(void)who;
	const struct device_state *d;
	struct series_job *j;
	int	 i;

	if (!fm_valid_id(dev) || (d = state_find_device(dev)) == NULL) {
		http_reply_error(req, 404, "Not Found", "no such device");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (d->nchecks > 0 &&
	    (j->checks = calloc(d->nchecks, sizeof(*j->checks))) == NULL)) {
		free(j);
		http_reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return;
	}
	j->req = req;
	fm_strlcpy(j->dev, d->id, sizeof(j->dev));
	fm_fmt(j->dir, sizeof(j->dir), "%s/rrd/%s", C->data_dir, d->id);
	j->held = json_object();
	for (i = 0; i < d->nchecks; i++) {
		fm_strlcpy(j->checks[i], d->checks[i].id, sizeof(j->checks[i]));
		json_object_set_new(j->held, d->checks[i].id,
		    check_series(&d->checks[i]));
	}
	j->nchecks = d->nchecks;
	j->w.run = series_run;
	j->w.done = series_done;
	j->w.arg = j;
	web_disk_submit(&j->w);
}

/* ---- /metrics ---------------------------------------------------------- */

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

/*
 * GET /metrics: Prometheus text format 0.0.4 with blackbox_exporter's
 * names for each check's last probe, plus this month's availability of
 * each group from the outage journal.
 */
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
		http_reply_error(req, 500, "Internal Server Error",
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
	http_reply_text(req, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

/* ---- what the router asks ------------------------------------------- */

/* The user of the request's session, or NULL. */
const char *
web_request_user(struct evhttp_request *req, const char **csrf)
{
	return C != NULL ? session_user(req, csrf) : NULL;
}

/* Whether the request carries its session's CSRF token. */
int
web_request_csrf_ok(struct evhttp_request *req)
{
	char	 tok[128];

	return web_csrf_ok(cookie_token(req, tok, sizeof(tok)),
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-CSRF-Token"));
}

/* Whether what is "read" needs a session (web.public_wall = false). */
int
web_wall_private(void)
{
	return C != NULL && C->web != NULL && !C->web->public_wall;
}

const char *
web_peer(struct evhttp_request *req)
{
	return peer(req);
}

/* POST /api/v1/maintenance: a new window. */
void
api_maint_add(struct evhttp_request *req, const char *rest, const char *user)
{
	(void)rest;
	api_maint_change(req, NULL, user);
}

/* ---- HTTPS ------------------------------------------------------------- */

static SSL_CTX	*tls_ctx;

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL	*ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

/*
 * HTTPS on every web address when the 'web' group names a certificate:
 * TLS 1.2 or newer, the certificate chain and key read once at start (a
 * new certificate needs a restart).
 */
static int
tls_init(struct evhttp *h, const struct web_conf *w, char *err,
    size_t errlen)
{
	if (w == NULL || w->tls_cert[0] == '\0')
		return 0;
	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(tls_ctx, w->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tls_ctx, w->tls_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(tls_ctx) != 1) {
		fm_fmt(err, errlen, "web TLS (%s, %s): %s", w->tls_cert,
		    w->tls_key, ERR_reason_error_string(ERR_get_error()));
		if (tls_ctx != NULL)
			SSL_CTX_free(tls_ctx);
		tls_ctx = NULL;
		return -1;
	}
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_RENEGOTIATION);
	evhttp_set_bevcb(h, tls_bev, tls_ctx);
	log_info("web: HTTPS with %s", w->tls_cert);
	return 0;
}

/* The login thread and HTTPS; from http_init(). */
int
webapi_init(struct evhttp *h, struct event_base *base,
    const struct web_conf *w, char *err, size_t errlen)
{
	/* Always: a reload may add users. */
	if (web_auth_start(base, err, errlen) == -1)
		return -1;
	return tls_init(h, w, err, errlen);
}

/*
 * For http.c, which makes every connection's bufferevent so as to count
 * it from accept: the TLS one when HTTPS is on, else NULL.
 */
struct bufferevent *
webapi_tls_bev(struct event_base *base)
{
	return tls_ctx != NULL ? tls_bev(base, tls_ctx) : NULL;
}

int
webapi_https(void)
{
	return tls_ctx != NULL;
}

void
webapi_stop(void)
{
	web_auth_stop();
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

void
webapi_reconf(const struct collector_conf *cf)
{
	C = cf;
	webauth_reconf(cf->web);
}
