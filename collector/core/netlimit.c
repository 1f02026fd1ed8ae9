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
 * What the two listeners (agents, web) share: the process's descriptors,
 * and the discipline of logging what peers make happen.
 *
 * Descriptors.  The journal, the outage journal, the RRD files and the
 * alert workers need descriptors too, and a peer must never be able to
 * take the last ones: a failed journal write means no acknowledgement
 * and a failed RRD update a hole in a graph.  So the connections of both
 * listeners together stay below RLIMIT_NOFILE minus a reserve
 * (fd_reserve), each listener with its share when max_connections and
 * http_connections together would not fit.  Should accept() still fail
 * for want of a descriptor (EMFILE, ENFILE), every listener pauses for a
 * moment instead of being woken again at once for the same pending
 * connection, which is what made the daemon spin at a full core.
 *
 * Log lines.  Everything a peer can trigger at will (a refused
 * connection, a failed handshake) is logged at most once per interval,
 * with the count of what happened since, so that a flood can neither
 * fill the disk nor bury the lines that matter.
 */

#include <sys/resource.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "core.h"

#define PAUSE_MS	250	/* listeners off after EMFILE */
#define LISTENERS_MAX	(2 * COLLECTOR_ADDRS_MAX)

static struct event_base *base;
static struct evconnlistener *lst[LISTENERS_MAX];
static int	 nlst;
static struct event *resume_ev;
static int	 paused;
static int	 nofile;		/* soft RLIMIT_NOFILE; 0: not known */
static int	 reserve = 64;
static int	 share[2];		/* NL_AGENT, NL_HTTP; 0: as configured */
static struct ratelim pause_log;
static struct netlimit_stats nstats;

int
ratelim_pass(struct ratelim *r, int64_t now_mono, int64_t interval_ms,
    uint64_t *held)
{
	if (r->last_mono != 0 && now_mono - r->last_mono < interval_ms) {
		r->held++;
		return 0;
	}
	*held = r->held;
	r->held = 0;
	r->last_mono = now_mono;
	return 1;
}

static int
count_open_fds(void)
{
	struct dirent *de;
	DIR	*d;
	int	 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own descriptor */
}

/*
 * Once everything the daemon keeps open is open: how many connections
 * fit, and each listener's share of them.
 */
void
netlimit_init(struct event_base *b, int fd_reserve, int max_agents,
    int max_http)
{
	struct rlimit rl;
	int	 open_fds, budget;

	base = b;
	reserve = fd_reserve;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return;
	nofile = rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur;
	if ((open_fds = count_open_fds()) < 0)
		open_fds = 32;
	budget = nofile - open_fds - reserve;
	if (budget < 2)
		budget = 2;
	nstats.budget = (uint64_t)budget;
	nstats.nofile = (uint64_t)nofile;
	if ((long long)max_agents + max_http <= budget) {
		log_info("descriptors: limit %d, %d open, %d kept in reserve: "
		    "room for every configured connection", nofile, open_fds,
		    reserve);
		return;
	}
	share[NL_AGENT] = (int)((long long)budget * max_agents /
	    ((long long)max_agents + max_http));
	if (share[NL_AGENT] < 1)
		share[NL_AGENT] = 1;
	share[NL_HTTP] = budget - share[NL_AGENT];
	if (share[NL_HTTP] < 1)
		share[NL_HTTP] = 1;
	log_warnx("descriptors: limit %d, %d open, %d kept in reserve: at "
	    "most %d agent and %d web connections (configured %d and %d; "
	    "raise LimitNOFILE)", nofile, open_fds, reserve, share[NL_AGENT],
	    share[NL_HTTP], max_agents, max_http);
}

int
netlimit_cap(int which, int configured)
{
	if (share[which] > 0 && share[which] < configured)
		return share[which];
	return configured;
}

/*
 * A descriptor just accepted: may it stay?  Descriptors are handed out
 * lowest first, so one this high means that fewer than the reserve are
 * left.
 */
int
netlimit_fd_ok(int fd)
{
	if (nofile == 0 || fd < nofile - reserve)
		return 1;
	nstats.refused_reserve++;
	return 0;
}

void
netlimit_listener(struct evconnlistener *l)
{
	if (nlst < LISTENERS_MAX)
		lst[nlst++] = l;
}

static void
resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	int	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	paused = 0;
	for (i = 0; i < nlst; i++)
		evconnlistener_enable(lst[i]);
}

/*
 * accept() failed: out of descriptors (or buffers) means the pending
 * connection stays pending, and the listener would be woken for it again
 * at once.  Every listener rests a moment; the connection waits in the
 * kernel's backlog meanwhile.
 */
void
netlimit_accept_error(const char *who)
{
	struct timeval tv = { 0, PAUSE_MS * 1000 };
	int	 e = errno, i;
	uint64_t held;

	if (ratelim_pass(&pause_log, mono_ms(), NETLIMIT_LOG_MS, &held))
		log_warnx("%s listener: accept: %s (%llu more accept errors "
		    "in the last %d s)%s", who, strerror(e),
		    (unsigned long long)held, NETLIMIT_LOG_MS / 1000,
		    e == EMFILE || e == ENFILE ? "; pausing the listeners" :
		    "");
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;
	nstats.accept_paused++;
	if (paused || base == NULL)
		return;
	if (resume_ev == NULL &&
	    (resume_ev = evtimer_new(base, resume_cb, NULL)) == NULL)
		return;
	paused = 1;
	for (i = 0; i < nlst; i++)
		evconnlistener_disable(lst[i]);
	evtimer_add(resume_ev, &tv);
}

void
netlimit_stop(void)
{
	if (resume_ev != NULL)
		event_free(resume_ev);
	resume_ev = NULL;
	nlst = 0;
	paused = 0;
}

void
netlimit_get_stats(struct netlimit_stats *s)
{
	*s = nstats;
}

/* Reload: the descriptors held back were counted at start. */
static int
netlimit_reload_check(const struct collector_conf *old,
    struct collector_conf *nc)
{
	if (nc->fd_reserve == old->fd_reserve)
		return 0;
	nc->fd_reserve = old->fd_reserve;
	return reload_refuse("fd_reserve");
}

const struct reload_ops netlimit_reload = {
	.module = "netlimit",
	.check = netlimit_reload_check,
};
