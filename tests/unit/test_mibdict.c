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

/* The built-in dictionary: names to OIDs, OIDs to objects, enum words. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/agent.h"

/* The agent's globals, which the agent library refers to. */
struct event_base *agent_base;
struct agent_conf *agent_conf;

static int
parse(const char *s, const char *want_oid, const char *want_name)
{
	unsigned long arcs[128];
	char	 name[FM_VNAME_MAX], got[512];
	size_t	 len, i, n = 0;

	if (mibdict_parse(s, arcs, 128, &len, name, sizeof(name)) == -1)
		return -1;
	for (i = 0; i < len; i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%lu",
		    i ? "." : "", arcs[i]);
	assert_string_equal(got, want_oid);
	assert_string_equal(name, want_name);
	return 0;
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(parse("IF-MIB::ifHCInOctets",
	    "1.3.6.1.2.1.31.1.1.1.6", "ifHCInOctets"), 0);
	assert_int_equal(parse("ifOperStatus", "1.3.6.1.2.1.2.2.1.8",
	    "ifOperStatus"), 0);
	assert_int_equal(parse("SNMPv2-MIB::sysUpTime.0", "1.3.6.1.2.1.1.3.0",
	    "sysUpTime.0"), 0);
	assert_int_equal(parse("HOST-RESOURCES-MIB::hrStorageUsed.31",
	    "1.3.6.1.2.1.25.2.3.1.6.31", "hrStorageUsed.31"), 0);
	assert_int_equal(parse("UPS-MIB::upsOutputSource.0",
	    "1.3.6.1.2.1.33.1.4.1.0", "upsOutputSource.0"), 0);
	assert_int_equal(parse("UCD-SNMP-MIB::ssCpuRawIdle.0",
	    "1.3.6.1.4.1.2021.11.53.0", "ssCpuRawIdle.0"), 0);
}

static void
test_not_names(void **state)
{
	unsigned long arcs[128];
	char	 name[FM_VNAME_MAX];
	size_t	 len;

	(void)state;
	/* Unknown, the wrong module, numbers, a bad index: not ours. */
	assert_int_equal(mibdict_parse("ifNoSuchThing", arcs, 128, &len, name,
	    sizeof(name)), -1);
	assert_int_equal(mibdict_parse("UPS-MIB::ifOperStatus", arcs, 128,
	    &len, name, sizeof(name)), -1);
	assert_int_equal(mibdict_parse("1.3.6.1.2.1.1.3.0", arcs, 128, &len,
	    name, sizeof(name)), -1);
	assert_int_equal(mibdict_parse("sysUpTime.x", arcs, 128, &len, name,
	    sizeof(name)), -1);
	assert_int_equal(mibdict_parse("sysUpTime.", arcs, 128, &len, name,
	    sizeof(name)), -1);
	assert_int_equal(mibdict_parse("::sysUpTime", arcs, 128, &len, name,
	    sizeof(name)), -1);
	/* More arcs than room. */
	assert_int_equal(mibdict_parse("sysUpTime.1.2.3", arcs, 10, &len,
	    name, sizeof(name)), -1);
}

static void
test_by_oid_and_enums(void **state)
{
	const unsigned long oper3[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 3 };
	const unsigned long other[] = { 1, 3, 6, 1, 4, 1, 99999, 1 };
	const struct mibobj *m;
	char	 w[32];

	(void)state;
	assert_non_null(m = mibdict_by_oid(oper3, 11));
	assert_string_equal(m->name, "ifOperStatus");
	assert_string_equal(mibdict_enum(m, 1, w, sizeof(w)), "up");
	assert_string_equal(mibdict_enum(m, 7, w, sizeof(w)),
	    "lowerLayerDown");
	assert_null(mibdict_enum(m, 8, w, sizeof(w)));
	assert_null(mibdict_by_oid(other, 8));
	assert_non_null(m = mibdict_find("UPS-MIB", "upsBatteryStatus"));
	assert_string_equal(mibdict_enum(m, 3, w, sizeof(w)), "batteryLow");
	assert_non_null(m = mibdict_find(NULL, "upsBatteryVoltage"));
	assert_true(m->scale == 0.1);
	assert_string_equal(m->units, "V");
	assert_non_null(m = mibdict_find(NULL, "ifHCInOctets"));
	assert_int_equal(m->syntax, MS_COUNTER64);
	assert_null(mibdict_enum(m, 1, w, sizeof(w)));
	assert_true(mibdict_count() > 150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_not_names),
		cmocka_unit_test(test_by_oid_and_enums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
