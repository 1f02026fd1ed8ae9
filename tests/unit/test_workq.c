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
 * The work queue every thread of the collector and the agent runs on:
 * order, timed jobs, kicks that coalesce, submitting from a job, and the
 * two ways to stop, each job's done() called exactly once.  The loop is
 * a real libevent base, run until the jobs under test are done.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "../../common/common.h"
#include "../../common/workq.h"

#define NJOBS	64

struct tjob {
	struct wjob	 w;
	int		 id;
	int		 runs;
	int		 dones;
	int		 cancelled;
	int64_t		 ran_ms;
};

static int	 order[NJOBS * 4];
static int	 norder;
static int	 ndone;
static struct workq *resubq;

static void
t_run(struct wjob *w)
{
	struct tjob *t = w->arg;

	t->runs++;
	t->ran_ms = mono_ms();
	order[norder++] = t->id;	/* one thread runs them */
}

static void
t_done(struct wjob *w)
{
	struct tjob *t = w->arg;

	t->dones++;
	if (w->cancelled)
		t->cancelled++;
	ndone++;
}

static void
init(struct tjob *t, int id)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->w.run = t_run;
	t->w.done = t_done;
	t->w.arg = t;
}

/* Turn the loop until want done() calls have come, at most ten seconds. */
static void
loop_until(struct event_base *base, int want)
{
	int64_t	 end = mono_ms() + 10000;

	while (ndone < want && mono_ms() < end)
	{
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static struct workq *
newq(struct event_base *base)
{
	char	 err[256];
	struct workq *q;

	q = workq_new(base, "test", err, sizeof(err));
	assert_non_null(q);
	norder = ndone = 0;
	return q;
}

static void
test_order(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct tjob j[NJOBS];
	int	 i;

	(void)state;
	for (i = 0; i < NJOBS; i++) {
		init(&j[i], i);
		workq_submit(q, &j[i].w);
	}
	loop_until(base, NJOBS);
	assert_int_equal(ndone, NJOBS);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(j[i].dones, 1);
	}
	assert_int_equal(workq_pending(q), 0);
	workq_free(q, WQ_DRAIN);
	event_base_free(base);
}

/* Timed jobs run by their time, after what is due now, never early. */
static void
test_timed(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct tjob a, b, c;
	int64_t	 t0 = mono_ms();

	(void)state;
	init(&a, 1);
	init(&b, 2);
	init(&c, 3);
	workq_submit_at(q, &a.w, t0 + 200);
	workq_submit_at(q, &b.w, t0 + 100);
	workq_submit(q, &c.w);
	loop_until(base, 3);
	assert_int_equal(ndone, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
	assert_true(b.ran_ms >= t0 + 100);
	assert_true(a.ran_ms >= t0 + 200);
	workq_free(q, WQ_DRAIN);
	event_base_free(base);
}

static int	 gate, started;

static void
slow_run(struct wjob *w)
{
	int64_t	 end = mono_ms() + 10000;

	__atomic_store_n(&started, 1, __ATOMIC_RELEASE);
	/* Hold the thread until the test has kicked the other job. */
	while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE) && mono_ms() < end)
		usleep(1000);
	t_run(w);
}

static void
wait_flag(int *flag)
{
	int64_t	 end = mono_ms() + 10000;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && mono_ms() < end)
		usleep(1000);
}

/*
 * A kick while the job waits does nothing; a kick while it runs queues
 * it once more (what came during the run is taken by the next).
 */
static void
test_kick(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct tjob hold, k;

	(void)state;
	init(&hold, 0);
	hold.w.run = slow_run;
	init(&k, 1);
	gate = 0;
	workq_submit(q, &hold.w);
	assert_int_equal(workq_kick(q, &k.w), 1);
	assert_int_equal(workq_kick(q, &k.w), 0);
	assert_int_equal(workq_kick(q, &k.w), 0);
	assert_true(workq_busy(q, &k.w));
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	loop_until(base, 2);
	assert_int_equal(k.runs, 1);
	assert_int_equal(k.dones, 1);
	assert_false(workq_busy(q, &k.w));

	/* Kicked while running: runs again. */
	gate = started = 0;
	k.w.run = slow_run;
	assert_int_equal(workq_kick(q, &k.w), 1);
	wait_flag(&started);
	assert_int_equal(workq_kick(q, &k.w), 1);
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	{
		int64_t	 end = mono_ms() + 10000;

		while (workq_busy(q, &k.w) && mono_ms() < end) {
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			usleep(1000);
		}
	}
	/* Two more runs; one done() for each, or one for both. */
	assert_int_equal(k.runs, 3);
	assert_true(k.dones >= 2 && k.dones <= 3);
	assert_int_equal(workq_pending(q), 0);

	/* Submitted again while it waits: once, at the earlier time. */
	init(&k, 3);
	norder = ndone = 0;
	workq_submit_at(q, &k.w, mono_ms() + 3600 * 1000);
	workq_submit_at(q, &k.w, mono_ms() + 1000);
	workq_submit_at(q, &k.w, mono_ms() + 3600 * 1000);
	/* Brought forward; once it has begun, a submit would queue it again. */
	workq_submit(q, &k.w);
	loop_until(base, 1);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(k.runs, 1);
	assert_int_equal(k.dones, 1);
	assert_int_equal(workq_pending(q), 0);

	/* A kick brings a timed job forward. */
	init(&k, 2);
	norder = ndone = 0;
	workq_submit_at(q, &k.w, mono_ms() + 3600 * 1000);
	assert_int_equal(workq_kick(q, &k.w), 0);
	loop_until(base, 1);
	assert_int_equal(k.runs, 1);
	workq_free(q, WQ_DRAIN);
	event_base_free(base);
}

/*
 * A done() that kicks a job further on the same done list, which runs
 * again before the loop comes to it: that job keeps its place (one
 * done() for both runs) and the jobs after it still get theirs.
 */
static struct workq *kickq;
static struct tjob *kickee;

static void
kick_done(struct wjob *w)
{
	struct workq_stats st;
	int64_t	 end = mono_ms() + 10000;

	t_done(w);
	workq_kick(kickq, &kickee->w);
	/* Until the kicked job's second run is over (four runs in all). */
	do {
		usleep(1000);
		workq_get_stats(kickq, &st);
	} while (st.run < 4 && mono_ms() < end);
}

static void
test_kick_from_done(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct workq_stats st;
	struct tjob a, b, c;
	int64_t	 end = mono_ms() + 10000;

	(void)state;
	init(&a, 1);
	init(&b, 2);
	init(&c, 3);
	a.w.done = kick_done;
	kickq = q;
	kickee = &b;
	workq_submit(q, &a.w);
	workq_submit(q, &b.w);
	workq_submit(q, &c.w);
	/* All three run before the loop turns: one done list. */
	do {
		usleep(1000);
		workq_get_stats(q, &st);
	} while (st.run < 3 && mono_ms() < end);
	assert_int_equal(st.run, 3);
	while ((a.dones == 0 || b.dones == 0 || c.dones == 0) &&
	    mono_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(c.dones, 1);
	assert_int_equal(b.runs, 2);
	assert_int_equal(b.dones, 1);
	assert_int_equal(a.dones, 1);
	assert_int_equal(workq_pending(q), 0);
	workq_free(q, WQ_DRAIN);
	event_base_free(base);
}

/* A job puts itself back from its own run(), as a retry does. */
static void
retry_run(struct wjob *w)
{
	struct tjob *t = w->arg;

	t_run(w);
	if (t->runs < 3)
		workq_submit_at(resubq, w, mono_ms() + 20);
}

static void
test_resubmit(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct tjob r;
	int64_t	 end = mono_ms() + 10000;

	(void)state;
	resubq = q;
	init(&r, 7);
	r.w.run = retry_run;
	r.w.done = NULL;
	workq_submit(q, &r.w);
	while (workq_busy(q, &r.w) && mono_ms() < end)
		usleep(1000);
	assert_int_equal(r.runs, 3);
	assert_int_equal(workq_pending(q), 0);
	workq_free(q, WQ_DRAIN);
	event_base_free(base);
}

/*
 * Stopping: WQ_DRAIN runs what is due and cancels what waits for a later
 * time; WQ_CANCEL runs nothing more.  Every job gets one done().
 */
static void
test_stop(void **state)
{
	struct event_base *base = event_base_new();
	struct workq *q = newq(base);
	struct tjob hold, now[8], later;
	int	 i;

	(void)state;
	init(&hold, 0);
	hold.w.run = slow_run;
	gate = started = 0;
	workq_submit(q, &hold.w);
	for (i = 0; i < 8; i++) {
		init(&now[i], i + 1);
		workq_submit(q, &now[i].w);
	}
	init(&later, 99);
	workq_submit_at(q, &later.w, mono_ms() + 3600 * 1000);
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	workq_free(q, WQ_DRAIN);
	assert_int_equal(hold.dones, 1);
	for (i = 0; i < 8; i++) {
		assert_int_equal(now[i].runs, 1);
		assert_int_equal(now[i].dones, 1);
		assert_int_equal(now[i].cancelled, 0);
	}
	assert_int_equal(later.runs, 0);
	assert_int_equal(later.dones, 1);
	assert_int_equal(later.cancelled, 1);

	q = newq(base);
	init(&hold, 0);
	hold.w.run = slow_run;
	gate = started = 0;
	workq_submit(q, &hold.w);
	for (i = 0; i < 8; i++) {
		init(&now[i], i + 1);
		workq_submit(q, &now[i].w);
	}
	wait_flag(&started);	/* the thread holds the first job */
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	workq_free(q, WQ_CANCEL);
	assert_int_equal(hold.dones, 1);
	for (i = 0; i < 8; i++) {
		assert_int_equal(now[i].dones, 1);
		assert_int_equal(now[i].runs + now[i].cancelled, 1);
	}
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_timed),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_kick_from_done),
		cmocka_unit_test(test_resubmit),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
