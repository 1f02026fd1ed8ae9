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
 * Availability to the second, from timestamped state changes.
 *
 * A timeline is the list of state changes of one thing (a check, a
 * device, a group), in time order.  Each change holds until the next;
 * before the first change the state is unknown.  Nothing here averages
 * samples: every millisecond of the period is either up, down, unknown
 * or unreachable, and planned maintenance is laid over it.
 *
 *   availability          = up / (period - planned - unknown)
 *   availability_charged  = up / (period - unknown), maintenance downtime
 *                           counted as down
 *   coverage              = (period - unknown) / period
 *
 * Unknown time (facmon could not see the thing) is never up and never
 * down: it leaves the denominator and shows in the coverage.
 */

#ifndef FACMON_AVAIL_H
#define FACMON_AVAIL_H

#include <stddef.h>
#include <stdint.h>

enum av_state {
	AV_UNKNOWN = 0,
	AV_UP,
	AV_DOWN,
	AV_UNREACHABLE,		/* failing behind a parent that is down */
	AV_STATE_MAX
};

struct av_change {
	int64_t		 ts_ms;
	uint8_t		 state;		/* enum av_state */
};

struct av_window {
	int64_t		 start_ms;	/* inclusive */
	int64_t		 end_ms;	/* exclusive */
};

struct av_result {
	int64_t		 period_ms;
	int64_t		 up_ms;		/* outside maintenance */
	int64_t		 down_ms;	/* unplanned: outside maintenance */
	int64_t		 unknown_ms;	/* outside maintenance */
	int64_t		 unreachable_ms; /* outside maintenance */
	int64_t		 planned_ms;	/* maintenance time in the period */
	int64_t		 planned_down_ms; /* down inside maintenance */
	int64_t		 planned_up_ms;	/* up inside maintenance */
	int64_t		 planned_unseen_ms; /* unknown or unreachable inside */
	double		 availability;	/* NaN when nothing was seen */
	double		 availability_charged;
	double		 coverage;
	uint32_t	 outages;	/* unplanned, overlapping the period */
	uint32_t	 outages_ended;	/* of which ended inside the period */
	int64_t		 longest_ms;	/* longest unplanned outage, clipped */
	double		 mttr_ms;	/* mean length of the ended ones; NaN */
	double		 mtbf_ms;	/* up time per outage; NaN with none */
	double		 target;	/* e.g. 0.9999; NaN: none */
	double		 budget_ms;	/* downtime the target allows */
	double		 budget_left_ms; /* negative when overrun */
	int		 met;		/* 1 met, 0 missed, -1 no target/data */
};

/* avail.c */
int	 av_windows_normalize(struct av_window *, size_t n, size_t *nout);
int	 av_compute(const struct av_change *, size_t n,
	    const struct av_window *maint, size_t nmaint,
	    int64_t from_ms, int64_t to_ms, double target,
	    struct av_result *);
int	 av_month_range(int year, int month, const char *tz,
	    int64_t *from_ms, int64_t *to_ms);
int	 av_day_range(int year, int month, int day, const char *tz,
	    int64_t *from_ms, int64_t *to_ms);
const char *av_state_name(int);

/*
 * Maintenance windows (maint.c).  A rule is one-off (a start and a
 * duration) or recurring; weekly ("Sun 02:00"), monthly ("1 09:00") and
 * cron ("0 3 * * 1-5") rules are all held as cron masks and expanded to
 * windows in the rule's time zone, daylight saving included.  A rule
 * covers devices, groups and classes by name.
 */
struct config_setting_t;
struct cfgerr;

enum mw_kind { MW_ONCE = 1, MW_CRON };

struct mw_rule {
	char		 id[64];
	int		 kind;
	int64_t		 start_ms;	/* MW_ONCE */
	int64_t		 duration_ms;
	uint64_t	 c_min;		/* bit n: minute n */
	uint32_t	 c_hour;	/* bit n: hour n */
	uint32_t	 c_dom;		/* bit n: day n (1-31) */
	uint16_t	 c_mon;		/* bit n: month n (1-12) */
	uint8_t		 c_dow;		/* bit n: weekday n (0 = Sunday) */
	int		 dom_any, dow_any;
	char		 tz[64];
	char		 reason[256];
	char		**devices, **groups, **classes;
	int		 ndevices, ngroups, nclasses;
};

int	 mw_parse_cron(const char *, struct mw_rule *, char *err, size_t);
int	 mw_parse_list(struct cfgerr *, const struct config_setting_t *,
	    const char *default_tz, struct mw_rule **, int *);
void	 mw_free_list(struct mw_rule *, int);
int	 mw_covers(const struct mw_rule *, const char *device,
	    const char *group, const char *cls);
int	 mw_expand(const struct mw_rule *, int64_t from_ms, int64_t to_ms,
	    struct av_window **, size_t *n, size_t *cap);
int	 parse_local_time(const char *, const char *tz, int64_t *ms);

#endif /* FACMON_AVAIL_H */
