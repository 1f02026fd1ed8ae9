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
 * libcurl's multi interface inside the libevent loop, as the HTTP check
 * uses it: curl says which sockets to watch and when to call it back
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION), libevent watches
 * them, and after each turn the owner collects the finished transfers.
 * The same shape as snmpev.c for net-snmp, so that nothing waits.
 */

#include <sys/queue.h>

#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "probe.h"

/* A socket curl asked us to watch. */
struct curlev_sock {
	TAILQ_ENTRY(curlev_sock) entry;
	curl_socket_t	 fd;
	struct event	*ev;
};

static struct event_base *base;
static CURLM	*multi;
static struct event *timer;
static void	(*collect)(void);
static int	 have_capath;	/* libcurl has a CA directory */
static TAILQ_HEAD(, curlev_sock) socks = TAILQ_HEAD_INITIALIZER(socks);

static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 running, action = 0;

	(void)arg;
	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(multi, fd, action, &running);
	collect();
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 running;

	(void)fd;
	(void)what;
	(void)arg;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect();
}

/* curl says which sockets to watch, for what, and when to stop. */
static int
socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct curlev_sock *hs = socketp;
	short	 ev = EV_PERSIST;

	(void)easy;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			TAILQ_REMOVE(&socks, hs, entry);
			event_free(hs->ev);
			free(hs);
		}
		return 0;
	}
	if (hs == NULL) {
		if ((hs = calloc(1, sizeof(*hs))) == NULL)
			return -1;
		hs->fd = fd;
		TAILQ_INSERT_TAIL(&socks, hs, entry);
		curl_multi_assign(multi, fd, hs);
	} else if (hs->ev != NULL) {
		event_free(hs->ev);
		hs->ev = NULL;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if ((hs->ev = event_new(base, fd, ev, sock_cb, NULL)) == NULL ||
	    event_add(hs->ev, NULL) == -1) {
		log_warnx("http: cannot watch a socket");
		return -1;
	}
	return 0;
}

/*
 * curl wants to be called back after timeout_ms, or never (-1).  Zero
 * means as soon as possible, which is the next turn of the loop: curl
 * must not be re-entered from inside its own callback.
 */
static int
timer_fn(CURLM *m, long timeout_ms, void *userp)
{
	struct timeval tv;

	(void)m;
	(void)userp;
	if (timeout_ms < 0) {
		evtimer_del(timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(timer, &tv);
	return 0;
}

/* done: called after each turn of curl, to collect what has finished. */
int
curlev_init(struct event_base *b, void (*done)(void))
{
	const curl_version_info_data *vi;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("http: curl_global_init failed");
		return -1;
	}
	base = b;
	collect = done;
	vi = curl_version_info(CURLVERSION_NOW);
	have_capath = vi->capath != NULL && vi->capath[0] != '\0';
	if (!(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("http: libcurl %s resolves names synchronously; "
		    "use address literals in http checks", vi->version);
	if ((multi = curl_multi_init()) == NULL ||
	    (timer = evtimer_new(base, timer_cb, NULL)) == NULL) {
		log_warnx("http: cannot set up the transfer engine");
		curlev_cleanup();
		return -1;
	}
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	return 0;
}

/* The multi handle, NULL before curlev_init(). */
void *
curlev_multi(void)
{
	return multi;
}

int
curlev_have_capath(void)
{
	return have_capath;
}

/* Call once every transfer is removed. */
void
curlev_cleanup(void)
{
	struct curlev_sock *hs;

	if (multi != NULL) {
		curl_multi_cleanup(multi);
		multi = NULL;
	}
	while ((hs = TAILQ_FIRST(&socks)) != NULL) {
		TAILQ_REMOVE(&socks, hs, entry);
		if (hs->ev != NULL)
			event_free(hs->ev);
		free(hs);
	}
	if (timer != NULL) {
		event_free(timer);
		timer = NULL;
	}
	curl_global_cleanup();
}
