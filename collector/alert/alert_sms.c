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
 * What the HTTP and SMS channels share: a POST with libcurl and the
 * class of its answer, header lines, random nonces, and the template
 * variables of an SMS, each sanitized (providers accept only approved
 * templates whose variables must not hold links or addresses).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <curl/curl.h>

#include "alert_channel.h"

#define SMS_VAR_CHARS	20	/* conservative limit of both providers */

void
alert_hex(char *dst, const unsigned char *p, size_t n)
{
	static const char h[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = h[p[i] >> 4];
		dst[2 * i + 1] = h[p[i] & 15];
	}
	dst[2 * n] = '\0';
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct alert_resp *r = arg;
	size_t	 c = size * n, take = c;

	if (take > sizeof(r->buf) - 1 - r->len)
		take = sizeof(r->buf) - 1 - r->len;
	memcpy(r->buf + r->len, p, take);
	r->len += take;
	r->buf[r->len] = '\0';
	return c;
}

/*
 * POST body to the channel's URL.  Returns SEND_OK when an HTTP answer
 * came (status in *status, body in r), else the class of the failure.
 */
int
alert_http_post(const struct alert_channel *ch, struct curl_slist *hdrs,
    const char *body, long *status, struct alert_resp *r, char *err,
    size_t errlen)
{
	CURL	*c;
	CURLcode rc;
	char	 ebuf[CURL_ERROR_SIZE];
	int	 res = SEND_OK;

	*status = 0;
	r->len = 0;
	r->buf[0] = '\0';
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return SEND_TEMP;
	}
	ebuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, ch->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (!ch->tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (ch->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf :
		    curl_easy_strerror(rc));
		res = (rc == CURLE_PEER_FAILED_VERIFICATION ||
		    rc == CURLE_SSL_CACERT_BADFILE ||
		    rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL) ? SEND_PERM : SEND_TEMP;
	}
	curl_easy_cleanup(c);
	return res;
}

/* 429 and 5xx: busy, later.  Other 4xx: this request never works. */
int
alert_http_class(long status)
{
	if (status >= 200 && status < 300)
		return SEND_OK;
	if (status == 429 || status >= 500 || status == 408)
		return SEND_TEMP;
	return SEND_PERM;
}

int
alert_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The channel's template variables, each sanitized for an SMS. */
int
alert_sms_vars(const struct alert_channel *ch, const struct alert_msg *m,
    char vals[ALERT_VARS_MAX][FM_TEXT_MAX])
{
	char	 raw[FM_TEXT_MAX * 2];
	int	 i;

	for (i = 0; i < ch->nvars; i++) {
		if (alert_var(raw, sizeof(raw), m, ch->vars[i],
		    ch->english) == -1)
			raw[0] = '\0';
		alert_var_sanitize(vals[i], FM_TEXT_MAX, raw, SMS_VAR_CHARS);
	}
	return ch->nvars;
}

/* Append a formatted header line; a failed allocation drops only it. */
struct curl_slist *
alert_hdr_add(struct curl_slist *l, const char *fmt, ...)
{
	va_list	 ap;
	char	*h;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&h, fmt, ap);
	va_end(ap);
	if (r == -1)
		return l;
	l = curl_slist_append(l, h);
	free(h);
	return l;
}
