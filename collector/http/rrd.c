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
 * The RRD series of a device, for the pages' charts (docs/rrd.md):
 * which series each check has, and the points of one over a period.
 * Both read the disk, so neither runs on the loop: the listing on the
 * web's disk queue (webauth.c), the points on the RRD writer's queue
 * (rrdw_read), which writes what it holds for the file first.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "../../common/workq.h"

/*
 * GET /api/v1/rrd?device=&check=&series=&period=hour|day|week|month|year
 * or &from=&to= (ms, for a range picked or zoomed into on the page): the
 * averages of one series as [[ms, value|null], ...].  A range asks for
 * about RRD_POINTS steps; rrd_fetch answers from the archive nearest
 * that resolution which covers the range.  'series' is
 * the file's name without .rrd (docs/rrd.md): up, duration_ms, or the
 * value's sanitized name.  The RRD writer reads the file on its thread,
 * after writing the values it holds for it (rrdw_read), and the request
 * is answered from rrd_done() on the loop.
 */
#define RRD_POINTS	600		/* a range's resolution: a wide graph */
#define RRD_SPAN_MAX	(366LL * 86400000)

struct rrd_req {
	struct evhttp_request *req;
	char	 dev[FM_ID_MAX], chk[FM_ID_MAX], ser[FM_VNAME_MAX], per[8];
};

static void
rrd_done(struct rrdw_read *r)
{
	struct rrd_req *q = r->arg;
	json_t	*pts;
	unsigned long i;

	if (r->status == 404)
		reply_error(q->req, 404, "Not Found", "no such series");
	else if (r->status != 0)
		reply_error(q->req, 500, "Internal Server Error", r->err);
	else {
		pts = json_array();
		for (i = 0; r->start + (time_t)((i + 1) * r->step) <= r->end;
		    i++) {
			double	 d = r->data[i * r->nds];

			json_array_append_new(pts, json_pack("[I,o]",
			    (json_int_t)(r->start + (time_t)((i + 1) *
			    r->step)) * 1000,
			    isfinite(d) ? json_real(d) : json_null()));
		}
		reply_json(q->req, 200, "OK",
		    json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "device", q->dev,
		    "check", q->chk, "series", q->ser, "period", q->per,
		    "step_ms", (json_int_t)r->step * 1000, "points", pts));
	}
	free(q);
	rrdw_read_free(r);
}

void
api_rrd(struct evhttp_request *req, const char *rest, const char *who)
{
	static const struct {
		const char *name;
		long	 secs, step;
	} periods[] = {
		{ "hour", 3600, 10 }, { "day", 86400, 300 },
		{ "week", 7 * 86400, 1800 }, { "month", 31 * 86400, 3600 },
		{ "year", 366 * 86400, 86400 },
	};
	struct evkeyvalq args;
	const char *dev, *chk, *ser, *per, *fs, *ts;
	long long from = 0, to = 0;
	long	 step = 0;
	char	 clean[FM_VNAME_MAX], file[FM_VNAME_MAX], path[PATH_MAX];
	struct rrd_req *q;
	time_t	 end;
	size_t	 p;

	(void)rest;
	(void)who;
	if (http_query(req, &args) == -1)
		return;
	dev = evhttp_find_header(&args, "device");
	chk = evhttp_find_header(&args, "check");
	ser = evhttp_find_header(&args, "series");
	per = evhttp_find_header(&args, "period");
	fs = evhttp_find_header(&args, "from");
	ts = evhttp_find_header(&args, "to");
	if (fs != NULL || ts != NULL) {
		char	*e1 = NULL, *e2 = NULL;

		if (fs != NULL)
			from = strtoll(fs, &e1, 10);
		if (ts != NULL)
			to = strtoll(ts, &e2, 10);
		if (fs == NULL || ts == NULL || *fs == '\0' || *ts == '\0' ||
		    *e1 != '\0' || *e2 != '\0' || from < 0 ||
		    to - from < 60000 || to - from > RRD_SPAN_MAX) {
			reply_error(req, 400, "Bad Request", "from and to "
			    "are ms, from 1 minute to 366 days apart");
			goto done;
		}
		/* The RRD picks the archive that has this resolution. */
		step = (long)((to - from) / 1000 / RRD_POINTS);
		if (step < 10)
			step = 10;
		per = "range";
	}
	if (per == NULL)
		per = "hour";
	for (p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
		if (strcmp(periods[p].name, per) == 0)
			break;
	if (dev == NULL || chk == NULL || ser == NULL || !fm_valid_id(dev) ||
	    !fm_valid_id(chk) || strlen(ser) >= sizeof(clean)) {
		reply_error(req, 400, "Bad Request",
		    "give device, check and series");
		goto done;
	}
	fm_sanitize_name(clean, sizeof(clean), ser);
	if (strcmp(clean, ser) != 0 || ser[0] == '\0') {
		reply_error(req, 400, "Bad Request", "bad series name");
		goto done;
	}
	if (p == sizeof(periods) / sizeof(periods[0]) && step == 0) {
		reply_error(req, 400, "Bad Request",
		    "period must be hour, day, week, month or year");
		goto done;
	}
	/* Long names are files of their start and a hash (fm_series_file). */
	fm_series_file(file, sizeof(file), ser);
	fm_fmt(path, sizeof(path), "%s/%s/%s.rrd", dev, chk, file);
	end = (time_t)(now_ms() / 1000);
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		goto done;
	}
	q->req = req;
	fm_strlcpy(q->dev, dev, sizeof(q->dev));
	fm_strlcpy(q->chk, chk, sizeof(q->chk));
	fm_strlcpy(q->ser, ser, sizeof(q->ser));
	fm_strlcpy(q->per, per, sizeof(q->per));
	/* As with logins, evhttp keeps the request until it is answered. */
	if ((step > 0 ? rrdw_read(path, (time_t)(from / 1000),
	    (time_t)(to / 1000), (unsigned long)step, rrd_done, q) :
	    rrdw_read(path, end - periods[p].secs, end,
	    (unsigned long)periods[p].step, rrd_done, q)) == -1) {
		free(q);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		reply_error(req, 503, "Service Unavailable",
		    "too many series reads at once; try again");
	}
done:
	evhttp_clear_headers(&args);
}

/*
 * The series a device has on disk, per check, for the device page: the
 * directories are listed on the web's disk queue.  The check ids are
 * copied first, since the device may change before the listing is done.
 */
struct series_job {
	struct wjob	 w;
	struct evhttp_request *req;
	char		 dev[FM_ID_MAX];
	char		 dir[PATH_MAX];	/* <data_dir>/rrd/<device> */
	int		 nchecks;
	char		 (*checks)[FM_ID_MAX];
	json_t		*held;		/* per check: series not yet on disk */
	json_t		*series;	/* built on the queue's thread */
};

/*
 * The series a check's results make (as ingest.c names them), whether or
 * not the RRD writer has created their files yet: with write-behind a
 * new series has no file for up to rrd.write_interval, and a read of it
 * flushes the file first, so the page can graph it at once.
 */
static json_t *
check_series(const struct check_state *c)
{
	json_t	*a = json_array();
	char	 name[FM_VNAME_MAX + 2], file[FM_VNAME_MAX];
	int	 k;

	if (!c->have_result)
		return a;
	if (!probe_result_is_unknown(c->outcome) || c->nresults >
	    c->nresults_unknown) {
		json_array_append_new(a, json_string("up"));
		json_array_append_new(a, json_string("duration_ms"));
	}
	for (k = 0; k < c->nvalues; k++) {
		const struct value_state *v = &c->values[k];

		if (v->kind != VK_GAUGE && !(v->kind == VK_COUNTER &&
		    !isnan(v->d)))
			continue;
		if (strcmp(v->name, "up") == 0 ||
		    strcmp(v->name, "duration_ms") == 0)
			snprintf(name, sizeof(name), "v_%s", v->name);
		else
			fm_strlcpy(name, v->name, sizeof(name));
		fm_series_file(file, sizeof(file), name);
		json_array_append_new(a, json_string(file));
	}
	return a;
}

static int
listed(json_t *a, const char *name)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 1;
	return 0;
}

static void
series_run(struct wjob *w)
{
	struct series_job *j = w->arg;
	char	 path[PATH_MAX + FM_ID_MAX + 2];
	size_t	 k;
	json_t	*v;
	int	 i;

	j->series = json_object();
	for (i = 0; i < j->nchecks && j->series != NULL; i++) {
		json_t	*a = json_array();
		DIR	*dir;
		struct dirent *de;

		fm_fmt(path, sizeof(path), "%s/%s", j->dir, j->checks[i]);
		if ((dir = opendir(path)) != NULL) {
			while ((de = readdir(dir)) != NULL) {
				size_t	 l = strlen(de->d_name);

				if (l > 4 && de->d_name[0] != '.' &&
				    strcmp(de->d_name + l - 4, ".rrd") == 0)
					json_array_append_new(a,
					    json_stringn(de->d_name, l - 4));
			}
			closedir(dir);
		}
		json_array_foreach(json_object_get(j->held, j->checks[i]), k,
		    v)
			if (!listed(a, json_string_value(v)))
				json_array_append(a, v);
		json_object_set_new(j->series, j->checks[i], a);
	}
}

static void
series_done(struct wjob *w)
{
	struct series_job *j = w->arg;

	if (w->cancelled)
		json_decref(j->series);
	else if (j->series == NULL)
		reply_error(j->req, 503, "Service Unavailable",
		    "out of memory");
	else
		reply_json(j->req, 200, "OK", json_pack("{s:s,s:o}",
		    "device", j->dev, "series", j->series));
	json_decref(j->held);
	free(j->checks);
	free(j);
}

void
api_series(struct evhttp_request *req, const char *dev, const char *who)
{
	(void)who;
	const struct device_state *d;
	struct series_job *j;
	int	 i;

	if (!fm_valid_id(dev) || (d = state_find_device(dev)) == NULL) {
		reply_error(req, 404, "Not Found", "no such device");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (d->nchecks > 0 &&
	    (j->checks = calloc(d->nchecks, sizeof(*j->checks))) == NULL)) {
		free(j);
		reply_error(req, 503, "Service Unavailable",
		    "out of memory");
		return;
	}
	j->req = req;
	fm_strlcpy(j->dev, d->id, sizeof(j->dev));
	fm_fmt(j->dir, sizeof(j->dir), "%s/rrd/%s", hconf->data_dir, d->id);
	j->held = json_object();
	for (i = 0; i < d->nchecks; i++) {
		fm_strlcpy(j->checks[i], d->checks[i].id, sizeof(j->checks[i]));
		json_object_set_new(j->held, d->checks[i].id,
		    check_series(&d->checks[i]));
	}
	j->nchecks = d->nchecks;
	j->w.run = series_run;
	j->w.done = series_done;
	j->w.arg = j;
	web_disk_submit(&j->w);
}
