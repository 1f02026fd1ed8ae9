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
 * SNMP notifications at the collector.  The agent forwards each one as a
 * result of type CT_TRAP (check "trap") of the device it came from; here
 * a rule, found by the notification's OID, says what it means:
 *
 *	down	the device is down from now, confirmed at once -- a gateway
 *		that reports an elevator fault needs no three probes to be
 *		believed -- until a notification with an "up" rule;
 *	up	it is back;
 *	warning	the device is degraded, not down: the wall shows it amber,
 *		in the rule's words, until a notification with a "clear"
 *		rule for it or the rule's hold time, whichever is first;
 *	clear	ends a warning (the rule's 'clears' names its OID);
 *	event	worth showing, changes no state.
 *
 * A rule may name an 'instance': the varbind (by OID prefix) whose value
 * says what the notification is about -- the ifIndex of linkDown -- so
 * that port 3 coming back clears port 3's warning and not port 5's.
 *
 * Warnings are held by warnings.c, in memory only: a trap is not
 * repeated, and after a restart the polled values say again what is
 * still wrong; the hold time bounds a warning whose clearing
 * notification was lost.
 *
 * Notifications with no rule, or from an address no device has, are
 * kept and shown all the same: an unknown trap is information, not
 * noise to drop.  The last TRAPS_KEEP are served at /api/v1/traps.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libconfig.h>

#include "ingest.h"
#include "../alert/alerting.h"

#define TRAPS_KEEP	500
#define TRAP_HOLD_MS	3600000		/* 'traps.hold' default */

struct trap_seen {
	int64_t		 ts_ms;
	char		 agent[FM_ID_MAX];
	char		 device[FM_ID_MAX];
	char		 source[48];
	char		 oid[128];
	char		 name[128];
	int		 action;
	int		 applied;	/* changed a device's state */
	char		 detail[512];	/* the varbinds, name=value; ... */
};

/*
 * The FACMON-FACILITY-MIB's, UPS-MIB's upsTrapOnBattery and the generic
 * traps.  "{}" in a warning's text is the instance.
 */
static const struct trap_rule builtin[] = {
	{ "1.3.6.1.4.1.32473.1.0.1", "电梯故障 elevator fault", TA_DOWN,
	    "", "", "", "", 0 },
	{ "1.3.6.1.4.1.32473.1.0.2", "电梯恢复运行 elevator back in service",
	    TA_UP, "", "", "", "", 0 },
	{ "1.3.6.1.4.1.32473.1.0.3", "空调告警 HVAC alarm", TA_WARNING,
	    "空调告警（通知）", "HVAC alarm (notification)", "", "", 0 },
	{ "1.3.6.1.4.1.32473.1.0.4", "LED 模块故障 LED module failure",
	    TA_WARNING, "LED 模块故障（通知）",
	    "LED module failure (notification)", "", "", 0 },
	{ "1.3.6.1.4.1.32473.1.0.5", "LED 信号丢失 LED signal lost",
	    TA_WARNING, "LED 信号丢失（通知）", "LED signal lost (notification)",
	    "", "", 0 },
	{ "1.3.6.1.2.1.33.2.0.1", "UPS 电池供电 upsTrapOnBattery", TA_WARNING,
	    "UPS 电池供电（通知）", "UPS on battery (notification)", "", "", 0 },
	{ "1.3.6.1.6.3.1.1.5.1", "coldStart", TA_EVENT, "", "", "", "", 0 },
	{ "1.3.6.1.6.3.1.1.5.2", "warmStart", TA_EVENT, "", "", "", "", 0 },
	{ "1.3.6.1.6.3.1.1.5.3", "linkDown", TA_WARNING, "端口 {} 断开（通知）",
	    "port {} down (notification)", "", "1.3.6.1.2.1.2.2.1.1", 0 },
	{ "1.3.6.1.6.3.1.1.5.4", "linkUp", TA_CLEAR, "", "",
	    "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1", 0 },
};

static struct {
	const struct trap_rule *rules;	/* the configured ones, or builtin */
	int		 nrules;
	struct trap_seen ring[TRAPS_KEEP];
	uint64_t	 n;		/* ever received */
	uint64_t	 unmapped, applied;
	int		 hold_ms;
} TR = { builtin, sizeof(builtin) / sizeof(builtin[0]), { { 0 } }, 0, 0,
	0, TRAP_HOLD_MS };

static const char *const action_names[] = { [TA_DOWN] = "down",
	[TA_UP] = "up", [TA_EVENT] = "event", [TA_WARNING] = "warning",
	[TA_CLEAR] = "clear" };

void
traps_reconf(const struct collector_conf *c)
{
	/* Warnings held stay: a reload does not make a UPS less on battery. */
	TR.hold_ms = c->trap_hold_ms > 0 ? c->trap_hold_ms : TRAP_HOLD_MS;
	if (c->ntrap_rules > 0) {
		TR.rules = c->trap_rules;
		TR.nrules = c->ntrap_rules;
	} else {
		TR.rules = builtin;
		TR.nrules = sizeof(builtin) / sizeof(builtin[0]);
	}
}

/*
 * traps: { hold = "1h"; rules = ( { oid = "..."; name = "...";
 * action = "down"; text = "..."; text_en = "..."; clears = "...";
 * instance = "..."; hold = "30m"; } ) }
 */
void
traps_conf_parse(struct cfgerr *e, const struct config_setting_t *s,
    struct collector_conf *c)
{
	static const char *const keys[] = { "rules", "hold", NULL };
	static const char *const rkeys[] = { "oid", "name", "action", "text",
		"text_en", "clears", "instance", "hold", NULL };
	config_setting_t *l, *r;
	int	 i, n;

	cfg_check_keys(e, s, keys);
	cfg_get_secs(e, s, "hold", &c->trap_hold_ms, 1000, 7 * 86400000, 0);
	if ((l = config_setting_get_member(s, "rules")) == NULL)
		return;
	if (!config_setting_is_list(l)) {
		cfgerr_add(e, l, "traps: 'rules' must be a list ( { ... } )");
		return;
	}
	n = config_setting_length(l);
	if ((c->trap_rules = calloc((size_t)(n ? n : 1),
	    sizeof(*c->trap_rules))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		struct trap_rule *t = &c->trap_rules[c->ntrap_rules];
		char	 act[16] = "event";
		size_t	 k;

		r = config_setting_get_elem(l, (unsigned)i);
		if (!config_setting_is_group(r)) {
			cfgerr_add(e, r, "traps: a rule is a group");
			continue;
		}
		cfg_check_keys(e, r, rkeys);
		if (cfg_get_str(e, r, "oid", t->oid, sizeof(t->oid), 1) == 1)
			for (k = 0; t->oid[k] != '\0'; k++)
				if ((t->oid[k] < '0' || t->oid[k] > '9') &&
				    t->oid[k] != '.') {
					cfgerr_add(e, r, "traps: oid '%s' must "
					    "be numeric", t->oid);
					break;
				}
		if (cfg_get_str(e, r, "name", t->name, sizeof(t->name), 0) != 1)
			fm_strlcpy(t->name, t->oid, sizeof(t->name));
		cfg_get_str(e, r, "action", act, sizeof(act), 0);
		if (strcmp(act, "down") == 0)
			t->action = TA_DOWN;
		else if (strcmp(act, "up") == 0)
			t->action = TA_UP;
		else if (strcmp(act, "event") == 0)
			t->action = TA_EVENT;
		else if (strcmp(act, "warning") == 0)
			t->action = TA_WARNING;
		else if (strcmp(act, "clear") == 0)
			t->action = TA_CLEAR;
		else
			cfgerr_add(e, r, "traps: action must be down, up, "
			    "warning, clear or event");
		cfg_get_str(e, r, "text", t->text, sizeof(t->text), 0);
		cfg_get_str(e, r, "text_en", t->text_en, sizeof(t->text_en), 0);
		cfg_get_str(e, r, "instance", t->instance, sizeof(t->instance),
		    0);
		cfg_get_secs(e, r, "hold", &t->hold_ms, 1000, 7 * 86400000, 0);
		if (cfg_get_str(e, r, "clears", t->clears, sizeof(t->clears),
		    t->action == TA_CLEAR) == 1 && t->action != TA_CLEAR)
			cfgerr_add(e, r, "traps: 'clears' is for action "
			    "\"clear\"");
		c->ntrap_rules++;
	}
}

static const struct trap_rule *
rule_for(const char *oid)
{
	int	 i;

	for (i = 0; i < TR.nrules; i++)
		if (strcmp(TR.rules[i].oid, oid) == 0)
			return &TR.rules[i];
	return NULL;
}

/* The value of the varbind under 'prefix' (an OID), as text; "" none. */
static void
instance_of(const struct fm_result *r, const char *prefix, char *dst,
    size_t len)
{
	size_t	 pl = strlen(prefix);
	uint16_t k;

	dst[0] = '\0';
	if (pl == 0)
		return;
	for (k = 0; k < r->nvalues; k++) {
		const struct fm_value *v = &r->values[k];

		if (strncmp(v->name, prefix, pl) != 0 ||
		    (v->name[pl] != '\0' && v->name[pl] != '.'))
			continue;
		if (v->kind == VK_TEXT)
			fm_text_sanitize(dst, len, v->text, strlen(v->text));
		else
			fm_fmt(dst, len, "%.0f", v->d);
		return;
	}
}

/* The rule's words with "{}" replaced by the instance. */
static void
words(char *dst, size_t len, const char *text, const char *inst)
{
	const char *p = strstr(text, "{}");

	if (p == NULL) {
		fm_strlcpy(dst, text, len);
		return;
	}
	fm_fmt(dst, len, "%.*s%s%s", (int)(p - text), text, inst, p + 2);
}

/*
 * A warning raised, or raised again: warnings.c holds it (the wall's
 * warnings are the alerting module's, below this one) and restarts its
 * hold time.
 */
static void
warn_raise(const struct trap_rule *rule, const char *device,
    const struct fm_result *r, int64_t now)
{
	char	 inst[64], zh[256], en[256];

	instance_of(r, rule->instance, inst, sizeof(inst));
	words(zh, sizeof(zh), rule->text[0] ? rule->text : rule->name, inst);
	words(en, sizeof(en), rule->text_en[0] ? rule->text_en : rule->name,
	    inst);
	warnings_trap_raise(device, rule->oid, inst, zh, en, r->ts_ms, now +
	    (rule->hold_ms > 0 ? rule->hold_ms : TR.hold_ms));
}

/* A clearing notification: 1 if it ended a warning. */
static int
warn_clear(const struct trap_rule *rule, const char *device,
    const struct fm_result *r)
{
	char	 inst[64];

	instance_of(r, rule->instance, inst, sizeof(inst));
	return warnings_trap_clear(device, rule->clears, inst);
}

void
traps_apply(const char *agent, const struct fm_result *r)
{
	struct trap_seen *t = &TR.ring[TR.n % TRAPS_KEEP];
	const struct trap_rule *rule;
	const struct device_state *d;
	const char *oid = "", *src = "";
	uint16_t k;
	size_t	 o = 0;

	memset(t, 0, sizeof(*t));
	for (k = 0; k < r->nvalues; k++) {
		const struct fm_value *v = &r->values[k];

		if (v->kind == VK_TEXT && strcmp(v->name, "trapOID") == 0)
			oid = v->text;
		else if (v->kind == VK_TEXT && strcmp(v->name, "source") == 0)
			src = v->text;
		else if (o + 8 < sizeof(t->detail)) {
			if (v->kind == VK_TEXT)
				o += (size_t)snprintf(t->detail + o,
				    sizeof(t->detail) - o, "%s%s=%s",
				    o ? "; " : "", v->name, v->text);
			else
				o += (size_t)snprintf(t->detail + o,
				    sizeof(t->detail) - o, "%s%s=%g",
				    o ? "; " : "", v->name, v->d);
		}
	}
	TR.n++;
	t->ts_ms = r->ts_ms;
	fm_strlcpy(t->agent, agent, sizeof(t->agent));
	fm_strlcpy(t->device, r->device, sizeof(t->device));
	fm_strlcpy(t->source, src, sizeof(t->source));
	fm_strlcpy(t->oid, oid, sizeof(t->oid));
	if ((rule = rule_for(oid)) == NULL) {
		TR.unmapped++;
		fm_strlcpy(t->name, oid, sizeof(t->name));
		t->action = TA_EVENT;
		log_info("trap %s from %s (%s): no rule, kept", oid, src,
		    r->device);
		return;
	}
	fm_strlcpy(t->name, rule->name, sizeof(t->name));
	t->action = rule->action;
	if ((rule->action == TA_DOWN || rule->action == TA_UP) &&
	    state_trap(agent, r->device, rule->action == TA_DOWN, r->ts_ms,
	    rule->name) == 0) {
		t->applied = 1;
		TR.applied++;
	}
	/*
	 * Only a device this agent has can be warned about: an address no
	 * device has must not paint a tile.
	 */
	if ((rule->action == TA_WARNING || rule->action == TA_CLEAR) &&
	    (d = state_find_device(r->device)) != NULL &&
	    strcmp(d->agent, agent) == 0) {
		if (rule->action == TA_WARNING) {
			warn_raise(rule, r->device, r, now_ms());
			t->applied = 1;
		} else
			t->applied = warn_clear(rule, r->device, r);
		TR.applied += (uint64_t)t->applied;
	}
	log_info("trap %s (%s) from %s: %s%s", rule->name, oid, r->device,
	    action_names[rule->action], t->applied ? "" : ", no state");
	/*
	 * Down and up alert through the outage; an event or a warning
	 * alerts itself.
	 */
	if (rule->action == TA_EVENT || rule->action == TA_WARNING)
		alerting_trap(r->device, rule->name, oid, t->detail,
		    r->ts_ms);
}

/* GET /api/v1/traps: newest first. */
json_t *
traps_json(void)
{
	json_t	*o = json_object(), *a = json_array();
	uint64_t i, n = TR.n < TRAPS_KEEP ? TR.n : TRAPS_KEEP;

	for (i = 0; i < n; i++) {
		const struct trap_seen *t = &TR.ring[(TR.n - 1 - i) %
		    TRAPS_KEEP];

		json_array_append_new(a, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,"
		    "s:s,s:b,s:o}", "ts_ms", (json_int_t)t->ts_ms, "agent",
		    fm_jstr(t->agent), "device", fm_jstr(t->device),
		    "source", fm_jstr(t->source), "oid", fm_jstr(t->oid),
		    "name", fm_jstr(t->name), "action",
		    action_names[t->action], "applied", t->applied, "detail",
		    fm_jstr(t->detail)));
	}
	json_object_set_new(o, "received", json_integer((json_int_t)TR.n));
	json_object_set_new(o, "unmapped", json_integer((json_int_t)
	    TR.unmapped));
	json_object_set_new(o, "applied", json_integer((json_int_t)
	    TR.applied));
	json_object_set_new(o, "traps", a);
	return o;
}

/* Reload: the trap rules at once. */
const struct reload_ops traps_reload = {
	.module = "traps",
	.apply = traps_reconf,
};
