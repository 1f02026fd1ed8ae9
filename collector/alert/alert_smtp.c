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

#include "alert_channel.h"

/* The labels of the details, in the channel's language. */
struct labels {
	const char *device, *check, *where, *since, *started, *sofar, *lasted;
	const char *budget, *runbook, *raw, *link, *ack;
	const char *h_device, *h_check, *h_where, *h_since, *h_started;
	const char *h_sofar, *h_lasted, *h_budget, *h_runbook, *h_raw, *h_open;
	const char *h_ack;
};
static const struct labels lab[2] = {
	{ "设备：", "检查：", "位置：", "发生时间：", "开始时间：", "已持续：",
	  "共中断：", "影响：", "处理建议：", "原始信息：", "查看：",
	  "一键确认：",
	  "设备", "检查", "位置", "发生时间", "开始时间", "已持续", "共中断",
	  "影响", "处理建议", "原始信息", "打开设备页面", "一键确认" },
	{ "Device:   ", "Check:    ", "Where:    ", "Since:    ",
	  "Started:  ", "So far:   ", "Lasted:   ", "Cost:     ",
	  "To do:    ", "Raw:      ", "Link:     ", "Ack:      ",
	  "Device", "Check", "Where", "Since", "Started", "So far", "Lasted",
	  "Cost", "To do", "Raw data", "Open the device page",
	  "Acknowledge" }
};

/* Cut to at most max characters, on a character boundary. */
static void
utf8_trim(char *s, size_t max)
{
	size_t	 n = 0;
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		if (n == max) {
			*p = '\0';
			return;
		}
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		n++;
	}
}

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
	char	 subj[FM_TEXT_MAX * 4], esubj[FM_TEXT_MAX * 12], date[64];
	char	 name[FM_TEXT_MAX], check[FM_TEXT_MAX], head[FM_TEXT_MAX * 2];
	char	 what[FM_TEXT_MAX * 2], where[FM_TEXT_MAX * 2];
	char	 runbook[FM_TEXT_MAX], budget[FM_TEXT_MAX], raw[600];
	char	 since[48], dur[32], link[ALERT_URL_MAX], ack[ALERT_URL_MAX];
	char	 e1[FM_TEXT_MAX * 12], e2[FM_TEXT_MAX * 12], e3[600 * 6];
	char	 e4[ALERT_URL_MAX * 6], e5[FM_ID_MAX * 6];
	const struct alert_conf *c;
	const struct labels *L;
	const char *domain;
	time_t	 now = time(NULL);
	struct tm tm;
	int	 en;

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
	en = ch->english > 0;
	c = alert_conf_current();
	alert_var(name, sizeof(name), m, "name", en);
	alert_var(check, sizeof(check), m, "check", en);
	alert_var(link, sizeof(link), m, "link", en);
	alert_ack_link(ack, sizeof(ack), m);
	alert_headline(head, sizeof(head), m, en);
	alert_what(what, sizeof(what), m, en);
	alert_where(where, sizeof(where), c, m, en);
	alert_runbook(runbook, sizeof(runbook), c, m, en);
	alert_budget(budget, sizeof(budget), m, en);
	alert_time(since, sizeof(since), m->since_ms, AT_FULL, en);
	alert_duration(dur, sizeof(dur), m->duration_ms, en);
	/* The probe's own words, for whoever digs deeper. */
	raw[0] = '\0';
	if (m->f.what == AW_TRAP && !alert_trap_decoded(m))
		alert_one_line(raw, sizeof(raw), m->f.varbinds);
	else if ((m->f.what == AW_PROBE && m->kind != AK_RECOVERY) ||
	    m->f.what == AW_HEALTH)
		alert_one_line(raw, sizeof(raw), m->cause);
	/* Severity and kind first: a phone shows the subject's start. */
	if ((size_t)snprintf(subj, sizeof(subj), "%s %s %s", head,
	    en ? "-" : "—", what) >= sizeof(subj))
		log_debug("alerts: subject cut");
	alert_one_line(subj, sizeof(subj), subj);
	if (!alert_shorten(subj, 120))
		utf8_trim(subj, 120);
	if (smtp_encode_subject(esubj, sizeof(esubj), subj) == -1) {
		snprintf(err, errlen, "subject too long");
		return -1;
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);

	/* The text part: the headline, the sentence, then the details. */
	L = en ? &lab[1] : &lab[0];
	bput(&t, "%s\r\n%s\r\n\r\n", head, what);
	bput(&t, "%s%s (%s)\r\n", L->device, name, m->device_id);
	if (check[0])
		bput(&t, "%s%s\r\n", L->check, check);
	if (where[0])
		bput(&t, "%s%s\r\n", L->where, where);
	bput(&t, "%s%s\r\n", m->kind == AK_RECOVERY ? L->started :
	    L->since, since);
	if (m->duration_ms >= 1000)
		bput(&t, "%s%s\r\n", m->kind == AK_RECOVERY ? L->lasted :
		    L->sofar, dur);
	if (budget[0])
		bput(&t, "%s%s\r\n", L->budget, budget);
	if (runbook[0])
		bput(&t, "%s%s\r\n", L->runbook, runbook);
	if (raw[0])
		bput(&t, "%s%s\r\n", L->raw, raw);
	if (link[0])
		bput(&t, "%s%s\r\n", L->link, link);
	if (ack[0])
		bput(&t, "%s%s\r\n", L->ack, ack);
	bput(&t, "\r\nfacmon %s\r\n", m->key);

	/*
	 * The HTML part, for a phone: the viewport of the device, a type
	 * size one reads without zooming, one column; every value
	 * escaped, links only http(s).
	 */
	bput(&h, "<!DOCTYPE html>\r\n<html lang=\"%s\"><head><meta "
	    "charset=\"utf-8\">\r\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\r\n"
	    "<style>body{font-family:-apple-system,\"PingFang SC\","
	    "\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;"
	    "font-size:17px;line-height:1.5;margin:12px;color:#111}"
	    "h2{font-size:20px;margin:0 0 6px}"
	    "p.w{font-size:18px;margin:0 0 12px}"
	    "dt{color:#666;font-size:14px;margin-top:8px}dd{margin:0}"
	    "a.b{display:inline-block;padding:10px 16px;margin-top:14px;"
	    "background:#1565c0;color:#fff;border-radius:6px;"
	    "text-decoration:none}</style>\r\n</head><body>\r\n",
	    en ? "en" : "zh-CN");
	alert_html_escape(e1, sizeof(e1), head);
	bput(&h, "<h2 style=\"color:%s\">%s</h2>\r\n", m->kind ==
	    AK_RECOVERY ? "#2e7d32" : m->severity == AS_CRITICAL ? "#c62828" :
	    "#e65100", e1);
	alert_html_escape(e1, sizeof(e1), what);
	bput(&h, "<p class=\"w\">%s</p>\r\n<dl>\r\n", e1);
	alert_html_escape(e1, sizeof(e1), name);
	alert_html_escape(e5, sizeof(e5), m->device_id);
	bput(&h, "<dt>%s</dt><dd>%s (%s)</dd>\r\n", L->h_device, e1, e5);
	if (check[0]) {
		alert_html_escape(e2, sizeof(e2), check);
		bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", L->h_check, e2);
	}
	if (where[0]) {
		alert_html_escape(e2, sizeof(e2), where);
		bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", L->h_where, e2);
	}
	bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", m->kind == AK_RECOVERY ?
	    L->h_started : L->h_since, since);
	if (m->duration_ms >= 1000)
		bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", m->kind ==
		    AK_RECOVERY ? L->h_lasted : L->h_sofar, dur);
	if (budget[0]) {
		alert_html_escape(e2, sizeof(e2), budget);
		bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", L->h_budget, e2);
	}
	if (runbook[0]) {
		alert_html_escape(e2, sizeof(e2), runbook);
		bput(&h, "<dt>%s</dt><dd>%s</dd>\r\n", L->h_runbook, e2);
	}
	if (raw[0]) {
		alert_html_escape(e3, sizeof(e3), raw);
		bput(&h, "<dt>%s</dt><dd><small>%s</small></dd>\r\n",
		    L->h_raw, e3);
	}
	bput(&h, "</dl>\r\n");
	if (strncmp(link, "http://", 7) == 0 ||
	    strncmp(link, "https://", 8) == 0) {
		alert_html_escape(e4, sizeof(e4), link);
		bput(&h, "<p><a class=\"b\" href=\"%s\">%s</a></p>\r\n"
		    "<p><small>%s</small></p>\r\n", e4, L->h_open, e4);
	}
	if (strncmp(ack, "http://", 7) == 0 ||
	    strncmp(ack, "https://", 8) == 0) {
		alert_html_escape(e4, sizeof(e4), ack);
		bput(&h, "<p><a class=\"b\" style=\"background:#2e7d32\" "
		    "href=\"%s\">%s</a></p>\r\n", e4, L->h_ack);
	}
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

static int
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

static const char *const smtp_keys[] = { "name", "type", "timeout", "host",
	"port", "tls", "tls_verify", "ca_file", "username", "password", "from",
	"per_hour", "language", NULL };

static void
smtp_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	char	 s[16];
	long long v;

	alert_conf_line(e, g, "host", ch->host, sizeof(ch->host), 1);
	ch->tls = TLS_STARTTLS;
	if (cfg_get_str(e, g, "tls", s, sizeof(s), 0) == 1) {
		if (strcmp(s, "starttls") == 0)
			ch->tls = TLS_STARTTLS;
		else if (strcmp(s, "implicit") == 0)
			ch->tls = TLS_IMPLICIT;
		else if (strcmp(s, "none") == 0)
			ch->tls = TLS_NONE;
		else
			cfgerr_add(e, config_setting_get_member(g, "tls"),
			    "'tls' must be \"starttls\", \"implicit\" or "
			    "\"none\"");
	}
	ch->port = ch->tls == TLS_IMPLICIT ? 465 : 587;
	if (cfg_get_int(e, g, "port", &v, 1, 65535, 0) == 1)
		ch->port = (int)v;
	alert_conf_line(e, g, "username", ch->username, sizeof(ch->username),
	    0);
	alert_conf_line(e, g, "password", ch->password, sizeof(ch->password),
	    0);
	if (alert_conf_line(e, g, "from", ch->from, sizeof(ch->from),
	    1) == 1 && !alert_valid_email(ch->from))
		cfgerr_add(e, config_setting_get_member(g, "from"),
		    "'from': '%s' is not an e-mail address", ch->from);
}

const struct channel_ops channel_smtp = {
	.type = "smtp",
	.keys = smtp_keys,
	.needs = CN_EMAIL,
	.parse = smtp_parse,
	.send = smtp_send,
};
