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
 * facmon-agent discover: asks each address what it is (sysObjectID,
 * sysDescr, sysName and which standard MIBs answer), picks the device
 * template that fits, and prints a device block for facmon-agent.conf
 * with comments listing what it found: ports, storage, sensors, the state
 * of a UPS.
 *
 * This is a command, not the daemon: there is no event loop to keep
 * free, so each address is probed with net-snmp's blocking single-session
 * API in a thread of its own (at most -j at once), and net-snmp does the
 * SNMPv3 engine-ID discovery itself when the session opens.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <iconv.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "agent.h"

#define DISC_TEMPLATES_MAX	256
#define DISC_ROWS_MAX		4096	/* rows read of one column */
#define DISC_PREFIXES_MAX	32	/* sysObjectID prefixes of a template */
#define DISC_JOBS_DEFAULT	8
#define DISC_JOBS_MAX		64
#define DISC_DEADLINE_DEFAULT	20	/* seconds, per address */
#define DISC_REQ_TIMEOUT_MS	1500	/* one request; net-snmp retries once */

struct tmpl {
	char		 name[FM_ID_MAX];
	char		 descr[FM_TEXT_MAX];
	char		 kind[FM_ID_MAX];
	char		 prefixes[DISC_PREFIXES_MAX][128];
	int		 nprefixes;
	char		 sysdescr[256];
	regex_t		 re;
	int		 has_re;
	int		 usable;	/* has checks: a device can name it */
};

struct dopts {
	int		 version;	/* SNMP_VERSION_* */
	char		 community[128];
	int		 port;
	char		 user[64];
	int		 level;		/* SNMP_SEC_LEVEL_* */
	char		 auth[16], auth_pass[128];
	char		 priv[16], priv_pass[128];
	char		 context[64];
	char		 charset[32];
	int		 deadline_s;
	int		 jobs;
	struct tmpl	*t;
	int		 nt;
};

/* One value read: an integer, or bytes (strings, OIDs in dotted text). */
struct cell {
	char		 idx[128];	/* the OID's arcs after the column */
	u_char		 type;
	long long	 num;
	u_char		*str;
	size_t		 len;
};

struct col {
	struct cell	*c;
	int		 n, cap;
};

/* What the probe of one address found. */
enum { ANS_IF, ANS_IFX, ANS_HR, ANS_UCD, ANS_UPS, ANS_SENSOR, ANS_N };
static const struct {
	const char	*name;		/* as printed */
	const char	*oid;		/* a subtree that has rows if it answers */
} answers[ANS_N] = {
	{ "IF-MIB", "1.3.6.1.2.1.2.2.1" },
	{ "IF-MIB ifXTable", "1.3.6.1.2.1.31.1.1.1" },
	{ "HOST-RESOURCES-MIB", "1.3.6.1.2.1.25.2" },	/* storage */
	{ "UCD-SNMP-MIB", "1.3.6.1.4.1.2021" },
	{ "UPS-MIB", "1.3.6.1.2.1.33.1" },
	{ "ENTITY-SENSOR-MIB", "1.3.6.1.2.1.99.1.1.1" },
};

/* The columns read, by the dictionary's names. */
enum {
	C_IFDESCR, C_IFNAME, C_IFALIAS, C_IFADMIN, C_IFOPER, C_IFSPEED,
	C_IFHIGHSPEED, C_IFHCIN, C_HRSDESCR, C_HRSUNITS, C_HRSSIZE, C_HRSUSED,
	C_HRCPU, C_LALOAD, C_SENSTYPE, C_SENSSCALE, C_SENSPREC, C_SENSVALUE,
	C_SENSOPER, C_ENTNAME, C_UPSINV, C_UPSOUTV, C_UPSLOAD, C_N
};
static const char *const colnames[C_N] = {
	"ifDescr", "ifName", "ifAlias", "ifAdminStatus", "ifOperStatus",
	"ifSpeed", "ifHighSpeed", "ifHCInOctets", "hrStorageDescr",
	"hrStorageAllocationUnits", "hrStorageSize", "hrStorageUsed",
	"hrProcessorLoad", "laLoad", "entPhySensorType", "entPhySensorScale",
	"entPhySensorPrecision", "entPhySensorValue", "entPhySensorOperStatus",
	"entPhysicalName", "upsInputVoltage", "upsOutputVoltage",
	"upsOutputPercentLoad",
};

/* The scalars read in one GET each group. */
enum { S_DESCR, S_OBJID, S_UPTIME, S_NAME, S_N };
static const char *const sysnames[S_N] = {
	"sysDescr.0", "sysObjectID.0", "sysUpTime.0", "sysName.0"
};
enum { U_SOURCE, U_BATTERY, U_ONBATT, U_CHARGE, U_MINUTES, U_MFR, U_MODEL,
	U_N };
static const char *const upsnames[U_N] = {
	"upsOutputSource.0", "upsBatteryStatus.0", "upsSecondsOnBattery.0",
	"upsEstimatedChargeRemaining.0", "upsEstimatedMinutesRemaining.0",
	"upsIdentManufacturer.0", "upsIdentModel.0"
};

struct target {
	const struct dopts *o;
	char		 host[FM_TEXT_MAX];
	int		 port;
	void		*sess;
	int64_t		 deadline;	/* monotonic ms */
	iconv_t		 conv;
	char		 err[512];
	int		 ok;
	struct cell	 sys[S_N];
	struct cell	 ups[U_N];
	int		 has_ups;
	int		 ans[ANS_N];
	struct col	 cols[C_N];
	u_char		 engine_id[64];
	size_t		 engine_id_len;
	const struct tmpl *tmpl;
	char		 id[FM_ID_MAX];	/* of the device block */
	char		 why[320];	/* how the template was chosen */
	struct sbuf	 out;
};

/* net-snmp's USM user list is global: SNMPv3 session opens take turns. */
static pthread_mutex_t v3_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t next_lock = PTHREAD_MUTEX_INITIALIZER;
static struct target *targets;
static int ntargets, next_target;

static __dead void
discover_usage(void)
{
	fprintf(stderr, "usage: facmon-agent discover [-v 1|2c|3] "
	    "[-c community] [-p port]\n"
	    "\t[-u user -l level -a proto -A pass -x proto -X pass -n context]"
	    "\n\t[-T dir] [-j jobs] [-t seconds] [--charset name] "
	    "address[:port] ...\n");
	exit(2);
}

/* ---- templates ---- */

/* "1.3.6.1.4.1.2011.2.23." fits 1.3.6.1.4.1.2011.2.23.378, as does the
 * prefix without its final dot; "1.3.6.1.4.1.2011.2.2" does not. */
static int
prefix_fits(const char *oid, const char *prefix)
{
	size_t	 n = strlen(prefix);

	if (n == 0 || strncmp(oid, prefix, n) != 0)
		return 0;
	return prefix[n - 1] == '.' || oid[n] == '\0' || oid[n] == '.';
}

static int
tmpl_load_one(const char *path, struct tmpl *t, char *err, size_t errlen)
{
	config_t cfg;
	config_setting_t *top, *m, *a;
	const char *s;
	char	 dir[PATH_MAX], *slash;
	int	 i, rc = -1;

	memset(t, 0, sizeof(*t));
	config_init(&cfg);
	/*
	 * An @include in a template (the port table the switch templates
	 * share) is relative to the template's directory, as for the agent.
	 */
	fm_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(&cfg, dir[0] ? dir : "/");
	}
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", path,
		    config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	if ((top = config_lookup(&cfg, "template")) == NULL ||
	    !config_setting_is_group(top)) {
		snprintf(err, errlen, "%s: no 'template' group", path);
		goto out;
	}
	if (config_setting_lookup_string(top, "name", &s) != CONFIG_TRUE ||
	    !fm_valid_id(s)) {
		snprintf(err, errlen, "%s: the template needs a 'name' of "
		    "letters, digits, '-', '_' and '.'", path);
		goto out;
	}
	fm_strlcpy(t->name, s, sizeof(t->name));
	if (config_setting_lookup_string(top, "description", &s) ==
	    CONFIG_TRUE)
		fm_strlcpy(t->descr, s, sizeof(t->descr));
	if (config_setting_lookup_string(top, "kind", &s) == CONFIG_TRUE)
		fm_strlcpy(t->kind, s, sizeof(t->kind));
	/* A template with checks is one the agent can apply as it is. */
	t->usable = config_setting_get_member(top, "checks") != NULL;
	if ((m = config_setting_get_member(top, "match")) != NULL) {
		if ((a = config_setting_get_member(m, "sysobjectid")) != NULL) {
			if (config_setting_type(a) == CONFIG_TYPE_STRING)
				fm_strlcpy(t->prefixes[t->nprefixes++],
				    config_setting_get_string(a),
				    sizeof(t->prefixes[0]));
			else
				for (i = 0; i < config_setting_length(a) &&
				    t->nprefixes < DISC_PREFIXES_MAX; i++) {
					s = config_setting_get_string_elem(a,
					    i);
					if (s != NULL && s[0] != '\0')
						fm_strlcpy(t->prefixes[
						    t->nprefixes++], s,
						    sizeof(t->prefixes[0]));
				}
		}
		if (config_setting_lookup_string(m, "sysdescr", &s) ==
		    CONFIG_TRUE && s[0] != '\0') {
			fm_strlcpy(t->sysdescr, s, sizeof(t->sysdescr));
			if (regcomp(&t->re, s, REG_EXTENDED | REG_ICASE |
			    REG_NOSUB) != 0) {
				snprintf(err, errlen, "%s: match.sysdescr is "
				    "not a regular expression: %s", path, s);
				goto out;
			}
			t->has_re = 1;
		}
	}
	rc = 0;
out:
	config_destroy(&cfg);
	return rc;
}

static int
conf_name(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".conf") == 0;
}

/*
 * Every *.conf of the directory, in name order.  A template that cannot
 * be read is skipped with a warning: the others still serve.
 */
static void
tmpl_load_dir(const char *dir, struct dopts *o)
{
	struct dirent **names;
	char	 path[PATH_MAX], err[PATH_MAX + 256];
	int	 n, i, j;

	if ((n = scandir(dir, &names, conf_name, alphasort)) == -1) {
		fprintf(stderr, "facmon-agent discover: templates %s: %s; "
		    "choosing checks by what answers\n", dir, strerror(errno));
		return;
	}
	if ((o->t = calloc(DISC_TEMPLATES_MAX, sizeof(*o->t))) == NULL)
		fatal("calloc");
	if (n > DISC_TEMPLATES_MAX)
		fprintf(stderr, "facmon-agent discover: %s: more than %d "
		    "templates; the first %d by name are read\n", dir,
		    DISC_TEMPLATES_MAX, DISC_TEMPLATES_MAX);
	for (i = 0; i < n; i++) {
		if (o->nt < DISC_TEMPLATES_MAX &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) < sizeof(path)) {
			if (tmpl_load_one(path, &o->t[o->nt], err,
			    sizeof(err)) == -1)
				fprintf(stderr, "facmon-agent discover: %s; "
				    "template skipped\n", err);
			else {
				for (j = 0; j < o->nt; j++)
					if (strcmp(o->t[j].name,
					    o->t[o->nt].name) == 0)
						break;
				if (j < o->nt) {
					fprintf(stderr, "facmon-agent "
					    "discover: %s: template '%s' is "
					    "already defined; skipped\n",
					    path, o->t[o->nt].name);
					if (o->t[o->nt].has_re)
						regfree(&o->t[o->nt].re);
				} else
					o->nt++;
			}
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The installed templates, or the source tree's when the program runs
 * from its build directory (build/facmon-agent beside etc/templates).
 */
static void
default_tmpl_dir(char *dir, size_t len)
{
	char	 exe[PATH_MAX], *slash;
	struct stat sb;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(dir, len, "%s/../etc/templates",
			    exe) < len && stat(dir, &sb) == 0 &&
			    S_ISDIR(sb.st_mode))
				return;
		}
	}
	snprintf(dir, len, "%s/templates", FACMON_DATADIR);
}

/* Which MIBs a kind of template expects to answer. */
static int
kind_rank(const char *kind, const int *ans)
{
	if (strcmp(kind, "ups") == 0)
		return ans[ANS_UPS] ? 4 : 0;
	if (strcmp(kind, "host") == 0 || strcmp(kind, "server") == 0 ||
	    strcmp(kind, "pc") == 0)
		return ans[ANS_HR] || ans[ANS_UCD] ? 3 : 0;
	if (strcmp(kind, "switch") == 0 || strcmp(kind, "router") == 0)
		return ans[ANS_IF] ? 2 : 0;
	if (strcmp(kind, "sensor") == 0)
		return ans[ANS_SENSOR] ? 1 : 0;
	return 0;
}

static const char *
answers_kind(const int *ans)
{
	if (ans[ANS_UPS])
		return "ups";
	if (ans[ANS_HR] || ans[ANS_UCD])
		return "host";
	if (ans[ANS_IF])
		return "switch";
	if (ans[ANS_SENSOR])
		return "sensor";
	return "other";
}

/*
 * The template that fits: the longest sysObjectID prefix; else a
 * template whose sysdescr expression matches (the one whose kind fits
 * what answers first); else a generic template (no match keys) of the
 * kind that what answers suggests.
 */
static void
tmpl_choose(struct target *t, const char *objid, const char *descr)
{
	const struct dopts *o = t->o;
	const struct tmpl *best = NULL;
	size_t	 bestlen = 0, n;
	int	 i, j, r, bestrank = 0;

	for (i = 0; i < o->nt; i++)
		for (j = 0; j < o->t[i].nprefixes; j++) {
			n = strlen(o->t[i].prefixes[j]);
			if (n > bestlen && prefix_fits(objid,
			    o->t[i].prefixes[j])) {
				best = &o->t[i];
				bestlen = n;
				snprintf(t->why, sizeof(t->why), "sysObjectID "
				    "under %s", o->t[i].prefixes[j]);
			}
		}
	if (best == NULL)
		for (i = 0; i < o->nt; i++) {
			if (!o->t[i].has_re ||
			    regexec(&o->t[i].re, descr, 0, NULL, 0) != 0)
				continue;
			r = kind_rank(o->t[i].kind, t->ans) + 1;
			if (r > bestrank) {
				best = &o->t[i];
				bestrank = r;
				snprintf(t->why, sizeof(t->why), "sysDescr "
				    "matches \"%s\"", o->t[i].sysdescr);
			}
		}
	if (best == NULL)
		for (i = 0; i < o->nt; i++) {
			if (o->t[i].nprefixes > 0 || o->t[i].has_re)
				continue;
			r = kind_rank(o->t[i].kind, t->ans);
			if (r > bestrank) {
				best = &o->t[i];
				bestrank = r;
				snprintf(t->why, sizeof(t->why), "generic "
				    "%s: %s answers", o->t[i].kind,
				    r == 4 ? "UPS-MIB" : r == 3 ?
				    "HOST-RESOURCES-MIB or UCD-SNMP-MIB" :
				    r == 2 ? "IF-MIB" : "ENTITY-SENSOR-MIB");
			}
		}
	t->tmpl = best;
}

/* ---- SNMP ---- */

/* What net-snmp last logged in this thread, which names some failures. */
static __thread char lastlog[256];

static int
log_cb(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m != NULL && m->msg != NULL)
		fm_strlcpy(lastlog, m->msg, sizeof(lastlog));
	return 0;
}

static void
tfail(struct target *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tfail(struct target *t, const char *fmt, ...)
{
	va_list	 ap;

	if (t->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
}

static int
sess_open(struct target *t)
{
	const struct dopts *o = t->o;
	netsnmp_session sess;
	char	 peer[FM_TEXT_MAX + 32];
	int	 clib, serr;
	char	*es = NULL;

	snmp_sess_init(&sess);
	if (strchr(t->host, ':') != NULL)
		snprintf(peer, sizeof(peer), "udp6:[%s]:%d", t->host, t->port);
	else
		snprintf(peer, sizeof(peer), "udp:%s:%d", t->host, t->port);
	sess.peername = peer;
	sess.version = o->version;
	sess.retries = 1;
	sess.timeout = DISC_REQ_TIMEOUT_MS * 1000L;
	if (o->version != SNMP_VERSION_3) {
		sess.community = (u_char *)(uintptr_t)o->community;
		sess.community_len = strlen(o->community);
	} else {
		sess.securityName = (char *)(uintptr_t)o->user;
		sess.securityNameLen = strlen(o->user);
		sess.securityLevel = o->level;
		sess.contextName = (char *)(uintptr_t)o->context;
		sess.contextNameLen = strlen(o->context);
		if (o->level != SNMP_SEC_LEVEL_NOAUTH) {
			if (strcmp(o->auth, "MD5") == 0) {
				sess.securityAuthProto =
				    usmHMACMD5AuthProtocol;
				sess.securityAuthProtoLen =
				    OID_LENGTH(usmHMACMD5AuthProtocol);
			} else if (strcmp(o->auth, "SHA-256") == 0) {
				sess.securityAuthProto =
				    usmHMAC192SHA256AuthProtocol;
				sess.securityAuthProtoLen =
				    OID_LENGTH(usmHMAC192SHA256AuthProtocol);
			} else {
				sess.securityAuthProto =
				    usmHMACSHA1AuthProtocol;
				sess.securityAuthProtoLen =
				    OID_LENGTH(usmHMACSHA1AuthProtocol);
			}
			sess.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (generate_Ku(sess.securityAuthProto,
			    (u_int)sess.securityAuthProtoLen,
			    (const u_char *)o->auth_pass, strlen(o->auth_pass),
			    sess.securityAuthKey, &sess.securityAuthKeyLen) !=
			    SNMPERR_SUCCESS) {
				tfail(t, "cannot derive the SNMPv3 auth key");
				return -1;
			}
		}
		if (o->level == SNMP_SEC_LEVEL_AUTHPRIV) {
			if (strcmp(o->priv, "DES") == 0) {
				sess.securityPrivProto = usmDESPrivProtocol;
				sess.securityPrivProtoLen =
				    OID_LENGTH(usmDESPrivProtocol);
			} else {
				sess.securityPrivProto = usmAESPrivProtocol;
				sess.securityPrivProtoLen =
				    OID_LENGTH(usmAESPrivProtocol);
			}
			sess.securityPrivKeyLen = USM_PRIV_KU_LEN;
			if (generate_Ku(sess.securityAuthProto,
			    (u_int)sess.securityAuthProtoLen,
			    (const u_char *)o->priv_pass, strlen(o->priv_pass),
			    sess.securityPrivKey, &sess.securityPrivKeyLen) !=
			    SNMPERR_SUCCESS) {
				tfail(t, "cannot derive the SNMPv3 priv key");
				return -1;
			}
		}
	}
	if ((t->sess = snmp_sess_open(&sess)) == NULL) {
		snmp_error(&sess, &clib, &serr, &es);
		if (o->version == SNMP_VERSION_3 && serr == SNMPERR_TIMEOUT)
			tfail(t, "timeout: no answer to the SNMPv3 engine-ID "
			    "discovery");
		else if (o->version == SNMP_VERSION_3)
			tfail(t, "SNMPv3 engine-ID discovery failed: %s",
			    es ? es : "?");
		else
			tfail(t, "cannot open an SNMP session to %s: %s", peer,
			    es ? es : "?");
		free(es);
		return -1;
	}
	return 0;
}

/*
 * One request and its answer, within the address's deadline.  NULL with
 * t->err set when the device does not answer, refuses us (SNMPv3
 * authentication), or the deadline passed: the address is done.
 */
static netsnmp_pdu *
request(struct target *t, netsnmp_pdu *pdu)
{
	netsnmp_session *sp = snmp_sess_session(t->sess);
	netsnmp_pdu *resp = NULL;
	int64_t	 left = t->deadline - mono_ms();
	int	 st, clib, serr;
	char	*es = NULL;

	if (left <= 0) {
		snmp_free_pdu(pdu);
		tfail(t, "deadline of %d s passed", t->o->deadline_s);
		return NULL;
	}
	sp->timeout = (left < DISC_REQ_TIMEOUT_MS * 2 ? left / 2 :
	    DISC_REQ_TIMEOUT_MS) * 1000L;
	if (sp->timeout < 1000)
		sp->timeout = 1000;
	lastlog[0] = '\0';
	st = snmp_sess_synch_response(t->sess, pdu, &resp);
	if (st == STAT_SUCCESS && resp != NULL) {
		/* The engine the discovery found: the block configures it. */
		if (t->engine_id_len == 0 && resp->securityEngineIDLen > 0 &&
		    resp->securityEngineIDLen <= sizeof(t->engine_id)) {
			memcpy(t->engine_id, resp->securityEngineID,
			    resp->securityEngineIDLen);
			t->engine_id_len = resp->securityEngineIDLen;
		}
		return resp;
	}
	if (resp != NULL)
		snmp_free_pdu(resp);
	snmp_sess_error(t->sess, &clib, &serr, &es);
	if (st == STAT_TIMEOUT || serr == SNMPERR_TIMEOUT) {
		/*
		 * Some agents answer a request they cannot authenticate with
		 * a report that does not authenticate with our keys either;
		 * net-snmp then drops it, says so in its log and waits.
		 */
		if (strstr(lastlog, "Authentication failed") != NULL)
			tfail(t, "authentication failure: the answers do not "
			    "authenticate with these keys (check -a, -A, -x, "
			    "-X and -l)");
		else if (t->o->version == SNMP_VERSION_3)
			tfail(t, "timeout: no answer");
		else
			tfail(t, "timeout: no answer (no SNMP agent there, "
			    "or not community \"%s\")", t->o->community);
		free(es);
		return NULL;
	}
	if (serr == SNMPERR_AUTHENTICATION_FAILURE ||
	    serr == SNMPERR_UNKNOWN_USER_NAME ||
	    serr == SNMPERR_UNSUPPORTED_SEC_LEVEL ||
	    serr == SNMPERR_USM_AUTHENTICATIONFAILURE ||
	    serr == SNMPERR_USM_UNKNOWNSECURITYNAME ||
	    serr == SNMPERR_USM_DECRYPTIONERROR)
		tfail(t, "authentication failure: %s", es ? es : "?");
	else
		tfail(t, "SNMP error: %s", es ? es : "?");
	free(es);
	return NULL;
}

static int
dict_oid(const char *name, oid *arcs, size_t *len)
{
	unsigned long a[MAX_OID_LEN];
	size_t	 n, i;

	if (mibdict_parse(name, a, MAX_OID_LEN, &n, NULL, 0) == -1)
		return -1;
	for (i = 0; i < n; i++)
		arcs[i] = a[i];
	*len = n;
	return 0;
}

static void
cell_set(struct cell *c, const netsnmp_variable_list *v)
{
	char	 buf[MAX_OID_LEN * 11 + 1];
	size_t	 i, o = 0;

	c->type = v->type;
	switch (v->type) {
	case ASN_INTEGER:
		c->num = *v->val.integer;
		break;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
		c->num = (long long)(unsigned long)*v->val.integer &
		    0xffffffffLL;
		break;
	case ASN_COUNTER64:
		c->num = (long long)(((uint64_t)v->val.counter64->high << 32)
		    | v->val.counter64->low);
		break;
	case ASN_OCTET_STR:
		if ((c->str = malloc(v->val_len + 1)) == NULL)
			fatal("malloc");
		memcpy(c->str, v->val.string, v->val_len);
		c->str[v->val_len] = '\0';
		c->len = v->val_len;
		break;
	case ASN_OBJECT_ID:
		buf[0] = '\0';
		for (i = 0; i < v->val_len / sizeof(oid) &&
		    o + 12 < sizeof(buf); i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%lu",
			    i ? "." : "", (unsigned long)v->val.objid[i]);
		c->str = (u_char *)strdup(buf);
		if (c->str == NULL)
			fatal("strdup");
		c->len = strlen(buf);
		break;
	default:
		c->type = 0;	/* an exception, or a type not shown */
		break;
	}
}

/* GET of dictionary names; a value the device lacks stays type 0. */
static int
get_names(struct target *t, const char *const *names, int n,
    struct cell *out)
{
	netsnmp_pdu *pdu, *resp;
	netsnmp_variable_list *v;
	oid	 arcs[MAX_OID_LEN];
	size_t	 len;
	int	 i;

	pdu = snmp_pdu_create(SNMP_MSG_GET);
	for (i = 0; i < n; i++) {
		if (dict_oid(names[i], arcs, &len) == -1)
			fatalx("discover: '%s' is not in the dictionary",
			    names[i]);
		snmp_add_null_var(pdu, arcs, len);
	}
	if ((resp = request(t, pdu)) == NULL)
		return -1;
	/* SNMPv1 answers a GET with one missing OID by an error for all. */
	if (resp->errstat == SNMP_ERR_NOSUCHNAME && n > 1) {
		snmp_free_pdu(resp);
		for (i = 0; i < n; i++)
			if (get_names(t, names + i, 1, out + i) == -1)
				return -1;
		return 0;
	}
	if (resp->errstat == SNMP_ERR_NOERROR)
		for (i = 0, v = resp->variables; v != NULL && i < n;
		    v = v->next_variable, i++)
			cell_set(&out[i], v);
	snmp_free_pdu(resp);
	return 0;
}

/* A dotted numeric OID into arcs; the callers' are constants. */
static size_t
dotted_oid(const char *s, oid *arcs, size_t max)
{
	size_t	 n = 0;
	char	*end;

	while (*s != '\0' && n < max) {
		arcs[n++] = (oid)strtoul(s, &end, 10);
		if (end == s || (*end != '.' && *end != '\0'))
			fatalx("discover: bad OID constant %s", s);
		s = *end == '.' ? end + 1 : end;
	}
	return n;
}

/* Does anything live under this subtree?  One GETNEXT. */
static int
answers_under(struct target *t, const char *dotted, int *yes)
{
	netsnmp_pdu *pdu, *resp;
	oid	 arcs[MAX_OID_LEN];
	size_t	 len;

	*yes = 0;
	len = dotted_oid(dotted, arcs, MAX_OID_LEN);
	pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
	snmp_add_null_var(pdu, arcs, len);
	if ((resp = request(t, pdu)) == NULL)
		return -1;
	if (resp->errstat == SNMP_ERR_NOERROR && resp->variables != NULL &&
	    resp->variables->type != SNMP_ENDOFMIBVIEW &&
	    resp->variables->type != SNMP_NOSUCHOBJECT &&
	    resp->variables->type != SNMP_NOSUCHINSTANCE &&
	    resp->variables->name_length > len &&
	    snmp_oidtree_compare(arcs, len, resp->variables->name,
	    resp->variables->name_length) == 0)
		*yes = 1;
	snmp_free_pdu(resp);
	return 0;
}

/* Every row of one column, by GETBULK (GETNEXT for SNMPv1), bounded. */
static int
walk_col(struct target *t, int ci)
{
	struct col *c = &t->cols[ci];
	netsnmp_pdu *pdu, *resp;
	netsnmp_variable_list *v;
	oid	 base[MAX_OID_LEN], cur[MAX_OID_LEN];
	size_t	 blen, clen, i, o;
	int	 done = 0;

	if (dict_oid(colnames[ci], base, &blen) == -1)
		fatalx("discover: '%s' is not in the dictionary",
		    colnames[ci]);
	memcpy(cur, base, blen * sizeof(oid));
	clen = blen;
	while (!done) {
		if (t->o->version == SNMP_VERSION_1)
			pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
		else {
			pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
			pdu->non_repeaters = 0;
			pdu->max_repetitions = 30;
		}
		snmp_add_null_var(pdu, cur, clen);
		if ((resp = request(t, pdu)) == NULL)
			return -1;
		if (resp->errstat != SNMP_ERR_NOERROR || resp->variables ==
		    NULL) {
			snmp_free_pdu(resp);	/* v1's noSuchName: the end */
			break;
		}
		for (v = resp->variables; v != NULL; v = v->next_variable) {
			if (v->type == SNMP_ENDOFMIBVIEW ||
			    v->type == SNMP_NOSUCHOBJECT ||
			    v->type == SNMP_NOSUCHINSTANCE ||
			    v->name_length <= blen ||
			    snmp_oidtree_compare(base, blen, v->name,
			    v->name_length) != 0 ||
			    snmp_oid_compare(v->name, v->name_length, cur,
			    clen) <= 0 || c->n == DISC_ROWS_MAX) {
				done = 1;
				break;
			}
			if (c->n == c->cap) {
				int	 nc = c->cap ? c->cap * 2 : 32;
				struct cell *nn = realloc(c->c, (size_t)nc *
				    sizeof(*nn));

				if (nn == NULL)
					fatal("realloc");
				c->c = nn;
				c->cap = nc;
			}
			memset(&c->c[c->n], 0, sizeof(c->c[0]));
			for (i = blen, o = 0; i < v->name_length &&
			    o + 12 < sizeof(c->c[0].idx); i++)
				o += (size_t)snprintf(c->c[c->n].idx + o,
				    sizeof(c->c[0].idx) - o, "%s%lu",
				    i > blen ? "." : "",
				    (unsigned long)v->name[i]);
			cell_set(&c->c[c->n], v);
			c->n++;
			memcpy(cur, v->name, v->name_length * sizeof(oid));
			clen = v->name_length;
		}
		snmp_free_pdu(resp);
	}
	return 0;
}

static const struct cell *
col_find(const struct target *t, int ci, const char *idx)
{
	const struct col *c = &t->cols[ci];
	int	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->c[i].idx, idx) == 0)
			return c->c[i].type ? &c->c[i] : NULL;
	return NULL;
}

static long long
num_of(const struct cell *c, long long dflt)
{
	if (c == NULL || c->type == 0 || c->type == ASN_OCTET_STR ||
	    c->type == ASN_OBJECT_ID)
		return dflt;
	return c->num;
}

/* ---- text ---- */

/*
 * A device's string as one line of UTF-8: as it is when it is text,
 * converted when --charset names its encoding, else its bytes in hex
 * ("0x...") so that nothing the device sends can break the output.
 * Line ends become spaces; for a libconfig string (quoted != 0) the
 * quote and the backslash are escaped.
 */
static void
text_of(struct target *t, const struct cell *c, int quoted, char *out,
    size_t outlen)
{
	char	 conv[1024];
	const u_char *p;
	size_t	 n, i, o = 0;
	ssize_t	 cl;

	out[0] = '\0';
	if (c == NULL || c->type == 0)
		return;
	if (c->type != ASN_OCTET_STR && c->type != ASN_OBJECT_ID) {
		snprintf(out, outlen, "%lld", c->num);
		return;
	}
	p = c->str;
	n = c->len;
	while (n > 0 && p[n - 1] == '\0')	/* C strings of some agents */
		n--;
	if (!fm_utf8_printable(p, n) && t->conv != (iconv_t)-1 &&
	    (cl = fm_iconv_text(t->conv, p, n, conv, sizeof(conv))) != -1) {
		p = (u_char *)conv;
		n = (size_t)cl;
	}
	if (!fm_utf8_printable(p, n)) {
		o = (size_t)snprintf(out, outlen, "0x");
		for (i = 0; i < n && o + 3 < outlen; i++)
			o += (size_t)snprintf(out + o, outlen - o, "%02x",
			    p[i]);
		return;
	}
	for (i = 0; i < n && o + 3 < outlen; i++) {
		u_char	 ch = p[i];

		if (ch == '\r' || ch == '\n' || ch == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		if (quoted && (ch == '"' || ch == '\\'))
			out[o++] = '\\';
		out[o++] = (char)ch;
	}
	/* Never end in half a UTF-8 character when cut short. */
	out[o] = '\0';
	while (o > 0 && !fm_utf8_valid(out, o))
		out[--o] = '\0';
}

static void
speed_text(long long high, long long bits, char *buf, size_t len)
{
	if (high > 0) {
		if (high >= 1000 && high % 1000 == 0)
			snprintf(buf, len, "%lld Gbit/s", high / 1000);
		else
			snprintf(buf, len, "%lld Mbit/s", high);
	} else if (bits > 0) {
		if (bits >= 1000000000 && bits % 1000000000 == 0)
			snprintf(buf, len, "%lld Gbit/s", bits / 1000000000);
		else if (bits >= 1000000 && bits % 1000000 == 0)
			snprintf(buf, len, "%lld Mbit/s", bits / 1000000);
		else
			snprintf(buf, len, "%lld bit/s", bits);
	} else
		snprintf(buf, len, "speed unknown");
}

static void
bytes_text(double b, char *buf, size_t len)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int	 i = 0;

	while (b >= 1024 && i < 5) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static const char *
enum_word(const char *name, long long v, char *buf, size_t len)
{
	const struct mibobj *m = mibdict_find(NULL, name);

	if (mibdict_enum(m, (long)v, buf, len) == NULL)
		snprintf(buf, len, "%lld", v);
	return buf;
}

/*
 * A UPS's state in words (RFC 1628): where the output comes from, and
 * the battery when it is not normal.
 */
static void
ups_words(const struct target *t, char *buf, size_t len)
{
	long long src = num_of(&t->ups[U_SOURCE], 0);
	long long bat = num_of(&t->ups[U_BATTERY], 0);
	const char *s;

	switch (src) {
	case 3:
		s = "on mains";
		break;
	case 4:
		s = "on bypass";
		break;
	case 5:
		s = "on battery";
		break;
	case 6:
		s = "on mains, boosting";
		break;
	case 7:
		s = "on mains, reducing";
		break;
	case 2:
		s = "output off";
		break;
	default:
		s = "output source unknown";
		break;
	}
	snprintf(buf, len, "%s%s", s, bat == 3 ? ", battery low" :
	    bat == 4 ? ", battery depleted" : bat == 1 ?
	    ", battery state unknown" : "");
}

/* ---- the probe of one address ---- */

static void
probe_target(struct target *t)
{
	static const int ifcols[] = { C_IFDESCR, C_IFADMIN, C_IFOPER,
	    C_IFSPEED };
	static const int ifxcols[] = { C_IFNAME, C_IFALIAS, C_IFHIGHSPEED,
	    C_IFHCIN };
	static const int hrcols[] = { C_HRSDESCR, C_HRSUNITS, C_HRSSIZE,
	    C_HRSUSED, C_HRCPU };
	static const int sensorcols[] = { C_SENSTYPE, C_SENSSCALE, C_SENSPREC,
	    C_SENSVALUE, C_SENSOPER, C_ENTNAME };
	static const int upscols[] = { C_UPSINV, C_UPSOUTV, C_UPSLOAD };
	size_t	 i;
	int	 a, rc;

	t->deadline = mono_ms() + (int64_t)t->o->deadline_s * 1000;
	/*
	 * net-snmp discovers an SNMPv3 engine ID when the session opens or
	 * at its first request, and adds what it learns to the library's
	 * global user list: first contacts take turns.
	 */
	if (t->o->version == SNMP_VERSION_3)
		pthread_mutex_lock(&v3_lock);
	rc = sess_open(t);
	if (rc == 0)
		rc = get_names(t, sysnames, S_N, t->sys);
	if (t->o->version == SNMP_VERSION_3)
		pthread_mutex_unlock(&v3_lock);
	if (rc == -1)
		return;
	if (t->sys[S_OBJID].type == 0 && t->sys[S_DESCR].type == 0) {
		tfail(t, "it answers but has neither sysObjectID nor "
		    "sysDescr");
		return;
	}
	for (a = 0; a < ANS_N; a++)
		if (answers_under(t, answers[a].oid, &t->ans[a]) == -1)
			return;
#define WALK(set) \
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) \
		if (walk_col(t, set[i]) == -1) \
			return;
	if (t->ans[ANS_IF])
		WALK(ifcols);
	if (t->ans[ANS_IFX])
		WALK(ifxcols);
	if (t->ans[ANS_HR])
		WALK(hrcols);
	if (t->ans[ANS_UCD] && walk_col(t, C_LALOAD) == -1)
		return;
	if (t->ans[ANS_SENSOR])
		WALK(sensorcols);
	if (t->ans[ANS_UPS]) {
		if (get_names(t, upsnames, U_N, t->ups) == -1)
			return;
		t->has_ups = t->ups[U_SOURCE].type != 0 ||
		    t->ups[U_BATTERY].type != 0;
		WALK(upscols);
	}
#undef WALK
	t->ok = 1;
}

static void
target_free(struct target *t)
{
	int	 i, k;

	for (i = 0; i < S_N; i++)
		free(t->sys[i].str);
	for (i = 0; i < U_N; i++)
		free(t->ups[i].str);
	for (i = 0; i < C_N; i++) {
		for (k = 0; k < t->cols[i].n; k++)
			free(t->cols[i].c[k].str);
		free(t->cols[i].c);
	}
	if (t->conv != (iconv_t)-1)
		iconv_close(t->conv);
	free(t->out.p);
}

static void *
worker(void *arg)
{
	struct target *t;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&next_lock);
		t = next_target < ntargets ? &targets[next_target++] : NULL;
		pthread_mutex_unlock(&next_lock);
		if (t == NULL)
			return NULL;
		probe_target(t);
		if (t->sess != NULL) {
			snmp_sess_close(t->sess);
			t->sess = NULL;
		}
	}
}

/* ---- the device block ---- */

/* A libconfig string: the quote and the backslash escaped. */
static void
sb_quoted(struct sbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (; *s != '\0'; s++)
		sb_printf(b, "%s%c", *s == '"' || *s == '\\' ? "\\" : "",
		    *s);
	sb_puts(b, "\"");
}

static void
emit_auth(struct target *t)
{
	const struct dopts *o = t->o;
	struct sbuf *b = &t->out;
	size_t	 i;

	if (o->version == SNMP_VERSION_1)
		sb_printf(b, "        version = \"1\";");
	else if (o->version == SNMP_VERSION_2c)
		sb_printf(b, "        version = \"2c\";");
	if (o->version != SNMP_VERSION_3) {
		sb_puts(b, " community = ");
		sb_quoted(b, o->community);
		sb_puts(b, ";");
	} else {
		sb_puts(b, "        version = \"3\"; security_name = ");
		sb_quoted(b, o->user);
		sb_printf(b, ";\n        security_level = \"%s\";",
		    o->level == SNMP_SEC_LEVEL_NOAUTH ? "noAuthNoPriv" :
		    o->level == SNMP_SEC_LEVEL_AUTHNOPRIV ? "authNoPriv" :
		    "authPriv");
		if (o->level != SNMP_SEC_LEVEL_NOAUTH) {
			sb_printf(b, " auth_protocol = \"%s\";\n"
			    "        auth_passphrase = ", o->auth);
			sb_quoted(b, o->auth_pass);
			sb_puts(b, ";");
		}
		if (o->level == SNMP_SEC_LEVEL_AUTHPRIV) {
			sb_printf(b, " priv_protocol = \"%s\";\n"
			    "        priv_passphrase = ", o->priv);
			sb_quoted(b, o->priv_pass);
			sb_puts(b, ";");
		}
		if (o->context[0] != '\0') {
			sb_puts(b, " context = ");
			sb_quoted(b, o->context);
			sb_puts(b, ";");
		}
		sb_puts(b, "\n        engine_id = \"0x");
		for (i = 0; i < t->engine_id_len; i++)
			sb_printf(b, "%02x", t->engine_id[i]);
		sb_puts(b, "\";");
	}
	if (t->port != 161)
		sb_printf(b, " port = %d;", t->port);
	sb_puts(b, "\n");
}

static void
emit_check(struct target *t, const char *id, const char *get,
    const char *walk, const char *expect, int *first)
{
	struct sbuf *b = &t->out;

	sb_printf(b, "%s\n      { id = \"%s\"; type = \"snmp\"; interval = 60; "
	    "timeout = 10; max_repetitions = 50;\n", *first ? "" : ",", id);
	emit_auth(t);
	if (get != NULL)
		sb_printf(b, "        get = ( %s );\n", get);
	if (walk != NULL)
		sb_printf(b, "        walk = ( %s );\n", walk);
	if (expect != NULL)
		sb_printf(b, "        expect_values = ( %s );\n", expect);
	sb_puts(b, "      }");
	*first = 0;
}

static const char *
device_class(const char *kind)
{
	static const char *const ok[] = { "switch", "router", "ups", "server",
	    "pc", "sensor", "firewall", "hvac", "gateway", "wifi-controller",
	    NULL };
	int	 i;

	if (strcmp(kind, "host") == 0)
		return "server";
	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(kind, ok[i]) == 0)
			return kind;
	return "other";
}

static void
emit_findings(struct target *t)
{
	struct sbuf *b = &t->out;
	char	 name[256], alias[256], speed[64], w1[64], w2[64], s1[32],
		 s2[32];
	const struct col *c;
	const struct cell *x;
	long long units, size, used;
	int	 i;

	if (t->ans[ANS_IF]) {
		c = &t->cols[C_IFDESCR];
		sb_printf(b, "  # ports: %d (name | alias | speed | oper "
		    "status | admin status)\n", c->n);
		for (i = 0; i < c->n; i++) {
			const char *idx = c->c[i].idx;

			x = col_find(t, C_IFNAME, idx);
			if (x == NULL || x->len == 0)
				x = &c->c[i];
			text_of(t, x, 0, name, sizeof(name));
			text_of(t, col_find(t, C_IFALIAS, idx), 1, alias,
			    sizeof(alias));
			speed_text(num_of(col_find(t, C_IFHIGHSPEED, idx), 0),
			    num_of(col_find(t, C_IFSPEED, idx), 0), speed,
			    sizeof(speed));
			sb_printf(b, "  #   port %s: %s | \"%s\" | %s | %s | "
			    "%s\n", idx, name, alias, speed,
			    enum_word("ifOperStatus", num_of(col_find(t,
			    C_IFOPER, idx), 0), w1, sizeof(w1)),
			    enum_word("ifAdminStatus", num_of(col_find(t,
			    C_IFADMIN, idx), 0), w2, sizeof(w2)));
		}
	}
	if (t->ans[ANS_HR] && t->cols[C_HRSDESCR].n > 0) {
		c = &t->cols[C_HRSDESCR];
		sb_printf(b, "  # storage: %d (description | size | used)\n",
		    c->n);
		for (i = 0; i < c->n; i++) {
			const char *idx = c->c[i].idx;

			text_of(t, &c->c[i], 0, name, sizeof(name));
			units = num_of(col_find(t, C_HRSUNITS, idx), 0);
			size = num_of(col_find(t, C_HRSSIZE, idx), 0);
			used = num_of(col_find(t, C_HRSUSED, idx), 0);
			bytes_text((double)size * (double)units, s1,
			    sizeof(s1));
			bytes_text((double)used * (double)units, s2,
			    sizeof(s2));
			sb_printf(b, "  #   storage %s: %s | %s | %s", idx,
			    name, s1, s2);
			if (size > 0)
				sb_printf(b, " (%.0f %%)", 100.0 *
				    (double)used / (double)size);
			sb_puts(b, "\n");
		}
	}
	if (t->cols[C_HRCPU].n > 0)
		sb_printf(b, "  # processors: %d\n", t->cols[C_HRCPU].n);
	if (t->ans[ANS_SENSOR]) {
		c = &t->cols[C_SENSVALUE];
		sb_printf(b, "  # sensors: %d (name | value | status)\n",
		    c->n);
		for (i = 0; i < c->n; i++) {
			const char *idx = c->c[i].idx;
			long long prec = num_of(col_find(t, C_SENSPREC, idx),
			    0);
			long long scale = num_of(col_find(t, C_SENSSCALE,
			    idx), 9);
			double	 v = (double)c->c[i].num;
			int	 k;

			/* RFC 3433: value * 10^-precision, in 10^(3 * (scale
			 * - 9)) units (9 is "units"); printed in units. */
			for (k = 0; k < prec && k < 9; k++)
				v /= 10;
			for (k = 9; k < scale && k < 17; k++)
				v *= 1000;
			for (k = 9; k > scale && k > 1; k--)
				v /= 1000;
			text_of(t, col_find(t, C_ENTNAME, idx), 0, name,
			    sizeof(name));
			enum_word("entPhySensorType", num_of(col_find(t,
			    C_SENSTYPE, idx), 2), w1, sizeof(w1));
			sb_printf(b, "  #   sensor %s: %s | %g %s | %s\n", idx,
			    name[0] ? name : "(no name)", v, w1,
			    enum_word("entPhySensorOperStatus",
			    num_of(col_find(t, C_SENSOPER, idx), 0), w2,
			    sizeof(w2)));
		}
	}
	if (t->has_ups) {
		ups_words(t, name, sizeof(name));
		sb_printf(b, "  # UPS: %s (upsOutputSource %s, "
		    "upsBatteryStatus %s)", name,
		    enum_word("upsOutputSource", num_of(&t->ups[U_SOURCE], 0),
		    w1, sizeof(w1)), enum_word("upsBatteryStatus",
		    num_of(&t->ups[U_BATTERY], 0), w2, sizeof(w2)));
		if (t->ups[U_ONBATT].type != 0)
			sb_printf(b, "; %lld s on battery",
			    t->ups[U_ONBATT].num);
		if (t->ups[U_CHARGE].type != 0)
			sb_printf(b, "; charge %lld %%", t->ups[U_CHARGE].num);
		if (t->ups[U_MINUTES].type != 0)
			sb_printf(b, "; %lld min left", t->ups[U_MINUTES].num);
		sb_puts(b, "\n");
		text_of(t, &t->ups[U_MFR], 0, name, sizeof(name));
		text_of(t, &t->ups[U_MODEL], 0, alias, sizeof(alias));
		if (name[0] || alias[0])
			sb_printf(b, "  # UPS model: %s %s\n", name, alias);
		for (i = 0; i < t->cols[C_UPSINV].n; i++)
			sb_printf(b, "  #   input line %s: %lld V\n",
			    t->cols[C_UPSINV].c[i].idx,
			    t->cols[C_UPSINV].c[i].num);
		for (i = 0; i < t->cols[C_UPSOUTV].n; i++)
			sb_printf(b, "  #   output line %s: %lld V, load %lld "
			    "%%\n", t->cols[C_UPSOUTV].c[i].idx,
			    t->cols[C_UPSOUTV].c[i].num,
			    num_of(col_find(t, C_UPSLOAD,
			    t->cols[C_UPSOUTV].c[i].idx), 0));
	}
}

/* A device id from sysName, unique among this run's blocks. */
static void
device_id(struct target *t, int nth, char *id, size_t len)
{
	char	 name[FM_TEXT_MAX + 8], base[FM_ID_MAX - 8];
	int	 i, k;

	text_of(t, &t->sys[S_NAME], 0, name, sizeof(name));
	if (name[0] == '\0' || strncmp(name, "0x", 2) == 0)
		snprintf(name, sizeof(name), "dev-%s", t->host);
	fm_sanitize_name(base, sizeof(base), name);
	fm_strlcpy(id, base, len);
	for (k = 2; k < 10000; k++) {
		for (i = 0; i < nth; i++)
			if (strcmp(targets[i].id, id) == 0)
				break;
		if (i == nth)
			break;
		snprintf(id, len, "%s-%d", base, k);
	}
}

static void
emit_block(struct target *t, int nth, int first)
{
	struct sbuf *b = &t->out;
	char	 descr[512], objid[256], name[FM_TEXT_MAX], kind[FM_ID_MAX],
		 walk[1024], *id = t->id;
	long long up;
	int	 firstcheck = 1, hc;

	text_of(t, &t->sys[S_DESCR], 0, descr, sizeof(descr));
	text_of(t, &t->sys[S_OBJID], 0, objid, sizeof(objid));
	device_id(t, nth, t->id, sizeof(t->id));
	text_of(t, &t->sys[S_NAME], 1, name, sizeof(name));
	if (name[0] == '\0' || strncmp(name, "0x", 2) == 0 ||
	    strlen(name) >= FM_TEXT_MAX - 1)
		fm_strlcpy(name, t->host, sizeof(name));
	fm_strlcpy(kind, t->tmpl ? t->tmpl->kind : answers_kind(t->ans),
	    sizeof(kind));
	if (kind[0] == '\0')
		fm_strlcpy(kind, answers_kind(t->ans), sizeof(kind));

	sb_printf(b, strchr(t->host, ':') != NULL ? "%s# [%s]:%d\n" :
	    "%s# %s:%d\n", first ? "" : ",\n", t->host, t->port);
	sb_printf(b, "{ id = \"%s\"; name = \"%s\"; class = \"%s\";\n"
	    "  address = \"%s\";\n", id, name, device_class(kind), t->host);
	if (t->o->charset[0] != '\0')
		sb_printf(b, "  charset = \"%s\";\n", t->o->charset);
	sb_printf(b, "  # sysObjectID: %s\n", objid[0] ? objid : "(none)");
	sb_printf(b, "  # sysDescr: %s\n", descr);
	if (t->sys[S_UPTIME].type != 0) {
		up = t->sys[S_UPTIME].num / 100;
		sb_printf(b, "  # sysUpTime: %lld d %02lld:%02lld:%02lld%s\n",
		    up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
		    up < 3600 ? " (restarted less than an hour ago)" : "");
	}
	sb_puts(b, "  # answers:");
	{
		int	 a, any = 0;

		for (a = 0; a < ANS_N; a++)
			if (t->ans[a]) {
				sb_printf(b, "%s %s", any ? "," : "",
				    answers[a].name);
				any = 1;
			}
		if (!any)
			sb_puts(b, " only the system group");
	}
	sb_puts(b, "\n");
	if (t->tmpl != NULL)
		sb_printf(b, "  # template: %s (%s), by %s\n", t->tmpl->name,
		    t->tmpl->descr[0] ? t->tmpl->descr : "no description",
		    t->why);
	else
		sb_printf(b, "  # template: none fits; checks chosen by what "
		    "answers\n");
	emit_findings(t);

	/*
	 * A template the agent can apply: the device is one line naming it,
	 * with the credentials discover used; what it found stays above as
	 * comments.
	 */
	if (t->tmpl != NULL && t->tmpl->usable) {
		sb_printf(b, "  template = \"%s\";\n  snmp = {\n",
		    t->tmpl->name);
		emit_auth(t);
		sb_puts(b, "  }; }");
		return;
	}
	sb_puts(b, "  checks = (");
	hc = t->ans[ANS_IFX] && t->cols[C_IFHCIN].n > 0 &&
	    t->o->version != SNMP_VERSION_1;
	if (t->has_ups)
		emit_check(t, "ups", "\"sysUpTime.0\", \"upsOutputSource.0\", "
		    "\"upsBatteryStatus.0\",\n                \"upsSecondsOn"
		    "Battery.0\", \"upsEstimatedChargeRemaining.0\"",
		    t->cols[C_UPSOUTV].n > 0 ? "\"upsInputVoltage\", "
		    "\"upsOutputVoltage\", \"upsOutputPercentLoad\"" : NULL,
		    "{ value = \"upsOutputSource.0\"; in = [ 3 ]; },\n"
		    "          { value = \"upsBatteryStatus.0\"; in = [ 2 ]; }",
		    &firstcheck);
	if (t->ans[ANS_IF] && t->cols[C_IFDESCR].n > 0) {
		snprintf(walk, sizeof(walk), "%s\"ifAdminStatus\", "
		    "\"ifOperStatus\",\n                %s",
		    t->ans[ANS_IFX] && t->cols[C_IFNAME].n > 0 ?
		    "\"ifName\", \"ifAlias\", " : "\"ifDescr\", ",
		    hc ? "\"ifHighSpeed\", \"ifHCInOctets\", \"ifHCOutOctets\", "
		    "\"ifInErrors\", \"ifOutErrors\"" : "\"ifSpeed\", "
		    "\"ifInOctets\", \"ifOutOctets\", \"ifInErrors\", "
		    "\"ifOutErrors\"");
		emit_check(t, "ports", "\"sysUpTime.0\"", walk, NULL,
		    &firstcheck);
	}
	if (t->cols[C_HRSDESCR].n > 0) {
		snprintf(walk, sizeof(walk), "\"hrStorageDescr\", "
		    "\"hrStorageAllocationUnits\", \"hrStorageSize\",\n"
		    "                \"hrStorageUsed\"%s%s",
		    t->cols[C_HRCPU].n > 0 ? ", \"hrProcessorLoad\"" : "",
		    t->cols[C_LALOAD].n > 0 ? ", \"laLoad\"" : "");
		emit_check(t, "host", "\"sysUpTime.0\"", walk, NULL,
		    &firstcheck);
	}
	if (t->cols[C_SENSVALUE].n > 0)
		emit_check(t, "sensors", NULL, "\"entPhySensorType\", "
		    "\"entPhySensorScale\", \"entPhySensorValue\",\n"
		    "                \"entPhySensorOperStatus\"", NULL,
		    &firstcheck);
	if (firstcheck)
		emit_check(t, "system", "\"sysUpTime.0\"", NULL, NULL,
		    &firstcheck);
	sb_puts(b, "\n  ); }");
}

/* ---- main ---- */

static void
copy_opt(char *dst, size_t len, const char *src, const char *what)
{
	if (strlen(src) >= len) {
		fprintf(stderr, "facmon-agent discover: %s is too long\n",
		    what);
		exit(2);
	}
	fm_strlcpy(dst, src, len);
}

static int
split_address(const char *arg, int dflt, char *host, size_t hlen,
    int *port)
{
	const char *colon, *rb;
	char	*end;
	long	 p;

	*port = dflt;
	if (arg[0] == '[') {
		if ((rb = strchr(arg, ']')) == NULL || rb == arg + 1 ||
		    (size_t)(rb - arg - 1) >= hlen)
			return -1;
		memcpy(host, arg + 1, (size_t)(rb - arg - 1));
		host[rb - arg - 1] = '\0';
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] != '\0' && colon == NULL)
			return -1;
	} else if ((colon = strchr(arg, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		if (colon == arg || (size_t)(colon - arg) >= hlen)
			return -1;
		memcpy(host, arg, (size_t)(colon - arg));
		host[colon - arg] = '\0';
	} else {
		/* A bare IPv6 address has no port. */
		colon = NULL;
		if (strlen(arg) >= hlen || arg[0] == '\0')
			return -1;
		fm_strlcpy(host, arg, hlen);
	}
	if (colon != NULL) {
		p = strtol(colon + 1, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			return -1;
		*port = (int)p;
	}
	return 0;
}

int
discover_main(int argc, char *argv[])
{
	static struct option longopts[] = {
		{ "charset", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct dopts o;
	char	 tdir[PATH_MAX] = "", ver[8] = "2c", level[16] = "authPriv";
	pthread_t th[DISC_JOBS_MAX];
	iconv_t	 probe;
	char	*end;
	int	 ch, i, nth, failed = 0, first = 1;

	memset(&o, 0, sizeof(o));
	fm_strlcpy(o.community, "public", sizeof(o.community));
	fm_strlcpy(o.auth, "SHA", sizeof(o.auth));
	fm_strlcpy(o.priv, "AES", sizeof(o.priv));
	o.port = 161;
	o.jobs = DISC_JOBS_DEFAULT;
	o.deadline_s = DISC_DEADLINE_DEFAULT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "v:c:p:u:l:a:A:x:X:n:T:j:t:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			copy_opt(ver, sizeof(ver), optarg, "-v");
			break;
		case 'c':
			copy_opt(o.community, sizeof(o.community), optarg,
			    "the community");
			break;
		case 'p':
			o.port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o.port < 1 || o.port > 65535)
				discover_usage();
			break;
		case 'u':
			copy_opt(o.user, sizeof(o.user), optarg, "-u");
			break;
		case 'l':
			copy_opt(level, sizeof(level), optarg, "-l");
			break;
		case 'a':
			copy_opt(o.auth, sizeof(o.auth), optarg, "-a");
			break;
		case 'A':
			copy_opt(o.auth_pass, sizeof(o.auth_pass), optarg,
			    "-A");
			break;
		case 'x':
			copy_opt(o.priv, sizeof(o.priv), optarg, "-x");
			break;
		case 'X':
			copy_opt(o.priv_pass, sizeof(o.priv_pass), optarg,
			    "-X");
			break;
		case 'n':
			copy_opt(o.context, sizeof(o.context), optarg, "-n");
			break;
		case 'T':
			copy_opt(tdir, sizeof(tdir), optarg, "-T");
			break;
		case 'j':
			o.jobs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o.jobs < 1 || o.jobs > DISC_JOBS_MAX)
				discover_usage();
			break;
		case 't':
			o.deadline_s = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o.deadline_s < 1 ||
			    o.deadline_s > 3600)
				discover_usage();
			break;
		case 'C':
			copy_opt(o.charset, sizeof(o.charset), optarg,
			    "--charset");
			break;
		default:
			discover_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		discover_usage();
	if (strcmp(ver, "1") == 0)
		o.version = SNMP_VERSION_1;
	else if (strcmp(ver, "2c") == 0)
		o.version = SNMP_VERSION_2c;
	else if (strcmp(ver, "3") == 0)
		o.version = SNMP_VERSION_3;
	else
		discover_usage();
	if (o.version == SNMP_VERSION_3) {
		if (strcmp(level, "noAuthNoPriv") == 0)
			o.level = SNMP_SEC_LEVEL_NOAUTH;
		else if (strcmp(level, "authNoPriv") == 0)
			o.level = SNMP_SEC_LEVEL_AUTHNOPRIV;
		else if (strcmp(level, "authPriv") == 0)
			o.level = SNMP_SEC_LEVEL_AUTHPRIV;
		else {
			fprintf(stderr, "facmon-agent discover: -l must be "
			    "noAuthNoPriv, authNoPriv or authPriv\n");
			return 2;
		}
		/* The same rules as the configuration, which the block meets. */
		if (o.user[0] == '\0' || (o.level != SNMP_SEC_LEVEL_NOAUTH &&
		    strlen(o.auth_pass) < 8) || (o.level ==
		    SNMP_SEC_LEVEL_AUTHPRIV && strlen(o.priv_pass) < 8)) {
			fprintf(stderr, "facmon-agent discover: SNMPv3 needs "
			    "-u, and -A/-X passphrases of at least 8 "
			    "characters for its level\n");
			return 2;
		}
		if (strcmp(o.auth, "SHA") != 0 && strcmp(o.auth, "SHA-256") !=
		    0 && strcmp(o.auth, "MD5") != 0) {
			fprintf(stderr, "facmon-agent discover: -a must be "
			    "SHA, SHA-256 or MD5\n");
			return 2;
		}
		if (strcmp(o.priv, "AES") != 0 && strcmp(o.priv, "DES") != 0) {
			fprintf(stderr, "facmon-agent discover: -x must be "
			    "AES or DES\n");
			return 2;
		}
	}
	if (o.charset[0] != '\0') {
		if ((probe = iconv_open("UTF-8", o.charset)) == (iconv_t)-1) {
			fprintf(stderr, "facmon-agent discover: unknown "
			    "charset '%s'\n", o.charset);
			return 2;
		}
		iconv_close(probe);
	}
	if (tdir[0] == '\0')
		default_tmpl_dir(tdir, sizeof(tdir));
	tmpl_load_dir(tdir, &o);

	if ((targets = calloc((size_t)argc, sizeof(*targets))) == NULL)
		fatal("calloc");
	ntargets = argc;
	for (i = 0; i < argc; i++) {
		targets[i].o = &o;
		targets[i].conv = o.charset[0] != '\0' ?
		    iconv_open("UTF-8", o.charset) : (iconv_t)-1;
		if (split_address(argv[i], o.port, targets[i].host,
		    sizeof(targets[i].host), &targets[i].port) == -1) {
			fprintf(stderr, "facmon-agent discover: bad address "
			    "'%s' (address, address:port or [v6]:port)\n",
			    argv[i]);
			return 2;
		}
	}
	if (snmp_global_init(NULL) == -1)
		fatalx("cannot initialise the SNMP library");
	/*
	 * Errors are reported per address below, not by the library on
	 * stderr; what it logs is kept for the thread that caused it.
	 */
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    log_cb, NULL);
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	nth = o.jobs < argc ? o.jobs : argc;
	for (i = 0; i < nth; i++)
		if ((errno = pthread_create(&th[i], NULL, worker, NULL)) != 0)
			fatal("pthread_create");
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);

	/* In the order given, whatever order the answers came in. */
	for (i = 0; i < argc; i++) {
		struct target *t = &targets[i];

		if (!t->ok) {
			fprintf(stderr, strchr(t->host, ':') != NULL ?
			    "facmon-agent discover: [%s]:%d: %s\n" :
			    "facmon-agent discover: %s:%d: %s\n", t->host,
			    t->port, t->err[0] ? t->err : "no answer");
			failed++;
			continue;
		}
		tmpl_choose(t, t->sys[S_OBJID].str ?
		    (const char *)t->sys[S_OBJID].str : "",
		    t->sys[S_DESCR].type == ASN_OCTET_STR ?
		    (const char *)t->sys[S_DESCR].str : "");
		emit_block(t, i, first);
		if (t->out.err)
			fatalx("out of memory");
		fputs(t->out.p, stdout);
		first = 0;
	}
	if (!first)
		fputs("\n", stdout);
	fflush(stdout);
	for (i = 0; i < argc; i++)
		target_free(&targets[i]);
	free(targets);
	for (i = 0; i < o.nt; i++)
		if (o.t[i].has_re)
			regfree(&o.t[i].re);
	free(o.t);
	if (failed)
		fprintf(stderr, "facmon-agent discover: %d of %d address%s "
		    "failed\n", failed, argc, argc == 1 ? "" : "es");
	return failed ? 1 : 0;
}
