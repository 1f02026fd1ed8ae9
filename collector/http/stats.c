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
 * GET /api/v1/stats: the collector's counters, module by module
 * (docs/api.md), for the operators and for the tests.  Each module
 * keeps its own and hands a copy; this file only names them.
 */

#include <event2/http.h>
#include <jansson.h>

#include "api.h"

/* One counter of s, named as its field. */
#define J(s, f)	json_object_set_new(o, #f, jint((int64_t)(s).f))

void
api_stats(struct evhttp_request *req, const char *rest, const char *who)
{
	struct ingest_stats is;
	struct state_stats ss;
	struct rrdw_stats rs;
	struct journal_stats js;
	struct http_stats stats;
	json_t	*root, *o;

	(void)rest;
	(void)who;
	ingest_get_stats(&is);
	state_get_stats(&ss);
	rrdw_get_stats(&rs);
	http_get_stats(&stats);
	root = json_object();
	json_object_set_new(root, "generated_ms", jint(now_ms()));
	json_object_set_new(root, "started_ms", jint(http_started_ms()));
	json_object_set_new(root, "version", json_string(FACMON_VERSION));

	o = json_object();
	J(is, conn_accepted); J(is, conn_refused); J(is, conn_active);
	J(is, tls_handshakes); J(is, tls_unknown_agent); J(is, tls_bad_key);
	J(is, tls_revoked); J(is, tls_failed); J(is, tls_id_mismatch);
	J(is, tls_incomplete); J(is, conn_refused_peer);
	J(is, conn_refused_fd); J(is, conn_evicted);
	J(is, conn_closing_timeout);
	J(is, conn_closed); J(is, conn_hello_timeout);
	J(is, conn_idle_timeout); J(is, conn_replaced);
	J(is, conn_slow_reader); J(is, bytes_in); J(is, frames_in);
	J(is, hello_ok); J(is, hello_unknown_agent); J(is, devices_msgs);
	J(is, batches); J(is, batches_applied); J(is, batches_duplicate);
	J(is, batches_deferred); J(is, results); J(is, results_applied);
	J(is, results_unknown_device); J(is, results_out_of_order);
	J(is, acks_sent); J(is, malformed);
	J(is, batches_journaled); J(is, batches_backwards); J(is, seq_gaps);
	J(is, results_future); J(is, results_bad_time);
	J(is, clock_skew_events); J(is, agent_events);
	J(is, valmeta_msgs); J(is, valmeta_rejected); J(is, valmeta_unknown);
	J(is, agents_unreachable); J(is, replayed_batches);
	J(is, replayed_duplicates); J(is, replayed_results);
	J(is, pending_batches); J(is, storage_alarm);
	json_object_set_new(root, "ingest", o);

	journal_get_stats(&js);
	o = json_object();
	J(js, appended); J(js, records); J(js, bytes); J(js, fsyncs);
	J(js, write_errors); J(js, segments); J(js, pruned); J(js, replayed);
	J(js, replay_torn); J(js, failing); J(js, pending_bytes);
	J(js, durable_ticket); J(js, last_ticket);
	json_object_set_new(root, "journal", o);

	o = json_object();
	J(is, bad_magic); J(is, bad_version); J(is, bad_type);
	J(is, too_long); J(is, bad_crc); J(is, decode_error);
	J(is, unexpected_frame); J(is, bad_session);
	json_object_set_new(json_object_get(root, "ingest"), "malformed_by",
	    o);

	o = json_object();
	J(ss, devices); J(ss, checks); J(ss, device_conflicts);
	J(ss, values_dropped); J(ss, expired); J(ss, gaps);
	J(ss, parent_loops); J(ss, child_visits); J(ss, results_duplicate);
	json_object_set_new(root, "state", o);

	o = json_object();
	J(rs, queued); J(rs, queue_len); J(rs, queue_max); J(rs, written);
	J(rs, rejected); J(rs, replay_skipped); J(rs, errors);
	J(rs, files_created);
	J(rs, update_calls); J(rs, held); J(rs, held_files); J(rs, flushes);
	J(rs, read_flushes); J(rs, series); J(rs, bytes);
	J(rs, values_refused); J(rs, retired); J(rs, retired_removed);
	J(rs, retired_files);
	json_object_set_new(root, "rrd", o);

	o = json_object();
	J(stats, requests); J(stats, status_2xx); J(stats, status_3xx);
	J(stats, status_4xx); J(stats, status_5xx); J(stats, bad_path);
	J(stats, bad_method); J(stats, connections);
	J(stats, connections_full); J(stats, connections_refused);
	J(stats, connections_refused_peer); J(stats, connections_evicted);
	J(stats, connections_idle_closed);
	json_object_set_new(root, "http", o);

	{
		struct netlimit_stats ns;

		netlimit_get_stats(&ns);
		o = json_object();
		J(ns, nofile); J(ns, budget); J(ns, refused_reserve);
		J(ns, accept_paused);
		json_object_set_new(root, "descriptors", o);
	}
	reply_json(req, 200, "OK", root);
}
