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
	double		 ended_sum_ms;	/* total length of the ended ones */
	double		 mttr_ms;	/* mean length of the ended ones; NaN */
	double		 mtbf_ms;	/* up time per outage; NaN with none */
	double		 target;	/* e.g. 0.9999; NaN: none */
	double		 budget_ms;	/* downtime the target allows */
	double		 budget_left_ms; /* negative when overrun */
	int		 met;		/* 1 met, 0 missed, -1 no target/data */
};

/* avail.c */
int	 av_windows_normalize(struct av_window *, size_t n, size_t *nout);
/*
 * Times a period may have: from 1970 to the end of year 9999, so that
 * "to - from" and every sum of durations stays far inside int64_t.
 */
#define AV_TIME_MAX	253402300799999LL
#define AV_PERIOD_OK(from, to)	((from) >= 0 && (to) <= AV_TIME_MAX && \
				    (from) <= (to))

int	 av_compute(const struct av_change *, size_t n,
	    const struct av_window *maint, size_t nmaint,
	    int64_t from_ms, int64_t to_ms, double target,
	    struct av_result *);
void	 av_derive(struct av_result *, double target);
int	 av_month_range(int year, int month, const char *tz,
	    int64_t *from_ms, int64_t *to_ms);
int	 av_day_range(int year, int month, int day, const char *tz,
	    int64_t *from_ms, int64_t *to_ms);
int	 av_month_of(int64_t ms, const char *tz, int *year, int *month);
int	 av_period_end(int64_t from_ms, int64_t to_ms, int64_t now_ms,
	    int64_t *end_ms);
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
int	 mw_parse_repeat(const char *kind, const char *when, struct mw_rule *,
	    char *err, size_t);
int	 mw_parse_list(struct cfgerr *, const struct config_setting_t *,
	    const char *default_tz, struct mw_rule **, int *);
void	 mw_free_list(struct mw_rule *, int);
int	 mw_from_window(struct mw_rule *, const char *id, const char *tz,
	    const char *reason, int64_t start_ms, int64_t end_ms,
	    const char *repeat, const char *at, int64_t dur_ms, char *err,
	    size_t errlen);
int	 av_in_list(char **, int n, const char *);
struct json_t;
char	**mw_json_ids(struct json_t *, int *n, int copy);
int	 mw_covers(const struct mw_rule *, const char *device,
	    const char *group, const char *cls);
int	 mw_expand(const struct mw_rule *, int64_t from_ms, int64_t to_ms,
	    struct av_window **, size_t *n, size_t *cap);
int	 parse_local_time(const char *, const char *tz, int64_t *ms);

/*
 * The outage journal (ojournal.c): the source of truth for
 * availability.  Append-only; each record is
 *
 *	u32 payload length, u32 CRC-32C of the payload, payload
 *
 * after an 8-byte file header "FMOJ" + u32 version.  A torn or corrupt
 * record ends the readable journal: it is reported, never misread, and
 * an append truncates it away first.  Payload fields are encoded as on
 * the wire (wire.h): integers big-endian, strings length-prefixed.
 */
enum oj_type {
	OJ_DEVICE = 1,		/* a device's identity: name, class, group */
	OJ_STATE,		/* a check or device changed state */
	OJ_CONFIRM,		/* an outage was confirmed (time to detect) */
	OJ_ACK,			/* someone acknowledged an outage */
	OJ_CLASSIFY,		/* planned / unplanned / external, and why */
	OJ_NOTE,		/* a repair note */
	OJ_LATENCY,		/* probes of a check under a latency bound */
	OJ_TYPE_MAX
};

enum oj_class { OJC_UNPLANNED = 0, OJC_PLANNED, OJC_EXTERNAL, OJC_MAX };

struct oj_rec {
	uint8_t		 type;
	int64_t		 ts_ms;		/* when it was recorded */
	char		 device[64];
	char		 check[64];	/* "" for the device itself */
	uint8_t		 state;		/* OJ_STATE: enum av_state */
	uint8_t		 outcome;	/* OJ_STATE: enum probe_result */
	int64_t		 at_ms;		/* OJ_STATE: the state's start;
					   others: the outage's start */
	int64_t		 confirmed_ms;	/* OJ_CONFIRM */
	uint8_t		 cls;		/* OJ_CLASSIFY: enum oj_class */
	char		 who[64];
	char		 text[256];	/* cause, comment, note, reason; or the
					   device name for OJ_DEVICE */
	char		 dclass[64];	/* OJ_DEVICE */
	char		 group[64];	/* OJ_DEVICE */
	char		 parent[64];	/* OJ_DEVICE: the device it hangs off */
	/* OJ_LATENCY: of the probes started in [at_ms, at_ms + span_ms),
	   lat_ok succeeded within lat_ms milliseconds, out of lat_n. */
	uint32_t	 span_ms;
	uint32_t	 lat_ms;
	uint32_t	 lat_n;
	uint32_t	 lat_ok;
};

struct oj_stats {
	uint64_t	 records;
	uint64_t	 bytes;		/* valid bytes, header included */
	uint64_t	 torn_bytes;	/* after the last valid record */
	char		 torn_why[128];
};

struct ojournal;
int	 oj_open(const char *path, struct ojournal **, struct oj_stats *,
	    char *err, size_t errlen);
int	 oj_append(struct ojournal *, const struct oj_rec *, char *err,
	    size_t errlen);
int	 oj_sync(struct ojournal *, char *err, size_t errlen);
void	 oj_close(struct ojournal *);
int	 oj_read(const char *path, int (*)(const struct oj_rec *, void *),
	    void *, struct oj_stats *, char *err, size_t errlen);
const char *oj_type_name(int);
const char *oj_class_name(int);

/*
 * Availability of a whole site from the outage journal (availq.c): the
 * devices and their timelines, outage annotations, and the tables per
 * device, group, class and site.  Groups, classes and the site are
 * device-time weighted: their availability is the up time of all their
 * devices over the time those devices were seen, which is also the
 * evaluation's "normal running rate" (设备正常运行率) of a class.
 */
struct aq_outage {
	char		 device[64];
	char		 check[64];
	int64_t		 start_ms;
	int64_t		 end_ms;	/* 0: still open */
	int64_t		 gap_ms;	/* unseen time inside it */
	int64_t		 unseen_ms;	/* open and not seen since: from when */
	int64_t		 confirmed_ms;	/* 0: never confirmed */
	int64_t		 acked_ms;
	char		 acked_by[64];
	char		 ack_comment[256]; /* the first one given */
	uint8_t		 cls;		/* enum oj_class */
	char		 classified_by[64];
	char		 reason[256];	/* why it was classified so */
	char		 cause[256];
	char		 note[256];
};

/* Counts of probes under a latency bound (OJ_LATENCY), per check. */
struct aq_lat {
	char		 check[64];
	int64_t		 at_ms;
	uint32_t	 span_ms, lat_ms, n, ok;
};

struct aq_device {
	char		 id[64];
	char		 name[256];
	char		 cls[64];
	char		 group[64];
	char		 parent[64];
	struct av_change *tl;
	size_t		 ntl, captl;
	struct aq_lat	*lat;
	size_t		 nlat, caplat;
	size_t		 lastout;	/* 1 + index of its latest outage */
};

struct aq_target {
	char		 device[64], group[64], cls[64];	/* one is set */
	double		 availability;	/* a fraction: 0.9999 */
};

struct aq {
	struct aq_device *dev;
	size_t		 ndev, capdev;
	size_t		*index;		/* open addressing over dev, by id */
	size_t		 indexcap;
	struct aq_outage *out;
	size_t		 nout, capout;
	struct oj_stats	 st;
	int		 charge_blips;	/* count unconfirmed outages as down */
};

struct aq_row {
	char		 key[64];	/* device id, group, class or "site" */
	char		 name[256];
	int		 ndevices;
	struct av_result r;
	int64_t		 external_ms;	/* down time blamed on others */
	double		 mttd_ms;	/* mean time to detect (confirm) */
	double		 mtta_ms;	/* mean time to acknowledge */
	uint32_t	 blips;		/* outages over before confirmation */
	uint64_t	 lat_n, lat_ok;	/* latency target: probes, within */
};

/*
 * The figures of a row as every output publishes them (availq.c): the
 * API and the command line as <name>_ms, the report's JSON as <name>_s,
 * its tables by column.  One list and one function, so that a name
 * means the same quantity everywhere and the formulas of
 * docs/availability.md hold on the fields of any one document:
 *
 *   period = up + down + unknown + unreachable + planned
 *   planned = planned_up + planned_down + planned_unseen
 *   availability = up / (period - planned - unknown - unreachable)
 *   availability_planned_charged = (up + planned_up) /
 *       (period - unknown - unreachable - planned_unseen)
 *   coverage = (period - unknown - planned_unseen) / period
 */
enum aq_fig {
	AQF_PERIOD, AQF_UP, AQF_DOWN, AQF_UNKNOWN, AQF_UNREACHABLE,
	AQF_PLANNED, AQF_PLANNED_UP, AQF_PLANNED_DOWN, AQF_PLANNED_UNSEEN,
	AQF_EXTERNAL, AQF_AVAILABILITY, AQF_AVAILABILITY_CHARGED,
	AQF_COVERAGE, AQF_OUTAGES, AQF_OUTAGES_ENDED, AQF_BLIPS,
	AQF_LONGEST, AQF_MTTR, AQF_MTBF, AQF_MTTD, AQF_MTTA, AQF_TARGET,
	AQF_BUDGET, AQF_BUDGET_LEFT, AQF_BUDGET_PERIOD_LEFT, AQF_MET,
	AQF_MAX
};

enum aq_unit {
	AQU_MS = 1,		/* whole milliseconds, always a number */
	AQU_MS_REAL,		/* milliseconds, NaN when there is none */
	AQU_RATIO,		/* a fraction, NaN when there is none */
	AQU_COUNT,
	AQU_MET			/* 1 met, 0 missed, -1 no target or data */
};

struct aq_fig_def {
	const char	*name;
	int		 unit;		/* enum aq_unit */
};

extern const struct aq_fig_def aq_figs[AQF_MAX];

void	 aq_init(struct aq *);
void	 aq_free(struct aq *);
int	 aq_add(struct aq *, const struct oj_rec *);
int	 aq_load(struct aq *, const char *path, char *err, size_t errlen);
struct aq_device *aq_device(struct aq *, const char *id);
double	 aq_target_for(const struct aq_target *, int, const char *device,
	    const char *group, const char *cls);
double	 aq_figure(const struct aq_row *, int64_t rest_ms, int fig);
struct json_t;
void	 aq_figures_json(struct json_t *, const struct aq_row *,
	    int64_t rest_ms, int in_seconds);
int	 aq_compute(struct aq *, const struct mw_rule *, int nrules,
	    const struct aq_target *, int ntargets, int64_t from_ms,
	    int64_t to_ms, struct aq_row **devrows, struct aq_row **grouprows,
	    size_t *ngroups, struct aq_row **classrows, size_t *nclasses,
	    struct aq_row *site);

/*
 * ---- Availability configuration and report helpers (availconf.c) ----
 *
 * The 'availability:' group: time zone, site, targets, maintenance and
 * the indicators of the yearly evaluation table (绩效指标完成情况表),
 * each measuring one metric over a scope of devices.  Texts come in
 * Chinese ([0]) and English ([1]).
 */
enum avi_metric {
	AVI_AVAILABILITY = 1,	/* planned time excluded */
	AVI_AVAILABILITY_CHARGED, /* planned time counted */
	AVI_MTTR,		/* mean time to repair */
	AVI_FAULT_TIME,		/* unplanned down time per device, a year */
	AVI_LATENCY_SHARE,	/* share of answers within a latency */
	AVI_METRIC_MAX
};

enum avi_cmp { AVI_GE = 1, AVI_GT, AVI_LE, AVI_LT };

struct av_indicator {
	char		 id[64];
	char		 level1[2][128];
	char		 level2[2][128];
	char		 level3[2][256];
	char		 target_text[2][64];	/* 预期指标值 as printed */
	char		 note[2][256];		/* optional, added to the footnote */
	int		 metric;		/* enum avi_metric */
	int		 cmp;			/* enum avi_cmp */
	double		 target;	/* a fraction, or milliseconds */
	double		 latency_ms;	/* AVI_LATENCY_SHARE */
	char		**devices, **groups, **classes;	/* none: the site */
	int		 ndevices, ngroups, nclasses;
	char		**checks;	/* AVI_LATENCY_SHARE: none, all */
	int		 nchecks;
};

/* A display name of a group or a class, as the wall shows it. */
struct av_name {
	char		 key[64];
	int		 is_class;
	char		 name[2][256];	/* Chinese, English */
};

struct avconf {
	char		 tz[64];
	char		 site[2][256];
	char		 lang[4];		/* "zh" or "en" */
	char		 journal[1024];		/* the outage journal */
	struct aq_target *targets;
	int		 ntargets;
	struct mw_rule	*rules;
	int		 nrules;
	struct av_indicator *ind;
	int		 nind;
	int		 charge_blips;	/* aq.charge_blips */
	struct av_name	*names;
	int		 nnames;
	char		 prepared[128];	/* the report's sign-off: 编制 */
	char		 reviewed[128];	/* 审核 */
};

int	 avconf_parse(struct cfgerr *, const struct config_setting_t *,
	    const char *data_dir, struct avconf *);
int	 avconf_load(const char *path, struct avconf *, struct cfgerr *);
void	 avconf_free(struct avconf *);
const char *avconf_name(const struct avconf *, int is_class,
	    const char *key, int lang);
const char *avi_metric_name(int);
const char *avi_cmp_text(int);
int	 avi_compare(int cmp, double value, double target);
int	 avi_covers(const struct av_indicator *, const char *device,
	    const char *group, const char *cls);
int	 avi_covers_check(const struct av_indicator *, const char *check);

/*
 * Report helpers (availq.c): the figures of any set of devices, added
 * up as for groups, and the outages of a period with the part of each
 * that fell inside maintenance.
 */
struct aq_period_outage {
	size_t		 idx;		/* into aq.out */
	int64_t		 start_ms;	/* clipped to the period */
	int64_t		 end_ms;	/* clipped; the period's end if open */
	int64_t		 planned_ms;	/* inside maintenance windows */
	int		 kind;		/* enum oj_class, as counted */
	int		 blip;		/* over before confirmation: not
					   charged unless aq.charge_blips */
};

int	 aq_aggregate(const struct aq *, const struct aq_row *devrows,
	    int (*match)(const struct aq_device *, void *), void *arg,
	    double target, struct aq_row *out);
int	 aq_latency(const struct aq *, const struct av_indicator *,
	    const struct aq_device *only, int64_t from_ms, int64_t to_ms,
	    uint64_t *n, uint64_t *ok);
int	 aq_outages_in(const struct aq *, const struct mw_rule *, int nrules,
	    int64_t from_ms, int64_t to_ms, struct aq_period_outage **,
	    size_t *n);

#endif /* FACMON_AVAIL_H */
