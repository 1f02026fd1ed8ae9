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
 * A work queue: what may block (disk, fsync, password hashing) runs on
 * one thread of its own, in the order it was submitted, and its result
 * comes back on the event loop.  Each module that needs a thread takes a
 * queue of its own, so that a slow disk behind one cannot hold up the
 * others, and they all stop the same way (workq_free).
 *
 * A job is the caller's: it lives from workq_submit() until its done()
 * has run on the loop.  run() must not touch the loop's state; done()
 * may do anything the loop does.
 *
 * Three things the modules with long-lived work need beside one-shot
 * jobs, so that they need no thread of their own:
 *   - a job may wait for a time (workq_submit_at): a retry after a
 *     failed write, a delivery's next attempt, a periodic walk;
 *   - a job may be kicked (workq_kick): queued unless it is already
 *     waiting to run, so that what piles up while it waits or runs is
 *     taken by its next run in one go (group commit, write-behind);
 *   - submitting is safe from any thread, a job's own run() included,
 *     so that a job can put itself back for later.
 * A kicked job whose done() is still to run when it runs again gets one
 * done() for both runs: done() means "has run since the last done()".
 */

#ifndef FACMON_WORKQ_H
#define FACMON_WORKQ_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct workq;

struct wjob {
	struct wjob	*next;			/* workq.c: waiting to run */
	struct wjob	*dnext;			/* workq.c: waiting for done() */
	int64_t		 due_ms;		/* workq.c: monotonic */
	unsigned	 wstate;		/* workq.c */
	void		(*run)(struct wjob *);	/* on the queue's thread */
	/* On the loop; may free the job.  NULL: nothing to do after run(). */
	void		(*done)(struct wjob *);
	void		*arg;
	int		 cancelled;	/* done() at workq_free, run() not */
};

struct workq_stats {
	uint64_t	 submitted;
	uint64_t	 run;
	uint64_t	 pending;	/* submitted, done() not yet called */
	uint64_t	 pending_max;
};

enum { WQ_DRAIN = 0, WQ_CANCEL = 1 };

struct workq	*workq_new(struct event_base *, const char *name, char *err,
		    size_t errlen);
void		 workq_submit(struct workq *, struct wjob *);
/* Ahead of every job not yet begun: a job that must not wait behind a
   flood (a login from an account's known address). */
void		 workq_submit_first(struct workq *, struct wjob *);
/*
 * Run no earlier than due_ms on the monotonic clock (mono_ms()); jobs
 * come due in the order of their times, after what is already due.  A
 * job already waiting to run is not queued twice: it keeps the earlier
 * of its two times (so workq_submit of a waiting job brings it forward).
 */
void		 workq_submit_at(struct workq *, struct wjob *, int64_t due_ms);
/*
 * Queue j to run now unless it is already waiting to run (a timed kick
 * that is not yet due is brought forward); returns 1 if it was queued.
 */
int		 workq_kick(struct workq *, struct wjob *);
/* Is j queued, running or waiting for its done()? */
int		 workq_busy(const struct workq *, const struct wjob *);
size_t		 workq_pending(const struct workq *);
void		 workq_get_stats(const struct workq *, struct workq_stats *);
/*
 * Stop: with WQ_DRAIN every job due runs first (a timed one not yet due
 * is cancelled: a retry or a walk has no business at shutdown); with
 * WQ_CANCEL the jobs not yet begun are not run.  Either way each job's done() is called
 * (cancelled set for those not run) before this returns, so that no job
 * is lost or leaked.  NULL is ignored.
 */
void		 workq_free(struct workq *, int how);

#endif /* FACMON_WORKQ_H */
