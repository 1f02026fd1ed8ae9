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
 * The modules' rows of the reload table: what cannot change while the
 * collector runs is refused by name and the running value kept in the
 * new configuration; what can change is left as the file says.
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

#include "../../collector/collector.h"
#include "../../collector/http/http.h"

static struct collector_conf *
load_text(const char *text)
{
	char	 path[] = "/tmp/facmon-reload-conf-XXXXXX";
	struct collector_conf *c;
	struct cfgerr e;
	int	 fd = mkstemp(path);

	assert_true(fd != -1);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	cfgerr_init(&e, path);
	c = collector_conf_load(path, &e);
	cfgerr_print(&e);
	cfgerr_free(&e);
	unlink(path);
	assert_non_null(c);
	return c;
}

static const char running[] = "collector: {\n"
    "  listen = [ \"127.0.0.1:5640\" ];\n"
    "  http = [ \"127.0.0.1:8080\" ];\n"
    "  data_dir = \"/var/lib/facmon\";\n"
    "  unknown_after = 5;\n"
    "  rrd: { queue = 1000; daemon = \"unix:/run/rrdcached.sock\"; };\n"
    "  agents = ( { id = \"demo\"; } );\n"
    "};\n";

/* Every fixed setting changed, and two that change live. */
static const char changed[] = "collector: {\n"
    "  listen = [ \"127.0.0.1:5641\", \"127.0.0.2:5640\" ];\n"
    "  http = [ \"127.0.0.1:8081\" ];\n"
    "  data_dir = \"/srv/facmon\";\n"
    "  user = \"nobody\";\n"
    "  fd_reserve = 99;\n"
    "  unknown_after = 9;\n"
    "  rrd: { queue = 2000; };\n"
    "  agents = ( { id = \"demo\"; }, { id = \"lab\"; } );\n"
    "};\n";

static void
test_fixed_settings_refused_and_kept(void **state)
{
	struct collector_conf *old = load_text(running);
	struct collector_conf *nc = load_text(changed);

	(void)state;
	assert_int_equal(ingest_reload.check(old, nc), 1);
	assert_int_equal(nc->nlisten, 1);
	assert_string_equal(nc->listen[0].text, "127.0.0.1:5640");
	assert_int_equal(http_reload.check(old, nc), 1);
	assert_string_equal(nc->http[0].text, "127.0.0.1:8080");
	/* rrd.queue and rrd.daemon: two keys of one module. */
	assert_int_equal(rrdw_reload.check(old, nc), 2);
	assert_int_equal(nc->rrd_queue, 1000);
	assert_string_equal(nc->rrd_daemon, "unix:/run/rrdcached.sock");
	assert_int_equal(privdrop_reload.check(old, nc), 1);
	assert_string_equal(nc->user, old->user);
	assert_int_equal(netlimit_reload.check(old, nc), 1);
	assert_int_equal(nc->fd_reserve, old->fd_reserve);
	/* What changes live is the file's. */
	assert_int_equal(nc->unknown_after, 9);
	assert_int_equal(nc->nagents, 2);
	/* Checked again, nc now describes what runs: nothing to refuse. */
	assert_int_equal(ingest_reload.check(old, nc), 0);
	assert_int_equal(http_reload.check(old, nc), 0);
	assert_int_equal(rrdw_reload.check(old, nc), 0);
	assert_int_equal(privdrop_reload.check(old, nc), 0);
	assert_int_equal(netlimit_reload.check(old, nc), 0);
	collector_conf_free(old);
	collector_conf_free(nc);
}

static void
test_same_file_refuses_nothing(void **state)
{
	const struct reload_ops *rows[] = { &ingest_reload, &state_reload,
	    &rrdw_reload, &maint_reload, &http_reload, &traps_reload,
	    &reports_reload, &latency_reload, &privdrop_reload,
	    &netlimit_reload };
	struct collector_conf *old = load_text(running);
	struct collector_conf *nc = load_text(running);
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(rows[i]->module);
		assert_true(rows[i]->check != NULL || rows[i]->apply != NULL);
		if (rows[i]->check != NULL)
			assert_int_equal(rows[i]->check(old, nc), 0);
	}
	collector_conf_free(old);
	collector_conf_free(nc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_settings_refused_and_kept),
		cmocka_unit_test(test_same_file_refuses_nothing),
	};

	log_init("test_reload", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
