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
 * Maintenance windows, in one module: the configuration's (the
 * 'availability' group's maintenance rules) and those made through the
 * web, which live in <data_dir>/maintenance.json.  Both are merged into
 * one list of rules that availability, the alerts' silence and the wall
 * read (maint_avconf(), maint_until()).  A change made through the web is
 * written on the module's work queue (temporary file, fsync, rename) and
 * its caller told once it is durable; the windows in memory are the new
 * ones meanwhile, and if the write fails they are read back from the
 * file, which still holds the old ones -- read on the queue too, so that
 * the event loop never touches the disk.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "outage.h"
#include "../../common/workq.h"

#define MW_API_MAX	512		/* windows made through the API */
#define OCC_SPAN_MAX	(93LL * 86400000)	/* a calendar's two months */
#define OCC_MAX		200		/* occurrences of one window */

static struct {
	const struct collector_conf *conf;
	struct maint_window wins[MW_API_MAX];
	int		 nwins;
	int		 next_id;
	/* maintenance.json is a newer release's: read nothing, overwrite
	   nothing. */
	int		 newer;
	/* The configuration's windows and the API's, as the rest reads them. */
	struct avconf	 merged;
	struct mw_rule	*rules;
	int		 nconf;		/* of rules, the configuration's */
	uint64_t	 gen;
	struct workq	*q;
} M = { .next_id = 1 };

static void	 merge_windows(void);

/*
 * The merged rules: the first nconf are copies of the configuration's,
 * which own their strings; the lists of the rest are ours.  nconf is the
 * count at the merge, not the configuration's now, which a reload may
 * have changed before the next merge.
 */
static void
free_rules(void)
{
	int	 i;

	if (M.rules == NULL)
		return;
	for (i = M.nconf; i < M.merged.nrules; i++) {
		free(M.rules[i].devices);
		free(M.rules[i].groups);
		free(M.rules[i].classes);
	}
	free(M.rules);
	M.rules = NULL;
	M.nconf = 0;
}

void
maint_window_free(struct maint_window *w)
{
	json_decref(w->devices);
	json_decref(w->groups);
	json_decref(w->classes);
}

static json_t *
win_json_once(const struct maint_window *w)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:s,s:O,s:O,s:O,s:s,s:I,s:o,s:o,"
	    "s:b}",
	    "id", w->id, "source", "api",
	    "start_ms", (json_int_t)w->start_ms,
	    "end_ms", (json_int_t)w->end_ms,
	    "reason", w->reason,
	    "devices", w->devices, "groups", w->groups, "classes", w->classes,
	    "created_by", w->created_by,
	    "created_ms", (json_int_t)w->created_ms,
	    "changed_by", w->changed_by[0] ? json_string(w->changed_by) :
	    json_null(),
	    "changed_ms", w->changed_ms ? json_integer(w->changed_ms) :
	    json_null(),
	    "cancelled", w->cancelled);
}

json_t *
maint_window_json(const struct maint_window *w)
{
	json_t	*o = win_json_once(w);

	if (o != NULL && w->repeat[0] != '\0') {
		json_object_set_new(o, "repeat", json_string(w->repeat));
		json_object_set_new(o, "at", json_string(w->at));
		json_object_set_new(o, "duration_ms", json_integer(w->dur_ms));
	}
	return o;
}

/* A window's rule, as availability and alerts read it: -1 if invalid. */
int
maint_window_rule(const struct maint_window *w, struct mw_rule *r, char *err,
    size_t errlen)
{
	return mw_from_window(r, w->id, M.conf->av.tz, w->reason, w->start_ms,
	    w->end_ms, w->repeat, w->at, w->dur_ms, err, errlen);
}

/* Whether a window's devices, groups or classes are a list of ids. */
int
maint_ids_ok(json_t *a)
{
	size_t	 i;
	json_t	*v;

	if (a == NULL)
		return 1;
	if (!json_is_array(a) || json_array_size(a) > 256)
		return 0;
	json_array_foreach(a, i, v)
		if (!json_is_string(v) || !fm_valid_id(json_string_value(v)))
			return 0;
	return 1;
}

/* maintenance.json parsed, or NULL; on the queue's thread or at start. */
static json_t *
read_file(const char *path)
{
	json_error_t je;
	json_t	*root;

	if ((root = json_load_file(path, 0, &je)) == NULL &&
	    access(path, F_OK) == 0)
		log_warnx("%s:%d: %s; the web's maintenance windows are not "
		    "loaded", path, je.line, je.text);
	return root;
}

/*
 * The web's windows from maintenance.json as read (root, taken; NULL: no
 * file, or one that could not be read, which read_file() has said).
 */
static void
load_windows(const char *path, json_t *root)
{
	struct mw_rule chk;
	char	 err[256];
	json_t	*a, *v;
	size_t	 i;
	int	 k;

	for (k = 0; k < M.nwins; k++)
		maint_window_free(&M.wins[k]);
	M.nwins = 0;
	M.newer = 0;
	if (root == NULL)
		return;
	if ((v = json_object_get(root, "version")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 0 &&
	    fm_version_check(path, (unsigned long)json_integer_value(v),
	    FM_MAINT_VERSION, err, sizeof(err)) == -1) {
		log_warnx("%s; the web's maintenance windows are not loaded, "
		    "and the file is not overwritten", err);
		M.newer = 1;
		json_decref(root);
		return;
	}
	a = json_object_get(root, "windows");
	json_array_foreach(a, i, v) {
		struct maint_window *w;
		const char *s;
		int	 n;

		if (M.nwins >= MW_API_MAX)
			break;
		w = &M.wins[M.nwins];
		memset(w, 0, sizeof(*w));
		if ((s = json_string_value(json_object_get(v, "id"))) == NULL ||
		    !fm_valid_id(s))
			continue;
		fm_strlcpy(w->id, s, sizeof(w->id));
		if (sscanf(w->id, "web-%d", &n) == 1 && n >= M.next_id)
			M.next_id = n + 1;
		w->start_ms = json_integer_value(json_object_get(v, "start_ms"));
		w->end_ms = json_integer_value(json_object_get(v, "end_ms"));
		if ((s = json_string_value(json_object_get(v, "reason"))))
			fm_strlcpy(w->reason, s, sizeof(w->reason));
		if ((s = json_string_value(json_object_get(v, "created_by"))))
			fm_strlcpy(w->created_by, s, sizeof(w->created_by));
		if ((s = json_string_value(json_object_get(v, "changed_by"))))
			fm_strlcpy(w->changed_by, s, sizeof(w->changed_by));
		w->created_ms = json_integer_value(json_object_get(v,
		    "created_ms"));
		w->changed_ms = json_integer_value(json_object_get(v,
		    "changed_ms"));
		w->cancelled = json_is_true(json_object_get(v, "cancelled"));
		if ((s = json_string_value(json_object_get(v, "repeat"))))
			fm_strlcpy(w->repeat, s, sizeof(w->repeat));
		if ((s = json_string_value(json_object_get(v, "at"))))
			fm_strlcpy(w->at, s, sizeof(w->at));
		w->dur_ms = json_integer_value(json_object_get(v,
		    "duration_ms"));
		w->devices = json_incref(json_object_get(v, "devices"));
		w->groups = json_incref(json_object_get(v, "groups"));
		w->classes = json_incref(json_object_get(v, "classes"));
		if (!maint_ids_ok(w->devices) || !maint_ids_ok(w->groups) ||
		    !maint_ids_ok(w->classes) ||
		    maint_window_rule(w, &chk, err, sizeof(err)) == -1) {
			log_warnx("%s: window %s is invalid, skipped", path,
			    w->id);
			maint_window_free(w);
			continue;
		}
		M.nwins++;
	}
	json_decref(root);
}

/*
 * The configuration's rules followed by one rule per live API window.
 * The copies of the configuration's rules share its strings, so this is
 * rebuilt on every reload before the old configuration goes.
 */
static void
merge_windows(void)
{
	char	 err[256];
	int	 i, n = 0, k;

	free_rules();
	M.merged = M.conf->av;
	M.rules = calloc((size_t)(M.conf->av.nrules + M.nwins) + 1,
	    sizeof(*M.rules));
	M.gen++;
	if (M.rules == NULL) {
		log_warnx("maintenance windows: out of memory");
		M.merged.rules = M.conf->av.rules;
		return;
	}
	M.nconf = M.conf->av.nrules;
	for (i = 0; i < M.conf->av.nrules; i++)
		M.rules[n++] = M.conf->av.rules[i];
	for (k = 0; k < M.nwins; k++) {
		struct mw_rule *r = &M.rules[n];

		if (M.wins[k].cancelled ||
		    maint_window_rule(&M.wins[k], r, err, sizeof(err)) == -1)
			continue;
		/* Borrowed: the window's arrays outlive these rules. */
		r->devices = mw_json_ids(M.wins[k].devices, &r->ndevices, 0);
		r->groups = mw_json_ids(M.wins[k].groups, &r->ngroups, 0);
		r->classes = mw_json_ids(M.wins[k].classes, &r->nclasses, 0);
		n++;
	}
	M.merged.rules = M.rules;
	M.merged.nrules = n;
}

/* ---- saving ---------------------------------------------------------- */

struct save_job {
	struct wjob	 w;
	char		 path[PATH_MAX];
	char		*text;
	char		 err[256];
	int		 rc;
	json_t		*reread;	/* after a failure: the file as it is */
	maint_done_fn	 cb;
	void		*arg;
	json_t		*win;		/* the window as changed */
};

static void
reread_run(struct wjob *w)
{
	struct save_job *j = w->arg;

	j->reread = read_file(j->path);
}

static void
save_run(struct wjob *w)
{
	struct save_job *j = w->arg;
	char	 tmp[PATH_MAX + 8];
	size_t	 len = strlen(j->text);
	int	 fd;

	fm_fmt(tmp, sizeof(tmp), "%s.tmp", j->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, j->text, len) != (ssize_t)len ||
	    fsync(fd) == -1 || close(fd) == -1 || (fd = -1,
	    rename(tmp, j->path) == -1)) {
		fm_fmt(j->err, sizeof(j->err), "%s: %s", j->path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		j->rc = -1;
		j->reread = read_file(j->path);
	}
}

static void
save_done(struct wjob *w)
{
	struct save_job *j = w->arg;

	if (j->rc == -1) {
		log_warnx("maintenance windows: %s", j->err);
		load_windows(j->path, j->reread);
		merge_windows();
	}
	if (!w->cancelled)
		j->cb(j->arg, j->rc, j->err, j->win);
	json_decref(j->win);
	free(j->text);
	free(j);
}

/*
 * The windows in memory as they now are, merged at once and written on
 * the queue; cb on the loop when that is done, with w as it is now.
 */
static void
save_windows(const struct maint_window *w, maint_done_fn cb, void *arg)
{
	struct save_job *j;
	json_t	*a, *root;
	int	 i;

	merge_windows();
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		cb(arg, -1, "out of memory", NULL);
		return;
	}
	j->cb = cb;
	j->arg = arg;
	j->win = maint_window_json(w);
	fm_fmt(j->path, sizeof(j->path), "%s/maintenance.json",
	    M.conf->data_dir);
	if (M.newer) {
		fm_fmt(j->err, sizeof(j->err), "%s was written by a newer "
		    "facmon; it is not overwritten", j->path);
		j->rc = -1;
	} else {
		a = json_array();
		for (i = 0; i < M.nwins; i++)
			json_array_append_new(a,
			    maint_window_json(&M.wins[i]));
		root = json_pack("{s:i,s:o}", "version", FM_MAINT_VERSION,
		    "windows", a);
		if (root == NULL || (j->text = json_dumps(root,
		    JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
			fm_fmt(j->err, sizeof(j->err), "out of memory");
			j->rc = -1;
		}
		json_decref(root);
	}
	j->w.run = save_run;
	j->w.done = save_done;
	j->w.arg = j;
	if (j->rc == -1) {
		/* Nothing to write: read the file back, as after a failure. */
		j->w.run = reread_run;
	}
	workq_submit(M.q, &j->w);
}

/* ---- changes --------------------------------------------------------- */

struct maint_window *
maint_find(const char *id)
{
	int	 i;

	for (i = 0; i < M.nwins; i++)
		if (strcmp(M.wins[i].id, id) == 0)
			return &M.wins[i];
	return NULL;
}

/*
 * A new window, filled by the caller (times, rule, reason, lists): given
 * its id and creator, kept, and saved.  -1 (and nothing kept) when the
 * module holds as many windows as it may.
 */
int
maint_add(struct maint_window *w, const char *user, maint_done_fn cb,
    void *arg)
{
	if (M.nwins >= MW_API_MAX)
		return -1;
	snprintf(w->id, sizeof(w->id), "web-%d", M.next_id++);
	fm_strlcpy(w->created_by, user, sizeof(w->created_by));
	w->created_ms = now_ms();
	M.wins[M.nwins++] = *w;
	save_windows(&M.wins[M.nwins - 1], cb, arg);
	return 0;
}

/* Whether another window can be made. */
int
maint_full(void)
{
	return M.nwins >= MW_API_MAX;
}

/*
 * The window id becomes nw (taken; its id and creation are kept), or is
 * cancelled when nw is NULL; then saved.  -1: no such window.
 */
int
maint_change(const char *id, struct maint_window *nw, const char *user,
    maint_done_fn cb, void *arg)
{
	struct maint_window *w;

	if ((w = maint_find(id)) == NULL)
		return -1;
	if (nw == NULL)
		w->cancelled = 1;
	else {
		fm_strlcpy(nw->id, w->id, sizeof(nw->id));
		fm_strlcpy(nw->created_by, w->created_by,
		    sizeof(nw->created_by));
		nw->created_ms = w->created_ms;
		nw->cancelled = w->cancelled;
		maint_window_free(w);
		*w = *nw;
	}
	fm_strlcpy(w->changed_by, user, sizeof(w->changed_by));
	w->changed_ms = now_ms();
	save_windows(w, cb, arg);
	return 0;
}

/* ---- reading ---------------------------------------------------------- */

const struct avconf *
maint_avconf(void)
{
	return M.conf != NULL ? &M.merged : NULL;
}

/* Changes each time the merged windows do, for caches of figures. */
uint64_t
maint_generation(void)
{
	return M.gen;
}

/*
 * The end of the maintenance window the device is in at this time, the
 * latest if several; 0 if none.
 */
int64_t
maint_until(const struct device_state *d, int64_t now)
{
	struct av_window *w = NULL;
	size_t	 n, cap = 0, k;
	int64_t	 until = 0;
	int	 i;

	for (i = 0; i < M.merged.nrules; i++) {
		const struct mw_rule *r = &M.merged.rules[i];

		if (!mw_covers(r, d->id, d->group, d->class))
			continue;
		n = 0;
		if (mw_expand(r, now, now + 1, &w, &n, &cap) == -1)
			break;
		for (k = 0; k < n; k++)
			if (w[k].start_ms <= now && now < w[k].end_ms &&
			    w[k].end_ms > until)
				until = w[k].end_ms;
	}
	free(w);
	return until;
}

/* Is the device inside one of its maintenance windows at this time? */
int
maint_in(const struct device_state *d, int64_t t)
{
	return d != NULL && maint_until(d, t) > 0;
}

static json_t *
conf_rule_json(const struct mw_rule *r)
{
	json_t	*o = json_pack("{s:s,s:s,s:s,s:I}", "id", r->id, "source",
	    "config", "reason", r->reason, "duration_ms",
	    (json_int_t)r->duration_ms);
	json_t	*d = json_array(), *g = json_array(), *c = json_array();
	int	 i;

	for (i = 0; i < r->ndevices; i++)
		json_array_append_new(d, json_string(r->devices[i]));
	for (i = 0; i < r->ngroups; i++)
		json_array_append_new(g, json_string(r->groups[i]));
	for (i = 0; i < r->nclasses; i++)
		json_array_append_new(c, json_string(r->classes[i]));
	json_object_set_new(o, "devices", d);
	json_object_set_new(o, "groups", g);
	json_object_set_new(o, "classes", c);
	if (r->kind == MW_ONCE) {
		json_object_set_new(o, "start_ms", json_integer(r->start_ms));
		json_object_set_new(o, "end_ms", json_integer(r->start_ms +
		    r->duration_ms));
	}
	return o;
}

/* The next occurrence of a rule that is running or starts within 45 days. */
static void
add_next(json_t *o, const struct mw_rule *r, int64_t now)
{
	struct av_window *w = NULL;
	size_t	 n = 0, cap = 0, k;

	if (mw_expand(r, now - 86400000LL, now + 45LL * 86400000, &w, &n,
	    &cap) == 0)
		for (k = 0; k < n; k++)
			if (w[k].end_ms > now) {
				json_object_set_new(o, "next_start_ms",
				    json_integer(w[k].start_ms));
				json_object_set_new(o, "next_end_ms",
				    json_integer(w[k].end_ms));
				json_object_set_new(o, "active", json_boolean(
				    w[k].start_ms <= now));
				break;
			}
	free(w);
}

/*
 * A window's occurrences in [from, to), for the calendar: [[start, end],
 * ...], at most OCC_MAX (a rule every hour would be 2,000 in a quarter;
 * the calendar shows the first of each day anyway).
 */
static void
add_occurrences(json_t *o, const struct mw_rule *r, int64_t from, int64_t to)
{
	struct av_window *w = NULL;
	size_t	 n = 0, cap = 0, k;
	json_t	*a = json_array();

	if (mw_expand(r, from, to, &w, &n, &cap) == 0)
		for (k = 0; k < n && json_array_size(a) < OCC_MAX; k++)
			if (w[k].end_ms > from && w[k].start_ms < to)
				json_array_append_new(a, json_pack("[I,I]",
				    (json_int_t)w[k].start_ms,
				    (json_int_t)w[k].end_ms));
	free(w);
	json_object_set_new(o, "occurrences", a);
}

/*
 * Every window, the configuration's first; with a range (to > 0, ms, at
 * most 93 days) each also has its occurrences in it, for the calendar.
 * NULL: a range that is not one.
 */
json_t *
maint_list_json(int64_t now, int64_t from, int64_t to)
{
	json_t	*a, *o;
	int	 i;

	if (to > 0 && (from < 0 || to <= from || to - from > OCC_SPAN_MAX))
		return NULL;
	a = json_array();
	for (i = 0; i < M.conf->av.nrules; i++) {
		o = conf_rule_json(&M.conf->av.rules[i]);
		json_object_set_new(o, "active", json_false());
		add_next(o, &M.conf->av.rules[i], now);
		if (to > 0)
			add_occurrences(o, &M.conf->av.rules[i], from, to);
		json_array_append_new(a, o);
	}
	for (i = 0; i < M.nwins; i++) {
		const struct maint_window *w = &M.wins[i];
		struct mw_rule r;
		char	 err[256];
		int	 ok;

		o = maint_window_json(w);
		json_object_set_new(o, "active", json_boolean(!w->cancelled
		    && w->start_ms <= now && now < w->end_ms));
		ok = !w->cancelled && maint_window_rule(w, &r, err,
		    sizeof(err)) == 0;
		/* A recurring one: its next (or current) occurrence. */
		if (ok && w->repeat[0] != '\0')
			add_next(o, &r, now);
		/* A cancelled window has none. */
		if (to > 0 && ok)
			add_occurrences(o, &r, from, to);
		else if (to > 0)
			json_object_set_new(o, "occurrences", json_array());
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- start, reload, stop ---------------------------------------------- */

/* At start, before anything reads the windows: maintenance.json is read
   here, once, before the loop runs. */
int
maint_open(struct event_base *base, const struct collector_conf *c,
    char *err, size_t errlen)
{
	char	 path[PATH_MAX];

	M.conf = c;
	if ((M.q = workq_new(base, "maintenance windows", err, errlen)) ==
	    NULL)
		return -1;
	fm_fmt(path, sizeof(path), "%s/maintenance.json", c->data_dir);
	load_windows(path, read_file(path));
	merge_windows();
	return 0;
}

/* A new configuration: its windows with the web's, before the old goes. */
void
maint_reconf(const struct collector_conf *c)
{
	M.conf = c;
	merge_windows();
}

static void
maint_reload_apply(const struct collector_conf *nc)
{
	maint_reconf(nc);
}

/* Reload: the windows of the new configuration, merged at once. */
const struct reload_ops maint_reload = {
	.module = "maintenance",
	.apply = maint_reload_apply,
};

/* What is being saved is written first. */
void
maint_close(void)
{
	int	 i;

	workq_free(M.q, WQ_DRAIN);
	M.q = NULL;
	for (i = 0; i < M.nwins; i++)
		maint_window_free(&M.wins[i]);
	M.nwins = 0;
	free_rules();
	M.conf = NULL;
	memset(&M.merged, 0, sizeof(M.merged));
}
