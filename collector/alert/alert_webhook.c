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
 * The generic webhook channel (WeCom and DingTalk robots, or anything
 * that takes a POST): a body template with ${variables}, each
 * JSON-escaped, replaced in one pass (a value is never read as a
 * template).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alert_channel.h"

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

static int
webhook_send(const struct alert_channel *ch, const struct alert_recipient *rc,
    const struct alert_msg *m, const char *msgid, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct alert_resp r;
	char	*body;
	json_t	*resp;
	long	 status;
	int	 res;

	if (webhook_render(&body, ch->body, m, rc, ch->english, err,
	    errlen) == -1)
		return SEND_TEMP;
	hdrs = alert_hdr_add(hdrs, "Content-Type: %s", ch->content_type);
	/* msgid is from the key alphabet: safe in a header. */
	hdrs = alert_hdr_add(hdrs, "Idempotency-Key: %s", msgid);
	hdrs = alert_hdr_add(hdrs, "X-Facmon-Key: %s", m->key);
	res = alert_http_post(ch, hdrs, body, &status, &r, err, errlen);
	curl_slist_free_all(hdrs);
	free(body);
	if (res != SEND_OK)
		return res;
	if ((res = alert_http_class(status)) != SEND_OK) {
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

static const char *const webhook_keys[] = { "name", "type", "timeout", "url",
	"body", "content_type", "language", "tls_verify", "ca_file",
	"per_hour", "signature", "text", "segments", NULL };

static void
webhook_parse(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	alert_conf_url(e, g, ch);
	/* WeCom and DingTalk robots both take this text message. */
	fm_strlcpy(ch->body, "{\"msgtype\": \"text\", \"text\": "
	    "{\"content\": \"${text}\"}}", sizeof(ch->body));
	if (cfg_get_str(e, g, "body", ch->body, sizeof(ch->body), 0) == 1)
		alert_conf_tmpl(e, g, "body", ch->body);
	alert_conf_sms_text(e, g, ch, "text");
	fm_strlcpy(ch->content_type, "application/json",
	    sizeof(ch->content_type));
	alert_conf_line(e, g, "content_type", ch->content_type,
	    sizeof(ch->content_type), 0);
}

const struct channel_ops channel_webhook = {
	.type = "webhook",
	.keys = webhook_keys,
	.needs = CN_NONE,
	.parse = webhook_parse,
	.send = webhook_send,
};
