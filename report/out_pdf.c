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
 * The PDF report: A4, cairo for drawing and pango for text.  Both are on
 * every facmon machine already (librrd draws graphs with them), pango
 * shapes Chinese correctly and cairo embeds only the glyphs used, so a
 * report with Noto Sans CJK stays small.  The summary and the
 * evaluation table are portrait, as handed in; the wide tables are
 * landscape.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "../common/common.h"
#include "report.h"

#define A4W	595.276
#define A4H	841.890
#define MARGIN	40.0
#define FONT	"Noto Sans CJK SC"

struct pdf {
	const struct rpt *r;
	cairo_surface_t	*s;
	cairo_t		*cr;
	PangoLayout	*lay;
	PangoFontDescription *fd;
	double		 pw, ph, y;
	int		 page;
	int		 pages;		/* counted by a first pass; 0: not yet */
	int		 counting;	/* the first pass: measure, draw nothing */
	char		 title[512];
};

static void
set_font(struct pdf *p, double size, int bold)
{
	pango_font_description_set_size(p->fd, (gint)(size * PANGO_SCALE));
	pango_font_description_set_weight(p->fd, bold ? PANGO_WEIGHT_BOLD :
	    PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->lay, p->fd);
}

/* Lay text out in a width; returns its height. */
static double
layout(struct pdf *p, const char *text, double width, int align)
{
	int	 w, h;

	pango_layout_set_width(p->lay, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(p->lay, align > 0 ? PANGO_ALIGN_RIGHT :
	    align == 0 ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
	pango_layout_set_text(p->lay, text, -1);
	pango_layout_get_size(p->lay, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
show(struct pdf *p, double x, double y)
{
	if (p->counting)
		return;
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->lay);
}

static void
page_new(struct pdf *p, int landscape)
{
	char	 foot[640];

	if (p->page > 0)
		cairo_show_page(p->cr);
	p->pw = landscape ? A4H : A4W;
	p->ph = landscape ? A4W : A4H;
	cairo_pdf_surface_set_size(p->s, p->pw, p->ph);
	p->page++;
	p->y = MARGIN;
	if (p->counting)
		return;
	set_font(p, 7, 0);
	if (p->pages > 0)
		snprintf(foot, sizeof(foot), TR(p->r, "%s — 第 %d 页，共 %d 页",
		    "%s — page %d of %d"), p->title, p->page, p->pages);
	else
		snprintf(foot, sizeof(foot), TR(p->r, "%s — 第 %d 页",
		    "%s — page %d"), p->title, p->page);
	layout(p, foot, p->pw - 2 * MARGIN, 0);
	cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
	show(p, MARGIN, p->ph - MARGIN + 12);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void
need(struct pdf *p, double h, int landscape)
{
	if (p->y + h > p->ph - MARGIN)
		page_new(p, landscape);
}

static void
para(struct pdf *p, const char *text, double size, int bold, double gap)
{
	double	 h;

	set_font(p, size, bold);
	h = layout(p, text, p->pw - 2 * MARGIN, -1);
	if (p->y + h > p->ph - MARGIN) {
		/* The footer of the new page reuses the layout. */
		page_new(p, p->pw > p->ph);
		set_font(p, size, bold);
		layout(p, text, p->pw - 2 * MARGIN, -1);
	}
	show(p, MARGIN, p->y);
	p->y += h + gap;
}

/*
 * A table: cells(row, col) gives the text; row -1 is the header, which
 * is repeated on every page.  Rows never split across pages.
 */
struct table {
	int		 ncols;
	const double	*widths;
	const int	*align;
	double		 size;
	int		(*cell)(const struct pdf *, void *, int row, int col,
			    char *, size_t);	/* 1: a missed row */
	void		*arg;
	int		 nrows;
};

static double
row_draw(struct pdf *p, const struct table *t, int row, int dry)
{
	char	 buf[1024];
	double	 x = MARGIN, h = 0, hs[32];
	int	 c, missed = 0;

	set_font(p, t->size, row < 0);
	for (c = 0; c < t->ncols; c++) {
		missed |= t->cell(p, t->arg, row, c, buf, sizeof(buf));
		hs[c] = layout(p, buf, t->widths[c] - 4, row < 0 ? -1 :
		    t->align[c]);
		if (hs[c] > h)
			h = hs[c];
	}
	h += 3;
	if (dry)
		return h;
	/* Counting pages: the height is all that matters. */
	if (p->counting) {
		p->y += h;
		return h;
	}
	for (c = 0, x = MARGIN; c < t->ncols; c++) {
		if (row < 0)
			cairo_set_source_rgb(p->cr, 0.92, 0.92, 0.92);
		else if (missed)
			cairo_set_source_rgb(p->cr, 0.99, 0.88, 0.88);
		else
			cairo_set_source_rgb(p->cr, 1, 1, 1);
		cairo_rectangle(p->cr, x, p->y, t->widths[c], h);
		cairo_fill_preserve(p->cr);
		cairo_set_source_rgb(p->cr, 0.5, 0.5, 0.5);
		cairo_set_line_width(p->cr, 0.4);
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		t->cell(p, t->arg, row, c, buf, sizeof(buf));
		layout(p, buf, t->widths[c] - 4, row < 0 ? -1 : t->align[c]);
		show(p, x + 2, p->y + 1.5);
		x += t->widths[c];
	}
	p->y += h;
	return h;
}

static void
table_draw(struct pdf *p, const struct table *t)
{
	int	 i, land = p->pw > p->ph;
	double	 hh = row_draw(p, t, -1, 1);

	need(p, hh + 20, land);
	row_draw(p, t, -1, 0);
	for (i = 0; i < t->nrows; i++) {
		double	 h = row_draw(p, t, i, 1);

		if (p->y + h > p->ph - MARGIN) {
			page_new(p, land);
			row_draw(p, t, -1, 0);
		}
		/* Counting pages, the row is measured already. */
		if (p->counting)
			p->y += h;
		else
			row_draw(p, t, i, 0);
	}
	p->y += 8;
}

/* ---- the tables' cells ---- */

/* A two-column table of label and text, from one of the row sources. */
static int
label_cell(const struct pdf *p, int row, int col, char *d, size_t n,
    int (*get)(const struct rpt *, int, struct srow *))
{
	struct srow s;

	if (row < 0) {
		snprintf(d, n, "%s", col ? TR(p->r, "内容", "Value") :
		    TR(p->r, "项目", "Item"));
		return 0;
	}
	get(p->r, row, &s);
	snprintf(d, n, "%s", col ? s.text : s.label);
	return 0;
}

static int
summary_cell(const struct pdf *p, void *arg, int row, int col, char *d,
    size_t n)
{
	(void)arg;
	return label_cell(p, row, col, d, n, summary_row);
}

static int
fact_cell(const struct pdf *p, void *arg, int row, int col, char *d,
    size_t n)
{
	(void)arg;
	return label_cell(p, row, col, d, n, method_fact);
}

static int
ind_cell(const struct pdf *p, void *arg, int row, int col, char *d, size_t n)
{
	const struct rpt *r = p->r;
	const struct rpt_ind *ri;
	const char *h[] = { TR(r, "一级指标", "Level 1"), TR(r, "二级指标",
		"Level 2"), TR(r, "三级指标", "Level 3"), TR(r, "预期指标值",
		"Target"), TR(r, "实际完成指标值", "Measured"),
		TR(r, "是否达标", "Met"), TR(r, "偏差原因", "Why missed"),
		TR(r, "注", "Note") };

	(void)arg;
	if (row < 0) {
		snprintf(d, n, "%s", h[col]);
		return 0;
	}
	ri = &r->ind[row];
	switch (col) {
	case 0:
		snprintf(d, n, "%s", ri->a->level1[r->L]);
		break;
	case 1:
		snprintf(d, n, "%s", ri->a->level2[r->L]);
		break;
	case 2:
		snprintf(d, n, "%s", ri->a->level3[r->L]);
		break;
	case 3:
		snprintf(d, n, "%s", ri->a->target_text[r->L]);
		break;
	case 4:
		snprintf(d, n, "%s", ri->value_text);
		break;
	case 5:
		snprintf(d, n, "%s", ri->measured ? met_text(r, ri->met) :
		    unmeasured_text(r));
		break;
	case 6:
		snprintf(d, n, "%s", ri->deviation);
		break;
	default:
		snprintf(d, n, "[%d]", row + 1);
	}
	return ri->met == 0;
}

struct rows_arg {
	const struct aq_row *rows;
	const size_t	*order;
	int		 is_device;
};

static int
rows_cell(const struct pdf *p, void *arg, int row, int col, char *d,
    size_t n)
{
	const struct rows_arg *a = arg;
	const struct aq_row *w;

	if (row < 0) {
		snprintf(d, n, "%s", TR(p->r, rpt_cols[col].zh,
		    rpt_cols[col].en));
		return 0;
	}
	w = &a->rows[a->order ? a->order[row] : (size_t)row];
	cell_text(p->r, w, a->is_device, col, d, n);
	return w->r.met == 0;
}

/* The year table: name, target, the twelve months and the year. */
static int
year_pcell(const struct pdf *p, void *arg, int row, int col, char *d,
    size_t n)
{
	char	 name[512], target[64];
	const char *id;
	double	 num;
	int	 kind;

	(void)arg;
	if (row < 0) {
		if (col >= 2)
			year_col_label(p->r, col - 2, d, n);
		else
			snprintf(d, n, "%s", col ? TR(p->r, "目标", "Target") :
			    TR(p->r, "名称", "Name"));
		return 0;
	}
	if (col < 2) {
		year_row(p->r, row, &id, name, sizeof(name), target,
		    sizeof(target));
		snprintf(d, n, "%s", col ? target : name);
		return 0;
	}
	return year_cell(p->r, row, col - 2, d, n, &num, &kind) == 0;
}

static int
outage_pcell(const struct pdf *p, void *arg, int row, int col, char *d,
    size_t n)
{
	(void)arg;
	if (row < 0) {
		snprintf(d, n, "%s", TR(p->r, rpt_ocols[col].zh,
		    rpt_ocols[col].en));
		return 0;
	}
	outage_cell(p->r, &p->r->out[row], col, d, n);
	return 0;
}

/* ---- the charts' canvas ---- */

static void
c_line(void *ctx, const double *xy, int n, unsigned rgb, double w,
    int dashed)
{
	struct pdf *p = ctx;
	double	 dash[] = { 4, 3 };
	int	 i;

	cairo_set_source_rgb(p->cr, (rgb >> 16 & 0xff) / 255.0,
	    (rgb >> 8 & 0xff) / 255.0, (rgb & 0xff) / 255.0);
	cairo_set_line_width(p->cr, w);
	cairo_set_dash(p->cr, dash, dashed ? 2 : 0, 0);
	cairo_move_to(p->cr, xy[0], xy[1]);
	for (i = 1; i < n; i++)
		cairo_line_to(p->cr, xy[2 * i], xy[2 * i + 1]);
	cairo_stroke(p->cr);
	cairo_set_dash(p->cr, NULL, 0, 0);
}

static void
c_rect(void *ctx, double x, double y, double w, double h, unsigned rgb)
{
	struct pdf *p = ctx;

	cairo_set_source_rgb(p->cr, (rgb >> 16 & 0xff) / 255.0,
	    (rgb >> 8 & 0xff) / 255.0, (rgb & 0xff) / 255.0);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
}

static void
c_text(void *ctx, double x, double y, const char *s, double size,
    int anchor, unsigned rgb)
{
	struct pdf *p = ctx;
	PangoRectangle ink, log;
	double	 w, base;

	set_font(p, size, 0);
	pango_layout_set_width(p->lay, -1);
	pango_layout_set_text(p->lay, s, -1);
	pango_layout_get_extents(p->lay, &ink, &log);
	w = (double)log.width / PANGO_SCALE;
	/* y is the baseline, as in SVG. */
	base = (double)pango_layout_get_baseline(p->lay) / PANGO_SCALE;
	cairo_set_source_rgb(p->cr, (rgb >> 16 & 0xff) / 255.0,
	    (rgb >> 8 & 0xff) / 255.0, (rgb & 0xff) / 255.0);
	cairo_move_to(p->cr, anchor < 0 ? x : anchor > 0 ? x - w : x - w / 2,
	    y - base);
	pango_cairo_show_layout(p->cr, p->lay);
}

static void
chart(struct pdf *p, int burn)
{
	struct canvas c = { p, c_line, c_rect, c_text };
	double	 w = p->pw - 2 * MARGIN, h = 300;

	need(p, h + 10, p->pw > p->ph);
	if (p->counting) {
		p->y += h + 10;
		return;
	}
	cairo_save(p->cr);
	cairo_translate(p->cr, MARGIN, p->y);
	if (burn)
		chart_burn(p->r, &c, w, h);
	else
		chart_avail(p->r, &c, w, h);
	cairo_restore(p->cr);
	p->y += h + 10;
}

static void
pdf_date(char *d, size_t n, int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(d, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The whole document onto p's surface.  Run twice: once measuring only
 * (p->counting: every height is laid out, nothing is drawn, on a surface
 * that writes nothing) to count the pages, then for real, so that every
 * page can say "第 N 页，共 M 页".
 */
static void
render(struct pdf *p)
{
	static const double sw[] = { 130, A4W - 2 * MARGIN - 130 };
	static const int sa[] = { -1, -1 };
	static const double iw[] = { 56, 52, 96, 52, 70, 40, 121, 28 };
	static const int ia[] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	static const double ow[] = { 92, 92, 46, 100, 96, 44, 56, 110, 126 };
	static const int oa[] = { -1, -1, 1, -1, -1, -1, -1, -1, -1 };
	const struct rpt *r = p->r;
	double	 gw[RPT_NCOLS];
	int	 ga[RPT_NCOLS];
	struct table t;
	struct rows_arg ra;
	int	 k;

	page_new(p, 0);
	para(p, p->title, 15, 1, 10);
	para(p, TR(r, "一、概要", "1. Summary"), 11, 1, 4);
	memset(&t, 0, sizeof(t));
	t.ncols = 2;
	t.widths = sw;
	t.align = sa;
	t.size = 8.5;
	t.cell = summary_cell;
	for (t.nrows = 0; summary_row(r, t.nrows, &(struct srow){ 0 });
	    t.nrows++)
		;
	table_draw(p, &t);

	para(p, TR(r, "二、绩效指标完成情况表", "2. Performance indicators"),
	    11, 1, 4);
	t.ncols = 8;
	t.widths = iw;
	t.align = ia;
	t.size = 8.5;
	t.cell = ind_cell;
	t.nrows = r->nind;
	table_draw(p, &t);
	for (k = 0; k < r->nind; k++) {
		char	 fn[1200];

		snprintf(fn, sizeof(fn), "[%d] %s", k + 1, r->ind[k].footnote);
		para(p, fn, 7.5, 0, 2);
	}
	{
		char	 so[1024];

		p->y += 14;
		para(p, signoff_line(r, so, sizeof(so)), 10, 0, 6);
	}

	/* The wide tables, landscape. */
	page_new(p, 1);
	para(p, TR(r, "三、分组与设备", "3. Groups and devices"), 11, 1, 4);
	if (r->kind == RK_YEAR) {
		double	 yw[2 + YT_NCOLS];
		int	 ya[2 + YT_NCOLS];

		/* A month's column fits "99.9999%" and 2天3小时5分. */
		yw[0] = 118;
		yw[1] = 46;
		ya[0] = ya[1] = -1;
		for (k = 2; k < 2 + YT_NCOLS; k++) {
			yw[k] = (A4H - 2 * MARGIN - 164) / YT_NCOLS;
			ya[k] = 1;
		}
		para(p, TR(r, "逐月对比（各月数值与当月月报相同）",
		    "Month by month (each month as in its monthly report)"),
		    9, 1, 3);
		memset(&t, 0, sizeof(t));
		t.ncols = 2 + YT_NCOLS;
		t.widths = yw;
		t.align = ya;
		t.size = 6;
		t.cell = year_pcell;
		t.nrows = year_nrows(r);
		table_draw(p, &t);
	}
	/*
	 * Percentages, "met" and counts are short; durations written out
	 * (2天3小时5分) get the rest, so that they stay on one line.
	 */
	{
		double	 rest = A4H - 2 * MARGIN - 116;
		int	 ndur = 0;

		for (k = 1; k < RPT_NCOLS; k++) {
			ga[k] = 1;
			gw[k] = 0;
			if (rpt_cols[k].kind == CK_PCT)
				gw[k] = 44;
			else if (rpt_cols[k].kind == CK_MET)
				gw[k] = 26;
			else if (rpt_cols[k].kind == CK_INT)
				gw[k] = 14;
			else
				ndur++;
			rest -= gw[k];
		}
		for (k = 1; k < RPT_NCOLS; k++)
			if (gw[k] == 0)
				gw[k] = rest / ndur;
		gw[0] = 116;
		ga[0] = -1;
	}
	t.ncols = RPT_NCOLS;
	t.widths = gw;
	t.align = ga;
	t.size = 5.5;
	t.cell = rows_cell;
	t.arg = &ra;
	para(p, TR(r, "分组", "Groups"), 9, 1, 3);
	ra = (struct rows_arg){ r->groups, NULL, 0 };
	t.nrows = (int)r->ngroups;
	table_draw(p, &t);
	para(p, TR(r, "设备类别（设备正常运行率）",
	    "Device classes (normal running rate)"), 9, 1, 3);
	ra = (struct rows_arg){ r->classes, NULL, 0 };
	t.nrows = (int)r->nclasses;
	table_draw(p, &t);
	para(p, TR(r, "设备", "Devices"), 9, 1, 3);
	ra = (struct rows_arg){ r->devrows, r->devorder, 1 };
	t.nrows = (int)r->ndevshown;
	table_draw(p, &t);

	page_new(p, 1);
	para(p, TR(r, "四、故障清单", "4. Outages"), 11, 1, 4);
	t.ncols = RPT_NOCOLS;
	t.widths = ow;
	t.align = oa;
	t.size = 6.5;
	t.cell = outage_pcell;
	t.arg = NULL;
	t.nrows = (int)r->nout;
	if (r->nout == 0)
		para(p, TR(r, "本期无故障。", "No outage in the period."), 9, 0,
		    4);
	else
		table_draw(p, &t);

	page_new(p, 0);
	para(p, TR(r, "五、图表", "5. Charts"), 11, 1, 4);
	chart(p, 0);
	chart(p, 1);

	para(p, TR(r, "六、计算方法与校验", "6. How the figures were "
	    "computed"), 11, 1, 4);
	for (k = 0; method_text(r, k) != NULL; k++)
		para(p, method_text(r, k), 8.5, 0, 4);
	t.ncols = 2;
	t.widths = sw;
	t.align = sa;
	t.size = 7;	/* a checksum on one line, to be copied whole */
	t.cell = fact_cell;
	for (t.nrows = 0; method_fact(r, t.nrows, &(struct srow){ 0 });
	    t.nrows++)
		;
	table_draw(p, &t);

}

/* A surface, its context and a layout for one pass of render(). */
static int
pass_open(struct pdf *p, const char *file, const char *date)
{
	p->s = file != NULL ? cairo_pdf_surface_create(file, A4W, A4H) :
	    cairo_pdf_surface_create_for_stream(NULL, NULL, A4W, A4H);
	if (cairo_surface_status(p->s) != CAIRO_STATUS_SUCCESS)
		return -1;
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_TITLE,
	    p->title);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_CREATOR,
	    "facmon-report " FACMON_VERSION);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_CREATE_DATE,
	    date);
	cairo_pdf_surface_set_metadata(p->s, CAIRO_PDF_METADATA_MOD_DATE,
	    date);
	p->cr = cairo_create(p->s);
	p->lay = pango_cairo_create_layout(p->cr);
	p->fd = pango_font_description_from_string(FONT " 9");
	p->page = 0;
	return 0;
}

static cairo_status_t
pass_close(struct pdf *p)
{
	cairo_status_t st;

	pango_font_description_free(p->fd);
	g_object_unref(p->lay);
	cairo_destroy(p->cr);
	cairo_surface_finish(p->s);
	st = cairo_surface_status(p->s);
	cairo_surface_destroy(p->s);
	return st;
}

int
out_pdf(const struct rpt *r, const char *path, char *err, size_t errlen)
{
	struct pdf p;
	char	 tmp[1100], date[32];
	cairo_status_t st;

	memset(&p, 0, sizeof(p));
	p.r = r;
	title_text(r, p.title, sizeof(p.title));
	/* Dates from the period, not the clock: the same inputs, same bytes. */
	pdf_date(date, sizeof(date), r->to);
	if (pass_open(&p, NULL, date) == -1) {
		snprintf(err, errlen, "%s: %s", path,
		    cairo_status_to_string(cairo_surface_status(p.s)));
		cairo_surface_destroy(p.s);
		return -1;
	}
	p.counting = 1;
	render(&p);
	p.pages = p.page;
	p.counting = 0;
	pass_close(&p);

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (pass_open(&p, tmp, date) == -1) {
		snprintf(err, errlen, "%s: %s", tmp,
		    cairo_status_to_string(cairo_surface_status(p.s)));
		cairo_surface_destroy(p.s);
		return -1;
	}
	render(&p);
	st = pass_close(&p);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path,
		    cairo_status_to_string(st));
		unlink(tmp);
		return -1;
	}
	return commit_file(tmp, path, err, errlen);
}
