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
 * facmon-report: the availability report for a month, a year or any
 * period, from the outage journal.  Only option handling lives here;
 * report_make() is the whole report, so the collector's monthly run
 * produces exactly the same files.
 */

#include <getopt.h>
#include <jansson.h>
#include <unistd.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/common.h"
#include "report.h"

static __dead void
usage(void)
{
	fprintf(stderr, "usage: facmon-report [-nv] [-f file] "
	    "[--month YYYY-MM | --year YYYY |\n"
	    "           --from DATE --to DATE] [--group group] "
	    "[--lang zh|en]\n"
	    "           [--format html,pdf,xlsx,csv,json|all] [--out dir] "
	    "[--journal file]\n"
	    "           [--maintenance file] [--skip-unseen]\n");
	exit(2);
}

/* "YYYY-MM-DD" (a whole day) or "YYYY-MM-DD HH:MM" in the zone. */
static int
parse_when(const char *s, const char *tz, int is_end, int64_t *ms)
{
	char	 buf[64];
	int	 y, m, d, n = 0;

	if (sscanf(s, "%d-%d-%d%n", &y, &m, &d, &n) == 3 && s[n] == '\0') {
		int64_t	 a, b;

		if (av_day_range(y, m, d, tz, &a, &b) == -1)
			return -1;
		/* --to 2026-10-15 includes the 15th. */
		*ms = is_end ? b : a;
		return 0;
	}
	if (fm_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	return parse_local_time(buf, tz, ms);
}

/*
 * The maintenance windows made through the collector's web console
 * (<data_dir>/maintenance.json, beside the journal): the same windows
 * count here as in the API, or the report and the wall would disagree.
 * A missing file is no window; a broken one is an error.
 */
static int
web_windows(const char *path, struct avconf *av, char *err, size_t errlen)
{
	json_error_t je;
	json_t	*root, *w;
	struct mw_rule *nr;
	size_t	 i;

	if (access(path, F_OK) == -1)
		return 0;
	if ((root = json_load_file(path, 0, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	/* No "version": the first release's file, the same members. */
	if ((w = json_object_get(root, "version")) != NULL &&
	    json_is_integer(w) && json_integer_value(w) > 0 &&
	    fm_version_check(path, (unsigned long)json_integer_value(w),
	    FM_MAINT_VERSION, err, errlen) == -1) {
		json_decref(root);
		return -1;
	}
	json_array_foreach(json_object_get(root, "windows"), i, w) {
		const char *id = json_string_value(json_object_get(w, "id"));
		const char *why = json_string_value(json_object_get(w,
		    "reason"));
		json_int_t s = json_integer_value(json_object_get(w,
		    "start_ms"));
		json_int_t e = json_integer_value(json_object_get(w,
		    "end_ms"));
		const char *rep = json_string_value(json_object_get(w,
		    "repeat"));
		const char *at = json_string_value(json_object_get(w, "at"));
		json_int_t dur = json_integer_value(json_object_get(w,
		    "duration_ms"));
		struct mw_rule *r, t;
		char	 why2[256];

		if (json_is_true(json_object_get(w, "cancelled")) ||
		    id == NULL || !fm_valid_id(id) || mw_from_window(&t, id,
		    av->tz, why, s, e, rep, at, dur, why2, sizeof(why2)) == -1)
			continue;
		if ((nr = reallocarray(av->rules, (size_t)av->nrules + 1,
		    sizeof(*nr))) == NULL) {
			json_decref(root);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		av->rules = nr;
		r = &av->rules[av->nrules++];
		*r = t;
		/* Copies: the file's JSON goes before the rules do. */
		r->devices = mw_json_ids(json_object_get(w, "devices"),
		    &r->ndevices, 1);
		r->groups = mw_json_ids(json_object_get(w, "groups"),
		    &r->ngroups, 1);
		r->classes = mw_json_ids(json_object_get(w, "classes"),
		    &r->nclasses, 1);
	}
	json_decref(root);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "month", required_argument, NULL, 'M' },
		{ "year", required_argument, NULL, 'Y' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "group", required_argument, NULL, 'g' },
		{ "lang", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'o' },
		{ "out", required_argument, NULL, 'd' },
		{ "journal", required_argument, NULL, 'j' },
		{ "maintenance", required_argument, NULL, 'm' },
		{ "skip-unseen", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = FACMON_SYSCONFDIR "/facmon-report.conf", *month = NULL, *year = NULL, *from = NULL;
	const char *to = NULL, *outdir = ".", *mwpath = NULL;
	char	 mwdef[1100], *slash;
	struct report_conf rc;
	struct avconf av;
	struct cfgerr e;
	unsigned formats = 0;
	int64_t	 f = 0, t = 0;
	char	 err[512];
	int	 ch, noop = 0, verbose = 0, y, m, n;

	memset(&rc, 0, sizeof(rc));
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "facmon-report", FACMON_VERSION);
		return 0;
	}
	while ((ch = getopt_long(argc, argv, "f:nvM:Y:F:T:g:l:o:d:j:m:", lo,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			cfgpath = optarg;
			break;
		case 'n':
			noop = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'M':
			month = optarg;
			break;
		case 'Y':
			year = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case 'g':
			if (!fm_valid_id(optarg))
				usage();
			rc.group = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "zh") != 0 &&
			    strcmp(optarg, "en") != 0)
				usage();
			rc.lang = optarg;
			break;
		case 'o':
			if (report_format_parse(optarg, &formats) == -1) {
				fprintf(stderr, "facmon-report: --format: "
				    "html, pdf, xlsx, csv, json or all\n");
				return 2;
			}
			break;
		case 'd':
			outdir = optarg;
			break;
		case 'j':
			rc.journal = optarg;
			break;
		case 'm':
			mwpath = optarg;
			break;
		case 'U':
			rc.skip_unseen = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("facmon-report", 1, verbose);

	cfgerr_init(&e, cfgpath);
	if (avconf_load(cfgpath, &av, &e) == -1) {
		cfgerr_print(&e);
		cfgerr_free(&e);
		avconf_free(&av);
		return 1;
	}
	/*
	 * Every line logged in the configured zone from here on, as the
	 * collector's that runs it: one log file, one zone.
	 */
	if (log_set_zone(av.tz) == -1)
		log_warnx("time zone '%s' not found; local times stay in the "
		    "server's zone", av.tz);
	/* The web's windows: beside the configured journal by default. */
	if (mwpath == NULL) {
		fm_strlcpy(mwdef, av.journal, sizeof(mwdef));
		if ((slash = strrchr(mwdef, '/')) != NULL)
			slash[1] = '\0';
		else
			mwdef[0] = '\0';
		strncat(mwdef, "maintenance.json", sizeof(mwdef) -
		    strlen(mwdef) - 1);
		mwpath = mwdef;
	}
	if (web_windows(mwpath, &av, err, sizeof(err)) == -1) {
		fprintf(stderr, "facmon-report: %s\n", err);
		cfgerr_free(&e);
		avconf_free(&av);
		return 1;
	}
	cfgerr_free(&e);
	if (noop) {
		printf("%s: configuration OK\n", cfgpath);
		avconf_free(&av);
		return 0;
	}
	if ((month != NULL) + (year != NULL) + (from != NULL || to != NULL)
	    != 1 || ((from != NULL) != (to != NULL))) {
		fprintf(stderr, "facmon-report: give one of --month, --year, "
		    "or --from with --to\n");
		avconf_free(&av);
		return 2;
	}
	n = 0;
	if (month != NULL && (sscanf(month, "%d-%d%n", &y, &m, &n) != 2 ||
	    month[n] != '\0' || av_month_range(y, m, av.tz, &f, &t) == -1)) {
		fprintf(stderr, "facmon-report: --month %s: expected "
		    "YYYY-MM\n", month);
		avconf_free(&av);
		return 2;
	}
	if (year != NULL) {
		int64_t	 a;

		if (sscanf(year, "%d%n", &y, &n) != 1 || year[n] != '\0' ||
		    av_month_range(y, 1, av.tz, &f, &a) == -1 ||
		    av_month_range(y, 12, av.tz, &a, &t) == -1) {
			fprintf(stderr, "facmon-report: --year %s: expected "
			    "YYYY\n", year);
			avconf_free(&av);
			return 2;
		}
	}
	if (from != NULL && (parse_when(from, av.tz, 0, &f) == -1 ||
	    parse_when(to, av.tz, 1, &t) == -1 || t <= f)) {
		fprintf(stderr, "facmon-report: --from/--to: expected "
		    "YYYY-MM-DD or \"YYYY-MM-DD HH:MM\", from before to\n");
		avconf_free(&av);
		return 2;
	}
	rc.av = &av;
	rc.cfgpath = cfgpath;
	if (formats == 0)
		formats = RF_ALL;
	switch (report_make(&rc, f, t, formats, outdir, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "facmon-report: %s\n", err);
		avconf_free(&av);
		return 1;
	case REPORT_UNSEEN:
		/* Not an error: the collector reads the code. */
		fprintf(stderr, "facmon-report: %s\n", err);
		avconf_free(&av);
		return 3;
	}
	avconf_free(&av);
	return 0;
}
