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
 * facmon-agent: probes devices and pushes typed, timestamped results to
 * the collector.  Everything runs on one libevent loop; a probe never
 * blocks it.
 */

#ifndef FACMON_AGENT_H
#define FACMON_AGENT_H

#include <limits.h>
#include <stdint.h>

#include <event2/event.h>
#include <libconfig.h>

#include "../common/common.h"
#include "../common/tls.h"
#include "../common/wire.h"
#include "probe.h"

#define AGENT_CONF_DEFAULT	FACMON_SYSCONFDIR "/facmon-agent.conf"
#define AGENT_COLLECTORS_MAX	4	/* tried in order: failover */

/*
 * Plain configuration, as read from the file.  Runtime state lives in
 * struct check and struct device (probe.h, with the devices' and
 * checks' own configuration), so a reload can build a new configuration
 * beside the old one and swap only when it is valid.
 */
#define TRAP_LISTEN_MAX		4
#define TRAP_COMMUNITIES_MAX	8
#define TRAP_USERS_MAX		16

struct trap_user {
	char		 name[64];
	char		 engine_id[80];	/* the sender's, hex */
	char		 auth_proto[16];
	char		 auth_pass[128];
	char		 priv_proto[16];
	char		 priv_pass[128];
};

/* The trap receiver (trap.c). */
struct trap_conf {
	char		 listen[TRAP_LISTEN_MAX][80];
	int		 nlisten;
	char		 communities[TRAP_COMMUNITIES_MAX][64];
	int		 ncommunities;
	struct trap_user users[TRAP_USERS_MAX];
	int		 nusers;
	int		 rate;		/* per source, per second */
	int		 burst;
};

struct agent_conf {
	char		 file[PATH_MAX];
	char		 id[FM_ID_MAX];
	char		 collector_host[FM_TEXT_MAX];	/* the first one */
	int		 collector_port;
	char		 coll_hosts[AGENT_COLLECTORS_MAX][FM_TEXT_MAX];
	int		 coll_ports[AGENT_COLLECTORS_MAX];
	int		 ncollectors;
	int		 failback_ms;	/* on a later one: try the first */
	int		 tls;		/* 0: plain TCP, by request */
	char		 tls_psk_file[PATH_MAX];
	int		 batch_ms;	/* how long results wait to be sent */
	int		 queue_max;	/* results waiting to be spooled */
	char		 spool_dir[PATH_MAX];
	long long	 spool_max_bytes;
	int		 spool;		/* 0: no spool, by request */
	int64_t		 spool_max_age_ms;
	int		 drain_rate;	/* results a second from the spool */
	char		 user[64];	/* run as this user; "": as started */
	char		 timezone[64];	/* of the log's local times */
	char		 mibdirs[PATH_MAX];
	char		 templates[PATH_MAX];	/* "": the default */
	struct device_conf *devices;
	int		 ndevices;
	struct trap_conf *traps;	/* NULL: no trap receiver */
};

/* agent.c */
extern struct agent_conf *agent_conf;

/* conf.c */
struct agent_conf *agent_conf_load(const char *file, struct cfgerr *);
void		 agent_conf_free(struct agent_conf *);
size_t		 devices_wire_size(const struct agent_conf *);
int		 agent_conf_check_files(const struct agent_conf *,
		    struct cfgerr *);

/* sched.c; what a probe may call is in probe.h */
int		 sched_start(struct agent_conf *);
void		 sched_stop(void);
void		 sched_stats(uint64_t *probes, uint64_t *overruns,
		    int64_t *late_us_max);
int64_t		 sched_late_quantile(double q);

/* trap.c */
int		 trap_conf_parse(struct cfgerr *, const config_setting_t *,
		    struct agent_conf *);
int		 trap_start(const struct trap_conf *);
void		 trap_stop(void);

/* expect.c */
int		 expect_parse(struct cfgerr *, const config_setting_t *,
		    struct check_conf *);
void		 expect_eval(const struct check_conf *, struct fm_result *);

/* privdrop.c */
int		 priv_drop(const struct agent_conf *, char *, size_t);

/* push.c */
int		 push_init(struct agent_conf *);
void		 push_devices_changed(struct agent_conf *);
void		 push_result(struct fm_result *);
/* push_link.c */
void		 push_meta(const struct fm_valmeta *);
uint64_t	 push_meta_epoch(void);
void		 push_shutdown(void);
void		 push_start(void);

/* discover.c: facmon-agent discover ADDRESS... */
int		 discover_main(int, char *[]);

#endif /* FACMON_AGENT_H */
