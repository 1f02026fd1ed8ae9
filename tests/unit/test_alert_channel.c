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
 * Channels as table entries: every row of the table is complete, the
 * config reader finds a type by its row and names the types in its
 * error, and the file channel -- added as one file and one row -- is
 * read, sent to and checked line by line.  Then the worker on a reload:
 * a recipient added receives the next alert, one removed still gets
 * what was queued to them, and a channel added is used at once.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../collector/alert/alert_channel.h"
#include "alert_load.h"

/* Lines of the file channel's file whose recipient field is rcpt. */
static int
lines_for(const char *path, const char *key, const char *rcpt)
{
	FILE	*f;
	char	 line[2048], *fld[6], *p;
	int	 n = 0, i;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*tab = strrchr(line, '\t');
		uint32_t crc;

		/* The checksum covers everything before its tab. */
		assert_non_null(tab);
		crc = (uint32_t)strtoul(tab + 1, NULL, 16);
		assert_int_equal(crc, crc32c(0, line, (size_t)(tab - line)));
		for (i = 0, p = line; i < 5 && p != NULL; i++)
			fld[i] = strsep(&p, "\t");
		assert_int_equal(i, 5);
		if (strcmp(fld[1], key) == 0 && strcmp(fld[2], rcpt) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static void
test_table_rows(void **state)
{
	int	 i, j;

	(void)state;
	for (i = 0; alert_channel_table[i] != NULL; i++) {
		const struct channel_ops *o = alert_channel_table[i];

		assert_non_null(o->type);
		assert_non_null(o->keys);
		assert_non_null(o->parse);
		assert_non_null(o->send);
		assert_ptr_equal(alert_channel_ops(o->type), o);
		/* Every type takes the two keys the reader needs. */
		for (j = 0; o->keys[j] != NULL; j++)
			if (strcmp(o->keys[j], "type") == 0)
				break;
		assert_non_null(o->keys[j]);
	}
	assert_int_equal(i, 6);
	assert_null(alert_channel_ops("pager"));
}

static void
test_unknown_type_names_the_table(void **state)
{
	struct cfgerr e;
	struct alert_conf *c;

	(void)state;
	c = load_text("alerts: { channels = ( { name = \"p\"; type = "
	    "\"pager\"; } ); recipients = ( { name = \"duty\"; } );"
	    " deliver = ( [\"p\"] ); };\n", &e);
	assert_null(c);
	assert_true(e.n >= 1);
	assert_non_null(strstr(e.msgs[0], "unknown channel type 'pager' "
	    "(smtp, gammu, aliyun, tencent, webhook, file)"));
	cfgerr_free(&e);
	/* The file channel's own check: an absolute path, no CR or LF. */
	c = load_text("alerts: { channels = ( { name = \"f\"; type = "
	    "\"file\"; path = \"rel/alerts.log\"; timeout = 5; } );"
	    " recipients = ( { name = \"duty\"; } );"
	    " deliver = ( [\"f\"] ); };\n", &e);
	assert_null(c);
	/* The path, and timeout: not a key of the file channel. */
	assert_int_equal(e.n, 2);
	cfgerr_free(&e);
}

static void
test_file_channel_send(void **state)
{
	char	 dir[] = "/tmp/facmon-chan-XXXXXX", text[1024], path[256];
	char	 cmd[300], err[256];
	struct cfgerr e;
	struct alert_conf *c;
	struct alert_msg m;
	const struct alert_channel *ch;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alerts.log", dir);
	snprintf(text, sizeof(text), "alerts: { language = \"en\";"
	    " channels = ( { name = \"wall\"; type = \"file\"; path = \"%s\"; }"
	    " ); recipients = ( { name = \"duty\"; } );"
	    " deliver = ( [\"wall\"] ); };\n", path);
	c = load_text(text, &e);
	cfgerr_print(&e);
	assert_non_null(c);
	ch = &c->channels[0];
	assert_true(alert_channel_is(ch, "file"));
	memset(&m, 0, sizeof(m));
	fm_strlcpy(m.key, "ups1-1000-down", sizeof(m.key));
	m.kind = AK_DOWN;
	m.severity = AS_CRITICAL;
	fm_strlcpy(m.device_id, "ups1", sizeof(m.device_id));
	fm_strlcpy(m.device_name, "UPS\tone", sizeof(m.device_name));
	fm_strlcpy(m.check, "ping", sizeof(m.check));
	m.since_ms = 1000;
	assert_int_equal(ch->ops->send(ch, &c->recipients[0], &m, "id", err,
	    sizeof(err)), SEND_OK);
	assert_int_equal(ch->ops->send(ch, &c->recipients[0], &m, "id", err,
	    sizeof(err)), SEND_OK);
	assert_int_equal(lines_for(path, "ups1-1000-down", "duty"), 2);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	alert_conf_free(c);
	cfgerr_free(&e);
	/* A directory that is not there is a configuration fault. */
	snprintf(text, sizeof(text), "alerts: { channels = ( { name = "
	    "\"wall\"; type = \"file\"; path = \"%s/no/such/a.log\"; } );"
	    " recipients = ( { name = \"duty\"; } );"
	    " deliver = ( [\"wall\"] ); };\n", dir);
	c = load_text(text, &e);
	assert_non_null(c);
	ch = &c->channels[0];
	assert_int_equal(ch->ops->send(ch, &c->recipients[0], &m, "id", err,
	    sizeof(err)), SEND_PERM);
	assert_non_null(strstr(err, "No such file"));
	alert_conf_free(c);
	cfgerr_free(&e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Waits for a condition the worker brings about, for at most ~20 s. */
#define WAIT_FOR(cond) do {						\
	int	 tries_;						\
	for (tries_ = 0; !(cond) && tries_ < 2000; tries_++)		\
		usleep(10000);						\
	assert_true(cond);						\
} while (0)

static void
submit(const char *key, int severity)
{
	struct alert_msg m;

	memset(&m, 0, sizeof(m));
	fm_strlcpy(m.key, key, sizeof(m.key));
	m.kind = AK_DOWN;
	m.severity = severity;
	fm_strlcpy(m.device_id, "ups1", sizeof(m.device_id));
	fm_strlcpy(m.device_name, "UPS", sizeof(m.device_name));
	fm_strlcpy(m.check, "ping", sizeof(m.check));
	m.since_ms = 1000;
	assert_int_equal(alert_submit(&m), 0);
}

/* The state of delivery id in the outbox, or "" when it is not there. */
static const char *
delivery_state(const char *id)
{
	static char st[32];
	json_t	*o = alert_outbox_json(), *d;
	size_t	 i;

	st[0] = '\0';
	json_array_foreach(json_object_get(o, "deliveries"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "id")),
		    id) == 0)
			fm_strlcpy(st, json_string_value(json_object_get(d,
			    "state")), sizeof(st));
	json_decref(o);
	return st;
}

/* A number of delivery id in the outbox, or -1 when it is not there. */
static json_int_t
delivery_int(const char *id, const char *field)
{
	json_t	*o = alert_outbox_json(), *d;
	json_int_t v = -1;
	size_t	 i;

	json_array_foreach(json_object_get(o, "deliveries"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "id")),
		    id) == 0)
			v = json_integer_value(json_object_get(d, field));
	json_decref(o);
	return v;
}

/* A counter of the outbox: sent, attempts, refused... */
static json_int_t
outbox_count(const char *field)
{
	json_t	*o = alert_outbox_json();
	json_int_t v = json_integer_value(json_object_get(o, field));

	json_decref(o);
	return v;
}

static void
test_reload_recipients_and_channels(void **state)
{
	char	 dir[] = "/tmp/facmon-chanrl-XXXXXX", text[2048];
	char	 p1[256], p2[256], cmd[300], err[256];
	struct cfgerr e;
	struct alert_conf *c1, *c2;
	/* The worker's queue needs a loop; no job of it calls back. */
	struct event_base *base = event_base_new();

	(void)state;
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/one.log", dir);
	snprintf(p2, sizeof(p2), "%s/two.log", dir);
	/* A digest window of 2 s holds a second warning to "old". */
	snprintf(text, sizeof(text), "alerts: { digest = \"2s\";"
	    " channels = ( { name = \"one\"; type = \"file\";"
	    "  path = \"%s\"; } );"
	    " recipients = ( { name = \"old\"; }, { name = \"stay\"; } );"
	    " deliver = ( [\"one\"] ); };\n", p1);
	c1 = load_text(text, &e);
	cfgerr_print(&e);
	assert_non_null(c1);
	cfgerr_free(&e);
	snprintf(text, sizeof(text), "alerts: { digest = \"2s\";"
	    " channels = ( { name = \"one\"; type = \"file\"; path = \"%s\"; },"
	    "  { name = \"two\"; type = \"file\"; path = \"%s\"; } );"
	    " recipients = ( { name = \"stay\"; }, { name = \"new\"; } );"
	    " deliver = ( [\"one\"], [\"two\"] ); };\n", p1, p2);
	c2 = load_text(text, &e);
	cfgerr_print(&e);
	assert_non_null(c2);
	cfgerr_free(&e);

	assert_int_equal(alert_init(c1, dir, base, err, sizeof(err)), 0);
	submit("a-1", AS_WARNING);
	WAIT_FOR(lines_for(p1, "a-1", "old") == 1 &&
	    lines_for(p1, "a-1", "stay") == 1);
	/* Held by the digest window: queued to "old" before the reload. */
	submit("b-2", AS_WARNING);
	alert_reconf(c2);
	submit("c-3", AS_CRITICAL);
	/* Added: the next alert reaches "new", on both chains. */
	WAIT_FOR(lines_for(p1, "c-3", "new") == 1 &&
	    lines_for(p2, "c-3", "new") == 1 &&
	    lines_for(p2, "c-3", "stay") == 1);
	assert_int_equal(lines_for(p1, "c-3", "old"), 0);
	/* Removed: what was queued to "old" still goes, as queued. */
	WAIT_FOR(strcmp(delivery_state("b-2.old.0"), "sent") == 0);
	assert_int_equal(lines_for(p1, "b-2", "old"), 1);
	/*
	 * "stay" is in both: its delivery moved to the new configuration
	 * and went along in the digest of the critical c-3 (one line).
	 */
	WAIT_FOR(strcmp(delivery_state("b-2.stay.0"), "sent") == 0);
	/* Queued before the reload: not to the recipient it added. */
	assert_int_equal(lines_for(p1, "b-2", "new"), 0);
	alert_shutdown();
	event_base_free(base);
	/* The worker's references are gone: these are the last. */
	alert_conf_free(c1);
	alert_conf_free(c2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A collector's alerts with one file channel, "wall", to one recipient,
 * "duty", in a directory of their own; settings go before the channels.
 */
struct wallfix {
	char		 dir[64];
	char		 path[256];
	struct alert_conf *c;
	struct event_base *base;
};

static void
wall_start(struct wallfix *f, const char *settings)
{
	char	 text[1024], err[256];
	struct cfgerr e;

	fm_strlcpy(f->dir, "/tmp/facmon-chanwall-XXXXXX", sizeof(f->dir));
	assert_non_null(f->base = event_base_new());
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/wall.log", f->dir);
	snprintf(text, sizeof(text), "alerts: { %s"
	    " channels = ( { name = \"wall\"; type = \"file\";"
	    "  path = \"%s\"; } );"
	    " recipients = ( { name = \"duty\"; } );"
	    " deliver = ( [\"wall\"] ); };\n", settings, f->path);
	f->c = load_text(text, &e);
	cfgerr_print(&e);
	assert_non_null(f->c);
	cfgerr_free(&e);
	assert_int_equal(alert_init(f->c, f->dir, f->base, err, sizeof(err)),
	    0);
}

/* A restart of the alerts on the same directory and configuration. */
static void
wall_restart(struct wallfix *f)
{
	char	 err[256];

	assert_int_equal(alert_init(f->c, f->dir, f->base, err, sizeof(err)),
	    0);
}

static void
wall_stop(struct wallfix *f)
{
	char	 cmd[300];

	alert_shutdown();
	event_base_free(f->base);
	alert_conf_free(f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A temporary failure is retried after its back-off, again and again,
 * until the channel takes it: the file channel's path is a symbolic
 * link to itself (ELOOP, a temporary failure) until it is removed.
 */
static void
test_retried_until_sent(void **state)
{
	struct wallfix f;
	json_int_t sent, attempts;

	(void)state;
	wall_start(&f, "digest = 0;"
	    " retry = { first = \"200ms\"; max = \"200ms\"; };");
	/* A link to itself: every open fails until it is removed. */
	assert_int_equal(symlink(f.path, f.path), 0);
	/* The counters are the process's, since the first start. */
	sent = outbox_count("sent");
	attempts = outbox_count("attempts");
	submit("r-1", AS_CRITICAL);
	/* Retried, not failed: each retry is the send job's next run. */
	WAIT_FOR(delivery_int("r-1.duty.0", "total_attempts") >= 3);
	assert_string_equal(delivery_state("r-1.duty.0"), "retrying");
	assert_int_equal(lines_for(f.path, "r-1", "duty"), 0);
	assert_int_equal(unlink(f.path), 0);
	WAIT_FOR(strcmp(delivery_state("r-1.duty.0"), "sent") == 0);
	assert_int_equal(lines_for(f.path, "r-1", "duty"), 1);
	assert_int_equal(outbox_count("sent"), sent + 1);
	assert_int_equal(outbox_count("attempts"), attempts +
	    delivery_int("r-1.duty.0", "total_attempts"));
	assert_true(delivery_int("r-1.duty.0", "total_attempts") >= 4);
	wall_stop(&f);
}

/*
 * A delivery held by the digest window waits on the queue for its time;
 * shutting down does not wait for it, and leaves it in the outbox.  The
 * next start resumes it, and a critical alert takes it along.
 */
static void
test_shutdown_keeps_what_waits(void **state)
{
	char	 file[300];
	struct wallfix f;
	struct stat sb;
	json_int_t digested;

	(void)state;
	wall_start(&f, "digest = \"1h\";");
	submit("a-1", AS_WARNING);
	WAIT_FOR(lines_for(f.path, "a-1", "duty") == 1);
	/* Inside the window opened by a-1: it waits for an hour. */
	submit("b-2", AS_WARNING);
	WAIT_FOR(strcmp(delivery_state("b-2.duty.0"), "pending") == 0);
	alert_shutdown();
	assert_false(alert_running());
	snprintf(file, sizeof(file), "%s/alerts/outbox/b-2.duty.0.json",
	    f.dir);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(lines_for(f.path, "b-2", "duty"), 0);

	wall_restart(&f);
	assert_string_equal(delivery_state("b-2.duty.0"), "pending");
	digested = outbox_count("digested");
	submit("c-3", AS_CRITICAL);
	WAIT_FOR(strcmp(delivery_state("b-2.duty.0"), "sent") == 0);
	/* One message, under the critical one's key. */
	assert_int_equal(lines_for(f.path, "c-3", "duty"), 1);
	assert_int_equal(lines_for(f.path, "b-2", "duty"), 0);
	assert_int_equal(outbox_count("digested"), digested + 1);
	assert_int_not_equal(stat(file, &sb), 0);
	wall_stop(&f);
}

/*
 * Alerts submitted just before a stop are not lost: each is either sent
 * or waiting in the outbox, whatever the queue had reached, and the next
 * start sends what waits.
 */
static void
test_shutdown_keeps_the_inbox(void **state)
{
	char	 file[300], key[32];
	struct wallfix f;
	struct stat sb;
	int	 i, sent, kept;

	(void)state;
	wall_start(&f, "");
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "s-%d", i);
		submit(key, AS_CRITICAL);
	}
	alert_shutdown();
	for (i = sent = kept = 0; i < 40; i++) {
		int	 l, k;

		snprintf(key, sizeof(key), "s-%d", i);
		snprintf(file, sizeof(file), "%s/alerts/outbox/%s.duty.0.json",
		    f.dir, key);
		l = lines_for(f.path, key, "duty");
		k = stat(file, &sb) == 0;
		assert_int_equal(l + k, 1);
		sent += l;
		kept += k;
	}
	assert_int_equal(sent + kept, 40);

	/* The next start has what waited (sent as far as the rate allows). */
	wall_restart(&f);
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "s-%d", i);
		snprintf(file, sizeof(file), "%s.duty.0", key);
		if (lines_for(f.path, key, "duty") == 0)
			assert_string_not_equal(delivery_state(file), "");
	}
	wall_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_unknown_type_names_the_table),
		cmocka_unit_test(test_file_channel_send),
		cmocka_unit_test(test_reload_recipients_and_channels),
		cmocka_unit_test(test_retried_until_sent),
		cmocka_unit_test(test_shutdown_keeps_what_waits),
		cmocka_unit_test(test_shutdown_keeps_the_inbox),
	};

	log_init("test_alert_channel", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
