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

static void
snmp_begin(const struct device *d, int interval)
{
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
	static const char *const elev[] = { "sysUpTime", "1.3.6.1.2.1.1.3.0",
	    "operState", FM "facElevOperState.1",
	    "floor", FM "facElevFloor.1",
	    "faultCode", FM "facElevFaultCode.1",
	    "trips", FM "facElevTrips.1", NULL };
	static const char *const hvac[] = { "sysUpTime", "1.3.6.1.2.1.1.3.0",
	    "setpoint", FM "facHvacSetpoint.1",
	    "supplyTemp", FM "facHvacSupplyTemp.1",
	    "returnTemp", FM "facHvacReturnTemp.1",
	    "faultCode", FM "facHvacFaultCode.1",
	    "filterAlarm", FM "facHvacFilterAlarm.1", NULL };
	static const char *const led[] = { "sysUpTime", "1.3.6.1.2.1.1.3.0",
	    "signalPresent", FM "facLedSignalPresent.1",
	    "cabinetTemp", FM "facLedCabinetTemp.1",
	    "failedModules", FM "facLedFailedModules.1",
	    "failedPixels", FM "facLedFailedPixels.1", NULL };
	static const char *const ups[] = { "sysUpTime", "1.3.6.1.2.1.1.3.0",
	    "upsBatteryStatus", "1.3.6.1.2.1.33.1.2.1.0",
	    "upsSecondsOnBattery", "1.3.6.1.2.1.33.1.2.2.0",
	    "upsEstimatedChargeRemaining", "1.3.6.1.2.1.33.1.2.4.0",
	    "upsInputVoltage", "1.3.6.1.2.1.33.1.3.3.1.3.1",
	    "upsOutputSource", "1.3.6.1.2.1.33.1.4.1.0",
	    "upsOutputPercentLoad", "1.3.6.1.2.1.33.1.4.4.1.5.1", NULL };
	static const char *const wlc[] = {
	    "apOperState", FM "facApOperState",
	    "apClients", FM "facApClients", NULL };
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
	int	 i;

	/* Behind a Modbus gateway, the agent talks to the gateway. */
	fprintf(out, "  {\n    id = \"%s\";\n    name = \"%s\";\n"
	    "    class = \"%s\";\n    group = \"%s\";\n    address = \"%s\";\n",
	    d->id, quote(d->name), d->class, d->group, d->mb_gw_idx >= 0 ?
	    sim->devs[d->mb_gw_idx].addr : d->addr);
	if (d->parent[0] != '\0')
		fprintf(out, "    parent = \"%s\";\n", d->parent);
	fprintf(out, "    checks = (\n");
	/*
	 * Facility equipment that speaks Modbus is watched through it
	 * alone: its map's words are what the wall shows.
	 */
	if (d->mb_unit > 0 && modbus_map(d) != NULL) {
		modbus_check(d);
		goto rest;
	}
	switch (d->model) {
	case M_LINE:
	case M_SWITCH:
		snmp_begin(d, 10);
		list("get", sys);
		list("walk", ifw);
		/* A line is its uplink: interface 1 must be up. */
		if (d->model == M_LINE)
			expect("ifOperStatus.1", "equals = 1;");
		fprintf(out, "      }");
		break;
	case M_WLC:
		snmp_begin(d, 30);
		list("get", sys);
		list("walk", wlc);
		fprintf(out, "      }");
		break;
	case M_UPS:
		snmp_begin(d, 10);
		list("get", ups);
		fprintf(out, "      }");
		break;
	case M_ELEVATOR:
		snmp_begin(d, 10);
		list("get", elev);
		/* In service is normal(1); fault, maintenance, stopped are not. */
		expect("operState", "equals = 1;");
		fprintf(out, "      }");
		/* In service or not, as the elevator platform reports it. */
		if ((plat = find_model(M_PLATFORM)) != NULL)
			fprintf(out, ",\n      { id = \"platform\"; type = "
			    "\"http\"; interval = 10; timeout = 2;\n"
			    "        url = \"http://%s:%d/api/elevators/%s\";\n"
			    "        expect_status = 200; json_field = "
			    "\"state\"; json_value = \"normal\"; }",
			    plat->addr, plat->http_port, d->id);
		break;
	case M_HVAC:
		snmp_begin(d, 15);
		list("get", hvac);
		expect("faultCode", "equals = 0;");
		fprintf(out, "      }");
		break;
	case M_LED:
		snmp_begin(d, 10);
		list("get", led);
		/* No picture is a wall that does not work: TruthValue true(1). */
		expect("signalPresent", "equals = 1;");
		fprintf(out, "      }");
		if (d->http_port)
			fprintf(out, ",\n      { id = \"signal\"; type = "
			    "\"http\"; interval = 10; timeout = 2;\n"
			    "        url = \"http://{address}:%d/api/status\";\n"
			    "        json_field = \"status\"; json_value = "
			    "\"ok\"; }", d->http_port);
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
rest:
	if (d->http_port && d->model != M_LED && d->model != M_ELEVATOR)
		fprintf(out, ",\n      { id = \"http\"; type = \"http\"; "
		    "interval = 10; timeout = 2;\n        url = "
		    "\"http://{address}:%d/api/health\"; expect_status = 200;\n"
		    "        json_field = \"status\"; json_value = \"ok\"; "
		    "max_latency = \"800ms\"; }", d->http_port);
	for (i = 0; i < d->ntcp; i++)
		fprintf(out, ",\n      { id = \"tcp-%d\"; type = \"tcp\"; "
		    "interval = 10; timeout = 2; port = %d; }",
		    d->tcp_ports[i], d->tcp_ports[i]);
	fprintf(out, "\n    );\n  }");
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
