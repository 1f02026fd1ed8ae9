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
 * SMS and webhook channels:
 *
 * - gammu: a file in gammu-smsd's "files" outbox, named
 *   OUT<priority><date>_<time>_<serial>_<number>_<note>.txt as
 *   gammu-smsd-files(7) describes; written under a hidden name (smsd
 *   skips names starting with '.') and renamed in, so smsd never reads
 *   half a message.  The text is UTF-16 with a byte order mark, which
 *   smsd recognises whatever its locale (without a mark it decodes in
 *   the locale); "encoding = utf-8" writes plain UTF-8 instead.
 * - aliyun: the Dysmsapi SendSms RPC call, signed with HMAC-SHA1 as in
 *   Aliyun's "signature mechanism" document; OutId carries the key.
 * - tencent: SendSms 2021-01-11, signed with TC3-HMAC-SHA256;
 *   SessionContext carries the key.
 * - webhook: a body template with ${variables}, each JSON-escaped,
 *   replaced in one pass (a value is never read as a template).
 *
 * SMS providers accept only approved templates whose variables must not
 * hold links or addresses: every variable goes through
 * alert_var_sanitize() first.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "alert.h"

#define SMS_VAR_CHARS	20	/* conservative limit of both providers */
#define RESP_MAX	8192

/* --- Aliyun ---------------------------------------------------------------- */

/* RFC 3986 unreserved characters stay, everything else is %XX. */
void
aliyun_percent(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 o = 0;
	const unsigned char *s = (const unsigned char *)src;

	for (; *s && o + 4 < len; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.' || *s == '~')
			dst[o++] = (char)*s;
		else {
			dst[o++] = '%';
			dst[o++] = hex[*s >> 4];
			dst[o++] = hex[*s & 15];
		}
	}
	dst[o] = '\0';
}

static const char **sort_kv;

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(sort_kv[2 * *(const int *)a], sort_kv[2 * *(const int *)b]);
}

/*
 * The canonicalized query: "k=v" pairs sorted by name, both percent
 * encoded, joined with '&'.  Returns malloc'ed text.
 */
static char *
aliyun_canonical(const char **kv, int n)
{
	int	 idx[32], i;
	size_t	 cap = 1, o = 0;
	char	*out, *ek, *ev;

	if (n > 32)
		return NULL;
	for (i = 0; i < n; i++) {
		idx[i] = i;
		cap += 3 * (strlen(kv[2 * i]) + strlen(kv[2 * i + 1])) + 2;
	}
	sort_kv = kv;
	qsort(idx, (size_t)n, sizeof(idx[0]), kv_cmp);
	if ((out = malloc(cap)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t	 lk = 3 * strlen(kv[2 * idx[i]]) + 5;
		size_t	 lv = 3 * strlen(kv[2 * idx[i] + 1]) + 5;

		ek = malloc(lk);
		ev = malloc(lv);
		if (ek == NULL || ev == NULL) {
			free(ek);
			free(ev);
			free(out);
			return NULL;
		}
		aliyun_percent(ek, lk, kv[2 * idx[i]]);
		aliyun_percent(ev, lv, kv[2 * idx[i] + 1]);
		o += (size_t)snprintf(out + o, cap - o, "%s%s=%s", i ? "&" : "",
		    ek, ev);
		free(ek);
		free(ev);
	}
	return out;
}

/*
 * Signature = Base64(HMAC-SHA1(secret + "&",
 *     method + "&" + percent("/") + "&" + percent(canonical)))
 * kv holds n name/value pairs, Signature not among them.
 */
int
aliyun_signature(const char *method, const char **kv, int n,
    const char *secret, char *out, size_t outlen)
{
	char	*canon, *ecanon, *sts, *key;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t	 l;
	int	 r = -1;

	if ((canon = aliyun_canonical(kv, n)) == NULL)
		return -1;
	l = 3 * strlen(canon) + 5;
	ecanon = malloc(l);
	if (ecanon == NULL) {
		free(canon);
		return -1;
	}
	aliyun_percent(ecanon, l, canon);
	if (asprintf(&sts, "%s&%%2F&%s", method, ecanon) != -1) {
		if (asprintf(&key, "%s&", secret) != -1) {
			if (HMAC(EVP_sha1(), key, (int)strlen(key),
			    (unsigned char *)sts, strlen(sts), mac,
			    &maclen) != NULL && outlen >= 4 * ((maclen + 2) /
			    3) + 1) {
				EVP_EncodeBlock((unsigned char *)out, mac,
				    (int)maclen);
				r = 0;
			}
			free(key);
		}
		free(sts);
	}
	free(ecanon);
	free(canon);
	return r;
}

/* --- Tencent Cloud -------------------------------------------------------- */

static void
hex(char *dst, const unsigned char *p, size_t n)
{
	static const char h[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = h[p[i] >> 4];
		dst[2 * i + 1] = h[p[i] & 15];
	}
	dst[2 * n] = '\0';
}

static void
sha256_hex(char out[65], const char *s)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), d);
	hex(out, d, sizeof(d));
}

static void
hmac256(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
	unsigned int l = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &l);
}

/*
 * TC3-HMAC-SHA256 for a POST to "/" without a query, signed headers
 * content-type and host.  sig gets the hex signature, date the UTC date
 * of ts (the credential scope needs it too).
 */
int
tc3_signature(const char *secret_key, const char *service, const char *host,
    const char *content_type, const char *payload, int64_t ts, char *sig,
    size_t siglen, char *date, size_t datelen)
{
	char	 ph[65], crh[65], *creq, *sts, *k0;
	unsigned char k1[32], k2[32], k3[32], s[32];
	time_t	 t = (time_t)ts;
	struct tm tm;

	if (siglen < 65 || gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(date, datelen, "%Y-%m-%d", &tm);
	sha256_hex(ph, payload);
	if (asprintf(&creq, "POST\n/\n\ncontent-type:%s\nhost:%s\n\n"
	    "content-type;host\n%s", content_type, host, ph) == -1)
		return -1;
	sha256_hex(crh, creq);
	free(creq);
	if (asprintf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s",
	    (long long)ts, date, service, crh) == -1)
		return -1;
	if (asprintf(&k0, "TC3%s", secret_key) == -1) {
		free(sts);
		return -1;
	}
	hmac256(k1, k0, strlen(k0), date);
	hmac256(k2, k1, 32, service);
	hmac256(k3, k2, 32, "tc3_request");
	hmac256(s, k3, 32, sts);
	hex(sig, s, 32);
	free(k0);
	free(sts);
	return 0;
}

/* --- HTTP ------------------------------------------------------------------- */

struct resp {
	char	 buf[RESP_MAX];
	size_t	 len;
};

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
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
static int
http_post(const struct alert_channel *ch, struct curl_slist *hdrs,
    const char *body, long *status, struct resp *r, char *err, size_t errlen)
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
static int
http_class(long status)
{
	if (status >= 200 && status < 300)
		return SEND_OK;
	if (status == 429 || status >= 500 || status == 408)
		return SEND_TEMP;
	return SEND_PERM;
}

static int
prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
aliyun_code_class(const char *code)
{
	if (strcmp(code, "OK") == 0)
		return SEND_OK;
	if (strcmp(code, "isv.BUSINESS_LIMIT_CONTROL") == 0 ||
	    prefix(code, "Throttling") || prefix(code, "ServiceUnavailable") ||
	    prefix(code, "InternalError") || strcmp(code,
	    "isp.SYSTEM_ERROR") == 0)
		return SEND_TEMP;
	return SEND_PERM;
}

static int
tencent_code_class(const char *code)
{
	if (strcmp(code, "Ok") == 0)
		return SEND_OK;
	if (prefix(code, "RequestLimitExceeded") ||
	    prefix(code, "LimitExceeded") || prefix(code, "InternalError") ||
	    prefix(code, "ResourceUnavailable") ||
	    prefix(code, "FailedOperation.Busy"))
		return SEND_TEMP;
	return SEND_PERM;
}

/* The channel's template variables, each sanitized for an SMS. */
static int
sms_vars(const struct alert_channel *ch, const struct alert_msg *m,
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

static void
random_hex(char *dst, size_t nbytes)
{
	unsigned char b[32];
	size_t	 i;

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		for (i = 0; i < nbytes; i++)
			b[i] = (unsigned char)random();
	hex(dst, b, nbytes);
}

int
aliyun_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	char	 vals[ALERT_VARS_MAX][FM_TEXT_MAX], phone[ALERT_PHONE_MAX + 2];
	char	 nonce[33], ts[32], sig[64], esig[200], *tp, *canon, *body;
	const char *kv[2 * 16];
	json_t	*o, *resp;
	struct curl_slist *hdrs = NULL;
	struct resp r;
	time_t	 now = time(NULL);
	struct tm tm;
	long	 status;
	int	 i, n = 0, res;

	sms_vars(ch, m, vals);
	if ((o = json_object()) == NULL)
		return SEND_TEMP;
	for (i = 0; i < ch->nvars; i++)
		json_object_set_new(o, ch->vars[i], json_string(vals[i]));
	tp = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (tp == NULL) {
		snprintf(err, errlen, "out of memory");
		return SEND_TEMP;
	}
	/* Mainland numbers without +86, others with the 00 prefix. */
	if (strncmp(rc->phone, "+86", 3) == 0)
		fm_strlcpy(phone, rc->phone + 3, sizeof(phone));
	else if (rc->phone[0] == '+')
		snprintf(phone, sizeof(phone), "00%s", rc->phone + 1);
	else
		fm_strlcpy(phone, rc->phone, sizeof(phone));
	random_hex(nonce, 16);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
#define KV(k, v) do { kv[2 * n] = (k); kv[2 * n + 1] = (v); n++; } while (0)
	KV("AccessKeyId", ch->key_id);
	KV("Action", "SendSms");
	KV("Format", "JSON");
	KV("OutId", msgid);
	KV("PhoneNumbers", phone);
	KV("RegionId", ch->region);
	KV("SignName", ch->sign_name);
	KV("SignatureMethod", "HMAC-SHA1");
	KV("SignatureNonce", nonce);
	KV("SignatureVersion", "1.0");
	KV("TemplateCode", ch->template_id);
	KV("TemplateParam", tp);
	KV("Timestamp", ts);
	KV("Version", "2017-05-25");
#undef KV
	if (aliyun_signature("POST", kv, n, ch->key_secret, sig,
	    sizeof(sig)) == -1 || (canon = aliyun_canonical(kv, n)) == NULL) {
		free(tp);
		snprintf(err, errlen, "signing failed");
		return SEND_TEMP;
	}
	free(tp);
	aliyun_percent(esig, sizeof(esig), sig);
	if (asprintf(&body, "Signature=%s&%s", esig, canon) == -1) {
		free(canon);
		return SEND_TEMP;
	}
	free(canon);
	hdrs = curl_slist_append(hdrs,
	    "Content-Type: application/x-www-form-urlencoded");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	res = http_post(ch, hdrs, body, &status, &r, err, errlen);
	curl_slist_free_all(hdrs);
	free(body);
	if (res != SEND_OK)
		return res;
	if ((resp = json_loads(r.buf, 0, NULL)) != NULL &&
	    json_string_value(json_object_get(resp, "Code")) != NULL) {
		const char *code = json_string_value(json_object_get(resp,
		    "Code"));
		const char *msg = json_string_value(json_object_get(resp,
		    "Message"));

		res = aliyun_code_class(code);
		/* A gateway's 5xx is busy whatever the body says. */
		if (http_class(status) == SEND_TEMP)
			res = SEND_TEMP;
		if (res != SEND_OK)
			snprintf(err, errlen, "aliyun HTTP %ld %s: %s", status,
			    code, msg ? msg : "");
	} else {
		res = http_class(status);
		if (res == SEND_OK)
			res = SEND_TEMP;	/* no answer we understand */
		snprintf(err, errlen, "aliyun HTTP %ld: unexpected answer",
		    status);
	}
	json_decref(resp);
	return res;
}

/* "https://host[:port]/path" -> "host[:port]": the signed Host. */
static int
url_authority(const char *url, char *dst, size_t len)
{
	const char *p = strstr(url, "://"), *e;

	if (p == NULL)
		return -1;
	p += 3;
	e = p + strcspn(p, "/?#");
	if (e == p || (size_t)(e - p) >= len)
		return -1;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
	return 0;
}

/* Append a formatted header line; a failed allocation drops only it. */
static struct curl_slist *
hdr_add(struct curl_slist *l, const char *fmt, ...)
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

int
tencent_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	static const char ct[] = "application/json; charset=utf-8";
	char	 vals[ALERT_VARS_MAX][FM_TEXT_MAX], phone[ALERT_PHONE_MAX + 4];
	char	 host[FM_TEXT_MAX], sig[65], date[16], *body;
	json_t	*o, *params, *resp, *e, *st;
	struct curl_slist *hdrs = NULL;
	struct resp r;
	int64_t	 ts = now_ms() / 1000;
	long	 status;
	int	 i, res;

	if (url_authority(ch->url, host, sizeof(host)) == -1) {
		snprintf(err, errlen, "bad url");
		return SEND_PERM;
	}
	sms_vars(ch, m, vals);
	if (rc->phone[0] == '+')
		fm_strlcpy(phone, rc->phone, sizeof(phone));
	else
		snprintf(phone, sizeof(phone), "+86%s", rc->phone);
	params = json_array();
	for (i = 0; i < ch->nvars; i++)
		json_array_append_new(params, json_string(vals[i]));
	o = json_pack("{s:[s], s:s, s:s, s:s, s:o, s:s}", "PhoneNumberSet",
	    phone, "SmsSdkAppId", ch->app_id, "SignName", ch->sign_name,
	    "TemplateId", ch->template_id, "TemplateParamSet", params,
	    "SessionContext", msgid);
	if (o == NULL || (body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		snprintf(err, errlen, "out of memory");
		return SEND_TEMP;
	}
	json_decref(o);
	if (tc3_signature(ch->key_secret, "sms", host, ct, body, ts, sig,
	    sizeof(sig), date, sizeof(date)) == -1) {
		free(body);
		snprintf(err, errlen, "signing failed");
		return SEND_TEMP;
	}
	hdrs = hdr_add(hdrs, "Authorization: TC3-HMAC-SHA256 Credential=%s/%s/"
	    "sms/tc3_request, SignedHeaders=content-type;host, Signature=%s",
	    ch->key_id, date, sig);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json; "
	    "charset=utf-8");
	hdrs = curl_slist_append(hdrs, "X-TC-Action: SendSms");
	hdrs = curl_slist_append(hdrs, "X-TC-Version: 2021-01-11");
	hdrs = hdr_add(hdrs, "X-TC-Timestamp: %lld", (long long)ts);
	hdrs = hdr_add(hdrs, "X-TC-Region: %s", ch->region);
	res = http_post(ch, hdrs, body, &status, &r, err, errlen);
	curl_slist_free_all(hdrs);
	free(body);
	if (res != SEND_OK)
		return res;
	resp = json_object_get(o = json_loads(r.buf, 0, NULL), "Response");
	if ((e = json_object_get(resp, "Error")) != NULL) {
		const char *code = json_string_value(json_object_get(e,
		    "Code"));

		res = code ? tencent_code_class(code) : SEND_TEMP;
		if (res == SEND_OK)
			res = SEND_PERM;
		snprintf(err, errlen, "tencent HTTP %ld %s: %s", status,
		    code ? code : "?", json_string_value(json_object_get(e,
		    "Message")) ? json_string_value(json_object_get(e,
		    "Message")) : "");
	} else if ((st = json_array_get(json_object_get(resp,
	    "SendStatusSet"), 0)) != NULL &&
	    json_string_value(json_object_get(st, "Code")) != NULL) {
		const char *code = json_string_value(json_object_get(st,
		    "Code"));

		res = tencent_code_class(code);
		if (res != SEND_OK)
			snprintf(err, errlen, "tencent %s: %s", code,
			    json_string_value(json_object_get(st, "Message")) ?
			    json_string_value(json_object_get(st, "Message")) :
			    "");
	} else {
		res = http_class(status);
		if (res == SEND_OK)
			res = SEND_TEMP;
		snprintf(err, errlen, "tencent HTTP %ld: unexpected answer",
		    status);
	}
	if (http_class(status) == SEND_TEMP && res != SEND_OK)
		res = SEND_TEMP;
	json_decref(o);
	return res;
}

/* --- webhook ---------------------------------------------------------------- */

static void
json_escape(char **out, size_t *o, size_t *cap, const char *s)
{
	for (; *s; s++) {
		char	 tmp[8];
		const char *rep = tmp;
		unsigned char c = (unsigned char)*s;
		size_t	 l;

		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '<' || c == '>' || c == '&' || c < 0x20 ||
		    c == 0x7f)
			/* < > & too: a body may land in an HTML page. */
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}
		l = strlen(rep);
		if (*o + l + 1 > *cap) {
			size_t	 nc = (*cap + l + 1) * 2;
			char	*np = realloc(*out, nc);

			if (np == NULL)
				return;
			*out = np;
			*cap = nc;
		}
		memcpy(*out + *o, rep, l);
		*o += l;
		(*out)[*o] = '\0';
	}
}

/*
 * ${name} replaced by the JSON-escaped value; the template is read once
 * from left to right and values are never looked at again, so a device
 * called "${key}" stays that text.
 */
int
webhook_render(char **out, const char *tmpl, const struct alert_msg *m,
    const struct alert_recipient *rc, int english, char *err, size_t errlen)
{
	size_t	 o = 0, cap = strlen(tmpl) * 2 + 64;
	const char *p = tmpl, *end;
	char	 name[FM_ID_MAX], val[FM_TEXT_MAX * 8];

	if ((*out = malloc(cap)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	(*out)[0] = '\0';
	while (*p) {
		if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}')) !=
		    NULL && (size_t)(end - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			if (strcmp(name, "phone") == 0)
				fm_strlcpy(val, rc->phone, sizeof(val));
			else if (strcmp(name, "email") == 0)
				fm_strlcpy(val, rc->email, sizeof(val));
			else if (strcmp(name, "recipient") == 0)
				fm_strlcpy(val, rc->name, sizeof(val));
			else if (alert_var(val, sizeof(val), m, name,
			    english) == -1)
				val[0] = '\0';
			alert_one_line(val, sizeof(val), val);
			json_escape(out, &o, &cap, val);
			p = end + 1;
			continue;
		}
		{
			char	 c[2] = { *p, '\0' };

			if (o + 2 > cap) {
				char	*np = realloc(*out, cap * 2);

				if (np == NULL)
					break;
				*out = np;
				cap *= 2;
			}
			memcpy(*out + o, c, 2);
			o++;
		}
		p++;
	}
	return 0;
}

int
webhook_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct resp r;
	char	*body;
	json_t	*resp;
	long	 status;
	int	 res;

	if (webhook_render(&body, ch->body, m, rc, ch->english, err,
	    errlen) == -1)
		return SEND_TEMP;
	hdrs = hdr_add(hdrs, "Content-Type: %s", ch->content_type);
	/* msgid is from the key alphabet: safe in a header. */
	hdrs = hdr_add(hdrs, "Idempotency-Key: %s", msgid);
	hdrs = hdr_add(hdrs, "X-Facmon-Key: %s", m->key);
	res = http_post(ch, hdrs, body, &status, &r, err, errlen);
	curl_slist_free_all(hdrs);
	free(body);
	if (res != SEND_OK)
		return res;
	if ((res = http_class(status)) != SEND_OK) {
		snprintf(err, errlen, "webhook HTTP %ld: %.80s", status, r.buf);
		return res;
	}
	/* WeCom and DingTalk robots answer 200 with an errcode. */
	if ((resp = json_loads(r.buf, 0, NULL)) != NULL &&
	    json_is_integer(json_object_get(resp, "errcode"))) {
		json_int_t ec = json_integer_value(json_object_get(resp,
		    "errcode"));

		if (ec != 0) {
			/* -1 busy, 45009 WeCom and 130101 DingTalk limits */
			res = (ec == -1 || ec == 45009 || ec == 130101) ?
			    SEND_TEMP : SEND_PERM;
			snprintf(err, errlen, "webhook errcode %lld: %.80s",
			    (long long)ec, json_string_value(json_object_get(
			    resp, "errmsg")) ? json_string_value(
			    json_object_get(resp, "errmsg")) : "");
		}
	}
	json_decref(resp);
	return res;
}

/* --- gammu-smsd spool ----------------------------------------------------- */

/* UTF-8 to UTF-16BE after a byte order mark, as smsd writes it too. */
static size_t
to_utf16be(unsigned char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	 o = 0;

	if (len < 2)
		return 0;
	dst[o++] = 0xfe;
	dst[o++] = 0xff;
	while (*s && o + 4 <= len) {
		uint32_t cp;
		size_t	 l = fm_utf8_len(s, strnlen((const char *)s, 4)), i;

		/* common/util.c validated the sequence: only its bits here. */
		if (l == 0) {
			cp = '?';
			l = 1;
		} else if (l == 1)
			cp = *s;
		else {
			cp = s[0] & (0xff >> (l + 1));
			for (i = 1; i < l; i++)
				cp = (cp << 6) | (s[i] & 0x3f);
		}
		s += l;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			dst[o++] = (unsigned char)(0xd8 | ((cp >> 18) & 3));
			dst[o++] = (unsigned char)(cp >> 10);
			dst[o++] = (unsigned char)(0xdc | ((cp >> 8) & 3));
			dst[o++] = (unsigned char)cp;
		} else {
			dst[o++] = (unsigned char)(cp >> 8);
			dst[o++] = (unsigned char)cp;
		}
	}
	return o;
}

int
gammu_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	char	 text[1024], note[48], tmp[PATH_MAX], path[PATH_MAX], ts[32];
	unsigned char data[2048];
	size_t	 len, i, off;
	time_t	 now = time(NULL);
	struct tm tm;
	ssize_t	 w;
	int	 fd, e;

	alert_sms_text(text, sizeof(text), m, ch->english);
	/* The note must hold neither '.' (extension) nor '_' (fields). */
	for (i = 0; msgid[i] != '\0' && i < 40; i++)
		note[i] = (msgid[i] == '.' || msgid[i] == '_') ? '-' :
		    msgid[i];
	note[i] = '\0';
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d_%H%M%S", &tm);
	if ((size_t)snprintf(path, sizeof(path), "%s/OUT%c%s_00_%s_%s.txt",
	    ch->spool_dir, ch->priority, ts, rc->phone, note) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.facmon-%s.tmp", ch->spool_dir, note) >= sizeof(tmp)) {
		snprintf(err, errlen, "spool path too long");
		return SEND_PERM;
	}
	if (ch->utf8) {
		len = strlen(text);
		memcpy(data, text, len);
	} else
		len = to_utf16be(data, sizeof(data), text);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		goto fail;
	for (off = 0; off < len; off += (size_t)w) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			goto fail;
		}
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return SEND_OK;
fail:
	snprintf(err, errlen, "gammu spool %s: %s", ch->spool_dir,
	    strerror(errno));
	/* A missing or forbidden spool is a configuration fault. */
	return (errno == ENOENT || errno == EACCES || errno == ENOTDIR ||
	    errno == EROFS) ? SEND_PERM : SEND_TEMP;
}
