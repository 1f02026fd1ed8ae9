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
 * The RRD writer (rrdw.c): values held per file and written in batches
 * by the jobs of a work queue of its own, directly or through rrdcached;
 * reads for the API answered on the event loop.  Graphs only: no figure
 * of availability comes from here.
 */

#ifndef FACMON_COLLECTOR_RRDW_H
#define FACMON_COLLECTOR_RRDW_H

#include "../../common/workq.h"
#include "../core/core.h"

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
	struct wjob	 job;		/* rrdw.c: on the writer's queue */
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

/* rrdw.c */
int		 rrdw_start(struct event_base *, const struct collector_conf *,
		    char *err, size_t errlen);
void		 rrdw_reconf(const struct collector_conf *);
extern const struct reload_ops rrdw_reload;
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


#endif /* FACMON_COLLECTOR_RRDW_H */
