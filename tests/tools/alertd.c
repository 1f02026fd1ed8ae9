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
 * test-alertd: the alert delivery layer on its own event loop, for the
 * integration tests (tests/integration/test_alerts.py).  It links the
 * real collector/alert*.c and outbox.c, submits the alerts of a JSON
 * file and writes alert_outbox_json() to a file every 100 ms, so that a
 * test can watch deliveries and kill -9 the process in the middle.
 *
 *   test-alertd -f conf -D data_dir [-s alerts.json] [-o status.json]
 *   test-alertd -f conf -t RECIPIENT        (the alert-test mode)
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <libconfig.h>

#include "../../collector/alert/alert.h"

static struct event_base *base;
static const char *status_file;

static __dead void
usage(void)
{
	fprintf(stderr, "usage: test-alertd -f conf -D dir [-s alerts.json] "
	    "[-o status.json] | -f conf -t recipient\n");
	exit(2);
}

static void
str(json_t *o, const char *k, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (v != NULL)
		fm_strlcpy(dst, v, len);
}

/*
 * The zone as the collector takes it: availability.timezone of the
 * same file, Asia/Shanghai by default.
 */
static void
set_zone(const char *file)
{
	config_t cfg;
	const char *tz = "Asia/Shanghai";

	config_init(&cfg);
	if (config_read_file(&cfg, file) == CONFIG_TRUE)
		config_lookup_string(&cfg, "availability.timezone", &tz);
	if (log_set_zone(tz) == -1)
		fprintf(stderr, "unknown zone %s\n", tz);
	config_destroy(&cfg);
}

static int
submit_file(const char *file)
{
	json_error_t je;
	json_t	*a, *o, *r;
	size_t	 i, j;

	if ((a = json_load_file(file, 0, &je)) == NULL) {
		fprintf(stderr, "%s: %s\n", file, je.text);
		return -1;
	}
	json_array_foreach(a, i, o) {
		struct alert_msg m;
		char	 kind[32] = "down";

		memset(&m, 0, sizeof(m));
		str(o, "key", m.key, sizeof(m.key));
		str(o, "kind", kind, sizeof(kind));
		m.kind = alert_kind_parse(kind);
		m.severity = AS_CRITICAL;
		str(o, "device_id", m.device_id, sizeof(m.device_id));
		str(o, "device_name", m.device_name, sizeof(m.device_name));
		str(o, "check", m.check, sizeof(m.check));
		str(o, "cause", m.cause, sizeof(m.cause));
		str(o, "link", m.link, sizeof(m.link));
		alert_facts_from_json(json_object_get(o, "facts"), &m.f);
		if (json_is_integer(json_object_get(o, "severity")))
			m.severity = (int)json_integer_value(json_object_get(o,
			    "severity"));
		m.since_ms = json_integer_value(json_object_get(o, "since_ms"));
		m.duration_ms = json_integer_value(json_object_get(o,
		    "duration_ms"));
		json_array_foreach(json_object_get(o, "recipients"), j, r)
			if (m.nrecipients < ALERT_RCPT_MAX)
				fm_strlcpy(m.recipients[m.nrecipients++],
				    json_string_value(r) ? json_string_value(r) :
				    "", FM_ID_MAX);
		if (alert_submit(&m) == -1)
			fprintf(stderr, "refused %s\n", m.key);
	}
	json_decref(a);
	return 0;
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	json_t	*o;
	char	*s, err[256];

	(void)fd;
	(void)ev;
	(void)arg;
	if (status_file == NULL || (o = alert_outbox_json()) == NULL)
		return;
	if ((s = json_dumps(o, JSON_INDENT(1))) != NULL) {
		if (fm_write_file_atomic(status_file, s, strlen(s), err,
		    sizeof(err)) == -1)
			fprintf(stderr, "%s\n", err);
		free(s);
	}
	json_decref(o);
}

static void
sig_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

int
main(int argc, char *argv[])
{
	const char *conf_file = NULL, *dir = NULL, *alerts = NULL;
	const char *test_rcpt = NULL;
	struct alert_conf *c;
	struct cfgerr e;
	struct event *tick, *term;
	struct timeval tv = { 0, 100000 };
	char	 err[256];
	int	 ch;

	while ((ch = getopt(argc, argv, "D:f:o:s:t:")) != -1) {
		switch (ch) {
		case 'D':
			dir = optarg;
			break;
		case 'f':
			conf_file = optarg;
			break;
		case 'o':
			status_file = optarg;
			break;
		case 's':
			alerts = optarg;
			break;
		case 't':
			test_rcpt = optarg;
			break;
		default:
			usage();
		}
	}
	if (conf_file == NULL)
		usage();
	log_init("test-alertd", 1, 1);
	set_zone(conf_file);
	if (test_rcpt != NULL)
		return alert_test_main(conf_file, test_rcpt);
	if (dir == NULL)
		usage();
	cfgerr_init(&e, conf_file);
	if ((c = alert_conf_load(conf_file, &e)) == NULL) {
		cfgerr_print(&e);
		return 1;
	}
	cfgerr_free(&e);
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (alert_init(c, dir, base, err, sizeof(err)) == -1)
		fatalx("alert_init: %s", err);
	alert_conf_free(c);	/* alert_init keeps a copy */
	if (alerts != NULL && submit_file(alerts) == -1)
		return 1;
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	term = evsignal_new(base, SIGTERM, sig_cb, NULL);
	evtimer_add(tick, &tv);
	evsignal_add(term, NULL);
	event_base_dispatch(base);
	alert_shutdown();
	event_free(tick);
	event_free(term);
	event_base_free(base);
	return 0;
}
