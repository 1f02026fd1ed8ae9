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
 * What the agent and the collector share: logging, time, small string
 * helpers, the config error collector, the wire protocol and the enums
 * that both sides must spell the same way (check types, probe outcomes,
 * value kinds).
 */

#ifndef FACMON_COMMON_H
#define FACMON_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define FACMON_VERSION	"0.2.0"
/*
 * The version of each on-disk format (docs/upgrade.md).  A reader takes
 * its own version and every older one, and refuses a newer one with
 * fm_version_check() rather than guess at fields it does not know.
 * Version 1 is what the release before versioned formats wrote: the
 * readers recognise it by the version's absence.
 */
#define FM_JOURNAL_VERSION	2	/* ingest journal segment (journal.c) */
#define FM_OJ_VERSION		1	/* outage journal (ojournal.c) */
#define FM_SPOOL_VERSION	1	/* agent spool: the frame version */
#define FM_OUTBOX_VERSION	2	/* alert outbox record (outbox.c) */
#define FM_MAINT_VERSION	1	/* maintenance.json (outage/maint.c) */
#define FM_RRD_LAYOUT_VERSION	2	/* <data_dir>/rrd/LAYOUT (rrdw.c) */
/*
 * The installed layout (FHS).  The Makefile passes these from its
 * PREFIX, SYSCONFDIR and LOCALSTATEDIR so that "make install" and the
 * programs agree; every one is only a default that the command line or
 * the configuration overrides, and nothing of the source tree is
 * compiled in.
 */
#ifndef FACMON_BINDIR
#define FACMON_BINDIR	"/usr/bin"	/* facmon-report */
#endif
#ifndef FACMON_SYSCONFDIR
#define FACMON_SYSCONFDIR "/etc/facmon"	/* the configuration files */
#endif
#ifndef FACMON_STATEDIR
#define FACMON_STATEDIR	"/var/lib/facmon"	/* spool, data_dir */
#endif
#ifndef FACMON_DATADIR
#define FACMON_DATADIR	"/usr/share/facmon"	/* web/, mibs/ */
#endif

#define FM_ID_MAX	64	/* device, check and agent ids, with NUL */
#define FM_VNAME_MAX	256	/* value names ("ifHCInOctets.1"), with NUL */
#define FM_TEXT_MAX	256	/* display names and short texts, with NUL */
/*
 * A text value (sysDescr, a port alias, an alarm string).  Devices send
 * descriptions well past 255 bytes; they are kept whole up to this size.
 */
#define FM_VTEXT_MAX	2048	/* text values, with NUL */
#define FM_ERRMSG_MAX	160	/* a probe's short error message, with NUL */

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

/* log.c */
void	log_init(const char *progname, int debug, int verbose);
void	log_setverbose(int);
int	log_set_zone(const char *tz);
int	log_zone_known(const char *tz);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
__dead void fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
__dead void fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

/* util.c */
int64_t	 now_ms(void);		/* wall clock, ms since the epoch */
int64_t	 mono_ms(void);		/* monotonic clock, ms */
int64_t	 mono_us(void);		/* monotonic clock, us */
size_t	 fm_strlcpy(char *, const char *, size_t);
int	 fm_fmt(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 fm_valid_id(const char *);
int	 fm_valid_name(const char *, size_t max);
void	 fm_sanitize_name(char *dst, size_t, const char *src);
int	 fm_label_name(char *dst, size_t, const char *src);
#define FM_SERIES_FILE_MAX	200	/* a series' file name, without .rrd */
void	 fm_series_file(char *dst, size_t, const char *name);
uint32_t fm_hash32(const char *);

/* numfmt.c: what snprintf "%.15g" and "%llu" write, without its cost. */
#define FM_G15_MAX	32	/* bytes of fm_fmt_g15's buffer */
size_t	 fm_fmt_g15(char *buf, double v);
size_t	 fm_fmt_u64(char *buf, uint64_t u);
size_t	 fm_utf8_len(const unsigned char *, size_t avail);
int	 fm_utf8_valid(const char *, size_t);
int	 fm_utf8_printable(const unsigned char *, size_t);
int	 fm_random_hex(char *dst, size_t nbytes);
int	 fm_fsync_dir(const char *);
#include <iconv.h>
#include <sys/types.h>
ssize_t	 fm_iconv_text(iconv_t, const unsigned char *, size_t, char *,
	    size_t);
size_t	 fm_utf8_repair(char *);
void	 fm_text_sanitize(char *dst, size_t, const char *src, size_t);
int	 fm_write_file_atomic(const char *path, const void *, size_t,
	    char *err, size_t errlen);
int	 fm_mkdirs(const char *path, int mode);
int	 fm_version_check(const char *what, unsigned long version,
	    unsigned long known, char *err, size_t errlen);
int	 fm_url_join(char *dst, size_t, const char *base, const char *path);

/* A growing text buffer (util.c); err is set once memory ran out. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};
void	 sb_printf(struct sbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sb_puts(struct sbuf *, const char *);
void	 sb_html(struct sbuf *, const char *);
int	 sb_write(struct sbuf *, const char *path, char *, size_t);

/* crc32.c */
uint32_t crc32c(uint32_t crc, const void *, size_t);

/* cfgutil.c: collect every config error as "file:line: message". */
struct cfgerr {
	char	 **msgs;
	int	   n;
	int	   cap;
	const char *file;	/* the top-level file, for errors without a line */
};
struct config_setting_t;
struct config_t;
int	cfg_load(struct config_t *, const char *path, struct cfgerr *);
void	cfgerr_init(struct cfgerr *, const char *file);
void	cfgerr_free(struct cfgerr *);
void	cfgerr_add(struct cfgerr *, const struct config_setting_t *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
void	cfgerr_push(struct cfgerr *, const char *file, unsigned int lineno,
	    const char *msg);
void	cfgerr_print(const struct cfgerr *);
void	cfgerr_log(const struct cfgerr *);
int	cfg_check_keys(struct cfgerr *, const struct config_setting_t *grp,
	    const char *const *allowed);
int	cfg_get_str(struct cfgerr *, const struct config_setting_t *grp,
	    const char *key, char *dst, size_t dstlen, int required);
int	cfg_get_int(struct cfgerr *, const struct config_setting_t *grp,
	    const char *key, long long *dst, long long min, long long max,
	    int required);
int	cfg_get_secs(struct cfgerr *, const struct config_setting_t *grp,
	    const char *key, int *dst_ms, int min_ms, int max_ms,
	    int required);
int	cfg_get_bool(struct cfgerr *, const struct config_setting_t *grp,
	    const char *key, int *dst, int required);

/* outcome.c: check types, probe outcomes and value kinds. */
enum check_type {
	CT_SNMP = 1,
	CT_ICMP,
	CT_TCP,
	CT_HTTP,
	CT_ARP,
	CT_PRESENCE,
	CT_TRAP,	/* not a probe: a notification the agent received */
	CT_TRAFFIC,
	CT_MODBUS,
	CT_MAX
};
const char	*check_type_name(int);
int		 check_type_parse(const char *);

/*
 * What became of a probe.  Only PR_OK counts as up; PR_INTERNAL means
 * the probe could not run at all, so the check is unknown, not down.
 */
enum probe_result {
	PR_OK = 0,
	PR_TIMEOUT,
	PR_REFUSED,
	PR_UNREACHABLE,
	PR_RESOLVE,
	PR_BAD_STATUS,
	PR_BAD_CONTENT,
	PR_SLOW,
	PR_SNMP_ERROR,
	PR_SNMP_NOSUCH,
	PR_TLS,
	PR_IO_ERROR,
	PR_INTERNAL,
	PR_BAD_VALUE,		/* answered, but a value breaks an expectation */
	PR_MAX
};
const char	*probe_result_name(int);
int		 probe_result_parse(const char *);
int		 probe_result_is_up(int);
int		 probe_result_is_unknown(int);

/*
 * cause.c: why a probe failed, in words a person acts on (en: English,
 * else Chinese).  fm_cause does not own msg.
 */
struct fm_cause {
	int		 check_type;	/* 0: not known */
	int		 outcome;	/* enum probe_result */
	int		 timeout_ms;	/* 0: not known */
	int		 dur_ms;
	const char	*msg;		/* the agent's own message */
};
const char	*fm_check_type_text(int, int en);
void		 fm_probe_sentence(char *, size_t, const struct fm_cause *,
		    int en);
/* A cause as kept (check_type, timeout_ms, dur_ms 0, outcome -1: not
 * known), worded; text that is no probe's comes back as it is. */
void		 fm_cause_text(char *, size_t, const char *text, int check_type,
		    int outcome, int timeout_ms, int dur_ms, int en);

enum value_kind {
	VK_GAUGE = 1,	/* a level: temperature, rtt, uptime */
	VK_COUNTER,	/* raw counter plus the rate the agent computed */
	VK_TEXT,	/* a string: sysDescr, a MAC address */
	VK_MAX
};
const char	*value_kind_name(int);

/* counter.c: rate of a counter between two samples, wraps handled. */
int	counter_delta(uint64_t prev, uint64_t cur, int bits, uint64_t *delta);

#endif /* FACMON_COMMON_H */
