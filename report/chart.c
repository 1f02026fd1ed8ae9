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
 * The two charts (report.h).  The geometry is computed here once and
 * drawn through a canvas, so the PDF (cairo) and the HTML (SVG) show
 * the same picture from the same figures.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define ML	48.0	/* left margin: the y labels */
#define MR	12.0
#define MT	22.0	/* the title */
#define LEGW	110.0	/* one legend entry */

static const unsigned palette[] = {
	0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b,
	0xe377c2, 0x17becf, 0xbcbd22, 0x7f7f7f,
};
#define NPAL	(sizeof(palette) / sizeof(palette[0]))

struct frame {
	double	 x0, y0, w, h;	/* the plot area */
	double	 lo, hi;
};

static double
ypos(const struct frame *f, double v)
{
	if (v < f->lo)
		v = f->lo;
	if (v > f->hi)
		v = f->hi;
	return f->y0 + f->h - (v - f->lo) / (f->hi - f->lo) * f->h;
}

static int
legend_rows(const struct rpt *r, double w)
{
	int	 per = (int)((w - ML) / LEGW);

	if (per < 1)
		per = 1;
	return ((int)r->nseries + per - 1) / per;
}

/* Frame, grid, y labels, x labels, title and legend. */
static void
frame_draw(const struct rpt *r, const struct canvas *c, struct frame *f,
    double w, double h, const char *title, const char *unit, int ticks)
{
	double	 xy[4];
	char	 buf[32];
	int	 i, per, step, nb = r->nbuckets;
	size_t	 k;

	f->x0 = ML;
	f->y0 = MT;
	f->w = w - ML - MR;
	f->h = h - MT - 18.0 - 12.0 * legend_rows(r, w) - 4.0;
	c->rect(c->ctx, 0, 0, w, h, 0xffffff);
	c->text(c->ctx, w / 2, 14, title, 9, 0, 0x000000);
	for (i = 0; i <= ticks; i++) {
		double	 v = f->lo + (f->hi - f->lo) * i / ticks;

		xy[0] = f->x0;
		xy[1] = xy[3] = ypos(f, v);
		xy[2] = f->x0 + f->w;
		c->line(c->ctx, xy, 2, i == 0 ? 0x000000 : 0xdddddd, 0.5, 0);
		snprintf(buf, sizeof(buf), f->hi - f->lo < 1 ? "%.3f%s" :
		    "%.1f%s", v, unit);
		c->text(c->ctx, f->x0 - 3, xy[1] + 2.5, buf, 6, 1, 0x333333);
	}
	xy[0] = xy[2] = f->x0;
	xy[1] = f->y0;
	xy[3] = f->y0 + f->h;
	c->line(c->ctx, xy, 2, 0x000000, 0.5, 0);
	/* At most about 16 x labels. */
	step = nb > 16 ? (nb + 15) / 16 : 1;
	for (i = 0; i < nb; i += step)
		c->text(c->ctx, f->x0 + (i + 0.5) * f->w / nb, f->y0 + f->h + 9,
		    nb > 31 ? r->blabel[i] : r->blabel[i] + (r->blabel[i][2] ==
		    '-' ? 3 : 0), 6, 0, 0x333333);
	per = (int)((w - ML) / LEGW);
	if (per < 1)
		per = 1;
	for (k = 0; k < r->nseries; k++) {
		double	 lx = ML + (double)(k % (size_t)per) * LEGW;
		double	 ly = f->y0 + f->h + 22 + 12.0 * (double)(k /
		    (size_t)per);

		xy[0] = lx;
		xy[2] = lx + 14;
		xy[1] = xy[3] = ly - 2.5;
		c->line(c->ctx, xy, 2, palette[k % NPAL], 1.5, 0);
		/* The group's name, as in the tables: not its id. */
		c->text(c->ctx, lx + 18, ly, r->series[k].name, 6.5, -1,
		    0x000000);
	}
}

/* A series as polylines, broken where a bucket has no figure. */
static void
series_draw(const struct canvas *c, const struct frame *f, const double *v,
    int n, double start, int from_start, unsigned rgb)
{
	double	*xy = calloc(2 * ((size_t)n + 1), sizeof(double));
	int	 i, m = 0;

	if (xy == NULL)
		return;
	if (from_start) {
		xy[m++] = f->x0;
		xy[m++] = ypos(f, start);
	}
	for (i = 0; i < n; i++) {
		if (isnan(v[i])) {
			if (m >= 4)
				c->line(c->ctx, xy, m / 2, rgb, 1.2, 0);
			m = 0;
			continue;
		}
		xy[m++] = f->x0 + (from_start ? i + 1.0 : i + 0.5) * f->w / n;
		xy[m++] = ypos(f, v[i]);
	}
	if (m >= 4)
		c->line(c->ctx, xy, m / 2, rgb, 1.2, 0);
	else if (m == 2)	/* a lone point */
		c->rect(c->ctx, xy[0] - 1.2, xy[1] - 1.2, 2.4, 2.4, rgb);
	free(xy);
}

void
chart_avail(const struct rpt *r, const struct canvas *c, double w, double h)
{
	static const double los[] = { 99.98, 99.9, 99.5, 99.0, 98.0, 95.0,
		90.0, 80.0, 50.0, 0.0 };
	struct frame f;
	double	 min = 100.0;
	size_t	 k;
	int	 i;

	for (k = 0; k < r->nseries; k++)
		for (i = 0; i < r->nbuckets; i++)
			if (!isnan(r->series[k].avail[i]) &&
			    r->series[k].avail[i] * 100.0 < min)
				min = r->series[k].avail[i] * 100.0;
	f.hi = 100.0;
	f.lo = 0.0;
	for (i = 0; i < (int)(sizeof(los) / sizeof(los[0])); i++)
		if (min >= los[i]) {
			f.lo = los[i];
			break;
		}
	frame_draw(r, c, &f, w, h, r->nbuckets > 0 && strlen(r->blabel[0]) >
	    5 ? TR(r, "每月可用率（按分组）", "Monthly availability by group") :
	    TR(r, "每日可用率（按分组）", "Daily availability by group"), "%",
	    4);
	for (k = 0; k < r->nseries; k++) {
		double	*v = calloc((size_t)r->nbuckets + 1, sizeof(double));

		if (v == NULL)
			return;
		for (i = 0; i < r->nbuckets; i++)
			v[i] = r->series[k].avail[i] * 100.0;
		series_draw(c, &f, v, r->nbuckets, 0, 0, palette[k % NPAL]);
		free(v);
	}
}

void
chart_burn(const struct rpt *r, const struct canvas *c, double w, double h)
{
	struct frame f;
	double	 min = 0.0, xy[4];
	size_t	 k;
	int	 i;

	for (k = 0; k < r->nseries; k++)
		for (i = 0; i < r->nbuckets; i++)
			if (!isnan(r->series[k].burn[i]) &&
			    r->series[k].burn[i] < min)
				min = r->series[k].burn[i];
	f.hi = 100.0;
	/* Overruns show below zero, in steps of 50 % of the budget. */
	f.lo = min < 0 ? -50.0 * ceil(-min / 50.0) : 0.0;
	if (f.lo < -1000.0)
		f.lo = -1000.0;
	frame_draw(r, c, &f, w, h, TR(r, "故障时间预算消耗（剩余预算%，负值"
	    "为超支）", "Downtime budget burn-down (budget left, %; below 0: "
	    "overrun)"), "%", f.lo < 0 ? (int)((f.hi - f.lo) / 50.0) : 4);
	/* Even spending: the whole budget used by the end of the period. */
	xy[0] = f.x0;
	xy[1] = ypos(&f, 100.0);
	xy[2] = f.x0 + f.w;
	xy[3] = ypos(&f, 0.0);
	c->line(c->ctx, xy, 2, 0x999999, 0.8, 1);
	for (k = 0; k < r->nseries; k++)
		if (!isnan(r->series[k].budget_ms))
			series_draw(c, &f, r->series[k].burn, r->nbuckets,
			    100.0, 1, palette[k % NPAL]);
}
