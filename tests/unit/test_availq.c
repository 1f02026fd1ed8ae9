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
 * Availability tables from a journal the test writes: a known month with
 * known outages, maintenance, unknown time and reclassifications, and
 * every figure checked by hand.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/common.h"
#include "../../avail/avail.h"

#define TZ_CN	"Asia/Shanghai"
#define S	1000LL

static char	 path[256];
static int64_t	 M0, M1;	/* November 2026 in Beijing */

static void
put(struct ojournal *j, struct oj_rec *r)
{
	char	 err[256];

	r->ts_ms = r->at_ms ? r->at_ms : M0;
	assert_int_equal(oj_append(j, r, err, sizeof(err)), 0);
}

static void
device(struct ojournal *j, const char *id, const char *name,
    const char *cls, const char *group)
{
	struct oj_rec r;

	memset(&r, 0, sizeof(r));
	r.type = OJ_DEVICE;
	fm_strlcpy(r.device, id, sizeof(r.device));
	fm_strlcpy(r.text, name, sizeof(r.text));
	fm_strlcpy(r.dclass, cls, sizeof(r.dclass));
	fm_strlcpy(r.group, group, sizeof(r.group));
	put(j, &r);
}

static void
state(struct ojournal *j, const char *id, int64_t at, int st,
    const char *cause)
{
	struct oj_rec r;

	memset(&r, 0, sizeof(r));
	r.type = OJ_STATE;
	fm_strlcpy(r.device, id, sizeof(r.device));
	r.state = (uint8_t)st;
	r.outcome = st == AV_DOWN ? PR_TIMEOUT : PR_OK;
	r.at_ms = at;
	fm_strlcpy(r.text, cause, sizeof(r.text));
	put(j, &r);
}

static void
note(struct ojournal *j, int type, const char *id, int64_t at, int64_t when,
    int cls)
{
	struct oj_rec r;
	char	 err[256];

	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)type;
	fm_strlcpy(r.device, id, sizeof(r.device));
	r.at_ms = at;
	r.confirmed_ms = when;
	r.cls = (uint8_t)cls;
	fm_strlcpy(r.who, "张工", sizeof(r.who));
	fm_strlcpy(r.text, "运营商光缆中断", sizeof(r.text));
	r.ts_ms = when;
	assert_int_equal(oj_append(j, &r, err, sizeof(err)), 0);
}

static const struct aq_row *
find(const struct aq_row *rows, size_t n, const char *key)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	fail_msg("no row %s", key);
	return NULL;
}

static void
test_month(void **st)
{
	struct ojournal *j;
	struct oj_stats os;
	struct aq q;
	struct aq_row *dr, *gr, *cr, site;
	size_t	 ng, nc;
	char	 err[256];
	struct aq_target t[] = {
		{ .cls = "line", .availability = 0.9999 },
		{ .group = "lines", .availability = 0.9999 },
		{ .cls = "elevator", .availability = 0.95 },
		{ .device = "tel", .availability = 0.999 },
	};
	struct mw_rule *rules;
	int	 nrules;
	const struct aq_row *r;
	int64_t	 D = 86400 * S;

	(void)st;
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &M0, &M1), 0);
	unlink(path);
	assert_int_equal(oj_open(path, &j, &os, err, sizeof(err)), 0);
	device(j, "tel", "电信专线", "line", "lines");
	device(j, "mob", "移动专线", "line", "lines");
	device(j, "lift1", "1号电梯", "elevator", "lifts");
	device(j, "lift2", "2号电梯", "elevator", "lifts");
	/* Up since October. */
	state(j, "tel", M0 - D, AV_UP, "");
	state(j, "mob", M0 - D, AV_UP, "");
	state(j, "lift1", M0 - D, AV_UP, "");
	state(j, "lift2", M0 - D, AV_UP, "");
	/* tel: a 240 s outage on day 3, confirmed after 3 s, acked at 60 s. */
	state(j, "tel", M0 + 2 * D, AV_DOWN, "no echo reply");
	note(j, OJ_CONFIRM, "tel", M0 + 2 * D, M0 + 2 * D + 3 * S, 0);
	note(j, OJ_ACK, "tel", M0 + 2 * D, M0 + 2 * D + 60 * S, 0);
	state(j, "tel", M0 + 2 * D + 240 * S, AV_UP, "");
	/* mob: 300 s down, reclassified as an external (carrier) fault. */
	state(j, "mob", M0 + 5 * D, AV_DOWN, "timeout");
	note(j, OJ_CONFIRM, "mob", M0 + 5 * D, M0 + 5 * D + 3 * S, 0);
	state(j, "mob", M0 + 5 * D + 300 * S, AV_UP, "");
	/* mob: a 2 s blip, never confirmed: reported, not charged. */
	state(j, "mob", M0 + 7 * D, AV_DOWN, "timeout");
	state(j, "mob", M0 + 7 * D + 2 * S, AV_UP, "");
	note(j, OJ_CLASSIFY, "mob", M0 + 5 * D, M0 + 6 * D, OJC_EXTERNAL);
	/* lift1: 2 h down, later declared planned; 1 h unknown (agent cut). */
	state(j, "lift1", M0 + 10 * D, AV_DOWN, "elevator fault");
	state(j, "lift1", M0 + 10 * D + 7200 * S, AV_UP, "");
	note(j, OJ_CLASSIFY, "lift1", M0 + 10 * D, M0 + 11 * D, OJC_PLANNED);
	state(j, "lift1", M0 + 20 * D, AV_UNKNOWN, "agent unreachable");
	state(j, "lift1", M0 + 20 * D + 3600 * S, AV_UP, "");
	/* lift2: down 36 h from day 15, inside a maintenance rule for 2 h. */
	state(j, "lift2", M0 + 15 * D, AV_DOWN, "fault");
	note(j, OJ_CONFIRM, "lift2", M0 + 15 * D, M0 + 15 * D + 30 * S, 0);
	state(j, "lift2", M0 + 15 * D + 36 * 3600 * S, AV_UP, "");
	assert_int_equal(oj_sync(j, err, sizeof(err)), 0);
	oj_close(j);

	/* Maintenance: lifts on the 16th, 00:00-02:00 Beijing time. */
	rules = calloc(1, sizeof(*rules));
	nrules = 1;
	fm_strlcpy(rules[0].id, "lift-service", sizeof(rules[0].id));
	rules[0].kind = MW_ONCE;
	rules[0].start_ms = M0 + 15 * D;
	rules[0].duration_ms = 7200 * S;
	rules[0].groups = calloc(1, sizeof(char *));
	rules[0].groups[0] = strdup("lifts");
	rules[0].ngroups = 1;

	aq_init(&q);
	assert_int_equal(aq_load(&q, path, err, sizeof(err)), 0);
	assert_int_equal(q.ndev, 4);
	assert_int_equal(q.nout, 5);
	assert_int_equal(aq_compute(&q, rules, nrules, t, 4, M0, M1, &dr, &gr,
	    &ng, &cr, &nc, &site), 0);

	r = find(dr, q.ndev, "tel");
	assert_int_equal(r->r.down_ms, 240 * S);
	assert_true(fabs(r->r.target - 0.999) < 1e-12);	/* device target */
	assert_int_equal(r->r.met, 1);
	assert_true(fabs(r->mttd_ms - 3000.0) < 0.5);
	assert_true(fabs(r->mtta_ms - 60000.0) < 0.5);
	assert_string_equal(r->name, "电信专线");

	r = find(dr, q.ndev, "mob");
	assert_int_equal(r->r.down_ms, 300 * S);
	assert_int_equal(r->blips, 1);
	assert_int_equal(r->r.outages, 1);
	assert_int_equal(r->external_ms, 300 * S);
	assert_int_equal(r->r.met, 0);		/* 300 s > 259.2 s */

	/* Its 2 h outage became planned; the group's window adds 2 h. */
	r = find(dr, q.ndev, "lift1");
	assert_int_equal(r->r.down_ms, 0);
	assert_int_equal(r->r.planned_ms, 4 * 3600 * S);
	assert_int_equal(r->r.planned_down_ms, 7200 * S);
	assert_int_equal(r->r.unknown_ms, 3600 * S);
	assert_int_equal(r->r.outages, 0);
	assert_true(fabs(r->r.coverage - (double)(30 * D - 3600 * S) /
	    (double)(30 * D)) < 1e-12);

	r = find(dr, q.ndev, "lift2");
	assert_int_equal(r->r.planned_ms, 7200 * S);
	assert_int_equal(r->r.planned_down_ms, 7200 * S);
	assert_int_equal(r->r.down_ms, 34 * 3600 * S);
	assert_int_equal(r->r.outages, 1);

	/* Groups: device time added up. */
	assert_int_equal(ng, 2);
	r = find(gr, ng, "lines");
	assert_int_equal(r->ndevices, 2);
	assert_int_equal(r->r.down_ms, 540 * S);
	assert_true(fabs(r->r.availability - (1.0 - 540.0 / (2 * 30 * 86400.0)))
	    < 1e-12);
	assert_int_equal(r->r.met, 0);	/* 540 s > 2 x 259.2 s */
	assert_int_equal(r->external_ms, 300 * S);
	r = find(gr, ng, "lifts");
	assert_int_equal(r->r.outages, 1);
	/* The class rate: up time of all elevators over their seen time. */
	assert_int_equal(nc, 2);
	r = find(cr, nc, "elevator");
	{
		double	 up = (double)(60 * D - 41 * 3600 * S);
		double	 seen = (double)(60 * D - 7 * 3600 * S);

		assert_true(fabs(r->r.availability - up / seen) < 1e-12);
	}
	assert_true(fabs(r->r.target - 0.95) < 1e-12);
	assert_int_equal(r->r.met, 1);
	assert_int_equal(site.ndevices, 4);
	assert_int_equal(site.r.outages, 3);
	assert_int_equal(site.r.period_ms, 4 * 30 * D);

	free(dr);
	free(gr);
	free(cr);
	/* Charged when asked: the blip is 2 s more down time. */
	q.charge_blips = 1;
	assert_int_equal(aq_compute(&q, rules, nrules, t, 4, M0, M1, &dr, &gr,
	    &ng, &cr, &nc, &site), 0);
	r = find(dr, q.ndev, "mob");
	assert_int_equal(r->r.down_ms, 302 * S);
	assert_int_equal(r->r.outages, 2);
	free(dr);
	free(gr);
	free(cr);
	aq_free(&q);
	mw_free_list(rules, nrules);
}

static void
lat(struct ojournal *j, const char *id, const char *check, int64_t at,
    uint32_t bound, uint32_t n, uint32_t ok)
{
	struct oj_rec r;
	char	 err[256];

	memset(&r, 0, sizeof(r));
	r.type = OJ_LATENCY;
	fm_strlcpy(r.device, id, sizeof(r.device));
	fm_strlcpy(r.check, check, sizeof(r.check));
	r.ts_ms = r.at_ms = at;
	r.span_ms = 300000;
	r.lat_ms = bound;
	r.lat_n = n;
	r.lat_ok = ok;
	assert_int_equal(oj_append(j, &r, err, sizeof(err)), 0);
}

/*
 * Latency counts survive the journal and are added up per indicator:
 * its bound, its period (by slice start), its devices and its checks.
 */
static void
test_latency(void **st)
{
	struct ojournal *j;
	struct oj_stats os;
	struct aq q;
	char	 err[256];
	char	*devs[] = { "web" }, *checks[] = { "http" };
	struct av_indicator a;
	uint64_t n, ok;

	(void)st;
	unlink(path);
	assert_int_equal(oj_open(path, &j, &os, err, sizeof(err)), 0);
	device(j, "web", "网上办事大厅", "web-system", "systems");
	device(j, "hotline", "12345", "web-system", "systems");
	lat(j, "web", "http", M0 - 300000, 800, 50, 0);	/* October */
	lat(j, "web", "http", M0, 800, 300, 299);
	lat(j, "web", "http", M0 + 3600000, 800, 300, 290);
	lat(j, "web", "http", M0 + 3600000, 500, 300, 100);	/* other bound */
	lat(j, "web", "dns", M0 + 3600000, 800, 300, 0);	/* other check */
	lat(j, "hotline", "http", M0 + 7200000, 800, 100, 100);
	lat(j, "web", "http", M1, 800, 50, 0);		/* December */
	oj_close(j);

	aq_init(&q);
	assert_int_equal(aq_load(&q, path, err, sizeof(err)), 0);
	memset(&a, 0, sizeof(a));
	a.metric = AVI_LATENCY_SHARE;
	a.latency_ms = 800;
	a.devices = devs;
	a.ndevices = 1;
	a.checks = checks;
	a.nchecks = 1;
	assert_int_equal(aq_latency(&q, &a, NULL, M0, M1, &n, &ok), 0);
	assert_int_equal(n, 600);
	assert_int_equal(ok, 589);
	a.nchecks = 0;				/* every check */
	assert_int_equal(aq_latency(&q, &a, NULL, M0, M1, &n, &ok), 0);
	assert_int_equal(n, 900);
	assert_int_equal(ok, 589);
	a.ndevices = 0;				/* the site */
	assert_int_equal(aq_latency(&q, &a, NULL, M0, M1, &n, &ok), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(ok, 689);
	assert_int_equal(aq_latency(&q, &a, aq_device(&q, "hotline"), M0, M1,
	    &n, &ok), 0);
	assert_int_equal(n, 100);
	a.latency_ms = 200;			/* nothing at that bound */
	assert_int_equal(aq_latency(&q, &a, NULL, M0, M1, &n, &ok), -1);
	assert_int_equal(n, 0);
	aq_free(&q);
}

/*
 * An outage seen down, then not seen (agent away), then seen down again
 * is one outage with a gap: confirmed before the gap, it is charged on
 * both sides, the gap is unknown, and the outage list and MTTR have it
 * once, from its first failed probe to its end.  Not confirmed on either
 * side, all of it is one blip, not charged.  Down, unseen, then up: the
 * outage is open while unseen and ends at the first up, which is where
 * MTTR runs to; the unseen part is unknown time, not down.  Down, then
 * unseen to the end of the data: the outage is still open, counted but
 * not ended.
 */
static void
test_gap(void **st)
{
	struct ojournal *j;
	struct oj_stats os;
	struct aq q;
	struct aq_row *dr, *gr, *cr, site;
	size_t	 ng, nc;
	char	 err[256];
	const struct aq_row *r;
	int64_t	 T = 0;

	(void)st;
	assert_int_equal(av_month_range(2026, 11, TZ_CN, &M0, &M1), 0);
	T = M0 + 86400 * S;
	unlink(path);
	assert_int_equal(oj_open(path, &j, &os, err, sizeof(err)), 0);
	device(j, "a", "a", "line", "lines");
	device(j, "b", "b", "line", "lines");
	device(j, "c", "c", "line", "lines");
	/* a: 7 s down, 8 s away, 4 s down: confirmed before the gap. */
	state(j, "a", M0, AV_UP, "ok");
	state(j, "a", T, AV_DOWN, "timeout");
	note(j, OJ_CONFIRM, "a", T, T + 5 * S, 0);
	state(j, "a", T + 7 * S, AV_UNKNOWN, "no result");
	state(j, "a", T + 15 * S, AV_DOWN, "timeout");
	state(j, "a", T + 19 * S, AV_UP, "ok");
	/* b: the same, never confirmed: a blip across the gap. */
	state(j, "b", M0, AV_UP, "ok");
	state(j, "b", T, AV_DOWN, "timeout");
	state(j, "b", T + 2 * S, AV_UNKNOWN, "no result");
	state(j, "b", T + 10 * S, AV_DOWN, "timeout");
	state(j, "b", T + 11 * S, AV_UP, "ok");
	/* c: down, confirmed, away, then seen up. */
	state(j, "c", M0, AV_UP, "ok");
	state(j, "c", T, AV_DOWN, "timeout");
	note(j, OJ_CONFIRM, "c", T, T + 3 * S, 0);
	state(j, "c", T + 6 * S, AV_UNKNOWN, "no result");
	state(j, "c", T + 60 * S, AV_UP, "ok");
	/* d: down, confirmed, away, and not seen since. */
	device(j, "d", "d", "line", "lines");
	state(j, "d", M0, AV_UP, "ok");
	state(j, "d", T, AV_DOWN, "timeout");
	note(j, OJ_CONFIRM, "d", T, T + 3 * S, 0);
	state(j, "d", T + 6 * S, AV_UNKNOWN, "no result");
	oj_close(j);

	aq_init(&q);
	assert_int_equal(aq_load(&q, path, err, sizeof(err)), 0);
	assert_int_equal(q.nout, 4);
	assert_int_equal(q.out[0].start_ms, T);
	assert_int_equal(q.out[0].end_ms, T + 19 * S);
	assert_int_equal(q.out[0].gap_ms, 8 * S);
	assert_int_equal(q.out[0].confirmed_ms, T + 5 * S);
	assert_int_equal(q.out[2].end_ms, T + 60 * S);
	assert_int_equal(q.out[2].gap_ms, 54 * S);
	/* Not seen since it was down: not over, whatever the clock says. */
	assert_int_equal(q.out[3].end_ms, 0);
	assert_int_equal(q.out[3].unseen_ms, T + 6 * S);
	assert_int_equal(aq_compute(&q, NULL, 0, NULL, 0, M0, M1, &dr, &gr,
	    &ng, &cr, &nc, &site), 0);

	r = find(dr, q.ndev, "a");
	assert_int_equal(r->r.down_ms, 11 * S);
	assert_int_equal(r->r.unknown_ms, 8 * S);
	assert_int_equal(r->r.outages, 1);
	assert_int_equal(r->r.outages_ended, 1);
	assert_true(fabs(r->r.mttr_ms - 19000.0) < 0.5);
	assert_int_equal(r->blips, 0);

	r = find(dr, q.ndev, "b");
	assert_int_equal(r->r.down_ms, 0);
	assert_int_equal(r->r.unknown_ms, 8 * S);
	assert_int_equal(r->blips, 1);

	r = find(dr, q.ndev, "c");
	assert_int_equal(r->r.down_ms, 6 * S);
	assert_int_equal(r->r.unknown_ms, 54 * S);
	assert_int_equal(r->r.outages, 1);
	assert_int_equal(r->r.outages_ended, 1);
	assert_true(fabs(r->r.mttr_ms - 60000.0) < 0.5);

	r = find(dr, q.ndev, "d");
	assert_int_equal(r->r.down_ms, 6 * S);
	assert_int_equal(r->r.outages, 1);
	assert_int_equal(r->r.outages_ended, 0);
	assert_true(isnan(r->r.mttr_ms));
	free(dr);
	free(gr);
	free(cr);
	aq_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_gap),
	};
	int	 rv;

	snprintf(path, sizeof(path), "/tmp/facmon-availq-test.%d",
	    (int)getpid());
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rv;
}
