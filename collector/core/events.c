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
 * Operator events: things about the monitoring itself rather than the
 * devices -- an agent's clock is off, an agent is unreachable, the
 * journal cannot write, an agent had to drop spooled data.  They are
 * logged and kept in a ring of the last EVENTS_MAX for /api/v1/events;
 * each carries an increasing id so that a reader can ask for what is new.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define EVENTS_MAX	1024

static struct fm_event ring[EVENTS_MAX];
static uint64_t	 next_id = 1;
/* The alerting listens here (collector.c sets it); the core cannot name
   a module above it. */
static void	(*listener)(const struct fm_event *);

void
events_listen(void (*fn)(const struct fm_event *))
{
	listener = fn;
}

static void
event_vraise(const char *kind, const char *agent, int64_t n0, int64_t n1,
    const char *arg, const char *fmt, va_list ap)
{
	struct fm_event *e = &ring[next_id % EVENTS_MAX];

	memset(e, 0, sizeof(*e));
	e->id = next_id++;
	e->ts_ms = now_ms();
	fm_strlcpy(e->kind, kind, sizeof(e->kind));
	fm_strlcpy(e->agent, agent ? agent : "", sizeof(e->agent));
	e->n[0] = n0;
	e->n[1] = n1;
	fm_strlcpy(e->arg, arg ? arg : "", sizeof(e->arg));
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	log_warnx("event %s%s%s: %s", e->kind, e->agent[0] ? " agent " : "",
	    e->agent, e->msg);
	if (listener != NULL)
		listener(e);
}

void
event_raise(const char *kind, const char *agent, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	event_vraise(kind, agent, 0, 0, NULL, fmt, ap);
	va_end(ap);
}

/*
 * An event with its facts, for the kinds that alerts put into words
 * (alert_text.c health_sentence()); msg stays the log's English line.
 */
void
event_raise_facts(const char *kind, const char *agent, int64_t n0,
    int64_t n1, const char *arg, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	event_vraise(kind, agent, n0, n1, arg, fmt, ap);
	va_end(ap);
}

/*
 * The events with an id above after, oldest first, as a contiguous
 * copy valid until the next call.
 */
const struct fm_event *
events_since(uint64_t after, size_t *n)
{
	static struct fm_event out[EVENTS_MAX];
	uint64_t id, first = next_id > EVENTS_MAX ? next_id - EVENTS_MAX : 1;

	*n = 0;
	if (after + 1 > first)
		first = after + 1;
	for (id = first; id < next_id; id++)
		out[(*n)++] = ring[id % EVENTS_MAX];
	return out;
}

/* How many events of a kind the ring still holds. */
uint64_t
events_count(const char *kind)
{
	uint64_t id, first = next_id > EVENTS_MAX ? next_id - EVENTS_MAX : 1;
	uint64_t n = 0;

	for (id = first; id < next_id; id++)
		if (strcmp(ring[id % EVENTS_MAX].kind, kind) == 0)
			n++;
	return n;
}
