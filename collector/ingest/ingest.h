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
 * The agent protocol (ingest.c), the ingest journal that makes every
 * batch durable before it is acknowledged (journal.c) and the traps the
 * agents forward (traps.c).  A batch goes from here to the state, the
 * RRD writer and the alerting, one way: nothing below calls back.
 */

#ifndef FACMON_COLLECTOR_INGEST_H
#define FACMON_COLLECTOR_INGEST_H

#include "../state/state.h"
#include "../store/rrdw.h"

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
	uint64_t	 valmeta_msgs;		/* VALMETA applied */
	uint64_t	 valmeta_rejected;	/* malformed, dropped */
	uint64_t	 valmeta_unknown;	/* for a check not announced */
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

/* ingest.c */
int		 ingest_init(struct event_base *,
		    const struct collector_conf *);
void		 ingest_reconf(const struct collector_conf *);
extern const struct reload_ops ingest_reload;
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
int		 journal_replay(journal_replay_cb, void *, char *err,
		    size_t errlen);
void		 journal_prune(int64_t max_age_ms);
int		 journal_start(char *err, size_t errlen);
uint64_t	 journal_append(uint8_t type, const char *agent, int64_t rx_ms,
		    const uint8_t *body, size_t len, int rotate);
uint64_t	 journal_last_ticket(void);
int		 journal_failing(void);
size_t		 journal_pending_bytes(void);
void		 journal_close(void);
void		 journal_get_stats(struct journal_stats *);

/* traps.c */
void		 traps_conf_parse(struct cfgerr *, const struct config_setting_t *,
		    struct collector_conf *);
void		 traps_reconf(const struct collector_conf *);
extern const struct reload_ops traps_reload;
void		 traps_apply(const char *agent, const struct fm_result *);
struct json_t	*traps_json(void);


#endif /* FACMON_COLLECTOR_INGEST_H */
