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
 * Device models: the object table each kind of device exposes, how its
 * values move once a second, what a fault does to them, and the JSON
 * its HTTP endpoints serve.  Standard objects (MIB-II system, IF-MIB,
 * UPS-MIB, HOST-RESOURCES-MIB, ENTITY-SENSOR-MIB) are used by number;
 * the rest is FACMON-FACILITY-MIB (mibs/).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define FAC		"1.3.6.1.4.1.32473.1"
#define FAC_TRAP	FAC ".0."
#define IFVARS		6	/* per interface: in, out, inpkts, outpkts, */
#define IV_IN		0	/* oper status, last change */
#define IV_OUT		1
#define IV_INP		2
#define IV_OUTP		3
#define IV_OPER		4
#define IV_LAST		5

static const char *const model_names[M_MAX] = {
	"generic", "line", "switch", "wlan-controller", "ups", "elevator",
	"hvac", "led-wall", "terminal-gateway", "terminal", "server",
	"sensor", "platform", "power-meter"
};

static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static double
rnd(void)
{
	/* xorshift64*: reproducible from the scenario's seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ULL) >> 11) /
	    (double)(1ULL << 53);
}

const char *
model_name(int m)
{
	return m >= 0 && m < M_MAX ? model_names[m] : "?";
}

int
model_parse(const char *s)
{
	int	 i;

	for (i = 0; i < M_MAX; i++)
		if (strcmp(s, model_names[i]) == 0)
			return i;
	return -1;
}

/* The model a device of an agent class gets when none is named. */
int
model_for_class(const char *c)
{
	static const struct { const char *c; int m; } map[] = {
		{ "line", M_LINE }, { "router", M_LINE },
		{ "firewall", M_LINE }, { "switch", M_SWITCH },
		{ "wifi-controller", M_WLC }, { "ups", M_UPS },
		{ "elevator", M_ELEVATOR }, { "hvac", M_HVAC },
		{ "led-wall", M_LED }, { "gateway", M_TERMGW },
		{ "terminal", M_TERMINAL }, { "touch-screen", M_TERMINAL },
		{ "evaluation-terminal", M_TERMINAL }, { "pc", M_TERMINAL },
		{ "server", M_SERVER }, { "database", M_SERVER },
		{ "web-system", M_SERVER }, { "queue-system", M_SERVER },
		{ "sensor", M_SENSOR }, { "phone", M_PLATFORM },
		{ "meter", M_METER }, { "power-meter", M_METER },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].c, c) == 0)
			return map[i].m;
	return M_GENERIC;
}

/* --- building the object table ------------------------------------- */

static struct obj *
add(struct device *d, const char *oid, int inst, uint8_t type)
{
	struct obj *o;
	int	 n;

	if (d->nobj == d->capobj) {
		int	 ncap = d->capobj ? d->capobj * 2 : 64;
		struct obj *no = realloc(d->objs, (size_t)ncap * sizeof(*no));

		if (no == NULL)
			fatal("realloc");
		d->objs = no;
		d->capobj = ncap;
	}
	o = &d->objs[d->nobj++];
	memset(o, 0, sizeof(*o));
	if ((n = oid_parse(oid, o->oid, SIM_OID_MAX - 1)) == -1)
		fatalx("bad built-in oid %s", oid);
	o->baselen = (uint8_t)n;
	o->oid[n++] = (uint32_t)inst;
	o->len = (uint8_t)n;
	o->type = type;
	return o;
}

static void
add_int(struct device *d, const char *oid, int inst, uint8_t type,
    uint64_t v)
{
	add(d, oid, inst, type)->u = v;
}

static void
add_var(struct device *d, const char *oid, int inst, uint8_t type, int var)
{
	struct obj *o = add(d, oid, inst, type);

	o->src = VS_VAR;
	o->var = (uint16_t)var;
}

static void
add_src(struct device *d, const char *oid, int inst, uint8_t type, int src,
    int var)
{
	struct obj *o = add(d, oid, inst, type);

	o->src = (uint8_t)src;
	o->var = (uint16_t)var;
}

static void
add_str(struct device *d, const char *oid, int inst, const char *s,
    size_t len)
{
	struct obj *o = add(d, oid, inst, BER_STR);

	if ((o->str = malloc(len ? len : 1)) == NULL)
		fatal("malloc");
	memcpy(o->str, s, len);
	o->slen = (uint16_t)len;
}

static void
add_text(struct device *d, const char *oid, int inst, const char *s)
{
	add_str(d, oid, inst, s, strlen(s));
}

static int
obj_cmp(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;

	return oid_cmp(x->oid, x->len, y->oid, y->len);
}

static void
add_system(struct device *d)
{
	char	 buf[FM_TEXT_MAX + 64];
	struct obj *o;
	uint32_t *oid;

	snprintf(buf, sizeof(buf), "facmon-sim %s %s", model_name(d->model),
	    d->id);
	add_text(d, "1.3.6.1.2.1.1.1", 0, buf);
	/* sysObjectID: the OID value is kept as sub-identifiers in str. */
	o = add(d, "1.3.6.1.2.1.1.2", 0, BER_OID);
	if ((oid = calloc(12, sizeof(*oid))) == NULL)
		fatal("calloc");
	o->slen = (uint16_t)oid_parse(FAC ".3", oid, 12);
	oid[o->slen++] = (uint32_t)d->model + 1;
	o->str = (char *)oid;
	add_src(d, "1.3.6.1.2.1.1.3", 0, BER_TT, VS_UPTIME, 0);
	add_text(d, "1.3.6.1.2.1.1.4", 0, "it@example.invalid");
	add_text(d, "1.3.6.1.2.1.1.5", 0, d->id);
	add_text(d, "1.3.6.1.2.1.1.6", 0, d->name);
	add_int(d, "1.3.6.1.2.1.1.7", 0, BER_INT, 72);
}

static void
add_interfaces(struct device *d)
{
	char	 buf[64];
	uint8_t	 mac[6];
	int	 i, n = d->nif;

	add_int(d, "1.3.6.1.2.1.2.1", 0, BER_INT, (uint64_t)n);
	for (i = 0; i < n; i++) {
		int	 x = i + 1, v = i * IFVARS;

		if (d->model == M_LINE)
			snprintf(buf, sizeof(buf), "%s", i == 0 ? "wan" :
			    "lan");
		else
			snprintf(buf, sizeof(buf), "GigabitEthernet0/%d", x);
		add_int(d, "1.3.6.1.2.1.2.2.1.1", x, BER_INT, (uint64_t)x);
		add_text(d, "1.3.6.1.2.1.2.2.1.2", x, buf);
		add_int(d, "1.3.6.1.2.1.2.2.1.3", x, BER_INT, 6);
		add_int(d, "1.3.6.1.2.1.2.2.1.4", x, BER_INT, 1500);
		add_int(d, "1.3.6.1.2.1.2.2.1.5", x, BER_G32,
		    d->speed > UINT32_MAX ? UINT32_MAX : d->speed);
		mac[0] = 0x02;	/* locally administered */
		mac[1] = 0x00;
		mac[2] = (uint8_t)(d->idx >> 8);
		mac[3] = (uint8_t)d->idx;
		mac[4] = (uint8_t)(x >> 8);
		mac[5] = (uint8_t)x;
		add_str(d, "1.3.6.1.2.1.2.2.1.6", x, (char *)mac, 6);
		/*
		 * The last quarter of a switch's ports is unused: turned off
		 * by the administrator (ifAdminStatus down), as a site does,
		 * so that a template leaves them out.
		 */
		add_int(d, "1.3.6.1.2.1.2.2.1.7", x, BER_INT,
		    d->model == M_SWITCH && x > (n * 3 + 3) / 4 ? 2 : 1);
		add_var(d, "1.3.6.1.2.1.2.2.1.8", x, BER_INT, v + IV_OPER);
		add_var(d, "1.3.6.1.2.1.2.2.1.9", x, BER_TT, v + IV_LAST);
		add_src(d, "1.3.6.1.2.1.2.2.1.10", x, BER_C32, VS_CNT32,
		    v + IV_IN);
		add_var(d, "1.3.6.1.2.1.2.2.1.11", x, BER_C32, v + IV_INP);
		add_src(d, "1.3.6.1.2.1.2.2.1.16", x, BER_C32, VS_CNT32,
		    v + IV_OUT);
		add_var(d, "1.3.6.1.2.1.2.2.1.17", x, BER_C32, v + IV_OUTP);
		add_text(d, "1.3.6.1.2.1.31.1.1.1.1", x, buf);
		add_var(d, "1.3.6.1.2.1.31.1.1.1.6", x, BER_C64, v + IV_IN);
		add_var(d, "1.3.6.1.2.1.31.1.1.1.10", x, BER_C64, v + IV_OUT);
		add_int(d, "1.3.6.1.2.1.31.1.1.1.15", x, BER_G32,
		    d->speed / 1000000);
		add_text(d, "1.3.6.1.2.1.31.1.1.1.18", x,
		    d->model == M_LINE && i == 0 ? d->name : "");
		d->var[v + IV_OPER] = d->model == M_SWITCH &&
		    x > (n * 3 + 3) / 4 ? 2 : 1;	/* unused ports */
		/* 32-bit counters start where the scenario says. */
		d->var[v + IV_IN] = 0;
	}
}

#define FACROW(tbl, col)	FAC ".1." #tbl ".1." #col

int
model_build(struct device *d)
{
	char	 buf[FM_TEXT_MAX + 16];
	int	 i, nv = 0, base;

	if (d->model != M_LINE && d->model != M_SWITCH && d->model != M_WLC)
		d->nif = 0;
	base = d->nif * IFVARS;
	switch (d->model) {
	case M_ELEVATOR:	nv = E_N; break;
	case M_HVAC:		nv = H_N; break;
	case M_LED:		nv = L_N; break;
	case M_UPS:		nv = U_N; break;
	case M_WLC:		nv = 2 * d->nrows; break;
	case M_TERMINAL:
	case M_SERVER:		nv = T_N; break;
	case M_SENSOR:		nv = d->nrows; break;
	case M_METER:		nv = P_N; break;
	default:		nv = 0; break;
	}
	d->nvar = base + nv;
	if ((d->var = calloc((size_t)d->nvar + 1, sizeof(*d->var))) == NULL)
		fatal("calloc");
	add_system(d);
	if (d->nif > 0)
		add_interfaces(d);
	switch (d->model) {
	case M_ELEVATOR:
		add_int(d, FACROW(1, 1), 1, BER_INT, 1);
		add_text(d, FACROW(1, 2), 1, d->name);
		add_var(d, FACROW(1, 3), 1, BER_INT, E_STATE);
		add_var(d, FACROW(1, 4), 1, BER_INT, E_FLOOR);
		add_var(d, FACROW(1, 5), 1, BER_INT, E_DIR);
		add_var(d, FACROW(1, 6), 1, BER_INT, E_DOOR);
		add_var(d, FACROW(1, 7), 1, BER_G32, E_CODE);
		add_var(d, FACROW(1, 8), 1, BER_C32, E_TRIPS);
		add_var(d, FACROW(1, 9), 1, BER_G32, E_HOURS);
		d->var[E_STATE] = 1;
		d->var[E_FLOOR] = 1;
		d->var[E_DIR] = 1;
		d->var[E_DOOR] = 1;
		d->var[E_HOURS] = 8000 + (uint64_t)(rnd() * 4000);
		d->elev_target = 1;
		break;
	case M_HVAC:
		add_int(d, FACROW(2, 1), 1, BER_INT, 1);
		add_text(d, FACROW(2, 2), 1, d->name);
		add_var(d, FACROW(2, 3), 1, BER_INT, H_POWER);
		add_var(d, FACROW(2, 4), 1, BER_INT, H_MODE);
		add_var(d, FACROW(2, 5), 1, BER_INT, H_SET);
		add_var(d, FACROW(2, 6), 1, BER_INT, H_SUP);
		add_var(d, FACROW(2, 7), 1, BER_INT, H_RET);
		add_var(d, FACROW(2, 8), 1, BER_G32, H_CODE);
		add_var(d, FACROW(2, 9), 1, BER_INT, H_FILTER);
		d->var[H_POWER] = 1;
		d->var[H_MODE] = 1;
		d->var[H_SET] = (uint64_t)d->hvac_setpoint;
		d->var[H_SUP] = 280;
		d->var[H_RET] = 290;
		d->var[H_FILTER] = 2;
		d->var[H_HUM] = 500;
		d->var[H_CHOURS] = 12000 + (uint64_t)(rnd() * 8000);
		d->var[H_COMP] = 1;
		break;
	case M_LED:
		add_int(d, FACROW(3, 1), 1, BER_INT, 1);
		add_text(d, FACROW(3, 2), 1, d->name);
		add_var(d, FACROW(3, 3), 1, BER_INT, L_POWER);
		add_var(d, FACROW(3, 4), 1, BER_INT, L_SIGNAL);
		add_var(d, FACROW(3, 5), 1, BER_G32, L_BRIGHT);
		add_var(d, FACROW(3, 6), 1, BER_INT, L_TEMP);
		add_var(d, FACROW(3, 7), 1, BER_G32, L_MODULES);
		add_var(d, FACROW(3, 8), 1, BER_G32, L_FAILED);
		add_var(d, FACROW(3, 9), 1, BER_G32, L_PIXELS);
		d->var[L_POWER] = 1;
		d->var[L_SIGNAL] = 1;
		d->var[L_BRIGHT] = 80;
		d->var[L_TEMP] = 350;
		d->var[L_MODULES] = (uint64_t)d->nrows;
		break;
	case M_UPS:
		add_text(d, "1.3.6.1.2.1.33.1.1.1", 0, "facmon-sim");
		add_text(d, "1.3.6.1.2.1.33.1.1.2", 0, "SIM-UPS 20kVA");
		add_text(d, "1.3.6.1.2.1.33.1.1.5", 0, d->name);
		add_var(d, "1.3.6.1.2.1.33.1.2.1", 0, BER_INT, U_STATUS);
		add_var(d, "1.3.6.1.2.1.33.1.2.2", 0, BER_INT, U_ONBATT);
		add_var(d, "1.3.6.1.2.1.33.1.2.3", 0, BER_INT, U_MINREM);
		add_var(d, "1.3.6.1.2.1.33.1.2.4", 0, BER_INT, U_CHARGE);
		add_var(d, "1.3.6.1.2.1.33.1.2.7", 0, BER_INT, U_BTEMP);
		add_var(d, "1.3.6.1.2.1.33.1.3.1", 0, BER_C32, U_LINEBADS);
		add_int(d, "1.3.6.1.2.1.33.1.3.2", 0, BER_INT, 1);
		add_int(d, "1.3.6.1.2.1.33.1.3.3.1.1", 1, BER_INT, 1);
		add_int(d, "1.3.6.1.2.1.33.1.3.3.1.2", 1, BER_INT, 500);
		add_var(d, "1.3.6.1.2.1.33.1.3.3.1.3", 1, BER_INT, U_INV);
		add_var(d, "1.3.6.1.2.1.33.1.4.1", 0, BER_INT, U_SOURCE);
		add_int(d, "1.3.6.1.2.1.33.1.4.3", 0, BER_INT, 1);
		add_int(d, "1.3.6.1.2.1.33.1.4.4.1.1", 1, BER_INT, 1);
		add_var(d, "1.3.6.1.2.1.33.1.4.4.1.2", 1, BER_INT, U_OUTV);
		add_var(d, "1.3.6.1.2.1.33.1.4.4.1.5", 1, BER_INT, U_LOAD);
		d->var[U_STATUS] = 2;
		d->var[U_MINREM] = 45;
		d->var[U_CHARGE] = 100;
		d->var[U_BTEMP] = 25;
		d->var[U_INV] = 220;
		d->var[U_SOURCE] = 3;
		d->var[U_OUTV] = 220;
		d->var[U_LOAD] = 35;
		d->var[U_KWH] = 50000 + (uint64_t)(rnd() * 50000);
		break;
	case M_METER:
		/* Modbus only (modbus.c); SNMP has the system group. */
		d->var[P_VOLT] = 2200;
		d->var[P_AMP] = 4000;
		d->var[P_PF] = 950;
		d->var[P_HZ] = 5000;
		d->var[P_WH] = 1000000 + (uint64_t)(rnd() * 1e8);
		d->var[P_RATED] = 63;
		break;
	case M_WLC:
		for (i = 0; i < d->nrows; i++) {
			uint8_t	 mac[6] = { 0x02, 0xa0, (uint8_t)(d->idx >> 8),
			    (uint8_t)d->idx, 0, (uint8_t)(i + 1) };

			snprintf(buf, sizeof(buf), "AP-%02d", i + 1);
			add_int(d, FACROW(5, 1), i + 1, BER_INT,
			    (uint64_t)i + 1);
			add_text(d, FACROW(5, 2), i + 1, buf);
			add_str(d, FACROW(5, 3), i + 1, (char *)mac, 6);
			add_var(d, FACROW(5, 4), i + 1, BER_INT, base + 2 * i);
			add_var(d, FACROW(5, 5), i + 1, BER_G32,
			    base + 2 * i + 1);
			d->var[base + 2 * i] = 1;
		}
		break;
	case M_TERMGW:
		/* One row for every terminal of the scenario. */
		for (i = 0; i < sim->ndevs; i++) {
			const struct device *t = &sim->devs[i];
			int	 row = d->nrows + 1;

			if (t->model != M_TERMINAL)
				continue;
			add_int(d, FACROW(4, 1), row, BER_INT, (uint64_t)row);
			add_text(d, FACROW(4, 2), row, t->name);
			add_int(d, FACROW(4, 3), row, BER_INT,
			    strcmp(t->class, "touch-screen") == 0 ? 1 :
			    strcmp(t->class, "evaluation-terminal") == 0 ?
			    2 : 3);
			add_src(d, FACROW(4, 4), row, BER_INT, VS_TERMONLINE, i);
			add_src(d, FACROW(4, 5), row, BER_STR, VS_HEARTBEAT, i);
			add_src(d, FACROW(4, 6), row, BER_G32, VS_HBAGE, i);
			d->nrows++;
		}
		break;
	case M_TERMINAL:
	case M_SERVER:
		add_src(d, "1.3.6.1.2.1.25.1.1", 0, BER_TT, VS_UPTIME, 0);
		add_var(d, "1.3.6.1.2.1.25.1.5", 0, BER_G32, T_USERS);
		add_var(d, "1.3.6.1.2.1.25.1.6", 0, BER_G32, T_PROCS);
		add_var(d, "1.3.6.1.2.1.25.3.3.1.2", 196608, BER_INT, T_CPU1);
		add_var(d, "1.3.6.1.2.1.25.3.3.1.2", 196609, BER_INT, T_CPU2);
		d->var[T_LASTHB] = (uint64_t)now_ms();
		d->var[T_PROCS] = d->model == M_SERVER ? 180 : 60;
		d->var[T_USERS] = 1;
		d->var[T_CPU1] = d->var[T_CPU2] = 10;
		break;
	case M_SENSOR:
		for (i = 0; i < d->nrows; i++) {
			add_int(d, "1.3.6.1.2.1.99.1.1.1.1", i + 1, BER_INT, 8);
			add_int(d, "1.3.6.1.2.1.99.1.1.1.2", i + 1, BER_INT, 9);
			add_int(d, "1.3.6.1.2.1.99.1.1.1.3", i + 1, BER_INT, 1);
			add_var(d, "1.3.6.1.2.1.99.1.1.1.4", i + 1, BER_INT, i);
			add_int(d, "1.3.6.1.2.1.99.1.1.1.5", i + 1, BER_INT, 1);
			add_text(d, "1.3.6.1.2.1.99.1.1.1.6", i + 1,
			    "degrees Celsius");
			d->var[i] = 230 + (uint64_t)(rnd() * 30);
		}
		break;
	}
	qsort(d->objs, (size_t)d->nobj, sizeof(*d->objs), obj_cmp);
	for (i = 1; i < d->nobj; i++)
		if (obj_cmp(&d->objs[i - 1], &d->objs[i]) == 0)
			fatalx("%s: duplicate object", d->id);
	d->boot_ms = now_ms();
	return 0;
}

/* --- reading --------------------------------------------------------- */

static int
is_prefix(const struct obj *o, const uint32_t *oid, int len)
{
	return o->baselen <= len && oid_cmp(o->oid, o->baselen, oid,
	    o->baselen) == 0;
}

/*
 * Exact match (next == 0) or the first object after oid (next == 1).
 * *instance tells a GET whether oid lies under an object type this
 * device has (noSuchInstance) or not (noSuchObject).
 */
const struct obj *
obj_find(const struct device *d, const uint32_t *oid, int len, int next,
    int *exact, int *instance)
{
	int	 lo = 0, hi = d->nobj, c;

	*exact = *instance = 0;
	while (lo < hi) {		/* first object >= oid */
		int	 mid = (lo + hi) / 2;

		if (oid_cmp(d->objs[mid].oid, d->objs[mid].len, oid, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	c = lo < d->nobj ? oid_cmp(d->objs[lo].oid, d->objs[lo].len, oid,
	    len) : 1;
	if (c == 0)
		*exact = 1;
	if (next) {
		if (c == 0)
			lo++;
		return lo < d->nobj ? &d->objs[lo] : NULL;
	}
	if (c == 0)
		return &d->objs[lo];
	if ((lo < d->nobj && is_prefix(&d->objs[lo], oid, len)) ||
	    (lo > 0 && is_prefix(&d->objs[lo - 1], oid, len)))
		*instance = 1;
	return NULL;
}

/*
 * What keeps a device from answering: its own silence or reboot, or that
 * of a device it hangs off (a floor switch behind a failed core switch
 * is cut off too, as on a real network).  NULL: it answers.
 */
const struct fault *
dev_silence(const struct device *d)
{
	int	 hops;

	for (hops = 0; d != NULL && hops < 64; hops++) {
		if (d->fault[FK_SILENT] != NULL)
			return d->fault[FK_SILENT];
		if (d->fault[FK_REBOOT] != NULL)
			return d->fault[FK_REBOOT];
		d = d->parent_idx >= 0 ? &sim->devs[d->parent_idx] : NULL;
	}
	return NULL;
}

int
term_online(const struct device *t)
{
	return dev_silence(t) == NULL;
}

uint64_t
obj_value(const struct device *d, const struct obj *o, int *type,
    const char **str, size_t *slen, uint8_t *tmp)
{
	const struct device *t;
	struct tm tm;
	time_t	 sec;
	int64_t	 now;

	*type = o->type;
	switch (o->src) {
	case VS_VAR:
		return d->var[o->var];
	case VS_CNT32:
		return (d->var[o->var] + d->c32_offset) & 0xffffffffu;
	case VS_UPTIME:
		return (uint64_t)((now_ms() - d->boot_ms) / 10);
	case VS_TERMONLINE:
		return term_online(&sim->devs[o->var]) ? 1 : 2;
	case VS_HBAGE:
		t = &sim->devs[o->var];
		now = now_ms();
		return (uint64_t)((now - (int64_t)t->var[T_LASTHB]) / 1000);
	case VS_HEARTBEAT:
		/* DateAndTime (SNMPv2-TC), UTC, with the offset octets. */
		t = &sim->devs[o->var];
		sec = (time_t)(t->var[T_LASTHB] / 1000);
		gmtime_r(&sec, &tm);
		tmp[0] = (uint8_t)((tm.tm_year + 1900) >> 8);
		tmp[1] = (uint8_t)(tm.tm_year + 1900);
		tmp[2] = (uint8_t)(tm.tm_mon + 1);
		tmp[3] = (uint8_t)tm.tm_mday;
		tmp[4] = (uint8_t)tm.tm_hour;
		tmp[5] = (uint8_t)tm.tm_min;
		tmp[6] = (uint8_t)tm.tm_sec;
		tmp[7] = (uint8_t)(t->var[T_LASTHB] % 1000 / 100);
		tmp[8] = '+';
		tmp[9] = 0;
		tmp[10] = 0;
		*str = (const char *)tmp;
		*slen = 11;
		return 0;
	default:
		*str = o->str;
		*slen = o->slen;
		return o->u;
	}
}

/* --- movement ---------------------------------------------------------- */

/* Share of the peak: APs are busy from 9:00 to 17:00, local time. */
static double
day_factor(int64_t now)
{
	time_t	 sec = (time_t)(now / 1000);
	struct tm tm;
	double	 h;

	localtime_r(&sec, &tm);
	h = tm.tm_hour + tm.tm_min / 60.0;
	if (h < 8.0 || h >= 18.0)
		return 0.03;
	if (h < 9.0)
		return 0.03 + 0.5 * (h - 8.0);
	if (h >= 17.0)
		return 0.53 - 0.5 * (h - 17.0);
	return 0.6 + 0.4 * sin(M_PI * (h - 9.0) / 8.0);
}

static void
counter_add(struct device *d, int var, double v, int ifx)
{
	uint64_t old = d->var[var], nv = old + (uint64_t)llround(v);
	uint32_t o32 = (uint32_t)(old + d->c32_offset);
	uint32_t n32 = (uint32_t)(nv + d->c32_offset);

	d->var[var] = nv;
	/* Wraps are ground truth: a poller must handle each one. */
	if (n32 < o32)
		truth(d, "counter_wrap", "wrap", ifx, "%s.%d wrapped",
		    (var % IFVARS) == IV_IN ? "ifInOctets" : "ifOutOctets",
		    ifx);
}

static int64_t
clampi(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void
approach(struct device *d, int var, int64_t target, double k)
{
	int64_t	 cur = (int64_t)d->var[var];
	double	 nv = cur + (target - cur) * k + (rnd() - 0.5) * 4.0;

	d->var[var] = (uint64_t)(int64_t)llround(nv);
}

static void
tick_elevator(struct device *d, double dt)
{
	if (d->var[E_STATE] != 1)
		return;
	if (d->elev_wait > 0) {
		d->elev_wait--;
		if (d->var[E_DOOR] == 2)
			d->var[E_DOOR] = 3;
		else if (d->var[E_DOOR] == 3 && d->elev_wait < 2)
			d->var[E_DOOR] = 4;
		return;
	}
	if (d->var[E_DOOR] != 1) {
		d->var[E_DOOR] = 1;
		return;
	}
	if ((int64_t)d->var[E_FLOOR] == d->elev_target) {
		if (d->var[E_DIR] != 1) {	/* arrived: open the door */
			d->var[E_DIR] = 1;
			d->var[E_DOOR] = 2;
			d->elev_wait = 5;
			return;
		}
		if (rnd() < 0.3) {
			d->elev_target = 1 + (int)(rnd() * d->nrows);
			if ((int64_t)d->var[E_FLOOR] != d->elev_target)
				d->var[E_TRIPS]++;
		}
		return;
	}
	d->var[E_DIR] = (int64_t)d->var[E_FLOOR] < d->elev_target ? 2 : 3;
	d->var[E_FLOOR] = (uint64_t)((int64_t)d->var[E_FLOOR] +
	    (d->var[E_DIR] == 2 ? 1 : -1));
	d->var[E_RUNS] += (uint64_t)llround(dt);
	if (d->var[E_RUNS] >= 3600) {
		d->var[E_RUNS] -= 3600;
		d->var[E_HOURS]++;
	}
}

void
model_tick(struct device *d, double dt, int64_t now)
{
	int	 i, base = d->nif * IFVARS;

	for (i = 0; i < d->nif; i++) {
		int	 v = i * IFVARS;
		double	 in, out;

		if (d->var[v + IV_OPER] != 1)
			continue;
		/* Busy in the day, with a slow swell and some noise. */
		in = d->rate * dt * (0.5 + day_factor(now)) *
		    (0.8 + 0.15 * sin((double)now / 37000.0 + i) +
		    0.1 * rnd());
		out = in * (0.3 + 0.1 * rnd());
		counter_add(d, v + IV_IN, in, i + 1);
		counter_add(d, v + IV_OUT, out, i + 1);
		d->var[v + IV_INP] += (uint64_t)(in / 800.0);
		d->var[v + IV_OUTP] += (uint64_t)(out / 600.0);
	}
	switch (d->model) {
	case M_ELEVATOR:
		tick_elevator(d, dt);
		break;
	case M_HVAC: {
		int64_t	 set = (int64_t)d->var[H_SET];
		int	 ok = d->var[H_CODE] == 0 && d->var[H_POWER] == 1 &&
		    d->var[H_COMP] == 1;

		/* Working units pull the air toward the setpoint. */
		approach(d, H_SUP, ok ? set - 40 : 300, 0.05 * dt);
		approach(d, H_RET, ok ? set + 15 : 305, 0.03 * dt);
		approach(d, H_HUM, ok ? 500 : 650, 0.02 * dt);
		break;
	}
	case M_LED:
		approach(d, L_TEMP, d->var[L_SIGNAL] == 1 ? 360 : 300,
		    0.02 * dt);
		if (rnd() < 0.002 * dt)
			d->var[L_PIXELS]++;
		break;
	case M_UPS:
		if (d->fault[FK_ON_BATTERY] != NULL) {
			d->var[U_ONBATT] += (uint64_t)llround(dt);
			if (d->var[U_CHARGE] > 5 && rnd() < 0.2 * dt)
				d->var[U_CHARGE]--;
		} else if (d->var[U_CHARGE] < 100 && rnd() < 0.1 * dt)
			d->var[U_CHARGE]++;
		d->var[U_MINREM] = d->var[U_CHARGE] * 45 / 100;
		d->var[U_STATUS] = d->var[U_CHARGE] < 20 ? 3 : 2;
		if (d->fault[FK_OVERLOAD] == NULL)
			d->var[U_LOAD] = (uint64_t)clampi(
			    (int64_t)d->var[U_LOAD] + (int64_t)(rnd() * 3) - 1,
			    25, 45);
		/* 20 kVA at 0.9: kWh from the load, kept in Wh. */
		d->var[U_KWH] += (uint64_t)llround(18.0 *
		    (double)d->var[U_LOAD] / 100.0 * dt / 3.6);
		break;
	case M_METER:
		if (d->fault[FK_OVERLOAD] == NULL)
			d->var[P_AMP] = (uint64_t)clampi(
			    (int64_t)d->var[P_AMP] + (int64_t)(rnd() * 201) -
			    100, 3000, 5000);
		d->var[P_VOLT] = (uint64_t)clampi((int64_t)d->var[P_VOLT] +
		    (int64_t)(rnd() * 5) - 2, 2150, 2250);
		/* Three phases at 380 V line to line. */
		d->var[P_WH] += (uint64_t)llround(sqrt(3.0) * 380.0 *
		    (double)d->var[P_AMP] / 100.0 *
		    (double)d->var[P_PF] / 1000.0 * dt / 3600.0);
		break;
	case M_WLC: {
		double	 f = day_factor(now);

		for (i = 0; i < d->nrows; i++) {
			int64_t	 cur = (int64_t)d->var[base + 2 * i + 1];
			int64_t	 target = d->var[base + 2 * i] == 1 ?
			    llround(d->max_clients * f *
			    (0.7 + 0.3 * ((i * 7) % 5) / 4.0)) : 0;
			int64_t	 step = 1 + (int64_t)(rnd() * 3);

			if (cur < target)
				cur = cur + step > target ? target : cur + step;
			else if (cur > target)
				cur = cur - step < target ? target : cur - step;
			d->var[base + 2 * i + 1] = (uint64_t)cur;
		}
		break;
	}
	case M_TERMINAL:
	case M_SERVER:
		/* A heartbeat every 30 s while the terminal is reachable. */
		if (term_online(d) && now - (int64_t)d->var[T_LASTHB] >= 30000)
			d->var[T_LASTHB] = (uint64_t)now;
		d->var[T_PROCS] = (uint64_t)clampi((int64_t)d->var[T_PROCS] +
		    (int64_t)(rnd() * 5) - 2, 40, 400);
		d->var[T_CPU1] = (uint64_t)clampi((int64_t)d->var[T_CPU1] +
		    (int64_t)(rnd() * 7) - 3, 1, 95);
		d->var[T_CPU2] = (uint64_t)clampi((int64_t)d->var[T_CPU2] +
		    (int64_t)(rnd() * 7) - 3, 1, 95);
		break;
	case M_SENSOR:
		for (i = 0; i < d->nrows; i++)
			approach(d, i, 240, 0.01 * dt);
		break;
	}
}

/* --- faults -------------------------------------------------------------- */

static void
trap1(struct device *d, const char *oid, const char *o1, const char *o2,
    const char *o3)
{
	const char *v[3] = { o1, o2, o3 };

	snmp_trap(d, oid, v, o3 ? 3 : o2 ? 2 : 1);
	truth(d, "trap", "sent", 0, "%s", oid);
}

/* Start (on = 1) or end (on = 0) of a fault's effect on the values. */
void
model_fault(struct fault *f, int on)
{
	struct device *d = f->dev;
	int	 i, base = d->nif * IFVARS;

	switch (f->kind) {
	case FK_COUNTER_WRAP:
		if (!on || d->nif == 0)
			break;
		/*
		 * Move the 32-bit view of interface 1's input counter to
		 * three seconds of the configured rate below 2^32; the
		 * 64-bit counters are not touched.
		 */
		d->c32_offset = (uint64_t)((1ULL << 32) -
		    (uint64_t)(3.0 * (d->rate > 100 ? d->rate : 100)) -
		    (d->var[IV_IN] & 0xffffffffu)) & 0xffffffffu;
		break;
	case FK_REBOOT:
		if (on)
			break;
		d->boot_ms = now_ms();
		d->c32_offset = 0;
		for (i = 0; i < base; i++)
			if (i % IFVARS != IV_OPER)
				d->var[i] = 0;
		if (d->model == M_ELEVATOR)
			d->var[E_TRIPS] = 0;
		truth(d, "reboot", "booted", 0, "counters and uptime from 0");
		break;
	case FK_FLAP:
		if (!on && d->nif > 0 && d->var[IV_OPER] != 1) {
			d->var[IV_OPER] = 1;
			d->var[IV_LAST] = (uint64_t)(now_ms() - d->boot_ms) / 10;
			truth(d, "flap", "up", 1, "ifOperStatus.1 up");
		}
		break;
	case FK_ELEV_FAULT:
		if (on) {
			d->var[E_STATE] = 2;
			d->var[E_CODE] = (uint64_t)(f->arg > 0 ? f->arg : 23);
			d->var[E_DIR] = 1;
			d->var[E_DOOR] = 1;
			trap1(d, FAC_TRAP "1", FACROW(1, 3) ".1",
			    FACROW(1, 7) ".1", FACROW(1, 4) ".1");
		} else {
			d->var[E_STATE] = 1;
			d->var[E_CODE] = 0;
			d->elev_target = (int)d->var[E_FLOOR];
			trap1(d, FAC_TRAP "2", FACROW(1, 3) ".1",
			    FACROW(1, 4) ".1", NULL);
		}
		break;
	case FK_LED_MODULES:
		if (!on)
			d->var[L_FAILED] = 0;	/* modules replaced */
		break;
	case FK_LED_SIGNAL:
		d->var[L_SIGNAL] = on ? 2 : 1;
		if (on)
			trap1(d, FAC_TRAP "5", FACROW(3, 4) ".1", NULL, NULL);
		break;
	case FK_HVAC_ALARM:
		d->var[H_CODE] = on ? (uint64_t)(f->arg > 0 ? f->arg : 301) : 0;
		d->var[H_FILTER] = on ? 1 : 2;
		if (on)
			trap1(d, FAC_TRAP "3", FACROW(2, 8) ".1",
			    FACROW(2, 9) ".1", NULL);
		break;
	case FK_AP_OFFLINE: {
		int	 ap = (int)(f->arg > 0 ? f->arg : 1) - 1;

		if (ap < d->nrows) {
			d->var[base + 2 * ap] = on ? 2 : 1;
			if (on)
				d->var[base + 2 * ap + 1] = 0;
		}
		break;
	}
	case FK_COMPRESSOR:
		/* The compressor stops: the air warms, the code says why. */
		d->var[H_COMP] = on ? 0 : 1;
		if (on) {
			d->var[H_CODE] = (uint64_t)(f->arg > 0 ? f->arg : 101);
			trap1(d, FAC_TRAP "3", FACROW(2, 8) ".1",
			    FACROW(2, 9) ".1", NULL);
		} else
			d->var[H_CODE] = d->fault[FK_HVAC_ALARM] != NULL ?
			    (uint64_t)(d->fault[FK_HVAC_ALARM]->arg > 0 ?
			    d->fault[FK_HVAC_ALARM]->arg : 301) : 0;
		break;
	case FK_OVERLOAD:
		/* Percent of the rating, default 115. */
		if (d->model == M_UPS)
			d->var[U_LOAD] = on ? (uint64_t)(f->arg > 100 ?
			    f->arg : 115) : 40;
		else
			d->var[P_AMP] = on ? d->var[P_RATED] * (uint64_t)
			    (f->arg > 100 ? f->arg : 115) : 4000;
		break;
	case FK_ON_BATTERY:
		d->var[U_SOURCE] = on ? 5 : 3;
		d->var[U_INV] = on ? 0 : 220;
		if (on) {
			d->var[U_ONBATT] = 0;
			d->var[U_LINEBADS]++;
			trap1(d, "1.3.6.1.2.1.33.2.0.1",
			    "1.3.6.1.2.1.33.1.2.3.0", "1.3.6.1.2.1.33.1.2.2.0",
			    NULL);
		} else
			d->var[U_ONBATT] = 0;
		break;
	}
}

/* Progressive faults: the next LED module, the next flap. */
void
model_fault_step(struct fault *f, int64_t now)
{
	struct device *d = f->dev;
	int64_t	 every = (f->arg > 0 ? f->arg : f->kind == FK_FLAP ? 5 : 10) *
	    1000;

	if (f->kind != FK_FLAP && f->kind != FK_LED_MODULES)
		return;
	if (now < f->next_ms)
		return;
	f->next_ms = now + every;
	f->steps++;
	if (f->kind == FK_FLAP && d->nif > 0) {
		d->var[IV_OPER] = d->var[IV_OPER] == 1 ? 2 : 1;
		d->var[IV_LAST] = (uint64_t)(now - d->boot_ms) / 10;
		truth(d, "flap", d->var[IV_OPER] == 1 ? "up" : "down", 1,
		    "ifOperStatus.1 %s", d->var[IV_OPER] == 1 ? "up" : "down");
	} else if (f->kind == FK_LED_MODULES &&
	    d->var[L_FAILED] < d->var[L_MODULES]) {
		d->var[L_FAILED]++;
		d->var[L_PIXELS] += 64 * 64;
		truth(d, "led_modules", "module_failed",
		    (int64_t)d->var[L_FAILED], "%llu of %llu modules failed",
		    (unsigned long long)d->var[L_FAILED],
		    (unsigned long long)d->var[L_MODULES]);
		trap1(d, FAC_TRAP "4", FACROW(3, 8) ".1", FACROW(3, 7) ".1",
		    NULL);
	}
}

/* --- JSON for the HTTP endpoints ----------------------------------------- */

static const char *
pick(const char *const *names, int n, uint64_t v)
{
	return v >= 1 && (int)v <= n ? names[v - 1] : "unknown";
}

/* The device's state as its HTTP interface reports it. */
size_t
model_json(const struct device *d, char *buf, size_t len)
{
	static const char *const est[] = { "normal", "fault", "maintenance",
	    "stopped" };
	static const char *const edir[] = { "stationary", "up", "down" };
	static const char *const edoor[] = { "closed", "opening", "open",
	    "closing" };
	int	 n;

	switch (d->model) {
	case M_ELEVATOR:
		n = snprintf(buf, len, "{\"id\":\"%s\",\"state\":\"%s\","
		    "\"floor\":%lld,\"direction\":\"%s\",\"door\":\"%s\","
		    "\"fault_code\":%llu,\"trips\":%llu}", d->id,
		    pick(est, 4, d->var[E_STATE]),
		    (long long)(int64_t)d->var[E_FLOOR],
		    pick(edir, 3, d->var[E_DIR]),
		    pick(edoor, 4, d->var[E_DOOR]),
		    (unsigned long long)d->var[E_CODE],
		    (unsigned long long)d->var[E_TRIPS]);
		break;
	case M_LED:
		n = snprintf(buf, len, "{\"id\":\"%s\",\"status\":\"%s\","
		    "\"signal\":%s,\"failed_modules\":%llu}", d->id,
		    d->var[L_SIGNAL] == 1 ? "ok" : "no-signal",
		    d->var[L_SIGNAL] == 1 ? "true" : "false",
		    (unsigned long long)d->var[L_FAILED]);
		break;
	default:
		n = snprintf(buf, len, "{\"id\":\"%s\",\"status\":\"ok\","
		    "\"uptime_s\":%lld}", d->id,
		    (long long)(now_ms() - d->boot_ms) / 1000);
		break;
	}
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

void
model_seed(uint64_t seed)
{
	rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}
