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

#define AGENT_CONF_DEFAULT	FACMON_SYSCONFDIR "/facmon-agent.conf"
#define AGENT_COLLECTORS_MAX	4	/* tried in order: failover */

/*
 * Plain configuration, as read from the file.  Runtime state lives in
 * struct check and struct device below, so a reload can build a new
 * configuration beside the old one and swap only when it is valid.
 */
#define EXPECT_MAX	32
#define EXPECT_IN_MAX	8

/* A condition on one value (or every value under a prefix): expect.c. */
struct expect {
	char		 value[FM_VNAME_MAX];
	int		 prefix;	/* "name.*": every value under "name." */
	double		 in[EXPECT_IN_MAX];
	int		 nin;
	double		 min, max;
	int		 has_contains;
	char		 contains[128];
};

struct check_conf {
	char		 id[FM_ID_MAX];
	int		 type;		/* enum check_type */
	int		 interval_ms;
	int		 timeout_ms;
	int		 critical;
	struct expect	*expect;
	int		 nexpect;
	void		*opts;		/* type-specific, owned by the type */
};

struct device_conf {
	char		 id[FM_ID_MAX];
	/*
	 * The name and the address are heap strings (never NULL, at most
	 * FM_TEXT_MAX - 1 characters): most are short, and fixed arrays
	 * for them were half of the agent's memory at 10,000 devices.
	 */
	char		*name;
	char		 class[FM_ID_MAX];
	char		 group[FM_ID_MAX];
	char		*address;
	char		 parent[FM_ID_MAX];	/* "" or another device's id */
	char		 charset[32];	/* of its text, for iconv; "": UTF-8 */
	struct check_conf *checks;
	int		 nchecks;
};

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
	char		 mibdirs[PATH_MAX];
	struct device_conf *devices;
	int		 ndevices;
	struct trap_conf *traps;	/* NULL: no trap receiver */
};

/* Runtime state of one check. */
struct device;
struct check {
	const struct check_conf *conf;
	struct device	*dev;
	struct event	*timer;		/* fires at each slot of the cadence */
	int64_t		 epoch_us;	/* monotonic time of slot 0 */
	uint64_t	 slot;		/* the slot the running probe belongs to */
	int		 running;
	int64_t		 start_wall_ms;	/* of the running probe */
	int64_t		 start_us;	/* monotonic, of the running probe */
	int64_t		 deadline_us;	/* monotonic: start + timeout */
	void		*state;		/* type-specific runtime state */
	uint64_t	 nprobes;
	uint64_t	 noverrun;	/* slots skipped: previous probe ran on */
	int64_t		 late_us_max;	/* worst lateness of a probe start */
};

struct device {
	const struct device_conf *conf;
	struct check	*checks;
	int		 nchecks;
};

/*
 * One probe type: one file, one enum value, one table entry.
 *
 * parse() reads the type's own settings of a check (the common ones --
 * id, type, interval, timeout, critical -- are already read), reports
 * every problem through cfgerr and stores its options in cc->opts.
 * init() builds runtime state for one check, start() begins one probe and
 * must lead to exactly one probe_done() call for it, from the loop, never
 * from inside start() itself; cleanup() cancels a probe in flight without
 * calling probe_done() and frees the state.
 */
struct probe_ops {
	int		 type;
	const char	*name;
	const char *const *keys;	/* type-specific setting names */
	int		(*parse)(struct cfgerr *, const config_setting_t *,
			    struct check_conf *, const struct device_conf *);
	void		(*free_opts)(void *);
	int		(*init)(struct check *);
	void		(*start)(struct check *);
	void		(*cleanup)(struct check *);
};

/* agent.c */
extern struct event_base *agent_base;
extern struct agent_conf *agent_conf;

/* conf.c */
struct agent_conf *agent_conf_load(const char *file, struct cfgerr *);
void		 agent_conf_free(struct agent_conf *);
size_t		 devices_wire_size(const struct agent_conf *);
int		 agent_conf_check_files(const struct agent_conf *,
		    struct cfgerr *);
const struct probe_ops *probe_ops_get(int type);

/* sched.c */
int		 sched_start(struct agent_conf *);
void		 sched_stop(void);
struct fm_result *result_new(struct check *);
void		 result_add_gauge(struct fm_result *, const char *, double);
void		 result_add_counter(struct fm_result *, const char *, uint64_t,
		    double rate);
void		 result_add_text(struct fm_result *, const char *,
		    const char *);
void		 result_fail(struct fm_result *, int outcome, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
void		 probe_done(struct check *, struct fm_result *);
void		 probe_done_later(struct check *, struct fm_result *);
void		 timer_in_ms(struct event *, int ms);
void		 timer_at(struct event *, int64_t deadline_us);
void		 sched_stats(uint64_t *probes, uint64_t *overruns,
		    int64_t *late_us_max);
int64_t		 sched_late_quantile(double q);

/* snmpev.c: a net-snmp single session on the libevent loop */
struct snmpev {
	void		*sess;
	struct event	*rd;		/* the session's socket */
	struct event	*tmo;		/* net-snmp's next timeout */
};
void		 snmpev_attach(struct snmpev *, void *sess);
void		 snmpev_rearm(struct snmpev *);
void		 snmpev_detach(struct snmpev *);

/* trap.c */
int		 trap_conf_parse(struct cfgerr *, const config_setting_t *,
		    struct agent_conf *);
int		 trap_start(const struct trap_conf *);
void		 trap_stop(void);

/* expect.c */
int		 expect_parse(struct cfgerr *, const config_setting_t *,
		    struct check_conf *);
void		 expect_eval(const struct check_conf *, struct fm_result *);

/* mibdict.c: standard objects compiled in */
enum mib_syntax {
	MS_INTEGER = 1,
	MS_GAUGE,
	MS_COUNTER32,
	MS_COUNTER64,
	MS_TIMETICKS,
	MS_STRING,
	MS_HEX,
	MS_OID,
	MS_IPADDR,
	MS_DATETIME,
	MS_MAC,
	MS_PHYSADDR
};
struct mibobj {
	const char	*module;
	const char	*name;
	const char	*oid;		/* numeric, dotted */
	int		 syntax;	/* enum mib_syntax */
	const char	*enums;		/* "1:up,2:down", or NULL */
	const char	*units;		/* after scaling, or NULL */
	double		 scale;		/* raw * scale = value in units */
	const char	*hint;		/* DISPLAY-HINT, or NULL */
};
const struct mibobj *mibdict_find(const char *module, const char *name);
int		 mibdict_parse(const char *, unsigned long *arcs, size_t max,
		    size_t *len, char *vname, size_t vlen);
const struct mibobj *mibdict_by_oid(const unsigned long *, size_t);
const char	*mibdict_enum(const struct mibobj *, long, char *, size_t);
size_t		 mibdict_count(void);

/* privdrop.c */
int		 priv_drop(const struct agent_conf *, char *, size_t);

/* push.c */
int		 push_init(struct agent_conf *);
void		 push_devices_changed(struct agent_conf *);
void		 push_result(struct fm_result *);
void		 push_shutdown(void);
void		 push_start(void);

/* pcapif.c: one libpcap handle per interface, shared by arp/presence. */
struct pcap_watch {
	void		(*arp)(void *, uint16_t op, const uint8_t *sha,
			    uint32_t spa, int64_t ts_ms);
	void		*arg;
	struct pcap_watch *next;
	/* Every Ethernet frame, with its length on the wire (traffic). */
	void		(*frame)(void *, const uint8_t *, size_t caplen,
			    size_t len, int64_t ts_ms);
};

struct pcap_seen {
	uint32_t	 ip;		/* network order; 0: a MAC entry */
	uint8_t		 mac[6];
	int64_t		 last_ms;
	uint64_t	 frames;
};

struct pcapif {
	char		 name[32];
	struct pcap	*p;
	struct event	*ev;
	uint8_t		 mac[6];	/* ours */
	uint32_t	 ip;		/* ours, network order */
	int		 refs;
	struct pcap_watch *watchers;
	struct pcap_seen *seen;
	size_t		 nseen, capseen;
	uint64_t	 st_frames, st_bad;
	struct pcapif	*next;
};

struct pcapif	*pcapif_get(const char *, int promisc);
void		 pcapif_put(struct pcapif *, struct pcap_watch *);
void		 pcapif_watch(struct pcapif *, struct pcap_watch *);
void		 pcapif_frame(struct pcapif *, int64_t ts_ms, const uint8_t *,
		    size_t);
void		 pcapif_frame_len(struct pcapif *, int64_t ts_ms,
		    const uint8_t *, size_t caplen, size_t len);
int64_t		 pcapif_last_seen(const struct pcapif *, uint32_t ip,
		    const uint8_t *mac);
int		 pcapif_inject(struct pcapif *, const void *, size_t);
int		 pcapif_offline(struct pcapif *, const char *, char *, size_t);
int		 parse_mac(const char *, uint8_t *);
void		 format_mac(const uint8_t *, char *, size_t);

/* check_snmp.c, check_icmp.c, check_tcp.c, check_http.c, check_arp.c,
 * check_presence.c */
extern const struct probe_ops probe_snmp;
extern const struct probe_ops probe_icmp;
extern const struct probe_ops probe_tcp;
extern const struct probe_ops probe_http;
extern const struct probe_ops probe_arp;
extern const struct probe_ops probe_presence;
extern const struct probe_ops probe_traffic;
extern const struct probe_ops probe_modbus;	/* check_modbus.c */

/* check_traffic.c: the counting, exposed for the capture replay test. */
struct traffic_ctr {
	int		 by_mac;	/* else by IPv4 address */
	uint8_t		 mac[6];
	uint32_t	 ip;		/* network order */
	uint64_t	 in_octets, out_octets, in_packets, out_packets;
};
void		 traffic_frame(void *, const uint8_t *, size_t caplen,
		    size_t len, int64_t ts_ms);
int		 snmp_global_init(const char *mibdirs);

/* discover.c: facmon-agent discover ADDRESS... */
int		 discover_main(int, char *[]);
void		 snmp_stash_free(void);
/* curlev.c: libcurl's multi interface on the libevent loop */
int		 curlev_init(struct event_base *, void (*done)(void));
void		*curlev_multi(void);	/* the CURLM * */
int		 curlev_have_capath(void);
void		 curlev_cleanup(void);
int		 http_global_init(void);
void		 http_global_cleanup(void);

#endif /* FACMON_AGENT_H */
