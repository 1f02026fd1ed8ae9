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

/* Logging to stderr (foreground) or syslog, in the style of OpenBSD's log.c. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int	 log_debugmode;	/* 1: stderr, not syslog */
static int	 log_verbose;
static const char *log_procname = "facmon";

void
log_init(const char *progname, int debug, int verbose)
{
	log_procname = progname;
	log_debugmode = debug;
	log_verbose = verbose;
	if (!debug)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

/* Is tz a zone of the system's database ("Asia/Shanghai")? */
int
log_zone_known(const char *tz)
{
	char	 p[PATH_MAX];

	if (tz == NULL || tz[0] == '\0' || tz[0] == '/' ||
	    strstr(tz, "..") != NULL)
		return 0;
	snprintf(p, sizeof(p), "/usr/share/zoneinfo/%s", tz);
	return access(p, R_OK) == 0;
}

/*
 * The zone of every local time this process prints, its log lines
 * included: the configured one, so that the collector and facmon-report
 * writing to the same file agree whatever the server's zone is.  Sets
 * TZ, which is not safe while other threads run: call it before any
 * starts.  -1 (TZ unchanged) when the zone is not in the database.
 */
int
log_set_zone(const char *tz)
{
	if (!log_zone_known(tz))
		return -1;
	setenv("TZ", tz, 1);
	tzset();
	return 0;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

/*
 * Every line is formatted first and then made safe: names, users and
 * messages come from the network, and a newline or an escape sequence
 * in one must not forge a line or rewrite a terminal, nor invalid
 * UTF-8 break a log reader.
 */
static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 tbuf[32], raw[2048], line[sizeof(raw) * 4];
	struct timespec ts;
	struct tm tm;
	long	 off;
	int	 n;

	if ((n = vsnprintf(raw, sizeof(raw), fmt, ap)) < 0)
		return;
	fm_text_sanitize(line, sizeof(line), raw, strlen(raw));
	if (!log_debugmode) {
		syslog(pri, "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
	/* The offset too: a line read later must not be ambiguous. */
	off = tm.tm_gmtoff / 60;
	fprintf(stderr, "%s.%03ld%c%02ld:%02ld %s: %s\n", tbuf,
	    ts.tv_nsec / 1000000, off < 0 ? '-' : '+', labs(off) / 60,
	    labs(off) % 60, log_procname, line);
	fflush(stderr);
}

static void
log_line(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Like vlog, with ": strerror(saved)" appended. */
static void
vlog_errno(int pri, const char *fmt, va_list ap, int saved)
{
	char	 buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_line(pri, "%s: %s", buf, strerror(saved));
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
