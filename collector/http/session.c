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
 * The console's sessions (docs/api.md): POST /api/v1/login and logout,
 * GET /api/v1/session, the login from the acknowledgement page's form,
 * and what the route table asks of every request (its session's user,
 * its CSRF token, whether the wall is private).  The session cookie is
 * read and written here only; webauth.c checks the passwords on its
 * thread and keeps the sessions.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "../alert/alert.h"

#define COOKIE		"facmon_session"

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

static void
set_cookie(struct evhttp_request *req, const char *token, int max_age)
{
	char	 c[256];

	snprintf(c, sizeof(c), COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; "
	    "SameSite=Strict%s", token, max_age,
	    hconf->web != NULL && hconf->web->secure_cookies ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", c);
}

static void
login_done(void *arg, int rc, const char *user, const char *ip,
    const char *token, const char *csrf)
{
	struct evhttp_request *req = arg;

	if (rc != 0) {
		reply_error(req, 401, "Unauthorized",
		    "wrong user name or password");
		return;
	}
	set_cookie(req, token, hconf->web->session_ms / 1000);
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
	if (hconf->web == NULL || hconf->web->nusers == 0) {
		reply_error(req, 403, "Forbidden", "no users are "
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
	rc = web_login_begin(user, pw, web_peer(req), login_done, req, &retry);
	explicit_bzero(pw, sizeof(pw));
	if (rc == -2) {
		snprintf(ra, sizeof(ra), "%lld", (long long)(retry / 1000 + 1));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", ra);
		reply_error(req, 429, "Too Many Requests",
		    "too many failed logins from this address; try later");
	} else if (rc == -3) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		reply_error(req, 503, "Service Unavailable",
		    "too many logins at once; try again");
	} else if (rc != 0)
		reply_error(req, 401, "Unauthorized",
		    "wrong user name or password");
}

int
webapi_logins(void)
{
	return hconf != NULL && hconf->web != NULL && hconf->web->nusers > 0;
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
		set_cookie(f->req, token, hconf->web->session_ms / 1000);
		web_audit(hconf->data_dir, user, ip, "login", NULL);
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
	if ((rc = web_login_begin(user, pw, web_peer(req), form_login_done, f,
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
	audit_then_reply(req, user, web_peer(req), "logout", NULL, 200,
	    json_pack("{s:b}", "ok", 1));
}

void
api_session(struct evhttp_request *req, const char *rest, const char *who)
{
	const char *csrf = NULL, *user = session_user(req, &csrf);
	const struct avconf *av = &hconf->av;
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
	    "public_wall", hconf->web == NULL || hconf->web->public_wall,
	    "logins", hconf->web != NULL && hconf->web->nusers > 0,
	    /* The page asks for /api/v1/alerts/sent only then. */
	    "show_sent", hconf->alerts != NULL && hconf->alerts->show_sent,
	    "timezone", av->tz[0] ? av->tz : "Asia/Shanghai",
	    "site", av->site[0], "site_en", av->site[1][0] ? av->site[1] :
	    av->site[0]);
	json_object_set_new(ans, "group_names", gn);
	json_object_set_new(ans, "class_names", cn);
	reply_json(req, 200, "OK", ans);
}

/* The user of the request's session, or NULL. */
const char *
web_request_user(struct evhttp_request *req, const char **csrf)
{
	return hconf != NULL ? session_user(req, csrf) : NULL;
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
	return hconf != NULL && hconf->web != NULL && !hconf->web->public_wall;
}
