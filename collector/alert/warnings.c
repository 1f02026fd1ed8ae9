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
 * A device's warnings for the status wall: what is wrong while the
 * device still answers -- a UPS on battery, failed LED modules, access
 * points gone from their controller, a port that carried traffic and is
 * now down, a configured threshold breached now.  A warning is not an
 * outage: availability counts only down time, and nothing here changes
 * a device's state or alerts anyone (alerting.c keeps the thresholds'
 * own hit counts and hysteresis for the alerts).  Each warning is said
 * in words, Chinese and English, because the duty room reads the tile,
 * not the MIB.
 *
 * Everything is computed from the values state.c holds, on request: no
 * state of its own, so a finding clears the moment the value does.
 */

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alerting.h"
#include "alert.h"

#define LIST_MAX	6	/* AP or port numbers named in one warning */
#define TRAPWARN_MAX	1024	/* notifications' warnings held at once */

/* One warning a notification raised, until cleared or held out. */
struct trap_warn {
	int		 used;
	char		 device[FM_ID_MAX];
	char		 oid[128];		/* the warning rule's */
	char		 instance[64];
	char		 text[256];
	char		 text_en[256];
	int64_t		 since_ms, until_ms;
};

static struct trap_warn TW[TRAPWARN_MAX];


static void
add(json_t *a, const char *code, const char *check, const char *zh,
    const char *en)
{
	json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "code", code,
	    "check", check, "text", zh, "text_en", en));
}

/* The value named exactly 'name' in c, or NULL. */
static const struct value_state *
val(const struct check_state *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->nvalues; i++)
		if (strcmp(c->values[i].name, name) == 0)
			return &c->values[i];
	return NULL;
}

/* A gauge's number, or a text that is a plain number; NaN: none. */
static double
num(const struct value_state *v)
{
	char	*end;
	double	 d;

	if (v == NULL)
		return NAN;
	if (v->kind == VK_TEXT) {
		if (v->text == NULL || v->text[0] == '\0')
			return NAN;
		d = strtod(v->text, &end);
		return *end == '\0' ? d : NAN;
	}
	return v->d;
}

/* UPS-MIB (RFC 1628): upsOutputSource and upsBatteryStatus. */
static void
ups(json_t *a, const struct check_state *c)
{
	double	 src = num(val(c, "upsOutputSource"));
	double	 in = num(val(c, "upsInputVoltage"));
	double	 charge = num(val(c, "upsEstimatedChargeRemaining"));
	double	 bat = num(val(c, "upsBatteryStatus"));
	char	 zh[160], en[160], zx[80] = "", ex[80] = "";

	if (!isnan(in))
		fm_fmt(zx, sizeof(zx), "市电输入 %.0f V", in);
	if (!isnan(charge)) {
		size_t	 n = strlen(zx);

		fm_fmt(zx + n, sizeof(zx) - n, "%s电量 %.0f %%", n ? "，" : "",
		    charge);
	}
	if (!isnan(in))
		fm_fmt(ex, sizeof(ex), "input %.0f V", in);
	if (!isnan(charge)) {
		size_t	 n = strlen(ex);

		fm_fmt(ex + n, sizeof(ex) - n, "%scharge %.0f %%", n ? ", " : "",
		    charge);
	}
	if (src == 5) {
		fm_fmt(zh, sizeof(zh), "UPS 电池供电%s%s%s", zx[0] ? "（" : "",
		    zx, zx[0] ? "）" : "");
		fm_fmt(en, sizeof(en), "UPS on battery%s%s%s", ex[0] ? " (" : "",
		    ex, ex[0] ? ")" : "");
		add(a, "ups_on_battery", c->id, zh, en);
	} else if (src == 4)
		add(a, "ups_bypass", c->id, "UPS 旁路供电（无保护）",
		    "UPS on bypass (unprotected)");
	if (bat == 3)
		add(a, "ups_battery_low", c->id, "UPS 电池电量低",
		    "UPS battery low");
	else if (bat == 4)
		add(a, "ups_battery_depleted", c->id, "UPS 电池耗尽",
		    "UPS battery depleted");
}

/*
 * A table's rows whose value 'prefix'.N matches bad(): counted, and the
 * first LIST_MAX indexes named.  'used' (may be NULL) is a second column
 * whose raw counter must be above zero for the row to count: a port
 * that never carried traffic is an unused port, not a fault.
 */
static int
rows(const struct check_state *c, const char *prefix, double good,
    const char *used, const char *used2, char *list, size_t len)
{
	size_t	 pl = strlen(prefix), o = 0;
	int	 i, n = 0;
	char	 name[FM_VNAME_MAX];

	list[0] = '\0';
	for (i = 0; i < c->nvalues; i++) {
		const struct value_state *v = &c->values[i], *u, *u2;
		const char *idx;
		double	 x;

		if (strncmp(v->name, prefix, pl) != 0 || v->name[pl] != '.')
			continue;
		idx = v->name + pl + 1;
		if (isnan(x = num(v)) || x == good)
			continue;
		if (used != NULL) {
			fm_fmt(name, sizeof(name), "%s.%s", used, idx);
			u = val(c, name);
			fm_fmt(name, sizeof(name), "%s.%s", used2, idx);
			u2 = val(c, name);
			if ((u == NULL || u->u == 0) && (u2 == NULL || u2->u == 0))
				continue;
		}
		if (n < LIST_MAX && o + strlen(idx) + 3 < len)
			o += (size_t)snprintf(list + o, len - o, "%s%s",
			    n ? ", " : "", idx);
		else if (n == LIST_MAX && o + 4 < len)
			o += (size_t)snprintf(list + o, len - o, " …");
		n++;
	}
	return n;
}

/*
 * The rows of a template's table (agent/check_snmp.c) that are down:
 * "<label>.down" = 1 marks a row the template keeps (an admin-up port)
 * that is down, and "<label>.name" is its label as the device says it.
 * Ports (rows with an ifOperStatus) and other rows are counted apart.
 */
static int
rows_down(const struct check_state *c, int ports, char *list, size_t len)
{
	const struct value_state *nm;
	char	 name[FM_VNAME_MAX];
	size_t	 o = 0, pl;
	int	 i, n = 0;

	list[0] = '\0';
	for (i = 0; i < c->nvalues; i++) {
		const struct value_state *v = &c->values[i];
		const char *lab;

		pl = strlen(v->name);
		if (pl < 6 || strcmp(v->name + pl - 5, ".down") != 0 ||
		    num(v) != 1)
			continue;
		pl -= 5;
		fm_fmt(name, sizeof(name), "%.*s.ifOperStatus", (int)pl,
		    v->name);
		if ((val(c, name) != NULL) != ports)
			continue;
		fm_fmt(name, sizeof(name), "%.*s.name", (int)pl, v->name);
		nm = val(c, name);
		lab = nm != NULL && nm->kind == VK_TEXT && nm->text != NULL ?
		    nm->text : name;
		if (nm == NULL)
			name[pl] = '\0';
		if (n < LIST_MAX && o + strlen(lab) + 3 < len)
			o += (size_t)snprintf(list + o, len - o, "%s%s",
			    n ? ", " : "", lab);
		else if (n == LIST_MAX && o + 4 < len)
			o += (size_t)snprintf(list + o, len - o, " …");
		n++;
	}
	return n;
}

static void
tables(json_t *a, const struct check_state *c)
{
	char	 list[64], zh[160], en[160], rl[128];
	int	 n;

	if ((n = rows_down(c, 1, rl, sizeof(rl))) > 0) {
		fm_fmt(zh, sizeof(zh), "%d 个在用端口断开（%s）", n, rl);
		fm_fmt(en, sizeof(en), "%d port%s in use down (%s)", n,
		    n > 1 ? "s" : "", rl);
		add(a, "port_down", c->id, zh, en);
	}
	if ((n = rows_down(c, 0, rl, sizeof(rl))) > 0) {
		fm_fmt(zh, sizeof(zh), "%d 项状态异常（%s）", n, rl);
		fm_fmt(en, sizeof(en), "%d row%s not in order (%s)", n,
		    n > 1 ? "s" : "", rl);
		add(a, "row_down", c->id, zh, en);
	}

	if ((n = rows(c, "apOperState", 1, NULL, NULL, list,
	    sizeof(list))) > 0) {
		fm_fmt(zh, sizeof(zh), "%d 台 AP 离线（编号 %s）", n, list);
		fm_fmt(en, sizeof(en), "%d AP%s offline (%s)", n, n > 1 ? "s" : "",
		    list);
		add(a, "ap_offline", c->id, zh, en);
	}
	if ((n = rows(c, "ifOperStatus", 1, "ifHCInOctets", "ifInOctets",
	    list, sizeof(list))) > 0) {
		fm_fmt(zh, sizeof(zh), "%d 个在用端口断开（端口 %s）", n, list);
		fm_fmt(en, sizeof(en), "%d port%s in use down (%s)", n,
		    n > 1 ? "s" : "", list);
		add(a, "port_down", c->id, zh, en);
	}
}

/* The demo's facility MIB: LED walls and HVAC units. */
static void
facility(json_t *a, const struct check_state *c)
{
	double	 failed = num(val(c, "failedModules"));
	double	 sig = num(val(c, "signalPresent"));
	double	 filter = num(val(c, "filterAlarm"));
	char	 zh[120], en[120];

	if (!isnan(failed) && failed > 0) {
		fm_fmt(zh, sizeof(zh), "LED 模块故障 %.0f 块", failed);
		fm_fmt(en, sizeof(en), "%.0f LED module%s failed", failed,
		    failed > 1 ? "s" : "");
		add(a, "led_modules", c->id, zh, en);
	}
	if (sig == 0)
		add(a, "led_signal", c->id, "LED 无输入信号",
		    "LED input signal lost");
	if (filter == 1)
		add(a, "hvac_filter", c->id, "空调滤网告警",
		    "HVAC filter alarm");
}

/*
 * A Modbus check's alarms and faults, in the words of its register map:
 * the agent sends "alarm.NAME" and "fault.NAME" as text values holding
 * "中文|English" while the condition holds and "" while it does not
 * (agent/check_modbus.c).  Only a modbus check's values are read so,
 * because an SNMP walk may well name a column "alarm".
 */
static void
modbus(json_t *a, const struct check_state *c)
{
	char	 zh[FM_TEXT_MAX], en[FM_TEXT_MAX];
	const char *bar;
	int	 i;

	if (c->type != CT_MODBUS)
		return;
	for (i = 0; i < c->nvalues; i++) {
		const struct value_state *v = &c->values[i];
		int	 fault = strncmp(v->name, "fault.", 6) == 0;

		if ((!fault && strncmp(v->name, "alarm.", 6) != 0) ||
		    v->kind != VK_TEXT || v->text == NULL ||
		    v->text[0] == '\0')
			continue;
		if ((bar = strchr(v->text, '|')) == NULL) {
			fm_strlcpy(zh, v->text, sizeof(zh));
			fm_strlcpy(en, v->text, sizeof(en));
		} else {
			fm_fmt(zh, sizeof(zh), "%.*s", (int)(bar - v->text),
			    v->text);
			fm_strlcpy(en, bar + 1, sizeof(en));
		}
		add(a, fault ? "modbus_fault" : "modbus_alarm", c->id, zh, en);
	}
}

/*
 * The configured thresholds that are breached: not judged here again
 * but read from alerting.c's state, so a threshold is amber on the wall
 * exactly while its alert stands -- after 'hits' results past the limit
 * in a row, and until the value is back past the clear value.
 */
static void
thr_add(json_t *a, const struct check_state *c,
    const struct alert_threshold *t, const struct alert_thr_state *s,
    const char *vname, double x)
{
	char	 zh[FM_TEXT_MAX + 160], en[FM_TEXT_MAX + 160], lim[40];
	json_t	*o;

	/* The clear value is said only when it differs from the limit. */
	if (t->clear != t->limit)
		fm_fmt(lim, sizeof(lim), "%s %g，解除值 %g",
		    alert_op_name(t->op), t->limit, t->clear);
	else
		fm_fmt(lim, sizeof(lim), "%s %g", alert_op_name(t->op),
		    t->limit);
	fm_fmt(zh, sizeof(zh), "%s%s%s = %g（%s）", t->text,
	    t->text[0] ? "：" : "", vname, x, lim);
	if (t->clear != t->limit)
		fm_fmt(lim, sizeof(lim), "%s %g, clears at %g",
		    alert_op_name(t->op), t->limit, t->clear);
	fm_fmt(en, sizeof(en), "%s%s%s = %g (%s)", t->text,
	    t->text[0] ? ": " : "", vname, x, lim);
	add(a, "threshold", c->id, zh, en);
	o = json_array_get(a, json_array_size(a) - 1);
	json_object_set_new(o, "threshold", json_string(t->name));
	json_object_set_new(o, "since_ms", json_integer(s->since_ms));
	json_object_set_new(o, "hits", json_integer(t->hits));
}

static void
thresholds(json_t *a, const struct device_state *d,
    const struct check_state *c, const struct alert_conf *ac)
{
	const struct alert_thr_state *s;
	int	 i, j;

	for (i = 0; ac != NULL && i < ac->nthresholds; i++) {
		const struct alert_threshold *t = &ac->thresholds[i];

		if (!alert_match(&t->m, AK_THRESHOLD, AS_CRITICAL, d->id,
		    d->group, d->class, c->id))
			continue;
		if (strcmp(t->value, "duration_ms") == 0) {
			if ((s = alerting_thr_state(d->id, c->id, t->value,
			    i)) != NULL && s->active)
				thr_add(a, c, t, s, "duration_ms", c->dur_us /
				    1000.0);
			continue;
		}
		for (j = 0; j < c->nvalues; j++) {
			const struct value_state *v = &c->values[j];

			if (fnmatch(t->value, v->name, 0) != 0 ||
			    (s = alerting_thr_state(d->id, c->id, v->name,
			    i)) == NULL || !s->active)
				continue;
			thr_add(a, c, t, s, v->name, num(v));
		}
	}
}

static struct trap_warn *
tw_find(const char *device, const char *oid, const char *inst)
{
	int	 i;

	for (i = 0; i < TRAPWARN_MAX; i++)
		if (TW[i].used && strcmp(TW[i].device, device) == 0 &&
		    strcmp(TW[i].oid, oid) == 0 &&
		    strcmp(TW[i].instance, inst) == 0)
			return &TW[i];
	return NULL;
}

/*
 * traps.c: a notification's warning, raised or raised again (the hold
 * starts again, 'since' stays).  When the table is full the one that
 * would end first goes: a bounded table must lose something, and that
 * is the least news.
 */
void
warnings_trap_raise(const char *device, const char *oid, const char *inst,
    const char *text, const char *text_en, int64_t since, int64_t until)
{
	struct trap_warn *w;
	int64_t	 now = now_ms();
	int	 i, j;

	if ((w = tw_find(device, oid, inst)) == NULL) {
		for (i = 0; i < TRAPWARN_MAX; i++)
			if (!TW[i].used || TW[i].until_ms <= now)
				break;
		if (i == TRAPWARN_MAX) {
			for (i = 0, j = 1; j < TRAPWARN_MAX; j++)
				if (TW[j].until_ms < TW[i].until_ms)
					i = j;
			log_warnx("traps: %d warnings held, %s on %s dropped",
			    TRAPWARN_MAX, TW[i].oid, TW[i].device);
		}
		w = &TW[i];
		memset(w, 0, sizeof(*w));
		w->used = 1;
		fm_strlcpy(w->device, device, sizeof(w->device));
		fm_strlcpy(w->oid, oid, sizeof(w->oid));
		fm_strlcpy(w->instance, inst, sizeof(w->instance));
		w->since_ms = since;
	}
	fm_strlcpy(w->text, text, sizeof(w->text));
	fm_strlcpy(w->text_en, text_en, sizeof(w->text_en));
	w->until_ms = until;
}

/* traps.c: a clearing notification; 1 if it ended a warning. */
int
warnings_trap_clear(const char *device, const char *oid, const char *inst)
{
	struct trap_warn *w;

	if ((w = tw_find(device, oid, inst)) == NULL)
		return 0;
	w->used = 0;
	return 1;
}

/*
 * The device's warnings from notifications.  Expired ones are skipped
 * here and their slot reused by the next warning: no timer needed.
 */
static void
trap_warnings(json_t *a, const char *device, int64_t now)
{
	int	 i;

	for (i = 0; i < TRAPWARN_MAX; i++) {
		const struct trap_warn *w = &TW[i];

		if (!w->used || w->until_ms <= now ||
		    strcmp(w->device, device) != 0)
			continue;
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,"
		    "s:I,s:I}", "code", "trap", "check", "trap", "text",
		    fm_jstr(w->text), "text_en", fm_jstr(w->text_en),
		    "oid", w->oid, "instance", fm_jstr(w->instance),
		    "since_ms", (json_int_t)w->since_ms, "until_ms",
		    (json_int_t)w->until_ms));
	}
}

json_t *
warnings_json(const struct device_state *d, const struct alert_conf *ac)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < d->nchecks; i++) {
		const struct check_state *c = &d->checks[i];
		char	 zh[160], en[160];

		/* A check that is down is an outage, told as such. */
		if (!c->have_result || c->state != OS_UP)
			continue;
		ups(a, c);
		tables(a, c);
		facility(a, c);
		modbus(a, c);
		thresholds(a, d, c, ac);
		if (c->flapping) {
			fm_fmt(zh, sizeof(zh), "检查 %s 状态反复变化", c->id);
			fm_fmt(en, sizeof(en), "check %s is flapping", c->id);
			add(a, "flapping", c->id, zh, en);
		}
	}
	/* What notifications said and no clearing one has taken back. */
	trap_warnings(a, d->id, now_ms());
	return a;
}
