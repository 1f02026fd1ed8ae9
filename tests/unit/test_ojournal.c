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
 * The outage journal: every record type round-trips, a torn tail cut at
 * any byte is detected and dropped (never misread), a corrupt record
 * ends the readable part, and appending after a crash continues cleanly.
 */

#include <sys/stat.h>

#include <fcntl.h>
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

#define NREC	6

static char	 path[256];

static void
sample(struct oj_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)(i % (OJ_TYPE_MAX - 1) + 1);
	r->ts_ms = 1795000000000LL + i;
	snprintf(r->device, sizeof(r->device), "lift-%d", i);
	snprintf(r->check, sizeof(r->check), "%s", i % 2 ? "http" : "");
	r->state = AV_DOWN;
	r->outcome = PR_TIMEOUT;
	r->at_ms = 1794999999000LL + i;
	r->confirmed_ms = r->at_ms + 3000;
	r->cls = OJC_EXTERNAL;
	snprintf(r->who, sizeof(r->who), "值班员%d", i);
	snprintf(r->text, sizeof(r->text), "电梯故障 %d", i);
	snprintf(r->dclass, sizeof(r->dclass), "elevator");
	snprintf(r->group, sizeof(r->group), "lifts");
	snprintf(r->parent, sizeof(r->parent), "gw-1");
}

/* What a record of its type keeps; the rest reads back as zero. */
static void
expect_equal(const struct oj_rec *a, int i)
{
	struct oj_rec w;

	sample(&w, i);
	assert_int_equal(a->type, w.type);
	assert_int_equal(a->ts_ms, w.ts_ms);
	assert_string_equal(a->device, w.device);
	assert_string_equal(a->check, w.check);
	switch (w.type) {
	case OJ_DEVICE:
		assert_string_equal(a->text, w.text);
		assert_string_equal(a->group, "lifts");
		assert_string_equal(a->parent, "gw-1");
		break;
	case OJ_STATE:
		assert_int_equal(a->state, AV_DOWN);
		assert_int_equal(a->outcome, PR_TIMEOUT);
		assert_int_equal(a->at_ms, w.at_ms);
		break;
	case OJ_CONFIRM:
		assert_int_equal(a->confirmed_ms, w.confirmed_ms);
		break;
	case OJ_CLASSIFY:
		assert_int_equal(a->cls, OJC_EXTERNAL);
		/* FALLTHROUGH */
	case OJ_ACK:
	case OJ_NOTE:
		assert_string_equal(a->who, w.who);
		assert_string_equal(a->text, w.text);
		break;
	}
}

struct collect {
	int	 n;
	struct oj_rec r[NREC + 2];
};

static int
collect_cb(const struct oj_rec *r, void *arg)
{
	struct collect *c = arg;

	if (c->n < NREC + 2)
		c->r[c->n] = *r;
	c->n++;
	return 0;
}

static off_t
write_all(void)
{
	struct ojournal *j;
	struct oj_stats st;
	struct oj_rec r;
	char	 err[256];
	int	 i;
	struct stat sb;

	unlink(path);
	assert_int_equal(oj_open(path, &j, &st, err, sizeof(err)), 0);
	for (i = 0; i < NREC; i++) {
		sample(&r, i);
		assert_int_equal(oj_append(j, &r, err, sizeof(err)), 0);
	}
	assert_int_equal(oj_sync(j, err, sizeof(err)), 0);
	oj_close(j);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static void
test_roundtrip(void **state)
{
	struct collect c;
	struct oj_stats st;
	char	 err[256];
	int	 i;

	(void)state;
	write_all();
	memset(&c, 0, sizeof(c));
	assert_int_equal(oj_read(path, collect_cb, &c, &st, err, sizeof(err)),
	    0);
	assert_int_equal(c.n, NREC);
	assert_int_equal(st.records, NREC);
	assert_int_equal(st.torn_bytes, 0);
	for (i = 0; i < NREC; i++)
		expect_equal(&c.r[i], i);
}

/* Cut the file at every byte of the last record. */
static void
test_torn_tail(void **state)
{
	struct collect c;
	struct oj_stats st;
	struct ojournal *j;
	struct oj_rec r;
	char	 err[256];
	off_t	 full = write_all(), cut, last_start;

	(void)state;
	/* Where the last record starts: read all but it. */
	memset(&c, 0, sizeof(c));
	oj_read(path, collect_cb, &c, &st, err, sizeof(err));
	last_start = 0;
	for (cut = full - 1; cut > 8; cut--) {
		int	 fd = open(path, O_RDWR);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, cut), 0);
		close(fd);
		memset(&c, 0, sizeof(c));
		assert_int_equal(oj_read(path, collect_cb, &c, &st, err,
		    sizeof(err)), 0);
		if (c.n == NREC - 1 && st.torn_bytes > 0) {
			last_start = cut - (off_t)st.torn_bytes;
			continue;
		}
		/* Past the last record's start: all earlier ones intact. */
		assert_int_equal(c.n, NREC - 1);
		assert_int_equal(st.torn_bytes, 0);
		break;
	}
	assert_true(last_start > 8);
	/* Torn again in the middle of the last record, then reopened. */
	full = write_all();
	{
		int	 fd = open(path, O_RDWR);

		assert_int_equal(ftruncate(fd, full - 3), 0);
		close(fd);
	}
	assert_int_equal(oj_open(path, &j, &st, err, sizeof(err)), 0);
	assert_int_equal(st.records, NREC - 1);
	assert_true(st.torn_bytes > 0);
	assert_non_null(strstr(st.torn_why, "offset"));
	sample(&r, NREC - 1);
	assert_int_equal(oj_append(j, &r, err, sizeof(err)), 0);
	oj_close(j);
	memset(&c, 0, sizeof(c));
	assert_int_equal(oj_read(path, collect_cb, &c, &st, err, sizeof(err)),
	    0);
	assert_int_equal(c.n, NREC);
	assert_int_equal(st.torn_bytes, 0);
	expect_equal(&c.r[NREC - 1], NREC - 1);
}

static void
test_corrupt_middle(void **state)
{
	struct collect c;
	struct oj_stats st;
	char	 err[256];
	int	 fd;
	uint8_t	 b;

	(void)state;
	write_all();
	/* Flip a byte inside the second record's payload. */
	fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, &b, 1, 8 + 8 + 60), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, 8 + 8 + 60), 1);
	close(fd);
	memset(&c, 0, sizeof(c));
	assert_int_equal(oj_read(path, collect_cb, &c, &st, err, sizeof(err)),
	    0);
	assert_true(c.n < NREC);
	assert_true(st.torn_bytes > 0);
	for (int i = 0; i < c.n; i++)
		expect_equal(&c.r[i], i);
}

static void
test_not_a_journal(void **state)
{
	struct oj_stats st;
	struct ojournal *j;
	char	 err[256];
	int	 fd;

	(void)state;
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "hello world\n", 12), 12);
	close(fd);
	assert_int_equal(oj_read(path, NULL, NULL, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a facmon outage journal"));
	assert_int_equal(oj_open(path, &j, &st, err, sizeof(err)), -1);
	assert_int_equal(oj_read("/nonexistent/x", NULL, NULL, &st, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_not_a_journal),
	};
	int	 rv;

	snprintf(path, sizeof(path), "/tmp/facmon-ojournal-test.%d",
	    (int)getpid());
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rv;
}
