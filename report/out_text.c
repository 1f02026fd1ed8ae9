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
 * The text formats: HTML (print-friendly, charts as inline SVG), CSV
 * (UTF-8 with a BOM, formulas neutralised) and JSON (every figure as a
 * number: fractions and seconds).  All lay out struct rpt; none
 * computes.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/common.h"
#include "report.h"

/* ---- HTML ---- */

static void
svg_line(void *ctx, const double *xy, int n, unsigned rgb, double w,
    int dashed)
{
	struct sbuf *b = ctx;
	int	 i;

	sb_printf(b, "<polyline fill=\"none\" stroke=\"#%06x\" "
	    "stroke-width=\"%.2f\"%s points=\"", rgb, w,
	    dashed ? " stroke-dasharray=\"4 3\"" : "");
	for (i = 0; i < n; i++)
		sb_printf(b, "%s%.2f,%.2f", i ? " " : "", xy[2 * i],
		    xy[2 * i + 1]);
	sb_puts(b, "\"/>\n");
}

static void
svg_rect(void *ctx, double x, double y, double w, double h, unsigned rgb)
{
	sb_printf(ctx, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
	    "height=\"%.2f\" fill=\"#%06x\"/>\n", x, y, w, h, rgb);
}

static void
svg_text(void *ctx, double x, double y, const char *s, double size,
    int anchor, unsigned rgb)
{
	sb_printf(ctx, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" "
	    "text-anchor=\"%s\" fill=\"#%06x\">", x, y, size,
	    anchor < 0 ? "start" : anchor > 0 ? "end" : "middle", rgb);
	sb_html(ctx, s);
	sb_puts(ctx, "</text>\n");
}

static void
html_chart(struct sbuf *b, const struct rpt *r, int burn)
{
	struct canvas c = { b, svg_line, svg_rect, svg_text };
	double	 w = 700, h = 260;

	sb_printf(b, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
	    "font-family=\"Noto Sans CJK SC, sans-serif\">\n", w, h);
	if (burn)
		chart_burn(r, &c, w, h);
	else
		chart_avail(r, &c, w, h);
	sb_puts(b, "</svg></figure>\n");
}

static void
html_rows(struct sbuf *b, const struct rpt *r, const struct aq_row *rows,
    size_t n, const size_t *order, int is_device)
{
	char	 cell[512];
	size_t	 i;
	int	 c;

	sb_puts(b, "<table class=\"figures\"><thead><tr>");
	for (c = 0; c < RPT_NCOLS; c++) {
		sb_puts(b, "<th>");
		sb_html(b, TR(r, rpt_cols[c].zh, rpt_cols[c].en));
		sb_puts(b, "</th>");
	}
	sb_puts(b, "</tr></thead><tbody>\n");
	for (i = 0; i < n; i++) {
		const struct aq_row *w = &rows[order ? order[i] : i];

		sb_printf(b, "<tr class=\"%s\">", w->r.met == 0 ? "missed" :
		    "");
		for (c = 0; c < RPT_NCOLS; c++) {
			cell_text(r, w, is_device, c, cell, sizeof(cell));
			sb_puts(b, c ? "<td class=\"n\">" : "<td>");
			sb_html(b, cell);
			sb_puts(b, "</td>");
		}
		sb_puts(b, "</tr>\n");
	}
	sb_puts(b, "</tbody></table>\n");
}

static void
html_year(struct sbuf *b, const struct rpt *r)
{
	char	 name[512], target[64], cell[1024];
	const char *id;
	double	 num;
	int	 row, c, kind;

	sb_puts(b, "<h3>");
	sb_html(b, TR(r, "逐月对比（各月数值与当月月报相同）",
	    "Month by month (each month as in its monthly report)"));
	sb_puts(b, "</h3>\n<table class=\"figures\" id=\"year\"><thead><tr>"
	    "<th>");
	sb_html(b, TR(r, "名称", "Name"));
	sb_puts(b, "</th><th>");
	sb_html(b, TR(r, "目标", "Target"));
	sb_puts(b, "</th>");
	for (c = 0; c < YT_NCOLS; c++) {
		year_col_label(r, c, cell, sizeof(cell));
		sb_puts(b, "<th>");
		sb_html(b, cell);
		sb_puts(b, "</th>");
	}
	sb_puts(b, "</tr></thead><tbody>\n");
	for (row = 0; row < year_nrows(r); row++) {
		year_row(r, row, &id, name, sizeof(name), target,
		    sizeof(target));
		sb_puts(b, "<tr><td>");
		sb_html(b, name);
		sb_puts(b, "</td><td class=\"n\">");
		sb_html(b, target);
		sb_puts(b, "</td>");
		for (c = 0; c < YT_NCOLS; c++) {
			int	 met = year_cell(r, row, c, cell, sizeof(cell),
			    &num, &kind);

			sb_puts(b, met == 0 ? "<td class=\"n missed\">" :
			    "<td class=\"n\">");
			sb_html(b, cell);
			sb_puts(b, "</td>");
		}
		sb_puts(b, "</tr>\n");
	}
	sb_puts(b, "</tbody></table>\n");
}

int
out_html(const struct rpt *r, const char *path, char *err, size_t errlen)
{
	struct sbuf b;
	struct srow s;
	char	 title[512], cell[1024];
	size_t	 i;
	int	 k, c;

	memset(&b, 0, sizeof(b));
	title_text(r, title, sizeof(title));
	sb_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
	    "<meta charset=\"utf-8\"><title>", r->L ? "en" : "zh-CN");
	sb_html(&b, title);
	sb_puts(&b, "</title>\n<style>\n"
	    "@page { size: A4; margin: 15mm; }\n"
	    "body { font-family: 'Noto Sans CJK SC', sans-serif; "
	    "font-size: 10pt; color: #000; max-width: 270mm; margin: auto; }\n"
	    "table { border-collapse: collapse; margin: 0 0 1em 0; }\n"
	    "th, td { border: 1px solid #888; padding: 2px 4px; "
	    "vertical-align: top; }\n"
	    "th { background: #eee; }\n"
	    "td.n { text-align: right; white-space: nowrap; }\n"
	    "table.figures { font-size: 8pt; }\n"
	    "tr.missed td, td.missed { background: #fde2e2; }\n"
	    "h2 { page-break-after: avoid; border-bottom: 1px solid #000; }\n"
	    "section { page-break-inside: auto; }\n"
	    "figure { margin: 0 0 1em 0; page-break-inside: avoid; }\n"
	    ".foot { font-size: 8pt; }\n"
	    "@media print { tr { page-break-inside: avoid; } }\n"
	    "</style></head><body>\n<h1>");
	sb_html(&b, title);
	sb_puts(&b, "</h1>\n<section id=\"summary\"><h2>");
	sb_html(&b, TR(r, "一、概要", "1. Summary"));
	sb_puts(&b, "</h2><table>\n");
	for (k = 0; summary_row(r, k, &s); k++) {
		sb_puts(&b, "<tr><th>");
		sb_html(&b, s.label);
		sb_puts(&b, "</th><td>");
		sb_html(&b, s.text);
		sb_puts(&b, "</td></tr>\n");
	}
	sb_puts(&b, "</table></section>\n<section id=\"evaluation\"><h2>");
	sb_html(&b, TR(r, "二、绩效指标完成情况表", "2. Performance "
	    "indicators"));
	sb_puts(&b, "</h2><table><thead><tr>");
	{
		const char *h[] = { TR(r, "一级指标", "Level 1"),
			TR(r, "二级指标", "Level 2"), TR(r, "三级指标",
			"Level 3"), TR(r, "预期指标值", "Target"),
			TR(r, "实际完成指标值", "Measured"), TR(r, "是否达标",
			"Met"), TR(r, "偏差原因", "Why missed"), TR(r, "注",
			"Note") };

		for (c = 0; c < 8; c++) {
			sb_puts(&b, "<th>");
			sb_html(&b, h[c]);
			sb_puts(&b, "</th>");
		}
	}
	sb_puts(&b, "</tr></thead><tbody>\n");
	for (k = 0; k < r->nind; k++) {
		const struct rpt_ind *ri = &r->ind[k];
		const char *v[] = { ri->a->level1[r->L], ri->a->level2[r->L],
			ri->a->level3[r->L], ri->a->target_text[r->L],
			ri->value_text, ri->measured ? met_text(r, ri->met) :
			unmeasured_text(r), ri->deviation };

		sb_printf(&b, "<tr class=\"%s\">", ri->met == 0 ? "missed" :
		    "");
		for (c = 0; c < 7; c++) {
			sb_puts(&b, "<td>");
			sb_html(&b, v[c]);
			sb_puts(&b, "</td>");
		}
		sb_printf(&b, "<td>[%d]</td></tr>\n", k + 1);
	}
	sb_puts(&b, "</tbody></table>\n<ol class=\"foot\">\n");
	for (k = 0; k < r->nind; k++) {
		sb_puts(&b, "<li>");
		sb_html(&b, r->ind[k].footnote);
		sb_puts(&b, "</li>\n");
	}
	sb_puts(&b, "</ol>\n<p id=\"signoff\">");
	sb_html(&b, signoff_line(r, cell, sizeof(cell)));
	sb_puts(&b, "</p></section>\n<section id=\"groups\"><h2>");
	sb_html(&b, TR(r, "三、分组与设备", "3. Groups and devices"));
	sb_puts(&b, "</h2>\n");
	if (r->kind == RK_YEAR)
		html_year(&b, r);
	sb_puts(&b, "<h3>");
	sb_html(&b, TR(r, "分组", "Groups"));
	sb_puts(&b, "</h3>\n");
	html_rows(&b, r, r->groups, r->ngroups, NULL, 0);
	sb_puts(&b, "<h3>");
	sb_html(&b, TR(r, "设备类别（设备正常运行率）",
	    "Device classes (normal running rate)"));
	sb_puts(&b, "</h3>\n");
	html_rows(&b, r, r->classes, r->nclasses, NULL, 0);
	sb_puts(&b, "<h3>");
	sb_html(&b, TR(r, "设备", "Devices"));
	sb_puts(&b, "</h3>\n");
	html_rows(&b, r, r->devrows, r->ndevshown, r->devorder, 1);
	sb_puts(&b, "</section>\n<section id=\"outages\"><h2>");
	sb_html(&b, TR(r, "四、故障清单", "4. Outages"));
	sb_puts(&b, "</h2><table class=\"figures\"><thead><tr>");
	for (c = 0; c < RPT_NOCOLS; c++) {
		sb_puts(&b, "<th>");
		sb_html(&b, TR(r, rpt_ocols[c].zh, rpt_ocols[c].en));
		sb_puts(&b, "</th>");
	}
	sb_puts(&b, "</tr></thead><tbody>\n");
	for (i = 0; i < r->nout; i++) {
		sb_puts(&b, "<tr>");
		for (c = 0; c < RPT_NOCOLS; c++) {
			outage_cell(r, &r->out[i], c, cell, sizeof(cell));
			sb_puts(&b, "<td>");
			sb_html(&b, cell);
			sb_puts(&b, "</td>");
		}
		sb_puts(&b, "</tr>\n");
	}
	sb_puts(&b, "</tbody></table></section>\n<section id=\"charts\"><h2>");
	sb_html(&b, TR(r, "五、图表", "5. Charts"));
	sb_puts(&b, "</h2>\n");
	html_chart(&b, r, 0);
	html_chart(&b, r, 1);
	sb_puts(&b, "</section>\n<section id=\"method\"><h2>");
	sb_html(&b, TR(r, "六、计算方法与校验", "6. How the figures were "
	    "computed"));
	sb_puts(&b, "</h2>\n");
	for (k = 0; method_text(r, k) != NULL; k++) {
		sb_puts(&b, "<p>");
		sb_html(&b, method_text(r, k));
		sb_puts(&b, "</p>\n");
	}
	sb_puts(&b, "<table>\n");
	for (k = 0; method_fact(r, k, &s); k++) {
		sb_printf(&b, "<tr%s><th>", k == 8 ? " id=\"generated\"" : "");
		sb_html(&b, s.label);
		sb_puts(&b, "</th><td>");
		sb_html(&b, s.text);
		sb_puts(&b, "</td></tr>\n");
	}
	sb_puts(&b, "</table></section>\n</body></html>\n");
	return sb_write(&b, path, err, errlen);
}

/* ---- CSV ---- */

/*
 * A text cell that a spreadsheet would run as a formula (= + - @, also
 * tab and CR) gets a leading apostrophe.  Numbers are written by us as
 * numbers and left alone, so an overrun budget stays a negative number.
 */
static void
csv_text(struct sbuf *b, const char *s)
{
	const char *p;

	sb_puts(b, "\"");
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		sb_puts(b, "'");
	for (p = s; *p; p++) {
		char	 one[2] = { *p, 0 };

		sb_puts(b, *p == '"' ? "\"\"" : one);
	}
	sb_puts(b, "\"");
}

static void
csv_num(struct sbuf *b, double v, int kind)
{
	if (isnan(v))
		return;		/* empty: no figure */
	if (kind == CK_PCT)
		sb_printf(b, "%.6f", floor(v * 1e8 + 1e-7) / 1e6);
	else if (kind == CK_DUR)
		sb_printf(b, "%.3f", v / 1000.0);
	else
		sb_printf(b, "%.0f", v);
}

static void
csv_header(struct sbuf *b, const struct rpt *r, const struct rpt_col *cols,
    int n)
{
	int	 c;

	for (c = 0; c < n; c++) {
		char	 h[256];
		const char *unit = "";

		if (cols[c].kind == CK_PCT)
			unit = " (%)";
		else if (cols[c].kind == CK_DUR)
			unit = TR(r, "（秒）", " (s)");
		snprintf(h, sizeof(h), "%s%s", TR(r, cols[c].zh, cols[c].en),
		    unit);
		if (c)
			sb_puts(b, ",");
		csv_text(b, h);
	}
	sb_puts(b, "\r\n");
}

static void
csv_rows(struct sbuf *b, const struct rpt *r, const char *title,
    const struct aq_row *rows, size_t n, const size_t *order, int is_device)
{
	char	 cell[512];
	size_t	 i;
	int	 c;

	csv_text(b, title);
	sb_puts(b, "\r\n");
	sb_puts(b, "\"id\",");
	csv_header(b, r, rpt_cols, RPT_NCOLS);
	for (i = 0; i < n; i++) {
		const struct aq_row *w = &rows[order ? order[i] : i];

		csv_text(b, w->key);
		for (c = 0; c < RPT_NCOLS; c++) {
			sb_puts(b, ",");
			switch (rpt_cols[c].kind) {
			case CK_TEXT:
			case CK_MET:
			case CK_UNMEASURED:
				cell_text(r, w, is_device, c, cell,
				    sizeof(cell));
				csv_text(b, cell);
				break;
			default:
				csv_num(b, row_value(w, c), rpt_cols[c].kind);
			}
		}
		sb_puts(b, "\r\n");
	}
	sb_puts(b, "\r\n");
}

/*
 * The year's months side by side: a figure as a number (percent or
 * seconds, as the unit column says), or the text the cell shows when
 * there is none ("—" not begun, 无数据).
 */
static void
csv_year(struct sbuf *b, const struct rpt *r)
{
	char	 name[512], target[64], cell[1024];
	const char *id;
	double	 num;
	int	 row, c, kind, rk;

	csv_text(b, TR(r, "逐月对比（各月数值与当月月报相同）",
	    "Month by month (each month as in its monthly report)"));
	sb_puts(b, "\r\n\"id\",");
	csv_text(b, TR(r, "名称", "Name"));
	sb_puts(b, ",");
	csv_text(b, TR(r, "目标", "Target"));
	sb_puts(b, ",");
	csv_text(b, TR(r, "单位", "Unit"));
	for (c = 0; c < YT_NCOLS; c++) {
		year_col_label(r, c, cell, sizeof(cell));
		sb_puts(b, ",");
		csv_text(b, cell);
	}
	sb_puts(b, "\r\n");
	for (row = 0; row < year_nrows(r); row++) {
		rk = year_row(r, row, &id, name, sizeof(name), target,
		    sizeof(target));
		csv_text(b, id);
		sb_puts(b, ",");
		csv_text(b, name);
		sb_puts(b, ",");
		csv_text(b, target);
		sb_puts(b, ",");
		csv_text(b, rk == CK_DUR ? TR(r, "秒", "s") : "%");
		for (c = 0; c < YT_NCOLS; c++) {
			year_cell(r, row, c, cell, sizeof(cell), &num, &kind);
			sb_puts(b, ",");
			if (kind == CK_TEXT)
				csv_text(b, cell);
			else
				csv_num(b, num, kind);
		}
		sb_puts(b, "\r\n");
	}
	sb_puts(b, "\r\n");
}

int
out_csv(const struct rpt *r, const char *path, char *err, size_t errlen)
{
	struct sbuf b;
	struct srow s;
	char	 cell[1024], title[512];
	size_t	 i;
	int	 k, c;

	memset(&b, 0, sizeof(b));
	/* The BOM: without it Excel reads UTF-8 as the local code page. */
	sb_puts(&b, "\xef\xbb\xbf");
	csv_text(&b, title_text(r, title, sizeof(title)));
	sb_puts(&b, "\r\n\r\n");
	for (k = 0; summary_row(r, k, &s); k++) {
		csv_text(&b, s.label);
		sb_puts(&b, ",");
		if (s.kind == CK_TEXT)
			csv_text(&b, s.text);
		else
			csv_num(&b, s.num, s.kind);
		sb_puts(&b, "\r\n");
	}
	sb_puts(&b, "\r\n");
	csv_text(&b, TR(r, "绩效指标完成情况表", "Performance indicators"));
	sb_puts(&b, "\r\n");
	{
		const char *h[] = { "id", TR(r, "一级指标", "Level 1"),
			TR(r, "二级指标", "Level 2"), TR(r, "三级指标",
			"Level 3"), TR(r, "预期指标值", "Target"),
			TR(r, "实际完成指标值", "Measured"), TR(r, "实测数值",
			"Measured value"), TR(r, "单位", "Unit"),
			TR(r, "是否达标", "Met"), TR(r, "偏差原因",
			"Why missed"), TR(r, "计算说明",
			"How it was measured") };

		for (c = 0; c < 11; c++) {
			if (c)
				sb_puts(&b, ",");
			csv_text(&b, h[c]);
		}
		sb_puts(&b, "\r\n");
	}
	for (k = 0; k < r->nind; k++) {
		const struct rpt_ind *ri = &r->ind[k];
		int	 pct = ri->a->metric == AVI_AVAILABILITY ||
		    ri->a->metric == AVI_AVAILABILITY_CHARGED ||
		    ri->a->metric == AVI_LATENCY_SHARE;

		csv_text(&b, ri->a->id);
		sb_puts(&b, ",");
		csv_text(&b, ri->a->level1[r->L]);
		sb_puts(&b, ",");
		csv_text(&b, ri->a->level2[r->L]);
		sb_puts(&b, ",");
		csv_text(&b, ri->a->level3[r->L]);
		sb_puts(&b, ",");
		csv_text(&b, ri->a->target_text[r->L]);
		sb_puts(&b, ",");
		csv_text(&b, ri->value_text);
		sb_puts(&b, ",");
		csv_num(&b, ri->value, pct ? CK_PCT : CK_DUR);
		sb_puts(&b, ",");
		csv_text(&b, pct ? "%" : TR(r, "秒", "s"));
		sb_puts(&b, ",");
		csv_text(&b, ri->measured ? met_text(r, ri->met) :
		    unmeasured_text(r));
		sb_puts(&b, ",");
		csv_text(&b, ri->deviation);
		sb_puts(&b, ",");
		csv_text(&b, ri->footnote);
		sb_puts(&b, "\r\n");
	}
	sb_puts(&b, "\r\n");
	for (k = 0; signoff_row(r, k, &s); k++) {
		csv_text(&b, s.label);
		sb_puts(&b, ",");
		csv_text(&b, s.text);
		sb_puts(&b, "\r\n");
	}
	sb_puts(&b, "\r\n");
	if (r->kind == RK_YEAR)
		csv_year(&b, r);
	csv_rows(&b, r, TR(r, "分组", "Groups"), r->groups, r->ngroups, NULL,
	    0);
	csv_rows(&b, r, TR(r, "设备类别", "Device classes"), r->classes,
	    r->nclasses, NULL, 0);
	csv_rows(&b, r, TR(r, "设备", "Devices"), r->devrows, r->ndevshown,
	    r->devorder, 1);
	csv_text(&b, TR(r, "故障清单", "Outages"));
	sb_puts(&b, "\r\n");
	csv_header(&b, r, rpt_ocols, RPT_NOCOLS_DETAIL);
	for (i = 0; i < r->nout; i++) {
		for (c = 0; c < RPT_NOCOLS_DETAIL; c++) {
			if (c)
				sb_puts(&b, ",");
			if (rpt_ocols[c].kind == CK_DUR)
				csv_num(&b, (double)(r->out[i].end_ms -
				    r->out[i].start_ms), CK_DUR);
			else {
				outage_cell(r, &r->out[i], c, cell,
				    sizeof(cell));
				csv_text(&b, cell);
			}
		}
		sb_puts(&b, "\r\n");
	}
	sb_puts(&b, "\r\n");
	csv_text(&b, TR(r, "计算方法与校验", "How the figures were computed"));
	sb_puts(&b, "\r\n");
	for (k = 0; method_fact(r, k, &s); k++) {
		csv_text(&b, s.label);
		sb_puts(&b, ",");
		csv_text(&b, s.text);
		sb_puts(&b, "\r\n");
	}
	return sb_write(&b, path, err, errlen);
}

/* ---- JSON ---- */

static json_t *
jnum(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *
jsecs(double ms)
{
	return isnan(ms) ? json_null() : json_real(ms / 1000.0);
}

/*
 * A row: every figure from aq_figure(), under the API's names with "_s"
 * for times (the API's are "_ms"), so that the two documents read alike.
 */
static json_t *
jrow(const struct rpt *r, const struct aq_row *w, const struct aq_device *d)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(w->key));
	json_object_set_new(o, "name", json_string(w->name));
	if (d != NULL) {
		json_object_set_new(o, "group", json_string(d->group));
		json_object_set_new(o, "class", json_string(d->cls));
	}
	json_object_set_new(o, "devices", json_integer(w->ndevices));
	aq_figures_json(o, w, r->period_to - r->to, 1);
	/* Not in the journal yet: null, never a guess. */
	json_object_set_new(o, "latency_share", jnum(row_value(w, 15)));
	return o;
}

/*
 * The year report's months: each month's rows as its monthly report's
 * JSON has them, and the side-by-side table as the other formats print
 * it (numbers, and the text shown for each cell).
 */
static json_t *
json_year(const struct rpt *r)
{
	json_t	*y = json_object(), *a = json_array(), *o, *g, *v, *t;
	char	 name[512], target[64], cell[1024];
	const char *id;
	double	 num;
	size_t	 i;
	int	 k, row, c, kind, met;

	for (k = 0; k < r->nmonths; k++) {
		const struct rpt_month *mo = &r->months[k];
		const struct rpt *m = mo->m;
		time_t	 tt = (time_t)(mo->from / 1000);
		struct tm tm;
		char	 lab[16];

		localtime_r(&tt, &tm);
		snprintf(lab, sizeof(lab), "%04d-%02d", (tm.tm_year + 1900) %
		    10000, (tm.tm_mon + 1) % 100);
		o = json_object();
		json_object_set_new(o, "label", json_string(lab));
		json_object_set_new(o, "state",
		    json_string(ym_state_name(mo->state)));
		json_object_set_new(o, "from_ms", json_integer(mo->from));
		json_object_set_new(o, "to_ms", m ? json_integer(m->to) :
		    json_null());
		json_object_set_new(o, "as_of", m && m->open ?
		    json_string(m->asof) : json_null());
		json_object_set_new(o, "summary", m ? jrow(m, &m->site, NULL) :
		    json_null());
		g = json_array();
		for (i = 0; m != NULL && i < m->ngroups; i++)
			json_array_append_new(g, jrow(m, &m->groups[i], NULL));
		json_object_set_new(o, "groups", g);
		g = json_array();
		for (row = 0; m != NULL && row < m->nind; row++) {
			const struct rpt_ind *ri = &m->ind[row];
			int	 dur = ri->a->metric == AVI_MTTR ||
			    ri->a->metric == AVI_FAULT_TIME;

			v = json_object();
			json_object_set_new(v, "id", json_string(ri->a->id));
			json_object_set_new(v, dur ? "value_s" : "value", dur ?
			    jsecs(ri->value) : jnum(ri->value));
			json_object_set_new(v, "value_text",
			    json_string(ri->value_text));
			json_object_set_new(v, "met", ri->met < 0 ?
			    json_null() : json_boolean(ri->met));
			json_array_append_new(g, v);
		}
		json_object_set_new(o, "indicators", g);
		json_array_append_new(a, o);
	}
	json_object_set_new(y, "months", a);

	a = json_array();
	for (c = 0; c < YT_NCOLS; c++) {
		year_col_label(r, c, cell, sizeof(cell));
		json_array_append_new(a, json_string(cell));
	}
	json_object_set_new(y, "columns", a);
	a = json_array();
	for (row = 0; row < year_nrows(r); row++) {
		int	 rk = year_row(r, row, &id, name, sizeof(name), target,
		    sizeof(target));

		o = json_object();
		json_object_set_new(o, "kind", json_string(row == 0 ? "site" :
		    row <= (int)r->ngroups ? "group" : "indicator"));
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "target", json_string(target));
		json_object_set_new(o, "unit", json_string(rk == CK_DUR ?
		    "s" : "fraction"));
		v = json_array();
		t = json_array();
		g = json_array();
		for (c = 0; c < YT_NCOLS; c++) {
			met = year_cell(r, row, c, cell, sizeof(cell), &num,
			    &kind);
			json_array_append_new(v, rk == CK_DUR ? jsecs(num) :
			    jnum(num));
			json_array_append_new(t, json_string(cell));
			json_array_append_new(g, met < 0 ? json_null() :
			    json_boolean(met));
		}
		json_object_set_new(o, "values", v);
		json_object_set_new(o, "texts", t);
		json_object_set_new(o, "met", g);
		json_array_append_new(a, o);
	}
	json_object_set_new(y, "rows", a);
	return y;
}

int
out_json(const struct rpt *r, const char *path, char *err, size_t errlen)
{
	json_t	*root = json_object(), *a, *o;
	struct srow s;
	struct sbuf b;
	char	*text, title[512], t[32], cell[1024];
	size_t	 i;
	int	 k;

	json_object_set_new(root, "title", json_string(title_text(r, title,
	    sizeof(title))));
	json_object_set_new(root, "language", json_string(r->L ? "en" :
	    "zh"));
	o = json_object();
	json_object_set_new(o, "label", json_string(r->label));
	json_object_set_new(o, "from", json_string(r->from_text));
	json_object_set_new(o, "to", json_string(r->to_text));
	json_object_set_new(o, "from_ms", json_integer(r->from));
	json_object_set_new(o, "to_ms", json_integer(r->to));
	json_object_set_new(o, "period_end_ms", json_integer(r->period_to));
	json_object_set_new(o, "open", json_boolean(r->open));
	json_object_set_new(o, "as_of", r->open ? json_string(r->asof) :
	    json_null());
	json_object_set_new(o, "timezone", json_string(r->av->tz));
	json_object_set_new(root, "period", o);
	/*
	 * When monitoring began (the journal's first record), and whether
	 * that was inside the period: a period seen only in part.  Beside
	 * "period", whose fields stay those of earlier reports.
	 */
	o = json_object();
	json_object_set_new(o, "partial", json_boolean(r->partial));
	if (r->monitored_from != INT64_MAX) {
		fmt_time(t, sizeof(t), r->monitored_from);
		json_object_set_new(o, "since", json_string(t));
		json_object_set_new(o, "since_ms",
		    json_integer(r->monitored_from));
	} else {
		json_object_set_new(o, "since", json_null());
		json_object_set_new(o, "since_ms", json_null());
	}
	json_object_set_new(root, "monitoring", o);
	json_object_set_new(root, "site", json_string(r->av->site[r->L]));
	json_object_set_new(root, "group", r->rc->group ?
	    json_string(r->rc->group) : json_null());
	json_object_set_new(root, "summary", jrow(r, &r->site, NULL));
	o = json_object();
	json_object_set_new(o, "indicators_met", json_integer(r->ind_met));
	json_object_set_new(o, "indicators_missed",
	    json_integer(r->ind_missed));
	json_object_set_new(o, "indicators_no_data",
	    json_integer(r->ind_nodata));
	json_object_set_new(o, "indicators_not_measured",
	    json_integer(r->ind_unmeasured));
	json_object_set_new(o, "device_targets_met", json_integer(r->dev_met));
	json_object_set_new(o, "device_targets_missed",
	    json_integer(r->dev_missed));
	json_object_set_new(root, "targets", o);

	a = json_array();
	for (k = 0; k < r->nind; k++) {
		const struct rpt_ind *ri = &r->ind[k];
		int	 dur = ri->a->metric == AVI_MTTR ||
		    ri->a->metric == AVI_FAULT_TIME;

		o = json_object();
		json_object_set_new(o, "id", json_string(ri->a->id));
		json_object_set_new(o, "level1",
		    json_string(ri->a->level1[r->L]));
		json_object_set_new(o, "level2",
		    json_string(ri->a->level2[r->L]));
		json_object_set_new(o, "level3",
		    json_string(ri->a->level3[r->L]));
		json_object_set_new(o, "metric",
		    json_string(avi_metric_name(ri->a->metric)));
		json_object_set_new(o, "compare",
		    json_string(avi_cmp_text(ri->a->cmp)));
		json_object_set_new(o, "target_text",
		    json_string(ri->a->target_text[r->L]));
		json_object_set_new(o, dur ? "target_s" : "target", dur ?
		    jsecs(ri->a->target) : jnum(ri->a->target));
		json_object_set_new(o, dur ? "value_s" : "value", dur ?
		    jsecs(ri->value) : jnum(ri->value));
		json_object_set_new(o, "value_text",
		    json_string(ri->value_text));
		json_object_set_new(o, "measured", json_boolean(ri->measured));
		json_object_set_new(o, "met", ri->met < 0 ? json_null() :
		    json_boolean(ri->met));
		json_object_set_new(o, "devices", json_integer(ri->ndevices));
		json_object_set_new(o, "footnote", json_string(ri->footnote));
		json_object_set_new(o, "deviation", json_string(ri->deviation));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "indicators", a);
	o = json_object();
	for (k = 0; signoff_row(r, k, &s); k++)
		json_object_set_new(o, k == 0 ? "prepared" : k == 1 ?
		    "reviewed" : "date", json_string(s.text));
	json_object_set_new(root, "signoff", o);

	a = json_array();
	for (i = 0; i < r->ngroups; i++)
		json_array_append_new(a, jrow(r, &r->groups[i], NULL));
	json_object_set_new(root, "groups", a);
	a = json_array();
	for (i = 0; i < r->nclasses; i++)
		json_array_append_new(a, jrow(r, &r->classes[i], NULL));
	json_object_set_new(root, "classes", a);
	a = json_array();
	for (i = 0; i < r->ndevshown; i++)
		json_array_append_new(a, jrow(r, &r->devrows[r->devorder[i]],
		    &r->q.dev[r->devorder[i]]));
	json_object_set_new(root, "devices", a);
	if (r->kind == RK_YEAR)
		json_object_set_new(root, "year", json_year(r));

	a = json_array();
	for (i = 0; i < r->nout; i++) {
		const struct aq_period_outage *p = &r->out[i];
		const struct aq_outage *ou = &r->q.out[p->idx];

		o = json_object();
		json_object_set_new(o, "device", json_string(ou->device));
		fmt_time(t, sizeof(t), ou->start_ms);
		json_object_set_new(o, "start", json_string(t));
		json_object_set_new(o, "start_ms", json_integer(ou->start_ms));
		if (ou->end_ms) {
			fmt_time(t, sizeof(t), ou->end_ms);
			json_object_set_new(o, "end", json_string(t));
			json_object_set_new(o, "end_ms",
			    json_integer(ou->end_ms));
		} else {
			json_object_set_new(o, "end", json_null());
			json_object_set_new(o, "end_ms", json_null());
		}
		json_object_set_new(o, "open", json_boolean(ou->end_ms == 0));
		json_object_set_new(o, "in_period_s",
		    jsecs((double)(p->end_ms - p->start_ms)));
		json_object_set_new(o, "in_maintenance_s",
		    jsecs((double)p->planned_ms));
		json_object_set_new(o, "kind",
		    json_string(oj_class_name(p->kind)));
		json_object_set_new(o, "blip", json_boolean(p->blip));
		json_object_set_new(o, "cause", json_string(ou->cause));
		outage_cell(r, p, 4, cell, sizeof(cell));
		json_object_set_new(o, "cause_text", json_string(cell));
		json_object_set_new(o, "confirmed_ms", ou->confirmed_ms ?
		    json_integer(ou->confirmed_ms) : json_null());
		json_object_set_new(o, "acknowledged_ms", ou->acked_ms ?
		    json_integer(ou->acked_ms) : json_null());
		json_object_set_new(o, "acknowledged_by",
		    json_string(ou->acked_by));
		json_object_set_new(o, "classified_by",
		    json_string(ou->classified_by));
		json_object_set_new(o, "note", json_string(ou->note));
		json_object_set_new(o, "reason", json_string(ou->reason));
		outage_cell(r, p, 8, cell, sizeof(cell));
		json_object_set_new(o, "analysis", json_string(cell));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "outages", a);

	o = json_object();
	a = json_array();
	for (k = 0; k < r->nbuckets; k++)
		json_array_append_new(a, json_string(r->blabel[k]));
	json_object_set_new(o, "labels", a);
	{
		json_t	*av = json_object(), *bu = json_object();

		for (i = 0; i < r->nseries; i++) {
			json_t	*x = json_array(), *y = json_array();

			for (k = 0; k < r->nbuckets; k++) {
				json_array_append_new(x,
				    jnum(r->series[i].avail[k]));
				json_array_append_new(y,
				    jnum(r->series[i].burn[k]));
			}
			json_object_set_new(av, r->series[i].key, x);
			json_object_set_new(bu, r->series[i].key, y);
		}
		json_object_set_new(o, "availability", av);
		json_object_set_new(o, "budget_left_pct", bu);
	}
	json_object_set_new(root, "daily", o);

	o = json_object();
	json_object_set_new(o, "journal", json_string(r->journal));
	json_object_set_new(o, "journal_records",
	    json_integer((json_int_t)r->q.st.records));
	json_object_set_new(o, "journal_bytes",
	    json_integer((json_int_t)r->q.st.bytes));
	json_object_set_new(o, "journal_sha256",
	    json_string(r->journal_sha256));
	json_object_set_new(o, "config_sha256", r->config_sha256[0] ?
	    json_string(r->config_sha256) : json_null());
	a = json_array();
	for (k = 0; method_text(r, k) != NULL; k++)
		json_array_append_new(a, json_string(method_text(r, k)));
	json_object_set_new(o, "text", a);
	method_fact(r, 1, &s);
	json_object_set_new(o, "maintenance", json_string(s.text));
	json_object_set_new(o, "generator", json_string("facmon-report "
	    FACMON_VERSION));
	json_object_set_new(root, "method", o);
	json_object_set_new(root, "generated", json_string(r->generated));

	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(12));
	json_decref(root);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	sb_puts(&b, text);
	sb_puts(&b, "\n");
	free(text);
	return sb_write(&b, path, err, errlen);
}
