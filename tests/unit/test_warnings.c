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
 * collector/alert/warnings.c: a device's warnings in words, from the values
 * a check holds, for devices built here the way state.c holds them.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../collector/http/http.h"
#include "../../collector/alert/alert.h"
#include "../../collector/alert/alerting.h"

#define NV	8

static struct value_state vals[NV];
static struct check_state chk;
static struct device_state dev;

static void
reset(void)
{
	memset(vals, 0, sizeof(vals));
	memset(&chk, 0, sizeof(chk));
	memset(&dev, 0, sizeof(dev));
	strcpy(dev.id, "ups-1");
	strcpy(dev.class, "ups");
	strcpy(dev.group, "power");
	strcpy(chk.id, "snmp");
	chk.have_result = 1;
	chk.state = OS_UP;
	chk.values = vals;
	dev.checks = &chk;
	dev.nchecks = 1;
}

static void
gauge(const char *name, double d)
{
	struct value_state *v = &vals[chk.nvalues++];

	strcpy(v->name, name);
	v->kind = VK_GAUGE;
	v->d = d;
}

static void
counter(const char *name, uint64_t raw)
{
	struct value_state *v = &vals[chk.nvalues++];

	strcpy(v->name, name);
	v->kind = VK_COUNTER;
	v->u = raw;
	v->d = NAN;
}

static void
text(const char *name, const char *t)
{
	struct value_state *v = &vals[chk.nvalues++];

	strcpy(v->name, name);
	v->kind = VK_TEXT;
	v->text = (char *)t;
}

/* The one warning's field, or NULL when there is not exactly one. */
static const char *
only(json_t *a, const char *field)
{
	if (json_array_size(a) != 1)
		return NULL;
	return json_string_value(json_object_get(json_array_get(a, 0),
	    field));
}

static void
test_ups_on_battery(void **unused)
{
	json_t	*a;

	(void)unused;
	reset();
	gauge("upsEstimatedChargeRemaining", 90);
	gauge("upsInputVoltage", 0);
	gauge("upsOutputSource", 5);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "ups_on_battery");
	assert_string_equal(only(a, "text"),
	    "UPS 电池供电（市电输入 0 V，电量 90 %）");
	assert_string_equal(only(a, "text_en"),
	    "UPS on battery (input 0 V, charge 90 %)");
	json_decref(a);

	/* On mains: nothing to say. */
	vals[2].d = 3;
	vals[1].d = 229;
	a = warnings_json(&dev, NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

/* A Modbus map's alarm and fault words, "zh|en" while they hold. */
static void
test_modbus_alarm_and_fault_words(void **unused)
{
	json_t	*a;

	(void)unused;
	reset();
	strcpy(chk.id, "modbus");
	chk.type = CT_MODBUS;
	gauge("alarm_compressor_fault", 1);
	text("alarm.alarm_filter_clogged", "");
	text("fault.alarm_compressor_fault", "压缩机故障|compressor fault");
	text("supply_air_temp.text", "送风温度 18.5 °C|Supply air 18.5 °C");
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "modbus_fault");
	assert_string_equal(only(a, "text"), "压缩机故障");
	assert_string_equal(only(a, "text_en"), "compressor fault");
	assert_string_equal(only(a, "check"), "modbus");
	json_decref(a);
	vals[1].text = (char *)"滤网堵塞|filter clogged";
	vals[2].text = (char *)"";
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "modbus_alarm");
	assert_string_equal(only(a, "text"), "滤网堵塞");
	json_decref(a);
	/* The same names in an SNMP check are not the map's words. */
	chk.type = CT_SNMP;
	a = warnings_json(&dev, NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void
test_down_check_is_no_warning(void **unused)
{
	json_t	*a;

	(void)unused;
	reset();
	gauge("upsOutputSource", 5);
	chk.state = OS_DOWN;
	a = warnings_json(&dev, NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void
test_aps_and_ports(void **unused)
{
	json_t	*a;

	(void)unused;
	reset();
	gauge("apOperState.1", 1);
	gauge("apOperState.10", 2);
	gauge("apOperState.3", 2);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "ap_offline");
	assert_non_null(strstr(only(a, "text"), "2 台 AP 离线"));
	json_decref(a);

	/* A port that carried traffic is down; an unused one is not. */
	reset();
	counter("ifHCInOctets.1", 123456);
	counter("ifHCInOctets.2", 0);
	gauge("ifOperStatus.1", 2);
	gauge("ifOperStatus.2", 2);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "port_down");
	assert_string_equal(only(a, "text"), "1 个在用端口断开（端口 1）");
	json_decref(a);

	/* A template's rows: named by their labels, the unused not there. */
	reset();
	gauge("GigabitEthernet0/0/45.down", 1);
	gauge("GigabitEthernet0/0/45.ifOperStatus", 2);
	text("GigabitEthernet0/0/45.name", "GigabitEthernet0/0/45");
	gauge("GigabitEthernet0/0/1.down", 0);
	gauge("GigabitEthernet0/0/1.ifOperStatus", 1);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "port_down");
	assert_string_equal(only(a, "text"),
	    "1 个在用端口断开（GigabitEthernet0/0/45）");
	assert_string_equal(only(a, "text_en"),
	    "1 port in use down (GigabitEthernet0/0/45)");
	json_decref(a);
	reset();
	gauge("AP-03.down", 1);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "row_down");
	assert_string_equal(only(a, "text_en"), "1 row not in order (AP-03)");
	json_decref(a);
}

static void
test_led_and_flapping(void **unused)
{
	json_t	*a;

	(void)unused;
	reset();
	gauge("failedModules", 11);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "text"), "LED 模块故障 11 块");
	json_decref(a);
	vals[0].d = 0;
	chk.flapping = 1;
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "code"), "flapping");
	json_decref(a);
}

/* One result of the check, judged by the alerts as state.c hands it. */
static void
judge(int64_t ts)
{
	struct fm_result r;

	memset(&r, 0, sizeof(r));
	r.outcome = PR_OK;
	r.ts_ms = ts;
	alerting_result(&dev, &chk, &r);
}

/*
 * A threshold on the wall is the alerts' judgement, not a second one:
 * amber only after 'hits' results past the limit, and until the value
 * is past the clear value (hysteresis).
 */
static void
test_threshold_as_the_alerts_judge(void **unused)
{
	struct alert_conf ac;
	struct alert_threshold t;
	json_t	*a;

	(void)unused;
	reset();
	memset(&ac, 0, sizeof(ac));
	memset(&t, 0, sizeof(t));
	strcpy(t.name, "hot");
	strcpy(t.value, "returnTemp");
	t.op = AOP_GT;
	t.limit = 300;
	t.clear = 280;
	t.hits = 2;
	strcpy(t.text, "回风温度高");
	ac.thresholds = &t;
	ac.nthresholds = 1;
	alerting_conf(&ac);
	gauge("returnTemp", 310);
	judge(1000);
	a = warnings_json(&dev, &ac);
	assert_int_equal(json_array_size(a), 0);	/* one hit of two */
	json_decref(a);
	judge(2000);
	a = warnings_json(&dev, &ac);
	assert_string_equal(only(a, "code"), "threshold");
	assert_string_equal(only(a, "text"),
	    "回风温度高：returnTemp = 310（> 300，解除值 280）");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    0), "since_ms")), 1000);
	json_decref(a);
	/* Below the limit, above the clear value: still breached. */
	vals[0].d = 290;
	judge(3000);
	a = warnings_json(&dev, &ac);
	assert_string_equal(only(a, "text"),
	    "回风温度高：returnTemp = 290（> 300，解除值 280）");
	json_decref(a);
	vals[0].d = 270;
	judge(4000);
	a = warnings_json(&dev, &ac);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	/* A threshold for another class does not apply. */
	strcpy(t.m.classes[0], "hvac");
	t.m.nclasses = 1;
	vals[0].d = 310;
	judge(5000);
	judge(6000);
	a = warnings_json(&dev, &ac);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	alerting_conf(NULL);
}

/* Notifications' warnings: raised, cleared by instance, held out. */
static void
test_notification_warnings(void **unused)
{
	json_t	*a;
	int64_t	 now = now_ms();

	(void)unused;
	reset();
	warnings_trap_raise("ups-1", "1.3.6.1.6.3.1.1.5.3", "3", "端口 3 断开",
	    "port 3 down", now - 1000, now + 3600000);
	warnings_trap_raise("ups-1", "1.3.6.1.6.3.1.1.5.3", "5", "端口 5 断开",
	    "port 5 down", now - 1000, now + 3600000);
	warnings_trap_raise("ups-1", "1.3.6.1.4.1.32473.1.0.4", "", "LED",
	    "LED", now - 1000, now - 1);	/* held out already */
	warnings_trap_raise("other", "1.3.6.1.6.3.1.1.5.3", "3", "x", "x",
	    now, now + 3600000);
	a = warnings_json(&dev, NULL);
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	assert_int_equal(warnings_trap_clear("ups-1", "1.3.6.1.6.3.1.1.5.3",
	    "3"), 1);
	assert_int_equal(warnings_trap_clear("ups-1", "1.3.6.1.6.3.1.1.5.3",
	    "3"), 0);
	a = warnings_json(&dev, NULL);
	assert_string_equal(only(a, "text"), "端口 5 断开");
	assert_string_equal(only(a, "code"), "trap");
	json_decref(a);
	warnings_trap_clear("ups-1", "1.3.6.1.6.3.1.1.5.3", "5");
	warnings_trap_clear("other", "1.3.6.1.6.3.1.1.5.3", "3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ups_on_battery),
		cmocka_unit_test(test_down_check_is_no_warning),
		cmocka_unit_test(test_modbus_alarm_and_fault_words),
		cmocka_unit_test(test_aps_and_ports),
		cmocka_unit_test(test_led_and_flapping),
		cmocka_unit_test(test_threshold_as_the_alerts_judge),
		cmocka_unit_test(test_notification_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
