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
 * Availability arithmetic: the month budgets of the centre's targets,
 * months in Asia/Shanghai, maintenance, unknown time, and a brute-force
 * per-second reference over random timelines.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <libconfig.h>

#include "../../common/common.h"
#include "../../avail/avail.h"

#define TZ_CN	"Asia/Shanghai"
#define S	1000LL

static struct av_result
one_outage(int y, int m, int64_t offset_s, int64_t len_s, double target)
{
	int64_t	 from, to;
	struct av_change ch[3];
	struct av_result r;

	assert_int_equal(av_month_range(y, m, TZ_CN, &from, &to), 0);
	ch[0] = (struct av_change){ from - 3600 * S, AV_UP };
	ch[1] = (struct av_change){ from + offset_s * S, AV_DOWN };
	ch[2] = (struct av_change){ from + (offset_s + len_s) * S, AV_UP };
	assert_int_equal(av_compute(ch, 3, NULL, 0, from, to, target, &r), 0);
	return r;
}

static void
test_month_ranges(void **state)
{
	int64_t	 from, to;

	(void)state;
	/* November 2026 in Beijing starts at 16:00 UTC on 31 October. */
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &from, &to), 0);
	assert_int_equal(from, 1793462400000LL);
	assert_int_equal(to - from, 30 * 86400 * S);
	assert_int_equal(av_month_range(2026, 12, TZ_CN, &from, &to), 0);
	assert_int_equal(to - from, 31 * 86400 * S);
	assert_int_equal(av_month_range(2026, 2, TZ_CN, &from, &to), 0);
	assert_int_equal(to - from, 28 * 86400 * S);
	assert_int_equal(av_month_range(2028, 2, TZ_CN, &from, &to), 0);
	assert_int_equal(to - from, 29 * 86400 * S);
	assert_int_equal(av_month_range(2026, 13, TZ_CN, &from, &to), -1);
	assert_int_equal(av_day_range(2026, 11, 27, TZ_CN, &from, &to), 0);
	assert_int_equal(to - from, 86400 * S);
}

/* 99.99 % leaves 259.2 s in 30 days, 267.84 s in 31, 241.92 s in 28. */
static void
test_budgets(void **state)
{
	struct av_result r;

	(void)state;
	r = one_outage(2026, 11, 86400, 240, 0.9999);
	assert_int_equal(r.met, 1);
	assert_int_equal(r.down_ms, 240 * S);
	assert_int_equal(r.outages, 1);
	assert_true(fabs(r.budget_ms - 259200.0) < 0.5);
	assert_true(fabs(r.budget_left_ms - 19200.0) < 0.5);
	assert_true(fabs(r.mttr_ms - 240000.0) < 0.5);
	r = one_outage(2026, 11, 86400, 270, 0.9999);
	assert_int_equal(r.met, 0);
	assert_true(r.budget_left_ms < 0);

	r = one_outage(2026, 10, 86400, 265, 0.9999);	/* 31 days */
	assert_int_equal(r.met, 1);
	assert_true(fabs(r.budget_ms - 267840.0) < 0.5);
	r = one_outage(2026, 10, 86400, 270, 0.9999);
	assert_int_equal(r.met, 0);

	r = one_outage(2026, 2, 86400, 240, 0.9999);	/* 28 days */
	assert_int_equal(r.met, 1);
	assert_true(fabs(r.budget_ms - 241920.0) < 0.5);
	r = one_outage(2026, 2, 86400, 245, 0.9999);
	assert_int_equal(r.met, 0);

	/* Fault time under one day a year is a far looser target. */
	r = one_outage(2026, 11, 86400, 3600, 0.99);
	assert_int_equal(r.met, 1);
}

/* An outage from 23:59:30 to 00:00:30 is split between the months. */
static void
test_month_boundary_split(void **state)
{
	int64_t	 f10, t10, f11, t11;
	struct av_change ch[3];
	struct av_result a, b;

	(void)state;
	assert_int_equal(av_month_range(2026, 10, TZ_CN, &f10, &t10), 0);
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &f11, &t11), 0);
	assert_int_equal(t10, f11);
	ch[0] = (struct av_change){ f10, AV_UP };
	ch[1] = (struct av_change){ t10 - 30 * S, AV_DOWN };
	ch[2] = (struct av_change){ t10 + 30 * S, AV_UP };
	av_compute(ch, 3, NULL, 0, f10, t10, 0.9999, &a);
	av_compute(ch, 3, NULL, 0, f11, t11, 0.9999, &b);
	assert_int_equal(a.down_ms, 30 * S);
	assert_int_equal(b.down_ms, 30 * S);
	/* Still one outage each side; repaired in November, 60 s long. */
	assert_int_equal(a.outages, 1);
	assert_int_equal(a.outages_ended, 0);
	assert_true(isnan(a.mttr_ms));
	assert_int_equal(b.outages, 1);
	assert_int_equal(b.outages_ended, 1);
	assert_true(fabs(b.mttr_ms - 60000.0) < 0.5);
	assert_int_equal(b.longest_ms, 30 * S);
}

static void
test_maintenance_and_unknown(void **state)
{
	int64_t	 from = 0, to = 1000 * S;
	struct av_change ch[] = {
		{ 0, AV_UP },
		{ 100 * S, AV_DOWN },	/* 100-150 inside maintenance */
		{ 150 * S, AV_UP },
		{ 300 * S, AV_UNKNOWN },	/* agent unreachable 300-400 */
		{ 400 * S, AV_UP },
		{ 500 * S, AV_DOWN },	/* 500-510 unplanned */
		{ 510 * S, AV_UP },
	};
	struct av_window w[] = { { 200 * S, 250 * S }, { 90 * S, 160 * S },
	    { 95 * S, 120 * S }, { 700 * S, 700 * S } };
	size_t	 nw;
	struct av_result r;

	(void)state;
	av_windows_normalize(w, 4, &nw);
	assert_int_equal(nw, 2);
	assert_int_equal(w[0].start_ms, 90 * S);
	assert_int_equal(w[0].end_ms, 160 * S);
	av_compute(ch, 7, w, nw, from, to, 0.99, &r);
	assert_int_equal(r.planned_ms, 120 * S);
	assert_int_equal(r.planned_down_ms, 50 * S);
	assert_int_equal(r.unknown_ms, 100 * S);
	assert_int_equal(r.down_ms, 10 * S);
	assert_int_equal(r.up_ms, 1000 * S - 120 * S - 100 * S - 10 * S);
	assert_int_equal(r.outages, 1);	/* the planned one is not counted */
	/* 770 up of 780 seen outside maintenance. */
	assert_true(fabs(r.availability - 770.0 / 780.0) < 1e-12);
	/* Charged: (770 + 70 planned-up) / 900 seen. */
	assert_true(fabs(r.availability_charged - 840.0 / 900.0) < 1e-12);
	assert_true(fabs(r.coverage - 0.9) < 1e-12);
	assert_int_equal(r.met, 0);
}

/*
 * Unseen time inside a window is planned (planned_unseen), never also
 * unknown: aq_figure() publishes each millisecond once, and the
 * documented formulas hold on the published figures alone.
 */
static void
test_figures_one_definition(void **state)
{
	struct av_change ch[] = {
		{ 0, AV_UP },
		{ 100 * S, AV_UNKNOWN },	/* 100-300, window 200-400 */
		{ 300 * S, AV_UP },
		{ 600 * S, AV_DOWN },
		{ 610 * S, AV_UP },
	};
	struct av_window w[] = { { 200 * S, 400 * S } };
	struct aq_row row;
	double	 f[AQF_MAX], den;
	int	 i;

	(void)state;
	memset(&row, 0, sizeof(row));
	row.ndevices = 1;
	av_compute(ch, 5, w, 1, 0, 1000 * S, 0.99, &row.r);
	for (i = 0; i < AQF_MAX; i++) {
		assert_non_null(aq_figs[i].name);
		f[i] = aq_figure(&row, 0, i);
	}
	assert_true(f[AQF_UNKNOWN] == 100 * S);
	assert_true(f[AQF_PLANNED_UNSEEN] == 100 * S);
	assert_true(f[AQF_PLANNED] == 200 * S);
	assert_true(f[AQF_PERIOD] == f[AQF_UP] + f[AQF_DOWN] + f[AQF_UNKNOWN] +
	    f[AQF_UNREACHABLE] + f[AQF_PLANNED]);
	assert_true(f[AQF_PLANNED] == f[AQF_PLANNED_UP] + f[AQF_PLANNED_DOWN] +
	    f[AQF_PLANNED_UNSEEN]);
	den = f[AQF_PERIOD] - f[AQF_PLANNED] - f[AQF_UNKNOWN] -
	    f[AQF_UNREACHABLE];
	assert_true(fabs(f[AQF_AVAILABILITY] - f[AQF_UP] / den) < 1e-12);
	den = f[AQF_PERIOD] - f[AQF_UNKNOWN] - f[AQF_UNREACHABLE] -
	    f[AQF_PLANNED_UNSEEN];
	assert_true(fabs(f[AQF_AVAILABILITY_CHARGED] - (f[AQF_UP] +
	    f[AQF_PLANNED_UP]) / den) < 1e-12);
	assert_true(fabs(f[AQF_COVERAGE] - (f[AQF_PERIOD] - f[AQF_UNKNOWN] -
	    f[AQF_PLANNED_UNSEEN]) / f[AQF_PERIOD]) < 1e-12);
	/* What the rest of the period still allows, if all seen. */
	assert_true(fabs(aq_figure(&row, 500 * S, AQF_BUDGET_PERIOD_LEFT) -
	    (f[AQF_BUDGET_LEFT] + 0.01 * 500 * S)) < 1e-6);
}

/* A period not over ends now; one not begun is refused. */
static void
test_period_end(void **state)
{
	int64_t	 end;
	int	 y, m;

	(void)state;
	assert_int_equal(av_period_end(1000, 5000, 3000, &end), 1);
	assert_int_equal(end, 3000);
	assert_int_equal(av_period_end(1000, 5000, 5000, &end), 0);
	assert_int_equal(end, 5000);
	assert_int_equal(av_period_end(1000, 5000, 9000, &end), 0);
	assert_int_equal(end, 5000);
	assert_int_equal(av_period_end(1000, 5000, 1000, &end), -1);
	/* 2026-11-30 16:30 UTC is already December in Shanghai. */
	assert_int_equal(av_month_of(1796056200000LL, "Asia/Shanghai", &y,
	    &m), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 12);
	assert_int_equal(av_month_of(1796056200000LL, "UTC", &y, &m), 0);
	assert_int_equal(m, 11);
}

static void
test_no_data(void **state)
{
	struct av_result r;
	struct av_change ch[] = { { 0, AV_UNREACHABLE } };

	(void)state;
	av_compute(NULL, 0, NULL, 0, 0, 1000, 0.9999, &r);
	assert_true(isnan(r.availability));
	assert_int_equal(r.met, -1);
	assert_true(r.coverage == 0.0);
	av_compute(ch, 1, NULL, 0, 0, 1000, 0.9999, &r);
	assert_int_equal(r.unreachable_ms, 1000);
	assert_true(r.coverage == 1.0);
	assert_true(isnan(r.availability));
	assert_int_equal(av_compute(NULL, 0, NULL, 0, 10, 5, NAN, &r), -1);
}

/* Random timelines and windows against a per-second brute force. */
static void
test_property_bruteforce(void **state)
{
	unsigned int seed = 20261127;
	int	 iter;

	(void)state;
	for (iter = 0; iter < 400; iter++) {
		struct av_change ch[40];
		struct av_window w[6];
		size_t	 n = (size_t)(rand_r(&seed) % 40), nw, i;
		int64_t	 from = rand_r(&seed) % 200, to = from + 1 +
		    rand_r(&seed) % 1500, t;
		int64_t	 up = 0, down = 0, unk = 0, unr = 0, pl = 0, pld = 0;
		int64_t	 plu = 0, outs = 0;
		int	 prev_down_unplanned = 0, last_known = -1;
		struct av_result r;

		for (i = 0; i < n; i++) {
			ch[i].ts_ms = (i ? ch[i - 1].ts_ms : -100) +
			    rand_r(&seed) % 120;
			ch[i].state = (uint8_t)(rand_r(&seed) % AV_STATE_MAX);
		}
		nw = (size_t)(rand_r(&seed) % 6);
		for (i = 0; i < nw; i++) {
			w[i].start_ms = rand_r(&seed) % 1800 - 50;
			w[i].end_ms = w[i].start_ms + rand_r(&seed) % 300;
		}
		av_windows_normalize(w, nw, &nw);
		assert_int_equal(av_compute(ch, n, w, nw, from, to, 0.99, &r),
		    0);
		/*
		 * Brute force, one unit at a time, from before the first
		 * change so that an outage running into the period is known.
		 */
		for (t = -101; t < to; t++) {
			int	 st = AV_UNKNOWN, inm = 0;
			size_t	 k;

			for (k = 0; k < n && ch[k].ts_ms <= t; k++)
				st = ch[k].state;
			for (k = 0; k < nw; k++)
				if (w[k].start_ms <= t && t < w[k].end_ms)
					inm = 1;
			/*
			 * Outages: a run of down with any unplanned unit in
			 * the period; runs with only unknown between them
			 * are one outage with a gap.
			 */
			if (st == AV_DOWN && last_known != AV_DOWN)
				prev_down_unplanned = 0;
			if (st != AV_UNKNOWN)
				last_known = st;
			if (t < from)
				continue;
			if (st == AV_DOWN && !inm && !prev_down_unplanned) {
				prev_down_unplanned = 1;
				outs++;
			}
			if (inm) {
				pl++;
				if (st == AV_DOWN)
					pld++;
				if (st == AV_UP)
					plu++;
			} else if (st == AV_UP)
				up++;
			else if (st == AV_DOWN)
				down++;
			else if (st == AV_UNKNOWN)
				unk++;
			else
				unr++;
		}
		assert_int_equal(r.up_ms, up);
		assert_int_equal(r.down_ms, down);
		assert_int_equal(r.unknown_ms, unk);
		assert_int_equal(r.unreachable_ms, unr);
		assert_int_equal(r.planned_ms, pl);
		assert_int_equal(r.planned_down_ms, pld);
		assert_int_equal(r.planned_up_ms, plu);
		assert_int_equal(r.outages, outs);
	}
}

static size_t
expand(const char *cron, const char *tz, int y, int m, int64_t dur_s,
    struct av_window **w)
{
	struct mw_rule r;
	char	 err[256];
	int64_t	 from, to;
	size_t	 n = 0, cap = 0;

	memset(&r, 0, sizeof(r));
	assert_int_equal(mw_parse_cron(cron, &r, err, sizeof(err)), 0);
	fm_strlcpy(r.tz, tz, sizeof(r.tz));
	r.duration_ms = dur_s * S;
	assert_int_equal(av_month_range(y, m, tz, &from, &to), 0);
	*w = NULL;
	assert_int_equal(mw_expand(&r, from, to, w, &n, &cap), 0);
	return n;
}

static void
test_cron(void **state)
{
	struct av_window *w;
	struct mw_rule r;
	char	 err[256];
	size_t	 n;
	int64_t	 from, to;

	(void)state;
	/* Weekdays at 03:00 Beijing time in November 2026: 21 of them. */
	n = expand("0 3 * * 1-5", TZ_CN, 2026, 11, 1800, &w);
	assert_int_equal(n, 21);
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &from, &to), 0);
	/* 2 November (a Monday) 03:00 +08:00 is 1 November 19:00 UTC. */
	assert_int_equal(w[0].start_ms, from + (86400 + 3 * 3600) * S);
	assert_int_equal(w[0].end_ms - w[0].start_ms, 1800 * S);
	free(w);
	/* Sundays: 1, 8, 15, 22, 29 November. */
	n = expand("0 2 * * 0", TZ_CN, 2026, 11, 7200, &w);
	assert_int_equal(n, 5);
	free(w);
	/* 7 is Sunday too. */
	n = expand("0 2 * * 7", TZ_CN, 2026, 11, 7200, &w);
	assert_int_equal(n, 5);
	free(w);
	/* Every 15 minutes on the 1st: 96 windows. */
	n = expand("*/15 * 1 * *", TZ_CN, 2026, 11, 60, &w);
	assert_int_equal(n, 96);
	free(w);
	/* 02:00 does not exist in New York on 8 March 2026. */
	n = expand("0 2 * * *", "America/New_York", 2026, 3, 600, &w);
	assert_int_equal(n, 30);
	free(w);
	memset(&r, 0, sizeof(r));
	assert_int_equal(mw_parse_cron("61 * * * *", &r, err, sizeof(err)),
	    -1);
	assert_int_equal(mw_parse_cron("0 3 * *", &r, err, sizeof(err)), -1);
	assert_int_equal(mw_parse_cron("0 3 * * 1-9", &r, err, sizeof(err)),
	    -1);
	assert_int_equal(mw_parse_cron("a b c d e", &r, err, sizeof(err)), -1);
}

/* A Saturday-night window runs into November: one hour counts there. */
static void
test_window_across_months(void **state)
{
	struct av_window *w = NULL;
	struct mw_rule r;
	char	 err[256];
	size_t	 n = 0, cap = 0;
	int64_t	 from, to;
	struct av_change ch[] = { { 0, AV_UP } };
	struct av_result res;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(mw_parse_cron("0 23 * * 6", &r, err, sizeof(err)), 0);
	fm_strlcpy(r.tz, TZ_CN, sizeof(r.tz));
	r.duration_ms = 2 * 3600 * S;
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &from, &to), 0);
	assert_int_equal(mw_expand(&r, from, to, &w, &n, &cap), 0);
	av_windows_normalize(w, n, &n);
	/* 31 Oct 23:00 (into Nov), then the Saturdays 7, 14, 21, 28. */
	assert_int_equal(n, 5);
	assert_int_equal(w[0].start_ms, from - 3600 * S);
	av_compute(ch, 1, w, n, from, to, 0.9999, &res);
	assert_int_equal(res.planned_ms, (3600 + 4 * 7200) * S);
	free(w);
}

/*
 * A window's ids as a rule's list: what is no id is left out, and the
 * strings are copied or borrowed as asked (the report frees its JSON
 * first; the collector's windows outlive their rules).
 */
static void
test_json_ids(void **state)
{
	json_t	*a = json_pack("[s,i,s,s,n]", "ups-1", 7, "bad name", "lift");
	char	**v;
	int	 n, i;

	(void)state;
	v = mw_json_ids(a, &n, 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(v[0], json_string_value(json_array_get(a, 0)));
	assert_ptr_equal(v[1], json_string_value(json_array_get(a, 3)));
	free(v);
	v = mw_json_ids(a, &n, 1);
	json_decref(a);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "ups-1");
	assert_string_equal(v[1], "lift");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	/* No array, or an empty one: no list. */
	assert_null(mw_json_ids(NULL, &n, 1));
	assert_int_equal(n, 0);
	a = json_array();
	assert_null(mw_json_ids(a, &n, 0));
	assert_int_equal(n, 0);
	json_decref(a);
}

static void
test_rule_config(void **state)
{
	config_t cfg;
	struct cfgerr e;
	struct mw_rule *rs;
	int	 n;
	const char *good =
	    "m = ( { id = \"patch\"; weekly = \"Sun 02:00\"; "
	    "duration = \"1h\"; groups = [ \"network\" ]; },\n"
	    "  { id = \"ups\"; start = \"2026-11-28 02:00\"; "
	    "duration = \"2h\"; devices = [ \"ups-1\" ]; },\n"
	    "  { id = \"lift\"; monthly = \"1 09:00\"; duration = 10800; "
	    "classes = [ \"elevator\" ]; } );\n";
	const char *bad =
	    "m = ( { id = \"a\"; weekly = \"Funday 02:00\"; "
	    "duration = \"1h\"; groups = [ \"g\" ]; },\n"
	    "  { id = \"a\"; start = \"yesterday\"; duration = 5; },\n"
	    "  { id = \"c\"; cron = \"0 3 * *\"; weekly = \"Sun 01:00\"; "
	    "duration = \"1h\"; devices = [ \"d\" ]; bogus = 1; } );\n";

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, good), CONFIG_TRUE);
	cfgerr_init(&e, "t.conf");
	assert_int_equal(mw_parse_list(&e, config_lookup(&cfg, "m"), TZ_CN,
	    &rs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rs[1].kind, MW_ONCE);
	assert_int_equal(rs[1].start_ms, 1795802400000LL);
	assert_true(mw_covers(&rs[0], "sw1", "network", "switch"));
	assert_false(mw_covers(&rs[0], "sw1", "wifi", "switch"));
	assert_true(mw_covers(&rs[2], "lift-3", "lifts", "elevator"));
	assert_int_equal(rs[2].duration_ms, 3 * 3600 * S);
	mw_free_list(rs, n);
	cfgerr_free(&e);
	config_destroy(&cfg);

	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, bad), CONFIG_TRUE);
	cfgerr_init(&e, "t.conf");
	assert_int_equal(mw_parse_list(&e, config_lookup(&cfg, "m"), TZ_CN,
	    &rs, &n), -1);
	/* Every problem, each on its line. */
	assert_int_equal(e.n, 8);
	assert_non_null(strstr(e.msgs[0], ":1: weekly 'Funday 02:00'"));
	assert_non_null(strstr(e.msgs[1], ":2: duplicate maintenance id"));
	assert_non_null(strstr(e.msgs[2], ":2: 'duration' must be between"));
	assert_non_null(strstr(e.msgs[3], ":2: start 'yesterday'"));
	assert_non_null(strstr(e.msgs[4], ":2: maintenance 'a' covers"));
	assert_non_null(strstr(e.msgs[5], ":3: unknown setting 'bogus'"));
	mw_free_list(rs, n);
	cfgerr_free(&e);
	config_destroy(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_ranges),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_month_boundary_split),
		cmocka_unit_test(test_maintenance_and_unknown),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_figures_one_definition),
		cmocka_unit_test(test_period_end),
		cmocka_unit_test(test_property_bruteforce),
		cmocka_unit_test(test_cron),
		cmocka_unit_test(test_window_across_months),
		cmocka_unit_test(test_json_ids),
		cmocka_unit_test(test_rule_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
