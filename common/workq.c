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
 * One thread per queue, two lists under one mutex: what is to run, and
 * what has run and waits for its done() on the loop.  The thread wakes
 * the loop through an eventfd; the loop takes the whole done list at
 * once, so that a burst of jobs costs one wakeup, as in Redis's
 * background I/O threads.
 */

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.h"
#include "workq.h"

struct workq {
	char		 name[32];
	pthread_t	 thr;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct wjob	*todo, **todo_tail;
	struct wjob	*done, **done_tail;
	int		 stop, cancel;
	int		 efd;
	struct event	*ev;
	struct workq_stats st;		/* loop only, but run: under mtx */
};

static void
append(struct wjob ***tail, struct wjob *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void *
worker(void *arg)
{
	struct workq *q = arg;
	struct wjob *j;
	uint64_t one = 1;

	pthread_mutex_lock(&q->mtx);
	for (;;) {
		while (q->todo == NULL && !q->stop)
			pthread_cond_wait(&q->cv, &q->mtx);
		if (q->todo == NULL || (q->stop && q->cancel))
			break;
		j = q->todo;
		if ((q->todo = j->next) == NULL)
			q->todo_tail = &q->todo;
		pthread_mutex_unlock(&q->mtx);
		j->run(j);
		pthread_mutex_lock(&q->mtx);
		q->st.run++;
		append(&q->done_tail, j);
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
	for (; j != NULL; j = next) {
		next = j->next;
		q->st.pending--;
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
	int	 r;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		fm_fmt(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	fm_strlcpy(q->name, name, sizeof(q->name));
	q->todo_tail = &q->todo;
	q->done_tail = &q->done;
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cv, NULL);
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
	j->cancelled = 0;
	q->st.submitted++;
	if (++q->st.pending > q->st.pending_max)
		q->st.pending_max = q->st.pending;
	pthread_mutex_lock(&q->mtx);
	append(&q->todo_tail, j);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
}

void
workq_submit_first(struct workq *q, struct wjob *j)
{
	j->cancelled = 0;
	q->st.submitted++;
	if (++q->st.pending > q->st.pending_max)
		q->st.pending_max = q->st.pending;
	pthread_mutex_lock(&q->mtx);
	if ((j->next = q->todo) == NULL)
		q->todo_tail = &j->next;
	q->todo = j;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
}

size_t
workq_pending(const struct workq *q)
{
	return q != NULL ? (size_t)q->st.pending : 0;
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
	struct wjob *j, *next;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->stop = 1;
	q->cancel = how == WQ_CANCEL;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
	pthread_join(q->thr, NULL);
	reap(q);
	/* What never began (WQ_CANCEL): its owner frees it in done(). */
	for (j = q->todo; j != NULL; j = next) {
		next = j->next;
		j->cancelled = 1;
		q->st.pending--;
		j->done(j);
	}
	event_free(q->ev);
	close(q->efd);
	pthread_mutex_destroy(&q->mtx);
	pthread_cond_destroy(&q->cv);
	free(q);
}
