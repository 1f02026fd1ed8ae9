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
 * fm_fmt_g15 against snprintf "%.15g" itself: the same bytes for every
 * value tried, since RRD stores what the text says.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/common.h"

static uint64_t rng = 88172645463325252ULL;

/* xorshift64: a fixed sequence, so that a failure can be reproduced. */
static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
same(double v)
{
	char	 want[64], have[FM_G15_MAX];
	size_t	 n;

	snprintf(want, sizeof(want), "%.15g", v);
	n = fm_fmt_g15(have, v);
	if (strcmp(want, have) != 0 || n != strlen(want))
		fail_msg("%a: snprintf \"%s\", fm_fmt_g15 \"%s\" (%zu)", v,
		    want, have, n);
}

static void
test_edges(void **state)
{
	static const double v[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.0001,
		0.00009999999999999999, 0.0001000000000000001, 1e14, 1e15,
		999999999999999.0, 999999999999999.9, 99999999999999.99,
		123456789012345.6, 0.30000000000000004, 1.0 / 3, 2.0 / 3,
		12345.5, 1e-5, 1e300, -1e-300, 4294967295.0, 1e100,
		9.999999999999995, 9.9999999999999995, 0.000123456789012345 };
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		same(v[i]);
	same(NAN);
	same(-NAN);
	same(INFINITY);
	same(-INFINITY);
}

static void
test_random_bits(void **state)
{
	uint64_t b;
	double	 v;
	int	 i;

	(void)state;
	/* Doubles of every exponent near the fast path's range. */
	for (i = 0; i < 300000; i++) {
		b = next();
		b = (b & 0x800fffffffffffffULL) |
		    ((uint64_t)(1023 - 20 + (int)(next() % 75)) << 52);
		memcpy(&v, &b, sizeof(v));
		same(v);
	}
}

static void
test_measured_values(void **state)
{
	uint64_t a, b;
	int	 i, j;

	(void)state;
	/*
	 * What agents send: integers, counter rates (a delta over an
	 * interval in ms), decimal fractions with few digits.
	 */
	for (i = 0; i < 200000; i++) {
		a = next() % 100000000000ULL;
		b = 1 + next() % 3600000;
		same((double)a);
		same((double)a * 1000.0 / (double)b);
		same((double)(a % 100000) / 100.0);
		same(-(double)(a % 1000000) / 1000.0);
	}
	/* Values near a half in the 15th digit. */
	for (i = 0; i < 20000; i++)
		for (j = -4; j < 15; j++)
			same((double)((next() % 900000000000000ULL) +
			    100000000000000ULL) * pow(10, j - 14) +
			    5 * pow(10, j - 15));
}

static void
test_u64(void **state)
{
	char	 want[32], have[32];
	uint64_t u;
	int	 i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		u = next() >> (next() % 64);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)u);
		assert_int_equal(fm_fmt_u64(have, u), strlen(want));
		assert_string_equal(have, want);
	}
	assert_int_equal(fm_fmt_u64(have, 0), 1);
	assert_string_equal(have, "0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_bits),
		cmocka_unit_test(test_measured_values),
		cmocka_unit_test(test_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
