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
 * The state of every device and check (state.c): up, down, degraded,
 * unreachable, unknown, since when and why, confirmation included.  It is
 * the first step after ingest, and it calls no other module: it announces
 * each change to the listeners that registered (struct state_listener).
 */

#ifndef FACMON_COLLECTOR_STATE_H
#define FACMON_COLLECTOR_STATE_H

#include "../core/core.h"

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
	uint8_t		 seen;		/* in the result being merged */
	uint8_t		 absent;	/* successful results without it */
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
	int		 behind;	/* the last result was taken while the
					   parent was down or unreachable */
	int		 superseded;	/* down, but a clearing trap since
					   says the device is back */
	int		 held;		/* down while its device was down,
					   and the device not seen up since */
	/*
	 * What the values are (VALMETA, level 3), as the agent last said;
	 * NULL from an older agent or a check that has nothing to say.  Its
	 * values are sorted by name (state_valmeta_find()).
	 */
	struct fm_valmeta *meta;
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
	int64_t		 trap_since;	/* when it said so */
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

/* state.c */
void		 state_init(void);
void		 state_set_confirm(int);
extern const struct reload_ops state_reload;

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
int		 state_set_valmeta(const char *agent, struct fm_valmeta *);
const struct fm_vmval *state_valmeta_find(const struct check_state *,
		    const char *name);


#endif /* FACMON_COLLECTOR_STATE_H */
