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

/* facmon-agent: main, signals and reload. */

#include <sys/resource.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

struct event_base *agent_base;
struct agent_conf *agent_conf;

static __dead void
usage(void)
{
	fprintf(stderr, "usage: facmon-agent [-dnv] [-f file]\n"
	    "       facmon-agent discover [options] address ...\n");
	exit(2);
}

static void
agent_reload(void)
{
	struct agent_conf *nc;
	struct cfgerr e;

	log_info("reloading %s", agent_conf->file);
	cfgerr_init(&e, agent_conf->file);
	if ((nc = agent_conf_load(agent_conf->file, &e)) == NULL) {
		cfgerr_log(&e);
		log_warnx("the new configuration has %d error%s; keeping the "
		    "running one", e.n, e.n == 1 ? "" : "s");
		cfgerr_free(&e);
		return;
	}
	cfgerr_free(&e);
	/* Threads run now: TZ cannot change safely before a restart. */
	if (strcmp(nc->timezone, agent_conf->timezone) != 0)
		log_warnx("timezone '%s' takes effect when the agent is "
		    "restarted", nc->timezone);
	sched_stop();
	trap_stop();
	agent_conf_free(agent_conf);
	agent_conf = nc;
	push_devices_changed(nc);
	if (sched_start(nc) == -1)
		log_warnx("some checks could not start; see above");
	if (trap_start(nc->traps) == -1)
		log_warnx("the trap receiver could not start everywhere");
	malloc_trim(0);
	log_info("configuration reloaded: %d devices", nc->ndevices);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		agent_reload();
		break;
	case SIGINT:
	case SIGTERM:
		log_info("exiting on signal %d", (int)sig);
		event_base_loopbreak(agent_base);
		break;
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	/* One socket per SNMP session: a large site needs many. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char *argv[])
{
	const char *file = AGENT_CONF_DEFAULT;
	struct event_config *ecfg;
	struct event *sigs[3];
	struct cfgerr e;
	int	 ch, debug = 0, noaction = 0, verbose = 0, i;
	int	 signos[3] = { SIGHUP, SIGINT, SIGTERM };
	uint64_t probes, overruns;
	int64_t	 late;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "facmon-agent", FACMON_VERSION);
		return 0;
	}
	/* A command of its own: it prints device blocks and exits. */
	if (argc >= 2 && strcmp(argv[1], "discover") == 0) {
		log_init("facmon-agent", 1, 0);
		return discover_main(argc - 1, argv + 1);
	}
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/*
	 * A fixed mmap threshold: glibc otherwise raises it to the size of
	 * each large block freed (the configuration's device table, the
	 * device list sent on connect), and later large buffers then come
	 * from the heap, which cannot shrink past a live block above them.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	log_init("facmon-agent", 1, verbose);
	cfgerr_init(&e, file);
	agent_conf = agent_conf_load(file, &e);
	/* What the daemon would refuse later, -n refuses now. */
	if (agent_conf != NULL &&
	    agent_conf_check_files(agent_conf, &e) == -1) {
		agent_conf_free(agent_conf);
		agent_conf = NULL;
	}
	if (agent_conf == NULL) {
		cfgerr_print(&e);
		fprintf(stderr, "%s: %d error%s\n", file, e.n,
		    e.n == 1 ? "" : "s");
		cfgerr_free(&e);
		return 1;
	}
	cfgerr_free(&e);
	if (noaction) {
		printf("configuration OK: %d devices\n", agent_conf->ndevices);
		agent_conf_free(agent_conf);
		return 0;
	}
	log_init("facmon-agent", debug, verbose);
	/*
	 * The log's times in the configured zone, as the collector's, so
	 * that one journal reads in one zone; before any thread starts
	 * (TZ is not thread-safe to change).
	 */
	if (log_set_zone(agent_conf->timezone) == -1)
		log_warnx("time zone '%s' not found; local times stay in the "
		    "server's zone", agent_conf->timezone);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	/*
	 * No EVENT_BASE_FLAG_PRECISE_TIMER: epoll's millisecond timeout is
	 * precise enough for probe slots, and the flag costs a
	 * timerfd_settime() call for every timer change -- several per
	 * probe.
	 */
	if ((ecfg = event_config_new()) == NULL)
		fatalx("event_config_new");
	if ((agent_base = event_base_new_with_config(ecfg)) == NULL)
		fatalx("event_base_new");
	event_config_free(ecfg);

	if (snmp_global_init(agent_conf->mibdirs) == -1)
		fatalx("cannot initialise the SNMP library");
	if (http_global_init() == -1)
		fatalx("cannot initialise libcurl");
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(agent_base, signos[i], signal_cb, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("evsignal_new");
	}
	push_init(agent_conf);
	if (sched_start(agent_conf) == -1)
		log_warnx("some checks could not start; see above");
	if (trap_start(agent_conf->traps) == -1)
		log_warnx("the trap receiver could not start everywhere");
	/* Everything that needs root is open: become the configured user. */
	{
		char	 err[PATH_MAX + 128];

		if (priv_drop(agent_conf, err, sizeof(err)) == -1)
			fatalx("%s", err);
	}
	push_start();
	/*
	 * Parsing a large configuration leaves freed heap behind (the
	 * libconfig tree); hand it back, the agent is meant to be small.
	 */
	malloc_trim(0);
	log_info("started: agent %s, %d devices, collector %s:%d",
	    agent_conf->id, agent_conf->ndevices, agent_conf->collector_host,
	    agent_conf->collector_port);

	event_base_dispatch(agent_base);

	sched_stats(&probes, &overruns, &late);
	log_info("probes %llu, overruns %llu, worst start lateness %.1f ms",
	    (unsigned long long)probes, (unsigned long long)overruns,
	    late / 1000.0);
	log_info("start lateness: median %.1f ms, p99 %.1f ms (100 us buckets)",
	    sched_late_quantile(0.5) / 1000.0,
	    sched_late_quantile(0.99) / 1000.0);
	sched_stop();
	snmp_stash_free();
	trap_stop();
	push_shutdown();
	http_global_cleanup();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	agent_conf_free(agent_conf);
	event_base_free(agent_base);
	return 0;
}
