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
 * The "alerts" group of facmon-collector.conf: channels, recipients and
 * the failover chains.  Like the rest of the config, every mistake is
 * reported as "file:line: message" and reading goes on.  Addresses and
 * every value that ends up in a mail header or a URL are checked here,
 * once, so that a CR or LF can never reach libcurl (which passes them
 * through unchecked).
 */

#include <ctype.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_channel.h"

static const char *const alerts_keys[] = { "base_url", "retry", "queue",
	"keep_done", "channels", "recipients", "deliver", "timezone", "rosters",
	"rules", "thresholds", "digest", "language", "signature", "group_names",
	"places", "runbooks", "ack_expiry", "show_sent", NULL };
static const char *const retry_keys[] = { "first", "max", "give_up_after",
	NULL };
static const char *const recipient_keys[] = { "name", "email", "phone",
	NULL };
/* Variables the SMS templates and webhook bodies may name. */
static const char *const var_names[] = { "kind", "severity", "device",
	"name", "check", "cause", "since", "duration", "link", "key", "text",
	"phone", "email", "recipient", "time", "what", "where", "runbook",
	"budget", "headline", "level", "signature", "ack", NULL };

static int
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/*
 * A plain addr-spec: printable ASCII, no spaces, no characters that
 * would end an SMTP path or a header (<>, quotes, commas), one '@'.
 */
int
alert_valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	size_t	 n = strlen(s);

	if (n < 3 || n >= ALERT_ADDR_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("<>\"(),;:\\[]", *s))
			return 0;
	return 1;
}

/* "+8613800000000" or "13800000000": digits, an optional leading '+'. */
int
alert_valid_phone(const char *s)
{
	size_t	 i, n = strlen(s);

	if (s[0] == '+')
		s++, n--;
	if (n < 3 || n > ALERT_PHONE_MAX - 2)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
alert_channel_find(const struct alert_conf *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i].name, name) == 0)
			return i;
	return -1;
}

const struct alert_recipient *
alert_recipient_find(const struct alert_conf *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->nrecipients; i++)
		if (strcmp(c->recipients[i].name, name) == 0)
			return &c->recipients[i];
	return NULL;
}

/* A string that must not carry CR/LF (it reaches a header or a URL). */
int
alert_conf_line(struct cfgerr *e, const config_setting_t *g, const char *key,
    char *dst, size_t len, int required)
{
	int	 r = cfg_get_str(e, g, key, dst, len, required);

	if (r == 1 && has_crlf(dst)) {
		cfgerr_add(e, config_setting_get_member(g, key),
		    "'%s' must not contain CR or LF", key);
		return -1;
	}
	return r;
}

void
alert_conf_url(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	if (alert_conf_line(e, g, "url", ch->url, sizeof(ch->url), 1) == 1 &&
	    strncmp(ch->url, "http://", 7) != 0 &&
	    strncmp(ch->url, "https://", 8) != 0)
		cfgerr_add(e, config_setting_get_member(g, "url"),
		    "'url' must start with http:// or https://");
}

static void
get_language(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	char	 lang[8];

	if (cfg_get_str(e, g, "language", lang, sizeof(lang), 0) != 1)
		return;
	if (strcmp(lang, "en") == 0)
		ch->english = 1;
	else if (strcmp(lang, "zh") == 0)
		ch->english = 0;
	else if (strcmp(lang, "zh") != 0)
		cfgerr_add(e, config_setting_get_member(g, "language"),
		    "'language' must be \"zh\" or \"en\"");
}

void
alert_conf_vars(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	config_setting_t *s = config_setting_get_member(g, "variables");
	int	 i, j, n;

	if (s == NULL) {
		/* The usual template: device, check and outage so far. */
		fm_strlcpy(ch->vars[0], "name", sizeof(ch->vars[0]));
		fm_strlcpy(ch->vars[1], "check", sizeof(ch->vars[1]));
		fm_strlcpy(ch->vars[2], "duration", sizeof(ch->vars[2]));
		ch->nvars = 3;
		return;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		cfgerr_add(e, s, "'variables' must be a list of names");
		return;
	}
	n = config_setting_length(s);
	if (n > ALERT_VARS_MAX) {
		cfgerr_add(e, s, "'variables': at most %d", ALERT_VARS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (v == NULL) {
			cfgerr_add(e, s, "'variables' must be strings");
			return;
		}
		for (j = 0; var_names[j] != NULL; j++)
			if (strcmp(var_names[j], v) == 0)
				break;
		/* A link is a URL: SMS providers refuse those. */
		if (var_names[j] == NULL || strcmp(v, "link") == 0 ||
		    strcmp(v, "text") == 0 || strcmp(v, "ack") == 0) {
			cfgerr_add(e, s, "'variables': '%s' is not allowed in "
			    "an SMS template (kind, severity, device, name, "
			    "check, cause, since, duration, key)", v);
			continue;
		}
		fm_strlcpy(ch->vars[ch->nvars++], v, sizeof(ch->vars[0]));
	}
}

/* ${var} names in a template must exist: a typo is an error. */
void
alert_conf_tmpl(struct cfgerr *e, const config_setting_t *g, const char *key,
    const char *body)
{
	const char *p = body, *end;
	char	 name[FM_ID_MAX];
	int	 j;

	while ((p = strstr(p, "${")) != NULL) {
		if ((end = strchr(p, '}')) == NULL) {
			cfgerr_add(e, config_setting_get_member(g, key),
			    "'%s': unterminated ${", key);
			return;
		}
		if ((size_t)(end - p - 2) >= sizeof(name)) {
			p = end;
			continue;
		}
		memcpy(name, p + 2, (size_t)(end - p - 2));
		name[end - p - 2] = '\0';
		for (j = 0; var_names[j] != NULL; j++)
			if (strcmp(var_names[j], name) == 0)
				break;
		if (var_names[j] == NULL)
			cfgerr_add(e, config_setting_get_member(g, key),
			    "'%s': unknown variable ${%s}", key, name);
		p = end;
	}
}

/*
 * The SMS text of a gammu or webhook channel: its signature (the one
 * the carrier registered for the centre), its own template of ${...}
 * variables, like the providers' template ids, and how many segments
 * a text may fill.
 */
void
alert_conf_sms_text(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch, const char *tkey)
{
	long long v;

	if (cfg_get_str(e, g, "signature", ch->signature,
	    sizeof(ch->signature), 0) == 1)
		ch->has_signature = 1;
	if (cfg_get_str(e, g, tkey, ch->text_tmpl, sizeof(ch->text_tmpl),
	    0) == 1)
		alert_conf_tmpl(e, g, tkey, ch->text_tmpl);
	if (cfg_get_int(e, g, "segments", &v, 1, 10, 0) == 1)
		ch->segments = (int)v;
}

/* "smtp, gammu, aliyun, tencent, webhook, file": from the table. */
static void
type_list(char *dst, size_t len)
{
	size_t	 o = 0;
	int	 i;

	dst[0] = '\0';
	for (i = 0; alert_channel_table[i] != NULL && o < len; i++)
		o += (size_t)snprintf(dst + o, len - o, "%s%s", i ? ", " : "",
		    alert_channel_table[i]->type);
}

static void
get_channel(struct cfgerr *e, const config_setting_t *g,
    struct alert_channel *ch)
{
	char	 type[16], types[128];
	long long v;

	ch->timeout_ms = 20000;
	ch->tls_verify = 1;
	ch->priority = 'A';
	ch->english = -1;	/* the alerts group's language */
	ch->segments = 1;
	if (alert_conf_line(e, g, "name", ch->name, sizeof(ch->name), 1) == 1 &&
	    !fm_valid_id(ch->name))
		cfgerr_add(e, config_setting_get_member(g, "name"),
		    "invalid channel name '%s'", ch->name);
	if (cfg_get_str(e, g, "type", type, sizeof(type), 1) != 1) {
		/* Without a type, the widest list: only typos are reported. */
		cfg_check_keys(e, g, alert_channel_ops("webhook")->keys);
		return;
	}
	cfg_get_secs(e, g, "timeout", &ch->timeout_ms, 100, 300000, 0);
	if (cfg_get_int(e, g, "per_hour", &v, 1, ALERT_RATE_MAX, 0) == 1)
		ch->per_hour = (int)v;
	cfg_get_bool(e, g, "tls_verify", &ch->tls_verify, 0);
	alert_conf_line(e, g, "ca_file", ch->ca_file, sizeof(ch->ca_file), 0);
	get_language(e, g, ch);
	if ((ch->ops = alert_channel_ops(type)) == NULL) {
		type_list(types, sizeof(types));
		cfgerr_add(e, config_setting_get_member(g, "type"),
		    "unknown channel type '%s' (%s)", type, types);
		return;
	}
	cfg_check_keys(e, g, ch->ops->keys);
	ch->ops->parse(e, g, ch);
}

static void
get_channels(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "channels");
	int	 i, n;

	if (s == NULL) {
		cfgerr_add(e, a, "alerts: missing 'channels'");
		return;
	}
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'channels' must be a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->channels = calloc((size_t)n,
	    sizeof(*c->channels))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_channel *ch = &c->channels[c->nchannels];

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "channels: entries must be groups");
			continue;
		}
		get_channel(e, g, ch);
		if (ch->name[0] != '\0' && alert_channel_find(c,
		    ch->name) != -1) {
			cfgerr_add(e, g, "duplicate channel '%s'", ch->name);
			continue;
		}
		c->nchannels++;
	}
}

static void
get_recipients(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "recipients");
	int	 i, n;

	if (s == NULL) {
		cfgerr_add(e, a, "alerts: missing 'recipients'");
		return;
	}
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'recipients' must be a list ( { ... } )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->recipients = calloc((size_t)n,
	    sizeof(*c->recipients))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_recipient *r = &c->recipients[c->nrecipients];
		int	 bad = 0;

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "recipients: entries must be groups");
			continue;
		}
		cfg_check_keys(e, g, recipient_keys);
		if (cfg_get_str(e, g, "name", r->name, sizeof(r->name),
		    1) != 1)
			bad = 1;
		else if (!fm_valid_id(r->name)) {
			cfgerr_add(e, g, "invalid recipient name '%s'",
			    r->name);
			bad = 1;
		}
		if (cfg_get_str(e, g, "email", r->email, sizeof(r->email),
		    0) == 1 && !alert_valid_email(r->email)) {
			cfgerr_add(e, config_setting_get_member(g, "email"),
			    "'email': not a plain address (CR, LF, spaces, "
			    "<>, quotes are refused)");
			bad = 1;
		}
		if (cfg_get_str(e, g, "phone", r->phone, sizeof(r->phone),
		    0) == 1 && !alert_valid_phone(r->phone)) {
			cfgerr_add(e, config_setting_get_member(g, "phone"),
			    "'phone': digits with an optional leading '+'");
			bad = 1;
		}
		if (!bad && alert_recipient_find(c, r->name) != NULL) {
			cfgerr_add(e, g, "duplicate recipient '%s'", r->name);
			bad = 1;
		}
		if (!bad)
			c->nrecipients++;
		else
			memset(r, 0, sizeof(*r));
	}
}

static void
get_deliver(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "deliver");
	int	 i, j, n;

	if (s == NULL) {
		cfgerr_add(e, a, "alerts: missing 'deliver' (a list of "
		    "failover chains, e.g. ( [\"mail\"], [\"gsm\", "
		    "\"aliyun\"] ))");
		return;
	}
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'deliver' must be a list of arrays of "
		    "channel names");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->chains = calloc((size_t)n,
	    sizeof(*c->chains))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *el = config_setting_get_elem(s, (unsigned)i);
		struct alert_chain *ch = &c->chains[c->nchains];
		int	 m;

		if (!config_setting_is_array(el) ||
		    (m = config_setting_length(el)) == 0) {
			cfgerr_add(e, el, "deliver: each entry is a non-empty "
			    "array [\"channel\", ...]");
			continue;
		}
		if (m > ALERT_CHAIN_MAX) {
			cfgerr_add(e, el, "deliver: at most %d channels in a "
			    "chain", ALERT_CHAIN_MAX);
			continue;
		}
		for (j = 0; j < m; j++) {
			const char *name = config_setting_get_string_elem(el,
			    j);
			int	 k;

			if (name == NULL ||
			    (k = alert_channel_find(c, name)) == -1) {
				cfgerr_add(e, el, "deliver: unknown channel "
				    "'%s'", name ? name : "(not a string)");
				continue;
			}
			ch->ch[ch->n++] = k;
		}
		if (ch->n > 0)
			c->nchains++;
	}
}

struct alert_conf *
alert_conf_parse(struct cfgerr *e, const config_setting_t *a)
{
	struct alert_conf *c;
	config_setting_t *r;
	long long v;
	char	 lang[8];
	int	 nerr = e->n, i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cfgerr_add(e, a, "out of memory");
		return NULL;
	}
	c->refs = 1;
	c->retry_first_ms = 30000;
	c->retry_max_ms = 30 * 60000;
	c->give_up_ms = 6 * 3600000;
	c->queue_max = 1000;
	c->keep_done = 200;
	/*
	 * A digest window by default: one fault that chatters (an LED wall
	 * losing modules one by one) must not page six times in six
	 * minutes.  Critical alerts and recoveries never wait for it.
	 */
	c->digest_ms = 300000;
	c->ack_ttl_ms = 24 * 3600000;
	if (!config_setting_is_group(a)) {
		cfgerr_add(e, a, "'alerts' must be a group { ... }");
		goto fail;
	}
	cfg_check_keys(e, a, alerts_keys);
	alert_conf_line(e, a, "base_url", c->base_url, sizeof(c->base_url), 0);
	if (cfg_get_int(e, a, "queue", &v, 1, 100000, 0) == 1)
		c->queue_max = (int)v;
	if (cfg_get_int(e, a, "keep_done", &v, 0, 100000, 0) == 1)
		c->keep_done = (int)v;
	if ((r = config_setting_get_member(a, "retry")) != NULL) {
		if (!config_setting_is_group(r))
			cfgerr_add(e, r, "'retry' must be a group { ... }");
		else {
			cfg_check_keys(e, r, retry_keys);
			cfg_get_secs(e, r, "first", &c->retry_first_ms, 10,
			    3600000, 0);
			cfg_get_secs(e, r, "max", &c->retry_max_ms, 10,
			    86400000, 0);
			cfg_get_secs(e, r, "give_up_after", &c->give_up_ms,
			    100, 7 * 86400000, 0);
		}
	}
	cfg_get_secs(e, a, "digest", &c->digest_ms, 0, 3600000, 0);
	/* How long a one-tap acknowledgement link works; "0": no links. */
	cfg_get_secs(e, a, "ack_expiry", &c->ack_ttl_ms, 0, 7 * 86400000, 0);
	/*
	 * What was sent, as a person read it, on the incidents page: for
	 * a demo or a trial with a local mail sink, where nobody would
	 * otherwise see the messages.
	 */
	cfg_get_bool(e, a, "show_sent", &c->show_sent, 0);
	if (cfg_get_str(e, a, "language", lang, sizeof(lang), 0) == 1) {
		if (strcmp(lang, "en") == 0)
			c->english = 1;
		else if (strcmp(lang, "zh") != 0)
			cfgerr_add(e, config_setting_get_member(a, "language"),
			    "'language' must be \"zh\" or \"en\"");
	}
	/* No signature unless configured: never someone else's name. */
	alert_conf_line(e, a, "signature", c->signature, sizeof(c->signature),
	    0);
	get_channels(e, a, c);
	for (i = 0; i < c->nchannels; i++)
		if (c->channels[i].english == -1)
			c->channels[i].english = c->english;
	get_recipients(e, a, c);
	get_deliver(e, a, c);
	alert_rules_parse(e, a, c);
	alert_notes_parse(e, a, c);
	if (e->n > nerr)
		goto fail;
	return c;
fail:
	alert_conf_free(c);
	return NULL;
}

/*
 * The alerts group alone, for alert-test and the test driver: the rest
 * of the file is facmon-collector.conf and read by conf.c.
 */
struct alert_conf *
alert_conf_load(const char *file, struct cfgerr *e)
{
	config_t cfg;
	config_setting_t *a;
	struct alert_conf *c = NULL;

	if (cfg_load(&cfg, file, e) == -1) {
		config_destroy(&cfg);
		return NULL;
	}
	if ((a = config_setting_get_member(config_root_setting(&cfg),
	    "alerts")) == NULL)
		cfgerr_add(e, NULL, "missing 'alerts' group");
	else
		c = alert_conf_parse(e, a);
	config_destroy(&cfg);
	return c;
}

/* Thread-safe: the alert queue's thread drops its references too. */
struct alert_conf *
alert_conf_ref(struct alert_conf *c)
{
	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

int
alert_channel_is(const struct alert_channel *ch, const char *type)
{
	return ch->ops != NULL && strcmp(ch->ops->type, type) == 0;
}

/* Drops one reference; the last one frees. */
void
alert_conf_free(struct alert_conf *c)
{
	int	 i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1,
	    __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < c->nchannels; i++)
		if (c->channels[i].ops != NULL &&
		    c->channels[i].ops->free != NULL)
			c->channels[i].ops->free(&c->channels[i]);
	free(c->channels);
	free(c->recipients);
	free(c->chains);
	alert_rules_free(c);
	free(c);
}
