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
 * The probe scheduler.  Each check runs on a fixed cadence: slot k of a
 * check starts at epoch + k * interval on the monotonic clock, where the
 * epoch is offset by a hash of the check's name so that a thousand checks
 * with the same interval do not all fire in the same millisecond.  A
 * failed probe never delays the next one -- an outage is measured by the
 * probes that keep coming -- and a probe that is still running when its
 * next slot comes makes that slot count as an overrun instead of piling
 * up a second probe behind it.
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static struct device	*devices;
static int		 ndevices;
static uint64_t		 st_probes, st_overruns;
static uint64_t		 sched_gen;	/* bumped when the checks are freed */
static int64_t		 st_late_max;

#define SCHED_GRAIN_MAX_US	100000

/*
 * How late probes start, as a histogram: 100 µs buckets up to 500 ms
 * and one for anything later.  Counting is one increment a probe; the
 * quantiles are read at exit (and by benchmarks).  Each check's first
 * slot is left out: it falls in start-up, while thousands of checks are
 * being set up.
 */
#define LATE_BUCKET_US		100
#define LATE_NBUCKETS		5001
static uint32_t		 late_hist[LATE_NBUCKETS];
static uint64_t		 late_n;

static void	sched_fire(evutil_socket_t, short, void *);

static void
sched_arm(struct check *c, uint64_t slot)
{
	int64_t	 when = c->epoch_us + (int64_t)slot *
	    (int64_t)c->conf->interval_ms * 1000;
	int64_t	 delay = when - mono_us();
	struct timeval tv;

	if (delay < 0)
		delay = 0;
	tv.tv_sec = delay / 1000000;
	tv.tv_usec = delay % 1000000;
	c->slot = slot;
	evtimer_add(c->timer, &tv);
}

static void
sched_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct check *c = arg;
	const struct probe_ops *ops = probe_ops_get(c->conf->type);
	int64_t	 now = mono_us(), ival = (int64_t)c->conf->interval_ms * 1000;
	int64_t	 slot_time = c->epoch_us + (int64_t)c->slot * ival;
	uint64_t next;

	(void)fd;
	(void)ev;
	/*
	 * If the loop was held up for longer than an interval, the slots
	 * in between are gone; start with the current one and count the
	 * rest as overruns, so the gap is visible rather than hidden.
	 */
	if (now - slot_time >= ival) {
		uint64_t cur = (uint64_t)((now - c->epoch_us) / ival);

		c->noverrun += cur - c->slot;
		st_overruns += cur - c->slot;
		c->slot = cur;
		slot_time = c->epoch_us + (int64_t)cur * ival;
	}
	next = c->slot + 1;
	if (c->running) {
		c->noverrun++;
		st_overruns++;
	} else {
		if (now - slot_time > c->late_us_max)
			c->late_us_max = now - slot_time;
		if (now - slot_time > st_late_max)
			st_late_max = now - slot_time;
		if (c->slot > 0) {
			int64_t	 b = (now - slot_time) / LATE_BUCKET_US;

			if (b < 0)
				b = 0;
			if (b >= LATE_NBUCKETS)
				b = LATE_NBUCKETS - 1;
			late_hist[b]++;
			late_n++;
		}
		c->running = 1;
		c->start_us = now;
		c->deadline_us = now + (int64_t)c->conf->timeout_ms * 1000;
		c->nprobes++;
		st_probes++;
		ops->start(c);
	}
	sched_arm(c, next);
}

int
sched_start(struct agent_conf *ac)
{
	int	 i, j, bad = 0;
	int64_t	 now = mono_us();

	ndevices = ac->ndevices;
	if ((devices = calloc((size_t)(ndevices ? ndevices : 1),
	    sizeof(*devices))) == NULL)
		fatal("calloc");
	for (i = 0; i < ndevices; i++) {
		struct device *d = &devices[i];

		d->conf = &ac->devices[i];
		d->nchecks = d->conf->nchecks;
		if ((d->checks = calloc((size_t)d->nchecks,
		    sizeof(*d->checks))) == NULL)
			fatal("calloc");
		for (j = 0; j < d->nchecks; j++) {
			struct check *c = &d->checks[j];
			const struct probe_ops *ops;
			char	 key[2 * FM_ID_MAX + 1];
			int64_t	 ival, gran;

			c->conf = &d->conf->checks[j];
			c->dev = d;
			ops = probe_ops_get(c->conf->type);
			if (ops->init(c) == -1) {
				log_warnx("%s/%s: cannot start this check",
				    d->conf->id, c->conf->id);
				c->conf = NULL;
				bad++;
				continue;
			}
			if ((c->timer = evtimer_new(agent_base, sched_fire,
			    c)) == NULL)
				fatal("evtimer_new");
			snprintf(key, sizeof(key), "%s/%s", d->conf->id,
			    c->conf->id);
			ival = (int64_t)c->conf->interval_ms * 1000;
			gran = ival / 100;
			if (gran > SCHED_GRAIN_MAX_US)
				gran = SCHED_GRAIN_MAX_US;
			if (gran < 1000)
				gran = 1000;
			c->epoch_us = now + (int64_t)(fm_hash32(key) %
			    (uint32_t)(ival / gran)) * gran;
			sched_arm(c, 0);
		}
	}
	return bad ? -1 : 0;
}

void
sched_stop(void)
{
	int	 i, j;

	for (i = 0; i < ndevices; i++) {
		for (j = 0; j < devices[i].nchecks; j++) {
			struct check *c = &devices[i].checks[j];

			if (c->conf == NULL)
				continue;
			if (c->timer != NULL)
				event_free(c->timer);
			probe_ops_get(c->conf->type)->cleanup(c);
		}
		free(devices[i].checks);
	}
	free(devices);
	devices = NULL;
	ndevices = 0;
	sched_gen++;
}

void
sched_stats(uint64_t *probes, uint64_t *overruns, int64_t *late_us_max)
{
	*probes = st_probes;
	*overruns = st_overruns;
	*late_us_max = st_late_max;
}

/*
 * The start lateness below which a fraction q of probes started, in
 * microseconds (the upper edge of its bucket); -1 before any probe.
 */
int64_t
sched_late_quantile(double q)
{
	uint64_t want, sum = 0;
	int	 i;

	if (late_n == 0)
		return -1;
	want = (uint64_t)ceil(q * (double)late_n);
	if (want == 0)
		want = 1;
	for (i = 0; i < LATE_NBUCKETS; i++) {
		sum += late_hist[i];
		if (sum >= want)
			break;
	}
	if (i >= LATE_NBUCKETS)
		i = LATE_NBUCKETS - 1;
	return (int64_t)(i + 1) * LATE_BUCKET_US;
}

/* Arm a timer for ms from now. */
void
timer_in_ms(struct event *ev, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Arm a timer for a monotonic deadline (now, if it has passed). */
void
timer_at(struct event *ev, int64_t deadline_us)
{
	struct timeval tv;
	int64_t	 left = deadline_us - mono_us();

	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000000;
	tv.tv_usec = left % 1000000;
	evtimer_add(ev, &tv);
}

struct fm_result *
result_new(struct check *c)
{
	struct fm_result *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	fm_strlcpy(r->device, c->dev->conf->id, sizeof(r->device));
	fm_strlcpy(r->check, c->conf->id, sizeof(r->check));
	r->type = (uint8_t)c->conf->type;
	r->outcome = PR_OK;
	r->ts_ms = now_ms();
	c->start_wall_ms = r->ts_ms;
	return r;
}

/*
 * A value past FM_VALUES_MAX, or one that would make the result too big
 * for a frame, is refused and counted: the probe reports it (nrefused)
 * rather than sending a silently cut table.
 */
static struct fm_value *
result_add(struct fm_result *r, const char *name, int kind, size_t textlen)
{
	struct fm_value *v;
	size_t	 cost, nlen = strlen(name);

	if (nlen >= FM_VNAME_MAX)
		nlen = FM_VNAME_MAX - 1;
	cost = 2 + nlen + 1 + (kind == VK_GAUGE ? 8 : kind == VK_COUNTER ?
	    16 : 2 + textlen);
	if (r->wire_bytes == 0)
		r->wire_bytes = fm_result_wire_len(r);
	if (r->nvalues >= FM_VALUES_MAX ||
	    r->wire_bytes + cost > FM_RESULT_BYTES_MAX) {
		r->nrefused++;
		return NULL;
	}
	/* The array holds max(4, next power of two) entries. */
	if (r->nvalues == 0 ||
	    (r->nvalues >= 4 && (r->nvalues & (r->nvalues - 1)) == 0)) {
		size_t	 ncap = r->nvalues == 0 ? 4 : (size_t)r->nvalues * 2;
		struct fm_value *nv;

		if ((nv = realloc(r->values, ncap * sizeof(*nv))) == NULL)
			fatal("realloc");
		r->values = nv;
	}
	v = &r->values[r->nvalues++];
	memset(v, 0, sizeof(*v));
	fm_strlcpy(v->name, name, sizeof(v->name));
	v->kind = (uint8_t)kind;
	r->wire_bytes += cost;
	return v;
}

void
result_add_gauge(struct fm_result *r, const char *name, double d)
{
	struct fm_value *v;

	if (!isfinite(d))
		return;
	if ((v = result_add(r, name, VK_GAUGE, 0)) != NULL)
		v->d = d;
}

void
result_add_counter(struct fm_result *r, const char *name, uint64_t raw,
    double rate)
{
	struct fm_value *v;

	if ((v = result_add(r, name, VK_COUNTER, 0)) != NULL) {
		v->u = raw;
		v->d = isfinite(rate) ? rate : NAN;
	}
}

void
result_add_text(struct fm_result *r, const char *name, const char *text)
{
	struct fm_value *v;
	size_t	 n = strlen(text);

	if (n >= FM_VTEXT_MAX)
		n = FM_VTEXT_MAX - 1;
	if ((v = result_add(r, name, VK_TEXT, n)) == NULL)
		return;
	if ((v->text = strndup(text, n)) == NULL)
		fatal("strndup");
}

void
result_fail(struct fm_result *r, int outcome, const char *fmt, ...)
{
	va_list	 ap;

	r->outcome = (uint8_t)outcome;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/* Every probe ends here, exactly once. */
void
probe_done(struct check *c, struct fm_result *r)
{
	int64_t	 d = mono_us() - c->start_us;

	r->dur_us = d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	c->running = 0;
	expect_eval(c->conf, r);
	log_debug("%s/%s: %s %.1fms %s", r->device, r->check,
	    probe_result_name(r->outcome), r->dur_us / 1000.0, r->msg);
	push_result(r);
}

/*
 * What a check's values are (labels, units, importance): to the link,
 * which sends it when it differs from what the collector was last told.
 * The check keeps ownership of m.
 */
void
probe_meta(struct check *c, const struct fm_valmeta *m)
{
	(void)c;
	push_meta(m);
}

/* Changes at each connect to a collector that takes descriptions. */
uint64_t
probe_meta_epoch(void)
{
	return push_meta_epoch();
}

struct later {
	struct check	 *c;
	struct fm_result *r;
	uint64_t	  gen;
};

static void
probe_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct later *l = arg;

	(void)fd;
	(void)ev;
	/* The check was freed by a reload in between: drop the result. */
	if (l->gen != sched_gen) {
		fm_result_clear(l->r);
		free(l->r);
	} else
		probe_done(l->c, l->r);
	free(l);
}

/* For a probe that fails before it could start: finish from the loop. */
void
probe_done_later(struct check *c, struct fm_result *r)
{
	struct later *l;
	struct timeval tv = { 0, 0 };

	if ((l = malloc(sizeof(*l))) == NULL)
		fatal("malloc");
	l->c = c;
	l->r = r;
	l->gen = sched_gen;
	if (event_base_once(agent_base, -1, EV_TIMEOUT, probe_done_cb, l,
	    &tv) == -1)
		fatalx("event_base_once");
}
