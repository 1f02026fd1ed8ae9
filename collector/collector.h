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
 * writer (store/rrdw.c), the ingest journal's fsync (ingest/journal.c),
 * the outage journal's fsync (outage/outage.c), alert delivery
 * (alert/alert.c), the monthly report's child (alert/report_run.c) and
 * password hashing (http/webauth.c).
 *
 * The modules, in the order a batch walks them, each with its header:
 * core/ (configuration, events, descriptors), ingest/ (the agent
 * protocol, journal, traps), state/ (devices and checks; it announces),
 * outage/ and store/ (listeners that keep the outage journal and the RRD
 * files), alert/ (what is said to people), http/ (what is shown).  This
 * header is main()'s: the configuration file (conf.c, keys.c) and the
 * privilege drop.  None of the modules refers to a global of collector.c,
 * so that the unit tests link every module but main().
 */

#ifndef FACMON_COLLECTOR_H
#define FACMON_COLLECTOR_H

#include "core/core.h"

#define COLLECTOR_CONF_DEFAULT	FACMON_SYSCONFDIR "/facmon-collector.conf"

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

/* privdrop.c */
extern const struct reload_ops privdrop_reload;
int		 collector_priv_drop(const struct collector_conf *, char *err,
		    size_t errlen);


#endif /* FACMON_COLLECTOR_H */
