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
 * What the collector shows: the HTTP server and its replies (http.c),
 * the operator console's logins, sessions, CSRF tokens and audit log
 * (webauth.c), and the API that changes things or serves the pages'
 * extra data (webapi.c).  http.c hands every request to webapi_handle()
 * first.  The last step of the pipeline: it reads every module below and
 * none of them includes this header.
 */

#ifndef FACMON_COLLECTOR_HTTP_H
#define FACMON_COLLECTOR_HTTP_H

#include <stdint.h>

#include "../ingest/ingest.h"
#include "../alert/alerting.h"

#define WEB_USERS_MAX	64

struct web_user {
	char		 name[64];
	char		 hash[256];	/* crypt(3) string, "$y$..." */
};

/* The 'web' group of the collector's configuration. */
struct web_conf {
	int		 public_wall;	/* read-only pages without login */
	int		 secure_cookies;	/* add Secure to the cookie */
	int		 session_ms;	/* idle sessions end after this */
	int		 max_failures;	/* failed logins per address ... */
	int		 max_account_failures;	/* ... and per account ... */
	int		 failure_window_ms;	/* ... in this window */
	char		 users_file[1024];
	char		 tls_cert[1024];	/* HTTPS when set: PEM chain */
	char		 tls_key[1024];
	struct web_user	 users[WEB_USERS_MAX];
	int		 nusers;
};

struct collector_conf;
struct evhttp_request;
struct cfgerr;
struct config_setting_t;
struct json_t;

/* Access classes of the web's paths (the table in routes.c). */
enum web_access {
	WA_NONE,	/* a change to a path that takes none: 405 */
	WA_PUBLIC,
	WA_READ,	/* public only with public_wall */
	WA_CHANGE,
};


/* webauth.c */
struct web_conf	*webconf_parse(struct cfgerr *, const struct config_setting_t *);
void		 webconf_free(struct web_conf *);
int		 web_hashpw_main(int argc, char *argv[]);
int		 web_hash(const char *pw, char *out, size_t outlen, char *err,
		    size_t errlen);
struct event_base;
typedef void	(*web_login_cb)(void *arg, int rc, const char *user,
		    const char *ip, const char *token, const char *csrf);
int		 web_auth_start(struct event_base *, char *err, size_t errlen);
void		 web_auth_stop(void);
struct wjob;
void		 web_disk_submit(struct wjob *);
int		 web_login_begin(const char *user, const char *pw,
		    const char *ip, web_login_cb, void *arg, int64_t *retry_ms);
void		 web_logout(const char *token);
const char	*web_session_user(const char *token, const char **csrf);
int		 web_csrf_ok(const char *token, const char *csrf);
void		 web_audit(const char *data_dir, const char *user,
		    const char *ip, const char *action, struct json_t *detail);
void		 web_audit_then(const char *data_dir, const char *user,
		    const char *ip, const char *action, struct json_t *detail,
		    void (*then)(void *), void *arg);
void		 webauth_reconf(const struct web_conf *);
size_t		 web_sessions(void);

/* valmeta.c */
struct check_state;
void		 valmeta_values_json(struct json_t *,
		    const struct check_state *);

/* webapi.c */
struct evhttp;
int		 webapi_init(struct evhttp *, struct event_base *,
		    const struct web_conf *, char *err, size_t errlen);
void		 webapi_stop(void);
int		 webapi_https(void);
struct bufferevent *webapi_tls_bev(struct event_base *);
void		 webapi_reconf(const struct collector_conf *);
const char	*web_request_user(struct evhttp_request *, const char **csrf);
int		 web_request_csrf_ok(struct evhttp_request *);
int		 web_wall_private(void);
const char	*web_peer(struct evhttp_request *);

/*
 * The handlers of the route table (routes.c), by subject.  rest is what
 * follows a prefix route's path ("" for an exact one); user is the
 * session's user, or NULL where none is needed.
 */
typedef void	(*route_fn)(struct evhttp_request *, const char *rest,
		    const char *user);
/* http.c: devices, stats, events, availability, files */
void		 api_devices(struct evhttp_request *, const char *, const char *);
void		 api_device(struct evhttp_request *, const char *, const char *);
void		 api_stats(struct evhttp_request *, const char *, const char *);
void		 api_events(struct evhttp_request *, const char *, const char *);
void		 api_availability(struct evhttp_request *, const char *,
		    const char *);
void		 api_traps(struct evhttp_request *, const char *, const char *);
void		 api_outbox(struct evhttp_request *, const char *, const char *);
void		 api_sent(struct evhttp_request *, const char *, const char *);
void		 api_reports(struct evhttp_request *, const char *, const char *);
void		 get_report_file(struct evhttp_request *, const char *,
		    const char *);
void		 get_static(struct evhttp_request *, const char *, const char *);
/* webapi.c: sessions, outages, maintenance, wall, RRD, metrics */
void		 api_login(struct evhttp_request *, const char *, const char *);
void		 api_session(struct evhttp_request *, const char *, const char *);
void		 api_logout(struct evhttp_request *, const char *, const char *);
void		 api_outages(struct evhttp_request *, const char *, const char *);
void		 api_annotate(struct evhttp_request *, const char *, const char *);
void		 api_maint_list(struct evhttp_request *, const char *,
		    const char *);
void		 api_maint_add(struct evhttp_request *, const char *, const char *);
void		 api_maint_change(struct evhttp_request *, const char *,
		    const char *);
void		 api_wall(struct evhttp_request *, const char *, const char *);
void		 api_uptime(struct evhttp_request *, const char *, const char *);
void		 api_rrd(struct evhttp_request *, const char *, const char *);
void		 api_series(struct evhttp_request *, const char *, const char *);
void		 api_metrics(struct evhttp_request *, const char *, const char *);
/* routes.c: the table, and access decided in one place */
void		 http_route(struct evhttp_request *);
void		 http_bad_method(void);
/*
 * For the acknowledgement page (routes.c, alerting.c): whether the
 * console has logins, and a login from the page's form.
 */
int		 webapi_logins(void);
int		 webapi_form_login(struct evhttp_request *, const char *user,
		    const char *pw, ack_login_cb, void *arg, int64_t *retry_ms);

/* http.c: the replies every handler uses */
void		 http_reply_json(struct evhttp_request *, int code,
		    const char *reason, struct json_t *);
void		 http_reply_error(struct evhttp_request *, int code,
		    const char *reason, const char *msg);
struct evbuffer;
void		 http_reply_text(struct evhttp_request *, const char *ctype,
		    struct evbuffer *);
struct device_state;
struct json_t	*http_device_json(const struct device_state *);
void		 webapi_device_extra(struct json_t *,
		    const struct device_state *);
int		 http_english(void);
struct http_stats {
	uint64_t	 requests;
	uint64_t	 status_2xx;
	uint64_t	 status_3xx;
	uint64_t	 status_4xx;
	uint64_t	 status_5xx;
	uint64_t	 bad_path;		/* refused static file paths */
	uint64_t	 bad_method;
	uint64_t	 connections;		/* open now, from accept */
	uint64_t	 connections_full;	/* a new one found the table full */
	uint64_t	 connections_refused;	/* closed at once: full, per peer */
	uint64_t	 connections_refused_peer;	/* of which per peer */
	uint64_t	 connections_evicted;	/* oldest idle closed for a new one */
	uint64_t	 connections_idle_closed;	/* idle, closed near the limit */
};


/* http.c */
int		 http_init(struct event_base *, const struct collector_conf *);
void		 http_reconf(const struct collector_conf *);
extern const struct reload_ops http_reload;
void		 http_stop(void);
void		 http_get_stats(struct http_stats *);


#endif /* FACMON_COLLECTOR_HTTP_H */
