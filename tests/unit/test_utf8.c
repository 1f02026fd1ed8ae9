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
 * Text at the edges: the one UTF-8 validator, its repair and log
 * sanitiser, the HTML emitter, the wire decoder's repair of a GBK
 * device name, and periods whose arithmetic would overflow.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/common.h"
#include "../../common/wire.h"
#include "../../avail/avail.h"

/* "电梯" in GBK: valid in a Chinese code page, not UTF-8. */
static const char gbk[] = "\xb5\xe7\xcc\xdd";

static void
test_validator(void **state)
{
	(void)state;
	assert_true(fm_utf8_valid("plain", 5));
	assert_true(fm_utf8_valid("电梯 3 号", strlen("电梯 3 号")));
	assert_true(fm_utf8_valid("\xf0\x9f\x9b\x97", 4));	/* U+1F6D7 */
	assert_false(fm_utf8_valid(gbk, 4));
	assert_false(fm_utf8_valid("\xc0\xaf", 2));		/* overlong '/' */
	assert_false(fm_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(fm_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(fm_utf8_valid("\xe7\x94", 2));		/* cut short */
	assert_false(fm_utf8_valid("a\0b", 3));
	assert_int_equal(fm_utf8_len((const unsigned char *)"\xe7\x94\xb5", 2),
	    0);
	assert_int_equal(fm_utf8_len((const unsigned char *)"\xe7\x94\xb5", 3),
	    3);
}

static void
test_repair_and_sanitize(void **state)
{
	char	 s[32], out[64];

	(void)state;
	snprintf(s, sizeof(s), "lift %s 3", gbk);
	assert_int_equal(fm_utf8_repair(s), 4);
	assert_string_equal(s, "lift ???? 3");
	strcpy(s, "电梯");
	assert_int_equal(fm_utf8_repair(s), 0);
	assert_string_equal(s, "电梯");

	/* A newline in a user name cannot start a log line of its own. */
	fm_text_sanitize(out, sizeof(out), "root\nfacmon: login ok",
	    strlen("root\nfacmon: login ok"));
	assert_string_equal(out, "root\\x0afacmon: login ok");
	fm_text_sanitize(out, sizeof(out), gbk, 4);
	assert_string_equal(out, "\\xb5\\xe7\\xcc\\xdd");
	fm_text_sanitize(out, sizeof(out), "\x1b[2J电梯", strlen("\x1b[2J电梯"));
	assert_string_equal(out, "\\x1b[2J电梯");
	/* Cut on a character boundary, always terminated. */
	fm_text_sanitize(out, 5, "电梯", strlen("电梯"));
	assert_string_equal(out, "电");
}

static void
test_html(void **state)
{
	struct sbuf b;

	(void)state;
	memset(&b, 0, sizeof(b));
	sb_puts(&b, "");
	sb_html(&b, "<b>电梯</b>\xb5");
	assert_false(b.err);
	assert_string_equal(b.p, "&lt;b&gt;电梯&lt;/b&gt;\xef\xbf\xbd");
	free(b.p);
}

static void
test_wire_repairs_names(void **state)
{
	struct fm_checkinfo ck = { "ping", CT_ICMP, 5000, 1000, 1 };
	struct fm_devinfo d = { .id = "lift-3", .class = "elevator",
	    .group = "lifts", .address = "127.0.0.5", .nchecks = 1,
	    .checks = &ck };
	struct fm_devices ds;
	struct wbuf w;
	struct fm_hdr hd;
	uint64_t before = fm_wire_text_repaired;
	char	 err[256];

	(void)state;
	snprintf(d.name, sizeof(d.name), "%s 3", gbk);
	wbuf_init(&w);
	fm_put_devices(&w, &d, 1);
	assert_int_equal(fm_frame_parse(w.p, w.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_devices(w.p + FM_HDR_LEN, hd.len, &ds, err,
	    sizeof(err)), 0);
	assert_string_equal(ds.d[0].name, "???? 3");
	assert_int_equal(fm_wire_text_repaired - before, 4);
	fm_devices_free(&ds);
	wbuf_free(&w);
}

static void
test_period_range(void **state)
{
	struct av_result r;

	(void)state;
	assert_int_equal(av_compute(NULL, 0, NULL, 0, INT64_MIN,
	    1795000000000LL, 0.9999, &r), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(av_compute(NULL, 0, NULL, 0, 0, INT64_MAX, 0.9999,
	    &r), -1);
	assert_int_equal(av_compute(NULL, 0, NULL, 0, 1795000000000LL,
	    1795000060000LL, 0.9999, &r), 0);
	assert_int_equal(r.period_ms, 60000);
}

/*
 * Row labels as value names: readable for the usual interface names,
 * never a '.', and one-to-one.  Every string of up to four characters
 * over an alphabet of the troublesome ones ('_' beside its escape's
 * digits, '/', '.', a space, a GBK byte) gives its own name.
 */
static int
strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_label_name(void **state)
{
	static const char alpha[] = "_/. 5f\xb5";
	const size_t na = sizeof(alpha) - 1;
	char	 out[64], src[8], **names;
	size_t	 n = 0, cap = 0, len, k, i;

	(void)state;
	assert_int_equal(fm_label_name(out, sizeof(out),
	    "GigabitEthernet0/0/1"), 0);
	assert_string_equal(out, "GigabitEthernet0/0/1");
	fm_label_name(out, sizeof(out), "Eth-Trunk1");
	assert_string_equal(out, "Eth-Trunk1");
	fm_label_name(out, sizeof(out), "Gi1/0/1.100");
	assert_string_equal(out, "Gi1/0/1_2e100");
	fm_label_name(out, sizeof(out), "lo_0");
	assert_string_equal(out, "lo_5f0");
	fm_label_name(out, sizeof(out), "\xb5\xe7");
	assert_string_equal(out, "_b5_e7");
	/* Cut whole: never half an escape. */
	assert_int_equal(fm_label_name(out, 6, "ab.cd"), -1);
	assert_string_equal(out, "ab_2e");
	assert_int_equal(fm_label_name(out, 5, "ab.cd"), -1);
	assert_string_equal(out, "ab");

	for (cap = 1, len = 0; len < 4; len++)
		cap = cap * na + 1;
	names = calloc(cap + 1, sizeof(*names));
	assert_non_null(names);
	for (len = 0; len <= 4; len++) {
		size_t	 total = 1, c;

		for (k = 0; k < len; k++)
			total *= na;
		for (c = 0; c < total; c++) {
			size_t	 x = c;

			for (k = 0; k < len; k++, x /= na)
				src[k] = alpha[x % na];
			src[len] = '\0';
			assert_int_equal(fm_label_name(out, sizeof(out), src),
			    0);
			assert_null(strchr(out, '.'));
			names[n++] = strdup(out);
		}
	}
	qsort(names, n, sizeof(*names), strcmp_p);
	for (i = 1; i < n; i++)
		assert_string_not_equal(names[i - 1], names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator),
		cmocka_unit_test(test_repair_and_sanitize),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_wire_repairs_names),
		cmocka_unit_test(test_period_range),
		cmocka_unit_test(test_label_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
