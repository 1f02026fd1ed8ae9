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
void		 outage_maintenance(const struct avconf *);
int		 outage_confirm_device(const struct device_state *,
		    int64_t when, const char *cause);
int		 outage_annotate(int type, const char *device,
		    const char *check, int64_t at_ms, const char *who,
		    const char *text, int cls);

int		 outage_in_maintenance(const struct device_state *, int64_t t);

/* latency.c: probes under the latency targets, into the outage journal */
void		 latency_reconf(const struct avconf *);
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

#endif /* FACMON_COLLECTOR_OUTAGE_H */
