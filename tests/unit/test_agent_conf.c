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
 * The agent's config parser against a corpus: every good-*.conf loads,
 * every bad-*.conf fails with exactly the "file:line: message" lines of
 * its bad-*.expect, all of them in one pass.
 */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/agent.h"
#include "netsnmp_leak.h"

#define CORPUS	"tests/data/agent-conf"

/* The parser needs these from agent.c, which holds main(). */
struct event_base *agent_base;
struct agent_conf *agent_conf;

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
test_good(void **state)
{
	DIR	*d;
	struct dirent *de;
	int	 n = 0;

	(void)state;
	assert_non_null(d = opendir(CORPUS));
	while ((de = readdir(d)) != NULL) {
		char	 path[512];
		struct cfgerr e;
		struct agent_conf *ac;

		if (strncmp(de->d_name, "good-", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		cfgerr_init(&e, path);
		ac = agent_conf_load(path, &e);
		if (ac == NULL)
			cfgerr_print(&e);
		assert_non_null(ac);
		assert_int_equal(e.n, 0);
		assert_true(ac->ndevices > 0);
		agent_conf_free(ac);
		cfgerr_free(&e);
		n++;
	}
	closedir(d);
	assert_true(n >= 2);
}

static void
test_good_values(void **state)
{
	struct cfgerr e;
	struct agent_conf *ac;

	(void)state;
	cfgerr_init(&e, CORPUS "/good-full.conf");
	assert_non_null(ac = agent_conf_load(CORPUS "/good-full.conf", &e));
	assert_string_equal(ac->id, "hall-1");
	assert_string_equal(ac->collector_host, "127.0.0.1");
	assert_int_equal(ac->collector_port, 5640);
	assert_int_equal(ac->batch_ms, 500);
	assert_int_equal(ac->ndevices, 3);
	assert_string_equal(ac->devices[0].name, "核心交换机");
	assert_int_equal(ac->devices[0].nchecks, 2);
	assert_int_equal(ac->devices[0].checks[0].type, CT_SNMP);
	assert_int_equal(ac->devices[0].checks[0].interval_ms, 10000);
	assert_int_equal(ac->devices[0].checks[1].critical, 0);
	assert_int_equal(ac->devices[0].checks[0].nexpect, 3);
	assert_string_equal(ac->devices[0].checks[0].expect[1].value,
	    "ifHCInOctets.");
	assert_int_equal(ac->devices[0].checks[0].expect[1].prefix, 1);
	assert_int_equal(ac->devices[0].checks[0].expect[2].nin, 2);
	assert_int_equal(ac->devices[1].checks[1].interval_ms, 60000);
	assert_int_equal(ac->devices[1].checks[0].type, CT_HTTP);
	/* Defaults. */
	assert_string_equal(ac->devices[2].name, "ups-1");
	assert_int_equal(ac->devices[2].checks[0].interval_ms, 60000);
	assert_int_equal(ac->devices[2].checks[0].timeout_ms, 2000);
	assert_int_equal(ac->devices[2].checks[0].critical, 1);
	agent_conf_free(ac);
	cfgerr_free(&e);

	cfgerr_init(&e, CORPUS "/good-minimal.conf");
	assert_non_null(ac = agent_conf_load(CORPUS "/good-minimal.conf", &e));
	assert_string_equal(ac->collector_host, "::1");
	assert_string_equal(ac->devices[0].group, "default");
	agent_conf_free(ac);
	cfgerr_free(&e);
}

static void
test_bad(void **state)
{
	DIR	*d;
	struct dirent *de;
	int	 n = 0, mismatches = 0;

	(void)state;
	assert_non_null(d = opendir(CORPUS));
	while ((de = readdir(d)) != NULL) {
		char	 path[512], expath[512], *expect, *got;
		size_t	 len = strlen(de->d_name), off = 0;
		struct cfgerr e;
		int	 i;

		if (strncmp(de->d_name, "bad-", 4) != 0 || len < 6 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		snprintf(expath, sizeof(expath), "%s/%.*s.expect", CORPUS,
		    (int)(len - 5), de->d_name);
		assert_non_null(expect = slurp(expath));
		cfgerr_init(&e, path);
		if (agent_conf_load(path, &e) != NULL)
			fail_msg("%s loaded without errors", path);
		got = calloc(1, 65536);
		for (i = 0; i < e.n; i++)
			off += (size_t)snprintf(got + off, 65536 - off, "%s\n",
			    e.msgs[i]);
		if (strcmp(got, expect) != 0) {
			fprintf(stderr, "%s: expected\n%sgot\n%s", path, expect,
			    got);
			mismatches++;
		}
		free(got);
		free(expect);
		cfgerr_free(&e);
		n++;
	}
	closedir(d);
	assert_int_equal(mismatches, 0);
	assert_true(n >= 3);
}

static void
test_missing_file(void **state)
{
	struct cfgerr e;

	(void)state;
	cfgerr_init(&e, "/nonexistent/facmon.conf");
	assert_null(agent_conf_load("/nonexistent/facmon.conf", &e));
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msgs[0], "/nonexistent/facmon.conf: cannot "
	    "read"));
	cfgerr_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
