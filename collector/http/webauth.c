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
 * Who may change things through the web: local users with yescrypt
 * hashes (libxcrypt), sessions kept in memory only (a restart logs
 * everybody out, which is the safe direction), a CSRF token per session,
 * failed logins counted per address, and an append-only audit log of
 * every change in the data directory.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "api.h"
#include "../../common/workq.h"

#define SESSIONS_MAX	256
#define FAILS_MAX	1024	/* addresses with attempts in the window */
#define TRUSTED_MAX	8	/* addresses remembered per account */
#define TOKEN_HEX	64	/* 32 random bytes */

struct session {
	char		 token[TOKEN_HEX + 1];	/* "" when free */
	char		 csrf[TOKEN_HEX + 1];
	char		 user[64];
	int64_t		 last_ms;
};

/*
 * The login limiter.
 *
 * Attempts are counted when they are queued, before the hash is
 * checked: 40 concurrent attempts from one address get max_failures
 * passwords checked, not as many as the queue holds.  A success gives
 * its attempt back.
 *
 * Per address: max_failures attempts in failure_window, then 429.  The
 * table holds FAILS_MAX addresses; an entry ends with its window, and
 * when the table is full the oldest entry that is neither locked nor
 * waiting for its hash makes room.  A locked address is never evicted:
 * with the table full of locked addresses a new address is refused
 * (429) until the first window ends, so memory stays bounded and no
 * flood of fresh addresses unlocks an old one.
 *
 * Per account: max_account_failures attempts in the window from
 * addresses that are not the account's own, then the account takes no
 * more attempts from such addresses (429).  Rotating addresses thus
 * cannot guess one password for long.
 *
 * The way in for the right password: each account remembers the last
 * TRUSTED_MAX addresses it logged in from.  From one of those the
 * account's lock does not apply (the address's own limit still does),
 * its attempt skips to the head of the queue, and LOGIN_RESERVED places
 * of the queue are kept for it.  Everyone else shares LOGIN_QUEUE
 * places, at most LOGIN_PER_ACCOUNT of them for one account (names
 * that are no account count as one), so a flood fills its own share
 * and not the operators'.  An operator on an address never used before
 * waits for the window to end, as with any lock; docs/security.md.
 */
struct failure {
	char		 ip[64];
	int		 n;		/* attempts counted in the window */
	int		 pending;	/* queued, hash not checked yet */
	int64_t		 first_ms;
};

struct account {
	char		 user[64];	/* "" for names that are no user */
	int		 n;		/* attempts from strangers */
	int		 pending;
	int64_t		 first_ms;
	char		 trusted[TRUSTED_MAX][64];
	int		 ntrusted, tnext;
};

static const struct web_conf *W;
static struct session sessions[SESSIONS_MAX];
static struct failure fails[FAILS_MAX];
static struct account accounts[WEB_USERS_MAX + 1];	/* + the unknown */
static char	 dummy_hash[256];

static const char *const web_keys[] = { "public_wall", "users",
	"users_file", "secure_cookies", "session_timeout", "max_failures",
	"max_account_failures", "failure_window", "tls_cert", "tls_key", NULL };
static const char *const user_keys[] = { "name", "password_hash", NULL };

static int
user_name_ok(const char *s)
{
	return fm_valid_id(s);
}

static int
hash_ok(const char *h)
{
	/* Only modern schemes: yescrypt, or the SHA-512 crypt fallback. */
	return strncmp(h, "$y$", 3) == 0 || strncmp(h, "$6$", 3) == 0 ||
	    strncmp(h, "$gy$", 4) == 0;
}

static void
add_user(struct cfgerr *e, const struct config_setting_t *where,
    const char *file, int line, struct web_conf *w, const char *name,
    const char *hash)
{
	int	 i;

#define UERR(...) do {							\
	if (where != NULL)						\
		cfgerr_add(e, where, __VA_ARGS__);			\
	else {								\
		char m_[512];						\
		snprintf(m_, sizeof(m_), __VA_ARGS__);			\
		cfgerr_add(e, NULL, "%s:%d: %s", file, line, m_);	\
	}								\
} while (0)
	if (!user_name_ok(name)) {
		UERR("web: bad user name '%s' (letters, digits, '_', '-', "
		    "'.')", name);
		return;
	}
	if (!hash_ok(hash) || strlen(hash) >= sizeof(w->users[0].hash)) {
		UERR("web: user '%s': password_hash must be a yescrypt "
		    "hash (\"$y$...\", made by 'facmon-collector hashpw')",
		    name);
		return;
	}
	for (i = 0; i < w->nusers; i++)
		if (strcmp(w->users[i].name, name) == 0) {
			UERR("web: user '%s' is listed twice", name);
			return;
		}
	if (w->nusers >= WEB_USERS_MAX) {
		UERR("web: at most %d users", WEB_USERS_MAX);
		return;
	}
	fm_strlcpy(w->users[w->nusers].name, name, sizeof(w->users[0].name));
	fm_strlcpy(w->users[w->nusers].hash, hash, sizeof(w->users[0].hash));
	w->nusers++;
#undef UERR
}

/* "name:hash" lines; '#' starts a comment line. */
static void
load_users_file(struct cfgerr *e, const struct config_setting_t *s,
    struct web_conf *w)
{
	FILE	*f;
	char	 line[1024], *colon, *nl;
	int	 lineno = 0;

	struct stat st;

	if ((f = fopen(w->users_file, "r")) == NULL) {
		cfgerr_add(e, s, "web: users_file '%s': %s", w->users_file,
		    strerror(errno));
		return;
	}
	/*
	 * Password hashes can be attacked offline: a users file that
	 * others may read or anyone else may write is refused, as ssh
	 * refuses such a key.
	 */
	if (fstat(fileno(f), &st) == -1 || (st.st_mode & 0077) != 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		cfgerr_add(e, s, "web: users_file '%s' is readable or writable "
		    "by others (mode %04o): chmod 600 it, owned by root or by "
		    "the collector's user", w->users_file,
		    (unsigned)(st.st_mode & 07777));
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((colon = strchr(line, ':')) == NULL) {
			cfgerr_add(e, NULL, "%s:%d: expected name:hash",
			    w->users_file, lineno);
			continue;
		}
		*colon = '\0';
		add_user(e, NULL, w->users_file, lineno, w, line, colon + 1);
	}
	fclose(f);
}

/*
 * The certificate and key as the daemon loads them (http.c), so that
 * -n refuses a file that is no PEM or a key of another certificate
 * instead of a daemon that then cannot start its web server.
 */
static void
tls_files_check(struct cfgerr *e, const struct config_setting_t *s,
    const struct web_conf *w)
{
	SSL_CTX	*ctx;
	const char *why = NULL;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		why = "cannot make a TLS context";
	else if (SSL_CTX_use_certificate_chain_file(ctx, w->tls_cert) != 1)
		why = "tls_cert is not a PEM certificate chain";
	else if (SSL_CTX_use_PrivateKey_file(ctx, w->tls_key,
	    SSL_FILETYPE_PEM) != 1)
		why = "tls_key is not the PEM private key of tls_cert";
	else if (SSL_CTX_check_private_key(ctx) != 1)
		why = "tls_key is not the private key of tls_cert";
	if (why != NULL) {
		const char *r = ERR_reason_error_string(ERR_peek_last_error());

		cfgerr_add(e, config_setting_get_member(s, "tls_cert"),
		    "web: %s (%s, %s): %s", why, w->tls_cert, w->tls_key,
		    r != NULL ? r : "no detail");
	}
	ERR_clear_error();
	if (ctx != NULL)
		SSL_CTX_free(ctx);
}

struct web_conf *
webconf_parse(struct cfgerr *e, const struct config_setting_t *s)
{
	struct web_conf *w;
	const config_setting_t *u, *el;
	long long v;
	int	 i, n;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		cfgerr_add(e, s, "out of memory");
		return NULL;
	}
	w->public_wall = 1;
	w->session_ms = 8 * 3600 * 1000;
	w->max_failures = 5;
	w->max_account_failures = 20;
	w->failure_window_ms = 5 * 60 * 1000;
	if (!config_setting_is_group(s)) {
		cfgerr_add(e, s, "'web' must be a group { ... }");
		return w;
	}
	cfg_check_keys(e, s, web_keys);
	cfg_get_bool(e, s, "public_wall", &w->public_wall, 0);
	cfg_get_bool(e, s, "secure_cookies", &w->secure_cookies, 0);
	cfg_get_secs(e, s, "session_timeout", &w->session_ms, 60000,
	    7 * 86400 * 1000, 0);
	if (cfg_get_int(e, s, "max_failures", &v, 1, 1000, 0) == 1)
		w->max_failures = (int)v;
	if (cfg_get_int(e, s, "max_account_failures", &v, 1, 100000, 0) == 1)
		w->max_account_failures = (int)v;
	cfg_get_secs(e, s, "failure_window", &w->failure_window_ms, 1000,
	    86400 * 1000, 0);
	if ((u = config_setting_get_member(s, "users")) != NULL) {
		if (!config_setting_is_list(u)) {
			cfgerr_add(e, u, "web: 'users' must be a list ( { name "
			    "= ...; password_hash = ...; }, ... )");
		} else {
			n = config_setting_length(u);
			for (i = 0; i < n; i++) {
				char	 name[64] = "", hash[256] = "";

				el = config_setting_get_elem(u, (unsigned)i);
				if (!config_setting_is_group(el)) {
					cfgerr_add(e, el, "web: users: entries "
					    "must be groups");
					continue;
				}
				cfg_check_keys(e, el, user_keys);
				if (cfg_get_str(e, el, "name", name,
				    sizeof(name), 1) != 1 ||
				    cfg_get_str(e, el, "password_hash", hash,
				    sizeof(hash), 1) != 1)
					continue;
				add_user(e, el, NULL, 0, w, name, hash);
			}
		}
	}
	cfg_get_str(e, s, "tls_cert", w->tls_cert, sizeof(w->tls_cert), 0);
	cfg_get_str(e, s, "tls_key", w->tls_key, sizeof(w->tls_key), 0);
	if ((w->tls_cert[0] == '\0') != (w->tls_key[0] == '\0'))
		cfgerr_add(e, s, "web: tls_cert and tls_key go together");
	else if (w->tls_cert[0] != '\0') {
		if (access(w->tls_cert, R_OK) == -1)
			cfgerr_add(e, config_setting_get_member(s, "tls_cert"),
			    "web: tls_cert '%s': %s", w->tls_cert,
			    strerror(errno));
		if (access(w->tls_key, R_OK) == -1)
			cfgerr_add(e, config_setting_get_member(s, "tls_key"),
			    "web: tls_key '%s': %s", w->tls_key,
			    strerror(errno));
		else if (access(w->tls_cert, R_OK) == 0)
			tls_files_check(e, s, w);
		/* Cookies over HTTPS are never sent over plain HTTP. */
		w->secure_cookies = 1;
	}
	if (cfg_get_str(e, s, "users_file", w->users_file,
	    sizeof(w->users_file), 0) == 1)
		load_users_file(e, config_setting_get_member(s, "users_file"),
		    w);
	return w;
}

void
webconf_free(struct web_conf *w)
{
	free(w);
}

/* A reload that removes a user ends that user's sessions. */
void
webauth_reconf(const struct web_conf *w)
{
	int	 i, k, found;

	W = w;
	for (i = 0; i < SESSIONS_MAX; i++) {
		if (sessions[i].token[0] == '\0')
			continue;
		found = 0;
		for (k = 0; w != NULL && k < w->nusers && !found; k++)
			found = strcmp(w->users[k].name, sessions[i].user) == 0;
		if (!found) {
			log_info("web: %s is no longer a user: logged out",
			    sessions[i].user);
			memset(&sessions[i], 0, sizeof(sessions[i]));
		}
	}
}

int
web_hash(const char *pw, char *out, size_t outlen, char *err, size_t errlen)
{
	char	 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		snprintf(err, errlen, "crypt_gensalt: %s", strerror(errno));
		return -1;
	}
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h = crypt_r(pw, salt, cd);
	if (h == NULL || h[0] == '*' || strlen(h) >= outlen) {
		snprintf(err, errlen, "crypt failed");
		free(cd);
		return -1;
	}
	fm_strlcpy(out, h, outlen);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return 0;
}

static int
verify(const char *pw, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	int	 ok;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 0;
	h = crypt_r(pw, hash, cd);
	ok = h != NULL && h[0] != '*' && strlen(h) == strlen(hash) &&
	    CRYPTO_memcmp(h, hash, strlen(hash)) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/*
 * facmon-collector hashpw: reads a password from the first line of
 * standard input and prints its yescrypt hash, for password_hash or a
 * users file.  Nothing is echoed and no configuration is read.
 */
int
web_hashpw_main(int argc, char *argv[])
{
	char	 pw[1024], out[256], err[256], *nl;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: facmon-collector hashpw "
		    "< password\n");
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "hashpw: no password on standard input\n");
		return 1;
	}
	if ((nl = strchr(pw, '\n')) != NULL)
		*nl = '\0';
	if (strlen(pw) < 8) {
		fprintf(stderr, "hashpw: a password needs 8 characters or "
		    "more\n");
		return 1;
	}
	if (web_hash(pw, out, sizeof(out), err, sizeof(err)) == -1) {
		fprintf(stderr, "hashpw: %s\n", err);
		return 1;
	}
	explicit_bzero(pw, sizeof(pw));
	printf("%s\n", out);
	return 0;
}

static int
failure_locked(const struct failure *f)
{
	return f->n >= W->max_failures;
}

/*
 * The address's entry; with create, a new one if there is none, or
 * NULL when the table is full of locked or waiting addresses.
 */
static struct failure *
failure_of(const char *ip, int create, int64_t now)
{
	struct failure *slot = NULL, *old = NULL;
	int	 i;

	for (i = 0; i < FAILS_MAX; i++) {
		struct failure *f = &fails[i];

		if (f->ip[0] != '\0' && f->pending == 0 &&
		    now - f->first_ms > W->failure_window_ms)
			f->ip[0] = '\0';
		if (f->ip[0] != '\0' && strcmp(f->ip, ip) == 0)
			return f;
		if (f->ip[0] == '\0') {
			if (slot == NULL)
				slot = f;
		} else if (f->pending == 0 && !failure_locked(f) &&
		    (old == NULL || f->first_ms < old->first_ms))
			old = f;
	}
	if (!create)
		return NULL;
	if (slot == NULL && (slot = old) == NULL)
		return NULL;
	memset(slot, 0, sizeof(*slot));
	fm_strlcpy(slot->ip, ip, sizeof(slot->ip));
	slot->first_ms = now;
	return slot;
}

/* The account of a name; names that are no user share the last entry. */
static struct account *
account_of(const char *user, int known, int64_t now)
{
	struct account *a = NULL, *empty = NULL;
	int	 i;

	if (!known)
		a = &accounts[WEB_USERS_MAX];
	else
		for (i = 0; i < WEB_USERS_MAX && a == NULL; i++) {
			if (strcmp(accounts[i].user, user) == 0)
				a = &accounts[i];
			else if (accounts[i].user[0] == '\0' && empty == NULL)
				empty = &accounts[i];
		}
	if (a == NULL) {
		if (empty == NULL)
			empty = &accounts[0];	/* users were removed */
		memset(empty, 0, sizeof(*empty));
		fm_strlcpy(empty->user, user, sizeof(empty->user));
		a = empty;
	}
	if (a->n > 0 && a->pending == 0 &&
	    now - a->first_ms > W->failure_window_ms)
		a->n = 0;
	return a;
}

static int
account_trusts(const struct account *a, const char *ip)
{
	int	 i;

	for (i = 0; i < a->ntrusted && i < TRUSTED_MAX; i++)
		if (strcmp(a->trusted[i], ip) == 0)
			return 1;
	return 0;
}

/* Remember a successful address; the oldest of TRUSTED_MAX goes. */
static void
account_trust(struct account *a, const char *ip)
{
	if (account_trusts(a, ip))
		return;
	fm_strlcpy(a->trusted[a->tnext], ip, sizeof(a->trusted[0]));
	a->tnext = (a->tnext + 1) % TRUSTED_MAX;
	if (a->ntrusted < TRUSTED_MAX)
		a->ntrusted++;
}

/*
 * Password checks run on a thread of their own: a yescrypt hash costs
 * some 40 ms of CPU by design, which the event loop must not spend.  At
 * most LOGIN_QUEUE logins wait on the work queue (common/workq.c); the
 * loop makes the session when the check is done.
 */
#define LOGIN_QUEUE	16	/* shared by addresses an account never used */
#define LOGIN_RESERVED	4	/* more, for an account's known addresses */
#define LOGIN_PER_ACCOUNT 4	/* of LOGIN_QUEUE, for one account */

struct login_job {
	struct wjob	 w;
	char		 user[64];
	char		 ip[64];
	char		 pw[1024];
	char		 hash[256];	/* a copy: a reload may come meanwhile */
	int		 known;
	int		 trusted;	/* the account has logged in from ip */
	int		 ok;
	web_login_cb	 cb;
	void		*arg;
};

static struct workq *diskq;	/* the web's disk work: web_disk_submit() */

static struct {
	struct workq	*q;
	int		 njobs;		/* begun, not finished */
	int		 nstrangers;	/* of those, not trusted */
	int		 stopping;
} L;

static void
login_run(struct wjob *w)
{
	struct login_job *j = w->arg;

	j->ok = verify(j->pw, j->hash) && j->known;
	explicit_bzero(j->pw, sizeof(j->pw));
}

static struct session *
new_session(const char *user, int64_t now)
{
	struct session *s = NULL;
	int	 i;

	for (i = 0; i < SESSIONS_MAX; i++) {
		if (sessions[i].token[0] != '\0' &&
		    now - sessions[i].last_ms > W->session_ms)
			sessions[i].token[0] = '\0';
		if (sessions[i].token[0] == '\0' && s == NULL)
			s = &sessions[i];
	}
	if (s == NULL) {
		/* Full: the session idle the longest goes. */
		s = &sessions[0];
		for (i = 1; i < SESSIONS_MAX; i++)
			if (sessions[i].last_ms < s->last_ms)
				s = &sessions[i];
	}
	memset(s, 0, sizeof(*s));
	if (fm_random_hex(s->token, TOKEN_HEX / 2) == -1 ||
	    fm_random_hex(s->csrf, TOKEN_HEX / 2) == -1) {
		s->token[0] = '\0';
		return NULL;
	}
	fm_strlcpy(s->user, user, sizeof(s->user));
	s->last_ms = now;
	return s;
}

static void
finish(struct login_job *j)
{
	int64_t	 now = now_ms();
	struct failure *f = NULL;
	struct account *a = NULL;
	struct session *s = NULL;

	if (W != NULL) {
		f = failure_of(j->ip, 0, now);
		a = account_of(j->user, j->known, now);
		if (f != NULL && f->pending > 0)
			f->pending--;
		if (a->pending > 0)
			a->pending--;
	}
	if (W != NULL && j->ok)
		s = new_session(j->user, now);
	if (s == NULL) {
		if (W != NULL)
			log_warnx("web: failed login for '%s' from %s (%d in "
			    "the window)", j->user, j->ip, f != NULL ? f->n : 0);
		j->cb(j->arg, -1, j->user, j->ip, NULL, NULL);
		return;
	}
	/* A success gives back what was counted for it. */
	if (f != NULL)
		f->n = 0;
	if (!j->trusted && a->n > 0)
		a->n--;
	account_trust(a, j->ip);
	log_info("web: %s logged in from %s", j->user, j->ip);
	j->cb(j->arg, 0, j->user, j->ip, s->token, s->csrf);
}

/* On the loop: the session, or the refusal; at stop, nothing. */
static void
login_done(struct wjob *w)
{
	struct login_job *j = w->arg;

	/* At stop the requests go with the HTTP server. */
	if (!w->cancelled && !L.stopping)
		finish(j);
	L.njobs--;
	if (!j->trusted)
		L.nstrangers--;
	explicit_bzero(j, sizeof(*j));
	free(j);
}

int
web_auth_start(struct event_base *base, char *err, size_t errlen)
{
	char	 e[128];

	if (L.q != NULL)
		return 0;
	/* The hash that unknown names are checked against. */
	if (web_hash("not a password", dummy_hash, sizeof(dummy_hash), e,
	    sizeof(e)) == -1) {
		snprintf(err, errlen, "web: %s", e);
		return -1;
	}
	if ((L.q = workq_new(base, "web logins", err, errlen)) == NULL)
		return -1;
	if ((diskq = workq_new(base, "web disk", err, errlen)) == NULL) {
		workq_free(L.q, WQ_CANCEL);
		L.q = NULL;
		return -1;
	}
	return 0;
}

void
web_auth_stop(void)
{
	if (L.q == NULL)
		return;
	L.stopping = 1;
	workq_free(L.q, WQ_CANCEL);
	L.q = NULL;
	L.stopping = 0;
	/* The audit lines and windows queued are written before the end. */
	workq_free(diskq, WQ_DRAIN);
	diskq = NULL;
	L.njobs = 0;
	L.nstrangers = 0;
	memset(fails, 0, sizeof(fails));
	memset(accounts, 0, sizeof(accounts));
}

/*
 * A refused login costs no hash, so a flood refuses thousands a second:
 * one line every REFUSED_LOG_MS says how many, with the latest.
 */
#define REFUSED_LOG_MS	10000

static void
refused(const char *user, const char *ip, const char *why, int n,
    int64_t now, int64_t *retry_ms, int64_t retry)
{
	static int64_t	 last_ms;
	static uint64_t	 count;

	*retry_ms = retry > 1000 ? retry : 1000;
	count++;
	if (last_ms != 0 && now - last_ms < REFUSED_LOG_MS)
		return;
	log_warnx("web: login of '%s' from %s refused: %d %s (%llu refused "
	    "since the last such line)", user, ip, n, why,
	    (unsigned long long)count);
	count = 0;
	last_ms = now;
}

/*
 * Queue a login: 0 and cb is called from the loop later with 0 and the
 * new session or -1 for a wrong name or password; -2 now when the
 * address or the account has had too many attempts (retry_ms says for
 * how long); -3 when the queue has no place for it.  The attempt is
 * counted here, before its hash is checked (see the limiter above).
 * The hash is computed for unknown names too, so the answer's time
 * does not tell which names exist.
 */
int
web_login_begin(const char *user, const char *pw, const char *ip,
    web_login_cb cb, void *arg, int64_t *retry_ms)
{
	int64_t	 now = now_ms();
	struct failure *f;
	struct account *a;
	struct login_job *j;
	int	 i, known = 0, trusted;

	*retry_ms = 0;
	if (W == NULL || L.q == NULL)
		return -1;
	for (i = 0; i < W->nusers; i++)
		if (strcmp(W->users[i].name, user) == 0)
			known = 1;
	a = account_of(user, known, now);
	trusted = known && account_trusts(a, ip);
	f = failure_of(ip, 1, now);
	if (f != NULL && failure_locked(f)) {
		refused(user, ip, "failures", f->n, now, retry_ms,
		    W->failure_window_ms - (now - f->first_ms));
		return -2;
	}
	if (f == NULL && !trusted) {
		/* Every entry locked or busy: wait for the first to end. */
		refused(user, ip, "addresses are locked", FAILS_MAX, now,
		    retry_ms, W->failure_window_ms);
		return -2;
	}
	if (!trusted && known && a->n >= W->max_account_failures) {
		refused(user, ip, "attempts on that account from other "
		    "addresses", a->n, now, retry_ms,
		    W->failure_window_ms - (now - a->first_ms));
		return -2;
	}
	if (trusted ? L.njobs >= LOGIN_QUEUE + LOGIN_RESERVED :
	    L.nstrangers >= LOGIN_QUEUE || a->pending >= LOGIN_PER_ACCOUNT)
		return -3;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -3;
	/* Counted now: a hash checked later cannot escape the limit. */
	if (f != NULL) {
		f->n++;
		f->pending++;
	}
	if (!trusted) {
		if (a->n == 0)
			a->first_ms = now;
		a->n++;
	}
	a->pending++;
	fm_strlcpy(j->user, user, sizeof(j->user));
	fm_strlcpy(j->ip, ip, sizeof(j->ip));
	fm_strlcpy(j->pw, pw, sizeof(j->pw));
	fm_strlcpy(j->hash, dummy_hash, sizeof(j->hash));
	for (i = 0; i < W->nusers; i++)
		if (strcmp(W->users[i].name, user) == 0) {
			fm_strlcpy(j->hash, W->users[i].hash, sizeof(j->hash));
			j->known = 1;
		}
	j->trusted = trusted;
	j->cb = cb;
	j->arg = arg;
	L.njobs++;
	if (!trusted)
		L.nstrangers++;
	j->w.run = login_run;
	j->w.done = login_done;
	j->w.arg = j;
	/* An account's own address goes first. */
	if (trusted)
		workq_submit_first(L.q, &j->w);
	else
		workq_submit(L.q, &j->w);
	return 0;
}

static struct session *
find(const char *token)
{
	int64_t	 now = now_ms();
	int	 i;

	if (W == NULL || token == NULL || strlen(token) != TOKEN_HEX)
		return NULL;
	for (i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &sessions[i];

		if (s->token[0] == '\0' ||
		    CRYPTO_memcmp(s->token, token, TOKEN_HEX) != 0)
			continue;
		if (now - s->last_ms > W->session_ms) {
			s->token[0] = '\0';
			return NULL;
		}
		s->last_ms = now;
		return s;
	}
	return NULL;
}

void
web_logout(const char *token)
{
	struct session *s = find(token);

	if (s != NULL)
		memset(s, 0, sizeof(*s));
}

const char *
web_session_user(const char *token, const char **csrf)
{
	struct session *s = find(token);

	if (s == NULL)
		return NULL;
	if (csrf != NULL)
		*csrf = s->csrf;
	return s->user;
}

int
web_csrf_ok(const char *token, const char *csrf)
{
	struct session *s = find(token);

	return s != NULL && csrf != NULL && strlen(csrf) == TOKEN_HEX &&
	    CRYPTO_memcmp(s->csrf, csrf, TOKEN_HEX) == 0;
}

size_t
web_sessions(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < SESSIONS_MAX; i++)
		n += sessions[i].token[0] != '\0';
	return n;
}

/*
 * The web's disk work (the audit log, maintenance.json, listings of the
 * RRD tree) runs on a work queue of its own, in order, never on the loop.
 * Without the queue (before start, after stop) a job runs at once.
 */
void
web_disk_submit(struct wjob *j)
{
	if (diskq != NULL) {
		workq_submit(diskq, j);
		return;
	}
	j->cancelled = 0;
	j->run(j);
	j->done(j);
}

struct audit_job {
	struct wjob	 w;
	char		 path[PATH_MAX];
	char		*line;		/* with its newline */
	size_t		 len;
	void		(*then)(void *);
	void		*arg;
};

static void
audit_run(struct wjob *w)
{
	struct audit_job *a = w->arg;
	int	 fd;

	if ((fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("audit log %s", a->path);
		return;
	}
	if (write(fd, a->line, a->len) != (ssize_t)a->len)
		log_warn("audit log %s: write", a->path);
	close(fd);
}

static void
audit_done(struct wjob *w)
{
	struct audit_job *a = w->arg;

	if (a->then != NULL)
		a->then(a->arg);
	free(a->line);
	free(a);
}

/*
 * One JSON line per change in <data_dir>/audit.log, written with one
 * write() on an O_APPEND descriptor so that lines never interleave and
 * nothing before is ever rewritten.  Takes the reference to detail.
 */
void
web_audit(const char *data_dir, const char *user, const char *ip,
    const char *action, json_t *detail)
{
	web_audit_then(data_dir, user, ip, action, detail, NULL, NULL);
}

/*
 * The same, and then(arg) on the loop once the line is written (or could
 * not be: the log says why): a change is answered after its audit line,
 * so that whoever reads the log after the answer finds it there.
 */
void
web_audit_then(const char *data_dir, const char *user, const char *ip,
    const char *action, json_t *detail, void (*then)(void *), void *arg)
{
	struct audit_job *a;
	char	*s;
	json_t	*o;

	o = json_pack("{s:I,s:s,s:s,s:s}", "ts_ms", (json_int_t)now_ms(),
	    "user", user, "ip", ip, "action", action);
	if (o == NULL) {
		json_decref(detail);
		goto fail;
	}
	if (detail != NULL)
		json_object_set_new(o, "detail", detail);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		goto fail;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		free(s);
		goto fail;
	}
	fm_fmt(a->path, sizeof(a->path), "%s/audit.log", data_dir);
	a->len = strlen(s);
	s[a->len++] = '\n';	/* over the NUL: json_dumps made room */
	a->line = s;
	a->then = then;
	a->arg = arg;
	a->w.run = audit_run;
	a->w.done = audit_done;
	a->w.arg = a;
	web_disk_submit(&a->w);
	return;
fail:
	log_warnx("audit log: out of memory; %s by %s not logged", action,
	    user);
	if (then != NULL)
		then(arg);
}
