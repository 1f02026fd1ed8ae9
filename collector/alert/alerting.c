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
 * What the collector alerts on, and whom it tells: the event-loop side
 * of alerting.  outage.c reports confirmed outages and recoveries,
 * state.c every applied result (thresholds), traps.c mapped trap events
 * and events.c facmon's own troubles; this file routes each one through
 * the rules and duty rosters (alert_rules.c), names the devices that are
 * unreachable behind a failed parent, keeps the escalation clock of
 * every unacknowledged outage and hands the result to alert_submit(),
 * which only queues.  Nothing here touches the disk or the network.
 *
 * Idempotency keys are derived from what happened (device, outage
 * start, threshold crossing time), so that the journal replay after a
 * restart produces the same keys and the outbox sends nothing twice.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alerting.h"
#include "alert.h"

#define THR_BUCKETS	1024
#define ESC_MAX		1024	/* outages with a running escalation clock */
#define BEHIND_NAMES	5	/* children named in a parent's alert */

struct thr_entry {
	char		 key[2 * FM_ID_MAX + FM_VNAME_MAX + 8];
	int		 thr;		/* index into the rules' thresholds */
	struct alert_thr_state s;
	struct thr_entry *next;
};

struct esc_entry {
	struct alert_msg m;		/* the original down alert */
	char		 group[FM_ID_MAX], cls[FM_ID_MAX];
	int		 rule;		/* index into the rules */
	struct alert_esc x;
};

static struct {
	const struct alert_conf *c;	/* NULL: alerts off */
	const struct avconf *av;	/* targets, maintenance: the budget */
	struct thr_entry *b[THR_BUCKETS];
	struct esc_entry *esc;
	int		 nesc;
	uint64_t	 st_thr_fired, st_thr_cleared, st_escalated;
	uint64_t	 st_renotified, st_children_folded;
} A;


void
alerting_conf(const struct alert_conf *c)
{
	struct thr_entry *t;
	int	 i;

	A.c = c;
	/* Threshold indexes may have moved: start their counts again. */
	for (i = 0; i < THR_BUCKETS; i++)
		while ((t = A.b[i]) != NULL) {
			A.b[i] = t->next;
			free(t);
		}
	/*
	 * Rule indexes too: each escalation goes on under the first new
	 * rule that escalates it, or ends (alerting_tick drops rule -1).
	 */
	for (i = 0; c != NULL && i < A.nesc; i++) {
		struct esc_entry *e = &A.esc[i];
		const struct alert_rule *r = NULL;
		char	 tmp[ALERT_RCPT_MAX][FM_ID_MAX];

		alert_route(c, AK_DOWN, e->m.severity, e->m.device_id, e->group,
		    e->cls, "", now_ms(), tmp, ALERT_RCPT_MAX, &r);
		e->rule = r != NULL ? (int)(r - c->rules) : -1;
	}
	if (c == NULL) {
		free(A.esc);
		A.esc = NULL;
		A.nesc = 0;
	}
}

/* Route m (recipients empty) and queue it; returns alert_submit's. */
static int
route_submit(struct alert_msg *m, const char *group, const char *cls,
    const struct alert_rule **esc)
{
	int	 r;

	if (A.c == NULL)
		return -1;
	m->nrecipients = alert_route(A.c, m->kind, m->severity, m->device_id,
	    group, cls, m->check, now_ms(), m->recipients, ALERT_RCPT_MAX,
	    esc);
	if ((r = alert_submit(m)) == -1)
		log_warnx("alerts: %s was not queued", m->key);
	else
		log_info("alerts: %s queued for %s%s", m->key,
		    m->nrecipients ? m->recipients[0] : "every recipient",
		    m->nrecipients > 1 ? " and others" : "");
	return r;
}

/*
 * Is dev behind parent (its parent, or its parent's parent ...)?  The
 * depth is bounded: a loop in the configuration must end.
 */
static int
behind(const struct device_state *dev, const char *parent)
{
	const struct device_state *d = dev;
	int	 depth;

	for (depth = 0; depth < 16 && d != NULL && d->parent[0] != '\0';
	    depth++) {
		if (strcmp(d->parent, parent) == 0)
			return 1;
		d = state_find_device(d->parent);
	}
	return 0;
}

/*
 * A failed parent: one alert that counts and names the devices that are
 * unreachable behind it (they get none of their own: state.c makes them
 * unreachable, which is never alerted).  Prefixed to the cause so that
 * even a 70-character SMS keeps the count.
 */
static void
fold_children(struct alert_msg *m)
{
	const struct device_state **v;
	char	 names[FM_TEXT_MAX], cause[FM_TEXT_MAX];
	size_t	 n, i, o = 0;
	int	 nun = 0, nall = 0;

	if ((v = state_devices_sorted(&n)) == NULL)
		return;
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!behind(v[i], m->device_id))
			continue;
		nall++;
		if (v[i]->state != OS_UNREACHABLE && v[i]->state != OS_DOWN)
			continue;
		if (nun++ < BEHIND_NAMES && o + 4 < sizeof(names))
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s%s", o ? ", " : "", v[i]->name[0] ? v[i]->name :
			    v[i]->id);
		if (o >= sizeof(names))
			o = sizeof(names) - 1;
	}
	free(v);
	if (nall == 0)
		return;
	A.st_children_folded += (uint64_t)nun;
	if (nun == 0) {
		m->f.note_kind = AN_BEHIND_ALL;
		m->f.note_n = nall;
		fm_fmt(cause, sizeof(cause), "下游%d台设备受影响; %s", nall,
		    m->cause);
	} else {
		m->f.note_kind = AN_BEHIND;
		m->f.note_n = nun;
		fm_fmt(m->f.note, sizeof(m->f.note), "%s%s", names,
		    nun > BEHIND_NAMES ? " …" : "");
		fm_fmt(cause, sizeof(cause), "下游%d台不可达(%s); %s", nun,
		    m->f.note, m->cause);
	}
	fm_strlcpy(m->cause, cause, sizeof(m->cause));
}

static void
esc_add(const struct alert_msg *m, const char *group, const char *cls,
    const struct alert_rule *r, int64_t confirmed)
{
	struct esc_entry *e;
	int	 i;

	for (i = 0; i < A.nesc; i++)
		if (strcmp(A.esc[i].m.key, m->key) == 0)
			return;
	if (A.esc == NULL && (A.esc = calloc(ESC_MAX, sizeof(*A.esc))) ==
	    NULL)
		return;
	if (A.nesc == ESC_MAX) {
		log_warnx("alerts: %d outages wait for escalation; %s will "
		    "not escalate", ESC_MAX, m->device_id);
		return;
	}
	e = &A.esc[A.nesc++];
	memset(e, 0, sizeof(*e));
	e->m = *m;
	fm_strlcpy(e->group, group, sizeof(e->group));
	fm_strlcpy(e->cls, cls, sizeof(e->cls));
	e->rule = (int)(r - A.c->rules);
	e->x.confirmed_ms = confirmed;
	e->x.escalate_at = r->escalate_ms > 0 && r->nescalate > 0 ?
	    confirmed + r->escalate_ms : 0;
	e->x.renotify_every = r->renotify_ms;
	e->x.next_renotify = confirmed + r->renotify_ms;
}

/*
 * The device page: base_url with or without its trailing '/' gives one
 * correct link (a doubled slash is refused by the web server).
 */
static void
device_link(struct alert_msg *m, const char *device)
{
	char	 path[FM_ID_MAX + 16];

	m->link[0] = '\0';
	if (A.c == NULL || A.c->base_url[0] == '\0')
		return;
	fm_fmt(path, sizeof(path), "#device/%s", device);
	if (fm_url_join(m->link, sizeof(m->link), A.c->base_url, path) == -1)
		log_warnx("alerts: base_url too long for a link to %s", device);
}

/* Where the device is, for the texts (alert_text.c). */
static void
facts_where(struct alert_msg *m, const struct device_state *d)
{
	if (d == NULL)
		return;
	fm_strlcpy(m->f.group, d->group, sizeof(m->f.group));
	fm_strlcpy(m->f.cls, d->class, sizeof(m->f.cls));
	fm_strlcpy(m->f.address, d->address, sizeof(m->f.address));
}

/*
 * The check whose outcome explains an outage: the named one, or the
 * device's first critical check that is down.
 */
static void
facts_probe(struct alert_msg *m, const struct device_state *d)
{
	const struct check_state *c = NULL;
	int	 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nchecks; i++) {
		const struct check_state *x = &d->checks[i];

		if (m->check[0] != '\0') {
			if (strcmp(x->id, m->check) == 0)
				c = x;
		} else if (x->critical && x->have_result &&
		    (m->kind == AK_RECOVERY ? 1 : x->outcome != PR_OK) &&
		    c == NULL)
			c = x;
	}
	if (c == NULL || !c->have_result || c->type == CT_TRAP)
		return;
	/* A recovery is said in its own words; a down needs an outcome. */
	if (m->kind != AK_RECOVERY && c->outcome == PR_OK)
		return;
	m->f.what = AW_PROBE;
	m->f.outcome = m->kind == AK_RECOVERY ? PR_OK : c->outcome;
	m->f.check_type = c->type;
	m->f.timeout_ms = (int)c->timeout_ms;
	m->f.dur_ms = (int)(c->dur_us / 1000);
}

void
alerting_avconf(const struct avconf *av)
{
	A.av = av;
}

/*
 * What an outage costs: the downtime its group may still have this
 * month before missing its target -- the budget left so far plus that
 * of the rest of the month, as the wall's "剩余" -- from the outage
 * journal's live index (no disk).  Unknown without a target.  Only for
 * confirmed device outages, which are rare: one pass over the month.
 */
static void
facts_budget(struct alert_msg *m, const struct device_state *d, int64_t now)
{
	struct aq *q = outage_aq();
	struct aq_row *dr = NULL, *gr = NULL, *cr = NULL, site;
	size_t	 ng = 0, nc = 0, i;
	int64_t	 from, to;
	time_t	 t = (time_t)(now / 1000);
	struct tm tm;

	if (A.av == NULL || q == NULL || d == NULL || d->group[0] == '\0' ||
	    A.av->ntargets == 0 || localtime_r(&t, &tm) == NULL ||
	    av_month_range(tm.tm_year + 1900, tm.tm_mon + 1, A.av->tz, &from,
	    &to) == -1 || now <= from)
		return;
	q->charge_blips = A.av->charge_blips;
	if (aq_compute(q, A.av->rules, A.av->nrules, A.av->targets,
	    A.av->ntargets, from, now, &dr, &gr, &ng, &cr, &nc, &site) == -1)
		return;
	for (i = 0; i < ng; i++) {
		const struct av_result *r = &gr[i].r;

		if (strcmp(gr[i].key, d->group) != 0 || isnan(r->target) ||
		    isnan(r->budget_left_ms))
			continue;
		m->f.budget_known = 1;
		m->f.budget_left_ms = (int64_t)(r->budget_left_ms +
		    (1.0 - r->target) * (double)(to > now ? to - now : 0) *
		    gr[i].ndevices);
		break;
	}
	free(dr);
	free(gr);
	free(cr);
}

/*
 * outage.c: a device outage confirmed (AK_DOWN) or a confirmed one over
 * (AK_RECOVERY); m carries key, device, cause and times.
 */
void
alerting_outage(struct alert_msg *m, const struct device_state *d,
    int64_t now)
{
	const struct alert_rule *r = NULL;
	const char *group = d ? d->group : "", *cls = d ? d->class : "";

	if (A.c == NULL)
		return;
	device_link(m, m->device_id);
	facts_where(m, d);
	facts_probe(m, d);
	if (m->kind == AK_DOWN)
		facts_budget(m, d, now);
	if (m->kind == AK_DOWN)
		fold_children(m);
	/* Escalation follows device outages, which the journal indexes. */
	if (route_submit(m, group, cls, &r) == 0 && m->kind == AK_DOWN &&
	    r != NULL && m->check[0] == '\0')
		esc_add(m, group, cls, r, now);
}

/*
 * The idempotency key of an outage's alert: device, check, start, and
 * whether it went down or came back.  The suffix must survive whatever
 * the ids' length -- a recovery keyed like its outage is dropped as
 * already sent -- so ids too long for the key are cut and a hash of the
 * whole of them added, which keeps keys apart and stable across restarts.
 */
static void
alert_key(char *key, size_t len, const char *device, const char *check,
    int64_t start, int kind)
{
	char	 id[2 * FM_ID_MAX + 2], tail[48], hash[16] = "";
	size_t	 il, tl, hl;

	snprintf(id, sizeof(id), "%s%s%s", device, check[0] ? "." : "",
	    check);
	snprintf(tail, sizeof(tail), "-%lld-%s", (long long)start,
	    kind == AK_DOWN ? "down" : "up");
	il = strlen(id);
	tl = strlen(tail);
	if (il + tl >= len) {
		snprintf(hash, sizeof(hash), "_%08x", fm_hash32(id));
		il = len - 1 - tl - strlen(hash);
	}
	hl = strlen(hash);
	memcpy(key, id, il);
	memcpy(key + il, hash, hl);
	memcpy(key + il + hl, tail, tl + 1);
}

/*
 * The outage journal announces an outage confirmed or a confirmed one
 * over: tell people.  The key is the outage's own (device, check and
 * start), so a replay after a crash that confirms the same outage again
 * changes nothing in the outbox.  Inside a maintenance window nothing
 * goes out.
 */
void
alerting_outage_note(const struct outage_note *n)
{
	struct alert_msg m;
	int	 kind = n->kind == OUTAGE_CONFIRMED ? AK_DOWN : AK_RECOVERY;

	if (A.c == NULL)
		return;
	if (maint_in(n->d, n->now)) {
		log_info("outage of %s: in a maintenance window, no alert",
		    n->device);
		return;
	}
	memset(&m, 0, sizeof(m));
	alert_key(m.key, sizeof(m.key), n->device, n->check, n->start, kind);
	fm_strlcpy(m.check, n->check, sizeof(m.check));
	m.kind = kind;
	m.severity = kind == AK_DOWN ? AS_CRITICAL : AS_INFO;
	fm_strlcpy(m.device_id, n->device, sizeof(m.device_id));
	fm_strlcpy(m.device_name, n->d ? n->d->name : n->device,
	    sizeof(m.device_name));
	fm_strlcpy(m.cause, n->cause, sizeof(m.cause));
	m.since_ms = n->start;
	m.duration_ms = n->now - n->start;
	/* Routing, storm folding, escalation; alert_submit() only queues. */
	alerting_outage(&m, n->d, n->now);
}

/*
 * At start: outages confirmed before a restart and neither over nor
 * acknowledged get their escalation clocks back, from the outage
 * journal.  Re-notifications continue their count, so their keys do
 * not repeat; an escalation already sent is dropped by its key.
 */
void
alerting_resume(int64_t now)
{
	struct aq *q = outage_aq();
	size_t	 i;

	if (A.c == NULL || q == NULL || A.c->nrules == 0)
		return;
	for (i = 0; i < q->nout; i++) {
		const struct aq_outage *o = &q->out[i];
		struct aq_device *ad;
		const struct alert_rule *r = NULL;
		struct alert_msg m;
		char	 tmp[ALERT_RCPT_MAX][FM_ID_MAX];
		int	 k;

		if (o->end_ms != 0 || o->confirmed_ms == 0 || o->acked_ms != 0 ||
		    o->check[0] != '\0' ||
		    (ad = aq_device(q, o->device)) == NULL)
			continue;
		alert_route(A.c, AK_DOWN, AS_CRITICAL, o->device, ad->group,
		    ad->cls, "", now, tmp, ALERT_RCPT_MAX, &r);
		if (r == NULL)
			continue;
		memset(&m, 0, sizeof(m));
		/* The key notify() in outage.c gave the down alert. */
		fm_fmt(m.key, sizeof(m.key), "%s-%lld-down", o->device,
		    (long long)o->start_ms);
		m.kind = AK_DOWN;
		m.severity = AS_CRITICAL;
		fm_strlcpy(m.device_id, o->device, sizeof(m.device_id));
		fm_strlcpy(m.device_name, ad->name[0] ? ad->name : o->device,
		    sizeof(m.device_name));
		fm_strlcpy(m.cause, o->cause, sizeof(m.cause));
		m.since_ms = o->start_ms;
		device_link(&m, o->device);
		fm_strlcpy(m.f.group, ad->group, sizeof(m.f.group));
		fm_strlcpy(m.f.cls, ad->cls, sizeof(m.f.cls));
		k = A.nesc;
		esc_add(&m, ad->group, ad->cls, r, o->confirmed_ms);
		if (A.nesc > k && r->renotify_ms > 0 &&
		    now > o->confirmed_ms) {
			struct alert_esc *x = &A.esc[A.nesc - 1].x;

			x->renotified = (int)((now - o->confirmed_ms) /
			    r->renotify_ms);
			x->next_renotify = o->confirmed_ms +
			    (int64_t)(x->renotified + 1) * r->renotify_ms;
		}
	}
	if (A.nesc > 0)
		log_info("alerts: %d unacknowledged outages wait for "
		    "escalation", A.nesc);
}

/* The outage an escalation waits on, from the outage journal's index. */
static const struct aq_outage *
find_outage(const char *device, int64_t start)
{
	struct aq *q = outage_aq();
	size_t	 i;

	if (q == NULL)
		return NULL;
	for (i = q->nout; i > 0; i--) {
		const struct aq_outage *o = &q->out[i - 1];

		if (o->start_ms == start && o->check[0] == '\0' &&
		    strcmp(o->device, device) == 0)
			return o;
	}
	return NULL;
}

/*
 * Every second: an outage nobody acknowledged escalates after the
 * rule's time and is re-notified every renotify interval, until it is
 * acknowledged (an OJ_ACK in the outage journal) or over.
 */
void
alerting_tick(int64_t now)
{
	int	 i, act;

	for (i = 0; i < A.nesc; i++) {
		struct esc_entry *e = &A.esc[i];
		const struct aq_outage *o = find_outage(e->m.device_id,
		    e->m.since_ms);
		const struct alert_rule *r;
		struct alert_msg m;
		char	 dur[32];

		act = alert_esc_step(&e->x, now, o != NULL && o->acked_ms != 0,
		    o == NULL || o->end_ms != 0);
		if (act == ESC_NONE)
			continue;
		if (act == ESC_DONE || A.c == NULL || e->rule < 0 ||
		    e->rule >= A.c->nrules) {
			A.esc[i--] = A.esc[--A.nesc];
			continue;
		}
		r = &A.c->rules[e->rule];
		m = e->m;
		m.duration_ms = now - m.since_ms;
		alert_duration(dur, sizeof(dur), now - e->x.confirmed_ms, 0);
		if (act == ESC_ESCALATE) {
			fm_fmt(m.key, sizeof(m.key), "%.80s-esc", e->m.key);
			fm_fmt(m.cause, sizeof(m.cause), "升级:%s无人确认; %s",
			    dur, e->m.cause);
			m.f.note_kind = AN_ESCALATED;
			m.f.note_ms = now - e->x.confirmed_ms;
			m.nrecipients = alert_expand_names(A.c,
			    (char (*)[FM_ID_MAX])r->escalate_to, r->nescalate,
			    now, m.recipients, ALERT_RCPT_MAX);
			A.st_escalated++;
			log_info("alerts: %s not acknowledged, escalated",
			    e->m.device_id);
		} else {
			fm_fmt(m.key, sizeof(m.key), "%.80s-re%d", e->m.key,
			    e->x.renotified);
			fm_fmt(m.cause, sizeof(m.cause), "仍未恢复,%s无人确认; "
			    "%s", dur, e->m.cause);
			m.f.note_kind = AN_RENOTIFY;
			m.f.note_ms = now - e->x.confirmed_ms;
			m.nrecipients = alert_route(A.c, m.kind, m.severity,
			    m.device_id, e->group, e->cls, m.check, now,
			    m.recipients, ALERT_RCPT_MAX, NULL);
			A.st_renotified++;
		}
		if (alert_submit(&m) == -1)
			log_warnx("alerts: %s was not queued", m.key);
	}
}

/*
 * The numeric value a threshold looks at: a gauge, a counter's rate, a
 * text that is a plain number (an SNMP string), or the probe's own
 * duration as "duration_ms".  NaN: none.
 */
static double
value_of(const struct value_state *v)
{
	char	*end;
	double	 d;

	if (v->kind == VK_TEXT) {
		if (v->text == NULL || v->text[0] == '\0')
			return NAN;
		d = strtod(v->text, &end);
		return *end == '\0' ? d : NAN;
	}
	return v->d;
}

/* The entry of threshold thr on one value; created if 'make'. */
static struct thr_entry *
thr_find(const char *device, const char *check, const char *value, int thr,
    int make)
{
	char	 key[sizeof(((struct thr_entry *)0)->key)];
	struct thr_entry *t;
	uint32_t h;

	fm_fmt(key, sizeof(key), "%s/%s/%s", device, check, value);
	h = (fm_hash32(key) + (uint32_t)thr) % THR_BUCKETS;
	for (t = A.b[h]; t != NULL; t = t->next)
		if (t->thr == thr && strcmp(t->key, key) == 0)
			return t;
	if (!make || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	fm_strlcpy(t->key, key, sizeof(t->key));
	t->thr = thr;
	t->next = A.b[h];
	A.b[h] = t;
	return t;
}

static struct thr_entry *
thr_get(const char *device, const char *check, const char *value, int thr)
{
	return thr_find(device, check, value, thr, 1);
}

/*
 * warnings.c: threshold thr (an index into the alert configuration's
 * thresholds) on one value, as the alerts judge it -- hit counts and
 * hysteresis included -- so that the wall and the alerts never disagree.
 * NULL: never judged (alerts off, or no result since the last reload).
 */
const struct alert_thr_state *
alerting_thr_state(const char *device, const char *check, const char *value,
    int thr)
{
	struct thr_entry *t;

	if (A.c == NULL || thr < 0 || thr >= A.c->nthresholds)
		return NULL;
	t = thr_find(device, check, value, thr, 0);
	return t != NULL ? &t->s : NULL;
}

static void
thr_alert(const struct device_state *d, const struct check_state *c,
    const struct alert_threshold *t, const char *vname, double v,
    struct thr_entry *te, int fired, int64_t at)
{
	struct alert_msg m;
	char	 key[sizeof(te->key) + FM_ID_MAX];

	if (maint_in(d, at)) {
		log_info("threshold %s on %s: in a maintenance window, no "
		    "alert", t->name, d->id);
		return;
	}
	memset(&m, 0, sizeof(m));
	/* Hashed: value names may hold characters keys may not. */
	fm_fmt(key, sizeof(key), "%s/%s", te->key, t->name);
	fm_fmt(m.key, sizeof(m.key), "thr.%.40s.%08x.%lld%s", d->id,
	    fm_hash32(key), (long long)te->s.since_ms, fired > 0 ? "" : ".up");
	m.kind = fired > 0 ? AK_THRESHOLD : AK_RECOVERY;
	m.severity = fired > 0 ? t->severity : AS_INFO;
	fm_strlcpy(m.device_id, d->id, sizeof(m.device_id));
	fm_strlcpy(m.device_name, d->name, sizeof(m.device_name));
	fm_strlcpy(m.check, c->id, sizeof(m.check));
	/* The site's words for it; alert_text.c says the rest. */
	fm_strlcpy(m.cause, t->text, sizeof(m.cause));
	m.f.what = AW_THRESHOLD;
	fm_strlcpy(m.f.value_name, vname, sizeof(m.f.value_name));
	m.f.value = v;
	m.f.limit = fired > 0 ? t->limit : t->clear;
	m.f.op = t->op;
	m.f.hits = t->hits;
	fm_strlcpy(m.f.label, t->label, sizeof(m.f.label));
	fm_strlcpy(m.f.label_en, t->label_en, sizeof(m.f.label_en));
	fm_strlcpy(m.f.unit, t->unit, sizeof(m.f.unit));
	m.f.scale = t->scale;
	facts_where(&m, d);
	m.since_ms = te->s.since_ms;
	m.duration_ms = at - te->s.since_ms;
	device_link(&m, d->id);
	if (fired > 0)
		A.st_thr_fired++;
	else
		A.st_thr_cleared++;
	route_submit(&m, d->group, d->class, NULL);
}

/* state.c: a result was applied to c; its values are current. */
void
alerting_result(const struct device_state *d, const struct check_state *c,
    const struct fm_result *r)
{
	int	 i, j, step;

	if (A.c == NULL || A.c->nthresholds == 0)
		return;
	for (i = 0; i < A.c->nthresholds; i++) {
		const struct alert_threshold *t = &A.c->thresholds[i];
		struct thr_entry *te;

		if (!alert_match(&t->m, AK_THRESHOLD, AS_CRITICAL, d->id,
		    d->group, d->class, c->id))
			continue;
		if (strcmp(t->value, "duration_ms") == 0) {
			/* A failed probe has no latency to judge. */
			if (r->outcome != PR_OK && r->outcome != PR_SLOW)
				continue;
			if ((te = thr_get(d->id, c->id, t->value, i)) == NULL)
				continue;
			step = alert_thr_step(t, &te->s, r->dur_us / 1000.0,
			    r->ts_ms);
			if (step != 0)
				thr_alert(d, c, t, t->value, r->dur_us / 1000.0,
				    te, step, r->ts_ms);
			continue;
		}
		for (j = 0; j < c->nvalues; j++) {
			const struct value_state *v = &c->values[j];
			double	 x;

			if (fnmatch(t->value, v->name, 0) != 0)
				continue;
			if (isnan(x = value_of(v)))
				continue;
			if ((te = thr_get(d->id, c->id, v->name, i)) == NULL)
				continue;
			if ((step = alert_thr_step(t, &te->s, x,
			    r->ts_ms)) != 0)
				thr_alert(d, c, t, v->name, x, te, step,
				    r->ts_ms);
		}
	}
}

/*
 * traps.c: a trap mapped to an event (an elevator fault, a door
 * forced).  One alert per device, trap and minute: a chattering device
 * cannot flood the outbox.
 */
void
alerting_trap(const char *device, const char *name, const char *oid,
    const char *detail, int64_t ts)
{
	const struct device_state *d = state_find_device(device);
	struct alert_msg m;
	char	 h[FM_ID_MAX * 3];

	if (A.c == NULL)
		return;
	if (d != NULL && maint_in(d, ts))
		return;
	memset(&m, 0, sizeof(m));
	fm_fmt(h, sizeof(h), "%s/%s", device, name);
	fm_fmt(m.key, sizeof(m.key), "trap.%08x.%lld", fm_hash32(h),
	    (long long)(ts / 60000));
	m.kind = AK_EVENT;
	m.severity = AS_WARNING;
	fm_strlcpy(m.device_id, device, sizeof(m.device_id));
	fm_strlcpy(m.device_name, d ? d->name : device, sizeof(m.device_name));
	fm_strlcpy(m.check, "trap", sizeof(m.check));
	fm_fmt(m.cause, sizeof(m.cause), "%s%s%s", name, detail[0] ? ": " :
	    "", detail);
	m.since_ms = ts;
	m.f.what = AW_TRAP;
	fm_strlcpy(m.f.trap_oid, oid, sizeof(m.f.trap_oid));
	fm_strlcpy(m.f.varbinds, detail, sizeof(m.f.varbinds));
	fm_strlcpy(m.f.label, name, sizeof(m.f.label));
	facts_where(&m, d);
	device_link(&m, device);
	route_submit(&m, d ? d->group : "", d ? d->class : "", NULL);
}

/*
 * events.c: facmon's own troubles.  One alert per kind, agent and hour;
 * the good news (agent reachable again, storage ok) is not paged.
 */
void
alerting_event(const struct fm_event *ev)
{
	/*
	 * What is paged, and how urgently: monitoring lost (an agent, the
	 * journal) is critical; data kept out or dropped too, as before;
	 * graphs no longer growing is a warning; the end of a loss is news.
	 */
	static const struct { const char *kind; int sev; } health[] = {
		{ "agent-unreachable", AS_CRITICAL },
		{ "clock-skew", AS_CRITICAL },
		{ "storage-alarm", AS_CRITICAL },
		{ "spool-drop", AS_CRITICAL },
		{ "rrd-limit", AS_WARNING },
		{ "rrd-budget", AS_WARNING },
		{ "agent-reachable", AS_INFO },
		{ "storage-ok", AS_INFO },
		{ NULL, 0 }
	};
	struct alert_msg m;
	char	 h[FM_ID_MAX + 40];
	int	 i;

	if (A.c == NULL)
		return;
	for (i = 0; health[i].kind != NULL &&
	    strcmp(health[i].kind, ev->kind) != 0; i++)
		;
	if (health[i].kind == NULL)
		return;
	memset(&m, 0, sizeof(m));
	fm_fmt(h, sizeof(h), "%s/%s", ev->kind, ev->agent);
	fm_fmt(m.key, sizeof(m.key), "fmhealth.%s.%08x.%lld", ev->kind,
	    fm_hash32(h), (long long)(ev->ts_ms / 3600000));
	m.kind = AK_HEALTH;
	m.severity = health[i].sev;
	fm_strlcpy(m.device_id, ev->agent[0] ? ev->agent : "facmon",
	    sizeof(m.device_id));
	fm_fmt(m.device_name, sizeof(m.device_name), "facmon%s%s",
	    ev->agent[0] ? " agent " : "", ev->agent);
	fm_strlcpy(m.check, ev->kind, sizeof(m.check));
	/* The log's line, kind first, for whoever digs deeper. */
	fm_fmt(m.cause, sizeof(m.cause), "%s: %s", ev->kind, ev->msg);
	/* The facts, put into the configured language by alert_text.c. */
	m.f.what = AW_HEALTH;
	fm_strlcpy(m.f.health, ev->kind, sizeof(m.f.health));
	fm_strlcpy(m.f.agent, ev->agent, sizeof(m.f.agent));
	m.f.hn[0] = ev->n[0];
	m.f.hn[1] = ev->n[1];
	fm_strlcpy(m.f.harg, ev->arg, sizeof(m.f.harg));
	m.since_ms = ev->ts_ms;
	route_submit(&m, "facmon", "facmon", NULL);
}

void
alerting_stats(uint64_t *fired, uint64_t *cleared, uint64_t *escalated,
    uint64_t *renotified, uint64_t *folded)
{
	*fired = A.st_thr_fired;
	*cleared = A.st_thr_cleared;
	*escalated = A.st_escalated;
	*renotified = A.st_renotified;
	*folded = A.st_children_folded;
}

/* --- one-tap acknowledgement (alert_ack.c signs the links) ---------------- */

static const struct aq_outage *
find_outage_check(const char *device, const char *check, int64_t start)
{
	struct aq *q = outage_aq();
	size_t	 i;

	if (q == NULL)
		return NULL;
	for (i = q->nout; i > 0; i--) {
		const struct aq_outage *o = &q->out[i - 1];

		if (o->start_ms == start && strcmp(o->check, check) == 0 &&
		    strcmp(o->device, device) == 0)
			return o;
	}
	return NULL;
}

/*
 * A small page for a phone; every value escaped.  tok: a form for it,
 * with a button (an acknowledgement) or, login asked, the login fields.
 */
enum { ACK_FORM_NONE, ACK_FORM_BUTTON, ACK_FORM_LOGIN };

static void
ack_page(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text, const char *tok, int form)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	struct sbuf s = { NULL, 0, 0, 0 };

	if (b == NULL)
		return;
	sb_puts(&s, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
	    "charset=\"utf-8\"><meta name=\"viewport\" content=\"width="
	    "device-width, initial-scale=1\"><title>facmon</title><style>"
	    "body{font-family:sans-serif;font-size:18px;margin:16px}"
	    "input{font-size:18px;padding:8px;margin:4px 0 12px;width:100%;"
	    "box-sizing:border-box}"
	    "button{font-size:20px;padding:12px 24px;background:#2e7d32;"
	    "color:#fff;border:0;border-radius:6px}</style></head><body>\n"
	    "<h2>");
	sb_html(&s, title);
	sb_puts(&s, "</h2>\n<p>");
	sb_html(&s, text);
	sb_puts(&s, "</p>\n");
	if (tok != NULL && form != ACK_FORM_NONE) {
		/* A POST: a scanner that opens links acknowledges nothing. */
		sb_puts(&s, "<form method=\"post\" action=\"ack\">"
		    "<input type=\"hidden\" name=\"t\" value=\"");
		sb_html(&s, tok);
		sb_puts(&s, "\">");
		if (form == ACK_FORM_LOGIN)
			sb_puts(&s, "<label>用户名 User<input name=\"user\" "
			    "autocomplete=\"username\" required></label>"
			    "<label>密码 Password<input name=\"password\" "
			    "type=\"password\" autocomplete=\"current-password"
			    "\" required></label><button type=\"submit\">"
			    "登录并确认 Log in and acknowledge</button>");
		else
			sb_puts(&s, "<button type=\"submit\">确认 Acknowledge"
			    "</button>");
		sb_puts(&s, "</form>\n");
	}
	sb_puts(&s, "</body></html>\n");
	if (s.p != NULL)
		evbuffer_add(b, s.p, s.len);
	free(s.p);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* A parameter of a query or a form body: 1 found. */
static int
ack_param(const char *qs, const char *name, char *dst, size_t len)
{
	struct evkeyvalq args;
	const char *v;
	int	 ok = 0;

	TAILQ_INIT(&args);
	if (qs != NULL && evhttp_parse_query_str(qs, &args) == 0 &&
	    (v = evhttp_find_header(&args, name)) != NULL && strlen(v) < len) {
		fm_strlcpy(dst, v, len);
		ok = 1;
	}
	evhttp_clear_headers(&args);
	return ok;
}

/*
 * The token checked against the clock and the journal, as late as the
 * moment of acknowledging: 0 and the outage, or -1 after an answer
 * (403 forged, 410 expired, 404 no such outage, 409 acknowledged
 * already -- a replayed link).
 */
static int
ack_check(struct evhttp_request *req, const char *tok, struct alert_ack *a,
    const struct aq_outage **op, char *what, size_t wlen)
{
	const struct aq_outage *o;
	char	 t[48];
	int	 r;

	if ((r = alert_ack_verify(tok, now_ms(), a)) == -1) {
		log_warnx("alerts: acknowledgement link refused: bad signature");
		ack_page(req, 403, "Forbidden", "链接无效",
		    "This acknowledgement link is not valid.", NULL, 0);
		return -1;
	}
	if (r == -2) {
		ack_page(req, 410, "Gone", "链接已过期",
		    "This acknowledgement link has expired: acknowledge in "
		    "the console.", NULL, 0);
		return -1;
	}
	if ((o = find_outage_check(a->device, a->check, a->start_ms)) ==
	    NULL) {
		ack_page(req, 404, "Not Found", "找不到该故障",
		    "No such outage.", NULL, 0);
		return -1;
	}
	alert_time(t, sizeof(t), a->start_ms, AT_FULL, 0);
	fm_fmt(what, wlen, "%s%s%s，%s起%s", a->device, a->check[0] ?
	    " " : "", a->check, t, o->end_ms != 0 ? "（已恢复）" : "");
	if (o->acked_ms != 0) {
		char	 msg[FM_TEXT_MAX * 3];

		fm_fmt(msg, sizeof(msg), "%s：已由 %s 确认", what, o->acked_by);
		ack_page(req, 409, "Conflict", "已确认", msg, NULL, 0);
		return -1;
	}
	*op = o;
	return 0;
}

/*
 * Acknowledge as user: the person logged in, or the link's recipient
 * when the console has no logins (the token is the authority then).
 */
static void
ack_finish(struct evhttp_request *req, const char *tok, const char *user)
{
	const struct aq_outage *o;
	struct alert_ack a;
	char	 what[FM_TEXT_MAX * 2], note[FM_TEXT_MAX];

	if (ack_check(req, tok, &a, &o, what, sizeof(what)) == -1)
		return;
	if (user == NULL)
		user = a.who;
	if (strcmp(user, a.who) == 0)
		fm_strlcpy(note, "一键确认（告警链接）", sizeof(note));
	else
		fm_fmt(note, sizeof(note), "一键确认（发给 %s 的告警链接）",
		    a.who);
	if (outage_annotate(OJ_ACK, a.device, a.check, a.start_ms, user,
	    note, 0) == -1) {
		ack_page(req, 503, "Service Unavailable", "暂时无法确认",
		    "The outage journal refused the record.", NULL, 0);
		return;
	}
	log_info("alerts: %s acknowledged the outage of %s%s%s from an alert "
	    "link sent to %s", user, a.device, a.check[0] ? " " : "",
	    a.check, a.who);
	ack_page(req, 200, "OK", "已确认", what, NULL, 0);
}

/* A login from the page is done: acknowledge, or ask again. */
static void
ack_login_done(struct evhttp_request *req, const char *user, void *arg)
{
	char	*tok = arg;
	struct alert_ack a;
	const struct aq_outage *o;
	char	 what[FM_TEXT_MAX * 2];

	if (user != NULL)
		ack_finish(req, tok, user);
	else if (ack_check(req, tok, &a, &o, what, sizeof(what)) == 0)
		ack_page(req, 401, "Unauthorized", "用户名或密码错误",
		    "Wrong user name or password.", tok, ACK_FORM_LOGIN);
	free(tok);
}

/*
 * http.c: GET /ack?t=TOKEN shows the outage and a button; POST /ack
 * (t=TOKEN) acknowledges it.  Without logins the token is enough and
 * the link's recipient acknowledges.  With logins (the 'web' group has
 * users) the page asks to log in first -- user and password go with
 * the token in the same POST -- and the person logged in acknowledges;
 * a session already open is used as it is.  Either way the token must
 * still be valid and the outage unacknowledged when it is done.
 * Returns 0 for any other path.
 */
int
alerting_ack_http(struct evhttp_request *req, const char *path,
    const struct ack_web *web)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const struct aq_outage *o;
	const char *user;
	struct alert_ack a;
	char	 tok[512], body[1024], what[FM_TEXT_MAX * 2];
	char	 name[64], pw[512], *held;
	struct evbuffer *in;
	int64_t	 retry;
	size_t	 n;
	int	 r;

	if (strcmp(path, "/ack") != 0)
		return 0;
	body[0] = '\0';
	if (cmd == EVHTTP_REQ_POST) {
		in = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(in);
		if (n >= sizeof(body)) {
			ack_page(req, 413, "Payload Too Large", "请求过大",
			    "Payload too large", NULL, 0);
			return 1;
		}
		evbuffer_remove(in, body, n);
		body[n] = '\0';
		r = ack_param(body, "t", tok, sizeof(tok));
	} else if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		r = ack_param(uri ? evhttp_uri_get_query(uri) : NULL, "t", tok,
		    sizeof(tok));
	else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, POST");
		ack_page(req, 405, "Method Not Allowed", "不支持的请求",
		    "GET or POST", NULL, 0);
		return 1;
	}
	if (!r)
		tok[0] = '\0';
	if (ack_check(req, tok, &a, &o, what, sizeof(what)) == -1) {
		explicit_bzero(body, sizeof(body));
		return 1;
	}
	user = web->logins ? web->user : NULL;
	if (cmd != EVHTTP_REQ_POST) {
		ack_page(req, 200, "OK", "确认故障", what, tok,
		    web->logins && user == NULL ? ACK_FORM_LOGIN :
		    ACK_FORM_BUTTON);
		return 1;
	}
	if (!web->logins || user != NULL) {
		ack_finish(req, tok, user);
		return 1;
	}
	/* Logins are on and nobody is logged in: the form's own. */
	if (!ack_param(body, "user", name, sizeof(name)) ||
	    !ack_param(body, "password", pw, sizeof(pw))) {
		explicit_bzero(body, sizeof(body));
		ack_page(req, 401, "Unauthorized", "请先登录",
		    "Log in to acknowledge.", tok, ACK_FORM_LOGIN);
		return 1;
	}
	explicit_bzero(body, sizeof(body));
	if ((held = strdup(tok)) == NULL) {
		explicit_bzero(pw, sizeof(pw));
		ack_page(req, 503, "Service Unavailable", "暂时无法确认",
		    "Out of memory.", NULL, 0);
		return 1;
	}
	r = web->login(req, name, pw, ack_login_done, held, &retry);
	explicit_bzero(pw, sizeof(pw));
	if (r == 0)
		return 1;	/* ack_login_done() answers */
	free(held);
	if (r == -2) {
		char	 ra[32];

		snprintf(ra, sizeof(ra), "%lld", (long long)(retry / 1000 + 1));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", ra);
		ack_page(req, 429, "Too Many Requests", "登录失败次数过多",
		    "Too many failed logins: try later.", NULL, 0);
	} else if (r == -3) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		ack_page(req, 503, "Service Unavailable", "请稍后再试",
		    "Too many logins at once: try again.", tok,
		    ACK_FORM_LOGIN);
	} else
		ack_page(req, 401, "Unauthorized", "用户名或密码错误",
		    "Wrong user name or password.", tok, ACK_FORM_LOGIN);
	return 1;
}

const struct state_listener alerting_listener = {
	.name = "alerting",
	.result = alerting_result,
};
