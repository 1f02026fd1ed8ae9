/*
 * Copyright (c) 2026 The facmon authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The latency target ("数据响应时间 < 800ms"): for every check that a
 * latency_share indicator covers, count the probes and those that
 * succeeded within the indicator's bound, and write the counts to the
 * outage journal (OJ_LATENCY) one slice of time at a time.  The journal
 * stays the one source of every figure in the report; RRD averages would
 * hide the slow probes that the target is about.
 *
 * Only covered checks are counted, so the journal grows by a few records
 * per web system every five minutes, not by one per probe.  A failed
 * probe counts as slow whatever its duration: a refused connection is
 * quick but answers nothing.
 *
 * Restarts: the counts of a slice still open are in memory, but the
 * results they came from are in the ingest journal, which the collector
 * replays at start; what was already written is skipped by time, per
 * check (results reach here in time order, per check).
 */

#include <stdlib.h>
#include <string.h>

#include "outage.h"

#define LAT_SLICE_MS	(5 * 60 * 1000)
#define LAT_THR_MAX	4
#define LAT_BUCKETS	4096

struct lat_ent {
	char		 device[FM_ID_MAX];
	char		 check[FM_ID_MAX];
	uint64_t	 gen;			/* of the thresholds below */
	uint32_t	 thr[LAT_THR_MAX];	/* ms */
	int		 nthr;
	int64_t		 done_until;		/* counted and written */
	int64_t		 slice;			/* being counted */
	int64_t		 last_ts;
	uint32_t	 n;
	uint32_t	 ok[LAT_THR_MAX];
	struct lat_ent	*next;
};

static struct {
	const struct avconf *av;
	uint64_t	 gen;
	struct lat_ent	*b[LAT_BUCKETS];
	uint64_t	 records, skipped;
	int64_t		 next_sweep;
} L;

void
latency_reconf(const struct avconf *av)
{
	L.av = av;
	L.gen++;
}

/* Where the journal's counts for this check end. */
static int64_t
written_until(const char *device, const char *check)
{
	struct aq *q = outage_aq();
	struct aq_device *d;
	int64_t	 end = 0;
	size_t	 i;

	if (q == NULL || (d = aq_device(q, device)) == NULL)
		return 0;
	for (i = 0; i < d->nlat; i++)
		if (strcmp(d->lat[i].check, check) == 0 &&
		    d->lat[i].at_ms + d->lat[i].span_ms > end)
			end = d->lat[i].at_ms + d->lat[i].span_ms;
	return end;
}

static struct lat_ent *
entry(const char *device, const char *check)
{
	char	 key[FM_ID_MAX * 2 + 2];
	struct lat_ent *e;
	uint32_t h;

	snprintf(key, sizeof(key), "%s/%s", device, check);
	h = fm_hash32(key) % LAT_BUCKETS;
	for (e = L.b[h]; e != NULL; e = e->next)
		if (strcmp(e->device, device) == 0 &&
		    strcmp(e->check, check) == 0)
			return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	fm_strlcpy(e->device, device, sizeof(e->device));
	fm_strlcpy(e->check, check, sizeof(e->check));
	e->done_until = written_until(device, check);
	e->next = L.b[h];
	L.b[h] = e;
	return e;
}

/* The distinct bounds of the indicators covering this check. */
static void
thresholds(struct lat_ent *e, const struct device_state *d)
{
	int	 i, j;

	e->nthr = 0;
	e->gen = L.gen;
	for (i = 0; L.av != NULL && i < L.av->nind; i++) {
		const struct av_indicator *a = &L.av->ind[i];
		uint32_t t = (uint32_t)a->latency_ms;

		if (a->metric != AVI_LATENCY_SHARE ||
		    !avi_covers(a, d->id, d->group, d->class) ||
		    !avi_covers_check(a, e->check))
			continue;
		for (j = 0; j < e->nthr; j++)
			if (e->thr[j] == t)
				break;
		if (j == e->nthr && e->nthr < LAT_THR_MAX)
			e->thr[e->nthr++] = t;
	}
}

/*
 * A slice's counts run up to its last result, and only the time after
 * that is open for more: results of a check come in time order, so
 * whatever comes later (a backlog after a partition, a restart's replay)
 * is either new or already written, never half of each.
 */
static void
flush(struct lat_ent *e)
{
	struct oj_rec r;
	int	 i;

	if (e->n == 0)
		return;
	for (i = 0; i < e->nthr; i++) {
		memset(&r, 0, sizeof(r));
		r.type = OJ_LATENCY;
		fm_strlcpy(r.device, e->device, sizeof(r.device));
		fm_strlcpy(r.check, e->check, sizeof(r.check));
		r.at_ms = e->slice;
		r.span_ms = (uint32_t)(e->last_ts + 1 - e->slice);
		r.lat_ms = e->thr[i];
		r.lat_n = e->n;
		r.lat_ok = e->ok[i];
		if (outage_record(&r) == 0)
			L.records++;
	}
	e->done_until = e->last_ts + 1;
	e->n = 0;
	memset(e->ok, 0, sizeof(e->ok));
}

void
latency_result(const struct device_state *d, const struct check_state *c,
    const struct fm_result *r)
{
	struct lat_ent *e;
	int64_t	 slice;
	int	 i;

	if (L.av == NULL || L.av->nind == 0 || outage_aq() == NULL)
		return;
	if ((e = entry(d->id, c->id)) == NULL)
		return;
	if (e->gen != L.gen) {
		flush(e);
		thresholds(e, d);
	}
	if (e->nthr == 0)
		return;
	if (r->ts_ms < e->done_until) {
		L.skipped++;	/* counted before a restart */
		return;
	}
	slice = r->ts_ms - r->ts_ms % LAT_SLICE_MS;
	if (slice != e->slice)
		flush(e);
	e->slice = slice;
	e->last_ts = r->ts_ms;
	e->n++;
	for (i = 0; i < e->nthr; i++)
		if (r->outcome == PR_OK &&
		    (uint64_t)r->dur_us <= (uint64_t)e->thr[i] * 1000)
			e->ok[i]++;
}

/*
 * Slices that ended a while ago are written even when no later result
 * comes to close them (a check removed, an agent gone); the wait lets a
 * late batch still land in its slice.
 */
void
latency_tick(int64_t now_wall)
{
	struct lat_ent *e;
	size_t	 b;

	if (now_wall < L.next_sweep)
		return;
	L.next_sweep = now_wall + 10000;
	for (b = 0; b < LAT_BUCKETS; b++)
		for (e = L.b[b]; e != NULL; e = e->next)
			if (e->n > 0 && now_wall >= e->slice + 2 * LAT_SLICE_MS)
				flush(e);
}

/* At shutdown, before the outage journal closes. */
void
latency_stop(void)
{
	struct lat_ent *e, *n;
	size_t	 b;

	for (b = 0; b < LAT_BUCKETS; b++) {
		for (e = L.b[b]; e != NULL; e = n) {
			n = e->next;
			flush(e);
			free(e);
		}
		L.b[b] = NULL;
	}
}

void
latency_stats(uint64_t *records, uint64_t *skipped)
{
	*records = L.records;
	*skipped = L.skipped;
}

const struct state_listener latency_listener = {
	.name = "latency",
	.result = latency_result,
};

static void
latency_reload_apply(const struct collector_conf *nc)
{
	latency_reconf(&nc->av);
}

/* Reload: the availability settings latency is counted against. */
const struct reload_ops latency_reload = {
	.module = "latency",
	.apply = latency_reload_apply,
};
