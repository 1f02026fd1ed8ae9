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
 * The scenario file (libconfig), injected faults and the ground-truth
 * log.  Every start and end of a fault, every counter wrap and every
 * notification sent is a line of JSON in the log and in memory, so that
 * tests compare what facmon saw with what really happened.
 */

#include <arpa/inet.h>

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

static const char *const fault_names[FK_MAX] = {
	"silent", "slow", "snmp_error", "wrong_type", "garbage",
	"counter_wrap", "reboot", "flap", "elevator_fault", "led_modules",
	"led_signal", "hvac_alarm", "ap_offline", "http_error", "on_battery",
	"compressor_fault", "overload", "modbus_exception"
};

#define TRUTH_KEEP	20000	/* lines kept for 'ctl history' */

static char	*truth_lines[TRUTH_KEEP];
static uint64_t	 truth_seq[TRUTH_KEEP];

static struct fault **active;
static int	 nactive, capactive;

const char *
fault_name(int k)
{
	return k >= 0 && k < FK_MAX ? fault_names[k] : "?";
}

int
fault_parse(const char *s)
{
	int	 i;

	for (i = 0; i < FK_MAX; i++)
		if (strcmp(s, fault_names[i]) == 0)
			return i;
	return -1;
}

struct device *
dev_find(const char *id)
{
	int	 i;

	for (i = 0; i < sim->ndevs; i++)
		if (strcmp(sim->devs[i].id, id) == 0)
			return &sim->devs[i];
	return NULL;
}

/* --- ground truth ------------------------------------------------------- */

void
truth(const struct device *d, const char *fault, const char *event,
    int64_t arg, const char *fmt, ...)
{
	char	 detail[256], *line, *q;
	va_list	 ap;
	size_t	 slot;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	for (q = detail; *q; q++)	/* keep the JSON valid */
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = '\'';
	sim->seq++;
	r = asprintf(&line, "{\"seq\":%llu,\"t_ms\":%lld,\"device\":\"%s\","
	    "\"fault\":\"%s\",\"event\":\"%s\",\"arg\":%lld,"
	    "\"detail\":\"%s\"}", (unsigned long long)sim->seq,
	    (long long)now_ms(), d ? d->id : "", fault, event,
	    (long long)arg, detail);
	if (r == -1)
		return;
	if (sim->logf != NULL) {
		fprintf(sim->logf, "%s\n", line);
		fflush(sim->logf);
	}
	log_info("truth: %s", line);
	slot = sim->seq % TRUTH_KEEP;
	free(truth_lines[slot]);
	truth_lines[slot] = line;
	truth_seq[slot] = sim->seq;
}

int
truth_dump(int fd, int64_t since)
{
	uint64_t s, first = sim->seq > TRUTH_KEEP ? sim->seq - TRUTH_KEEP + 1 :
	    1;

	if (since >= 0 && (uint64_t)since + 1 > first)
		first = (uint64_t)since + 1;
	for (s = first; s <= sim->seq; s++) {
		size_t	 slot = s % TRUTH_KEEP;

		if (truth_seq[slot] != s || truth_lines[slot] == NULL)
			continue;
		if (dprintf(fd, "%s\n", truth_lines[slot]) < 0)
			return -1;
	}
	return 0;
}

/* --- faults ----------------------------------------------------------------- */

/* Why a fault cannot apply to a device, or NULL. */
static const char *
fault_unfit(const struct device *d, int kind)
{
	switch (kind) {
	case FK_COUNTER_WRAP:
	case FK_FLAP:
		return d->nif > 0 ? NULL : "the device has no interfaces";
	case FK_ELEV_FAULT:
		return d->model == M_ELEVATOR ? NULL : "not an elevator";
	case FK_LED_MODULES:
	case FK_LED_SIGNAL:
		return d->model == M_LED ? NULL : "not an LED wall";
	case FK_HVAC_ALARM:
		return d->model == M_HVAC ? NULL : "not an HVAC unit";
	case FK_AP_OFFLINE:
		return d->model == M_WLC ? NULL : "not a WLAN controller";
	case FK_ON_BATTERY:
		return d->model == M_UPS ? NULL : "not a UPS";
	case FK_COMPRESSOR:
		return d->model == M_HVAC ? NULL : "not an HVAC unit";
	case FK_OVERLOAD:
		return d->model == M_UPS || d->model == M_METER ? NULL :
		    "not a UPS or power meter";
	case FK_MB_EXCEPTION:
		return d->mb_unit > 0 ? NULL : "the device has no Modbus";
	case FK_HTTP_ERROR:
		return d->http_port ? NULL : "the device has no HTTP endpoint";
	}
	return NULL;
}

static int
is_silent_kind(int k)
{
	return k == FK_SILENT || k == FK_REBOOT;
}

static void
fault_end(struct fault *f, const char *by)
{
	struct device *d = f->dev;
	int	 i;

	d->fault[f->kind] = NULL;
	model_fault(f, 0);
	if (is_silent_kind(f->kind) && d->fault[FK_SILENT] == NULL &&
	    d->fault[FK_REBOOT] == NULL)
		tcp_set_enabled(d, 1);
	truth(d, fault_name(f->kind), "end", f->arg, "by %s", by);
	for (i = 0; i < nactive; i++)
		if (active[i] == f) {
			active[i] = active[--nactive];
			break;
		}
	free(f);
}

int
fault_inject(struct device *d, int kind, int64_t dur_ms, int64_t arg,
    int has_arg, const char *by, char *err, size_t errlen)
{
	struct fault *f;
	const char *why;
	int64_t	 now = now_ms();

	if ((why = fault_unfit(d, kind)) != NULL) {
		snprintf(err, errlen, "fault '%s' does not apply to '%s' "
		    "(model %s): %s", fault_name(kind), d->id,
		    model_name(d->model), why);
		return -1;
	}
	if (kind == FK_REBOOT && dur_ms == 0)
		dur_ms = 20000;		/* a reboot always ends */
	if (d->fault[kind] != NULL)
		fault_end(d->fault[kind], "replaced");
	if (nactive == capactive) {
		int	 ncap = capactive ? capactive * 2 : 64;
		struct fault **na = realloc(active, (size_t)ncap *
		    sizeof(*na));

		if (na == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		active = na;
		capactive = ncap;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->kind = kind;
	f->dev = d;
	f->arg = has_arg ? arg : 0;
	f->start_ms = now;
	f->end_ms = dur_ms > 0 ? now + dur_ms : 0;
	f->next_ms = now;
	f->by = by;
	active[nactive++] = f;
	d->fault[kind] = f;
	truth(d, fault_name(kind), "start", f->arg, "by %s, %s", by,
	    dur_ms > 0 ? "timed" : "until cleared");
	if (is_silent_kind(kind))
		tcp_set_enabled(d, 0);
	model_fault(f, 1);
	model_fault_step(f, now);
	/* A counter wrap is a moment, not a state. */
	if (kind == FK_COUNTER_WRAP)
		fault_end(f, by);
	return 0;
}

/* Ends the device's faults of one kind (-1: all); how many ended. */
int
fault_clear(struct device *d, int kind, const char *by)
{
	int	 k, n = 0;

	for (k = 0; k < FK_MAX; k++)
		if ((kind == -1 || kind == k) && d->fault[k] != NULL) {
			fault_end(d->fault[k], by);
			n++;
		}
	return n;
}

void
faults_tick(int64_t now)
{
	char	 err[256];
	int	 i;

	for (i = 0; i < nactive; i++) {
		struct fault *f = active[i];

		if (f->end_ms != 0 && now >= f->end_ms) {
			fault_end(f, "timer");
			i--;	/* the last one moved here */
			continue;
		}
		model_fault_step(f, now);
	}
	for (i = 0; i < sim->nsched; i++) {
		struct sched_fault *s = &sim->sched[i];
		struct device *d;

		if (now < s->next_ms)
			continue;
		s->next_ms = s->every_ms > 0 ? s->next_ms + s->every_ms :
		    INT64_MAX;
		if ((d = dev_find(s->dev)) != NULL &&
		    fault_inject(d, s->kind, s->dur_ms, s->arg, s->has_arg,
		    "scenario", err, sizeof(err)) == -1)
			log_warnx("%s:%d: %s", sim->file, s->line, err);
	}
}

/* --- the scenario file ---------------------------------------------------- */

static const char *const sim_keys[] = { "snmp_port", "http_port",
	"modbus_port",
	"community", "control", "truth_log", "trap_receiver", "seed", NULL };
static const char *const dev_keys[] = { "id", "name", "class", "group",
	"address", "model", "count", "port", "http", "tcp", "community",
	"interfaces", "rate", "speed", "counter32_start", "floors", "aps",
	"max_clients", "modules", "setpoint", "sensors", "parent", "modbus",
	"unit", "modbus_gateway", NULL };
static const char *const fault_keys[] = { "device", "kind", "at",
	"duration", "every", "arg", NULL };

/* A pattern for count > 1 holds exactly one %d, %Nd or %0Nd. */
static int
valid_pattern(const char *s)
{
	const char *p = strchr(s, '%');

	if (p == NULL)
		return 0;
	p++;
	if (*p == '0')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != 'd')
		return 0;
	return strchr(p, '%') == NULL;
}

static int
get_double(struct cfgerr *e, const config_setting_t *g, const char *key,
    double *dst, double min, double max)
{
	config_setting_t *s = config_setting_get_member(g, key);
	int	 t;
	double	 v;

	if (s == NULL)
		return 0;
	t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		cfgerr_add(e, s, "'%s' must be a number", key);
		return -1;
	}
	if (v < min || v > max) {
		cfgerr_add(e, s, "'%s' must be between %g and %g", key, min,
		    max);
		return -1;
	}
	*dst = v;
	return 1;
}

static int
get_bounded(struct cfgerr *e, const config_setting_t *g, const char *key,
    int *dst, long long min, long long max)
{
	long long v;
	int	 r;

	if ((r = cfg_get_int(e, g, key, &v, min, max, 0)) == 1)
		*dst = (int)v;
	return r;
}

static void
parse_device(struct cfgerr *e, config_setting_t *g, struct sim *s)
{
	struct device t;
	char	 idp[FM_ID_MAX], namep[FM_TEXT_MAX], model[32], addr[64];
	struct in_addr a;
	config_setting_t *x;
	long long v;
	int	 count = 1, i, j, http = 0, modbus = 0;
	double	 dv;

	memset(&t, 0, sizeof(t));
	t.cfg_line = (int)config_setting_source_line(g);
	t.parent_idx = -1;
	cfg_check_keys(e, g, dev_keys);
	if (cfg_get_str(e, g, "id", idp, sizeof(idp), 1) != 1)
		return;
	fm_strlcpy(namep, idp, sizeof(namep));
	cfg_get_str(e, g, "name", namep, sizeof(namep), 0);
	fm_strlcpy(t.class, "other", sizeof(t.class));
	cfg_get_str(e, g, "class", t.class, sizeof(t.class), 0);
	fm_strlcpy(t.group, "default", sizeof(t.group));
	cfg_get_str(e, g, "group", t.group, sizeof(t.group), 0);
	/* What it hangs off: silent with it (dev_silence). */
	cfg_get_str(e, g, "parent", t.parent, sizeof(t.parent), 0);
	t.model = model_for_class(t.class);
	if (cfg_get_str(e, g, "model", model, sizeof(model), 0) == 1 &&
	    (t.model = model_parse(model)) == -1)
		cfgerr_add(e, config_setting_get_member(g, "model"),
		    "unknown model '%s'", model);
	if (cfg_get_str(e, g, "address", addr, sizeof(addr), 1) == 1) {
		x = config_setting_get_member(g, "address");
		/* The simulator never listens outside loopback. */
		if (inet_pton(AF_INET, addr, &a) != 1) {
			cfgerr_add(e, x, "address '%s' is not an IPv4 "
			    "address", addr);
			a.s_addr = 0;
		} else if ((ntohl(a.s_addr) >> 24) != 127) {
			cfgerr_add(e, x, "address '%s' is not in "
			    "127.0.0.0/8", addr);
			a.s_addr = 0;
		}
	} else
		a.s_addr = 0;
	if (cfg_get_int(e, g, "count", &v, 1, 10000, 0) == 1)
		count = (int)v;
	if (count > 1) {
		if (!valid_pattern(idp)) {
			cfgerr_add(e, config_setting_get_member(g, "id"),
			    "with 'count', 'id' must hold one %%d");
			return;		/* the copies would all clash */
		}
		if (strchr(namep, '%') != NULL && !valid_pattern(namep))
			cfgerr_add(e, config_setting_get_member(g, "name"),
			    "'name' may hold one %%d and no other %%");
	} else if (strchr(idp, '%') != NULL)
		cfgerr_add(e, config_setting_get_member(g, "id"),
		    "'%%' in 'id' needs 'count'");
	t.snmp_port = s->snmp_port;
	get_bounded(e, g, "port", &t.snmp_port, 1, 65535);
	if (cfg_get_bool(e, g, "http", &http, 0) == 1 && http)
		t.http_port = s->http_port;
	if ((x = config_setting_get_member(g, "tcp")) != NULL) {
		if (!config_setting_is_array(x) && !config_setting_is_list(x))
			cfgerr_add(e, x, "'tcp' must be a list of ports");
		for (j = 0; j < config_setting_length(x); j++) {
			config_setting_t *p = config_setting_get_elem(x,
			    (unsigned)j);
			int	 port = config_setting_get_int(p);

			if (config_setting_type(p) != CONFIG_TYPE_INT ||
			    port < 1 || port > 65535 || t.ntcp >= 4) {
				cfgerr_add(e, p, "'tcp': at most 4 ports, "
				    "1 to 65535");
				break;
			}
			t.tcp_ports[t.ntcp++] = port;
		}
	}
	fm_strlcpy(t.community, s->community, sizeof(t.community));
	cfg_get_str(e, g, "community", t.community, sizeof(t.community), 0);
	/*
	 * Modbus TCP: on the device's own address, or behind a gateway
	 * device's listener by unit id (copies of a group get consecutive
	 * unit ids there).
	 */
	t.mb_gw_idx = -1;
	cfg_get_bool(e, g, "modbus", &modbus, 0);
	cfg_get_str(e, g, "modbus_gateway", t.mb_gateway,
	    sizeof(t.mb_gateway), 0);
	t.mb_unit = 1;
	get_bounded(e, g, "unit", &t.mb_unit, 1, 247);
	if (modbus && t.mb_gateway[0] != '\0')
		cfgerr_add(e, config_setting_get_member(g, "modbus_gateway"),
		    "'modbus = true' listens on the device's own address; "
		    "'modbus_gateway' puts it behind another: not both");
	t.modbus = modbus;
	if (!modbus && t.mb_gateway[0] == '\0')
		t.mb_unit = 0;
	t.nif = t.model == M_LINE ? 2 : t.model == M_SWITCH ? 24 :
	    t.model == M_WLC ? 1 : 0;
	get_bounded(e, g, "interfaces", &t.nif, 1, 512);
	t.rate = 1e6;
	get_double(e, g, "rate", &t.rate, 0, 1e10);
	t.speed = 1000000000ULL;
	if (get_double(e, g, "speed", &dv, 1e3, 4e11) == 1)
		t.speed = (uint64_t)dv;
	/* A number, not an integer: libconfig 1.5 reads 2^31 and up as 0. */
	if (get_double(e, g, "counter32_start", &dv, 0, 4294967295.0) == 1)
		t.c32_offset = (uint64_t)dv;
	t.nrows = t.model == M_ELEVATOR ? 8 : t.model == M_WLC ? 24 :
	    t.model == M_LED ? 96 : t.model == M_SENSOR ? 2 : 0;
	get_bounded(e, g, "floors", &t.nrows, 2, 200);
	get_bounded(e, g, "aps", &t.nrows, 1, 4000);
	get_bounded(e, g, "modules", &t.nrows, 1, 10000);
	get_bounded(e, g, "sensors", &t.nrows, 1, 64);
	t.max_clients = 40;
	get_bounded(e, g, "max_clients", &t.max_clients, 0, 1000);
	t.hvac_setpoint = 240;
	if (t.model == M_METER)
		t.nrows = 0;
	if (get_double(e, g, "setpoint", &dv, 10, 35) == 1)
		t.hvac_setpoint = (int)(dv * 10);
	if (a.s_addr == 0)
		return;
	for (i = 0; i < count; i++) {
		struct device *d;
		struct in_addr ai;

		if (s->ndevs % 64 == 0) {
			struct device *nd = realloc(s->devs,
			    ((size_t)s->ndevs + 64) * sizeof(*nd));

			if (nd == NULL)
				fatal("realloc");
			s->devs = nd;
		}
		d = &s->devs[s->ndevs];
		*d = t;
		d->idx = s->ndevs;
		if (count > 1) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			/* Checked by valid_pattern() above. */
			snprintf(d->id, sizeof(d->id), idp, i + 1);
			snprintf(d->name, sizeof(d->name), namep, i + 1);
#pragma GCC diagnostic pop
		} else {
			fm_strlcpy(d->id, idp, sizeof(d->id));
			fm_strlcpy(d->name, namep, sizeof(d->name));
		}
		if (!fm_valid_id(d->id)) {
			cfgerr_add(e, g, "invalid device id '%s'", d->id);
			return;
		}
		ai.s_addr = htonl(ntohl(a.s_addr) + (uint32_t)i);
		if ((ntohl(ai.s_addr) >> 24) != 127) {
			cfgerr_add(e, g, "'count' runs past 127.255.255.255");
			return;
		}
		d->in = ai;
		if (d->mb_gateway[0] != '\0')
			d->mb_unit = t.mb_unit + i;
		if (d->mb_unit > 247) {
			cfgerr_add(e, g, "'unit' runs past 247");
			return;
		}
		inet_ntop(AF_INET, &ai, d->addr, sizeof(d->addr));
		for (j = 0; j < s->ndevs; j++) {
			if (strcmp(s->devs[j].id, d->id) == 0) {
				cfgerr_add(e, g, "device '%s' defined twice "
				    "(first at line %d)", d->id,
				    s->devs[j].cfg_line);
				return;
			}
			if (s->devs[j].in.s_addr == d->in.s_addr &&
			    s->devs[j].snmp_port == d->snmp_port) {
				cfgerr_add(e, g, "device '%s': %s:%d is "
				    "already '%s'", d->id, d->addr,
				    d->snmp_port, s->devs[j].id);
				return;
			}
		}
		d->fd = -1;
		s->ndevs++;
	}
}

/*
 * Parents by index, once every device is in place (the array moves while
 * it grows).  An unknown parent or a loop is an error at the device.
 */
static void
link_parents(struct cfgerr *e, const char *file, struct sim *s)
{
	char	 msg[FM_ID_MAX * 2 + 64];
	int	 i, j, hops;

	for (i = 0; i < s->ndevs; i++) {
		struct device *d = &s->devs[i];

		if (d->parent[0] == '\0')
			continue;
		for (j = 0; j < s->ndevs; j++)
			if (strcmp(s->devs[j].id, d->parent) == 0)
				d->parent_idx = j;
		if (d->parent_idx < 0) {
			snprintf(msg, sizeof(msg), "device '%s': no parent "
			    "device '%s'", d->id, d->parent);
			cfgerr_push(e, file, (unsigned)d->cfg_line, msg);
		}
	}
	for (i = 0; i < s->ndevs; i++) {
		j = s->devs[i].parent_idx;
		for (hops = 0; j >= 0 && j != i && hops <= s->ndevs; hops++)
			j = s->devs[j].parent_idx;
		if (j == i) {
			snprintf(msg, sizeof(msg), "device '%s': its parents "
			    "lead back to it", s->devs[i].id);
			cfgerr_push(e, file, (unsigned)s->devs[i].cfg_line, msg);
			s->devs[i].parent_idx = -1;
		}
	}
}

/*
 * Modbus gateways by index: the gateway must listen itself, and two
 * units behind one listener must not share a unit id.
 */
static void
link_gateways(struct cfgerr *e, const char *file, struct sim *s)
{
	char	 msg[FM_ID_MAX * 3 + 96];
	int	 i, j;

	for (i = 0; i < s->ndevs; i++) {
		struct device *d = &s->devs[i];
		struct device *gw;

		if (d->mb_gateway[0] == '\0')
			continue;
		for (j = 0; j < s->ndevs; j++)
			if (strcmp(s->devs[j].id, d->mb_gateway) == 0)
				d->mb_gw_idx = j;
		if (d->mb_gw_idx < 0 || !s->devs[d->mb_gw_idx].modbus) {
			snprintf(msg, sizeof(msg), "device '%s': no Modbus "
			    "gateway '%s' (a device with modbus = true)",
			    d->id, d->mb_gateway);
			cfgerr_push(e, file, (unsigned)d->cfg_line, msg);
			d->mb_gw_idx = -1;
			continue;
		}
		gw = &s->devs[d->mb_gw_idx];
		for (j = 0; j < s->ndevs; j++) {
			const struct device *o = &s->devs[j];

			if (j == i || o->mb_unit != d->mb_unit ||
			    (j != d->mb_gw_idx && o->mb_gw_idx != d->mb_gw_idx))
				continue;
			if (j < i || j == d->mb_gw_idx) {
				snprintf(msg, sizeof(msg), "device '%s': unit "
				    "%d behind '%s' is already '%s'", d->id,
				    d->mb_unit, gw->id, o->id);
				cfgerr_push(e, file, (unsigned)d->cfg_line,
				    msg);
				break;
			}
		}
	}
}

static void
parse_fault(struct cfgerr *e, config_setting_t *g, struct sim *s)
{
	struct sched_fault f;
	char	 kind[32];
	struct device *d;
	const char *why;
	int	 ms;

	memset(&f, 0, sizeof(f));
	f.line = (int)config_setting_source_line(g);
	cfg_check_keys(e, g, fault_keys);
	if (cfg_get_str(e, g, "device", f.dev, sizeof(f.dev), 1) == 1 &&
	    (d = dev_find(f.dev)) == NULL) {
		cfgerr_add(e, config_setting_get_member(g, "device"),
		    "no device '%s'", f.dev);
		d = NULL;
	} else
		d = dev_find(f.dev);
	f.kind = -1;
	if (cfg_get_str(e, g, "kind", kind, sizeof(kind), 1) == 1 &&
	    (f.kind = fault_parse(kind)) == -1)
		cfgerr_add(e, config_setting_get_member(g, "kind"),
		    "unknown fault kind '%s'", kind);
	if (d != NULL && f.kind != -1 && (why = fault_unfit(d, f.kind)))
		cfgerr_add(e, config_setting_get_member(g, "kind"),
		    "fault '%s' does not apply to '%s': %s", kind, d->id, why);
	if (cfg_get_secs(e, g, "at", &ms, 0, INT_MAX, 1) == 1)
		f.at_ms = ms;
	if (cfg_get_secs(e, g, "duration", &ms, 0, INT_MAX, 0) == 1)
		f.dur_ms = ms;
	else if (f.kind != -1 && f.kind != FK_COUNTER_WRAP)
		cfgerr_add(e, g, "fault '%s' needs a 'duration'", kind);
	if (cfg_get_secs(e, g, "every", &ms, 1000, INT_MAX, 0) == 1) {
		f.every_ms = ms;
		if (f.every_ms <= f.dur_ms)
			cfgerr_add(e, config_setting_get_member(g, "every"),
			    "'every' must be longer than 'duration'");
	}
	{
		long long v;

		if (cfg_get_int(e, g, "arg", &v, 0, INT_MAX, 0) == 1) {
			f.arg = v;
			f.has_arg = 1;
		}
	}
	s->sched = reallocarray(s->sched, (size_t)s->nsched + 1,
	    sizeof(*s->sched));
	if (s->sched == NULL)
		fatal("realloc");
	s->sched[s->nsched++] = f;
}

int
scen_load(struct sim *s, const char *file, struct cfgerr *e)
{
	config_t cfg;
	config_setting_t *g, *l;
	char	 buf[256], *colon;
	long long v;
	int	 i, n;

	fm_strlcpy(s->file, file, sizeof(s->file));
	if (cfg_load(&cfg, file, e) == -1) {
		config_destroy(&cfg);
		return -1;
	}
	s->snmp_port = 161;
	s->http_port = 80;
	s->modbus_port = 502;
	fm_strlcpy(s->community, "public", sizeof(s->community));
	if ((g = config_lookup(&cfg, "sim")) != NULL) {
		cfg_check_keys(e, g, sim_keys);
		get_bounded(e, g, "snmp_port", &s->snmp_port, 1, 65535);
		get_bounded(e, g, "http_port", &s->http_port, 1, 65535);
		get_bounded(e, g, "modbus_port", &s->modbus_port, 1, 65535);
		cfg_get_str(e, g, "community", s->community,
		    sizeof(s->community), 0);
		cfg_get_str(e, g, "control", s->ctl_path, sizeof(s->ctl_path),
		    0);
		cfg_get_str(e, g, "truth_log", s->log_path,
		    sizeof(s->log_path), 0);
		if (cfg_get_str(e, g, "trap_receiver", buf, sizeof(buf),
		    0) == 1) {
			struct in_addr a;

			colon = strrchr(buf, ':');
			if (colon != NULL)
				*colon++ = '\0';
			if (colon == NULL || (n = atoi(colon)) < 1 ||
			    n > 65535 || inet_pton(AF_INET, buf, &a) != 1 ||
			    (ntohl(a.s_addr) >> 24) != 127)
				cfgerr_add(e, config_setting_get_member(g,
				    "trap_receiver"), "'trap_receiver' must "
				    "be a 127.x.y.z:port address");
			else {
				fm_strlcpy(s->trap_host, buf,
				    sizeof(s->trap_host));
				s->trap_port = n;
				s->trap_sa.sin_family = AF_INET;
				s->trap_sa.sin_addr = a;
				s->trap_sa.sin_port = htons((uint16_t)n);
			}
		}
		if (cfg_get_int(e, g, "seed", &v, 0, LLONG_MAX, 0) == 1)
			s->seed = (uint64_t)v;
	}
	for (i = 0; (g = config_setting_get_elem(config_root_setting(&cfg),
	    (unsigned)i)) != NULL; i++) {
		const char *name = config_setting_name(g);

		if (name && strcmp(name, "sim") && strcmp(name, "devices") &&
		    strcmp(name, "faults"))
			cfgerr_add(e, g, "unknown setting '%s'", name);
	}
	if ((l = config_lookup(&cfg, "devices")) == NULL ||
	    !config_setting_is_list(l) || config_setting_length(l) == 0)
		cfgerr_add(e, l, "'devices' must be a non-empty list");
	else
		for (i = 0; i < config_setting_length(l); i++) {
			g = config_setting_get_elem(l, (unsigned)i);
			if (!config_setting_is_group(g))
				cfgerr_add(e, g, "a device must be a group "
				    "{ ... }");
			else
				parse_device(e, g, s);
		}
	link_parents(e, file, s);
	link_gateways(e, file, s);
	if ((l = config_lookup(&cfg, "faults")) != NULL) {
		if (!config_setting_is_list(l))
			cfgerr_add(e, l, "'faults' must be a list");
		else
			for (i = 0; i < config_setting_length(l); i++) {
				g = config_setting_get_elem(l, (unsigned)i);
				if (!config_setting_is_group(g))
					cfgerr_add(e, g, "a fault must be a "
					    "group { ... }");
				else
					parse_fault(e, g, s);
			}
	}
	config_destroy(&cfg);
	return e->n > 0 ? -1 : 0;
}

/* Start the schedule: 'at' counts from now. */
void
scen_start(struct sim *s)
{
	int	 i;

	s->start_ms = now_ms();
	for (i = 0; i < s->nsched; i++)
		s->sched[i].next_ms = s->start_ms + s->sched[i].at_ms;
}
