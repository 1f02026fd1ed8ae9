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
 * The XLSX report (libxlsxwriter).  Figures are numbers in cells, not
 * text: availabilities are fractions shown as percentages, durations
 * are seconds (negative for an overrun budget, which Excel's time
 * formats cannot show), times are Excel date-times in the report's
 * zone.  An evaluator can sort, sum and chart them.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "../common/common.h"
#include "report.h"

struct xf {
	lxw_format	*head, *pct, *secs, *intf, *time, *text, *bold, *wrap;
};

/* Excel's serial date of a moment, in the report's local time. */
static double
excel_time(int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	return ((double)ms / 1000.0 + (double)tm.tm_gmtoff) / 86400.0 +
	    25569.0;
}

static void
num(lxw_worksheet *ws, int row, int col, double v, lxw_format *f)
{
	/* No figure: an empty cell, never a zero. */
	if (!isnan(v))
		worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v,
		    f);
}

static void
str(lxw_worksheet *ws, int row, int col, const char *s, lxw_format *f)
{
	worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, f);
}

static void
head(lxw_worksheet *ws, const struct rpt *r, const struct rpt_col *cols,
    int n, int col0, struct xf *x)
{
	int	 c;

	for (c = 0; c < n; c++) {
		char	 h[256];

		snprintf(h, sizeof(h), "%s%s", TR(r, cols[c].zh, cols[c].en),
		    cols[c].kind == CK_DUR ? TR(r, "（秒）", " (s)") : "");
		str(ws, 0, col0 + c, h, x->head);
	}
}

static void
rows_sheet(lxw_workbook *wb, const struct rpt *r, const char *name,
    const struct aq_row *rows, size_t n, const size_t *order, int is_device,
    struct xf *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, name);
	char	 cell[512];
	size_t	 i;
	int	 c;

	str(ws, 0, 0, "id", x->head);
	head(ws, r, rpt_cols, RPT_NCOLS, 1, x);
	worksheet_set_column(ws, 0, 0, 16, NULL);
	worksheet_set_column(ws, 1, 1, 28, NULL);
	worksheet_set_column(ws, 2, RPT_NCOLS, 14, NULL);
	worksheet_freeze_panes(ws, 1, 2);
	for (i = 0; i < n; i++) {
		const struct aq_row *w = &rows[order ? order[i] : i];
		int	 row = (int)i + 1;

		str(ws, row, 0, w->key, x->text);
		for (c = 0; c < RPT_NCOLS; c++) {
			switch (rpt_cols[c].kind) {
			case CK_PCT:
				num(ws, row, c + 1, row_value(w, c), x->pct);
				break;
			case CK_DUR:
				num(ws, row, c + 1, row_value(w, c) / 1000.0,
				    x->secs);
				break;
			case CK_INT:
				num(ws, row, c + 1, row_value(w, c), x->intf);
				break;
			default:
				cell_text(r, w, is_device, c, cell,
				    sizeof(cell));
				str(ws, row, c + 1, cell, x->text);
			}
		}
	}
}

/*
 * The year's months side by side: figures as numbers with their unit
 * on the cell, "—" for a month not begun and 无数据 as text.
 */
static void
year_sheet(lxw_workbook *wb, const struct rpt *r, struct xf *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, TR(r, "逐月",
	    "Months"));
	char	 name[512], target[64], cell[1024];
	const char *id;
	double	 v;
	int	 row, c, kind;

	str(ws, 0, 0, "id", x->head);
	str(ws, 0, 1, TR(r, "名称", "Name"), x->head);
	str(ws, 0, 2, TR(r, "目标", "Target"), x->head);
	for (c = 0; c < YT_NCOLS; c++) {
		year_col_label(r, c, cell, sizeof(cell));
		str(ws, 0, 3 + c, cell, x->head);
	}
	worksheet_set_column(ws, 0, 0, 14, NULL);
	worksheet_set_column(ws, 1, 1, 30, NULL);
	worksheet_set_column(ws, 2, 2, 12, NULL);
	worksheet_set_column(ws, 3, 3 + YT_NCOLS, 13, NULL);
	worksheet_freeze_panes(ws, 1, 2);
	for (row = 0; row < year_nrows(r); row++) {
		year_row(r, row, &id, name, sizeof(name), target,
		    sizeof(target));
		str(ws, row + 1, 0, id, x->text);
		str(ws, row + 1, 1, name, x->text);
		str(ws, row + 1, 2, target, x->text);
		for (c = 0; c < YT_NCOLS; c++) {
			year_cell(r, row, c, cell, sizeof(cell), &v, &kind);
			if (kind == CK_PCT)
				num(ws, row + 1, 3 + c, v, x->pct);
			else if (kind == CK_DUR)
				num(ws, row + 1, 3 + c, v / 1000.0, x->secs);
			else
				str(ws, row + 1, 3 + c, cell, x->text);
		}
	}
}

int
out_xlsx(const struct rpt *r, const char *path, char *err, size_t errlen)
{
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_doc_properties props;
	lxw_error e;
	struct xf x;
	struct srow s;
	char	 tmp[1100], title[512], cell[1024];
	char	 author[] = "facmon-report";
	size_t	 i;
	int	 k, c, row;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((wb = workbook_new(tmp)) == NULL) {
		snprintf(err, errlen, "%s: cannot create", tmp);
		return -1;
	}
	memset(&props, 0, sizeof(props));
	/* libxlsxwriter only reads these; its fields are not const. */
	title_text(r, title, sizeof(title));
	props.title = title;
	props.author = author;
	/* The period's end, not the clock: the same inputs, the same file. */
	props.created = (time_t)(r->to / 1000);
	workbook_set_properties(wb, &props);

	memset(&x, 0, sizeof(x));
	x.head = workbook_add_format(wb);
	format_set_bold(x.head);
	format_set_text_wrap(x.head);
	format_set_bg_color(x.head, 0xEEEEEE);
	format_set_border(x.head, LXW_BORDER_THIN);
	x.pct = workbook_add_format(wb);
	format_set_num_format(x.pct, "0.0000%");
	/* The unit on the cell itself, not only in the header. */
	x.secs = workbook_add_format(wb);
	format_set_num_format(x.secs, TR(r, "#,##0.0\" 秒\"", "#,##0.0\" s\""));
	x.intf = workbook_add_format(wb);
	format_set_num_format(x.intf, "0");
	x.time = workbook_add_format(wb);
	format_set_num_format(x.time, "yyyy-mm-dd hh:mm:ss");
	x.text = workbook_add_format(wb);
	x.bold = workbook_add_format(wb);
	format_set_bold(x.bold);
	x.wrap = workbook_add_format(wb);
	format_set_text_wrap(x.wrap);
	format_set_align(x.wrap, LXW_ALIGN_VERTICAL_TOP);

	/* Summary. */
	ws = workbook_add_worksheet(wb, TR(r, "概要", "Summary"));
	worksheet_set_column(ws, 0, 0, 36, NULL);
	worksheet_set_column(ws, 1, 1, 70, NULL);
	str(ws, 0, 0, title, x.bold);
	for (k = 0; summary_row(r, k, &s); k++) {
		str(ws, k + 2, 0, s.label, x.head);
		if (s.kind == CK_PCT)
			num(ws, k + 2, 1, s.num, x.pct);
		else if (s.kind == CK_INT)
			num(ws, k + 2, 1, s.num, x.intf);
		else
			str(ws, k + 2, 1, s.text, x.text);
	}

	/* The sign-off, under the summary. */
	for (c = 0; signoff_row(r, c, &s); c++) {
		str(ws, k + 3 + c, 0, s.label, x.head);
		str(ws, k + 3 + c, 1, s.text, x.text);
	}

	/* The evaluation table. */
	ws = workbook_add_worksheet(wb, TR(r, "绩效指标", "Indicators"));
	{
		const char *h[] = { TR(r, "一级指标", "Level 1"),
			TR(r, "二级指标", "Level 2"), TR(r, "三级指标",
			"Level 3"), TR(r, "预期指标值", "Target"),
			TR(r, "实际完成指标值", "Measured"), TR(r, "实测数值",
			"Measured value"), TR(r, "是否达标", "Met"),
			TR(r, "偏差原因", "Why missed"),
			TR(r, "计算说明", "How it was measured") };
		const double wd[] = { 14, 14, 30, 12, 22, 14, 10, 60, 80 };

		for (c = 0; c < 9; c++) {
			str(ws, 0, c, h[c], x.head);
			worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
			    wd[c], c >= 7 ? x.wrap : NULL);
		}
	}
	for (k = 0; k < r->nind; k++) {
		const struct rpt_ind *ri = &r->ind[k];
		int	 m = ri->a->metric;

		row = k + 1;
		str(ws, row, 0, ri->a->level1[r->L], x.text);
		str(ws, row, 1, ri->a->level2[r->L], x.text);
		str(ws, row, 2, ri->a->level3[r->L], x.text);
		str(ws, row, 3, ri->a->target_text[r->L], x.text);
		str(ws, row, 4, ri->value_text, x.text);
		if (m == AVI_MTTR || m == AVI_FAULT_TIME)
			num(ws, row, 5, ri->value / 1000.0, x.secs);
		else
			num(ws, row, 5, ri->value, x.pct);
		str(ws, row, 6, ri->measured ? met_text(r, ri->met) :
		    unmeasured_text(r), x.text);
		str(ws, row, 7, ri->deviation, x.wrap);
		str(ws, row, 8, ri->footnote, x.wrap);
	}

	if (r->kind == RK_YEAR)
		year_sheet(wb, r, &x);
	rows_sheet(wb, r, TR(r, "分组", "Groups"), r->groups, r->ngroups, NULL,
	    0, &x);
	rows_sheet(wb, r, TR(r, "设备类别", "Classes"), r->classes,
	    r->nclasses, NULL, 0, &x);
	rows_sheet(wb, r, TR(r, "设备", "Devices"), r->devrows, r->ndevshown,
	    r->devorder, 1, &x);

	/* Outages. */
	ws = workbook_add_worksheet(wb, TR(r, "故障清单", "Outages"));
	head(ws, r, rpt_ocols, RPT_NOCOLS_DETAIL, 0, &x);
	worksheet_set_column(ws, 0, 1, 20, NULL);
	worksheet_set_column(ws, 2, 2, 12, NULL);
	worksheet_set_column(ws, 3, RPT_NOCOLS_DETAIL - 1, 24, NULL);
	worksheet_freeze_panes(ws, 1, 0);
	for (i = 0; i < r->nout; i++) {
		const struct aq_period_outage *p = &r->out[i];
		const struct aq_outage *o = &r->q.out[p->idx];

		row = (int)i + 1;
		num(ws, row, 0, excel_time(o->start_ms), x.time);
		if (o->end_ms)
			num(ws, row, 1, excel_time(o->end_ms), x.time);
		else {
			outage_cell(r, p, 1, cell, sizeof(cell));
			str(ws, row, 1, cell, x.text);
		}
		num(ws, row, 2, (double)(p->end_ms - p->start_ms) / 1000.0,
		    x.secs);
		for (c = 3; c < RPT_NOCOLS_DETAIL; c++) {
			outage_cell(r, p, c, cell, sizeof(cell));
			str(ws, row, c, cell, x.text);
		}
	}

	/* The charts' figures, so they can be charted again. */
	ws = workbook_add_worksheet(wb, TR(r, "每日", "Daily"));
	str(ws, 0, 0, TR(r, "日期", "Date"), x.head);
	worksheet_set_column(ws, 0, 0, 12, NULL);
	worksheet_set_column(ws, 1, (lxw_col_t)(2 * r->nseries), 16, NULL);
	for (i = 0; i < r->nseries; i++) {
		snprintf(cell, sizeof(cell), TR(r, "%s 可用率", "%s availability"),
		    r->series[i].name);
		str(ws, 0, 1 + (int)i, cell, x.head);
		snprintf(cell, sizeof(cell), TR(r, "%s 预算剩余%%",
		    "%s budget left %%"), r->series[i].name);
		str(ws, 0, 1 + (int)(r->nseries + i), cell, x.head);
	}
	for (k = 0; k < r->nbuckets; k++) {
		str(ws, k + 1, 0, r->blabel[k], x.text);
		for (i = 0; i < r->nseries; i++) {
			num(ws, k + 1, 1 + (int)i, r->series[i].avail[k], x.pct);
			num(ws, k + 1, 1 + (int)(r->nseries + i),
			    r->series[i].burn[k], x.secs);
		}
	}

	/* How the figures were computed. */
	ws = workbook_add_worksheet(wb, TR(r, "计算方法", "Method"));
	worksheet_set_column(ws, 0, 0, 30, NULL);
	worksheet_set_column(ws, 1, 1, 100, x.wrap);
	row = 0;
	for (k = 0; method_text(r, k) != NULL; k++)
		str(ws, row++, 1, method_text(r, k), x.wrap);
	row++;
	for (k = 0; method_fact(r, k, &s); k++) {
		str(ws, row, 0, s.label, x.head);
		if (s.kind == CK_INT)
			num(ws, row, 1, s.num, x.intf);
		else
			str(ws, row, 1, s.text, x.text);
		row++;
	}

	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		snprintf(err, errlen, "%s: %s", path, lxw_strerror(e));
		unlink(tmp);
		return -1;
	}
	return commit_file(tmp, path, err, errlen);
}
