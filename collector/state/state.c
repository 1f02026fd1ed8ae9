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
 * Device and check state.
 *
 * A check is up, down or unknown, from the outcome of its last result,
 * and unknown from one interval after its last result once it has said
 * nothing for unknown_after intervals.  A device derives its state from
 * its checks: unknown when it has no check, every check is unknown, or
 * every critical check is unknown; down when a critical check is down,
 * degraded when only non-critical checks are down, else up.  Each state carries
 * since_ms, the timestamp of the result that started it, so an outage
 * reads from its first failed probe, not from when the collector noticed.
 *
 * Devices are found by id through a hash table: a batch of thousands of
 * results must not cost a scan of every device per result.  Device ids
 * are unique per agent; when a second agent claims an id that another
 * agent already has, the first one keeps it.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

struct devtab {
	struct device_state **b;	/* buckets */
	size_t		 nb;		/* a power of two */
	size_t		 n;
	uint64_t	 gen;		/* of state_set_devices() calls */
};

static struct devtab	 tab;
static struct state_stats st_stats;
static int		 gap_intervals = 3;	/* unknown_after, as last seen */
static int		 confirm_n = 3;		/* failed probes to confirm */

#define LISTENERS_MAX	8
static const struct state_listener *listeners[LISTENERS_MAX];
static int		 nlisteners;

/* Every listener that has this member, in the order they registered. */
#define ANNOUNCE(member, ...) do {					\
	int	 li_;							\
									\
	for (li_ = 0; li_ < nlisteners; li_++)				\
		if (listeners[li_]->member != NULL)			\
			listeners[li_]->member(__VA_ARGS__);		\
} while (0)

void
state_listen(const struct state_listener *l)
{
	int	 i;

	for (i = 0; i < nlisteners; i++)
		if (listeners[i] == l)
			return;
	if (nlisteners == LISTENERS_MAX)
		fatalx("state_listen: too many listeners (%s)", l->name);
	listeners[nlisteners++] = l;
}

void
state_unlisten_all(void)
{
	nlisteners = 0;
}

static const char *const state_names[] = {
	[OS_UNKNOWN] = "unknown",
	[OS_UP] = "up",
	[OS_DOWN] = "down",
	[OS_DEGRADED] = "degraded",
	[OS_UNREACHABLE] = "unreachable",
};

const char *
state_name(int s)
{
	if (s < OS_UNKNOWN || s > OS_UNREACHABLE)
		return "unknown";
	return state_names[s];
}

void
state_init(void)
{
	state_free();
	tab.nb = 1024;
	if ((tab.b = calloc(tab.nb, sizeof(*tab.b))) == NULL)
		fatal("state_init");
}

static void
check_clear(struct check_state *c)
{
	int	 i;

	for (i = 0; i < c->nvalues; i++)
		free(c->values[i].text);
	free(c->values);
	c->values = NULL;
	c->nvalues = 0;
	if (c->meta != NULL) {
		fm_valmeta_free(c->meta);
		free(c->meta);
		c->meta = NULL;
	}
}

static void
device_free(struct device_state *d)
{
	int	 i;

	for (i = 0; i < d->nchecks; i++)
		check_clear(&d->checks[i]);
	free(d->checks);
	free(d->kids);
	free(d);
}

void
state_free(void)
{
	struct device_state *d, *next;
	size_t	 i;

	for (i = 0; i < tab.nb; i++)
		for (d = tab.b[i]; d != NULL; d = next) {
			next = d->hnext;
			device_free(d);
		}
	free(tab.b);
	memset(&tab, 0, sizeof(tab));
	memset(&st_stats, 0, sizeof(st_stats));
}

static struct device_state *
find(const char *id)
{
	struct device_state *d;

	if (tab.nb == 0)
		return NULL;
	for (d = tab.b[fm_hash32(id) & (tab.nb - 1)]; d != NULL; d = d->hnext)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

static void
grow(void)
{
	struct device_state **nb, *d, *next;
	size_t	 i, n = tab.nb * 2;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < tab.nb; i++)
		for (d = tab.b[i]; d != NULL; d = next) {
			next = d->hnext;
			d->hnext = nb[fm_hash32(d->id) & (n - 1)];
			nb[fm_hash32(d->id) & (n - 1)] = d;
		}
	free(tab.b);
	tab.b = nb;
	tab.nb = n;
}

static void
insert(struct device_state *d)
{
	size_t	 h;

	if (tab.n >= tab.nb)
		grow();
	h = fm_hash32(d->id) & (tab.nb - 1);
	d->hnext = tab.b[h];
	tab.b[h] = d;
	tab.n++;
}

static void
unlink_dev(struct device_state *d)
{
	struct device_state **pp;

	for (pp = &tab.b[fm_hash32(d->id) & (tab.nb - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			tab.n--;
			return;
		}
}

/* Whether the device d hangs off is down or cut off itself. */
static int
parent_failed(const struct device_state *d)
{
	return d->up != NULL && (d->up->state == OS_DOWN ||
	    d->up->state == OS_UNREACHABLE);
}

/*
 * What a check says about its device now, which is not always what its
 * last result said.  A failure taken while the parent was down shows
 * only that the path was cut: once the parent is no longer down it says
 * nothing about the device, which is unknown until the check's next
 * result (a device with such a check is neither down nor, since its
 * parent is back, unreachable).  A failure the device's own clearing
 * trap has answered since ("back in service") is over as far as the
 * device knows, until the check's next result says otherwise.
 */
static int
check_says(const struct device_state *d, const struct check_state *c)
{
	if (c->state != OS_DOWN)
		return c->state;
	if (c->superseded)
		return OS_UP;
	if (c->behind && !parent_failed(d))
		return OS_UNKNOWN;
	return OS_DOWN;
}

static int
derive(const struct device_state *d)
{
	int	 i, known = 0, down = 0, critdown = 0, crit = 0, critknown = 0;

	/* A device that reported its own fault is down, whatever answers. */
	if (d->trap_down)
		return OS_DOWN;
	for (i = 0; i < d->nchecks; i++) {
		const struct check_state *c = &d->checks[i];
		int	 cs = check_says(d, c);

		if (c->critical)
			crit++;
		if (cs == OS_UNKNOWN)
			continue;
		known++;
		if (c->critical)
			critknown++;
		if (cs == OS_DOWN) {
			down++;
			if (c->critical)
				critdown++;
		}
	}
	/*
	 * The critical checks say whether the device runs; a secondary
	 * check that answers while none of them is known (the first result
	 * after a gap, a probe that could not run) cannot say it is up.
	 */
	if (known == 0 || (crit > 0 && critknown == 0))
		return OS_UNKNOWN;
	/*
	 * A device that was down is not up again because its other
	 * critical checks answer: a check that held it down and has not
	 * been seen since (a gap) may still be failing.  Until it is seen,
	 * or another check is down, the outage's end is unknown.
	 */
	if (critdown == 0)
		for (i = 0; i < d->nchecks; i++)
			if (d->checks[i].critical && d->checks[i].held &&
			    check_says(d, &d->checks[i]) == OS_UNKNOWN)
				return OS_UNKNOWN;
	if (critdown > 0) {
		/*
		 * Failing while the device it hangs off is down: the parent's
		 * outage, not its own -- recorded apart, alerted on only
		 * through the parent.
		 */
		if (parent_failed(d))
			return OS_UNREACHABLE;
		return OS_DOWN;
	}
	if (down > 0)
		return OS_DEGRADED;
	return OS_UP;
}

static void	children(const struct device_state *, int64_t);

/*
 * Recompute the device state; cause_ms is when the change happened and
 * cause what happened (for the outage journal).
 */
static void
rederive(struct device_state *d, int64_t cause_ms, const char *cause)
{
	int	 i, s = derive(d);

	/*
	 * Which checks hold the device down, for derive(): marked while it
	 * is down, forgotten once it is seen not down.
	 */
	for (i = 0; i < d->nchecks; i++) {
		struct check_state *c = &d->checks[i];

		if (s == OS_DOWN && check_says(d, c) == OS_DOWN)
			c->held = 1;
		else if (s != OS_DOWN && s != OS_UNKNOWN)
			c->held = 0;
	}
	if (s != d->state) {
		log_debug("device %s: %s -> %s", d->id, state_name(d->state),
		    state_name(s));
		d->state = s;
		d->since_ms = cause_ms;
		ANNOUNCE(device_change, d, s, cause_ms, cause);
		children(d, cause_ms);
	}
}

/*
 * A parent changed state: its children may now be down, or unreachable.
 * Only its own children are looked at (the index that link() keeps), and
 * theirs only if they changed: a parent with 20,000 devices behind it
 * costs those 20,000, not a scan of every device for each of them.
 */
static void
children(const struct device_state *parent, int64_t when)
{
	static int depth;	/* parents of parents; link() breaks loops */
	const char *cause;
	size_t	 k;

	if (depth > 16)
		return;
	depth++;
	st_stats.child_visits += parent->nkids;
	switch (parent->state) {
	case OS_UP:
	case OS_DEGRADED:
		cause = "its parent is back; not probed since";
		break;
	case OS_DOWN:
	case OS_UNREACHABLE:
		cause = "its parent is down";
		break;
	default:
		cause = "its parent is not seen; not probed since";
	}
	for (k = 0; k < parent->nkids; k++)
		rederive(parent->kids[k], when, cause);
	depth--;
}

/*
 * Link every device to its parent and index the children, after the
 * device list changed.  A parent that is not known, or a loop of
 * parents (A hangs off B, B off A), is no link: on a loop every device
 * would be unreachable behind another, nothing would be alerted and no
 * downtime counted, so the loop is refused and logged.
 */
static void
link_parents(void)
{
	struct device_state *d, *p;
	size_t	 b;
	int	 depth;

	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = d->hnext) {
			d->nkids = 0;
			d->up = NULL;
		}
	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = d->hnext) {
			if (d->parent[0] == '\0' ||
			    (p = find(d->parent)) == NULL)
				continue;
			for (depth = 0; p != NULL && p != d && depth < 64;
			    depth++)
				p = p->parent[0] != '\0' ? find(p->parent) :
				    NULL;
			if (p != NULL) {
				st_stats.parent_loops++;
				log_warnx("device %s: its parent %s leads back "
				    "to it (or %d levels deep); ignored", d->id,
				    d->parent, depth);
				continue;
			}
			p = find(d->parent);
			if (p->nkids == p->capkids) {
				size_t	 nc = p->capkids ? p->capkids * 2 : 4;
				struct device_state **nk = reallocarray(
				    p->kids, nc, sizeof(*nk));

				if (nk == NULL) {
					log_warnx("device %s: out of memory",
					    d->id);
					continue;
				}
				p->kids = nk;
				p->capkids = nc;
			}
			p->kids[p->nkids++] = d;
			d->up = p;
		}
}

static struct check_state *
find_check(struct device_state *d, const char *id)
{
	int	 i;

	/* At most FM_CHECKS_MAX entries: a scan is cheaper than a table. */
	for (i = 0; i < d->nchecks; i++)
		if (strcmp(d->checks[i].id, id) == 0)
			return &d->checks[i];
	return NULL;
}

/*
 * Replace the check list of a device, keeping the state of checks that
 * stay (same id and type) so that an agent reconnecting, or a restarted
 * agent announcing the same devices, does not reset every outage.
 */
static int
set_checks(struct device_state *d, const struct fm_devinfo *di,
    int64_t now_wall)
{
	struct check_state *nc = NULL, *old;
	int	 i;

	if (di->nchecks > 0 &&
	    (nc = calloc(di->nchecks, sizeof(*nc))) == NULL)
		return -1;
	for (i = 0; i < di->nchecks; i++) {
		const struct fm_checkinfo *ci = &di->checks[i];
		struct check_state *c = &nc[i];

		old = find_check(d, ci->id);
		if (old != NULL && old->type == ci->type) {
			*c = *old;
			/* The values moved: the old slot must not free them. */
			old->values = NULL;
			old->nvalues = 0;
			old->meta = NULL;
			old->id[0] = '\0';
		} else {
			fm_strlcpy(c->id, ci->id, sizeof(c->id));
			c->type = ci->type;
			c->state = OS_UNKNOWN;
			c->since_ms = now_wall;
		}
		c->critical = ci->critical != 0;
		c->interval_ms = ci->interval_ms;
		c->timeout_ms = ci->timeout_ms;
	}
	for (i = 0; i < d->nchecks; i++)
		check_clear(&d->checks[i]);
	free(d->checks);
	d->checks = nc;
	d->nchecks = di->nchecks;
	return 0;
}

static void
set_info(struct device_state *d, const struct fm_devinfo *di)
{
	fm_strlcpy(d->name, di->name, sizeof(d->name));
	fm_strlcpy(d->class, di->class, sizeof(d->class));
	fm_strlcpy(d->group, di->group, sizeof(d->group));
	fm_strlcpy(d->address, di->address, sizeof(d->address));
	fm_strlcpy(d->parent, di->parent, sizeof(d->parent));
	ANNOUNCE(device_info, d);
}

/*
 * An agent's DEVICES message replaces the list of devices it owns:
 * devices it no longer lists are forgotten, devices of other agents are
 * left alone.
 */
void
state_set_devices(const char *agent, const struct fm_devices *ds,
    int64_t now_wall)
{
	struct device_state *d, *next;
	uint64_t gen = ++tab.gen;
	uint32_t i;
	size_t	 b;
	int	 added = 0, removed = 0;

	if (tab.nb == 0)
		state_init();
	for (i = 0; i < ds->n; i++) {
		const struct fm_devinfo *di = &ds->d[i];

		if ((d = find(di->id)) != NULL) {
			if (strcmp(d->agent, agent) != 0) {
				st_stats.device_conflicts++;
				log_warnx("agent %s: device %s belongs to "
				    "agent %s, ignored", agent, di->id,
				    d->agent);
				continue;
			}
			if (d->mark == gen) {
				log_warnx("agent %s: device %s listed twice, "
				    "second entry ignored", agent, di->id);
				continue;
			}
			set_info(d, di);
			if (set_checks(d, di, now_wall) == -1) {
				log_warnx("agent %s: device %s: out of memory",
				    agent, di->id);
				continue;
			}
			d->mark = gen;
			rederive(d, now_wall, "its checks changed");
			continue;
		}
		if ((d = calloc(1, sizeof(*d))) == NULL) {
			log_warnx("agent %s: device %s: out of memory", agent,
			    di->id);
			continue;
		}
		fm_strlcpy(d->id, di->id, sizeof(d->id));
		fm_strlcpy(d->agent, agent, sizeof(d->agent));
		set_info(d, di);
		if (set_checks(d, di, now_wall) == -1) {
			free(d);
			continue;
		}
		d->state = OS_UNKNOWN;
		d->since_ms = now_wall;
		d->mark = gen;
		insert(d);
		added++;
	}
	/* A rare event, so a scan of every device is acceptable here. */
	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = next) {
			next = d->hnext;
			if (d->mark != gen && strcmp(d->agent, agent) == 0) {
				unlink_dev(d);
				device_free(d);
				removed++;
			}
		}
	link_parents();
	log_info("agent %s: %u devices (%d new, %d removed)", agent, ds->n,
	    added, removed);
}

static int
value_cmp(const void *a, const void *b)
{
	const struct value_state *va = a, *vb = b;

	return strcmp(va->name, vb->name);
}

static void
set_value(struct value_state *vs, const struct fm_value *v)
{
	if (vs->kind == VK_TEXT && v->kind != VK_TEXT) {
		free(vs->text);
		vs->text = NULL;
	}
	vs->kind = v->kind;
	vs->d = v->d;
	vs->u = v->u;
	if (v->kind == VK_TEXT) {
		char	*t = strdup(v->text != NULL ? v->text : "");

		if (t != NULL) {
			free(vs->text);
			vs->text = t;
		}
	}
}

/*
 * Keep the last value of every name.  The array stays sorted for
 * bsearch; names seen for the first time go to the end and one sort puts
 * them in place, so a result of a thousand values costs n log n, not n^2.
 *
 * A name successful probes no longer give (a port taken out, a row a
 * template's filter now drops) retires after VALUE_RETIRE of them in a
 * row, so that no page shows its last value as if it were current.  Once
 * or twice is a partial read -- a Modbus request that failed, an SNMP
 * object missing from one answer -- which keeps the last value, as the
 * agent's documentation promises (a Modbus alarm's words must not vanish
 * because one read failed).  A failed probe retires nothing.
 */
#define VALUE_RETIRE	3
static void
merge_values(struct check_state *c, const struct fm_result *r, int retire)
{
	struct value_state key, *vs, *nv;
	int	 sorted = c->nvalues, j, o;
	uint16_t k;

	for (j = 0; j < c->nvalues; j++)
		c->values[j].seen = 0;

	for (k = 0; k < r->nvalues; k++) {
		const struct fm_value *v = &r->values[k];

		fm_strlcpy(key.name, v->name, sizeof(key.name));
		vs = sorted == 0 ? NULL : bsearch(&key, c->values,
		    (size_t)sorted, sizeof(*vs), value_cmp);
		for (j = sorted; vs == NULL && j < c->nvalues; j++)
			if (strcmp(c->values[j].name, v->name) == 0)
				vs = &c->values[j];
		if (vs == NULL) {
			if (c->nvalues >= FM_VALUES_MAX) {
				st_stats.values_dropped++;
				continue;
			}
			nv = reallocarray(c->values, (size_t)c->nvalues + 1,
			    sizeof(*nv));
			if (nv == NULL) {
				st_stats.values_dropped++;
				continue;
			}
			c->values = nv;
			vs = &c->values[c->nvalues++];
			memset(vs, 0, sizeof(*vs));
			fm_strlcpy(vs->name, v->name, sizeof(vs->name));
		}
		set_value(vs, v);
		vs->seen = 1;
	}
	if (c->nvalues > sorted)
		qsort(c->values, (size_t)c->nvalues, sizeof(*c->values),
		    value_cmp);
	if (!retire)
		return;
	for (j = 0, o = 0; j < c->nvalues; j++) {
		if (c->values[j].seen)
			c->values[j].absent = 0;
		else if (++c->values[j].absent >= VALUE_RETIRE) {
			free(c->values[j].text);
			continue;
		}
		if (o != j)
			c->values[o] = c->values[j];
		o++;
	}
	c->nvalues = o;
}

static int
outcome_state(int outcome)
{
	if (probe_result_is_up(outcome))
		return OS_UP;
	if (probe_result_is_unknown(outcome))
		return OS_UNKNOWN;
	return OS_DOWN;
}

/* Note a change of state; flapping is judged at each result. */
static void
flip(struct check_state *c, int64_t at)
{
	if (c->nflips < FLAP_CHANGES)
		c->flips[c->nflips++] = at;
	else {
		memmove(c->flips, c->flips + 1,
		    (FLAP_CHANGES - 1) * sizeof(c->flips[0]));
		c->flips[FLAP_CHANGES - 1] = at;
	}
}

static void
judge_flapping(struct check_state *c, int64_t now)
{
	int	 was = c->flapping;

	c->flapping = c->nflips == FLAP_CHANGES &&
	    now - c->flips[0] <= FLAP_WINDOW_MS;
	if (c->flapping != was)
		log_info("check %s: %s flapping", c->id, c->flapping ?
		    "is" : "is no longer");
}

/*
 * Count a result for availability, once: the same results sent again
 * under a new session id are not recognised by (session, sequence), so
 * a check also remembers the times of the results it counted last and
 * counts a time it has seen once.  Only the count: the state goes by
 * time as before.
 */
static void
count(struct check_state *c, const struct fm_result *r)
{
	int	 i;

	if (c->ncounted > 0 && r->ts_ms <= c->counted_max)
		for (i = 0; i < c->ncounted && i < COUNTED_RECENT; i++)
			if (c->counted[i] == r->ts_ms) {
				st_stats.results_duplicate++;
				return;
			}
	c->counted[c->ncounted++ % COUNTED_RECENT] = r->ts_ms;
	if (c->ncounted >= 2 * COUNTED_RECENT)
		c->ncounted -= COUNTED_RECENT;
	if (r->ts_ms > c->counted_max)
		c->counted_max = r->ts_ms;
	c->nresults++;
	if (probe_result_is_up(r->outcome))
		c->nresults_up++;
	else if (probe_result_is_unknown(r->outcome))
		c->nresults_unknown++;
}

/*
 * A check that said nothing when it was due is unknown from then: one
 * interval after its last result.  The outage journal hears of it
 * before the state changes, as for every change.
 */
static void
go_unknown(struct device_state *d, struct check_state *c)
{
	int64_t	 due = c->last_ms + c->interval_ms;

	ANNOUNCE(check_change, d, c, OS_UNKNOWN, due, PR_INTERNAL,
	    "no result from the agent");
	c->state = OS_UNKNOWN;
	c->since_ms = due;
}

/*
 * Every check of d that has had no result for more than unknown_after
 * intervals by time t goes unknown; then the device is derived once,
 * dated when the last of them went unknown.  Known checks that are not
 * stale keep the device known, as they should: they were seen.
 */
static void
stale(struct device_state *d, int64_t t)
{
	int64_t	 cause = 0;
	int	 i, changed = 0;

	for (i = 0; i < d->nchecks; i++) {
		struct check_state *c = &d->checks[i];

		if (!c->have_result || c->state == OS_UNKNOWN ||
		    t - c->last_ms <= (int64_t)gap_intervals * c->interval_ms)
			continue;
		go_unknown(d, c);
		if (!changed || c->since_ms > cause)
			cause = c->since_ms;
		changed = 1;
		st_stats.gaps++;
	}
	if (changed)
		rederive(d, cause, "no result from the agent");
}

/*
 * The check has failed confirm_n probes in a row: its outage is
 * confirmed, and the device's if this check is what keeps the device
 * down.  The outage journal knows which outage is open and whether it
 * was confirmed already, so asking again (every failed probe after the
 * n-th, a replay after a restart) records nothing twice.
 */
static void
confirm(const struct device_state *d, const struct check_state *c,
    int64_t when)
{
	ANNOUNCE(confirmed, d, c, when, c->msg);
	if (c->critical && d->state == OS_DOWN)
		ANNOUNCE(confirmed, d, NULL, when, c->msg);
}

void
state_set_confirm(int n)
{
	confirm_n = n > 0 ? n : 1;
}

/*
 * Count a result for availability only: one whose time cannot be trusted
 * for the state (the agent's clock is ahead) still says whether the
 * probe succeeded.
 */
void
state_count_result(const char *agent, const struct fm_result *r)
{
	struct device_state *d;
	struct check_state *c;

	if ((d = find(r->device)) == NULL || strcmp(d->agent, agent) != 0 ||
	    (c = find_check(d, r->check)) == NULL)
		return;
	count(c, r);
}

/*
 * Apply one result.  Results older than the check's last one (a batch
 * replayed out of order) change nothing here but the availability
 * counts; RRD still gets them if they are newer than its last value.
 */
int
state_apply_result(const char *agent, const struct fm_result *r,
    int64_t now_mono)
{
	struct device_state *d;
	struct check_state *c;
	int	 s;
	int64_t	 at;

	if ((d = find(r->device)) == NULL || strcmp(d->agent, agent) != 0 ||
	    (c = find_check(d, r->check)) == NULL)
		return SA_UNKNOWN_DEVICE;
	count(c, r);
	if (c->have_result && r->ts_ms < c->last_ms)
		return SA_OUT_OF_ORDER;
	/*
	 * Results that arrive together may leave a gap in their own times:
	 * an agent without a spool dropped what it made while cut off, or
	 * the agent and the collector were both stopped and came back
	 * together.  The expiry goes by arrival and saw no silence; every
	 * check of the device that has said nothing for more than
	 * unknown_after intervals by this result's time is unknown all the
	 * same, from where its result was due.  All of them at once: the
	 * device must not be rederived from the stale "up" of a check whose
	 * own gap is found only at its next result.
	 */
	stale(d, r->ts_ms);
	s = outcome_state(r->outcome);
	/*
	 * A check made unknown by state_expire (no result for a while)
	 * whose next result turns up late -- after a partition, from the
	 * agent's spool -- carrying the time it was due, give or take the
	 * probes' jitter: the unknown never was.  The change is dated at
	 * the unknown's start, so that the unknown has no length and the
	 * outage journal, which never goes back in time, keeps the change.
	 */
	at = r->ts_ms;
	if (c->state == OS_UNKNOWN && s != OS_UNKNOWN && c->have_result &&
	    c->since_ms == c->last_ms + c->interval_ms &&
	    at < c->since_ms + c->interval_ms / 2)
		at = c->since_ms;
	if (s != c->state) {
		log_debug("check %s/%s: %s -> %s (%s)", d->id, c->id,
		    state_name(c->state), state_name(s),
		    probe_result_name(r->outcome));
		ANNOUNCE(check_change, d, c, s, at, r->outcome, r->msg);
		c->state = s;
		c->since_ms = at;
		flip(c, at);
	}
	judge_flapping(c, r->ts_ms);
	/*
	 * Consecutive failed probes confirm an outage.  A result that says
	 * nothing (the probe could not run) and a gap with no result at all
	 * neither add to the count nor reset it: only a probe that
	 * succeeds does.  So an outage that goes on across a gap needs no
	 * second confirmation, and one that was not yet confirmed counts
	 * on from where it was.
	 *
	 * Failures counted behind a parent that was down, or before the
	 * device's own trap said it was back, are not this outage's: the
	 * count starts again from this result.
	 */
	if ((c->behind && !parent_failed(d)) || c->superseded)
		c->fails = 0;
	if (s == OS_DOWN) {
		if (c->fails < INT32_MAX)
			c->fails++;
	} else if (s == OS_UP)
		c->fails = 0;
	c->behind = parent_failed(d);
	c->superseded = 0;
	c->have_result = 1;
	c->outcome = r->outcome;
	fm_strlcpy(c->msg, r->msg, sizeof(c->msg));
	c->last_ms = r->ts_ms;
	c->dur_us = r->dur_us;
	c->arrival_mono = now_mono;
	merge_values(c, r, s == OS_UP);
	{
		char	 cause[FM_ID_MAX + FM_ERRMSG_MAX + 32];

		snprintf(cause, sizeof(cause), "%s: %s%s%s", c->id,
		    probe_result_name(r->outcome), r->msg[0] ? ": " : "",
		    r->msg);
		/* The device's unknown may have started later than the
		 * check's: it too ends no earlier than it began. */
		rederive(d, d->state == OS_UNKNOWN && at < d->since_ms &&
		    at != r->ts_ms ? d->since_ms : at, cause);
	}
	if (c->state == OS_DOWN && c->fails >= confirm_n)
		confirm(d, c, r->ts_ms);
	ANNOUNCE(result, d, c, r);
	return SA_APPLIED;
}

/*
 * A check that has sent nothing for unknown_after intervals is unknown:
 * the agent is gone or stuck, and its last word is no longer news.  The
 * time is measured on the collector's own monotonic clock, since the
 * agent's clock may be wrong and the agent may be the thing that died.
 */
void
state_expire(int64_t now_mono, int unknown_after)
{
	struct device_state *d;
	size_t	 b;
	int	 i, changed;

	gap_intervals = unknown_after;
	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = d->hnext) {
			int64_t cause = 0;

			changed = 0;
			for (i = 0; i < d->nchecks; i++) {
				struct check_state *c = &d->checks[i];
				int64_t limit;

				if (!c->have_result || c->state == OS_UNKNOWN)
					continue;
				limit = (int64_t)unknown_after *
				    c->interval_ms;
				if (now_mono - c->arrival_mono < limit)
					continue;
				go_unknown(d, c);
				if (!changed || c->since_ms > cause)
					cause = c->since_ms;
				changed = 1;
				st_stats.expired++;
				log_debug("check %s/%s: no result for %d "
				    "intervals, unknown", d->id, c->id,
				    unknown_after);
			}
			if (changed)
				rederive(d, cause, "no result from the agent");
		}
}

/*
 * The device's clearing trap at ts answers the failures its checks saw
 * during the fault it had reported: a check that went down with the
 * fault, and has said nothing since the clearing trap, no longer holds
 * the device down; it is taken as up until its next result, so the
 * outage ends at the clearing trap, not one poll later.  "With the
 * fault" is from one interval of the check before the fault trap on: a
 * poll may see the fault a moment before the trap arrives.  A check
 * that was down before that had a fault of its own, which the trap does
 * not answer: it still holds the device down.
 */
static void
clear_fault(struct device_state *d, int64_t ts)
{
	int	 i;

	for (i = 0; i < d->nchecks; i++) {
		struct check_state *c = &d->checks[i];

		if (c->state == OS_DOWN &&
		    c->since_ms + c->interval_ms > d->trap_since &&
		    c->last_ms <= ts)
			c->superseded = 1;
	}
}

/*
 * A notification mapped to "down" or "up" (traps.c).  Down is confirmed
 * at once: the device said so itself.  Returns -1 if the device is not
 * this agent's.
 */
int
state_trap(const char *agent, const char *device, int down, int64_t ts,
    const char *cause)
{
	struct device_state *d;
	char	 why[FM_TEXT_MAX];

	if ((d = find(device)) == NULL || strcmp(d->agent, agent) != 0)
		return -1;
	if (d->trap_down == down)
		return 0;
	d->trap_down = down;
	if (down)
		d->trap_since = ts;
	else
		clear_fault(d, ts);
	snprintf(why, sizeof(why), "trap: %s", cause);
	rederive(d, ts, why);
	if (down && d->state == OS_DOWN)
		ANNOUNCE(confirmed, d, NULL, ts, why);
	return 0;
}

static int
vmval_cmp(const void *a, const void *b)
{
	const struct fm_vmval *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * A check's description of its values, from its agent: kept (m is the
 * state's from now on) in place of the last one.  -1 when the agent
 * does not own such a check; m is then still the caller's.
 */
int
state_set_valmeta(const char *agent, struct fm_valmeta *m)
{
	struct device_state *d;
	struct check_state *c;

	if ((d = find(m->device)) == NULL || strcmp(d->agent, agent) != 0 ||
	    (c = find_check(d, m->check)) == NULL)
		return -1;
	qsort(m->vals, m->nvals, sizeof(*m->vals), vmval_cmp);
	if (c->meta != NULL) {
		fm_valmeta_free(c->meta);
		free(c->meta);
	}
	c->meta = m;
	return 0;
}

/* What the agent said of one value of a check, or NULL. */
const struct fm_vmval *
state_valmeta_find(const struct check_state *c, const char *name)
{
	struct fm_vmval key;

	if (c->meta == NULL || c->meta->nvals == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, c->meta->vals, c->meta->nvals,
	    sizeof(*c->meta->vals), vmval_cmp);
}

const struct device_state *
state_find_device(const char *id)
{
	return find(id);
}

const struct check_state *
state_find_check(const char *agent, const char *device, const char *check)
{
	struct device_state *d;

	if ((d = find(device)) == NULL || strcmp(d->agent, agent) != 0)
		return NULL;
	return find_check(d, check);
}

static int
dev_cmp(const void *a, const void *b)
{
	const struct device_state *da = *(const struct device_state *const *)a;
	const struct device_state *db = *(const struct device_state *const *)b;
	int	 r;

	if ((r = strcmp(da->group, db->group)) != 0)
		return r;
	return strcmp(da->id, db->id);
}

/* Every device, sorted by group then id; the caller frees the array. */
const struct device_state **
state_devices_sorted(size_t *n)
{
	const struct device_state **v;
	struct device_state *d;
	size_t	 b, i = 0;

	*n = 0;
	if ((v = calloc(tab.n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = d->hnext)
			v[i++] = d;
	qsort(v, i, sizeof(*v), dev_cmp);
	*n = i;
	return v;
}

void
state_get_stats(struct state_stats *s)
{
	struct device_state *d;
	size_t	 b;

	*s = st_stats;
	s->devices = tab.n;
	s->checks = 0;
	for (b = 0; b < tab.nb; b++)
		for (d = tab.b[b]; d != NULL; d = d->hnext)
			s->checks += (uint64_t)d->nchecks;
}

static void
state_reload_apply(const struct collector_conf *nc)
{
	state_set_confirm(nc->confirm);
}

/* Reload: 'confirm' counts from the next result on. */
const struct reload_ops state_reload = {
	.module = "state",
	.apply = state_reload_apply,
};
