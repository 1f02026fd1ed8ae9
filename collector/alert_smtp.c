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
 * Alert e-mail through libcurl's SMTP: implicit TLS (smtps://, 465) or
 * STARTTLS (587), login, a text and an HTML part.  libcurl sends the
 * message as we hand it over and does not look at the headers, so this
 * file makes sure that nothing from a device reaches a header raw: the
 * subject is one line and RFC 2047 encoded, the addresses come from the
 * config and are checked there and here, and both bodies are base64 so
 * that no line of device text can end the headers or the message.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "alert.h"

static const char *const kind_subject[] = { NULL, "故障", "恢复", "超限",
	"系统告警", "测试", "事件" };

static char *
b64(const void *data, size_t len)
{
	char	*out;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/*
 * RFC 2047 "B" encoded-words of at most 75 characters, split on
 * character boundaries (a word must hold whole characters) and folded.
 */
int
smtp_encode_subject(char *dst, size_t len, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t	 o = 0, n;
	char	*w;

	dst[0] = '\0';
	while (*s) {
		/* 45 bytes become 60 base64 characters: 72 in the word. */
		n = 0;
		while (s[n] != '\0') {
			size_t	 l = fm_utf8_len(s + n, strnlen((const char *)
			    s + n, 4));

			if (l == 0)
				l = 1;	/* alert_one_line() left none */
			if (n + l > 45)
				break;
			n += l;
		}
		if (n == 0)
			return -1;
		if ((w = b64(s, n)) == NULL)
			return -1;
		o += (size_t)snprintf(dst + o, o < len ? len - o : 0,
		    "%s=?UTF-8?B?%s?=", o ? "\r\n " : "", w);
		free(w);
		if (o >= len)
			return -1;
		s += n;
	}
	return 0;
}

struct buf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
bput(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bput(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t	 ncap = (b->cap + (size_t)n) * 2;
			char	*np = realloc(b->p, ncap);

			if (np == NULL) {
				b->err = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

/* A body part as base64 in lines of 76. */
static void
bput_b64(struct buf *b, const char *text)
{
	char	*e = b64(text, strlen(text));
	size_t	 i, n;

	if (e == NULL) {
		b->err = 1;
		return;
	}
	n = strlen(e);
	for (i = 0; i < n; i += 76)
		bput(b, "%.76s\r\n", e + i);
	free(e);
}

static int
header_ok(const char *v)
{
	return strpbrk(v, "\r\n") == NULL;
}

int
smtp_build_message(char **out, size_t *outlen, const struct alert_channel *ch,
    const char *to, const struct alert_msg *m, const char *msgid, char *err,
    size_t errlen)
{
	struct buf b = { NULL, 0, 0, 0 }, t = { NULL, 0, 0, 0 },
	    h = { NULL, 0, 0, 0 };
	char	 subj[FM_TEXT_MAX * 2], esubj[FM_TEXT_MAX * 6], date[64];
	char	 name[FM_TEXT_MAX], check[FM_TEXT_MAX], cause[FM_TEXT_MAX];
	char	 since[32], dur[32], durz[32], link[ALERT_URL_MAX];
	char	 e1[FM_TEXT_MAX * 6], e2[FM_TEXT_MAX * 6], e3[FM_TEXT_MAX * 6];
	char	 e4[ALERT_URL_MAX * 6], e5[FM_ID_MAX * 6];
	const char *domain;
	time_t	 now = time(NULL);
	struct tm tm;
	int	 k = m->kind >= AK_DOWN && m->kind <= AK_MAX ? m->kind : AK_DOWN;

	*out = NULL;
	if (!alert_valid_email(to) || !alert_valid_email(ch->from)) {
		snprintf(err, errlen, "refused address (CR, LF or not plain)");
		return -1;
	}
	if (!alert_valid_key(m->key) || !header_ok(msgid)) {
		snprintf(err, errlen, "refused idempotency key");
		return -1;
	}
	domain = strchr(ch->from, '@') + 1;
	alert_var(name, sizeof(name), m, "name", 0);
	alert_var(check, sizeof(check), m, "check", 0);
	alert_var(cause, sizeof(cause), m, "cause", 0);
	alert_var(since, sizeof(since), m, "since", 0);
	alert_var(link, sizeof(link), m, "link", 0);
	alert_duration(durz, sizeof(durz), m->duration_ms, 0);
	alert_duration(dur, sizeof(dur), m->duration_ms, 1);
	if ((size_t)snprintf(subj, sizeof(subj), "[facmon] %s: %s %s",
	    kind_subject[k], name, check) >= sizeof(subj))
		log_debug("alerts: subject cut");
	alert_one_line(subj, sizeof(subj), subj);
	if (smtp_encode_subject(esubj, sizeof(esubj), subj) == -1) {
		snprintf(err, errlen, "subject too long");
		return -1;
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);

	/* The text part. */
	bput(&t, "%s: %s (%s)\r\n\r\n", kind_subject[k], name, m->device_id);
	bput(&t, "检查 Check:       %s\r\n", check);
	bput(&t, "原因 Cause:       %s\r\n", cause);
	bput(&t, "开始 Since:       %s\r\n", since);
	/* A recovery says how long the outage lasted, in full. */
	bput(&t, "%s%s (%s)\r\n", k == AK_RECOVERY ?
	    "共中断 Lasted:    " : "已持续 Outage:    ", durz, dur);
	if (link[0])
		bput(&t, "链接 Link:        %s\r\n", link);
	bput(&t, "\r\nfacmon %s\r\n", m->key);

	/* The HTML part: every value escaped, links only http(s). */
	alert_html_escape(e1, sizeof(e1), name);
	alert_html_escape(e2, sizeof(e2), check);
	alert_html_escape(e3, sizeof(e3), cause);
	alert_html_escape(e4, sizeof(e4), link);
	alert_html_escape(e5, sizeof(e5), m->device_id);
	bput(&h, "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\">"
	    "</head><body>\r\n<h2>%s: %s</h2>\r\n<table>\r\n",
	    kind_subject[k], e1);
	bput(&h, "<tr><th align=\"left\">设备 Device</th><td>%s (%s)</td>"
	    "</tr>\r\n", e1, e5);
	bput(&h, "<tr><th align=\"left\">检查 Check</th><td>%s</td></tr>\r\n",
	    e2);
	bput(&h, "<tr><th align=\"left\">原因 Cause</th><td>%s</td></tr>\r\n",
	    e3);
	bput(&h, "<tr><th align=\"left\">开始 Since</th><td>%s</td></tr>\r\n",
	    since);
	bput(&h, "<tr><th align=\"left\">%s</th><td>%s (%s)</td>"
	    "</tr>\r\n</table>\r\n", k == AK_RECOVERY ? "共中断 Lasted" :
	    "已持续 Outage", durz, dur);
	if (strncmp(link, "http://", 7) == 0 ||
	    strncmp(link, "https://", 8) == 0)
		bput(&h, "<p><a href=\"%s\">%s</a></p>\r\n", e4, e4);
	bput(&h, "</body></html>\r\n");

	bput(&b, "From: facmon <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s@%s>\r\nX-Facmon-Key: %s\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; "
	    "boundary=\"=_facmon_%08x\"\r\n\r\n", ch->from, to, esubj, date,
	    msgid, domain, m->key, crc32c(0, msgid, strlen(msgid)));
	bput(&b, "--=_facmon_%08x\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    crc32c(0, msgid, strlen(msgid)));
	if (!t.err && t.p != NULL)
		bput_b64(&b, t.p);
	bput(&b, "--=_facmon_%08x\r\nContent-Type: text/html; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    crc32c(0, msgid, strlen(msgid)));
	if (!h.err && h.p != NULL)
		bput_b64(&b, h.p);
	bput(&b, "--=_facmon_%08x--\r\n", crc32c(0, msgid, strlen(msgid)));
	free(t.p);
	free(h.p);
	if (b.err || t.err || h.err) {
		free(b.p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

struct reader {
	const char *p;
	size_t	 left;
};

static size_t
read_cb(char *dst, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t	 c = size * n;

	if (c > r->left)
		c = r->left;
	memcpy(dst, r->p, c);
	r->p += c;
	r->left -= c;
	return c;
}

/*
 * The transfer options every message to an SMTP channel shares: server,
 * TLS, login and envelope.  The caller adds the message (a read callback
 * or a MIME tree) and keeps rcpt and ebuf until the transfer is done.
 */
void
smtp_setup(CURL *c, const struct alert_channel *ch, struct curl_slist *rcpt,
    char *ebuf)
{
	char	 url[FM_TEXT_MAX + 32], from[ALERT_ADDR_MAX + 2];

	snprintf(url, sizeof(url), "%s://%s:%d", ch->tls == TLS_IMPLICIT ?
	    "smtps" : "smtp", ch->host, ch->port);
	snprintf(from, sizeof(from), "<%s>", ch->from);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms);
	if (ch->tls == TLS_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (!ch->tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (ch->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
	if (ch->username[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ch->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password);
	}
	/* libcurl copies the string options; the sender is set here. */
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
}

/* Run the transfer and say whether trying again can help. */
int
smtp_perform(CURL *c, const char *ebuf, char *err, size_t errlen)
{
	CURLcode rc_curl;
	long	 code = 0;
	int	 res;

	rc_curl = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc_curl == CURLE_OK)
		res = SEND_OK;
	else if (rc_curl == CURLE_LOGIN_DENIED)
		res = SEND_PERM;
	else if (rc_curl == CURLE_USE_SSL_FAILED ||
	    rc_curl == CURLE_PEER_FAILED_VERIFICATION ||
	    rc_curl == CURLE_SSL_CACERT_BADFILE ||
	    rc_curl == CURLE_UNSUPPORTED_PROTOCOL ||
	    rc_curl == CURLE_URL_MALFORMAT)
		res = SEND_PERM;
	else if (code >= 500 && code < 600)
		res = SEND_PERM;	/* the server said never */
	else
		res = SEND_TEMP;	/* 4xx, timeouts, refused connections */
	if (res != SEND_OK)
		snprintf(err, errlen, "smtp %ld: %s", code,
		    ebuf[0] ? ebuf : curl_easy_strerror(rc_curl));
	return res;
}

int
smtp_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	CURL	*c;
	struct curl_slist *rcpt = NULL;
	struct reader rd;
	char	 to[ALERT_ADDR_MAX + 2], ebuf[CURL_ERROR_SIZE];
	char	*msg;
	size_t	 len;
	int	 res;

	if (smtp_build_message(&msg, &len, ch, rc->email, m, msgid, err,
	    errlen) == -1)
		return SEND_PERM;
	if ((c = curl_easy_init()) == NULL) {
		free(msg);
		snprintf(err, errlen, "curl_easy_init failed");
		return SEND_TEMP;
	}
	snprintf(to, sizeof(to), "<%s>", rc->email);
	rcpt = curl_slist_append(NULL, to);
	rd.p = msg;
	rd.left = len;
	ebuf[0] = '\0';
	smtp_setup(c, ch, rcpt, ebuf);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	res = smtp_perform(c, ebuf, err, errlen);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(msg);
	return res;
}
