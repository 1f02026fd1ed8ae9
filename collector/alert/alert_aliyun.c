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
 * The Aliyun SMS channel: the Dysmsapi SendSms RPC call, signed with
 * HMAC-SHA1 as in Aliyun's "signature mechanism" document; OutId
 * carries the key.  SMS providers accept only approved templates whose
 * variables must not hold links or addresses: every variable goes
 * through alert_var_sanitize() first (alert_sms_vars).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alert_channel.h"

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

static int
aliyun_code_class(const char *code)
{
	if (strcmp(code, "OK") == 0)
		return SEND_OK;
	if (strcmp(code, "isv.BUSINESS_LIMIT_CONTROL") == 0 ||
	    alert_prefix(code, "Throttling") ||
	    alert_prefix(code, "ServiceUnavailable") ||
	    alert_prefix(code, "InternalError") || strcmp(code,
	    "isp.SYSTEM_ERROR") == 0)
		return SEND_TEMP;
	return SEND_PERM;
}

static int
aliyun_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	char	 vals[ALERT_VARS_MAX][FM_TEXT_MAX], phone[ALERT_PHONE_MAX + 2];
	char	 nonce[33], ts[32], sig[64], esig[200], *tp, *canon, *body;
	const char *kv[2 * 16];
	json_t	*o, *resp;
	struct curl_slist *hdrs = NULL;
	struct alert_resp r;
	time_t	 now = time(NULL);
	struct tm tm;
	long	 status;
	int	 i, n = 0, res;

	alert_sms_vars(ch, m, vals);
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
	if (fm_random_hex(nonce, 16) == -1)
		log_warnx("aliyun: no random nonce from the kernel");
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
	res = alert_http_post(ch, hdrs, body, &status, &r, err, errlen);
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
		if (alert_http_class(status) == SEND_TEMP)
			res = SEND_TEMP;
		if (res != SEND_OK)
			snprintf(err, errlen, "aliyun HTTP %ld %s: %s", status,
			    code, msg ? msg : "");
	} else {
		res = alert_http_class(status);
		if (res == SEND_OK)
			res = SEND_TEMP;	/* no answer we understand */
		snprintf(err, errlen, "aliyun HTTP %ld: unexpected answer",
		    status);
	}
	json_decref(resp);
	return res;
}

static const char *const aliyun_keys[] = { "name", "type", "timeout", "url",
	"access_key_id", "access_key_secret", "region", "sign_name",
	"template", "variables", "language", "tls_verify", "ca_file",
	"per_hour", NULL };

static void
aliyun_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	alert_conf_url(e, g, ch);
	alert_conf_line(e, g, "access_key_id", ch->key_id,
	    sizeof(ch->key_id), 1);
	alert_conf_line(e, g, "access_key_secret", ch->key_secret,
	    sizeof(ch->key_secret), 1);
	fm_strlcpy(ch->region, "cn-hangzhou", sizeof(ch->region));
	alert_conf_line(e, g, "region", ch->region, sizeof(ch->region), 0);
	alert_conf_line(e, g, "sign_name", ch->sign_name,
	    sizeof(ch->sign_name), 1);
	alert_conf_line(e, g, "template", ch->template_id,
	    sizeof(ch->template_id), 1);
	alert_conf_vars(e, g, ch);
}

const struct channel_ops channel_aliyun = {
	.type = "aliyun",
	.keys = aliyun_keys,
	.needs = CN_PHONE,
	.parse = aliyun_parse,
	.send = aliyun_send,
};
