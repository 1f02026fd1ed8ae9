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
 * The persistent outbox: one JSON file per delivery (an alert for one
 * recipient over one failover chain) in <data_dir>/alerts/outbox,
 * replaced atomically (write, fsync, rename, fsync the directory) at
 * every change of state.  Finished deliveries move to alerts/done so
 * that the API can still show what was sent and what failed.
 *
 * One file per message rather than an append-only log: each delivery
 * changes on its own (attempts, next try, channel), there are few of
 * them, and a file that is replaced whole needs no compaction and can
 * never be half-written: rename is atomic, so a crash leaves the old
 * or the new version.  Each file also carries a CRC-32C of its body so
 * that a file damaged by the disk, not by us, is recognised and set
 * aside rather than sent with garbage in it.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"

static char	 dir_out[PATH_MAX];
static char	 dir_done[PATH_MAX];

const char *
delivery_state_name(int s)
{
	switch (s) {
	case DS_PENDING:
		return "pending";
	case DS_RETRYING:
		return "retrying";
	case DS_SENT:
		return "sent";
	case DS_FAILED:
		return "failed";
	}
	return "?";
}

static int
state_parse(const char *s)
{
	int	 i;

	for (i = DS_PENDING; i <= DS_FAILED; i++)
		if (strcmp(delivery_state_name(i), s) == 0)
			return i;
	return -1;
}

int
outbox_open(const char *data_dir, char *err, size_t errlen)
{
	if ((size_t)snprintf(dir_out, sizeof(dir_out), "%s/alerts/outbox",
	    data_dir) >= sizeof(dir_out) ||
	    (size_t)snprintf(dir_done, sizeof(dir_done), "%s/alerts/done",
	    data_dir) >= sizeof(dir_done)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		return -1;
	}
	if (fm_mkdirs(dir_out, 0750) == -1 || fm_mkdirs(dir_done, 0750) == -1) {
		snprintf(err, errlen, "%s/alerts: %s", data_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

json_t *
delivery_json(const struct delivery *d, int full)
{
	const struct alert_msg *m = &d->msg;
	json_t	*o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
	    "s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s}",
	    "id", d->id, "key", m->key, "kind", alert_kind_name(m->kind),
	    "recipient", d->recipient, "device", m->device_id,
	    "device_name", m->device_name, "check", m->check,
	    "cause", m->cause, "since_ms", (json_int_t)m->since_ms,
	    "duration_ms", (json_int_t)m->duration_ms,
	    "chain", d->chain, "step", d->step, "attempts", d->attempts,
	    "total_attempts", (json_int_t)d->total_attempts,
	    "created_ms", (json_int_t)d->created_ms,
	    "next_ms", (json_int_t)d->next_ms,
	    "done_ms", (json_int_t)d->done_ms,
	    "state", delivery_state_name(d->state),
	    "sent_by", d->sent_by, "last_error", d->last_error,
	    "history", d->history);
	if (o == NULL || !full)
		return o;
	json_object_set_new(o, "severity", json_integer(m->severity));
	json_object_set_new(o, "link", json_string(m->link));
	json_object_set_new(o, "avoid", json_string(d->avoid));
	json_object_set_new(o, "channel_since_ms",
	    json_integer(d->channel_since_ms));
	if (m->f.what != AW_NONE || m->f.group[0] != '\0' ||
	    m->f.note_kind != AN_NONE)
		json_object_set_new(o, "facts", alert_facts_json(&m->f));
	return o;
}

/* The facts of an alert, for the outbox and the test driver. */
json_t *
alert_facts_json(const struct alert_facts *f)
{
	static const char *const what[] = { "none", "probe", "threshold",
		"trap", "health" };

	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:f, s:f, s:i, "
	    "s:i, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, "
	    "s:i, s:i, s:I, s:s, s:s, s:I, s:I, s:s}",
	    "what", what[f->what >= 0 && f->what <= AW_HEALTH ? f->what : 0],
	    "outcome", probe_result_name(f->outcome),
	    "check_type", f->check_type > 0 ? check_type_name(f->check_type) :
	    "", "timeout_ms", f->timeout_ms, "dur_ms", f->dur_ms,
	    "value_name", f->value_name, "value", f->value, "limit", f->limit,
	    "op", f->op, "hits", f->hits, "label", f->label, "label_en",
	    f->label_en, "unit", f->unit,
	    "scale", f->scale, "trap_oid", f->trap_oid, "varbinds",
	    f->varbinds, "note", f->note, "group", f->group, "class", f->cls,
	    "address", f->address, "budget_known", f->budget_known,
	    "budget_left_ms", (json_int_t)f->budget_left_ms, "note_kind",
	    f->note_kind, "note_n", f->note_n, "note_ms",
	    (json_int_t)f->note_ms, "health", f->health, "agent", f->agent,
	    "health_n0", (json_int_t)f->hn[0], "health_n1",
	    (json_int_t)f->hn[1], "health_arg", f->harg);
}

static double
get_f(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
get_t(json_t *o, const char *k, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (v != NULL)
		fm_strlcpy(dst, v, len);
}

void
alert_facts_from_json(json_t *o, struct alert_facts *f)
{
	const char *w = json_string_value(json_object_get(o, "what"));
	const char *s;
	int	 k;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(o))
		return;
	f->what = w == NULL ? AW_NONE : strcmp(w, "probe") == 0 ? AW_PROBE :
	    strcmp(w, "threshold") == 0 ? AW_THRESHOLD : strcmp(w, "trap") ==
	    0 ? AW_TRAP : strcmp(w, "health") == 0 ? AW_HEALTH : AW_NONE;
	if ((s = json_string_value(json_object_get(o, "outcome"))) != NULL &&
	    (k = probe_result_parse(s)) != -1)
		f->outcome = k;
	if ((s = json_string_value(json_object_get(o, "check_type"))) !=
	    NULL && (k = check_type_parse(s)) != -1)
		f->check_type = k;
	f->timeout_ms = (int)json_integer_value(json_object_get(o,
	    "timeout_ms"));
	f->dur_ms = (int)json_integer_value(json_object_get(o, "dur_ms"));
	get_t(o, "value_name", f->value_name, sizeof(f->value_name));
	f->value = get_f(o, "value");
	f->limit = get_f(o, "limit");
	f->op = (int)json_integer_value(json_object_get(o, "op"));
	f->hits = (int)json_integer_value(json_object_get(o, "hits"));
	get_t(o, "label", f->label, sizeof(f->label));
	get_t(o, "label_en", f->label_en, sizeof(f->label_en));
	get_t(o, "unit", f->unit, sizeof(f->unit));
	f->scale = get_f(o, "scale");
	get_t(o, "trap_oid", f->trap_oid, sizeof(f->trap_oid));
	get_t(o, "varbinds", f->varbinds, sizeof(f->varbinds));
	get_t(o, "note", f->note, sizeof(f->note));
	f->note_kind = (int)json_integer_value(json_object_get(o,
	    "note_kind"));
	if (f->note_kind < AN_NONE || f->note_kind > AN_RENOTIFY)
		f->note_kind = AN_NONE;
	f->note_n = (int)json_integer_value(json_object_get(o, "note_n"));
	f->note_ms = (int64_t)json_integer_value(json_object_get(o,
	    "note_ms"));
	get_t(o, "group", f->group, sizeof(f->group));
	get_t(o, "class", f->cls, sizeof(f->cls));
	get_t(o, "address", f->address, sizeof(f->address));
	f->budget_known = json_is_true(json_object_get(o, "budget_known"));
	f->budget_left_ms = (int64_t)json_integer_value(json_object_get(o,
	    "budget_left_ms"));
	get_t(o, "health", f->health, sizeof(f->health));
	get_t(o, "agent", f->agent, sizeof(f->agent));
	f->hn[0] = (int64_t)json_integer_value(json_object_get(o,
	    "health_n0"));
	f->hn[1] = (int64_t)json_integer_value(json_object_get(o,
	    "health_n1"));
	get_t(o, "health_arg", f->harg, sizeof(f->harg));
}

static int
get_s(json_t *o, const char *k, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (v == NULL || strlen(v) >= len)
		return -1;
	fm_strlcpy(dst, v, len);
	return 0;
}

static int64_t
get_i(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

int
delivery_from_json(json_t *o, struct delivery *d)
{
	struct alert_msg *m = &d->msg;
	char	 s[32];

	memset(d, 0, sizeof(*d));
	if (get_s(o, "id", d->id, sizeof(d->id)) == -1 ||
	    get_s(o, "key", m->key, sizeof(m->key)) == -1 ||
	    get_s(o, "recipient", d->recipient, sizeof(d->recipient)) == -1 ||
	    get_s(o, "kind", s, sizeof(s)) == -1 ||
	    (m->kind = alert_kind_parse(s)) == -1 ||
	    get_s(o, "state", s, sizeof(s)) == -1 ||
	    (d->state = state_parse(s)) == -1)
		return -1;
	/* Display fields may be truncated but never make a record bad. */
	get_s(o, "device", m->device_id, sizeof(m->device_id));
	get_s(o, "device_name", m->device_name, sizeof(m->device_name));
	get_s(o, "check", m->check, sizeof(m->check));
	get_s(o, "cause", m->cause, sizeof(m->cause));
	get_s(o, "link", m->link, sizeof(m->link));
	get_s(o, "avoid", d->avoid, sizeof(d->avoid));
	get_s(o, "sent_by", d->sent_by, sizeof(d->sent_by));
	get_s(o, "last_error", d->last_error, sizeof(d->last_error));
	get_s(o, "history", d->history, sizeof(d->history));
	m->severity = (int)get_i(o, "severity");
	m->since_ms = get_i(o, "since_ms");
	m->duration_ms = get_i(o, "duration_ms");
	d->chain = (int)get_i(o, "chain");
	d->step = (int)get_i(o, "step");
	d->attempts = (int)get_i(o, "attempts");
	d->total_attempts = (int)get_i(o, "total_attempts");
	d->created_ms = get_i(o, "created_ms");
	d->channel_since_ms = get_i(o, "channel_since_ms");
	d->next_ms = get_i(o, "next_ms");
	d->done_ms = get_i(o, "done_ms");
	alert_facts_from_json(json_object_get(o, "facts"), &m->f);
	return 0;
}

/* "crc32c-hex\n" then the JSON body. */
static int
write_record(const char *dir, const struct delivery *d, char *err,
    size_t errlen)
{
	char	 path[PATH_MAX], *body, *buf;
	json_t	*o;
	size_t	 blen;
	int	 r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir,
	    d->id) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", d->id);
		return -1;
	}
	if ((o = delivery_json(d, 1)) == NULL ||
	    json_object_set_new(o, "format_version",
	    json_integer(FM_OUTBOX_VERSION)) == -1 ||
	    (body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_decref(o);
	blen = strlen(body);
	if (asprintf(&buf, "%08x\n%s\n", crc32c(0, body, blen), body) == -1) {
		free(body);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(body);
	r = fm_write_file_atomic(path, buf, strlen(buf), err, errlen);
	free(buf);
	if (r == 0)
		(void)fm_fsync_dir(dir);
	return r;
}

int
outbox_save(const struct delivery *d, char *err, size_t errlen)
{
	return write_record(dir_out, d, err, errlen);
}

/* Sent or failed for good: into done/, then out of the outbox. */
int
outbox_finish(const struct delivery *d, char *err, size_t errlen)
{
	char	 path[PATH_MAX];

	if (write_record(dir_done, d, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir_out,
	    d->id) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", d->id);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)fm_fsync_dir(dir_out);
	return 0;
}

/*
 * 0, -1 for a damaged file, -2 for a record of a newer release (err
 * filled): a record without "format_version" is the release before
 * versions, whose fields are the same.
 */
static int
read_record(const char *path, struct delivery *d, char *err, size_t errlen)
{
	FILE	*f;
	char	*buf, *nl;
	long	 len;
	unsigned int crc;
	json_t	*o, *fv;
	int	 r = -1;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) <= 10 ||
	    len > 1 << 20 || fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	buf[len] = '\0';
	if (sscanf(buf, "%8x", &crc) != 1 || (nl = strchr(buf, '\n')) == NULL)
		goto out;
	nl++;
	len = (long)strlen(nl);
	if (len > 0 && nl[len - 1] == '\n')
		nl[--len] = '\0';
	if (crc32c(0, nl, (size_t)len) != crc)
		goto out;
	if ((o = json_loads(nl, 0, NULL)) == NULL)
		goto out;
	if ((fv = json_object_get(o, "format_version")) != NULL &&
	    (!json_is_integer(fv) || json_integer_value(fv) < 1)) {
		json_decref(o);
		goto out;
	}
	if (fv != NULL && fm_version_check(path,
	    (unsigned long)json_integer_value(fv), FM_OUTBOX_VERSION, err,
	    errlen) == -1) {
		json_decref(o);
		r = -2;
		goto out;
	}
	r = delivery_from_json(o, d);
	json_decref(o);
out:
	free(buf);
	fclose(f);
	return r;
}

static int
by_created(const void *a, const void *b)
{
	const struct delivery *x = *(const struct delivery *const *)a;
	const struct delivery *y = *(const struct delivery *const *)b;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * Every record of outbox/ (done = 0) or done/ (done = 1), oldest first,
 * as a list.  A damaged file is renamed *.bad and reported, not sent.
 */
struct delivery *
outbox_load(int done, int *np)
{
	const char *dir = done ? dir_done : dir_out;
	struct delivery **v = NULL, *head = NULL, *d;
	struct dirent *de;
	DIR	*dp;
	char	 path[PATH_MAX], bad[PATH_MAX + 8], err[PATH_MAX + 80];
	int	 n = 0, cap = 0, i, r;

	*np = 0;
	if ((dp = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(dp)) != NULL) {
		size_t	 l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if ((d = calloc(1, sizeof(*d))) == NULL)
			break;
		if ((r = read_record(path, d, err, sizeof(err))) == -2) {
			/*
			 * Left where it is for the release that wrote it:
			 * set aside or sent, it would be misread.
			 */
			log_warnx("alerts: %s; left in the outbox, not sent",
			    err);
			free(d);
			continue;
		}
		if (r == -1) {
			log_warnx("alerts: %s is damaged, set aside as .bad",
			    path);
			snprintf(bad, sizeof(bad), "%s.bad", path);
			rename(path, bad);
			free(d);
			continue;
		}
		if (n == cap) {
			struct delivery **nv;

			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, (size_t)cap *
			    sizeof(*v))) == NULL) {
				free(d);
				break;
			}
			v = nv;
		}
		v[n++] = d;
	}
	closedir(dp);
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), by_created);
	for (i = n - 1; i >= 0; i--) {
		v[i]->next = head;
		head = v[i];
	}
	free(v);
	*np = n;
	return head;
}

/* Keep the newest "keep" finished records on disk. */
void
outbox_prune_done(int keep)
{
	struct delivery *l, *d;
	char	 path[PATH_MAX];
	int	 n, i;

	l = outbox_load(1, &n);
	for (i = 0; l != NULL; i++) {
		d = l;
		l = l->next;
		if (i < n - keep) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s.json",
			    dir_done, d->id) < sizeof(path))
				unlink(path);
		}
		free(d);
	}
}
