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
 * HTTP(S) probe on the libcurl multi interface, driven by the agent's
 * event loop.
 *
 *	url		default "http://<address>/" ("https://" for type
 *			https); "{address}" in it becomes the device address
 *	expect_status	an int or a list of ints; default any 2xx or 3xx
 *	expect_body	substring the body must contain
 *	json_field	top-level field or dotted path ("db.state") whose
 *	json_value	value must read as this string, number or boolean
 *	max_latency	duration; a slower answer is "slow", not "ok"
 *	method		"GET" (default) or "HEAD"
 *	headers		list of "Name: value" request headers
 *	verify_tls	bool, default true
 *	ca_file		CA bundle for verify_tls
 *	follow_redirects bool, default false
 *
 * One multi handle serves every check.  curl tells us which sockets to
 * watch and when it wants a timer; libevent tells curl when either
 * fires.  Name lookups run in curl's resolver thread, so nothing here
 * blocks the loop.  Each probe gets a fresh easy handle and a fresh
 * connection, so connect_ms measures the device every time rather than a
 * connection kept from the previous probe.  Proxies from the environment
 * are ignored: a monitor must reach the device itself.
 *
 * Values: status, total_ms, connect_ms (the TCP handshake, after name
 * lookup), ttfb_ms (request start to first response byte) and size (body
 * bytes received, including any beyond the 64 KiB kept for matching).
 */

#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "probe.h"

#define HTTP_URL_MAX		2048
#define HTTP_BODY_KEEP		(64 * 1024)	/* body bytes kept for matching */
#define HTTP_STATUS_MAX		16	/* codes in expect_status */
#define HTTP_HEADERS_MAX	32
#define HTTP_HEADER_LEN		1024
#define HTTP_MATCH_MAX		1024	/* expect_body, json_field, json_value */
#define HTTP_MAX_REDIRS		5

struct http_opts {
	char		*url;
	int		 status[HTTP_STATUS_MAX];
	int		 nstatus;	/* 0: any 2xx or 3xx */
	char		*expect_body;
	char		*json_field;
	char		*json_value;
	int		 max_latency_ms;	/* 0: no limit */
	int		 verify_tls;
	char		*ca_file;
	int		 head;		/* method HEAD */
	char		**headers;
	int		 nheaders;
	int		 follow_redirects;
};

struct http_state {
	struct check	*check;
	const struct http_opts *o;
	struct fm_result *r;		/* non-NULL while a probe runs */
	CURL		*easy;		/* non-NULL while curl owns the probe */
	struct curl_slist *hdrs;
	struct event	*deadline;
	struct event	*finish;	/* reports failures found in start() */
	char		*body;
	size_t		 bodylen;	/* kept */
	size_t		 bodycap;
	size_t		 size;		/* received */
	long		 timeout_ms;	/* curl's limit for this probe */
	char		 errbuf[CURL_ERROR_SIZE];
};

static int	http_parse(struct cfgerr *, const config_setting_t *,
		    struct check_conf *, const struct device_conf *);
static void	http_free_opts(void *);
static int	http_init(struct check *);
static void	http_start(struct check *);
static void	http_cleanup(struct check *);

static const char *const http_keys[] = {
	"url", "expect_status", "expect_body", "json_field", "json_value",
	"max_latency", "verify_tls", "ca_file", "method", "headers",
	"follow_redirects", NULL
};

const struct probe_ops probe_http = {
	.type = CT_HTTP,
	.name = "http",
	.keys = http_keys,
	.parse = http_parse,
	.free_opts = http_free_opts,
	.init = http_init,
	.start = http_start,
	.cleanup = http_cleanup,
};

/* Configuration. */

static void
http_free_opts(void *arg)
{
	struct http_opts *o = arg;
	int	 i;

	if (o == NULL)
		return;
	free(o->url);
	free(o->expect_body);
	free(o->json_field);
	free(o->json_value);
	free(o->ca_file);
	for (i = 0; i < o->nheaders; i++)
		free(o->headers[i]);
	free(o->headers);
	free(o);
}

/*
 * An IPv6 literal must be bracketed inside a URL ("http://[::1]/"); a
 * name or an IPv4 address goes in as it is.
 */
static void
http_url_host(char *dst, size_t len, const char *address)
{
	if (strchr(address, ':') != NULL && address[0] != '[')
		snprintf(dst, len, "[%s]", address);
	else
		fm_strlcpy(dst, address, len);
}

static int
http_expand_url(char *dst, size_t len, const char *tmpl, const char *address)
{
	char	 host[FM_TEXT_MAX + 2];
	const char *p, *q;
	size_t	 o = 0, n;

	http_url_host(host, sizeof(host), address);
	for (p = tmpl; *p != '\0'; p = q) {
		if (strncmp(p, "{address}", 9) == 0) {
			n = strlen(host);
			if (o + n >= len)
				return -1;
			memcpy(dst + o, host, n);
			o += n;
			q = p + 9;
			continue;
		}
		if (o + 1 >= len)
			return -1;
		dst[o++] = *p;
		q = p + 1;
	}
	dst[o] = '\0';
	return 0;
}

/* Check that curl can use the URL and that it is plain http or https. */
static int
http_check_url(struct cfgerr *e, const config_setting_t *where,
    const char *url, int want_https)
{
	CURLU	*u;
	CURLUcode rc;
	char	*scheme = NULL, *host = NULL;
	int	 bad = 0;
	const char *p;

	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			cfgerr_add(e, where, "url '%s' contains a space or a "
			    "control character", url);
			return -1;
		}
	if ((u = curl_url()) == NULL) {
		cfgerr_add(e, where, "out of memory");
		return -1;
	}
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		cfgerr_add(e, where, "url '%s': %s", url,
		    curl_url_strerror(rc));
		curl_url_cleanup(u);
		return -1;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		cfgerr_add(e, where, "url '%s': only http:// and https:// "
		    "are supported", url);
		bad = 1;
	} else if (want_https && strcmp(scheme, "https") != 0) {
		cfgerr_add(e, where, "url '%s': type is https but the url is "
		    "not", url);
		bad = 1;
	}
	if (!bad && (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')) {
		cfgerr_add(e, where, "url '%s' has no host", url);
		bad = 1;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return bad ? -1 : 0;
}

static int
http_parse_status(struct cfgerr *e, const config_setting_t *s,
    struct http_opts *o)
{
	config_setting_t *m = config_setting_get_member(s, "expect_status");
	config_setting_t *el;
	long long v;
	int	 i, n, t, bad = 0;

	if (m == NULL)
		return 0;
	t = config_setting_type(m);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		if (cfg_get_int(e, s, "expect_status", &v, 100, 599, 0) != 1)
			return -1;
		o->status[0] = (int)v;
		o->nstatus = 1;
		return 0;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		cfgerr_add(e, m, "'expect_status' must be a status code or a "
		    "list of them, such as [200, 204]");
		return -1;
	}
	n = config_setting_length(m);
	if (n == 0 || n > HTTP_STATUS_MAX) {
		cfgerr_add(e, m, "'expect_status' must list 1 to %d codes",
		    HTTP_STATUS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		el = config_setting_get_elem(m, (unsigned)i);
		t = config_setting_type(el);
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			cfgerr_add(e, el, "'expect_status' element %d must be "
			    "an integer", i + 1);
			bad = 1;
			continue;
		}
		v = config_setting_get_int64(el);
		if (v < 100 || v > 599) {
			cfgerr_add(e, el, "'expect_status' element %d must be "
			    "between 100 and 599", i + 1);
			bad = 1;
			continue;
		}
		o->status[o->nstatus++] = (int)v;
	}
	return bad ? -1 : 0;
}

/* A header name is an HTTP token: no spaces, no separators. */
static int
http_valid_header(const char *h)
{
	const char *colon = strchr(h, ':');
	const char *p;

	if (colon == NULL || colon == h)
		return 0;
	for (p = h; p < colon; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("()<>@,;\\\"/[]?={}", *p) != NULL)
			return 0;
	return 1;
}

static int
http_parse_headers(struct cfgerr *e, const config_setting_t *s,
    struct http_opts *o)
{
	config_setting_t *m = config_setting_get_member(s, "headers");
	config_setting_t *el;
	const char *h;
	int	 i, n, t, bad = 0;

	if (m == NULL)
		return 0;
	t = config_setting_type(m);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		cfgerr_add(e, m, "'headers' must be a list of strings such as "
		    "[\"Accept: application/json\"]");
		return -1;
	}
	n = config_setting_length(m);
	if (n > HTTP_HEADERS_MAX) {
		cfgerr_add(e, m, "'headers' has %d entries, at most %d", n,
		    HTTP_HEADERS_MAX);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((o->headers = calloc((size_t)n, sizeof(*o->headers))) == NULL) {
		cfgerr_add(e, m, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		el = config_setting_get_elem(m, (unsigned)i);
		if ((h = config_setting_get_string(el)) == NULL) {
			cfgerr_add(e, el, "'headers' element %d must be a "
			    "string", i + 1);
			bad = 1;
			continue;
		}
		/* A CR or LF would let the text start a header of its own. */
		if (strpbrk(h, "\r\n") != NULL) {
			cfgerr_add(e, el, "'headers' element %d contains a CR "
			    "or LF", i + 1);
			bad = 1;
			continue;
		}
		if (strlen(h) >= HTTP_HEADER_LEN) {
			cfgerr_add(e, el, "'headers' element %d is too long (at "
			    "most %d bytes)", i + 1, HTTP_HEADER_LEN - 1);
			bad = 1;
			continue;
		}
		if (!http_valid_header(h)) {
			cfgerr_add(e, el, "'headers' element %d: '%s' is not "
			    "\"Name: value\"", i + 1, h);
			bad = 1;
			continue;
		}
		if ((o->headers[o->nheaders] = strdup(h)) == NULL) {
			cfgerr_add(e, el, "out of memory");
			bad = 1;
			continue;
		}
		o->nheaders++;
	}
	return bad ? -1 : 0;
}

/*
 * json_value may be written as a string, a number or a boolean; all are
 * kept as text and compared against the JSON value by meaning.
 */
static int
http_parse_json_value(struct cfgerr *e, const config_setting_t *s,
    struct http_opts *o)
{
	config_setting_t *m = config_setting_get_member(s, "json_value");
	char	 buf[64];
	const char *v;

	if (m == NULL)
		return 0;
	switch (config_setting_type(m)) {
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(m);
		if (strlen(v) >= HTTP_MATCH_MAX) {
			cfgerr_add(e, m, "'json_value' is too long (at most %d "
			    "bytes)", HTTP_MATCH_MAX - 1);
			return -1;
		}
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, sizeof(buf), "%lld",
		    config_setting_get_int64(m));
		v = buf;
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, sizeof(buf), "%.17g",
		    config_setting_get_float(m));
		v = buf;
		break;
	case CONFIG_TYPE_BOOL:
		v = config_setting_get_bool(m) ? "true" : "false";
		break;
	default:
		cfgerr_add(e, m, "'json_value' must be a string, a number or "
		    "true/false");
		return -1;
	}
	if ((o->json_value = strdup(v)) == NULL) {
		cfgerr_add(e, m, "out of memory");
		return -1;
	}
	return 0;
}

static int
http_dup_opt(struct cfgerr *e, const config_setting_t *s, const char *key,
    char **dst, size_t max)
{
	char	*buf;
	int	 r;

	if ((buf = malloc(max)) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return -1;
	}
	r = cfg_get_str(e, s, key, buf, max, 0);
	if (r == 1) {
		if (buf[0] == '\0') {
			cfgerr_add(e, config_setting_get_member(s, key),
			    "'%s' must not be empty", key);
			r = -1;
		} else if ((*dst = strdup(buf)) == NULL) {
			cfgerr_add(e, s, "out of memory");
			r = -1;
		}
	}
	free(buf);
	return r;
}

static int
http_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dev)
{
	struct http_opts *o;
	const config_setting_t *m;
	char	 tmpl[HTTP_URL_MAX], url[HTTP_URL_MAX];
	char	 method[16];
	const char *type = NULL, *p;
	int	 https, bad = 0, r;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return -1;
	}
	o->verify_tls = 1;

	/* Both spellings map to one check type; the scheme tells them apart. */
	https = config_setting_lookup_string(s, "type", &type) ==
	    CONFIG_TRUE && strcmp(type, "https") == 0;

	if ((r = cfg_get_str(e, s, "url", tmpl, sizeof(tmpl), 0)) == -1)
		bad = 1;
	else {
		m = config_setting_get_member(s, "url");
		if (r == 0) {
			snprintf(tmpl, sizeof(tmpl), "%s://{address}/",
			    https ? "https" : "http");
			m = s;
		}
		if (http_expand_url(url, sizeof(url), tmpl, dev->address) ==
		    -1) {
			cfgerr_add(e, m, "url is too long once the address is "
			    "put in (at most %d bytes)", HTTP_URL_MAX - 1);
			bad = 1;
		} else if (http_check_url(e, m, url, https) == -1)
			bad = 1;
		else if ((o->url = strdup(url)) == NULL) {
			cfgerr_add(e, s, "out of memory");
			bad = 1;
		}
	}

	if (http_parse_status(e, s, o) == -1)
		bad = 1;
	if (http_dup_opt(e, s, "expect_body", &o->expect_body,
	    HTTP_MATCH_MAX) == -1)
		bad = 1;
	if ((r = http_dup_opt(e, s, "json_field", &o->json_field,
	    HTTP_MATCH_MAX)) == -1)
		bad = 1;
	else if (r == 1) {
		p = o->json_field;
		if (p[0] == '.' || p[strlen(p) - 1] == '.' ||
		    strstr(p, "..") != NULL) {
			cfgerr_add(e, config_setting_get_member(s,
			    "json_field"), "'json_field' '%s' has an empty "
			    "part", p);
			bad = 1;
		}
	}
	if (http_parse_json_value(e, s, o) == -1)
		bad = 1;
	if ((config_setting_get_member(s, "json_field") == NULL) !=
	    (config_setting_get_member(s, "json_value") == NULL)) {
		cfgerr_add(e, s, "'json_field' and 'json_value' go together");
		bad = 1;
	}
	if (cfg_get_secs(e, s, "max_latency", &o->max_latency_ms, 1,
	    24 * 3600 * 1000, 0) == -1)
		bad = 1;
	if (cfg_get_bool(e, s, "verify_tls", &o->verify_tls, 0) == -1)
		bad = 1;
	if (cfg_get_bool(e, s, "follow_redirects", &o->follow_redirects,
	    0) == -1)
		bad = 1;
	if ((r = http_dup_opt(e, s, "ca_file", &o->ca_file, PATH_MAX)) == -1)
		bad = 1;
	else if (r == 1 && access(o->ca_file, R_OK) == -1) {
		cfgerr_add(e, config_setting_get_member(s, "ca_file"),
		    "ca_file '%s': %s", o->ca_file, strerror(errno));
		bad = 1;
	}

	if ((r = cfg_get_str(e, s, "method", method, sizeof(method), 0)) == -1)
		bad = 1;
	else if (r == 1) {
		m = config_setting_get_member(s, "method");
		if (strcmp(method, "HEAD") == 0)
			o->head = 1;
		else if (strcmp(method, "GET") != 0) {
			cfgerr_add(e, m, "'method' must be \"GET\" or "
			    "\"HEAD\"");
			bad = 1;
		}
		if (o->head && (o->expect_body != NULL ||
		    o->json_field != NULL)) {
			cfgerr_add(e, m, "method HEAD has no body to match "
			    "'expect_body' or 'json_field' against");
			bad = 1;
		}
	}
	if (http_parse_headers(e, s, o) == -1)
		bad = 1;

	if (bad) {
		http_free_opts(o);
		return -1;
	}
	cc->opts = o;
	return 0;
}

/* The transfer engine: curl on the loop (curlev.c). */

static void	http_check_done(void);

int
http_global_init(void)
{
	return curlev_init(agent_base, http_check_done);
}

/* Call once every http check is cleaned up. */
void
http_global_cleanup(void)
{
	curlev_cleanup();
}

/* One probe. */

static size_t
http_write_fn(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_state *st = arg;
	size_t	 n = size * nmemb, take;

	st->size += n;
	if (st->bodylen >= HTTP_BODY_KEEP)
		return n;
	take = HTTP_BODY_KEEP - st->bodylen;
	if (take > n)
		take = n;
	if (st->bodylen + take + 1 > st->bodycap) {
		size_t	 ncap = st->bodycap ? st->bodycap : 4096;
		char	*nb;

		while (ncap < st->bodylen + take + 1)
			ncap *= 2;
		if (ncap > HTTP_BODY_KEEP + 1)
			ncap = HTTP_BODY_KEEP + 1;
		if ((nb = realloc(st->body, ncap)) == NULL)
			return 0;	/* curl fails the transfer */
		st->body = nb;
		st->bodycap = ncap;
	}
	memcpy(st->body + st->bodylen, data, take);
	st->bodylen += take;
	st->body[st->bodylen] = '\0';
	return n;
}

/* Quote text from the server for a message: short and printable. */
static void
http_printable(char *dst, size_t dlen, const char *src, size_t max)
{
	size_t	 i, o = 0;

	if (dlen < 3)
		return;
	dst[o++] = '"';
	for (i = 0; src[i] != '\0' && i < max && o + 3 < dlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[o++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '.';
	}
	dst[o++] = '"';
	dst[o] = '\0';
	if (src[i] != '\0' && o + 3 < dlen)
		memcpy(dst + o, "...", 4);
}

static void
http_reset(struct http_state *st)
{
	if (st->easy != NULL) {
		curl_multi_remove_handle(curlev_multi(), st->easy);
		curl_easy_cleanup(st->easy);
		st->easy = NULL;
	}
	evtimer_del(st->deadline);
	event_del(st->finish);
	free(st->body);
	st->body = NULL;
	st->bodylen = st->bodycap = st->size = 0;
}

static void
http_report(struct http_state *st)
{
	struct fm_result *r = st->r;

	http_reset(st);
	st->r = NULL;
	probe_done(st->check, r);
}

static int
http_transport_outcome(CURLcode rc, long oserr)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return PR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return oserr == ECONNREFUSED ? PR_REFUSED : PR_UNREACHABLE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PR_RESOLVE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return PR_TLS;
	default:
		return PR_IO_ERROR;
	}
}

static int
http_status_ok(const struct http_opts *o, long code)
{
	int	 i;

	if (o->nstatus == 0)
		return code >= 200 && code <= 399;
	for (i = 0; i < o->nstatus; i++)
		if (o->status[i] == code)
			return 1;
	return 0;
}

/* Does the JSON value read as the configured text? */
static int
http_json_equal(const json_t *v, const char *want)
{
	char	*end;
	long long ll;
	double	 d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strcmp(json_string_value(v), want) == 0;
	case JSON_INTEGER:
		errno = 0;
		ll = strtoll(want, &end, 10);
		if (end != want && *end == '\0' && errno == 0)
			return ll == json_integer_value(v);
		d = strtod(want, &end);
		return end != want && *end == '\0' &&
		    d == (double)json_integer_value(v);
	case JSON_REAL:
		d = strtod(want, &end);
		return end != want && *end == '\0' && d == json_real_value(v);
	case JSON_TRUE:
		return strcmp(want, "true") == 0;
	case JSON_FALSE:
		return strcmp(want, "false") == 0;
	case JSON_NULL:
		return strcmp(want, "null") == 0;
	default:
		return 0;
	}
}

/* Check the body against json_field/json_value; 0 if it matches. */
static int
http_check_json(struct http_state *st, char *msg, size_t msglen)
{
	const struct http_opts *o = st->o;
	json_t	*root, *v;
	json_error_t jerr;
	char	 path[HTTP_MATCH_MAX], *part, *save = NULL, *dump;
	char	 got[48], want[48];
	int	 rv = -1;

	root = json_loadb(st->body != NULL ? st->body : "", st->bodylen, 0,
	    &jerr);
	if (root == NULL) {
		snprintf(msg, msglen, "body is not JSON%s: %.100s",
		    st->size > st->bodylen ? " (over 64 KiB)" : "", jerr.text);
		return -1;
	}
	fm_strlcpy(path, o->json_field, sizeof(path));
	v = root;
	for (part = strtok_r(path, ".", &save); part != NULL;
	    part = strtok_r(NULL, ".", &save)) {
		if (!json_is_object(v) || (v = json_object_get(v, part)) ==
		    NULL) {
			snprintf(msg, msglen, "JSON field '%s' is missing",
			    o->json_field);
			goto out;
		}
	}
	http_printable(want, sizeof(want), o->json_value, 32);
	if (http_json_equal(v, o->json_value)) {
		rv = 0;
		goto out;
	}
	if ((dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL) {
		/* The dump of a string has its own quotes; show it bare. */
		if (json_is_string(v))
			http_printable(got, sizeof(got), json_string_value(v),
			    32);
		else
			http_printable(got, sizeof(got), dump, 32);
		free(dump);
	} else
		fm_strlcpy(got, "?", sizeof(got));
	snprintf(msg, msglen, "JSON field '%s' is %s, expected %s",
	    o->json_field, got, want);
out:
	json_decref(root);
	return rv;
}

static void
http_done(struct http_state *st, CURLcode rc)
{
	const struct http_opts *o = st->o;
	CURL	*h = st->easy;
	curl_off_t t_total = 0, t_conn = 0, t_dns = 0, t_start = 0;
	long	 code = 0, oserr = 0;
	char	 msg[FM_ERRMSG_MAX], want[48];
	double	 total_ms;

	if (rc != CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		result_fail(st->r, http_transport_outcome(rc, oserr), "%s",
		    st->errbuf[0] != '\0' ? st->errbuf :
		    curl_easy_strerror(rc));
		http_report(st);
		return;
	}

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &t_total);
	curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &t_dns);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t_conn);
	curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &t_start);
	total_ms = (double)t_total / 1000.0;
	result_add_gauge(st->r, "status", (double)code);
	result_add_gauge(st->r, "total_ms", total_ms);
	result_add_gauge(st->r, "connect_ms",
	    (double)(t_conn > t_dns ? t_conn - t_dns : 0) / 1000.0);
	result_add_gauge(st->r, "ttfb_ms", (double)t_start / 1000.0);
	result_add_gauge(st->r, "size", (double)st->size);

	if (!http_status_ok(o, code)) {
		result_fail(st->r, PR_BAD_STATUS, "HTTP %ld", code);
	} else if (o->expect_body != NULL && (st->body == NULL ||
	    strstr(st->body, o->expect_body) == NULL)) {
		http_printable(want, sizeof(want), o->expect_body, 40);
		result_fail(st->r, PR_BAD_CONTENT, "body lacks %s (%zu bytes "
		    "checked)", want, st->bodylen);
	} else if (o->json_field != NULL &&
	    http_check_json(st, msg, sizeof(msg)) == -1) {
		result_fail(st->r, PR_BAD_CONTENT, "%s", msg);
	} else if (o->max_latency_ms > 0 && total_ms > o->max_latency_ms) {
		result_fail(st->r, PR_SLOW, "took %.0f ms, limit %d ms",
		    total_ms, o->max_latency_ms);
	}
	http_report(st);
}

/* Collect the transfers curl has finished. */
static void
http_check_done(void)
{
	struct http_state *st;
	CURLMsg	*m;
	CURL	*easy;
	CURLcode rc;
	char	*priv;
	int	 left;

	while ((m = curl_multi_info_read(curlev_multi(), &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* The message dies with the handle: copy it out first. */
		easy = m->easy_handle;
		rc = m->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		st = (struct http_state *)(void *)priv;
		if (st == NULL || st->easy != easy) {
			curl_multi_remove_handle(curlev_multi(), easy);
			curl_easy_cleanup(easy);
			continue;
		}
		http_done(st, rc);
	}
}

/*
 * The check's deadline.  curl has the same timeout, but whichever fires
 * first ends the probe: removing the handle here means curl will never
 * report it.
 */
static void
http_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_state *st = arg;
	curl_off_t t_dns = 0, t_conn = 0;
	const char *stage;

	(void)fd;
	(void)what;
	if (st->r == NULL || st->easy == NULL)
		return;
	curl_easy_getinfo(st->easy, CURLINFO_NAMELOOKUP_TIME_T, &t_dns);
	curl_easy_getinfo(st->easy, CURLINFO_CONNECT_TIME_T, &t_conn);
	if (t_dns == 0)
		stage = "resolving the name";
	else if (t_conn == 0)
		stage = "connecting";
	else
		stage = "waiting for the answer";
	result_fail(st->r, PR_TIMEOUT, "no answer within %d ms (%s)",
	    st->check->conf->timeout_ms, stage);
	http_report(st);
}

static void
http_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_state *st = arg;

	(void)fd;
	(void)what;
	if (st->r != NULL)
		http_report(st);
}

static int
http_init(struct check *c)
{
	const struct http_opts *o = c->conf->opts;
	struct http_state *st;
	struct curl_slist *l;
	int	 i;

	if (curlev_multi() == NULL) {
		log_warnx("%s/%s: http checks need http_global_init()",
		    c->dev->conf->id, c->conf->id);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->check = c;
	st->o = o;
	for (i = 0; i < o->nheaders; i++) {
		if ((l = curl_slist_append(st->hdrs, o->headers[i])) == NULL)
			goto fail;
		st->hdrs = l;
	}
	st->deadline = evtimer_new(agent_base, http_deadline_cb, st);
	st->finish = evtimer_new(agent_base, http_finish_cb, st);
	if (st->deadline == NULL || st->finish == NULL)
		goto fail;
	c->state = st;
	return 0;
fail:
	if (st->deadline != NULL)
		event_free(st->deadline);
	if (st->finish != NULL)
		event_free(st->finish);
	curl_slist_free_all(st->hdrs);
	free(st);
	return -1;
}

static void
http_cleanup(struct check *c)
{
	struct http_state *st = c->state;

	if (st == NULL)
		return;
	http_reset(st);
	if (st->r != NULL) {
		/* A probe in flight is dropped without a report. */
		fm_result_clear(st->r);
		free(st->r);
	}
	event_free(st->deadline);
	event_free(st->finish);
	curl_slist_free_all(st->hdrs);
	free(st);
	c->state = NULL;
}

static CURL *
http_easy(struct http_state *st)
{
	const struct http_opts *o = st->o;
	CURL	*h;
	int	 bad = 0;

	if ((h = curl_easy_init()) == NULL)
		return NULL;
#define SET(opt, val)	bad |= curl_easy_setopt(h, opt, val) != CURLE_OK
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PRIVATE, (void *)st);
	SET(CURLOPT_ERRORBUFFER, st->errbuf);
	SET(CURLOPT_WRITEFUNCTION, http_write_fn);
	SET(CURLOPT_WRITEDATA, (void *)st);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, st->timeout_ms);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, o->follow_redirects ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	SET(CURLOPT_SSL_VERIFYPEER, o->verify_tls ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, o->verify_tls ? 2L : 0L);
	/*
	 * Reading a CA bundle takes tens of milliseconds, inside curl and so
	 * on the loop.  A hashed CA directory is read lazily, one file per
	 * issuer, so the system default is used through it when libcurl has
	 * one.  A ca_file of the check's own is read once: curl caches the
	 * store it builds as long as no directory is set beside it.
	 */
	if (o->ca_file != NULL) {
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, NULL);
	} else if (curlev_have_capath())
		SET(CURLOPT_CAINFO, NULL);
	if (o->head)
		SET(CURLOPT_NOBODY, 1L);
	if (st->hdrs != NULL)
		SET(CURLOPT_HTTPHEADER, st->hdrs);
	SET(CURLOPT_USERAGENT, "facmon-agent/" FACMON_VERSION);
	SET(CURLOPT_PROXY, "");
	/*
	 * Without this, dropping a transfer whose name lookup still runs
	 * waits for the resolver thread, which can take the resolver's full
	 * timeout.  With it the thread is left to finish on its own.
	 */
	SET(CURLOPT_QUICK_EXIT, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
#undef SET
	if (bad) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

static void
http_start(struct check *c)
{
	struct http_state *st = c->state;
	struct timeval tv;
	int64_t	 left;

	if (st->r != NULL) {
		/* The scheduler never overlaps probes; drop the old one. */
		log_warnx("%s/%s: http probe started while one runs",
		    c->dev->conf->id, c->conf->id);
		http_reset(st);
		fm_result_clear(st->r);
		free(st->r);
	}
	st->r = result_new(c);
	st->errbuf[0] = '\0';

	left = c->deadline_us - mono_us();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	evtimer_add(st->deadline, &tv);
	/* curl's own limit is what is left of the same deadline. */
	st->timeout_ms = left / 1000 > 0 ? (long)(left / 1000) : 1;

	if ((st->easy = http_easy(st)) == NULL) {
		result_fail(st->r, PR_INTERNAL, "cannot set up the request");
		event_active(st->finish, EV_TIMEOUT, 1);
		return;
	}
	if (curl_multi_add_handle(curlev_multi(), st->easy) != CURLM_OK) {
		curl_easy_cleanup(st->easy);
		st->easy = NULL;
		result_fail(st->r, PR_INTERNAL, "cannot start the request");
		event_active(st->finish, EV_TIMEOUT, 1);
	}
}
