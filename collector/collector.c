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
 * facmon-collector [-dnv] [-f file]
 *
 * The daemon never forks: systemd (or the operator with -d) runs it in
 * the foreground.  SIGHUP re-reads the config and keeps the old one when
 * the new one has errors; SIGTERM and SIGINT stop accepting, write what
 * the RRD queue holds and exit.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "collector.h"
#include "alert/alert.h"
#include "http/http.h"

static struct event_base *base;
static struct collector_conf *conf;
static const char *conf_file = COLLECTOR_CONF_DEFAULT;

static __dead void
usage(void)
{
	fprintf(stderr, "usage: facmon-collector [-dnv] [-f file]\n"
	    "       facmon-collector [-f file] avail [--month YYYY-MM] "
	    "[--group G] [--devices] [--json]\n"
	    "       facmon-collector [-f file] alert-test RECIPIENT\n"
	    "       facmon-collector --verify-journal FILE\n"
	    "       facmon-collector --dump-journal FILE\n"
	    "       facmon-collector [-f file] keygen AGENT_ID "
	    "[AGENT_KEY_FILE]\n"
	    "       facmon-collector [-f file] rrd-migrate\n"
	    "       facmon-collector hashpw < password\n");
	exit(2);
}

/* The daemon's own: every module keeps its files under data_dir. */
static int
core_reload_check(const struct collector_conf *old, struct collector_conf *nc)
{
	if (strcmp(nc->data_dir, old->data_dir) == 0)
		return 0;
	fm_strlcpy(nc->data_dir, old->data_dir, sizeof(nc->data_dir));
	return reload_refuse("data_dir");
}

static const struct reload_ops core_reload = {
	.module = "collector",
	.check = core_reload_check,
};

/*
 * The alert layer knows nothing of facmon-collector.conf: its row is
 * here.  The queue is allocated at start.
 */
static int
alerts_reload_check(const struct collector_conf *old,
    struct collector_conf *nc)
{
	int	 q = alert_queue_size();

	(void)old;
	if (q == 0 || nc->alerts == NULL || nc->alerts->queue_max == q)
		return 0;
	nc->alerts->queue_max = q;
	return reload_refuse("alerts.queue");
}

/*
 * Alerts configured for the first time start their worker now; alerts
 * already running get the new rules at once and the worker the new
 * channels and recipients (alert_reconf: what was queued before goes
 * on as docs/alerts.md says).  Alerts removed stop being routed; what
 * is queued is still delivered.
 */
static void
alerts_reload_apply(const struct collector_conf *nc)
{
	char	 err[256];

	alerting_avconf(&nc->av);
	if (nc->alerts != NULL && !alert_running()) {
		if (alert_init(nc->alerts, nc->data_dir, base, err,
		    sizeof(err)) == -1)
			log_warnx("reload: alerts: %s", err);
	} else if (nc->alerts != NULL)
		alert_reconf(nc->alerts);
	if (alert_running())
		alerting_conf(nc->alerts);
}

static const struct reload_ops alerts_reload = {
	.module = "alerts",
	.check = alerts_reload_check,
	.apply = alerts_reload_apply,
};

/*
 * In the order they apply: the maintenance windows early (they merge
 * the new configuration's windows with the web's before anything reads
 * them, and before the old configuration goes), the alert rules last,
 * once what they read is in place.
 */
static const struct reload_ops *const reload_table[] = {
	&core_reload,
	&privdrop_reload,
	&netlimit_reload,
	&ingest_reload,
	&state_reload,
	&rrdw_reload,
	&maint_reload,
	&http_reload,
	&traps_reload,
	&reports_reload,
	&latency_reload,
	&alerts_reload,
	NULL
};

/*
 * SIGHUP: a configuration with errors is not applied at all; one that
 * reads is checked by every module, then applied by every module, and
 * becomes the one in force -- the one the next reload compares with and
 * the shutdown path uses.
 */
static void
reload(void)
{
	struct collector_conf *nc;
	struct cfgerr e;
	int	 i, refused = 0;

	log_info("reloading %s", conf_file);
	cfgerr_init(&e, conf_file);
	if ((nc = collector_conf_load(conf_file, &e)) == NULL) {
		cfgerr_log(&e);
		cfgerr_free(&e);
		log_warnx("reload failed, keeping the running configuration");
		return;
	}
	cfgerr_free(&e);
	collector_conf_warn(nc);
	for (i = 0; reload_table[i] != NULL; i++)
		if (reload_table[i]->check != NULL)
			refused += reload_table[i]->check(conf, nc);
	for (i = 0; reload_table[i] != NULL; i++)
		if (reload_table[i]->apply != NULL)
			reload_table[i]->apply(nc);
	collector_conf_free(conf);
	conf = nc;
	log_info("configuration reloaded: %d agents, unknown_after %d%s",
	    conf->nagents, conf->unknown_after, refused > 0 ?
	    "; some settings wait for a restart" : "");
}

static void
sig_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		reload();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("signal %d, shutting down", (int)sig);
		event_base_loopbreak(base);
		break;
	}
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = mono_ms();

	(void)fd;
	(void)ev;
	(void)arg;
	state_expire(now, conf->unknown_after);
	ingest_tick(now);
	reports_tick(now);
	latency_tick(now_ms());
	alerting_tick(now_ms());
}

int
main(int argc, char *argv[])
{
	struct cfgerr e;
	struct event *ev_hup, *ev_term, *ev_int, *tick;
	struct timeval one = { 1, 0 };
	char	 err[256];
	int	 ch, debug = 0, noaction = 0, verbose = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "facmon-collector", FACMON_VERSION);
		return 0;
	}
	/* Checking a journal needs no configuration and touches nothing. */
	if (argc == 3 && strcmp(argv[1], "--verify-journal") == 0)
		return outage_verify(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--dump-journal") == 0)
		return outage_dump(argv[2]);
	/* Hashing a password needs no configuration either (webauth.c). */
	if (argc >= 2 && strcmp(argv[1], "hashpw") == 0)
		return web_hashpw_main(argc - 1, argv + 1);
	/* '+': options stop at a command, whose own options follow it. */
	while ((ch = getopt(argc, argv, "+df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conf_file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	log_init("facmon-collector", debug || noaction, verbose);
	cfgerr_init(&e, conf_file);
	conf = collector_conf_load(conf_file, &e);
	/*
	 * Every local time this process prints -- log lines, alert texts,
	 * rosters -- in the configured zone, whatever the server's is; set
	 * before any thread starts (TZ is not thread-safe to change).
	 */
	if (conf != NULL && log_set_zone(conf->av.tz) == -1)
		log_warnx("time zone '%s' not found; local times stay in the "
		    "server's zone", conf->av.tz);
	if (conf != NULL)
		collector_conf_warn(conf);
	/* Commands that read the data and exit: facmon-collector CMD ... */
	if (optind < argc) {
		int	 rc = 2;

		if (conf == NULL) {
			cfgerr_print(&e);
			cfgerr_free(&e);
			return 1;
		}
		cfgerr_free(&e);
		if (strcmp(argv[optind], "avail") == 0)
			rc = avail_main(conf, argc - optind, argv + optind);
		else if (strcmp(argv[optind], "alert-test") == 0 &&
		    argc - optind == 2)
			rc = alert_test_main(conf_file, argv[optind + 1]);
		else if (strcmp(argv[optind], "report-mail") == 0)
			rc = report_mail_main(conf, argc - optind,
			    argv + optind);
		else if (strcmp(argv[optind], "rrd-migrate") == 0 &&
		    argc - optind == 1)
			/* With the collector stopped: collector/rrdw.c. */
			rc = rrdw_migrate(conf);
		else if (strcmp(argv[optind], "keygen") == 0 &&
		    (argc - optind == 2 || argc - optind == 3))
			/* keygen AGENT_ID [AGENT_KEY_FILE]: collector/keys.c */
			rc = keys_keygen(conf, argv[optind + 1],
			    argc - optind == 3 ? argv[optind + 2] : NULL) == -1 ?
			    1 : 0;
		else
			usage();
		collector_conf_free(conf);
		return rc;
	}
	if (noaction) {
		cfgerr_print(&e);
		cfgerr_free(&e);
		if (conf == NULL)
			return 1;
		printf("configuration OK\n");
		collector_conf_free(conf);
		return 0;
	}
	if (conf == NULL) {
		if (debug)
			cfgerr_print(&e);
		else
			cfgerr_log(&e);
		cfgerr_free(&e);
		fatalx("%s: configuration invalid", conf_file);
	}
	cfgerr_free(&e);

	/* A peer that closes early must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	state_init();
	state_set_confirm(conf->confirm);
	if (outage_open(base, conf->data_dir, err, sizeof(err)) == -1)
		fatalx("outage journal: %s", err);
	/* The pipeline after state: the journal first, then who acts. */
	state_listen(&outage_listener);
	state_listen(&latency_listener);
	state_listen(&alerting_listener);
	outage_listen(alerting_outage_note);
	events_listen(alerting_event);
	if (maint_open(base, conf, err, sizeof(err)) == -1)
		fatalx("maintenance windows: %s", err);
	latency_reconf(&conf->av);
	traps_reconf(conf);
	if (conf->alerts != NULL) {
		if (alert_init(conf->alerts, conf->data_dir, base, err,
		    sizeof(err)) == -1)
			fatalx("alerts: %s", err);
		alerting_avconf(&conf->av);
		alerting_conf(conf->alerts);
		alerting_resume(now_ms());
	}
	if (rrdw_start(base, conf, err, sizeof(err)) == -1)
		fatalx("rrd: %s", err);
	if (ingest_init(base, conf) == -1)
		fatalx("cannot listen for agents");
	if (http_init(base, conf) == -1)
		fatalx("cannot start the HTTP server");
	reports_init(conf, argv[0]);
	/*
	 * Everything that needs root is done: the ports are bound, the
	 * journals open, the keys read (collector/privdrop.c).
	 */
	if (collector_priv_drop(conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* Everything the daemon keeps open is open: the rest is for peers. */
	netlimit_init(base, conf->fd_reserve, conf->max_connections,
	    conf->http_connections);

	ev_hup = evsignal_new(base, SIGHUP, sig_cb, NULL);
	ev_term = evsignal_new(base, SIGTERM, sig_cb, NULL);
	ev_int = evsignal_new(base, SIGINT, sig_cb, NULL);
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	if (ev_hup == NULL || ev_term == NULL || ev_int == NULL ||
	    tick == NULL)
		fatalx("event setup failed");
	evsignal_add(ev_hup, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evtimer_add(tick, &one);

	log_info("facmon-collector %s started, %d agents", FACMON_VERSION,
	    conf->nagents);
	if (event_base_dispatch(base) == -1)
		log_warnx("event loop failed");

	/* Stop taking input first, so the queue only shrinks. */
	netlimit_stop();
	ingest_stop();
	/* A window being saved is answered while its request lives. */
	maint_close();
	http_stop();
	reports_stop();
	log_info("writing the RRD values held");
	rrdw_stop();
	latency_stop();
	alerting_conf(NULL);
	alerting_avconf(NULL);
	outage_close();
	/* Whatever the configuration says now: the worker may be running. */
	alert_shutdown();
	state_free();
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	event_free(tick);
	event_base_free(base);
	collector_conf_free(conf);
	log_info("exiting");
	return 0;
}
