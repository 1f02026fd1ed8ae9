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
 * SNMP v1/v2c/v3 GET and table-column walks with net-snmp's
 * single-session API inside the libevent loop.
 *
 * Each check owns one session, opened once.  The session's socket has
 * one read event and the session one timer; after every operation that
 * may change net-snmp's idea of when it next needs to retransmit (a
 * send, a read, a timeout) the timer is re-armed from
 * snmp_sess_select_info2_flags().  Nothing here ever waits: a probe is a
 * chain of callbacks -- GET, then GETBULK (GETNEXT for v1) pages per
 * walked column -- and ends in cs_finish(), its one completion path.
 *
 * The probe's own deadline is separate from net-snmp's retransmission
 * timer: when it fires, the probe ends as a timeout and a late answer to
 * the outstanding request is recognised by its request id and ignored.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "probe.h"

#define SNMP_OIDS_MAX	128	/* OIDs in a GET, columns walked */
#define SNMP_WALK_ROWS	FM_VALUES_MAX

struct cs_oid {
	char		 name[FM_VNAME_MAX];
	oid		 o[MAX_OID_LEN];
	size_t		 len;
	/* The dictionary's object, when named from it. */
	const struct mibobj *mo;
};

/* The dictionary (mibdict.c) speaks unsigned long; so does net-snmp. */
_Static_assert(sizeof(oid) == sizeof(unsigned long), "oid is not u_long");

/* The device's clock since it (or its agent) restarted. */
static const oid sysuptime_oid[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid enginetime_oid[] = { 1, 3, 6, 1, 6, 3, 10, 2, 1, 3, 0 };

/*
 * A table discovered by the check: rows are those of an index column,
 * each named by a label column (the first of the label columns that is
 * not empty for it), filtered, and polled by their data columns under
 * "<label>.<column>".  Every column is one entry of one interned OID
 * list: the index, the label columns, then alias, admin and type when
 * given (-1 when not), then the data columns.
 */
#define TABLE_LABELS_MAX	4
#define TABLE_TYPES_MAX		32
#define TABLE_UTIL_MAX		4
#define TABLE_IDX_MAX		16	/* arcs of a row's index */
/*
 * A label in a value name, at most: room is left for "~<index>" (cut to
 * 31 bytes) and ".<column>Text" (a column's name has at most
 * TABLE_COLNAME_MAX bytes), so that every row's names fit FM_VNAME_MAX.
 */
#define TABLE_LABEL_MAX		150
#define TABLE_COLNAME_MAX	64

struct cs_util {
	char		 name[64];	/* "in_util" */
	int		 octets;	/* data column: a byte counter */
	int		 speed;		/* data column: the link speed */
};

struct cs_table {
	struct cs_oid	*cols;		/* interned */
	int		 ncols;
	int		 nlabel;	/* cols[1 .. nlabel] */
	int		 alias, admin, type;	/* index into cols, or -1 */
	int		 data;		/* first data column */
	long		 types[TABLE_TYPES_MAX];
	int		 ntypes;
	int		 has_exclude;
	regex_t		 exclude;
	char		 exclude_src[256];
	/* Rows whose label or alias match are graphed first (uplinks). */
	int		 has_important;
	regex_t		 important;
	int		 status;	/* data column whose 'status_ok' is up */
	long		 status_ok;
	struct cs_util	 util[TABLE_UTIL_MAX];
	int		 nutil;
	double		 speed_unit;	/* bit/s of one unit of the speed */
	int		 rediscover_ms;
};

struct cs_opts {
	long		 version;
	char		 community[128];
	int		 port;
	int		 retries;
	int		 max_rep;
	struct cs_oid	*get;
	int		 nget;
	struct cs_oid	*walk;
	int		 nwalk;
	struct cs_table	*table;		/* NULL: none */
	/* Values whose column (object) matches are graphed first. */
	int		 has_impcols;
	regex_t		 impcols;
	/* v3 */
	char		 secname[64];
	int		 seclevel;
	const oid	*auth_proto;
	size_t		 auth_proto_len;
	char		 auth_pass[128];
	const oid	*priv_proto;
	size_t		 priv_proto_len;
	char		 priv_pass[128];
	char		 context[64];
	u_char		 engine_id[32];
	size_t		 engine_id_len;
};

/*
 * The last raw value of a counter, to turn the next into a rate.  The
 * value's name is kept as a 64-bit hash: the names were most of the
 * agent's memory at 10,000 devices, and two names of one check colliding
 * is not a practical concern.
 */
struct csample {
	uint64_t	 key;
	uint64_t	 raw;
	int		 bits;
	/*
	 * When the answer came, in ms after the probe started: a probe that
	 * first walks a table's label columns reads the counters later than
	 * one that does not, and a rate over the probes' start times would
	 * be off by the difference.  (In the struct's padding: free.)
	 */
	int32_t		 off_ms;
};
_Static_assert(sizeof(struct csample) == 24, "a baseline grew");

static uint64_t
csample_key(const char *name)
{
	uint64_t h = 14695981039346656037ull;

	while (*name != '\0')
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return h;
}

struct cs_state {
	struct check	*c;
	void		*sess;
	struct snmpev	 ev;		/* the session on the loop */
	struct event	*deadline;	/* the probe's deadline */
	int		 reqid;		/* outstanding request, 0 if none */
	int		 in_start;
	int		 closing;
	struct fm_result *r;		/* probe in progress */
	int		 walk_i;	/* column being walked; -1: the GET */
	oid		*cur;		/* MAX_OID_LEN; only for walks */
	size_t		 curlen;
	int		 rows;
	int64_t		 sample_us;	/* when this probe's values were taken */
	/* counters: previous probe's values, and this probe's */
	struct csample	*prev;
	int		 nprev, capprev;
	int64_t		 prev_us;
	struct csample	*cur_s;
	int		 ncur, capcur;
	/*
	 * The GET of this probe: which OIDs are still asked (a v1 agent's
	 * noSuchName drops one and the request is sent again), which were
	 * missing, and whether the device's uptime rides along unasked.
	 * Index nget is that hidden uptime.
	 */
	char		*gmissing;	/* nget + 1 */
	int		*gidx;		/* OIDs of the request in flight */
	int		 ngidx;
	int		 nmissing;
	int		 uptime_polled;	/* the check asks for it itself */
	int		 hidden_uptime;	/* this probe asks for it unasked */
	/* uptime, hundredths of a second; -1: not read */
	int64_t		 up_cur, up_prev;
	int		 col_rows;	/* rows of the column being walked */
	int		 nempty;	/* walked columns with no rows */
	char		 empty[FM_ERRMSG_MAX];
	int64_t		 up_prev_seen;	/* up_prev before this probe */
	iconv_t		 conv;		/* the device's charset to UTF-8 */
	/*
	 * The table's rows as last discovered (sorted by index, as a walk
	 * returns them), the rows a discovery in progress is building, and
	 * when the next discovery is due.
	 */
	struct trow	*tr, *db;
	int		 ntr, ndb, capdb;
	int		 nkept;
	int64_t		 next_disc_us;
	int		 disc_due;	/* a row came or went: discover again */
	int		 discovering;	/* this probe walks the label columns */
	int		 nsteps;	/* columns this probe walks */
	int		*rvi;		/* per kept row and data column: value */
	int		 row_mode;	/* enum text after the column name */
	/*
	 * The values' description (VALMETA) is built again only when the
	 * rows were discovered again, the values' names changed (a port's
	 * utilisation came or went) or the agent connected again; the link
	 * compares it with what it last sent.
	 */
	uint64_t	 disc_gen;
	uint64_t	 meta_gen;
	uint64_t	 meta_epoch;	/* the link's, at the last one */
	uint64_t	 meta_names;	/* a hash of the values' names */
};

/* One row of a discovered table. */
struct trow {
	oid		 idx[TABLE_IDX_MAX];
	int		 idxlen;
	char		*label;		/* as the device says it, UTF-8 */
	char		*alias;
	char		*name;		/* fm_label_name() of the label */
	long		 admin, type;
	int		 has_admin, has_type;
	int		 keep;		/* passes the filters: polled */
	int		 seen;		/* answered in this probe's data walks */
};

static int	cs_send_next(struct cs_state *);
static void	trows_free(struct trow *, int);
static void	cs_complete(struct cs_state *);
static void	cs_meta(struct cs_state *);

static int	snmp_ready;
static char	mib_seen[4096];		/* what the MIB tree was read from */

/*
 * What the MIB tree depends on: the directories, and for each the
 * names, sizes and times of its files -- a MIB dropped into a directory
 * or edited in place changes it.  Folded into a string that is compared
 * with the last one; the files are few (a site's MIB directory holds
 * tens to hundreds), and it runs only when the configuration is read.
 */
static void
mib_signature(const char *mibdirs, char *out, size_t len)
{
	char	 dirs[PATH_MAX], *p, *dir;
	uint32_t h;
	size_t	 o = 0;

	out[0] = '\0';
	if (mibdirs == NULL || mibdirs[0] == '\0')
		return;
	fm_strlcpy(dirs, mibdirs, sizeof(dirs));
	for (p = dirs; (dir = strsep(&p, ":")) != NULL && o < len;) {
		DIR	*d;
		struct dirent *de;
		struct stat sb;
		int	 n = 0;

		h = 0;
		if ((d = opendir(dir)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' || fstatat(dirfd(d),
				    de->d_name, &sb, 0) == -1)
					continue;
				h = crc32c(h, de->d_name, strlen(de->d_name));
				h = crc32c(h, &sb.st_size, sizeof(sb.st_size));
				h = crc32c(h, &sb.st_mtim, sizeof(sb.st_mtim));
				n++;
			}
			closedir(d);
		}
		o += (size_t)snprintf(out + o, len - o, "%s:%d:%08x;", dir, n,
		    (unsigned)h);
	}
}

/* net-snmp reads the modules named by MIBS from the directory set. */
static void
mib_dirs_set(const char *mibdirs)
{
	char	 dirs[PATH_MAX + 2];

	/*
	 * Only the configured MIB directories are read, never the
	 * system's: Debian's are incomplete without the non-free IETF
	 * modules, and names must resolve the same way on every machine.
	 */
	const char *want = "", *cur = getenv("MIBS");

	if (mibdirs != NULL && mibdirs[0] != '\0') {
		fm_strlcpy(dirs, mibdirs, sizeof(dirs));
		netsnmp_set_mib_directory(dirs);
		want = "ALL";
	}
	/*
	 * setenv() only when the value changes: on a reload other threads
	 * (the Modbus pool's name lookups) may be reading the environment.
	 */
	if (cur == NULL || strcmp(cur, want) != 0)
		setenv("MIBS", want, 1);
}

/*
 * Called each time the configuration is read (conf.c), at start and on
 * every reload: the first call sets the library up, a later one reads
 * the MIB tree again when the directories or their files changed, so
 * that the names of a new MIB resolve after a reload.  OIDs already
 * parsed are numbers and do not depend on the tree.  (net-snmp keeps
 * 4.8 kB of each tree read: it is read again only when something
 * changed, not on every reload.)
 */
int
snmp_global_init(const char *mibdirs)
{
	char	 sig[sizeof(mib_seen)];

	mib_signature(mibdirs, sig, sizeof(sig));
	if (snmp_ready) {
		if (strcmp(sig, mib_seen) == 0)
			return 0;
		shutdown_mib();
		mib_dirs_set(mibdirs);
		init_mib();
		fm_strlcpy(mib_seen, sig, sizeof(mib_seen));
		log_info("MIB directories read again: %s", mibdirs != NULL &&
		    mibdirs[0] != '\0' ? mibdirs : "(none)");
		return 0;
	}
	/*
	 * The agent's behaviour must not depend on ~/.snmp or on Debian's
	 * /etc/snmp/snmp.conf (which turns MIB loading off), and it keeps
	 * no persistent state of its own.
	 */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_CONFIG_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS,
	    0);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_MIB_ERRORS, 0);
	mib_dirs_set(mibdirs);
	snmp_disable_log();
	init_snmp("facmon-agent");
	fm_strlcpy(mib_seen, sig, sizeof(mib_seen));
	snmp_ready = 1;
	return 0;
}

/* "1.3.6.1.2.1.1.3.0", ".1.3...", "sysUpTime.0", "IF-MIB::ifHCInOctets" */
static int
parse_oid_setting(struct cfgerr *e, const config_setting_t *s,
    struct cs_oid *so)
{
	const char *str = NULL;
	char	 name[FM_VNAME_MAX] = "", dname[FM_VNAME_MAX];

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		str = config_setting_get_string(s);
	else if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		static const char *const keys[] = { "name", "oid", NULL };

		cfg_check_keys(e, s, keys);
		if (cfg_get_str(e, s, "name", name, sizeof(name), 1) != 1)
			return -1;
		if (config_setting_lookup_string(s, "oid", &str) !=
		    CONFIG_TRUE) {
			cfgerr_add(e, s, "missing 'oid' (a string)");
			return -1;
		}
	} else {
		cfgerr_add(e, s, "an OID must be a string or "
		    "{ name = \"...\"; oid = \"...\"; }");
		return -1;
	}
	so->len = MAX_OID_LEN;
	/*
	 * The built-in dictionary first, so that standard names resolve
	 * without MIB files and the same way everywhere; then net-snmp's
	 * parser, for numbers and for names of MIB files on disk.  A name
	 * from the dictionary names its values without the module
	 * ("ifHCInOctets.3", not "IF-MIB::ifHCInOctets.3").
	 */
	if (str[0] != '\0' && mibdict_parse(str, (unsigned long *)so->o,
	    MAX_OID_LEN, &so->len, dname, sizeof(dname)) == 0) {
		str = dname;
		so->mo = mibdict_by_oid((unsigned long *)so->o, so->len);
	}
	else if (so->len = MAX_OID_LEN, str[0] == '\0' ||
	    snmp_parse_oid(str, so->o, &so->len) == NULL) {
		cfgerr_add(e, s, "cannot resolve OID '%s' (numeric, a standard "
		    "name such as IF-MIB::ifHCInOctets, or a name from the MIB "
		    "directories)", str);
		return -1;
	}
	if (name[0] == '\0' && strlen(str) >= sizeof(name)) {
		cfgerr_add(e, s, "OID '%s' is too long for a value name; give "
		    "it a name", str);
		return -1;
	}
	fm_strlcpy(so->name, name[0] ? name : (str[0] == '.' ? str + 1 : str),
	    sizeof(so->name));
	return 0;
}

/*
 * OID lists are shared between checks: a site polls thousands of devices
 * with the same few lists, and a parsed OID takes over a kilobyte
 * (net-snmp's fixed MAX_OID_LEN array), so one copy per check was most of
 * the agent's memory.  A list is interned when its check is parsed and
 * released with the check's options; lists are read-only once interned.
 */
struct oidlist {
	struct oidlist	*next;
	int		 refs;
	int		 n;
	uint32_t	 hash;
	struct cs_oid	 v[];
};

static struct oidlist *oidlists;

static uint32_t
oidlist_hash(const struct cs_oid *v, int n)
{
	uint32_t h = 2166136261u;
	int	 i;
	size_t	 k;

	for (i = 0; i < n; i++) {
		for (k = 0; v[i].name[k] != '\0'; k++)
			h = (h ^ (uint8_t)v[i].name[k]) * 16777619u;
		for (k = 0; k < v[i].len; k++)
			h = (h ^ (uint32_t)v[i].o[k]) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

static int
oidlist_equal(const struct cs_oid *a, const struct cs_oid *b, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (a[i].len != b[i].len || a[i].mo != b[i].mo ||
		    strcmp(a[i].name, b[i].name) != 0 ||
		    memcmp(a[i].o, b[i].o, a[i].len * sizeof(oid)) != 0)
			return 0;
	return 1;
}

/* Takes v (n parsed OIDs, heap); returns the shared copy. */
static struct cs_oid *
oidlist_intern(struct cs_oid *v, int n)
{
	struct oidlist *l;
	uint32_t h = oidlist_hash(v, n);

	for (l = oidlists; l != NULL; l = l->next)
		if (l->hash == h && l->n == n && oidlist_equal(l->v, v, n)) {
			l->refs++;
			free(v);
			return l->v;
		}
	if ((l = malloc(sizeof(*l) + (size_t)n * sizeof(*v))) == NULL)
		fatal("malloc");
	l->refs = 1;
	l->n = n;
	l->hash = h;
	memcpy(l->v, v, (size_t)n * sizeof(*v));
	free(v);
	l->next = oidlists;
	oidlists = l;
	return l->v;
}

static void
oidlist_release(struct cs_oid *v)
{
	struct oidlist *l, **pp;

	if (v == NULL)
		return;
	for (pp = &oidlists; (l = *pp) != NULL; pp = &l->next)
		if (l->v == v) {
			if (--l->refs == 0) {
				*pp = l->next;
				free(l);
			}
			return;
		}
	/* Not interned: the list of a check that failed to parse. */
	free(v);
}

static int
parse_oid_list(struct cfgerr *e, const config_setting_t *chk,
    const char *key, struct cs_oid **out, int *nout)
{
	config_setting_t *l = config_setting_get_member(chk, key);
	int	 i, j, n, bad = 0;

	if (l == NULL)
		return 0;
	if (!config_setting_is_aggregate(l) || config_setting_is_group(l)) {
		cfgerr_add(e, l, "'%s' must be a list of OIDs", key);
		return -1;
	}
	n = config_setting_length(l);
	if (n > SNMP_OIDS_MAX) {
		cfgerr_add(e, l, "'%s' has more than %d OIDs", key,
		    SNMP_OIDS_MAX);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*out = calloc((size_t)n, sizeof(**out))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		config_setting_t *el = config_setting_get_elem(l, (unsigned)i);

		if (parse_oid_setting(e, el, &(*out)[i]) == -1) {
			bad++;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp((*out)[i].name, (*out)[j].name) == 0) {
				cfgerr_add(e, el, "duplicate value name '%s'",
				    (*out)[i].name);
				bad++;
			}
	}
	*nout = n;
	if (bad)
		return -1;
	*out = oidlist_intern(*out, n);
	return 0;
}

static int
parse_hex(const char *s, u_char *out, size_t max, size_t *len)
{
	size_t	 n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] != '\0') {
		unsigned int v;

		if (s[0] == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || n == max)
			return -1;
		sscanf(s, "%2x", &v);
		out[n++] = (u_char)v;
		s += 2;
	}
	if (n < 5)
		return -1;
	*len = n;
	return 0;
}

static void
parse_v3(struct cfgerr *e, const config_setting_t *s, struct cs_opts *o)
{
	char	 buf[128];

	cfg_get_str(e, s, "security_name", o->secname, sizeof(o->secname), 1);
	o->seclevel = SNMP_SEC_LEVEL_AUTHPRIV;
	if (cfg_get_str(e, s, "security_level", buf, sizeof(buf), 0) == 1) {
		if (strcmp(buf, "noAuthNoPriv") == 0)
			o->seclevel = SNMP_SEC_LEVEL_NOAUTH;
		else if (strcmp(buf, "authNoPriv") == 0)
			o->seclevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
		else if (strcmp(buf, "authPriv") == 0)
			o->seclevel = SNMP_SEC_LEVEL_AUTHPRIV;
		else
			cfgerr_add(e, config_setting_get_member(s,
			    "security_level"), "security_level must be "
			    "noAuthNoPriv, authNoPriv or authPriv");
	}
	o->auth_proto = usmHMACSHA1AuthProtocol;
	o->auth_proto_len = OID_LENGTH(usmHMACSHA1AuthProtocol);
	if (cfg_get_str(e, s, "auth_protocol", buf, sizeof(buf), 0) == 1) {
		if (strcmp(buf, "SHA") == 0)
			;
		else if (strcmp(buf, "SHA-256") == 0) {
			o->auth_proto = usmHMAC192SHA256AuthProtocol;
			o->auth_proto_len =
			    OID_LENGTH(usmHMAC192SHA256AuthProtocol);
		} else if (strcmp(buf, "MD5") == 0) {
			o->auth_proto = usmHMACMD5AuthProtocol;
			o->auth_proto_len = OID_LENGTH(usmHMACMD5AuthProtocol);
		} else
			cfgerr_add(e, config_setting_get_member(s,
			    "auth_protocol"), "auth_protocol must be SHA, "
			    "SHA-256 or MD5");
	}
	o->priv_proto = usmAESPrivProtocol;
	o->priv_proto_len = OID_LENGTH(usmAESPrivProtocol);
	if (cfg_get_str(e, s, "priv_protocol", buf, sizeof(buf), 0) == 1) {
		if (strcmp(buf, "AES") == 0)
			;
		else if (strcmp(buf, "DES") == 0) {
			o->priv_proto = usmDESPrivProtocol;
			o->priv_proto_len = OID_LENGTH(usmDESPrivProtocol);
		} else
			cfgerr_add(e, config_setting_get_member(s,
			    "priv_protocol"), "priv_protocol must be AES or DES");
	}
	if (o->seclevel != SNMP_SEC_LEVEL_NOAUTH &&
	    cfg_get_str(e, s, "auth_passphrase", o->auth_pass,
	    sizeof(o->auth_pass), 1) == 1 && strlen(o->auth_pass) < 8)
		cfgerr_add(e, config_setting_get_member(s, "auth_passphrase"),
		    "auth_passphrase must have at least 8 characters");
	if (o->seclevel == SNMP_SEC_LEVEL_AUTHPRIV &&
	    cfg_get_str(e, s, "priv_passphrase", o->priv_pass,
	    sizeof(o->priv_pass), 1) == 1 && strlen(o->priv_pass) < 8)
		cfgerr_add(e, config_setting_get_member(s, "priv_passphrase"),
		    "priv_passphrase must have at least 8 characters");
	cfg_get_str(e, s, "context", o->context, sizeof(o->context), 0);
	/*
	 * Engine-ID discovery is a blocking round trip inside net-snmp, so
	 * the agent does not do it: the operator reads the ID once
	 * (snmpget -v3 ... 1.3.6.1.6.3.10.2.1.1.0) and configures it.
	 */
	if (cfg_get_str(e, s, "engine_id", buf, sizeof(buf), 0) != 1)
		cfgerr_add(e, s, "SNMPv3 needs 'engine_id' (hex, e.g. "
		    "\"0x80001f8880...\"); read it with snmpget -v3 ... "
		    "1.3.6.1.6.3.10.2.1.1.0");
	else if (parse_hex(buf, o->engine_id, sizeof(o->engine_id),
	    &o->engine_id_len) == -1)
		cfgerr_add(e, config_setting_get_member(s, "engine_id"),
		    "engine_id must be 5 to 32 bytes in hex");
}

static const char *const table_keys[] = { "index", "label", "alias",
	"admin", "type", "types", "exclude", "columns", "status", "status_ok",
	"utilisation", "speed_unit", "rediscover", "important", NULL };

/*
 * An 'important' regular expression (extended, case-insensitive):
 * compiled here, its error reported at the setting's line, so that
 * facmon-agent -n finds a bad one.  Returns 1 when compiled.
 */
static int
parse_important(struct cfgerr *e, const config_setting_t *s, const char *key,
    const char *where, regex_t *re)
{
	char	 src[256], buf[256];
	int	 rc;

	if (cfg_get_str(e, s, key, src, sizeof(src), 0) != 1 ||
	    src[0] == '\0')
		return 0;
	if ((rc = regcomp(re, src, REG_EXTENDED | REG_ICASE | REG_NOSUB)) !=
	    0) {
		regerror(rc, re, buf, sizeof(buf));
		cfgerr_add(e, config_setting_get_member(s, key), "%s%s '%s': "
		    "%s", where, key, src, buf);
		return 0;
	}
	return 1;
}

/* A data column by its value name ("ifHCInOctets" or "IF-MIB::..."). */
static int
table_col(const struct cs_table *tb, const struct cs_oid *v, int n,
    const char *name)
{
	const char *p = strstr(name, "::");
	int	 i;

	if (p != NULL)
		name = p + 2;
	for (i = tb->data; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return i;
	return -1;
}

static int
table_col_setting(struct cfgerr *e, const config_setting_t *t,
    const char *key, const struct cs_table *tb, const struct cs_oid *v,
    int n, int *out)
{
	const char *str;
	config_setting_t *m = config_setting_get_member(t, key);

	if (m == NULL)
		return 0;
	if ((str = config_setting_get_string(m)) == NULL ||
	    (*out = table_col(tb, v, n, str)) == -1) {
		cfgerr_add(e, m, "table: '%s' must name one of the table's "
		    "columns", key);
		return -1;
	}
	return 1;
}

/* One optional discovery column: its index in v, or -1. */
static int
table_opt_col(struct cfgerr *e, const config_setting_t *t, const char *key,
    struct cs_oid *v, int *k, int *bad)
{
	config_setting_t *m = config_setting_get_member(t, key);

	if (m == NULL)
		return -1;
	if (parse_oid_setting(e, m, &v[*k]) == -1) {
		(*bad)++;
		return -1;
	}
	return (*k)++;
}

static void
parse_table(struct cfgerr *e, const config_setting_t *t, struct cs_opts *o)
{
	struct cs_table *tb;
	struct cs_oid *v;
	config_setting_t *m, *lab, *cols, *el;
	int	 i, j, k = 0, n, nlab, ncols, bad = 0;
	long long ll;
	char	 buf[256];

	if (config_setting_type(t) != CONFIG_TYPE_GROUP) {
		cfgerr_add(e, t, "'table' must be a group { index = ...; ... }");
		return;
	}
	cfg_check_keys(e, t, table_keys);
	if ((tb = calloc(1, sizeof(*tb))) == NULL)
		fatal("calloc");
	o->table = tb;
	tb->alias = tb->admin = tb->type = tb->status = -1;
	if ((m = config_setting_get_member(t, "index")) == NULL) {
		cfgerr_add(e, t, "table: missing 'index' (the column whose "
		    "rows are the table's, e.g. \"IF-MIB::ifIndex\")");
		return;
	}
	lab = config_setting_get_member(t, "label");
	nlab = lab == NULL ? 0 : config_setting_type(lab) == CONFIG_TYPE_STRING ?
	    1 : config_setting_is_array(lab) || config_setting_is_list(lab) ?
	    config_setting_length(lab) : -1;
	if (nlab < 1 || nlab > TABLE_LABELS_MAX) {
		cfgerr_add(e, lab ? lab : t, "table: 'label' must be a column "
		    "or a list of 1 to %d columns, tried in order",
		    TABLE_LABELS_MAX);
		return;
	}
	cols = config_setting_get_member(t, "columns");
	if (cols == NULL || !(config_setting_is_array(cols) ||
	    config_setting_is_list(cols)) ||
	    (ncols = config_setting_length(cols)) < 1 ||
	    ncols > SNMP_OIDS_MAX) {
		cfgerr_add(e, cols ? cols : t, "table: 'columns' must list 1 "
		    "to %d columns to poll", SNMP_OIDS_MAX);
		return;
	}
	n = 1 + nlab + 3 + ncols;
	if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
		fatal("calloc");
	if (parse_oid_setting(e, m, &v[k++]) == -1)
		bad++;
	for (i = 0; i < nlab; i++) {
		el = config_setting_type(lab) == CONFIG_TYPE_STRING ? lab :
		    config_setting_get_elem(lab, (unsigned)i);
		if (parse_oid_setting(e, el, &v[k++]) == -1)
			bad++;
	}
	tb->nlabel = nlab;
	tb->alias = table_opt_col(e, t, "alias", v, &k, &bad);
	tb->admin = table_opt_col(e, t, "admin", v, &k, &bad);
	tb->type = table_opt_col(e, t, "type", v, &k, &bad);
	tb->data = k;
	for (i = 0; i < ncols; i++) {
		el = config_setting_get_elem(cols, (unsigned)i);
		if (parse_oid_setting(e, el, &v[k]) == -1) {
			bad++;
			continue;
		}
		if (strlen(v[k].name) > TABLE_COLNAME_MAX) {
			cfgerr_add(e, el, "table: column name '%s' is longer "
			    "than %d bytes; give it a shorter name", v[k].name,
			    TABLE_COLNAME_MAX);
			bad++;
		}
		for (j = tb->data; j < k; j++)
			if (strcmp(v[j].name, v[k].name) == 0) {
				cfgerr_add(e, el, "table: duplicate column '%s'",
				    v[k].name);
				bad++;
			}
		k++;
	}
	tb->ncols = k;
	if ((m = config_setting_get_member(t, "types")) != NULL) {
		if (!config_setting_is_array(m) ||
		    config_setting_length(m) > TABLE_TYPES_MAX ||
		    tb->type < 0)
			cfgerr_add(e, m, "table: 'types' must be an array of "
			    "up to %d numbers, with 'type' naming the column",
			    TABLE_TYPES_MAX);
		else
			for (i = 0; i < config_setting_length(m); i++)
				tb->types[tb->ntypes++] = (long)
				    config_setting_get_int64_elem(m, i);
	}
	if (cfg_get_str(e, t, "exclude", tb->exclude_src,
	    sizeof(tb->exclude_src), 0) == 1 && tb->exclude_src[0] != '\0') {
		int	 rc = regcomp(&tb->exclude, tb->exclude_src,
		    REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			regerror(rc, &tb->exclude, buf, sizeof(buf));
			cfgerr_add(e, config_setting_get_member(t, "exclude"),
			    "table: exclude '%s': %s", tb->exclude_src, buf);
		} else
			tb->has_exclude = 1;
	}
	tb->has_important = parse_important(e, t, "important", "table: ",
	    &tb->important);
	if (table_col_setting(e, t, "status", tb, v, k, &tb->status) == -1)
		bad++;
	tb->status_ok = 1;
	if (cfg_get_int(e, t, "status_ok", &ll, LONG_MIN, LONG_MAX, 0) == 1)
		tb->status_ok = (long)ll;
	if ((m = config_setting_get_member(t, "utilisation")) != NULL) {
		if (!config_setting_is_list(m) ||
		    config_setting_length(m) > TABLE_UTIL_MAX) {
			cfgerr_add(e, m, "table: 'utilisation' must be a list "
			    "of up to %d { name; octets; speed; }",
			    TABLE_UTIL_MAX);
			bad++;
		} else
			for (i = 0; i < config_setting_length(m); i++) {
				static const char *const ukeys[] = { "name",
				    "octets", "speed", NULL };
				struct cs_util *u = &tb->util[tb->nutil];

				el = config_setting_get_elem(m, (unsigned)i);
				if (!config_setting_is_group(el)) {
					cfgerr_add(e, el, "table: a utilisation "
					    "must be { name; octets; speed; }");
					bad++;
					continue;
				}
				cfg_check_keys(e, el, ukeys);
				if (cfg_get_str(e, el, "name", u->name,
				    sizeof(u->name), 1) != 1 ||
				    table_col_setting(e, el, "octets", tb, v, k,
				    &u->octets) != 1 ||
				    table_col_setting(e, el, "speed", tb, v, k,
				    &u->speed) != 1) {
					bad++;
					continue;
				}
				if (strchr(u->name, '.') != NULL) {
					cfgerr_add(e, el, "table: a utilisation's "
					    "name has no '.'");
					bad++;
					continue;
				}
				tb->nutil++;
			}
	}
	/* ifHighSpeed counts megabits a second. */
	tb->speed_unit = 1e6;
	if ((m = config_setting_get_member(t, "speed_unit")) != NULL) {
		if ((config_setting_type(m) != CONFIG_TYPE_INT &&
		    config_setting_type(m) != CONFIG_TYPE_INT64 &&
		    config_setting_type(m) != CONFIG_TYPE_FLOAT) ||
		    (tb->speed_unit = config_setting_type(m) ==
		    CONFIG_TYPE_FLOAT ? config_setting_get_float(m) :
		    (double)config_setting_get_int64(m)) <= 0)
			cfgerr_add(e, m, "table: speed_unit must be a number of "
			    "bit/s above 0");
	}
	tb->rediscover_ms = 3600 * 1000;
	cfg_get_secs(e, t, "rediscover", &tb->rediscover_ms, 1000, 86400000,
	    0);
	if (bad) {
		free(v);
		return;
	}
	tb->cols = oidlist_intern(v, k);
}

static void
table_free(struct cs_table *tb)
{
	if (tb == NULL)
		return;
	oidlist_release(tb->cols);
	if (tb->has_exclude)
		regfree(&tb->exclude);
	if (tb->has_important)
		regfree(&tb->important);
	free(tb);
}

static int
cs_parse(struct cfgerr *e, const config_setting_t *s, struct check_conf *cc,
    const struct device_conf *dc)
{
	struct cs_opts *o;
	char	 ver[8] = "2c";
	long long v;
	int	 nerr = e->n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	cc->opts = o;
	if (dc->address[0] == '\0')
		cfgerr_add(e, s, "check '%s': an snmp check needs the device's "
		    "address", cc->id);
	cfg_get_str(e, s, "version", ver, sizeof(ver), 0);
	if (strcmp(ver, "1") == 0)
		o->version = SNMP_VERSION_1;
	else if (strcmp(ver, "2c") == 0)
		o->version = SNMP_VERSION_2c;
	else if (strcmp(ver, "3") == 0)
		o->version = SNMP_VERSION_3;
	else
		cfgerr_add(e, config_setting_get_member(s, "version"),
		    "version must be \"1\", \"2c\" or \"3\"");
	fm_strlcpy(o->community, "public", sizeof(o->community));
	cfg_get_str(e, s, "community", o->community, sizeof(o->community), 0);
	o->port = 161;
	if (cfg_get_int(e, s, "port", &v, 1, 65535, 0) == 1)
		o->port = (int)v;
	o->retries = 1;
	if (cfg_get_int(e, s, "retries", &v, 0, 5, 0) == 1)
		o->retries = (int)v;
	o->max_rep = 20;
	if (cfg_get_int(e, s, "max_repetitions", &v, 1, 200, 0) == 1)
		o->max_rep = (int)v;
	if (o->version == SNMP_VERSION_3)
		parse_v3(e, s, o);
	parse_oid_list(e, s, "get", &o->get, &o->nget);
	parse_oid_list(e, s, "walk", &o->walk, &o->nwalk);
	if (config_setting_get_member(s, "table") != NULL)
		parse_table(e, config_setting_get_member(s, "table"), o);
	o->has_impcols = parse_important(e, s, "important_columns", "",
	    &o->impcols);
	if (o->nget == 0 && o->nwalk == 0 && o->table == NULL)
		cfgerr_add(e, s, "check '%s': an snmp check needs 'get' or "
		    "'walk' OIDs, or a 'table'", cc->id);
	return e->n > nerr ? -1 : 0;
}

static void
cs_free_opts(void *p)
{
	struct cs_opts *o = p;

	oidlist_release(o->get);
	oidlist_release(o->walk);
	table_free(o->table);
	if (o->has_impcols)
		regfree(&o->impcols);
	free(o);
}

static const char *const cs_keys[] = { "version", "community", "port",
	"retries", "max_repetitions", "get", "walk", "table", "security_name",
	"security_level", "auth_protocol", "auth_passphrase", "priv_protocol",
	"priv_passphrase", "context", "engine_id", "important_columns", NULL };

/* Probe life cycle. */

static void
cs_finish(struct cs_state *st)
{
	struct check *c = st->c;
	struct fm_result *r = st->r;
	struct csample *tmp;
	int	 tcap;

	st->r = NULL;
	st->reqid = 0;
	evtimer_del(st->deadline);
	/*
	 * This probe's counters become the baseline for the next, even if
	 * it failed half-way: values it did read are still real.
	 */
	if (st->ncur > 0 || r->outcome == PR_OK) {
		tmp = st->prev;
		tcap = st->capprev;
		st->prev = st->cur_s;
		st->capprev = st->capcur;
		st->nprev = st->ncur;
		st->prev_us = st->sample_us;
		st->cur_s = tmp;
		st->capcur = tcap;
	}
	st->ncur = 0;
	free(st->rvi);
	st->rvi = NULL;
	/* A discovery cut short leaves the last complete one in place. */
	trows_free(st->db, st->ndb);
	st->db = NULL;
	st->ndb = st->capdb = 0;
	if (st->in_start)
		probe_done_later(c, r);
	else
		probe_done(c, r);
}

static void
cs_fail(struct cs_state *st, int outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cs_fail(struct cs_state *st, int outcome, const char *fmt, ...)
{
	va_list	 ap;

	st->r->outcome = (uint8_t)outcome;
	va_start(ap, fmt);
	vsnprintf(st->r->msg, sizeof(st->r->msg), fmt, ap);
	va_end(ap);
	cs_finish(st);
}

static int
csample_find(struct cs_state *st, uint64_t key, int hint)
{
	int	 i;

	if (hint >= 0 && hint < st->nprev && st->prev[hint].key == key)
		return hint;
	for (i = 0; i < st->nprev; i++)
		if (st->prev[i].key == key)
			return i;
	return -1;
}

/* Record a counter and its rate since the previous probe. */
static void
cs_counter(struct cs_state *st, const char *name, uint64_t raw, int bits)
{
	double	 rate = NAN;
	uint64_t delta;
	uint64_t key = csample_key(name);
	int	 i = csample_find(st, key, st->ncur);
	int64_t	 off = (mono_us() - st->sample_us) / 1000, now_us, then_us;

	if (off < 0 || off > INT32_MAX)
		off = 0;
	now_us = st->sample_us + off * 1000;
	then_us = i >= 0 ? st->prev_us + (int64_t)st->prev[i].off_ms * 1000 :
	    0;
	if (i >= 0 && now_us > then_us &&
	    counter_delta(st->prev[i].raw, raw, bits, &delta) == 0)
		rate = (double)delta * 1e6 / (double)(now_us - then_us);
	if (st->ncur == st->capcur) {
		const struct cs_opts *o = st->c->conf->opts;
		/* A GET-only check has at most nget counters. */
		int	 ncap = st->capcur ? st->capcur * 2 :
		    (o->nwalk == 0 && o->nget > 0 ? o->nget : 16);
		struct csample *n = realloc(st->cur_s, (size_t)ncap *
		    sizeof(*n));

		if (n == NULL)
			fatal("realloc");
		st->cur_s = n;
		st->capcur = ncap;
	}
	st->cur_s[st->ncur].key = key;
	st->cur_s[st->ncur].raw = raw;
	st->cur_s[st->ncur].bits = bits;
	st->cur_s[st->ncur].off_ms = (int32_t)off;
	st->ncur++;
	result_add_counter(st->r, name, raw, rate);
}

/* One varbind into the result.  Returns 0, or -1 for a type we refuse. */
/*
 * An enumerated object named from the dictionary also gets its value in
 * words beside the number, which stays for graphs and expectations:
 * "ifOperStatus.3" = 2 and "ifOperStatusText.3" = "down".  The word
 * goes after the object's name, so "ifOperStatus.*" still matches
 * numbers only.
 */
static void
cs_enum_text(struct cs_state *st, const char *name,
    const struct mibobj *mo, long val)
{
	char	 word[64], tname[FM_VNAME_MAX];
	const char *dot = strchr(name, '.');
	int	 n = dot ? (int)(dot - name) : (int)strlen(name);

	if (mo->enums == NULL ||
	    mibdict_enum(mo, val, word, sizeof(word)) == NULL)
		return;
	/* A table row's column: "<label>.ifOperStatusText". */
	if (st->row_mode) {
		if ((size_t)snprintf(tname, sizeof(tname), "%sText", name) >=
		    sizeof(tname))
			return;
	} else if ((size_t)snprintf(tname, sizeof(tname), "%.*sText%s", n,
	    name, dot ? dot : "") >= sizeof(tname))
		return;
	result_add_text(st->r, tname, word);
}

/*
 * Text in the device's own charset (GBK on many switches sold in China)
 * into UTF-8.  Returns 0 with buf filled, or -1: no charset, or bytes
 * that are not text in it either (a MAC address), which stay hex.
 */
static int
cs_convert(struct cs_state *st, const u_char *in, size_t inlen, char *buf,
    size_t buflen)
{
	if (st->conv == (iconv_t)-1)
		return -1;
	return fm_iconv_text(st->conv, in, inlen, buf, buflen) == -1 ? -1 : 0;
}

/*
 * An OCTET STRING as text: DateAndTime by its DISPLAY-HINT, text in the
 * device's charset as UTF-8, UTF-8 as it is (cut at a character
 * boundary), anything else (a MAC address, a bitmap) as hex.
 */
static void
cs_octets(struct cs_state *st, const netsnmp_variable_list *v,
    const struct mibobj *mo, char *buf, size_t len)
{
	size_t	 i, o;

	/*
	 * DateAndTime (SNMPv2-TC): its DISPLAY-HINT
	 * "2d-1d-1d,1d:1d:1d.1d,1a1d:1d", as ISO 8601 text.
	 */
	if (mo != NULL && mo->syntax == MS_DATETIME &&
	    (v->val_len == 8 || v->val_len == 11)) {
		const u_char *d = v->val.string;

		o = (size_t)snprintf(buf, len,
		    "%04u-%02u-%02uT%02u:%02u:%02u.%u",
		    (unsigned)(d[0] << 8 | d[1]), d[2], d[3], d[4],
		    d[5], d[6], d[7]);
		if (v->val_len == 11 && o < len)
			snprintf(buf + o, len - o, "%c%02u:%02u",
			    d[8] == '-' ? '-' : '+', d[9], d[10]);
		return;
	}
	if (!fm_utf8_printable(v->val.string, v->val_len) &&
	    cs_convert(st, v->val.string, v->val_len, buf, len) == 0)
		return;
	if (fm_utf8_printable(v->val.string, v->val_len)) {
		/*
		 * Text stays text however long; past the limit it is
		 * cut at a character boundary, never turned to hex.
		 */
		o = v->val_len < len ? v->val_len : len - 1;
		while (o > 0 && o < v->val_len &&
		    (v->val.string[o] & 0xc0) == 0x80)
			o--;
		memcpy(buf, v->val.string, o);
		buf[o] = '\0';
	} else {
		/* Binary (a MAC address, a bitmap): hex. */
		for (i = 0, o = 0; i < v->val_len && o + 4 < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%02x",
			    i ? ":" : "", v->val.string[i]);
		buf[o] = '\0';
	}
}

static int
cs_value(struct cs_state *st, const char *name, netsnmp_variable_list *v,
    const struct mibobj *mo)
{
	char	 buf[FM_VTEXT_MAX];
	size_t	 i, o;

	switch (v->type) {
	case ASN_INTEGER:
		result_add_gauge(st->r, name, (double)*v->val.integer);
		if (mo != NULL)
			cs_enum_text(st, name, mo, *v->val.integer);
		return 0;
	case ASN_GAUGE:		/* also ASN_UNSIGNED */
	case ASN_UINTEGER:
		result_add_gauge(st->r, name,
		    (double)(unsigned long)*v->val.integer);
		return 0;
	case ASN_TIMETICKS:
		/* Hundredths of a second; stored in seconds. */
		result_add_gauge(st->r, name,
		    (double)(unsigned long)*v->val.integer / 100.0);
		return 0;
	case ASN_COUNTER:
		cs_counter(st, name, (unsigned long)*v->val.integer &
		    0xffffffffUL, 32);
		return 0;
	case ASN_COUNTER64:
		cs_counter(st, name, ((uint64_t)v->val.counter64->high << 32) |
		    (v->val.counter64->low & 0xffffffffUL), 64);
		return 0;
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_FLOAT:
		result_add_gauge(st->r, name, (double)*v->val.floatVal);
		return 0;
	case ASN_OPAQUE_DOUBLE:
		result_add_gauge(st->r, name, *v->val.doubleVal);
		return 0;
#endif
	case ASN_OCTET_STR:
		cs_octets(st, v, mo, buf, sizeof(buf));
		result_add_text(st->r, name, buf);
		return 0;
	case ASN_IPADDRESS:
		if (v->val_len != 4)
			return -1;
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v->val.string[0],
		    v->val.string[1], v->val.string[2], v->val.string[3]);
		result_add_text(st->r, name, buf);
		return 0;
	case ASN_OBJECT_ID:
		for (i = 0, o = 0; i < v->val_len / sizeof(oid) &&
		    o + 12 < sizeof(buf); i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "%s%lu", i ? "." : "", (unsigned long)v->val.objid[i]);
		buf[o] = '\0';
		result_add_text(st->r, name, buf);
		return 0;
	default:
		return -1;
	}
}

/* Note the device's uptime when v is sysUpTime.0 or snmpEngineTime.0. */
static void
cs_note_uptime(struct cs_state *st, const netsnmp_variable_list *v)
{
	if (v->type == ASN_TIMETICKS && snmp_oid_compare(v->name,
	    v->name_length, sysuptime_oid, OID_LENGTH(sysuptime_oid)) == 0)
		st->up_cur = (int64_t)(unsigned long)*v->val.integer &
		    0xffffffff;
	else if (v->type == ASN_INTEGER && st->up_cur < 0 &&
	    snmp_oid_compare(v->name, v->name_length, enginetime_oid,
	    OID_LENGTH(enginetime_oid)) == 0 && *v->val.integer >= 0)
		st->up_cur = (int64_t)*v->val.integer * 100;
}

/* A value was refused (too many, too big): the probe says so. */
static int
cs_check_limits(struct cs_state *st)
{
	if (st->r->nrefused == 0)
		return 0;
	cs_fail(st, PR_SNMP_ERROR, "more than %d values or %u bytes in one "
	    "check: split the table over several checks", FM_VALUES_MAX,
	    (unsigned)FM_RESULT_BYTES_MAX);
	return -1;
}

static void
cs_add_missing(struct cs_state *st, int gi)
{
	if (gi >= 0 && !st->gmissing[gi]) {
		st->gmissing[gi] = 1;
		if (gi < ((const struct cs_opts *)st->c->conf->opts)->nget)
			st->nmissing++;
	}
}

static const char *
cs_errname(long errstat)
{
	return snmp_errstring((int)errstat);
}

/*
 * What walk step k reads: the check's own columns first, then the
 * table's label and filter columns when this probe discovers, then the
 * table's data columns.  *tcol is the column's place in the table.
 */
enum { WK_PLAIN, WK_DISC, WK_DATA };

static const struct cs_oid *
cs_step(const struct cs_state *st, int k, int *kind, int *tcol)
{
	const struct cs_opts *o = st->c->conf->opts;
	const struct cs_table *tb = o->table;

	*tcol = -1;
	if (k < o->nwalk) {
		*kind = WK_PLAIN;
		return &o->walk[k];
	}
	k -= o->nwalk;
	if (!st->discovering)
		k += tb->data;
	*kind = k < tb->data ? WK_DISC : WK_DATA;
	*tcol = k;
	return &tb->cols[k];
}

static void
trows_free(struct trow *r, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		free(r[i].label);
		free(r[i].alias);
		free(r[i].name);
	}
	free(r);
}

/* The row of index idx, by bisection: rows are in walk (index) order. */
static struct trow *
trow_find(struct trow *r, int n, const oid *idx, size_t len)
{
	int	 lo = 0, hi = n - 1, mid, c;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		c = snmp_oid_compare(r[mid].idx, (size_t)r[mid].idxlen, idx,
		    len);
		if (c == 0)
			return &r[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* A discovery column's answer for one row. */
static void
cs_disc_row(struct cs_state *st, int tcol, const struct cs_oid *col,
    const netsnmp_variable_list *v)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	size_t	 il = v->name_length - col->len;
	struct trow *r;
	char	 buf[FM_VTEXT_MAX];

	if (il == 0 || il > TABLE_IDX_MAX)
		return;		/* not a row this table can name */
	if (tcol == 0) {
		if (st->ndb == FM_VALUES_MAX)
			return;
		if (st->ndb == st->capdb) {
			int	 ncap = st->capdb ? st->capdb * 2 : 64;
			struct trow *n = realloc(st->db, (size_t)ncap *
			    sizeof(*n));

			if (n == NULL)
				fatal("realloc");
			st->db = n;
			st->capdb = ncap;
		}
		r = &st->db[st->ndb++];
		memset(r, 0, sizeof(*r));
		memcpy(r->idx, v->name + col->len, il * sizeof(oid));
		r->idxlen = (int)il;
		return;
	}
	if ((r = trow_find(st->db, st->ndb, v->name + col->len, il)) == NULL)
		return;		/* a row the index column did not have */
	if ((tcol <= tb->nlabel || tcol == tb->alias) &&
	    v->type == ASN_OCTET_STR) {
		char	**dst = tcol == tb->alias ? &r->alias : &r->label;

		/* The first label column that names the row wins. */
		if (*dst != NULL && (*dst)[0] != '\0')
			return;
		cs_octets(st, v, col->mo, buf, sizeof(buf));
		free(*dst);
		if ((*dst = strdup(buf)) == NULL)
			fatal("strdup");
	} else if (tcol == tb->admin && v->type == ASN_INTEGER) {
		r->admin = *v->val.integer;
		r->has_admin = 1;
	} else if (tcol == tb->type && v->type == ASN_INTEGER) {
		r->type = *v->val.integer;
		r->has_type = 1;
	}
}

static int
trow_cmp_name(const void *a, const void *b)
{
	const struct trow *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* "1.2" as "1-2": an index inside a label has no dot. */
static void
idx_text(const struct trow *r, char *buf, size_t len)
{
	size_t	 o = 0;
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < r->idxlen && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lu", i ? "-" : "",
		    (unsigned long)r->idx[i]);
}

/*
 * The label columns are walked: name every row, apply the filters, and
 * make the new rows the table's.  Two rows whose labels are the same
 * (two ports without a name, one ifDescr for two) are both told apart by
 * their index, "<name>~<index>", so neither name depends on which came
 * first; a row without any label is "row~<index>".
 */
static void
cs_disc_finish(struct cs_state *st)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	struct trow **by;
	char	 name[FM_VNAME_MAX], idx[32];
	int	 i, j;

	st->nkept = 0;
	for (i = 0; i < st->ndb; i++) {
		struct trow *r = &st->db[i];

		if (r->label != NULL && r->label[0] != '\0')
			fm_label_name(name, TABLE_LABEL_MAX, r->label);
		else {
			idx_text(r, idx, sizeof(idx));
			snprintf(name, sizeof(name), "row~%s", idx);
		}
		if ((r->name = strdup(name)) == NULL)
			fatal("strdup");
		r->keep = 1;
		if (tb->admin >= 0 && (!r->has_admin || r->admin != 1))
			r->keep = 0;
		if (tb->ntypes > 0) {
			for (j = 0; j < tb->ntypes; j++)
				if (r->has_type && r->type == tb->types[j])
					break;
			if (j == tb->ntypes)
				r->keep = 0;
		}
		if (tb->has_exclude && r->label != NULL &&
		    regexec(&tb->exclude, r->label, 0, NULL, 0) == 0)
			r->keep = 0;
		st->nkept += r->keep;
	}
	if (st->ndb > 1) {
		if ((by = calloc((size_t)st->ndb, sizeof(*by))) == NULL)
			fatal("calloc");
		for (i = 0; i < st->ndb; i++)
			by[i] = &st->db[i];
		qsort(by, (size_t)st->ndb, sizeof(*by), trow_cmp_name);
		for (i = 0; i < st->ndb; i = j) {
			for (j = i + 1; j < st->ndb &&
			    strcmp(by[i]->name, by[j]->name) == 0; j++)
				;
			if (j - i == 1 || strchr(by[i]->name, '~') != NULL)
				continue;
			for (; i < j; i++) {
				idx_text(by[i], idx, sizeof(idx));
				snprintf(name, sizeof(name), "%s~%s",
				    by[i]->name, idx);
				free(by[i]->name);
				if ((by[i]->name = strdup(name)) == NULL)
					fatal("strdup");
			}
		}
		free(by);
	}
	if (st->ntr != st->ndb || st->nkept == 0)
		log_debug("%s/%s: %d rows, %d kept by the filters",
		    st->c->dev->conf->id, st->c->conf->id, st->ndb,
		    st->nkept);
	trows_free(st->tr, st->ntr);
	st->tr = st->db;
	st->ntr = st->ndb;
	st->db = NULL;
	st->ndb = st->capdb = 0;
	st->disc_due = 0;
	st->next_disc_us = mono_us() + (int64_t)tb->rediscover_ms * 1000;
	st->disc_gen++;
}

/* A data column's answer for one row: "<label>.<column>". */
static int
cs_data_row(struct cs_state *st, int tcol, const struct cs_oid *col,
    netsnmp_variable_list *v)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	size_t	 il = v->name_length - col->len;
	int	 nd = tb->ncols - tb->data, i, rc;
	uint16_t before;
	struct trow *r;
	char	 name[FM_VNAME_MAX];

	if (st->rvi == NULL) {
		if ((st->rvi = malloc(((size_t)st->ntr + 1) * (size_t)nd *
		    sizeof(int))) == NULL)
			fatal("malloc");
		for (i = 0; i < (st->ntr + 1) * nd; i++)
			st->rvi[i] = -1;
		for (i = 0; i < st->ntr; i++)
			st->tr[i].seen = 0;
	}
	if (il == 0 || (r = trow_find(st->tr, st->ntr, v->name + col->len,
	    il)) == NULL) {
		st->disc_due = 1;	/* a new row: name it next time */
		return 0;
	}
	if (!r->keep)
		return 0;
	r->seen = 1;
	if ((size_t)snprintf(name, sizeof(name), "%s.%s", r->name, col->name)
	    >= sizeof(name))
		return 0;	/* cannot be: see TABLE_LABEL_MAX */
	before = st->r->nvalues;
	st->row_mode = 1;
	rc = cs_value(st, name, v, col->mo);
	st->row_mode = 0;
	if (rc == -1)
		return -1;
	if (st->r->nvalues > before)
		st->rvi[(r - st->tr) * nd + (tcol - tb->data)] = before;
	return 0;
}

static void
msg_append(struct fm_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
msg_append(struct fm_result *r, const char *fmt, ...)
{
	size_t	 n = strlen(r->msg);
	va_list	 ap;

	if (n + 1 >= sizeof(r->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof(r->msg) - n, fmt, ap);
	va_end(ap);
}

/*
 * After the walks (and after a restart of the device voided this
 * probe's rates): each kept row's label and alias as text, its
 * utilisation, and its own up or down.  A kept row that is down is a
 * finding ("<label>.down" = 1, named in the message); a row the filters
 * dropped (an unused port) is not polled, so it never is one.
 */
static void
cs_table_finish(struct cs_state *st)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	struct fm_result *r = st->r;
	int	 nd = tb->ncols - tb->data, i, k, ndown = 0, nlist = 0;
	char	 name[FM_VNAME_MAX], list[160];
	size_t	 lo = 0;

	list[0] = '\0';
	for (i = 0; i < st->ntr; i++) {
		const struct trow *t = &st->tr[i];
		const int *vi = st->rvi ? &st->rvi[i * nd] : NULL;

		if (!t->keep)
			continue;
		if (vi == NULL || !t->seen) {
			st->disc_due = 1;	/* gone: discover again */
			continue;
		}
		snprintf(name, sizeof(name), "%s.name", t->name);
		result_add_text(r, name, t->label ? t->label : "");
		if (t->alias != NULL && t->alias[0] != '\0') {
			snprintf(name, sizeof(name), "%s.alias", t->name);
			result_add_text(r, name, t->alias);
		}
		for (k = 0; k < tb->nutil; k++) {
			int	 oi = vi[tb->util[k].octets - tb->data];
			int	 si = vi[tb->util[k].speed - tb->data];
			double	 rate, speed;

			if (oi < 0 || si < 0 ||
			    r->values[oi].kind != VK_COUNTER)
				continue;
			rate = r->values[oi].d;
			speed = r->values[si].d * tb->speed_unit;
			if (!isfinite(rate) || !(speed > 0))
				continue;
			snprintf(name, sizeof(name), "%s.%s", t->name,
			    tb->util[k].name);
			result_add_gauge(r, name, rate * 8 * 100 / speed);
		}
		if (tb->status >= 0 && vi[tb->status - tb->data] >= 0) {
			double	 x = r->values[vi[tb->status - tb->data]].d;
			int	 down = x != (double)tb->status_ok;

			snprintf(name, sizeof(name), "%s.down", t->name);
			result_add_gauge(r, name, down);
			if (down) {
				const char *l = t->label ? t->label : t->name;

				if (nlist < 6 && lo + strlen(l) + 3 <
				    sizeof(list)) {
					lo += (size_t)snprintf(list + lo,
					    sizeof(list) - lo, "%s%s",
					    nlist ? ", " : "", l);
					nlist++;
				}
				ndown++;
			}
		}
	}
	if (ndown > 0)
		msg_append(r, "%s%d of %d rows down: %s%s", r->msg[0] ? "; " :
		    "", ndown, st->nkept, list, ndown > nlist ? ", ..." : "");
	if (st->ntr > 0 && st->nkept == 0)
		msg_append(r, "%sno row of %s passes the filters (%d rows)",
		    r->msg[0] ? "; " : "", tb->cols[0].name, st->ntr);
	else if (st->ntr == 0)
		msg_append(r, "%sno rows under %s", r->msg[0] ? "; " : "",
		    tb->cols[0].name);
}

static void
cs_start_walks(struct cs_state *st)
{
	const struct cs_oid *col;
	int	 kind, tcol;

	st->walk_i = 0;
	st->col_rows = 0;
	if (st->nsteps > 0) {
		col = cs_step(st, 0, &kind, &tcol);
		memcpy(st->cur, col->o, col->len * sizeof(oid));
		st->curlen = col->len;
	}
}

/*
 * A GET answers per OID: an object the device lacks marks that value
 * missing, not the whole check.  Only when every OID asked is missing
 * does the probe fail.  A v1 agent answers a missing OID with
 * noSuchName for the whole request, so the request is sent again
 * without it (each retry drops one OID: bounded by their number).
 */
static void
cs_got_get(struct cs_state *st, netsnmp_pdu *pdu)
{
	const struct cs_opts *o = st->c->conf->opts;
	netsnmp_variable_list *v;
	int	 i;

	if (pdu->errstat != SNMP_ERR_NOERROR) {
		int	 idx = (int)pdu->errindex - 1;
		int	 gi = idx >= 0 && idx < st->ngidx ? st->gidx[idx] : -1;
		const char *what = gi >= 0 && gi < o->nget ? o->get[gi].name :
		    gi == o->nget ? "sysUpTime.0" : "?";

		if (pdu->errstat == SNMP_ERR_NOSUCHNAME && gi >= 0) {
			cs_add_missing(st, gi);
			cs_send_next(st);
		} else if (pdu->errstat == SNMP_ERR_NOSUCHNAME)
			cs_fail(st, PR_SNMP_NOSUCH, "no such object: %s",
			    what);
		else
			cs_fail(st, PR_SNMP_ERROR, "%s (at %s)",
			    cs_errname(pdu->errstat), what);
		return;
	}
	for (v = pdu->variables, i = 0; v != NULL && i < st->ngidx;
	    v = v->next_variable, i++) {
		int	 gi = st->gidx[i];
		const oid *want = gi < o->nget ? o->get[gi].o : sysuptime_oid;
		size_t	 wlen = gi < o->nget ? o->get[gi].len :
		    OID_LENGTH(sysuptime_oid);
		const char *name = gi < o->nget ? o->get[gi].name :
		    "sysUpTime.0";

		/* A reply must answer what was asked, in order. */
		if (snmp_oid_compare(v->name, v->name_length, want, wlen) !=
		    0) {
			cs_fail(st, PR_SNMP_ERROR, "reply names another "
			    "object than %s", name);
			return;
		}
		if (v->type == SNMP_NOSUCHOBJECT ||
		    v->type == SNMP_NOSUCHINSTANCE ||
		    v->type == SNMP_ENDOFMIBVIEW) {
			cs_add_missing(st, gi);
			continue;
		}
		cs_note_uptime(st, v);
		if (gi == o->nget)
			continue;	/* the hidden uptime is not a value */
		if (cs_value(st, name, v, o->get[gi].mo) == -1) {
			cs_fail(st, PR_SNMP_ERROR, "%s: unexpected type 0x%02x",
			    name, v->type);
			return;
		}
		if (cs_check_limits(st) == -1)
			return;
	}
	if (i != st->ngidx || v != NULL) {
		cs_fail(st, PR_SNMP_ERROR, "reply has %d values, asked for %d",
		    i + (v != NULL), st->ngidx);
		return;
	}
	if (o->nget > 0 && st->nmissing == o->nget) {
		char	 msg[FM_ERRMSG_MAX];
		size_t	 n = 0;

		for (i = 0; i < o->nget && n < sizeof(msg); i++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
			    i ? ", " : "", o->get[i].name);
		cs_fail(st, PR_SNMP_NOSUCH, "no such object: %s", msg);
		return;
	}
	cs_start_walks(st);
	cs_send_next(st);
}

static void
cs_next_column(struct cs_state *st)
{
	const struct cs_opts *o = st->c->conf->opts;
	const struct cs_oid *col;
	int	 kind, tcol;

	col = cs_step(st, st->walk_i, &kind, &tcol);
	if (st->col_rows == 0 && kind != WK_DISC) {
		size_t	 n = strlen(st->empty);

		/* Only the check's own columns can make a walk empty. */
		if (kind == WK_PLAIN)
			st->nempty++;
		snprintf(st->empty + n, sizeof(st->empty) - n, "%s%s",
		    n ? ", " : "", col->name);
	}
	if (kind == WK_DISC && tcol == o->table->data - 1)
		cs_disc_finish(st);
	st->col_rows = 0;
	st->walk_i++;
	if (st->walk_i < st->nsteps) {
		col = cs_step(st, st->walk_i, &kind, &tcol);
		memcpy(st->cur, col->o, col->len * sizeof(oid));
		st->curlen = col->len;
	}
}

static void
cs_got_walk(struct cs_state *st, netsnmp_pdu *pdu)
{
	const struct cs_opts *o = st->c->conf->opts;
	const struct cs_oid *col;
	netsnmp_variable_list *v;
	char	 name[FM_VNAME_MAX];
	int	 done = 0, kind, tcol;

	col = cs_step(st, st->walk_i, &kind, &tcol);

	if (pdu->errstat == SNMP_ERR_NOSUCHNAME && o->version ==
	    SNMP_VERSION_1) {
		done = 1;	/* v1's end of the MIB */
		v = NULL;
	} else if (pdu->errstat != SNMP_ERR_NOERROR) {
		cs_fail(st, PR_SNMP_ERROR, "%s (walking %s)",
		    cs_errname(pdu->errstat), col->name);
		return;
	} else
		v = pdu->variables;
	for (; v != NULL && !done; v = v->next_variable) {
		size_t	 i, n;

		if (v->type == SNMP_ENDOFMIBVIEW ||
		    netsnmp_oid_is_subtree(col->o, col->len, v->name,
		    v->name_length) != 0) {
			done = 1;
			break;
		}
		/* A device that answers out of order would walk forever. */
		if (snmp_oid_compare(v->name, v->name_length, st->cur,
		    st->curlen) <= 0) {
			cs_fail(st, PR_SNMP_ERROR, "%s: OIDs not increasing",
			    col->name);
			return;
		}
		if (kind == WK_DISC)
			cs_disc_row(st, tcol, col, v);
		else if (kind == WK_DATA) {
			if (cs_data_row(st, tcol, col, v) == -1) {
				cs_fail(st, PR_SNMP_ERROR, "%s: unexpected "
				    "type 0x%02x", col->name, v->type);
				return;
			}
		}
		if (kind != WK_PLAIN)
			goto next;
		n = (size_t)snprintf(name, sizeof(name), "%s", col->name);
		for (i = col->len; i < v->name_length && n < sizeof(name);
		    i++)
			n += (size_t)snprintf(name + n, sizeof(name) - n,
			    ".%lu", (unsigned long)v->name[i]);
		if (n >= sizeof(name)) {
			cs_fail(st, PR_SNMP_ERROR, "%s: a row's index makes a "
			    "value name longer than %d bytes", col->name,
			    FM_VNAME_MAX - 1);
			return;
		}
		if (cs_value(st, name, v, col->mo) == -1) {
			cs_fail(st, PR_SNMP_ERROR, "%s: unexpected type 0x%02x",
			    name, v->type);
			return;
		}
next:
		cs_note_uptime(st, v);
		if (cs_check_limits(st) == -1)
			return;
		memcpy(st->cur, v->name, v->name_length * sizeof(oid));
		st->curlen = v->name_length;
		st->col_rows++;
		if (++st->rows > SNMP_WALK_ROWS) {
			cs_fail(st, PR_SNMP_ERROR, "more than %d values in one "
			    "check: split the table over several checks",
			    SNMP_WALK_ROWS);
			return;
		}
	}
	if (pdu->variables == NULL)
		done = 1;
	if (done)
		cs_next_column(st);
	cs_send_next(st);
}

static int
cs_cb(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct cs_state *st = magic;

	(void)sess;
	/* A late answer to a probe that already ended, or a close. */
	if (st->closing || st->r == NULL || reqid != st->reqid)
		return 1;
	/* A retransmission is news, not an outcome: keep waiting. */
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;
	st->reqid = 0;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		cs_fail(st, PR_TIMEOUT, "no SNMP response");
		return 1;
	}
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
		cs_fail(st, PR_IO_ERROR, "%s", op == NETSNMP_CALLBACK_OP_SEC_ERROR ?
		    "SNMPv3 security error (user, keys or engine ID)" :
		    op == NETSNMP_CALLBACK_OP_SEND_FAILED ? "SNMP send failed" :
		    "SNMP session error");
		return 1;
	}
	if (pdu->command != SNMP_MSG_RESPONSE) {
		cs_fail(st, PR_SNMP_ERROR, "unexpected PDU type %d",
		    pdu->command);
		return 1;
	}
	if (st->walk_i < 0)
		cs_got_get(st, pdu);
	else
		cs_got_walk(st, pdu);
	return 1;
}

/* Send the next request of the probe, or finish it.  -1: it ended. */
static int
cs_send_next(struct cs_state *st)
{
	const struct cs_opts *o = st->c->conf->opts;
	netsnmp_pdu *pdu;
	int	 i, reqid, clib, serr;
	char	*es = NULL;

	if (st->walk_i < 0) {
		st->ngidx = 0;
		for (i = 0; i < o->nget; i++)
			if (!st->gmissing[i])
				st->gidx[st->ngidx++] = i;
		if (st->hidden_uptime && !st->gmissing[o->nget])
			st->gidx[st->ngidx++] = o->nget;
		/* Nothing left to ask: every OID was refused (v1). */
		if (o->nget > 0 && st->nmissing == o->nget) {
			cs_fail(st, PR_SNMP_NOSUCH, "no such object: %s%s",
			    o->get[0].name, o->nget > 1 ? ", ..." : "");
			return -1;
		}
		if (st->ngidx == 0)
			cs_start_walks(st);
	}
	if (st->walk_i < 0) {
		pdu = snmp_pdu_create(SNMP_MSG_GET);
		for (i = 0; i < st->ngidx; i++) {
			int	 gi = st->gidx[i];

			if (gi < o->nget)
				snmp_add_null_var(pdu, o->get[gi].o,
				    o->get[gi].len);
			else
				snmp_add_null_var(pdu, sysuptime_oid,
				    OID_LENGTH(sysuptime_oid));
		}
	} else if (st->walk_i < st->nsteps) {
		if (o->version == SNMP_VERSION_1)
			pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
		else {
			pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
			pdu->non_repeaters = 0;
			pdu->max_repetitions = o->max_rep;
		}
		snmp_add_null_var(pdu, st->cur, st->curlen);
	} else {
		cs_complete(st);
		return -1;
	}
	if ((reqid = snmp_sess_async_send(st->sess, pdu, cs_cb, st)) == 0) {
		snmp_sess_error(st->sess, &clib, &serr, &es);
		snmp_free_pdu(pdu);
		cs_fail(st, PR_IO_ERROR, "send: %s", es ? es : "failed");
		free(es);
		return -1;
	}
	st->reqid = reqid;
	snmpev_rearm(&st->ev);
	return 0;
}

/*
 * A device whose uptime went down restarted: its counters started again
 * from zero, and a drop read as a 32-bit wrap would be a spike of
 * gigabytes a second.  Every counter of this probe gets no rate; this
 * probe's values are the new baseline.  TimeTicks wrap after 497 days:
 * a fall from the top of the range to its bottom is that wrap.
 */
static int
cs_rebooted(struct cs_state *st)
{
	const int64_t day = 100 * 86400;
	int	 rebooted;
	uint16_t k;

	st->up_prev_seen = st->up_prev;
	if (st->up_cur < 0)
		return 0;
	rebooted = st->up_prev >= 0 && st->up_cur < st->up_prev &&
	    !(st->up_prev > 0xffffffffLL - day && st->up_cur < day);
	st->up_prev = st->up_cur;
	if (!rebooted)
		return 0;
	for (k = 0; k < st->r->nvalues; k++)
		if (st->r->values[k].kind == VK_COUNTER)
			st->r->values[k].d = NAN;
	return 1;
}

/*
 * The values' description for people (VALMETA, wire.h): which column and
 * row each value is, the unit after scaling, the enumeration's words and
 * what is important.  The dictionary's units are spelt for people here
 * once ("degC" as "°C"), and a counter's unit is its rate's: octets a
 * second are shown as bit/s.
 */
struct meta_build {
	struct fm_valmeta m;
	int		 capcols, caprows;
	uint32_t	 capvals;
	const struct trow **by;		/* kept rows, by name */
	int		 nby;
	int		*rowof;		/* st->tr's index to m.rows' */
};

static void
meta_unit(const struct mibobj *mo, int kind, char *unit, size_t len,
    double *scale)
{
	static const struct { const char *mib, *shown; } words[] = {
		{ "degC", "°C" }, { "degrees Celsius", "°C" },
		{ "percent", "%" }, { "seconds", "s" }, { "ticks", "s" },
		{ "hours", "h" }, { "units", "" },
	};
	const char *u = mo != NULL && mo->units != NULL ? mo->units : "";
	size_t	 i;

	*scale = mo != NULL && mo->scale > 0 ? mo->scale : 1;
	/* TimeTicks are stored in seconds already (cs_value). */
	if (mo != NULL && mo->syntax == MS_TIMETICKS) {
		fm_strlcpy(unit, "s", len);
		*scale = 1;
		return;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(u, words[i].mib) == 0)
			u = words[i].shown;
	if (strcmp(u, "Mbit/s") == 0) {
		fm_strlcpy(unit, "bit/s", len);
		*scale *= 1e6;
	} else if (kind == VK_COUNTER && strcmp(u, "bytes") == 0) {
		fm_strlcpy(unit, "bit/s", len);
		*scale *= 8;
	} else if (kind == VK_COUNTER && u[0] != '\0')
		snprintf(unit, len, "%s/s", u);
	else if (kind == VK_COUNTER)
		fm_strlcpy(unit, "/s", len);
	else
		fm_strlcpy(unit, u, len);
}

/* The column of that name (and kind of value), added when new. */
static uint16_t
meta_col(struct meta_build *b, const struct cs_state *st, const char *name,
    const struct mibobj *mo, int kind, const char *unit, const char *enums)
{
	const struct cs_opts *o = st->c->conf->opts;
	struct fm_vmcol *c;
	int	 i;

	for (i = 0; i < b->m.ncols; i++)
		if (strcmp(b->m.cols[i].name, name) == 0)
			return (uint16_t)i;
	if (b->m.ncols == FM_VM_COLS_MAX || strlen(name) >= sizeof(c->name))
		return FM_VM_NONE;
	if (b->m.ncols == b->capcols) {
		int	 ncap = b->capcols ? b->capcols * 2 : 8;
		struct fm_vmcol *n = reallocarray(b->m.cols, (size_t)ncap,
		    sizeof(*n));

		if (n == NULL)
			fatal("reallocarray");
		b->m.cols = n;
		b->capcols = ncap;
	}
	c = &b->m.cols[b->m.ncols];
	memset(c, 0, sizeof(*c));
	fm_strlcpy(c->name, name, sizeof(c->name));
	if (unit != NULL) {
		fm_strlcpy(c->unit, unit, sizeof(c->unit));
		c->scale = 1;
	} else
		meta_unit(mo, kind, c->unit, sizeof(c->unit), &c->scale);
	/* Borrowed: the dictionary's, or a literal. */
	if (enums == NULL && mo != NULL && kind == VK_GAUGE)
		enums = mo->enums;
	if (enums != NULL && enums[0] != '\0' &&
	    strlen(enums) < FM_VM_ENUMS_MAX)
		c->enums = (char *)(uintptr_t)enums;
	c->important = o->has_impcols &&
	    regexec(&o->impcols, name, 0, NULL, 0) == 0;
	return b->m.ncols++;
}

/* A copy cut to the wire's bound at a character's boundary. */
static char *
meta_text(const char *s)
{
	size_t	 n = strlen(s);
	char	*p;

	if (n >= FM_TEXT_MAX) {
		n = FM_TEXT_MAX - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return p;
}

static int
meta_row_cmp(const void *k, const void *e)
{
	const struct trow *const *r = e;

	return strcmp(k, (*r)->name);
}

/* The row a table value belongs to ("<row>.<column>"), added when new. */
static uint16_t
meta_row(struct meta_build *b, const struct cs_state *st, const char *vname,
    const char **rest)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	const struct trow *const *hit, *t;
	const char *dot = strchr(vname, '.');
	char	 rname[FM_VNAME_MAX];
	struct fm_vmrow *r;
	int	 ti;

	if (b->nby == 0 || dot == NULL || (size_t)(dot - vname) >=
	    sizeof(rname))
		return FM_VM_NONE;
	memcpy(rname, vname, (size_t)(dot - vname));
	rname[dot - vname] = '\0';
	if ((hit = bsearch(rname, b->by, (size_t)b->nby, sizeof(*b->by),
	    meta_row_cmp)) == NULL)
		return FM_VM_NONE;
	t = *hit;
	ti = (int)(t - st->tr);
	*rest = dot + 1;
	if (b->rowof[ti] >= 0)
		return (uint16_t)b->rowof[ti];
	if (b->m.nrows == FM_VALUES_MAX)
		return FM_VM_NONE;
	if (b->m.nrows == b->caprows) {
		int	 ncap = b->caprows ? b->caprows * 2 : 16;
		struct fm_vmrow *n = reallocarray(b->m.rows, (size_t)ncap,
		    sizeof(*n));

		if (n == NULL)
			fatal("reallocarray");
		b->m.rows = n;
		b->caprows = ncap;
	}
	r = &b->m.rows[b->m.nrows];
	memset(r, 0, sizeof(*r));
	/* Cut at a character's boundary: the label is UTF-8. */
	r->label = meta_text(t->label ? t->label : t->name);
	if (t->alias != NULL && t->alias[0] != '\0')
		r->alias = meta_text(t->alias);
	r->important = tb->has_important && ((t->label != NULL &&
	    regexec(&tb->important, t->label, 0, NULL, 0) == 0) ||
	    (t->alias != NULL && regexec(&tb->important, t->alias, 0, NULL,
	    0) == 0));
	b->rowof[ti] = b->m.nrows;
	return b->m.nrows++;
}

static int
meta_trow_cmp(const void *a, const void *b)
{
	const struct trow *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The column of a value outside a table's rows: a GET's or a walk's. */
static uint16_t
meta_plain(struct meta_build *b, const struct cs_state *st,
    const struct fm_value *v)
{
	const struct cs_opts *o = st->c->conf->opts;
	const struct cs_oid *so = NULL;
	char	 base[FM_VNAME_MAX];
	size_t	 n;
	int	 i, text = 0;

	for (i = 0; i < o->nget && so == NULL; i++)
		if (strcmp(o->get[i].name, v->name) == 0)
			so = &o->get[i];
	for (i = 0; i < o->nwalk && so == NULL; i++) {
		n = strlen(o->walk[i].name);
		if (strncmp(o->walk[i].name, v->name, n) == 0 &&
		    v->name[n] == '.')
			so = &o->walk[i];
	}
	if (so == NULL) {
		/* An enumeration's words: "upsOutputSourceText(.N)". */
		fm_strlcpy(base, v->name, sizeof(base));
		n = strcspn(base, ".");
		if (n < 5 || strncmp(base + n - 4, "Text", 4) != 0)
			return FM_VM_NONE;
		memmove(base + n - 4, base + n, strlen(base + n) + 1);
		for (i = 0; i < o->nget && so == NULL; i++)
			if (strcmp(o->get[i].name, base) == 0)
				so = &o->get[i];
		for (i = 0; i < o->nwalk && so == NULL; i++) {
			n = strlen(o->walk[i].name);
			if (strncmp(o->walk[i].name, base, n) == 0 &&
			    base[n] == '.')
				so = &o->walk[i];
		}
		if (so == NULL)
			return FM_VM_NONE;
		text = 1;
	}
	/*
	 * The object's own name: "sysName" for "sysName.0", "fooTemp" for
	 * "FOO-MIB::fooTemp.0"; a numeric OID is its own column.
	 */
	if (so->mo != NULL)
		fm_strlcpy(base, so->mo->name, sizeof(base));
	else {
		const char *p = strstr(so->name, "::");

		fm_strlcpy(base, p != NULL ? p + 2 : so->name, sizeof(base));
		if (!isdigit((unsigned char)base[0]))
			base[strcspn(base, ".")] = '\0';
	}
	if (text) {
		n = strlen(base);
		if (n + 4 >= FM_VM_COLNAME_MAX)
			return FM_VM_NONE;
		memcpy(base + n, "Text", 5);
		return meta_col(b, st, base, NULL, VK_TEXT, "", "");
	}
	return meta_col(b, st, base, so->mo, v->kind, NULL, NULL);
}

/* The column of a table row's value, from what follows "<row>.". */
static uint16_t
meta_rowcol(struct meta_build *b, const struct cs_state *st,
    const struct fm_value *v, const char *rest)
{
	const struct cs_table *tb =
	    ((const struct cs_opts *)st->c->conf->opts)->table;
	size_t	 n = strlen(rest);
	int	 i;

	for (i = tb->data; i < tb->ncols; i++)
		if (strcmp(tb->cols[i].name, rest) == 0)
			return meta_col(b, st, rest, tb->cols[i].mo, v->kind,
			    NULL, NULL);
	for (i = 0; i < tb->nutil; i++)
		if (strcmp(tb->util[i].name, rest) == 0)
			return meta_col(b, st, rest, NULL, v->kind, "%", "");
	if (strcmp(rest, "down") == 0)
		return meta_col(b, st, rest, NULL, v->kind, "", "0:up,1:down");
	if (strcmp(rest, "name") == 0 || strcmp(rest, "alias") == 0 ||
	    (n > 4 && strcmp(rest + n - 4, "Text") == 0))
		return meta_col(b, st, rest, NULL, VK_TEXT, "", "");
	return FM_VM_NONE;
}

static void
cs_meta(struct cs_state *st)
{
	const struct cs_opts *o = st->c->conf->opts;
	const struct fm_result *r = st->r;
	struct meta_build b;
	uint64_t names = 14695981039346656037ull;
	uint16_t i;
	int	 j;

	/* Hashing the names costs far less than describing them. */
	for (i = 0; i < r->nvalues; i++)
		names = (names ^ csample_key(r->values[i].name)) *
		    1099511628211ull;
	if (r->nvalues == 0 || (st->meta_gen == st->disc_gen + 1 &&
	    st->meta_names == names &&
	    st->meta_epoch == probe_meta_epoch()))
		return;
	st->meta_gen = st->disc_gen + 1;
	st->meta_names = names;
	st->meta_epoch = probe_meta_epoch();
	memset(&b, 0, sizeof(b));
	fm_strlcpy(b.m.device, r->device, sizeof(b.m.device));
	fm_strlcpy(b.m.check, r->check, sizeof(b.m.check));
	if (o->table != NULL && st->ntr > 0) {
		if ((b.by = calloc((size_t)st->ntr, sizeof(*b.by))) == NULL ||
		    (b.rowof = calloc((size_t)st->ntr, sizeof(int))) == NULL)
			fatal("calloc");
		for (j = 0; j < st->ntr; j++) {
			b.rowof[j] = -1;
			if (st->tr[j].keep)
				b.by[b.nby++] = &st->tr[j];
		}
		qsort(b.by, (size_t)b.nby, sizeof(*b.by), meta_trow_cmp);
	}
	if ((b.m.vals = calloc(r->nvalues, sizeof(*b.m.vals))) == NULL)
		fatal("calloc");
	for (i = 0; i < r->nvalues; i++) {
		const struct fm_value *v = &r->values[i];
		struct fm_vmval *mv = &b.m.vals[b.m.nvals];
		const char *rest = NULL;

		mv->row = meta_row(&b, st, v->name, &rest);
		mv->col = mv->row != FM_VM_NONE ? meta_rowcol(&b, st, v, rest) :
		    meta_plain(&b, st, v);
		if (mv->row == FM_VM_NONE && mv->col == FM_VM_NONE)
			continue;	/* nothing to say of it */
		/* Borrowed: the result outlives b. */
		mv->name = (char *)(uintptr_t)v->name;
		b.m.nvals++;
	}
	if (b.m.nvals > 0)
		probe_meta(st->c, &b.m);
	for (j = 0; j < b.m.nrows; j++) {
		free(b.m.rows[j].label);
		free(b.m.rows[j].alias);
	}
	free(b.m.vals);
	free(b.m.cols);
	free(b.m.rows);
	free(b.by);
	free(b.rowof);
}

/* Every request answered: judge the probe as a whole, then finish. */
static void
cs_complete(struct cs_state *st)
{
	const struct cs_opts *o = st->c->conf->opts;
	struct fm_result *r = st->r;
	size_t	 n = 0;
	int	 i;

	if (cs_rebooted(st)) {
		log_info("%s/%s: the device restarted (uptime %lld s, was "
		    "%lld s before); counters start again",
		    st->c->dev->conf->id, st->c->conf->id,
		    (long long)(st->up_cur / 100),
		    (long long)(st->up_prev_seen / 100));
		n += (size_t)snprintf(r->msg + n, sizeof(r->msg) - n,
		    "rebooted: uptime %lld s", (long long)(st->up_cur / 100));
	}
	/* A walk that found nothing at all is not a healthy device. */
	if (o->nwalk > 0 && st->nempty == o->nwalk && o->table == NULL) {
		cs_fail(st, PR_SNMP_NOSUCH, "empty walk: no rows under %s",
		    st->empty);
		return;
	}
	if (st->nmissing > 0) {
		n += (size_t)snprintf(r->msg + n, n < sizeof(r->msg) ?
		    sizeof(r->msg) - n : 0, "%sno such object:", n ? "; " : "");
		for (i = 0; i < o->nget && n < sizeof(r->msg); i++)
			if (st->gmissing[i])
				n += (size_t)snprintf(r->msg + n,
				    sizeof(r->msg) - n, " %s", o->get[i].name);
	}
	if (st->nempty > 0 && n < sizeof(r->msg)) {
		/* Cut to fit: the message has a fixed size. */
		n += (size_t)snprintf(r->msg + n, sizeof(r->msg) - n,
		    "%sno rows under ", n ? "; " : "");
		if (n < sizeof(r->msg))
			fm_strlcpy(r->msg + n, st->empty, sizeof(r->msg) - n);
	}
	if (o->table != NULL) {
		cs_table_finish(st);
		if (cs_check_limits(st) == -1)
			return;
	}
	cs_meta(st);
	cs_finish(st);
}

static void
cs_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cs_state *st = arg;

	(void)fd;
	(void)ev;
	if (st->r != NULL)
		cs_fail(st, PR_TIMEOUT, "no complete SNMP answer within "
		    "%d ms", st->c->conf->timeout_ms);
}

static void
cs_start(struct check *c)
{
	struct cs_state *st = c->state;

	const struct cs_opts *o = c->conf->opts;

	st->r = result_new(c);
	st->walk_i = -1;
	st->rows = 0;
	st->ncur = 0;
	memset(st->gmissing, 0, (size_t)o->nget + 1);
	st->nmissing = 0;
	st->up_cur = -1;
	st->col_rows = 0;
	st->nempty = 0;
	st->empty[0] = '\0';
	/*
	 * A check that reads counters needs to know when the device
	 * restarted; if it does not poll the uptime itself, the GET asks
	 * for it too (without reporting it), once a probe saw counters.
	 */
	st->hidden_uptime = !st->uptime_polled && st->nprev > 0;
	st->sample_us = c->start_us;
	st->nsteps = o->nwalk;
	if (o->table != NULL) {
		st->discovering = st->ntr == 0 || st->disc_due ||
		    c->start_us >= st->next_disc_us;
		st->nsteps += st->discovering ? o->table->ncols :
		    o->table->ncols - o->table->data;
	}
	timer_at(st->deadline, c->deadline_us);
	st->in_start = 1;
	cs_send_next(st);
	st->in_start = 0;
}

/* Does the check read the uptime itself, by GET or inside a walk? */
static int
cs_polls_uptime(const struct cs_opts *o)
{
	int	 i;

	for (i = 0; i < o->nget; i++)
		if (snmp_oid_compare(o->get[i].o, o->get[i].len,
		    sysuptime_oid, OID_LENGTH(sysuptime_oid)) == 0 ||
		    snmp_oid_compare(o->get[i].o, o->get[i].len,
		    enginetime_oid, OID_LENGTH(enginetime_oid)) == 0)
			return 1;
	for (i = 0; i < o->nwalk; i++)
		if (netsnmp_oid_is_subtree(o->walk[i].o, o->walk[i].len,
		    sysuptime_oid, OID_LENGTH(sysuptime_oid)) == 0)
			return 1;
	return 0;
}

/*
 * Counter baselines across a reload.  A reload stops every check and
 * starts the new configuration's; without this, every counter of every
 * device lost its previous sample and had no rate for one interval.  A
 * stopping check leaves its baseline here under its device, its id and
 * a fingerprint of what it polls and how; a starting check with the
 * same three takes it.  What is not taken within STASH_TTL_US is freed.
 */
#define STASH_TTL_US	(60 * 1000000LL)

struct stash {
	struct stash	*next;
	char		 dev[FM_ID_MAX];
	char		 chk[FM_ID_MAX];
	uint64_t	 fp;
	int64_t		 when_us;
	struct csample	*prev;
	int		 nprev, capprev;
	int64_t		 prev_us;
	int64_t		 up_prev;
};

static struct stash *stashes;

static uint64_t
fp_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static uint64_t
cs_fingerprint(const struct check *c)
{
	const struct cs_opts *o = c->conf->opts;
	uint64_t h = 14695981039346656037ull;
	uint32_t lh;

	h = fp_mix(h, c->dev->conf->address, strlen(c->dev->conf->address));
	h = fp_mix(h, &o->port, sizeof(o->port));
	h = fp_mix(h, &o->version, sizeof(o->version));
	h = fp_mix(h, o->community, strlen(o->community));
	h = fp_mix(h, o->secname, strlen(o->secname));
	h = fp_mix(h, o->context, strlen(o->context));
	h = fp_mix(h, &c->conf->interval_ms, sizeof(c->conf->interval_ms));
	lh = oidlist_hash(o->get, o->nget);
	h = fp_mix(h, &lh, sizeof(lh));
	lh = oidlist_hash(o->walk, o->nwalk);
	h = fp_mix(h, &lh, sizeof(lh));
	if (o->table != NULL) {
		lh = oidlist_hash(o->table->cols, o->table->ncols);
		h = fp_mix(h, &lh, sizeof(lh));
	}
	return h;
}

static void
stash_expire(int64_t now)
{
	struct stash *sh, **pp = &stashes;

	while ((sh = *pp) != NULL) {
		if (now - sh->when_us > STASH_TTL_US) {
			*pp = sh->next;
			free(sh->prev);
			free(sh);
		} else
			pp = &sh->next;
	}
}

/* At exit: the baselines the last stop left behind. */
void
snmp_stash_free(void)
{
	stash_expire(INT64_MAX);
}

static void
stash_keep(struct cs_state *st)
{
	struct stash *sh;
	int64_t	 now = mono_us();

	stash_expire(now);
	if (st->nprev == 0 && st->up_prev < 0)
		return;
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		fatal("calloc");
	fm_strlcpy(sh->dev, st->c->dev->conf->id, sizeof(sh->dev));
	fm_strlcpy(sh->chk, st->c->conf->id, sizeof(sh->chk));
	sh->fp = cs_fingerprint(st->c);
	sh->when_us = now;
	sh->prev = st->prev;
	sh->nprev = st->nprev;
	sh->capprev = st->capprev;
	sh->prev_us = st->prev_us;
	sh->up_prev = st->up_prev;
	st->prev = NULL;
	st->nprev = st->capprev = 0;
	sh->next = stashes;
	stashes = sh;
}

static void
stash_adopt(struct cs_state *st)
{
	struct stash *sh, **pp;
	uint64_t fp = cs_fingerprint(st->c);

	stash_expire(mono_us());
	for (pp = &stashes; (sh = *pp) != NULL; pp = &sh->next)
		if (sh->fp == fp && strcmp(sh->dev, st->c->dev->conf->id) ==
		    0 && strcmp(sh->chk, st->c->conf->id) == 0) {
			*pp = sh->next;
			st->prev = sh->prev;
			st->nprev = sh->nprev;
			st->capprev = sh->capprev;
			st->prev_us = sh->prev_us;
			st->up_prev = sh->up_prev;
			free(sh);
			return;
		}
}

static int
cs_init(struct check *c)
{
	const struct cs_opts *o = c->conf->opts;
	const char *addr = c->dev->conf->address;
	struct cs_state *st;
	netsnmp_session sess;
	char	 peer[FM_TEXT_MAX + 32];

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("calloc");
	st->c = c;
	snmp_sess_init(&sess);
	if (strchr(addr, ':') != NULL)
		snprintf(peer, sizeof(peer), "udp6:[%s]:%d", addr, o->port);
	else
		snprintf(peer, sizeof(peer), "udp:%s:%d", addr, o->port);
	sess.peername = peer;
	sess.version = o->version;
	/* net-snmp's retries share the probe's timeout. */
	sess.retries = o->retries;
	sess.timeout = (long)c->conf->timeout_ms * 1000 / (o->retries + 1);
	if (o->version != SNMP_VERSION_3) {
		sess.community = (u_char *)(uintptr_t)o->community;
		sess.community_len = strlen(o->community);
	} else {
		sess.securityName = (char *)(uintptr_t)o->secname;
		sess.securityNameLen = strlen(o->secname);
		sess.securityLevel = o->seclevel;
		sess.securityEngineID = (u_char *)(uintptr_t)o->engine_id;
		sess.securityEngineIDLen = o->engine_id_len;
		sess.contextEngineID = (u_char *)(uintptr_t)o->engine_id;
		sess.contextEngineIDLen = o->engine_id_len;
		sess.contextName = (char *)(uintptr_t)o->context;
		sess.contextNameLen = strlen(o->context);
		sess.flags |= SNMP_FLAGS_DONT_PROBE;
		if (o->seclevel != SNMP_SEC_LEVEL_NOAUTH) {
			sess.securityAuthProto = (oid *)(uintptr_t)o->auth_proto;
			sess.securityAuthProtoLen = o->auth_proto_len;
			sess.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (generate_Ku(sess.securityAuthProto,
			    (u_int)sess.securityAuthProtoLen,
			    (const u_char *)o->auth_pass, strlen(o->auth_pass),
			    sess.securityAuthKey, &sess.securityAuthKeyLen) !=
			    SNMPERR_SUCCESS) {
				log_warnx("%s/%s: cannot derive the SNMPv3 "
				    "auth key", c->dev->conf->id, c->conf->id);
				free(st);
				return -1;
			}
		}
		if (o->seclevel == SNMP_SEC_LEVEL_AUTHPRIV) {
			sess.securityPrivProto = (oid *)(uintptr_t)o->priv_proto;
			sess.securityPrivProtoLen = o->priv_proto_len;
			sess.securityPrivKeyLen = USM_PRIV_KU_LEN;
			if (generate_Ku(sess.securityAuthProto,
			    (u_int)sess.securityAuthProtoLen,
			    (const u_char *)o->priv_pass, strlen(o->priv_pass),
			    sess.securityPrivKey, &sess.securityPrivKeyLen) !=
			    SNMPERR_SUCCESS) {
				log_warnx("%s/%s: cannot derive the SNMPv3 "
				    "priv key", c->dev->conf->id, c->conf->id);
				free(st);
				return -1;
			}
		}
	}
	sess.callback = cs_cb;
	sess.callback_magic = st;
	if ((st->sess = snmp_sess_open(&sess)) == NULL) {
		int	 clib, serr;
		char	*es = NULL;

		snmp_error(&sess, &clib, &serr, &es);
		log_warnx("%s/%s: cannot open an SNMP session to %s: %s",
		    c->dev->conf->id, c->conf->id, peer, es ? es : "?");
		free(es);
		free(st);
		return -1;
	}
	snmpev_attach(&st->ev, st->sess);
	if ((st->deadline = evtimer_new(agent_base, cs_deadline_cb, st)) ==
	    NULL)
		fatalx("event_new");
	if ((st->gmissing = calloc((size_t)o->nget + 1, 1)) == NULL ||
	    (st->gidx = calloc((size_t)o->nget + 1, sizeof(int))) == NULL)
		fatal("calloc");
	st->uptime_polled = cs_polls_uptime(o);
	st->conv = (iconv_t)-1;
	if (c->dev->conf->charset[0] != '\0' && (st->conv =
	    iconv_open("UTF-8", c->dev->conf->charset)) == (iconv_t)-1)
		log_warn("%s/%s: charset %s", c->dev->conf->id, c->conf->id,
		    c->dev->conf->charset);
	st->up_prev = -1;
	stash_adopt(st);
	/* The walk cursor is a kilobyte; a check that only GETs has none. */
	if ((o->nwalk > 0 || o->table != NULL) && (st->cur = calloc(MAX_OID_LEN,
	    sizeof(*st->cur))) == NULL)
		fatal("calloc");
	c->state = st;
	return 0;
}

static void
cs_cleanup(struct check *c)
{
	struct cs_state *st = c->state;

	if (st == NULL)
		return;
	if (st->r != NULL) {
		fm_result_clear(st->r);
		free(st->r);
		st->r = NULL;
	}
	snmpev_detach(&st->ev);
	event_free(st->deadline);
	/* Closing may call back for requests in flight: they are ignored. */
	st->closing = 1;
	snmp_sess_close(st->sess);
	stash_keep(st);
	if (st->conv != (iconv_t)-1)
		iconv_close(st->conv);
	free(st->gmissing);
	free(st->gidx);
	free(st->prev);
	free(st->cur_s);
	free(st->cur);
	free(st->rvi);
	trows_free(st->tr, st->ntr);
	trows_free(st->db, st->ndb);
	free(st);
	c->state = NULL;
}

const struct probe_ops probe_snmp = {
	.type = CT_SNMP,
	.name = "snmp",
	.keys = cs_keys,
	.parse = cs_parse,
	.free_opts = cs_free_opts,
	.init = cs_init,
	.start = cs_start,
	.cleanup = cs_cleanup,
};
