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
 * The agent's configuration file.  Parsing never stops at the first
 * problem: every error is collected as "file:line: message" so that
 * "facmon-agent -n" shows them all at once.
 */

#include <sys/stat.h>

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "../common/tls.h"

/*
 * Device classes are a closed list: reports and the evaluation table add
 * device-time up by class, so a typo must not quietly start a class of
 * its own.
 */
static const char *const device_classes[] = {
	"line", "router", "firewall", "switch", "wifi-controller", "wifi-ap",
	"led-wall", "elevator", "hvac", "ups", "fire-panel", "terminal",
	"touch-screen", "evaluation-terminal", "queue-system", "pc", "server",
	"database", "web-system", "phone", "camera", "printer", "gateway",
	"sensor", "other", NULL
};

static const char *const top_keys[] = { "agent", "devices", "defaults",
	NULL };
static const char *const agent_keys[] = { "id", "collector", "batch_interval",
	"queue", "mibdirs", "spool_dir", "spool_max_mb", "spool_max_kb",
	"spool_max_days", "spool", "drain_rate", "traps", "tls", "tls_psk_file",
	"failback", "user", "templates", "timezone", NULL };
static const char *const device_keys[] = { "id", "name", "class", "group",
	"address", "parent", "checks", "charset", "template", "snmp", "params",
	NULL };
static const char *const check_common_keys[] = { "id", "type", "interval",
	"timeout", "critical", "expect_values", NULL };

static int
parse_hostport(const char *s, char *host, size_t hlen, int *port)
{
	const char *colon;
	char	*end;
	long	 p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		if ((size_t)(rb - s - 1) >= hlen || rb - s - 1 == 0)
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s)
			return -1;
		if ((size_t)(colon - s) >= hlen)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
check_id_in(const char *id, const char *const *list)
{
	int	 i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], id) == 0)
			return 1;
	return 0;
}

/* Unknown keys of a check: neither common nor the type's own. */
static void
check_check_keys(struct cfgerr *e, const config_setting_t *s,
    const struct probe_ops *ops)
{
	config_setting_t *m;
	int	 i;

	for (i = 0; (m = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++) {
		const char *name = config_setting_name(m);

		if (name == NULL || check_id_in(name, check_common_keys))
			continue;
		if (ops != NULL && ops->keys != NULL &&
		    check_id_in(name, ops->keys))
			continue;
		cfgerr_add(e, m, "unknown setting '%s' for a %s check", name,
		    ops ? ops->name : "?");
	}
}

static void
parse_check(struct cfgerr *e, const config_setting_t *s,
    struct check_conf *cc, const struct device_conf *dc)
{
	char	 type[32] = "";
	const struct probe_ops *ops = NULL;
	int	 t;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfgerr_add(e, s, "a check must be a group { ... }");
		return;
	}
	if (cfg_get_str(e, s, "id", cc->id, sizeof(cc->id), 1) == 1 &&
	    !fm_valid_id(cc->id))
		cfgerr_add(e, config_setting_get_member(s, "id"),
		    "check id '%s': use letters, digits, '_', '-', '.'",
		    cc->id);
	if (cfg_get_str(e, s, "type", type, sizeof(type), 1) == 1) {
		if ((t = check_type_parse(type)) == -1) {
			char	 known[256];
			size_t	 o = 0;
			int	 k;

			/* The list is the table's: it cannot fall behind. */
			known[0] = '\0';
			for (k = 1; k < CT_MAX; k++)
				if (probe_ops_get(k) != NULL &&
				    o < sizeof(known))
					o += (size_t)snprintf(known + o,
					    sizeof(known) - o, "%s%s%s",
					    o ? ", " : "", check_type_name(k),
					    k == CT_HTTP ? ", https" : "");
			cfgerr_add(e, config_setting_get_member(s, "type"),
			    "unknown check type '%s' (%s)", type, known);
		}
		else if ((ops = probe_ops_get(t)) == NULL)
			cfgerr_add(e, config_setting_get_member(s, "type"),
			    "'%s' is not a check type", type);
		else
			cc->type = t;
	}
	cc->interval_ms = 60000;
	cfg_get_secs(e, s, "interval", &cc->interval_ms, 1000, 86400000, 0);
	cc->timeout_ms = cc->interval_ms < 2000 ? cc->interval_ms : 2000;
	if (cfg_get_secs(e, s, "timeout", &cc->timeout_ms, 10, 3600000, 0)
	    == 1 && cc->timeout_ms > cc->interval_ms)
		cfgerr_add(e, config_setting_get_member(s, "timeout"),
		    "timeout (%gs) is longer than the interval (%gs)",
		    cc->timeout_ms / 1000.0, cc->interval_ms / 1000.0);
	cc->critical = 1;
	cfg_get_bool(e, s, "critical", &cc->critical, 0);
	expect_parse(e, s, cc);
	check_check_keys(e, s, ops);
	if (ops != NULL && ops->parse(e, s, cc, dc) == -1)
		return;
}

/* Can iconv convert this device's text to UTF-8? */
static int
charset_check(const char *cs)
{
	iconv_t	 cd = iconv_open("UTF-8", cs);

	if (cd == (iconv_t)-1)
		return -1;
	iconv_close(cd);
	return 0;
}

/*
 * Device templates (etc/templates/NAME.conf, installed under
 * share/facmon/templates): a kind of device's checks, written once.  A
 * device that says template = "switch-huawei" gets the template's
 * checks as if written in its own entry, with
 *
 *  - every string "$name" in them replaced by the parameter 'name': the
 *    device's params { } first, then the template's;
 *  - the SNMP settings an snmp check of the template does not set itself
 *    (version, community, port, v3 keys) from the device's snmp { }, else
 *    from the top-level defaults { snmp { } }.
 *
 * A template's checks are copied into a scratch configuration that keeps
 * each copied setting's file and line, so an error in a template points
 * at the template's line and one in a parameter at the device's.  Each
 * template file is read once per load, however many devices use it.
 */
#define TEMPLATES_MAX	64

/* "kind" (switch, host, ups, ...) is read by facmon-agent discover only. */
static const char *const tpl_keys[] = { "name", "description", "match",
	"kind", "class", "params", "checks", NULL };
static const char *const snmp_cred_keys[] = { "version", "community",
	"port", "retries", "max_repetitions", "security_name",
	"security_level", "auth_protocol", "auth_passphrase", "priv_protocol",
	"priv_passphrase", "context", "engine_id", NULL };

struct tplent {
	char		 name[FM_ID_MAX];
	char		 path[PATH_MAX];
	config_t	 cfg;
	config_setting_t *tpl;		/* NULL: the file is not usable */
};

struct tplctx {
	char		 dir[PATH_MAX];
	const config_setting_t *snmp_defaults;
	struct tplent	 ents[TEMPLATES_MAX];
	int		 n;
};

/*
 * The templates directory: the configured one, else the installed one,
 * else -- for an agent run from the source tree -- etc/templates beside
 * the directory of its configuration file.
 */
static void
tpl_dir(struct tplctx *tc, const struct agent_conf *ac)
{
	char	 dir[PATH_MAX], *slash;
	struct stat st;

	if (ac->templates[0] != '\0') {
		fm_strlcpy(tc->dir, ac->templates, sizeof(tc->dir));
		return;
	}
	fm_strlcpy(tc->dir, FACMON_DATADIR "/templates", sizeof(tc->dir));
	if (stat(tc->dir, &st) == 0)
		return;
	fm_strlcpy(dir, ac->file, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		fm_strlcpy(dir, ".", sizeof(dir));
	if (fm_fmt(tc->dir, sizeof(tc->dir), "%s/../templates", dir) == 0 &&
	    stat(tc->dir, &st) == 0)
		return;
	fm_strlcpy(tc->dir, FACMON_DATADIR "/templates", sizeof(tc->dir));
}

static struct tplent *
tpl_get(struct cfgerr *e, struct tplctx *tc, const char *name,
    const config_setting_t *where)
{
	struct tplent *t;
	char	 tname[FM_ID_MAX];
	int	 i, nerr = e->n;

	for (i = 0; i < tc->n; i++)
		if (strcmp(tc->ents[i].name, name) == 0)
			return tc->ents[i].tpl ? &tc->ents[i] : NULL;
	if (tc->n == TEMPLATES_MAX) {
		cfgerr_add(e, where, "more than %d templates", TEMPLATES_MAX);
		return NULL;
	}
	t = &tc->ents[tc->n++];
	fm_strlcpy(t->name, name, sizeof(t->name));
	t->tpl = NULL;
	if (fm_fmt(t->path, sizeof(t->path), "%s/%s.conf", tc->dir, name) ==
	    -1) {
		config_init(&t->cfg);
		cfgerr_add(e, where, "template '%s': path too long", name);
		return NULL;
	}
	if (access(t->path, R_OK) == -1) {
		config_init(&t->cfg);
		cfgerr_add(e, where, "no template '%s' (%s: %s)", name, t->path,
		    strerror(errno));
		return NULL;
	}
	if (cfg_load(&t->cfg, t->path, e) == -1)
		return NULL;
	t->tpl = config_setting_get_member(config_root_setting(&t->cfg),
	    "template");
	if (t->tpl == NULL || !config_setting_is_group(t->tpl)) {
		cfgerr_push(e, t->path, 0, "the file must hold one group "
		    "template = { name = ...; checks = ( ... ); }");
		t->tpl = NULL;
		return NULL;
	}
	cfg_check_keys(e, t->tpl, tpl_keys);
	if (cfg_get_str(e, t->tpl, "name", tname, sizeof(tname), 1) == 1 &&
	    strcmp(tname, name) != 0)
		cfgerr_add(e, config_setting_get_member(t->tpl, "name"),
		    "template name '%s' is not its file's name '%s'", tname,
		    name);
	if (config_setting_get_member(t->tpl, "checks") == NULL ||
	    !config_setting_is_list(config_setting_get_member(t->tpl,
	    "checks")))
		cfgerr_add(e, t->tpl, "template '%s': 'checks' must be a list",
		    name);
	if (e->n > nerr)
		t->tpl = NULL;
	return t->tpl ? t : NULL;
}

/* "$name": the parameter's setting, the device's first. */
static const config_setting_t *
tpl_param(const config_setting_t *const params[2], const char *ref)
{
	const config_setting_t *p;
	int	 i;

	for (i = 0; i < 2; i++)
		if (params[i] != NULL &&
		    (p = config_setting_get_member(params[i], ref + 1)) != NULL)
			return p;
	return NULL;
}

/* Copy src (and what it holds) under dst, keeping where it was written. */
static int
tpl_copy(struct cfgerr *e, config_setting_t *dst, const config_setting_t *src,
    const config_setting_t *const params[2])
{
	const config_setting_t *from = src;
	config_setting_t *d;
	const char *str;
	int	 i, type;

	if (params != NULL && config_setting_type(src) == CONFIG_TYPE_STRING &&
	    (str = config_setting_get_string(src))[0] == '$') {
		if ((from = tpl_param(params, str)) == NULL) {
			cfgerr_add(e, src, "no parameter '%s' in the device's "
			    "or the template's params", str + 1);
			return -1;
		}
		params = NULL;	/* a parameter's value is not expanded again */
	}
	type = config_setting_type(from);
	if ((d = config_setting_add(dst, config_setting_is_group(dst) ?
	    config_setting_name(src) : NULL, type)) == NULL) {
		cfgerr_add(e, src, "parameter of the wrong type here");
		return -1;
	}
	d->line = from->line;
	d->file = from->file;
	config_setting_set_format(d, (short)config_setting_get_format(from));
	switch (type) {
	case CONFIG_TYPE_INT:
		config_setting_set_int(d, config_setting_get_int(from));
		break;
	case CONFIG_TYPE_INT64:
		config_setting_set_int64(d, config_setting_get_int64(from));
		break;
	case CONFIG_TYPE_FLOAT:
		config_setting_set_float(d, config_setting_get_float(from));
		break;
	case CONFIG_TYPE_BOOL:
		config_setting_set_bool(d, config_setting_get_bool(from));
		break;
	case CONFIG_TYPE_STRING:
		config_setting_set_string(d, config_setting_get_string(from));
		break;
	default:
		for (i = 0; i < config_setting_length(from); i++)
			if (tpl_copy(e, d, config_setting_get_elem(from,
			    (unsigned)i), params) == -1)
				return -1;
	}
	return 0;
}

/*
 * The template's checks for one device, as a list in scratch (a config
 * the caller destroys after parsing them).  NULL: errors reported.
 */
static config_setting_t *
tpl_expand(struct cfgerr *e, struct tplctx *tc, const config_setting_t *dev,
    const struct tplent *t, config_t *scratch)
{
	const config_setting_t *params[2], *snmp, *chk, *m, *dp;
	config_setting_t *list, *grp;
	char	 type[32];
	int	 i, k, nerr = e->n;

	params[0] = config_setting_get_member(dev, "params");
	params[1] = config_setting_get_member(t->tpl, "params");
	for (i = 0; i < 2; i++)
		if (params[i] != NULL && !config_setting_is_group(params[i])) {
			cfgerr_add(e, params[i], "'params' must be a group");
			return NULL;
		}
	/* A parameter the template does not have is a typo. */
	for (i = 0; params[0] != NULL &&
	    (dp = config_setting_get_elem(params[0], (unsigned)i)) != NULL;
	    i++)
		if (params[1] == NULL || config_setting_get_member(params[1],
		    config_setting_name(dp)) == NULL)
			cfgerr_add(e, dp, "template '%s' has no parameter '%s'",
			    t->name, config_setting_name(dp));
	snmp = config_setting_get_member(dev, "snmp");
	if (snmp != NULL && !config_setting_is_group(snmp)) {
		cfgerr_add(e, snmp, "'snmp' must be a group { community = ...; }");
		return NULL;
	}
	if (snmp != NULL)
		cfg_check_keys(e, snmp, snmp_cred_keys);
	config_init(scratch);
	list = config_setting_add(config_root_setting(scratch), "checks",
	    CONFIG_TYPE_LIST);
	for (i = 0; (chk = config_setting_get_elem(config_setting_get_member(
	    t->tpl, "checks"), (unsigned)i)) != NULL; i++) {
		if (!config_setting_is_group(chk)) {
			cfgerr_add(e, chk, "a check must be a group { ... }");
			continue;
		}
		grp = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
		grp->line = chk->line;
		grp->file = chk->file;
		for (k = 0; (m = config_setting_get_elem(chk, (unsigned)k)) !=
		    NULL; k++)
			tpl_copy(e, grp, m, params);
		if ((m = config_setting_get_member(chk, "type")) == NULL ||
		    config_setting_get_string(m) == NULL)
			continue;
		fm_strlcpy(type, config_setting_get_string(m), sizeof(type));
		if (strcmp(type, "snmp") != 0)
			continue;
		for (k = 0; snmp_cred_keys[k] != NULL; k++) {
			const config_setting_t *v = NULL;

			if (config_setting_get_member(grp, snmp_cred_keys[k]))
				continue;
			if (snmp != NULL)
				v = config_setting_get_member(snmp,
				    snmp_cred_keys[k]);
			if (v == NULL && tc->snmp_defaults != NULL)
				v = config_setting_get_member(tc->snmp_defaults,
				    snmp_cred_keys[k]);
			if (v != NULL)
				tpl_copy(e, grp, v, NULL);
		}
	}
	return e->n > nerr ? NULL : list;
}

static void
parse_device(struct cfgerr *e, const config_setting_t *s,
    struct device_conf *dc, struct tplctx *tc)
{
	config_setting_t *checks, *c, *tchecks = NULL;
	const struct tplent *tpl = NULL;
	config_t scratch;
	char	 text[FM_TEXT_MAX], tname[FM_ID_MAX];
	int	 i, j, cls, nown = 0, ntpl = 0, have_scratch = 0;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfgerr_add(e, s, "a device must be a group { ... }");
		return;
	}
	cfg_check_keys(e, s, device_keys);
	if (cfg_get_str(e, s, "id", dc->id, sizeof(dc->id), 1) == 1 &&
	    !fm_valid_id(dc->id))
		cfgerr_add(e, config_setting_get_member(s, "id"),
		    "device id '%s': use letters, digits, '_', '-', '.'",
		    dc->id);
	if (cfg_get_str(e, s, "name", text, sizeof(text), 0) != 1)
		fm_strlcpy(text, dc->id, sizeof(text));
	if ((dc->name = strdup(text)) == NULL)
		fatal("strdup");
	if (cfg_get_str(e, s, "template", tname, sizeof(tname), 0) == 1) {
		if (!fm_valid_id(tname) || strcmp(tname, "..") == 0)
			cfgerr_add(e, config_setting_get_member(s, "template"),
			    "template '%s': use letters, digits, '_', '-'",
			    tname);
		else
			tpl = tpl_get(e, tc, tname,
			    config_setting_get_member(s, "template"));
	} else if (config_setting_get_member(s, "snmp") != NULL ||
	    config_setting_get_member(s, "params") != NULL)
		cfgerr_add(e, s, "'snmp' and 'params' go with a 'template'");
	/* A template says what class its devices are, unless they do. */
	if (tpl != NULL && config_setting_get_member(s, "class") == NULL)
		cls = cfg_get_str(e, tpl->tpl, "class", dc->class,
		    sizeof(dc->class), 1);
	else
		cls = cfg_get_str(e, s, "class", dc->class, sizeof(dc->class),
		    1);
	if (cls == 1 && !check_id_in(dc->class, device_classes))
		cfgerr_add(e, config_setting_get_member(s, "class"),
		    "unknown device class '%s' (see facmon-agent.conf.example "
		    "for the list)", dc->class);
	if (cfg_get_str(e, s, "group", dc->group, sizeof(dc->group), 0) != 1)
		fm_strlcpy(dc->group, "default", sizeof(dc->group));
	else if (!fm_valid_id(dc->group))
		cfgerr_add(e, config_setting_get_member(s, "group"),
		    "group '%s': use letters, digits, '_', '-', '.'",
		    dc->group);
	text[0] = '\0';
	cfg_get_str(e, s, "address", text, sizeof(text), 0);
	if ((dc->address = strdup(text)) == NULL)
		fatal("strdup");
	if (cfg_get_str(e, s, "parent", dc->parent, sizeof(dc->parent), 0) ==
	    1 && (!fm_valid_id(dc->parent) || strcmp(dc->parent, dc->id) == 0))
		cfgerr_add(e, config_setting_get_member(s, "parent"),
		    "parent '%s' must be another device's id", dc->parent);
	if (cfg_get_str(e, s, "charset", dc->charset, sizeof(dc->charset),
	    0) == 1 && charset_check(dc->charset) == -1)
		cfgerr_add(e, config_setting_get_member(s, "charset"),
		    "charset '%s' is not one iconv converts to UTF-8 "
		    "(e.g. \"GBK\", \"GB18030\", \"Big5\")", dc->charset);

	if (tpl != NULL) {
		if ((tchecks = tpl_expand(e, tc, s, tpl, &scratch)) != NULL)
			ntpl = config_setting_length(tchecks);
		have_scratch = 1;
	}
	/* With a template, checks of the device's own come after its. */
	if ((checks = config_setting_get_member(s, "checks")) == NULL &&
	    tpl == NULL) {
		cfgerr_add(e, s, "device '%s' has no checks", dc->id);
		return;
	}
	if (checks != NULL && !config_setting_is_list(checks)) {
		cfgerr_add(e, checks, "'checks' must be a list ( { ... }, ... )");
		goto out;
	}
	if (checks != NULL)
		nown = config_setting_length(checks);
	dc->nchecks = ntpl + nown;
	if (dc->nchecks > FM_CHECKS_MAX) {
		cfgerr_add(e, checks ? checks : s, "more than %d checks",
		    FM_CHECKS_MAX);
		dc->nchecks = 0;
		goto out;
	}
	/* A template that failed to expand was reported already. */
	if (dc->nchecks == 0) {
		if (tpl == NULL || tchecks != NULL)
			cfgerr_add(e, checks ? checks : s, "device '%s' has no "
			    "checks", dc->id);
		goto out;
	}
	if ((dc->checks = calloc((size_t)dc->nchecks,
	    sizeof(*dc->checks))) == NULL)
		fatal("calloc");
	for (i = 0; i < dc->nchecks; i++) {
		c = i < ntpl ? config_setting_get_elem(tchecks, (unsigned)i) :
		    config_setting_get_elem(checks, (unsigned)(i - ntpl));
		parse_check(e, c, &dc->checks[i], dc);
		for (j = 0; j < i; j++)
			if (dc->checks[i].id[0] != '\0' &&
			    strcmp(dc->checks[i].id, dc->checks[j].id) == 0)
				cfgerr_add(e, c, "duplicate check id '%s' in "
				    "device '%s'", dc->checks[i].id, dc->id);
	}
out:
	if (have_scratch)
		config_destroy(&scratch);
}

static int
devcmp(const void *a, const void *b)
{
	const struct device_conf *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

static void
parse_agent(struct cfgerr *e, const config_setting_t *s,
    struct agent_conf *ac)
{
	char	 coll[FM_TEXT_MAX + 8];
	config_setting_t *t;
	long long q;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfgerr_add(e, s, "'agent' must be a group { ... }");
		return;
	}
	cfg_check_keys(e, s, agent_keys);
	if (cfg_get_str(e, s, "id", ac->id, sizeof(ac->id), 1) == 1 &&
	    !fm_valid_id(ac->id))
		cfgerr_add(e, config_setting_get_member(s, "id"),
		    "agent id '%s': use letters, digits, '_', '-', '.'",
		    ac->id);
	/* One collector, or a list of them tried in order (failover). */
	if ((t = config_setting_get_member(s, "collector")) != NULL &&
	    (config_setting_type(t) == CONFIG_TYPE_LIST ||
	    config_setting_type(t) == CONFIG_TYPE_ARRAY)) {
		int	 i, n = config_setting_length(t);

		if (n < 1 || n > AGENT_COLLECTORS_MAX)
			cfgerr_add(e, t, "collector: 1 to %d addresses",
			    AGENT_COLLECTORS_MAX);
		for (i = 0; i < n && i < AGENT_COLLECTORS_MAX; i++) {
			config_setting_t *el = config_setting_get_elem(t,
			    (unsigned)i);
			const char *v = config_setting_get_string(el);

			if (v == NULL || parse_hostport(v,
			    ac->coll_hosts[ac->ncollectors],
			    sizeof(ac->coll_hosts[0]),
			    &ac->coll_ports[ac->ncollectors]) == -1) {
				cfgerr_add(e, el, "collector '%s': expected "
				    "host:port or [v6addr]:port",
				    v != NULL ? v : "(not a string)");
				continue;
			}
			ac->ncollectors++;
		}
	} else if (cfg_get_str(e, s, "collector", coll, sizeof(coll), 1) ==
	    1) {
		if (parse_hostport(coll, ac->coll_hosts[0],
		    sizeof(ac->coll_hosts[0]), &ac->coll_ports[0]) == -1)
			cfgerr_add(e, t, "collector '%s': expected host:port "
			    "or [v6addr]:port", coll);
		else
			ac->ncollectors = 1;
	}
	if (ac->ncollectors > 0) {
		fm_strlcpy(ac->collector_host, ac->coll_hosts[0],
		    sizeof(ac->collector_host));
		ac->collector_port = ac->coll_ports[0];
	}
	ac->failback_ms = 30000;
	cfg_get_secs(e, s, "failback", &ac->failback_ms, 1000, 3600000, 0);
	/* TLS unless plain TCP is asked for by name: see docs/wire.md. */
	ac->tls = 1;
	cfg_get_bool(e, s, "tls", &ac->tls, 0);
	cfg_get_str(e, s, "tls_psk_file", ac->tls_psk_file,
	    sizeof(ac->tls_psk_file), 0);
	ac->batch_ms = 1000;
	cfg_get_secs(e, s, "batch_interval", &ac->batch_ms, 10, 60000, 0);
	ac->queue_max = 200000;
	if (cfg_get_int(e, s, "queue", &q, 100, 10000000, 0) == 1)
		ac->queue_max = (int)q;
	cfg_get_str(e, s, "mibdirs", ac->mibdirs, sizeof(ac->mibdirs), 0);
	cfg_get_str(e, s, "templates", ac->templates, sizeof(ac->templates),
	    0);
	if ((t = config_setting_get_member(s, "traps")) != NULL)
		trap_conf_parse(e, t, ac);
	fm_strlcpy(ac->spool_dir, FACMON_STATEDIR "/spool",
	    sizeof(ac->spool_dir));
	if (cfg_get_str(e, s, "spool_dir", ac->spool_dir,
	    sizeof(ac->spool_dir), 0) == 1 && ac->spool_dir[0] == '\0')
		cfgerr_add(e, config_setting_get_member(s, "spool_dir"),
		    "'spool_dir' must not be empty");
	/* 7 days of the demo centre take about 1.64 GB: see docs/wire.md. */
	ac->spool_max_bytes = 2LL * 1024 * 1024 * 1024;
	if (cfg_get_int(e, s, "spool_max_mb", &q, 1, 1LL << 20, 0) == 1)
		ac->spool_max_bytes = q * 1024 * 1024;
	/* Finer, for small disks and for tests; wins over spool_max_mb. */
	if (cfg_get_int(e, s, "spool_max_kb", &q, 64, 1LL << 30, 0) == 1)
		ac->spool_max_bytes = q * 1024;
	/*
	 * Without a spool, what cannot be sent at once is dropped: the
	 * collector then shows that time as unknown.  For sites that would
	 * rather lose data than write to the agent's disk.
	 */
	ac->spool = 1;
	cfg_get_bool(e, s, "spool", &ac->spool, 0);
	ac->spool_max_age_ms = 8LL * 86400 * 1000;
	if (cfg_get_int(e, s, "spool_max_days", &q, 1, 3650, 0) == 1)
		ac->spool_max_age_ms = q * 86400 * 1000;
	/* The zone of the log's times: the collector's default too. */
	fm_strlcpy(ac->timezone, "Asia/Shanghai", sizeof(ac->timezone));
	if (cfg_get_str(e, s, "timezone", ac->timezone, sizeof(ac->timezone),
	    0) == 1 && !log_zone_known(ac->timezone))
		cfgerr_add(e, config_setting_get_member(s, "timezone"),
		    "timezone '%s' is not in the zone database (e.g. "
		    "\"Asia/Shanghai\")", ac->timezone);
	/* Checked here, so that -n finds a user that does not exist. */
	if (cfg_get_str(e, s, "user", ac->user, sizeof(ac->user), 0) == 1 &&
	    getpwnam(ac->user) == NULL)
		cfgerr_add(e, config_setting_get_member(s, "user"),
		    "no such user '%s'", ac->user);
	ac->drain_rate = 5000;
	if (cfg_get_int(e, s, "drain_rate", &q, 10, 10000000, 0) == 1)
		ac->drain_rate = (int)q;
}

struct agent_conf *
agent_conf_load(const char *file, struct cfgerr *e)
{
	config_t cfg;
	config_setting_t *root, *s, *devs;
	struct agent_conf *ac;
	struct device_conf **sorted;
	struct tplctx *tc;
	int	 i;

	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		fatal("calloc");
	fm_strlcpy(ac->file, file, sizeof(ac->file));
	if (cfg_load(&cfg, file, e) == -1) {
		config_destroy(&cfg);
		free(ac);
		return NULL;
	}
	root = config_root_setting(&cfg);
	cfg_check_keys(e, root, top_keys);
	if ((s = config_setting_get_member(root, "agent")) == NULL)
		cfgerr_add(e, NULL, "missing the 'agent' group");
	else
		parse_agent(e, s, ac);
	/* OID names in the checks resolve through the MIB directories. */
	snmp_global_init(ac->mibdirs);
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		fatal("calloc");
	tpl_dir(tc, ac);
	if ((s = config_setting_get_member(root, "defaults")) != NULL) {
		static const char *const defaults_keys[] = { "snmp", NULL };

		if (!config_setting_is_group(s))
			cfgerr_add(e, s, "'defaults' must be a group");
		else {
			cfg_check_keys(e, s, defaults_keys);
			tc->snmp_defaults = config_setting_get_member(s,
			    "snmp");
			if (tc->snmp_defaults != NULL &&
			    !config_setting_is_group(tc->snmp_defaults)) {
				cfgerr_add(e, tc->snmp_defaults, "'snmp' must "
				    "be a group { community = ...; }");
				tc->snmp_defaults = NULL;
			} else if (tc->snmp_defaults != NULL)
				cfg_check_keys(e, tc->snmp_defaults,
				    snmp_cred_keys);
		}
	}

	if ((devs = config_setting_get_member(root, "devices")) == NULL)
		cfgerr_add(e, NULL, "missing the 'devices' list");
	else if (!config_setting_is_list(devs))
		cfgerr_add(e, devs, "'devices' must be a list ( { ... }, ... )");
	else if (config_setting_length(devs) > FM_DEVICES_MAX)
		cfgerr_add(e, devs, "more than %d devices", FM_DEVICES_MAX);
	else if ((ac->ndevices = config_setting_length(devs)) > 0) {
		if ((ac->devices = calloc((size_t)ac->ndevices,
		    sizeof(*ac->devices))) == NULL)
			fatal("calloc");
		for (i = 0; i < ac->ndevices; i++)
			parse_device(e, config_setting_get_elem(devs,
			    (unsigned)i), &ac->devices[i], tc);
		/* Duplicate ids, found in n log n for large sites. */
		if ((sorted = calloc((size_t)ac->ndevices,
		    sizeof(*sorted))) == NULL)
			fatal("calloc");
		for (i = 0; i < ac->ndevices; i++)
			sorted[i] = &ac->devices[i];
		qsort(sorted, (size_t)ac->ndevices, sizeof(*sorted), devcmp);
		for (i = 1; i < ac->ndevices; i++)
			if (sorted[i]->id[0] != '\0' &&
			    strcmp(sorted[i]->id, sorted[i - 1]->id) == 0) {
				const struct device_conf *dup = sorted[i] >
				    sorted[i - 1] ? sorted[i] : sorted[i - 1];

				cfgerr_add(e, config_setting_get_elem(devs,
				    (unsigned)(dup - ac->devices)),
				    "duplicate device id '%s'", dup->id);
			}
		/* A parent must be a device of this agent. */
		for (i = 0; i < ac->ndevices; i++) {
			struct device_conf key;
			const struct device_conf *kp = &key;

			if (ac->devices[i].parent[0] == '\0')
				continue;
			fm_strlcpy(key.id, ac->devices[i].parent,
			    sizeof(key.id));
			if (bsearch(&kp, sorted, (size_t)ac->ndevices,
			    sizeof(*sorted), devcmp) == NULL)
				cfgerr_add(e, config_setting_get_elem(devs,
				    (unsigned)i), "device '%s': parent '%s' is "
				    "not a device of this agent",
				    ac->devices[i].id, ac->devices[i].parent);
		}
		free(sorted);
	}
	if (e->n == 0 && devices_wire_size(ac) > FM_FRAME_MAX)
		cfgerr_add(e, devs, "the device list takes %zu bytes as a "
		    "DEVICES message, more than the %u a message may have "
		    "(docs/wire.md): split the devices over several agents",
		    devices_wire_size(ac), (unsigned)FM_FRAME_MAX);
	for (i = 0; i < tc->n; i++)
		config_destroy(&tc->ents[i].cfg);
	free(tc);
	config_destroy(&cfg);
	if (e->n > 0) {
		agent_conf_free(ac);
		return NULL;
	}
	return ac;
}

/*
 * The size of the DEVICES message push_link.c sends on every connect, as
 * common/wire.c encodes it: the agent could not send a larger one, so
 * the configuration is refused rather than the connection.
 */
size_t
devices_wire_size(const struct agent_conf *ac)
{
	size_t	 n = 4;
	int	 i, j;

	for (i = 0; i < ac->ndevices; i++) {
		const struct device_conf *d = &ac->devices[i];

		n += 6 * 2 + strlen(d->id) + strlen(d->name) +
		    strlen(d->class) + strlen(d->group) + strlen(d->address) +
		    strlen(d->parent) + 2;
		for (j = 0; j < d->nchecks; j++)
			n += 2 + strlen(d->checks[j].id) + 1 + 4 + 4 + 1;
	}
	return n;
}

/*
 * What the daemon refuses at start, checked for -n as well: the key
 * file (present, ours alone, well formed) and the spool directory's
 * mode.  Apart from agent_conf_load() because it reads files that a
 * configuration under test need not have.
 */
int
agent_conf_check_files(const struct agent_conf *ac, struct cfgerr *e)
{
	uint8_t	 key[FM_PSK_LEN];
	char	 err[PATH_MAX + 128];
	struct stat st;
	int	 nerr = e->n;

	/*
	 * A key file that is not there yet is only a warning: a
	 * configuration is checked before keygen ran (the examples are);
	 * one that is there must be usable as it is.
	 */
	if (ac->tls && ac->tls_psk_file[0] == '\0')
		cfgerr_add(e, NULL, "tls_psk_file is not set: make this agent "
		    "a key with `facmon-collector keygen %s`, or set tls = "
		    "false for plain TCP", ac->id);
	else if (ac->tls && access(ac->tls_psk_file, F_OK) == -1 &&
	    errno == ENOENT)
		log_warnx("%s: no key file yet; the agent will not start "
		    "without it", ac->tls_psk_file);
	else if (ac->tls && fm_psk_read(ac->tls_psk_file, key, err,
	    sizeof(err)) == -1)
		cfgerr_add(e, NULL, "%s", err);
	OPENSSL_cleanse(key, sizeof(key));
	if (ac->spool && stat(ac->spool_dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			cfgerr_add(e, NULL, "spool %s: not a directory",
			    ac->spool_dir);
		else if (st.st_mode & 0077)
			cfgerr_add(e, NULL, "spool %s: readable by others "
			    "(mode %03o); chmod 700 it", ac->spool_dir,
			    (unsigned)(st.st_mode & 0777));
	}
	return e->n > nerr ? -1 : 0;
}

void
agent_conf_free(struct agent_conf *ac)
{
	int	 i, j;

	if (ac == NULL)
		return;
	for (i = 0; i < ac->ndevices; i++) {
		struct device_conf *dc = &ac->devices[i];

		for (j = 0; j < dc->nchecks; j++) {
			const struct probe_ops *ops =
			    probe_ops_get(dc->checks[j].type);

			if (ops != NULL && dc->checks[j].opts != NULL)
				ops->free_opts(dc->checks[j].opts);
			free(dc->checks[j].expect);
		}
		free(dc->checks);
		free(dc->name);
		free(dc->address);
	}
	free(ac->devices);
	free(ac->traps);
	free(ac);
}
