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
 * bench-rrdpeer: the two usual ways of writing RRD files, for the ingest
 * ceiling benchmark to compare facmon's writer with.  It creates FILES
 * files like the collector's (one GAUGE data source, step STEP, one
 * AVERAGE archive of ROWS rows), then writes ROUNDS rounds of one value
 * to every file:
 *
 *   direct   rrd_update_r() with one value per call, as a poller that
 *            writes each value as it arrives does;
 *   cached   rrdc_update() with one value per call to rrdcached at
 *            SOCKET (as collectd's rrdcached plugin does), then
 *            rrdc_flush() of every file so that everything is on disk.
 *
 *   bench-rrdpeer direct|cached DIR FILES STEP ROWS ROUNDS SECONDS [SOCKET]
 *
 * Bounded: it stops after ROUNDS rounds or SECONDS, whichever comes
 * first.  Prints "updates N seconds S accept_seconds A" (accept: before
 * the final flush; the same as seconds for direct).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	const char *mode, *dir, *sock = NULL;
	int	 nfiles, rounds, f, r, cached;
	unsigned long step, rows;
	double	 secs, t0, t1;
	char	 ds[64], rra[64], path[4096], val[64];
	const char *cargv[2], *uargv[1];
	char	**paths;
	time_t	 start;
	unsigned long long n = 0;

	if (argc < 8 || argc > 9) {
		fprintf(stderr, "usage: bench-rrdpeer direct|cached DIR FILES "
		    "STEP ROWS ROUNDS SECONDS [SOCKET]\n");
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	nfiles = atoi(argv[3]);
	step = strtoul(argv[4], NULL, 10);
	rows = strtoul(argv[5], NULL, 10);
	rounds = atoi(argv[6]);
	secs = atof(argv[7]);
	cached = strcmp(mode, "cached") == 0;
	if ((!cached && strcmp(mode, "direct") != 0) || nfiles < 1 ||
	    step < 1 || rows < 1 || rounds < 1 || secs <= 0 ||
	    (cached && argc < 9)) {
		fprintf(stderr, "bench-rrdpeer: bad arguments\n");
		return 2;
	}
	if (cached)
		sock = argv[8];
	alarm((unsigned)secs + 300);

	/* Files like the collector's; creation is not timed. */
	snprintf(ds, sizeof(ds), "DS:value:GAUGE:%lu:U:U", 3 * step);
	snprintf(rra, sizeof(rra), "RRA:AVERAGE:0.5:1:%lu", rows);
	cargv[0] = ds;
	cargv[1] = rra;
	start = time(NULL) - 400L * 86400;
	if ((paths = calloc((size_t)nfiles, sizeof(*paths))) == NULL)
		return 1;
	for (f = 0; f < nfiles; f++) {
		snprintf(path, sizeof(path), "%s/p%05d.rrd", dir, f);
		if ((paths[f] = strdup(path)) == NULL)
			return 1;
		rrd_clear_error();
		if (rrd_create_r2(path, step, start, 0, NULL, NULL, 2,
		    cargv) != 0) {
			fprintf(stderr, "bench-rrdpeer: create %s: %s\n", path,
			    rrd_get_error());
			return 1;
		}
	}
	if (cached && rrdc_connect(sock) != 0) {
		fprintf(stderr, "bench-rrdpeer: cannot connect to rrdcached "
		    "at %s: %s\n", sock, rrd_get_error());
		return 1;
	}

	t0 = now_s();
	for (r = 1; r <= rounds && now_s() - t0 < secs; r++) {
		for (f = 0; f < nfiles; f++) {
			snprintf(val, sizeof(val), "%lld:%d",
			    (long long)start + (long long)r * (long long)step,
			    (r + f) % 100);
			uargv[0] = val;
			rrd_clear_error();
			if ((cached ? rrdc_update(paths[f], 1, uargv) :
			    rrd_update_r(paths[f], NULL, 1, uargv)) != 0) {
				fprintf(stderr, "bench-rrdpeer: update %s: "
				    "%s\n", paths[f], rrd_get_error());
				return 1;
			}
			n++;
		}
	}
	t1 = now_s();
	if (cached) {
		/* librrd 1.7.2 does not export rrdc_flushall(). */
		for (f = 0; f < nfiles; f++)
			if (rrdc_flush(paths[f]) != 0) {
				fprintf(stderr, "bench-rrdpeer: flush %s: %s\n",
				    paths[f], rrd_get_error());
				return 1;
			}
		rrdc_disconnect();
	}
	printf("updates %llu seconds %.3f accept_seconds %.3f\n", n,
	    now_s() - t0, t1 - t0);
	for (f = 0; f < nfiles; f++)
		free(paths[f]);
	free(paths);
	return 0;
}
