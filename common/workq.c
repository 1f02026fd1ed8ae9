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
 * One thread per queue, three lists under one mutex: what is to run now,
 * what waits for its time (sorted by it), and what has run and waits for
 * its done() on the loop.  The thread wakes the loop through an eventfd;
 * the loop takes the whole done list at once, so that a burst of jobs
 * costs one wakeup, as in Redis's background I/O threads.  The thread
 * sleeps on a condition variable of the monotonic clock until the first
 * timed job is due, so that a wall clock step neither fires a retry early
 * nor holds it back.
 *
 * A job is on the "now" or the timed list through next, on the done list
 * through dnext, so that a kicked job can be queued again while its last
 * run's done() is still to come; wstate says where it is.
 */

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.h"
#include "workq.h"

#define WS_QUEUED	0x01	/* on todo or timed */
#define WS_RUNNING	0x02
#define WS_DONE		0x04	/* on the done list */

struct workq {
	char		 name[32];
	pthread_t	 thr;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;		/* on CLOCK_MONOTONIC */
	struct wjob	*todo, **todo_tail;
	struct wjob	*timed;		/* by due_ms, then submission */
	struct wjob	*done, **done_tail;
	int		 stop, cancel;
	int		 efd;
	struct event	*ev;
	struct workq_stats st;		/* under mtx */
};

static void
append(struct wjob ***tail, struct wjob *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

/* A job leaves the queue's hands: pending counts jobs in any state. */
static void
settle(struct workq *q, struct wjob *j, unsigned clear)
{
	j->wstate &= ~clear;
	if (j->wstate == 0)
		q->st.pending--;
}

/* Under mtx: j is not queued; put it on the list its time says. */
static void
enqueue(struct workq *q, struct wjob *j, int64_t due_ms, int first)
{
	struct wjob **pp;

	if (j->wstate == 0) {
		j->cancelled = 0;
		if (++q->st.pending > q->st.pending_max)
			q->st.pending_max = q->st.pending;
	}
	j->wstate |= WS_QUEUED;
	j->due_ms = due_ms;
	q->st.submitted++;
	if (due_ms <= 0) {
		if (first) {
			if ((j->next = q->todo) == NULL)
				q->todo_tail = &j->next;
			q->todo = j;
		} else
			append(&q->todo_tail, j);
	} else {
		for (pp = &q->timed; *pp != NULL && (*pp)->due_ms <= due_ms;
		    pp = &(*pp)->next)
			;
		j->next = *pp;
		*pp = j;
	}
	pthread_cond_signal(&q->cv);
}

/* Under mtx: take j off the timed list; 1 if it was there. */
static int
untime(struct workq *q, struct wjob *j)
{
	struct wjob **pp;

	for (pp = &q->timed; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return 1;
		}
	return 0;
}

/* Under mtx: move what has come due to the end of todo. */
static void
due(struct workq *q, int64_t now)
{
	struct wjob *j;

	while ((j = q->timed) != NULL && j->due_ms <= now) {
		q->timed = j->next;
		append(&q->todo_tail, j);
	}
}

static void
wait_until(struct workq *q, int64_t when)
{
	struct timespec ts;

	ts.tv_sec = when / 1000;
	ts.tv_nsec = (long)(when % 1000) * 1000000L;
	pthread_cond_timedwait(&q->cv, &q->mtx, &ts);
}

static void *
worker(void *arg)
{
	struct workq *q = arg;
	struct wjob *j;
	uint64_t one = 1;

	pthread_mutex_lock(&q->mtx);
	for (;;) {
		due(q, mono_ms());
		if (q->stop && (q->cancel || q->todo == NULL))
			break;
		if (q->todo == NULL) {
			if (q->timed != NULL)
				wait_until(q, q->timed->due_ms);
			else
				pthread_cond_wait(&q->cv, &q->mtx);
			continue;
		}
		j = q->todo;
		if ((q->todo = j->next) == NULL)
			q->todo_tail = &q->todo;
		j->wstate = (j->wstate & ~WS_QUEUED) | WS_RUNNING;
		pthread_mutex_unlock(&q->mtx);
		j->run(j);
		pthread_mutex_lock(&q->mtx);
		q->st.run++;
		if (j->done == NULL || (j->wstate & WS_DONE)) {
			settle(q, j, WS_RUNNING);
			continue;
		}
		j->wstate = (j->wstate & ~WS_RUNNING) | WS_DONE;
		j->dnext = NULL;
		*q->done_tail = j;
		q->done_tail = &j->dnext;
		if (write(q->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
			log_warn("%s: wakeup", q->name);
	}
	pthread_mutex_unlock(&q->mtx);
	return NULL;
}

/* Each job that has run gets its done() here, on the loop. */
static void
reap(struct workq *q)
{
	struct wjob *j, *next;

	pthread_mutex_lock(&q->mtx);
	j = q->done;
	q->done = NULL;
	q->done_tail = &q->done;
	pthread_mutex_unlock(&q->mtx);
	/*
	 * Each job leaves the done state just before its done(), its link
	 * read under the lock: a job further on this list that an earlier
	 * done() kicked may run again meanwhile, and while it is marked done
	 * the thread leaves it here (one done() for both runs) rather than
	 * link it into a new list, which would cut this one.  done() may
	 * free the job, or queue it again.
	 */
	for (; j != NULL; j = next) {
		pthread_mutex_lock(&q->mtx);
		next = j->dnext;
		settle(q, j, WS_DONE);
		pthread_mutex_unlock(&q->mtx);
		j->done(j);
	}
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("work queue: wakeup");
	reap(arg);
}

struct workq *
workq_new(struct event_base *base, const char *name, char *err,
    size_t errlen)
{
	struct workq *q;
	pthread_condattr_t ca;
	int	 r;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		fm_fmt(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	fm_strlcpy(q->name, name, sizeof(q->name));
	q->todo_tail = &q->todo;
	q->done_tail = &q->done;
	q->efd = -1;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		fm_fmt(err, errlen, "%s: eventfd: %s", name, strerror(errno));
		goto fail;
	}
	q->ev = event_new(base, q->efd, EV_READ | EV_PERSIST, wake_cb, q);
	if (q->ev == NULL || event_add(q->ev, NULL) == -1) {
		fm_fmt(err, errlen, "%s: cannot watch the queue", name);
		goto fail;
	}
	if ((r = pthread_create(&q->thr, NULL, worker, q)) != 0) {
		fm_fmt(err, errlen, "%s: pthread_create: %s", name,
		    strerror(r));
		goto fail;
	}
	return q;
fail:
	if (q->ev != NULL)
		event_free(q->ev);
	if (q->efd != -1)
		close(q->efd);
	pthread_mutex_destroy(&q->mtx);
	pthread_cond_destroy(&q->cv);
	free(q);
	return NULL;
}

void
workq_submit(struct workq *q, struct wjob *j)
{
	pthread_mutex_lock(&q->mtx);
	enqueue(q, j, 0, 0);
	pthread_mutex_unlock(&q->mtx);
}

void
workq_submit_first(struct workq *q, struct wjob *j)
{
	pthread_mutex_lock(&q->mtx);
	enqueue(q, j, 0, 1);
	pthread_mutex_unlock(&q->mtx);
}

void
workq_submit_at(struct workq *q, struct wjob *j, int64_t due_ms)
{
	pthread_mutex_lock(&q->mtx);
	/* 0 would mean "now"; a time already past is as good. */
	enqueue(q, j, due_ms > 0 ? due_ms : 1, 0);
	pthread_mutex_unlock(&q->mtx);
}

int
workq_kick(struct workq *q, struct wjob *j)
{
	int	 queued = 0;

	pthread_mutex_lock(&q->mtx);
	if (j->wstate & WS_QUEUED) {
		/* Waiting for a later time: it is wanted now. */
		if (j->due_ms > 0 && untime(q, j)) {
			j->due_ms = 0;
			append(&q->todo_tail, j);
			pthread_cond_signal(&q->cv);
		}
	} else {
		enqueue(q, j, 0, 0);
		queued = 1;
	}
	pthread_mutex_unlock(&q->mtx);
	return queued;
}

int
workq_busy(const struct workq *q, const struct wjob *j)
{
	int	 busy;

	pthread_mutex_lock((pthread_mutex_t *)&q->mtx);
	busy = j->wstate != 0;
	pthread_mutex_unlock((pthread_mutex_t *)&q->mtx);
	return busy;
}

size_t
workq_pending(const struct workq *q)
{
	size_t	 n;

	if (q == NULL)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&q->mtx);
	n = (size_t)q->st.pending;
	pthread_mutex_unlock((pthread_mutex_t *)&q->mtx);
	return n;
}

void
workq_get_stats(const struct workq *q, struct workq_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (q == NULL)
		return;
	pthread_mutex_lock((pthread_mutex_t *)&q->mtx);
	*st = q->st;
	pthread_mutex_unlock((pthread_mutex_t *)&q->mtx);
}

void
workq_free(struct workq *q, int how)
{
	struct wjob *left, **tail, *j, *next;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->stop = 1;
	q->cancel = how == WQ_CANCEL;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
	pthread_join(q->thr, NULL);
	reap(q);
	/*
	 * What never began: WQ_CANCEL's queue, and with either the timed
	 * jobs not yet due.  Its owner frees it in done().
	 */
	pthread_mutex_lock(&q->mtx);
	tail = q->todo_tail;
	*tail = q->timed;
	left = q->todo;
	q->todo = q->timed = NULL;
	for (j = left; j != NULL; j = j->next)
		settle(q, j, WS_QUEUED);
	pthread_mutex_unlock(&q->mtx);
	for (j = left; j != NULL; j = next) {
		next = j->next;
		j->cancelled = 1;
		if (j->done != NULL)
			j->done(j);
	}
	event_free(q->ev);
	close(q->efd);
	pthread_mutex_destroy(&q->mtx);
	pthread_cond_destroy(&q->cv);
	free(q);
}
