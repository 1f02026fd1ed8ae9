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

/* Counter deltas across 32-bit wraps and device restarts. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../common/common.h"

static void
test_plain(void **state)
{
	uint64_t d;

	(void)state;
	assert_int_equal(counter_delta(100, 250, 32, &d), 0);
	assert_int_equal(d, 150);
	assert_int_equal(counter_delta(5, 5, 64, &d), 0);
	assert_int_equal(d, 0);
}

static void
test_wrap32(void **state)
{
	uint64_t d;

	(void)state;
	/* 4294967290 -> 10 is 16 octets across the wrap. */
	assert_int_equal(counter_delta(4294967290ULL, 10, 32, &d), 0);
	assert_int_equal(d, 16);
	assert_int_equal(counter_delta(UINT32_MAX, 0, 32, &d), 0);
	assert_int_equal(d, 1);
}

static void
test_reset(void **state)
{
	uint64_t d;

	(void)state;
	/* A big drop is a restart, not a wrap: no delta at all. */
	assert_int_equal(counter_delta(3000000000ULL, 200000000ULL, 32, &d) ==
	    0 && d < (1ULL << 31), 1);
	assert_int_equal(counter_delta(1000000, 5, 32, &d), -1);
	/* A 64-bit counter never wraps in practice: going down is a reset. */
	assert_int_equal(counter_delta(1000, 999, 64, &d), -1);
	assert_int_equal(counter_delta(UINT64_MAX, 0, 64, &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_wrap32),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
