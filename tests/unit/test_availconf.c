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
 * The 'availability:' group: a full good config read back field by
 * field, and bad configs each reported at the right file:line.
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

static char	 path[256];

static void
write_conf(const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good[] =
    "availability: {\n"					/* 1 */
    "  timezone = \"Asia/Shanghai\";\n"
    "  site = \"测试中心\"; site_en = \"Test centre\";\n"
    "  journal = \"/var/lib/facmon/outages\"; charge_blips = true;\n"
    "  targets = (\n"					/* 5 */
    "    { class = \"line\"; availability = 99.99; },\n"
    "    { group = \"lifts\"; availability = 95; },\n"
    "    { device = \"gov-web\"; availability = 99.9; }\n"
    "  );\n"
    "  maintenance = ( { id = \"m\"; weekly = \"Sun 02:00\"; "	/* 10 */
    "duration = \"1h\"; groups = [ \"lifts\" ]; } );\n"
    "  indicators = (\n"
    "    { id = \"net\"; level1 = \"项目完成指标\"; level2 = \"质量指标\";\n"
    "      level3 = \"网络运行、软件硬件\"; level3_en = \"Network\";\n"
    "      metric = \"availability\"; groups = [ \"lines\" ];\n"	/* 15 */
    "      target = 99.99; },\n"
    "    { id = \"mttr\"; level1 = \"a\"; level2 = \"b\"; level3 = \"c\";\n"
    "      metric = \"mttr\"; target = \"30m\"; },\n"
    "    { id = \"fault\"; level1 = \"a\"; level2 = \"b\"; level3 = \"c\";\n"
    "      metric = \"fault_time\"; target = \"24h\"; },\n"	/* 20 */
    "    { id = \"lat\"; level1 = \"a\"; level2 = \"b\"; level3 = \"c\";\n"
    "      metric = \"latency_share\"; latency = \"800ms\"; "
    "target = 95; compare = \">=\"; }\n"
    "  );\n"
    "  names = ( { group = \"lifts\"; name = \"电梯组\"; } );\n"
    "  signoff = { prepared = \"张工\"; };\n"
    "};\n";

static void
test_good(void **st)
{
	struct avconf c;
	struct cfgerr e;

	(void)st;
	write_conf(good);
	cfgerr_init(&e, path);
	if (avconf_load(path, &c, &e) == -1) {
		cfgerr_print(&e);
		fail();
	}
	assert_int_equal(e.n, 0);
	assert_string_equal(c.tz, "Asia/Shanghai");
	assert_string_equal(c.site[0], "测试中心");
	assert_string_equal(c.site[1], "Test centre");
	assert_string_equal(c.lang, "zh");
	assert_string_equal(c.journal, "/var/lib/facmon/outages");
	assert_int_equal(c.charge_blips, 1);
	assert_int_equal(c.ntargets, 3);
	assert_string_equal(c.targets[0].cls, "line");
	assert_true(fabs(c.targets[0].availability - 0.9999) < 1e-12);
	assert_string_equal(c.targets[1].group, "lifts");
	assert_true(fabs(c.targets[1].availability - 0.95) < 1e-12);
	assert_string_equal(c.targets[2].device, "gov-web");
	assert_int_equal(c.nrules, 1);
	assert_string_equal(c.rules[0].id, "m");
	assert_string_equal(c.rules[0].tz, "Asia/Shanghai");
	assert_int_equal(c.nind, 4);

	assert_string_equal(c.ind[0].level3[0], "网络运行、软件硬件");
	assert_string_equal(c.ind[0].level3[1], "Network");
	/* No English wording: the Chinese one. */
	assert_string_equal(c.ind[0].level1[1], "项目完成指标");
	assert_int_equal(c.ind[0].metric, AVI_AVAILABILITY);
	assert_int_equal(c.ind[0].cmp, AVI_GE);
	assert_true(fabs(c.ind[0].target - 0.9999) < 1e-12);
	assert_string_equal(c.ind[0].target_text[0], "≥99.99%");
	assert_int_equal(c.ind[0].ngroups, 1);
	assert_true(avi_covers(&c.ind[0], "x", "lines", "y"));
	assert_false(avi_covers(&c.ind[0], "x", "lifts", "y"));

	assert_int_equal(c.ind[1].metric, AVI_MTTR);
	assert_int_equal(c.ind[1].cmp, AVI_LT);	/* durations: below */
	assert_true(c.ind[1].target == 1800000.0);
	assert_string_equal(c.ind[1].target_text[0], "<30分钟");
	assert_string_equal(c.ind[1].target_text[1], "<30 min");
	assert_true(avi_covers(&c.ind[1], "any", "thing", "at all"));

	assert_true(c.ind[2].target == 86400000.0);
	assert_string_equal(c.ind[2].target_text[0], "<1天");

	assert_int_equal(c.ind[3].metric, AVI_LATENCY_SHARE);
	assert_true(c.ind[3].latency_ms == 800.0);
	assert_true(fabs(c.ind[3].target - 0.95) < 1e-12);

	assert_int_equal(avi_compare(AVI_GE, 0.9999, 0.9999), 1);
	assert_int_equal(avi_compare(AVI_GT, 0.9999, 0.9999), 0);
	assert_int_equal(avi_compare(AVI_LT, 1799999, 1800000), 1);
	assert_int_equal(avi_compare(AVI_LE, 1800001, 1800000), 0);
	assert_int_equal(avi_compare(AVI_LT, NAN, 1800000), -1);
	/* Display names: configured, else the wall's, else none. */
	assert_string_equal(avconf_name(&c, 0, "lifts", 0), "电梯组");
	assert_string_equal(avconf_name(&c, 0, "lifts", 1), "电梯组");
	assert_string_equal(avconf_name(&c, 0, "lines", 0), "专线");
	assert_string_equal(avconf_name(&c, 1, "switch", 1), "Switches");
	assert_null(avconf_name(&c, 1, "lines", 0));
	assert_string_equal(c.prepared, "张工");
	assert_string_equal(c.reviewed, "");
	avconf_free(&c);
	cfgerr_free(&e);
}

/* The collector's data_dir places the journal when none is given. */
static void
test_data_dir(void **st)
{
	struct avconf c;
	struct cfgerr e;

	(void)st;
	write_conf("collector: { data_dir = \"/srv/facmon\"; };\n"
	    "availability: { site = \"x\"; };\n");
	cfgerr_init(&e, path);
	assert_int_equal(avconf_load(path, &c, &e), 0);
	assert_string_equal(c.journal, "/srv/facmon/outages.fmoj");
	assert_int_equal(c.charge_blips, 0);
	assert_string_equal(c.tz, "Asia/Shanghai");
	assert_int_equal(c.nind, 0);
	avconf_free(&c);
	cfgerr_free(&e);
}

static int
has(const struct cfgerr *e, const char *want)
{
	int	 i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], want) != NULL)
			return 1;
	return 0;
}

static void
bad(const char *text, const char *want_line, const char *want_msg)
{
	struct avconf c;
	struct cfgerr e;
	char	 want[512];

	write_conf(text);
	cfgerr_init(&e, path);
	if (avconf_load(path, &c, &e) != -1)
		fail_msg("accepted: %s", text);
	snprintf(want, sizeof(want), "%s:%s: ", path, want_line);
	if (!has(&e, want) || !has(&e, want_msg)) {
		cfgerr_print(&e);
		fail_msg("expected %s%s", want, want_msg);
	}
	avconf_free(&c);
	cfgerr_free(&e);
}

static void
test_bad(void **st)
{
	(void)st;
	bad("availability: {\n site = \"x\";\n journal = \"/j\";\n"
	    " timezone = \"Mars/Olympus\";\n};\n", "4", "not in the zone");
	bad("availability: {\n site = \"x\";\n journal = \"/j\";\n"
	    " colour = 1;\n};\n", "4", "unknown setting 'colour'");
	bad("availability: {\n journal = \"/j\";\n};\n", "1",
	    "missing 'site'");
	bad("availability: {\n site = \"x\";\n};\n", "1",
	    "missing 'journal'");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " targets = (\n  { class = \"line\"; availability = 100.5; }\n"
	    " );\n};\n", "4", "at most 100");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " targets = (\n  { class = \"line\"; group = \"g\"; "
	    "availability = 99; }\n );\n};\n", "4", "exactly one of");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\";\n    metric = \"uptime\"; target = 99; }\n"
	    " );\n};\n", "5", "metric 'uptime'");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\";\n    metric = \"mttr\";\n    target = \"30 "
	    "parsecs\"; }\n );\n};\n", "6", "unknown unit");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\";\n    metric = \"availability\"; target = 99;\n"
	    "    compare = \"~\"; }\n );\n};\n", "6", "compare '~'");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level2 = \"2\"; level3 = \"3\";"
	    "\n    metric = \"availability\"; target = 99; }\n );\n};\n", "4",
	    "missing 'level1'");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\";\n    metric = \"availability\"; target = 99; "
	    "latency = \"1s\"; }\n );\n};\n", "5", "'latency' belongs");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\";\n    metric = \"availability\"; target = 99;\n"
	    "    groups = [ \"bad name\" ]; }\n );\n};\n", "6",
	    "entries must be ids");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " indicators = (\n  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\"; metric = \"mttr\"; target = 60; },\n"
	    "  { id = \"a\"; level1 = \"1\"; level2 = \"2\"; "
	    "level3 = \"3\"; metric = \"mttr\"; target = 60; }\n );\n};\n",
	    "5", "duplicate indicator id 'a'");
	/* Maintenance goes through mw_parse_list, errors and all. */
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " maintenance = (\n  { id = \"m\"; weekly = \"Someday 02:00\"; "
	    "duration = \"1h\"; groups = [ \"g\" ]; }\n );\n};\n", "4",
	    "unknown day");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " names = (\n  { group = \"g\"; class = \"c\"; name = \"n\"; }\n"
	    " );\n};\n", "4", "one 'group' or one 'class'");
	bad("availability: {\n site = \"x\"; journal = \"/j\";\n"
	    " signoff = { prepared = \"a\"; approved = \"b\"; };\n};\n", "3",
	    "unknown setting 'approved'");
	/* A syntax error, as libconfig reports it. */
	bad("availability: {\n site = \"x\";\n journal = ;\n};\n", "3",
	    "syntax error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_bad),
	};
	int	 rv;

	snprintf(path, sizeof(path), "/tmp/facmon-availconf-test.%d.conf",
	    (int)getpid());
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rv;
}
