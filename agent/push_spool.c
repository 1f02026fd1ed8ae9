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
 * The spool policy: what of the queue's batches is on disk, where, and
 * for how long.  It owns the spool's segments (files): a new batch is
 * appended to the newest one, a file is removed once all its batches are
 * acknowledged, and the bounds are kept here.
 *
 * The spool is bounded by size and age.  When the size bound is hit the
 * oldest file loses its values (bulk metrics) first, keeping every
 * outcome; only a file already stripped is dropped whole.  The age bound
 * drops whole files.  Every drop is counted; the link reports the counts
 * to the collector in an EVENT frame.
 *
 * At start the batches of an earlier run are read back from the spool
 * (replay) and put at the head of the queue's list, with their numbers,
 * so that the collector recognises a batch it already has.
 *
 * It may call spool.c (the I/O thread: append, read back, strip,
 * unlink) and the queue's batch list (push.h, PUSH_QUEUE_INTERNALS); it
 * knows nothing of the link.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#define PUSH_QUEUE_INTERNALS
#include "push.h"
#include "spool.h"

#define SEG_MAX			(4U * 1024 * 1024)	/* bytes a spool file */
#define SEG_MIN			(4U * 1024)

static struct {
	struct seg	*segs, *segs_tail;	/* oldest first */
	uint64_t	 segno;		/* the one appended to */
	size_t		 spool_bytes;
	uint64_t	 st_spool_errors;
	uint64_t	 st_drop_results, st_drop_values;	/* by policy */
} SP;

/*
 * The bound is kept file by file, so a file is small beside it: a
 * sixteenth of the bound, between SEG_MIN and SEG_MAX.  A small spool
 * (spool_max_kb) then still drops its oldest data in small steps.
 */
static size_t
seg_max(void)
{
	long long m = PQ.conf->spool_max_bytes / 16;

	if (m < (long long)SEG_MIN)
		return SEG_MIN;
	if (m > (long long)SEG_MAX)
		return SEG_MAX;
	return (size_t)m;
}

static struct seg *
seg_new(uint64_t segno)
{
	struct seg *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->segno = segno;
	if (SP.segs_tail != NULL)
		SP.segs_tail->next = s;
	else
		SP.segs = s;
	SP.segs_tail = s;
	return s;
}

static void
seg_unlink(struct seg *s)
{
	struct seg **pp;
	struct sreq *r;

	for (pp = &SP.segs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (SP.segs_tail == s) {
		SP.segs_tail = NULL;
		for (struct seg *t = SP.segs; t != NULL; t = t->next)
			SP.segs_tail = t;
	}
	SP.spool_bytes -= s->bytes;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->op = SR_UNLINK;
	r->segno = s->segno;
	spool_submit(r);
	free(s);
}

/* Is any batch of s sent and waiting for its ACK? */
static int
seg_in_flight(const struct seg *s)
{
	const struct batch *b;

	for (b = PQ.fl_head; b != NULL && b != PQ.fl_unsent; b = b->next)
		if (b->seg == s)
			return 1;
	return 0;
}

/* Drop every batch of s that is still in the list: a policy drop. */
static void
seg_drop(struct seg *s)
{
	struct batch **pp = &PQ.fl_head, *b, *prev = NULL;
	uint64_t n = 0;

	while ((b = *pp) != NULL) {
		if (b->seg != s) {
			prev = b;
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		if (PQ.fl_tail == b)
			PQ.fl_tail = prev;
		if (PQ.fl_unsent == b)
			PQ.fl_unsent = b->next;
		PQ.fl_count--;
		PQ.fl_results -= b->n;
		n += b->n;
		batch_free(b);
	}
	SP.st_drop_results += n;
	log_warnx("spool: bound reached, dropped %llu results of spool file "
	    "%llu (%llu dropped so far)", (unsigned long long)n,
	    (unsigned long long)s->segno,
	    (unsigned long long)SP.st_drop_results);
	seg_unlink(s);
}

/*
 * Keep the spool within its bounds.  By age, the oldest files are
 * dropped whole.  By size, the values (bulk metrics) go before any
 * outcome: the oldest file that still has values is rewritten without
 * them, and only when every file is stripped is the oldest dropped
 * whole.  A file with batches in flight, or the one being appended to,
 * is left alone; while a strip runs nothing else is decided, since its
 * result changes the size.
 */
static int
seg_eligible(const struct seg *s)
{
	return !s->busy && s->segno != SP.segno && !seg_in_flight(s);
}

void
pspool_enforce(void)
{
	int64_t	 now = now_ms();
	struct seg *s, *next;
	struct sreq *r;

	for (s = SP.segs; s != NULL; s = next) {
		next = s->next;
		if (s->busy)
			return;
		if (seg_eligible(s) && PQ.conf->spool_max_age_ms > 0 &&
		    s->first_ts > 0 &&
		    now - s->first_ts > PQ.conf->spool_max_age_ms)
			seg_drop(s);
	}
	if (SP.spool_bytes <= (size_t)PQ.conf->spool_max_bytes)
		return;
	for (s = SP.segs; s != NULL; s = s->next) {
		if (!seg_eligible(s) || s->stripped)
			continue;
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal("calloc");
		r->op = SR_STRIP;
		r->segno = s->segno;
		r->arg = s;
		s->busy = 1;
		spool_submit(r);
		/* Its size is known when the strip is done. */
		return;
	}
	for (s = SP.segs; s != NULL; s = s->next)
		if (seg_eligible(s)) {
			seg_drop(s);
			return;
		}
}

static void
spool_done(struct sreq *r)
{
	struct batch *b;
	struct seg *s;
	size_t	 i;

	switch (r->op) {
	case SR_APPEND:
		b = r->arg;
		if (!batch_exists(b))
			break;
		if (r->err) {
			/*
			 * Kept in memory and sent all the same: losing it
			 * now would be worse than not having it on disk.
			 */
			if (SP.st_spool_errors++ % 100 == 0)
				log_warnx("spool: cannot write: %s; batches "
				    "kept in memory only",
				    strerror(r->err));
		} else
			b->off = r->off;
		b->durable = 1;
		/* Far behind: the disk copy is enough until it is sent. */
		if (PQ.mem > MEM_MAX && r->err == 0 && b != PQ.fl_unsent) {
			PQ.mem -= b->len;
			free(b->frame);
			b->frame = NULL;
		}
		break;
	case SR_READ:
		b = r->arg;
		if (!batch_exists(b))
			break;
		b->loading = 0;
		if (r->err) {
			log_warnx("spool: cannot read back batch %llu: %s; "
			    "dropped", (unsigned long long)b->seq,
			    strerror(r->err));
			b->frame = NULL;
			b->n = 0;	/* sent as nothing: see push_flush */
			break;
		}
		b->frame = r->data;
		r->data = NULL;
		PQ.mem += b->len;
		break;
	case SR_STRIP:
		s = r->arg;
		s->busy = 0;
		if (r->err) {
			log_warnx("spool: cannot strip file %llu: %s",
			    (unsigned long long)s->segno, strerror(r->err));
			break;
		}
		s->stripped = 1;
		SP.spool_bytes -= s->bytes;
		s->bytes = 0;
		for (i = 0; i < r->nstrip; i++)
			s->bytes += r->strip[i].len;
		SP.spool_bytes += s->bytes;
		SP.st_drop_values += r->nvalues;
		log_warnx("spool: bound reached, removed %llu values from "
		    "spool file %llu, outcomes kept",
		    (unsigned long long)r->nvalues,
		    (unsigned long long)s->segno);
		for (b = PQ.fl_head; b != NULL; b = b->next) {
			if (b->seg != s)
				continue;
			for (i = 0; i < r->nstrip; i++)
				if (r->strip[i].session == b->session &&
				    r->strip[i].seq == b->seq)
					break;
			if (i == r->nstrip)
				continue;
			b->off = r->strip[i].off;
			b->len = r->strip[i].len;
			if (b->frame != NULL) {
				/* Must be read back in its new form. */
				free(b->frame);
				b->frame = NULL;
			}
		}
		PQ.mem = 0;
		for (b = PQ.fl_head; b != NULL; b = b->next)
			if (b->frame != NULL)
				PQ.mem += b->len;
		pspool_enforce();
		break;
	}
	spool_req_free(r);
	push_flush();
}

/* A frame found in the spool at start: a batch from an earlier run. */
static void
spool_found(uint64_t segno, off_t off, const uint8_t *frame, size_t len)
{
	struct fm_batch bt;
	struct batch *b;
	char	 err[128];

	if (fm_get_batch(frame + FM_HDR_LEN, len - FM_HDR_LEN, &bt, err,
	    sizeof(err)) == -1) {
		log_warnx("spool: file %llu offset %lld: %s; skipped",
		    (unsigned long long)segno, (long long)off, err);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("calloc");
	b->session = bt.session;
	b->seq = bt.seq;
	b->n = bt.n;
	b->first_ts = bt.n > 0 ? bt.r[0].ts_ms : 0;
	fm_batch_free(&bt);
	b->len = len;
	b->off = off;
	b->durable = 1;
	if (SP.segs_tail == NULL || SP.segs_tail->segno != segno)
		seg_new(segno);
	b->seg = SP.segs_tail;
	b->seg->bytes += len;
	b->seg->nbatches++;
	if (b->seg->first_ts == 0)
		b->seg->first_ts = b->first_ts;
	SP.spool_bytes += len;
	if (PQ.mem + len <= MEM_MAX) {
		if ((b->frame = malloc(len)) == NULL)
			fatal("malloc");
		memcpy(b->frame, frame, len);
		PQ.mem += len;
	}
	batch_append(b);
}

/*
 * Open the spool and replay what an earlier run left in it.  New batches
 * go to a new file, never after a cut tail.
 */
void
pspool_open(struct agent_conf *ac)
{
	char	 err[256];
	uint64_t last;

	last = 0;
	if (!ac->spool)
		log_warnx("no spool (spool = false): results made while the "
		    "collector is unreachable are lost");
	else if (spool_open(agent_base, ac->spool_dir, spool_done,
	    spool_found, &last, err, sizeof(err)) == -1)
		fatalx("%s", err);
	SP.segno = last + 1;
}

/*
 * The I/O thread, started apart from pspool_open() so that the agent
 * drops its privileges first: a thread keeps the capabilities it was
 * started with.
 */
void
pspool_start(void)
{
	char	 err[128];

	if (spool_start(err, sizeof(err)) == -1)
		fatalx("spool: %s", err);
}

/* Place a new batch in the newest segment and have the thread write it. */
void
pspool_add(struct batch *b)
{
	struct sreq *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	if (SP.segs_tail == NULL || SP.segs_tail->segno != SP.segno ||
	    SP.segs_tail->bytes + b->len > seg_max()) {
		if (SP.segs_tail != NULL &&
		    SP.segs_tail->segno == SP.segno)
			SP.segno++;
		seg_new(SP.segno);
	}
	b->seg = SP.segs_tail;
	b->seg->bytes += b->len;
	b->seg->nbatches++;
	if (b->seg->first_ts == 0)
		b->seg->first_ts = b->first_ts;
	SP.spool_bytes += b->len;
	/* The thread writes a copy: the frame stays ours to send. */
	r->op = SR_APPEND;
	r->segno = b->seg->segno;
	r->arg = b;
	r->len = b->len;
	if ((r->data = malloc(b->len)) == NULL)
		fatal("malloc");
	memcpy(r->data, b->frame, b->len);
	spool_submit(r);
}

/* A batch whose frame left memory is read back before it is sent. */
void
pspool_read(struct batch *b)
{
	struct sreq *r;

	if (b->loading)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->op = SR_READ;
	r->segno = b->seg->segno;
	r->off = b->off;
	r->len = b->len;
	r->arg = b;
	b->loading = 1;
	spool_submit(r);
}

/* A batch of s was acknowledged: the file goes with its last one. */
void
pspool_released(struct seg *s)
{
	if (s != NULL && ++s->nreleased == s->nbatches &&
	    s->segno != SP.segno && !s->busy)
		seg_unlink(s);
}

void
pspool_drops(uint64_t *results, uint64_t *values)
{
	*results = SP.st_drop_results;
	*values = SP.st_drop_values;
}

size_t
pspool_bytes(void)
{
	return SP.spool_bytes;
}

uint64_t
pspool_errors(void)
{
	return SP.st_spool_errors;
}

/* Finish the thread's work, then forget the segments. */
void
pspool_close(void)
{
	struct seg *s;

	spool_close();
	while ((s = SP.segs) != NULL) {
		SP.segs = s->next;
		free(s);
	}
}
