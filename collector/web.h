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
 * The operator console: logins, sessions, CSRF tokens, the audit log
 * (webauth.c), and the API that changes things or serves the pages'
 * extra data (webapi.c).  http.c hands every request to webapi_handle()
 * first.
 */

#ifndef FACMON_WEB_H
#define FACMON_WEB_H

#include <stdint.h>

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

/* Access classes of the web's paths (the table in webapi.c). */
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
int		 web_login_begin(const char *user, const char *pw,
		    const char *ip, web_login_cb, void *arg, int64_t *retry_ms);
void		 web_logout(const char *token);
const char	*web_session_user(const char *token, const char **csrf);
int		 web_csrf_ok(const char *token, const char *csrf);
void		 web_audit(const char *data_dir, const char *user,
		    const char *ip, const char *action, struct json_t *detail);
void		 webauth_reconf(const struct web_conf *);
size_t		 web_sessions(void);

/* webapi.c */
struct evhttp;
int		 webapi_init(struct evhttp *, struct event_base *,
		    const struct web_conf *, char *err, size_t errlen);
void		 webapi_stop(void);
int		 webapi_https(void);
struct bufferevent *webapi_tls_bev(struct event_base *);
void		 webapi_reconf(const struct collector_conf *);
int		 webapi_handle(struct evhttp_request *, const char *path);
const struct avconf *webapi_avconf(void);
/*
 * For the acknowledgement page (alerting.c): whether the console has
 * logins, who is logged in, and a login from a form whose answer goes
 * to cb (user NULL: refused) with the session cookie already set.
 */
typedef void	(*webapi_login_cb)(struct evhttp_request *, const char *user,
		    void *arg);
int		 webapi_logins(void);
const char	*webapi_user(struct evhttp_request *);
int		 webapi_form_login(struct evhttp_request *, const char *user,
		    const char *pw, webapi_login_cb, void *arg,
		    int64_t *retry_ms);

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
/* A JSON string of any bytes: invalid UTF-8 becomes U+FFFD, never NULL. */
struct json_t	*http_jstr(const char *);

/* warnings.c */
struct alert_conf;
struct json_t	*warnings_json(const struct device_state *,
		    const struct alert_conf *);

#endif /* FACMON_WEB_H */
