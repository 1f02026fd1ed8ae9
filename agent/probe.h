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
 * What a check type is, and all it may use: its configuration (struct
 * check_conf, struct device_conf), its runtime state (struct check), its
 * table entry (struct probe_ops), and the calls of the scheduler, the
 * shared event loop and the shared capture and SNMP helpers.  A check_*.c
 * file includes this header and nothing else of the agent, so that no
 * check depends on the config parser, the push link or the spool.
 *
 * Adding a check type: one file that defines its probe_ops, one value
 * of enum check_type (common/wire.h: the type travels on the wire), and
 * one row in probe.c.
 */

#ifndef FACMON_PROBE_H
#define FACMON_PROBE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <libconfig.h>

#include "../common/common.h"
#include "../common/wire.h"

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

/* probe.c: the table of check types */
const struct probe_ops *probe_ops_get(int type);

/* agent.c: the one event loop every probe runs on */
extern struct event_base *agent_base;

/* sched.c: what a probe calls */
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
void		 probe_meta(struct check *, const struct fm_valmeta *);
uint64_t	 probe_meta_epoch(void);
void		 timer_in_ms(struct event *, int ms);
void		 timer_at(struct event *, int64_t deadline_us);

/* snmpev.c: a net-snmp single session on the libevent loop */
struct snmpev {
	void		*sess;
	struct event	*rd;		/* the session's socket */
	struct event	*tmo;		/* net-snmp's next timeout */
};
void		 snmpev_attach(struct snmpev *, void *sess);
void		 snmpev_rearm(struct snmpev *);
void		 snmpev_detach(struct snmpev *);

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

/* check_traffic.c: the counting, exposed for the capture replay test. */
struct traffic_ctr {
	int		 by_mac;	/* else by IPv4 address */
	uint8_t		 mac[6];
	uint32_t	 ip;		/* network order */
	uint64_t	 in_octets, out_octets, in_packets, out_packets;
};
void		 traffic_frame(void *, const uint8_t *, size_t caplen,
		    size_t len, int64_t ts_ms);

/*
 * The libraries' process-wide state, set up by the daemon (agent.c) and
 * the config reader: net-snmp's MIB tree, read again when the MIB
 * directories or their files changed (check_snmp.c), and libcurl's.
 */
int		 snmp_global_init(const char *mibdirs);
void		 snmp_stash_free(void);
int		 http_global_init(void);
void		 http_global_cleanup(void);

/* curlev.c: libcurl's multi interface on the libevent loop */
int		 curlev_init(struct event_base *, void (*done)(void));
void		*curlev_multi(void);	/* the CURLM * */
int		 curlev_have_capath(void);
void		 curlev_cleanup(void);

#endif /* FACMON_PROBE_H */
