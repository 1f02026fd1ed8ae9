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
 * The outage journal keeper: every change of state of a check or a
 * device, every confirmation, goes into <data_dir>/outages.fmoj
 * (common/ojournal.c), the source of truth for availability, and into a
 * live in-memory index (common/availq.c) that the API computes from.
 *
 * The journal is derived from the transport journal: after a crash the
 * collector replays its batches, the same results give the same state
 * changes with the same timestamps, and a change already recorded (same
 * entity, same or older start) is not written twice.  So the write on
 * the loop is a plain write(); the fsync runs in a small thread, asked
 * for after each burst of changes, and a lost tail is rebuilt by the
 * replay.
 *
 * Confirmation: an outage starts at the first failed probe, and is
 * confirmed after confirm_n consecutive failures (counted by state.c)
 * -- that is when alerts may go out, and the time between the two is
 * the time to detect.  An outage that ends before it is confirmed is a
 * blip: it stays in the journal, and the availability figures decide
 * whether to charge it.
 *
 * An outage is open from its first down record until the next record
 * that is known and not down.  Unknown does not end it: a device seen
 * down, then not seen, then seen down again had one outage with a gap
 * in it (the gap unknown, common/availq.c joins the two), confirmed once
 * and alerted once.  Which outage is open, and whether it is confirmed,
 * is kept here from the journal itself, so that a replay after a crash
 * confirms nothing twice and an old outage replayed is not taken for
 * the open one.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outage.h"
#include "../../common/workq.h"
#include "../../avail/avail.h"

#include <jansson.h>

#define OUT_BUCKETS	4096

/* The last thing recorded for a device ("dev/") or a check ("dev/chk"). */
struct entity {
	char		 key[2 * FM_ID_MAX + 2];
	int64_t		 last_at;
	uint8_t		 last_state;
	int64_t		 open_at;	/* start of the open outage, if open */
	int		 open;
	int64_t		 confirmed_at;	/* start of the last confirmed outage */
	struct entity	*next;
};

static struct {
	struct ojournal	*j;
	char		 path[PATH_MAX + 32];
	struct aq	 q;
	struct entity	*b[OUT_BUCKETS];
	struct workq	*wq;		/* the journal's fsync, off the loop */
	struct wjob	 sync_job;	/* kicked; see want_sync() */
	int		 running;
	void		(*listener)(const struct outage_note *);
	uint64_t	 st_records, st_skipped, st_errors, st_syncs;
	int64_t		 last_rec_ms;
} O;

static struct entity *
entity(const char *device, const char *check)
{
	char	 key[sizeof(((struct entity *)0)->key)];
	uint32_t h;
	struct entity *e;

	snprintf(key, sizeof(key), "%s/%s", device, check);
	h = fm_hash32(key) % OUT_BUCKETS;
	for (e = O.b[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	fm_strlcpy(e->key, key, sizeof(e->key));
	e->last_at = INT64_MIN;
	e->confirmed_at = INT64_MIN;
	e->next = O.b[h];
	O.b[h] = e;
	return e;
}

/*
 * The records are written on the loop (a write to the page cache) and
 * made durable on the work queue.  The sync is kicked: one waits at a
 * time, and a record written while it runs queues it once more, since
 * the running fsync may have begun before that record's write.
 */
static void
sync_run(struct wjob *w)
{
	char	 err[256];

	(void)w;
	if (oj_sync(O.j, err, sizeof(err)) == -1)
		log_warnx("outage journal: %s", err);
	__atomic_add_fetch(&O.st_syncs, 1, __ATOMIC_RELAXED);
}

static void
want_sync(void)
{
	O.sync_job.run = sync_run;
	O.sync_job.done = NULL;
	workq_kick(O.wq, &O.sync_job);
}

/* Which outage a state record opens, continues or ends. */
static void
track_open(struct entity *e, uint8_t s, int64_t at)
{
	if (s == AV_DOWN) {
		if (!e->open) {
			e->open = 1;
			e->open_at = at;
		}
	} else if (s != AV_UNKNOWN)
		e->open = 0;
}

/* Remember what the journal already says, to not say it twice. */
static int
load_cb(const struct oj_rec *r, void *arg)
{
	struct entity *e;

	(void)arg;
	if (aq_add(&O.q, r) == -1)
		return -1;
	if (r->type == OJ_STATE) {
		e = entity(r->device, r->check);
		e->last_at = r->at_ms;
		e->last_state = r->state;
		track_open(e, r->state, r->at_ms);
	} else if (r->type == OJ_CONFIRM) {
		e = entity(r->device, r->check);
		e->confirmed_at = r->at_ms;
	}
	return 0;
}

int
outage_open(struct event_base *base, const char *data_dir, char *err,
    size_t errlen)
{
	struct oj_stats st;

	if (fm_mkdirs(data_dir, 0750) == -1) {
		snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
		return -1;
	}
	snprintf(O.path, sizeof(O.path), "%s/outages.fmoj", data_dir);
	aq_init(&O.q);
	if (oj_open(O.path, &O.j, &st, err, errlen) == -1)
		return -1;
	if (st.torn_bytes > 0)
		log_warnx("outage journal %s: cut %llu bytes of a torn last "
		    "record (%s)", O.path, (unsigned long long)st.torn_bytes,
		    st.torn_why);
	if (oj_read(O.path, load_cb, NULL, &st, err, errlen) == -1)
		return -1;
	if ((O.wq = workq_new(base, "outage journal", err, errlen)) == NULL)
		return -1;
	O.running = 1;
	log_info("outage journal %s: %llu records, %zu devices",
	    O.path, (unsigned long long)st.records, O.q.ndev);
	return 0;
}

void
outage_close(void)
{
	char	 err[256];

	if (!O.running)
		return;
	/* What is queued runs; then one last sync for what came after. */
	workq_free(O.wq, WQ_DRAIN);
	O.wq = NULL;
	if (oj_sync(O.j, err, sizeof(err)) == -1)
		log_warnx("outage journal: %s", err);
	oj_close(O.j);
	aq_free(&O.q);
	for (size_t i = 0; i < OUT_BUCKETS; i++)
		while (O.b[i] != NULL) {
			struct entity *e = O.b[i];

			O.b[i] = e->next;
			free(e);
		}
	memset(&O, 0, sizeof(O));
}


/*
 * A device outage confirmed, or a confirmed one over: announced to the
 * listener (the alerting), once the journal holds it.  check is "" for
 * the device; a non-critical check's own outage (the device stays up,
 * degraded) names its check.
 */
static void
notify_check(const char *device, const char *check, int kind, int64_t start,
    int64_t now, const char *cause)
{
	struct outage_note n;

	if (O.listener == NULL)
		return;
	n.d = state_find_device(device);
	n.device = device;
	n.check = check;
	n.kind = kind;
	n.start = start;
	n.now = now;
	n.cause = cause;
	O.listener(&n);
}

static void
notify(const char *device, int kind, int64_t start, int64_t now,
    const char *cause)
{
	notify_check(device, "", kind, start, now, cause);
}

void
outage_listen(void (*fn)(const struct outage_note *))
{
	O.listener = fn;
}

static void
record(struct oj_rec *r)
{
	char	 err[256];

	r->ts_ms = now_ms();
	if (oj_append(O.j, r, err, sizeof(err)) == -1) {
		if (O.st_errors++ % 100 == 0)
			log_warnx("outage journal: %s", err);
		return;
	}
	aq_add(&O.q, r);
	O.st_records++;
	want_sync();
}

/* A record made elsewhere (latency.c): -1 if the journal refused it. */
int
outage_record(struct oj_rec *r)
{
	uint64_t errors = O.st_errors;

	if (!O.running || O.j == NULL)
		return -1;
	record(r);
	return O.st_errors == errors ? 0 : -1;
}

/*
 * An annotation of an outage -- OJ_ACK, OJ_CLASSIFY or OJ_NOTE, from the
 * web or the API -- into the journal and the live index: at_ms is the
 * outage's start.  A record of its own, so that nothing is ever edited
 * and the figures read the latest word.  An ack stops the outage's
 * escalation and re-notification (alerting.c reads it from the index).
 * -1 when the journal is not open or refused it, or the type is not an
 * annotation.
 */
int
outage_annotate(int type, const char *device, const char *check,
    int64_t at_ms, const char *who, const char *text, int cls)
{
	struct oj_rec r;

	if ((type != OJ_ACK && type != OJ_CLASSIFY && type != OJ_NOTE) ||
	    cls < 0 || cls >= OJC_MAX)
		return -1;
	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)type;
	fm_strlcpy(r.device, device, sizeof(r.device));
	fm_strlcpy(r.check, check ? check : "", sizeof(r.check));
	r.at_ms = at_ms;
	r.cls = (uint8_t)cls;
	fm_strlcpy(r.who, who ? who : "", sizeof(r.who));
	fm_strlcpy(r.text, text ? text : "", sizeof(r.text));
	return outage_record(&r);
}

static uint8_t
av_of(int os)
{
	switch (os) {
	case OS_UP:
	case OS_DEGRADED:	/* it works; a secondary check does not */
		return AV_UP;
	case OS_DOWN:
		return AV_DOWN;
	case OS_UNREACHABLE:
		return AV_UNREACHABLE;
	default:
		return AV_UNKNOWN;
	}
}

/* A device's identity, when it is new or changed. */
void
outage_device_info(const struct device_state *d)
{
	struct aq_device *a;
	struct oj_rec r;

	if (!O.running)
		return;
	if ((a = aq_device(&O.q, d->id)) != NULL &&
	    strcmp(a->name, d->name) == 0 && strcmp(a->cls, d->class) == 0 &&
	    strcmp(a->group, d->group) == 0 &&
	    strcmp(a->parent, d->parent) == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.type = OJ_DEVICE;
	fm_strlcpy(r.device, d->id, sizeof(r.device));
	fm_strlcpy(r.text, d->name, sizeof(r.text));
	fm_strlcpy(r.dclass, d->class, sizeof(r.dclass));
	fm_strlcpy(r.group, d->group, sizeof(r.group));
	fm_strlcpy(r.parent, d->parent, sizeof(r.parent));
	record(&r);
}

/*
 * Record a state.  alert: whether the end of a confirmed outage of this
 * entity is alerted on (the device, and non-critical checks; a critical
 * check's outage is the device's).  The end is a known state that is not
 * down: an outage that goes unknown is not over, and its recovery is
 * alerted when the device is seen again and is up.
 */
static void
state_rec(const char *device, const char *check, int os, int64_t at,
    int outcome, const char *cause, int alert)
{
	struct entity *e = entity(device, check);
	uint8_t	 s = av_of(os);
	struct oj_rec r;

	if (at < e->last_at || (at == e->last_at && s == e->last_state)) {
		O.st_skipped++;
		return;
	}
	if (s == e->last_state && e->last_at != INT64_MIN) {
		/* Degraded and up are both "up" to availability. */
		O.st_skipped++;
		return;
	}
	if (alert && e->open && s != AV_DOWN && s != AV_UNKNOWN &&
	    e->confirmed_at == e->open_at)
		notify_check(device, check, OUTAGE_OVER, e->open_at, at, cause);
	memset(&r, 0, sizeof(r));
	r.type = OJ_STATE;
	fm_strlcpy(r.device, device, sizeof(r.device));
	fm_strlcpy(r.check, check, sizeof(r.check));
	r.state = s;
	r.outcome = (uint8_t)outcome;
	r.at_ms = at;
	fm_strlcpy(r.text, cause, sizeof(r.text));
	e->last_at = at;
	e->last_state = s;
	track_open(e, s, at);
	record(&r);
}

void
outage_check_change(const struct device_state *d,
    const struct check_state *c, int os, int64_t at, int outcome,
    const char *msg)
{
	if (!O.running)
		return;
	state_rec(d->id, c->id, os, at, outcome, msg, !c->critical);
}

void
outage_device_change(const struct device_state *d, int os, int64_t at,
    const char *cause)
{
	if (!O.running)
		return;
	state_rec(d->id, "", os, at, 0, cause, 1);
}

/*
 * Confirm the open outage of an entity.  Returns the entity when the
 * confirmation is new, NULL when there is nothing to confirm: no outage is
 * open, it is confirmed already (before a restart, or by an earlier
 * failed probe), or the probe that confirms it is older than the outage
 * (an old outage replayed after a restart).
 */
static const struct entity *
confirm_rec(const char *device, const char *check, int64_t when)
{
	struct entity *e = entity(device, check);
	struct oj_rec r;

	if (!e->open || e->confirmed_at == e->open_at || when < e->open_at)
		return NULL;
	e->confirmed_at = e->open_at;
	memset(&r, 0, sizeof(r));
	r.type = OJ_CONFIRM;
	fm_strlcpy(r.device, device, sizeof(r.device));
	fm_strlcpy(r.check, check, sizeof(r.check));
	r.at_ms = e->open_at;
	r.confirmed_ms = when;
	record(&r);
	return e;
}

/*
 * The check's outage is confirmed (state.c counted the failures).  A
 * non-critical check's own outage is alerted as such, unless its device
 * is cut off behind a parent.  Returns 1 when recorded now.
 */
int
outage_confirm_check(const struct device_state *d,
    const struct check_state *c, int64_t when)
{
	const struct entity *e;

	if (!O.running || (e = confirm_rec(d->id, c->id, when)) == NULL)
		return 0;
	if (!c->critical && d->state != OS_UNREACHABLE)
		notify_check(d->id, c->id, OUTAGE_CONFIRMED, e->open_at, when,
		    c->msg);
	return 1;
}

/*
 * The device's outage is confirmed: by its critical check's failures,
 * or at once by a trap.  Returns 1 when recorded now.
 */
int
outage_confirm_device(const struct device_state *d, int64_t when,
    const char *cause)
{
	const struct entity *e;

	if (!O.running || (e = confirm_rec(d->id, "", when)) == NULL)
		return 0;
	notify(d->id, OUTAGE_CONFIRMED, e->open_at, when, cause);
	return 1;
}

struct aq *
outage_aq(void)
{
	return O.running ? &O.q : NULL;
}

void
outage_stats(uint64_t *records, uint64_t *skipped, uint64_t *errors,
    uint64_t *syncs)
{
	*records = O.st_records;
	*skipped = O.st_skipped;
	*errors = O.st_errors;
	*syncs = __atomic_load_n(&O.st_syncs, __ATOMIC_RELAXED);
}

/* facmon-collector --verify-journal: read every record, say what is there. */
int
outage_verify(const char *path)
{
	struct oj_stats st;
	char	 err[256];

	if (oj_read(path, NULL, NULL, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: %llu records, %llu bytes valid", path,
	    (unsigned long long)st.records, (unsigned long long)st.bytes);
	if (st.torn_bytes > 0) {
		printf(", %llu bytes after them unreadable (%s)\n",
		    (unsigned long long)st.torn_bytes, st.torn_why);
		return 2;
	}
	printf(", no damage\n");
	return 0;
}

static int
dump_cb(const struct oj_rec *r, void *arg)
{
	json_t	*o;
	char	*line;

	(void)arg;
	o = json_pack("{s:s, s:I, s:s, s:s, s:I}", "type",
	    oj_type_name(r->type), "ts_ms", (json_int_t)r->ts_ms, "device",
	    r->device, "check", r->check, "at_ms", (json_int_t)r->at_ms);
	if (o == NULL)
		return -1;
	switch (r->type) {
	case OJ_STATE:
		json_object_set_new(o, "state",
		    json_string(av_state_name(r->state)));
		json_object_set_new(o, "outcome",
		    json_string(probe_result_name(r->outcome)));
		json_object_set_new(o, "text", json_string(r->text));
		break;
	case OJ_CONFIRM:
		json_object_set_new(o, "confirmed_ms",
		    json_integer(r->confirmed_ms));
		break;
	case OJ_DEVICE:
		json_object_set_new(o, "name", json_string(r->text));
		json_object_set_new(o, "class", json_string(r->dclass));
		json_object_set_new(o, "group", json_string(r->group));
		json_object_set_new(o, "parent", json_string(r->parent));
		break;
	case OJ_CLASSIFY:
		json_object_set_new(o, "class",
		    json_string(oj_class_name(r->cls)));
		/* FALLTHROUGH */
	case OJ_ACK:
	case OJ_NOTE:
		json_object_set_new(o, "who", json_string(r->who));
		json_object_set_new(o, "text", json_string(r->text));
		break;
	case OJ_LATENCY:
		json_object_set_new(o, "span_ms", json_integer(r->span_ms));
		json_object_set_new(o, "lat_ms", json_integer(r->lat_ms));
		json_object_set_new(o, "n", json_integer(r->lat_n));
		json_object_set_new(o, "ok", json_integer(r->lat_ok));
		break;
	}
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (line == NULL)
		return -1;
	printf("%s\n", line);
	free(line);
	return 0;
}

/*
 * facmon-collector --dump-journal: every record as one line of JSON, in
 * journal order, for an operator's questions and the tests' own
 * arithmetic.
 */
int
outage_dump(const char *path)
{
	struct oj_stats st;
	char	 err[256];

	if (oj_read(path, dump_cb, NULL, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return st.torn_bytes > 0 ? 2 : 0;
}

static void
confirmed(const struct device_state *d, const struct check_state *c,
    int64_t when, const char *cause)
{
	if (c != NULL)
		outage_confirm_check(d, c, when);
	else
		outage_confirm_device(d, when, cause);
}

/* The outage journal hears every change first (collector.c registers it
 * before the others). */
const struct state_listener outage_listener = {
	.name = "outage journal",
	.check_change = outage_check_change,
	.device_change = outage_device_change,
	.device_info = outage_device_info,
	.confirmed = confirmed,
};

