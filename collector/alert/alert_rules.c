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
 * Who is told: the rules, duty rosters and thresholds of the "alerts"
 * group, and the pure decisions made from them -- which recipients an
 * alert goes to at a given time, when a threshold fires or clears, when
 * an unacknowledged outage escalates.  Nothing here does I/O or keeps
 * state of its own, so that the unit tests can drive every decision
 * with made-up clocks; collector/alerting.c applies them.
 */

#include <fnmatch.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"

static const char *const rule_keys[] = { "name", "devices", "groups",
	"classes", "checks", "kinds", "severity", "recipients", "escalate",
	"renotify", NULL };
static const char *const esc_keys[] = { "after", "to", NULL };
static const char *const roster_keys[] = { "name", "shifts", NULL };
static const char *const shift_keys[] = { "days", "from", "to",
	"recipients", NULL };
static const char *const thr_keys[] = { "name", "devices", "groups",
	"classes", "checks", "value", "op", "threshold", "clear", "hits",
	"severity", "text", "label", "label_en", "unit", "scale", NULL };

static const char *const op_names[] = { NULL, ">", "<", "==", "!=", ">=",
	"<=" };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

const char *
alert_op_name(int op)
{
	return op >= AOP_GT && op <= AOP_LE ? op_names[op] : "?";
}

int
alert_op_eval(int op, double v, double limit)
{
	if (isnan(v))
		return 0;
	switch (op) {
	case AOP_GT:
		return v > limit;
	case AOP_LT:
		return v < limit;
	case AOP_EQ:
		return v == limit;
	case AOP_NE:
		return v != limit;
	case AOP_GE:
		return v >= limit;
	case AOP_LE:
		return v <= limit;
	}
	return 0;
}

static int
severity_parse(const char *s)
{
	if (strcmp(s, "info") == 0)
		return AS_INFO;
	if (strcmp(s, "warning") == 0)
		return AS_WARNING;
	if (strcmp(s, "critical") == 0)
		return AS_CRITICAL;
	return -1;
}

/* --- configuration ------------------------------------------------------- */

/* An array of strings into a fixed table; 1 if present. */
static int
get_names(struct cfgerr *e, const config_setting_t *g, const char *key,
    char (*dst)[FM_ID_MAX], int max, int *n)
{
	config_setting_t *s = config_setting_get_member(g, key);
	int	 i, len;

	*n = 0;
	if (s == NULL)
		return 0;
	if (!config_setting_is_array(s)) {
		cfgerr_add(e, s, "'%s' must be an array [ \"...\", ... ]", key);
		return -1;
	}
	len = config_setting_length(s);
	if (len > max) {
		cfgerr_add(e, s, "'%s': at most %d entries", key, max);
		return -1;
	}
	for (i = 0; i < len; i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (v == NULL || v[0] == '\0' || strlen(v) >= FM_ID_MAX ||
		    strpbrk(v, "\r\n") != NULL) {
			cfgerr_add(e, s, "'%s': entry %d must be a non-empty "
			    "one-line string under %d bytes", key, i + 1,
			    FM_ID_MAX);
			return -1;
		}
		fm_strlcpy(dst[(*n)++], v, FM_ID_MAX);
	}
	return 1;
}

static void
get_match(struct cfgerr *e, const config_setting_t *g, struct alert_match *m,
    int with_kinds)
{
	char	 tmp[ALERT_PAT_MAX][FM_ID_MAX], sev[32];
	int	 n, i, k;

	get_names(e, g, "devices", m->devices, ALERT_PAT_MAX, &m->ndevices);
	get_names(e, g, "groups", m->groups, ALERT_PAT_MAX, &m->ngroups);
	get_names(e, g, "classes", m->classes, ALERT_PAT_MAX, &m->nclasses);
	get_names(e, g, "checks", m->checks, ALERT_PAT_MAX, &m->nchecks);
	if (with_kinds && get_names(e, g, "kinds", tmp, ALERT_PAT_MAX,
	    &n) == 1)
		for (i = 0; i < n; i++) {
			if ((k = alert_kind_parse(tmp[i])) == -1 ||
			    k == AK_TEST)
				cfgerr_add(e, config_setting_get_member(g,
				    "kinds"), "'kinds': unknown kind '%s' "
				    "(down recovery threshold event health)",
				    tmp[i]);
			else
				m->kinds |= 1u << k;
		}
	if (with_kinds && cfg_get_str(e, g, "severity", sev, sizeof(sev),
	    0) == 1) {
		if ((m->min_severity = severity_parse(sev)) == -1) {
			cfgerr_add(e, config_setting_get_member(g, "severity"),
			    "'severity': info, warning or critical");
			m->min_severity = 0;
		}
	}
}

static int
is_roster(const struct alert_conf *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->nrosters; i++)
		if (strcmp(c->rosters[i].name, name) == 0)
			return 1;
	return 0;
}

/* Every name must be a recipient (or, when allowed, a roster). */
static void
check_names(struct cfgerr *e, const config_setting_t *s,
    const struct alert_conf *c, char (*names)[FM_ID_MAX], int n,
    int rosters_ok)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (alert_recipient_find(c, names[i]) == NULL &&
		    !(rosters_ok && is_roster(c, names[i])))
			cfgerr_add(e, s, "unknown recipient%s '%s'",
			    rosters_ok ? " or roster" : "", names[i]);
}

/* "mon-fri", "sat,sun", "*", "mon,wed-fri" into weekday bits. */
static int
parse_days(const char *s, uint8_t *out)
{
	char	 buf[128], *p, *tok, *save = NULL;
	int	 a, b, i;

	*out = 0;
	if (strcmp(s, "*") == 0) {
		*out = 0x7f;
		return 0;
	}
	fm_strlcpy(buf, s, sizeof(buf));
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		char	*dash = strchr(tok, '-');

		while (*tok == ' ')
			tok++;
		if (dash != NULL)
			*dash = '\0';
		for (a = 0; a < 7 && strcasecmp(tok, day_names[a]) != 0; a++)
			;
		b = a;
		if (dash != NULL)
			for (b = 0; b < 7 && strcasecmp(dash + 1,
			    day_names[b]) != 0; b++)
				;
		if (a == 7 || b == 7)
			return -1;
		for (i = a;; i = (i + 1) % 7) {
			*out |= (uint8_t)(1u << i);
			if (i == b)
				break;
		}
	}
	return *out ? 0 : -1;
}

/* "08:30" into minutes after midnight; "24:00" is the end of the day. */
static int
parse_hhmm(const char *s, int *min)
{
	int	 h, m, n = 0;

	if (sscanf(s, "%d:%d%n", &h, &m, &n) != 2 || s[n] != '\0' || h < 0 ||
	    m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

static void
get_rosters(struct cfgerr *e, const config_setting_t *a, struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "rosters");
	int	 i, j, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'rosters' must be a list ( { ... } )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->rosters = calloc((size_t)n,
	    sizeof(*c->rosters))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_roster *r = &c->rosters[c->nrosters];
		config_setting_t *sh;
		int	 ns;

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "rosters: entries must be groups");
			continue;
		}
		cfg_check_keys(e, g, roster_keys);
		if (cfg_get_str(e, g, "name", r->name, sizeof(r->name),
		    1) != 1)
			continue;
		if (!fm_valid_id(r->name) || alert_recipient_find(c,
		    r->name) != NULL || is_roster(c, r->name)) {
			cfgerr_add(e, g, "roster name '%s' is invalid or "
			    "already a recipient or roster", r->name);
			continue;
		}
		if ((sh = config_setting_get_member(g, "shifts")) == NULL ||
		    !config_setting_is_list(sh) ||
		    (ns = config_setting_length(sh)) == 0) {
			cfgerr_add(e, sh ? sh : g, "roster '%s': 'shifts' "
			    "must be a non-empty list ( { days; from; to; "
			    "recipients; } )", r->name);
			continue;
		}
		if ((r->shifts = calloc((size_t)ns, sizeof(*r->shifts))) ==
		    NULL)
			continue;
		for (j = 0; j < ns; j++) {
			config_setting_t *x = config_setting_get_elem(sh,
			    (unsigned)j);
			struct alert_shift *f = &r->shifts[r->nshifts];
			char	 v[64];
			int	 bad = 0;

			if (!config_setting_is_group(x)) {
				cfgerr_add(e, x, "shifts: entries must be "
				    "groups");
				continue;
			}
			cfg_check_keys(e, x, shift_keys);
			if (cfg_get_str(e, x, "days", v, sizeof(v), 0) != 1)
				fm_strlcpy(v, "*", sizeof(v));
			if (parse_days(v, &f->days) == -1) {
				cfgerr_add(e, x, "'days': \"*\" or weekdays "
				    "like \"mon-fri\", \"sat,sun\" (got "
				    "'%s')", v);
				bad = 1;
			}
			f->from_min = 0;
			f->to_min = 24 * 60;
			if (cfg_get_str(e, x, "from", v, sizeof(v), 0) == 1 &&
			    parse_hhmm(v, &f->from_min) == -1) {
				cfgerr_add(e, config_setting_get_member(x,
				    "from"), "'from': HH:MM (got '%s')", v);
				bad = 1;
			}
			if (cfg_get_str(e, x, "to", v, sizeof(v), 0) == 1 &&
			    parse_hhmm(v, &f->to_min) == -1) {
				cfgerr_add(e, config_setting_get_member(x,
				    "to"), "'to': HH:MM (got '%s')", v);
				bad = 1;
			}
			if (get_names(e, x, "recipients", f->recipients,
			    ALERT_RCPT_MAX, &f->nrecipients) != 1) {
				cfgerr_add(e, x, "shift: 'recipients' [ ... ] "
				    "is required");
				bad = 1;
			} else
				check_names(e, config_setting_get_member(x,
				    "recipients"), c, f->recipients,
				    f->nrecipients, 0);
			if (!bad)
				r->nshifts++;
		}
		c->nrosters++;
	}
}

static void
get_rules(struct cfgerr *e, const config_setting_t *a, struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "rules");
	int	 i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'rules' must be a list ( { ... } )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->rules = calloc((size_t)n, sizeof(*c->rules))) ==
	    NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_rule *r = &c->rules[c->nrules];
		config_setting_t *x;

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "rules: entries must be groups");
			continue;
		}
		cfg_check_keys(e, g, rule_keys);
		if (cfg_get_str(e, g, "name", r->name, sizeof(r->name), 0) != 1)
			snprintf(r->name, sizeof(r->name), "rule%d", i + 1);
		get_match(e, g, &r->m, 1);
		if (get_names(e, g, "recipients", r->to, ALERT_RCPT_MAX,
		    &r->nto) != 1)
			cfgerr_add(e, g, "rule '%s': 'recipients' [ ... ] is "
			    "required (recipient or roster names)", r->name);
		else
			check_names(e, config_setting_get_member(g,
			    "recipients"), c, r->to, r->nto, 1);
		if ((x = config_setting_get_member(g, "escalate")) != NULL) {
			if (!config_setting_is_group(x)) {
				cfgerr_add(e, x, "'escalate' must be a group "
				    "{ after; to; }");
			} else {
				cfg_check_keys(e, x, esc_keys);
				cfg_get_secs(e, x, "after", &r->escalate_ms,
				    1000, 7 * 86400000, 1);
				if (get_names(e, x, "to", r->escalate_to,
				    ALERT_RCPT_MAX, &r->nescalate) != 1)
					cfgerr_add(e, x, "escalate: 'to' "
					    "[ ... ] is required");
				else
					check_names(e,
					    config_setting_get_member(x, "to"),
					    c, r->escalate_to, r->nescalate, 1);
			}
		}
		cfg_get_secs(e, g, "renotify", &r->renotify_ms, 1000,
		    7 * 86400000, 0);
		c->nrules++;
	}
}

static void
get_thresholds(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	config_setting_t *s = config_setting_get_member(a, "thresholds");
	int	 i, n, op;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'thresholds' must be a list ( { ... } )");
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (c->thresholds = calloc((size_t)n,
	    sizeof(*c->thresholds))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_threshold *t = &c->thresholds[c->nthresholds];
		config_setting_t *x;
		char	 v[32];
		long long hits;
		int	 bad = 0;

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "thresholds: entries must be groups");
			continue;
		}
		cfg_check_keys(e, g, thr_keys);
		if (cfg_get_str(e, g, "name", t->name, sizeof(t->name), 1) != 1 ||
		    !fm_valid_id(t->name)) {
			cfgerr_add(e, g, "threshold: 'name' must be an id "
			    "([A-Za-z0-9_.-])");
			bad = 1;
		}
		get_match(e, g, &t->m, 0);
		if (cfg_get_str(e, g, "value", t->value, sizeof(t->value),
		    1) != 1)
			bad = 1;
		op = 0;
		if (cfg_get_str(e, g, "op", v, sizeof(v), 1) == 1) {
			for (op = AOP_GT; op <= AOP_LE &&
			    strcmp(op_names[op], v) != 0; op++)
				;
			if (op > AOP_LE) {
				cfgerr_add(e, config_setting_get_member(g,
				    "op"), "'op': one of > < == != >= <= "
				    "(got '%s')", v);
				bad = 1;
			}
		} else
			bad = 1;
		t->op = op;
		if ((x = config_setting_get_member(g, "threshold")) == NULL ||
		    (config_setting_type(x) != CONFIG_TYPE_INT &&
		    config_setting_type(x) != CONFIG_TYPE_INT64 &&
		    config_setting_type(x) != CONFIG_TYPE_FLOAT)) {
			cfgerr_add(e, x ? x : g, "'threshold' (a number) is "
			    "required");
			bad = 1;
		} else if (config_setting_type(x) == CONFIG_TYPE_FLOAT)
			t->limit = config_setting_get_float(x);
		else
			t->limit = (double)config_setting_get_int64(x);
		t->clear = t->limit;
		if ((x = config_setting_get_member(g, "clear")) != NULL) {
			if (config_setting_type(x) == CONFIG_TYPE_FLOAT)
				t->clear = config_setting_get_float(x);
			else if (config_setting_type(x) == CONFIG_TYPE_INT ||
			    config_setting_type(x) == CONFIG_TYPE_INT64)
				t->clear = (double)config_setting_get_int64(x);
			else {
				cfgerr_add(e, x, "'clear' must be a number");
				bad = 1;
			}
			/* Hysteresis: the clear value lies on the good side. */
			if (((op == AOP_GT || op == AOP_GE) &&
			    t->clear > t->limit) || ((op == AOP_LT ||
			    op == AOP_LE) && t->clear < t->limit)) {
				cfgerr_add(e, x, "'clear' must lie on the good "
				    "side of 'threshold' (%s %g: clear %s %g)",
				    op_names[op], t->limit,
				    op == AOP_GT || op == AOP_GE ? "<=" : ">=",
				    t->limit);
				bad = 1;
			}
			if ((op == AOP_EQ || op == AOP_NE) &&
			    t->clear != t->limit) {
				cfgerr_add(e, x, "'clear' is only for < > <= >=");
				bad = 1;
			}
		}
		t->hits = 1;
		if (cfg_get_int(e, g, "hits", &hits, 1, 1000, 0) == 1)
			t->hits = (int)hits;
		t->severity = AS_WARNING;
		if (cfg_get_str(e, g, "severity", v, sizeof(v), 0) == 1 &&
		    (t->severity = severity_parse(v)) == -1) {
			cfgerr_add(e, config_setting_get_member(g, "severity"),
			    "'severity': info, warning or critical");
			bad = 1;
		}
		if (cfg_get_str(e, g, "text", t->text, sizeof(t->text),
		    0) == 1 && strpbrk(t->text, "\r\n") != NULL) {
			cfgerr_add(e, config_setting_get_member(g, "text"),
			    "'text' must be one line");
			bad = 1;
		}
		/* How people read the value: "回风温度 29.1℃", not "291". */
		cfg_get_str(e, g, "label", t->label, sizeof(t->label), 0);
		cfg_get_str(e, g, "label_en", t->label_en,
		    sizeof(t->label_en), 0);
		cfg_get_str(e, g, "unit", t->unit, sizeof(t->unit), 0);
		if ((x = config_setting_get_member(g, "scale")) != NULL) {
			if (config_setting_type(x) == CONFIG_TYPE_FLOAT)
				t->scale = config_setting_get_float(x);
			else if (config_setting_type(x) == CONFIG_TYPE_INT ||
			    config_setting_type(x) == CONFIG_TYPE_INT64)
				t->scale = (double)config_setting_get_int64(x);
			if (t->scale == 0) {
				cfgerr_add(e, x, "'scale' must be a number "
				    "other than 0");
				bad = 1;
			}
		}
		if (!bad)
			c->nthresholds++;
		else
			memset(t, 0, sizeof(*t));
	}
}

/* After recipients: rosters and rules name them. */
void
alert_rules_parse(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	char	 path[128];

	if (cfg_get_str(e, a, "timezone", c->tz, sizeof(c->tz), 0) == 1) {
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", c->tz);
		if (c->tz[0] == '/' || strstr(c->tz, "..") != NULL ||
		    access(path, R_OK) != 0)
			cfgerr_add(e, config_setting_get_member(a, "timezone"),
			    "'timezone': unknown zone '%s'", c->tz);
	}
	get_rosters(e, a, c);
	get_rules(e, a, c);
	get_thresholds(e, a, c);
}

/*
 * group_names = ( { groups = [ "hvac" ]; name = "暖通空调"; name_en = "HVAC"; } );
 * places = ( { devices = [ "elev-*" ]; location = "A座电梯机房"; } );
 * runbooks = ( { classes = [ "hvac" ]; text = "..."; text_en = "..."; } );
 * Each entry is a match (devices, groups, classes, checks, kinds) and
 * a text in both languages; the first entry that matches wins.
 */
static void
get_notes(struct cfgerr *e, const config_setting_t *a, const char *key,
    const char *tkey, struct alert_note **out, int *nout)
{
	const char *keys[] = { "devices", "groups", "classes", "checks",
		"kinds", NULL, NULL, NULL };
	config_setting_t *s = config_setting_get_member(a, key);
	char	 tkey_en[32];
	int	 i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		cfgerr_add(e, s, "'%s' must be a list ( { ... }, ... )", key);
		return;
	}
	snprintf(tkey_en, sizeof(tkey_en), "%s_en", tkey);
	keys[5] = tkey;
	keys[6] = tkey_en;
	n = config_setting_length(s);
	if ((*out = calloc((size_t)n + 1, sizeof(**out))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct alert_note *nt = &(*out)[*nout];

		if (!config_setting_is_group(g)) {
			cfgerr_add(e, g, "'%s': each entry is a group { ... }",
			    key);
			continue;
		}
		cfg_check_keys(e, g, keys);
		get_match(e, g, &nt->m, 1);
		cfg_get_str(e, g, tkey, nt->text, sizeof(nt->text), 1);
		cfg_get_str(e, g, tkey_en, nt->text_en, sizeof(nt->text_en),
		    0);
		(*nout)++;
	}
}

void
alert_notes_parse(struct cfgerr *e, const config_setting_t *a,
    struct alert_conf *c)
{
	get_notes(e, a, "group_names", "name", &c->group_names,
	    &c->ngroup_names);
	get_notes(e, a, "places", "location", &c->places, &c->nplaces);
	get_notes(e, a, "runbooks", "text", &c->runbooks, &c->nrunbooks);
}

void
alert_rules_free(struct alert_conf *c)
{
	int	 i;

	for (i = 0; i < c->nrosters; i++)
		free(c->rosters[i].shifts);
	free(c->rosters);
	free(c->rules);
	free(c->thresholds);
	free(c->group_names);
	free(c->places);
	free(c->runbooks);
	c->group_names = c->places = c->runbooks = NULL;
	c->ngroup_names = c->nplaces = c->nrunbooks = 0;
	c->rosters = NULL;
	c->rules = NULL;
	c->thresholds = NULL;
	c->nrosters = c->nrules = c->nthresholds = 0;
}

/* --- decisions ----------------------------------------------------------- */

static int
pats(char (*p)[FM_ID_MAX], int n, const char *s)
{
	int	 i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (fnmatch(p[i], s ? s : "", 0) == 0)
			return 1;
	return 0;
}

int
alert_match(const struct alert_match *m, int kind, int severity,
    const char *device, const char *group, const char *cls,
    const char *check)
{
	if (m->kinds != 0 && (kind < 0 || kind > 31 ||
	    (m->kinds & (1u << kind)) == 0))
		return 0;
	/* A recovery is as urgent as the outage it ends was. */
	if (severity < m->min_severity && kind != AK_RECOVERY)
		return 0;
	return pats((char (*)[FM_ID_MAX])m->devices, m->ndevices, device) &&
	    pats((char (*)[FM_ID_MAX])m->groups, m->ngroups, group) &&
	    pats((char (*)[FM_ID_MAX])m->classes, m->nclasses, cls) &&
	    pats((char (*)[FM_ID_MAX])m->checks, m->nchecks, check);
}

/*
 * Weekday and minute of the day in the rosters' zone.  localtime_r()
 * reads TZ, so the zone is switched around the call (on the event loop,
 * as maint.c does) and put back.
 */
static void
local_wday_min(const char *tz, int64_t ms, int *wday, int *min)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;
	char	*old = NULL;

	/*
	 * The process's zone already (the collector sets it at start): no
	 * switch, which the alert worker formatting a time would see.
	 */
	if (tz != NULL && getenv("TZ") != NULL && strcmp(getenv("TZ"),
	    tz) == 0)
		tz = NULL;
	if (tz != NULL && tz[0] != '\0') {
		if (getenv("TZ") != NULL)
			old = strdup(getenv("TZ"));
		setenv("TZ", tz, 1);
		tzset();
	}
	localtime_r(&t, &tm);
	if (tz != NULL && tz[0] != '\0') {
		if (old != NULL)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
		free(old);
	}
	*wday = tm.tm_wday;
	*min = tm.tm_hour * 60 + tm.tm_min;
}

/*
 * Is the shift on at this weekday and minute?  A shift whose 'to' is
 * not after its 'from' runs over midnight and belongs to the day it
 * starts: a Friday night shift still covers Saturday 02:00.
 */
static int
shift_on(const struct alert_shift *f, int wday, int min)
{
	int	 yday = (wday + 6) % 7;

	if (f->from_min < f->to_min)
		return (f->days & (1u << wday)) && min >= f->from_min &&
		    min < f->to_min;
	if (f->from_min == f->to_min)
		return (f->days & (1u << wday)) != 0;
	return ((f->days & (1u << wday)) && min >= f->from_min) ||
	    ((f->days & (1u << yday)) && min < f->to_min);
}

static int
add_name(char out[][FM_ID_MAX], int n, int max, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(out[i], name) == 0)
			return n;
	if (n < max)
		fm_strlcpy(out[n++], name, FM_ID_MAX);
	return n;
}

/* Recipient and roster names into the recipients on duty now. */
int
alert_expand_names(const struct alert_conf *c, char names[][FM_ID_MAX], int n,
    int64_t now, char out[][FM_ID_MAX], int max)
{
	int	 i, j, k, r, no = 0, wday = -1, min = 0;

	for (i = 0; i < n; i++) {
		for (r = 0; r < c->nrosters; r++)
			if (strcmp(c->rosters[r].name, names[i]) == 0)
				break;
		if (r == c->nrosters) {
			no = add_name(out, no, max, names[i]);
			continue;
		}
		if (wday == -1)
			local_wday_min(c->tz, now, &wday, &min);
		for (j = 0; j < c->rosters[r].nshifts; j++) {
			const struct alert_shift *f = &c->rosters[r].shifts[j];

			if (!shift_on(f, wday, min))
				continue;
			for (k = 0; k < f->nrecipients; k++)
				no = add_name(out, no, max, f->recipients[k]);
		}
	}
	return no;
}

/*
 * The recipients of an alert now: the union over every matching rule.
 * 0 with no rules, or when none matches: the caller then leaves the
 * list empty, which means everyone -- an alert nobody's rule expected
 * is still told to someone.  *esc is the first matching rule that
 * escalates or re-notifies.
 */
int
alert_route(const struct alert_conf *c, int kind, int severity,
    const char *device, const char *group, const char *cls, const char *check,
    int64_t now, char out[][FM_ID_MAX], int max, const struct alert_rule **esc)
{
	char	 tmp[ALERT_RCPT_MAX][FM_ID_MAX];
	int	 i, j, n = 0, nt, matched = 0;

	if (esc != NULL)
		*esc = NULL;
	for (i = 0; i < c->nrules; i++) {
		const struct alert_rule *r = &c->rules[i];

		if (!alert_match(&r->m, kind, severity, device, group, cls,
		    check))
			continue;
		matched = 1;
		if (esc != NULL && *esc == NULL && (r->escalate_ms > 0 ||
		    r->renotify_ms > 0))
			*esc = r;
		nt = alert_expand_names(c, (char (*)[FM_ID_MAX])r->to, r->nto,
		    now, tmp, ALERT_RCPT_MAX);
		for (j = 0; j < nt; j++)
			n = add_name(out, n, max, tmp[j]);
	}
	/* Matched, but no one on duty: everyone rather than no one. */
	return matched ? n : 0;
}

/* 1: fired now, -1: cleared now, 0: no change. */
int
alert_thr_step(const struct alert_threshold *t, struct alert_thr_state *s,
    double v, int64_t at)
{
	if (!s->active) {
		if (!alert_op_eval(t->op, v, t->limit)) {
			s->count = 0;
			return 0;
		}
		if (s->count++ == 0)
			s->since_ms = at;
		if (s->count < t->hits)
			return 0;
		s->active = 1;
		return 1;
	}
	/* Active: stays until the value is past the clear value. */
	if (isnan(v) || alert_op_eval(t->op, v, t->clear))
		return 0;
	s->active = 0;
	s->count = 0;
	return -1;
}

int
alert_esc_step(struct alert_esc *x, int64_t now, int acked, int over)
{
	if (acked || over)
		return ESC_DONE;
	if (x->escalate_at > 0 && now >= x->escalate_at) {
		x->escalate_at = 0;
		return ESC_ESCALATE;
	}
	if (x->renotify_every > 0 && now >= x->next_renotify) {
		x->next_renotify = now + x->renotify_every;
		x->renotified++;
		return ESC_RENOTIFY;
	}
	return ESC_NONE;
}
