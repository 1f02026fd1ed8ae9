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
 * The way results take to the collector, in three files that only this
 * header joins (agent.c sees push_init() and the rest of agent.h):
 *
 *   push.c        the queue: results in, batches made, the drain-rate
 *                 tokens, release on ACK
 *   push_spool.c  the spool policy: which segment a batch goes to, the
 *                 bounds (values first, then the oldest file), replay at
 *                 start; the file I/O itself is spool.c's thread
 *   push_link.c   the link: connect, TLS, HELLO/WELCOME, frames, the
 *                 read and event callbacks, failback, retry
 *
 * The queue's batch list is shared with the spool policy, since a
 * segment's fate is decided by the batches in it; that part is visible
 * only where PUSH_QUEUE_INTERNALS is defined.  The link sees the queue
 * through the functions below and nothing else.
 */

#ifndef FACMON_PUSH_H
#define FACMON_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct agent_conf;

/* push.c: the queue, as the link sees it. */
void		 push_flush(void);
void		 push_release(uint64_t session, uint64_t seq);
void		 pq_welcome(uint64_t last_seq);
void		 pq_rewind(void);
size_t		 pq_waiting(void);
size_t		 pq_in_flight(void);
uint64_t	 pq_session(void);
uint64_t	 pq_unspooled(void);

/* push_link.c: the link, as the queue sees it. */
void		 link_init(struct agent_conf *);
void		 link_connect(void);
void		 link_conf_changed(struct agent_conf *);
int		 link_ready(void);
int		 link_idle(void);
void		 link_announce(void);
void		 link_write(const void *, size_t);
uint64_t	 link_connects(void);
void		 link_shutdown(void);

/* push_spool.c: what the link reports of the spool's drops. */
void		 pspool_drops(uint64_t *results, uint64_t *values);

#ifdef PUSH_QUEUE_INTERNALS

#include <sys/types.h>

#define PUSH_BATCH_MAX		1000	/* results in one batch */
#define MEM_MAX			(32U * 1024 * 1024)	/* frames kept in memory */

struct seg {
	uint64_t	 segno;
	size_t		 bytes;
	int		 nbatches;	/* appended to it */
	int		 nreleased;
	int		 stripped;
	int		 busy;		/* a strip or unlink in progress */
	int64_t		 first_ts;
	struct seg	*next;
};

struct batch {
	uint64_t	 session;
	uint64_t	 seq;
	uint32_t	 n;		/* results in it */
	int64_t		 first_ts;
	uint8_t		*frame;		/* NULL: on disk only */
	size_t		 len;
	struct seg	*seg;		/* NULL: not durable (yet) */
	off_t		 off;
	int		 durable;
	int		 loading;
	struct batch	*next;
};

/* The queue's state (push.c); the spool policy walks its batch list. */
struct push_queue {
	struct agent_conf *conf;
	struct event	*batch_ev;
	struct event	*rate_ev;
	uint64_t	 session;
	uint64_t	 next_seq;

	/* Results not yet in a batch: a ring of pointers. */
	struct fm_result **q;
	size_t		 qcap, qhead, qlen;

	/* Batches spooled or being spooled, oldest first. */
	struct batch	*fl_head, *fl_tail;
	struct batch	*fl_unsent;	/* first batch not written yet */
	size_t		 fl_count;	/* batches in the list */
	size_t		 fl_results;	/* results in them */
	size_t		 fl_sent;	/* batches written, not acknowledged */
	size_t		 mem;		/* bytes of frames in memory */

	double		 tokens;	/* drain rate bucket, results */
	int64_t		 tokens_mono;

	uint64_t	 st_results, st_acked, st_dropped, st_batches;
	uint64_t	 st_unspooled;	/* spool = false: dropped unsent */
};

extern struct push_queue PQ;

/* push.c: the batch list, for the spool policy. */
void		 batch_free(struct batch *);
void		 batch_append(struct batch *);
int		 batch_exists(const struct batch *);

/* push_spool.c: the spool policy, for the queue. */
void		 pspool_open(struct agent_conf *);
void		 pspool_start(void);
void		 pspool_add(struct batch *);
void		 pspool_read(struct batch *);
void		 pspool_enforce(void);
void		 pspool_released(struct seg *);
size_t		 pspool_bytes(void);
uint64_t	 pspool_errors(void);
void		 pspool_close(void);

#endif /* PUSH_QUEUE_INTERNALS */

#endif /* FACMON_PUSH_H */
