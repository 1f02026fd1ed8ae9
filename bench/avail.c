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
 * Availability of a large site over one month from the outage journal:
 * how long reading the journal and computing every device, group,
 * class and the site takes, and how much memory it needs.
 *
 *   build/bench-avail [devices] [outages-per-device]
 *
 * The journal is generated first (a fixed seed, so runs compare): each
 * device gets its identity, a month of random outages of 10 s to 2 h,
 * an hour of unknown time now and then, some acknowledgements and
 * reclassifications; each group has a weekly maintenance rule.
 */

#include <sys/resource.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/common.h"
#include "../avail/avail.h"

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static const char *const classes[] = { "line", "switch", "wifi-ap",
		"led-wall", "elevator", "hvac", "ups", "touch-screen",
		"evaluation-terminal", "pc", "server", "web-system", "phone",
		"camera", "printer" };
	int	 ndev = argc > 1 ? atoi(argv[1]) : 10000;
	int	 per = argc > 2 ? atoi(argv[2]) : 3;
	char	 path[128], err[256];
	struct ojournal *j;
	struct oj_stats st;
	struct oj_rec r;
	struct aq q;
	struct aq_row *dr, *gr, *cr, site;
	size_t	 ng, nc;
	struct mw_rule *rules;
	struct aq_target targets[2] = {
		{ .cls = "line", .availability = 0.9999 },
		{ .cls = "elevator", .availability = 0.95 },
	};
	int64_t	 from, to, t;
	unsigned int seed = 42;
	int	 i, k, nrules = 10, nrec = 0;
	double	 t0, t1, t2;
	struct rusage ru;

	snprintf(path, sizeof(path), "/tmp/facmon-bench-avail.%d",
	    (int)getpid());
	if (av_month_range(2026, 11, "Asia/Shanghai", &from, &to) == -1)
		return 1;
	if (oj_open(path, &j, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; i < ndev; i++) {
		memset(&r, 0, sizeof(r));
		r.type = OJ_DEVICE;
		r.ts_ms = from - 86400000;
		snprintf(r.device, sizeof(r.device), "dev%05d", i);
		snprintf(r.text, sizeof(r.text), "设备 %d", i);
		fm_strlcpy(r.dclass, classes[i % 15], sizeof(r.dclass));
		snprintf(r.group, sizeof(r.group), "g%d", i % nrules);
		oj_append(j, &r, err, sizeof(err));
		r.type = OJ_STATE;
		r.state = AV_UP;
		r.at_ms = from - 86400000;
		oj_append(j, &r, err, sizeof(err));
		nrec += 2;
		t = from;
		for (k = 0; k < per; k++) {
			int64_t	 len = 10000 + (int64_t)(rand_r(&seed) %
			    7200000);

			t += (int64_t)(rand_r(&seed) % (uint32_t)((to - from) /
			    (per + 1)));
			r.type = OJ_STATE;
			r.state = (rand_r(&seed) % 8) ? AV_DOWN : AV_UNKNOWN;
			r.at_ms = t;
			oj_append(j, &r, err, sizeof(err));
			if (r.state == AV_DOWN) {
				struct oj_rec c = r;

				c.type = OJ_CONFIRM;
				c.confirmed_ms = t + 3000;
				oj_append(j, &c, err, sizeof(err));
				nrec++;
			}
			if (r.state == AV_DOWN && rand_r(&seed) % 2) {
				struct oj_rec a = r;

				a.type = (rand_r(&seed) % 4) ? OJ_ACK :
				    OJ_CLASSIFY;
				a.cls = OJC_EXTERNAL;
				fm_strlcpy(a.who, "值班员", sizeof(a.who));
				oj_append(j, &a, err, sizeof(err));
				nrec++;
			}
			t += len;
			r.state = AV_UP;
			r.at_ms = t;
			oj_append(j, &r, err, sizeof(err));
			nrec += 2;
		}
	}
	oj_sync(j, err, sizeof(err));
	oj_close(j);

	if ((rules = calloc((size_t)nrules, sizeof(*rules))) == NULL)
		return 1;
	for (i = 0; i < nrules; i++) {
		char	 cron[32];

		snprintf(rules[i].id, sizeof(rules[i].id), "w%d", i);
		snprintf(cron, sizeof(cron), "0 2 * * %d", i % 7);
		mw_parse_cron(cron, &rules[i], err, sizeof(err));
		fm_strlcpy(rules[i].tz, "Asia/Shanghai", sizeof(rules[i].tz));
		rules[i].duration_ms = 3600000;
		rules[i].groups = calloc(1, sizeof(char *));
		rules[i].groups[0] = malloc(16);
		snprintf(rules[i].groups[0], 16, "g%d", i);
		rules[i].ngroups = 1;
	}

	t0 = secs();
	aq_init(&q);
	if (aq_load(&q, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = secs();
	if (aq_compute(&q, rules, nrules, targets, 2, from, to, &dr, &gr, &ng,
	    &cr, &nc, &site) == -1)
		return 1;
	t2 = secs();
	getrusage(RUSAGE_SELF, &ru);
	printf("| devices | journal records | journal MB | load s | compute s "
	    "| total s | peak RSS MB | site availability |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	printf("| %d | %d | %.1f | %.3f | %.3f | %.3f | %.1f | %.5f %% |\n",
	    ndev, nrec, q.st.bytes / 1048576.0, t1 - t0, t2 - t1, t2 - t0,
	    ru.ru_maxrss / 1024.0, site.r.availability * 100);
	free(dr);
	free(gr);
	free(cr);
	aq_free(&q);
	mw_free_list(rules, nrules);
	unlink(path);
	return 0;
}
