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

/* The outcome and type string tables: complete, unique, round-tripping. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/common.h"

static void
test_outcomes(void **state)
{
	int	 i, j;

	(void)state;
	for (i = 0; i < PR_MAX; i++) {
		const char *n = probe_result_name(i);

		assert_non_null(n);
		assert_string_not_equal(n, "invalid");
		assert_int_equal(probe_result_parse(n), i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, probe_result_name(j));
	}
	assert_string_equal(probe_result_name(PR_MAX), "invalid");
	assert_string_equal(probe_result_name(-1), "invalid");
	assert_int_equal(probe_result_parse("nonsense"), -1);
	assert_true(probe_result_is_up(PR_OK));
	for (i = 1; i < PR_MAX; i++)
		assert_false(probe_result_is_up(i));
	assert_true(probe_result_is_unknown(PR_INTERNAL));
	assert_false(probe_result_is_unknown(PR_TIMEOUT));
}

static void
test_types(void **state)
{
	int	 i;

	(void)state;
	for (i = 1; i < CT_MAX; i++)
		assert_int_equal(check_type_parse(check_type_name(i)), i);
	assert_int_equal(check_type_parse("https"), CT_HTTP);
	assert_int_equal(check_type_parse("smtp"), -1);
	assert_string_equal(check_type_name(0), "invalid");
	for (i = 1; i < VK_MAX; i++)
		assert_string_not_equal(value_kind_name(i), "invalid");
}

static void
test_ids(void **state)
{
	char	 buf[16];

	(void)state;
	assert_true(fm_valid_id("core-sw.1_a"));
	assert_false(fm_valid_id(""));
	assert_false(fm_valid_id(".."));
	assert_false(fm_valid_id("a/b"));
	assert_false(fm_valid_id("电梯"));
	fm_sanitize_name(buf, sizeof(buf), "../etc/passwd");
	assert_null(strchr(buf, '/'));
	assert_true(buf[0] != '.');
	fm_sanitize_name(buf, sizeof(buf), "");
	assert_string_equal(buf, "_");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
