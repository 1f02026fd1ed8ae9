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
 * The collector's config reader, run over the corpus in
 * tests/data/collector-conf (good-*.conf must load without a word,
 * bad-*.conf must fail with exactly the lines of bad-*.expect), and the
 * state module: results applied directly, state and since_ms checked.
 *
 * Run from the top of the repository: the corpus is found relative to
 * the current directory.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/collector.h"
#include "../../collector/http/http.h"

#define CORPUS	"tests/data/collector-conf"

static int
has_prefix_suffix(const char *name, const char *pre, const char *suf)
{
	size_t	 n = strlen(name), lp = strlen(pre), ls = strlen(suf);

	return n > lp + ls && strncmp(name, pre, lp) == 0 &&
	    strcmp(name + n - ls, suf) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in the corpus that look like pre*suf. */
static char **
corpus_files(const char *pre, const char *suf, int *n)
{
	DIR	*d;
	struct dirent *de;
	char	**v = NULL;
	int	 cap = 0;

	*n = 0;
	d = opendir(CORPUS);
	if (d == NULL)
		fail_msg("cannot open %s: run from the top of the repository",
		    CORPUS);
	while ((de = readdir(d)) != NULL) {
		if (!has_prefix_suffix(de->d_name, pre, suf))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, (size_t)cap * sizeof(*v));
			assert_non_null(v);
		}
		if (asprintf(&v[*n], "%s/%s", CORPUS, de->d_name) == -1)
			fail();
		(*n)++;
	}
	closedir(d);
	qsort(v, (size_t)*n, sizeof(*v), name_cmp);
	return v;
}

static void
free_names(char **v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
test_good_corpus(void **unused)
{
	char	**files;
	int	 i, n;

	(void)unused;
	files = corpus_files("good-", ".conf", &n);
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		struct cfgerr e;
		struct collector_conf *c;

		cfgerr_init(&e, files[i]);
		c = collector_conf_load(files[i], &e);
		if (c == NULL || e.n != 0) {
			cfgerr_print(&e);
			fail_msg("%s: expected no error", files[i]);
		}
		collector_conf_free(c);
		cfgerr_free(&e);
	}
	free_names(files, n);
}

static void
test_good_full_values(void **unused)
{
	struct cfgerr e;
	struct collector_conf *c;

	(void)unused;
	cfgerr_init(&e, CORPUS "/good-full.conf");
	c = collector_conf_load(CORPUS "/good-full.conf", &e);
	assert_non_null(c);
	assert_int_equal(c->nlisten, 2);
	assert_int_equal(c->nhttp, 2);
	assert_int_equal(c->listen[1].ss.ss_family, AF_INET6);
	assert_string_equal(c->data_dir, "/var/lib/facmon");
	assert_string_equal(c->web_dir, "web");
	assert_int_equal(c->unknown_after, 5);
	assert_int_equal(c->max_connections, 1000);
	assert_int_equal(c->rrd_full_days, 400);
	assert_int_equal(c->rrd_queue, 1000);
	assert_int_equal(c->rrd_write_ms, 600000);
	assert_int_equal(c->rrd_jitter_ms, 30000);
	assert_int_equal(c->rrd_hold, 100000);
	assert_int_equal(c->rrd_series_check, 64);
	assert_int_equal(c->rrd_series_device, 512);
	assert_true(c->rrd_max_bytes == 10LL << 30);
	assert_string_equal(c->rrd_daemon, "unix:/run/rrdcached.sock");
	assert_int_equal(c->nagents, 2);
	assert_non_null(collector_conf_agent(c, "site-2.rack_4"));
	assert_null(collector_conf_agent(c, "nobody"));
	collector_conf_free(c);
	cfgerr_free(&e);

	/* Defaults. */
	cfgerr_init(&e, CORPUS "/good-minimal.conf");
	c = collector_conf_load(CORPUS "/good-minimal.conf", &e);
	assert_non_null(c);
	assert_int_equal(c->nhttp, 0);
	assert_string_equal(c->web_dir, "/usr/share/facmon/web");
	assert_int_equal(c->unknown_after, 3);
	assert_int_equal(c->max_connections, 256);
	assert_int_equal(c->rrd_full_days, 2);
	assert_int_equal(c->rrd_5min_days, 30);
	assert_int_equal(c->rrd_hourly_days, 400);
	assert_int_equal(c->rrd_queue, 200000);
	assert_int_equal(c->rrd_write_ms, 300000);
	assert_int_equal(c->rrd_jitter_ms, 60000);
	assert_int_equal(c->rrd_series_check, 2048);
	assert_int_equal(c->rrd_series_device, 8192);
	assert_true(c->rrd_max_bytes == 0);
	assert_string_equal(c->rrd_daemon, "");
	collector_conf_free(c);
	cfgerr_free(&e);
}

static void
test_bad_corpus(void **unused)
{
	char	**files, *expect, line[1024];
	int	 i, j, n;
	FILE	*fp;

	(void)unused;
	files = corpus_files("bad-", ".conf", &n);
	assert_true(n >= 9);
	for (i = 0; i < n; i++) {
		struct cfgerr e;
		struct collector_conf *c;

		cfgerr_init(&e, files[i]);
		c = collector_conf_load(files[i], &e);
		if (c != NULL)
			fail_msg("%s: loaded, expected errors", files[i]);
		if (asprintf(&expect, "%.*s.expect",
		    (int)(strlen(files[i]) - 5), files[i]) == -1)
			fail();
		if ((fp = fopen(expect, "r")) == NULL)
			fail_msg("%s: missing", expect);
		for (j = 0; fgets(line, sizeof(line), fp) != NULL; j++) {
			line[strcspn(line, "\n")] = '\0';
			if (j >= e.n)
				fail_msg("%s: expected error missing: %s",
				    files[i], line);
			if (strcmp(line, e.msgs[j]) != 0)
				fail_msg("%s: error %d:\n  want: %s\n"
				    "  got:  %s", files[i], j + 1, line,
				    e.msgs[j]);
		}
		if (j != e.n)
			fail_msg("%s: unexpected error: %s", files[i],
			    e.msgs[j]);
		assert_true(e.n > 0);
		fclose(fp);
		free(expect);
		cfgerr_free(&e);
	}
	free_names(files, n);
}

static void
test_listen_addr(void **unused)
{
	struct listen_addr la;
	char	 err[128];
	static const char *const good[] = { "127.0.0.1:1", "0.0.0.0:65535",
		"[::1]:5640", "[::]:80", NULL };
	static const char *const bad[] = { "", ":80", "127.0.0.1", "[::1]",
		"[::1]80", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:65536",
		"1.2.3.256:80", "host:80", "[1.2.3.4]:80", "1.2.3.4: 80",
		NULL };
	int	 i;

	(void)unused;
	for (i = 0; good[i] != NULL; i++)
		if (parse_listen_addr(good[i], &la, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (i = 0; bad[i] != NULL; i++)
		if (parse_listen_addr(bad[i], &la, err, sizeof(err)) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

/* State: helpers to build DEVICES and results. */

struct tdev {
	const char	*id;
	int		 nchecks;
	const char	*checks[4];
	int		 critical[4];
};

static void
announce(const char *agent, const struct tdev *td, int n)
{
	struct fm_devices ds;
	int	 i, j;

	ds.n = (uint32_t)n;
	ds.d = calloc((size_t)n, sizeof(*ds.d));
	assert_non_null(ds.d);
	for (i = 0; i < n; i++) {
		struct fm_devinfo *d = &ds.d[i];

		fm_strlcpy(d->id, td[i].id, sizeof(d->id));
		snprintf(d->name, sizeof(d->name), "Device %s", td[i].id);
		fm_strlcpy(d->class, "switch", sizeof(d->class));
		fm_strlcpy(d->group, "core", sizeof(d->group));
		fm_strlcpy(d->address, "127.0.0.1", sizeof(d->address));
		d->nchecks = (uint16_t)td[i].nchecks;
		d->checks = calloc((size_t)td[i].nchecks, sizeof(*d->checks));
		for (j = 0; j < td[i].nchecks; j++) {
			fm_strlcpy(d->checks[j].id, td[i].checks[j],
			    sizeof(d->checks[j].id));
			d->checks[j].type = CT_ICMP;
			d->checks[j].interval_ms = 10000;
			d->checks[j].timeout_ms = 2000;
			d->checks[j].critical = (uint8_t)td[i].critical[j];
		}
	}
	state_set_devices(agent, &ds, 1000);
	fm_devices_free(&ds);
}

static int
result(const char *agent, const char *dev, const char *check, int outcome,
    int64_t ts, int64_t mono)
{
	struct fm_result r;

	memset(&r, 0, sizeof(r));
	fm_strlcpy(r.device, dev, sizeof(r.device));
	fm_strlcpy(r.check, check, sizeof(r.check));
	r.type = CT_ICMP;
	r.outcome = (uint8_t)outcome;
	r.ts_ms = ts;
	r.dur_us = 1500;
	snprintf(r.msg, sizeof(r.msg), "%s", probe_result_name(outcome));
	return state_apply_result(agent, &r, mono);
}

static const struct check_state *
chk(const char *dev, const char *check)
{
	const struct device_state *d = state_find_device(dev);
	int	 i;

	assert_non_null(d);
	for (i = 0; i < d->nchecks; i++)
		if (strcmp(d->checks[i].id, check) == 0)
			return &d->checks[i];
	fail_msg("no check %s/%s", dev, check);
	return NULL;
}

static int
setup_state(void **unused)
{
	(void)unused;
	state_init();
	return 0;
}

static int
teardown_state(void **unused)
{
	(void)unused;
	state_free();
	return 0;
}

static void
test_state_derive(void **unused)
{
	const struct device_state *d;
	static const struct tdev td[] = {
		{ "sw1", 2, { "ping", "snmp" }, { 1, 0 } },
		{ "empty", 0, { NULL }, { 0 } },
	};

	(void)unused;
	announce("a1", td, 2);
	d = state_find_device("sw1");
	assert_non_null(d);
	assert_int_equal(d->state, OS_UNKNOWN);
	assert_int_equal(d->since_ms, 1000);
	assert_int_equal(state_find_device("empty")->state, OS_UNKNOWN);
	assert_int_equal(chk("sw1", "ping")->state, OS_UNKNOWN);

	/* Both up: up since the first result that made it so. */
	assert_int_equal(result("a1", "sw1", "ping", PR_OK, 10000, 1),
	    SA_APPLIED);
	assert_int_equal(d->state, OS_UP);
	assert_int_equal(d->since_ms, 10000);
	assert_int_equal(result("a1", "sw1", "snmp", PR_OK, 10500, 1),
	    SA_APPLIED);
	assert_int_equal(d->state, OS_UP);
	assert_int_equal(d->since_ms, 10000);
	assert_int_equal(chk("sw1", "snmp")->since_ms, 10500);

	/* Non-critical check down: degraded. */
	result("a1", "sw1", "snmp", PR_TIMEOUT, 20500, 2);
	assert_int_equal(chk("sw1", "snmp")->state, OS_DOWN);
	assert_int_equal(chk("sw1", "snmp")->since_ms, 20500);
	assert_int_equal(d->state, OS_DEGRADED);
	assert_int_equal(d->since_ms, 20500);

	/* Still down: since stays at the first failed probe. */
	result("a1", "sw1", "snmp", PR_SNMP_ERROR, 30500, 3);
	assert_int_equal(chk("sw1", "snmp")->since_ms, 20500);
	assert_string_equal(probe_result_name(chk("sw1", "snmp")->outcome),
	    "snmp_error");
	assert_int_equal(d->since_ms, 20500);

	/* Critical check down: down. */
	result("a1", "sw1", "ping", PR_UNREACHABLE, 40000, 4);
	assert_int_equal(d->state, OS_DOWN);
	assert_int_equal(d->since_ms, 40000);

	/*
	 * A probe that could not run says nothing: unknown, not down.  It
	 * was the only critical check, so the device is unknown too: the
	 * secondary check cannot say whether it runs.
	 */
	result("a1", "sw1", "ping", PR_INTERNAL, 50000, 5);
	assert_int_equal(chk("sw1", "ping")->state, OS_UNKNOWN);
	assert_int_equal(chk("sw1", "ping")->since_ms, 50000);
	assert_int_equal(d->state, OS_UNKNOWN);
	assert_int_equal(d->since_ms, 50000);

	/* Every check unknown: the device stays unknown. */
	result("a1", "sw1", "snmp", PR_INTERNAL, 50500, 5);
	assert_int_equal(d->state, OS_UNKNOWN);
	assert_int_equal(d->since_ms, 50000);

	/* Back up. */
	result("a1", "sw1", "ping", PR_OK, 60000, 6);
	result("a1", "sw1", "snmp", PR_OK, 60500, 6);
	assert_int_equal(d->state, OS_UP);
	assert_int_equal(d->since_ms, 60000);
	assert_int_equal(chk("sw1", "ping")->last_ms, 60000);
	assert_int_equal(chk("sw1", "ping")->dur_us, 1500);
}

static void
test_state_out_of_order(void **unused)
{
	static const struct tdev td[] = {
		{ "r1", 1, { "ping" }, { 1 } },
	};

	(void)unused;
	announce("a1", td, 1);
	result("a1", "r1", "ping", PR_OK, 10000, 1);
	assert_int_equal(result("a1", "r1", "ping", PR_TIMEOUT, 5000, 2),
	    SA_OUT_OF_ORDER);
	assert_int_equal(chk("r1", "ping")->state, OS_UP);
	assert_int_equal(chk("r1", "ping")->last_ms, 10000);
	/* The same timestamp again is not older: applied. */
	assert_int_equal(result("a1", "r1", "ping", PR_TIMEOUT, 10000, 2),
	    SA_APPLIED);
	assert_int_equal(chk("r1", "ping")->state, OS_DOWN);
}

static void
test_state_unknown_after(void **unused)
{
	const struct device_state *d;
	static const struct tdev td[] = {
		{ "ups", 2, { "ping", "snmp" }, { 1, 1 } },
	};

	(void)unused;
	announce("a1", td, 1);
	d = state_find_device("ups");
	/* Results arrive at collector time 100000 ms. */
	result("a1", "ups", "ping", PR_OK, 7000000, 100000);
	result("a1", "ups", "snmp", PR_TIMEOUT, 7000100, 100000);
	assert_int_equal(d->state, OS_DOWN);

	/* Interval 10 s, unknown_after 3: nothing before 30 s. */
	state_expire(100000 + 29999, 3);
	assert_int_equal(chk("ups", "ping")->state, OS_UP);
	assert_int_equal(d->state, OS_DOWN);

	/*
	 * The ping check keeps reporting, snmp falls silent.  snmp held
	 * the device down: while it is not seen, ping's answers cannot say
	 * the outage is over, so the device is unknown, not up.
	 */
	result("a1", "ups", "ping", PR_OK, 7025000, 125000);
	state_expire(100000 + 30000, 3);
	assert_int_equal(chk("ups", "snmp")->state, OS_UNKNOWN);
	assert_int_equal(chk("ups", "snmp")->since_ms, 7000100 + 10000);
	assert_int_equal(chk("ups", "ping")->state, OS_UP);
	assert_int_equal(d->state, OS_UNKNOWN);
	assert_int_equal(d->since_ms, 7000100 + 10000);

	/* Then ping too: unknown since its last result plus an interval. */
	state_expire(125000 + 30000, 3);
	assert_int_equal(chk("ups", "ping")->state, OS_UNKNOWN);
	assert_int_equal(chk("ups", "ping")->since_ms, 7025000 + 10000);
	assert_int_equal(d->state, OS_UNKNOWN);
	assert_int_equal(d->since_ms, 7000100 + 10000);

	/* Expiring again changes nothing. */
	state_expire(999999, 3);
	assert_int_equal(d->since_ms, 7000100 + 10000);

	/*
	 * New results bring it back: ping alone does not (snmp, which held
	 * it down, is still not seen), snmp's answer does.
	 */
	result("a1", "ups", "ping", PR_OK, 7100000, 200000);
	assert_int_equal(chk("ups", "ping")->since_ms, 7100000);
	assert_int_equal(d->state, OS_UNKNOWN);
	result("a1", "ups", "snmp", PR_OK, 7100100, 200000);
	assert_int_equal(d->state, OS_UP);
	assert_int_equal(d->since_ms, 7100100);

	/* A longer unknown_after is honoured (it is reloadable). */
	state_expire(200000 + 30000, 5);
	assert_int_equal(d->state, OS_UP);
	state_expire(200000 + 50000, 5);
	assert_int_equal(d->state, OS_UNKNOWN);
}

/*
 * Results that arrive late, together (an agent's spool after a
 * partition): the one that was due when the check went unknown ends the
 * unknown where it began; a gap in the results' own times longer than
 * unknown_after intervals is unknown although nothing expired.
 */
static void
test_state_late_results(void **unused)
{
	static const struct tdev td[] = {
		{ "lt", 1, { "ping" }, { 1 } },
	};

	(void)unused;
	announce("a1", td, 1);
	result("a1", "lt", "ping", PR_OK, 1000000, 100000);
	state_expire(100000 + 30000, 3);
	assert_int_equal(chk("lt", "ping")->state, OS_UNKNOWN);
	assert_int_equal(chk("lt", "ping")->since_ms, 1010000);
	/* Due at 1010000, made 10 ms early by the probe's jitter. */
	result("a1", "lt", "ping", PR_OK, 1009990, 140000);
	assert_int_equal(chk("lt", "ping")->state, OS_UP);
	assert_int_equal(chk("lt", "ping")->since_ms, 1010000);
	result("a1", "lt", "ping", PR_OK, 1019990, 140000);
	assert_int_equal(chk("lt", "ping")->since_ms, 1010000);
	/* Then 50 s with no result, arriving at once: unknown between. */
	result("a1", "lt", "ping", PR_OK, 1069990, 140001);
	assert_int_equal(chk("lt", "ping")->state, OS_UP);
	assert_int_equal(chk("lt", "ping")->since_ms, 1069990);
	/* Far later than due: the unknown stays, the change is dated. */
	state_expire(140001 + 30000, 3);
	result("a1", "lt", "ping", PR_OK, 1200000, 200000);
	assert_int_equal(chk("lt", "ping")->since_ms, 1200000);
}

static void
test_state_values(void **unused)
{
	struct fm_result r;
	struct fm_value v[4];
	const struct check_state *c;
	static const struct tdev td[] = {
		{ "pdu", 1, { "snmp" }, { 0 } },
	};

	(void)unused;
	announce("a1", td, 1);
	memset(&r, 0, sizeof(r));
	memset(v, 0, sizeof(v));
	fm_strlcpy(r.device, "pdu", sizeof(r.device));
	fm_strlcpy(r.check, "snmp", sizeof(r.check));
	r.type = CT_SNMP;
	r.outcome = PR_OK;
	r.ts_ms = 1000;
	r.values = v;
	r.nvalues = 3;
	fm_strlcpy(v[0].name, "temp", sizeof(v[0].name));
	v[0].kind = VK_GAUGE;
	v[0].d = 21.5;
	fm_strlcpy(v[1].name, "ifHCInOctets.1", sizeof(v[1].name));
	v[1].kind = VK_COUNTER;
	v[1].u = 123;
	v[1].d = NAN;
	fm_strlcpy(v[2].name, "sysDescr", sizeof(v[2].name));
	v[2].kind = VK_TEXT;
	v[2].text = "PDU 1";
	assert_int_equal(state_apply_result("a1", &r, 1), SA_APPLIED);
	c = chk("pdu", "snmp");
	assert_int_equal(c->nvalues, 3);
	/* Sorted by name. */
	assert_string_equal(c->values[0].name, "ifHCInOctets.1");
	assert_true(isnan(c->values[0].d));
	assert_string_equal(c->values[1].name, "sysDescr");
	assert_string_equal(c->values[1].text, "PDU 1");
	assert_string_equal(c->values[2].name, "temp");

	/*
	 * Update two, add one.  A failed probe may have read only part: the
	 * one it did not send keeps its last value.
	 */
	r.ts_ms = 2000;
	r.nvalues = 2;
	r.outcome = PR_TIMEOUT;
	v[0].d = 22.0;
	v[1].u = 223;
	v[1].d = 10.0;
	memset(&v[2], 0, sizeof(v[2]));
	assert_int_equal(state_apply_result("a1", &r, 2), SA_APPLIED);
	r.ts_ms = 3000;
	r.nvalues = 1;
	r.values = &v[3];
	fm_strlcpy(v[3].name, "alpha", sizeof(v[3].name));
	v[3].kind = VK_GAUGE;
	v[3].d = 1;
	assert_int_equal(state_apply_result("a1", &r, 3), SA_APPLIED);
	c = chk("pdu", "snmp");
	assert_int_equal(c->nvalues, 4);
	assert_string_equal(c->values[0].name, "alpha");
	assert_int_equal(c->values[1].u, 223);
	assert_true(c->values[1].d == 10.0);
	assert_string_equal(c->values[2].text, "PDU 1");
	assert_true(c->values[3].d == 22.0);

	/*
	 * Successful probes say what the device has now: what three in a
	 * row do not send (a port taken out) retires; one or two are a
	 * partial read (a Modbus request that failed), which keeps the last
	 * value.
	 */
	r.outcome = PR_OK;
	r.values = v;
	r.nvalues = 2;
	r.ts_ms = 4000;
	assert_int_equal(state_apply_result("a1", &r, 4), SA_APPLIED);
	r.ts_ms = 5000;
	assert_int_equal(state_apply_result("a1", &r, 5), SA_APPLIED);
	c = chk("pdu", "snmp");
	assert_int_equal(c->nvalues, 4);
	assert_string_equal(c->values[0].name, "alpha");
	assert_string_equal(c->values[2].text, "PDU 1");
	/* Seen again, its count starts over. */
	r.values = &v[3];
	r.nvalues = 1;
	r.ts_ms = 6000;
	assert_int_equal(state_apply_result("a1", &r, 6), SA_APPLIED);
	r.values = v;
	r.nvalues = 2;
	r.ts_ms = 7000;
	assert_int_equal(state_apply_result("a1", &r, 7), SA_APPLIED);
	r.ts_ms = 8000;
	assert_int_equal(state_apply_result("a1", &r, 8), SA_APPLIED);
	c = chk("pdu", "snmp");
	assert_int_equal(c->nvalues, 3);
	assert_string_equal(c->values[0].name, "alpha");
	r.ts_ms = 9000;
	assert_int_equal(state_apply_result("a1", &r, 9), SA_APPLIED);
	c = chk("pdu", "snmp");
	assert_int_equal(c->nvalues, 2);
	assert_string_equal(c->values[0].name, "ifHCInOctets.1");
	assert_string_equal(c->values[1].name, "temp");
}

static void
test_state_devices(void **unused)
{
	const struct device_state *d;
	static const struct tdev a1[] = {
		{ "sw1", 1, { "ping" }, { 1 } },
		{ "sw2", 1, { "ping" }, { 1 } },
	};
	static const struct tdev a1b[] = {
		{ "sw1", 2, { "ping", "http" }, { 1, 0 } },
	};
	static const struct tdev a2[] = {
		{ "sw1", 1, { "tcp" }, { 1 } },
		{ "fw1", 1, { "ping" }, { 1 } },
	};

	(void)unused;
	announce("a1", a1, 2);
	announce("a2", a2, 2);
	/* sw1 stays with a1, which claimed it first. */
	d = state_find_device("sw1");
	assert_string_equal(d->agent, "a1");
	assert_string_equal(state_find_device("fw1")->agent, "a2");
	assert_int_equal(result("a2", "sw1", "tcp", PR_OK, 1, 1),
	    SA_UNKNOWN_DEVICE);
	assert_int_equal(result("a1", "sw1", "nope", PR_OK, 1, 1),
	    SA_UNKNOWN_DEVICE);
	assert_int_equal(result("a1", "zz", "ping", PR_OK, 1, 1),
	    SA_UNKNOWN_DEVICE);
	assert_null(state_find_check("a2", "sw1", "ping"));
	assert_non_null(state_find_check("a1", "sw1", "ping"));

	result("a1", "sw1", "ping", PR_TIMEOUT, 5000, 1);
	assert_int_equal(d->state, OS_DOWN);

	/* a1 re-announces: sw2 goes, sw1 keeps its outage, a check is new. */
	announce("a1", a1b, 1);
	assert_null(state_find_device("sw2"));
	d = state_find_device("sw1");
	assert_int_equal(d->nchecks, 2);
	assert_int_equal(chk("sw1", "ping")->state, OS_DOWN);
	assert_int_equal(chk("sw1", "ping")->since_ms, 5000);
	assert_int_equal(chk("sw1", "http")->state, OS_UNKNOWN);
	assert_int_equal(d->state, OS_DOWN);
	assert_int_equal(d->since_ms, 5000);
	/* Other agents' devices are untouched. */
	assert_non_null(state_find_device("fw1"));

	/* a1 drops everything: a2 may now claim sw1. */
	announce("a1", NULL, 0);
	assert_null(state_find_device("sw1"));
	announce("a2", a2, 2);
	assert_string_equal(state_find_device("sw1")->agent, "a2");
}

static void
test_state_many(void **unused)
{
	struct tdev *td;
	const struct device_state **v;
	char	(*ids)[16];
	size_t	 n;
	int	 i;

	(void)unused;
	td = calloc(10000, sizeof(*td));
	ids = calloc(10000, sizeof(*ids));
	for (i = 0; i < 10000; i++) {
		snprintf(ids[i], sizeof(ids[i]), "d%05d", 9999 - i);
		td[i].id = ids[i];
		td[i].nchecks = 1;
		td[i].checks[0] = "ping";
		td[i].critical[0] = 1;
	}
	announce("a1", td, 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(result("a1", ids[i], "ping", PR_OK, 1000, 1),
		    SA_APPLIED);
	v = state_devices_sorted(&n);
	assert_int_equal(n, 10000);
	assert_string_equal(v[0]->id, "d00000");
	assert_string_equal(v[9999]->id, "d09999");
	assert_int_equal(v[1234]->state, OS_UP);
	free(v);
	free(td);
	free(ids);
}

/*
 * The monthly report is due on the configured day and hour in the
 * configured zone: until then the month before last is the latest due.
 */
static void
test_report_due(void **unused)
{
	static const struct {
		const char *utc;	/* "YYYY-MM-DD HH:MM:SS" UTC */
		int	 day, hour;
		const char *month;
	} cases[] = {
		{ "2026-10-31 21:59:59", 1, 6, "2026-09" },	/* 05:59:59 */
		{ "2026-10-31 22:00:00", 1, 6, "2026-10" },	/* 06:00 CST */
		{ "2026-11-27 04:00:00", 1, 6, "2026-10" },
		{ "2026-12-31 16:30:00", 1, 0, "2026-12" },	/* 00:30 1 Jan */
		{ "2026-12-31 15:59:59", 1, 0, "2026-11" },	/* 23:59:59 */
		{ "2027-01-01 22:00:00", 1, 6, "2026-12" },
		{ "2027-03-02 23:00:00", 3, 8, "2027-01" },	/* 07:00, 3rd */
		{ "2027-03-03 00:00:00", 3, 8, "2027-02" },
	};
	char	 out[8];
	size_t	 i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tm tm;
		int64_t	 now;

		memset(&tm, 0, sizeof(tm));
		assert_non_null(strptime(cases[i].utc, "%Y-%m-%d %H:%M:%S",
		    &tm));
		now = (int64_t)timegm(&tm) * 1000;
		assert_int_equal(report_due_month(now, "Asia/Shanghai",
		    cases[i].day, cases[i].hour, out, sizeof(out)), 0);
		if (strcmp(out, cases[i].month) != 0)
			fail_msg("%s UTC: due %s, expected %s", cases[i].utc,
			    out, cases[i].month);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_corpus),
		cmocka_unit_test(test_good_full_values),
		cmocka_unit_test(test_bad_corpus),
		cmocka_unit_test(test_listen_addr),
		cmocka_unit_test(test_report_due),
		cmocka_unit_test_setup_teardown(test_state_derive,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_out_of_order,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_unknown_after,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_late_results,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_values,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_devices,
		    setup_state, teardown_state),
		cmocka_unit_test_setup_teardown(test_state_many,
		    setup_state, teardown_state),
	};

	log_init("test_collector_conf", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
