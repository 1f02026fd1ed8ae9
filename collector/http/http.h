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
 * What the collector shows: the web server, the operator console's
 * logins and its API (docs/api.md).  This header is the module's face
 * to the rest of the collector: the 'web' group of the configuration,
 * the module's start, reload and stop, and its counters.  What the
 * module's files share among themselves is in api.h, which nothing
 * outside collector/http includes.  The last step of the pipeline: it
 * reads every module below and none of them includes this header.
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
struct cfgerr;
struct config_setting_t;

/* webauth.c: the 'web' group, and facmon-collector hashpw */
struct web_conf	*webconf_parse(struct cfgerr *, const struct config_setting_t *);
void		 webconf_free(struct web_conf *);
int		 web_hashpw_main(int argc, char *argv[]);

/* http.c */
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
struct event_base;
int		 http_init(struct event_base *, const struct collector_conf *);
void		 http_reconf(const struct collector_conf *);
extern const struct reload_ops http_reload;
void		 http_stop(void);
void		 http_get_stats(struct http_stats *);

#endif /* FACMON_COLLECTOR_HTTP_H */
