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
 * facmon-collector: accepts agents, keeps the state of every device and
 * check, stores series in RRD files and serves a JSON API and a status
 * page.  The event loop owns every state; what may block runs in threads
 * behind queues so that disk latency never stalls the loop: the RRD
 * writer (rrdw.c), the ingest journal's fsync (journal.c), the outage
 * journal's fsync (outage.c), alert delivery (alert.c) and password
 * hashing (webauth.c).
 *
 * The modules talk through the functions below only.  None of them
 * refers to a global of collector.c, so that the unit tests can link
 * every module but main().
 */

#ifndef FACMON_COLLECTOR_H
#define FACMON_COLLECTOR_H

#include <sys/socket.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "../common/common.h"
#include "../common/tls.h"
#include "../common/wire.h"
#include "../common/avail.h"

#define COLLECTOR_CONF_DEFAULT	FACMON_SYSCONFDIR "/facmon-collector.conf"
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
enum trap_action { TA_DOWN = 1, TA_UP, TA_EVENT };

struct trap_rule {
	char		 oid[128];	/* numeric */
	char		 name[128];
	int		 action;	/* enum trap_action */
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
	struct report_sched report;	/* 'report' */
	struct web_conf	*web;		/* 'web': users, sessions; or NULL */
	unsigned	 readable_mode;	/* the file's mode, if others can read it */
};

/*
 * Runtime state of devices and checks, owned by state.c.  The HTTP module
 * reads it through the accessors below and never keeps a pointer past
 * the request that used it.
 */
enum obj_state {
	OS_UNKNOWN = 0,
	OS_UP,
	OS_DOWN,
	OS_DEGRADED,		/* devices only: a non-critical check is down */
	OS_UNREACHABLE		/* devices only: failing behind a parent down */
};

struct value_state {
	char		 name[FM_VNAME_MAX];
	uint8_t		 kind;		/* enum value_kind */
	double		 d;		/* gauge, or counter rate (NaN: none) */
	uint64_t	 u;		/* raw counter */
	char		*text;		/* VK_TEXT */
};

/*
 * A check that changed state FLAP_CHANGES times within FLAP_WINDOW_MS is
 * flapping: each change is still an outage or a recovery, but alerts and
 * pages can say the picture is unsteady instead of crying wolf.
 */
#define FLAP_CHANGES	6
/* Result times remembered per check, so that a resend counts once. */
#define COUNTED_RECENT	64
#define FLAP_WINDOW_MS	(10 * 60 * 1000)

struct check_state {
	char		 id[FM_ID_MAX];
	uint8_t		 type;		/* enum check_type */
	int		 critical;
	uint32_t	 interval_ms;
	uint32_t	 timeout_ms;
	int		 state;		/* enum obj_state: up, down, unknown */
	int64_t		 since_ms;	/* wall clock: start of this state */
	int		 have_result;
	uint8_t		 outcome;	/* enum probe_result, last result */
	char		 msg[FM_ERRMSG_MAX];
	int64_t		 last_ms;	/* wall clock: ts of the last result */
	uint32_t	 dur_us;
	int64_t		 arrival_mono;	/* collector clock: last result came */
	uint64_t	 nresults;	/* every result, late ones too */
	uint64_t	 nresults_up;	/* of which up: availability */
	uint64_t	 nresults_unknown;	/* could not probe */
	struct value_state *values;	/* sorted by name */
	int		 nvalues;
	int64_t		 flips[FLAP_CHANGES];	/* times of the last changes */
	int		 nflips;
	int		 flapping;	/* FLAP_CHANGES changes in FLAP_WINDOW */
	int32_t		 fails;		/* failed probes in a row; a result
					   that says nothing, or none at all,
					   neither counts nor resets */
	int64_t		 counted[COUNTED_RECENT];	/* state.c: ring of the */
	int		 ncounted;	/* result times counted last */
	int64_t		 counted_max;	/* the newest counted */
};

struct device_state {
	char		 id[FM_ID_MAX];
	char		 name[FM_TEXT_MAX];
	char		 class[FM_ID_MAX];
	char		 group[FM_ID_MAX];
	char		 address[FM_TEXT_MAX];
	char		 parent[FM_ID_MAX];	/* "" or the device it hangs off */
	char		 agent[FM_ID_MAX];	/* the agent that owns it */
	struct check_state *checks;
	int		 nchecks;
	int		 state;		/* enum obj_state */
	int64_t		 since_ms;
	int		 trap_down;	/* a notification said it is down */
	uint64_t	 mark;		/* state.c: last DEVICES listing it */
	struct device_state *hnext;	/* state.c: hash chain */
	/* state.c: the parent, NULL if none, unknown or on a loop; and
	   the devices that hang off this one. */
	struct device_state *up;
	struct device_state **kids;
	size_t		 nkids, capkids;
};

enum state_apply {
	SA_APPLIED = 0,
	SA_UNKNOWN_DEVICE,	/* device or check not announced by the agent */
	SA_OUT_OF_ORDER		/* older than the check's last result */
};

struct state_stats {
	uint64_t	 devices;
	uint64_t	 checks;
	uint64_t	 device_conflicts;	/* claimed by a second agent */
	uint64_t	 values_dropped;	/* over FM_VALUES_MAX a check */
	uint64_t	 expired;		/* checks that went unknown */
	uint64_t	 gaps;			/* ... found by a late result */
	uint64_t	 parent_loops;		/* parent links refused */
	uint64_t	 child_visits;		/* devices looked at when
						   their parent changed */
	uint64_t	 results_duplicate;	/* counted once already */
};

/* Counters of the agent protocol, all since start. */
struct ingest_stats {
	uint64_t	 conn_accepted;
	uint64_t	 conn_refused;		/* over max_connections */
	uint64_t	 conn_refused_peer;	/* over handshakes_per_peer */
	uint64_t	 conn_refused_fd;	/* into the descriptor reserve */
	uint64_t	 conn_evicted;		/* oldest not yet in, for a new one */
	uint64_t	 conn_closing_timeout;	/* its last frame never went out */
	uint64_t	 conn_active;
	uint64_t	 conn_closed;
	uint64_t	 conn_hello_timeout;
	uint64_t	 conn_idle_timeout;
	uint64_t	 conn_replaced;		/* same agent connected again */
	uint64_t	 conn_slow_reader;	/* output buffer over limit */
	uint64_t	 bytes_in;
	uint64_t	 frames_in;
	uint64_t	 hello_ok;
	uint64_t	 hello_unknown_agent;
	uint64_t	 devices_msgs;
	uint64_t	 batches;
	uint64_t	 batches_applied;
	uint64_t	 batches_duplicate;
	uint64_t	 batches_deferred;	/* RRD queue full, retried */
	uint64_t	 results;
	uint64_t	 results_applied;
	uint64_t	 results_unknown_device;
	uint64_t	 results_out_of_order;
	uint64_t	 acks_sent;
	uint64_t	 malformed;		/* sum of the reasons below */
	uint64_t	 bad_magic;
	uint64_t	 bad_version;
	uint64_t	 bad_type;
	uint64_t	 too_long;
	uint64_t	 bad_crc;
	uint64_t	 decode_error;
	uint64_t	 unexpected_frame;
	uint64_t	 bad_session;
	uint64_t	 batches_journaled;
	uint64_t	 batches_backwards;	/* seq below the last: replay */
	uint64_t	 seq_gaps;		/* seq skipped (agent dropped) */
	uint64_t	 results_future;	/* beyond the clock tolerance */
	uint64_t	 results_bad_time;	/* far past or future: refused */
	uint64_t	 clock_skew_events;
	uint64_t	 agent_events;		/* EVENT frames from agents */
	uint64_t	 agents_unreachable;	/* agents now unreachable */
	uint64_t	 replayed_batches;
	uint64_t	 replayed_duplicates;
	uint64_t	 replayed_results;
	uint64_t	 pending_batches;	/* journaled, not yet acked */
	uint64_t	 storage_alarm;		/* 1 while the journal fails */
	uint64_t	 tls_handshakes;	/* completed */
	uint64_t	 tls_unknown_agent;	/* identity not listed, no key */
	uint64_t	 tls_bad_key;		/* listed, key does not match */
	uint64_t	 tls_revoked;		/* listed with revoked = true */
	uint64_t	 tls_failed;		/* no PSK offered, not TLS, ... */
	uint64_t	 tls_incomplete;	/* key found, handshake cut off */
	uint64_t	 tls_id_mismatch;	/* HELLO names another agent */
};

/* The journal (journal.c). */
enum jrec_type {
	JR_SEGMENT = 1,		/* first record of each segment */
	JR_DEVICES,		/* body: a DEVICES payload */
	JR_BATCH,		/* body: a BATCH payload */
	JR_SESSIONS		/* body: u32 n, n x (str agent, u64, u64) */
};

struct journal_stats {
	uint64_t	 appended;	/* records queued */
	uint64_t	 records;	/* records durable */
	uint64_t	 bytes;
	uint64_t	 fsyncs;	/* group commits */
	uint64_t	 write_errors;
	uint64_t	 segments;
	uint64_t	 pruned;
	uint64_t	 replayed;	/* records read at start */
	uint64_t	 replay_torn;	/* torn tails cut at start */
	uint64_t	 failing;	/* the storage alarm */
	uint64_t	 last_errno;
	uint64_t	 pending_bytes;
	uint64_t	 durable_ticket;
	uint64_t	 last_ticket;
};

typedef void	(*journal_replay_cb)(uint8_t type, const char *agent,
		    int64_t rx_ms, const uint8_t *body, size_t len, void *arg);

/* An event for operators: clock skew, agent unreachable, storage. */
struct fm_event {
	uint64_t	 id;
	int64_t		 ts_ms;
	char		 kind[32];
	char		 agent[FM_ID_MAX];
	char		 msg[FM_TEXT_MAX];
};

/* One value for the RRD writer; the path is relative to <data_dir>/rrd. */
struct rrd_item {
	struct rrd_item	*next;		/* rrdw.c */
	time_t		 t;
	double		 v;
	unsigned int	 step;		/* seconds, used when creating */
	uint32_t	 seq;		/* rrdw.c: keeps arrival order */
	int		 replay;	/* from the journal: old is no error */
	char		 path[];
};

struct rrdw_stats {
	uint64_t	 queued;		/* values accepted */
	uint64_t	 queue_len;		/* values waiting now */
	uint64_t	 queue_max;
	uint64_t	 written;		/* values given to librrd */
	uint64_t	 rejected;		/* not newer than the last */
	uint64_t	 replay_skipped;	/* replayed, already written */
	uint64_t	 errors;		/* librrd calls that failed */
	uint64_t	 files_created;
	uint64_t	 update_calls;
	uint64_t	 held;			/* values held now */
	uint64_t	 held_files;		/* files with values held */
	uint64_t	 flushes;		/* files written */
	uint64_t	 read_flushes;		/* of which before a read */
	uint64_t	 series;		/* files known */
	uint64_t	 bytes;			/* their size */
	uint64_t	 values_refused;	/* values of series over a limit */
	uint64_t	 retired;		/* series moved to the retired tree */
	uint64_t	 retired_removed;	/* retired files removed */
	uint64_t	 retired_files;		/* retired files kept now */
};

/* A read of one series for the API, answered on the event loop. */
struct rrdw_read {
	struct rrdw_read *next;		/* rrdw.c */
	void		(*cb)(struct rrdw_read *);
	void		*arg;
	time_t		 start, end;
	unsigned long	 step, nds;
	char		**names;
	double		*data;
	int		 status;	/* 0, 404 or 500 */
	char		 err[256];
	char		 path[];	/* relative to <data_dir>/rrd */
};

struct http_stats {
	uint64_t	 requests;
	uint64_t	 status_2xx;
	uint64_t	 status_3xx;
	uint64_t	 status_4xx;
	uint64_t	 status_5xx;
	uint64_t	 bad_path;		/* refused static file paths */
	uint64_t	 bad_method;
	uint64_t	 connections;		/* open now, from accept */
	uint64_t	 connections_full;	/* a new one found the table full */
	uint64_t	 connections_refused;	/* closed at once: full, per peer */
	uint64_t	 connections_refused_peer;	/* of which per peer */
	uint64_t	 connections_evicted;	/* oldest idle closed for a new one */
	uint64_t	 connections_idle_closed;	/* idle, closed near the limit */
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

/* conf.c */
struct collector_conf *collector_conf_load(const char *file, struct cfgerr *);
void		 collector_conf_warn(const struct collector_conf *);
void		 collector_conf_free(struct collector_conf *);
const struct agent_entry *collector_conf_agent(const struct collector_conf *,
		    const char *id);
int		 parse_listen_addr(const char *, struct listen_addr *,
		    char *err, size_t errlen);

/* keys.c */
void		 keys_load(struct cfgerr *, const struct config_setting_t *,
		    struct collector_conf *);
int		 keys_keygen(const struct collector_conf *, const char *id,
		    const char *agent_file);

/* ingest.c */
int		 ingest_init(struct event_base *,
		    const struct collector_conf *);
void		 ingest_reconf(const struct collector_conf *);
void		 ingest_tick(int64_t now_mono);
void		 ingest_stop(void);
int		 ingest_agent_status(const char *, int *, int64_t *);
int		 ingest_apply_batch(const char *agent, const struct fm_batch *,
		    int64_t rx_ms, int replay);
int		 ingest_replay(void);
void		 ingest_get_stats(struct ingest_stats *);

/* journal.c */
int		 journal_open(struct event_base *, const char *data_dir,
		    void (*durable_cb)(uint64_t), char *err, size_t errlen);
int		 journal_replay(journal_replay_cb, void *);
void		 journal_prune(int64_t max_age_ms);
int		 journal_start(char *err, size_t errlen);
uint64_t	 journal_append(uint8_t type, const char *agent, int64_t rx_ms,
		    const uint8_t *body, size_t len, int rotate);
uint64_t	 journal_last_ticket(void);
int		 journal_failing(void);
size_t		 journal_pending_bytes(void);
void		 journal_close(void);
void		 journal_get_stats(struct journal_stats *);

/* events.c */
void		 event_raise(const char *kind, const char *agent,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const struct fm_event *events_since(uint64_t after, size_t *n);
uint64_t	 events_count(const char *kind);

/* outage.c: the outage journal, the source of availability */
int		 outage_open(const char *data_dir, char *err, size_t errlen);
void		 outage_close(void);
void		 outage_device_info(const struct device_state *);
void		 outage_check_change(const struct device_state *,
		    const struct check_state *, int os, int64_t at,
		    int outcome, const char *msg);
void		 outage_device_change(const struct device_state *, int os,
		    int64_t at, const char *cause);
int		 outage_confirm_check(const struct device_state *,
		    const struct check_state *, int64_t when);
struct aq	*outage_aq(void);
int		 outage_record(struct oj_rec *);
void		 outage_stats(uint64_t *records, uint64_t *skipped,
		    uint64_t *errors, uint64_t *syncs);
int		 outage_verify(const char *path);
int		 outage_dump(const char *path);
void		 outage_alerts(int on, const char *base_url);
void		 outage_maintenance(const struct avconf *);
int		 outage_confirm_device(const struct device_state *,
		    int64_t when, const char *cause);
int		 outage_annotate(int type, const char *device,
		    const char *check, int64_t at_ms, const char *who,
		    const char *text, int cls);

/* latency.c: probes under the latency targets, into the outage journal */
void		 latency_reconf(const struct avconf *);
void		 latency_result(const struct device_state *,
		    const struct check_state *, const struct fm_result *);
void		 latency_tick(int64_t now_wall);
void		 latency_stop(void);
void		 latency_stats(uint64_t *records, uint64_t *skipped);

/* report_run.c: the monthly report, made and mailed on schedule */
struct alert_channel;
struct json_t;
void		 report_conf_defaults(struct report_sched *);
void		 report_conf_parse(struct cfgerr *,
		    const struct config_setting_t *, struct collector_conf *);
const struct alert_channel *report_smtp_channel(
		    const struct collector_conf *);
int		 report_due_month(int64_t now_ms, const char *tz, int day,
		    int hour, char *out, size_t outlen);
void		 reports_init(const struct collector_conf *, const char *argv0);
void		 reports_reconf(const struct collector_conf *);
void		 reports_tick(int64_t now_mono);
void		 reports_stop(void);
void		 reports_stats(uint64_t *made, uint64_t *mailed,
		    uint64_t *failed);
struct json_t	*reports_json(void);
int		 report_file_path(const char *rel, char *out, size_t len);
int		 report_mail_main(const struct collector_conf *, int argc,
		    char *argv[]);

int		 outage_in_maintenance(const struct device_state *, int64_t t);

/* alerting.c: what is alerted and to whom (rules, thresholds, storm) */
struct alert_conf;
struct alert_msg;
void		 alerting_conf(const struct alert_conf *);
void		 alerting_outage(struct alert_msg *, const struct device_state *,
		    int64_t now);
void		 alerting_tick(int64_t now_wall);
void		 alerting_resume(int64_t now_wall);
void		 alerting_avconf(const struct avconf *);
struct evhttp_request;
int		 alerting_ack_http(struct evhttp_request *, const char *path);
void		 alerting_result(const struct device_state *,
		    const struct check_state *, const struct fm_result *);
void		 alerting_trap(const char *device, const char *name,
		    const char *oid,
		    const char *detail, int64_t ts);
void		 alerting_event(const struct fm_event *);
void		 alerting_stats(uint64_t *fired, uint64_t *cleared,
		    uint64_t *escalated, uint64_t *renotified, uint64_t *folded);

/* availapi.c: availability for the API and the command line */
struct aq;
struct json_t;
struct json_t	*uptime_json(struct aq *, const struct avconf *, int64_t to,
		    int64_t span_ms, int n);
struct json_t	*avail_json(struct aq *, const struct avconf *, int64_t from,
		    int64_t to, const char *group, int with_devices,
		    char *err, size_t errlen);
int		 avail_parse_month(const char *, const char *tz, int64_t *,
		    int64_t *);
int		 avail_main(const struct collector_conf *, int, char *[]);

/* traps.c */
void		 traps_conf_parse(struct cfgerr *, const struct config_setting_t *,
		    struct collector_conf *);
void		 traps_reconf(const struct collector_conf *);
void		 traps_apply(const char *agent, const struct fm_result *);
struct json_t	*traps_json(void);

/* state.c */
void		 state_init(void);
void		 state_set_confirm(int);

/*
 * State announces, modules listen.  state.c calls no other module: each
 * change of a check or a device, each confirmation, each result and each
 * device's identity is announced to the listeners in the order they
 * registered (the outage journal first, so that a change is recorded
 * before anything acts on it), as collectd walks its notification
 * callbacks.  Any member may be NULL.
 */
struct state_listener {
	const char	*name;
	void	(*check_change)(const struct device_state *,
		    const struct check_state *, int os, int64_t at,
		    int outcome, const char *msg);
	void	(*device_change)(const struct device_state *, int os,
		    int64_t at, const char *cause);
	void	(*device_info)(const struct device_state *);
	/* c is NULL for the device's own outage. */
	void	(*confirmed)(const struct device_state *,
		    const struct check_state *c, int64_t when,
		    const char *cause);
	void	(*result)(const struct device_state *,
		    const struct check_state *, const struct fm_result *);
};
void		 state_listen(const struct state_listener *);
void		 state_unlisten_all(void);
extern const struct state_listener outage_listener, latency_listener,
		    alerting_listener;
void		 state_free(void);
void		 state_set_devices(const char *agent, const struct fm_devices *,
		    int64_t now_wall);
int		 state_apply_result(const char *agent, const struct fm_result *,
		    int64_t now_mono);
void		 state_count_result(const char *agent, const struct fm_result *);
void		 state_expire(int64_t now_mono, int unknown_after);
const struct device_state *state_find_device(const char *id);
const struct check_state *state_find_check(const char *agent,
		    const char *device, const char *check);
const struct device_state **state_devices_sorted(size_t *n);
const char	*state_name(int);
int		 state_trap(const char *agent, const char *device, int down,
		    int64_t ts, const char *cause);
void		 state_get_stats(struct state_stats *);

/* rrdw.c */
int		 rrdw_start(struct event_base *, const struct collector_conf *,
		    char *err, size_t errlen);
void		 rrdw_reconf(const struct collector_conf *);
int		 rrdw_read(const char *relpath, time_t start, time_t end,
		    unsigned long step, void (*cb)(struct rrdw_read *),
		    void *arg);
void		 rrdw_read_free(struct rrdw_read *);
int		 rrdw_migrate(const struct collector_conf *);
struct rrd_item	*rrdw_item_new(const char *device, const char *check,
		    const char *value, unsigned int step, time_t, double);
void		 rrdw_item_free_list(struct rrd_item *);
size_t		 rrdw_room(void);
int		 rrdw_enqueue(struct rrd_item *list, size_t n);
void		 rrdw_stop(void);
void		 rrdw_get_stats(struct rrdw_stats *);
unsigned int	 rrdw_heartbeat(unsigned int step);

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

/* privdrop.c */
int		 collector_priv_drop(const struct collector_conf *, char *err,
		    size_t errlen);

/* http.c */
int		 http_init(struct event_base *, const struct collector_conf *);
void		 http_reconf(const struct collector_conf *);
void		 http_stop(void);
void		 http_get_stats(struct http_stats *);

#endif /* FACMON_COLLECTOR_H */
