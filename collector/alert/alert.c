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
 * Alert delivery: the queue between the event loop and the worker
 * thread, the failover chains, retries with back-off, health alerts and
 * the texts every channel shares.
 *
 * alert_submit() runs on the event loop and only copies the alert into
 * a bounded queue: it never touches the disk or the network, so a dead
 * mail server cannot stall the collector.  The worker turns each alert
 * into one delivery per recipient and failover chain, writes it to the
 * outbox (outbox.c) before the first attempt, and rewrites it after each
 * attempt.  A delivery is marked sent only after the channel accepted
 * it, so a crash between the two sends it once more, never zero times;
 * the idempotency key goes along (Message-ID, OutId, SessionContext,
 * Idempotency-Key) so that the receiving side can recognise the copy.
 *
 * The worker is a work queue of its own (common/workq.c) with two jobs
 * on it.  The inbox job is kicked by the loop for each alert and for
 * each reload: it takes a new configuration first, then every alert
 * waiting, so that what piles up while it or an attempt runs is taken
 * by its next run in one go.  The send job makes one attempt, the
 * oldest delivery that is due, and puts itself back: at once when
 * another is due, else for the time the next one is, so that an alert
 * that arrives meanwhile is expanded before the next attempt.  The
 * queue has one thread, so the outbox has one writer and at most one
 * channel sends at a time, as the channels and the storm tables expect.
 * At shutdown the attempt in progress finishes and nothing more runs:
 * what is in the outbox is resumed at the next start.
 *
 * Hooks for what comes later: routing fills alert_msg.recipients (empty
 * means every recipient), storm grouping would sit in front of
 * alert_submit(), acknowledgement and escalation would submit a new
 * alert with a new key.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alert_channel.h"
#include "../../common/workq.h"

#define HEALTH_PERIOD_MS	3600000	/* one health alert per channel, hour */

/*
 * The configurations, each a reference (alert_conf_ref): conf is the
 * worker's, for the settings of the queue and for health alerts;
 * next_conf is one a reload handed over, taken by the worker between
 * two attempts; loop_conf is the event loop's, the one its rules route
 * with, and goes along with each alert submitted.
 */
static struct alert_conf *conf;
static struct alert_conf *next_conf;	/* under mtx */
static struct alert_conf *loop_conf;	/* under mtx */
/*
 * The loop and the queue's thread share the inbox, the handed-over
 * configurations, the lists the API shows and the counters: the loop
 * fills the inbox and reads the rest while the thread empties the one
 * and changes the others.  mtx guards them for as long as a copy or a
 * change takes, never across a disk write or a send.
 */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static int	 running;
static struct workq *wq;		/* the worker */
static struct wjob in_job;		/* kicked by the loop: in_run() */
static struct wjob send_job;		/* one attempt: send_run() */
static int	 stopping;		/* atomic: no attempt begins */
static struct alert_msg *inbox;		/* ring of inbox_max */
static struct alert_conf **inbox_conf;	/* each one's configuration */
static int	 inbox_max;		/* alerts.queue at start */
static int	 in_head, in_len;
static struct alert_msg *batch;		/* the inbox job's, inbox_max */
static struct alert_conf **bconf;
static struct delivery *live;		/* pending and retrying, oldest first */
static struct delivery *done;		/* sent and failed, newest first */
static int	 ndone;
static uint64_t	 n_submitted, n_refused, n_sent, n_failed, n_attempts;
static char	 data_dir_copy[FM_TEXT_MAX * 4];
static uint64_t	 n_digested, n_rate_held;

/*
 * Storm control, the worker's alone (no lock): when each recipient was
 * last sent to on each chain (the digest window), and the sends to each
 * recipient through each channel in the last hour (the rate limit).
 */
#define DIGEST_MAX	32	/* alerts folded into one message */
#define PEERS_MAX	512
struct peer {
	int		 k;		/* chain (sent) or channel (rate) */
	char		 rcpt[FM_ID_MAX];
	int64_t		 last_ms;
	int64_t		 ts[ALERT_RATE_MAX];	/* oldest first */
	int		 n;
};
static struct peer *sent_tab, *rate_tab;
static int	 nsent_tab, nrate_tab;

/*
 * The configuration texts are composed with -- the one of the delivery
 * being sent (alert_test_main has its own) -- and the channel being
 * sent to: the worker sends one message at a time, and a template's
 * ${text} is the SMS text of that channel.
 */
static const struct alert_conf *text_conf;
static const struct alert_channel *cur_ch;
static const struct alert_recipient *cur_rcpt;

/*
 * The acknowledgement link of a down alert for the recipient being sent
 * to: base_url + "ack?t=" + a signed token that expires; "" for other
 * alerts, without base_url, or with links turned off.
 */
void
alert_ack_link(char *dst, size_t len, const struct alert_msg *m)
{
	const struct alert_conf *c = text_conf;
	char	 tok[FM_ID_MAX * 3 + 96], path[sizeof(tok) + 8];

	dst[0] = '\0';
	if (c == NULL || c->base_url[0] == '\0' || c->ack_ttl_ms <= 0 ||
	    m->kind != AK_DOWN || cur_rcpt == NULL || m->since_ms <= 0 ||
	    strcmp(m->device_id, "facmon") == 0 || alert_ack_token(tok,
	    sizeof(tok), m->device_id, m->check, m->since_ms, now_ms() +
	    c->ack_ttl_ms, cur_rcpt->name) == -1)
		return;
	snprintf(path, sizeof(path), "ack?t=%s", tok);
	fm_url_join(dst, len, c->base_url, path);
}

const struct alert_conf *
alert_conf_current(void)
{
	return text_conf;
}

static const char *const kind_names[] = { NULL, "down", "recovery",
	"threshold", "health", "test", "event" };
static const char *const kind_zh[] = { NULL, "故障", "恢复", "超限",
	"系统告警", "测试", "事件" };
static const char *const kind_en[] = { NULL, "DOWN", "RECOVERED",
	"THRESHOLD", "FACMON HEALTH", "TEST", "EVENT" };

const char *
alert_kind_name(int k)
{
	if (k < AK_DOWN || k > AK_MAX)
		return "?";
	return kind_names[k];
}

int
alert_kind_parse(const char *s)
{
	int	 k;

	for (k = AK_DOWN; k <= AK_MAX; k++)
		if (strcmp(kind_names[k], s) == 0)
			return k;
	return -1;
}

/* Keys name files and go into headers: the id alphabet, a bit longer. */
int
alert_valid_key(const char *s)
{
	return fm_valid_name(s, ALERT_KEY_MAX);
}

/* --- texts --------------------------------------------------------------- */

/* common/util.c's validator on a NUL-terminated string. */
static size_t
utf8_len(const unsigned char *s)
{
	return fm_utf8_len(s, strnlen((const char *)s, 4));
}

size_t
alert_utf8_chars(const char *s)
{
	size_t	 n = 0, l;

	while (*s) {
		l = utf8_len((const unsigned char *)s);
		s += l ? l : 1;
		n++;
	}
	return n;
}

/*
 * One line of valid UTF-8: control characters (CR and LF above all,
 * from device names and trap text) become spaces, broken bytes '?'.
 */
void
alert_one_line(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	 o = 0, l;

	if (len == 0)
		return;
	while (*s && o + 1 < len) {
		l = utf8_len(s);
		if (l == 0) {
			dst[o++] = '?';
			s++;
		} else if (l == 1) {
			dst[o++] = (*s < 0x20 || *s == 0x7f) ? ' ' : (char)*s;
			s++;
		} else {
			if (o + l >= len)
				break;
			memcpy(dst + o, s, l);
			o += l;
			s += l;
		}
	}
	dst[o] = '\0';
}

/* Cut to at most max characters, on a character boundary. */
static void
utf8_cut(char *s, size_t max)
{
	size_t	 n = 0, l;
	char	*p = s;

	while (*p) {
		if (n == max) {
			*p = '\0';
			return;
		}
		l = utf8_len((unsigned char *)p);
		p += l ? l : 1;
		n++;
	}
}

size_t
alert_html_escape(char *dst, size_t len, const char *src)
{
	size_t	 o = 0;
	const char *rep;
	char	 one[2] = { 0, 0 };

	for (; *src; src++) {
		switch (*src) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			one[0] = *src;
			rep = one;
		}
		if (o + strlen(rep) >= len)
			break;
		memcpy(dst + o, rep, strlen(rep));
		o += strlen(rep);
	}
	if (len > 0)
		dst[o] = '\0';
	return o;
}

void
alert_duration(char *dst, size_t len, int64_t ms, int english)
{
	int64_t	 s = ms < 0 ? 0 : ms / 1000, m = s / 60, h = m / 60;

	if (english) {
		if (s < 60)
			snprintf(dst, len, "%lld s", (long long)s);
		else if (h == 0)
			snprintf(dst, len, "%lld min", (long long)m);
		else
			snprintf(dst, len, "%lld h %lld min", (long long)h,
			    (long long)(m % 60));
	} else {
		if (s < 60)
			snprintf(dst, len, "%lld秒", (long long)s);
		else if (h == 0)
			snprintf(dst, len, "%lld分钟", (long long)m);
		else
			snprintf(dst, len, "%lld小时%lld分钟", (long long)h,
			    (long long)(m % 60));
	}
}

/*
 * A channel's own SMS template: ${name} replaced by the one-line value,
 * read once from left to right (a value is never read as a template);
 * ${text} is the composed SMS text.
 */
static void
render_text(char *dst, size_t len, const char *tmpl,
    const struct alert_channel *ch, const struct alert_msg *m)
{
	const char *p = tmpl, *end;
	char	 name[FM_ID_MAX], val[FM_TEXT_MAX * 3];
	size_t	 o = 0, l;

	while (*p && o + 1 < len) {
		if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}')) !=
		    NULL && (size_t)(end - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			if (strcmp(name, "text") == 0)
				alert_compose_sms(val, sizeof(val),
				    alert_conf_current(), ch, m);
			else if (alert_var(val, sizeof(val), m, name,
			    ch->english) == -1)
				val[0] = '\0';
			alert_one_line(val, sizeof(val), val);
			l = strlen(val);
			if (o + l >= len)
				break;
			memcpy(dst + o, val, l);
			o += l;
			p = end + 1;
			continue;
		}
		dst[o++] = *p++;
	}
	dst[o] = '\0';
	alert_one_line(dst, len, dst);
}

/* The SMS text of m, for the channel being sent to (none: defaults). */
void
alert_sms_text(char *dst, size_t len, const struct alert_msg *m, int english)
{
	struct alert_channel tmp;
	const struct alert_channel *ch = cur_ch;

	if (ch == NULL || ch->english != english) {
		memset(&tmp, 0, sizeof(tmp));
		if (ch != NULL)
			tmp = *ch;
		tmp.english = english;
		ch = &tmp;
	}
	if (ch->text_tmpl[0] != '\0')
		render_text(dst, len, ch->text_tmpl, ch, m);
	else
		alert_compose_sms(dst, len, alert_conf_current(), ch, m);
}

static int
urlish(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(".:/%?#=&_~+-@",
	    c) != NULL);
}

static int
alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Does this run of URL characters name a place on a network: a scheme,
 * "www.", four dotted numbers, an IPv6 address or a host name ending in
 * a letters-only label?  The SMS providers refuse such variables (and a
 * device name must not smuggle a link into a message sent in our name).
 */
static int
run_is_address(const char *s, size_t n)
{
	size_t	 i, ncolon = 0, dots = 0, nums = 0, lastdot = n;
	char	 buf[FM_TEXT_MAX];
	int	 indigits = 0, hexonly = 1;

	if (n >= sizeof(buf))
		return 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strstr(buf, "://") != NULL || strncasecmp(buf, "www.", 4) == 0)
		return 1;
	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c >= '0' && c <= '9') {
			if (!indigits)
				nums++;
			indigits = 1;
		} else
			indigits = 0;
		if (c == '.') {
			dots++;
			lastdot = i;
		}
		if (c == ':')
			ncolon++;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			hexonly = 0;
	}
	if (dots >= 3 && nums >= 4)
		return 1;
	if (ncolon >= 2 && hexonly)
		return 1;
	if (dots >= 1 && lastdot > 0 && lastdot + 2 < n) {
		/* host.tld[/path]: a letters-only label of 2+ after a dot */
		size_t	 j = lastdot + 1, l = 0;

		while (j < n && alpha(buf[j]))
			j++, l++;
		if (l >= 2 && (j == n || buf[j] == '/' || buf[j] == ':') &&
		    alpha(buf[lastdot - 1]))
			return 1;
	}
	return 0;
}

/*
 * An SMS template variable: one line, no URL, host name or IP address,
 * no template syntax ($ { }), at most max_chars characters.
 */
void
alert_var_sanitize(char *dst, size_t len, const char *src, size_t max_chars)
{
	char	 line[FM_TEXT_MAX * 3];
	size_t	 i = 0, o = 0, j;

	alert_one_line(line, sizeof(line), src);
	while (line[i] != '\0' && o + 1 < len) {
		if (urlish((unsigned char)line[i])) {
			for (j = i; urlish((unsigned char)line[j]); j++)
				;
			if (!run_is_address(line + i, j - i)) {
				if (o + (j - i) >= len)
					break;
				memcpy(dst + o, line + i, j - i);
				o += j - i;
			}
			i = j;
			continue;
		}
		if (line[i] != '$' && line[i] != '{' && line[i] != '}')
			dst[o++] = line[i];
		i++;
	}
	dst[o] = '\0';
	/* Runs dropped at the ends leave blanks. */
	while (o > 0 && dst[o - 1] == ' ')
		dst[--o] = '\0';
	utf8_cut(dst, max_chars);
}

/* The value of one template variable, unescaped; -1 if unknown. */
int
alert_var(char *dst, size_t len, const struct alert_msg *m, const char *name,
    int english)
{
	int	 k = m->kind >= AK_DOWN && m->kind <= AK_MAX ? m->kind : AK_DOWN;

	if (strcmp(name, "kind") == 0)
		fm_strlcpy(dst, english ? kind_en[k] : kind_zh[k], len);
	else if (strcmp(name, "severity") == 0)
		fm_strlcpy(dst, m->severity == AS_CRITICAL ? "critical" :
		    m->severity == AS_WARNING ? "warning" : "info", len);
	else if (strcmp(name, "device") == 0)
		fm_strlcpy(dst, m->device_id, len);
	else if (strcmp(name, "name") == 0) {
		char	 nb[FM_TEXT_MAX];

		alert_one_line(dst, len, alert_subject_name(nb, sizeof(nb), m,
		    english));
	}
	else if (strcmp(name, "check") == 0)
		alert_one_line(dst, len, m->check);
	else if (strcmp(name, "cause") == 0)
		alert_one_line(dst, len, m->cause);
	else if (strcmp(name, "since") == 0)
		alert_time(dst, len, m->since_ms, AT_SHORT, english);
	else if (strcmp(name, "time") == 0)
		alert_time(dst, len, m->since_ms, AT_FULL, english);
	else if (strcmp(name, "what") == 0)
		alert_what(dst, len, m, english);
	else if (strcmp(name, "where") == 0)
		alert_where(dst, len, alert_conf_current(), m, english);
	else if (strcmp(name, "runbook") == 0)
		alert_runbook(dst, len, alert_conf_current(), m, english);
	else if (strcmp(name, "budget") == 0)
		alert_budget(dst, len, m, english);
	else if (strcmp(name, "headline") == 0)
		alert_headline(dst, len, m, english);
	else if (strcmp(name, "ack") == 0)
		alert_ack_link(dst, len, m);
	else if (strcmp(name, "level") == 0)
		fm_strlcpy(dst, alert_severity_text(m->severity, english), len);
	else if (strcmp(name, "signature") == 0)
		alert_one_line(dst, len, cur_ch != NULL &&
		    cur_ch->has_signature ? cur_ch->signature :
		    alert_conf_current() != NULL ?
		    alert_conf_current()->signature : "");
	else if (strcmp(name, "duration") == 0)
		alert_duration(dst, len, m->duration_ms, english);
	else if (strcmp(name, "link") == 0)
		alert_one_line(dst, len, m->link);
	else if (strcmp(name, "key") == 0)
		fm_strlcpy(dst, m->key, len);
	else if (strcmp(name, "text") == 0)
		alert_sms_text(dst, len, m, english);
	else
		return -1;
	return 0;
}

/* --- sending ------------------------------------------------------------- */

static int
recipient_can(const struct alert_channel *ch, const struct alert_recipient *r,
    char *err, size_t errlen)
{
	if (ch->ops->needs == CN_EMAIL && r->email[0] == '\0') {
		snprintf(err, errlen, "recipient '%s' has no e-mail address",
		    r->name);
		return 0;
	}
	if (ch->ops->needs == CN_PHONE && r->phone[0] == '\0') {
		snprintf(err, errlen, "recipient '%s' has no phone number",
		    r->name);
		return 0;
	}
	return 1;
}

/* c: the configuration the texts are composed with. */
static int
chan_send(const struct alert_conf *c, const struct alert_channel *ch,
    const struct alert_recipient *r, const struct alert_msg *m,
    const char *msgid, char *err, size_t errlen)
{
	int	 res;

	if (!recipient_can(ch, r, err, errlen))
		return SEND_PERM;
	text_conf = c;
	cur_ch = ch;
	cur_rcpt = r;
	res = ch->ops->send(ch, r, m, msgid, err, errlen);
	cur_ch = NULL;
	cur_rcpt = NULL;
	text_conf = NULL;
	return res;
}

/* --- the worker ---------------------------------------------------------- */

/* The same channels, by name, in the same order. */
static int
chain_same(const struct alert_conf *a, int ia, const struct alert_conf *b,
    int ib)
{
	const struct alert_chain *x, *y;
	int	 i;

	if (ia < 0 || ib < 0 || ia >= a->nchains || ib >= b->nchains)
		return 0;
	x = &a->chains[ia];
	y = &b->chains[ib];
	if (x->n != y->n)
		return 0;
	for (i = 0; i < x->n; i++)
		if (strcmp(a->channels[x->ch[i]].name,
		    b->channels[y->ch[i]].name) != 0)
			return 0;
	return 1;
}

/*
 * The worker takes the configuration a reload handed over (mtx held).
 * A delivery waiting or retrying moves to it when its recipient is
 * still configured and its chain has the same channels at the same
 * place: its next attempt uses the new addresses and channel settings.
 * Any other stays with the configuration it was queued under and
 * finishes there -- a recipient removed by the reload still gets what
 * was already queued to them, and nothing new.  The rate limits and
 * digest windows follow their channel and chain by name.
 */
static void
take_conf(void)
{
	struct alert_conf *old = conf, *nc = next_conf;
	struct delivery *d;
	int	 i, j, n, kept = 0;

	next_conf = NULL;
	for (d = live; d != NULL; d = d->next) {
		if (d->conf == old && alert_recipient_find(nc,
		    d->recipient) != NULL && chain_same(old, d->chain, nc,
		    d->chain)) {
			alert_conf_free(d->conf);
			d->conf = alert_conf_ref(nc);
		} else if (d->conf != nc)
			kept++;
	}
	for (i = n = 0; i < nrate_tab; i++) {
		int	 k = alert_channel_find(nc,
		    old->channels[rate_tab[i].k].name);

		if (k == -1)
			continue;
		rate_tab[n] = rate_tab[i];
		rate_tab[n++].k = k;
	}
	nrate_tab = n;
	for (i = n = 0; i < nsent_tab; i++) {
		for (j = 0; j < nc->nchains; j++)
			if (chain_same(old, sent_tab[i].k, nc, j))
				break;
		if (j == nc->nchains)
			continue;
		sent_tab[n] = sent_tab[i];
		sent_tab[n++].k = j;
	}
	nsent_tab = n;
	conf = nc;
	alert_conf_free(old);
	log_info("alerts: configuration reloaded: %d channels, %d "
	    "recipients", nc->nchannels, nc->nrecipients);
	if (kept > 0)
		log_info("alerts: %d queued deliveries finish under the "
		    "configuration they were queued with (their recipient or "
		    "chain changed)", kept);
}

static int
known_id(const char *id)
{
	struct delivery *d;
	char	 path[PATH_MAX];
	struct stat sb;

	for (d = live; d != NULL; d = d->next)
		if (strcmp(d->id, id) == 0)
			return 1;
	for (d = done; d != NULL; d = d->next)
		if (strcmp(d->id, id) == 0)
			return 1;
	/* Older than what done/ keeps in memory: still sent once only. */
	snprintf(path, sizeof(path), "%s/alerts/done/%s.json", data_dir_copy,
	    id);
	return stat(path, &sb) == 0;
}

static void
add_history(struct delivery *d, const char *chname, const char *why)
{
	size_t	 l = strlen(d->history);

	snprintf(d->history + l, sizeof(d->history) - l, "%s%s: %s",
	    l ? "; " : "", chname, why);
}

static void
push_done(struct delivery *d)
{
	struct delivery **pp;
	int	 i;

	d->next = done;
	done = d;
	ndone++;
	if (ndone <= conf->keep_done)
		return;
	for (pp = &done, i = 0; *pp != NULL && i < conf->keep_done; i++)
		pp = &(*pp)->next;
	while (*pp != NULL) {
		struct delivery *x = *pp;

		*pp = x->next;
		free(x);
		ndone--;
	}
}

static struct peer *
peer_get(struct peer *tab, int *n, int k, const char *rcpt, int create)
{
	int	 i;

	if (tab == NULL)
		return NULL;
	for (i = 0; i < *n; i++)
		if (tab[i].k == k && strcmp(tab[i].rcpt, rcpt) == 0)
			return &tab[i];
	if (!create)
		return NULL;
	if (*n == PEERS_MAX)
		/* Forget the first: at worst one message comes early. */
		memmove(tab, tab + 1, (PEERS_MAX - 1) * sizeof(*tab)), (*n)--;
	memset(&tab[*n], 0, sizeof(tab[*n]));
	tab[*n].k = k;
	fm_strlcpy(tab[*n].rcpt, rcpt, sizeof(tab[*n].rcpt));
	return &tab[(*n)++];
}

/* Sends in the last hour; the older ones are forgotten. */
static int
rate_used(struct peer *p, int64_t now)
{
	int	 i = 0;

	while (i < p->n && p->ts[i] <= now - 3600000)
		i++;
	if (i > 0) {
		memmove(p->ts, p->ts + i, (size_t)(p->n - i) * sizeof(*p->ts));
		p->n -= i;
	}
	return p->n;
}

static void
sent_now(const struct delivery *w, int chidx, int64_t now)
{
	struct peer *p;

	if ((p = peer_get(sent_tab, &nsent_tab, w->chain, w->recipient,
	    1)) != NULL)
		p->last_ms = now;
	if ((p = peer_get(rate_tab, &nrate_tab, chidx, w->recipient,
	    1)) != NULL) {
		rate_used(p, now);
		if (p->n == ALERT_RATE_MAX)
			memmove(p->ts, p->ts + 1, (ALERT_RATE_MAX - 1) *
			    sizeof(*p->ts)), p->n--;
		p->ts[p->n++] = now;
	}
}

/*
 * The digest: other deliveries for the same recipient on the same chain
 * and channel that wait (held by the window or the rate limit, or just
 * queued) go along in one message.  Only ones never tried: a retrying
 * delivery keeps its own back-off.
 */
static int
gather(const struct delivery *d, struct delivery **mem, int max,
    int64_t now)
{
	struct delivery *x;
	int	 n = 0;

	if (conf->digest_ms <= 0)
		return 0;
	pthread_mutex_lock(&mtx);
	for (x = live; x != NULL && n < max; x = x->next)
		if (x != d && x->conf == d->conf &&
		    x->state == DS_PENDING && x->attempts == 0 &&
		    x->chain == d->chain && x->step == d->step &&
		    strcmp(x->recipient, d->recipient) == 0 &&
		    strcmp(x->avoid, d->avoid) == 0 &&
		    x->next_ms <= now + conf->digest_ms)
			mem[n++] = x;
	pthread_mutex_unlock(&mtx);
	return n;
}

/*
 * One message for the leader and its members: the count, then each in
 * a sentence of the configured language.  The leader's severity is the
 * highest of them.
 */
static void
compose(struct alert_msg *out, const struct alert_msg *lead,
    struct delivery **mem, int n)
{
	char	 one[FM_TEXT_MAX * 4], what[FM_TEXT_MAX * 2];
	size_t	 o = 0, l;
	int	 i, en = conf->english;

	*out = *lead;
	memset(&out->f, 0, sizeof(out->f));
	/* The headline is the most severe one's. */
	for (i = 0; i < n; i++)
		if (mem[i]->msg.severity > out->severity) {
			out->severity = mem[i]->msg.severity;
			out->kind = mem[i]->msg.kind;
		}
	snprintf(out->device_name, sizeof(out->device_name), en ?
	    "%d alerts" : "%d条告警", n + 1);
	out->check[0] = '\0';
	out->cause[0] = '\0';
	for (i = -1; i < n; i++) {
		const struct alert_msg *m = i < 0 ? lead : &mem[i]->msg;

		alert_what(what, sizeof(what), m, en);
		l = (size_t)snprintf(one, sizeof(one), "%s%s %s%s%s",
		    i < 0 ? "" : en ? "; " : "；", alert_kind_text(m->kind, en),
		    m->device_name, en ? ": " : "：", what);
		if (o + l >= sizeof(out->cause) - 16) {
			snprintf(out->cause + o, sizeof(out->cause) - o,
			    en ? "; +%d more" : "；另%d条", n - i);
			break;
		}
		memcpy(out->cause + o, one, l + 1);
		o += l;
	}
	alert_one_line(out->cause, sizeof(out->cause), out->cause);
}

/*
 * Worker: one delivery per recipient and chain, saved before any try.
 * gc is the configuration that routed m.  A delivery is of the
 * configuration in force when that has the same recipient and chain (as
 * take_conf moves the queued ones), else of gc.
 */
static void
expand(const struct alert_msg *m, const char *avoid, struct alert_conf *gc)
{
	struct delivery *d, **tail;
	char	 err[256];
	int	 i, c, nr = m->nrecipients ? m->nrecipients : gc->nrecipients;

	for (i = 0; i < nr; i++) {
		const char *rn = m->nrecipients ? m->recipients[i] :
		    gc->recipients[i].name;

		for (c = 0; c < gc->nchains; c++) {
			struct alert_conf *dc = gc;

			if (gc != conf && alert_recipient_find(conf,
			    rn) != NULL && chain_same(gc, c, conf, c))
				dc = conf;
			if ((d = calloc(1, sizeof(*d))) == NULL)
				return;
			d->msg = *m;
			fm_strlcpy(d->recipient, rn, sizeof(d->recipient));
			d->chain = c;
			if ((size_t)snprintf(d->id, sizeof(d->id), "%s.%s.%d",
			    m->key, rn, c) >= sizeof(d->id)) {
				free(d);
				continue;
			}
			fm_strlcpy(d->avoid, avoid ? avoid : "",
			    sizeof(d->avoid));
			d->created_ms = d->channel_since_ms = d->next_ms =
			    now_ms();
			/*
			 * Inside a recipient's digest window: wait for it --
			 * unless it is critical or good news, which go at once
			 * (and take what waits along).
			 */
			if (dc == conf && conf->digest_ms > 0 &&
			    m->severity < AS_CRITICAL &&
			    m->kind != AK_RECOVERY) {
				struct peer *p = peer_get(sent_tab, &nsent_tab,
				    c, rn, 0);

				if (p != NULL && p->last_ms + conf->digest_ms >
				    d->next_ms)
					d->next_ms = p->last_ms +
					    conf->digest_ms;
			}
			pthread_mutex_lock(&mtx);
			if (known_id(d->id)) {
				pthread_mutex_unlock(&mtx);
				log_debug("alerts: %s already known", d->id);
				free(d);
				continue;
			}
			pthread_mutex_unlock(&mtx);
			d->conf = alert_conf_ref(dc);
			if (outbox_save(d, err, sizeof(err)) == -1)
				/* Still sent from memory; the API shows it. */
				log_warnx("alerts: outbox: %s", err);
			pthread_mutex_lock(&mtx);
			for (tail = &live; *tail != NULL; tail = &(*tail)->next)
				;
			*tail = d;
			pthread_mutex_unlock(&mtx);
		}
	}
}

static void
health_alert(const char *chname, const char *why, const char *delivery_id)
{
	struct alert_msg h;
	int64_t	 now = now_ms();

	memset(&h, 0, sizeof(h));
	snprintf(h.key, sizeof(h.key), "health.%s.%lld", chname,
	    (long long)(now / HEALTH_PERIOD_MS));
	h.kind = AK_HEALTH;
	h.severity = AS_CRITICAL;
	fm_strlcpy(h.device_id, "facmon", sizeof(h.device_id));
	fm_strlcpy(h.device_name, "facmon", sizeof(h.device_name));
	fm_strlcpy(h.check, chname, sizeof(h.check));
	if ((size_t)snprintf(h.cause, sizeof(h.cause), "channel %s failed "
	    "for good (%s): %s", chname, delivery_id, why) >= sizeof(h.cause))
		log_debug("alerts: health cause cut");
	alert_one_line(h.cause, sizeof(h.cause), h.cause);
	h.since_ms = now;
	log_warnx("alerts: %s", h.cause);
	expand(&h, chname, conf);
}

static int64_t
backoff_ms(int attempts)
{
	int64_t	 b = conf->retry_first_ms;
	int	 i;

	for (i = 1; i < attempts && b < conf->retry_max_ms; i++)
		b *= 2;
	if (b > conf->retry_max_ms)
		b = conf->retry_max_ms;
	/* Up to 10 % more, so that many alerts do not retry in step. */
	return b + (b / 10 > 0 ? random() % (b / 10 + 1) : 0);
}

/* d is over (w: its final copy): to done/, off the live list. */
static void
finish_one(struct delivery *d, struct delivery *w)
{
	struct delivery **pp;
	char	 e2[256];

	w->done_ms = now_ms();
	if (outbox_finish(w, e2, sizeof(e2)) == -1)
		log_warnx("alerts: outbox: %s", e2);
	pthread_mutex_lock(&mtx);
	for (pp = &live; *pp != NULL && *pp != d; pp = &(*pp)->next)
		;
	if (*pp == d)
		*pp = d->next;
	w->next = NULL;
	*d = *w;
	/* Done: the configuration it was sent under may go. */
	alert_conf_free(d->conf);
	d->conf = NULL;
	if (d->state == DS_SENT)
		n_sent++;
	else
		n_failed++;
	push_done(d);
	pthread_mutex_unlock(&mtx);
}

/*
 * One attempt for delivery d (the alert queue's thread, no lock held during the
 * send).  Returns 1 when d left the live list.
 */
static int
attempt(struct delivery *d)
{
	struct delivery w = *d;		/* worked on without the lock */
	struct delivery *mem[DIGEST_MAX];
	struct alert_msg dm;
	struct peer *rp;
	int	 nm = 0, i;
	const struct alert_chain *chain;
	const struct alert_channel *ch;
	const struct alert_recipient *r;
	char	 err[FM_TEXT_MAX], e2[256];
	int	 res, finished = 0;
	int64_t	 now;
	/*
	 * The configuration it was queued under; one a reload left behind
	 * (take_conf) goes alone, outside the digest and the rate limits,
	 * whose tables speak of the configuration in force.
	 */
	const struct alert_conf *gc = w.conf != NULL ? w.conf : conf;
	int	 cur = gc == conf;

	/* Routed to a name the configuration does not have. */
	if (w.chain >= gc->nchains || (r = alert_recipient_find(gc,
	    w.recipient)) == NULL) {
		snprintf(err, sizeof(err), "recipient '%s' is not configured",
		    w.recipient);
		w.state = DS_FAILED;
		fm_strlcpy(w.last_error, err, sizeof(w.last_error));
		goto finish;
	}
	chain = &gc->chains[w.chain];
	if (w.step >= chain->n) {
		w.state = DS_FAILED;
		goto finish;
	}
	ch = &gc->channels[chain->ch[w.step]];
	err[0] = '\0';
	if (strcmp(ch->name, w.avoid) == 0) {
		res = SEND_PERM;
		snprintf(err, sizeof(err), "skipped: the failing channel");
	} else if (cur && ch->per_hour > 0 && (rp = peer_get(rate_tab,
	    &nrate_tab,
	    chain->ch[w.step], w.recipient, 0)) != NULL &&
	    rate_used(rp, now_ms()) >= ch->per_hour) {
		/* Held, never dropped: it leads or joins the next digest. */
		w.next_ms = rp->ts[0] + 3600000;
		if (strncmp(w.last_error, "held", 4) != 0) {
			pthread_mutex_lock(&mtx);
			n_rate_held++;
			pthread_mutex_unlock(&mtx);
		}
		snprintf(w.last_error, sizeof(w.last_error), "held: %d per "
		    "hour reached on %s", ch->per_hour, ch->name);
		log_info("alerts: %s held by the rate limit of %s", w.id,
		    ch->name);
		goto save;
	} else {
		if (cur)
			nm = gather(d, mem, DIGEST_MAX, now_ms());
		if (nm > 0)
			compose(&dm, &w.msg, mem, nm);
		res = chan_send(gc, ch, r, nm > 0 ? &dm : &w.msg, w.id, err,
		    sizeof(err));
		w.attempts++;
		w.total_attempts++;
		pthread_mutex_lock(&mtx);
		n_attempts++;
		pthread_mutex_unlock(&mtx);
	}
	now = now_ms();
	switch (res) {
	case SEND_OK:
		w.state = DS_SENT;
		fm_strlcpy(w.sent_by, ch->name, sizeof(w.sent_by));
		w.last_error[0] = '\0';
		log_info("alerts: %s sent by %s%s", w.id, ch->name, nm > 0 ?
		    " as a digest" : "");
		if (cur)
			sent_now(&w, chain->ch[w.step], now);
		for (i = 0; i < nm; i++) {
			struct delivery x = *mem[i];

			x.state = DS_SENT;
			fm_strlcpy(x.sent_by, ch->name, sizeof(x.sent_by));
			x.last_error[0] = '\0';
			add_history(&x, ch->name, "in the digest");
			finish_one(mem[i], &x);
		}
		if (nm > 0) {
			pthread_mutex_lock(&mtx);
			n_digested += (uint64_t)nm;
			pthread_mutex_unlock(&mtx);
		}
		goto finish;
	case SEND_TEMP:
		fm_strlcpy(w.last_error, err, sizeof(w.last_error));
		if (now - w.channel_since_ms < conf->give_up_ms) {
			w.state = DS_RETRYING;
			w.next_ms = now + backoff_ms(w.attempts);
			log_info("alerts: %s via %s: %s; retry %d", w.id,
			    ch->name, err, w.attempts);
			break;
		}
		if ((size_t)snprintf(e2, sizeof(e2), "gave up retrying: %s",
		    err) >= sizeof(e2))
			log_debug("alerts: error text cut");
		fm_strlcpy(err, e2, sizeof(err));
		/* FALLTHROUGH */
	default:
		fm_strlcpy(w.last_error, err, sizeof(w.last_error));
		add_history(&w, ch->name, err);
		log_warnx("alerts: %s via %s failed: %s", w.id, ch->name, err);
		/* A dead channel is news for whoever runs facmon. */
		if (w.msg.kind != AK_HEALTH && w.msg.kind != AK_TEST &&
		    strcmp(ch->name, w.avoid) != 0 && recipient_can(ch, r, e2,
		    sizeof(e2)))
			health_alert(ch->name, err, w.id);
		if (w.step + 1 < chain->n) {
			w.step++;
			w.attempts = 0;
			w.channel_since_ms = w.next_ms = now;
			w.state = DS_PENDING;
			break;
		}
		w.state = DS_FAILED;
		goto finish;
	}
save:
	if (outbox_save(&w, e2, sizeof(e2)) == -1)
		log_warnx("alerts: outbox: %s", e2);
	pthread_mutex_lock(&mtx);
	w.next = d->next;
	*d = w;
	pthread_mutex_unlock(&mtx);
	return 0;
finish:
	finish_one(d, &w);
	finished = 1;
	return finished;
}

/*
 * The next attempts are kept on the wall clock (they outlive a restart
 * in the outbox), and the queue waits on the monotonic one: the send
 * job looks again at least this often, so that a step of the wall
 * clock delays or hastens an attempt by no more than this.
 */
#define LOOK_AGAIN_MS	1000

/* Between two attempts: the configuration a reload handed over. */
static void
take_new_conf(void)
{
	pthread_mutex_lock(&mtx);
	if (next_conf != NULL)
		take_conf();
	pthread_mutex_unlock(&mtx);
}

/*
 * The oldest delivery that is due, or NULL and in *wait how long to
 * wait for the next (at most LOOK_AGAIN_MS; -1 when none is live).
 */
static struct delivery *
first_due(int64_t *wait)
{
	struct delivery *d;
	int64_t	 now = now_ms();

	*wait = -1;
	pthread_mutex_lock(&mtx);
	for (d = live; d != NULL; d = d->next) {
		if (d->next_ms <= now)
			break;
		if (*wait == -1)
			*wait = LOOK_AGAIN_MS;
		if (d->next_ms - now < *wait)
			*wait = d->next_ms - now;
	}
	pthread_mutex_unlock(&mtx);
	return d;
}

/*
 * The inbox job: every alert waiting, expanded and saved to the outbox
 * without the lock.  The send job then looks again, since what was
 * expanded may be due at once.
 */
static void
in_run(struct wjob *j)
{
	int	 n, i;

	(void)j;
	take_new_conf();
	pthread_mutex_lock(&mtx);
	for (n = 0; in_len > 0; n++) {
		batch[n] = inbox[in_head];
		bconf[n] = inbox_conf[in_head];
		inbox_conf[in_head] = NULL;
		in_head = (in_head + 1) % inbox_max;
		in_len--;
	}
	pthread_mutex_unlock(&mtx);
	for (i = 0; i < n; i++) {
		expand(&batch[i], NULL, bconf[i]);
		alert_conf_free(bconf[i]);
	}
	workq_kick(wq, &send_job);
}

/*
 * The send job: one attempt, then back on the queue behind whatever the
 * loop kicked meanwhile.  It is queued only from the queue's thread
 * once alert_init() has kicked it (here and by the inbox job), so it is
 * never waiting already when it puts itself back.
 */
static void
send_run(struct wjob *j)
{
	struct delivery *d;
	int64_t	 wait;

	/* At a stop the queue drains for the inbox's sake: send nothing. */
	if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
		return;
	take_new_conf();
	if ((d = first_due(&wait)) != NULL)
		attempt(d);
	if (first_due(&wait) != NULL)
		workq_kick(wq, j);
	else if (wait >= 0)
		workq_submit_at(wq, j, mono_ms() + wait);
}

/*
 * The rate limits and digest windows outlive a restart: the sends of
 * the last hour are in done/, oldest last on the list.
 */
static void
restore_peers(void)
{
	struct delivery *d, **v;
	int	 n = 0, i, k;
	int64_t	 now = now_ms();

	for (d = done; d != NULL; d = d->next)
		n++;
	if (n == 0 || (v = calloc((size_t)n, sizeof(*v))) == NULL)
		return;
	for (i = n, d = done; d != NULL; d = d->next)
		v[--i] = d;
	for (i = 0; i < n; i++) {
		struct peer *p;

		d = v[i];
		if (d->state != DS_SENT || d->done_ms <= now - 3600000 ||
		    (k = alert_channel_find(conf, d->sent_by)) == -1)
			continue;
		if ((p = peer_get(sent_tab, &nsent_tab, d->chain, d->recipient,
		    1)) != NULL && p->last_ms < d->done_ms)
			p->last_ms = d->done_ms;
		if ((p = peer_get(rate_tab, &nrate_tab, k, d->recipient,
		    1)) != NULL && p->n < ALERT_RATE_MAX &&
		    (p->n == 0 || p->ts[p->n - 1] <= d->done_ms))
			p->ts[p->n++] = d->done_ms;
	}
	free(v);
}

/* --- the API of the collector ---------------------------------------------- */

int
alert_init(struct alert_conf *c, const char *data_dir,
    struct event_base *base, char *err, size_t errlen)
{
	struct delivery *l, *d, *next, **tail;
	char	 e2[256];
	int	 n;

	if (running) {
		snprintf(err, errlen, "alerts already started");
		return -1;
	}
	if (base == NULL) {
		snprintf(err, errlen, "alerts need the event loop");
		return -1;
	}
	conf = alert_conf_ref(c);
	loop_conf = alert_conf_ref(c);
	fm_strlcpy(data_dir_copy, data_dir, sizeof(data_dir_copy));
	if (outbox_open(data_dir, err, errlen) == -1)
		return -1;
	/* Without its key an alert still goes, without the ack link. */
	if (conf->base_url[0] != '\0' && conf->ack_ttl_ms > 0 &&
	    alert_ack_init(data_dir, e2, sizeof(e2)) == -1)
		log_warnx("alerts: no acknowledgement links: %s", e2);
	sent_tab = calloc(PEERS_MAX, sizeof(*sent_tab));
	rate_tab = calloc(PEERS_MAX, sizeof(*rate_tab));
	nsent_tab = nrate_tab = 0;
	inbox_max = conf->queue_max;
	if (sent_tab == NULL || rate_tab == NULL ||
	    (inbox = calloc((size_t)inbox_max, sizeof(*inbox))) == NULL ||
	    (inbox_conf = calloc((size_t)inbox_max,
	    sizeof(*inbox_conf))) == NULL ||
	    (batch = calloc((size_t)inbox_max, sizeof(*batch))) == NULL ||
	    (bconf = calloc((size_t)inbox_max, sizeof(*bconf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(err, errlen, "curl_global_init failed");
		return -1;
	}
	srandom((unsigned)(now_ms() ^ getpid()));

	/* Finished records first, so that the outbox can be checked. */
	outbox_prune_done(conf->keep_done);
	l = outbox_load(1, &n);
	for (d = l; d != NULL; d = next) {
		next = d->next;
		d->next = NULL;
		push_done(d);	/* oldest first in, newest on top */
	}
	restore_peers();
	l = outbox_load(0, &n);
	tail = &live;
	for (d = l; d != NULL; d = next) {
		next = d->next;
		d->next = NULL;
		if (d->state == DS_SENT || d->state == DS_FAILED) {
			/* Crashed between done/ and the unlink. */
			if (outbox_finish(d, e2, sizeof(e2)) == -1)
				log_warnx("alerts: %s", e2);
			push_done(d);
			continue;
		}
		/*
		 * Resume now: the back-off is kept in attempts.  A wait for
		 * the digest window is kept (the window is rebuilt too).
		 */
		if (d->next_ms > now_ms() + (conf->retry_max_ms >
		    conf->digest_ms ? conf->retry_max_ms : conf->digest_ms))
			d->next_ms = now_ms();
		d->conf = alert_conf_ref(conf);
		*tail = d;
		tail = &d->next;
	}
	if (n > 0)
		log_info("alerts: %d deliveries resumed from the outbox", n);

	if ((wq = workq_new(base, "alerts", err, errlen)) == NULL)
		return -1;
	memset(&in_job, 0, sizeof(in_job));
	in_job.run = in_run;
	memset(&send_job, 0, sizeof(send_job));
	send_job.run = send_run;
	running = 1;
	/* What was resumed goes now, or when it is due. */
	workq_kick(wq, &send_job);
	return 0;
}

/*
 * Event loop, on reload: alerts submitted from now on are delivered
 * with c's recipients and channels, and the worker takes c between two
 * attempts (take_conf says what becomes of deliveries already queued).
 * The queue's size stays what it was at start.
 */
void
alert_reconf(struct alert_conf *c)
{
	if (!running || c == NULL)
		return;
	pthread_mutex_lock(&mtx);
	alert_conf_free(loop_conf);
	loop_conf = alert_conf_ref(c);
	alert_conf_free(next_conf);
	next_conf = alert_conf_ref(c);
	pthread_mutex_unlock(&mtx);
	workq_kick(wq, &in_job);
}

/*
 * Event loop: copy into the queue and wake the worker; no I/O.  -1 when
 * alerts are not running, the message is malformed or the queue is full
 * (counted as refused and logged: the caller may submit again later,
 * the key makes that safe).
 */
int
alert_submit(const struct alert_msg *m)
{
	struct alert_msg *q;
	int	 i;

	if (!running || !alert_valid_key(m->key) || m->kind < AK_DOWN ||
	    m->kind > AK_MAX || m->nrecipients < 0 ||
	    m->nrecipients > ALERT_RCPT_MAX) {
		pthread_mutex_lock(&mtx);
		n_refused++;
		pthread_mutex_unlock(&mtx);
		log_warnx("alerts: refused alert '%.40s' (%s)", m->key,
		    running ? "malformed" : "alerts not configured");
		return -1;
	}
	pthread_mutex_lock(&mtx);
	if (in_len == inbox_max) {
		n_refused++;
		pthread_mutex_unlock(&mtx);
		log_warnx("alerts: queue full, refused %s", m->key);
		return -1;
	}
	q = &inbox[(in_head + in_len) % inbox_max];
	*q = *m;
	/* Expanded with the configuration whose rules routed it. */
	inbox_conf[(in_head + in_len) % inbox_max] = alert_conf_ref(loop_conf);
	/* Device text is whatever the device said: make it valid UTF-8. */
	alert_one_line(q->device_name, sizeof(q->device_name), m->device_name);
	alert_one_line(q->check, sizeof(q->check), m->check);
	alert_one_line(q->cause, sizeof(q->cause), m->cause);
	alert_one_line(q->link, sizeof(q->link), m->link);
	alert_one_line(q->device_id, sizeof(q->device_id), m->device_id);
	for (i = 0; i < q->nrecipients; i++)
		if (!fm_valid_id(q->recipients[i]))
			q->recipients[i][0] = '\0';
	in_len++;
	n_submitted++;
	pthread_mutex_unlock(&mtx);
	/* Already waiting to run: it takes this one along. */
	workq_kick(wq, &in_job);
	return 0;
}

json_t *
alert_outbox_json(void)
{
	struct delivery *d;
	json_t	*o, *a;
	int	 np = 0, nr = 0;

	if ((o = json_object()) == NULL || (a = json_array()) == NULL) {
		json_decref(o);
		return NULL;
	}
	pthread_mutex_lock(&mtx);
	for (d = live; d != NULL; d = d->next) {
		if (d->state == DS_RETRYING)
			nr++;
		else
			np++;
		json_array_append_new(a, delivery_json(d, 0));
	}
	for (d = done; d != NULL; d = d->next)
		json_array_append_new(a, delivery_json(d, 0));
	json_object_set_new(o, "enabled", json_boolean(running));
	json_object_set_new(o, "queued", json_integer(in_len));
	json_object_set_new(o, "pending", json_integer(np));
	json_object_set_new(o, "retrying", json_integer(nr));
	json_object_set_new(o, "submitted", json_integer((json_int_t)
	    n_submitted));
	json_object_set_new(o, "refused", json_integer((json_int_t)n_refused));
	json_object_set_new(o, "sent", json_integer((json_int_t)n_sent));
	json_object_set_new(o, "failed", json_integer((json_int_t)n_failed));
	json_object_set_new(o, "attempts", json_integer((json_int_t)
	    n_attempts));
	/* Storm control: folded into a digest, held by a rate limit. */
	json_object_set_new(o, "digested", json_integer((json_int_t)
	    n_digested));
	json_object_set_new(o, "rate_held", json_integer((json_int_t)
	    n_rate_held));
	pthread_mutex_unlock(&mtx);
	json_object_set_new(o, "deliveries", a);
	return o;
}

/*
 * GET /api/v1/alerts/sent, with 'show_sent': every delivery the outbox
 * still holds, newest first, with what it said -- the subject and first
 * line of the mail, the text of an SMS -- in the channel's language.
 * NULL when not configured (the API answers 403) or out of memory.
 */
json_t *
alert_sent_json(void)
{
	struct delivery *lists[2], *d;
	json_t	*a, *o;
	char	 head[FM_TEXT_MAX * 2], what[FM_TEXT_MAX * 2];
	char	 subj[FM_TEXT_MAX * 4 + 8], sms[1024];
	int	 i, k, en;

	if ((a = json_array()) == NULL)
		return NULL;
	pthread_mutex_lock(&mtx);
	if (!running || !conf->show_sent) {
		pthread_mutex_unlock(&mtx);
		json_decref(a);
		return NULL;
	}
	lists[0] = live;
	lists[1] = done;
	for (i = 0; i < 2; i++)
		for (d = lists[i]; d != NULL; d = d->next) {
			/* A waiting one's, or the one in force (mtx held). */
			const struct alert_conf *gc = d->conf != NULL ?
			    d->conf : conf;
			const struct alert_channel *ch = NULL;
			const char *name = d->sent_by;
			int	 sms_ch;

			/* Not sent yet: the channel it waits for. */
			if (name[0] == '\0' && d->chain >= 0 &&
			    d->chain < gc->nchains && d->step >= 0 &&
			    d->step < gc->chains[d->chain].n)
				name = gc->channels[gc->chains[d->chain].ch[
				    d->step]].name;
			k = alert_channel_find(gc, name);
			if (k >= 0)
				ch = &gc->channels[k];
			/* The SMS channels: a recipient needs a phone. */
			sms_ch = ch != NULL && ch->ops->needs == CN_PHONE;
			en = ch != NULL && !alert_channel_is(ch, "smtp") ?
			    ch->english : gc->english;
			alert_headline(head, sizeof(head), &d->msg, en);
			alert_what(what, sizeof(what), &d->msg, en);
			snprintf(subj, sizeof(subj), "%s %s %s", head,
			    en ? "-" : "—", what);
			sms[0] = '\0';
			if (sms_ch)
				alert_compose_sms(sms, sizeof(sms), gc, ch,
				    &d->msg);
			o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
			    "time_ms", (json_int_t)(d->done_ms ? d->done_ms :
			    d->created_ms), "channel", name,
			    "channel_type", ch == NULL ? "" :
			    alert_channel_is(ch, "smtp") ? "mail" : sms_ch ?
			    "sms" : ch->ops->type,
			    "recipient", d->recipient, "state",
			    delivery_state_name(d->state), "subject", subj,
			    "sms", sms);
			if (o != NULL)
				json_array_append_new(a, o);
		}
	pthread_mutex_unlock(&mtx);
	/* Newest first, whichever list it came from. */
	{
		size_t	 n = json_array_size(a), x, y;

		for (x = 1; x < n; x++)
			for (y = x; y > 0 && json_integer_value(
			    json_object_get(json_array_get(a, y - 1),
			    "time_ms")) < json_integer_value(json_object_get(
			    json_array_get(a, y), "time_ms")); y--) {
				json_t	*t = json_incref(json_array_get(a,
				    y - 1));

				json_array_set(a, y - 1, json_array_get(a, y));
				json_array_set_new(a, y, t);
			}
	}
	return json_pack("{s:o}", "sent", a);
}

int
alert_running(void)
{
	return running;
}

/* The queue's size, fixed at start; 0 when alerts are not running. */
int
alert_queue_size(void)
{
	return running ? inbox_max : 0;
}

/*
 * Waits for the attempt in progress (bounded by the channel timeout);
 * no other attempt begins.  The alerts still in the inbox are expanded
 * into the outbox first (a disk write each, no send), so that an alert
 * submitted just before a stop is not lost: the outbox holds every
 * delivery, to be resumed at the next start.
 */
void
alert_shutdown(void)
{
	struct delivery *d;

	if (!running)
		return;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
	workq_kick(wq, &in_job);
	workq_free(wq, WQ_DRAIN);
	wq = NULL;
	running = 0;
	__atomic_store_n(&stopping, 0, __ATOMIC_RELEASE);
	while ((d = live) != NULL) {
		live = d->next;
		alert_conf_free(d->conf);
		free(d);
	}
	while ((d = done) != NULL) {
		done = d->next;
		free(d);
	}
	ndone = 0;
	for (; in_len > 0; in_len--, in_head = (in_head + 1) % inbox_max)
		alert_conf_free(inbox_conf[in_head]);
	free(inbox);
	free(inbox_conf);
	free(batch);
	free(bconf);
	inbox = NULL;
	inbox_conf = NULL;
	batch = NULL;
	bconf = NULL;
	inbox_max = 0;
	free(sent_tab);
	free(rate_tab);
	sent_tab = rate_tab = NULL;
	in_head = in_len = 0;
	/* The configurations in force and handed over: whatever they are. */
	alert_conf_free(conf);
	alert_conf_free(next_conf);
	alert_conf_free(loop_conf);
	conf = next_conf = loop_conf = NULL;
	curl_global_cleanup();
}

/*
 * facmon-collector -f FILE alert-test RECIPIENT: a test message through
 * every channel of every chain for that recipient, now, without the
 * outbox; one line per channel.  Exit 0 only if every channel took it.
 */
int
alert_test_main(const char *conf_file, const char *recipient)
{
	struct cfgerr e;
	struct alert_conf *c;
	const struct alert_recipient *r;
	struct alert_msg m;
	char	 err[FM_TEXT_MAX], seen[64];
	int	 i, j, res, bad = 0, any = 0;

	cfgerr_init(&e, conf_file);
	c = alert_conf_load(conf_file, &e);
	cfgerr_print(&e);
	cfgerr_free(&e);
	if (c == NULL)
		return 1;
	if ((r = alert_recipient_find(c, recipient)) == NULL) {
		fprintf(stderr, "alert-test: no recipient '%s'\n", recipient);
		alert_conf_free(c);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&m, 0, sizeof(m));
	snprintf(m.key, sizeof(m.key), "test.%lld", (long long)now_ms());
	m.kind = AK_TEST;
	m.severity = AS_INFO;
	fm_strlcpy(m.device_id, "facmon", sizeof(m.device_id));
	fm_strlcpy(m.device_name, "facmon 告警测试", sizeof(m.device_name));
	fm_strlcpy(m.check, "alert-test", sizeof(m.check));
	fm_strlcpy(m.cause, c->english ? "test message, no action needed" :
	    "测试消息，无需处理", sizeof(m.cause));
	m.since_ms = now_ms();
	if (c->base_url[0] != '\0')
		fm_url_join(m.link, sizeof(m.link), c->base_url, "");
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < c->nchains; i++) {
		for (j = 0; j < c->chains[i].n; j++) {
			int	 k = c->chains[i].ch[j];
			const struct alert_channel *ch = &c->channels[k];
			char	 id[ALERT_KEY_MAX + FM_ID_MAX + 8];

			if (k < (int)sizeof(seen) && seen[k]++)
				continue;
			any = 1;
			if (!recipient_can(ch, r, err, sizeof(err))) {
				printf("%-16s skipped: %s\n", ch->name, err);
				continue;
			}
			if ((size_t)snprintf(id, sizeof(id), "%s.%s.%s", m.key,
			    r->name, ch->name) >= sizeof(id))
				continue;
			err[0] = '\0';
			res = chan_send(c, ch, r, &m, id, err, sizeof(err));
			printf("%-16s %s%s%s\n", ch->name, res == SEND_OK ?
			    "OK" : res == SEND_TEMP ? "TEMPORARY FAILURE" :
			    "PERMANENT FAILURE", err[0] ? ": " : "", err);
			if (res != SEND_OK)
				bad = 1;
		}
	}
	if (!any)
		printf("no channel configured\n");
	text_conf = NULL;
	curl_global_cleanup();
	alert_conf_free(c);
	return bad || !any;
}
