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
 * The Tencent Cloud SMS channel: SendSms 2021-01-11, signed with
 * TC3-HMAC-SHA256; SessionContext carries the key.  Template variables
 * go through alert_var_sanitize() first, as for Aliyun.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "alert_channel.h"

static void
sha256_hex(char out[65], const char *s)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), d);
	alert_hex(out, d, sizeof(d));
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
	alert_hex(sig, s, 32);
	free(k0);
	free(sts);
	return 0;
}

static int
tencent_code_class(const char *code)
{
	if (strcmp(code, "Ok") == 0)
		return SEND_OK;
	if (alert_prefix(code, "RequestLimitExceeded") ||
	    alert_prefix(code, "LimitExceeded") ||
	    alert_prefix(code, "InternalError") ||
	    alert_prefix(code, "ResourceUnavailable") ||
	    alert_prefix(code, "FailedOperation.Busy"))
		return SEND_TEMP;
	return SEND_PERM;
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

static int
tencent_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	static const char ct[] = "application/json; charset=utf-8";
	char	 vals[ALERT_VARS_MAX][FM_TEXT_MAX], phone[ALERT_PHONE_MAX + 4];
	char	 host[FM_TEXT_MAX], sig[65], date[16], *body;
	json_t	*o, *params, *resp, *e, *st;
	struct curl_slist *hdrs = NULL;
	struct alert_resp r;
	int64_t	 ts = now_ms() / 1000;
	long	 status;
	int	 i, res;

	if (url_authority(ch->url, host, sizeof(host)) == -1) {
		snprintf(err, errlen, "bad url");
		return SEND_PERM;
	}
	alert_sms_vars(ch, m, vals);
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
	hdrs = alert_hdr_add(hdrs, "Authorization: TC3-HMAC-SHA256 "
	    "Credential=%s/%s/sms/tc3_request, "
	    "SignedHeaders=content-type;host, Signature=%s",
	    ch->key_id, date, sig);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json; "
	    "charset=utf-8");
	hdrs = curl_slist_append(hdrs, "X-TC-Action: SendSms");
	hdrs = curl_slist_append(hdrs, "X-TC-Version: 2021-01-11");
	hdrs = alert_hdr_add(hdrs, "X-TC-Timestamp: %lld", (long long)ts);
	hdrs = alert_hdr_add(hdrs, "X-TC-Region: %s", ch->region);
	res = alert_http_post(ch, hdrs, body, &status, &r, err, errlen);
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
		res = alert_http_class(status);
		if (res == SEND_OK)
			res = SEND_TEMP;
		snprintf(err, errlen, "tencent HTTP %ld: unexpected answer",
		    status);
	}
	if (alert_http_class(status) == SEND_TEMP && res != SEND_OK)
		res = SEND_TEMP;
	json_decref(o);
	return res;
}

static const char *const tencent_keys[] = { "name", "type", "timeout", "url",
	"secret_id", "secret_key", "region", "app_id", "sign_name",
	"template", "variables", "language", "tls_verify", "ca_file",
	"per_hour", NULL };

static void
tencent_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	alert_conf_url(e, g, ch);
	alert_conf_line(e, g, "secret_id", ch->key_id, sizeof(ch->key_id), 1);
	alert_conf_line(e, g, "secret_key", ch->key_secret,
	    sizeof(ch->key_secret), 1);
	fm_strlcpy(ch->region, "ap-guangzhou", sizeof(ch->region));
	alert_conf_line(e, g, "region", ch->region, sizeof(ch->region), 0);
	alert_conf_line(e, g, "app_id", ch->app_id, sizeof(ch->app_id), 1);
	alert_conf_line(e, g, "sign_name", ch->sign_name,
	    sizeof(ch->sign_name), 1);
	alert_conf_line(e, g, "template", ch->template_id,
	    sizeof(ch->template_id), 1);
	alert_conf_vars(e, g, ch);
}

const struct channel_ops channel_tencent = {
	.type = "tencent",
	.keys = tencent_keys,
	.needs = CN_PHONE,
	.parse = tencent_parse,
	.send = tencent_send,
};
