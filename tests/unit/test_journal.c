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
 * The collector's ingest journal (collector/ingest/journal.c) on a real
 * directory and a real event loop: records are reported durable only
 * once written, a disk that refuses writes raises the storage alarm and
 * holds every ticket back while the write is retried on a timer, what
 * piled up meanwhile is written by one group commit when the disk takes
 * it again, journal_close writes what is queued, and what it cannot
 * write (the disk still failing) is dropped unacknowledged.  The failing
 * disk is the kernel's own: RLIMIT_FSIZE set to the segment's length, so
 * that the next write fails with EFBIG as a full disk fails with ENOSPC.
 */

#include <sys/resource.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../collector/ingest/ingest.h"

#define BODY	64

static uint64_t	 last_durable;	/* from the durable callback */
static uint64_t	 ceiling;	/* no durable ticket may pass it; 0: none */
static int	 seen_failing;	/* the callback saw the alarm */
static char	 dir[] = "/tmp/facmon-test-journal-XXXXXX";
static struct rlimit saved_fsize;

static void
durable_cb(uint64_t t)
{
	if (ceiling != 0)
		assert_true(t <= ceiling);
	if (t > last_durable)
		last_durable = t;
	if (journal_failing())
		seen_failing = 1;
}

/* Replay: every record is ours, in order, each once. */
struct seen {
	uint64_t	 n;
};

static void
replay_cb(uint8_t type, const char *agent, int64_t rx_ms,
    const uint8_t *body, size_t len, void *arg)
{
	struct seen *s = arg;
	uint64_t seq = 0;
	size_t	 i;

	(void)rx_ms;
	assert_int_equal(type, JR_BATCH);
	assert_string_equal(agent, "lobby-1");
	assert_int_equal(len, BODY);
	for (i = 0; i < 8; i++)
		seq = seq << 8 | body[i];
	assert_int_equal(seq, s->n);
	s->n++;
}

static uint64_t
append(uint64_t seq, int rotate)
{
	uint8_t	 body[BODY];
	uint64_t t;
	int	 i;

	memset(body, 0xa5, sizeof(body));
	for (i = 0; i < 8; i++)
		body[i] = (uint8_t)(seq >> (56 - 8 * i));
	t = journal_append(JR_BATCH, "lobby-1", now_ms(), body, sizeof(body),
	    rotate);
	assert_true(t != 0);
	return t;
}

/* Turn the loop until cond() holds, at most ten seconds. */
static int
loop_until(struct event_base *base, int (*cond)(void))
{
	int64_t	 end = mono_ms() + 10000;

	while (!cond() && mono_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return cond();
}

static uint64_t	 want_ticket;

static int
all_durable(void)
{
	return last_durable >= want_ticket;
}

static int
alarm_seen(void)
{
	return seen_failing;
}

static int
retried(void)
{
	struct journal_stats st;

	journal_get_stats(&st);
	return st.write_errors >= 2;
}

/* The length of the newest segment, the one being written. */
static off_t
newest_size(void)
{
	char	 jdir[sizeof(dir) + 16], path[sizeof(jdir) + 300],
		 best[256] = "";
	struct dirent *de;
	struct stat sb;
	DIR	*d;

	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	assert_non_null(d = opendir(jdir));
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".fmj") != NULL &&
		    strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	assert_true(best[0] != '\0');
	snprintf(path, sizeof(path), "%s/%s", jdir, best);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

/* The disk refuses to grow the segment: the next write fails. */
static void
disk_fails(void)
{
	struct rlimit rl = saved_fsize;

	rl.rlim_cur = (rlim_t)newest_size();
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void
disk_ok(void)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
}

static void
open_replay(struct event_base *base, uint64_t want)
{
	char	 err[256];
	struct seen s = { 0 };

	assert_int_equal(journal_open(base, dir, durable_cb, err,
	    sizeof(err)), 0);
	assert_true(journal_replay(replay_cb, &s, err, sizeof(err)) >= 0);
	assert_int_equal(s.n, want);
}

static void
test_group_commit_alarm_and_close(void **unused)
{
	struct event_base *base = event_base_new();
	struct journal_stats st, before;
	char	 err[256], cmd[sizeof(dir) + 16];
	uint64_t seq, t = 0;

	(void)unused;
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
	/* Past the limit write() fails with EFBIG instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);

	/* A burst, with a new segment half way: all durable, in order. */
	open_replay(base, 0);
	assert_int_equal(journal_start(err, sizeof(err)), 0);
	for (seq = 0; seq < 100; seq++)
		t = append(seq, seq == 50);
	want_ticket = t;
	assert_true(loop_until(base, all_durable));
	journal_get_stats(&st);
	assert_int_equal(st.records, 100);
	assert_int_equal(st.appended, 100);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.pending_bytes, 0);
	assert_int_equal(st.durable_ticket, t);
	assert_true(st.fsyncs >= 1 && st.fsyncs <= 100);
	assert_int_equal(st.failing, 0);

	/*
	 * The disk fails: the alarm goes up, nothing more is reported
	 * durable, and the write is tried again on its timer with no
	 * append to prompt it.
	 */
	ceiling = t;
	before = st;
	disk_fails();
	for (; seq < 150; seq++)
		t = append(seq, 0);
	assert_true(loop_until(base, alarm_seen));
	assert_true(loop_until(base, retried));
	journal_get_stats(&st);
	assert_int_equal(st.failing, 1);
	assert_int_equal(st.last_errno, EFBIG);
	assert_int_equal(st.records, 100);
	assert_int_equal(st.durable_ticket, ceiling);
	assert_true(st.pending_bytes > 0);
	assert_int_equal(last_durable, ceiling);

	/* It takes the writes again: one group commit for the fifty. */
	disk_ok();
	ceiling = 0;
	want_ticket = t;
	assert_true(loop_until(base, all_durable));
	journal_get_stats(&st);
	assert_int_equal(st.failing, 0);
	assert_int_equal(journal_failing(), 0);
	assert_int_equal(st.records, 150);
	assert_int_equal(st.fsyncs, before.fsyncs + 1);
	assert_int_equal(st.pending_bytes, 0);

	/* Queued and never run by the loop: journal_close writes them. */
	for (; seq < 160; seq++)
		append(seq, 0);
	journal_close();
	journal_get_stats(&st);
	assert_int_equal(st.records, 160);
	assert_int_equal(st.pending_bytes, 0);

	/*
	 * Next start: all 160 come back.  Then the disk fails with records
	 * queued, and journal_close cannot write them: they were never
	 * acknowledged, and the start after does not see them.
	 */
	open_replay(base, 160);
	assert_int_equal(journal_start(err, sizeof(err)), 0);
	seen_failing = 0;
	disk_fails();
	for (; seq < 165; seq++)
		append(seq, 0);
	assert_true(loop_until(base, alarm_seen));
	journal_close();
	disk_ok();
	journal_get_stats(&st);
	assert_int_equal(st.records, 160);
	open_replay(base, 160);
	journal_close();

	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit_alarm_and_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
