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
 * Maintenance windows: parsing rules and expanding them into windows.
 *
 * Every recurring rule is a cron expression underneath, so weekly and
 * monthly rules cannot drift from cron's meaning.  Expansion walks the
 * period an hour at a time in local time (skipping hours the masks rule
 * out) and a minute at a time inside matching hours; a month costs a
 * few hundred localtime_r() calls per rule.
 */

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/common.h"
#include "avail.h"

/* A cron field: "*", "n", "a-b", "*\/s", "a-b/s", and lists of those. */
static int
cron_field(const char *s, int lo, int hi, uint64_t *mask, int *any)
{
	char	 buf[128], *tok, *save = NULL;

	*mask = 0;
	*any = strcmp(s, "*") == 0;
	if (fm_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		long	 a, b, step = 1, v;
		char	*end, *slash = strchr(tok, '/');

		if (slash != NULL) {
			*slash = '\0';
			step = strtol(slash + 1, &end, 10);
			if (*end != '\0' || step < 1)
				return -1;
		}
		if (strcmp(tok, "*") == 0) {
			a = lo;
			b = hi;
		} else {
			a = strtol(tok, &end, 10);
			if (end == tok)
				return -1;
			b = a;
			if (*end == '-') {
				char *e2;

				b = strtol(end + 1, &e2, 10);
				if (e2 == end + 1 || *e2 != '\0')
					return -1;
			} else if (*end != '\0')
				return -1;
			if (slash != NULL && b == a)
				b = hi;
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (v = a; v <= b; v += step)
			*mask |= UINT64_C(1) << v;
	}
	return *mask != 0 ? 0 : -1;
}

int
mw_parse_cron(const char *expr, struct mw_rule *r, char *err, size_t errlen)
{
	char	 f[5][64];
	uint64_t m;
	int	 any, n;
	char	 rest[8];

	n = sscanf(expr, "%63s %63s %63s %63s %63s %7s", f[0], f[1], f[2],
	    f[3], f[4], rest);
	if (n != 5) {
		snprintf(err, errlen, "cron '%s': expected 5 fields (minute "
		    "hour day-of-month month weekday)", expr);
		return -1;
	}
	if (cron_field(f[0], 0, 59, &m, &any) == -1)
		goto bad;
	r->c_min = m;
	if (cron_field(f[1], 0, 23, &m, &any) == -1)
		goto bad;
	r->c_hour = (uint32_t)m;
	if (cron_field(f[2], 1, 31, &m, &r->dom_any) == -1)
		goto bad;
	r->c_dom = (uint32_t)m;
	if (cron_field(f[3], 1, 12, &m, &any) == -1)
		goto bad;
	r->c_mon = (uint16_t)m;
	/* 7 is Sunday too, as in cron. */
	if (cron_field(f[4], 0, 7, &m, &r->dow_any) == -1)
		goto bad;
	if (m & (1U << 7))
		m = (m | 1) & 0x7f;
	r->c_dow = (uint8_t)m;
	r->kind = MW_CRON;
	return 0;
bad:
	snprintf(err, errlen, "cron '%s': a field is out of range or "
	    "malformed", expr);
	return -1;
}

static const char *const weekdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

/* "Sun 02:00" or "Mon,Wed 21:30" */
static int
parse_weekly(const char *s, struct mw_rule *r, char *err, size_t errlen)
{
	char	 days[64], cron[128];
	int	 h, m, n = 0, i;
	char	*tok, *save = NULL;
	char	 list[64] = "";

	if (sscanf(s, "%63s %d:%d%n", days, &h, &m, &n) != 3 ||
	    s[n] != '\0' || h < 0 || h > 23 || m < 0 || m > 59) {
		snprintf(err, errlen, "weekly '%s': expected \"Sun 02:00\"", s);
		return -1;
	}
	for (tok = strtok_r(days, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < 7; i++)
			if (strcasecmp(tok, weekdays[i]) == 0)
				break;
		if (i == 7) {
			snprintf(err, errlen, "weekly '%s': unknown day '%s' "
			    "(Sun, Mon, ... Sat)", s, tok);
			return -1;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%d", list[0] ? "," : "", i);
	}
	snprintf(cron, sizeof(cron), "%d %d * * %s", m, h, list);
	return mw_parse_cron(cron, r, err, errlen);
}

/* "1 09:00": day of month and time. */
static int
parse_monthly(const char *s, struct mw_rule *r, char *err, size_t errlen)
{
	char	 cron[64];
	int	 d, h, m, n = 0;

	if (sscanf(s, "%d %d:%d%n", &d, &h, &m, &n) != 3 || s[n] != '\0' ||
	    d < 1 || d > 31 || h < 0 || h > 23 || m < 0 || m > 59) {
		snprintf(err, errlen, "monthly '%s': expected \"1 09:00\" (day "
		    "of month, time)", s);
		return -1;
	}
	snprintf(cron, sizeof(cron), "%d %d %d * *", m, h, d);
	return mw_parse_cron(cron, r, err, errlen);
}

/*
 * A recurring window by kind, as the configuration writes it: "weekly"
 * ("Sun 02:00"), "monthly" ("1 09:00") or "cron" ("0 3 * * 1-5").
 */
int
mw_parse_repeat(const char *kind, const char *when, struct mw_rule *r,
    char *err, size_t errlen)
{
	if (strcmp(kind, "weekly") == 0)
		return parse_weekly(when, r, err, errlen);
	if (strcmp(kind, "monthly") == 0)
		return parse_monthly(when, r, err, errlen);
	if (strcmp(kind, "cron") == 0)
		return mw_parse_cron(when, r, err, errlen);
	snprintf(err, errlen, "repeat '%s': weekly, monthly or cron", kind);
	return -1;
}

/*
 * The rule of a window made through the web console (maintenance.json),
 * as the collector and facmon-report both read it: one-off from start to
 * end, or recurring by repeat and at, lasting dur.  -1 if it is not one.
 */
int
mw_from_window(struct mw_rule *r, const char *id, const char *tz,
    const char *reason, int64_t start, int64_t end, const char *repeat,
    const char *at, int64_t dur, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	fm_strlcpy(r->id, id, sizeof(r->id));
	fm_strlcpy(r->tz, tz, sizeof(r->tz));
	fm_strlcpy(r->reason, reason != NULL ? reason : "", sizeof(r->reason));
	if (repeat == NULL || repeat[0] == '\0') {
		if (end <= start) {
			snprintf(err, errlen, "window %s ends before it starts",
			    id);
			return -1;
		}
		r->kind = MW_ONCE;
		r->start_ms = start;
		r->duration_ms = end - start;
		return 0;
	}
	if (at == NULL || dur <= 0) {
		snprintf(err, errlen, "window %s: a recurring window takes "
		    "at and duration_ms", id);
		return -1;
	}
	r->duration_ms = dur;
	return mw_parse_repeat(repeat, at, r, err, errlen);
}

/* Run fn with TZ set to tz, then put TZ back. */
struct tzsave {
	char	*old;
	int	 had;
};

static void
tz_push(struct tzsave *ts, const char *tz)
{
	const char *o = getenv("TZ");

	ts->had = o != NULL;
	ts->old = o ? strdup(o) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void
tz_pop(struct tzsave *ts)
{
	if (ts->had && ts->old != NULL)
		setenv("TZ", ts->old, 1);
	else
		unsetenv("TZ");
	free(ts->old);
	tzset();
}

/* "2026-11-28 02:00" (or with ":ss") in a time zone. */
int
parse_local_time(const char *s, const char *tz, int64_t *ms)
{
	struct tm tm;
	struct tzsave ts;
	int	 n = 0, sec = 0;
	time_t	 t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%d %d:%d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &n) != 5)
		return -1;
	if (s[n] == ':') {
		int	 k = 0;

		if (sscanf(s + n + 1, "%d%n", &sec, &k) != 1)
			return -1;
		n += 1 + k;
	}
	if (s[n] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || sec < 0 || sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	tz_push(&ts, tz);
	t = mktime(&tm);
	tz_pop(&ts);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

static int
cron_day_ok(const struct mw_rule *r, const struct tm *tm)
{
	int	 dom = (r->c_dom >> tm->tm_mday) & 1;
	int	 dow = (r->c_dow >> tm->tm_wday) & 1;

	if (!((r->c_mon >> (tm->tm_mon + 1)) & 1))
		return 0;
	/* cron: with both day fields restricted, either one matches. */
	if (!r->dom_any && !r->dow_any)
		return dom || dow;
	return dom && dow;
}

static int
push_window(struct av_window **w, size_t *n, size_t *cap, int64_t s,
    int64_t e)
{
	if (*n == *cap) {
		size_t	 nc = *cap ? *cap * 2 : 16;
		struct av_window *nw = realloc(*w, nc * sizeof(*nw));

		if (nw == NULL)
			return -1;
		*w = nw;
		*cap = nc;
	}
	(*w)[*n].start_ms = s;
	(*w)[*n].end_ms = e;
	(*n)++;
	return 0;
}

/*
 * Append the rule's windows that overlap [from, to) to *w.  Windows are
 * clipped to nothing: the caller normalizes and av_compute() clips.
 */
int
mw_expand(const struct mw_rule *r, int64_t from, int64_t to,
    struct av_window **w, size_t *n, size_t *cap)
{
	struct tzsave ts;
	struct tm tm;
	time_t	 t, end;

	if (r->kind == MW_ONCE) {
		if (r->start_ms < to && r->start_ms + r->duration_ms > from)
			return push_window(w, n, cap, r->start_ms,
			    r->start_ms + r->duration_ms);
		return 0;
	}
	/* A window that began before the period may still cover it. */
	t = (time_t)((from - r->duration_ms) / 1000);
	t -= t % 60;
	end = (time_t)(to / 1000) + 1;
	tz_push(&ts, r->tz);
	while (t < end) {
		localtime_r(&t, &tm);
		if (!cron_day_ok(r, &tm) || !((r->c_hour >> tm.tm_hour) & 1)) {
			/* Nothing this hour: go to the next one. */
			t += (60 - tm.tm_min) * 60 - tm.tm_sec;
			continue;
		}
		if ((r->c_min >> tm.tm_min) & 1) {
			int64_t s = (int64_t)t * 1000;

			if (s < to && s + r->duration_ms > from &&
			    push_window(w, n, cap, s, s + r->duration_ms) ==
			    -1) {
				tz_pop(&ts);
				return -1;
			}
		}
		t += 60 - tm.tm_sec;
	}
	tz_pop(&ts);
	return 0;
}

/* Whether s is one of the n ids of l; a NULL s is in no list. */
int
av_in_list(char **l, int n, const char *s)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (s != NULL && strcmp(l[i], s) == 0)
			return 1;
	return 0;
}

int
mw_covers(const struct mw_rule *r, const char *device, const char *group,
    const char *cls)
{
	return av_in_list(r->devices, r->ndevices, device) ||
	    av_in_list(r->groups, r->ngroups, group) ||
	    av_in_list(r->classes, r->nclasses, cls);
}

static int
str_list(struct cfgerr *e, const config_setting_t *grp, const char *key,
    char ***out, int *n)
{
	config_setting_t *l = config_setting_get_member(grp, key);
	int	 i;

	*out = NULL;
	*n = 0;
	if (l == NULL)
		return 0;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfgerr_add(e, l, "'%s' must be a list of names", key);
		return -1;
	}
	if ((*out = calloc((size_t)config_setting_length(l) + 1,
	    sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < config_setting_length(l); i++) {
		const char *v = config_setting_get_string_elem(l, i);

		if (v == NULL || !fm_valid_id(v)) {
			cfgerr_add(e, config_setting_get_elem(l, (unsigned)i),
			    "'%s' entries must be ids", key);
			return -1;
		}
		(*out)[(*n)++] = strdup(v);
	}
	return 0;
}

/*
 * A rule's list of devices, groups or classes from a window's JSON array
 * of ids (maintenance.json, the API), *n of them; NULL for none or when
 * memory is short.  What is not a valid id is left out.  With copy the
 * strings are the list's own, for a rule freed by mw_free_list; without,
 * they are the array's, which must outlive the list, and only the list
 * itself is freed.
 */
char **
mw_json_ids(json_t *a, int *n, int copy)
{
	char	**v;
	size_t	 i;
	json_t	*x;

	*n = 0;
	if (json_array_size(a) == 0 ||
	    (v = calloc(json_array_size(a), sizeof(*v))) == NULL)
		return NULL;
	json_array_foreach(a, i, x) {
		const char *id = json_string_value(x);

		if (id == NULL || !fm_valid_id(id))
			continue;
		if ((v[*n] = copy ? strdup(id) : (char *)id) != NULL)
			(*n)++;
	}
	return v;
}

void
mw_free_list(struct mw_rule *r, int n)
{
	int	 i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < r[i].ndevices; j++)
			free(r[i].devices[j]);
		for (j = 0; j < r[i].ngroups; j++)
			free(r[i].groups[j]);
		for (j = 0; j < r[i].nclasses; j++)
			free(r[i].classes[j]);
		free(r[i].devices);
		free(r[i].groups);
		free(r[i].classes);
	}
	free(r);
}

/*
 * maintenance = ( { id; start | weekly | monthly | cron; duration;
 *   devices; groups; classes; timezone; reason; }, ... )
 */
int
mw_parse_list(struct cfgerr *e, const config_setting_t *l,
    const char *default_tz, struct mw_rule **out, int *nout)
{
	static const char *const keys[] = { "id", "start", "weekly",
		"monthly", "cron", "duration", "devices", "groups", "classes",
		"timezone", "reason", NULL };
	struct mw_rule *rs;
	int	 i, j, n, nerr = e->n;

	*out = NULL;
	*nout = 0;
	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "'maintenance' must be a list ( { ... } )");
		return -1;
	}
	n = config_setting_length(l);
	if ((rs = calloc((size_t)(n ? n : 1), sizeof(*rs))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
		struct mw_rule *r = &rs[i];
		char	 buf[128], err[256];
		int	 dur, kinds = 0;

		if (!config_setting_is_group(s)) {
			cfgerr_add(e, s, "a maintenance rule must be a group");
			continue;
		}
		cfg_check_keys(e, s, keys);
		if (cfg_get_str(e, s, "id", r->id, sizeof(r->id), 1) == 1 &&
		    !fm_valid_id(r->id))
			cfgerr_add(e, s, "maintenance id '%s': use letters, "
			    "digits, '_', '-', '.'", r->id);
		for (j = 0; j < i; j++)
			if (r->id[0] && strcmp(rs[j].id, r->id) == 0)
				cfgerr_add(e, s, "duplicate maintenance id '%s'",
				    r->id);
		fm_strlcpy(r->tz, default_tz, sizeof(r->tz));
		cfg_get_str(e, s, "timezone", r->tz, sizeof(r->tz), 0);
		cfg_get_str(e, s, "reason", r->reason, sizeof(r->reason), 0);
		/* At most 24 days: durations are milliseconds in an int. */
		if (cfg_get_secs(e, s, "duration", &dur, 60000, 24 * 86400000,
		    1) == 1)
			r->duration_ms = dur;
		if (cfg_get_str(e, s, "start", buf, sizeof(buf), 0) == 1) {
			kinds++;
			r->kind = MW_ONCE;
			if (parse_local_time(buf, r->tz, &r->start_ms) == -1)
				cfgerr_add(e, config_setting_get_member(s,
				    "start"), "start '%s': expected "
				    "\"YYYY-MM-DD HH:MM\" in %s", buf, r->tz);
		}
		if (cfg_get_str(e, s, "weekly", buf, sizeof(buf), 0) == 1) {
			kinds++;
			if (parse_weekly(buf, r, err, sizeof(err)) == -1)
				cfgerr_add(e, config_setting_get_member(s,
				    "weekly"), "%s", err);
		}
		if (cfg_get_str(e, s, "monthly", buf, sizeof(buf), 0) == 1) {
			kinds++;
			if (parse_monthly(buf, r, err, sizeof(err)) == -1)
				cfgerr_add(e, config_setting_get_member(s,
				    "monthly"), "%s", err);
		}
		if (cfg_get_str(e, s, "cron", buf, sizeof(buf), 0) == 1) {
			kinds++;
			if (mw_parse_cron(buf, r, err, sizeof(err)) == -1)
				cfgerr_add(e, config_setting_get_member(s,
				    "cron"), "%s", err);
		}
		if (kinds != 1)
			cfgerr_add(e, s, "maintenance '%s': give exactly one of "
			    "start, weekly, monthly, cron", r->id);
		str_list(e, s, "devices", &r->devices, &r->ndevices);
		str_list(e, s, "groups", &r->groups, &r->ngroups);
		str_list(e, s, "classes", &r->classes, &r->nclasses);
		if (r->ndevices + r->ngroups + r->nclasses == 0)
			cfgerr_add(e, s, "maintenance '%s' covers nothing: name "
			    "devices, groups or classes", r->id);
	}
	*out = rs;
	*nout = n;
	return e->n > nerr ? -1 : 0;
}
