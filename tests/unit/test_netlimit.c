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
 * What the listeners share (collector/netlimit.c): the rate limit of the
 * lines peers can cause, the listeners' shares of RLIMIT_NOFILE and the
 * descriptor reserve; and the availability count of a check, which
 * counts a result resent under another session once (collector/state.c).
 */

#include <sys/resource.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/state/state.h"

static void
test_ratelim(void **unused)
{
	struct ratelim r;
	uint64_t held = 99;
	int	 i, passed = 0;

	(void)unused;
	memset(&r, 0, sizeof(r));
	/* The first line goes out at once, with nothing held. */
	assert_int_equal(ratelim_pass(&r, 1000, 60000, &held), 1);
	assert_int_equal(held, 0);
	/* A thousand more within the interval: none, all counted. */
	for (i = 0; i < 1000; i++)
		passed += ratelim_pass(&r, 1001 + i, 60000, &held);
	assert_int_equal(passed, 0);
	/* The next one after the interval says how many were held. */
	assert_int_equal(ratelim_pass(&r, 61000, 60000, &held), 1);
	assert_int_equal(held, 1000);
	assert_int_equal(ratelim_pass(&r, 61001, 60000, &held), 0);
}

static void
test_shares_and_reserve(void **unused)
{
	struct netlimit_stats ns;
	struct rlimit old, rl;

	(void)unused;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	netlimit_init(NULL, 64, 256, 256);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	netlimit_get_stats(&ns);
	assert_int_equal(ns.nofile, 256);
	/* 256 less what is open less the reserve: under 192 for both. */
	assert_true(ns.budget > 100 && ns.budget < 192);
	assert_int_equal(netlimit_cap(NL_AGENT, 256) +
	    netlimit_cap(NL_HTTP, 256), (int)ns.budget);
	/* Equal configurations, equal shares (to one descriptor). */
	assert_true(abs(netlimit_cap(NL_AGENT, 256) -
	    netlimit_cap(NL_HTTP, 256)) <= 1);
	/* A configured value under the share is kept. */
	assert_int_equal(netlimit_cap(NL_HTTP, 10), 10);
	/* Descriptors at the reserve are refused, below it kept. */
	assert_int_equal(netlimit_fd_ok(256 - 64 - 1), 1);
	assert_int_equal(netlimit_fd_ok(256 - 64), 0);
	netlimit_get_stats(&ns);
	assert_int_equal(ns.refused_reserve, 1);
	netlimit_stop();
}

static int
apply(const char *check, int outcome, int64_t ts)
{
	struct fm_result r;

	memset(&r, 0, sizeof(r));
	fm_strlcpy(r.device, "sw1", sizeof(r.device));
	fm_strlcpy(r.check, check, sizeof(r.check));
	r.type = CT_ICMP;
	r.outcome = (uint8_t)outcome;
	r.ts_ms = ts;
	return state_apply_result("a1", &r, 1);
}

static void
test_resent_results_count_once(void **unused)
{
	struct fm_devices ds;
	const struct check_state *c;
	int64_t	 t0 = 1800000000000LL;
	int	 i;

	(void)unused;
	state_init();
	memset(&ds, 0, sizeof(ds));
	ds.n = 1;
	ds.d = calloc(1, sizeof(*ds.d));
	assert_non_null(ds.d);
	fm_strlcpy(ds.d[0].id, "sw1", sizeof(ds.d[0].id));
	fm_strlcpy(ds.d[0].class, "switch", sizeof(ds.d[0].class));
	fm_strlcpy(ds.d[0].group, "core", sizeof(ds.d[0].group));
	ds.d[0].nchecks = 1;
	ds.d[0].checks = calloc(1, sizeof(*ds.d[0].checks));
	assert_non_null(ds.d[0].checks);
	fm_strlcpy(ds.d[0].checks[0].id, "ping", sizeof(ds.d[0].checks[0].id));
	ds.d[0].checks[0].type = CT_ICMP;
	ds.d[0].checks[0].interval_ms = 10000;
	ds.d[0].checks[0].timeout_ms = 2000;
	state_set_devices("a1", &ds, t0);
	fm_devices_free(&ds);

	for (i = 0; i < 5; i++)
		assert_int_equal(apply("ping", PR_OK, t0 + i * 10000),
		    SA_APPLIED);
	/* The same five again, as under a new session: none counts. */
	for (i = 0; i < 5; i++)
		apply("ping", PR_OK, t0 + i * 10000);
	/* A late result of a time not seen counts, out of order. */
	assert_int_equal(apply("ping", PR_OK, t0 + 5000), SA_OUT_OF_ORDER);
	c = state_find_check("a1", "sw1", "ping");
	assert_non_null(c);
	assert_int_equal(c->nresults, 6);
	assert_int_equal(c->nresults_up, 6);
	assert_int_equal(c->state, OS_UP);
	{
		struct state_stats ss;

		state_get_stats(&ss);
		assert_int_equal(ss.results_duplicate, 5);
	}
	state_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelim),
		cmocka_unit_test(test_shares_and_reserve),
		cmocka_unit_test(test_resent_results_count_once),
	};

	log_init("test_netlimit", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
