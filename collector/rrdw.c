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
 * The RRD writer.  librrd does blocking file I/O, so it runs in its own
 * thread; the event loop only appends values to a bounded queue.  When
 * the queue is full the loop stops reading from the agent that sent the
 * batch instead of dropping anything: the agent keeps the batch until it
 * is acknowledged.
 *
 * The writer takes everything queued at once, groups the values by file,
 * sorts each group by time and hands it to rrd_update_r in a few calls.
 * RRD refuses an update for the same second as the last one or older, and
 * one refused value fails the whole call, so the writer remembers the
 * last second written to each file and drops such values itself.  The
 * layout is described in docs/rrd.md.
 */

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rrd.h>

#include "collector.h"

#define UPDATE_CHUNK	256	/* "t:v" arguments per rrd_update_r call */
#define LOG_EVERY	10	/* seconds between two librrd error lines */

/* What the writer remembers of one file. */
struct rfile {
	struct rfile	*next;
	time_t		 last;	/* last second written */
	int		 known;	/* last is valid */
	char		 path[];
};

static struct {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	pthread_t	 thr;
	int		 running;
	int		 stop;
	struct rrd_item	*head, *tail;
	size_t		 len;		/* queued plus being written */
	size_t		 max;
	uint32_t	 seq;
	int		 full_days;
	char		 dir[PATH_MAX];	/* <data_dir>/rrd */
	struct rrdw_stats st;
} w = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

/* Writer thread only. */
static struct rfile **files;
static size_t	 nfiles_b, nfiles;
static time_t	 last_log;
static uint64_t	 log_suppressed;

unsigned int
rrdw_heartbeat(unsigned int step)
{
	/*
	 * Three steps: one late or lost probe is bridged, two in a row
	 * leave a gap (unknown) in the graph, which is what happened.
	 */
	return 3 * step;
}

struct rrd_item *
rrdw_item_new(const char *device, const char *check, const char *value,
    unsigned int step, time_t t, double v)
{
	struct rrd_item *it;
	char	 name[FM_VNAME_MAX];
	size_t	 len;

	fm_series_file(name, sizeof(name), value);
	len = strlen(device) + strlen(check) + strlen(name) + 8;
	if ((it = malloc(sizeof(*it) + len)) == NULL)
		return NULL;
	it->next = NULL;
	it->t = t;
	it->v = v;
	it->step = step < 1 ? 1 : step;
	it->seq = 0;
	it->replay = 0;
	snprintf(it->path, len, "%s/%s/%s.rrd", device, check, name);
	return it;
}

void
rrdw_item_free_list(struct rrd_item *it)
{
	struct rrd_item *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
}

static void
rrd_log(const char *what, const char *path)
{
	time_t	 now = time(NULL);

	if (now - last_log < LOG_EVERY) {
		log_suppressed++;
		return;
	}
	if (log_suppressed > 0)
		log_warnx("rrd: %s %s: %s (%" PRIu64 " more errors not logged)",
		    what, path, rrd_get_error(), log_suppressed);
	else
		log_warnx("rrd: %s %s: %s", what, path, rrd_get_error());
	last_log = now;
	log_suppressed = 0;
}

static struct rfile *
file_get(const char *path)
{
	struct rfile *f, **nb, *next;
	size_t	 h, i, len;

	if (nfiles_b > 0)
		for (f = files[fm_hash32(path) & (nfiles_b - 1)]; f != NULL;
		    f = f->next)
			if (strcmp(f->path, path) == 0)
				return f;
	if (nfiles >= nfiles_b) {
		size_t n = nfiles_b ? nfiles_b * 2 : 1024;

		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return NULL;
		for (i = 0; i < nfiles_b; i++)
			for (f = files[i]; f != NULL; f = next) {
				next = f->next;
				h = fm_hash32(f->path) & (n - 1);
				f->next = nb[h];
				nb[h] = f;
			}
		free(files);
		files = nb;
		nfiles_b = n;
	}
	len = strlen(path) + 1;
	if ((f = calloc(1, sizeof(*f) + len)) == NULL)
		return NULL;
	memcpy(f->path, path, len);
	h = fm_hash32(path) & (nfiles_b - 1);
	f->next = files[h];
	files[h] = f;
	nfiles++;
	return f;
}

static void
files_free(void)
{
	struct rfile *f, *next;
	size_t	 i;

	for (i = 0; i < nfiles_b; i++)
		for (f = files[i]; f != NULL; f = next) {
			next = f->next;
			free(f);
		}
	free(files);
	files = NULL;
	nfiles_b = nfiles = 0;
}

/* Steps of a consolidated row, as close to `secs' as the step allows. */
static unsigned long
pdp_per_row(unsigned int step, unsigned long secs)
{
	unsigned long n = (secs + step / 2) / step;

	return n < 1 ? 1 : n;
}

/*
 * How long the consolidated archives keep: 5-minute and hourly rows, in
 * days (0: none).  Set before the writer runs and on reload; read only
 * when a file is created.
 */
static volatile int rra_5min_days = 400, rra_hourly_days = 1830;

void
rrdw_set_rra(int five_min_days, int hourly_days)
{
	rra_5min_days = five_min_days;
	rra_hourly_days = hourly_days;
}

static unsigned long
rows_for(unsigned int step, unsigned long pdps, unsigned long days)
{
	unsigned long span = (unsigned long)step * pdps;

	return (days * 86400UL + span - 1) / span;
}

static int
create_file(const char *full, unsigned int step, time_t start,
    int full_days)
{
	char	 tmp[PATH_MAX + 8], dir[PATH_MAX];
	char	 a[8][96];
	const char *argv[8];
	unsigned long p5, p60;
	int	 argc = 0, i, r;
	char	*slash;
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };

	fm_strlcpy(dir, full, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (fm_mkdirs(dir, 0755) == -1) {
		log_warn("rrd: mkdir %s", dir);
		return -1;
	}
	snprintf(a[argc++], sizeof(a[0]), "DS:value:GAUGE:%u:U:U",
	    rrdw_heartbeat(step));
	snprintf(a[argc++], sizeof(a[0]), "RRA:AVERAGE:0.5:1:%lu",
	    rows_for(step, 1, (unsigned long)full_days));
	if (step <= 300 && rra_5min_days > 0) {
		p5 = pdp_per_row(step, 300);
		for (i = 0; i < 3; i++)
			snprintf(a[argc++], sizeof(a[0]), "RRA:%s:0.5:%lu:%lu",
			    cfs[i], p5, rows_for(step, p5,
			    (unsigned long)rra_5min_days));
	}
	if (rra_hourly_days > 0) {
		p60 = pdp_per_row(step, 3600);
		for (i = 0; i < 3; i++)
			snprintf(a[argc++], sizeof(a[0]),
			    "RRA:%s:0.5:%lu:%lu", cfs[i], p60, rows_for(step,
			    p60, (unsigned long)rra_hourly_days));
	}
	for (i = 0; i < argc; i++)
		argv[i] = a[i];

	/*
	 * Create under a temporary name and rename, so that a crash in the
	 * middle never leaves a short file that every later update fails
	 * on.
	 */
	snprintf(tmp, sizeof(tmp), "%s.tmp", full);
	rrd_clear_error();
	r = rrd_create_r2(tmp, step, start, 0, NULL, NULL, argc, argv);
	if (r != 0) {
		rrd_log("create", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, full) == -1) {
		log_warn("rrd: rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct rrd_item *ia = *(const struct rrd_item *const *)a;
	const struct rrd_item *ib = *(const struct rrd_item *const *)b;
	int	 r;

	if ((r = strcmp(ia->path, ib->path)) != 0)
		return r;
	if (ia->t != ib->t)
		return ia->t < ib->t ? -1 : 1;
	if (ia->seq != ib->seq)
		return ia->seq < ib->seq ? -1 : 1;
	return 0;
}

struct wcount {
	uint64_t	 written, rejected, errors, created, calls;
	uint64_t	 replay_skipped;
};

/* Write the values of one file, v[0..n) sorted by time. */
static void
write_file(struct rrd_item **v, size_t n, int full_days, struct wcount *wc)
{
	char	 full[PATH_MAX];
	char	 (*args)[48] = NULL;
	const char *argv[UPDATE_CHUNK];
	struct rfile *f;
	struct stat sb;
	size_t	 i, na = 0;
	time_t	 t;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", w.dir, v[0]->path) >=
	    sizeof(full) || (f = file_get(v[0]->path)) == NULL) {
		wc->errors++;
		wc->rejected += n;
		return;
	}
	if (!f->known) {
		if (stat(full, &sb) == 0) {
			rrd_clear_error();
			if ((t = rrd_last_r(full)) == -1) {
				rrd_log("last", full);
				wc->errors++;
				wc->rejected += n;
				return;
			}
			f->last = t;
		} else {
			if (create_file(full, v[0]->step, v[0]->t - 1,
			    full_days) == -1) {
				wc->errors++;
				wc->rejected += n;
				return;
			}
			wc->created++;
			f->last = v[0]->t - 1;
		}
		f->known = 1;
	}
	if ((args = calloc(UPDATE_CHUNK, sizeof(*args))) == NULL) {
		wc->errors++;
		wc->rejected += n;
		return;
	}
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (v[i]->t <= f->last) {
				/*
				 * A journal replay at start offers values
				 * already written before the restart: not
				 * an error, and counted apart so that the
				 * rejected figure stays meaningful.
				 */
				if (v[i]->replay)
					wc->replay_skipped++;
				else
					wc->rejected++;
				continue;
			}
			snprintf(args[na], sizeof(args[0]), "%lld:%.15g",
			    (long long)v[i]->t, v[i]->v);
			argv[na] = args[na];
			na++;
			f->last = v[i]->t;
			if (na < UPDATE_CHUNK)
				continue;
		}
		if (na == 0)
			continue;
		rrd_clear_error();
		wc->calls++;
		if (rrd_update_r(full, NULL, (int)na, argv) != 0) {
			rrd_log("update", full);
			wc->errors++;
			wc->rejected += na;
			/* Read the truth back from the file next time. */
			f->known = 0;
			break;
		}
		wc->written += na;
		na = 0;
	}
	free(args);
}

static void
write_all(struct rrd_item *list, size_t n, int full_days)
{
	struct rrd_item **v, *it;
	struct wcount wc;
	size_t	 i, j;

	memset(&wc, 0, sizeof(wc));
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		log_warnx("rrd: out of memory, %zu values lost", n);
		wc.rejected = n;
		goto done;
	}
	for (i = 0, it = list; it != NULL && i < n; it = it->next)
		v[i++] = it;
	n = i;
	qsort(v, n, sizeof(*v), item_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j]->path, v[i]->path) == 0;
		    j++)
			;
		write_file(v + i, j - i, full_days, &wc);
	}
	free(v);
done:
	rrdw_item_free_list(list);
	pthread_mutex_lock(&w.mtx);
	w.st.written += wc.written;
	w.st.rejected += wc.rejected;
	w.st.replay_skipped += wc.replay_skipped;
	w.st.errors += wc.errors;
	w.st.files_created += wc.created;
	w.st.update_calls += wc.calls;
	pthread_mutex_unlock(&w.mtx);
}

static void *
writer(void *arg)
{
	struct rrd_item *list;
	size_t	 n;
	int	 full_days;

	(void)arg;
	pthread_mutex_lock(&w.mtx);
	for (;;) {
		while (w.head == NULL && !w.stop)
			pthread_cond_wait(&w.cv, &w.mtx);
		if (w.head == NULL)
			break;		/* stopping and drained */
		list = w.head;
		w.head = w.tail = NULL;
		n = w.len;
		full_days = w.full_days;
		pthread_mutex_unlock(&w.mtx);

		write_all(list, n, full_days);

		/*
		 * The room is given back only now, so that the queue plus
		 * what is being written stays within rrd.queue values.
		 */
		pthread_mutex_lock(&w.mtx);
		w.len -= n;
	}
	pthread_mutex_unlock(&w.mtx);
	files_free();
	return NULL;
}

int
rrdw_start(const char *data_dir, int queue_max, int full_days, char *err,
    size_t errlen)
{
	int	 r;

	if ((size_t)snprintf(w.dir, sizeof(w.dir), "%s/rrd", data_dir) >=
	    sizeof(w.dir)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		return -1;
	}
	if (fm_mkdirs(w.dir, 0755) == -1) {
		snprintf(err, errlen, "mkdir %s: %s", w.dir, strerror(errno));
		return -1;
	}
	w.max = (size_t)queue_max;
	w.full_days = full_days;
	w.stop = 0;
	w.st.queue_max = w.max;
	if ((r = pthread_create(&w.thr, NULL, writer, NULL)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(r));
		return -1;
	}
	w.running = 1;
	return 0;
}

void
rrdw_reconf(int full_days)
{
	pthread_mutex_lock(&w.mtx);
	w.full_days = full_days;
	pthread_mutex_unlock(&w.mtx);
}

size_t
rrdw_room(void)
{
	size_t	 room;

	pthread_mutex_lock(&w.mtx);
	room = w.len < w.max ? w.max - w.len : 0;
	/* A batch larger than the whole queue goes in when it is empty. */
	if (w.len == 0)
		room = SIZE_MAX;
	pthread_mutex_unlock(&w.mtx);
	return room;
}

/*
 * Queue a list of n values, all or nothing: a batch is acknowledged
 * whole, so it must be stored whole.  Returns -1 when there is no room.
 */
int
rrdw_enqueue(struct rrd_item *list, size_t n)
{
	struct rrd_item *it, *last = NULL;

	if (list == NULL)
		return 0;
	if (!w.running) {
		rrdw_item_free_list(list);
		return 0;
	}
	pthread_mutex_lock(&w.mtx);
	if (w.len > 0 && w.len + n > w.max) {
		pthread_mutex_unlock(&w.mtx);
		return -1;
	}
	for (it = list; it != NULL; it = it->next) {
		it->seq = w.seq++;
		last = it;
	}
	if (w.tail != NULL)
		w.tail->next = list;
	else
		w.head = list;
	w.tail = last;
	w.len += n;
	w.st.queued += n;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mtx);
	return 0;
}

/* Write everything still queued, then end the thread. */
void
rrdw_stop(void)
{
	if (!w.running)
		return;
	pthread_mutex_lock(&w.mtx);
	w.stop = 1;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mtx);
	pthread_join(w.thr, NULL);
	w.running = 0;
}

void
rrdw_get_stats(struct rrdw_stats *s)
{
	pthread_mutex_lock(&w.mtx);
	*s = w.st;
	s->queue_len = w.len;
	s->queue_max = w.max;
	pthread_mutex_unlock(&w.mtx);
}
