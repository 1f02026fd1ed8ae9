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
 * 'facmon-sim agent-config': the agent's devices for a scenario, so that
 * the demo's agent configuration always matches the simulated centre.
 * Facility objects are named through mibs/ (FACMON-FACILITY-MIB);
 * standard ones are numeric with a readable value name, since no IETF
 * MIB files are shipped.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define FM	"FACMON-FACILITY-MIB::"

static FILE	*out;
static const char *mapdir = "../modbus";	/* -M */

/* A libconfig string: quotes and backslashes escaped. */
static const char *
quote(const char *s)
{
	static char buf[2 * FM_TEXT_MAX];
	size_t	 n = 0;

	for (; *s != '\0' && n + 3 < sizeof(buf); s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static int	 nchecks;	/* of the device being written */

/* Before each check of a device: the list's start, or a separator. */
static void
check_sep(void)
{
	fprintf(out, nchecks++ == 0 ? "    checks = (\n" : ",\n");
}

/*
 * The template (etc/templates) of the devices the simulator answers
 * every object of: their entries are the address, the SNMP settings and
 * the template's name.  NULL: the checks are written out.
 */
static const char *
model_template(int model)
{
	switch (model) {
	case M_SWITCH:		return "switch-generic";
	case M_WLC:		return "facility-wlc";
	case M_UPS:		return "ups-rfc1628";
	case M_ELEVATOR:	return "facility-elevator";
	case M_HVAC:		return "facility-hvac";
	case M_LED:		return "facility-led";
	default:		return NULL;
	}
}

static int
model_interval(int model)
{
	switch (model) {
	case M_WLC:	return 30;
	case M_HVAC:	return 15;
	default:	return 10;
	}
}

static void
snmp_begin(const struct device *d, int interval)
{
	check_sep();
	fprintf(out, "      { id = \"snmp\"; type = \"snmp\"; interval = %d; "
	    "timeout = 2; retries = 1;\n        version = \"2c\"; "
	    "community = \"%s\";", interval, d->community);
	if (d->snmp_port != 161)
		fprintf(out, " port = %d;", d->snmp_port);
	fprintf(out, "\n");
}

static void
list(const char *what, const char *const *items)
{
	int	 i;

	fprintf(out, "        %s = (", what);
	for (i = 0; items[i] != NULL; i += 2)
		fprintf(out, "%s\n          { name = \"%s\"; oid = \"%s\"; }",
		    i ? "," : "", items[i], items[i + 1]);
	fprintf(out, " );\n");
}

/*
 * The map of a model that speaks Modbus (etc/modbus/), or NULL.  The
 * simulator's registers are laid out as the example maps say.
 */
static const char *
modbus_map(const struct device *d)
{
	switch (d->model) {
	case M_HVAC:
		return "crac-example.conf";
	case M_UPS:
		return "ups-example.conf";
	case M_METER:
		return "meter-example.conf";
	}
	return NULL;
}

/*
 * A Modbus check naming its map.  @include resolves against the
 * directory of the agent's main file, so mapdir is relative to that.
 */
static void
modbus_check(const struct device *d)
{
	fprintf(out, "      { id = \"modbus\"; type = \"modbus\"; interval = 10; "
	    "timeout = 2;");
	if (sim->modbus_port != 502)
		fprintf(out, " port = %d;", sim->modbus_port);
	fprintf(out, " unit = %d;\n        registers = (\n"
	    "@include \"%s/%s\"\n        ); }", d->mb_unit, mapdir,
	    modbus_map(d));
}

/* A condition on the check's values (see agent/expect.c). */
static void
expect(const char *value, const char *cond)
{
	fprintf(out, "        expect_values = ( { value = \"%s\"; %s } );\n", value,
	    cond);
}

static const struct device *
find_model(int m)
{
	int	 i;

	for (i = 0; i < sim->ndevs; i++)
		if (sim->devs[i].model == m && sim->devs[i].http_port)
			return &sim->devs[i];
	return NULL;
}

static void
device(const struct device *d)
{
	static const char *const sys[] = { "sysUpTime", "1.3.6.1.2.1.1.3.0",
	    NULL };
	static const char *const ifw[] = {
	    "ifOperStatus", "1.3.6.1.2.1.2.2.1.8",
	    "ifInOctets", "1.3.6.1.2.1.2.2.1.10",
	    "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6",
	    "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", NULL };
	static const char *const tgw[] = {
	    "termOnline", FM "facTermOnline",
	    "heartbeatAge", FM "facTermHeartbeatAge", NULL };
	static const char *const host[] = {
	    "hrSystemUptime", "1.3.6.1.2.1.25.1.1.0",
	    "hrSystemProcesses", "1.3.6.1.2.1.25.1.6.0", NULL };
	static const char *const cpu[] = {
	    "hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2", NULL };
	static const char *const sens[] = {
	    "entPhySensorValue", "1.3.6.1.2.1.99.1.1.1.4", NULL };
	const struct device *plat;
	const char *tpl;
	int	 i;

	/* Behind a Modbus gateway, the agent talks to the gateway. */
	fprintf(out, "  {\n    id = \"%s\";\n    name = \"%s\";\n"
	    "    class = \"%s\";\n    group = \"%s\";\n    address = \"%s\";\n",
	    d->id, quote(d->name), d->class, d->group, d->mb_gw_idx >= 0 ?
	    sim->devs[d->mb_gw_idx].addr : d->addr);
	if (d->parent[0] != '\0')
		fprintf(out, "    parent = \"%s\";\n", d->parent);
	nchecks = 0;
	/*
	 * Facility equipment that speaks Modbus is watched through it
	 * alone: its map's words are what the wall shows.
	 */
	if (d->mb_unit > 0 && modbus_map(d) != NULL) {
		check_sep();
		modbus_check(d);
		goto rest;
	}
	if ((tpl = model_template(d->model)) != NULL) {
		fprintf(out, "    template = \"%s\";\n    snmp = { version = "
		    "\"2c\"; community = \"%s\"; port = %d; retries = 1; };\n"
		    "    params = { interval = %d; timeout = 2; };\n", tpl,
		    d->community, d->snmp_port, model_interval(d->model));
		goto own;
	}
	switch (d->model) {
	case M_LINE:
		snmp_begin(d, 10);
		list("get", sys);
		list("walk", ifw);
		/* A line is its uplink: interface 1 must be up. */
		expect("ifOperStatus.1", "equals = 1;");
		fprintf(out, "      }");
		break;
	case M_TERMGW:
		snmp_begin(d, 30);
		list("get", sys);
		list("walk", tgw);
		fprintf(out, "      }");
		break;
	case M_TERMINAL:
		snmp_begin(d, 30);
		list("get", host);
		fprintf(out, "      }");
		break;
	case M_SERVER:
		snmp_begin(d, 10);
		list("get", host);
		list("walk", cpu);
		fprintf(out, "      }");
		break;
	case M_SENSOR:
		snmp_begin(d, 15);
		list("get", sys);
		list("walk", sens);
		fprintf(out, "      }");
		break;
	default:
		snmp_begin(d, 10);
		list("get", sys);
		fprintf(out, "      }");
		break;
	}
own:
	/* In service or not, as the elevator platform reports it. */
	if (d->model == M_ELEVATOR && (plat = find_model(M_PLATFORM)) != NULL) {
		check_sep();
		fprintf(out, "      { id = \"platform\"; type = "
		    "\"http\"; interval = 10; timeout = 2;\n"
		    "        url = \"http://%s:%d/api/elevators/%s\";\n"
		    "        expect_status = 200; json_field = "
		    "\"state\"; json_value = \"normal\"; }",
		    plat->addr, plat->http_port, d->id);
	}
	if (d->model == M_LED && d->http_port) {
		check_sep();
		fprintf(out, "      { id = \"signal\"; type = "
		    "\"http\"; interval = 10; timeout = 2;\n"
		    "        url = \"http://{address}:%d/api/status\";\n"
		    "        json_field = \"status\"; json_value = "
		    "\"ok\"; }", d->http_port);
	}
rest:
	if (d->http_port && d->model != M_LED && d->model != M_ELEVATOR) {
		check_sep();
		fprintf(out, "      { id = \"http\"; type = \"http\"; "
		    "interval = 10; timeout = 2;\n        url = "
		    "\"http://{address}:%d/api/health\"; expect_status = 200;\n"
		    "        json_field = \"status\"; json_value = \"ok\"; "
		    "max_latency = \"800ms\"; }", d->http_port);
	}
	for (i = 0; i < d->ntcp; i++) {
		check_sep();
		fprintf(out, "      { id = \"tcp-%d\"; type = \"tcp\"; "
		    "interval = 10; timeout = 2; port = %d; }",
		    d->tcp_ports[i], d->tcp_ports[i]);
	}
	if (nchecks > 0)
		fprintf(out, "\n    );\n");
	fprintf(out, "  }");
}

int
agentconf_main(int argc, char **argv)
{
	struct cfgerr e;
	const char *file = NULL;
	int	 ch, i;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:M:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'M':
			mapdir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (file == NULL || optind != argc)
		goto usage;
	cfgerr_init(&e, file);
	if (scen_load(sim, file, &e) == -1) {
		cfgerr_print(&e);
		cfgerr_free(&e);
		return 1;
	}
	cfgerr_free(&e);
	out = stdout;
	fprintf(out, "# Generated by 'facmon-sim agent-config -f %s':\n"
	    "# the agent's view of the simulated centre.  Do not edit; change "
	    "the\n# scenario and generate again.\n\ndevices = (\n", file);
	for (i = 0; i < sim->ndevs; i++) {
		if (i)
			fprintf(out, ",\n");
		device(&sim->devs[i]);
	}
	fprintf(out, "\n);\n");
	return fflush(out) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: facmon-sim agent-config [-M MAPDIR] -f "
	    "SCENARIO\n");
	return 2;
}
