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
 * The JSON API and the static files of the status page (docs/api.md).
 *
 * Only GET and HEAD are served.  The API answers from the in-memory
 * state, so a request never waits on disk or on an agent.  Static files
 * are looked up under web_dir with a strict name check and a realpath()
 * check, so that no request can read outside it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "http.h"
#include "../alert/alert.h"

#define HEADERS_MAX	(8 * 1024)
#define BODY_MAX	(64 * 1024)
#define REQ_TIMEOUT_S	30
#define STATIC_MAX	(16 * 1024 * 1024)	/* largest static file */

#define API_DEVICES	"/api/v1/devices"
#define API_STATS	"/api/v1/stats"
#define API_EVENTS	"/api/v1/events"
#define API_AVAIL	"/api/v1/availability"

/* The running configuration, replaced on reload (http_reconf). */
static const struct collector_conf *hconf;

static struct evhttp *http;
static char	 web_dir[PATH_MAX];
static struct http_stats stats;
static int64_t	 started_ms;

static const char csp[] = "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#define jstr(s)	fm_jstr(s)

static json_t *
jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *
jnum(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static void
common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	if (webapi_https())
		evhttp_add_header(h, "Strict-Transport-Security",
		    "max-age=31536000");
}

static void
reply(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *body)
{
	if (code >= 500)
		stats.status_5xx++;
	else if (code >= 400)
		stats.status_4xx++;
	else if (code >= 300)
		stats.status_3xx++;
	else
		stats.status_2xx++;
	evhttp_send_reply(req, code, reason, body);
}

/* Reply with a JSON document; takes the reference to j. */
static void
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

static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

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
 * The language of what people read on the pages: the alerts', else the
 * availability's (as the events' texts).
 */
int
http_english(void)
{
	return hconf != NULL && (hconf->alerts != NULL ?
	    hconf->alerts->english : strcmp(hconf->av.lang, "en") == 0);
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

/* For webapi.c: the same JSON as /api/v1/devices/{id}. */
json_t *
http_device_json(const struct device_state *d)
{
	return device_json(d);
}

void
http_reply_json(struct evhttp_request *req, int code, const char *reason,
    json_t *j)
{
	reply_json(req, code, reason, j);
}

void
http_reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	reply_error(req, code, reason, msg);
}

void
http_reply_text(struct evhttp_request *req, const char *ctype,
    struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	common_headers(req);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	reply(req, 200, "OK", b);
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

#define J(s, f)	json_object_set_new(o, #f, jint((int64_t)(s).f))

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

void
api_stats(struct evhttp_request *req, const char *rest, const char *who)
{
	struct ingest_stats is;
	struct state_stats ss;
	struct rrdw_stats rs;
	struct journal_stats js;
	json_t	*root, *o;

	(void)rest;
	(void)who;
	ingest_get_stats(&is);
	state_get_stats(&ss);
	rrdw_get_stats(&rs);
	root = json_object();
	json_object_set_new(root, "generated_ms", jint(now_ms()));
	json_object_set_new(root, "started_ms", jint(started_ms));
	json_object_set_new(root, "version", json_string(FACMON_VERSION));

	o = json_object();
	J(is, conn_accepted); J(is, conn_refused); J(is, conn_active);
	J(is, tls_handshakes); J(is, tls_unknown_agent); J(is, tls_bad_key);
	J(is, tls_revoked); J(is, tls_failed); J(is, tls_id_mismatch);
	J(is, tls_incomplete); J(is, conn_refused_peer);
	J(is, conn_refused_fd); J(is, conn_evicted);
	J(is, conn_closing_timeout);
	J(is, conn_closed); J(is, conn_hello_timeout);
	J(is, conn_idle_timeout); J(is, conn_replaced);
	J(is, conn_slow_reader); J(is, bytes_in); J(is, frames_in);
	J(is, hello_ok); J(is, hello_unknown_agent); J(is, devices_msgs);
	J(is, batches); J(is, batches_applied); J(is, batches_duplicate);
	J(is, batches_deferred); J(is, results); J(is, results_applied);
	J(is, results_unknown_device); J(is, results_out_of_order);
	J(is, acks_sent); J(is, malformed);
	J(is, batches_journaled); J(is, batches_backwards); J(is, seq_gaps);
	J(is, results_future); J(is, results_bad_time);
	J(is, clock_skew_events); J(is, agent_events);
	J(is, valmeta_msgs); J(is, valmeta_rejected); J(is, valmeta_unknown);
	J(is, agents_unreachable); J(is, replayed_batches);
	J(is, replayed_duplicates); J(is, replayed_results);
	J(is, pending_batches); J(is, storage_alarm);
	json_object_set_new(root, "ingest", o);

	journal_get_stats(&js);
	o = json_object();
	J(js, appended); J(js, records); J(js, bytes); J(js, fsyncs);
	J(js, write_errors); J(js, segments); J(js, pruned); J(js, replayed);
	J(js, replay_torn); J(js, failing); J(js, pending_bytes);
	J(js, durable_ticket); J(js, last_ticket);
	json_object_set_new(root, "journal", o);

	o = json_object();
	J(is, bad_magic); J(is, bad_version); J(is, bad_type);
	J(is, too_long); J(is, bad_crc); J(is, decode_error);
	J(is, unexpected_frame); J(is, bad_session);
	json_object_set_new(json_object_get(root, "ingest"), "malformed_by",
	    o);

	o = json_object();
	J(ss, devices); J(ss, checks); J(ss, device_conflicts);
	J(ss, values_dropped); J(ss, expired); J(ss, gaps);
	J(ss, parent_loops); J(ss, child_visits); J(ss, results_duplicate);
	json_object_set_new(root, "state", o);

	o = json_object();
	J(rs, queued); J(rs, queue_len); J(rs, queue_max); J(rs, written);
	J(rs, rejected); J(rs, replay_skipped); J(rs, errors);
	J(rs, files_created);
	J(rs, update_calls); J(rs, held); J(rs, held_files); J(rs, flushes);
	J(rs, read_flushes); J(rs, series); J(rs, bytes);
	J(rs, values_refused); J(rs, retired); J(rs, retired_removed);
	J(rs, retired_files);
	json_object_set_new(root, "rrd", o);

	o = json_object();
	J(stats, requests); J(stats, status_2xx); J(stats, status_3xx);
	J(stats, status_4xx); J(stats, status_5xx); J(stats, bad_path);
	J(stats, bad_method); J(stats, connections);
	J(stats, connections_full); J(stats, connections_refused);
	J(stats, connections_refused_peer); J(stats, connections_evicted);
	J(stats, connections_idle_closed);
	json_object_set_new(root, "http", o);

	{
		struct netlimit_stats ns;

		netlimit_get_stats(&ns);
		o = json_object();
		J(ns, nofile); J(ns, budget); J(ns, refused_reserve);
		J(ns, accept_paused);
		json_object_set_new(root, "descriptors", o);
	}
	reply_json(req, 200, "OK", root);
}

#undef J

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

static void	serve_file(struct evhttp_request *, const char *);

static void
serve_static(struct evhttp_request *req, const char *rel)
{
	char	 full[PATH_MAX * 2], root[PATH_MAX], real[PATH_MAX];
	size_t	 rlen;

	if (!static_name_ok(rel)) {
		stats.bad_path++;
		reply_error(req, 400, "Bad Request", "bad path");
		return;
	}
	if (realpath(web_dir, root) == NULL) {
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
		stats.bad_path++;
		reply_error(req, 404, "Not Found", "not found");
		return;
	}
	serve_file(req, real);
}

/* A file whose path has been checked: sent whole, typed by its name. */
static void
serve_file(struct evhttp_request *req, const char *real)
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

/*
 * Web connections, counted from accept.  evhttp (libevent 2.1) tells
 * nothing of a connection until its first whole request, so the
 * bufferevent it asks for at accept (evhttp_set_bevcb) is made here and
 * a reference to it kept: evhttp frees it by clearing its callbacks and
 * dropping its own reference, which the sweep sees, and only then does
 * our reference go, with the descriptor.  A connection is shut down
 * (shutdown(2)) rather than freed when it must go, so that evhttp frees
 * it through its own path.
 *
 * A new connection is admitted just after accept: refused when its
 * address has http_connections_per_peer already or descriptors run out;
 * at http_connections the connection idle the longest (no request being
 * answered) makes room for it.  Above three quarters of the limit, idle
 * keep-alive connections are closed after IDLE_SHORT_MS instead of
 * REQ_TIMEOUT_S: a client that sends a request every 20 s keeps its
 * connection only while there is room for everyone.
 */
#define IDLE_SHORT_MS	5000	/* idle keep-alive near the limit */
#define SWEEP_MS	1000

struct hconn {
	struct bufferevent *bev;	/* referenced until evhttp drops it */
	char		 host[INET6_ADDRSTRLEN];
	int64_t		 active_mono;	/* accept, or the last reply sent */
	int		 busy;		/* a request is being answered */
	int		 admitted;
	int		 closing;	/* shut down: evhttp frees it */
};

static struct evconnlistener *listeners[COLLECTOR_ADDRS_MAX];
static struct hconn *hc;
static int	 nlisteners, nhc, ahc, conn_max = 256, per_peer = 32;
static struct event *admit_ev, *sweep_ev;
static struct ratelim rl_refused, rl_idle;

static int
hconn_live(void)
{
	int	 i, n = 0;

	for (i = 0; i < nhc; i++)
		if (!hc[i].closing)
			n++;
	return n;
}

/* Drop our reference to the connections evhttp has let go of. */
static void
sweep_freed(void)
{
	bufferevent_event_cb ecb;
	int	 i;

	for (i = 0; i < nhc; ) {
		bufferevent_getcb(hc[i].bev, NULL, NULL, &ecb, NULL);
		if (ecb != NULL) {
			i++;
			continue;
		}
		bufferevent_decref(hc[i].bev);
		hc[i] = hc[--nhc];
	}
	stats.connections = (uint64_t)hconn_live();
}

static void
hconn_close(struct hconn *h)
{
	evutil_socket_t fd = bufferevent_getfd(h->bev);

	h->closing = 1;
	if (fd != -1)
		shutdown(fd, SHUT_RDWR);
}

static void
refused_log(const char *why, const char *host)
{
	uint64_t held;

	if (ratelim_pass(&rl_refused, mono_ms(), NETLIMIT_LOG_MS, &held))
		log_warnx("web connection from %s refused: %s (%llu more "
		    "refused in the last %d s; %llu in all)", host, why,
		    (unsigned long long)held, NETLIMIT_LOG_MS / 1000,
		    (unsigned long long)stats.connections_refused);
}

/* The oldest idle connection other than skip, or NULL. */
static struct hconn *
oldest_idle(const struct hconn *skip, int64_t now)
{
	struct hconn *v = NULL;
	int	 i;

	(void)now;
	for (i = 0; i < nhc; i++) {
		if (&hc[i] == skip || hc[i].closing || !hc[i].admitted ||
		    hc[i].busy)
			continue;
		if (v == NULL || hc[i].active_mono < v->active_mono)
			v = &hc[i];
	}
	return v;
}

static void
admit(struct hconn *h, int64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(h->bev);
	struct hconn *v;
	int	 i, npeer = 0, cap = netlimit_cap(NL_HTTP, conn_max);

	h->admitted = 1;
	fm_strlcpy(h->host, "?", sizeof(h->host));
	/* The address alone counts, not the port. */
	if (fd != -1 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->
			    sin_addr, h->host, sizeof(h->host));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->
			    sin6_addr, h->host, sizeof(h->host));
	}
	if (fd != -1 && !netlimit_fd_ok(fd)) {
		stats.connections_refused++;
		hconn_close(h);
		refused_log("descriptors running out", h->host);
		return;
	}
	for (i = 0; i < nhc; i++)
		if (&hc[i] != h && hc[i].admitted && !hc[i].closing &&
		    strcmp(hc[i].host, h->host) == 0)
			npeer++;
	if (npeer >= per_peer) {
		stats.connections_refused++;
		stats.connections_refused_peer++;
		hconn_close(h);
		refused_log("too many connections from this address", h->host);
		return;
	}
	if (hconn_live() <= cap)
		return;
	stats.connections_full++;
	if ((v = oldest_idle(h, now)) != NULL) {
		stats.connections_evicted++;
		hconn_close(v);
		return;
	}
	stats.connections_refused++;
	hconn_close(h);
	refused_log("every connection is busy", h->host);
}

static void
admit_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = mono_ms();
	int	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	sweep_freed();
	for (i = 0; i < nhc; i++)
		if (!hc[i].admitted)
			admit(&hc[i], now);
	stats.connections = (uint64_t)hconn_live();
}

static void
sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = mono_ms();
	int	 i, live, cap = netlimit_cap(NL_HTTP, conn_max), n = 0;
	uint64_t held;

	(void)fd;
	(void)ev;
	(void)arg;
	sweep_freed();
	live = hconn_live();
	if (live * 4 <= cap * 3)
		return;
	for (i = 0; i < nhc; i++)
		if (!hc[i].closing && hc[i].admitted && !hc[i].busy &&
		    now - hc[i].active_mono >= IDLE_SHORT_MS) {
			hconn_close(&hc[i]);
			stats.connections_idle_closed++;
			n++;
		}
	if (n > 0 && ratelim_pass(&rl_idle, now, NETLIMIT_LOG_MS, &held))
		log_info("web: %d of %d connections, closing %d idle for %d s "
		    "(%llu more closed so in the last %d s)", live, cap, n,
		    IDLE_SHORT_MS / 1000, (unsigned long long)held,
		    NETLIMIT_LOG_MS / 1000);
}

/* evhttp_set_bevcb: a connection was just accepted. */
static struct bufferevent *
new_bev(struct event_base *b, void *arg)
{
	struct bufferevent *bev;
	struct hconn *n;

	(void)arg;
	if ((bev = webapi_tls_bev(b)) == NULL && !webapi_https())
		bev = bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	if (nhc == ahc) {
		int	 na = ahc ? ahc * 2 : 64;

		if ((n = reallocarray(hc, (size_t)na, sizeof(*hc))) == NULL)
			return bev;	/* not counted: memory is short */
		hc = n;
		ahc = na;
	}
	bufferevent_incref(bev);
	memset(&hc[nhc], 0, sizeof(hc[nhc]));
	hc[nhc].bev = bev;
	hc[nhc].active_mono = mono_ms();
	nhc++;
	stats.connections = (uint64_t)hconn_live();
	/* evhttp sets the descriptor after this returns: admit just then. */
	event_active(admit_ev, EV_TIMEOUT, 1);
	return bev;
}

static struct hconn *
hconn_find(const struct bufferevent *bev)
{
	int	 i;

	for (i = 0; i < nhc; i++)
		if (hc[i].bev == bev && !hc[i].closing)
			return &hc[i];
	return NULL;
}

/* The reply went out: the connection is idle from now. */
static void
req_done(struct evhttp_request *req, void *arg)
{
	struct hconn *h;

	(void)req;
	if ((h = hconn_find(arg)) != NULL) {
		h->busy = 0;
		h->active_mono = mono_ms();
	}
}

/* A request: its connection is busy until the reply is sent. */
static void
conn_active(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	struct hconn *h;

	if (c == NULL || (bev = evhttp_connection_get_bufferevent(c)) == NULL ||
	    (h = hconn_find(bev)) == NULL)
		return;
	h->busy = 1;
	h->active_mono = mono_ms();
	evhttp_request_set_on_complete_cb(req, req_done, bev);
}

static void
http_listen_errorcb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	netlimit_accept_error("web");
}

static void
handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	stats.requests++;
	conn_active(req);
	http_route(req);
}

/* A method no route takes, for the counters. */
void
http_bad_method(void)
{
	stats.bad_method++;
}

/* The endpoints that are lists kept by other modules. */
void
api_traps(struct evhttp_request *req, const char *rest, const char *who)
{
	(void)rest;
	(void)who;
	reply_json(req, 200, "OK", traps_json());
}

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
		serve_file(req, rp);
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

int
http_init(struct event_base *base, const struct collector_conf *cf)
{
	int	 i;

	started_ms = now_ms();
	http_reconf(cf);
	if (cf->nhttp == 0)
		return 0;
	if ((http = evhttp_new(base)) == NULL) {
		log_warnx("evhttp_new failed");
		return -1;
	}
	evhttp_set_max_headers_size(http, HEADERS_MAX);
	evhttp_set_max_body_size(http, BODY_MAX);
	evhttp_set_timeout(http, REQ_TIMEOUT_S);
	/*
	 * Let every method through to the handler, which answers 405 with
	 * an Allow header; evhttp itself would answer 501.
	 */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, handler, NULL);
	/* Logins and HTTPS of the 'web' group (webapi.c). */
	{
		char	 err[512];

		if (webapi_init(http, base, cf->web, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
	}
	evhttp_set_bevcb(http, new_bev, NULL);
	if ((admit_ev = event_new(base, -1, 0, admit_cb, NULL)) == NULL ||
	    (sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, NULL)) ==
	    NULL) {
		log_warnx("http: event setup failed");
		return -1;
	}
	{
		struct timeval tv = { 0, SWEEP_MS * 1000 };

		evtimer_add(sweep_ev, &tv);
	}
	for (i = 0; i < cf->nhttp; i++) {
		struct evconnlistener *l;

		l = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_REUSEABLE, 128,
		    (const struct sockaddr *)&cf->http[i].ss,
		    (int)cf->http[i].sslen);
		if (l == NULL) {
			log_warn("http listen %s", cf->http[i].text);
			return -1;
		}
		if (evhttp_bind_listener(http, l) == NULL) {
			evconnlistener_free(l);
			log_warnx("http listen %s: bind failed",
			    cf->http[i].text);
			return -1;
		}
		evconnlistener_set_error_cb(l, http_listen_errorcb);
		netlimit_listener(l);
		listeners[nlisteners++] = l;
		log_info("serving HTTP on %s", cf->http[i].text);
	}
	return 0;
}

void
http_reconf(const struct collector_conf *cf)
{
	fm_strlcpy(web_dir, cf->web_dir, sizeof(web_dir));
	hconf = cf;
	conn_max = cf->http_connections;
	per_peer = cf->http_per_peer;
	webapi_reconf(cf);
}

void
http_stop(void)
{
	int	 i;

	/* First, so that what the web's disk queue still holds (a window
	   being saved) is answered while its request lives. */
	webapi_stop();
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	/* evhttp has let every connection go: ours go with them. */
	for (i = 0; i < nhc; i++)
		bufferevent_decref(hc[i].bev);
	free(hc);
	hc = NULL;
	nhc = ahc = 0;
	if (admit_ev != NULL)
		event_free(admit_ev);
	if (sweep_ev != NULL)
		event_free(sweep_ev);
	admit_ev = sweep_ev = NULL;
}

void
http_get_stats(struct http_stats *s)
{
	*s = stats;
}

/* Reload: web_dir and the pages' settings at once; 'http' is bound. */
static int
http_reload_check(const struct collector_conf *old, struct collector_conf *nc)
{
	if (listen_addrs_equal(nc->http, nc->nhttp, old->http, old->nhttp))
		return 0;
	memcpy(nc->http, old->http, sizeof(nc->http));
	nc->nhttp = old->nhttp;
	return reload_refuse("http");
}

const struct reload_ops http_reload = {
	.module = "http",
	.check = http_reload_check,
	.apply = http_reconf,
};
