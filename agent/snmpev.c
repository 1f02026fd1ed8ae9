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
 * One net-snmp single session inside the libevent loop, as both the SNMP
 * check and the trap receiver use it: a persistent read event on the
 * session's socket and one timer, re-armed after every operation from
 * snmp_sess_select_info2_flags(), so that net-snmp's retransmissions and
 * timeouts happen on the loop and nothing ever waits.
 */

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "probe.h"

/*
 * One descriptor set for every call, grown to the highest descriptor
 * seen.  A set made per call had to be reallocated and cleared up to the
 * session's descriptor every time -- with thousands of sessions, the
 * largest single cost of a probe.  Each call sets one bit (the session's
 * socket) and clears it again afterwards, so the set stays empty between
 * calls.
 */
static netsnmp_large_fd_set fdset;
static int	 fdset_ready;

static netsnmp_large_fd_set *
fdset_for(int fd)
{
	int	 want = fd + 1 > FD_SETSIZE ? fd + 1 : FD_SETSIZE;

	if (!fdset_ready) {
		netsnmp_large_fd_set_init(&fdset, want);
		fdset_ready = 1;
	} else if ((int)fdset.lfs_setsize < want)
		netsnmp_large_fd_set_resize(&fdset, want + want / 2);
	return &fdset;
}

/* Point the timer at net-snmp's next retransmission or timeout. */
void
snmpev_rearm(struct snmpev *se)
{
	netsnmp_large_fd_set *fs;
	struct timeval tv = { 0, 0 };
	int	 numfds = 0, block = 1, fd;

	if (se->tmo == NULL)
		return;		/* detached: the session is closing */
	fd = event_get_fd(se->rd);
	fs = fdset_for(fd);
	snmp_sess_select_info2_flags(se->sess, &numfds, fs, &tv, &block,
	    NETSNMP_SELECT_NOALARMS);
	NETSNMP_LARGE_FD_CLR(fd, fs);
	if (!block)
		evtimer_add(se->tmo, &tv);
	else
		evtimer_del(se->tmo);
}

static void
snmpev_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct snmpev *se = arg;
	netsnmp_large_fd_set *fs = fdset_for(fd);

	(void)ev;
	NETSNMP_LARGE_FD_SET(fd, fs);
	snmp_sess_read2(se->sess, fs);
	NETSNMP_LARGE_FD_CLR(fd, fs);
	snmpev_rearm(se);
}

static void
snmpev_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct snmpev *se = arg;

	(void)fd;
	(void)ev;
	snmp_sess_timeout(se->sess);
	snmpev_rearm(se);
}

/* Put an open session on the loop. */
void
snmpev_attach(struct snmpev *se, void *sess)
{
	netsnmp_transport *t = snmp_sess_transport(sess);

	se->sess = sess;
	if ((se->rd = event_new(agent_base, t->sock, EV_READ | EV_PERSIST,
	    snmpev_read_cb, se)) == NULL ||
	    (se->tmo = evtimer_new(agent_base, snmpev_timer_cb, se)) == NULL)
		fatalx("event_new");
	event_add(se->rd, NULL);
}

/* Take it off the loop; the caller closes the session. */
void
snmpev_detach(struct snmpev *se)
{
	if (se->rd != NULL)
		event_free(se->rd);
	if (se->tmo != NULL)
		event_free(se->tmo);
	se->rd = se->tmo = NULL;
}
