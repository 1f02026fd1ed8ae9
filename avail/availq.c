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
 * Availability tables from the outage journal (avail.h).  The journal
 * is read once into per-device timelines and an outage list; any period
 * is then computed from memory, so the API, the command line and the
 * monthly report all give the same numbers from the same code.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../common/common.h"
#include "avail.h"

void
aq_init(struct aq *q)
{
	memset(q, 0, sizeof(*q));
}

void
aq_free(struct aq *q)
{
	size_t	 i;

	for (i = 0; i < q->ndev; i++) {
		free(q->dev[i].tl);
		free(q->dev[i].lat);
	}
	free(q->dev);
	free(q->index);
	free(q->out);
	memset(q, 0, sizeof(*q));
}

static int
index_rebuild(struct aq *q, size_t cap)
{
	size_t	*ix, i;

	if ((ix = malloc(cap * sizeof(*ix))) == NULL)
		return -1;
	for (i = 0; i < cap; i++)
		ix[i] = SIZE_MAX;
	for (i = 0; i < q->ndev; i++) {
		size_t	 h = fm_hash32(q->dev[i].id) & (cap - 1);

		while (ix[h] != SIZE_MAX)
			h = (h + 1) & (cap - 1);
		ix[h] = i;
	}
	free(q->index);
	q->index = ix;
	q->indexcap = cap;
	return 0;
}

struct aq_device *
aq_device(struct aq *q, const char *id)
{
	size_t	 h;

	if (q->indexcap == 0)
		return NULL;
	h = fm_hash32(id) & (q->indexcap - 1);
	while (q->index[h] != SIZE_MAX) {
		if (strcmp(q->dev[q->index[h]].id, id) == 0)
			return &q->dev[q->index[h]];
		h = (h + 1) & (q->indexcap - 1);
	}
	return NULL;
}

static struct aq_device *
device_get(struct aq *q, const char *id)
{
	struct aq_device *d;

	if ((d = aq_device(q, id)) != NULL)
		return d;
	if (q->ndev == q->capdev) {
		size_t	 nc = q->capdev ? q->capdev * 2 : 64;
		struct aq_device *nd = realloc(q->dev, nc * sizeof(*nd));

		if (nd == NULL)
			return NULL;
		q->dev = nd;
		q->capdev = nc;
	}
	d = &q->dev[q->ndev++];
	memset(d, 0, sizeof(*d));
	fm_strlcpy(d->id, id, sizeof(d->id));
	fm_strlcpy(d->name, id, sizeof(d->name));
	/* Keep the table at most half full. */
	if (q->ndev * 2 > q->indexcap) {
		if (index_rebuild(q, q->indexcap ? q->indexcap * 2 : 128) ==
		    -1)
			return NULL;
	} else {
		size_t	 h = fm_hash32(id) & (q->indexcap - 1);

		while (q->index[h] != SIZE_MAX)
			h = (h + 1) & (q->indexcap - 1);
		q->index[h] = q->ndev - 1;
	}
	return d;
}

static int
timeline_add(struct aq_device *d, int64_t at, uint8_t state)
{
	size_t	 i;

	if (d->ntl == d->captl) {
		size_t	 nc = d->captl ? d->captl * 2 : 8;
		struct av_change *n = realloc(d->tl, nc * sizeof(*n));

		if (n == NULL)
			return -1;
		d->tl = n;
		d->captl = nc;
	}
	/* Records come in time order; a late one is slotted in. */
	i = d->ntl;
	while (i > 0 && d->tl[i - 1].ts_ms > at) {
		d->tl[i] = d->tl[i - 1];
		i--;
	}
	d->tl[i].ts_ms = at;
	d->tl[i].state = state;
	d->ntl++;
	return 0;
}

static struct aq_outage *
outage_find(struct aq *q, const char *device, const char *check, int64_t at)
{
	size_t	 i;

	for (i = q->nout; i > 0; i--) {
		struct aq_outage *o = &q->out[i - 1];

		if (o->start_ms == at && strcmp(o->device, device) == 0 &&
		    strcmp(o->check, check) == 0)
			return o;
	}
	return NULL;
}

/*
 * The device's latest outage, open or not, through the device's own
 * index: a scan of every outage for each record would make a storm of
 * 20,000 devices cost 20,000 squared.
 */
static struct aq_outage *
outage_last(struct aq *q, const struct aq_device *d)
{
	return d->lastout > 0 ? &q->out[d->lastout - 1] : NULL;
}

/* Feed one journal record. */
int
aq_add(struct aq *q, const struct oj_rec *r)
{
	struct aq_device *d;
	struct aq_outage *o;
	int	 prev;

	switch (r->type) {
	case OJ_DEVICE:
		if ((d = device_get(q, r->device)) == NULL)
			return -1;
		fm_strlcpy(d->name, r->text, sizeof(d->name));
		fm_strlcpy(d->cls, r->dclass, sizeof(d->cls));
		fm_strlcpy(d->group, r->group, sizeof(d->group));
		fm_strlcpy(d->parent, r->parent, sizeof(d->parent));
		return 0;
	case OJ_STATE:
		/* Availability is the device's; checks explain it. */
		if (r->check[0] != '\0')
			return 0;
		if ((d = device_get(q, r->device)) == NULL)
			return -1;
		prev = d->ntl ? d->tl[d->ntl - 1].state : AV_UNKNOWN;
		if (timeline_add(d, r->at_ms, r->state) == -1)
			return -1;
		/*
		 * Down, then unseen: the outage is not over, nobody saw it
		 * end.  It stays open while the device is not seen (the
		 * gap is unknown time in the timeline, not down); seen down
		 * again, it goes on, one outage with a gap, as the collector
		 * confirms and alerts it; seen up (or unreachable), it ends
		 * there, at the first sight of it over.
		 */
		o = outage_last(q, d);
		if (o != NULL && o->end_ms != 0)
			o = NULL;
		if (r->state == AV_UNKNOWN && prev == AV_DOWN && o != NULL) {
			if (o->unseen_ms == 0)
				o->unseen_ms = r->at_ms;
		} else if (r->state != AV_UNKNOWN && prev == AV_UNKNOWN &&
		    o != NULL && o->unseen_ms != 0) {
			o->gap_ms += r->at_ms - o->unseen_ms;
			o->unseen_ms = 0;
			if (r->state != AV_DOWN)
				o->end_ms = r->at_ms;
		} else if (r->state == AV_DOWN && prev != AV_DOWN) {
			if (q->nout == q->capout) {
				size_t	 nc = q->capout ? q->capout * 2 : 64;
				struct aq_outage *no = realloc(q->out,
				    nc * sizeof(*no));

				if (no == NULL)
					return -1;
				q->out = no;
				q->capout = nc;
			}
			o = &q->out[q->nout++];
			memset(o, 0, sizeof(*o));
			fm_strlcpy(o->device, r->device, sizeof(o->device));
			o->start_ms = r->at_ms;
			fm_strlcpy(o->cause, r->text, sizeof(o->cause));
			d->lastout = q->nout;
		} else if (r->state != AV_DOWN && prev == AV_DOWN && o != NULL)
			o->end_ms = r->at_ms;
		return 0;
	case OJ_CONFIRM:
	case OJ_ACK:
	case OJ_CLASSIFY:
	case OJ_NOTE:
		/* Most often the device's latest outage: no scan then. */
		if (r->check[0] == '\0' &&
		    (d = aq_device(q, r->device)) != NULL &&
		    (o = outage_last(q, d)) != NULL && o->start_ms == r->at_ms)
			;
		else if ((o = outage_find(q, r->device, r->check,
		    r->at_ms)) == NULL)
			return 0;	/* an annotation of a check's outage */
		if (r->type == OJ_CONFIRM)
			o->confirmed_ms = r->confirmed_ms;
		else if (r->type == OJ_ACK) {
			if (o->acked_ms == 0) {
				o->acked_ms = r->ts_ms;
				fm_strlcpy(o->acked_by, r->who,
				    sizeof(o->acked_by));
			}
			/* What the duty engineer said, for 原因分析. */
			if (o->ack_comment[0] == '\0')
				fm_strlcpy(o->ack_comment, r->text,
				    sizeof(o->ack_comment));
		} else if (r->type == OJ_CLASSIFY) {
			/* The latest word stands; the journal keeps all. */
			o->cls = r->cls;
			fm_strlcpy(o->classified_by, r->who,
			    sizeof(o->classified_by));
			fm_strlcpy(o->reason, r->text, sizeof(o->reason));
		} else if (r->type == OJ_NOTE)
			fm_strlcpy(o->note, r->text, sizeof(o->note));
		return 0;
	case OJ_LATENCY:
		if ((d = device_get(q, r->device)) == NULL)
			return -1;
		if (d->nlat == d->caplat) {
			size_t	 nc = d->caplat ? d->caplat * 2 : 16;
			struct aq_lat *nl = realloc(d->lat, nc * sizeof(*nl));

			if (nl == NULL)
				return -1;
			d->lat = nl;
			d->caplat = nc;
		}
		fm_strlcpy(d->lat[d->nlat].check, r->check,
		    sizeof(d->lat[d->nlat].check));
		d->lat[d->nlat].at_ms = r->at_ms;
		d->lat[d->nlat].span_ms = r->span_ms;
		d->lat[d->nlat].lat_ms = r->lat_ms;
		d->lat[d->nlat].n = r->lat_n;
		d->lat[d->nlat].ok = r->lat_ok;
		d->nlat++;
		return 0;
	}
	return 0;
}

static int
load_cb(const struct oj_rec *r, void *arg)
{
	return aq_add(arg, r);
}

int
aq_load(struct aq *q, const char *path, char *err, size_t errlen)
{
	return oj_read(path, load_cb, q, &q->st, err, errlen);
}

/* The most specific target: device, then group, then class. */
double
aq_target_for(const struct aq_target *t, int n, const char *device,
    const char *group, const char *cls)
{
	double	 by_group = NAN, by_class = NAN;
	int	 i;

	for (i = 0; i < n; i++) {
		if (device && t[i].device[0] && strcmp(t[i].device, device) == 0)
			return t[i].availability;
		if (group && t[i].group[0] && strcmp(t[i].group, group) == 0)
			by_group = t[i].availability;
		if (cls && t[i].cls[0] && strcmp(t[i].cls, cls) == 0)
			by_class = t[i].availability;
	}
	return !isnan(by_group) ? by_group : by_class;
}

static void
row_add(struct aq_row *a, const struct aq_row *d, double *detect_sum,
    int *detect_n, double *ack_sum, int *ack_n)
{
	struct av_result *x = &a->r;
	const struct av_result *y = &d->r;

	a->ndevices++;
	x->period_ms += y->period_ms;
	x->up_ms += y->up_ms;
	x->down_ms += y->down_ms;
	x->unknown_ms += y->unknown_ms;
	x->unreachable_ms += y->unreachable_ms;
	x->planned_ms += y->planned_ms;
	x->planned_down_ms += y->planned_down_ms;
	x->planned_up_ms += y->planned_up_ms;
	x->planned_unseen_ms += y->planned_unseen_ms;
	x->outages += y->outages;
	x->outages_ended += y->outages_ended;
	x->ended_sum_ms += y->ended_sum_ms;
	if (y->longest_ms > x->longest_ms)
		x->longest_ms = y->longest_ms;
	a->external_ms += d->external_ms;
	a->blips += d->blips;
	if (!isnan(d->mttd_ms)) {
		*detect_sum += d->mttd_ms * y->outages;
		*detect_n += (int)y->outages;
	}
	if (!isnan(d->mtta_ms)) {
		*ack_sum += d->mtta_ms * y->outages;
		*ack_n += (int)y->outages;
	}
}

struct agg {
	struct aq_row	 row;
	double		 dsum, asum;
	int		 dn, an;
};

static struct agg *
agg_get(struct agg **a, size_t *n, size_t *cap, const char *key)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*a)[i].row.key, key) == 0)
			return &(*a)[i];
	if (*n == *cap) {
		size_t	 nc = *cap ? *cap * 2 : 16;
		struct agg *na = realloc(*a, nc * sizeof(*na));

		if (na == NULL)
			return NULL;
		*a = na;
		*cap = nc;
	}
	memset(&(*a)[*n], 0, sizeof(**a));
	fm_strlcpy((*a)[*n].row.key, key, sizeof((*a)[*n].row.key));
	fm_strlcpy((*a)[*n].row.name, key, sizeof((*a)[*n].row.name));
	return &(*a)[(*n)++];
}

static void
agg_finish(struct agg *g, double target)
{
	av_derive(&g->row.r, target);
	g->row.mttd_ms = g->dn ? g->dsum / g->dn : NAN;
	g->row.mtta_ms = g->an ? g->asum / g->an : NAN;
}

static int
rowcmp(const void *a, const void *b)
{
	return strcmp(((const struct aq_row *)a)->key,
	    ((const struct aq_row *)b)->key);
}

static struct aq_row *
agg_rows(struct agg *a, size_t n, const struct aq_target *t, int nt,
    int by_group)
{
	struct aq_row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t	 i;

	if (rows == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		agg_finish(&a[i], aq_target_for(t, nt, NULL,
		    by_group ? a[i].row.key : NULL,
		    by_group ? NULL : a[i].row.key));
		rows[i] = a[i].row;
	}
	qsort(rows, n, sizeof(*rows), rowcmp);
	return rows;
}

/* Append a window, growing the array. */
static int
win_push(struct av_window **w, size_t *n, size_t *cap, int64_t s, int64_t e)
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

/* A device's maintenance windows, from rules expanded once per period. */
static int
device_windows(const struct aq_device *d, const struct mw_rule *rules,
    int nrules, struct av_window *const *rw, const size_t *rn,
    struct av_window **w, size_t *nw, size_t *wcap)
{
	size_t	 k;
	int	 j;

	for (j = 0; j < nrules; j++) {
		if (!mw_covers(&rules[j], d->id, d->group, d->cls))
			continue;
		for (k = 0; k < rn[j]; k++)
			if (win_push(w, nw, wcap, rw[j][k].start_ms,
			    rw[j][k].end_ms) == -1)
				return -1;
	}
	return 0;
}

/*
 * Every device over [from, to), then groups, classes and the site.
 * Rows are allocated; the caller frees them.
 */
int
aq_compute(struct aq *q, const struct mw_rule *rules, int nrules,
    const struct aq_target *t, int nt, int64_t from, int64_t to,
    struct aq_row **devrows, struct aq_row **grouprows, size_t *ngroups,
    struct aq_row **classrows, size_t *nclasses, struct aq_row *site)
{
	struct aq_row *dr;
	struct agg *ga = NULL, *ca = NULL, sa;
	size_t	 gn = 0, gcap = 0, cn = 0, ccap = 0, i, k;
	struct av_window *w = NULL, **rw = NULL;
	struct av_change *tl;
	size_t	 nw, wcap = 0, *rn = NULL, *ofirst = NULL, *olist = NULL;
	int	 j, rc = -1;

	/* A period out of range would overflow its sums (avail.h). */
	if (!AV_PERIOD_OK(from, to))
		return -1;
	if ((dr = calloc(q->ndev ? q->ndev : 1, sizeof(*dr))) == NULL)
		return -1;
	memset(&sa, 0, sizeof(sa));
	fm_strlcpy(sa.row.key, "site", sizeof(sa.row.key));
	/*
	 * Each rule is expanded once for the period, not once per device
	 * it covers: expansion walks the calendar.
	 */
	if ((rw = calloc((size_t)(nrules ? nrules : 1), sizeof(*rw))) ==
	    NULL || (rn = calloc((size_t)(nrules ? nrules : 1),
	    sizeof(*rn))) == NULL)
		goto out;
	for (j = 0; j < nrules; j++) {
		size_t	 cap = 0;

		if (mw_expand(&rules[j], from, to, &rw[j], &rn[j], &cap) == -1)
			goto out;
	}
	/* The outages of each device, by a counting sort on the device. */
	if ((ofirst = calloc(q->ndev + 1, sizeof(*ofirst))) == NULL ||
	    (olist = calloc(q->nout ? q->nout : 1, sizeof(*olist))) == NULL)
		goto out;
	for (k = 0; k < q->nout; k++) {
		struct aq_device *od = aq_device(q, q->out[k].device);

		if (od != NULL)
			ofirst[od - q->dev + 1]++;
	}
	for (i = 0; i < q->ndev; i++)
		ofirst[i + 1] += ofirst[i];
	{
		size_t	*fill = calloc(q->ndev ? q->ndev : 1, sizeof(*fill));

		if (fill == NULL)
			goto out;
		for (k = 0; k < q->nout; k++) {
			struct aq_device *od = aq_device(q, q->out[k].device);

			if (od != NULL) {
				size_t di = (size_t)(od - q->dev);

				olist[ofirst[di] + fill[di]++] = k;
			}
		}
		free(fill);
	}
	for (i = 0; i < q->ndev; i++) {
		struct aq_device *d = &q->dev[i];
		struct aq_row *row = &dr[i];
		double	 dsum = 0, asum = 0;
		int	 dn = 0, an = 0;
		struct agg *g;

		fm_strlcpy(row->key, d->id, sizeof(row->key));
		fm_strlcpy(row->name, d->name, sizeof(row->name));
		nw = 0;
		if (device_windows(d, rules, nrules, rw, rn, &w, &nw, &wcap) ==
		    -1)
			goto out;
		/* Outages reclassified as planned count as maintenance. */
		for (k = ofirst[i]; k < ofirst[i + 1]; k++) {
			struct aq_outage *o = &q->out[olist[k]];
			int64_t	 e = o->end_ms ? o->end_ms : to;

			if (o->start_ms >= to || e <= from)
				continue;
			if (o->cls == OJC_PLANNED) {
				if (win_push(&w, &nw, &wcap, o->start_ms, e) ==
				    -1)
					goto out;
			} else if (o->cls == OJC_EXTERNAL)
				row->external_ms += (e < to ? e : to) -
				    (o->start_ms > from ? o->start_ms : from);
			if (o->start_ms >= from) {
				if (o->confirmed_ms) {
					dsum += (double)(o->confirmed_ms -
					    o->start_ms);
					dn++;
				}
				if (o->acked_ms) {
					asum += (double)(o->acked_ms -
					    o->start_ms);
					an++;
				}
			}
		}
		av_windows_normalize(w, nw, &nw);
		tl = d->tl;
		/*
		 * A blip -- an outage that ended before enough failed
		 * probes confirmed it -- is reported, and not charged
		 * unless asked: the timeline is read with it as up.
		 */
		for (k = ofirst[i]; k < ofirst[i + 1]; k++) {
			struct aq_outage *o = &q->out[olist[k]];
			size_t	 m;

			if (o->confirmed_ms != 0 || o->end_ms == 0 ||
			    o->cls == OJC_PLANNED || o->start_ms >= to ||
			    o->end_ms <= from)
				continue;
			row->blips++;
			if (q->charge_blips)
				continue;
			if (tl == d->tl) {
				if ((tl = malloc(d->ntl * sizeof(*tl))) ==
				    NULL)
					goto out;
				memcpy(tl, d->tl, d->ntl * sizeof(*tl));
			}
			/* Every down stretch of it, if it had a gap. */
			for (m = 0; m < d->ntl; m++)
				if (tl[m].ts_ms >= o->start_ms &&
				    tl[m].ts_ms < o->end_ms &&
				    tl[m].state == AV_DOWN)
					tl[m].state = AV_UP;
		}
		av_compute(tl, d->ntl, w, nw, from, to,
		    aq_target_for(t, nt, d->id, d->group, d->cls), &row->r);
		if (tl != d->tl)
			free(tl);
		row->ndevices = 1;
		row->mttd_ms = dn ? dsum / dn : NAN;
		row->mtta_ms = an ? asum / an : NAN;

		if ((g = agg_get(&ga, &gn, &gcap, d->group[0] ? d->group :
		    "default")) == NULL)
			goto out;
		row_add(&g->row, row, &g->dsum, &g->dn, &g->asum, &g->an);
		if ((g = agg_get(&ca, &cn, &ccap, d->cls[0] ? d->cls :
		    "other")) == NULL)
			goto out;
		row_add(&g->row, row, &g->dsum, &g->dn, &g->asum, &g->an);
		row_add(&sa.row, row, &sa.dsum, &sa.dn, &sa.asum, &sa.an);
	}
	/* Group and class rows have their device counts from row_add. */
	if ((*grouprows = agg_rows(ga, gn, t, nt, 1)) == NULL ||
	    (*classrows = agg_rows(ca, cn, t, nt, 0)) == NULL)
		goto out;
	*ngroups = gn;
	*nclasses = cn;
	agg_finish(&sa, NAN);
	*site = sa.row;
	*devrows = dr;
	dr = NULL;
	rc = 0;
out:
	free(dr);
	free(ga);
	free(ca);
	free(w);
	if (rw != NULL)
		for (j = 0; j < nrules; j++)
			free(rw[j]);
	free(rw);
	free(rn);
	free(ofirst);
	free(olist);
	return rc;
}

/*
 * The figures of the devices match() accepts, added up exactly as for
 * groups, classes and the site (row_add, agg_finish): an indicator over
 * several groups, or a report for one group, gets the same arithmetic.
 * devrows are aq_compute()'s, in the order of q->dev.
 */
int
aq_aggregate(const struct aq *q, const struct aq_row *devrows,
    int (*match)(const struct aq_device *, void *), void *arg, double target,
    struct aq_row *out)
{
	struct agg a;
	size_t	 i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < q->ndev; i++)
		if (match == NULL || match(&q->dev[i], arg))
			row_add(&a.row, &devrows[i], &a.dsum, &a.dn, &a.asum,
			    &a.an);
	agg_finish(&a, target);
	*out = a.row;
	return a.row.ndevices;
}

static int
pocmp(const void *a, const void *b)
{
	const struct aq_period_outage *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * The outages overlapping [from, to), in time order, each clipped to
 * the period with the time it spent inside maintenance.  One wholly
 * inside maintenance, or reclassified as planned, is planned: it is
 * listed but, as in av_compute(), not counted as an outage.
 */
int
aq_outages_in(const struct aq *q, const struct mw_rule *rules, int nrules,
    int64_t from, int64_t to, struct aq_period_outage **out, size_t *nout)
{
	struct av_window **rw = NULL, *w = NULL;
	struct aq_period_outage *po = NULL;
	size_t	*rn = NULL, n = 0, k, i, nw, wcap = 0;
	int	 j, rc = -1;

	*out = NULL;
	*nout = 0;
	if ((rw = calloc((size_t)(nrules ? nrules : 1), sizeof(*rw))) ==
	    NULL || (rn = calloc((size_t)(nrules ? nrules : 1),
	    sizeof(*rn))) == NULL ||
	    (po = calloc(q->nout ? q->nout : 1, sizeof(*po))) == NULL)
		goto done;
	for (j = 0; j < nrules; j++) {
		size_t	 cap = 0;

		if (mw_expand(&rules[j], from, to, &rw[j], &rn[j], &cap) == -1)
			goto done;
	}
	for (i = 0; i < q->nout; i++) {
		const struct aq_outage *o = &q->out[i];
		struct aq_device *d = aq_device((struct aq *)q, o->device);
		struct aq_period_outage *p;
		int64_t	 s = o->start_ms, e = o->end_ms ? o->end_ms : to;

		if (s >= to || e <= from || d == NULL)
			continue;
		p = &po[n++];
		p->idx = i;
		p->start_ms = s > from ? s : from;
		p->end_ms = e < to ? e : to;
		nw = 0;
		if (device_windows(d, rules, nrules, rw, rn, &w, &nw, &wcap) ==
		    -1)
			goto done;
		av_windows_normalize(w, nw, &nw);
		for (k = 0; k < nw; k++) {
			int64_t	 a = w[k].start_ms > p->start_ms ?
			    w[k].start_ms : p->start_ms;
			int64_t	 b = w[k].end_ms < p->end_ms ? w[k].end_ms :
			    p->end_ms;

			if (b > a)
				p->planned_ms += b - a;
		}
		p->kind = o->cls;
		/* Reclassified as planned: all of it is maintenance. */
		if (o->cls == OJC_PLANNED)
			p->planned_ms = p->end_ms - p->start_ms;
		if (p->planned_ms >= p->end_ms - p->start_ms)
			p->kind = OJC_PLANNED;
		/* As aq_compute() decides it. */
		p->blip = o->confirmed_ms == 0 && o->end_ms != 0 &&
		    o->cls != OJC_PLANNED && !q->charge_blips;
	}
	qsort(po, n, sizeof(*po), pocmp);
	*out = po;
	*nout = n;
	po = NULL;
	rc = 0;
done:
	free(po);
	free(w);
	if (rw != NULL)
		for (j = 0; j < nrules; j++)
			free(rw[j]);
	free(rw);
	free(rn);
	return rc;
}

/*
 * The latency target of an indicator: of the probes of the checks it
 * covers that started in [from, to), how many succeeded within its bound.
 * Counts are kept per check in slices (OJ_LATENCY); a slice belongs to
 * the period its start falls in, which is exact for slices that divide
 * the hour and periods that start on the hour.  'only': one device.
 */
int
aq_latency(const struct aq *q, const struct av_indicator *a,
    const struct aq_device *only, int64_t from, int64_t to, uint64_t *n,
    uint64_t *ok)
{
	size_t	 i, j;

	*n = *ok = 0;
	for (i = 0; i < q->ndev; i++) {
		const struct aq_device *d = &q->dev[i];

		if ((only != NULL && d != only) ||
		    !avi_covers(a, d->id, d->group, d->cls))
			continue;
		for (j = 0; j < d->nlat; j++) {
			const struct aq_lat *l = &d->lat[j];

			if (l->lat_ms != (uint32_t)a->latency_ms ||
			    l->at_ms < from || l->at_ms >= to ||
			    !avi_covers_check(a, l->check))
				continue;
			*n += l->n;
			*ok += l->ok;
		}
	}
	return *n > 0 ? 0 : -1;
}

const struct aq_fig_def aq_figs[AQF_MAX] = {
	[AQF_PERIOD] = { "period", AQU_MS },
	[AQF_UP] = { "up", AQU_MS },
	[AQF_DOWN] = { "down", AQU_MS },
	[AQF_UNKNOWN] = { "unknown", AQU_MS },
	[AQF_UNREACHABLE] = { "unreachable", AQU_MS },
	[AQF_PLANNED] = { "planned", AQU_MS },
	[AQF_PLANNED_UP] = { "planned_up", AQU_MS },
	[AQF_PLANNED_DOWN] = { "planned_down", AQU_MS },
	[AQF_PLANNED_UNSEEN] = { "planned_unseen", AQU_MS },
	[AQF_EXTERNAL] = { "external", AQU_MS },
	[AQF_AVAILABILITY] = { "availability", AQU_RATIO },
	[AQF_AVAILABILITY_CHARGED] = { "availability_planned_charged",
	    AQU_RATIO },
	[AQF_COVERAGE] = { "coverage", AQU_RATIO },
	[AQF_OUTAGES] = { "outages", AQU_COUNT },
	[AQF_OUTAGES_ENDED] = { "outages_ended", AQU_COUNT },
	[AQF_BLIPS] = { "blips", AQU_COUNT },
	[AQF_LONGEST] = { "longest_outage", AQU_MS },
	[AQF_MTTR] = { "mttr", AQU_MS_REAL },
	[AQF_MTBF] = { "mtbf", AQU_MS_REAL },
	[AQF_MTTD] = { "mttd", AQU_MS_REAL },
	[AQF_MTTA] = { "mtta", AQU_MS_REAL },
	[AQF_TARGET] = { "target", AQU_RATIO },
	[AQF_BUDGET] = { "budget", AQU_MS_REAL },
	[AQF_BUDGET_LEFT] = { "budget_left", AQU_MS_REAL },
	[AQF_BUDGET_PERIOD_LEFT] = { "budget_period_left", AQU_MS_REAL },
	[AQF_MET] = { "met", AQU_MET },
};

/*
 * One figure of a row (see aq_figs).  Unknown time is the unseen time
 * outside maintenance only: unseen time inside a window is part of
 * planned and shown as planned_unseen, so that each millisecond of the
 * period is counted once.  rest_ms: the part of the period asked for
 * that has not happened yet (av_period_end), for budget_period_left --
 * the budget left so far plus the budget of the time to come, if all of
 * it is seen and none of it planned.
 */
double
aq_figure(const struct aq_row *w, int64_t rest_ms, int fig)
{
	const struct av_result *r = &w->r;

	switch (fig) {
	case AQF_PERIOD:
		return (double)r->period_ms;
	case AQF_UP:
		return (double)r->up_ms;
	case AQF_DOWN:
		return (double)r->down_ms;
	case AQF_UNKNOWN:
		return (double)r->unknown_ms;
	case AQF_UNREACHABLE:
		return (double)r->unreachable_ms;
	case AQF_PLANNED:
		return (double)r->planned_ms;
	case AQF_PLANNED_UP:
		return (double)r->planned_up_ms;
	case AQF_PLANNED_DOWN:
		return (double)r->planned_down_ms;
	case AQF_PLANNED_UNSEEN:
		return (double)r->planned_unseen_ms;
	case AQF_EXTERNAL:
		return (double)w->external_ms;
	case AQF_AVAILABILITY:
		return r->availability;
	case AQF_AVAILABILITY_CHARGED:
		return r->availability_charged;
	case AQF_COVERAGE:
		return r->coverage;
	case AQF_OUTAGES:
		return r->outages;
	case AQF_OUTAGES_ENDED:
		return r->outages_ended;
	case AQF_BLIPS:
		return w->blips;
	case AQF_LONGEST:
		return (double)r->longest_ms;
	case AQF_MTTR:
		return r->mttr_ms;
	case AQF_MTBF:
		return r->mtbf_ms;
	case AQF_MTTD:
		return w->mttd_ms;
	case AQF_MTTA:
		return w->mtta_ms;
	case AQF_TARGET:
		return r->target;
	case AQF_BUDGET:
		return r->budget_ms;
	case AQF_BUDGET_LEFT:
		return r->budget_left_ms;
	case AQF_BUDGET_PERIOD_LEFT:
		return r->budget_left_ms + (1.0 - r->target) *
		    (double)rest_ms * w->ndevices;
	case AQF_MET:
		return r->met;
	}
	return NAN;
}

static json_t *
jreal(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

/*
 * Every figure of a row into o under the API's names, for the API and
 * the report's JSON alike: times as "<name>_ms", whole milliseconds, or
 * with in_seconds as "<name>_s" in seconds; what cannot be known is
 * null, never a guess.
 */
void
aq_figures_json(json_t *o, const struct aq_row *w, int64_t rest_ms,
    int in_seconds)
{
	char	 key[64];
	double	 v;
	int	 f;

	for (f = 0; f < AQF_MAX; f++) {
		v = aq_figure(w, rest_ms, f);
		switch (aq_figs[f].unit) {
		case AQU_MS:
		case AQU_MS_REAL:
			snprintf(key, sizeof(key), "%s_%s", aq_figs[f].name,
			    in_seconds ? "s" : "ms");
			if (in_seconds)
				json_object_set_new(o, key, jreal(v / 1000.0));
			else if (aq_figs[f].unit == AQU_MS)
				json_object_set_new(o, key,
				    json_integer((json_int_t)v));
			else
				json_object_set_new(o, key, jreal(v));
			break;
		case AQU_COUNT:
			json_object_set_new(o, aq_figs[f].name,
			    json_integer((json_int_t)v));
			break;
		case AQU_MET:
			json_object_set_new(o, aq_figs[f].name, v < 0 ?
			    json_null() : json_boolean(v > 0));
			break;
		default:
			json_object_set_new(o, aq_figs[f].name, jreal(v));
		}
	}
}
