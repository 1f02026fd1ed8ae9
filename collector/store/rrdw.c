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
 * The RRD writer.  librrd does blocking file I/O, so it runs as jobs on
 * a work queue of the writer's own (common/workq.h), whose one thread
 * is the only hand on the files, the held values and the counts below;
 * the event loop only appends values to a bounded list and kicks the
 * intake job.  When the list is full the loop stops reading from the
 * agent that sent the batch instead of dropping anything: the agent
 * keeps the batch until it is acknowledged.
 *
 * The jobs, all on that one thread:
 *   - the start: the walk of the tree (scan_tree) and the first
 *     retirement walk, submitted first so that it runs before the
 *     journal's replay is taken in;
 *   - the intake, kicked at each submit: one run takes everything
 *     submitted until then, so that what piles up while a run is in
 *     progress is taken by the next run in one go;
 *   - the tick, a timed job that puts itself back: every second while
 *     values are held, else every minute while retirement is on (the
 *     hourly walk may come due), else not at all until values come;
 *   - a read for the API, one job each, whose done() answers on the
 *     loop;
 *   - the note, whose done() raises on the loop the events the other
 *     jobs found (a limit, a retirement), since the loop owns events.
 * At stop the intake is kicked once more (it then writes everything
 * held) and the queue is drained.
 *
 * Write-behind: the writer takes everything queued at once and holds
 * each file's values in memory, then writes them in one rrd_update_r
 * call with many timestamps once rrd.write_interval has passed since
 * the oldest of them (plus a delay of its own per file, up to
 * rrd.write_jitter, so that files do not all come due together).  One
 * call per file per interval instead of one per value is what makes RRD
 * cheap: the cost of an update is opening, reading the header of and
 * closing the file, whatever the number of values.  Holding loses
 * nothing on a crash: every value is in the ingest journal before it is
 * acknowledged, and at start the journal is replayed into this writer,
 * which skips what a file already has (by its last update).  A file is
 * written before it is read for the API, and everything at shutdown.
 *
 * RRD refuses an update for the same second as the last one or older, and
 * one refused value fails the whole call, so the writer remembers the
 * last second written to each file and drops such values itself.
 *
 * The number of files per check and per device, and the bytes of the
 * whole tree, are bounded: a new series over a limit is refused (its
 * values still reach state and the journal), so that a device answering
 * rotating row indices cannot fill the disk.
 *
 * Series not updated for rrd.retire_after_days are retired: moved to
 * <data_dir>/retired/rrd/ (so that a row index that went away stops
 * counting against the limits and the budget), and removed from there
 * rrd.retired_keep_days later.  This is a walk of the tree on the
 * writer's queue, at start and then every hour.
 *
 * With rrd.daemon set, files are created, updated and read through
 * rrdcached and never touched directly.  The layout is described in
 * docs/rrd.md.
 */

#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <rrd.h>
#include <rrd_client.h>

#include "rrdw.h"

#define UPDATE_CHUNK	256	/* "t:v" arguments per rrd_update_r call */
#define DAEMON_CHUNK	96	/* per rrdcached command (4 KB a line) */
#define UPD_ARG_MAX		(21 + FM_G15_MAX)	/* "time:value" */
#define LOG_EVERY	10	/* seconds between two lines of one kind */
#define READS_MAX	64	/* API reads waiting at most */
#define RETIRE_EVERY_MS	(3600 * 1000)	/* between two walks of the tree */
#define TICK_HELD_MS	1000	/* between two looks at the held values */
#define TICK_IDLE_MS	(60 * 1000)	/* with none: is the walk due? */
#define DAY		86400

/* One value held: time and replay flag packed, so that it takes 16 bytes. */
struct pend {
	int64_t		 tr;	/* time * 2 + replay */
	double		 v;
};

/* How many series a check or a device has. */
struct count {
	struct count	*next;
	uint64_t	 n;
	char		 key[];
};

/* What the writer knows of one file. */
struct rfile {
	struct rfile	*next;		/* hash chain */
	TAILQ_ENTRY(rfile) dq;		/* held: by the oldest value's age */
	struct pend	*p;
	size_t		 np, cap;
	int64_t		 first_ms;	/* when the oldest held value came */
	uint32_t	 hash;
	unsigned int	 step;
	time_t		 last;		/* last second written */
	int		 known;		/* last is valid */
	int		 dirty;		/* in the held queue */
	int		 on_disk;	/* found at start or made since */
	uint64_t	 size;		/* bytes on disk, or expected */
	char		 path[];	/* relative to the RRD directory */
};
TAILQ_HEAD(rfq, rfile);

struct settings {
	double		 full_days;
	int		 five_days, hourly_days;
	int64_t		 write_ms, jitter_ms;
	size_t		 hold_max;
	uint64_t	 max_check, max_device, max_bytes;
	int		 retire_days, keep_days;
};

/*
 * The mutex guards what the loop and the queue's thread share: the
 * values submitted and not yet taken, the settings (changed on reload),
 * the events found for the loop and the published counts.  Everything
 * else is either the loop's alone (running, stopping, nreads) or the
 * queue thread's alone (the statics after this).
 */
static struct {
	pthread_mutex_t	 mtx;
	struct workq	*wq;
	struct wjob	 start_job;	/* first: scan_tree, retire_walk */
	struct wjob	 intake_job;	/* kicked by rrdw_enqueue */
	struct wjob	 tick_job;	/* timed; see arm_tick() */
	struct wjob	 note_job;	/* kicked; see notify_loop() */
	int		 running;	/* loop only */
	int		 stopping;	/* loop only: nobody to answer */
	int		 stop;
	struct rrd_item	*head, *tail;
	size_t		 len;		/* queued, not yet taken */
	size_t		 max;
	uint32_t	 seq;
	int		 nreads;	/* loop only: asked, not answered */
	char		 limit_msg[512];	/* an event for the loop; "": none */
	char		 limit_kind[32];	/* rrd-limit or rrd-budget */
	char		 retire_msg[512];	/* an event for the loop; "": none */
	char		 limit_path[256];	/* its facts: the series, */
	int		 limit_which;		/* which limit (1, 2, 3) */
	uint64_t	 limit_n;		/* and its value */
	struct settings	 set;
	char		 dir[PATH_MAX];	/* <data_dir>/rrd */
	char		 rdir[PATH_MAX];	/* <data_dir>/retired/rrd */
	char		 daemon[256];	/* "": write the files directly */
	struct rrdw_stats st;
} w = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
};

/* The queue's thread only (and the loop's once the queue is freed). */
static struct rfile **files;
static size_t	 nfiles_b, nfiles;
static struct count **counts;
static size_t	 ncounts_b, ncounts;
static struct rfq held_q = TAILQ_HEAD_INITIALIZER(held_q);
static size_t	 held, held_files;
static uint64_t	 tree_bytes;
static uint64_t	 retired_files;
static time_t	 last_log, last_limit_log;
static uint64_t	 log_suppressed, limit_suppressed;
static int64_t	 next_retire;	/* monotonic: the next hourly walk */
static int64_t	 tick_due;	/* the tick's time; 0: none, 1: kicked */

struct wcount {
	uint64_t	 written, rejected, errors, created, calls;
	uint64_t	 replay_skipped, flushes, read_flushes, refused;
	uint64_t	 retired, removed;
};

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
	size_t	 ld, lc, ln;
	char	*p;

	fm_series_file(name, sizeof(name), value);
	ld = strlen(device);
	lc = strlen(check);
	ln = strlen(name);
	/* "device/check/name.rrd": copied, not printed, once per value. */
	if ((it = malloc(sizeof(*it) + ld + lc + ln + 8)) == NULL)
		return NULL;
	it->next = NULL;
	it->t = t;
	it->v = v;
	it->step = step < 1 ? 1 : step;
	it->seq = 0;
	it->replay = 0;
	p = it->path;
	memcpy(p, device, ld);
	p += ld;
	*p++ = '/';
	memcpy(p, check, lc);
	p += lc;
	*p++ = '/';
	memcpy(p, name, ln);
	p += ln;
	memcpy(p, ".rrd", 5);
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

/* ---- files and counts ------------------------------------------------ */

static struct rfile *
file_find(const char *path, uint32_t h)
{
	struct rfile *f;

	if (nfiles_b == 0)
		return NULL;
	for (f = files[h & (nfiles_b - 1)]; f != NULL; f = f->next)
		if (f->hash == h && strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

static struct rfile *
file_add(const char *path, uint32_t h)
{
	struct rfile *f, **nb, *next;
	size_t	 i, len;

	if (nfiles >= nfiles_b) {
		size_t n = nfiles_b ? nfiles_b * 2 : 1024;

		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return NULL;
		for (i = 0; i < nfiles_b; i++)
			for (f = files[i]; f != NULL; f = next) {
				next = f->next;
				f->next = nb[f->hash & (n - 1)];
				nb[f->hash & (n - 1)] = f;
			}
		free(files);
		files = nb;
		nfiles_b = n;
	}
	len = strlen(path) + 1;
	if ((f = calloc(1, sizeof(*f) + len)) == NULL)
		return NULL;
	memcpy(f->path, path, len);
	f->hash = h;
	f->next = files[h & (nfiles_b - 1)];
	files[h & (nfiles_b - 1)] = f;
	nfiles++;
	return f;
}

static struct count *
count_get(const char *key, size_t keylen)
{
	struct count *c, **nb, *next;
	char	 k[PATH_MAX];
	uint32_t h;
	size_t	 i;

	if (keylen >= sizeof(k))
		return NULL;
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	h = fm_hash32(k);
	if (ncounts_b > 0)
		for (c = counts[h & (ncounts_b - 1)]; c != NULL; c = c->next)
			if (strcmp(c->key, k) == 0)
				return c;
	if (ncounts >= ncounts_b) {
		size_t n = ncounts_b ? ncounts_b * 2 : 256;

		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return NULL;
		for (i = 0; i < ncounts_b; i++)
			for (c = counts[i]; c != NULL; c = next) {
				next = c->next;
				c->next = nb[fm_hash32(c->key) & (n - 1)];
				nb[fm_hash32(c->key) & (n - 1)] = c;
			}
		free(counts);
		counts = nb;
		ncounts_b = n;
	}
	if ((c = calloc(1, sizeof(*c) + keylen + 1)) == NULL)
		return NULL;
	memcpy(c->key, k, keylen + 1);
	c->next = counts[h & (ncounts_b - 1)];
	counts[h & (ncounts_b - 1)] = c;
	ncounts++;
	return c;
}

/*
 * The counts of a path "device/check/name.rrd": the device's and the
 * check's (keyed "device/check").
 */
static int
counts_of(const char *path, struct count **dev, struct count **chk)
{
	const char *s1, *s2;

	if ((s1 = strchr(path, '/')) == NULL ||
	    (s2 = strchr(s1 + 1, '/')) == NULL)
		return -1;
	if ((*dev = count_get(path, (size_t)(s1 - path))) == NULL ||
	    (*chk = count_get(path, (size_t)(s2 - path))) == NULL)
		return -1;
	return 0;
}

/* Forget a file that left the tree, giving back its counts and bytes. */
static void
file_remove(struct rfile *f)
{
	struct rfile **pp;
	struct count *dev, *chk;

	for (pp = &files[f->hash & (nfiles_b - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	if (counts_of(f->path, &dev, &chk) == 0) {
		if (dev->n > 0)
			dev->n--;
		if (chk->n > 0)
			chk->n--;
	}
	tree_bytes = tree_bytes > f->size ? tree_bytes - f->size : 0;
	nfiles--;
	free(f->p);
	free(f);
}

static void
files_free(void)
{
	struct rfile *f, *next;
	struct count *c, *cnext;
	size_t	 i;

	for (i = 0; i < nfiles_b; i++)
		for (f = files[i]; f != NULL; f = next) {
			next = f->next;
			free(f->p);
			free(f);
		}
	free(files);
	files = NULL;
	nfiles_b = nfiles = 0;
	for (i = 0; i < ncounts_b; i++)
		for (c = counts[i]; c != NULL; c = cnext) {
			cnext = c->next;
			free(c);
		}
	free(counts);
	counts = NULL;
	ncounts_b = ncounts = 0;
	TAILQ_INIT(&held_q);
	held = held_files = 0;
	tree_bytes = 0;
}

/*
 * Learn the files already on disk, so that the limits count them: two
 * levels of directories under the RRD directory.  Leftover temporary
 * files of a creation cut short by a crash are removed.
 */
static void
scan_tree(void)
{
	DIR	*d1, *d2, *d3;
	struct dirent *e1, *e2, *e3;
	struct count *dev, *chk;
	struct rfile *f;
	struct stat sb;
	char	 p[PATH_MAX], rel[PATH_MAX];
	size_t	 l;

	if ((d1 = opendir(w.dir)) == NULL)
		return;
	while ((e1 = readdir(d1)) != NULL) {
		if (e1->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", w.dir,
		    e1->d_name) >= sizeof(p) || (d2 = opendir(p)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			if (e2->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(p, sizeof(p), "%s/%s/%s", w.dir,
			    e1->d_name, e2->d_name) >= sizeof(p) ||
			    (d3 = opendir(p)) == NULL)
				continue;
			while ((e3 = readdir(d3)) != NULL) {
				l = strlen(e3->d_name);
				if ((size_t)snprintf(rel, sizeof(rel),
				    "%s/%s/%s", e1->d_name, e2->d_name,
				    e3->d_name) >= sizeof(rel))
					continue;
				if ((size_t)snprintf(p, sizeof(p), "%s/%s",
				    w.dir, rel) >= sizeof(p))
					continue;
				if (l > 8 && strcmp(e3->d_name + l - 8,
				    ".rrd.tmp") == 0) {
					unlink(p);
					continue;
				}
				if (l <= 4 || e3->d_name[0] == '.' ||
				    strcmp(e3->d_name + l - 4, ".rrd") != 0 ||
				    stat(p, &sb) == -1 || !S_ISREG(sb.st_mode))
					continue;
				if ((f = file_add(rel, fm_hash32(rel))) ==
				    NULL || counts_of(rel, &dev, &chk) == -1)
					continue;
				f->size = (uint64_t)sb.st_size;
				f->on_disk = 1;
				tree_bytes += f->size;
				dev->n++;
				chk->n++;
			}
			closedir(d3);
		}
		closedir(d2);
	}
	closedir(d1);
}

/* ---- layout ----------------------------------------------------------- */

/* Steps of a consolidated row, as close to `secs' as the step allows. */
static unsigned long
pdp_per_row(unsigned int step, unsigned long secs)
{
	unsigned long n = (secs + step / 2) / step;

	return n < 1 ? 1 : n;
}

static unsigned long
rows_for(unsigned int step, unsigned long pdps, double days)
{
	unsigned long span = (unsigned long)step * pdps;
	unsigned long secs = (unsigned long)(days * 86400.0 + 0.5);
	unsigned long r = (secs + span - 1) / span;

	return r < 1 ? 1 : r;
}

/*
 * The RRA arguments of a new file into a[], returning how many; *rows
 * gets the total number of rows, for the size.
 */
static int
layout(unsigned int step, const struct settings *s, char a[8][96],
    unsigned long *rows)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	unsigned long p5, p60, r;
	int	 argc = 0, i;

	*rows = 0;
	snprintf(a[argc++], sizeof(a[0]), "DS:value:GAUGE:%u:U:U",
	    rrdw_heartbeat(step));
	r = rows_for(step, 1, s->full_days);
	*rows += r;
	snprintf(a[argc++], sizeof(a[0]), "RRA:AVERAGE:0.5:1:%lu", r);
	if (step <= 300 && s->five_days > 0) {
		p5 = pdp_per_row(step, 300);
		r = rows_for(step, p5, (double)s->five_days);
		for (i = 0; i < 3; i++) {
			snprintf(a[argc++], sizeof(a[0]), "RRA:%s:0.5:%lu:%lu",
			    cfs[i], p5, r);
			*rows += r;
		}
	}
	if (s->hourly_days > 0) {
		p60 = pdp_per_row(step, 3600);
		r = rows_for(step, p60, (double)s->hourly_days);
		for (i = 0; i < 3; i++) {
			snprintf(a[argc++], sizeof(a[0]), "RRA:%s:0.5:%lu:%lu",
			    cfs[i], p60, r);
			*rows += r;
		}
	}
	return argc;
}

/* The size of a new file: 8 bytes a row plus about 1 KB of header. */
static uint64_t
expected_size(unsigned int step, const struct settings *s)
{
	char	 a[8][96];
	unsigned long rows;

	(void)layout(step, s, a, &rows);
	return (uint64_t)rows * 8 + 1024;
}

static int
create_file(const char *full, unsigned int step, time_t start,
    const struct settings *s)
{
	char	 tmp[PATH_MAX + 8], dir[PATH_MAX];
	char	 a[8][96];
	const char *argv[8];
	unsigned long rows;
	int	 argc, i, r;
	char	*slash;

	argc = layout(step, s, a, &rows);
	for (i = 0; i < argc; i++)
		argv[i] = a[i];
	fm_strlcpy(dir, full, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	rrd_clear_error();
	if (w.daemon[0] != '\0') {
		/*
		 * rrdcached creates the file itself, so that it is never
		 * written by two hands; it does not make directories, so a
		 * local daemon gets them made here (a remote one makes
		 * them fail, and its own tree must have them).
		 */
		if (strncmp(w.daemon, "unix:", 5) == 0)
			(void)fm_mkdirs(dir, 0755);
		if (rrdc_connect(w.daemon) != 0 ||
		    rrdc_create_r2(full, step, start, 1, NULL, NULL, argc,
		    argv) != 0) {
			rrd_log("create (rrdcached)", full);
			return -1;
		}
		return 0;
	}
	if (fm_mkdirs(dir, 0755) == -1) {
		log_warn("rrd: mkdir %s", dir);
		return -1;
	}

	/*
	 * Create under a temporary name and rename, so that a crash in the
	 * middle never leaves a short file that every later update fails
	 * on.
	 */
	snprintf(tmp, sizeof(tmp), "%s.tmp", full);
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

/* ---- writing ---------------------------------------------------------- */

/* A stable sort by time of a file's held values (arrival order kept). */
static void
sort_pend(struct pend *p, size_t n, struct pend *tmp)
{
	size_t	 m, i, j, k;

	if (n < 2)
		return;
	m = n / 2;
	sort_pend(p, m, tmp);
	sort_pend(p + m, n - m, tmp);
	if ((p[m - 1].tr >> 1) <= (p[m].tr >> 1))
		return;
	memcpy(tmp, p, m * sizeof(*p));
	for (i = 0, j = m, k = 0; i < m && j < n; k++)
		p[k] = (p[j].tr >> 1) < (tmp[i].tr >> 1) ? p[j++] : tmp[i++];
	while (i < m)
		p[k++] = tmp[i++];
}

static int
is_sorted(const struct pend *p, size_t n)
{
	size_t	 i;

	for (i = 1; i < n; i++)
		if ((p[i].tr >> 1) < (p[i - 1].tr >> 1))
			return 0;
	return 1;
}

/*
 * Read the last update of a file that exists: 1 when known, 0 when the
 * file is not there, -1 on failure.
 */
static int
file_last(struct rfile *f, const char *full)
{
	struct stat sb;
	time_t	 t;

	rrd_clear_error();
	if (w.daemon[0] != '\0') {
		if (rrdc_connect(w.daemon) != 0) {
			rrd_log("connect", w.daemon);
			return -1;
		}
		/* The daemon may hold values newer than the file has. */
		if ((t = rrdc_last(full)) == -1) {
			if (stat(full, &sb) == -1)
				return 0;
			rrd_log("last (rrdcached)", full);
			return -1;
		}
	} else {
		if (stat(full, &sb) == -1)
			return 0;
		if ((t = rrd_last_r(full)) == -1) {
			rrd_log("last", full);
			return -1;
		}
	}
	f->last = t;
	f->known = 1;
	return 1;
}

/* Read a file's last update, or create it.  Returns -1 on failure. */
static int
file_prepare(struct rfile *f, const char *full, time_t first,
    const struct settings *s, struct wcount *wc)
{
	struct stat sb;
	int	 r;

	if (f->known)
		return 0;
	if ((r = file_last(f, full)) != 0)
		return r == 1 ? 0 : -1;
	if (create_file(full, f->step, first - 1, s) == -1)
		return -1;
	wc->created++;
	f->on_disk = 1;
	if (w.daemon[0] == '\0' && stat(full, &sb) == 0) {
		tree_bytes -= f->size;
		f->size = (uint64_t)sb.st_size;
		tree_bytes += f->size;
	}
	f->last = first - 1;
	f->known = 1;
	return 0;
}

/*
 * One "time:value" argument of rrd_update_r, the bytes of "%lld:%.15g"
 * made without snprintf, which was the writer's largest cost.
 */
static void
update_arg(char *buf, time_t t, double v)
{
	size_t	 n;

	if (t < 0) {
		snprintf(buf, UPD_ARG_MAX, "%lld:%.15g", (long long)t, v);
		return;
	}
	n = fm_fmt_u64(buf, (uint64_t)t);
	buf[n++] = ':';
	(void)fm_fmt_g15(buf + n, v);
}

/* Write the values held for one file, then forget them. */
static void
flush_file(struct rfile *f, const struct settings *s, struct wcount *wc)
{
	char	 full[PATH_MAX];
	char	 args[UPDATE_CHUNK][UPD_ARG_MAX];
	const char *argv[UPDATE_CHUNK];
	struct pend *tmp;
	size_t	 i, na = 0, n = f->np, chunk;
	time_t	 t;
	int	 r;

	if (f->dirty) {
		TAILQ_REMOVE(&held_q, f, dq);
		f->dirty = 0;
		held_files--;
	}
	held -= n;
	f->np = 0;
	if (n == 0)
		return;
	wc->flushes++;
	if (!is_sorted(f->p, n)) {
		if ((tmp = calloc(n / 2 + 1, sizeof(*tmp))) == NULL) {
			wc->errors++;
			wc->rejected += n;
			goto out;
		}
		sort_pend(f->p, n, tmp);
		free(tmp);
	}
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", w.dir, f->path) >=
	    sizeof(full) || file_prepare(f, full, (time_t)(f->p[0].tr >> 1), s,
	    wc) == -1) {
		wc->errors++;
		wc->rejected += n;
		goto out;
	}
	chunk = w.daemon[0] != '\0' ? DAEMON_CHUNK : UPDATE_CHUNK;
	for (i = 0; i <= n; i++) {
		if (i < n) {
			t = (time_t)(f->p[i].tr >> 1);
			if (t <= f->last) {
				/*
				 * A journal replay at start offers values
				 * already written before the restart: not
				 * an error, and counted apart so that the
				 * rejected figure stays meaningful.
				 */
				if (f->p[i].tr & 1)
					wc->replay_skipped++;
				else
					wc->rejected++;
				continue;
			}
			update_arg(args[na], t, f->p[i].v);
			argv[na] = args[na];
			na++;
			f->last = t;
			if (na < chunk)
				continue;
		}
		if (na == 0)
			continue;
		rrd_clear_error();
		wc->calls++;
		if (w.daemon[0] != '\0')
			r = rrdc_connect(w.daemon) != 0 ? -1 :
			    rrdc_update(full, (int)na, argv);
		else
			r = rrd_update_r(full, NULL, (int)na, argv);
		if (r != 0) {
			rrd_log("update", full);
			wc->errors++;
			wc->rejected += na + (n - i - (i < n ? 1 : 0));
			/* Read the truth back from the file next time. */
			f->known = 0;
			break;
		}
		wc->written += na;
		na = 0;
	}
out:
	/* A file written rarely gives its buffer back. */
	if (f->cap > 1024) {
		free(f->p);
		f->p = NULL;
		f->cap = 0;
	}
}

/*
 * Have the note job's done() raise on the loop what was just left for
 * it.  Kicked: findings that come before the loop has looked cost one
 * wakeup of the loop, and the latest of each kind is the one raised.
 */
static void
notify_loop(void)
{
	workq_kick(w.wq, &w.note_job);
}

static void
limit_log(const char *path, const char *what, uint64_t limit)
{
	/*
	 * The disk budget is an event of its own: it is about the whole
	 * tree, and the staff act on it differently (more disk, shorter
	 * retention) than on one device's rows.
	 */
	const char *kind = strcmp(what, "rrd.max_bytes") == 0 ?
	    "rrd-budget" : "rrd-limit";
	time_t	 now = time(NULL);

	if (now - last_limit_log < LOG_EVERY) {
		limit_suppressed++;
		return;
	}
	log_warnx("rrd: %s refused: %s (%" PRIu64 "); %" PRIu64 " more values "
	    "refused since the last such line", path, what, limit,
	    limit_suppressed);
	/*
	 * The operator's event (/api/v1/events, alert rules) is raised on
	 * the loop, which owns the events; as often as this line.
	 */
	pthread_mutex_lock(&w.mtx);
	fm_strlcpy(w.limit_kind, kind, sizeof(w.limit_kind));
	snprintf(w.limit_msg, sizeof(w.limit_msg), "new series %s refused: "
	    "%s is %" PRIu64 "; its values still reach state and the journal",
	    path, what, limit);
	fm_strlcpy(w.limit_path, path, sizeof(w.limit_path));
	w.limit_which = strcmp(what, "rrd.max_series_per_check") == 0 ? 1 :
	    strcmp(what, "rrd.max_series_per_device") == 0 ? 2 : 3;
	w.limit_n = limit;
	pthread_mutex_unlock(&w.mtx);
	notify_loop();
	last_limit_log = now;
	limit_suppressed = 0;
}

/* A file for a new series, or NULL when a limit refuses it. */
static struct rfile *
file_new(const struct rrd_item *it, uint32_t h, const struct settings *s)
{
	struct count *dev, *chk;
	struct rfile *f;
	uint64_t size;

	if (counts_of(it->path, &dev, &chk) == -1)
		return NULL;
	if (chk->n >= s->max_check) {
		limit_log(it->path, "rrd.max_series_per_check", s->max_check);
		return NULL;
	}
	if (dev->n >= s->max_device) {
		limit_log(it->path, "rrd.max_series_per_device",
		    s->max_device);
		return NULL;
	}
	size = expected_size(it->step, s);
	if (s->max_bytes > 0 && tree_bytes + size > s->max_bytes) {
		limit_log(it->path, "rrd.max_bytes", s->max_bytes);
		return NULL;
	}
	if ((f = file_add(it->path, h)) == NULL)
		return NULL;
	f->size = size;
	tree_bytes += size;
	dev->n++;
	chk->n++;
	return f;
}

/* Hold the values taken from the queue, each with its file. */
static void
intake(struct rrd_item *list, const struct settings *s, int64_t now,
    struct wcount *wc)
{
	struct rrd_item *it;
	struct rfile *f;
	struct pend *np;
	uint32_t h;
	size_t	 cap;
	time_t	 stale = s->retire_days > 0 ?
	    time(NULL) - (time_t)s->retire_days * DAY : 0;

	for (it = list; it != NULL; it = it->next) {
		h = fm_hash32(it->path);
		if ((f = file_find(it->path, h)) == NULL) {
			/*
			 * A value older than the retirement age would make
			 * a series retired at the next walk: the journal's
			 * replay of a retired row must not bring it back.
			 */
			if (it->t < stale) {
				if (it->replay)
					wc->replay_skipped++;
				else
					wc->rejected++;
				continue;
			}
			if ((f = file_new(it, h, s)) == NULL) {
				wc->refused++;
				continue;
			}
		}
		/*
		 * The journal's replay at start offers days of values that
		 * the files mostly have: skip those now rather than hold
		 * them.
		 */
		if (it->replay && !f->known && f->on_disk) {
			char	 full[PATH_MAX];

			if ((size_t)snprintf(full, sizeof(full), "%s/%s", w.dir,
			    f->path) < sizeof(full))
				(void)file_last(f, full);
		}
		if (it->replay && f->known && it->t <= f->last) {
			wc->replay_skipped++;
			continue;
		}
		if (f->np == f->cap) {
			cap = f->cap ? f->cap * 2 : 4;
			if ((np = realloc(f->p, cap * sizeof(*np))) == NULL) {
				wc->errors++;
				wc->rejected++;
				continue;
			}
			f->p = np;
			f->cap = cap;
		}
		f->p[f->np].tr = (int64_t)it->t * 2 + (it->replay ? 1 : 0);
		f->p[f->np].v = it->v;
		f->np++;
		if (f->step == 0)
			f->step = it->step;
		held++;
		if (!f->dirty) {
			f->dirty = 1;
			f->first_ms = now;
			TAILQ_INSERT_TAIL(&held_q, f, dq);
			held_files++;
		}
	}
}

/*
 * Write the files that came due.  The queue is in the order the files'
 * oldest values came, and a file's own delay is at most the jitter, so
 * the walk stops at the first file that cannot be due yet.  Over the
 * hold limit, the oldest go first whether due or not.
 */
static void
flush_due(const struct settings *s, int64_t now, int all,
    struct wcount *wc)
{
	struct rfile *f, *next;

	for (f = TAILQ_FIRST(&held_q); f != NULL; f = next) {
		next = TAILQ_NEXT(f, dq);
		if (all || held > s->hold_max ||
		    now >= f->first_ms + s->write_ms + (s->jitter_ms > 0 ?
		    (int64_t)(f->hash % (uint64_t)(s->jitter_ms + 1)) : 0))
			flush_file(f, s, wc);
		else if (now < f->first_ms + s->write_ms)
			break;
	}
}

/* ---- retirement ------------------------------------------------------- */

/*
 * Visit every "<device>/<check>/<name>.rrd" under root; fn returns 1
 * when it took the file away, and then the directories it left empty
 * are removed, so that rotating row indices leave no directories
 * behind either.
 */
static void
walk_rrd(const char *root, int (*fn)(const char *, const char *,
    const struct stat *, void *), void *arg)
{
	DIR	*d1, *d2, *d3;
	struct dirent *e1, *e2, *e3;
	struct stat sb;
	char	 p[PATH_MAX], rel[PATH_MAX];
	size_t	 l;
	int	 gone1, gone2;

	if ((d1 = opendir(root)) == NULL)
		return;
	while ((e1 = readdir(d1)) != NULL) {
		if (e1->d_name[0] == '.' || (size_t)snprintf(p, sizeof(p),
		    "%s/%s", root, e1->d_name) >= sizeof(p) ||
		    (d2 = opendir(p)) == NULL)
			continue;
		gone1 = 0;
		while ((e2 = readdir(d2)) != NULL) {
			if (e2->d_name[0] == '.' || (size_t)snprintf(p,
			    sizeof(p), "%s/%s/%s", root, e1->d_name,
			    e2->d_name) >= sizeof(p) ||
			    (d3 = opendir(p)) == NULL)
				continue;
			gone2 = 0;
			while ((e3 = readdir(d3)) != NULL) {
				l = strlen(e3->d_name);
				if (l <= 4 || e3->d_name[0] == '.' ||
				    strcmp(e3->d_name + l - 4, ".rrd") != 0 ||
				    (size_t)snprintf(rel, sizeof(rel),
				    "%s/%s/%s", e1->d_name, e2->d_name,
				    e3->d_name) >= sizeof(rel) ||
				    (size_t)snprintf(p, sizeof(p), "%s/%s",
				    root, rel) >= sizeof(p) ||
				    stat(p, &sb) == -1 || !S_ISREG(sb.st_mode))
					continue;
				gone2 |= fn(rel, p, &sb, arg);
			}
			closedir(d3);
			if (gone2 && (size_t)snprintf(p, sizeof(p),
			    "%s/%s/%s", root, e1->d_name, e2->d_name) <
			    sizeof(p))
				(void)rmdir(p);	/* fails if not empty */
			gone1 |= gone2;
		}
		closedir(d2);
		if (gone1 && (size_t)snprintf(p, sizeof(p), "%s/%s", root,
		    e1->d_name) < sizeof(p))
			(void)rmdir(p);
	}
	closedir(d1);
}

struct retire {
	time_t		 now, cutoff;
	struct wcount	*wc;
};

/*
 * Retire one live file if it has not been updated since the cutoff.
 * Its modification time says when it was last written; values held
 * here, or (with rrdcached) by the daemon, are newer than that and keep
 * it.
 */
static int
retire_one(const char *rel, const char *full, const struct stat *sb,
    void *arg)
{
	struct retire *rt = arg;
	struct rfile *f;
	struct timespec ts[2];
	char	 dst[PATH_MAX], dir[PATH_MAX];
	char	*slash;
	time_t	 t;

	if (sb->st_mtime >= rt->cutoff)
		return 0;
	f = file_find(rel, fm_hash32(rel));
	if (f != NULL && (f->np > 0 || (f->known && f->last >= rt->cutoff)))
		return 0;
	if (w.daemon[0] != '\0') {
		/*
		 * The daemon may hold values it has not written: ask it,
		 * then have it write them (FLUSH) and drop the file from
		 * its cache (FORGET) before the file moves, so that it
		 * never writes to a path that is gone.  FORGET fails for
		 * a file the daemon does not hold, which is no error.
		 */
		rrd_clear_error();
		if (rrdc_connect(w.daemon) != 0 ||
		    (t = rrdc_last(full)) == -1) {
			rrd_log("last (rrdcached)", full);
			return 0;
		}
		if (t >= rt->cutoff)
			return 0;
		if (rrdc_flush(full) != 0) {
			rrd_log("flush (rrdcached)", full);
			return 0;
		}
		(void)rrdc_forget(full);
		rrd_clear_error();
	}
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", w.rdir, rel) >=
	    sizeof(dst))
		return 0;
	fm_strlcpy(dir, dst, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (fm_mkdirs(dir, 0755) == -1) {
		log_warn("rrd: mkdir %s", dir);
		return 0;
	}
	/* A series retired again replaces its older retired copy. */
	if (rename(full, dst) == -1) {
		log_warn("rrd: retire %s", full);
		return 0;
	}
	/*
	 * The retired file's time becomes the time of its retirement, the
	 * start of its keep period.  The clock is read here rather than
	 * left to the kernel (UTIME_NOW), so that the process's own notion
	 * of time is the one that counts.
	 */
	ts[0].tv_sec = ts[1].tv_sec = rt->now;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, dst, ts, 0) == -1)
		log_warn("rrd: utimensat %s", dst);
	if (f != NULL)
		file_remove(f);
	rt->wc->retired++;
	retired_files++;
	return 1;
}

/* Remove a retired file once it has been kept long enough. */
static int
prune_one(const char *rel, const char *full, const struct stat *sb,
    void *arg)
{
	struct retire *rt = arg;

	(void)rel;
	if (sb->st_mtime > rt->cutoff) {
		retired_files++;
		return 0;
	}
	if (unlink(full) == -1) {
		log_warn("rrd: remove %s", full);
		retired_files++;
		return 0;
	}
	rt->wc->removed++;
	return 1;
}

/*
 * Retire the series not updated for rrd.retire_after_days, then remove
 * the retired files older than rrd.retired_keep_days.  Runs on the
 * writer's queue: the walk stats every file, which the event loop must
 * never wait for.
 */
static void
retire_walk(const struct settings *s, struct wcount *wc)
{
	struct retire rt;
	uint64_t before = wc->retired;

	if (s->retire_days <= 0)
		return;
	memset(&rt, 0, sizeof(rt));
	rt.now = time(NULL);
	rt.wc = wc;
	/*
	 * The old retired files go first: a series retired again would
	 * otherwise replace its old copy unseen, and the disk they free is
	 * there before more is moved aside.
	 */
	rt.cutoff = rt.now - (time_t)s->keep_days * DAY;
	retired_files = 0;
	walk_rrd(w.rdir, prune_one, &rt);
	rt.cutoff = rt.now - (time_t)s->retire_days * DAY;
	walk_rrd(w.dir, retire_one, &rt);
	if (wc->retired == before && wc->removed == 0)
		return;
	log_info("rrd: %" PRIu64 " series not updated for %d days retired to "
	    "%s, %" PRIu64 " retired files older than %d days removed",
	    wc->retired - before, s->retire_days, w.rdir, wc->removed,
	    s->keep_days);
	pthread_mutex_lock(&w.mtx);
	fm_fmt(w.retire_msg, sizeof(w.retire_msg), "%" PRIu64 " series not "
	    "updated for %d days moved to %s; %" PRIu64 " retired files older "
	    "than %d days removed", wc->retired - before, s->retire_days,
	    w.rdir, wc->removed, s->keep_days);
	pthread_mutex_unlock(&w.mtx);
	notify_loop();
}

/* Flush one file if it holds values, then read it, as rrdcached FLUSH. */
static void
do_read(struct rrdw_read *r, const struct settings *s, struct wcount *wc)
{
	char	 full[PATH_MAX];
	struct rfile *f;
	struct stat sb;

	if ((f = file_find(r->path, fm_hash32(r->path))) != NULL &&
	    f->np > 0) {
		flush_file(f, s, wc);
		wc->read_flushes++;
	}
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", w.dir, r->path) >=
	    sizeof(full)) {
		r->status = 404;
		return;
	}
	rrd_clear_error();
	if (w.daemon[0] != '\0') {
		if (rrdc_connect(w.daemon) != 0 || rrdc_flush(full) != 0) {
			if (stat(full, &sb) == -1)
				r->status = 404;
			else {
				r->status = 500;
				snprintf(r->err, sizeof(r->err), "%s",
				    rrd_get_error());
			}
			return;
		}
	} else if (stat(full, &sb) == -1) {
		r->status = 404;
		return;
	}
	rrd_clear_error();
	if (rrd_fetch_r(full, "AVERAGE", &r->start, &r->end, &r->step,
	    &r->nds, &r->names, &r->data) == -1 || r->nds < 1) {
		r->status = 500;
		snprintf(r->err, sizeof(r->err), "%s", rrd_get_error());
	}
}

static void
publish(const struct wcount *wc)
{
	pthread_mutex_lock(&w.mtx);
	w.st.written += wc->written;
	w.st.rejected += wc->rejected;
	w.st.replay_skipped += wc->replay_skipped;
	w.st.errors += wc->errors;
	w.st.files_created += wc->created;
	w.st.update_calls += wc->calls;
	w.st.flushes += wc->flushes;
	w.st.read_flushes += wc->read_flushes;
	w.st.values_refused += wc->refused;
	w.st.retired += wc->retired;
	w.st.retired_removed += wc->removed;
	w.st.retired_files = retired_files;
	w.st.held = held;
	w.st.held_files = held_files;
	w.st.series = nfiles;
	w.st.bytes = tree_bytes;
	pthread_mutex_unlock(&w.mtx);
}

/* A copy of the settings, which a reload changes on the loop. */
static void
settings_get(struct settings *s, int *stop)
{
	pthread_mutex_lock(&w.mtx);
	*s = w.set;
	if (stop != NULL)
		*stop = w.stop;
	pthread_mutex_unlock(&w.mtx);
}

/*
 * See that the tick comes: in a second while values are held, else in a
 * minute while retirement is on; with neither it is not needed until
 * values come.  A tick waiting its minute when values come is run now,
 * and puts itself back every second from then on.  Only the queue's
 * thread submits the tick, so tick_due says the truth without its lock.
 */
static void
arm_tick(const struct settings *s)
{
	int64_t	 want;

	if (held > 0)
		want = mono_ms() + TICK_HELD_MS;
	else if (s->retire_days > 0)
		want = mono_ms() + TICK_IDLE_MS;
	else
		return;
	if (tick_due == 0) {
		tick_due = want;
		workq_submit_at(w.wq, &w.tick_job, want);
	} else if (tick_due > want) {
		tick_due = 1;
		workq_kick(w.wq, &w.tick_job);
	}
}

/*
 * What every run of the intake and the tick ends with: write the files
 * that came due (at stop, or without write-behind, all of them), walk
 * the tree when the hour has come, publish the counts and see that the
 * tick comes back.
 */
static void
pass_end(const struct settings *s, int stop, struct wcount *wc)
{
	flush_due(s, mono_ms(), stop || s->write_ms == 0, wc);
	if (!stop && mono_ms() >= next_retire) {
		retire_walk(s, wc);
		next_retire = mono_ms() + RETIRE_EVERY_MS;
	}
	publish(wc);
	if (!stop)
		arm_tick(s);
}

/* The first job: learn the tree, then retire what is old. */
static void
start_run(struct wjob *j)
{
	struct settings s;
	struct wcount wc;

	(void)j;
	scan_tree();
	memset(&wc, 0, sizeof(wc));
	settings_get(&s, NULL);
	/* Before the journal's replay is taken in: see intake(). */
	retire_walk(&s, &wc);
	next_retire = mono_ms() + RETIRE_EVERY_MS;
	publish(&wc);
	arm_tick(&s);
}

/* Take everything submitted until now, in one go. */
static void
intake_run(struct wjob *j)
{
	struct rrd_item *list;
	struct settings s;
	struct wcount wc;
	size_t	 n;
	int	 stop;

	(void)j;
	pthread_mutex_lock(&w.mtx);
	list = w.head;
	w.head = w.tail = NULL;
	n = w.len;
	s = w.set;
	stop = w.stop;
	pthread_mutex_unlock(&w.mtx);

	memset(&wc, 0, sizeof(wc));
	intake(list, &s, mono_ms(), &wc);
	rrdw_item_free_list(list);
	/*
	 * The room is given back once the values are held: held values
	 * have their own bound (rrd.hold).
	 */
	pthread_mutex_lock(&w.mtx);
	w.len -= n;
	pthread_mutex_unlock(&w.mtx);
	pass_end(&s, stop, &wc);
}

static void
tick_run(struct wjob *j)
{
	struct settings s;
	struct wcount wc;
	int	 stop;

	(void)j;
	tick_due = 0;
	settings_get(&s, &stop);
	memset(&wc, 0, sizeof(wc));
	pass_end(&s, stop, &wc);
}

static void
read_run(struct wjob *j)
{
	struct settings s;
	struct wcount wc;

	settings_get(&s, NULL);
	memset(&wc, 0, sizeof(wc));
	do_read(j->arg, &s, &wc);
	/*
	 * The counts first, then the answer (done() on the loop): a reply
	 * to a read must not go out before the values its flush wrote are
	 * counted (the API shows both).
	 */
	publish(&wc);
}

/*
 * Nothing to do on the queue: a job's done() is the queue's one way to
 * the loop, and the note exists for it (note_done() raises the events
 * left by limit_log() and retire_walk()).
 */
static void
note_run(struct wjob *j)
{
	(void)j;
}

/* ---- the event loop's side ------------------------------------------- */

static void
settings_from(struct settings *s, const struct collector_conf *c)
{
	s->full_days = c->rrd_full_days;
	s->five_days = c->rrd_5min_days;
	s->hourly_days = c->rrd_hourly_days;
	s->write_ms = c->rrd_write_ms;
	s->jitter_ms = c->rrd_jitter_ms;
	s->hold_max = (size_t)c->rrd_hold;
	s->max_check = (uint64_t)c->rrd_series_check;
	s->max_device = (uint64_t)c->rrd_series_device;
	s->max_bytes = (uint64_t)c->rrd_max_bytes;
	s->retire_days = c->rrd_retire_days;
	s->keep_days = c->rrd_retired_keep_days;
}

/* The events the writer found, raised on the loop, which owns them. */
static void
note_done(struct wjob *j)
{
	char	 msg[sizeof(w.limit_msg)], path[sizeof(w.limit_path)];
	char	 kind[sizeof(w.limit_kind)], rmsg[sizeof(w.retire_msg)];
	uint64_t lim;
	int	 which;

	(void)j;
	pthread_mutex_lock(&w.mtx);
	fm_strlcpy(msg, w.limit_msg, sizeof(msg));
	fm_strlcpy(kind, w.limit_kind, sizeof(kind));
	fm_strlcpy(path, w.limit_path, sizeof(path));
	which = w.limit_which;
	lim = w.limit_n;
	w.limit_msg[0] = '\0';
	fm_strlcpy(rmsg, w.retire_msg, sizeof(rmsg));
	w.retire_msg[0] = '\0';
	pthread_mutex_unlock(&w.mtx);
	/* At stop the loop has ended: the events have nobody to go to. */
	if (w.stopping)
		return;
	if (msg[0] != '\0')
		event_raise_facts(kind, NULL, (int64_t)lim, which, path,
		    "%s", msg);
	if (rmsg[0] != '\0')
		event_raise("rrd-retired", NULL, "%s", rmsg);
}

/* A read's answer, on the loop; the queue runs reads in the order asked. */
static void
read_done(struct wjob *j)
{
	struct rrdw_read *r = j->arg;

	w.nreads--;
	/* Reads answered after the loop ended have nobody to go to. */
	if (w.stopping) {
		rrdw_read_free(r);
		return;
	}
	r->cb(r);
}

/*
 * <data_dir>/rrd/.layout says which layout of docs/rrd.md the tree
 * follows ("facmon-rrd-layout N").  A tree without it is the release
 * before versions, whose layout is version 1, the same paths and data
 * sources as version 2: the file is written and the tree used as it is.
 * A newer layout is refused: paths or series this release does not know
 * would be written beside the ones it cannot read.  The name starts with
 * a dot, which no device id does, so that no walk of the tree takes it
 * for a device.  Runs at start, before the event loop.
 */
static int
layout_check(const char *dir, char *err, size_t errlen)
{
	char	 path[PATH_MAX + 16], buf[64], text[64];
	unsigned long v;
	FILE	*f;
	int	 n;

	fm_fmt(path, sizeof(path), "%s/.layout", dir);
	if ((f = fopen(path, "re")) != NULL) {
		n = fgets(buf, sizeof(buf), f) != NULL &&
		    sscanf(buf, "facmon-rrd-layout %lu", &v) == 1;
		fclose(f);
		if (!n || v == 0) {
			fm_fmt(err, errlen, "%s: not a facmon RRD layout file",
			    path);
			return -1;
		}
		if (fm_version_check(path, v, FM_RRD_LAYOUT_VERSION, err,
		    errlen) == -1)
			return -1;
		if (v == FM_RRD_LAYOUT_VERSION)
			return 0;
	} else if (errno != ENOENT) {
		fm_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(text, sizeof(text), "facmon-rrd-layout %d\n",
	    FM_RRD_LAYOUT_VERSION);
	return fm_write_file_atomic(path, text, (size_t)n, err, errlen);
}

int
rrdw_start(struct event_base *base, const struct collector_conf *c,
    char *err, size_t errlen)
{
	if ((size_t)snprintf(w.dir, sizeof(w.dir), "%s/rrd", c->data_dir) >=
	    sizeof(w.dir)) {
		snprintf(err, errlen, "%s: path too long", c->data_dir);
		return -1;
	}
	if (fm_mkdirs(w.dir, 0755) == -1) {
		snprintf(err, errlen, "mkdir %s: %s", w.dir, strerror(errno));
		return -1;
	}
	if (layout_check(w.dir, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(w.rdir, sizeof(w.rdir), "%s/retired/rrd",
	    c->data_dir) >= sizeof(w.rdir)) {
		snprintf(err, errlen, "%s: path too long", c->data_dir);
		return -1;
	}
	fm_strlcpy(w.daemon, c->rrd_daemon, sizeof(w.daemon));
	if (w.daemon[0] != '\0') {
		rrd_clear_error();
		if (rrdc_connect(w.daemon) != 0) {
			snprintf(err, errlen, "rrdcached %s: %s", w.daemon,
			    rrd_get_error());
			return -1;
		}
		log_info("rrd: writing through rrdcached at %s", w.daemon);
	}
	w.max = (size_t)c->rrd_queue;
	settings_from(&w.set, c);
	w.stop = 0;
	w.stopping = 0;
	w.st.queue_max = w.max;
	if ((w.wq = workq_new(base, "rrd writer", err, errlen)) == NULL)
		return -1;
	w.start_job.run = start_run;
	w.intake_job.run = intake_run;
	w.tick_job.run = tick_run;
	w.note_job.run = note_run;
	w.note_job.done = note_done;
	/* First, so that the tree is known before any value is taken in. */
	workq_submit(w.wq, &w.start_job);
	w.running = 1;
	return 0;
}

/* Retention applies to files created from now on; limits at once. */
void
rrdw_reconf(const struct collector_conf *c)
{
	pthread_mutex_lock(&w.mtx);
	settings_from(&w.set, c);
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
	pthread_mutex_unlock(&w.mtx);
	/*
	 * After the unlock: a run that begins in between takes these values
	 * already, and the one this kick queues finds nothing, which is
	 * cheap; the queue's lock is never taken inside the writer's.
	 */
	workq_kick(w.wq, &w.intake_job);
	return 0;
}

/*
 * Read one series for the API: the writer writes what it holds for the
 * file, then fetches it, and cb is called on the loop with the answer
 * (status 0, 404 or 500).  Returns -1 when the read cannot be queued.
 */
int
rrdw_read(const char *relpath, time_t start, time_t end, unsigned long step,
    void (*cb)(struct rrdw_read *), void *arg)
{
	struct rrdw_read *r;
	size_t	 len = strlen(relpath) + 1;

	if (!w.running || w.nreads >= READS_MAX ||
	    (r = calloc(1, sizeof(*r) + len)) == NULL)
		return -1;
	memcpy(r->path, relpath, len);
	r->start = start;
	r->end = end;
	r->step = step;
	r->cb = cb;
	r->arg = arg;
	r->job.run = read_run;
	r->job.done = read_done;
	r->job.arg = r;
	w.nreads++;
	/*
	 * Behind the intake of every value submitted before it (an intake
	 * is queued or running whenever values wait), so that the read
	 * sees them.
	 */
	workq_submit(w.wq, &r->job);
	return 0;
}

void
rrdw_read_free(struct rrdw_read *r)
{
	unsigned long k;

	if (r == NULL)
		return;
	for (k = 0; k < r->nds && r->names != NULL; k++)
		free(r->names[k]);
	free(r->names);
	free(r->data);
	free(r);
}

/*
 * Write everything held and queued, then end the queue.  The intake is
 * kicked once more: whichever of its runs comes after w.stop is set
 * takes what is queued and writes everything held.  The drain runs it
 * and the reads still queued (answered to nobody), and cancels the
 * tick, which has no business at shutdown.
 */
void
rrdw_stop(void)
{
	if (!w.running)
		return;
	w.stopping = 1;
	pthread_mutex_lock(&w.mtx);
	w.stop = 1;
	pthread_mutex_unlock(&w.mtx);
	workq_kick(w.wq, &w.intake_job);
	workq_free(w.wq, WQ_DRAIN);
	w.wq = NULL;
	w.running = 0;
	/* The queue's thread has ended: its state is this thread's now. */
	tick_due = 0;
	if (w.daemon[0] != '\0')
		rrdc_disconnect();
	files_free();
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

/* ---- rrd-migrate ------------------------------------------------------ */

/*
 * The archives of a file as "CF:pdp:rows;..." and its step, from
 * rrd_info_r.  Returns -1 when the file cannot be read.
 */
static int
file_layout(const char *full, unsigned long *step, char *sig, size_t siglen)
{
	rrd_info_t *info, *i;
	char	 cf[16][16];
	unsigned long pdp[16], rows[16];
	int	 n = 0, k;
	size_t	 len = 0;

	memset(cf, 0, sizeof(cf));
	memset(pdp, 0, sizeof(pdp));
	memset(rows, 0, sizeof(rows));
	*step = 0;
	rrd_clear_error();
	if ((info = rrd_info_r(full)) == NULL)
		return -1;
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			*step = i->value.u_cnt;
		else if (sscanf(i->key, "rra[%d].", &k) == 1 && k >= 0 &&
		    k < 16) {
			const char *f = strchr(i->key, '.') + 1;

			if (k >= n)
				n = k + 1;
			if (strcmp(f, "cf") == 0 && i->type == RD_I_STR)
				fm_strlcpy(cf[k], i->value.u_str,
				    sizeof(cf[k]));
			else if (strcmp(f, "rows") == 0 && i->type == RD_I_CNT)
				rows[k] = i->value.u_cnt;
			else if (strcmp(f, "pdp_per_row") == 0 &&
			    i->type == RD_I_CNT)
				pdp[k] = i->value.u_cnt;
		}
	}
	rrd_info_free(info);
	sig[0] = '\0';
	for (k = 0; k < n && len < siglen; k++)
		len += (size_t)snprintf(sig + len, siglen - len, "%s:%lu:%lu;",
		    cf[k], pdp[k], rows[k]);
	return *step > 0 ? 0 : -1;
}

struct migrate {
	struct settings	 set;
	int		 migrated, kept, failed;
};

/* Rewrite one file to the configured layout, keeping its data. */
static void
migrate_file(const char *full, const struct stat *sb, struct migrate *m)
{
	char	 a[8][96], want[512], have[512], tmp[PATH_MAX + 8];
	const char *argv[8], *sources[2];
	unsigned long step, rows;
	size_t	 len = 0;
	time_t	 last;
	int	 argc, i;

	if (file_layout(full, &step, have, sizeof(have)) == -1) {
		log_warnx("rrd-migrate: %s: %s", full, rrd_get_error());
		m->failed++;
		return;
	}
	argc = layout((unsigned int)step, &m->set, a, &rows);
	want[0] = '\0';
	for (i = 1; i < argc; i++) {
		char	 cf[16];
		unsigned long p, r;

		if (sscanf(a[i], "RRA:%15[A-Z]:0.5:%lu:%lu", cf, &p, &r) == 3)
			len += (size_t)snprintf(want + len, sizeof(want) - len,
			    "%s:%lu:%lu;", cf, p, r);
	}
	if (strcmp(want, have) == 0) {
		m->kept++;
		return;
	}
	for (i = 0; i < argc; i++)
		argv[i] = a[i];
	sources[0] = full;
	sources[1] = NULL;
	snprintf(tmp, sizeof(tmp), "%s.tmp", full);
	rrd_clear_error();
	if ((last = rrd_last_r(full)) == -1 ||
	    rrd_create_r2(tmp, step, last, 0, sources, NULL, argc,
	    argv) != 0) {
		log_warnx("rrd-migrate: %s: %s", full, rrd_get_error());
		unlink(tmp);
		m->failed++;
		return;
	}
	/* The daemon, not this command, writes the file afterwards. */
	if (chown(tmp, sb->st_uid, sb->st_gid) == -1 ||
	    chmod(tmp, sb->st_mode & 07777) == -1 || rename(tmp, full) == -1) {
		log_warn("rrd-migrate: %s", full);
		unlink(tmp);
		m->failed++;
		return;
	}
	m->migrated++;
}

/*
 * facmon-collector rrd-migrate: rewrite every RRD file whose archives
 * are not those the configuration makes for its step, keeping its data
 * (librrd fills the new archives from the old file).  The collector
 * must be stopped: its writer would update the old file meanwhile.
 */
int
rrdw_migrate(const struct collector_conf *c)
{
	struct migrate m;
	DIR	*d1, *d2, *d3;
	struct dirent *e1, *e2, *e3;
	struct stat sb;
	char	 dir[PATH_MAX], p[PATH_MAX];
	size_t	 l;

	memset(&m, 0, sizeof(m));
	settings_from(&m.set, c);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/rrd", c->data_dir) >=
	    sizeof(dir) || (d1 = opendir(dir)) == NULL) {
		log_warn("rrd-migrate: %s", dir);
		return 1;
	}
	while ((e1 = readdir(d1)) != NULL) {
		if (e1->d_name[0] == '.' || (size_t)snprintf(p, sizeof(p),
		    "%s/%s", dir, e1->d_name) >= sizeof(p) ||
		    (d2 = opendir(p)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			if (e2->d_name[0] == '.' || (size_t)snprintf(p,
			    sizeof(p), "%s/%s/%s", dir, e1->d_name,
			    e2->d_name) >= sizeof(p) ||
			    (d3 = opendir(p)) == NULL)
				continue;
			while ((e3 = readdir(d3)) != NULL) {
				l = strlen(e3->d_name);
				if (l <= 4 || e3->d_name[0] == '.' ||
				    strcmp(e3->d_name + l - 4, ".rrd") != 0 ||
				    (size_t)snprintf(p, sizeof(p),
				    "%s/%s/%s/%s", dir, e1->d_name,
				    e2->d_name, e3->d_name) >= sizeof(p) ||
				    stat(p, &sb) == -1 || !S_ISREG(sb.st_mode))
					continue;
				migrate_file(p, &sb, &m);
			}
			closedir(d3);
		}
		closedir(d2);
	}
	closedir(d1);
	printf("rrd-migrate: %d files rewritten, %d already in the "
	    "configured layout, %d failed\n", m.migrated, m.kept, m.failed);
	return m.failed > 0 ? 1 : 0;
}

/*
 * Reload: retention for files created from now on, the limits at once
 * (rrdw_reconf, under the writer's lock).  The queue is allocated and
 * the writer connected at start.
 */
static int
rrdw_reload_check(const struct collector_conf *old, struct collector_conf *nc)
{
	int	 n = 0;

	if (nc->rrd_queue != old->rrd_queue) {
		nc->rrd_queue = old->rrd_queue;
		n += reload_refuse("rrd.queue");
	}
	if (strcmp(nc->rrd_daemon, old->rrd_daemon) != 0) {
		fm_strlcpy(nc->rrd_daemon, old->rrd_daemon,
		    sizeof(nc->rrd_daemon));
		n += reload_refuse("rrd.daemon");
	}
	return n;
}

const struct reload_ops rrdw_reload = {
	.module = "rrd",
	.check = rrdw_reload_check,
	.apply = rrdw_reconf,
};
