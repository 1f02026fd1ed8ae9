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
 * Alert delivery: e-mail over SMTP, SMS through a gammu-smsd spool, the
 * Aliyun and Tencent Cloud SMS APIs and generic HTTP webhooks (WeCom,
 * DingTalk robots).  The collector hands over an alert_msg with
 * alert_submit(); the worker, a work queue of its own (common/workq.c),
 * owns a persistent outbox and does the slow, failing part, so that the
 * event loop never waits for a mail server.  docs/alerts.md describes the configuration and guarantees.
 */

#ifndef FACMON_ALERT_H
#define FACMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../../common/common.h"

struct event_base;
struct cfgerr;
struct config_setting_t;
struct channel_ops;

#define ALERT_KEY_MAX		96	/* idempotency key, with NUL */
#define ALERT_RCPT_MAX		16	/* recipients of one alert */
#define ALERT_CHAIN_MAX		8	/* channels in one failover chain */
#define ALERT_ADDR_MAX		254	/* e-mail address, with NUL */
#define ALERT_PHONE_MAX		24	/* E.164 number, with NUL */
#define ALERT_SECRET_MAX	128
#define ALERT_URL_MAX		512
#define ALERT_TEMPLATE_MAX	2048
#define ALERT_VARS_MAX		8	/* template variables of SMS APIs */

enum alert_kind {
	AK_DOWN = 1,
	AK_RECOVERY,
	AK_THRESHOLD,
	AK_HEALTH,	/* about facmon itself: a channel that fails */
	AK_TEST,	/* alert-test: an operator checks the channels */
	AK_EVENT	/* a mapped trap: an elevator fault, a door forced */
};
#define AK_MAX		AK_EVENT

enum alert_severity {
	AS_INFO = 0,
	AS_WARNING,
	AS_CRITICAL
};

enum smtp_tls {
	TLS_NONE = 0,	/* loopback relays only */
	TLS_STARTTLS,	/* port 587 */
	TLS_IMPLICIT	/* port 465, smtps:// */
};

/*
 * What happened, in parts, so that every channel can word it in its own
 * language with names, decoded values and units (alert_text.c) rather
 * than pass on a probe's English message or a trap's bare OIDs.
 */
enum alert_what {
	AW_NONE = 0,		/* only the cause text is known */
	AW_PROBE,		/* a probe's outcome: down, or back up */
	AW_THRESHOLD,		/* a value past its threshold, or back */
	AW_TRAP,		/* a trap, with its variable bindings */
	AW_HEALTH		/* facmon's own event (events.c), by kind */
};

enum alert_note_kind {
	AN_NONE = 0,
	AN_BEHIND,		/* note_n unreachable behind it: note names */
	AN_BEHIND_ALL,		/* note_n devices behind it affected */
	AN_ESCALATED,		/* not acknowledged for note_ms: escalated */
	AN_RENOTIFY		/* still down, not acknowledged for note_ms */
};

struct alert_facts {
	int		 what;			/* enum alert_what */
	/* AW_PROBE */
	int		 outcome;		/* enum probe_result */
	int		 check_type;		/* enum check_type */
	int		 timeout_ms;
	int		 dur_ms;		/* the probe's own time */
	/* AW_THRESHOLD */
	char		 value_name[FM_VNAME_MAX];
	double		 value;
	double		 limit;
	int		 op;			/* enum alert_op */
	int		 hits;
	char		 label[64];		/* threshold: what the value is */
	char		 label_en[64];
	char		 unit[24];
	double		 scale;			/* 0: 1 */
	/* AW_TRAP */
	char		 trap_oid[128];
	char		 varbinds[512];		/* "oid=value; oid=value" */
	/* AW_HEALTH: the event's kind, numbers and name (struct fm_event) */
	char		 health[32];
	char		 agent[FM_ID_MAX];	/* "": the collector itself */
	int64_t		 hn[2];
	char		 harg[FM_TEXT_MAX];
	/* said first: devices behind it, an escalation (alerting.c) */
	int		 note_kind;		/* enum alert_note_kind */
	int		 note_n;		/* devices behind it */
	int64_t		 note_ms;		/* unacknowledged for */
	char		 note[FM_TEXT_MAX];	/* names behind it */
	/* where the device is */
	char		 group[FM_ID_MAX];
	char		 cls[FM_ID_MAX];
	char		 address[FM_TEXT_MAX];
	/* what it costs: the group's downtime budget left this month */
	int		 budget_known;
	int64_t		 budget_left_ms;	/* < 0: overspent */
};

/* What the collector submits: one event about one device. */
struct alert_msg {
	char		 key[ALERT_KEY_MAX];	/* idempotency key */
	int		 kind;			/* enum alert_kind */
	int		 severity;		/* enum alert_severity */
	char		 device_id[FM_ID_MAX];
	char		 device_name[FM_TEXT_MAX];
	char		 check[FM_ID_MAX];
	char		 cause[FM_TEXT_MAX];
	int64_t		 since_ms;		/* wall clock: outage start */
	int64_t		 duration_ms;		/* outage so far */
	char		 link[ALERT_URL_MAX];	/* device page */
	struct alert_facts f;
	/* Recipient names; none: every recipient (routing comes later). */
	char		 recipients[ALERT_RCPT_MAX][FM_ID_MAX];
	int		 nrecipients;
};

#define ALERT_RATE_MAX		120	/* per_hour ceiling */

/*
 * A channel's settings.  The fields below are those of the channels
 * facmon comes with, shared where two channels mean the same thing; a
 * channel that needs others keeps them in opts (alert_channel.h).
 */
struct alert_channel {
	char		 name[FM_ID_MAX];
	const struct channel_ops *ops;		/* its type: alert_channel.h */
	void		*opts;			/* the type's own, or NULL */
	int		 timeout_ms;
	int		 per_hour;		/* sends per recipient; 0: any */
	int		 english;		/* SMS text language */
	/* smtp */
	char		 host[FM_TEXT_MAX];
	int		 port;
	int		 tls;			/* enum smtp_tls */
	int		 tls_verify;
	char		 ca_file[FM_TEXT_MAX];
	char		 username[FM_TEXT_MAX];
	char		 password[ALERT_SECRET_MAX];
	char		 from[ALERT_ADDR_MAX];
	/* gammu */
	char		 spool_dir[FM_TEXT_MAX];
	int		 utf8;			/* else UTF-16 with BOM */
	char		 priority;		/* 'A'..'Z' */
	/* aliyun, tencent, webhook */
	char		 url[ALERT_URL_MAX];
	char		 key_id[ALERT_SECRET_MAX];
	char		 key_secret[ALERT_SECRET_MAX];
	char		 region[FM_ID_MAX];
	char		 sign_name[FM_TEXT_MAX];
	char		 template_id[FM_ID_MAX];
	char		 app_id[FM_ID_MAX];	/* tencent SmsSdkAppId */
	char		 vars[ALERT_VARS_MAX][FM_ID_MAX];
	int		 nvars;
	char		 body[ALERT_TEMPLATE_MAX];	/* webhook */
	char		 content_type[FM_TEXT_MAX];
	/* gammu, webhook: the SMS text's own template; "": composed */
	char		 text_tmpl[ALERT_TEMPLATE_MAX];
	char		 signature[FM_TEXT_MAX];	/* SMS: the centre's */
	int		 has_signature;		/* set on the channel */
	int		 segments;		/* SMS parts a text may fill */
};

struct alert_recipient {
	char		 name[FM_ID_MAX];
	char		 email[ALERT_ADDR_MAX];
	char		 phone[ALERT_PHONE_MAX];
};

/* Channels tried in order; the next one when one fails for good. */
struct alert_chain {
	int		 ch[ALERT_CHAIN_MAX];	/* indexes into channels */
	int		 n;
};

/*
 * Rules and routing (alert_rules.c).  A match is a set of fnmatch(3)
 * patterns per attribute; an empty list matches anything.
 */
#define ALERT_PAT_MAX		8	/* patterns of one attribute */

struct alert_match {
	char		 devices[ALERT_PAT_MAX][FM_ID_MAX];
	char		 groups[ALERT_PAT_MAX][FM_ID_MAX];
	char		 classes[ALERT_PAT_MAX][FM_ID_MAX];
	char		 checks[ALERT_PAT_MAX][FM_ID_MAX];
	int		 ndevices, ngroups, nclasses, nchecks;
	unsigned int	 kinds;			/* bit per enum alert_kind; 0 all */
	int		 min_severity;
};

/*
 * A text chosen by a match: a group's display name, where devices are,
 * what to do about them (runbooks).  The first that matches wins.
 */
struct alert_note {
	struct alert_match m;
	char		 text[FM_TEXT_MAX];
	char		 text_en[FM_TEXT_MAX];
};

/* One shift of a duty roster: weekdays and a span of local time. */
struct alert_shift {
	uint8_t		 days;			/* bit n: weekday n, 0 Sunday */
	int		 from_min, to_min;	/* minutes after 00:00 */
	char		 recipients[ALERT_RCPT_MAX][FM_ID_MAX];
	int		 nrecipients;
};

struct alert_roster {
	char		 name[FM_ID_MAX];
	struct alert_shift *shifts;
	int		 nshifts;
};

/* Names in a rule are recipients or rosters. */
struct alert_rule {
	char		 name[FM_ID_MAX];
	struct alert_match m;
	char		 to[ALERT_RCPT_MAX][FM_ID_MAX];
	int		 nto;
	int		 escalate_ms;		/* 0: no escalation */
	char		 escalate_to[ALERT_RCPT_MAX][FM_ID_MAX];
	int		 nescalate;
	int		 renotify_ms;		/* 0: once */
};

enum alert_op { AOP_GT = 1, AOP_LT, AOP_EQ, AOP_NE, AOP_GE, AOP_LE };

/* A threshold on a value of a check's results. */
struct alert_threshold {
	char		 name[FM_ID_MAX];
	struct alert_match m;			/* devices groups classes checks */
	char		 value[FM_VNAME_MAX];	/* value name; "duration_ms" */
	int		 op;			/* enum alert_op */
	double		 limit;
	double		 clear;			/* hysteresis: back below/above */
	int		 hits;			/* consecutive results */
	int		 severity;
	char		 text[FM_TEXT_MAX];	/* what it means, for people */
	char		 label[64];		/* what the value is */
	char		 label_en[64];
	char		 unit[24];
	double		 scale;			/* value * scale is read */
};

/*
 * Read-only once parsed, and shared: the event loop's alerting and the
 * delivery worker each hold a reference (alert_conf_ref), and deliveries
 * queued before a reload keep theirs until they finish; the last
 * alert_conf_free() frees it.
 */
struct alert_conf {
	int		 refs;			/* alert_conf.c, atomically */
	char		 tz[64];		/* rosters: "" the local zone */
	struct alert_roster *rosters;
	int		 nrosters;
	struct alert_rule *rules;
	int		 nrules;
	struct alert_threshold *thresholds;
	int		 nthresholds;
	struct alert_channel *channels;
	int		 nchannels;
	struct alert_recipient *recipients;
	int		 nrecipients;
	struct alert_chain *chains;
	int		 nchains;
	int		 retry_first_ms;	/* first back-off */
	int		 retry_max_ms;		/* back-off ceiling */
	int		 give_up_ms;		/* temporary failures: then next */
	int		 queue_max;		/* alerts waiting for the worker */
	int		 keep_done;		/* sent/failed kept for the API */
	int		 digest_ms;		/* one message per recipient and
						   window; 0: each alert alone */
	char		 base_url[ALERT_URL_MAX];	/* links in messages */
	char		 signature[FM_TEXT_MAX];	/* SMS default */
	int		 english;		/* default language of texts */
	int		 ack_ttl_ms;		/* acknowledgement links; 0 off */
	int		 show_sent;		/* GET /api/v1/alerts/sent (demo) */
	struct alert_note *group_names;
	int		 ngroup_names;
	struct alert_note *places;
	int		 nplaces;
	struct alert_note *runbooks;
	int		 nrunbooks;
};

/* A send attempt's outcome. */
enum send_result {
	SEND_OK = 0,
	SEND_TEMP,		/* try again later: busy, 4xx, timeout */
	SEND_PERM		/* never works: auth, 5xx, 4xx: next channel */
};

/* alert_conf.c */
struct alert_conf *alert_conf_parse(struct cfgerr *,
		    const struct config_setting_t *alerts);
struct alert_conf *alert_conf_load(const char *file, struct cfgerr *);
void		 alert_conf_free(struct alert_conf *);
struct alert_conf *alert_conf_ref(struct alert_conf *);
int		 alert_channel_is(const struct alert_channel *,
		    const char *type);
int		 alert_valid_email(const char *);
int		 alert_valid_phone(const char *);
int		 alert_channel_find(const struct alert_conf *, const char *);
const struct alert_recipient *alert_recipient_find(const struct alert_conf *,
		    const char *);

/* alert_rules.c */
void		 alert_rules_parse(struct cfgerr *,
		    const struct config_setting_t *alerts, struct alert_conf *);
void		 alert_rules_free(struct alert_conf *);
void		 alert_notes_parse(struct cfgerr *,
		    const struct config_setting_t *alerts, struct alert_conf *);
int		 alert_match(const struct alert_match *, int kind, int severity,
		    const char *device, const char *group, const char *cls,
		    const char *check);
int		 alert_route(const struct alert_conf *, int kind, int severity,
		    const char *device, const char *group, const char *cls,
		    const char *check, int64_t now_ms,
		    char out[][FM_ID_MAX], int max, const struct alert_rule **);
int		 alert_expand_names(const struct alert_conf *,
		    char names[][FM_ID_MAX], int n, int64_t now_ms,
		    char out[][FM_ID_MAX], int max);
int		 alert_op_eval(int op, double v, double limit);
const struct alert_note *alert_note_find(const struct alert_note *, int n,
		    const struct alert_msg *);
const char	*alert_op_name(int);

/*
 * A threshold's state for one check: hits counts results past the
 * limit; it fires at 'hits' and clears only past the clear value.
 */
struct alert_thr_state {
	int		 count;
	int		 active;
	int64_t		 since_ms;		/* the first result past it */
};
int		 alert_thr_step(const struct alert_threshold *,
		    struct alert_thr_state *, double v, int64_t at_ms);

/*
 * Escalation and re-notification of one outage (alerting.c decides from
 * the outage journal's ack state; this is the pure part).
 */
struct alert_esc {
	int64_t		 confirmed_ms;
	int64_t		 escalate_at;		/* 0: none, or done */
	int64_t		 renotify_every;	/* 0: none */
	int64_t		 next_renotify;
	int		 renotified;
};
enum { ESC_NONE = 0, ESC_ESCALATE, ESC_RENOTIFY, ESC_DONE };
int		 alert_esc_step(struct alert_esc *, int64_t now_ms,
		    int acked, int over);

/* alert.c: the API of the collector */
int		 alert_running(void);
int		 alert_init(struct alert_conf *, const char *data_dir,
		    struct event_base *, char *err, size_t errlen);
void		 alert_reconf(struct alert_conf *);
int		 alert_queue_size(void);
int		 alert_submit(const struct alert_msg *);
json_t		*alert_outbox_json(void);
json_t		*alert_sent_json(void);
void		 alert_shutdown(void);
int		 alert_test_main(const char *conf_file, const char *recipient);
const char	*alert_kind_name(int);
int		 alert_kind_parse(const char *);
int		 alert_valid_key(const char *);

/* alert.c: texts */
size_t		 alert_html_escape(char *dst, size_t, const char *src);
void		 alert_one_line(char *dst, size_t, const char *src);
void		 alert_sms_text(char *dst, size_t, const struct alert_msg *,
		    int english);
size_t		 alert_utf8_chars(const char *);
void		 alert_duration(char *dst, size_t, int64_t ms, int english);
int		 alert_var(char *dst, size_t, const struct alert_msg *,
		    const char *name, int english);
void		 alert_var_sanitize(char *dst, size_t, const char *src,
		    size_t max_chars);

/* alert_text.c: what people read */
enum { AT_SHORT = 0, AT_FULL };
void		 alert_time(char *dst, size_t, int64_t ms, int style,
		    int english);
const char	*alert_severity_text(int severity, int english);
const char	*alert_kind_text(int kind, int english);
void		 alert_what(char *dst, size_t, const struct alert_msg *,
		    int english);
void		 alert_where(char *dst, size_t, const struct alert_conf *,
		    const struct alert_msg *, int english);
void		 alert_runbook(char *dst, size_t, const struct alert_conf *,
		    const struct alert_msg *, int english);
void		 alert_budget(char *dst, size_t, const struct alert_msg *,
		    int english);
void		 alert_headline(char *dst, size_t, const struct alert_msg *,
		    int english);
const char	*alert_subject_name(char *dst, size_t,
		    const struct alert_msg *, int english);
int		 alert_shorten(char *, size_t max_chars);
void		 alert_event_text(char *dst, size_t, const char *kind,
		    const char *agent, int64_t n0, int64_t n1, const char *arg,
		    const char *msg, int english);
void		 alert_compose_sms(char *dst, size_t, const struct alert_conf *,
		    const struct alert_channel *, const struct alert_msg *);
size_t		 alert_sms_limit(int english, int segments);
int		 alert_mib_label(const char *name_or_oid, char *label,
		    size_t, char *unit, size_t, double *scale, int english);
const struct alert_conf *alert_conf_current(void);
int		 alert_trap_decoded(const struct alert_msg *);

/* alert_ack.c: signed, expiring one-tap acknowledgement links */
struct alert_ack {
	char		 device[FM_ID_MAX];
	char		 check[FM_ID_MAX];
	int64_t		 start_ms;
	int64_t		 expires_ms;
	char		 who[FM_ID_MAX];
};
int		 alert_ack_init(const char *data_dir, char *err, size_t);
int		 alert_ack_token(char *dst, size_t, const char *device,
		    const char *check, int64_t start_ms, int64_t expires_ms,
		    const char *who);
int		 alert_ack_verify(const char *tok, int64_t now,
		    struct alert_ack *);
void		 alert_ack_link(char *dst, size_t, const struct alert_msg *);

/* alert_smtp.c */
int		 smtp_build_message(char **out, size_t *len,
		    const struct alert_channel *, const char *to,
		    const struct alert_msg *, const char *msgid,
		    char *err, size_t errlen);
int		 smtp_encode_subject(char *dst, size_t, const char *utf8);
void		 smtp_setup(CURL *, const struct alert_channel *,
		    struct curl_slist *rcpt, char *ebuf);
int		 smtp_perform(CURL *, const char *ebuf, char *err,
		    size_t errlen);

/* alert_aliyun.c, alert_tencent.c, alert_webhook.c: their pure parts */
int		 aliyun_signature(const char *method, const char **kv, int n,
		    const char *secret, char *out, size_t outlen);
int		 tc3_signature(const char *secret_key, const char *service,
		    const char *host, const char *content_type,
		    const char *payload, int64_t ts, char *sig, size_t siglen,
		    char *date, size_t datelen);
void		 aliyun_percent(char *dst, size_t, const char *src);
int		 webhook_render(char **out, const char *tmpl,
		    const struct alert_msg *, const struct alert_recipient *,
		    int english, char *err, size_t errlen);

/* outbox.c: one file per delivery, written atomically. */
struct delivery {
	char		 id[ALERT_KEY_MAX + FM_ID_MAX + 8];
	struct alert_msg msg;
	char		 recipient[FM_ID_MAX];
	int		 chain;			/* index into chains */
	int		 step;			/* index into the chain */
	int		 state;			/* enum delivery_state */
	int		 attempts;		/* on this channel */
	int		 total_attempts;
	int64_t		 created_ms;
	int64_t		 channel_since_ms;	/* first try on this channel */
	int64_t		 next_ms;		/* wall clock: next attempt */
	int64_t		 done_ms;
	char		 avoid[FM_ID_MAX];	/* health alerts: not this one */
	char		 sent_by[FM_ID_MAX];
	char		 last_error[FM_TEXT_MAX];
	char		 history[1024];		/* "channel: reason; ..." */
	/*
	 * In memory only: a reference to the configuration it is sent
	 * under (alert.c, take_conf); NULL once done.
	 */
	struct alert_conf *conf;
	struct delivery	*next;
};

enum delivery_state {
	DS_PENDING = 0,
	DS_RETRYING,
	DS_SENT,
	DS_FAILED
};

int		 outbox_open(const char *data_dir, char *err, size_t errlen);
int		 outbox_save(const struct delivery *, char *err, size_t errlen);
int		 outbox_finish(const struct delivery *, char *err, size_t);
struct delivery	*outbox_load(int done, int *n);
void		 outbox_prune_done(int keep);
json_t		*delivery_json(const struct delivery *, int full);
json_t		*alert_facts_json(const struct alert_facts *);
void		 alert_facts_from_json(json_t *, struct alert_facts *);
int		 delivery_from_json(json_t *, struct delivery *);
const char	*delivery_state_name(int);

#endif /* FACMON_ALERT_H */
