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
 * Config validation helpers.  libconfig stops at the first syntax error,
 * but everything after parsing is ours: each check below records
 * "file:line: message" and carries on, so an operator sees every mistake
 * in one run instead of one per restart.
 */

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void
cfgerr_init(struct cfgerr *e, const char *file)
{
	memset(e, 0, sizeof(*e));
	e->file = file;
}

void
cfgerr_free(struct cfgerr *e)
{
	int	 i;

	for (i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = e->cap = 0;
}

/* An error at a line of a file, when there is no setting to point at. */
void
cfgerr_push(struct cfgerr *e, const char *file, unsigned int lineno,
    const char *msg)
{
	char	*line;
	int	 r;

	if (e->n == e->cap) {
		int	 ncap = e->cap ? e->cap * 2 : 8;
		char	**n = realloc(e->msgs, (size_t)ncap * sizeof(*n));

		if (n == NULL)
			return;
		e->msgs = n;
		e->cap = ncap;
	}
	if (lineno > 0)
		r = asprintf(&line, "%s:%u: %s", file, lineno, msg);
	else
		r = asprintf(&line, "%s: %s", file, msg);
	if (r != -1)
		e->msgs[e->n++] = line;
}

void
cfgerr_add(struct cfgerr *e, const config_setting_t *s, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;
	const char *file = e->file;
	unsigned int lineno = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL) {
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		lineno = config_setting_source_line(s);
	}
	cfgerr_push(e, file, lineno, msg);
}

void
cfgerr_print(const struct cfgerr *e)
{
	int	 i;

	for (i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->msgs[i]);
}

void
cfgerr_log(const struct cfgerr *e)
{
	int	 i;

	for (i = 0; i < e->n; i++)
		log_warnx("%s", e->msgs[i]);
}

/* Every member of a group must be one we know: a typo is an error. */
int
cfg_check_keys(struct cfgerr *e, const config_setting_t *grp,
    const char *const *allowed)
{
	int	 i, j, bad = 0;
	config_setting_t *m;

	for (i = 0; (m = config_setting_get_elem(grp, (unsigned)i)) != NULL;
	    i++) {
		const char *name = config_setting_name(m);

		if (name == NULL)
			continue;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], name) == 0)
				break;
		if (allowed[j] == NULL) {
			cfgerr_add(e, m, "unknown setting '%s'", name);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void
missing(struct cfgerr *e, const config_setting_t *grp, const char *key)
{
	const char *n = config_setting_name(grp);

	if (n != NULL)
		cfgerr_add(e, grp, "%s: missing '%s'", n, key);
	else
		cfgerr_add(e, grp, "missing '%s'", key);
}

/*
 * The getters return 1 if the key was set and valid, 0 if it is absent
 * (an error too when required) and -1 if it is set but wrong.
 */
int
cfg_get_str(struct cfgerr *e, const config_setting_t *grp, const char *key,
    char *dst, size_t dstlen, int required)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	const char *v;

	if (s == NULL) {
		if (required)
			missing(e, grp, key);
		return 0;
	}
	if ((v = config_setting_get_string(s)) == NULL) {
		cfgerr_add(e, s, "'%s' must be a string", key);
		return -1;
	}
	if (strlen(v) >= dstlen) {
		cfgerr_add(e, s, "'%s' is too long (at most %zu bytes)", key,
		    dstlen - 1);
		return -1;
	}
	fm_strlcpy(dst, v, dstlen);
	return 1;
}

int
cfg_get_int(struct cfgerr *e, const config_setting_t *grp, const char *key,
    long long *dst, long long min, long long max, int required)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	long long v;
	int	 t;

	if (s == NULL) {
		if (required)
			missing(e, grp, key);
		return 0;
	}
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		cfgerr_add(e, s, "'%s' must be an integer", key);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		cfgerr_add(e, s, "'%s' must be between %lld and %lld", key,
		    min, max);
		return -1;
	}
	*dst = v;
	return 1;
}

int
cfg_get_bool(struct cfgerr *e, const config_setting_t *grp, const char *key,
    int *dst, int required)
{
	config_setting_t *s = config_setting_get_member(grp, key);

	if (s == NULL) {
		if (required)
			missing(e, grp, key);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfgerr_add(e, s, "'%s' must be true or false", key);
		return -1;
	}
	*dst = config_setting_get_bool(s);
	return 1;
}

/*
 * A duration: a number of seconds (2, 0.5) or a string with a unit
 * ("500ms", "10s", "5m", "1h").  Stored in milliseconds.
 */
int
cfg_get_secs(struct cfgerr *e, const config_setting_t *grp, const char *key,
    int *dst_ms, int min_ms, int max_ms, int required)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	double	 ms;
	int	 t;

	if (s == NULL) {
		if (required)
			missing(e, grp, key);
		return 0;
	}
	t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		ms = (double)config_setting_get_int64(s) * 1000.0;
	else if (t == CONFIG_TYPE_FLOAT)
		ms = config_setting_get_float(s) * 1000.0;
	else if (t == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		char	*end;
		double	 n;

		errno = 0;
		n = strtod(v, &end);
		if (end == v || errno != 0) {
			cfgerr_add(e, s, "'%s': '%s' is not a duration", key, v);
			return -1;
		}
		if (strcmp(end, "ms") == 0)
			ms = n;
		else if (strcmp(end, "s") == 0 || *end == '\0')
			ms = n * 1000.0;
		else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
			ms = n * 60000.0;
		else if (strcmp(end, "h") == 0)
			ms = n * 3600000.0;
		else {
			cfgerr_add(e, s, "'%s': unknown unit '%s' (ms, s, m, h)",
			    key, end);
			return -1;
		}
	} else {
		cfgerr_add(e, s, "'%s' must be a duration (seconds, or a "
		    "string such as \"500ms\")", key);
		return -1;
	}
	if (!isfinite(ms) || ms < min_ms || ms > max_ms) {
		cfgerr_add(e, s, "'%s' must be between %gs and %gs", key,
		    min_ms / 1000.0, max_ms / 1000.0);
		return -1;
	}
	*dst_ms = (int)ms;
	return 1;
}

/* Read a file; a syntax error becomes "file:line: message" like the rest. */
/*
 * Every string of a config file is UTF-8: names and notes reach JSON,
 * pages, e-mail and SMS, where a GBK or Latin-1 byte would make a
 * device vanish from a list.  Returns the number of bad strings, each
 * reported as "file:line: ...".
 */
static int
cfg_check_utf8(struct cfgerr *e, const config_setting_t *s)
{
	const char *v;
	int	 i, n = 0, len;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		if ((v = config_setting_get_string(s)) != NULL &&
		    !fm_utf8_valid(v, strlen(v))) {
			cfgerr_add(e, s, "'%s' is not valid UTF-8 (write the "
			    "file in UTF-8, not a local code page)",
			    config_setting_name(s) ? config_setting_name(s) :
			    "string");
			n++;
		}
		break;
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		len = config_setting_length(s);
		for (i = 0; i < len; i++)
			n += cfg_check_utf8(e, config_setting_get_elem(s,
			    (unsigned)i));
		break;
	default:
		break;
	}
	return n;
}

int
cfg_load(struct config_t *cfg, const char *path, struct cfgerr *e)
{
	char	 dir[PATH_MAX], *slash;

	config_init(cfg);
	/* @include "x.conf" is relative to the including file, not the cwd. */
	fm_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(cfg, dir[0] ? dir : "/");
	}
	if (config_read_file(cfg, path) == CONFIG_TRUE)
		return cfg_check_utf8(e, config_root_setting(cfg)) ? -1 : 0;
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
		cfgerr_add(e, NULL, "cannot read: %s",
		    strerror(errno ? errno : ENOENT));
	else
		cfgerr_push(e, config_error_file(cfg) ? config_error_file(cfg) :
		    path, (unsigned)config_error_line(cfg),
		    config_error_text(cfg));
	return -1;
}
