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
 * Listeners of the state that keep the record: the outage journal, the
 * source of availability (outage.c), the probes under the latency targets
 * (latency.c), and availability for the API and the command line read
 * back from it (availapi.c).  The journal announces each outage confirmed
 * and each recovery through outage_listen(); it calls no module above it.
 */

#ifndef FACMON_COLLECTOR_OUTAGE_H
#define FACMON_COLLECTOR_OUTAGE_H

#include "../state/state.h"

/* outage.c: the outage journal, the source of availability */
int		 outage_open(struct event_base *, const char *data_dir,
		    char *err, size_t errlen);
void		 outage_close(void);
void		 outage_device_info(const struct device_state *);
void		 outage_check_change(const struct device_state *,
		    const struct check_state *, int os, int64_t at,
		    int outcome, const char *msg);
void		 outage_device_change(const struct device_state *, int os,
		    int64_t at, const char *cause);
int		 outage_confirm_check(const struct device_state *,
		    const struct check_state *, int64_t when);
struct aq	*outage_aq(void);
int		 outage_record(struct oj_rec *);
void		 outage_stats(uint64_t *records, uint64_t *skipped,
		    uint64_t *errors, uint64_t *syncs);
int		 outage_verify(const char *path);
int		 outage_dump(const char *path);
int		 outage_confirm_device(const struct device_state *,
		    int64_t when, const char *cause);
int		 outage_annotate(int type, const char *device,
		    const char *check, int64_t at_ms, const char *who,
		    const char *text, int cls);


/* latency.c: probes under the latency targets, into the outage journal */
void		 latency_reconf(const struct avconf *);
extern const struct reload_ops latency_reload;
void		 latency_result(const struct device_state *,
		    const struct check_state *, const struct fm_result *);
void		 latency_tick(int64_t now_wall);
void		 latency_stop(void);
void		 latency_stats(uint64_t *records, uint64_t *skipped);

/* availapi.c: availability for the API and the command line */
struct aq;
struct json_t;
struct json_t	*uptime_json(struct aq *, const struct avconf *, int64_t to,
		    int64_t span_ms, int n);
struct json_t	*avail_json(struct aq *, const struct avconf *, int64_t from,
		    int64_t to, const char *group, int with_devices,
		    char *err, size_t errlen);
int		 avail_parse_month(const char *, const char *tz, int64_t *,
		    int64_t *);
int		 avail_main(const struct collector_conf *, int, char *[]);

extern const struct state_listener outage_listener, latency_listener;

enum { OUTAGE_CONFIRMED = 1, OUTAGE_OVER };

/*
 * An outage confirmed or a confirmed one over,
 * announced once the journal holds it.  check is "" for the device's own
 * outage.  start is the outage's first failed probe; the pair (device,
 * check, start, kind) is the same on a replay, so a listener can use it
 * as its idempotency key.
 */
struct outage_note {
	const struct device_state *d;
	const char	*device;
	const char	*check;
	int		 kind;		/* OUTAGE_CONFIRMED or OUTAGE_OVER */
	int64_t		 start;
	int64_t		 now;
	const char	*cause;
};
void		 outage_listen(void (*)(const struct outage_note *));

/*
 * maint.c: maintenance windows, the configuration's and the web's, in
 * one place.  A window made through the web: */
struct json_t;
struct maint_window {
	char		 id[64];
	int64_t		 start_ms, end_ms;	/* one-off; 0 when recurring */
	char		 repeat[16];		/* "", weekly, monthly, cron */
	char		 at[64];		/* "Sun 02:00", "1 09:00", ... */
	int64_t		 dur_ms;		/* of each recurring window */
	char		 reason[256];
	struct json_t	*devices, *groups, *classes;	/* arrays of ids */
	char		 created_by[64];
	int64_t		 created_ms;
	char		 changed_by[64];
	int64_t		 changed_ms;
	int		 cancelled;	/* kept for the record */
};
/*
 * A change is durable (rc 0), or was not written (rc -1, err says why);
 * win is the window as the change left it (valid during the call).
 */
typedef void	(*maint_done_fn)(void *arg, int rc, const char *err,
		    struct json_t *win);
int		 maint_open(struct event_base *, const struct collector_conf *,
		    char *err, size_t errlen);
void		 maint_reconf(const struct collector_conf *);
extern const struct reload_ops maint_reload;
void		 maint_close(void);
const struct avconf *maint_avconf(void);
uint64_t	 maint_generation(void);
int		 maint_in(const struct device_state *, int64_t t);
int64_t		 maint_until(const struct device_state *, int64_t now);
struct json_t	*maint_list_json(int64_t now, int64_t from, int64_t to);
struct maint_window *maint_find(const char *id);
int		 maint_full(void);
int		 maint_add(struct maint_window *, const char *user,
		    maint_done_fn, void *);
int		 maint_change(const char *id, struct maint_window *,
		    const char *user, maint_done_fn, void *);
void		 maint_window_free(struct maint_window *);
struct json_t	*maint_window_json(const struct maint_window *);
int		 maint_window_rule(const struct maint_window *, struct mw_rule *,
		    char *err, size_t errlen);
int		 maint_ids_ok(struct json_t *);

#endif /* FACMON_COLLECTOR_OUTAGE_H */
