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
 * What is alerted and to whom (alerting.c: rules, thresholds, storms,
 * escalation), the wall's warnings (warnings.c) and the monthly report
 * made and mailed on schedule (report_run.c).  Delivery itself is
 * alert.h's.
 */

#ifndef FACMON_COLLECTOR_ALERTING_H
#define FACMON_COLLECTOR_ALERTING_H

#include "../outage/outage.h"

/* report_run.c: the monthly report, made and mailed on schedule */
struct alert_channel;
struct json_t;
void		 report_conf_defaults(struct report_sched *);
void		 report_conf_parse(struct cfgerr *,
		    const struct config_setting_t *, struct collector_conf *);
const struct alert_channel *report_smtp_channel(
		    const struct collector_conf *);
int		 report_due_month(int64_t now_ms, const char *tz, int day,
		    int hour, char *out, size_t outlen);
void		 reports_init(const struct collector_conf *, const char *argv0);
void		 reports_reconf(const struct collector_conf *);
extern const struct reload_ops reports_reload;
void		 reports_tick(int64_t now_mono);
void		 reports_stop(void);
void		 reports_stats(uint64_t *made, uint64_t *mailed,
		    uint64_t *failed);
struct json_t	*reports_json(void);
int		 report_file_path(const char *rel, char *out, size_t len);
int		 report_mail_main(const struct collector_conf *, int argc,
		    char *argv[]);

/* alerting.c: what is alerted and to whom (rules, thresholds, storm) */
struct alert_conf;
struct alert_msg;
void		 alerting_conf(const struct alert_conf *);
void		 alerting_outage(struct alert_msg *, const struct device_state *,
		    int64_t now);
void		 alerting_tick(int64_t now_wall);
void		 alerting_resume(int64_t now_wall);
void		 alerting_avconf(const struct avconf *);
struct evhttp_request;
/*
 * What the acknowledgement page needs of the console, filled by http/
 * (a module above this one): whether it has logins, who is logged in,
 * and a login from the page's form whose answer goes to cb (user NULL:
 * refused) with the session cookie already set; web_login_begin()'s
 * codes.
 */
typedef void	(*ack_login_cb)(struct evhttp_request *, const char *user,
		    void *arg);
struct ack_web {
	int		 logins;
	const char	*user;
	int		(*login)(struct evhttp_request *, const char *user,
			    const char *pw, ack_login_cb, void *arg,
			    int64_t *retry_ms);
};
int		 alerting_ack_http(struct evhttp_request *, const char *path,
		    const struct ack_web *);
void		 alerting_result(const struct device_state *,
		    const struct check_state *, const struct fm_result *);
void		 alerting_trap(const char *device, const char *name,
		    const char *oid,
		    const char *detail, int64_t ts);
void		 alerting_event(const struct fm_event *);
void		 alerting_stats(uint64_t *fired, uint64_t *cleared,
		    uint64_t *escalated, uint64_t *renotified, uint64_t *folded);
struct alert_thr_state;
const struct alert_thr_state *alerting_thr_state(const char *device,
		    const char *check, const char *value, int thr);

extern const struct state_listener alerting_listener;

/* warnings.c */
struct json_t	*warnings_json(const struct device_state *,
		    const struct alert_conf *);
void		 warnings_trap_raise(const char *device, const char *oid,
		    const char *instance, const char *text,
		    const char *text_en, int64_t since_ms, int64_t until_ms);
int		 warnings_trap_clear(const char *device, const char *oid,
		    const char *instance);
void		 alerting_outage_note(const struct outage_note *);

#endif /* FACMON_COLLECTOR_ALERTING_H */
