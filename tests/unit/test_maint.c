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
 * The maintenance windows module (collector/outage/maint.c): a window
 * made through the web is merged with the configuration's, written to
 * maintenance.json off the loop and answered once durable, read back at
 * the next start, and a reload to a configuration with fewer rules frees
 * only what the module allocated (the merged list used to free from the
 * new configuration's count, i.e. the old configuration's own lists).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "../../collector/outage/outage.h"

static int	 saved_rc = 99;
static char	 saved_id[64];

static void
saved(void *arg, int rc, const char *err, json_t *win)
{
	(void)arg;
	(void)err;
	saved_rc = rc;
	if (win != NULL)
		snprintf(saved_id, sizeof(saved_id), "%s",
		    json_string_value(json_object_get(win, "id")));
}

/* A configuration whose maintenance rules cover devices "a" and "b". */
static void
conf_rules(struct collector_conf *c, int n)
{
	int	 i;

	c->av.rules = calloc((size_t)n, sizeof(*c->av.rules));
	assert_non_null(c->av.rules);
	c->av.nrules = n;
	for (i = 0; i < n; i++) {
		struct mw_rule *r = &c->av.rules[i];

		snprintf(r->id, sizeof(r->id), "conf-%d", i);
		r->kind = MW_ONCE;
		r->start_ms = 1000;
		r->duration_ms = 1000;
		r->devices = calloc(1, sizeof(char *));
		assert_non_null(r->devices);
		r->devices[0] = strdup(i == 0 ? "a" : "b");
		r->ndevices = 1;
	}
}

static void
conf_free(struct collector_conf *c)
{
	int	 i;

	for (i = 0; i < c->av.nrules; i++) {
		free(c->av.rules[i].devices[0]);
		free(c->av.rules[i].devices);
	}
	free(c->av.rules);
	c->av.rules = NULL;
	c->av.nrules = 0;
}

static void
test_web_window_merged_saved_and_reloaded(void **unused)
{
	char	 dir[] = "/tmp/facmon-maint-XXXXXX", err[256], cmd[64];
	struct collector_conf c1, c2;
	struct maint_window w;
	struct device_state d;
	struct event_base *base = event_base_new();
	const struct avconf *av;
	int	 i;

	(void)unused;
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	snprintf(c1.data_dir, sizeof(c1.data_dir), "%s", dir);
	snprintf(c2.data_dir, sizeof(c2.data_dir), "%s", dir);
	snprintf(c1.av.tz, sizeof(c1.av.tz), "Asia/Shanghai");
	snprintf(c2.av.tz, sizeof(c2.av.tz), "Asia/Shanghai");
	conf_rules(&c1, 2);
	conf_rules(&c2, 1);

	assert_int_equal(maint_open(base, &c1, err, sizeof(err)), 0);
	memset(&w, 0, sizeof(w));
	w.start_ms = 5000;
	w.end_ms = 9000;
	snprintf(w.reason, sizeof(w.reason), "电梯年检");
	w.devices = json_pack("[s]", "lift-2");
	w.groups = json_array();
	w.classes = json_array();
	assert_int_equal(maint_add(&w, "op", saved, NULL), 0);
	/* Merged at once: the two rules of the configuration, then it. */
	av = maint_avconf();
	assert_int_equal(av->nrules, 3);
	assert_string_equal(av->rules[2].id, "web-1");
	memset(&d, 0, sizeof(d));
	snprintf(d.id, sizeof(d.id), "lift-2");
	assert_true(maint_in(&d, 6000));
	assert_int_equal(maint_until(&d, 6000), 9000);
	assert_false(maint_in(&d, 9000));
	/* Answered on the loop once on disk. */
	for (i = 0; i < 500 && saved_rc == 99; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	assert_int_equal(saved_rc, 0);
	assert_string_equal(saved_id, "web-1");

	/* A reload to fewer rules: only the web window's lists are ours. */
	maint_reconf(&c2);
	conf_free(&c1);
	av = maint_avconf();
	assert_int_equal(av->nrules, 2);
	assert_string_equal(av->rules[0].id, "conf-0");
	assert_string_equal(av->rules[1].id, "web-1");
	maint_close();

	/* The next start reads the window back from maintenance.json. */
	assert_int_equal(maint_open(base, &c2, err, sizeof(err)), 0);
	assert_non_null(maint_find("web-1"));
	assert_true(maint_in(&d, 6000));
	maint_close();
	conf_free(&c2);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web_window_merged_saved_and_reloaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
