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
 * Availability arithmetic (avail.h).  The timeline and the maintenance
 * windows are both sorted, so one merge-like sweep over their boundaries
 * visits every piece of the period once: O(changes + windows).
 */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avail.h"

static const char *const av_state_names[AV_STATE_MAX] = {
	[AV_UNKNOWN] = "unknown",
	[AV_UP] = "up",
	[AV_DOWN] = "down",
	[AV_UNREACHABLE] = "unreachable",
};

const char *
av_state_name(int s)
{
	if (s < 0 || s >= AV_STATE_MAX)
		return "invalid";
	return av_state_names[s];
}

static int
wincmp(const void *a, const void *b)
{
	const struct av_window *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return (x->end_ms > y->end_ms) - (x->end_ms < y->end_ms);
}

/* Sort, drop empty windows, merge overlapping and touching ones. */
int
av_windows_normalize(struct av_window *w, size_t n, size_t *nout)
{
	size_t	 i, o = 0;

	if (n == 0) {
		*nout = 0;
		return 0;
	}
	qsort(w, n, sizeof(*w), wincmp);
	for (i = 0; i < n; i++) {
		if (w[i].end_ms <= w[i].start_ms)
			continue;
		if (o > 0 && w[i].start_ms <= w[o - 1].end_ms) {
			if (w[i].end_ms > w[o - 1].end_ms)
				w[o - 1].end_ms = w[i].end_ms;
			continue;
		}
		w[o++] = w[i];
	}
	*nout = o;
	return 0;
}

/* The current outage, while the sweep is inside one. */
struct outage {
	int	 open;
	int	 unplanned;	/* some of it lies outside maintenance */
	int64_t	 start;		/* unclipped start */
	int64_t	 clipped;	/* length inside the period so far */
	int	 unseen;	/* down, then unknown: over only if next seen up */
};

static void
outage_close(struct outage *o, struct av_result *r, int64_t end, int ended,
    double *sum_ended)
{
	if (!o->open)
		return;
	if (o->unplanned) {
		r->outages++;
		if (o->clipped > r->longest_ms)
			r->longest_ms = o->clipped;
		if (ended) {
			r->outages_ended++;
			*sum_ended += (double)(end - o->start);
		}
	}
	memset(o, 0, sizeof(*o));
}

/*
 * The timeline must be sorted by time (equal times: the later entry
 * wins); maintenance windows must be normalized.  Changes before from_ms
 * set the state the period starts in, so an outage that began last
 * month is measured from its real start for MTTR and clipped for
 * downtime.
 */
int
av_compute(const struct av_change *ch, size_t n, const struct av_window *mw,
    size_t nm, int64_t from, int64_t to, double target, struct av_result *r)
{
	size_t	 ci = 0, wi = 0;
	int	 state = AV_UNKNOWN;
	int64_t	 t, down_start = 0;
	struct outage o;
	double	 sum_ended = 0;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	if (!AV_PERIOD_OK(from, to)) {
		errno = EINVAL;
		return -1;
	}
	r->period_ms = to - from;
	r->target = target;

	/*
	 * The state at the start, and when a running outage began.  Down,
	 * unknown, down again is one outage with a gap (docs/availability.md):
	 * it began at the first down.
	 */
	while (ci < n && ch[ci].ts_ms <= from) {
		int64_t	 at = ch[ci].ts_ms;
		int	 ns = state;

		/* Changes at the same instant: the last one stands. */
		while (ci < n && ch[ci].ts_ms == at)
			ns = ch[ci++].state;
		if (ns == AV_DOWN && state != AV_DOWN && !o.unseen)
			down_start = at;
		if (state == AV_DOWN && ns == AV_UNKNOWN) {
			o.unseen = 1;
		} else if (ns != AV_UNKNOWN)
			o.unseen = 0;
		state = ns;
	}
	if (state == AV_DOWN || o.unseen) {
		o.open = 1;
		o.start = down_start;
	}
	while (wi < nm && mw[wi].end_ms <= from)
		wi++;

	t = from;
	while (t < to) {
		int64_t	 next = to, len;
		int	 in_maint;

		/* The next boundary: a change, or a window edge. */
		if (ci < n && ch[ci].ts_ms < next)
			next = ch[ci].ts_ms;
		in_maint = wi < nm && mw[wi].start_ms <= t;
		if (wi < nm) {
			int64_t edge = in_maint ? mw[wi].end_ms :
			    mw[wi].start_ms;

			if (edge < next)
				next = edge;
		}
		len = next - t;
		if (in_maint) {
			r->planned_ms += len;
			if (state == AV_DOWN)
				r->planned_down_ms += len;
			else if (state == AV_UP)
				r->planned_up_ms += len;
			else
				r->planned_unseen_ms += len;
		} else {
			switch (state) {
			case AV_UP:
				r->up_ms += len;
				break;
			case AV_DOWN:
				r->down_ms += len;
				if (len > 0)
					o.unplanned = 1;
				break;
			case AV_UNREACHABLE:
				r->unreachable_ms += len;
				break;
			default:
				r->unknown_ms += len;
			}
		}
		if (state == AV_DOWN)
			o.clipped += len;
		t = next;
		if (in_maint && wi < nm && t >= mw[wi].end_ms)
			wi++;
		/* Changes at the same instant: the last one stands. */
		if (ci < n && ch[ci].ts_ms <= t) {
			int	 ns = state;

			while (ci < n && ch[ci].ts_ms <= t)
				ns = ch[ci++].state;
			if (ns == AV_UNKNOWN && state == AV_DOWN) {
				/* Not seen: over only if next seen up. */
				o.unseen = 1;
			} else if (ns != AV_DOWN && state == AV_DOWN)
				outage_close(&o, r, t, 1, &sum_ended);
			else if (o.unseen && ns != AV_UNKNOWN) {
				o.unseen = 0;
				/*
				 * Seen again and still down: it goes on.  Seen
				 * again and not down: it is over now, when it
				 * was first seen over -- not where it was last
				 * seen down, which would claim a repair nobody
				 * saw.
				 */
				if (ns != AV_DOWN)
					outage_close(&o, r, t, 1, &sum_ended);
			}
			if (ns == AV_DOWN && !o.open) {
				o.open = 1;
				o.start = t;
			}
			state = ns;
		}
	}
	/*
	 * An outage still open at the end has not been repaired yet, nor
	 * has one whose device has not been seen since it was down: it is
	 * counted, and not as ended.
	 */
	outage_close(&o, r, to, 0, &sum_ended);
	r->ended_sum_ms = sum_ended;
	av_derive(r, target);
	return 0;
}

/*
 * The ratios and the budget from the sums.  Also used for groups,
 * whose sums are added up from their devices.
 */
void
av_derive(struct av_result *r, double target)
{
	double	 denom;

	r->target = target;
	/*
	 * Unreachable time is the parent's outage, not this device's: it
	 * is left out like unknown time and reported on its own.
	 */
	denom = (double)(r->period_ms - r->planned_ms - r->unknown_ms -
	    r->unreachable_ms);
	r->availability = denom > 0 ? (double)r->up_ms / denom : NAN;
	/* Counting maintenance as ordinary time: only unseen time leaves. */
	denom = (double)(r->period_ms - r->unknown_ms - r->unreachable_ms -
	    r->planned_unseen_ms);
	r->availability_charged = denom > 0 ? (double)(r->up_ms +
	    r->planned_up_ms) / denom : NAN;
	/* Coverage: the share of the period with data of any kind. */
	r->coverage = r->period_ms > 0 ? (double)(r->period_ms -
	    r->unknown_ms - r->planned_unseen_ms) / (double)r->period_ms : NAN;
	r->mttr_ms = r->outages_ended > 0 ? r->ended_sum_ms /
	    r->outages_ended : NAN;
	r->mtbf_ms = r->outages > 0 ? (double)r->up_ms / r->outages : NAN;
	if (isnan(target) || isnan(r->availability)) {
		r->met = -1;
		r->budget_ms = r->budget_left_ms = NAN;
	} else {
		r->budget_ms = (1.0 - target) * (double)(r->period_ms -
		    r->planned_ms - r->unknown_ms - r->unreachable_ms);
		r->budget_left_ms = r->budget_ms - (double)r->down_ms;
		r->met = r->availability >= target;
	}
}

/*
 * Calendar ranges in a time zone.  mktime() reads the zone from TZ, so
 * TZ is switched around the call and put back: not for threads, which
 * is fine for the report and the API, both on one thread.
 */
static int
local_to_ms(const char *tz, int y, int mon, int d, int64_t *out)
{
	char	*old = getenv("TZ"), *saved = old ? strdup(old) : NULL;
	struct tm tm;
	time_t	 t;

	if (old != NULL && saved == NULL)
		return -1;
	setenv("TZ", tz, 1);
	tzset();
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

int
av_month_range(int year, int month, const char *tz, int64_t *from,
    int64_t *to)
{
	if (month < 1 || month > 12 || year < 1970 || year > 9999) {
		errno = EINVAL;
		return -1;
	}
	if (local_to_ms(tz, year, month, 1, from) == -1)
		return -1;
	/* mktime normalises month 13 to January of the next year. */
	return local_to_ms(tz, year, month + 1, 1, to);
}

int
av_day_range(int year, int month, int day, const char *tz, int64_t *from,
    int64_t *to)
{
	if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1970) {
		errno = EINVAL;
		return -1;
	}
	if (local_to_ms(tz, year, month, day, from) == -1)
		return -1;
	return local_to_ms(tz, year, month, day + 1, to);
}

/* The calendar month in tz that the instant ms falls in. */
int
av_month_of(int64_t ms, const char *tz, int *year, int *month)
{
	char	*old = getenv("TZ"), *saved = old ? strdup(old) : NULL;
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;
	int	 rc = 0;

	if (old != NULL && saved == NULL)
		return -1;
	setenv("TZ", tz, 1);
	tzset();
	if (localtime_r(&t, &tm) == NULL)
		rc = -1;
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	if (rc == 0) {
		*year = tm.tm_year + 1900;
		*month = tm.tm_mon + 1;
	}
	return rc;
}

/*
 * Where a period asked for ends as far as it has happened: at its end
 * once that is past, else now.  Time that has not happened yet is
 * neither up, down, unknown nor planned, so every figure of a month
 * not over yet (the API's, the command line's, the report's) is of the
 * month so far, and all three agree at the same moment because all
 * three end the period here.  Returns 1 when the period is not over
 * (*end is now), 0 when it is (*end is to), -1 when it has not begun.
 */
int
av_period_end(int64_t from, int64_t to, int64_t now, int64_t *end)
{
	if (now <= from) {
		*end = from;
		errno = EINVAL;
		return -1;
	}
	if (now < to) {
		*end = now;
		return 1;
	}
	*end = to;
	return 0;
}
