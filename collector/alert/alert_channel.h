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
 * An alert channel is one file and one row of the table in
 * alert_channels.c.  The file defines a struct channel_ops: the type
 * name of the "type" key, the keys a channel of that type may have, what
 * a recipient needs for it, how to read its settings and how to send
 * one message.  alert_conf.c reads the settings every channel shares
 * (name, type, timeout, per_hour, tls_verify, ca_file, language) and
 * hands the group to parse(); the worker (alert.c) calls send().
 *
 * This header is what a channel may use: the table entry, the helpers
 * the config reader offers for its settings, and what the HTTP and SMS
 * channels share (alert_sms.c).  A channel includes nothing else of the
 * collector.
 */

#ifndef FACMON_ALERT_CHANNEL_H
#define FACMON_ALERT_CHANNEL_H

#include <stddef.h>

#include <curl/curl.h>
#include <libconfig.h>

#include "alert.h"

/* What a recipient must have for a channel to reach them. */
#define CN_NONE		0
#define CN_EMAIL	1
#define CN_PHONE	2

struct channel_ops {
	const char	*type;		/* the value of "type" */
	const char *const *keys;	/* every key it takes, NULL-ended */
	int		 needs;		/* CN_* */
	/*
	 * Reads the channel's own settings from g into ch (the shared
	 * ones are read), each problem through cfgerr; whatever does not
	 * fit the shared fields goes into ch->opts, owned by the channel.
	 */
	void		(*parse)(struct cfgerr *,
			    const struct config_setting_t *g,
			    struct alert_channel *ch);
	void		(*free)(struct alert_channel *);	/* ch->opts */
	/*
	 * One message to one recipient, on the alert queue's thread; may block
	 * up to the channel's timeout.  Returns enum send_result and
	 * fills err with the reason of a failure.
	 */
	int		(*send)(const struct alert_channel *,
			    const struct alert_recipient *,
			    const struct alert_msg *, const char *msgid,
			    char *err, size_t errlen);
};

/*
 * alert_channels.c: the table, NULL-ended, and the declaration of each
 * row (each channel's file defines it).
 */
extern const struct channel_ops *const alert_channel_table[];
const struct channel_ops *alert_channel_ops(const char *type);

/* alert_conf.c: reading a channel's settings. */
int		 alert_conf_line(struct cfgerr *,
		    const struct config_setting_t *, const char *key,
		    char *dst, size_t len, int required);
void		 alert_conf_url(struct cfgerr *,
		    const struct config_setting_t *, struct alert_channel *);
void		 alert_conf_vars(struct cfgerr *,
		    const struct config_setting_t *, struct alert_channel *);
void		 alert_conf_tmpl(struct cfgerr *,
		    const struct config_setting_t *, const char *key,
		    const char *body);
void		 alert_conf_sms_text(struct cfgerr *,
		    const struct config_setting_t *, struct alert_channel *,
		    const char *tkey);

/* alert_sms.c: what the HTTP and SMS channels share. */
#define ALERT_RESP_MAX	8192
struct alert_resp {
	char		 buf[ALERT_RESP_MAX];
	size_t		 len;
};
int		 alert_http_post(const struct alert_channel *,
		    struct curl_slist *hdrs, const char *body, long *status,
		    struct alert_resp *, char *err, size_t errlen);
int		 alert_http_class(long status);
int		 alert_prefix(const char *s, const char *p);
void		 alert_hex(char *dst, const unsigned char *, size_t);
int		 alert_sms_vars(const struct alert_channel *,
		    const struct alert_msg *,
		    char vals[ALERT_VARS_MAX][FM_TEXT_MAX]);
struct curl_slist *alert_hdr_add(struct curl_slist *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif /* FACMON_ALERT_CHANNEL_H */
