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
 * The report's figures (report.h): the journal is read once, the period
 * is computed by aq_compute(), indicators add up the devices they cover
 * with aq_aggregate(), and the charts recompute each day (or month) of
 * the period the same way.  No figure is derived from another format's
 * text or from RRD rows.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../common/common.h"
#include "report.h"

#define DAY_MS		86400000.0
#define YEAR_MS		(365.0 * DAY_MS)
#define MAX_BUCKETS	400

const struct rpt_col rpt_cols[RPT_NCOLS] = {
	{ "名称", "Name", CK_TEXT },
	{ "可用率（不含计划维护）", "Availability (planned excluded)", CK_PCT },
	{ "可用率（含计划维护）", "Availability (planned included)", CK_PCT },
	{ "目标", "Target", CK_PCT },
	{ "达标", "Met", CK_MET },
	{ "故障时间", "Downtime", CK_DUR },
	{ "其中外部原因", "of which external", CK_DUR },
	{ "计划维护", "Planned", CK_DUR },
	{ "预算剩余（负为超支）", "Budget left (negative: overrun)", CK_DUR },
	{ "未知时间", "Unknown", CK_DUR },
	{ "故障次数", "Outages", CK_INT },
	{ "平均修复时间", "MTTR", CK_DUR },
	{ "平均无故障时间", "MTBF", CK_DUR },
	{ "平均发现时间", "Time to detect", CK_DUR },
	{ "平均确认时间", "Time to acknowledge", CK_DUR },
	{ "响应时间达标率", "Latency target share", CK_PCT },
};

const struct rpt_col rpt_ocols[RPT_NOCOLS_DETAIL] = {
	{ "开始", "Start", CK_TIME },
	{ "结束", "End", CK_TIME },
	{ "本期时长", "Duration in period", CK_DUR },
	{ "设备", "Device", CK_TEXT },
	{ "原因", "Cause", CK_TEXT },
	{ "类别", "Kind", CK_TEXT },
	{ "确认人", "Acknowledged by", CK_TEXT },
	{ "修复说明", "Repair note", CK_TEXT },
	{ "原因分析", "Analysis", CK_TEXT },
	/* For engineers: only in the CSV and the workbook. */
	{ "检测原文", "Probe message", CK_TEXT },
};

/* ---- text buffers ---- */

/* ---- number formats ---- */

/*
 * Percentages are cut, never rounded, to four decimals: 99.98996 %
 * must not print as 99.9900 % beside "missed".
 */
void
fmt_pct(char *d, size_t n, double f)
{
	if (isnan(f)) {
		snprintf(d, n, "—");
		return;
	}
	snprintf(d, n, "%.4f%%", floor(f * 1e6 + 1e-7) / 1e4);
}

/*
 * A duration as people write one: 2天3小时 ("2d 3h"), 3小时5分, 4分28秒;
 * seconds only under an hour, where they matter (a month at 99.99 %
 * allows 4分28秒), minutes under a day.  Negative for an overrun budget.
 */
void
fmt_dur(const struct rpt *r, char *d, size_t n, double ms)
{
	long long s, m;
	const char *sign = "";
	int	 w;

	if (isnan(ms)) {
		snprintf(d, n, "—");
		return;
	}
	if (ms < 0) {
		sign = "-";
		ms = -ms;
	}
	s = llround(ms / 1000.0);
	if (s == 0)
		sign = "";
	if (s < 3600) {
		if (s >= 60 && s % 60)
			snprintf(d, n, TR(r, "%s%lld分%lld秒", "%s%lldm %llds"),
			    sign, s / 60, s % 60);
		else if (s >= 60)
			snprintf(d, n, TR(r, "%s%lld分", "%s%lldm"), sign, s / 60);
		else
			snprintf(d, n, TR(r, "%s%lld秒", "%s%llds"), sign, s);
		return;
	}
	/*
	 * From a day up, to the hour: the tables stay legible, and the
	 * exact time is in the CSV, XLSX and JSON.
	 */
	m = (s + 30) / 60;
	if (m >= 1440)
		m = (m + 30) / 60 * 60;
	w = snprintf(d, n, "%s", sign);
	if (m >= 1440 && w >= 0 && (size_t)w < n)
		w += snprintf(d + w, n - (size_t)w, TR(r, "%lld天", "%lldd "),
		    m / 1440);
	if (m % 1440 >= 60 && w >= 0 && (size_t)w < n)
		w += snprintf(d + w, n - (size_t)w, TR(r, "%lld小时", "%lldh "),
		    m / 60 % 24);
	if (m % 60 && w >= 0 && (size_t)w < n)
		w += snprintf(d + w, n - (size_t)w, TR(r, "%lld分", "%lldm"),
		    m % 60);
	/* No trailing space in English. */
	if (w > 0 && (size_t)w < n && d[w - 1] == ' ')
		d[w - 1] = '\0';
}

/* Local time in the report's zone (report_make sets TZ). */
void
fmt_time(char *d, size_t n, int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(d, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* A verdict taken back under RPT_MIN_COVERAGE; the figures stay. */
static void
few_data(struct av_result *x)
{
	if (x->met >= 0 && !isnan(x->coverage) &&
	    x->coverage < RPT_MIN_COVERAGE)
		x->met = MET_FEW;
}

const char *
met_text(const struct rpt *r, int met)
{
	if (met == 1)
		return TR(r, "达标", "met");
	if (met == 0)
		return TR(r, "未达标", "missed");
	if (met == MET_FEW)
		return TR(r, "数据不足", "too little data");
	return TR(r, "无数据", "no data");
}

const char *
unmeasured_text(const struct rpt *r)
{
	return TR(r, "未测量", "not measured");
}

const char *
kind_text(const struct rpt *r, int c)
{
	if (c == OJC_PLANNED)
		return TR(r, "计划内", "planned");
	if (c == OJC_EXTERNAL)
		return TR(r, "外部原因", "external");
	return TR(r, "非计划", "unplanned");
}

int
row_met(const struct aq_row *w)
{
	return w->r.met;
}

const char *
title_text(const struct rpt *r, char *d, size_t n)
{
	const char *site = r->av->site[r->L];

	switch (r->kind) {
	case RK_MONTH:
		if (r->L)
			snprintf(d, n, "%s — availability report, %s", site,
			    r->label);
		else
			snprintf(d, n, "%s %.4s年%s月运行可用性报告", site,
			    r->label, r->label + 5);
		break;
	case RK_YEAR:
		if (r->L)
			snprintf(d, n, "%s — availability report, %s", site,
			    r->label);
		else
			snprintf(d, n, "%s %s年度运行可用性报告", site, r->label);
		break;
	default:
		snprintf(d, n, "%s %s", site, TR(r, "运行可用性报告",
		    "— availability report"));
	}
	if (r->open) {
		size_t	 l = strlen(d);

		if (r->L)
			snprintf(d + l, n - l, ", as of %s (%s not over)",
			    r->asof, r->kind == RK_MONTH ? "month" :
			    r->kind == RK_YEAR ? "year" : "period");
		else
			snprintf(d + l, n - l, " 截至 %s（%s）", r->asof,
			    r->kind == RK_MONTH ? "未结束月份" :
			    r->kind == RK_YEAR ? "未结束年度" : "未结束");
	}
	return d;
}

/* How the figures were computed: the same wording in every format. */
const char *
method_text(const struct rpt *r, int para)
{
	static const char *const zh[] = {
		"数据来源：facmon 故障日志（每次状态变化、确认、处理人、分类和"
		"修复说明均追加记录并带校验和）。不使用 RRD 平均值计算任何可用率。",
		"统计期内每一毫秒恰好处于以下状态之一：正常、故障、未知（facmon "
		"无法观测）、不可达（上级设备故障）。计划维护时间叠加其上。",
		"可用率（不含计划维护）= 正常时间 ÷ (统计时长 − 计划维护 − 未知 − "
		"不可达)。可用率（含计划维护）= (正常 + 维护期间正常) ÷ (统计时长 − "
		"未知 − 不可达 − 维护期间未知)。未知时间既不算正常也不算故障，"
		"只降低覆盖率。",
		"分组、类别和全站的数值按设备时间相加：Σ正常 ÷ Σ分母，即评价表中"
		"的“设备正常运行率”。故障预算 = (1 − 目标) × 分母；预算剩余 = "
		"预算 − 故障时间。",
		"平均修复时间：期内结束的非计划故障从开始到恢复的平均时长（跨月"
		"故障按全长计）。平均无故障时间 = 正常时间 ÷ 故障次数。发现、确认"
		"时间从故障开始计至确认、首次认领。在确认之前已恢复的短暂故障"
		"（未确认）列入清单，除非配置 charge_blips，否则按正常计。",
		"百分数截断（不四舍五入）到四位小数；时长写作 天、小时、分（一小时"
		"以内精确到秒，一天以内到分，一天以上到小时），CSV、XLSX 和 JSON "
		"中为精确的秒数。相同的"
		"日志和配置总得到相同的报告（生成时间除外），可用下列校验和核对。",
		NULL
	};
	static const char *const en[] = {
		"Source: the facmon outage journal (every change of state, "
		"confirmation, acknowledgement, classification and repair note, "
		"appended with a checksum). No availability figure comes from "
		"averaged RRD rows.",
		"Every millisecond of the period is exactly one of up, down, "
		"unknown (facmon could not see the device) or unreachable (its "
		"parent was down); maintenance windows are laid over that.",
		"Availability (planned excluded) = up / (period - planned - "
		"unknown - unreachable). Availability (planned included) = (up + "
		"up in maintenance) / (period - unknown - unreachable - unseen "
		"in maintenance). Unknown time is neither up nor down: it lowers "
		"the coverage.",
		"Groups, classes and the site add up device time: sum of up / "
		"sum of the denominators, the evaluation's equipment normal "
		"running rate. Budget = (1 - target) x denominator; budget left "
		"= budget - downtime.",
		"MTTR: mean length of the unplanned outages that ended in the "
		"period, from their real start. MTBF = up time / outages. Time "
		"to detect and to acknowledge run from the outage's start. A "
		"blip, over before it was confirmed, is listed and counted as "
		"up unless charge_blips is set.",
		"Percentages are cut (never rounded up) to four decimals; "
		"durations read 2d 3h, 3h 5m, 4m 28s (to the second under an "
		"hour, the minute under a day, the hour above), exact seconds "
		"in CSV, XLSX and JSON. The same journal and configuration "
		"always give the same report except the generation time; the "
		"checksums below identify them.",
		NULL
	};

	if (para < 0 || para >= 6)
		return NULL;
	return r->L ? en[para] : zh[para];
}

/* ---- the table cells ---- */

/* The figure of each column of rpt_cols, from aq_figure() as in the API. */
static const int col_fig[RPT_NCOLS] = {
	-1, AQF_AVAILABILITY, AQF_AVAILABILITY_CHARGED, AQF_TARGET, AQF_MET,
	AQF_DOWN, AQF_EXTERNAL, AQF_PLANNED, AQF_BUDGET_LEFT, AQF_UNKNOWN,
	AQF_OUTAGES, AQF_MTTR, AQF_MTBF, AQF_MTTD, AQF_MTTA, -1
};

double
row_value(const struct aq_row *w, int col)
{
	if (col == 15)
		return w->lat_n ? (double)w->lat_ok / (double)w->lat_n : NAN;
	if (col < 0 || col >= RPT_NCOLS || col_fig[col] < 0)
		return NAN;
	return aq_figure(w, 0, col_fig[col]);
}

void
row_name(const struct rpt *r, const struct aq_row *w, int is_device,
    char *d, size_t n)
{
	if (is_device) {
		if (strcmp(w->name, w->key) != 0)
			snprintf(d, n, "%s (%s)", w->name, w->key);
		else
			snprintf(d, n, "%s", w->key);
	} else
		snprintf(d, n, r->L ? "%s (%d devices)" : "%s（%d台）",
		    w->name[0] ? w->name : w->key, w->ndevices);
}

void
cell_text(const struct rpt *r, const struct aq_row *w, int is_device,
    int col, char *d, size_t n)
{
	double	 v;

	switch (rpt_cols[col].kind) {
	case CK_TEXT:
		row_name(r, w, is_device, d, n);
		return;
	case CK_UNMEASURED:
		snprintf(d, n, "%s", unmeasured_text(r));
		return;
	case CK_MET:
		/*
		 * A row with no target is not "no data": it has figures,
		 * only nothing to meet.
		 */
		if (w->r.met < 0 && isnan(w->r.target))
			snprintf(d, n, "%s", TR(r, "无目标", "no target"));
		else
			snprintf(d, n, "%s", met_text(r, w->r.met));
		return;
	}
	v = row_value(w, col);
	switch (rpt_cols[col].kind) {
	case CK_PCT:
		fmt_pct(d, n, v);
		break;
	case CK_DUR:
		fmt_dur(r, d, n, v);
		break;
	default:
		snprintf(d, n, "%.0f", v);
	}
}

/* ---- the year table ---- */

static const char *display_name(const struct rpt *, int, const char *);

const char *
ym_state_name(int st)
{
	switch (st) {
	case YM_BEFORE:
		return "no_data";
	case YM_CLOSED:
		return "closed";
	case YM_OPEN:
		return "open";
	default:
		return "not_begun";
	}
}

int
year_nrows(const struct rpt *r)
{
	if (r->kind != RK_YEAR)
		return 0;
	return 1 + (int)r->ngroups + r->nind;
}

static int
ind_is_dur(const struct av_indicator *a)
{
	return a->metric == AVI_MTTR || a->metric == AVI_FAULT_TIME;
}

/*
 * A row's id, name and target; returns the kind of its figures, CK_PCT
 * or CK_DUR (milliseconds), or -1 past the end.
 */
int
year_row(const struct rpt *r, int row, const char **id, char *name,
    size_t nlen, char *target, size_t tlen)
{
	const struct aq_row *w = NULL;
	int	 g = row - 1, i = row - 1 - (int)r->ngroups;

	if (row < 0 || row >= year_nrows(r))
		return -1;
	if (row == 0)
		w = &r->site;
	else if (g < (int)r->ngroups)
		w = &r->groups[g];
	if (w != NULL) {
		*id = row == 0 ? "site" : w->key;
		if (row == 0)
			snprintf(name, nlen, "%s", r->rc->group ?
			    display_name(r, 0, r->rc->group) :
			    TR(r, "全部设备", "All devices"));
		else
			row_name(r, w, 0, name, nlen);
		if (isnan(w->r.target))
			snprintf(target, tlen, "%s", TR(r, "无目标",
			    "no target"));
		else
			fmt_pct(target, tlen, w->r.target);
		return CK_PCT;
	}
	*id = r->ind[i].a->id;
	snprintf(name, nlen, "%s", r->ind[i].a->level3[r->L]);
	snprintf(target, tlen, "%s", r->ind[i].a->target_text[r->L]);
	return ind_is_dur(r->ind[i].a) ? CK_DUR : CK_PCT;
}

/* The figure of one row in one model (a month's or the year's). */
static int
model_figure(const struct rpt *top, const struct rpt *m, int row,
    char *d, size_t n, double *num)
{
	const struct aq_row *w = NULL;
	int	 g = row - 1, i = row - 1 - (int)top->ngroups;
	size_t	 k;

	*num = NAN;
	if (row == 0)
		w = &m->site;
	else if (g < (int)top->ngroups) {
		for (k = 0; k < m->ngroups; k++)
			if (strcmp(m->groups[k].key, top->groups[g].key) == 0)
				w = &m->groups[k];
		if (w == NULL) {
			snprintf(d, n, "%s", met_text(top, -1));
			return -1;
		}
	}
	if (w != NULL) {
		*num = w->r.availability;
		if (isnan(*num))
			snprintf(d, n, "%s", met_text(top, -1));
		else
			fmt_pct(d, n, *num);
		return isnan(*num) ? -1 : w->r.met;
	}
	/* The months share the year's configuration: the same index. */
	*num = m->ind[i].value;
	/*
	 * "—" stands for a month not begun here, so an indicator without
	 * a figure reads 无数据 (or what it says, 期内无故障修复).
	 */
	if (isnan(*num))
		snprintf(d, n, "%s", strcmp(m->ind[i].value_text, "—") == 0 ?
		    met_text(top, -1) : m->ind[i].value_text);
	else if (ind_is_dur(m->ind[i].a))
		fmt_dur(top, d, n, *num);
	else
		fmt_pct(d, n, *num);
	return m->ind[i].met;
}

/*
 * A cell: the month's figure as its monthly report has it (column 0 to
 * 11) or the year's (12).  "—" for a month not begun, 无数据 for one
 * before monitoring began.  *num is the figure (a fraction or ms) or
 * NaN; *kind says which, CK_TEXT when there is none.  Returns whether
 * the row's target was met (1, 0, -1 unknown).
 */
int
year_cell(const struct rpt *r, int row, int col, char *d, size_t n,
    double *num, int *kind)
{
	const char *id;
	char	 nm[256], tg[64];
	int	 k, met;

	*num = NAN;
	*kind = CK_TEXT;
	if ((k = year_row(r, row, &id, nm, sizeof(nm), tg, sizeof(tg))) ==
	    -1 || col < 0 || col >= YT_NCOLS) {
		d[0] = '\0';
		return -1;
	}
	if (col < 12 && r->months[col].state == YM_FUTURE) {
		snprintf(d, n, "—");
		return -1;
	}
	if (col < 12 && r->months[col].m == NULL) {
		snprintf(d, n, "%s", met_text(r, -1));
		return -1;
	}
	met = model_figure(r, col < 12 ? r->months[col].m : r, row, d, n,
	    num);
	if (!isnan(*num))
		*kind = k;
	return met;
}

/* "1月" .. "12月", "全年"; the month so far says up to when. */
void
year_col_label(const struct rpt *r, int col, char *d, size_t n)
{
	static const char *const en[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const struct rpt_month *mo = col < 12 && r->months ? &r->months[col] :
	    NULL;

	if (col >= 12)
		snprintf(d, n, "%s", r->open ? TR(r, "全年（至今）",
		    "Year so far") : TR(r, "全年", "Year"));
	else if (mo != NULL && mo->state == YM_OPEN && r->L)
		snprintf(d, n, "%s (to %s)", en[col], mo->m->asof + 5);
	else if (mo != NULL && mo->state == YM_OPEN)
		snprintf(d, n, "%d月（截至 %s）", col + 1, mo->m->asof + 5);
	else if (r->L)
		snprintf(d, n, "%s", en[col]);
	else
		snprintf(d, n, "%d月", col + 1);
}

/*
 * Why an outage began, in the sentence the alerts and the wall say
 * (common/cause.c); the journal's own text is the "检测原文" column.
 */
static void
cause_words(const struct rpt *r, const struct aq_outage *o, char *d, size_t n)
{
	fm_cause_text(d, n, o->cause, 0, -1, 0, 0, r->L);
}

/*
 * 原因分析: what people said about an outage -- the reason given when it
 * was classified, the comment made on acknowledging it, and the repair
 * note -- or, when nobody said anything, the failure the probes saw.
 */
static void
analysis_text(const struct rpt *r, const struct aq_outage *o, char *d,
    size_t n)
{
	int	 w;

	d[0] = '\0';
	if (o->reason[0] != '\0')
		snprintf(d, n, "%s%s%s", o->reason, o->classified_by[0] ?
		    TR(r, "（分类：", " (classified by ") : "",
		    o->classified_by[0] ? o->classified_by : "");
	if (o->reason[0] != '\0' && o->classified_by[0] != '\0') {
		w = (int)strlen(d);
		snprintf(d + w, n - (size_t)w, "%s", TR(r, "）", ")"));
	}
	if (o->ack_comment[0] != '\0') {
		w = (int)strlen(d);
		snprintf(d + w, n - (size_t)w, "%s%s%s", d[0] ? TR(r, "；",
		    "; ") : "", TR(r, "确认：", "on acknowledging: "),
		    o->ack_comment);
	}
	if (o->note[0] != '\0') {
		w = (int)strlen(d);
		snprintf(d + w, n - (size_t)w, "%s%s%s", d[0] ? TR(r, "；",
		    "; ") : "", TR(r, "修复：", "repair: "), o->note);
	}
	if (d[0] == '\0' && o->cause[0] != '\0') {
		char	 c[512];

		cause_words(r, o, c, sizeof(c));
		snprintf(d, n, "%s%s", TR(r, "检测到：", "detected: "), c);
	}
}

void
outage_cell(const struct rpt *r, const struct aq_period_outage *p, int col,
    char *d, size_t n)
{
	const struct aq_outage *o = &r->q.out[p->idx];
	struct aq_device *dev;

	switch (col) {
	case 0:
		fmt_time(d, n, o->start_ms);
		break;
	case 1:
		if (o->end_ms)
			fmt_time(d, n, o->end_ms);
		else
			snprintf(d, n, "%s", TR(r, "未恢复", "still open"));
		break;
	case 2:
		fmt_dur(r, d, n, (double)(p->end_ms - p->start_ms));
		break;
	case 3:
		dev = aq_device((struct aq *)&r->q, o->device);
		if (dev != NULL && strcmp(dev->name, dev->id) != 0)
			snprintf(d, n, "%s (%s)", dev->name, dev->id);
		else
			snprintf(d, n, "%s", o->device);
		break;
	case 4:
		cause_words(r, o, d, n);
		break;
	case 5:
		snprintf(d, n, "%s%s", kind_text(r, p->kind), p->blip ?
		    TR(r, "（短暂，未确认，不计入）", " (blip: unconfirmed, not "
		    "charged)") : "");
		break;
	case 6:
		snprintf(d, n, "%s", o->acked_by);
		break;
	case 7:
		snprintf(d, n, "%s", o->note);
		break;
	case 8:
		analysis_text(r, o, d, n);
		break;
	case 9:
		snprintf(d, n, "%s", o->cause);
		break;
	default:
		d[0] = '\0';
	}
}

/* ---- building the model ---- */

struct match_arg {
	const struct av_indicator *a;	/* NULL: any */
	const char	*group;		/* NULL: any */
	const char	*cls;		/* NULL: any */
};

static int
match_dev(const struct aq_device *d, void *arg)
{
	const struct match_arg *m = arg;

	if (m->group != NULL && strcmp(d->group[0] ? d->group : "default",
	    m->group) != 0)
		return 0;
	if (m->cls != NULL && strcmp(d->cls[0] ? d->cls : "other",
	    m->cls) != 0)
		return 0;
	return m->a == NULL || avi_covers(m->a, d->id, d->group, d->cls);
}

/* qsort() has no argument for its comparator; one thread, as above. */
static const struct aq_device *devs_for_sort;

static int
devcmp(const void *a, const void *b)
{
	const struct aq_device *x = &devs_for_sort[*(const size_t *)a];
	const struct aq_device *y = &devs_for_sort[*(const size_t *)b];
	int	 c = strcmp(x->group, y->group);

	return c ? c : strcmp(x->id, y->id);
}

/* A group's or class's name as the wall shows it, else its id. */
static const char *
display_name(const struct rpt *r, int is_class, const char *key)
{
	const char *nm = avconf_name(r->av, is_class, key, r->L);

	return nm != NULL ? nm : key;
}

static void
scope_text(const struct rpt *r, const struct av_indicator *a, char *d,
    size_t n)
{
	struct sbuf b;
	int	 i;

	memset(&b, 0, sizeof(b));
	if (a->ndevices + a->ngroups + a->nclasses == 0)
		sb_puts(&b, TR(r, "全部设备", "all devices"));
	if (a->ngroups) {
		sb_puts(&b, TR(r, "分组 ", "groups "));
		for (i = 0; i < a->ngroups; i++)
			sb_printf(&b, "%s%s", i ? TR(r, "、", ", ") : "",
			    display_name(r, 0, a->groups[i]));
	}
	if (a->nclasses) {
		sb_printf(&b, "%s%s", b.len ? "; " : "", TR(r, "类别 ",
		    "classes "));
		for (i = 0; i < a->nclasses; i++)
			sb_printf(&b, "%s%s", i ? TR(r, "、", ", ") : "",
			    display_name(r, 1, a->classes[i]));
	}
	if (a->ndevices) {
		sb_printf(&b, "%s%s", b.len ? "; " : "", TR(r, "设备 ",
		    "devices "));
		for (i = 0; i < a->ndevices; i++)
			sb_printf(&b, "%s%s", i ? ", " : "", a->devices[i]);
	}
	snprintf(d, n, "%s", b.p && !b.err ? b.p : "");
	free(b.p);
}

/*
 * Time summed over devices, which is no calendar time: 41 terminals
 * unseen for 12 days are "471天" of unknown time in a 30-day month.  Said
 * in device-days (device-hours below a day) with the mean per device in
 * calendar time, so that nobody reads the sum as a length.  One device:
 * its own time.
 */
static void
fmt_devtime(const struct rpt *r, char *d, size_t n, double ms, int ndevices)
{
	char	 avg[32];

	if (ndevices <= 1 || isnan(ms)) {
		fmt_dur(r, d, n, ms);
		return;
	}
	fmt_dur(r, avg, sizeof(avg), ms / ndevices);
	if (ms == 0)
		snprintf(d, n, "%s", avg);
	else if (ms < DAY_MS)
		snprintf(d, n, TR(r, "共%.1f台·小时（每台平均%s）",
		    "%.1f device-hours in all (%s per device)"), ms / 3600000.0,
		    avg);
	else
		snprintf(d, n, TR(r, "共%.1f台·天（每台平均%s）",
		    "%.1f device-days in all (%s per device)"), ms / DAY_MS, avg);
}

static void
indicator(struct rpt *r, struct rpt_ind *ri)
{
	const struct av_indicator *a = ri->a;
	struct match_arg m = { a, r->rc->group, NULL };
	const struct av_result *x = &ri->row.r;
	char	 scope[512], b1[96], b2[96], b3[32];
	double	 days = (double)(r->to - r->from) / DAY_MS;
	size_t	 len;

	ri->ndevices = aq_aggregate(&r->q, r->devrows, match_dev, &m, NAN,
	    &ri->row);
	ri->value = NAN;
	ri->measured = 1;
	scope_text(r, a, scope, sizeof(scope));
	switch (a->metric) {
	case AVI_AVAILABILITY:
	case AVI_AVAILABILITY_CHARGED:
		ri->value = a->metric == AVI_AVAILABILITY ? x->availability :
		    x->availability_charged;
		ri->met = avi_compare(a->cmp, ri->value, a->target);
		if (ri->met >= 0 && !isnan(x->coverage) &&
		    x->coverage < RPT_MIN_COVERAGE)
			ri->met = MET_FEW;
		fmt_pct(ri->value_text, sizeof(ri->value_text), ri->value);
		fmt_devtime(r, b1, sizeof(b1), (double)x->planned_ms,
		    ri->ndevices);
		fmt_devtime(r, b2, sizeof(b2), (double)x->unknown_ms,
		    ri->ndevices);
		fmt_pct(b3, sizeof(b3), x->coverage);
		if (a->metric == AVI_AVAILABILITY)
			snprintf(ri->footnote, sizeof(ri->footnote), TR(r,
			    "%s（%d台设备）按设备时间加权：Σ正常运行时间 ÷ "
			    "Σ(统计时长 − 计划维护 − 未知 − 不可达)。计划维护 "
			    "%s、未知时间 %s 不计入；覆盖率 %s。",
			    "%s (%d devices), device time weighted: sum of up "
			    "time / sum of (period - planned - unknown - "
			    "unreachable). Planned %s and unknown %s left out; "
			    "coverage %s."), scope, ri->ndevices, b1, b2, b3);
		else
			snprintf(ri->footnote, sizeof(ri->footnote), TR(r,
			    "%s（%d台设备）计划维护计入：(正常 + 维护期间正常) "
			    "÷ (统计时长 − 未知 − 不可达 − 维护期间未知)。计划"
			    "维护 %s；未知时间 %s 不计入；覆盖率 %s。",
			    "%s (%d devices), maintenance counted: (up + up in "
			    "maintenance) / (period - unknown - unreachable - "
			    "unseen in maintenance). Planned %s; unknown %s "
			    "left out; coverage %s."), scope, ri->ndevices, b1,
			    b2, b3);
		break;
	case AVI_MTTR:
		ri->value = x->mttr_ms;
		if (isnan(x->availability))
			ri->met = -1;
		else if (x->outages_ended == 0) {
			/* No repair took longer than the target: met. */
			ri->met = 1;
			snprintf(ri->value_text, sizeof(ri->value_text), "%s",
			    TR(r, "期内无故障修复", "no repair in the period"));
		} else
			ri->met = avi_compare(a->cmp, ri->value, a->target);
		if (!isnan(ri->value))
			snprintf(ri->value_text, sizeof(ri->value_text),
			    TR(r, "%.1f分钟", "%.1f min"), ri->value / 60000.0);
		snprintf(ri->footnote, sizeof(ri->footnote), TR(r,
		    "%s（%d台设备）：期内结束的 %u 次非计划故障从开始到恢复的"
		    "平均时长（跨期故障按全长计）。",
		    "%s (%d devices): mean length of the %u unplanned outages "
		    "that ended in the period, from their real start."), scope,
		    ri->ndevices, x->outages_ended);
		break;
	case AVI_FAULT_TIME:
		if (ri->ndevices > 0 && !isnan(x->availability) && days > 0)
			ri->value = (double)x->down_ms / ri->ndevices *
			    YEAR_MS / (double)(r->to - r->from);
		ri->met = avi_compare(a->cmp, ri->value, a->target);
		if (!isnan(ri->value))
			snprintf(ri->value_text, sizeof(ri->value_text),
			    TR(r, "%.3f天（%.2f小时）", "%.3f d (%.2f h)"),
			    ri->value / DAY_MS, ri->value / 3600000.0);
		/* A sum over devices: in device-days, as fmt_devtime. */
		if (ri->ndevices > 1)
			snprintf(b1, sizeof(b1), TR(r, "%.2f台·天",
			    "%.2f device-days"), (double)x->down_ms / DAY_MS);
		else
			fmt_dur(r, b1, sizeof(b1), (double)x->down_ms);
		fmt_dur(r, b2, sizeof(b2), ri->ndevices ? (double)x->down_ms /
		    ri->ndevices : NAN);
		snprintf(ri->footnote, sizeof(ri->footnote), TR(r,
		    "%s（%d台设备）：非计划故障时间合计 %s，每台平均 %s，按 "
		    "365 天折算全年（× 365 ÷ 本期 %.2f 天）。",
		    "%s (%d devices): unplanned downtime %s in all, %s per "
		    "device, scaled to a year (x 365 / %.2f days in the "
		    "period)."), scope, ri->ndevices, b1, b2, days);
		break;
	case AVI_LATENCY_SHARE: {
		uint64_t n, ok;

		/*
		 * Counted by the collector per check and five-minute slice
		 * (OJ_LATENCY): never estimated from averages.
		 */
		if (aq_latency(&r->q, a, NULL, r->from, r->to, &n, &ok) == 0) {
			ri->value = (double)ok / (double)n;
			ri->met = avi_compare(a->cmp, ri->value, a->target);
			{
				char	 pc[32];

				/*
				 * The measure, as the evaluation table
				 * states its target: a share of probes.
				 */
				fmt_pct(pc, sizeof(pc), ri->value);
				snprintf(ri->value_text,
				    sizeof(ri->value_text), TR(r,
				    "%s 的探测在 %.0f 毫秒内成功",
				    "%s of probes answered within %.0f ms"),
				    pc, a->latency_ms);
			}
		} else
			ri->met = -1;
		snprintf(ri->footnote, sizeof(ri->footnote), TR(r,
		    "%s（%d台设备）：%s%s的探测中，成功且响应时间不超过 %.0f "
		    "毫秒的占比（%llu / %llu 次；失败的探测计为超时）。",
		    "%s (%d devices): share of the probes of %s%s that "
		    "succeeded within %.0f ms (%llu of %llu; a failed probe "
		    "counts as too slow)."), scope, ri->ndevices,
		    a->nchecks ? TR(r, "检查项 ", "the checks ") :
		    TR(r, "全部检查项", "every check"), a->nchecks ?
		    a->checks[0] : "", a->latency_ms, (unsigned long long)ok,
		    (unsigned long long)n);
		break;
	}
	}
	if (ri->value_text[0] == '\0')
		snprintf(ri->value_text, sizeof(ri->value_text), "%s",
		    met_text(r, -1));
	if (ri->ndevices == 0 && ri->measured) {
		len = strlen(ri->footnote);
		snprintf(ri->footnote + len, sizeof(ri->footnote) - len, "%s",
		    TR(r, " 日志中没有属于该范围的设备。",
		    " No device in the journal is in this scope."));
	}
	if (a->note[r->L][0] != '\0') {
		len = strlen(ri->footnote);
		snprintf(ri->footnote + len, sizeof(ri->footnote) - len, " %s",
		    a->note[r->L]);
	}
}

/*
 * 偏差原因 of a missed indicator: the outages that cost it most -- the
 * longest charged ones of the devices it covers, in the period -- each
 * with what people said about it (analysis_text).  A missed latency
 * target says how many probes were slow or failed.
 */
static void
deviation(struct rpt *r, struct rpt_ind *ri)
{
	const struct av_indicator *a = ri->a;
	struct match_arg m = { a, r->rc->group, NULL };
	size_t	 pick[3], npick = 0, i, k;
	char	 when[32], len[64], why[600];
	int	 w;

	ri->deviation[0] = '\0';
	if (ri->met != 0)
		return;
	if (a->metric == AVI_LATENCY_SHARE) {
		uint64_t n, ok;

		if (aq_latency(&r->q, a, NULL, r->from, r->to, &n, &ok) == 0)
			snprintf(ri->deviation, sizeof(ri->deviation), TR(r,
			    "%llu 次探测失败或超过 %.0f 毫秒（共 %llu 次）。",
			    "%llu probes failed or took over %.0f ms (of %llu)."),
			    (unsigned long long)(n - ok), a->latency_ms,
			    (unsigned long long)n);
		return;
	}
	for (i = 0; i < r->nout; i++) {
		const struct aq_period_outage *p = &r->out[i];
		struct aq_device *d = aq_device(&r->q, r->q.out[p->idx].device);

		if (p->blip || p->kind == OJC_PLANNED || d == NULL ||
		    !match_dev(d, &m))
			continue;
		/* Keep the three longest, longest first. */
		for (k = npick; k > 0; k--) {
			const struct aq_period_outage *q = &r->out[pick[k - 1]];

			if (q->end_ms - q->start_ms >= p->end_ms - p->start_ms)
				break;
			if (k < 3)
				pick[k] = pick[k - 1];
		}
		if (k < 3) {
			pick[k] = i;
			if (npick < 3)
				npick++;
		}
	}
	if (npick == 0) {
		snprintf(ri->deviation, sizeof(ri->deviation), "%s", TR(r,
		    "期内无计入的故障；未知时间较多时可用率基数减小。",
		    "No charged outage in the period."));
		return;
	}
	for (k = 0; k < npick; k++) {
		const struct aq_period_outage *p = &r->out[pick[k]];
		const struct aq_outage *o = &r->q.out[p->idx];
		struct aq_device *d = aq_device(&r->q, o->device);

		{
			time_t	 st = (time_t)(o->start_ms / 1000);
			struct tm tm;

			/* The month is the report's: day and time suffice. */
			localtime_r(&st, &tm);
			strftime(when, sizeof(when), "%m-%d %H:%M", &tm);
		}
		fmt_dur(r, len, sizeof(len), (double)(p->end_ms - p->start_ms));
		analysis_text(r, o, why, sizeof(why));
		w = (int)strlen(ri->deviation);
		snprintf(ri->deviation + w, sizeof(ri->deviation) - (size_t)w,
		    TR(r, "%s%s %s 起故障 %s%s：%s", "%s%s from %s, down %s%s: "
		    "%s"), k ? TR(r, "；", "; ") : "", d ? d->name : o->device,
		    when, len, o->end_ms ? "" : TR(r, "（未恢复）",
		    " (still open)"), why[0] ? why : TR(r, "未说明", "no "
		    "explanation"));
	}
}

static void
hexdigest(const unsigned char *md, unsigned n, char *out)
{
	unsigned i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* SHA-256 of the first len bytes of a file (all of it: len < 0). */
static int
sha256_file(const char *path, long long len, char *out)
{
	EVP_MD_CTX *c;
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	long long done = 0;
	ssize_t	 n = 0;
	int	 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((c = EVP_MD_CTX_new()) == NULL) {
		close(fd);
		return -1;
	}
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	while (len < 0 || done < len) {
		size_t	 want = sizeof(buf);

		if (len >= 0 && (long long)want > len - done)
			want = (size_t)(len - done);
		if ((n = read(fd, buf, want)) <= 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		done += n;
	}
	if (n < 0 || EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		goto out;
	hexdigest(md, mdlen, out);
	rc = 0;
out:
	EVP_MD_CTX_free(c);
	close(fd);
	return rc;
}

static int
period_kind(struct rpt *r)
{
	time_t	 t = (time_t)(r->from / 1000);
	struct tm tm, te;
	int64_t	 a, b;
	time_t	 t2 = (time_t)((r->period_to - 1) / 1000);

	localtime_r(&t, &tm);
	localtime_r(&t2, &te);
	if (av_month_range(tm.tm_year + 1900, tm.tm_mon + 1, r->av->tz, &a,
	    &b) == 0 && a == r->from && b == r->period_to) {
		snprintf(r->label, sizeof(r->label), "%04d-%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1);
		return RK_MONTH;
	}
	if (tm.tm_mon == 0 && av_month_range(tm.tm_year + 1900, 1,
	    r->av->tz, &a, &b) == 0 && a == r->from &&
	    av_month_range(tm.tm_year + 1900, 12, r->av->tz, &a, &b) == 0 &&
	    b == r->period_to) {
		snprintf(r->label, sizeof(r->label), "%04d",
		    tm.tm_year + 1900);
		return RK_YEAR;
	}
	snprintf(r->label, sizeof(r->label), "%04d%02d%02d-%04d%02d%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, te.tm_year + 1900,
	    te.tm_mon + 1, te.tm_mday);
	return RK_RANGE;
}

/* Days for a month or less, calendar months beyond. */
static int
buckets(struct rpt *r)
{
	int	 by_day = r->to - r->from <= 62 * (int64_t)DAY_MS, n = 0;
	int64_t	 t = r->from, s, e;

	if ((r->bstart = calloc(MAX_BUCKETS + 1, sizeof(*r->bstart))) ==
	    NULL || (r->blabel = calloc(MAX_BUCKETS,
	    sizeof(*r->blabel))) == NULL)
		return -1;
	while (t < r->to && n < MAX_BUCKETS) {
		time_t	 tt = (time_t)(t / 1000);
		struct tm tm;

		localtime_r(&tt, &tm);
		if (by_day) {
			if (av_day_range(tm.tm_year + 1900, tm.tm_mon + 1,
			    tm.tm_mday, r->av->tz, &s, &e) == -1)
				return -1;
			snprintf(r->blabel[n], sizeof(r->blabel[n]), "%02d-%02d",
			    (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
		} else {
			if (av_month_range(tm.tm_year + 1900, tm.tm_mon + 1,
			    r->av->tz, &s, &e) == -1)
				return -1;
			snprintf(r->blabel[n], sizeof(r->blabel[n]), "%04d-%02d",
			    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
		}
		if (e <= t)
			return -1;
		r->bstart[n++] = t;
		t = e < r->to ? e : r->to;
	}
	r->bstart[n] = t;
	r->nbuckets = n;
	return 0;
}

static int
series(struct rpt *r)
{
	size_t	 i, k, ng, nc;
	struct aq_row *dr, *gr, *cr, site;
	double	*cum;
	int	 b;

	r->nseries = r->ngroups;
	if ((r->series = calloc(r->nseries ? r->nseries : 1,
	    sizeof(*r->series))) == NULL ||
	    (cum = calloc(r->nseries ? r->nseries : 1, sizeof(*cum))) == NULL)
		return -1;
	for (i = 0; i < r->nseries; i++) {
		struct rpt_series *s = &r->series[i];

		s->key = r->groups[i].key;
		s->name = r->groups[i].name[0] ? r->groups[i].name : s->key;
		s->budget_ms = r->groups[i].r.budget_ms;
		if ((s->avail = calloc((size_t)r->nbuckets + 1,
		    sizeof(double))) == NULL || (s->burn =
		    calloc((size_t)r->nbuckets + 1, sizeof(double))) == NULL) {
			free(cum);
			return -1;
		}
	}
	for (b = 0; b < r->nbuckets; b++) {
		if (aq_compute(&r->q, r->av->rules, r->av->nrules,
		    r->av->targets, r->av->ntargets, r->bstart[b],
		    r->bstart[b + 1], &dr, &gr, &ng, &cr, &nc, &site) == -1) {
			free(cum);
			return -1;
		}
		for (i = 0; i < r->nseries; i++) {
			struct rpt_series *s = &r->series[i];

			s->avail[b] = NAN;
			s->burn[b] = NAN;
			for (k = 0; k < ng; k++) {
				if (strcmp(gr[k].key, s->key) != 0)
					continue;
				s->avail[b] = gr[k].r.availability;
				cum[i] += (double)gr[k].r.down_ms;
			}
			/*
			 * A day without data (before monitoring began, or
			 * nothing seen) has no budget figure either: drawn
			 * as a gap, not as a budget kept whole.
			 */
			if (!isnan(s->budget_ms) && s->budget_ms > 0 &&
			    !isnan(s->avail[b]))
				s->burn[b] = (s->budget_ms - cum[i]) /
				    s->budget_ms * 100.0;
		}
		free(dr);
		free(gr);
		free(cr);
	}
	free(cum);
	return 0;
}

/*
 * The latency target share of each row: a device's probes under the
 * bound of the first latency_share indicator that covers it, and groups,
 * classes and the site as the sums of their shown devices.
 */
static void
latency_rows(struct rpt *r)
{
	size_t	 i, k;
	int	 j;

	for (i = 0; i < r->q.ndev; i++) {
		const struct aq_device *d = &r->q.dev[i];
		struct aq_row *w = &r->devrows[i];

		w->lat_n = w->lat_ok = 0;
		for (j = 0; j < r->av->nind; j++) {
			const struct av_indicator *a = &r->av->ind[j];

			if (a->metric != AVI_LATENCY_SHARE ||
			    !avi_covers(a, d->id, d->group, d->cls))
				continue;
			aq_latency(&r->q, a, d, r->from, r->to, &w->lat_n,
			    &w->lat_ok);
			break;
		}
	}
	for (k = 0; k < r->ngroups; k++)
		r->groups[k].lat_n = r->groups[k].lat_ok = 0;
	for (k = 0; k < r->nclasses; k++)
		r->classes[k].lat_n = r->classes[k].lat_ok = 0;
	r->site.lat_n = r->site.lat_ok = 0;
	for (i = 0; i < r->ndevshown; i++) {
		const struct aq_device *d = &r->q.dev[r->devorder[i]];
		const struct aq_row *w = &r->devrows[r->devorder[i]];

		for (k = 0; k < r->ngroups; k++)
			if (strcmp(r->groups[k].key, d->group) == 0) {
				r->groups[k].lat_n += w->lat_n;
				r->groups[k].lat_ok += w->lat_ok;
			}
		for (k = 0; k < r->nclasses; k++)
			if (strcmp(r->classes[k].key, d->cls) == 0) {
				r->classes[k].lat_n += w->lat_n;
				r->classes[k].lat_ok += w->lat_ok;
			}
		r->site.lat_n += w->lat_n;
		r->site.lat_ok += w->lat_ok;
	}
}

static int64_t journal_first(const struct aq *);

/*
 * One period's model.  With a parent (a month of the year report) the
 * journal already read is shared, and the charts and checksums, which
 * only the year's own pages show, are left out.
 */
static int
build_model(struct rpt *r, const struct report_conf *rc, int64_t from,
    int64_t to, const struct rpt *parent, char *err, size_t errlen)
{
	const struct avconf *av = rc->av;
	struct aq_row *gr = NULL, *cr = NULL;
	struct match_arg m;
	size_t	 ng = 0, nc = 0, i, k;
	time_t	 gt;
	struct tm tm;
	const char *sde;
	int	 j;

	memset(r, 0, sizeof(*r));
	aq_init(&r->q);
	/* What a failed allocation below leaves as the reason. */
	snprintf(err, errlen, "out of memory");
	r->rc = rc;
	r->av = av;
	r->L = strcmp(rc->lang ? rc->lang : av->lang, "en") == 0;
	r->from = from;
	r->period_to = to;
	r->journal = rc->journal ? rc->journal : av->journal;
	if (to <= from) {
		snprintf(err, errlen, "the period is empty");
		return -1;
	}
	r->kind = period_kind(r);
	/*
	 * A period not over yet ends now, exactly as in the API: nothing
	 * after now is counted, planned or not.
	 */
	/* One "now" for the year and each of its months. */
	r->now = rc->now_ms ? rc->now_ms : now_ms();
	switch (av_period_end(from, to, r->now, &r->to)) {
	case -1:
		snprintf(err, errlen, "the period has not begun");
		return -1;
	case 1: {
		time_t	 nt = (time_t)(r->to / 1000);

		r->open = 1;
		localtime_r(&nt, &tm);
		strftime(r->asof, sizeof(r->asof), "%Y-%m-%d %H:%M", &tm);
		break;
	}
	}
	to = r->to;
	fmt_time(r->from_text, sizeof(r->from_text), from);
	fmt_time(r->to_text, sizeof(r->to_text), to);
	/* The only thing allowed to differ between two runs. */
	gt = (time_t)(rc->generated_ms / 1000);
	if (rc->generated_ms == 0) {
		gt = time(NULL);
		if ((sde = getenv("SOURCE_DATE_EPOCH")) != NULL && *sde)
			gt = (time_t)strtoll(sde, NULL, 10);
	}
	localtime_r(&gt, &tm);
	strftime(r->generated, sizeof(r->generated), "%Y-%m-%d %H:%M:%S %z",
	    &tm);

	r->q.charge_blips = av->charge_blips;
	if (parent != NULL) {
		r->q = parent->q;
		r->borrowed = 1;
	} else if (aq_load(&r->q, r->journal, err, errlen) == -1)
		return -1;
	/*
	 * Monitoring began with the journal's first record: a period that
	 * began before it was only partly seen, and page 1 says so.
	 */
	r->monitored_from = journal_first(&r->q);
	r->partial = r->monitored_from > from && r->monitored_from < to;
	if (aq_compute(&r->q, av->rules, av->nrules, av->targets,
	    av->ntargets, from, to, &r->devrows, &gr, &ng, &cr, &nc,
	    &r->site) == -1) {
		snprintf(err, errlen, "computing the period: out of memory");
		return -1;
	}
	if (rc->group == NULL) {
		r->groups = gr;
		r->ngroups = ng;
		r->classes = cr;
		r->nclasses = nc;
	} else {
		/* One group: its row, and classes and site within it. */
		memset(&m, 0, sizeof(m));
		m.group = rc->group;
		r->groups = calloc(1, sizeof(*r->groups));
		r->classes = calloc(nc ? nc : 1, sizeof(*r->classes));
		if (r->groups == NULL || r->classes == NULL) {
			free(gr);
			free(cr);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (i = 0; i < ng; i++)
			if (strcmp(gr[i].key, rc->group) == 0)
				r->groups[r->ngroups++] = gr[i];
		for (i = 0; i < nc; i++) {
			m.cls = cr[i].key;
			if (aq_aggregate(&r->q, r->devrows, match_dev, &m,
			    cr[i].r.target, &r->classes[r->nclasses]) > 0) {
				fm_strlcpy(r->classes[r->nclasses].key,
				    cr[i].key, sizeof(r->classes[0].key));
				fm_strlcpy(r->classes[r->nclasses].name,
				    cr[i].name, sizeof(r->classes[0].name));
				r->nclasses++;
			}
		}
		m.cls = NULL;
		aq_aggregate(&r->q, r->devrows, match_dev, &m, NAN, &r->site);
		fm_strlcpy(r->site.key, rc->group, sizeof(r->site.key));
		free(gr);
		free(cr);
		if (r->ngroups == 0) {
			snprintf(err, errlen, "no device of group '%s' in the "
			    "journal", rc->group);
			return -1;
		}
	}

	/* No verdict on a row that has seen too little of the period. */
	for (i = 0; i < r->q.ndev; i++)
		few_data(&r->devrows[i].r);
	for (i = 0; i < r->ngroups; i++)
		few_data(&r->groups[i].r);
	for (i = 0; i < r->nclasses; i++)
		few_data(&r->classes[i].r);
	few_data(&r->site.r);

	/* Groups and classes by the names people know them by. */
	for (i = 0; i < r->ngroups; i++)
		fm_strlcpy(r->groups[i].name, display_name(r, 0,
		    r->groups[i].key), sizeof(r->groups[i].name));
	for (i = 0; i < r->nclasses; i++)
		fm_strlcpy(r->classes[i].name, display_name(r, 1,
		    r->classes[i].key), sizeof(r->classes[i].name));

	/* Devices shown: the site's, or the group's, by group then id. */
	if ((r->devorder = calloc(r->q.ndev ? r->q.ndev : 1,
	    sizeof(size_t))) == NULL)
		return -1;
	memset(&m, 0, sizeof(m));
	m.group = rc->group;
	for (i = 0; i < r->q.ndev; i++)
		if (match_dev(&r->q.dev[i], &m))
			r->devorder[r->ndevshown++] = i;
	devs_for_sort = r->q.dev;
	qsort(r->devorder, r->ndevshown, sizeof(size_t), devcmp);
	for (i = 0; i < r->ndevshown; i++) {
		int	 met = r->devrows[r->devorder[i]].r.met;

		r->dev_met += met == 1;
		r->dev_missed += met == 0;
	}
	latency_rows(r);

	if ((r->ind = calloc((size_t)(av->nind ? av->nind : 1),
	    sizeof(*r->ind))) == NULL)
		return -1;
	r->nind = av->nind;
	for (j = 0; j < av->nind; j++) {
		r->ind[j].a = &av->ind[j];
		indicator(r, &r->ind[j]);
		if (!r->ind[j].measured)
			r->ind_unmeasured++;
		else if (r->ind[j].met == 1)
			r->ind_met++;
		else if (r->ind[j].met == 0)
			r->ind_missed++;
		else
			r->ind_nodata++;
	}

	if (aq_outages_in(&r->q, av->rules, av->nrules, from, to, &r->out,
	    &r->nout) == -1)
		return -1;
	if (rc->group != NULL) {
		for (i = k = 0; i < r->nout; i++) {
			struct aq_device *d = aq_device(&r->q,
			    r->q.out[r->out[i].idx].device);

			if (d != NULL && match_dev(d, &m))
				r->out[k++] = r->out[i];
		}
		r->nout = k;
	}

	for (j = 0; j < r->nind; j++)
		deviation(r, &r->ind[j]);

	if (parent != NULL)
		return 0;
	if (buckets(r) == -1 || series(r) == -1) {
		snprintf(err, errlen, "computing the charts failed");
		return -1;
	}
	if (sha256_file(r->journal, (long long)r->q.st.bytes,
	    r->journal_sha256) == -1) {
		snprintf(err, errlen, "%s: %s", r->journal, strerror(errno));
		return -1;
	}
	if (rc->cfgpath != NULL &&
	    sha256_file(rc->cfgpath, -1, r->config_sha256) == -1) {
		snprintf(err, errlen, "%s: %s", rc->cfgpath, strerror(errno));
		return -1;
	}
	return 0;
}

/* When the journal's first change of state was: monitoring began. */
static int64_t
journal_first(const struct aq *q)
{
	int64_t	 first = INT64_MAX;
	size_t	 i;

	for (i = 0; i < q->ndev; i++)
		if (q->dev[i].ntl > 0 && q->dev[i].tl[0].ts_ms < first)
			first = q->dev[i].tl[0].ts_ms;
	return first;
}

/*
 * The twelve months of a year report.  A month that has not begun has
 * no model ("—"); one over before the journal's first record has no
 * data; every other month is built exactly as its monthly report is,
 * at the same "now", so the current month is the month so far.
 */
static int
year_months(struct rpt *r, char *err, size_t errlen)
{
	time_t	 t = (time_t)(r->from / 1000);
	struct tm tm;
	int64_t	 first = journal_first(&r->q);
	int	 k;

	localtime_r(&t, &tm);
	r->subrc = *r->rc;
	r->subrc.now_ms = r->now;
	if ((r->months = calloc(12, sizeof(*r->months))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nmonths = 12;
	for (k = 0; k < 12; k++) {
		struct rpt_month *mo = &r->months[k];

		if (av_month_range(tm.tm_year + 1900, k + 1, r->av->tz,
		    &mo->from, &mo->to) == -1) {
			snprintf(err, errlen, "month %d: no such month", k + 1);
			return -1;
		}
		if (r->now <= mo->from) {
			mo->state = YM_FUTURE;
			continue;
		}
		if (mo->to <= first) {
			mo->state = YM_BEFORE;
			continue;
		}
		if ((mo->m = calloc(1, sizeof(*mo->m))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (build_model(mo->m, &r->subrc, mo->from, mo->to, r, err,
		    errlen) == -1)
			return -1;
		mo->state = mo->m->open ? YM_OPEN : YM_CLOSED;
	}
	return 0;
}

int
report_build(struct rpt *r, const struct report_conf *rc, int64_t from,
    int64_t to, char *err, size_t errlen)
{
	if (build_model(r, rc, from, to, NULL, err, errlen) == -1)
		return -1;
	if (r->kind == RK_YEAR && year_months(r, err, errlen) == -1)
		return -1;
	return 0;
}

void
report_free(struct rpt *r)
{
	size_t	 i;
	int	 k;

	if (r->months != NULL)
		for (k = 0; k < r->nmonths; k++)
			if (r->months[k].m != NULL) {
				report_free(r->months[k].m);
				free(r->months[k].m);
			}
	free(r->months);

	if (r->series != NULL)
		for (i = 0; i < r->nseries; i++) {
			free(r->series[i].avail);
			free(r->series[i].burn);
		}
	free(r->series);
	free(r->bstart);
	free(r->blabel);
	free(r->out);
	free(r->ind);
	free(r->devorder);
	free(r->devrows);
	free(r->groups);
	free(r->classes);
	if (!r->borrowed)
		aq_free(&r->q);
	memset(r, 0, sizeof(*r));
}

/* out_dir/facmon-report-<label>[-<group>][-en].<ext> */
int
report_file(const struct rpt *r, const char *dir, const char *ext,
    char *path, size_t n)
{
	int	 w;

	w = snprintf(path, n, "%s/facmon-report-%s%s%s%s.%s", dir, r->label,
	    r->rc->group ? "-" : "", r->rc->group ? r->rc->group : "",
	    r->L ? "-en" : "", ext);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int
report_format_parse(const char *s, unsigned *f)
{
	static const struct { const char *n; unsigned f; } fm[] = {
		{ "html", RF_HTML }, { "pdf", RF_PDF }, { "xlsx", RF_XLSX },
		{ "csv", RF_CSV }, { "json", RF_JSON }, { "all", RF_ALL },
	};
	char	 buf[128], *tok, *save = NULL;
	size_t	 i;

	if (fm_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++)
			if (strcmp(tok, fm[i].n) == 0)
				break;
		if (i == sizeof(fm) / sizeof(fm[0]))
			return -1;
		*f |= fm[i].f;
	}
	return 0;
}

/*
 * The library entry point: the collector's monthly run calls this too.
 * TZ is switched to the report's zone for the duration (one thread, as
 * in avail.c) so that every local time is the configured zone's.
 */
int
report_make(const struct report_conf *rc, int64_t from, int64_t to,
    unsigned formats, const char *out_dir, char *err, size_t errlen)
{
	static const struct {
		unsigned f;
		const char *ext;
		int	(*fn)(const struct rpt *, const char *, char *, size_t);
	} outs[] = {
		{ RF_HTML, "html", out_html }, { RF_PDF, "pdf", out_pdf },
		{ RF_XLSX, "xlsx", out_xlsx }, { RF_CSV, "csv", out_csv },
		{ RF_JSON, "json", out_json },
	};
	struct rpt r;
	char	*old = getenv("TZ"), *saved = old ? strdup(old) : NULL;
	char	 path[1024];
	size_t	 i;
	int	 rc_ = -1;

	setenv("TZ", rc->av->tz, 1);
	tzset();
	if (fm_mkdirs(out_dir, 0755) == -1) {
		snprintf(err, errlen, "%s: %s", out_dir, strerror(errno));
		goto out;
	}
	/* No journal yet is nothing monitored yet. */
	if (rc->skip_unseen && access(rc->journal ? rc->journal :
	    rc->av->journal, F_OK) == -1 && errno == ENOENT) {
		snprintf(err, errlen, "nothing was monitored: no journal %s",
		    rc->journal ? rc->journal : rc->av->journal);
		rc_ = REPORT_UNSEEN;
		goto out;
	}
	if (report_build(&r, rc, from, to, err, errlen) == -1) {
		report_free(&r);
		goto out;
	}
	/*
	 * Nothing recorded before the period's end: a new install's first
	 * monthly run has no month to report, and mails no empty one.
	 */
	if (rc->skip_unseen && r.monitored_from >= r.to) {
		snprintf(err, errlen, "nothing was monitored in %s: the journal "
		    "begins after it", r.label);
		report_free(&r);
		rc_ = REPORT_UNSEEN;
		goto out;
	}
	rc_ = 0;
	for (i = 0; i < sizeof(outs) / sizeof(outs[0]) && rc_ == 0; i++) {
		if (!(formats & outs[i].f))
			continue;
		if (report_file(&r, out_dir, outs[i].ext, path,
		    sizeof(path)) == -1) {
			snprintf(err, errlen, "%s: path too long", out_dir);
			rc_ = -1;
		} else if (outs[i].fn(&r, path, err, errlen) == -1)
			rc_ = -1;
		else
			log_info("wrote %s", path);
	}
	report_free(&r);
out:
	if (saved != NULL) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	return rc_;
}

/*
 * The summary and the provenance facts, as (label, text, number) rows
 * so that every format prints the same list.  Returns 0 past the end.
 */
int
summary_row(const struct rpt *r, int i, struct srow *s)
{
	memset(s, 0, sizeof(*s));
	s->num = NAN;
	s->kind = CK_TEXT;
	switch (i) {
	case 0:
		s->label = TR(r, "统计期", "Period");
		snprintf(s->text, sizeof(s->text), "%s — %s (%s)%s",
		    r->from_text, r->to_text, r->av->tz, !r->open ? "" :
		    TR(r, "，未结束：统计至生成时刻", ", not over: counted up "
		    "to the time of the report"));
		if (r->partial) {
			char	 since[32], cov[32];
			size_t	 l = strlen(s->text);

			fmt_time(since, sizeof(since), r->monitored_from);
			fmt_pct(cov, sizeof(cov), r->site.r.coverage);
			snprintf(s->text + l, sizeof(s->text) - l, TR(r,
			    "；仅部分监测：自 %s 起有记录，覆盖率 %s",
			    "; partly monitored: recorded from %s on, "
			    "coverage %s"), since, cov);
		}
		break;
	case 1:
		s->label = TR(r, "单位", "Site");
		snprintf(s->text, sizeof(s->text), "%s%s%s", r->av->site[r->L],
		    r->rc->group ? TR(r, "，分组 ", ", group ") : "",
		    r->rc->group ? r->rc->group : "");
		break;
	case 2:
		s->label = TR(r, "设备数", "Devices");
		s->num = (double)r->ndevshown;
		s->kind = CK_INT;
		snprintf(s->text, sizeof(s->text), "%zu", r->ndevshown);
		break;
	case 3:
		s->label = TR(r, "覆盖率（facmon 观测到的时间占比）",
		    "Coverage (share of the period facmon saw)");
		s->num = r->site.r.coverage;
		s->kind = CK_PCT;
		fmt_pct(s->text, sizeof(s->text), s->num);
		break;
	case 4:
		s->label = TR(r, "全部设备可用率（不含计划维护）",
		    "Availability of all devices (planned excluded)");
		s->num = r->site.r.availability;
		s->kind = CK_PCT;
		fmt_pct(s->text, sizeof(s->text), s->num);
		break;
	case 5:
		s->label = TR(r, "评价指标", "Indicators");
		snprintf(s->text, sizeof(s->text), TR(r,
		    "达标 %d，未达标 %d，无数据 %d，未测量 %d",
		    "%d met, %d missed, %d without data, %d not measured"),
		    r->ind_met, r->ind_missed, r->ind_nodata,
		    r->ind_unmeasured);
		break;
	case 6:
		s->label = TR(r, "设备目标", "Device targets");
		snprintf(s->text, sizeof(s->text), TR(r, "达标 %d，未达标 %d",
		    "%d met, %d missed"), r->dev_met, r->dev_missed);
		break;
	case 7:
		s->label = TR(r, "故障", "Outages");
		s->num = r->site.r.outages;
		s->kind = CK_INT;
		snprintf(s->text, sizeof(s->text), "%u", r->site.r.outages);
		break;
	case 8:
		s->label = r->av->charge_blips ? TR(r, "未确认的短暂故障（已计入）",
		    "Blips, unconfirmed (charged)") : TR(r,
		    "未确认的短暂故障（不计入）", "Blips, unconfirmed (not "
		    "charged)");
		s->num = r->site.blips;
		s->kind = CK_INT;
		snprintf(s->text, sizeof(s->text), "%u", r->site.blips);
		break;
	default:
		return 0;
	}
	return 1;
}

/*
 * The sign-off under the evaluation table: who prepared it and who
 * reviewed it (availability.signoff; left blank to be signed by hand)
 * and the date it was made.  Returns 0 past the end.
 */
int
signoff_row(const struct rpt *r, int i, struct srow *s)
{
	memset(s, 0, sizeof(*s));
	s->num = NAN;
	s->kind = CK_TEXT;
	switch (i) {
	case 0:
		s->label = TR(r, "编制", "Prepared by");
		snprintf(s->text, sizeof(s->text), "%s", r->av->prepared);
		break;
	case 1:
		s->label = TR(r, "审核", "Reviewed by");
		snprintf(s->text, sizeof(s->text), "%s", r->av->reviewed);
		break;
	case 2:
		s->label = TR(r, "日期", "Date");
		snprintf(s->text, sizeof(s->text), "%.10s", r->generated);
		break;
	default:
		return 0;
	}
	return 1;
}

/* The sign-off on one line, blanks drawn as a line to sign on. */
const char *
signoff_line(const struct rpt *r, char *d, size_t n)
{
	struct srow s;
	size_t	 l;
	int	 k;

	d[0] = '\0';
	for (k = 0; signoff_row(r, k, &s); k++) {
		l = strlen(d);
		snprintf(d + l, n - l, "%s%s%s%s", k ? "　　　　" : "", s.label,
		    TR(r, "：", ": "), s.text[0] ? s.text : "____________");
	}
	return d;
}

int
method_fact(const struct rpt *r, int i, struct srow *s)
{
	int	 k;

	memset(s, 0, sizeof(*s));
	s->num = NAN;
	s->kind = CK_TEXT;
	switch (i) {
	case 0:
		s->label = TR(r, "时区", "Time zone");
		snprintf(s->text, sizeof(s->text), "%s", r->av->tz);
		break;
	case 1:
		s->label = TR(r, "计划维护规则", "Maintenance rules");
		for (k = 0; k < r->av->nrules; k++) {
			size_t	 l = strlen(s->text);

			snprintf(s->text + l, sizeof(s->text) - l, "%s%s%s%s",
			    k ? "; " : "", r->av->rules[k].id,
			    r->av->rules[k].reason[0] ? ": " : "",
			    r->av->rules[k].reason);
		}
		if (r->av->nrules == 0)
			snprintf(s->text, sizeof(s->text), "%s",
			    TR(r, "无", "none"));
		break;
	case 2:
		s->label = TR(r, "故障日志", "Outage journal");
		snprintf(s->text, sizeof(s->text), "%s", r->journal);
		break;
	case 3:
		s->label = TR(r, "日志记录数", "Journal records");
		s->num = (double)r->q.st.records;
		s->kind = CK_INT;
		snprintf(s->text, sizeof(s->text), "%llu",
		    (unsigned long long)r->q.st.records);
		break;
	case 4:
		s->label = TR(r, "日志字节数", "Journal bytes");
		s->num = (double)r->q.st.bytes;
		s->kind = CK_INT;
		snprintf(s->text, sizeof(s->text), "%llu",
		    (unsigned long long)r->q.st.bytes);
		break;
	case 5:
		s->label = TR(r, "日志 SHA-256（前述字节）",
		    "Journal SHA-256 (of those bytes)");
		snprintf(s->text, sizeof(s->text), "%s", r->journal_sha256);
		break;
	case 6:
		s->label = TR(r, "配置 SHA-256", "Configuration SHA-256");
		snprintf(s->text, sizeof(s->text), "%s",
		    r->config_sha256[0] ? r->config_sha256 : "—");
		break;
	case 7:
		s->label = TR(r, "生成程序", "Generated by");
		snprintf(s->text, sizeof(s->text), "facmon-report %s",
		    FACMON_VERSION);
		break;
	case 8:
		s->label = TR(r, "生成时间", "Generated at");
		snprintf(s->text, sizeof(s->text), "%s", r->generated);
		break;
	default:
		return 0;
	}
	return 1;
}

/*
 * Files written by a library (cairo, libxlsxwriter) go to a temporary
 * name first and are renamed into place once complete and synced, like
 * everything fm_write_file_atomic() writes.
 */
int
commit_file(const char *tmp, const char *path, char *err, size_t errlen)
{
	int	 fd;

	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
