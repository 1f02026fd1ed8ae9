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
 * Reading facmon-collector.conf.  Every problem is reported as
 * "file:line: message" and the reading goes on, so that one run of
 * "facmon-collector -n" shows every mistake.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "alert/alert.h"
#include "http/http.h"

#define DEF_WEB_DIR		FACMON_DATADIR "/web"
#define DEF_UNKNOWN_AFTER	3
#define DEF_MAX_CONNECTIONS	256
#define DEF_RRD_FULL_DAYS	2
#define DEF_RRD_QUEUE		200000

static const char *const root_keys[] = { "collector", "alerts",
	"availability", "traps", "report", "web", NULL };
static const char *const collector_keys[] = { "listen", "http", "data_dir",
	"web_dir", "unknown_after", "max_connections", "rrd", "agents",
	"clock_tolerance", "agent_unreachable_after", "journal", "confirm",
	"tls", "keys_dir", "http_connections", "handshakes_per_peer",
	"http_connections_per_peer", "fd_reserve", "user", NULL };
static const char *const journal_keys[] = { "segment_size", "keep_days",
	NULL };
static const char *const rrd_keys[] = { "full_resolution_days", "queue",
	"five_minute_days", "hourly_days", "write_interval", "write_jitter",
	"hold", "max_series_per_check", "max_series_per_device", "max_bytes",
	"daemon", "retire_after_days", "retired_keep_days", NULL };
static const char *const agent_keys[] = { "id", "description", "revoked",
	NULL };

/*
 * "host:port" with a numeric IPv4 host, or "[v6]:port".  Names are not
 * resolved: the daemon binds before anything else runs and a lookup
 * could block or give a different answer at the next restart.
 */
int
parse_listen_addr(const char *s, struct listen_addr *la, char *err,
    size_t errlen)
{
	char	 host[FM_TEXT_MAX];
	const char *colon, *pstr;
	char	*end;
	long	 port;
	size_t	 hlen;

	memset(la, 0, sizeof(*la));
	if (fm_strlcpy(la->text, s, sizeof(la->text)) >= sizeof(la->text)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':') {
			snprintf(err, errlen, "'%s': expected [address]:port",
			    s);
			return -1;
		}
		hlen = (size_t)(rb - s - 1);
		colon = rb + 1;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			snprintf(err, errlen, "'%s': expected address:port",
			    la->text);
			return -1;
		}
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "'%s': missing address", la->text);
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	pstr = colon + 1;
	port = strtol(pstr, &end, 10);
	if (*pstr < '0' || *pstr > '9' || *end != '\0' || port < 1 ||
	    port > 65535) {
		snprintf(err, errlen, "'%s': port must be 1..65535",
		    la->text);
		return -1;
	}
	if (la->text[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&la->ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not an IPv6 "
			    "address", la->text, host);
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		la->sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&la->ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not an IPv4 "
			    "address (IPv6 is written [::1]:port)", la->text,
			    host);
			return -1;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		la->sslen = sizeof(*sin);
	}
	return 0;
}

static int
same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->sslen == b->sslen && memcmp(&a->ss, &b->ss, a->sslen) == 0;
}

/* A list of addresses; every entry is checked, even after a bad one. */
static void
get_addrs(struct cfgerr *e, config_setting_t *grp, const char *key,
    struct listen_addr *out, int *nout, const struct listen_addr *other,
    int nother, int required)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	config_setting_t *el;
	char	 err[256];
	int	 i, j, n;

	*nout = 0;
	if (s == NULL) {
		if (required)
			cfgerr_add(e, grp, "collector: missing '%s'", key);
		return;
	}
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		cfgerr_add(e, s, "'%s' must be a list of \"address:port\" "
		    "strings", key);
		return;
	}
	n = config_setting_length(s);
	if (n == 0 && required) {
		cfgerr_add(e, s, "'%s' must not be empty", key);
		return;
	}
	if (n > COLLECTOR_ADDRS_MAX) {
		cfgerr_add(e, s, "'%s': at most %d addresses", key,
		    COLLECTOR_ADDRS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *v;
		struct listen_addr la;

		el = config_setting_get_elem(s, (unsigned)i);
		if ((v = config_setting_get_string(el)) == NULL) {
			cfgerr_add(e, el, "'%s': entries must be strings", key);
			continue;
		}
		if (parse_listen_addr(v, &la, err, sizeof(err)) == -1) {
			cfgerr_add(e, el, "'%s': %s", key, err);
			continue;
		}
		for (j = 0; j < *nout; j++)
			if (same_addr(&out[j], &la))
				break;
		if (j < *nout) {
			cfgerr_add(e, el, "'%s': '%s' is listed twice", key, v);
			continue;
		}
		for (j = 0; j < nother; j++)
			if (same_addr(&other[j], &la))
				break;
		if (j < nother) {
			cfgerr_add(e, el, "'%s': '%s' is also a listen "
			    "address", key, v);
			continue;
		}
		out[(*nout)++] = la;
	}
}

/*
 * A size: a string with a unit ("500M", "2T", powers of 1024) or an
 * integer.  libconfig reads an integer over 2^31 without an L suffix
 * as its low 32 bits, silently, hence the string form.
 */
static void
get_bytes(struct cfgerr *e, config_setting_t *grp, const char *key,
    long long *dst)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	const char *v, *units = "KMGTP";
	const char *u;
	char	*end;
	double	 n;
	long	 i;

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		long long x;

		if (cfg_get_int(e, grp, key, &x, 0, 1LL << 50, 0) == 1)
			*dst = x;
		return;
	}
	v = config_setting_get_string(s);
	errno = 0;
	n = strtod(v, &end);
	if (end == v || errno != 0 || n < 0) {
		cfgerr_add(e, s, "'%s': '%s' is not a size", key, v);
		return;
	}
	if (*end != '\0') {
		if ((u = strchr(units, *end)) == NULL || end[1] != '\0') {
			cfgerr_add(e, s, "'%s': '%s': the unit must be K, M, G, "
			    "T or P", key, v);
			return;
		}
		for (i = u - units; i >= 0; i--)
			n *= 1024;
	}
	if (n > (double)(1LL << 50)) {
		cfgerr_add(e, s, "'%s' must be at most 1P", key);
		return;
	}
	*dst = (long long)n;
}

/*
 * Days at full resolution: a whole number, or a fraction down to 0.01
 * (about a quarter of an hour), with which the benchmarks keep their
 * files small enough for the disk they run on.
 */
static void
get_full_days(struct cfgerr *e, config_setting_t *s, struct collector_conf *c)
{
	config_setting_t *f = config_setting_get_member(s,
	    "full_resolution_days");
	double	 d;
	int	 t;

	if (f == NULL)
		return;
	t = config_setting_type(f);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		d = (double)config_setting_get_int64(f);
	else if (t == CONFIG_TYPE_FLOAT)
		d = config_setting_get_float(f);
	else {
		cfgerr_add(e, f, "'full_resolution_days' must be a number");
		return;
	}
	if (!(d >= 0.01 && d <= 400)) {
		cfgerr_add(e, f, "'full_resolution_days' must be between 0.01 and 400");
		return;
	}
	c->rrd_full_days = d;
}

static void
get_rrd(struct cfgerr *e, config_setting_t *grp, struct collector_conf *c)
{
	config_setting_t *s = config_setting_get_member(grp, "rrd");
	long long v;

	if (s == NULL)
		return;
	if (!config_setting_is_group(s)) {
		cfgerr_add(e, s, "'rrd' must be a group { ... }");
		return;
	}
	cfg_check_keys(e, s, rrd_keys);
	get_full_days(e, s, c);
	if (cfg_get_int(e, s, "five_minute_days", &v, 0, 800, 0) == 1)
		c->rrd_5min_days = (int)v;
	if (cfg_get_int(e, s, "hourly_days", &v, 0, 3660, 0) == 1)
		c->rrd_hourly_days = (int)v;
	if (cfg_get_int(e, s, "queue", &v, 1000, 10000000, 0) == 1)
		c->rrd_queue = (int)v;
	/*
	 * At most an hour: the journal keeps whole days, so every value
	 * held is still there to re-apply after a crash.
	 */
	cfg_get_secs(e, s, "write_interval", &c->rrd_write_ms, 0, 3600 * 1000,
	    0);
	if (cfg_get_secs(e, s, "write_jitter", &c->rrd_jitter_ms, 0,
	    3600 * 1000, 0) == 1 && c->rrd_jitter_ms > c->rrd_write_ms)
		cfgerr_add(e, config_setting_get_member(s, "write_jitter"),
		    "'write_jitter' must not exceed 'write_interval'");
	if (cfg_get_int(e, s, "hold", &v, 10000, 100000000, 0) == 1)
		c->rrd_hold = (int)v;
	if (cfg_get_int(e, s, "max_series_per_check", &v, 1, 10000000, 0) == 1)
		c->rrd_series_check = (int)v;
	if (cfg_get_int(e, s, "max_series_per_device", &v, 1, 10000000,
	    0) == 1)
		c->rrd_series_device = (int)v;
	get_bytes(e, s, "max_bytes", &c->rrd_max_bytes);
	if (cfg_get_int(e, s, "retire_after_days", &v, 0, 36600, 0) == 1)
		c->rrd_retire_days = (int)v;
	if (cfg_get_int(e, s, "retired_keep_days", &v, 0, 36600, 0) == 1)
		c->rrd_retired_keep_days = (int)v;
	if (cfg_get_str(e, s, "daemon", c->rrd_daemon, sizeof(c->rrd_daemon),
	    0) == 1) {
		const char *d = c->rrd_daemon;

		if (d[0] == '\0' || (strncmp(d, "unix:", 5) == 0 &&
		    d[5] != '/') || strchr(d, ' ') != NULL)
			cfgerr_add(e, config_setting_get_member(s, "daemon"),
			    "'daemon' must be \"unix:/absolute/path\" or "
			    "\"host:port\"");
	}
}

static void
get_journal(struct cfgerr *e, config_setting_t *grp, struct collector_conf *c)
{
	config_setting_t *s = config_setting_get_member(grp, "journal");
	long long v;

	if (s == NULL)
		return;
	if (!config_setting_is_group(s)) {
		cfgerr_add(e, s, "'journal' must be a group { ... }");
		return;
	}
	cfg_check_keys(e, s, journal_keys);
	if (cfg_get_int(e, s, "segment_size", &v, 65536, 1LL << 32, 0) == 1)
		c->journal_segment = v;
	if (cfg_get_int(e, s, "keep_days", &v, 1, 3650, 0) == 1)
		c->journal_keep_days = (int)v;
}

static void
get_agents(struct cfgerr *e, config_setting_t *grp, struct collector_conf *c)
{
	config_setting_t *s = config_setting_get_member(grp, "agents");
	config_setting_t *el, *idset;
	int	 i, j, n;

	if (s == NULL) {
		cfgerr_add(e, grp, "collector: missing 'agents'");
		return;
	}
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'agents' must be a list ( { id = ...; }, "
		    "... )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->agents = calloc((size_t)n,
	    sizeof(*c->agents))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		struct agent_entry *a = &c->agents[c->nagents];

		el = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(el)) {
			cfgerr_add(e, el, "agents: entries must be groups "
			    "{ id = ...; }");
			continue;
		}
		cfg_check_keys(e, el, agent_keys);
		cfg_get_str(e, el, "description", a->description,
		    sizeof(a->description), 0);
		cfg_get_bool(e, el, "revoked", &a->revoked, 0);
		if (config_setting_get_member(el, "id") == NULL) {
			cfgerr_add(e, el, "agents: entry without 'id'");
			continue;
		}
		if (cfg_get_str(e, el, "id", a->id, sizeof(a->id), 1) != 1)
			continue;
		idset = config_setting_get_member(el, "id");
		if (!fm_valid_id(a->id)) {
			cfgerr_add(e, idset, "invalid agent id '%s' (letters, "
			    "digits, '_', '-', '.', not starting with '.')",
			    a->id);
			continue;
		}
		for (j = 0; j < c->nagents; j++)
			if (strcmp(c->agents[j].id, a->id) == 0)
				break;
		if (j < c->nagents) {
			cfgerr_add(e, idset, "duplicate agent id '%s'", a->id);
			continue;
		}
		c->nagents++;
	}
}

struct collector_conf *
collector_conf_load(const char *file, struct cfgerr *e)
{
	config_t cfg;
	config_setting_t *root, *grp, *s;
	struct collector_conf *c;
	struct stat st;
	long long v;
	int	 nerr = e->n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cfgerr_add(e, NULL, "out of memory");
		return NULL;
	}
	fm_strlcpy(c->file, file, sizeof(c->file));
	fm_strlcpy(c->web_dir, DEF_WEB_DIR, sizeof(c->web_dir));
	c->unknown_after = DEF_UNKNOWN_AFTER;
	c->max_connections = DEF_MAX_CONNECTIONS;
	c->http_connections = 256;
	c->handshakes_per_peer = 16;
	c->http_per_peer = 32;
	c->fd_reserve = 64;
	c->rrd_full_days = DEF_RRD_FULL_DAYS;
	c->rrd_5min_days = 30;
	c->rrd_hourly_days = 400;
	c->rrd_queue = DEF_RRD_QUEUE;
	c->rrd_write_ms = 300 * 1000;
	c->rrd_jitter_ms = -1;		/* a fifth of write_interval */
	c->rrd_hold = 4000000;
	c->rrd_series_check = 2048;
	c->rrd_series_device = 8192;
	c->rrd_retire_days = 30;
	c->rrd_retired_keep_days = 30;
	c->clock_tolerance_ms = 10000;
	c->unreachable_ms = 60000;
	c->journal_segment = 64LL * 1024 * 1024;
	c->journal_keep_days = 8;

	if (cfg_load(&cfg, file, e) == -1)
		goto fail;
	/*
	 * The file may hold SMTP and SMS credentials: say so when others
	 * can read it, and refuse it when others can change it (a change
	 * there is a change of what the collector does, users included).
	 */
	if (stat(file, &st) == 0) {
		if ((st.st_mode & 0022) != 0)
			cfgerr_add(e, NULL, "writable by group or others (mode "
			    "%04o): chmod go-w it", (unsigned)(st.st_mode &
			    07777));
		else if ((st.st_mode & 0004) != 0)
			/* Said by collector_conf_warn(), in the right zone. */
			c->readable_mode = (unsigned)(st.st_mode & 07777);
	}
	root = config_root_setting(&cfg);
	cfg_check_keys(e, root, root_keys);
	if ((grp = config_setting_get_member(root, "collector")) == NULL) {
		cfgerr_add(e, NULL, "missing 'collector' group");
		goto fail;
	}
	if (!config_setting_is_group(grp)) {
		cfgerr_add(e, grp, "'collector' must be a group { ... }");
		goto fail;
	}
	cfg_check_keys(e, grp, collector_keys);
	get_addrs(e, grp, "listen", c->listen, &c->nlisten, NULL, 0, 1);
	get_addrs(e, grp, "http", c->http, &c->nhttp, c->listen, c->nlisten,
	    0);
	if (cfg_get_str(e, grp, "data_dir", c->data_dir, sizeof(c->data_dir),
	    1) == 1 && c->data_dir[0] == '\0')
		cfgerr_add(e, config_setting_get_member(grp, "data_dir"),
		    "'data_dir' must not be empty");
	if (cfg_get_str(e, grp, "web_dir", c->web_dir, sizeof(c->web_dir),
	    0) == 1 && c->web_dir[0] == '\0')
		cfgerr_add(e, config_setting_get_member(grp, "web_dir"),
		    "'web_dir' must not be empty");
	if (cfg_get_int(e, grp, "unknown_after", &v, 2, 100, 0) == 1)
		c->unknown_after = (int)v;
	c->confirm = 3;
	if (cfg_get_int(e, grp, "confirm", &v, 1, 100, 0) == 1)
		c->confirm = (int)v;
	if (cfg_get_int(e, grp, "max_connections", &v, 1, 65536, 0) == 1)
		c->max_connections = (int)v;
	if (cfg_get_int(e, grp, "http_connections", &v, 1, 65536, 0) == 1)
		c->http_connections = (int)v;
	/* The listeners' limits: docs/security.md. */
	if (cfg_get_int(e, grp, "handshakes_per_peer", &v, 1, 65536, 0) == 1)
		c->handshakes_per_peer = (int)v;
	if (cfg_get_int(e, grp, "http_connections_per_peer", &v, 1, 65536,
	    0) == 1)
		c->http_per_peer = (int)v;
	if (cfg_get_int(e, grp, "fd_reserve", &v, 16, 65536, 0) == 1)
		c->fd_reserve = (int)v;
	if (cfg_get_str(e, grp, "user", c->user, sizeof(c->user), 0) == 1) {
		if (c->user[0] == '\0')
			cfgerr_add(e, config_setting_get_member(grp, "user"),
			    "'user' must not be empty (leave it out to keep "
			    "the starting user)");
		else if (getpwnam(c->user) == NULL)
			cfgerr_add(e, config_setting_get_member(grp, "user"),
			    "user \"%s\": no such user", c->user);
	}
	cfg_get_secs(e, grp, "clock_tolerance", &c->clock_tolerance_ms, 0,
	    3600000, 0);
	cfg_get_secs(e, grp, "agent_unreachable_after", &c->unreachable_ms,
	    1000, 86400000, 0);
	get_rrd(e, grp, c);
	if (c->rrd_jitter_ms < 0)
		c->rrd_jitter_ms = c->rrd_write_ms / 5;
	get_journal(e, grp, c);
	get_agents(e, grp, c);
	/* Alert delivery: its own group beside 'collector' (docs/alerts.md). */
	if ((s = config_setting_get_member(root, "alerts")) != NULL)
		c->alerts = alert_conf_parse(e, s);
	if ((s = config_setting_get_member(root, "traps")) != NULL)
		traps_conf_parse(e, s, c);
	/* The monthly report (docs/report.md); mails via 'alerts'. */
	report_conf_defaults(&c->report);
	if ((s = config_setting_get_member(root, "report")) != NULL)
		report_conf_parse(e, s, c);
	/* Targets, maintenance and the time zone (docs/availability.md). */
	if ((s = config_setting_get_member(root, "availability")) != NULL)
		avconf_parse(e, s, c->data_dir, &c->av);
	else
		fm_strlcpy(c->av.tz, "Asia/Shanghai", sizeof(c->av.tz));
	/* Users and sessions of the web console (docs/api.md). */
	if ((s = config_setting_get_member(root, "web")) != NULL)
		c->web = webconf_parse(e, s);
	/* TLS unless plain TCP is asked for by name: see docs/wire.md. */
	c->tls = 1;
	cfg_get_bool(e, grp, "tls", &c->tls, 0);
	if (c->data_dir[0] != '\0' && (size_t)snprintf(c->keys_dir,
	    sizeof(c->keys_dir), "%s/keys", c->data_dir) >= sizeof(c->keys_dir))
		cfgerr_add(e, grp, "data_dir: path too long");
	if (cfg_get_str(e, grp, "keys_dir", c->keys_dir, sizeof(c->keys_dir),
	    0) == 1 && c->keys_dir[0] == '\0')
		cfgerr_add(e, config_setting_get_member(grp, "keys_dir"),
		    "'keys_dir' must not be empty");
	if (c->tls)
		keys_load(e, grp, c);
	config_destroy(&cfg);
	if (e->n > nerr) {
		collector_conf_free(c);
		return NULL;
	}
	return c;
fail:
	config_destroy(&cfg);
	collector_conf_free(c);
	return NULL;
}

void
collector_conf_free(struct collector_conf *c)
{
	if (c == NULL)
		return;
	free(c->agents);
	alert_conf_free(c->alerts);
	avconf_free(&c->av);
	free(c->trap_rules);
	free(c->report.mail_to);
	webconf_free(c->web);
	free(c);
}

const struct agent_entry *
collector_conf_agent(const struct collector_conf *c, const char *id)
{
	int	 i;

	for (i = 0; i < c->nagents; i++)
		if (strcmp(c->agents[i].id, id) == 0)
			return &c->agents[i];
	return NULL;
}

/*
 * What the loaded configuration should be told about without being
 * refused; logged by the caller once the log is in the configured zone.
 */
void
collector_conf_warn(const struct collector_conf *c)
{
	if (c->readable_mode != 0)
		log_warnx("%s: readable by others (mode %04o); it may hold "
		    "mail and SMS credentials: chmod o-r it", c->file,
		    c->readable_mode);
}
