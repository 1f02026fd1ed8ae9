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
 * The 'availability:' configuration group (avail.h): what the centre is
 * measured against.  The indicators are the rows of the evaluation
 * table; their wording is the operator's, because every funding body
 * words its table a little differently, and only the metric behind each
 * row is facmon's.  Every mistake is reported as file:line, all at once.
 */

#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/common.h"
#include "avail.h"

#define DAY_MS	86400000.0

static const char *const metric_names[AVI_METRIC_MAX] = {
	[AVI_AVAILABILITY] = "availability",
	[AVI_AVAILABILITY_CHARGED] = "availability_charged",
	[AVI_MTTR] = "mttr",
	[AVI_FAULT_TIME] = "fault_time",
	[AVI_LATENCY_SHARE] = "latency_share",
};

const char *
avi_metric_name(int m)
{
	return m > 0 && m < AVI_METRIC_MAX ? metric_names[m] : "invalid";
}

const char *
avi_cmp_text(int c)
{
	switch (c) {
	case AVI_GE:
		return "≥";
	case AVI_GT:
		return ">";
	case AVI_LE:
		return "≤";
	case AVI_LT:
		return "<";
	}
	return "?";
}

/* 1 met, 0 missed, -1 nothing to compare. */
int
avi_compare(int cmp, double v, double t)
{
	if (isnan(v) || isnan(t))
		return -1;
	switch (cmp) {
	case AVI_GE:
		return v >= t;
	case AVI_GT:
		return v > t;
	case AVI_LE:
		return v <= t;
	case AVI_LT:
		return v < t;
	}
	return -1;
}

/* An indicator without devices, groups or classes covers the site. */
int
avi_covers(const struct av_indicator *a, const char *device,
    const char *group, const char *cls)
{
	if (a->ndevices + a->ngroups + a->nclasses == 0)
		return 1;
	return av_in_list(a->devices, a->ndevices, device) ||
	    av_in_list(a->groups, a->ngroups, group) ||
	    av_in_list(a->classes, a->nclasses, cls);
}

/* The checks a latency target counts: those listed, or all. */
int
avi_covers_check(const struct av_indicator *a, const char *check)
{
	return a->nchecks == 0 || av_in_list(a->checks, a->nchecks, check);
}

static void
free_list(char **l, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void
avconf_free(struct avconf *c)
{
	int	 i;

	free(c->targets);
	mw_free_list(c->rules, c->nrules);
	for (i = 0; i < c->nind; i++) {
		free_list(c->ind[i].devices, c->ind[i].ndevices);
		free_list(c->ind[i].groups, c->ind[i].ngroups);
		free_list(c->ind[i].classes, c->ind[i].nclasses);
		free_list(c->ind[i].checks, c->ind[i].nchecks);
	}
	free(c->ind);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

/*
 * The names the status wall gives groups, and names for the classes of
 * devices the demo centre has, so that a report says 专线 where the wall
 * does; 'names' in the configuration overrides or adds to them.
 */
static const struct {
	int		 is_class;
	const char	*key, *zh, *en;
} default_names[] = {
	{ 0, "lines", "专线", "Lines" },
	{ 0, "network", "网络", "Network" },
	{ 0, "wifi", "WiFi", "WiFi" },
	{ 0, "display", "LED 大屏", "LED walls" },
	{ 0, "building", "电梯与空调", "Elevators and HVAC" },
	{ 0, "elevators", "电梯", "Elevators" },
	{ 0, "hvac", "空调", "HVAC" },
	{ 0, "power", "UPS 与机房", "UPS and machine room" },
	{ 0, "ups", "UPS", "UPS" },
	{ 0, "terminals", "终端", "Terminals" },
	{ 0, "systems", "业务系统", "Web systems" },
	{ 1, "line", "专线", "Lines" },
	{ 1, "switch", "交换机", "Switches" },
	{ 1, "gateway", "网关", "Gateways" },
	{ 1, "wifi-controller", "无线控制器", "WiFi controllers" },
	{ 1, "led-wall", "LED 大屏", "LED walls" },
	{ 1, "elevator", "电梯", "Elevators" },
	{ 1, "hvac", "空调", "HVAC units" },
	{ 1, "ups", "UPS", "UPS" },
	{ 1, "sensor", "环境传感器", "Sensors" },
	{ 1, "touch-screen", "触摸屏", "Touch screens" },
	{ 1, "evaluation-terminal", "评价器", "Evaluation terminals" },
	{ 1, "queue-system", "排队叫号系统", "Queue systems" },
	{ 1, "web-system", "业务系统", "Web systems" },
	{ 1, "router", "路由器", "Routers" },
	{ 1, "firewall", "防火墙", "Firewalls" },
	{ 1, "ap", "无线 AP", "Wireless APs" },
	{ 1, "server", "服务器", "Servers" },
	{ 1, "camera", "摄像机", "Cameras" },
	{ 1, "printer", "打印机", "Printers" },
	{ 1, "meter", "电表", "Meters" },
	{ 1, "other", "其他", "Other" },
};

/* The display name of a group or class; NULL: none, show the id. */
const char *
avconf_name(const struct avconf *c, int is_class, const char *key, int lang)
{
	size_t	 i;
	int	 k;

	lang = lang ? 1 : 0;
	for (k = 0; k < c->nnames; k++)
		if (c->names[k].is_class == is_class &&
		    strcmp(c->names[k].key, key) == 0)
			return c->names[k].name[lang];
	for (i = 0; i < sizeof(default_names) / sizeof(default_names[0]);
	    i++)
		if (default_names[i].is_class == is_class &&
		    strcmp(default_names[i].key, key) == 0)
			return lang ? default_names[i].en : default_names[i].zh;
	return NULL;
}

/* A percentage in (0, 100], stored as a fraction. */
static int
get_pct(struct cfgerr *e, const config_setting_t *g, const char *key,
    double *dst, int required)
{
	config_setting_t *s = config_setting_get_member(g, key);
	double	 v;
	int	 t;

	if (s == NULL) {
		if (required)
			cfgerr_add(e, g, "missing '%s' (a percentage such as "
			    "99.99)", key);
		return 0;
	}
	t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		cfgerr_add(e, s, "'%s' must be a percentage such as 99.99",
		    key);
		return -1;
	}
	if (!(v > 0 && v <= 100)) {
		cfgerr_add(e, s, "'%s' must be above 0 and at most 100 "
		    "(a percentage)", key);
		return -1;
	}
	*dst = v / 100.0;
	return 1;
}

static int
id_list(struct cfgerr *e, const config_setting_t *g, const char *key,
    char ***out, int *n)
{
	config_setting_t *l = config_setting_get_member(g, key);
	int	 i, len;

	*out = NULL;
	*n = 0;
	if (l == NULL)
		return 0;
	if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
		cfgerr_add(e, l, "'%s' must be a list of names", key);
		return -1;
	}
	len = config_setting_length(l);
	if ((*out = calloc((size_t)len + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		const char *v = config_setting_get_string_elem(l, i);

		if (v == NULL || !fm_valid_id(v)) {
			cfgerr_add(e, config_setting_get_elem(l, (unsigned)i),
			    "'%s' entries must be ids", key);
			return -1;
		}
		if (((*out)[(*n)] = strdup(v)) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
parse_targets(struct cfgerr *e, const config_setting_t *l, struct avconf *c)
{
	static const char *const keys[] = { "device", "group", "class",
		"availability", NULL };
	int	 i, n;

	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "'targets' must be a list ( { ... } )");
		return -1;
	}
	n = config_setting_length(l);
	if ((c->targets = calloc((size_t)(n ? n : 1),
	    sizeof(*c->targets))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
		struct aq_target *t = &c->targets[c->ntargets];
		int	 k = 0;

		if (!config_setting_is_group(s)) {
			cfgerr_add(e, s, "a target must be a group { ... }");
			continue;
		}
		cfg_check_keys(e, s, keys);
		k += cfg_get_str(e, s, "device", t->device, sizeof(t->device),
		    0) == 1;
		k += cfg_get_str(e, s, "group", t->group, sizeof(t->group),
		    0) == 1;
		k += cfg_get_str(e, s, "class", t->cls, sizeof(t->cls), 0) == 1;
		if (k != 1)
			cfgerr_add(e, s, "a target names exactly one of device, "
			    "group, class");
		if ((t->device[0] && !fm_valid_id(t->device)) ||
		    (t->group[0] && !fm_valid_id(t->group)) ||
		    (t->cls[0] && !fm_valid_id(t->cls)))
			cfgerr_add(e, s, "target names must be ids (letters, "
			    "digits, '_', '-', '.')");
		get_pct(e, s, "availability", &t->availability, 1);
		c->ntargets++;
	}
	return 0;
}

static int
parse_metric(const char *s)
{
	int	 i;

	for (i = 1; i < AVI_METRIC_MAX; i++)
		if (strcmp(s, metric_names[i]) == 0)
			return i;
	return 0;
}

static int
parse_cmp(const char *s)
{
	if (strcmp(s, ">=") == 0 || strcmp(s, "≥") == 0)
		return AVI_GE;
	if (strcmp(s, ">") == 0)
		return AVI_GT;
	if (strcmp(s, "<=") == 0 || strcmp(s, "≤") == 0)
		return AVI_LE;
	if (strcmp(s, "<") == 0)
		return AVI_LT;
	return 0;
}

static int
is_duration(int m)
{
	return m == AVI_MTTR || m == AVI_FAULT_TIME;
}

/*
 * The printed target when the operator gives none: "≥99.99%", "<30分钟".
 * Durations are written in the largest unit that divides them.
 */
static void
default_target_text(struct av_indicator *a)
{
	const char *c = avi_cmp_text(a->cmp);
	double	 t = a->target;
	int	 l;

	for (l = 0; l < 2; l++) {
		char	*d = a->target_text[l];
		size_t	 n = sizeof(a->target_text[l]);

		if (d[0] != '\0')
			continue;
		if (!is_duration(a->metric)) {
			if (a->metric == AVI_LATENCY_SHARE)
				snprintf(d, n, "%s%g%% (<%gms)", c, t * 100.0,
				    a->latency_ms);
			else
				snprintf(d, n, "%s%g%%", c, t * 100.0);
		} else if (fmod(t, DAY_MS) == 0)
			snprintf(d, n, "%s%g%s", c, t / DAY_MS,
			    l == 0 ? "天" : " d");
		else if (fmod(t, 3600000.0) == 0)
			snprintf(d, n, "%s%g%s", c, t / 3600000.0,
			    l == 0 ? "小时" : " h");
		else if (fmod(t, 60000.0) == 0)
			snprintf(d, n, "%s%g%s", c, t / 60000.0,
			    l == 0 ? "分钟" : " min");
		else
			snprintf(d, n, "%s%g%s", c, t / 1000.0,
			    l == 0 ? "秒" : " s");
	}
}

/* A Chinese text and its English twin ("x" and "x_en"). */
static void
get_texts(struct cfgerr *e, const config_setting_t *s, const char *key,
    char dst[2][256], size_t len, int required)
{
	char	 en[64];

	cfg_get_str(e, s, key, dst[0], len, required);
	snprintf(en, sizeof(en), "%s_en", key);
	/* Without an English wording the Chinese one is printed. */
	if (cfg_get_str(e, s, en, dst[1], len, 0) != 1)
		fm_strlcpy(dst[1], dst[0], len);
}

static void
parse_indicator(struct cfgerr *e, config_setting_t *s, struct av_indicator *a,
    const struct av_indicator *prev, int nprev)
{
	static const char *const keys[] = { "id", "level1", "level1_en",
		"level2", "level2_en", "level3", "level3_en", "target_text",
		"target_text_en", "note", "note_en", "metric", "compare",
		"target", "latency", "devices", "groups", "classes", "checks",
		NULL };
	char	 buf[64], t2[2][256], t3[2][256];
	config_setting_t *ts;
	int	 i, ms;

	cfg_check_keys(e, s, keys);
	if (cfg_get_str(e, s, "id", a->id, sizeof(a->id), 1) == 1 &&
	    !fm_valid_id(a->id))
		cfgerr_add(e, s, "indicator id '%s': use letters, digits, "
		    "'_', '-', '.'", a->id);
	for (i = 0; i < nprev; i++)
		if (a->id[0] && strcmp(prev[i].id, a->id) == 0)
			cfgerr_add(e, s, "duplicate indicator id '%s'", a->id);
	memset(t2, 0, sizeof(t2));
	get_texts(e, s, "level1", t2, sizeof(a->level1[0]), 1);
	memcpy(a->level1[0], t2[0], sizeof(a->level1[0]));
	memcpy(a->level1[1], t2[1], sizeof(a->level1[1]));
	memset(t2, 0, sizeof(t2));
	get_texts(e, s, "level2", t2, sizeof(a->level2[0]), 1);
	memcpy(a->level2[0], t2[0], sizeof(a->level2[0]));
	memcpy(a->level2[1], t2[1], sizeof(a->level2[1]));
	get_texts(e, s, "level3", a->level3, sizeof(a->level3[0]), 1);
	memset(t3, 0, sizeof(t3));
	get_texts(e, s, "target_text", t3, sizeof(a->target_text[0]), 0);
	memcpy(a->target_text[0], t3[0], sizeof(a->target_text[0]));
	memcpy(a->target_text[1], t3[1], sizeof(a->target_text[1]));
	get_texts(e, s, "note", a->note, sizeof(a->note[0]), 0);

	if (cfg_get_str(e, s, "metric", buf, sizeof(buf), 1) == 1 &&
	    (a->metric = parse_metric(buf)) == 0)
		cfgerr_add(e, config_setting_get_member(s, "metric"),
		    "metric '%s': one of availability, availability_charged, "
		    "mttr, fault_time, latency_share", buf);
	a->cmp = is_duration(a->metric) ? AVI_LT : AVI_GE;
	if (cfg_get_str(e, s, "compare", buf, sizeof(buf), 0) == 1 &&
	    (a->cmp = parse_cmp(buf)) == 0)
		cfgerr_add(e, config_setting_get_member(s, "compare"),
		    "compare '%s': one of >=, >, <=, <", buf);
	a->target = NAN;
	if (is_duration(a->metric)) {
		/* Up to 24 days: the duration helper works in int ms. */
		if (cfg_get_secs(e, s, "target", &ms, 1, 24 * 86400000,
		    1) == 1)
			a->target = ms;
	} else if (a->metric != 0)
		get_pct(e, s, "target", &a->target, 1);
	ts = config_setting_get_member(s, "latency");
	if (a->metric == AVI_LATENCY_SHARE) {
		if (cfg_get_secs(e, s, "latency", &ms, 1, 600000, 1) == 1)
			a->latency_ms = ms;
	} else if (ts != NULL)
		cfgerr_add(e, ts, "'latency' belongs to metric "
		    "latency_share only");
	id_list(e, s, "devices", &a->devices, &a->ndevices);
	id_list(e, s, "groups", &a->groups, &a->ngroups);
	id_list(e, s, "classes", &a->classes, &a->nclasses);
	if ((ts = config_setting_get_member(s, "checks")) != NULL &&
	    a->metric != AVI_LATENCY_SHARE)
		cfgerr_add(e, ts, "'checks' belongs to metric latency_share "
		    "only");
	else
		id_list(e, s, "checks", &a->checks, &a->nchecks);
	if (a->metric != 0 && !isnan(a->target))
		default_target_text(a);
}

static int
parse_indicators(struct cfgerr *e, const config_setting_t *l,
    struct avconf *c)
{
	int	 i, n;

	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "'indicators' must be a list ( { ... } )");
		return -1;
	}
	n = config_setting_length(l);
	if ((c->ind = calloc((size_t)(n ? n : 1), sizeof(*c->ind))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(l, (unsigned)i);

		if (!config_setting_is_group(s)) {
			cfgerr_add(e, s, "an indicator must be a group { ... }");
			continue;
		}
		parse_indicator(e, s, &c->ind[c->nind], c->ind, c->nind);
		c->nind++;
	}
	return 0;
}

/*
 * An unknown zone silently means UTC to the C library, so the zone must
 * be a file of the zone database.
 */
static int
tz_known(const char *tz)
{
	char	 p[256];

	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL)
		return 0;
	snprintf(p, sizeof(p), "/usr/share/zoneinfo/%s", tz);
	return access(p, R_OK) == 0;
}

/*
 * names = ( { group | class = "id"; name = "..."; name_en = "..."; }, ... )
 */
static int
parse_names(struct cfgerr *e, const config_setting_t *l, struct avconf *c)
{
	static const char *const keys[] = { "group", "class", "name",
		"name_en", NULL };
	int	 i, n = config_setting_length(l);

	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "'names' must be a list ( { ... }, ... )");
		return 0;
	}
	if (n == 0)
		return 0;
	if ((c->names = calloc((size_t)n, sizeof(*c->names))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
		struct av_name *a = &c->names[c->nnames];
		int	 g, k;

		cfg_check_keys(e, s, keys);
		g = cfg_get_str(e, s, "group", a->key, sizeof(a->key), 0) == 1;
		k = cfg_get_str(e, s, "class", a->key, sizeof(a->key), 0) == 1;
		if (g + k != 1) {
			cfgerr_add(e, s, "a name is for one 'group' or one "
			    "'class'");
			continue;
		}
		a->is_class = k;
		get_texts(e, s, "name", a->name, sizeof(a->name[0]), 1);
		c->nnames++;
	}
	return 0;
}

/*
 * availability: { timezone; site; site_en; language; journal; targets;
 *   maintenance; indicators; charge_blips; names;
 *   signoff = { prepared; reviewed; }; }
 * data_dir (the collector's, may be NULL) places the journal by default.
 */
int
avconf_parse(struct cfgerr *e, const config_setting_t *g,
    const char *data_dir, struct avconf *c)
{
	static const char *const keys[] = { "timezone", "site", "site_en",
		"language", "journal", "targets", "maintenance", "indicators",
		"charge_blips", "names", "signoff", NULL };
	static const char *const skeys[] = { "prepared", "reviewed", NULL };
	char	 site[2][256];
	config_setting_t *s;
	int	 nerr = e->n;

	memset(c, 0, sizeof(*c));
	if (!config_setting_is_group(g)) {
		cfgerr_add(e, g, "'availability' must be a group { ... }");
		return -1;
	}
	cfg_check_keys(e, g, keys);
	fm_strlcpy(c->tz, "Asia/Shanghai", sizeof(c->tz));
	if (cfg_get_str(e, g, "timezone", c->tz, sizeof(c->tz), 0) == 1) {
		if (!tz_known(c->tz))
			cfgerr_add(e, config_setting_get_member(g, "timezone"),
			    "timezone '%s' is not in the zone database "
			    "(e.g. \"Asia/Shanghai\")", c->tz);
	}
	memset(site, 0, sizeof(site));
	get_texts(e, g, "site", site, sizeof(site[0]), 1);
	memcpy(c->site, site, sizeof(c->site));
	fm_strlcpy(c->lang, "zh", sizeof(c->lang));
	if (cfg_get_str(e, g, "language", c->lang, sizeof(c->lang), 0) ==
	    1 && strcmp(c->lang, "zh") != 0 && strcmp(c->lang, "en") != 0)
		cfgerr_add(e, config_setting_get_member(g, "language"),
		    "language '%s': \"zh\" or \"en\"", c->lang);
	if (cfg_get_str(e, g, "journal", c->journal, sizeof(c->journal),
	    0) != 1) {
		if (data_dir != NULL)
			snprintf(c->journal, sizeof(c->journal), "%s/outages.fmoj",
			    data_dir);
		else
			cfgerr_add(e, g, "availability: missing 'journal' "
			    "(or a collector group with data_dir)");
	}
	cfg_get_bool(e, g, "charge_blips", &c->charge_blips, 0);
	if ((s = config_setting_get_member(g, "targets")) != NULL &&
	    parse_targets(e, s, c) == -1 && e->n == nerr)
		cfgerr_add(e, s, "out of memory");
	if ((s = config_setting_get_member(g, "maintenance")) != NULL)
		mw_parse_list(e, s, c->tz, &c->rules, &c->nrules);
	if ((s = config_setting_get_member(g, "indicators")) != NULL &&
	    parse_indicators(e, s, c) == -1 && e->n == nerr)
		cfgerr_add(e, s, "out of memory");
	if ((s = config_setting_get_member(g, "names")) != NULL &&
	    parse_names(e, s, c) == -1)
		cfgerr_add(e, s, "out of memory");
	/* Who prepares and who reviews the report, for its sign-off. */
	if ((s = config_setting_get_member(g, "signoff")) != NULL) {
		if (!config_setting_is_group(s))
			cfgerr_add(e, s, "'signoff' must be a group "
			    "{ prepared = \"...\"; reviewed = \"...\"; }");
		else {
			cfg_check_keys(e, s, skeys);
			cfg_get_str(e, s, "prepared", c->prepared,
			    sizeof(c->prepared), 0);
			cfg_get_str(e, s, "reviewed", c->reviewed,
			    sizeof(c->reviewed), 0);
		}
	}
	return e->n > nerr ? -1 : 0;
}

/*
 * A file with an 'availability' group: facmon-report's own, or the
 * collector's, whose data_dir then places the journal.
 */
int
avconf_load(const char *path, struct avconf *c, struct cfgerr *e)
{
	config_t cfg;
	config_setting_t *g;
	const char *dd = NULL;
	int	 rc = -1;

	memset(c, 0, sizeof(*c));
	if (cfg_load(&cfg, path, e) == -1) {
		config_destroy(&cfg);
		return -1;
	}
	if ((g = config_lookup(&cfg, "availability")) == NULL)
		cfgerr_add(e, NULL, "no 'availability' group");
	else {
		(void)config_lookup_string(&cfg, "collector.data_dir", &dd);
		rc = avconf_parse(e, g, dd, c);
	}
	config_destroy(&cfg);
	return rc;
}
