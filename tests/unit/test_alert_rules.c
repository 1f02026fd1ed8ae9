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
 * Who is told and when: rules and duty rosters at given instants in the
 * centre's time zone (weekday day shift, nights, a Friday night that
 * runs into Saturday, weekends), thresholds with hits and hysteresis,
 * the escalation clock, and an acknowledgement written through
 * outage_annotate() that the outage index then shows -- which is what
 * stops the escalation.  Config mistakes come as file:line, all at once.
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
#include <sys/stat.h>

#include <event2/event.h>
#include <unistd.h>

#include "../../collector/alert/alerting.h"
#include "../../collector/alert/alert.h"

/* 2026-11-23 is a Monday; times in Asia/Shanghai (UTC+8). */
#define MON_1000	1795399200000LL
#define MON_2000	1795435200000LL
#define FRI_2300	1795791600000LL
#define SAT_0200	1795802400000LL
#define SAT_1000	1795831200000LL

static char path[] = "/tmp/facmon-rules-XXXXXX";

static struct alert_conf *
load_text(const char *text, struct cfgerr *e)
{
	struct alert_conf *c;
	int	 fd;

	strcpy(path, "/tmp/facmon-rules-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	cfgerr_init(e, path);
	c = alert_conf_load(path, e);
	unlink(path);
	return c;
}

#define BASE_TZ(tz) \
	"alerts: { timezone = \"" tz "\";\n" \
	"channels = ( { name = \"mail\"; type = \"smtp\"; " \
	"  host = \"127.0.0.1\"; tls = \"none\"; from = \"f@example.org\"; } );\n" \
	"recipients = ( { name = \"day\"; email = \"day@example.org\"; },\n" \
	"  { name = \"night\"; email = \"night@example.org\"; },\n" \
	"  { name = \"net\"; email = \"net@example.org\"; },\n" \
	"  { name = \"head\"; email = \"head@example.org\"; } );\n" \
	"deliver = ( [ \"mail\" ] );\n"
#define BASE BASE_TZ("Asia/Shanghai")

static const char *const good = BASE
	"rosters = ( { name = \"it\"; shifts = (\n"
	"  { days = \"mon-fri\"; from = \"08:30\"; to = \"17:30\";"
	"    recipients = [ \"day\" ]; },\n"
	"  { days = \"*\"; from = \"17:30\"; to = \"08:30\";"
	"    recipients = [ \"night\" ]; },\n"
	"  { days = \"sat,sun\"; from = \"08:30\"; to = \"17:30\";"
	"    recipients = [ \"night\" ]; } ); } );\n"
	"rules = (\n"
	"  { name = \"network\"; groups = [ \"network\" ];"
	"    recipients = [ \"it\", \"net\" ];"
	"    escalate = { after = \"15m\"; to = [ \"head\" ]; };"
	"    renotify = \"30m\"; },\n"
	"  { name = \"ups\"; classes = [ \"ups*\" ]; severity = \"critical\";"
	"    recipients = [ \"head\" ]; } );\n"
	"thresholds = (\n"
	"  { name = \"charge\"; classes = [ \"ups\" ];"
	"    value = \"upsEstimatedChargeRemaining\"; op = \"<\";"
	"    threshold = 30; clear = 40; hits = 2; severity = \"critical\";"
	"    text = \"UPS 电量低\"; },\n"
	"  { name = \"latency\"; value = \"duration_ms\"; op = \">\";"
	"    threshold = 800; hits = 3; } );\n"
	"};\n";

static int
has(char r[][FM_ID_MAX], int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i], name) == 0)
			return 1;
	return 0;
}

static void
test_rosters_and_rules(void **state)
{
	struct cfgerr e;
	struct alert_conf *c;
	const struct alert_rule *esc;
	char	 r[ALERT_RCPT_MAX][FM_ID_MAX];
	int	 n;

	(void)state;
	c = load_text(good, &e);
	cfgerr_print(&e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_int_equal(c->nrosters, 1);
	assert_int_equal(c->nrules, 2);
	assert_int_equal(c->nthresholds, 2);

	/* Monday 10:00: the day shift, and the network admin. */
	n = alert_route(c, AK_DOWN, AS_CRITICAL, "core-sw", "network",
	    "switch", "ping", MON_1000, r, ALERT_RCPT_MAX, &esc);
	assert_int_equal(n, 2);
	assert_true(has(r, n, "day") && has(r, n, "net"));
	assert_non_null(esc);
	assert_int_equal(esc->escalate_ms, 15 * 60000);
	/* Monday 20:00: nights. */
	n = alert_route(c, AK_DOWN, AS_CRITICAL, "core-sw", "network",
	    "switch", "ping", MON_2000, r, ALERT_RCPT_MAX, NULL);
	assert_int_equal(n, 2);
	assert_true(has(r, n, "night") && !has(r, n, "day"));
	/* Friday 23:00 and its night into Saturday 02:00. */
	n = alert_route(c, AK_DOWN, AS_CRITICAL, "core-sw", "network",
	    "switch", "ping", FRI_2300, r, ALERT_RCPT_MAX, NULL);
	assert_true(has(r, n, "night") && !has(r, n, "day"));
	n = alert_route(c, AK_DOWN, AS_CRITICAL, "core-sw", "network",
	    "switch", "ping", SAT_0200, r, ALERT_RCPT_MAX, NULL);
	assert_true(has(r, n, "night") && !has(r, n, "day"));
	/* Saturday 10:00: the weekend day shift, not the weekday one. */
	n = alert_route(c, AK_DOWN, AS_CRITICAL, "core-sw", "network",
	    "switch", "ping", SAT_1000, r, ALERT_RCPT_MAX, NULL);
	assert_true(has(r, n, "night") && !has(r, n, "day"));

	/* Severity: a warning about a UPS matches no rule: everyone. */
	n = alert_route(c, AK_THRESHOLD, AS_WARNING, "ups1", "power", "ups",
	    "snmp", MON_1000, r, ALERT_RCPT_MAX, &esc);
	assert_int_equal(n, 0);
	assert_null(esc);
	n = alert_route(c, AK_THRESHOLD, AS_CRITICAL, "ups1", "power", "ups",
	    "snmp", MON_1000, r, ALERT_RCPT_MAX, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(r[0], "head");
	/* A recovery follows its outage whatever its own severity. */
	n = alert_route(c, AK_RECOVERY, AS_INFO, "ups1", "power", "ups",
	    "snmp", MON_1000, r, ALERT_RCPT_MAX, NULL);
	assert_int_equal(n, 1);
	alert_conf_free(c);
	cfgerr_free(&e);
}

static void
test_config_errors(void **state)
{
	struct cfgerr e;
	struct alert_conf *c;
	int	 i;

	(void)state;
	c = load_text(BASE_TZ("Mars/Olympus")
	    "rosters = ( { name = \"it\"; shifts = (\n"
	    "  { days = \"mon-frx\"; from = \"8:30\"; to = \"25:00\";"
	    "    recipients = [ \"nobody\" ]; } ); } );\n"
	    "rules = ( { groups = [ \"network\" ]; kinds = [ \"downn\" ];"
	    "  recipients = [ \"it\", \"ghost\" ]; } );\n"
	    "thresholds = ( { name = \"t\"; value = \"x\"; op = \"=>\";"
	    "  threshold = 1; },\n"
	    "  { name = \"u\"; value = \"x\"; op = \"<\"; threshold = 30;"
	    "    clear = 20; } );\n"
	    "};\n", &e);
	assert_null(c);
	cfgerr_print(&e);
	/* Each mistake once, each with the file and its line. */
	for (i = 0; i < e.n; i++)
		assert_non_null(strstr(e.msgs[i], "/tmp/facmon-rules-"));
	assert_true(e.n >= 7);
	cfgerr_free(&e);
}

static void
test_threshold_hits_hysteresis(void **state)
{
	struct cfgerr e;
	struct alert_conf *c;
	struct alert_thr_state s;
	const struct alert_threshold *charge, *lat;

	(void)state;
	c = load_text(good, &e);
	assert_non_null(c);
	charge = &c->thresholds[0];
	lat = &c->thresholds[1];
	memset(&s, 0, sizeof(s));
	/* Two results below 30 in a row; one alone is not enough. */
	assert_int_equal(alert_thr_step(charge, &s, 25, 1000), 0);
	assert_int_equal(alert_thr_step(charge, &s, 35, 2000), 0);
	assert_int_equal(alert_thr_step(charge, &s, 25, 3000), 0);
	assert_int_equal(alert_thr_step(charge, &s, 20, 4000), 1);
	assert_int_equal(s.since_ms, 3000);
	/* Between threshold and clear: still on; no news. */
	assert_int_equal(alert_thr_step(charge, &s, 35, 5000), 0);
	assert_int_equal(alert_thr_step(charge, &s, NAN, 5500), 0);
	assert_int_equal(s.active, 1);
	assert_int_equal(alert_thr_step(charge, &s, 40, 6000), -1);
	assert_int_equal(s.active, 0);
	/* Latency over 800 ms for three probes. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(alert_thr_step(lat, &s, 900, 1), 0);
	assert_int_equal(alert_thr_step(lat, &s, 1200, 2), 0);
	assert_int_equal(alert_thr_step(lat, &s, 850, 3), 1);
	assert_int_equal(alert_thr_step(lat, &s, 800, 4), -1);
	alert_conf_free(c);
	cfgerr_free(&e);
}

static void
test_escalation_clock(void **state)
{
	struct alert_esc x;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.confirmed_ms = 0;
	x.escalate_at = 15 * 60000;
	x.renotify_every = 10 * 60000;
	x.next_renotify = 10 * 60000;
	assert_int_equal(alert_esc_step(&x, 60000, 0, 0), ESC_NONE);
	assert_int_equal(alert_esc_step(&x, 10 * 60000, 0, 0), ESC_RENOTIFY);
	assert_int_equal(alert_esc_step(&x, 10 * 60000 + 1, 0, 0), ESC_NONE);
	assert_int_equal(alert_esc_step(&x, 15 * 60000, 0, 0), ESC_ESCALATE);
	/* Escalated once only. */
	assert_int_equal(alert_esc_step(&x, 16 * 60000, 0, 0), ESC_NONE);
	assert_int_equal(alert_esc_step(&x, 20 * 60000, 0, 0), ESC_RENOTIFY);
	assert_int_equal(x.renotified, 2);
	/* Acknowledged or over: done, whatever is due. */
	assert_int_equal(alert_esc_step(&x, 99 * 60000, 1, 0), ESC_DONE);
	assert_int_equal(alert_esc_step(&x, 99 * 60000, 0, 1), ESC_DONE);
}

/* The ack reaches the index that alerting_tick() reads. */
static void
test_annotate_ack(void **state)
{
	char	 dir[] = "/tmp/facmon-ack-XXXXXX", err[256], cmd[128];
	struct device_state d;
	struct aq *q;
	size_t	 i;
	const struct aq_outage *o = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	state_init();
	state_set_confirm(3);
	struct event_base *base = event_base_new();
	assert_non_null(base);
	assert_int_equal(outage_open(base, dir, err, sizeof(err)), 0);
	memset(&d, 0, sizeof(d));
	fm_strlcpy(d.id, "core-sw", sizeof(d.id));
	fm_strlcpy(d.name, "核心交换机", sizeof(d.name));
	outage_device_info(&d);
	outage_device_change(&d, OS_UP, 1000, "up");
	outage_device_change(&d, OS_DOWN, 5000, "ping: timeout");
	assert_int_equal(outage_annotate(OJ_ACK, "core-sw", "", 5000,
	    "duty-day", "on it", 0), 0);
	assert_int_equal(outage_annotate(OJ_STATE, "core-sw", "", 5000,
	    "x", "", 0), -1);
	q = outage_aq();
	assert_non_null(q);
	for (i = 0; i < q->nout; i++)
		if (q->out[i].start_ms == 5000)
			o = &q->out[i];
	assert_non_null(o);
	assert_true(o->acked_ms > 0);
	assert_string_equal(o->acked_by, "duty-day");
	outage_close();
	event_base_free(base);
	state_free();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Is there a delivery with this id?  Waits up to 10 s for the worker. */
static int
has_delivery(const char *id)
{
	int	 i, found = 0;

	for (i = 0; i < 100 && !found; i++) {
		json_t	*o = alert_outbox_json(), *v;
		size_t	 k;

		json_array_foreach(json_object_get(o, "deliveries"), k, v)
			if (strcmp(json_string_value(json_object_get(v, "id")),
			    id) == 0)
				found = 1;
		json_decref(o);
		if (!found)
			usleep(100000);
	}
	return found;
}

static json_int_t
submitted(void)
{
	json_t	*o = alert_outbox_json();
	json_int_t n;

	assert_non_null(o);
	n = json_integer_value(json_object_get(o, "submitted"));
	json_decref(o);
	return n;
}

/*
 * The real path: a confirmed outage through alerting_outage(), the
 * 1-s tick with made-up clocks, the alert layer's queue; escalation
 * after 15 minutes, re-notification every 30, both over once the ack is
 * in the outage journal.
 */
static void
test_escalation_stops_on_ack(void **state)
{
	char	 dir[] = "/tmp/facmon-esc-XXXXXX", spool[64], err[256];
	char	 cmd[128], text[2048];
	struct cfgerr e;
	struct alert_conf *c;
	struct device_state d;
	struct alert_msg m;
	const int64_t T = 8000, MIN = 60000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	assert_int_equal(mkdir(spool, 0700), 0);
	snprintf(text, sizeof(text), "alerts: {\n"
	    "channels = ( { name = \"gsm\"; type = \"gammu\"; "
	    "  spool_dir = \"%s\"; } );\n"
	    "recipients = ( { name = \"duty\"; phone = \"+8613800000001\"; },\n"
	    "  { name = \"head\"; phone = \"+8613800000002\"; } );\n"
	    "deliver = ( [ \"gsm\" ] );\n"
	    "rules = ( { groups = [ \"network\" ]; recipients = [ \"duty\" ];\n"
	    "  escalate = { after = \"15m\"; to = [ \"head\" ]; };\n"
	    "  renotify = \"30m\"; } ); };\n", spool);
	c = load_text(text, &e);
	cfgerr_print(&e);
	assert_non_null(c);
	state_init();
	state_set_confirm(3);
	struct event_base *base = event_base_new();
	assert_non_null(base);
	assert_int_equal(outage_open(base, dir, err, sizeof(err)), 0);
	assert_int_equal(alert_init(c, dir, base, err, sizeof(err)), 0);
	alerting_conf(c);

	memset(&d, 0, sizeof(d));
	fm_strlcpy(d.id, "core-sw", sizeof(d.id));
	fm_strlcpy(d.name, "核心交换机", sizeof(d.name));
	fm_strlcpy(d.group, "network", sizeof(d.group));
	outage_device_info(&d);
	outage_device_change(&d, OS_UP, 1000, "up");
	outage_device_change(&d, OS_DOWN, 5000, "ping: timeout");
	memset(&m, 0, sizeof(m));
	fm_strlcpy(m.key, "core-sw-5000-down", sizeof(m.key));
	m.kind = AK_DOWN;
	m.severity = AS_CRITICAL;
	fm_strlcpy(m.device_id, "core-sw", sizeof(m.device_id));
	fm_strlcpy(m.device_name, d.name, sizeof(m.device_name));
	m.since_ms = 5000;
	alerting_outage(&m, &d, T);
	assert_int_equal(submitted(), 1);

	alerting_tick(T + 14 * MIN);
	assert_int_equal(submitted(), 1);
	alerting_tick(T + 15 * MIN);		/* to the section head */
	assert_int_equal(submitted(), 2);
	assert_true(has_delivery("core-sw-5000-down-esc.head.0"));
	assert_true(has_delivery("core-sw-5000-down.duty.0"));
	alerting_tick(T + 16 * MIN);
	assert_int_equal(submitted(), 2);
	alerting_tick(T + 30 * MIN);		/* again to the duty */
	assert_int_equal(submitted(), 3);
	assert_true(has_delivery("core-sw-5000-down-re1.duty.0"));
	assert_int_equal(outage_annotate(OJ_ACK, "core-sw", "", 5000,
	    "duty", "", 0), 0);
	alerting_tick(T + 60 * MIN);
	alerting_tick(T + 90 * MIN);
	assert_int_equal(submitted(), 3);

	/*
	 * A second outage, confirmed in the journal, then a restart of
	 * the alerting side: the clock comes back from the journal.
	 */
	d.since_ms = 200000;
	outage_device_change(&d, OS_UP, 100000, "up");
	outage_device_change(&d, OS_DOWN, 200000, "ping: timeout");
	outage_confirm_device(&d, 203000, "ping: timeout");
	alerting_conf(NULL);
	alerting_conf(c);
	alerting_resume(203000 + 5 * MIN);
	alerting_tick(203000 + 5 * MIN);
	assert_int_equal(submitted(), 3);
	alerting_tick(203000 + 15 * MIN);
	assert_int_equal(submitted(), 4);
	assert_true(has_delivery("core-sw-200000-down-esc.head.0"));

	alerting_conf(NULL);
	alert_shutdown();
	outage_close();
	event_base_free(base);
	state_free();
	alert_conf_free(c);
	cfgerr_free(&e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rosters_and_rules),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_threshold_hits_hysteresis),
		cmocka_unit_test(test_escalation_clock),
		cmocka_unit_test(test_annotate_ack),
		cmocka_unit_test(test_escalation_stops_on_ack),
	};

	log_init("test_alert_rules", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
