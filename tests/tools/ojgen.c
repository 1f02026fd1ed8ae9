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
 * Outage journals for the report's tests, written with oj_append() as
 * the collector will write them.  Test data only: facmon-report has no
 * way to invent a journal.
 *
 *   test-ojgen script SCRIPT JOURNAL [TZ]
 *	one record per line of SCRIPT (times are local, in TZ, default
 *	Asia/Shanghai; fields separated by '|'):
 *	  device|ID|NAME|CLASS|GROUP|PARENT
 *	  state|ID|TIME|up/down/unknown/unreachable|CAUSE
 *	  confirm|ID|OUTAGE-START|TIME
 *	  ack|ID|OUTAGE-START|TIME|WHO[|COMMENT]
 *	  classify|ID|OUTAGE-START|TIME|planned/unplanned/external|WHO|WHY
 *	  note|ID|OUTAGE-START|TIME|WHO|TEXT
 *	The integration test reads the same script to compute, on its own,
 *	the figures the report must show.
 *
 *   test-ojgen bulk JOURNAL DEVICES YEAR-MONTH
 *	a month of a site of that many devices (fixed seed): a few
 *	outages of 10 s to 2 h per device, an hour of unknown time now and
 *	then, acknowledgements and reclassifications.  For timings.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/common.h"
#include "../../avail/avail.h"

static struct ojournal *j;
static char	 err[512];

static void
put(struct oj_rec *r)
{
	if (oj_append(j, r, err, sizeof(err)) == -1) {
		fprintf(stderr, "test-ojgen: %s\n", err);
		exit(1);
	}
}

static int64_t
when(const char *s, const char *tz, int lineno)
{
	int64_t	 ms;

	if (parse_local_time(s, tz, &ms) == -1) {
		fprintf(stderr, "test-ojgen: line %d: bad time '%s'\n", lineno,
		    s);
		exit(1);
	}
	return ms;
}

static int
word(const char *s, const char *const *names, int n, int lineno)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return i;
	fprintf(stderr, "test-ojgen: line %d: unknown word '%s'\n", lineno, s);
	exit(1);
}

static int
script(const char *path, const char *tz)
{
	static const char *const states[] = { "unknown", "up", "down",
		"unreachable" };
	static const char *const classes[] = { "unplanned", "planned",
		"external" };
	FILE	*f;
	char	 line[2048], *fld[8], *p;
	int	 n, lineno = 0;
	struct oj_rec r;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (n = 0, p = line; n < 8; n++) {
			fld[n] = strsep(&p, "|");
			if (fld[n] == NULL)
				break;
		}
		for (; n < 8; n++)
			fld[n] = "";
		memset(&r, 0, sizeof(r));
		fm_strlcpy(r.device, fld[1], sizeof(r.device));
		if (strcmp(fld[0], "device") == 0) {
			r.type = OJ_DEVICE;
			fm_strlcpy(r.text, fld[2], sizeof(r.text));
			fm_strlcpy(r.dclass, fld[3], sizeof(r.dclass));
			fm_strlcpy(r.group, fld[4], sizeof(r.group));
			fm_strlcpy(r.parent, fld[5], sizeof(r.parent));
			r.ts_ms = 0;
		} else if (strcmp(fld[0], "state") == 0) {
			r.type = OJ_STATE;
			r.at_ms = r.ts_ms = when(fld[2], tz, lineno);
			r.state = (uint8_t)word(fld[3], states, 4, lineno);
			r.outcome = r.state == AV_DOWN ? PR_TIMEOUT :
			    r.state == AV_UNKNOWN ? PR_INTERNAL : PR_OK;
			fm_strlcpy(r.text, fld[4], sizeof(r.text));
		} else if (strcmp(fld[0], "latency") == 0) {
			/* latency|device|check|at|span ms|bound ms|n|ok */
			r.type = OJ_LATENCY;
			fm_strlcpy(r.check, fld[2], sizeof(r.check));
			r.at_ms = r.ts_ms = when(fld[3], tz, lineno);
			r.span_ms = (uint32_t)strtoul(fld[4], NULL, 10);
			r.lat_ms = (uint32_t)strtoul(fld[5], NULL, 10);
			r.lat_n = (uint32_t)strtoul(fld[6], NULL, 10);
			r.lat_ok = (uint32_t)strtoul(fld[7], NULL, 10);
		} else {
			r.at_ms = when(fld[2], tz, lineno);
			r.ts_ms = when(fld[3], tz, lineno);
			if (strcmp(fld[0], "confirm") == 0) {
				r.type = OJ_CONFIRM;
				r.confirmed_ms = r.ts_ms;
			} else if (strcmp(fld[0], "ack") == 0) {
				r.type = OJ_ACK;
				fm_strlcpy(r.who, fld[4], sizeof(r.who));
				fm_strlcpy(r.text, fld[5], sizeof(r.text));
			} else if (strcmp(fld[0], "classify") == 0) {
				r.type = OJ_CLASSIFY;
				r.cls = (uint8_t)word(fld[4], classes, 3,
				    lineno);
				fm_strlcpy(r.who, fld[5], sizeof(r.who));
				fm_strlcpy(r.text, fld[6], sizeof(r.text));
			} else if (strcmp(fld[0], "note") == 0) {
				r.type = OJ_NOTE;
				fm_strlcpy(r.who, fld[4], sizeof(r.who));
				fm_strlcpy(r.text, fld[5], sizeof(r.text));
			} else {
				fprintf(stderr, "test-ojgen: line %d: unknown "
				    "record '%s'\n", lineno, fld[0]);
				return 1;
			}
		}
		put(&r);
	}
	fclose(f);
	return 0;
}

static int
bulk(int ndev, int year, int month)
{
	static const char *const classes[] = { "line", "switch", "wifi-ap",
		"led-wall", "elevator", "hvac", "ups", "touch-screen",
		"evaluation-terminal", "pc", "server", "web-system", "phone",
		"camera", "printer" };
	static const char *const groups[] = { "lines", "network", "wifi",
		"display", "building", "building", "power", "terminals",
		"terminals", "office", "systems", "systems", "office",
		"security", "office" };
	unsigned int seed = 42;
	int64_t	 from, to, t;
	struct oj_rec r;
	int	 i, k, nc = (int)(sizeof(classes) / sizeof(classes[0]));

	if (av_month_range(year, month, "Asia/Shanghai", &from, &to) == -1)
		return 1;
	for (i = 0; i < ndev; i++) {
		memset(&r, 0, sizeof(r));
		r.type = OJ_DEVICE;
		snprintf(r.device, sizeof(r.device), "dev-%05d", i);
		snprintf(r.text, sizeof(r.text), "设备 %d", i);
		fm_strlcpy(r.dclass, classes[i % nc], sizeof(r.dclass));
		fm_strlcpy(r.group, groups[i % nc], sizeof(r.group));
		r.ts_ms = from;
		put(&r);
		memset(&r, 0, sizeof(r));
		r.type = OJ_STATE;
		snprintf(r.device, sizeof(r.device), "dev-%05d", i);
		r.state = AV_UP;
		r.at_ms = r.ts_ms = from - 86400000;
		put(&r);
	}
	for (i = 0; i < ndev; i++) {
		char	 id[64];
		int	 nout = rand_r(&seed) % 4;

		snprintf(id, sizeof(id), "dev-%05d", i);
		for (k = 0; k < nout; k++) {
			int64_t	 len = 10000 + (int64_t)(rand_r(&seed) %
			    7190) * 1000;

			t = from + (int64_t)(rand_r(&seed) % (int)((to - from -
			    7300000) / 1000)) * 1000;
			memset(&r, 0, sizeof(r));
			fm_strlcpy(r.device, id, sizeof(r.device));
			r.type = OJ_STATE;
			r.state = rand_r(&seed) % 10 == 0 ? AV_UNKNOWN :
			    AV_DOWN;
			r.at_ms = r.ts_ms = t;
			fm_strlcpy(r.text, "timeout", sizeof(r.text));
			put(&r);
			if (r.state == AV_DOWN) {
				r.type = OJ_ACK;
				r.ts_ms = t + 60000;
				fm_strlcpy(r.who, "值班员", sizeof(r.who));
				put(&r);
			}
			r.type = OJ_STATE;
			r.state = AV_UP;
			r.at_ms = r.ts_ms = t + len;
			r.text[0] = '\0';
			put(&r);
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct oj_stats st;
	int	 rc, y, m;

	if (argc < 4 || (strcmp(argv[1], "script") != 0 &&
	    strcmp(argv[1], "bulk") != 0) ||
	    (strcmp(argv[1], "bulk") == 0 && argc != 5)) {
		fprintf(stderr, "usage: test-ojgen script SCRIPT JOURNAL [TZ]\n"
		    "       test-ojgen bulk JOURNAL DEVICES YYYY-MM\n");
		return 2;
	}
	unlink(strcmp(argv[1], "script") == 0 ? argv[3] : argv[2]);
	if (oj_open(strcmp(argv[1], "script") == 0 ? argv[3] : argv[2], &j,
	    &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "test-ojgen: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "script") == 0)
		rc = script(argv[2], argc > 4 ? argv[4] : "Asia/Shanghai");
	else if (sscanf(argv[4], "%d-%d", &y, &m) != 2)
		rc = 2;
	else
		rc = bulk(atoi(argv[3]), y, m);
	if (rc == 0 && oj_sync(j, err, sizeof(err)) == -1) {
		fprintf(stderr, "test-ojgen: %s\n", err);
		rc = 1;
	}
	oj_close(j);
	return rc;
}
