/*
 * Copyright (c) 2026 The facmon authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The monthly report, made by the collector itself (docs/report.md).
 *
 * On the configured day and hour of each month, in the configured time
 * zone, the collector runs facmon-report for the month before into
 * <data_dir>/reports/YYYY-MM/ and then mails it, PDF and XLSX attached,
 * to the configured recipients.  Both steps are child processes that the
 * collector starts and watches from its one-second tick: making a PDF
 * takes a second or two, an SMTP server may stall for minutes, and the
 * event loop must not wait for either.  The mail step is this program
 * again ("facmon-collector report-mail MONTH"), so that the child starts
 * from exec with none of the daemon's threads or locks.
 *
 * What has been done is kept in marker files beside the report, so that a
 * restart, a missed hour (the collector was down on the 1st) or a mail
 * server that refused for a day all end the same way: the report is made
 * once and every recipient gets it once.  A temporary mail failure is
 * tried again every retry interval; a permanent one (authentication,
 * 5xx, a bad address) is written to ".mail-failed-NAME" with the reason,
 * raised as an event and not tried again until the file is removed.
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libconfig.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerting.h"
#include "alert.h"

#define REPORT_CHILD_MAX_MS	(15 * 60 * 1000)	/* then killed */
#define EX_TEMPFAIL_		75			/* sysexits.h */

static const char *const formats_known[] = { "html", "pdf", "xlsx", "csv",
	"json", "all", NULL };

/* ---- configuration ----------------------------------------------------- */

static int
formats_ok(const char *s)
{
	char	 buf[64], *p, *tok, *save = NULL;
	int	 i;

	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return 0;
	fm_strlcpy(buf, s, sizeof(buf));
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		for (i = 0; formats_known[i] != NULL; i++)
			if (strcmp(tok, formats_known[i]) == 0)
				break;
		if (formats_known[i] == NULL)
			return 0;
	}
	return 1;
}

static int
has_format(const char *list, const char *f)
{
	size_t	 n = strlen(f);
	const char *p = list;

	if (strstr(list, "all") != NULL)
		return 1;
	while ((p = strstr(p, f)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * The root 'report' group.  Recipients and the mail channel are names
 * from the 'alerts' group, which is parsed first.
 */
void
report_conf_parse(struct cfgerr *e, const config_setting_t *grp,
    struct collector_conf *c)
{
	static const char *const keys[] = { "day", "hour", "formats",
	    "mail_formats", "mail_to", "channel", "language", "program",
	    "retry", NULL };
	struct report_sched *r = &c->report;
	const config_setting_t *s, *el;
	long long v;
	int	 i, j, n;

	cfg_check_keys(e, grp, keys);
	r->enabled = 1;
	if (cfg_get_int(e, grp, "day", &v, 1, 28, 0) == 1)
		r->day = (int)v;
	if (cfg_get_int(e, grp, "hour", &v, 0, 23, 0) == 1)
		r->hour = (int)v;
	if (cfg_get_str(e, grp, "formats", r->formats, sizeof(r->formats),
	    0) == 1 && !formats_ok(r->formats))
		cfgerr_add(e, config_setting_get_member(grp, "formats"),
		    "formats '%s': a list of html, pdf, xlsx, csv, json or "
		    "all", r->formats);
	if (cfg_get_str(e, grp, "mail_formats", r->mail_formats,
	    sizeof(r->mail_formats), 0) == 1 && !formats_ok(r->mail_formats))
		cfgerr_add(e, config_setting_get_member(grp, "mail_formats"),
		    "mail_formats '%s': a list of html, pdf, xlsx, csv, json "
		    "or all", r->mail_formats);
	if (cfg_get_str(e, grp, "language", r->lang, sizeof(r->lang), 0) == 1 &&
	    strcmp(r->lang, "zh") != 0 && strcmp(r->lang, "en") != 0)
		cfgerr_add(e, config_setting_get_member(grp, "language"),
		    "language '%s': \"zh\" or \"en\"", r->lang);
	cfg_get_str(e, grp, "program", r->program, sizeof(r->program), 0);
	cfg_get_secs(e, grp, "retry", &r->retry_ms, 10000, 86400000, 0);
	cfg_get_str(e, grp, "channel", r->channel, sizeof(r->channel), 0);

	if ((s = config_setting_get_member(grp, "mail_to")) != NULL) {
		if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
			cfgerr_add(e, s, "'mail_to' must be a list of recipient "
			    "names");
			return;
		}
		n = config_setting_length(s);
		if (n > 0 && (r->mail_to = calloc((size_t)n,
		    sizeof(*r->mail_to))) == NULL) {
			cfgerr_add(e, s, "out of memory");
			return;
		}
		for (i = 0; i < n; i++) {
			const char *name;

			el = config_setting_get_elem(s, (unsigned)i);
			name = config_setting_get_string(el);
			if (name == NULL || !fm_valid_id(name)) {
				cfgerr_add(e, el, "mail_to: a recipient name");
				continue;
			}
			if (c->alerts == NULL) {
				cfgerr_add(e, el, "mail_to '%s': there is no "
				    "'alerts' group with recipients", name);
				continue;
			}
			for (j = 0; j < c->alerts->nrecipients; j++)
				if (strcmp(c->alerts->recipients[j].name,
				    name) == 0)
					break;
			if (j == c->alerts->nrecipients)
				cfgerr_add(e, el, "mail_to '%s': no such "
				    "recipient in 'alerts'", name);
			else if (c->alerts->recipients[j].email[0] == '\0')
				cfgerr_add(e, el, "mail_to '%s': the recipient "
				    "has no e-mail address", name);
			fm_strlcpy(r->mail_to[r->nmail_to++], name,
			    sizeof(*r->mail_to));
		}
	}
	if (r->nmail_to > 0 && c->alerts != NULL &&
	    report_smtp_channel(c) == NULL)
		cfgerr_add(e, s, r->channel[0] ? "channel '%s': no smtp channel "
		    "of that name in 'alerts'" : "mail_to: 'alerts' has no smtp "
		    "channel%s", r->channel);
}

void
report_conf_defaults(struct report_sched *r)
{
	memset(r, 0, sizeof(*r));
	r->day = 1;
	r->hour = 6;
	fm_strlcpy(r->formats, "all", sizeof(r->formats));
	fm_strlcpy(r->mail_formats, "pdf,xlsx", sizeof(r->mail_formats));
	r->retry_ms = 10 * 60 * 1000;
}

/* The SMTP channel reports go by: the one named, else the first. */
const struct alert_channel *
report_smtp_channel(const struct collector_conf *c)
{
	int	 i;

	if (c->alerts == NULL)
		return NULL;
	for (i = 0; i < c->alerts->nchannels; i++) {
		const struct alert_channel *ch = &c->alerts->channels[i];

		if (!alert_channel_is(ch, "smtp"))
			continue;
		if (c->report.channel[0] == '\0' ||
		    strcmp(ch->name, c->report.channel) == 0)
			return ch;
	}
	return NULL;
}

/* ---- the schedule ------------------------------------------------------- */

/* The local calendar month that holds 'now', in zone tz. */
static int
local_month(int64_t now, const char *tz, int *y, int *m)
{
	time_t	 t = (time_t)(now / 1000);
	struct tm tm;
	int64_t	 a, b;
	int	 i;

	gmtime_r(&t, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	/* The zone is at most a day from UTC: one step either way. */
	for (i = 0; i < 3; i++) {
		if (av_month_range(*y, *m, tz, &a, &b) == -1)
			return -1;
		if (now < a) {
			if (--*m == 0) {
				*m = 12;
				--*y;
			}
		} else if (now >= b) {
			if (++*m == 13) {
				*m = 1;
				++*y;
			}
		} else
			return 0;
	}
	return -1;
}

/*
 * The month whose report is due at 'now': the one before the current
 * month once the current month's day and hour have passed, else the one
 * before that.  Only that one month is caught up: a collector that was
 * down for a quarter makes the last month's report, and the operator can
 * run facmon-report by hand for the others.
 */
int
report_due_month(int64_t now, const char *tz, int day, int hour,
    char *out, size_t outlen)
{
	char	 when[32];
	int64_t	 due;
	int	 y, m, back;

	if (local_month(now, tz, &y, &m) == -1)
		return -1;
	snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:00", y, m, day,
	    hour);
	if (parse_local_time(when, tz, &due) == -1)
		return -1;
	back = now >= due ? 1 : 2;
	while (back-- > 0)
		if (--m == 0) {
			m = 12;
			y--;
		}
	snprintf(out, outlen, "%04d-%02d", y, m);
	return 0;
}

static struct {
	const struct collector_conf *c;
	char	 self[PATH_MAX];	/* this program, for report-mail */
	char	 conf[PATH_MAX];	/* the config file, absolute */
	pid_t	 pid;			/* the child at work, or 0 */
	int	 step;			/* what the child does */
	char	 month[8];		/* and for which month */
	int64_t	 started;		/* mono ms */
	int64_t	 next_check;		/* mono ms */
	int64_t	 mail_after;		/* mono ms: retry no sooner */
	uint64_t made, mailed, failed;
} R;

enum { STEP_NONE, STEP_MAKE, STEP_MAIL };

static int
month_dir(const char *month, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/reports/%s", R.c->data_dir, month)
	    >= len)
		return -1;
	return 0;
}

static int
marker_exists(const char *month, const char *name)
{
	char	 p[PATH_MAX];
	struct stat sb;

	if ((size_t)snprintf(p, sizeof(p), "%s/reports/%s/%s", R.c->data_dir,
	    month, name) >= sizeof(p))
		return 0;
	return stat(p, &sb) == 0;
}

static void
marker_write(const char *month, const char *name, const char *text)
{
	char	 p[PATH_MAX], err[256];

	if ((size_t)snprintf(p, sizeof(p), "%s/reports/%s/%s", R.c->data_dir,
	    month, name) >= sizeof(p))
		return;
	if (fm_write_file_atomic(p, text, strlen(text), err,
	    sizeof(err)) == -1)
		log_warnx("report %s: %s", month, err);
}

static void
program_path(char *out, size_t len)
{
	char	*slash;

	if (R.c->report.program[0]) {
		fm_strlcpy(out, R.c->report.program, len);
		return;
	}
	/*
	 * Side by side in the source tree (build/); installed, the
	 * collector is in sbin and facmon-report in bin, so a missing
	 * sibling means the installed one.
	 */
	fm_strlcpy(out, R.self, len);
	if ((slash = strrchr(out, '/')) != NULL)
		slash[1] = '\0';
	else
		out[0] = '\0';
	if (strlen(out) + sizeof("facmon-report") <= len)
		strcat(out, "facmon-report");
	if (access(out, X_OK) == -1)
		fm_strlcpy(out, FACMON_BINDIR "/facmon-report", len);
}

static pid_t
spawn(char *const argv[])
{
	pid_t	 pid;
	int	 fd;
	char	 emsg[PATH_MAX + 64];
	size_t	 elen;

	/*
	 * The child of a threaded process may only call async-signal-safe
	 * functions until it execs: the message for a failed exec is made
	 * here, and the child only write()s it (its exit code, 127, says
	 * the rest).
	 */
	snprintf(emsg, sizeof(emsg), "facmon-collector: cannot run %s\n",
	    argv[0]);
	elen = strlen(emsg);
	if ((pid = fork()) == -1) {
		log_warn("report: fork");
		return -1;
	}
	if (pid == 0) {
		/* The child's stdin is nothing; its output goes to our log. */
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			if (fd > 2)
				close(fd);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		if (write(2, emsg, elen) == -1)
			_exit(127);
		_exit(127);
	}
	return pid;
}

static void
start_make(const char *month)
{
	char	 prog[PATH_MAX], dir[PATH_MAX + 32], formats[80];
	char	*argv[16];
	int	 n = 0;

	if (month_dir(month, dir, sizeof(dir)) == -1)
		return;
	program_path(prog, sizeof(prog));
	/* The JSON is always made: the mail's summary and the web read it. */
	snprintf(formats, sizeof(formats), "%s%s", R.c->report.formats,
	    has_format(R.c->report.formats, "json") ? "" : ",json");
	argv[n++] = prog;
	argv[n++] = "-f";
	argv[n++] = R.conf;
	argv[n++] = "--month";
	argv[n++] = (char *)month;
	argv[n++] = "--format";
	argv[n++] = formats;
	argv[n++] = "--out";
	argv[n++] = dir;
	/* A month over before the journal began is not made or mailed. */
	argv[n++] = "--skip-unseen";
	if (R.c->report.lang[0]) {
		argv[n++] = "--lang";
		argv[n++] = (char *)R.c->report.lang;
	}
	argv[n] = NULL;
	log_info("report %s: making it in %s", month, dir);
	if ((R.pid = spawn(argv)) > 0) {
		R.step = STEP_MAKE;
		fm_strlcpy(R.month, month, sizeof(R.month));
		R.started = mono_ms();
	}
}

static void
start_mail(const char *month)
{
	char	*argv[8];
	int	 n = 0;

	argv[n++] = R.self;
	argv[n++] = "-f";
	argv[n++] = R.conf;
	argv[n++] = "report-mail";
	argv[n++] = (char *)month;
	argv[n] = NULL;
	log_info("report %s: mailing it", month);
	if ((R.pid = spawn(argv)) > 0) {
		R.step = STEP_MAIL;
		fm_strlcpy(R.month, month, sizeof(R.month));
		R.started = mono_ms();
	}
}

static int
all_mailed(const char *month)
{
	char	 name[FM_ID_MAX + 32];
	int	 i;

	for (i = 0; i < R.c->report.nmail_to; i++) {
		snprintf(name, sizeof(name), ".mailed-%s",
		    R.c->report.mail_to[i]);
		if (marker_exists(month, name))
			continue;
		snprintf(name, sizeof(name), ".mail-failed-%s",
		    R.c->report.mail_to[i]);
		if (!marker_exists(month, name))
			return 0;
	}
	return 1;
}

static void
child_done(int status)
{
	int	 code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    (WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	if (R.step == STEP_MAKE) {
		if (code == 3) {
			/*
			 * The first start of a new install: the month is over
			 * and nothing of it was seen, so there is no report
			 * to make or to mail, now or after a restart.
			 */
			marker_write(R.month, ".unseen", "not monitored\n");
			log_info("report %s: not made, nothing was monitored "
			    "in that month", R.month);
			event_raise_facts("report", NULL, 1, 0, R.month,
			    "monthly report %s not made: monitoring began "
			    "after the month", R.month);
		} else if (code == 0) {
			marker_write(R.month, ".done", "made\n");
			R.made++;
			log_info("report %s made", R.month);
			event_raise_facts("report", NULL, 0, 0, R.month,
			    "monthly report %s made", R.month);
		} else {
			R.failed++;
			log_warnx("report %s: facmon-report exited with %d",
			    R.month, code);
			event_raise_facts("report_failed", NULL, code, 0,
			    R.month, "monthly report %s failed: facmon-report "
			    "exited with %d", R.month, code);
			R.mail_after = mono_ms() + R.c->report.retry_ms;
		}
	} else if (R.step == STEP_MAIL) {
		if (code == 0) {
			R.mailed++;
			log_info("report %s mailed", R.month);
		} else {
			/* report-mail wrote what failed for good itself. */
			log_warnx("report %s: mailing exited with %d%s",
			    R.month, code, code == EX_TEMPFAIL_ ?
			    ", will try again" : "");
			if (code != EX_TEMPFAIL_)
				event_raise_facts("report_mail_failed", NULL,
				    code, 0, R.month, "monthly report %s: mail "
				    "failed (%d)", R.month, code);
			R.mail_after = mono_ms() + R.c->report.retry_ms;
		}
	}
	R.pid = 0;
	R.step = STEP_NONE;
}

/* Called every second from the collector's tick. */
void
reports_tick(int64_t now_mono)
{
	char	 month[8];
	int	 status;
	pid_t	 p;

	if (R.c == NULL || !R.c->report.enabled)
		return;
	if (R.pid > 0) {
		p = waitpid(R.pid, &status, WNOHANG);
		if (p == R.pid)
			child_done(status);
		else if (p == -1 && errno == ECHILD) {
			R.pid = 0;
			R.step = STEP_NONE;
		} else if (now_mono - R.started > REPORT_CHILD_MAX_MS) {
			log_warnx("report %s: child %ld takes too long, "
			    "stopping it", R.month, (long)R.pid);
			kill(R.pid, SIGKILL);
		}
		return;
	}
	if (now_mono < R.next_check)
		return;
	R.next_check = now_mono + 1000;
	if (report_due_month(now_ms(), R.c->av.tz, R.c->report.day,
	    R.c->report.hour, month, sizeof(month)) == -1)
		return;
	if (marker_exists(month, ".unseen"))
		return;
	if (!marker_exists(month, ".done")) {
		if (now_mono >= R.mail_after)
			start_make(month);
		return;
	}
	if (R.c->report.nmail_to > 0 && now_mono >= R.mail_after &&
	    !all_mailed(month))
		start_mail(month);
}

void
reports_init(const struct collector_conf *c, const char *argv0)
{
	ssize_t	 n;

	memset(&R, 0, sizeof(R));
	R.c = c;
	if ((n = readlink("/proc/self/exe", R.self, sizeof(R.self) - 1)) > 0)
		R.self[n] = '\0';
	else
		fm_strlcpy(R.self, argv0, sizeof(R.self));
	if (realpath(c->file, R.conf) == NULL)
		fm_strlcpy(R.conf, c->file, sizeof(R.conf));
	/* A first look shortly after start, once the state is loaded. */
	R.next_check = mono_ms() + 2000;
}

void
reports_reconf(const struct collector_conf *c)
{
	R.c = c;
}

void
reports_stop(void)
{
	int	 status;

	if (R.pid > 0) {
		kill(R.pid, SIGTERM);
		waitpid(R.pid, &status, 0);
		R.pid = 0;
	}
}

/* ---- the list of reports, for the API ---------------------------------- */

static int
valid_month(const char *s)
{
	return strlen(s) == 7 && s[4] == '-' && s[0] >= '0' && s[0] <= '9' &&
	    s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
	    s[3] >= '0' && s[3] <= '9' && s[5] >= '0' && s[5] <= '1' &&
	    s[6] >= '0' && s[6] <= '9';
}

static int
cmp_str_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * [{ month, made, files: [{name, bytes, url}], mailed: [names],
 *    mail_failed: [{recipient, reason}] }], newest first.
 */
json_t *
reports_json(void)
{
	char	 dir[PATH_MAX + 16], sub[PATH_MAX + 32], path[PATH_MAX * 2];
	char	*names[1024];
	size_t	 n = 0, i;
	DIR	*d, *sd;
	struct dirent *de;
	json_t	*a = json_array();

	if (a == NULL || R.c == NULL)
		return a;
	snprintf(dir, sizeof(dir), "%s/reports", R.c->data_dir);
	if ((d = opendir(dir)) == NULL)
		return a;
	while ((de = readdir(d)) != NULL && n < 1024)
		if (valid_month(de->d_name) &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str_desc);
	for (i = 0; i < n; i++) {
		json_t	*o = json_object(), *files = json_array();
		json_t	*mailed = json_array(), *failed = json_array();

		snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]);
		if ((sd = opendir(sub)) != NULL) {
			while ((de = readdir(sd)) != NULL) {
				struct stat sb;
				char	 url[PATH_MAX];

				snprintf(path, sizeof(path), "%s/%s", sub,
				    de->d_name);
				if (strncmp(de->d_name, ".mailed-", 8) == 0)
					json_array_append_new(mailed,
					    json_string(de->d_name + 8));
				else if (strncmp(de->d_name,
				    ".mail-failed-", 13) == 0) {
					char	 why[256] = "";
					FILE	*f = fopen(path, "r");

					if (f != NULL) {
						if (fgets(why, sizeof(why), f)
						    == NULL)
							why[0] = '\0';
						fclose(f);
					}
					why[strcspn(why, "\n")] = '\0';
					json_array_append_new(failed, json_pack(
					    "{s:s,s:s}", "recipient",
					    de->d_name + 13, "reason", why));
				}
				if (de->d_name[0] == '.' ||
				    stat(path, &sb) == -1 ||
				    !S_ISREG(sb.st_mode))
					continue;
				snprintf(url, sizeof(url), "/reports/%s/%s",
				    names[i], de->d_name);
				json_array_append_new(files, json_pack(
				    "{s:s,s:I,s:s}", "name", de->d_name,
				    "bytes", (json_int_t)sb.st_size, "url",
				    url));
			}
			closedir(sd);
		}
		json_object_set_new(o, "month", json_string(names[i]));
		json_object_set_new(o, "made",
		    json_boolean(marker_exists(names[i], ".done")));
		json_object_set_new(o, "unseen",
		    json_boolean(marker_exists(names[i], ".unseen")));
		json_object_set_new(o, "files", files);
		json_object_set_new(o, "mailed", mailed);
		json_object_set_new(o, "mail_failed", failed);
		json_array_append_new(a, o);
		free(names[i]);
	}
	return a;
}

/*
 * /reports/YYYY-MM/FILE → the file's path, or -1.  Only plain names of
 * files the report writes: no dot files, no slashes, so nothing outside
 * the month's directory can be named.
 */
int
report_file_path(const char *rel, char *out, size_t len)
{
	const char *slash;
	char	 month[8];
	size_t	 i;

	if (R.c == NULL || (slash = strchr(rel, '/')) == NULL ||
	    slash - rel != 7)
		return -1;
	memcpy(month, rel, 7);
	month[7] = '\0';
	if (!valid_month(month) || slash[1] == '.' || slash[1] == '\0')
		return -1;
	for (i = 1; slash[i] != '\0'; i++)
		if (!(slash[i] == '-' || slash[i] == '_' || slash[i] == '.' ||
		    (slash[i] >= '0' && slash[i] <= '9') ||
		    (slash[i] >= 'a' && slash[i] <= 'z') ||
		    (slash[i] >= 'A' && slash[i] <= 'Z')))
			return -1;
	if ((size_t)snprintf(out, len, "%s/reports/%s/%s", R.c->data_dir,
	    month, slash + 1) >= len)
		return -1;
	return 0;
}

void
reports_stats(uint64_t *made, uint64_t *mailed, uint64_t *failed)
{
	*made = R.made;
	*mailed = R.mailed;
	*failed = R.failed;
}

/* ---- facmon-collector report-mail MONTH ---------------------------------- */

static const char *
mime_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".pdf") == 0)
		return "application/pdf";
	if (strcmp(dot, ".xlsx") == 0)
		return "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet";
	if (strcmp(dot, ".csv") == 0)
		return "text/csv; charset=UTF-8";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=UTF-8";
	return "application/octet-stream";
}

static const char *
jget(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/*
 * The message's text and HTML from the report's JSON: the period, the
 * site's availability and coverage, and the evaluation table's rows with
 * measured value, target and met.  Everything that came from the
 * configuration or the journal is escaped in the HTML part.
 */
static int
mail_bodies(const char *json_path, int en, const char *link,
    struct sbuf *text, struct sbuf *html, char *subject, size_t sublen)
{
	json_error_t je;
	json_t	*root, *sum, *inds, *it;
	char	 line[1024];
	size_t	 i;
	double	 av, cov;

	if ((root = json_load_file(json_path, 0, &je)) == NULL)
		return -1;
	sum = json_object_get(root, "summary");
	av = json_real_value(json_object_get(sum, "availability"));
	cov = json_real_value(json_object_get(sum, "coverage"));
	snprintf(subject, sublen, en ? "facmon: %s" : "facmon：%s",
	    jget(root, "title"));
	/*
	 * A month seen only in part (monitoring began inside it) says so
	 * in the subject, as the report's first page does.
	 */
	if (json_is_true(json_object_get(json_object_get(root, "monitoring"),
	    "partial"))) {
		size_t	 l = strlen(subject);
		const char *since = jget(json_object_get(root, "monitoring"),
		    "since");

		snprintf(subject + l, sublen - l, en ? " (partly monitored: "
		    "from %.16s, coverage %.2f %%)" : "（部分监测：自 %.16s "
		    "起，覆盖率 %.2f%%）", since, cov * 100);
	}
	snprintf(line, sizeof(line), "%s\n%s: %s\n%s: %s — %s (%s)\n",
	    jget(root, "title"), en ? "Site" : "单位", jget(root, "site"),
	    en ? "Period" : "期间", jget(json_object_get(root, "period"),
	    "from"), jget(json_object_get(root, "period"), "to"),
	    jget(json_object_get(root, "period"), "timezone"));
	sb_puts(text, line);
	if (json_is_true(json_object_get(json_object_get(root, "monitoring"),
	    "partial"))) {
		snprintf(line, sizeof(line), en ? "Partly monitored: recorded "
		    "from %s on.\n" : "仅部分监测：自 %s 起有记录。\n",
		    jget(json_object_get(root, "monitoring"), "since"));
		sb_puts(text, line);
	}
	snprintf(line, sizeof(line), "%s: %.4f %%   %s: %.2f %%\n\n",
	    en ? "Availability (all devices)" : "可用率（全部设备）", av * 100,
	    en ? "Coverage" : "监测覆盖率", cov * 100);
	sb_puts(text, line);

	sb_puts(html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
	    "</head><body><h2>");
	sb_html(html, jget(root, "title"));
	sb_puts(html, "</h2><p>");
	sb_html(html, jget(root, "site"));
	sb_puts(html, "<br>");
	sb_html(html, jget(json_object_get(root, "period"), "from"));
	sb_puts(html, " — ");
	sb_html(html, jget(json_object_get(root, "period"), "to"));
	snprintf(line, sizeof(line), "</p><p>%s: <b>%.4f %%</b> &middot; "
	    "%s: %.2f %%</p>", en ? "Availability (all devices)" :
	    "可用率（全部设备）", av * 100, en ? "Coverage" : "监测覆盖率",
	    cov * 100);
	sb_puts(html, line);

	inds = json_object_get(root, "indicators");
	if (json_array_size(inds) > 0) {
		sb_puts(html, "<table border=\"1\" cellpadding=\"4\" "
		    "style=\"border-collapse:collapse\"><tr><th>");
		sb_puts(html, en ? "Indicator</th><th>Target</th><th>Measured"
		    "</th><th>Met" : "指标</th><th>预期指标值</th><th>"
		    "实际完成指标值</th><th>是否达标");
		sb_puts(html, "</th></tr>");
	}
	json_array_foreach(inds, i, it) {
		json_t	*met = json_object_get(it, "met");
		const char *mt = json_is_true(met) ? (en ? "met" : "达标") :
		    json_is_false(met) ? (en ? "NOT MET" : "未达标") :
		    (en ? "no data" : "无数据");

		snprintf(line, sizeof(line), "- %s: %s (%s %s) %s\n",
		    jget(it, "level3"), jget(it, "value_text"),
		    en ? "target" : "目标", jget(it, "target_text"), mt);
		sb_puts(text, line);
		sb_puts(html, "<tr><td>");
		sb_html(html, jget(it, "level3"));
		sb_puts(html, "</td><td>");
		sb_html(html, jget(it, "target_text"));
		sb_puts(html, "</td><td>");
		sb_html(html, jget(it, "value_text"));
		sb_puts(html, "</td><td>");
		sb_puts(html, mt);
		sb_puts(html, "</td></tr>");
	}
	if (json_array_size(inds) > 0)
		sb_puts(html, "</table>");
	sb_puts(text, "\n");
	sb_puts(text, en ? "The full report is attached" :
	    "完整报告见附件");
	if (link[0]) {
		sb_puts(text, en ? " and on the web: " : "，网页版：");
		sb_puts(text, link);
		sb_puts(html, "<p><a href=\"");
		sb_html(html, link);
		sb_puts(html, "\">");
		sb_html(html, link);
		sb_puts(html, "</a></p>");
	}
	sb_puts(text, "\n");
	sb_puts(html, "</body></html>");
	json_decref(root);
	return text->err || html->err ? -1 : 0;
}

/* One message to one recipient: 0, or a send_result. */
static int
mail_one(const struct collector_conf *c, const struct alert_channel *ch,
    const struct alert_recipient *rc, const char *month, const char *dir,
    const char *subject, const struct sbuf *text, const struct sbuf *html,
    char *err, size_t errlen)
{
	CURL	*cu;
	curl_mime *mime, *alt;
	curl_mimepart *part;
	struct curl_slist *hdrs = NULL, *ph = NULL, *rcpt = NULL;
	char	 h[1100], enc[1024], ebuf[CURL_ERROR_SIZE], path[PATH_MAX * 2];
	char	 datebuf[64];
	DIR	*d;
	struct dirent *de;
	time_t	 t = time(NULL);
	struct tm tm;
	int	 res, nattach = 0;

	if ((cu = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return SEND_TEMP;
	}
	if (smtp_encode_subject(enc, sizeof(enc), subject) == -1)
		fm_strlcpy(enc, "facmon report", sizeof(enc));
	gmtime_r(&t, &tm);
	strftime(datebuf, sizeof(datebuf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(h, sizeof(h), "Date: %s", datebuf);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "From: facmon <%s>", ch->from);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "To: <%s>", rc->email);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "Subject: %s", enc);
	hdrs = curl_slist_append(hdrs, h);
	/* The same id for every attempt: a receiving system can fold twins. */
	snprintf(h, sizeof(h), "Message-ID: <report-%s-%s@facmon>", month,
	    rc->name);
	hdrs = curl_slist_append(hdrs, h);
	hdrs = curl_slist_append(hdrs, "X-Facmon-Kind: report");

	mime = curl_mime_init(cu);
	alt = curl_mime_init(cu);
	part = curl_mime_addpart(alt);
	curl_mime_data(part, text->p, text->len);
	curl_mime_type(part, "text/plain; charset=UTF-8");
	curl_mime_encoder(part, "base64");
	part = curl_mime_addpart(alt);
	curl_mime_data(part, html->p, html->len);
	curl_mime_type(part, "text/html; charset=UTF-8");
	curl_mime_encoder(part, "base64");
	part = curl_mime_addpart(mime);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");
	ph = curl_slist_append(NULL, "Content-Disposition: inline");
	curl_mime_headers(part, ph, 1);

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			const char *dot = strrchr(de->d_name, '.');

			if (de->d_name[0] == '.' || dot == NULL ||
			    !has_format(c->report.mail_formats, dot + 1))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			part = curl_mime_addpart(mime);
			curl_mime_filedata(part, path);
			curl_mime_type(part, mime_type(de->d_name));
			curl_mime_encoder(part, "base64");
			nattach++;
		}
		closedir(d);
	}
	if (nattach == 0)
		log_warnx("report %s: nothing to attach (mail_formats %s)",
		    month, c->report.mail_formats);

	snprintf(h, sizeof(h), "<%s>", rc->email);
	rcpt = curl_slist_append(NULL, h);
	ebuf[0] = '\0';
	smtp_setup(cu, ch, rcpt, ebuf);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(cu, CURLOPT_MIMEPOST, mime);
	res = smtp_perform(cu, ebuf, err, errlen);
	curl_easy_cleanup(cu);
	curl_mime_free(mime);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(rcpt);
	return res;
}

/*
 * facmon-collector -f FILE report-mail YYYY-MM: mail the month's report
 * to every 'report.mail_to' recipient that has not had it.  Exits 0 when
 * all have it (or failed for good), 75 when one may work later.
 */
int
report_mail_main(const struct collector_conf *c, int argc, char *argv[])
{
	const struct alert_channel *ch;
	struct sbuf text, html;
	char	 dir[PATH_MAX + 32], json[PATH_MAX + 96], link[ALERT_URL_MAX + 64];
	char	 subject[512], err[512], name[FM_ID_MAX + 32];
	int	 i, j, temp = 0, perm = 0, en;

	if (argc != 2 || !valid_month(argv[1])) {
		fprintf(stderr, "usage: facmon-collector -f FILE report-mail "
		    "YYYY-MM\n");
		return 2;
	}
	R.c = c;
	if ((ch = report_smtp_channel(c)) == NULL ||
	    c->report.nmail_to == 0) {
		fprintf(stderr, "facmon-collector: %s: no 'report.mail_to' or "
		    "no smtp channel in 'alerts'\n", c->file);
		return 1;
	}
	month_dir(argv[1], dir, sizeof(dir));
	en = strcmp(c->report.lang[0] ? c->report.lang : c->av.lang,
	    "en") == 0;
	snprintf(json, sizeof(json), "%s/facmon-report-%s%s.json", dir,
	    argv[1], en ? "-en" : "");
	link[0] = '\0';
	if (c->alerts->base_url[0])
		snprintf(link, sizeof(link), "%s%sreports/%s/",
		    c->alerts->base_url, c->alerts->base_url[strlen(
		    c->alerts->base_url) - 1] == '/' ? "" : "/", argv[1]);
	memset(&text, 0, sizeof(text));
	memset(&html, 0, sizeof(html));
	if (mail_bodies(json, en, link, &text, &html, subject,
	    sizeof(subject)) == -1) {
		fprintf(stderr, "facmon-collector: %s: cannot read the report "
		    "(make it first)\n", json);
		free(text.p);
		free(html.p);
		return EX_TEMPFAIL_;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < c->report.nmail_to; i++) {
		const struct alert_recipient *rc = NULL;

		for (j = 0; j < c->alerts->nrecipients; j++)
			if (strcmp(c->alerts->recipients[j].name,
			    c->report.mail_to[i]) == 0)
				rc = &c->alerts->recipients[j];
		snprintf(name, sizeof(name), ".mailed-%s",
		    c->report.mail_to[i]);
		if (rc == NULL || marker_exists(argv[1], name))
			continue;
		switch (mail_one(c, ch, rc, argv[1], dir, subject, &text,
		    &html, err, sizeof(err))) {
		case SEND_OK:
			marker_write(argv[1], name, rc->email);
			printf("report %s mailed to %s\n", argv[1], rc->name);
			break;
		case SEND_TEMP:
			temp = 1;
			fprintf(stderr, "facmon-collector: report %s to %s: %s "
			    "(will try again)\n", argv[1], rc->name, err);
			break;
		default:
			perm = 1;
			snprintf(name, sizeof(name), ".mail-failed-%s",
			    c->report.mail_to[i]);
			strncat(err, "\n", sizeof(err) - strlen(err) - 1);
			marker_write(argv[1], name, err);
			fprintf(stderr, "facmon-collector: report %s to %s: %s",
			    argv[1], rc->name, err);
			break;
		}
	}
	curl_global_cleanup();
	free(text.p);
	free(html.p);
	return temp ? EX_TEMPFAIL_ : perm ? 1 : 0;
}

/* Reload: the report's schedule and recipients at once. */
const struct reload_ops reports_reload = {
	.module = "reports",
	.apply = reports_reconf,
};
