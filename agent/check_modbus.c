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
 * Modbus TCP probe: read registers and bits of a device (or of the units
 * behind a gateway) and report them decoded as gauges.
 *
 *	port			optional, default 502
 *	unit			optional unit id 0..255, default 1
 *	exception_is_down	optional, default false
 *	gap			optional: registers of a gap read across when
 *				merging two registers into one request, 0
 *	registers		required list of groups:
 *	    name	value name
 *	    table	"holding" (default), "input", "coil" or "discrete"
 *	    address	0..65535, as on the wire (zero-based)
 *	    type	int16, uint16 (default), int32, uint32, float32
 *	    order	byte order of the value in the registers: "abcd" (the
 *			default, big-endian), "cdab" (words swapped), "badc",
 *			"dcba"; "ab" or "ba" for 16-bit types
 *	    bit		0..15: one bit of a register, reported as 0 or 1
 *	    scale	the raw value is multiplied by it, default 1
 *	    unit	the unit the scaled value is in, for people ("°C")
 *	    label	[ "送风温度", "Supply air" ]: its name for people
 *	    enum	( (1, "制冷", "cooling"), (2, "制热", "heating") ):
 *			words for values
 *	    alarm	[ "滤网堵塞", "filter clogged" ]: an alarm while the
 *			value is not 0, or is one of alarm_if = [ ... ]
 *	    fault	likewise, a fault; fault_if = [ ... ]
 *
 * Words for people travel as text values beside the gauge, so that no
 * new field is needed on the wire and an older collector just keeps
 * them: "NAME.text" holds "送风温度 18.5 °C|Supply air 18.5 °C" for a
 * register with a label or enum, and "alarm.NAME" / "fault.NAME" hold
 * "zh|en" while the condition holds and "" while it does not (a value
 * the collector keeps must be cleared, not left out).  The collector
 * shows the first on the device page and turns the others into the
 * device's warnings (collector/warnings.c).
 *
 * The registers of a table are merged into as few requests as the
 * protocol allows (125 registers, 2000 bits): addresses that are next to
 * each other, or at most 'gap' apart, share one request.  Gaps are not
 * read by default because many devices answer a read across an address
 * they do not have with an exception.
 *
 * Why a worker pool.  libmodbus is blocking: a connect or a read waits in
 * select() for the response timeout.  Driving the socket from libevent
 * would mean writing the MBAP frames ourselves and keeping libmodbus for
 * almost nothing, while the hard part of Modbus -- its many ways to answer
 * wrongly -- is what libmodbus gets right.  So the probe hands a job to a
 * bounded pool of threads that run libmodbus; the loop never waits.  The
 * pool starts with MB_WORKERS threads and adds one, up to MB_WORKERS_MAX,
 * whenever a job has waited MB_GROW_WAIT_US for a worker and none is
 * idle: a silent device holds its worker up to its deadline, and a fixed
 * pool would leave the jobs queued behind a few such devices too little
 * of their own time.
 * The check's one deadline still rules: the worker sets libmodbus's
 * timeouts to what is left of it before each call, skips a job whose
 * deadline passed while it waited in the queue, and the loop's own
 * deadline timer reports the timeout and abandons the job whatever the
 * worker is doing.  An abandoned job is freed when its worker hands it
 * back.
 *
 * One TCP connection per address and port, shared by every check that
 * polls it (several unit ids behind one gateway, several checks of one
 * device) and kept open between probes; its mutex makes the requests of
 * two checks take turns, as most Modbus servers want.  Any error but a
 * Modbus exception closes it, because a late or garbled reply would
 * otherwise be read as the answer to the next request.
 *
 * Outcomes.  A refused or unreachable connection is PR_REFUSED or
 * PR_UNREACHABLE, silence PR_TIMEOUT, a connection the server drops
 * PR_IO_ERROR, a reply that is not Modbus PR_BAD_CONTENT (counted in the
 * value modbus_malformed).  A Modbus exception means the device is there
 * and answered: the probe stays ok, with the exception in its message and
 * the registers of that request missing, unless exception_is_down is set,
 * which makes it PR_BAD_STATUS.  Gateway exceptions (path unavailable,
 * target failed to respond) are the exception to that rule: they come
 * from the gateway and say that the device behind it did not answer, so
 * they are PR_UNREACHABLE.
 */

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <modbus/modbus.h>

#include "probe.h"

#define MB_WORKERS	4	/* threads that run libmodbus, at first */
#define MB_WORKERS_MAX	64	/* and at most */
#define MB_GROW_WAIT_US	20000	/* a job waited this long: one more */
#define MB_QUEUE_MAX	8192	/* jobs waiting for a worker */
#define MB_REGS_MAX	256	/* registers listed in one check */
#define MB_RANGES_MAX	64	/* requests one probe makes */
#define MB_NAME_MAX	64
#define MB_UNIT_MAX	16
#define MB_WORD_MAX	64	/* one word of a label, enum or alarm */
#define MB_ENUM_MAX	16	/* values with words, per register */
#define MB_WHEN_MAX	8	/* values listed in alarm_if / fault_if */

/* Words in Chinese and English. */
struct mb_words {
	char		 zh[MB_WORD_MAX];
	char		 en[MB_WORD_MAX];
};

struct mb_enum {
	double		 v;
	struct mb_words	 w;
};

/* An alarm or fault: its words and the values that raise it. */
struct mb_cond {
	int		 set;
	struct mb_words	 w;
	double		 when[MB_WHEN_MAX];
	int		 nwhen;		/* 0: any value but 0 */
};

enum mb_table { MT_HOLDING, MT_INPUT, MT_COIL, MT_DISCRETE };
enum mb_type { MY_UINT16, MY_INT16, MY_UINT32, MY_INT32, MY_FLOAT32 };

static const char *const mb_table_names[] = {
	"holding", "input", "coil", "discrete"
};
static const char *const mb_type_names[] = {
	"uint16", "int16", "uint32", "int32", "float32"
};

struct mb_reg {
	char		 name[MB_NAME_MAX];
	char		 unit[MB_UNIT_MAX];
	int		 table;
	int		 address;
	int		 type;
	int		 bit;		/* -1: the whole value */
	char		 order[5];	/* "abcd", "ab", ... */
	double		 scale;
	int		 range;		/* index of the request that reads it */
	struct mb_words	 label;		/* zh[0] == '\0': none */
	struct mb_enum	*enums;
	int		 nenums;
	struct mb_cond	 alarm, fault;
};

struct mb_range {
	int		 table;
	int		 address;
	int		 count;		/* registers or bits */
};

struct mb_opts {
	int		 port;
	int		 unit;
	int		 exception_is_down;
	int		 gap;
	struct mb_reg	*regs;
	int		 nregs;
	struct mb_range	 ranges[MB_RANGES_MAX];
	int		 nranges;
};

/* A connection to one address and port; owned by the loop thread. */
struct mb_conn {
	char		*host;
	int		 port;
	int		 refs;		/* checks and jobs in flight */
	/*
	 * A worker owns ctx while busy is set.  A flag and a condition on
	 * the monotonic clock rather than a mutex held across the requests,
	 * so that waiting for the connection is bounded by the deadline
	 * without depending on the wall clock.
	 */
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	int		 busy;
	modbus_t	*ctx;		/* NULL: not connected */
	struct mb_conn	*next;
};

/* The answer to one request. */
struct mb_answer {
	int		 err;		/* 0, or errno / libmodbus error */
	uint16_t	 regs[MODBUS_MAX_READ_REGISTERS];
	uint8_t		 bits[MODBUS_MAX_READ_BITS];
};

enum mb_phase { MJ_QUEUED, MJ_RUNNING, MJ_DONE };

struct mb_state;
struct mb_job {
	struct mb_state	*st;		/* NULL: abandoned */
	struct mb_conn	*conn;
	int		 unit;
	int64_t		 deadline_us;
	int64_t		 queued_us;
	struct mb_range	 ranges[MB_RANGES_MAX];
	int		 nranges;
	/* Filled by the worker. */
	int		 phase;		/* under mb_pool.mtx */
	int		 conn_err;	/* connecting failed */
	int		 gai_err;	/* resolving the address failed */
	int		 not_run;	/* its deadline passed in the queue */
	int		 busy;		/* another check kept the connection */
	int		 connected;	/* this job opened the connection */
	int		 fatal;		/* index of the range that ended it */
	int64_t		 t_sent_us, t_done_us;
	struct mb_answer *ans;		/* one per range */
	struct mb_job	*next;
};

struct mb_state {
	struct check	*check;
	const struct mb_opts *o;
	struct mb_conn	*conn;
	struct mb_job	*job;		/* in flight */
	struct fm_result *r;
	struct event	*deadline;
	uint64_t	 malformed, exceptions, connects;
};

/* The pool, shared by every Modbus check. */
static struct {
	int		 started;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct mb_job	*head, *tail;	/* waiting for a worker */
	int		 nqueued;
	int		 nworkers;
	int		 nidle;		/* workers waiting for a job */
	struct mb_job	*done;		/* back to the loop */
	int		 efd;
	struct event	*ev;
} mb_pool = { .mtx = PTHREAD_MUTEX_INITIALIZER,
	      .cv = PTHREAD_COND_INITIALIZER, .efd = -1 };

static struct mb_conn *mb_conns;

static int	mb_parse(struct cfgerr *, const config_setting_t *,
		    struct check_conf *, const struct device_conf *);
static void	mb_free_opts(void *);
static int	mb_init(struct check *);
static void	mb_start(struct check *);
static void	mb_cleanup(struct check *);

static const char *const mb_keys[] = { "port", "unit", "exception_is_down",
	"gap", "registers", NULL };
static const char *const mb_reg_keys[] = { "name", "table", "address",
	"type", "order", "bit", "scale", "unit", "label", "enum", "alarm",
	"alarm_if", "fault", "fault_if", NULL };

const struct probe_ops probe_modbus = {
	.type = CT_MODBUS,
	.name = "modbus",
	.keys = mb_keys,
	.parse = mb_parse,
	.free_opts = mb_free_opts,
	.init = mb_init,
	.start = mb_start,
	.cleanup = mb_cleanup,
};

static int
mb_is_bits(int table)
{
	return table == MT_COIL || table == MT_DISCRETE;
}

/* Registers a value of this type takes. */
static int
mb_width(const struct mb_reg *g)
{
	if (mb_is_bits(g->table))
		return 1;
	return g->type >= MY_UINT32 ? 2 : 1;
}

static void
mb_free_opts(void *arg)
{
	struct mb_opts *o = arg;
	int	 i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nregs; i++)
		free(o->regs[i].enums);
	free(o->regs);
	free(o);
}

static int
mb_lookup(const char *const *names, int n, const char *s)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* A number that may be written as an integer or a float. */
static int
mb_get_number(struct cfgerr *e, const config_setting_t *grp, const char *key,
    double *dst)
{
	config_setting_t *s = config_setting_get_member(grp, key);

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*dst = (double)config_setting_get_int64(s);
		return 1;
	case CONFIG_TYPE_FLOAT:
		*dst = config_setting_get_float(s);
		return 1;
	default:
		cfgerr_add(e, s, "'%s' must be a number", key);
		return -1;
	}
}

/* "abcd", "cdab", ...: a permutation of the value's bytes. */
static int
mb_order_ok(const char *s, int nbytes)
{
	int	 seen = 0, i;

	if ((int)strlen(s) != nbytes)
		return 0;
	for (i = 0; i < nbytes; i++) {
		int	 k = s[i] - 'a';

		if (k < 0 || k >= nbytes || (seen & (1 << k)))
			return 0;
		seen |= 1 << k;
	}
	return 1;
}

/* A list or array of two strings: Chinese, then English. */
static int
mb_words_elems(struct cfgerr *e, const config_setting_t *x,
    const char *what, int first, struct mb_words *w)
{
	const char *zh, *en;

	if (!config_setting_is_aggregate(x) ||
	    config_setting_type(x) == CONFIG_TYPE_GROUP ||
	    config_setting_length(x) != first + 2 ||
	    (zh = config_setting_get_string_elem(x, (unsigned)first)) ==
	    NULL ||
	    (en = config_setting_get_string_elem(x, (unsigned)first + 1)) ==
	    NULL) {
		cfgerr_add(e, x, "%s", what);
		return -1;
	}
	/* The collector splits the words at '|'. */
	if (strlen(zh) >= MB_WORD_MAX || strlen(en) >= MB_WORD_MAX ||
	    strchr(zh, '|') != NULL || strchr(en, '|') != NULL ||
	    zh[0] == '\0' || en[0] == '\0') {
		cfgerr_add(e, x, "words must be 1 to %d bytes without '|'",
		    MB_WORD_MAX - 1);
		return -1;
	}
	fm_strlcpy(w->zh, zh, sizeof(w->zh));
	fm_strlcpy(w->en, en, sizeof(w->en));
	return 0;
}

static int
mb_number_elem(const config_setting_t *x, int i, double *d)
{
	const config_setting_t *v = config_setting_get_elem(x, (unsigned)i);

	if (v == NULL)
		return -1;
	switch (config_setting_type(v)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*d = (double)config_setting_get_int64(v);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*d = config_setting_get_float(v);
		return 0;
	}
	return -1;
}

/* alarm = [ zh, en ]; alarm_if = [ values ] (and fault, fault_if). */
static int
mb_parse_cond(struct cfgerr *e, const config_setting_t *s, const char *key,
    const char *ifkey, struct mb_cond *c)
{
	const config_setting_t *x = config_setting_get_member(s, key);
	const config_setting_t *w = config_setting_get_member(s, ifkey);
	char	 what[96];
	int	 i;

	if (x == NULL) {
		if (w != NULL) {
			cfgerr_add(e, w, "'%s' needs '%s'", ifkey, key);
			return -1;
		}
		return 0;
	}
	snprintf(what, sizeof(what), "'%s' must be [ \"中文\", \"English\" ]",
	    key);
	if (mb_words_elems(e, x, what, 0, &c->w) == -1)
		return -1;
	c->set = 1;
	if (w == NULL)
		return 0;
	if (!config_setting_is_aggregate(w) ||
	    config_setting_type(w) == CONFIG_TYPE_GROUP ||
	    config_setting_length(w) < 1 ||
	    config_setting_length(w) > MB_WHEN_MAX) {
		cfgerr_add(e, w, "'%s' must be a list of 1 to %d numbers",
		    ifkey, MB_WHEN_MAX);
		return -1;
	}
	for (i = 0; i < config_setting_length(w); i++)
		if (mb_number_elem(w, i, &c->when[c->nwhen++]) == -1) {
			cfgerr_add(e, w, "'%s' must be a list of numbers",
			    ifkey);
			return -1;
		}
	return 0;
}

/* enum = ( (1, "制冷", "cooling"), ... ) */
static int
mb_parse_enum(struct cfgerr *e, const config_setting_t *s, struct mb_reg *g)
{
	const config_setting_t *x = config_setting_get_member(s, "enum");
	const char *what = "an 'enum' entry must be ( value, \"中文\", "
	    "\"English\" )";
	int	 i, n;

	if (x == NULL)
		return 0;
	if (!config_setting_is_list(x) || (n = config_setting_length(x)) < 1 ||
	    n > MB_ENUM_MAX) {
		cfgerr_add(e, x, "'enum' must be a list of 1 to %d entries "
		    "( (value, \"中文\", \"English\"), ... )", MB_ENUM_MAX);
		return -1;
	}
	if ((g->enums = calloc((size_t)n, sizeof(*g->enums))) == NULL) {
		cfgerr_add(e, x, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *y = config_setting_get_elem(x,
		    (unsigned)i);

		if (!config_setting_is_list(y) ||
		    mb_number_elem(y, 0, &g->enums[i].v) == -1) {
			cfgerr_add(e, y, "%s", what);
			return -1;
		}
		if (mb_words_elems(e, y, what, 1, &g->enums[i].w) == -1)
			return -1;
		g->nenums++;
	}
	return 0;
}

static int
mb_parse_reg(struct cfgerr *e, const config_setting_t *s, struct mb_reg *g)
{
	char	 buf[32];
	long long v;
	double	 d;
	int	 bad = 0, r, k;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfgerr_add(e, s, "a register must be a group { name = ...; }");
		return -1;
	}
	cfg_check_keys(e, s, mb_reg_keys);
	if (cfg_get_str(e, s, "name", g->name, sizeof(g->name), 1) != 1)
		bad = 1;
	else if (!fm_valid_name(g->name, sizeof(g->name))) {
		/* Value names end up in file names and URLs. */
		cfgerr_add(e, config_setting_get_member(s, "name"),
		    "register name '%s' must be letters, digits, '_', '-' or "
		    "'.', not starting with '.'", g->name);
		bad = 1;
	}
	g->table = MT_HOLDING;
	if ((r = cfg_get_str(e, s, "table", buf, sizeof(buf), 0)) == -1)
		bad = 1;
	else if (r == 1 && (g->table = mb_lookup(mb_table_names, 4, buf)) ==
	    -1) {
		cfgerr_add(e, config_setting_get_member(s, "table"),
		    "'table' must be holding, input, coil or discrete");
		bad = 1;
	}
	if (cfg_get_int(e, s, "address", &v, 0, 65535, 1) != 1)
		bad = 1;
	else
		g->address = (int)v;
	g->type = MY_UINT16;
	if ((r = cfg_get_str(e, s, "type", buf, sizeof(buf), 0)) == -1)
		bad = 1;
	else if (r == 1 && (g->type = mb_lookup(mb_type_names, 5, buf)) ==
	    -1) {
		cfgerr_add(e, config_setting_get_member(s, "type"), "'type' "
		    "must be int16, uint16, int32, uint32 or float32");
		bad = 1;
	}
	if (g->type < 0)
		g->type = MY_UINT16;
	g->bit = -1;
	if ((r = cfg_get_int(e, s, "bit", &v, 0, 15, 0)) == -1)
		bad = 1;
	else if (r == 1) {
		g->bit = (int)v;
		if (g->type >= MY_UINT32) {
			cfgerr_add(e, config_setting_get_member(s, "bit"),
			    "'bit' is for 16-bit registers");
			bad = 1;
		}
	}
	if (g->table >= 0 && mb_is_bits(g->table) && g->bit != -1) {
		cfgerr_add(e, config_setting_get_member(s, "bit"),
		    "'bit' is for holding and input registers");
		bad = 1;
	}
	k = g->type >= MY_UINT32 ? 4 : 2;
	strcpy(g->order, k == 4 ? "abcd" : "ab");
	if ((r = cfg_get_str(e, s, "order", buf, sizeof(buf), 0)) == -1)
		bad = 1;
	else if (r == 1) {
		if (!mb_order_ok(buf, k)) {
			cfgerr_add(e, config_setting_get_member(s, "order"),
			    "'order' of a %d-bit value must be a byte order "
			    "such as %s", k * 8, k == 4 ? "\"abcd\" or "
			    "\"cdab\"" : "\"ab\" or \"ba\"");
			bad = 1;
		} else
			memcpy(g->order, buf, (size_t)k + 1);
	}
	g->scale = 1.0;
	if ((r = mb_get_number(e, s, "scale", &d)) == -1)
		bad = 1;
	else if (r == 1) {
		if (!isfinite(d) || d == 0) {
			cfgerr_add(e, config_setting_get_member(s, "scale"),
			    "'scale' must be a non-zero number");
			bad = 1;
		} else
			g->scale = d;
	}
	if (cfg_get_str(e, s, "unit", g->unit, sizeof(g->unit), 0) == -1)
		bad = 1;
	if (config_setting_get_member(s, "label") != NULL &&
	    mb_words_elems(e, config_setting_get_member(s, "label"),
	    "'label' must be [ \"中文\", \"English\" ]", 0, &g->label) == -1)
		bad = 1;
	/* Each of them, so that one run reports every mistake. */
	if (mb_parse_enum(e, s, g) == -1)
		bad = 1;
	if (mb_parse_cond(e, s, "alarm", "alarm_if", &g->alarm) == -1)
		bad = 1;
	if (mb_parse_cond(e, s, "fault", "fault_if", &g->fault) == -1)
		bad = 1;
	if (!bad && g->address + mb_width(g) > 65536) {
		cfgerr_add(e, s, "'%s' runs past address 65535", g->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* The slot of a register that was refused, ready for the next one. */
static void
mb_reg_reset(struct mb_reg *g)
{
	free(g->enums);
	memset(g, 0, sizeof(*g));
}

static int
mb_reg_cmp(const void *a, const void *b)
{
	const struct mb_reg *x = a, *y = b;

	if (x->table != y->table)
		return x->table - y->table;
	return x->address - y->address;
}

/*
 * The requests a probe makes: registers of one table sorted by address
 * and merged while they fit one request.  The list is sorted in place,
 * which also fixes the order of the values in a result.
 */
static int
mb_plan(struct mb_opts *o)
{
	struct mb_range *cur = NULL;
	int	 i;

	qsort(o->regs, (size_t)o->nregs, sizeof(*o->regs), mb_reg_cmp);
	o->nranges = 0;
	for (i = 0; i < o->nregs; i++) {
		struct mb_reg *g = &o->regs[i];
		int	 end = g->address + mb_width(g);
		int	 max = mb_is_bits(g->table) ? MODBUS_MAX_READ_BITS :
		    MODBUS_MAX_READ_REGISTERS;

		if (cur != NULL && cur->table == g->table &&
		    g->address <= cur->address + cur->count + o->gap &&
		    end - cur->address <= max) {
			if (end > cur->address + cur->count)
				cur->count = end - cur->address;
		} else {
			if (o->nranges == MB_RANGES_MAX)
				return -1;
			cur = &o->ranges[o->nranges++];
			cur->table = g->table;
			cur->address = g->address;
			cur->count = end - g->address;
		}
		g->range = (int)(cur - o->ranges);
	}
	return 0;
}

static int
mb_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dev)
{
	const config_setting_t *list;
	struct mb_opts *o;
	long long v;
	int	 bad = 0, i, j, n;

	(void)dev;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return -1;
	}
	o->port = 502;
	if (cfg_get_int(e, s, "port", &v, 1, 65535, 0) == -1)
		bad = 1;
	else if (config_setting_get_member(s, "port") != NULL)
		o->port = (int)v;
	o->unit = 1;
	if (cfg_get_int(e, s, "unit", &v, 0, 255, 0) == -1)
		bad = 1;
	else if (config_setting_get_member(s, "unit") != NULL)
		o->unit = (int)v;
	if (cfg_get_int(e, s, "gap", &v, 0, 64, 0) == -1)
		bad = 1;
	else if (config_setting_get_member(s, "gap") != NULL)
		o->gap = (int)v;
	if (cfg_get_bool(e, s, "exception_is_down", &o->exception_is_down, 0)
	    == -1)
		bad = 1;

	list = config_setting_get_member(s, "registers");
	if (list == NULL) {
		cfgerr_add(e, s, "a modbus check needs 'registers'");
		bad = 1;
	} else if (!config_setting_is_aggregate(list) ||
	    config_setting_type(list) == CONFIG_TYPE_GROUP ||
	    (n = config_setting_length(list)) == 0) {
		cfgerr_add(e, list, "'registers' must be a non-empty list "
		    "( { name = ...; address = ...; }, ... )");
		bad = 1;
	} else if (n > MB_REGS_MAX) {
		cfgerr_add(e, list, "at most %d registers in one check",
		    MB_REGS_MAX);
		bad = 1;
	} else if ((o->regs = calloc((size_t)n, sizeof(*o->regs))) == NULL) {
		cfgerr_add(e, list, "out of memory");
		bad = 1;
	} else {
		for (i = 0; i < n; i++) {
			const config_setting_t *g =
			    config_setting_get_elem(list, (unsigned)i);

			if (mb_parse_reg(e, g, &o->regs[o->nregs]) == -1) {
				mb_reg_reset(&o->regs[o->nregs]);
				bad = 1;
				continue;
			}
			for (j = 0; j < o->nregs; j++)
				if (strcmp(o->regs[j].name,
				    o->regs[o->nregs].name) == 0)
					break;
			if (j < o->nregs) {
				cfgerr_add(e, g, "register name '%s' used "
				    "twice", o->regs[j].name);
				mb_reg_reset(&o->regs[o->nregs]);
				bad = 1;
				continue;
			}
			o->nregs++;
		}
		if (!bad && mb_plan(o) == -1) {
			cfgerr_add(e, list, "the registers need more than %d "
			    "requests: split the check", MB_RANGES_MAX);
			bad = 1;
		}
	}
	if (bad) {
		mb_free_opts(o);
		return -1;
	}
	cc->opts = o;
	return 0;
}

/* --- connections (loop thread) ---------------------------------------- */

static struct mb_conn *
mb_conn_get(const char *host, int port)
{
	pthread_condattr_t ca;
	struct mb_conn *c;

	for (c = mb_conns; c != NULL; c = c->next)
		if (c->port == port && strcmp(c->host, host) == 0) {
			c->refs++;
			return c;
		}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->host = strdup(host)) == NULL) {
		free(c);
		return NULL;
	}
	c->port = port;
	c->refs = 1;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	c->next = mb_conns;
	mb_conns = c;
	return c;
}

/* No worker holds a connection nobody refers to, so it can go. */
static void
mb_conn_put(struct mb_conn *c)
{
	struct mb_conn **pp;

	if (c == NULL || --c->refs > 0)
		return;
	for (pp = &mb_conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->ctx != NULL) {
		modbus_close(c->ctx);
		modbus_free(c->ctx);
	}
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mtx);
	free(c->host);
	free(c);
}

/* --- the worker side --------------------------------------------------- */

static int
mb_is_exception(int err)
{
	return err > MODBUS_ENOBASE && err <= EMBXGTAR;
}

static int
mb_is_malformed(int err)
{
	return err == EMBBADCRC || err == EMBBADDATA || err == EMBBADEXC ||
	    err == EMBUNKEXC || err == EMBMDATA || err == EMBBADSLAVE;
}

/* libmodbus's timeouts: what is left before the deadline, at least 1 ms. */
static int
mb_set_timeouts(modbus_t *ctx, int64_t deadline_us)
{
	int64_t	 left = deadline_us - mono_us();

	if (left <= 0)
		return -1;
	if (left < 1000)
		left = 1000;
	modbus_set_response_timeout(ctx, (uint32_t)(left / 1000000),
	    (uint32_t)(left % 1000000));
	modbus_set_byte_timeout(ctx, (uint32_t)(left / 1000000),
	    (uint32_t)(left % 1000000));
	return 0;
}

static void
mb_drop_ctx(struct mb_conn *c)
{
	if (c->ctx != NULL) {
		modbus_close(c->ctx);
		modbus_free(c->ctx);
		c->ctx = NULL;
	}
}

static int
mb_connect(struct mb_job *j)
{
	struct mb_conn *c = j->conn;
	struct addrinfo hints, *res = NULL;
	char	 port[8], host[NI_MAXHOST];
	int	 rv;

	snprintf(port, sizeof(port), "%d", c->port);
	/*
	 * Resolve here, off the loop, and give libmodbus the address: it
	 * reports a name that does not resolve as a refused connection.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rv = getaddrinfo(c->host, port, &hints, &res)) != 0 ||
	    res == NULL) {
		j->gai_err = rv != 0 ? rv : EAI_NONAME;
		return -1;
	}
	rv = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rv != 0) {
		j->gai_err = rv;
		return -1;
	}
	if ((c->ctx = modbus_new_tcp_pi(host, port)) == NULL) {
		j->conn_err = errno ? errno : ENOMEM;
		return -1;
	}
	if (mb_set_timeouts(c->ctx, j->deadline_us) == -1) {
		j->conn_err = ETIMEDOUT;
		mb_drop_ctx(c);
		return -1;
	}
	if (modbus_connect(c->ctx) == -1) {
		j->conn_err = errno ? errno : EIO;
		mb_drop_ctx(c);
		return -1;
	}
	j->connected = 1;
	return 0;
}

static int
mb_read(modbus_t *ctx, const struct mb_range *r, struct mb_answer *a)
{
	switch (r->table) {
	case MT_HOLDING:
		return modbus_read_registers(ctx, r->address, r->count,
		    a->regs);
	case MT_INPUT:
		return modbus_read_input_registers(ctx, r->address, r->count,
		    a->regs);
	case MT_COIL:
		return modbus_read_bits(ctx, r->address, r->count, a->bits);
	default:
		return modbus_read_input_bits(ctx, r->address, r->count,
		    a->bits);
	}
}

static void
mb_run(struct mb_job *j)
{
	struct mb_conn *c = j->conn;
	struct timespec ts;
	int64_t	 dl = j->deadline_us;
	int	 i, reused, retried = 0, rc;

	/*
	 * Another check's requests on the same connection go first.
	 * mono_us() is CLOCK_MONOTONIC, the clock of the condition.
	 */
	ts.tv_sec = (time_t)(dl / 1000000);
	ts.tv_nsec = (long)(dl % 1000000) * 1000;
	pthread_mutex_lock(&c->mtx);
	while (c->busy)
		if (pthread_cond_timedwait(&c->cv, &c->mtx, &ts) == ETIMEDOUT &&
		    c->busy) {
			pthread_mutex_unlock(&c->mtx);
			j->busy = 1;
			return;
		}
	c->busy = 1;
	pthread_mutex_unlock(&c->mtx);
again:
	reused = c->ctx != NULL;
	if (c->ctx == NULL && mb_connect(j) == -1)
		goto out;
	j->t_sent_us = mono_us();
	for (i = 0; i < j->nranges; i++) {
		struct mb_answer *a = &j->ans[i];

		if (mb_set_timeouts(c->ctx, dl) == -1) {
			a->err = ETIMEDOUT;
			j->fatal = i;
			mb_drop_ctx(c);
			break;
		}
		modbus_set_slave(c->ctx, j->unit);
		errno = 0;
		rc = mb_read(c->ctx, &j->ranges[i], a);
		if (rc == j->ranges[i].count) {
			a->err = 0;
			continue;
		}
		a->err = rc == -1 && errno != 0 ? errno : EMBBADDATA;
		if (mb_is_exception(a->err))
			continue;
		mb_drop_ctx(c);
		/*
		 * A kept connection the server has closed since the last
		 * probe fails on its first request: that says nothing of
		 * the device, so try once more on a new connection.
		 */
		if (i == 0 && reused && !retried && (a->err == ECONNRESET ||
		    a->err == EPIPE || a->err == EBADF)) {
			retried = 1;
			a->err = 0;
			goto again;
		}
		j->fatal = i;
		break;
	}
out:
	j->t_done_us = mono_us();
	pthread_mutex_lock(&c->mtx);
	c->busy = 0;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mtx);
}

static int	mb_pool_grow(void);

/*
 * With mb_pool.mtx held: one more worker if none is idle and job j has
 * waited for one too long.  Not on queue depth: the scheduler starts
 * many probes at once, and a burst that the workers clear in a few
 * milliseconds needs no more threads.
 */
static void
mb_pool_maybe_grow(const struct mb_job *j, int64_t now)
{
	if (j != NULL && mb_pool.nidle == 0 &&
	    now - j->queued_us > MB_GROW_WAIT_US)
		mb_pool_grow();
}

static void *
mb_worker(void *arg)
{
	struct mb_job *j;
	uint64_t one = 1;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mb_pool.mtx);
		mb_pool.nidle++;
		while (mb_pool.head == NULL)
			pthread_cond_wait(&mb_pool.cv, &mb_pool.mtx);
		mb_pool.nidle--;
		j = mb_pool.head;
		if ((mb_pool.head = j->next) == NULL)
			mb_pool.tail = NULL;
		mb_pool.nqueued--;
		j->phase = MJ_RUNNING;
		mb_pool_maybe_grow(j, mono_us());
		pthread_mutex_unlock(&mb_pool.mtx);

		/* Its deadline passed in the queue: the loop has reported. */
		if (mono_us() < j->deadline_us)
			mb_run(j);
		else
			j->not_run = 1;

		pthread_mutex_lock(&mb_pool.mtx);
		j->phase = MJ_DONE;
		j->next = mb_pool.done;
		mb_pool.done = j;
		pthread_mutex_unlock(&mb_pool.mtx);
		if (write(mb_pool.efd, &one, sizeof(one)) == -1 &&
		    errno != EAGAIN)
			log_warn("modbus: eventfd");
	}
	return NULL;
}

/* --- the loop side ----------------------------------------------------- */

static void	mb_deliver(struct mb_state *, struct mb_job *);

static void
mb_job_free(struct mb_job *j)
{
	mb_conn_put(j->conn);
	free(j->ans);
	free(j);
}

static void
mb_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mb_job *list, *j;
	uint64_t n;

	(void)what;
	(void)arg;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("modbus: eventfd");
	pthread_mutex_lock(&mb_pool.mtx);
	list = mb_pool.done;
	mb_pool.done = NULL;
	pthread_mutex_unlock(&mb_pool.mtx);
	while ((j = list) != NULL) {
		list = j->next;
		if (j->st != NULL)
			mb_deliver(j->st, j);
		mb_job_free(j);
	}
}

/*
 * One more worker; called with mb_pool.mtx held.  Workers are added when
 * a job finds none idle: a device that never answers holds a worker for
 * the whole timeout, and a few of them must not make the others wait.
 */
static int
mb_pool_grow(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int	 rv;

	if (mb_pool.nworkers >= MB_WORKERS_MAX)
		return -1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* libmodbus needs little stack; 64 threads of 8 MiB would not. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rv = pthread_create(&t, &attr, mb_worker, NULL);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		log_warnx("modbus: cannot start a worker: %s", strerror(rv));
		return -1;
	}
	mb_pool.nworkers++;
	return 0;
}

static int
mb_pool_start(void)
{
	int	 i;

	if (mb_pool.started)
		return 0;
	mb_pool.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb_pool.efd == -1) {
		log_warn("modbus: eventfd");
		return -1;
	}
	mb_pool.ev = event_new(agent_base, mb_pool.efd, EV_READ | EV_PERSIST,
	    mb_done_cb, NULL);
	if (mb_pool.ev == NULL || event_add(mb_pool.ev, NULL) == -1) {
		log_warnx("modbus: cannot watch the eventfd");
		return -1;
	}
	pthread_mutex_lock(&mb_pool.mtx);
	for (i = 0; i < MB_WORKERS; i++)
		if (mb_pool_grow() == -1)
			break;
	pthread_mutex_unlock(&mb_pool.mtx);
	if (i == 0)
		return -1;
	mb_pool.started = 1;
	return 0;
}

static const char *
mb_strerror(int err)
{
	switch (err) {
	case EMBXILFUN:
		return "illegal function (exception 1)";
	case EMBXILADD:
		return "illegal data address (exception 2)";
	case EMBXILVAL:
		return "illegal data value (exception 3)";
	case EMBXSFAIL:
		return "server device failure (exception 4)";
	case EMBXACK:
		return "acknowledge, still working (exception 5)";
	case EMBXSBUSY:
		return "server device busy (exception 6)";
	case EMBXNACK:
		return "negative acknowledge (exception 7)";
	case EMBXMEMPAR:
		return "memory parity error (exception 8)";
	case EMBXGPATH:
		return "gateway path unavailable (exception 10)";
	case EMBXGTAR:
		return "gateway target device failed to respond "
		    "(exception 11)";
	case ECONNRESET:
		return "connection closed by the server";
	case ETIMEDOUT:
		return "no answer in time";
	default:
		if (mb_is_malformed(err))
			return "malformed reply";
		return modbus_strerror(err);
	}
}

static void
mb_range_text(char *buf, size_t len, const struct mb_range *r, int unit)
{
	snprintf(buf, len, "unit %d %s %d..%d", unit, mb_table_names[r->table],
	    r->address, r->address + r->count - 1);
}

static double
mb_decode(const struct mb_reg *g, const struct mb_range *r,
    const struct mb_answer *a)
{
	int	 off = g->address - r->address, i;
	uint8_t	 raw[4], val[4];
	uint32_t u;

	if (mb_is_bits(g->table))
		return (a->bits[off] ? 1.0 : 0.0) * g->scale;
	raw[0] = (uint8_t)(a->regs[off] >> 8);
	raw[1] = (uint8_t)(a->regs[off] & 0xff);
	if (g->type >= MY_UINT32) {
		raw[2] = (uint8_t)(a->regs[off + 1] >> 8);
		raw[3] = (uint8_t)(a->regs[off + 1] & 0xff);
		/* order[i] names the value's byte found at position i. */
		for (i = 0; i < 4; i++)
			val[g->order[i] - 'a'] = raw[i];
		u = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 |
		    (uint32_t)val[2] << 8 | val[3];
	} else {
		for (i = 0; i < 2; i++)
			val[g->order[i] - 'a'] = raw[i];
		u = (uint32_t)val[0] << 8 | val[1];
	}
	if (g->bit >= 0)
		return (double)((u >> g->bit) & 1) * g->scale;
	switch (g->type) {
	case MY_INT16:
		return (double)(int16_t)u * g->scale;
	case MY_INT32:
		return (double)(int32_t)u * g->scale;
	case MY_FLOAT32: {
		float	 f;

		memcpy(&f, &u, sizeof(f));
		return (double)f * g->scale;
	}
	default:
		return (double)u * g->scale;
	}
}

/* The words of a register with a label or an enum, "zh|en". */
static void
mb_words_value(struct fm_result *r, const struct mb_reg *g, double v)
{
	char	 name[FM_VNAME_MAX], num[48], text[4 * MB_WORD_MAX + 64];
	const struct mb_words *w = NULL;
	int	 i;

	for (i = 0; i < g->nenums; i++)
		if (g->enums[i].v == v)
			w = &g->enums[i].w;
	if (w == NULL)
		snprintf(num, sizeof(num), "%.6g%s%s", v, g->unit[0] ? " " : "",
		    g->unit);
	snprintf(text, sizeof(text), "%s%s%s|%s%s%s", g->label.zh,
	    g->label.zh[0] ? " " : "", w ? w->zh : num, g->label.en,
	    g->label.en[0] ? " " : "", w ? w->en : num);
	snprintf(name, sizeof(name), "%s.text", g->name);
	result_add_text(r, name, text);
}

/* "alarm.NAME" or "fault.NAME": the words while it holds, else "". */
static void
mb_cond_value(struct fm_result *r, const struct mb_reg *g,
    const struct mb_cond *c, const char *kind, double v)
{
	char	 name[FM_VNAME_MAX], text[2 * MB_WORD_MAX + 2];
	int	 on = 0, i;

	if (!c->set)
		return;
	if (c->nwhen == 0)
		on = v != 0;
	for (i = 0; i < c->nwhen; i++)
		if (c->when[i] == v)
			on = 1;
	snprintf(text, sizeof(text), "%s|%s", c->w.zh, c->w.en);
	snprintf(name, sizeof(name), "%s.%s", kind, g->name);
	result_add_text(r, name, on ? text : "");
}

static void
mb_counters(struct mb_state *st)
{
	result_add_counter(st->r, "modbus_malformed", st->malformed, NAN);
	result_add_counter(st->r, "modbus_exceptions", st->exceptions, NAN);
	result_add_counter(st->r, "modbus_connects", st->connects, NAN);
}

static void
mb_finish(struct mb_state *st)
{
	struct fm_result *r = st->r;

	evtimer_del(st->deadline);
	st->r = NULL;
	st->job = NULL;
	probe_done(st->check, r);
}

static void
mb_conn_fail(struct mb_state *st, int err)
{
	const struct mb_opts *o = st->o;
	int	 outcome;

	switch (err) {
	case ECONNREFUSED:
		outcome = PR_REFUSED;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		outcome = PR_UNREACHABLE;
		break;
	case ETIMEDOUT:
	case EINPROGRESS:
		outcome = PR_TIMEOUT;
		break;
	default:
		outcome = PR_IO_ERROR;
		break;
	}
	if (outcome == PR_TIMEOUT)
		result_fail(st->r, outcome, "connect port %d: no answer "
		    "within %d ms", o->port, st->check->conf->timeout_ms);
	else
		result_fail(st->r, outcome, "connect port %d: %s", o->port,
		    mb_strerror(err));
}

static void
mb_deliver(struct mb_state *st, struct mb_job *j)
{
	const struct mb_opts *o = st->o;
	char	 where[64], msg[FM_ERRMSG_MAX] = "";
	int	 i, nexc = 0, fatal = -1;

	st->job = NULL;
	j->st = NULL;
	if (j->connected)
		st->connects++;
	if (j->not_run || j->busy) {
		/*
		 * Usually the deadline timer has reported this already; the
		 * worker can be a little earlier.  Never asked: unknown.
		 * Kept waiting by another check's requests: the device or
		 * gateway is too slow for both, a timeout.
		 */
		if (j->not_run)
			result_fail(st->r, PR_INTERNAL, "no Modbus worker free "
			    "within %d ms", st->check->conf->timeout_ms);
		else
			result_fail(st->r, PR_TIMEOUT, "port %d: the connection "
			    "stayed busy with other checks' requests for %d ms",
			    o->port, st->check->conf->timeout_ms);
		mb_counters(st);
		mb_finish(st);
		return;
	}
	if (j->gai_err != 0) {
		result_fail(st->r, PR_RESOLVE, "resolve %s: %s",
		    st->check->dev->conf->address, gai_strerror(j->gai_err));
		mb_counters(st);
		mb_finish(st);
		return;
	}
	if (j->conn_err != 0) {
		mb_conn_fail(st, j->conn_err);
		mb_counters(st);
		mb_finish(st);
		return;
	}
	for (i = 0; i < j->nranges; i++) {
		int	 err = j->ans[i].err;

		if (err == 0)
			continue;
		mb_range_text(where, sizeof(where), &j->ranges[i], j->unit);
		if (mb_is_exception(err)) {
			st->exceptions++;
			nexc++;
			if (msg[0] == '\0')
				snprintf(msg, sizeof(msg), "%s: %s", where,
				    mb_strerror(err));
			if (err == EMBXGPATH || err == EMBXGTAR) {
				if (fatal == -1)
					fatal = i;
			}
			continue;
		}
		if (mb_is_malformed(err))
			st->malformed++;
		fatal = i;
		snprintf(msg, sizeof(msg), "%s: %s", where, mb_strerror(err));
		break;
	}
	if (fatal == -1 && nexc < j->nranges)
		result_add_gauge(st->r, "response_ms",
		    (double)(j->t_done_us - j->t_sent_us) / 1000.0);
	for (i = 0; i < o->nregs; i++) {
		const struct mb_reg *g = &o->regs[i];
		double	 v;

		if (g->range >= j->nranges || j->ans[g->range].err != 0)
			continue;
		v = mb_decode(g, &j->ranges[g->range], &j->ans[g->range]);
		result_add_gauge(st->r, g->name, v);
		if (g->label.zh[0] != '\0' || g->nenums > 0)
			mb_words_value(st->r, g, v);
		mb_cond_value(st->r, g, &g->alarm, "alarm", v);
		mb_cond_value(st->r, g, &g->fault, "fault", v);
	}
	mb_counters(st);
	if (fatal != -1) {
		int	 err = j->ans[fatal].err;
		int	 outcome = err == ETIMEDOUT ? PR_TIMEOUT :
		    mb_is_malformed(err) ? PR_BAD_CONTENT :
		    mb_is_exception(err) ? PR_UNREACHABLE : PR_IO_ERROR;

		if (err == ETIMEDOUT)
			snprintf(msg, sizeof(msg), "%s: no answer within "
			    "%d ms", where, st->check->conf->timeout_ms);
		result_fail(st->r, outcome, "%s", msg);
	} else if (nexc > 0) {
		if (o->exception_is_down)
			result_fail(st->r, PR_BAD_STATUS, "%s", msg);
		else {
			/* Up, but say what the device refused. */
			fm_strlcpy(st->r->msg, msg, sizeof(st->r->msg));
		}
	}
	mb_finish(st);
}

static void
mb_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mb_state *st = arg;
	struct mb_job *j = st->job;
	int	 phase;

	(void)fd;
	(void)what;
	if (j == NULL || st->r == NULL)
		return;
	pthread_mutex_lock(&mb_pool.mtx);
	phase = j->phase;
	pthread_mutex_unlock(&mb_pool.mtx);
	/* The worker hands the job back later; it is freed then. */
	j->st = NULL;
	if (phase == MJ_QUEUED)
		/* The device was never asked: unknown, not down. */
		result_fail(st->r, PR_INTERNAL, "no Modbus worker free "
		    "within %d ms", st->check->conf->timeout_ms);
	else
		result_fail(st->r, PR_TIMEOUT, "port %d unit %d: no answer "
		    "within %d ms", st->o->port, st->o->unit,
		    st->check->conf->timeout_ms);
	mb_counters(st);
	mb_finish(st);
}

static int
mb_init(struct check *c)
{
	struct mb_state *st;

	if (mb_pool_start() == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->check = c;
	st->o = c->conf->opts;
	st->conn = mb_conn_get(c->dev->conf->address, st->o->port);
	st->deadline = evtimer_new(agent_base, mb_deadline_cb, st);
	if (st->conn == NULL || st->deadline == NULL) {
		if (st->deadline != NULL)
			event_free(st->deadline);
		mb_conn_put(st->conn);
		free(st);
		return -1;
	}
	c->state = st;
	return 0;
}

static void
mb_abandon(struct mb_state *st)
{
	evtimer_del(st->deadline);
	if (st->job != NULL) {
		st->job->st = NULL;
		st->job = NULL;
	}
	if (st->r != NULL) {
		fm_result_clear(st->r);
		free(st->r);
		st->r = NULL;
	}
}

static void
mb_cleanup(struct check *c)
{
	struct mb_state *st = c->state;

	if (st == NULL)
		return;
	mb_abandon(st);
	event_free(st->deadline);
	mb_conn_put(st->conn);
	free(st);
	c->state = NULL;
}

static void
mb_start(struct check *c)
{
	struct mb_state *st = c->state;
	const struct mb_opts *o = st->o;
	struct mb_job *j;
	struct timeval tv;
	int64_t	 left;

	if (st->r != NULL) {
		log_warnx("%s/%s: modbus probe started while one runs",
		    c->dev->conf->id, c->conf->id);
		mb_abandon(st);
	}
	st->r = result_new(c);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->ans = calloc((size_t)o->nranges, sizeof(*j->ans))) == NULL) {
		free(j);
		result_fail(st->r, PR_INTERNAL, "out of memory");
		probe_done_later(c, st->r);
		st->r = NULL;
		return;
	}
	j->st = st;
	j->conn = st->conn;
	j->conn->refs++;
	j->unit = o->unit;
	j->deadline_us = c->deadline_us;
	memcpy(j->ranges, o->ranges, sizeof(j->ranges));
	j->nranges = o->nranges;
	j->fatal = -1;
	j->phase = MJ_QUEUED;
	j->queued_us = mono_us();

	pthread_mutex_lock(&mb_pool.mtx);
	if (mb_pool.nqueued >= MB_QUEUE_MAX) {
		pthread_mutex_unlock(&mb_pool.mtx);
		mb_job_free(j);
		result_fail(st->r, PR_INTERNAL, "too many Modbus probes "
		    "waiting for a worker");
		probe_done_later(c, st->r);
		st->r = NULL;
		return;
	}
	if (mb_pool.tail != NULL)
		mb_pool.tail->next = j;
	else
		mb_pool.head = j;
	mb_pool.tail = j;
	mb_pool.nqueued++;
	mb_pool_maybe_grow(mb_pool.head, j->queued_us);
	pthread_cond_signal(&mb_pool.cv);
	pthread_mutex_unlock(&mb_pool.mtx);
	st->job = j;

	left = c->deadline_us - mono_us();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	evtimer_add(st->deadline, &tv);
}
