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
 * What the files of collector/http share among themselves, and nothing
 * outside the folder includes: http.h is the module's face to the rest
 * of the collector, this is its inside.  The server (http.c) hands each
 * request to the route table (routes.c), which decides access and calls
 * one of the handlers below; the handlers answer through the replies
 * of reply.c.  One file per subject:
 *
 *   http.c      the server: listeners, connection limits, the module's
 *               start, reload and stop, its counters
 *   tls.c       HTTPS
 *   routes.c    every path, its methods, its access class, its handler
 *   reply.c     the replies and the request helpers
 *   webauth.c   logins, password hashes, sessions, CSRF, the audit log
 *   session.c   the login, logout and session endpoints; the form login
 *   devices.c   devices and one device, as JSON
 *   outages.c   outages and their annotations, availability, uptime
 *   maint.c     maintenance windows made through the web
 *   wall.c      the status wall in one request
 *   rrd.c       the series of a device and their points, for charts
 *   metrics.c   /metrics for Prometheus
 *   stats.c     the collector's counters
 *   events.c    operators' events and traps
 *   alerts.c    the alert outbox and what deliveries said
 *   files.c     the page's files, the monthly reports
 */

#ifndef FACMON_COLLECTOR_HTTP_API_H
#define FACMON_COLLECTOR_HTTP_API_H

#include <math.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"

struct event_base;
struct evhttp_request;
struct evkeyvalq;
struct evbuffer;
struct device_state;
struct aq;
struct aq_outage;
struct wjob;

/*
 * http.c: the running configuration, replaced on reload (http_reconf);
 * NULL until http_init.  The handlers read it and never keep a pointer
 * into it past their request.
 */
extern const struct collector_conf *hconf;
int64_t		 http_started_ms(void);
void		 http_count_status(int code);
void		 http_count_bad_path(void);
void		 http_bad_method(void);

/* tls.c: HTTPS, when the 'web' group names a certificate */
struct evhttp;
struct bufferevent;
int		 http_tls_init(struct evhttp *, const struct web_conf *,
		    char *err, size_t errlen);
struct bufferevent *http_tls_bev(struct event_base *);
int		 http_is_https(void);
void		 http_tls_free(void);

/* Access classes of the web's paths (the table in routes.c). */
enum web_access {
	WA_NONE,	/* a change to a path that takes none: 405 */
	WA_PUBLIC,
	WA_READ,	/* public only with public_wall */
	WA_CHANGE,
};

/* routes.c: the table, and access decided in one place */
void		 http_route(struct evhttp_request *);

/* reply.c: the replies; reply_json and reply_error take the JSON. */
#define jstr(s)	fm_jstr(s)

static inline json_t *
jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

/* A number, or null for NaN and the infinities, which JSON lacks. */
static inline json_t *
jnum(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

void		 reply_json(struct evhttp_request *, int code,
		    const char *reason, json_t *);
void		 reply_error(struct evhttp_request *, int code,
		    const char *reason, const char *msg);
void		 reply_text(struct evhttp_request *, const char *ctype,
		    struct evbuffer *);
void		 reply_file(struct evhttp_request *, const char *real);
int		 http_english(void);
/* reply.c: the requests; on -1 or NULL the error is answered already. */
const char	*web_peer(struct evhttp_request *);
json_t		*body_json(struct evhttp_request *);
int		 jget_str(struct evhttp_request *, json_t *, const char *key,
		    char *dst, size_t len, int required);
int		 jget_ms(struct evhttp_request *, json_t *, const char *key,
		    int64_t *dst, int required);
int		 http_query(struct evhttp_request *, struct evkeyvalq *);
int		 qget_ms(struct evhttp_request *, struct evkeyvalq *,
		    const char *key, int64_t *dst);
void		 audit_then_reply(struct evhttp_request *, const char *user,
		    const char *ip, const char *action, json_t *detail,
		    int code, json_t *answer);

/* webauth.c */
int		 web_hash(const char *pw, char *out, size_t outlen, char *err,
		    size_t errlen);
typedef void	(*web_login_cb)(void *arg, int rc, const char *user,
		    const char *ip, const char *token, const char *csrf);
int		 web_auth_start(struct event_base *, char *err, size_t errlen);
void		 web_auth_stop(void);
void		 web_disk_submit(struct wjob *);
int		 web_login_begin(const char *user, const char *pw,
		    const char *ip, web_login_cb, void *arg, int64_t *retry_ms);
void		 web_logout(const char *token);
const char	*web_session_user(const char *token, const char **csrf);
int		 web_csrf_ok(const char *token, const char *csrf);
void		 web_audit(const char *data_dir, const char *user,
		    const char *ip, const char *action, json_t *detail);
void		 web_audit_then(const char *data_dir, const char *user,
		    const char *ip, const char *action, json_t *detail,
		    void (*then)(void *), void *arg);
void		 webauth_reconf(const struct web_conf *);
size_t		 web_sessions(void);

/* session.c: what the router asks of a request */
const char	*web_request_user(struct evhttp_request *, const char **csrf);
int		 web_request_csrf_ok(struct evhttp_request *);
int		 web_wall_private(void);
/*
 * For the acknowledgement page (routes.c, alerting.c): whether the
 * console has logins, and a login from the page's form.
 */
int		 webapi_logins(void);
int		 webapi_form_login(struct evhttp_request *, const char *user,
		    const char *pw, ack_login_cb, void *arg, int64_t *retry_ms);

/* Shared between subjects: each has its owner named. */
json_t		*http_device_json(const struct device_state *);	/* devices.c */
void		 webapi_device_extra(json_t *,
		    const struct device_state *);		/* wall.c */
json_t		*outage_json_full(const struct aq *,
		    const struct aq_outage *);			/* outages.c */
json_t		*month_avail(int64_t now);			/* wall.c */

/*
 * The handlers of the route table (routes.c), by file.  rest is what
 * follows a prefix route's path ("" for an exact one); user is the
 * session's user, or NULL where none is needed.
 */
typedef void	(*route_fn)(struct evhttp_request *, const char *rest,
		    const char *user);
/* session.c */
void		 api_login(struct evhttp_request *, const char *, const char *);
void		 api_session(struct evhttp_request *, const char *, const char *);
void		 api_logout(struct evhttp_request *, const char *, const char *);
/* devices.c */
void		 api_devices(struct evhttp_request *, const char *, const char *);
void		 api_device(struct evhttp_request *, const char *, const char *);
/* outages.c */
void		 api_outages(struct evhttp_request *, const char *, const char *);
void		 api_annotate(struct evhttp_request *, const char *, const char *);
void		 api_availability(struct evhttp_request *, const char *,
		    const char *);
void		 api_uptime(struct evhttp_request *, const char *, const char *);
/* maint.c */
void		 api_maint_list(struct evhttp_request *, const char *,
		    const char *);
void		 api_maint_add(struct evhttp_request *, const char *, const char *);
void		 api_maint_change(struct evhttp_request *, const char *,
		    const char *);
/* wall.c */
void		 api_wall(struct evhttp_request *, const char *, const char *);
/* rrd.c */
void		 api_rrd(struct evhttp_request *, const char *, const char *);
void		 api_series(struct evhttp_request *, const char *, const char *);
/* metrics.c */
void		 api_metrics(struct evhttp_request *, const char *, const char *);
/* stats.c */
void		 api_stats(struct evhttp_request *, const char *, const char *);
/* events.c */
void		 api_events(struct evhttp_request *, const char *, const char *);
void		 api_traps(struct evhttp_request *, const char *, const char *);
/* alerts.c */
void		 api_outbox(struct evhttp_request *, const char *, const char *);
void		 api_sent(struct evhttp_request *, const char *, const char *);
/* valmeta.c: a value's words and units, as its agent described them */
void		 valmeta_values_json(json_t *, const struct check_state *);
/* files.c */
void		 api_reports(struct evhttp_request *, const char *, const char *);
void		 get_report_file(struct evhttp_request *, const char *,
		    const char *);
void		 get_static(struct evhttp_request *, const char *, const char *);

#endif /* FACMON_COLLECTOR_HTTP_API_H */
