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
 * The agent's on-disk spool (spool.c): requests to its work queue.
 */

#ifndef FACMON_SPOOL_H
#define FACMON_SPOOL_H

#include <sys/types.h>

#include <stdint.h>

#include "../common/workq.h"

enum sreq_op {
	SR_APPEND,	/* data/len to segno; sets off */
	SR_READ,	/* len bytes at segno/off into data */
	SR_UNLINK,	/* remove segno */
	SR_STRIP	/* rewrite segno without values; sets strip */
};

struct spool_loc {
	uint64_t	 session;
	uint64_t	 seq;
	off_t		 off;
	size_t		 len;
};

struct sreq {
	struct wjob	 job;		/* spool.c's, on its work queue */
	int		 op;
	int		 err;		/* errno, 0 when done */
	uint64_t	 segno;
	off_t		 off;
	size_t		 len;
	uint8_t		*data;		/* owned by the request */
	void		*arg;		/* the caller's */
	struct spool_loc *strip;	/* SR_STRIP: the new layout */
	size_t		 nstrip;
	uint64_t	 nvalues;	/* SR_STRIP: values removed */
};

void	 spool_path(char *, size_t, uint64_t segno);
int	 spool_open(struct event_base *, const char *dir,
	    void (*cb)(struct sreq *),
	    void (*found)(uint64_t segno, off_t off, const uint8_t *frame,
	    size_t len), uint64_t *last_segno, char *err, size_t errlen);
int	 spool_start(char *, size_t);
void	 spool_submit(struct sreq *);
void	 spool_req_free(struct sreq *);
void	 spool_close(void);

#endif /* FACMON_SPOOL_H */
