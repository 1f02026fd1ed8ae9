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
 * CRC-32C eight bytes a step against the definition, a bit at a time:
 * frames, spools and journals written before must still check.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/common.h"

static uint32_t
bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	int	 k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

static void
test_check_value(void **state)
{
	(void)state;
	/* The catalogued check value of CRC-32C. */
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
}

static void
test_against_definition(void **state)
{
	uint8_t	 buf[300];
	uint32_t x = 2463534242u, c;
	size_t	 off, len, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	/* Every length and alignment the eight-byte steps can meet. */
	for (off = 0; off < 9; off++)
		for (len = 0; len + off <= sizeof(buf); len++)
			assert_int_equal(crc32c(0, buf + off, len),
			    bitwise(0, buf + off, len));
	/* Chained calls equal one call. */
	c = crc32c(0, buf, 13);
	assert_int_equal(crc32c(c, buf + 13, 200), crc32c(0, buf, 213));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_against_definition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
