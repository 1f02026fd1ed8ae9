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
 * facmon-sim: main program.  See tools/sim/README.md for the scenario
 * file, the fault kinds and the control commands.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sim.h"

struct sim	*sim;

static int64_t	 last_tick;

static __dead void
usage(void)
{
	fprintf(stderr,
	    "usage: facmon-sim [-dv] [-n] -f SCENARIO   run the centre "
	    "(-n: check the file)\n"
	    "       facmon-sim ctl -s SOCKET COMMAND ...\n"
	    "       facmon-sim agent-config -f SCENARIO\n"
	    "       facmon-sim load [-n N] [-w W] [-t S] 127.x.y.z:port ...\n");
	exit(2);
}

static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = now_ms();
	int	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	faults_tick(now);
	/* Values move once a second; faults are timed to 100 ms. */
	if (now - last_tick >= 1000) {
		double	 dt = (double)(now - last_tick) / 1000.0;

		if (dt > 10.0)	/* after a stop: no jump in the counters */
			dt = 1.0;
		for (i = 0; i < sim->ndevs; i++)
			model_tick(&sim->devs[i], dt, now);
		last_tick = now;
	}
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(sim->base, NULL);
}

static int
run(const char *file, int check_only)
{
	struct cfgerr e;
	struct event *tick, *sint, *sterm;
	struct timeval tv = { 0, 100000 };
	int	 i;

	cfgerr_init(&e, file);
	if (scen_load(sim, file, &e) == -1) {
		cfgerr_print(&e);
		cfgerr_free(&e);
		return 1;
	}
	cfgerr_free(&e);
	if (check_only) {
		printf("%s: %d devices, %d scheduled faults\n", file,
		    sim->ndevs, sim->nsched);
		return 0;
	}
	model_seed(sim->seed);
	for (i = 0; i < sim->ndevs; i++)
		model_build(&sim->devs[i]);
	if ((sim->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	if (sim->log_path[0] != '\0' &&
	    (sim->logf = fopen(sim->log_path, "a")) == NULL)
		fatal("%s", sim->log_path);
	if (net_start(sim) == -1 || ctl_listen(sim) == -1) {
		net_stop(sim);
		return 1;
	}
	tick = event_new(sim->base, -1, EV_PERSIST, on_tick, NULL);
	sint = evsignal_new(sim->base, SIGINT, on_signal, NULL);
	sterm = evsignal_new(sim->base, SIGTERM, on_signal, NULL);
	if (tick == NULL || sint == NULL || sterm == NULL ||
	    event_add(tick, &tv) == -1 || event_add(sint, NULL) == -1 ||
	    event_add(sterm, NULL) == -1)
		fatalx("event_add");
	last_tick = now_ms();
	scen_start(sim);
	truth(NULL, "sim", "start", sim->ndevs, "%s", file);
	log_info("%d devices ready (snmp port %d)", sim->ndevs,
	    sim->snmp_port);
	event_base_dispatch(sim->base);
	truth(NULL, "sim", "stop", 0, "%s", "signal");
	ctl_close();
	net_stop(sim);
	event_free(tick);
	event_free(sint);
	event_free(sterm);
	event_base_free(sim->base);
	if (sim->logf)
		fclose(sim->logf);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	int	 ch, verbose = 0, check = 0;

	if ((sim = calloc(1, sizeof(*sim))) == NULL)
		return 1;
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "facmon-sim", FACMON_VERSION);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "load") == 0)
		return load_main(argc - 1, argv + 1);
	log_init("facmon-sim", 1, 0);
	if (argc > 1 && strcmp(argv[1], "agent-config") == 0)
		return agentconf_main(argc - 1, argv + 1);
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':	/* always in the foreground; kept for symmetry */
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	log_setverbose(verbose);
	return run(file, check);
}
