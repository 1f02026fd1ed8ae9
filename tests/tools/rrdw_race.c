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
 * The RRD writer under ThreadSanitizer: the event loop reloads the
 * archive lengths (rrd_5min_days, rrd_hourly_days) while the writer's
 * queue creates files with them, and reads files the writer holds values
 * for, whose answers come back on the loop.  Values are held (a write
 * interval of half a second), so that the writer's tick writes some of
 * them, each read's flush others, and the stop the rest.  Built with
 * -fsanitize=thread (make build/tsan/test-rrdw-race) and run by
 * tests/integration/test_rrdw_race.py, which fails on any report.
 *
 *   test-rrdw-race DATA_DIR ROUNDS
 *	one new series a round, each on its own file, reloads after
 *	each, a read of every other round's file; prints the number of
 *	files written and of reads answered with data, and exits 0.
 */

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../collector/store/rrdw.h"

static int	 asked, answered, found;

/* On the loop: the writer flushed the file, then fetched it. */
static void
read_cb(struct rrdw_read *r)
{
	answered++;
	if (r->status == 0 && r->nds == 1)
		found++;
	else
		fprintf(stderr, "read %s: status %d %s\n", r->path,
		    r->status, r->err);
	rrdw_read_free(r);
}

/* Turn the loop until at most `left' reads wait, for ten seconds at most. */
static void
wait_reads(struct event_base *base, int left)
{
	int64_t	 end = mono_ms() + 10000;

	while (asked - answered > left && mono_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* .rrd files under dir/rrd, any depth. */
static int
count_rrd(const char *dir)
{
	DIR	*d;
	struct dirent *de;
	char	 path[PATH_MAX];
	int	 n = 0;
	size_t	 l;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		l = strlen(de->d_name);
		if (de->d_type == DT_DIR)
			n += count_rrd(path);
		else if (l > 4 && strcmp(de->d_name + l - 4, ".rrd") == 0)
			n++;
	}
	closedir(d);
	return n;
}

int
main(int argc, char *argv[])
{
	struct collector_conf *c;
	struct event_base *base;
	struct rrd_item *it;
	struct rrdw_stats st;
	int64_t	 end;
	char	 err[256], dev[32], dir[PATH_MAX], path[PATH_MAX];
	time_t	 t = time(NULL);
	int	 i, j, rounds;

	if (argc != 3 || (rounds = atoi(argv[2])) <= 0 || rounds > 10000) {
		fprintf(stderr, "usage: test-rrdw-race DATA_DIR ROUNDS\n");
		return 2;
	}
	log_init("test-rrdw-race", 1, 0);
	if ((base = event_base_new()) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	fm_strlcpy(c->data_dir, argv[1], sizeof(c->data_dir));
	c->rrd_full_days = 1;
	c->rrd_5min_days = 2;
	c->rrd_hourly_days = 3;
	c->rrd_queue = 100000;
	c->rrd_hold = 100000;
	c->rrd_series_check = 64;
	c->rrd_series_device = 512;
	c->rrd_write_ms = 500;
	if (rrdw_start(base, c, err, sizeof(err)) == -1) {
		fprintf(stderr, "rrdw_start: %s\n", err);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		snprintf(dev, sizeof(dev), "dev%d", i);
		if ((it = rrdw_item_new(dev, "ping", "rtt_ms", 10, t,
		    (double)i)) == NULL) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		fm_strlcpy(path, it->path, sizeof(path));
		if (rrdw_enqueue(it, 1) == -1) {
			fprintf(stderr, "enqueue failed\n");
			return 1;
		}
		/* Well below the writer's bound on reads waiting. */
		wait_reads(base, 16);
		if (i % 2 == 0) {
			if (rrdw_read(path, t - 60, t + 60, 10, read_cb,
			    NULL) == -1) {
				fprintf(stderr, "read refused\n");
				return 1;
			}
			asked++;
		}
		/*
		 * Reloads, as SIGHUP does on the loop, while the writer
		 * creates the file: several, so that some fall between the
		 * queue's lock and the writer's next look at the settings.
		 */
		for (j = 0; j < 20; j++) {
			c->rrd_5min_days = 2 + (i + j) % 5;
			c->rrd_hourly_days = 3 + (i + j) % 7;
			rrdw_reconf(c);
			event_base_loop(base, EVLOOP_NONBLOCK);
		}
	}
	wait_reads(base, 0);
	/* The values of the rounds not read: the writer's tick writes them. */
	end = mono_ms() + 10000;
	do {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
		rrdw_get_stats(&st);
	} while (st.held > 0 && mono_ms() < end);
	rrdw_stop();
	snprintf(dir, sizeof(dir), "%s/rrd", argv[1]);
	printf("%d files, %d of %d reads found, %" PRIu64 " held before "
	    "stop\n", count_rrd(dir), found, asked, st.held);
	event_base_free(base);
	free(c);
	return 0;
}
