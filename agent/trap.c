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
 * SNMP notifications: traps (v1, v2c, v3) and informs received by the
 * agent and forwarded to the collector.
 *
 * A notification becomes a result of the device it came from (matched
 * by address; "_unmapped" when no device has that address), of check
 * "trap" and type CT_TRAP, so it travels the same acknowledged path as
 * every probe result and the collector decides what it means.  The
 * values are the notification's: its OID, its source, and each varbind.
 *
 * Communities are checked here; SNMPv3 users are checked by net-snmp's
 * USM with the users configured (with the sender's engine ID, as traps
 * are sent by the authoritative side).  Each source has a token bucket,
 * so a flood costs a counter, not the agent.  Malformed packets never
 * reach us: net-snmp's parser drops and counts them.
 *
 * USM alone is not enough for a receiver.  It accepts a message at any
 * security level the user supports, so a trap sent at noAuthNoPriv
 * under the name of a user configured with a passphrase is delivered;
 * and when a message fails authentication, net-snmp's report handler
 * still calls the session's callback with the parsed PDU (the plain
 * text of an authNoPriv message is all there), marking the failure only
 * in the session's s_snmp_errno.  So a v3 notification is forwarded
 * only if its user is one of ours, it arrived at that user's level
 * (authPriv when a privacy passphrase is configured, authNoPriv
 * otherwise) and the callback is not that of a failed authentication.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "agent.h"

#define TRAP_SOURCES_MAX	4096

struct trap_listener {
	void		*sess;
	struct snmpev	 ev;
	char		 spec[80];
};

struct trap_bucket {
	uint32_t	 ip;
	double		 tokens;
	int64_t		 last_us;
};

static struct {
	const struct trap_conf *conf;
	struct trap_listener *l;
	int		 nl;
	struct trap_bucket *b;
	size_t		 nb;
	uint64_t	 st_received, st_forwarded, st_bad_community;
	uint64_t	 st_rate_limited, st_informs;
	uint64_t	 st_v3_refused;		/* below level or unauthenticated */
	uint64_t	 v3_refused_logged;	/* st_v3_refused at the last line */
	int64_t		 v3_refused_log_us;	/* when that line was written */
} T;

/* A refused v3 trap is logged at most once a minute, with a count. */
#define TRAP_REFUSED_LOG_US	(60 * 1000000LL)

static const char *const trap_keys[] = { "listen", "communities", "users",
	"rate", "burst", NULL };
static const char *const user_keys[] = { "name", "engine_id",
	"auth_protocol", "auth_passphrase", "priv_protocol",
	"priv_passphrase", NULL };

int
trap_conf_parse(struct cfgerr *e, const config_setting_t *s,
    struct agent_conf *ac)
{
	struct trap_conf *tc;
	config_setting_t *l, *u;
	long long v;
	int	 i, nerr = e->n;

	if (!config_setting_is_group(s)) {
		cfgerr_add(e, s, "'traps' must be a group { listen = [...]; }");
		return -1;
	}
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		fatal("calloc");
	ac->traps = tc;
	cfg_check_keys(e, s, trap_keys);
	if ((l = config_setting_get_member(s, "listen")) == NULL ||
	    !config_setting_is_array(l) || config_setting_length(l) < 1 ||
	    config_setting_length(l) > TRAP_LISTEN_MAX)
		cfgerr_add(e, l ? l : s, "traps: 'listen' must be a list of 1 "
		    "to %d addresses, e.g. [ \"udp:0.0.0.0:162\" ]",
		    TRAP_LISTEN_MAX);
	else
		for (i = 0; i < config_setting_length(l); i++) {
			const char *a = config_setting_get_string_elem(l, i);

			if (a == NULL || strlen(a) >= sizeof(tc->listen[0])) {
				cfgerr_add(e, l, "traps: bad listen address");
				continue;
			}
			fm_strlcpy(tc->listen[tc->nlisten++], a,
			    sizeof(tc->listen[0]));
		}
	if ((l = config_setting_get_member(s, "communities")) != NULL) {
		if (!config_setting_is_array(l) ||
		    config_setting_length(l) > TRAP_COMMUNITIES_MAX)
			cfgerr_add(e, l, "traps: 'communities' must be a list "
			    "of at most %d strings", TRAP_COMMUNITIES_MAX);
		else
			for (i = 0; i < config_setting_length(l); i++) {
				const char *c =
				    config_setting_get_string_elem(l, i);

				if (c == NULL || c[0] == '\0' ||
				    strlen(c) >= sizeof(tc->communities[0]))
					cfgerr_add(e, l, "traps: bad community");
				else
					fm_strlcpy(tc->communities[
					    tc->ncommunities++], c,
					    sizeof(tc->communities[0]));
			}
	}
	if ((l = config_setting_get_member(s, "users")) != NULL) {
		if (!config_setting_is_list(l) ||
		    config_setting_length(l) > TRAP_USERS_MAX)
			cfgerr_add(e, l, "traps: 'users' must be a list ( { name "
			    "= ...; }, ... ) of at most %d", TRAP_USERS_MAX);
		else
			for (i = 0; i < config_setting_length(l); i++) {
				struct trap_user *tu = &tc->users[tc->nusers++];
				char	 proto[16];

				u = config_setting_get_elem(l, (unsigned)i);
				if (!config_setting_is_group(u)) {
					cfgerr_add(e, u, "traps: a user is a group");
					continue;
				}
				cfg_check_keys(e, u, user_keys);
				cfg_get_str(e, u, "name", tu->name,
				    sizeof(tu->name), 1);
				cfg_get_str(e, u, "engine_id", tu->engine_id,
				    sizeof(tu->engine_id), 1);
				fm_strlcpy(tu->auth_proto, "SHA",
				    sizeof(tu->auth_proto));
				if (cfg_get_str(e, u, "auth_protocol", proto,
				    sizeof(proto), 0) == 1) {
					if (strcmp(proto, "SHA") &&
					    strcmp(proto, "SHA-256") &&
					    strcmp(proto, "MD5"))
						cfgerr_add(e, u, "auth_protocol "
						    "must be SHA, SHA-256 or MD5");
					fm_strlcpy(tu->auth_proto, proto,
					    sizeof(tu->auth_proto));
				}
				if (cfg_get_str(e, u, "auth_passphrase",
				    tu->auth_pass, sizeof(tu->auth_pass), 1) ==
				    1 && strlen(tu->auth_pass) < 8)
					cfgerr_add(e, u, "auth_passphrase needs "
					    "at least 8 characters");
				if (cfg_get_str(e, u, "priv_protocol", proto,
				    sizeof(proto), 0) == 1) {
					if (strcmp(proto, "AES") &&
					    strcmp(proto, "DES"))
						cfgerr_add(e, u, "priv_protocol "
						    "must be AES or DES");
					fm_strlcpy(tu->priv_proto, proto,
					    sizeof(tu->priv_proto));
					if (cfg_get_str(e, u, "priv_passphrase",
					    tu->priv_pass, sizeof(tu->priv_pass),
					    1) == 1 && strlen(tu->priv_pass) < 8)
						cfgerr_add(e, u, "priv_passphrase "
						    "needs at least 8 characters");
				}
			}
	}
	if (tc->ncommunities == 0 && tc->nusers == 0)
		cfgerr_add(e, s, "traps: name 'communities' or 'users': a trap "
		    "receiver that accepts anything is not configured here");
	tc->rate = 50;
	if (cfg_get_int(e, s, "rate", &v, 1, 100000, 0) == 1)
		tc->rate = (int)v;
	tc->burst = tc->rate * 4;
	if (cfg_get_int(e, s, "burst", &v, 1, 1000000, 0) == 1)
		tc->burst = (int)v;
	return e->n > nerr ? -1 : 0;
}

/* Token bucket per source address: 'rate' per second, 'burst' at once. */
static int
trap_admit(uint32_t ip)
{
	int64_t	 now = mono_us();
	size_t	 i;
	struct trap_bucket *b = NULL;

	for (i = 0; i < T.nb; i++)
		if (T.b[i].ip == ip) {
			b = &T.b[i];
			break;
		}
	if (b == NULL) {
		if (T.nb == TRAP_SOURCES_MAX)
			T.nb = 0;	/* forget everyone rather than grow */
		if (T.b == NULL && (T.b = calloc(TRAP_SOURCES_MAX,
		    sizeof(*T.b))) == NULL)
			fatal("calloc");
		b = &T.b[T.nb++];
		b->ip = ip;
		b->tokens = T.conf->burst;
		b->last_us = now;
	}
	b->tokens += (double)(now - b->last_us) * T.conf->rate / 1e6;
	if (b->tokens > T.conf->burst)
		b->tokens = T.conf->burst;
	b->last_us = now;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

static void
oid_text(const oid *o, size_t len, char *buf, size_t blen)
{
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < len && n + 12 < blen; i++)
		n += (size_t)snprintf(buf + n, blen - n, "%s%lu", i ? "." : "",
		    (unsigned long)o[i]);
}

static const char *
device_for(uint32_t ip)
{
	int	 i;

	for (i = 0; i < agent_conf->ndevices; i++) {
		struct in_addr a;

		if (inet_pton(AF_INET, agent_conf->devices[i].address, &a) == 1 &&
		    a.s_addr == ip)
			return agent_conf->devices[i].id;
	}
	return "_unmapped";
}

static void
trap_value(struct fm_result *r, const char *name, netsnmp_variable_list *v)
{
	char	 buf[FM_TEXT_MAX];

	switch (v->type) {
	case ASN_INTEGER:
		result_add_gauge(r, name, (double)*v->val.integer);
		break;
	case ASN_GAUGE:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		result_add_gauge(r, name,
		    (double)(unsigned long)*v->val.integer);
		break;
	case ASN_COUNTER64:
		result_add_gauge(r, name, (double)(((uint64_t)
		    v->val.counter64->high << 32) | v->val.counter64->low));
		break;
	case ASN_OBJECT_ID:
		oid_text(v->val.objid, v->val_len / sizeof(oid), buf,
		    sizeof(buf));
		result_add_text(r, name, buf);
		break;
	case ASN_IPADDRESS:
		if (v->val_len == 4) {
			inet_ntop(AF_INET, v->val.string, buf, sizeof(buf));
			result_add_text(r, name, buf);
		}
		break;
	case ASN_OCTET_STR: {
		size_t	 n = v->val_len < sizeof(buf) - 1 ? v->val_len :
		    sizeof(buf) - 1, i;

		memcpy(buf, v->val.string, n);
		buf[n] = '\0';
		/* Control bytes never reach a header or a page. */
		for (i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				buf[i] = ' ';
		result_add_text(r, name, buf);
		break;
	}
	default:
		break;
	}
}

static int
community_ok(const netsnmp_pdu *pdu)
{
	int	 i;

	for (i = 0; i < T.conf->ncommunities; i++)
		if (pdu->community_len == strlen(T.conf->communities[i]) &&
		    memcmp(pdu->community, T.conf->communities[i],
		    pdu->community_len) == 0)
			return 1;
	return 0;
}

/*
 * Whether a v3 notification may be forwarded: authenticated (see the
 * comment at the top), by a user configured here for the sender's
 * engine, at no less than that user's level.  'why' names the refusal.
 */
static int
v3_ok(const netsnmp_session *sess, const netsnmp_pdu *pdu, const char **why)
{
	const struct trap_user *u = NULL;
	u_char	 eid[64];
	size_t	 eidlen = 0;
	int	 i, need;

	if (sess->s_snmp_errno == SNMPERR_USM_AUTHENTICATIONFAILURE) {
		*why = "failed authentication";
		return 0;
	}
	for (i = 0; i < T.conf->nusers; i++) {
		const struct trap_user *c = &T.conf->users[i];
		u_char	*p = eid;

		eidlen = 0;
		if (pdu->securityName == NULL ||
		    strlen(c->name) != pdu->securityNameLen ||
		    memcmp(c->name, pdu->securityName, pdu->securityNameLen))
			continue;
		if (snmp_hex_to_binary(&p, &(size_t){ sizeof(eid) }, &eidlen,
		    0, c->engine_id) != 1)
			continue;
		if (eidlen == pdu->securityEngineIDLen &&
		    memcmp(eid, pdu->securityEngineID, eidlen) == 0) {
			u = c;
			break;
		}
	}
	if (u == NULL) {
		*why = "from a user not configured for that engine";
		return 0;
	}
	need = u->priv_proto[0] ? SNMP_SEC_LEVEL_AUTHPRIV :
	    SNMP_SEC_LEVEL_AUTHNOPRIV;
	if (pdu->securityModel != SNMP_SEC_MODEL_USM ||
	    pdu->securityLevel < need) {
		*why = "below the user's security level";
		return 0;
	}
	return 1;
}

static void
v3_refused(const char *src, const char *user, const char *why)
{
	int64_t	 now = mono_us();

	T.st_v3_refused++;
	if (T.v3_refused_log_us != 0 &&
	    now - T.v3_refused_log_us < TRAP_REFUSED_LOG_US)
		return;
	log_warnx("traps: refused a v3 trap from %s, user \"%s\": %s (%llu "
	    "refused since the last such line, %llu in all)", src, user, why,
	    (unsigned long long)(T.st_v3_refused - T.v3_refused_logged),
	    (unsigned long long)T.st_v3_refused);
	T.v3_refused_logged = T.st_v3_refused;
	T.v3_refused_log_us = now;
}

static int
trap_cb(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct trap_listener *tl = magic;
	static const oid trapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
	static const oid uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
	netsnmp_indexed_addr_pair *ap = pdu ? pdu->transport_data : NULL;
	struct sockaddr_in *from;
	struct fm_result *r;
	netsnmp_variable_list *v;
	char	 oidbuf[FM_TEXT_MAX], src[INET_ADDRSTRLEN] = "?", name[64];
	uint32_t ip = 0;
	int	 i = 0;

	(void)reqid;
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || pdu == NULL)
		return 1;
	if (ap != NULL && pdu->transport_data_length >= (int)sizeof(*ap) &&
	    ap->remote_addr.sa.sa_family == AF_INET) {
		from = &ap->remote_addr.sin;
		ip = from->sin_addr.s_addr;
		inet_ntop(AF_INET, &from->sin_addr, src, sizeof(src));
	}
	/* A failed authentication is refused whatever it claims to be. */
	if (pdu->version == SNMP_VERSION_3 &&
	    sess->s_snmp_errno == SNMPERR_USM_AUTHENTICATIONFAILURE) {
		T.st_received++;
		fm_text_sanitize(name, sizeof(name), pdu->securityName,
		    pdu->securityName ? pdu->securityNameLen : 0);
		v3_refused(src, name, "failed authentication");
		return 1;
	}
	if (pdu->command != SNMP_MSG_TRAP && pdu->command != SNMP_MSG_TRAP2 &&
	    pdu->command != SNMP_MSG_INFORM)
		return 1;
	T.st_received++;
	if (pdu->version != SNMP_VERSION_3 && !community_ok(pdu)) {
		if (T.st_bad_community++ % 100 == 0)
			log_warnx("trap from %s with an unknown community "
			    "(%llu so far)", src,
			    (unsigned long long)T.st_bad_community);
		return 1;
	}
	if (pdu->version == SNMP_VERSION_3) {
		const char *why;

		if (!v3_ok(sess, pdu, &why)) {
			char	 user[64];

			fm_text_sanitize(user, sizeof(user), pdu->securityName,
			    pdu->securityName ? pdu->securityNameLen : 0);
			v3_refused(src, user, why);
			return 1;
		}
	}
	if (!trap_admit(ip)) {
		if (T.st_rate_limited++ % 1000 == 0)
			log_warnx("traps from %s over %d/s: dropping (%llu "
			    "so far)", src, T.conf->rate,
			    (unsigned long long)T.st_rate_limited);
		return 1;
	}
	/* An inform is acknowledged: the sender stops retrying. */
	if (pdu->command == SNMP_MSG_INFORM) {
		netsnmp_pdu *reply = snmp_clone_pdu(pdu);

		if (reply != NULL) {
			reply->command = SNMP_MSG_RESPONSE;
			reply->errstat = 0;
			reply->errindex = 0;
			if (snmp_sess_send(tl->sess, reply) == 0)
				snmp_free_pdu(reply);
		}
		T.st_informs++;
	}
	/* The notification's OID, as RFC 3584 maps v1 traps. */
	if (pdu->command == SNMP_MSG_TRAP) {
		oid	 o[MAX_OID_LEN];
		size_t	 len;

		if (pdu->trap_type == SNMP_TRAP_ENTERPRISESPECIFIC &&
		    pdu->enterprise_length + 2 <= MAX_OID_LEN) {
			memcpy(o, pdu->enterprise, pdu->enterprise_length *
			    sizeof(oid));
			len = pdu->enterprise_length;
			o[len++] = 0;
			o[len++] = (oid)pdu->specific_type;
		} else {
			static const oid gen[] = { 1, 3, 6, 1, 6, 3, 1, 1, 5 };

			memcpy(o, gen, sizeof(gen));
			len = OID_LENGTH(gen);
			o[len++] = (oid)pdu->trap_type + 1;
		}
		oid_text(o, len, oidbuf, sizeof(oidbuf));
	} else {
		oidbuf[0] = '\0';
		for (v = pdu->variables; v != NULL; v = v->next_variable)
			if (snmp_oid_compare(v->name, v->name_length, trapoid,
			    OID_LENGTH(trapoid)) == 0 &&
			    v->type == ASN_OBJECT_ID)
				oid_text(v->val.objid, v->val_len / sizeof(oid),
				    oidbuf, sizeof(oidbuf));
		if (oidbuf[0] == '\0')
			return 1;	/* not a notification without its OID */
	}

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	fm_strlcpy(r->device, device_for(ip), sizeof(r->device));
	fm_strlcpy(r->check, "trap", sizeof(r->check));
	r->type = CT_TRAP;
	r->outcome = PR_OK;
	r->ts_ms = now_ms();
	fm_strlcpy(r->msg, oidbuf, sizeof(r->msg));
	result_add_text(r, "trapOID", oidbuf);
	result_add_text(r, "source", src);
	result_add_gauge(r, "version", pdu->version == SNMP_VERSION_1 ? 1 :
	    pdu->version == SNMP_VERSION_2c ? 2 : 3);
	if (pdu->version == SNMP_VERSION_3)
		result_add_text(r, "user", pdu->securityName ?
		    pdu->securityName : "");
	for (v = pdu->variables; v != NULL && i < 64; v = v->next_variable) {
		if (snmp_oid_compare(v->name, v->name_length, trapoid,
		    OID_LENGTH(trapoid)) == 0 ||
		    snmp_oid_compare(v->name, v->name_length, uptime,
		    OID_LENGTH(uptime)) == 0)
			continue;
		oid_text(v->name, v->name_length, name, sizeof(name));
		trap_value(r, name, v);
		i++;
	}
	T.st_forwarded++;
	log_debug("trap %s from %s (%s)", oidbuf, src, r->device);
	push_result(r);
	return 1;
}

static void
trap_users(const struct trap_conf *tc)
{
	char	 line[512];
	int	 i;

	for (i = 0; i < tc->nusers; i++) {
		const struct trap_user *u = &tc->users[i];

		/* The same line snmptrapd.conf would have. */
		if (u->priv_proto[0])
			snprintf(line, sizeof(line), "-e %s %s %s %s %s %s",
			    u->engine_id, u->name, u->auth_proto, u->auth_pass,
			    u->priv_proto, u->priv_pass);
		else
			snprintf(line, sizeof(line), "-e %s %s %s %s",
			    u->engine_id, u->name, u->auth_proto, u->auth_pass);
		usm_parse_create_usmUser("createUser", line);
	}
}

int
trap_start(const struct trap_conf *tc)
{
	int	 i;

	if (tc == NULL)
		return 0;
	T.conf = tc;
	trap_users(tc);
	if ((T.l = calloc((size_t)tc->nlisten, sizeof(*T.l))) == NULL)
		fatal("calloc");
	for (i = 0; i < tc->nlisten; i++) {
		struct trap_listener *tl = &T.l[T.nl];
		netsnmp_transport *t;
		netsnmp_session s;

		fm_strlcpy(tl->spec, tc->listen[i], sizeof(tl->spec));
		if ((t = netsnmp_transport_open_server("snmptrap",
		    tl->spec)) == NULL) {
			log_warnx("traps: cannot listen on %s", tl->spec);
			continue;
		}
		snmp_sess_init(&s);
		s.peername = SNMP_DEFAULT_PEERNAME;
		s.version = SNMP_DEFAULT_VERSION;
		s.community_len = SNMP_DEFAULT_COMMUNITY_LEN;
		s.retries = SNMP_DEFAULT_RETRIES;
		s.timeout = SNMP_DEFAULT_TIMEOUT;
		s.callback = trap_cb;
		s.callback_magic = tl;
		s.authenticator = NULL;
		s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
		if ((tl->sess = snmp_sess_add(&s, t, NULL, NULL)) == NULL) {
			log_warnx("traps: cannot start a session on %s",
			    tl->spec);
			continue;
		}
		snmpev_attach(&tl->ev, tl->sess);
		T.nl++;
		log_info("traps: listening on %s", tl->spec);
	}
	return T.nl == tc->nlisten ? 0 : -1;
}

void
trap_stop(void)
{
	int	 i;

	for (i = 0; i < T.nl; i++) {
		snmpev_detach(&T.l[i].ev);
		snmp_sess_close(T.l[i].sess);
	}
	free(T.l);
	free(T.b);
	if (T.st_received > 0)
		log_info("traps: received %llu, forwarded %llu, bad community "
		    "%llu, rate-limited %llu, informs %llu, v3 refused %llu",
		    (unsigned long long)T.st_received,
		    (unsigned long long)T.st_forwarded,
		    (unsigned long long)T.st_bad_community,
		    (unsigned long long)T.st_rate_limited,
		    (unsigned long long)T.st_informs,
		    (unsigned long long)T.st_v3_refused);
	memset(&T, 0, sizeof(T));
}
