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
 * The collector's core: what every module of the collector shares.  The
 * configuration as read from the file, the operators' events, the
 * descriptor budget of the two listeners and a JSON string of any bytes.
 * Nothing here knows of any module above it; each module has its own
 * header in its folder and includes this one (tools/include-check
 * enforces the order).
 */

#ifndef FACMON_COLLECTOR_CORE_H
#define FACMON_COLLECTOR_CORE_H

#include <sys/socket.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "../../common/common.h"
#include "../../common/tls.h"
#include "../../common/wire.h"
#include "../../avail/avail.h"

#define COLLECTOR_ADDRS_MAX	16	/* entries of listen and http */

/*
 * Plain configuration, as read from the file.  A reload builds a new one
 * beside the running one and swaps only when it is valid; runtime state
 * never points into it.
 */
struct listen_addr {
	char		 text[FM_TEXT_MAX];	/* as written, for messages */
	struct sockaddr_storage ss;
	socklen_t	 sslen;
};

struct agent_entry {
	char		 id[FM_ID_MAX];
	char		 description[FM_TEXT_MAX];
	int		 revoked;	/* refused at the handshake */
	int		 has_key;	/* keys_dir holds its key */
	uint8_t		 key[FM_PSK_LEN];
};

/* What a notification does (traps.c). */
enum trap_action { TA_DOWN = 1, TA_UP, TA_EVENT, TA_WARNING, TA_CLEAR };

struct trap_rule {
	char		 oid[128];	/* numeric */
	char		 name[128];
	int		 action;	/* enum trap_action */
	/* A warning's words on the wall; "": the name. */
	char		 text[128];
	char		 text_en[128];
	char		 clears[128];	/* TA_CLEAR: the warning's OID */
	char		 instance[128];	/* varbind naming what it is about */
	int		 hold_ms;	/* a warning lasts; 0: the default */
};

/* The 'report' group: the monthly report made by the collector. */
struct report_sched {
	int		 enabled;		/* the group is there */
	int		 day, hour;		/* local, of each month */
	char		 formats[64];		/* facmon-report --format */
	char		 mail_formats[64];	/* attached */
	char		 lang[4];		/* "": the availability's */
	char		 program[PATH_MAX];	/* "": beside this program */
	char		 channel[FM_ID_MAX];	/* "": the first smtp one */
	char		 (*mail_to)[FM_ID_MAX];	/* recipient names */
	int		 nmail_to;
	int		 retry_ms;		/* after a failure */
};

struct collector_conf {
	char		 file[PATH_MAX];
	struct listen_addr listen[COLLECTOR_ADDRS_MAX];
	int		 nlisten;
	struct listen_addr http[COLLECTOR_ADDRS_MAX];
	int		 nhttp;
	char		 data_dir[PATH_MAX];
	char		 web_dir[PATH_MAX];
	int		 unknown_after;		/* intervals without a result */
	int		 confirm;		/* failed probes to confirm */
	int		 max_connections;	/* agent connections */
	int		 http_connections;	/* web connections at once */
	int		 handshakes_per_peer;	/* agent port, before HELLO */
	int		 http_per_peer;		/* web connections of one address */
	int		 fd_reserve;		/* descriptors kept from peers */
	char		 user[FM_ID_MAX];	/* "": keep the starting user */
	double		 rrd_full_days;		/* full-resolution RRA length */
	int		 rrd_5min_days;		/* 5-minute RRAs; 0: none */
	int		 rrd_hourly_days;	/* hourly RRAs; 0: none */
	int		 rrd_queue;		/* RRD queue length, values */
	int		 rrd_write_ms;		/* write-behind interval; 0: none */
	int		 rrd_jitter_ms;		/* spread of the files' due times */
	int		 rrd_hold;		/* values held at most */
	int		 rrd_series_check;	/* series per check at most */
	int		 rrd_series_device;	/* series per device at most */
	long long	 rrd_max_bytes;		/* RRD tree budget; 0: none */
	int		 rrd_retire_days;	/* retire series idle as long; 0: never */
	int		 rrd_retired_keep_days;	/* then remove them after this */
	char		 rrd_daemon[256];	/* rrdcached address; "": none */
	int		 clock_tolerance_ms;	/* agent clock skew allowed */
	int		 unreachable_ms;	/* agent silent: unreachable */
	long long	 journal_segment;	/* bytes per journal segment */
	int		 journal_keep_days;	/* whole segments older go */
	struct agent_entry *agents;
	int		 nagents;
	int		 tls;			/* 0: plain TCP, by request */
	char		 keys_dir[PATH_MAX];	/* <agent id>.psk, 0600 */
	struct alert_conf *alerts;	/* NULL: no 'alerts' group */
	struct avconf	 av;		/* 'availability': targets, windows */
	struct trap_rule *trap_rules;	/* 'traps': none, the built-in ones */
	int		 ntrap_rules;
	int		 trap_hold_ms;	/* 'traps.hold': a warning's life */
	struct report_sched report;	/* 'report' */
	struct web_conf	*web;		/* 'web': users, sessions; or NULL */
	unsigned	 readable_mode;	/* the file's mode, if others can read it */
};

/* An event for operators: clock skew, agent unreachable, storage. */
struct fm_event {
	uint64_t	 id;
	int64_t		 ts_ms;
	char		 kind[32];
	char		 agent[FM_ID_MAX];
	char		 msg[FM_TEXT_MAX];
	/*
	 * The facts behind msg, from which alerts say it in the configured
	 * language (alert_text.c): numbers and one name, by kind.
	 */
	int64_t		 n[2];
	char		 arg[FM_TEXT_MAX];
};

/* Descriptors and listeners shared by ingest.c and http.c (netlimit.c). */
enum { NL_AGENT = 0, NL_HTTP = 1 };
#define NETLIMIT_LOG_MS	60000	/* a refusal line at most this often */

struct netlimit_stats {
	uint64_t	 nofile;		/* RLIMIT_NOFILE at start */
	uint64_t	 budget;		/* connections that fit */
	uint64_t	 refused_reserve;	/* accepted into the reserve */
	uint64_t	 accept_paused;		/* EMFILE and the like */
};

/* At most one line per interval; held: how many were not written. */
struct ratelim {
	int64_t		 last_mono;
	uint64_t	 held;
};

/*
 * reload.c: reload as a table.  collector.c walks it on SIGHUP, as
 * relayd's parent_configure hands every object to every process.  Each
 * module with settings gives one row, declared in its header.  check()
 * compares the running configuration with the new one; a setting that
 * cannot change while the module runs is refused by name with
 * reload_refuse(), and the running value is kept in nc so that nc goes
 * on describing what runs.  It returns the number of refusals.  apply()
 * hands nc to the module.  Every check runs before any apply, and a
 * refusal does not stop the reload: the rest applies and the key waits
 * for a restart.  Either member may be NULL.
 */
struct reload_ops {
	const char	*module;
	int		(*check)(const struct collector_conf *old,
			    struct collector_conf *nc);
	void		(*apply)(const struct collector_conf *nc);
};
int		 reload_refuse(const char *key);
int		 listen_addrs_equal(const struct listen_addr *, int,
		    const struct listen_addr *, int);

/* events.c */
void		 event_raise(const char *kind, const char *agent,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 event_raise_facts(const char *kind, const char *agent,
		    int64_t n0, int64_t n1, const char *arg, const char *fmt,
		    ...) __attribute__((format(printf, 6, 7)));
const struct fm_event *events_since(uint64_t after, size_t *n);
uint64_t	 events_count(const char *kind);

/* Called for each event raised, after it is kept (collector.c sets the
   alerting's); NULL: nobody listens. */
void		 events_listen(void (*)(const struct fm_event *));

/* netlimit.c */
int		 ratelim_pass(struct ratelim *, int64_t now_mono,
		    int64_t interval_ms, uint64_t *held);
void		 netlimit_init(struct event_base *, int fd_reserve,
		    int max_agents, int max_http);
int		 netlimit_cap(int which, int configured);
int		 netlimit_fd_ok(int fd);
struct evconnlistener;
void		 netlimit_listener(struct evconnlistener *);
void		 netlimit_accept_error(const char *who);
void		 netlimit_stop(void);
void		 netlimit_get_stats(struct netlimit_stats *);
extern const struct reload_ops netlimit_reload;

/* jstr.c: a JSON string of any bytes: invalid UTF-8 becomes U+FFFD,
   never NULL. */
struct json_t;
struct json_t	*fm_jstr(const char *);

#endif /* FACMON_COLLECTOR_CORE_H */
