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

/* Encoding and decoding of the agent -> collector protocol (wire.h). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

void
wbuf_init(struct wbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
wbuf_free(struct wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
wbuf_reset(struct wbuf *b)
{
	b->len = 0;
	b->err = 0;
}

static int
wbuf_reserve(struct wbuf *b, size_t n)
{
	size_t	 ncap;
	uint8_t	*np;

	if (b->err)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL) {
		b->err = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
wbuf_put(struct wbuf *b, const void *p, size_t n)
{
	if (n == 0 || wbuf_reserve(b, n) == -1)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
wbuf_u8(struct wbuf *b, uint8_t v)
{
	wbuf_put(b, &v, 1);
}

void
wbuf_u16(struct wbuf *b, uint16_t v)
{
	uint8_t	 x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wbuf_put(b, x, 2);
}

void
wbuf_u32(struct wbuf *b, uint32_t v)
{
	uint8_t	 x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wbuf_put(b, x, 4);
}

void
wbuf_u64(struct wbuf *b, uint64_t v)
{
	wbuf_u32(b, (uint32_t)(v >> 32));
	wbuf_u32(b, (uint32_t)v);
}

void
wbuf_double(struct wbuf *b, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	wbuf_u64(b, u);
}

/* Strings longer than 65535 bytes are a caller bug: they are cut. */
void
wbuf_str(struct wbuf *b, const char *s)
{
	size_t	 n = s ? strlen(s) : 0;

	if (n > UINT16_MAX)
		n = UINT16_MAX;
	wbuf_u16(b, (uint16_t)n);
	wbuf_put(b, s, n);
}

void
rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

static const uint8_t *
rbuf_take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t
rbuf_u8(struct rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 1);

	return p ? p[0] : 0;
}

uint16_t
rbuf_u16(struct rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 2);

	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t
rbuf_u32(struct rbuf *r)
{
	const uint8_t *p = rbuf_take(r, 4);

	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3] : 0;
}

uint64_t
rbuf_u64(struct rbuf *r)
{
	uint64_t hi = rbuf_u32(r);

	return (hi << 32) | rbuf_u32(r);
}

double
rbuf_double(struct rbuf *r)
{
	uint64_t u = rbuf_u64(r);
	double	 d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * A string that does not fit dst, or holds a NUL, is an error, not a
 * silent truncation: two ids that differ only past the limit must not
 * become one.
 */
void
rbuf_str(struct rbuf *r, char *dst, size_t dlen)
{
	uint16_t n = rbuf_u16(r);
	const uint8_t *p;

	dst[0] = '\0';
	if (r->err)
		return;
	if ((size_t)n >= dlen) {
		r->err = 1;
		return;
	}
	if ((p = rbuf_take(r, n)) == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->err = 1;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	/*
	 * Text is UTF-8 on the wire.  An agent that says otherwise (a GBK
	 * device name, an SNMP string in a local code page) gets its bad
	 * bytes replaced here, at the edge, and counted: past this point
	 * every name and message can reach JSON, HTML and e-mail as is.
	 */
	if (!fm_utf8_valid(dst, n))
		__atomic_add_fetch(&fm_wire_text_repaired, fm_utf8_repair(dst),
		    __ATOMIC_RELAXED);
}

uint64_t	 fm_wire_text_repaired;

size_t
fm_frame_begin(struct wbuf *b, uint8_t type)
{
	size_t	 start = b->len;
	uint8_t	 hdr[FM_HDR_LEN] = { FM_MAGIC0, FM_MAGIC1, FM_PROTO_VERSION,
	    type };

	wbuf_put(b, hdr, sizeof(hdr));
	return start;
}

void
fm_frame_end(struct wbuf *b, size_t start)
{
	size_t	 plen;
	uint32_t crc;
	uint8_t	*h;

	if (b->err)
		return;
	plen = b->len - start - FM_HDR_LEN;
	if (plen > FM_FRAME_MAX) {
		b->err = 1;
		return;
	}
	crc = crc32c(0, b->p + start + FM_HDR_LEN, plen);
	h = b->p + start;
	h[4] = (uint8_t)(plen >> 24); h[5] = (uint8_t)(plen >> 16);
	h[6] = (uint8_t)(plen >> 8); h[7] = (uint8_t)plen;
	h[8] = (uint8_t)(crc >> 24); h[9] = (uint8_t)(crc >> 16);
	h[10] = (uint8_t)(crc >> 8); h[11] = (uint8_t)crc;
}

/*
 * Look at the start of a stream.  Returns 1 when a whole valid frame is
 * there (the payload follows the header), 0 when more bytes are needed,
 * -1 when the stream is garbage (the connection must be dropped: there is
 * no way to find the next frame boundary).
 */
int
fm_frame_parse(const uint8_t *p, size_t avail, struct fm_hdr *h, char *err,
    size_t errlen)
{
	if (avail >= 1 && p[0] != FM_MAGIC0)
		goto badmagic;
	if (avail >= 2 && p[1] != FM_MAGIC1)
		goto badmagic;
	if (avail < FM_HDR_LEN)
		return 0;
	h->version = p[2];
	h->type = p[3];
	h->len = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
	    ((uint32_t)p[6] << 8) | p[7];
	h->crc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) |
	    ((uint32_t)p[10] << 8) | p[11];
	if (h->version != FM_PROTO_VERSION) {
		snprintf(err, errlen, "unsupported protocol version %u",
		    h->version);
		return -1;
	}
	if (h->type == 0 || h->type >= FM_MSG_MAX) {
		snprintf(err, errlen, "unknown frame type %u", h->type);
		return -1;
	}
	if (h->len > FM_FRAME_MAX) {
		snprintf(err, errlen, "frame length %u over the limit %u",
		    h->len, FM_FRAME_MAX);
		return -1;
	}
	if (avail - FM_HDR_LEN < h->len)
		return 0;
	if (crc32c(0, p + FM_HDR_LEN, h->len) != h->crc) {
		snprintf(err, errlen, "frame checksum mismatch");
		return -1;
	}
	return 1;
badmagic:
	snprintf(err, errlen, "bad frame magic");
	return -1;
}

static int
decode_done(struct rbuf *r, const char *what, char *err, size_t errlen)
{
	if (r->err) {
		snprintf(err, errlen, "%s: truncated or oversized field", what);
		return -1;
	}
	if (r->off != r->len) {
		snprintf(err, errlen, "%s: %zu trailing bytes", what,
		    r->len - r->off);
		return -1;
	}
	return 0;
}

/* The level both sides speak: the lower of the peer's and ours. */
uint16_t
fm_level_min(uint16_t peer)
{
	if (peer < 1)
		return 1;
	return peer < FM_PROTO_LEVEL ? peer : FM_PROTO_LEVEL;
}

/*
 * The level in a capability string: the "proto=N" word, 1 without one
 * (the first release's empty string).  Other words are a newer peer's
 * and are skipped.
 */
static uint16_t
caps_level(const char *caps)
{
	const char *p = caps;
	unsigned long v;
	char	*end;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, "proto=", 6) == 0) {
			v = strtoul(p + 6, &end, 10);
			if (end != p + 6 && (*end == ' ' || *end == '\0') &&
			    v >= 1)
				return v > 65535 ? 65535 : (uint16_t)v;
		}
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return 1;
}

/*
 * The capability string carries the level: an older collector reads the
 * string and ignores it, so the HELLO stays one it decodes.  A level of
 * 1 (a test playing the first release) sends it empty, as that release
 * did.
 */
void
fm_put_hello(struct wbuf *b, const struct fm_hello *m)
{
	size_t	 f = fm_frame_begin(b, FM_HELLO);
	char	 caps[FM_TEXT_MAX];

	if (m->level > 1)
		snprintf(caps, sizeof(caps), "proto=%u", m->level);
	else
		caps[0] = '\0';
	wbuf_str(b, m->agent);
	wbuf_u64(b, m->session);
	wbuf_str(b, m->version);
	wbuf_str(b, caps);
	fm_frame_end(b, f);
}

int
fm_get_hello(const uint8_t *p, size_t len, struct fm_hello *m, char *err,
    size_t errlen)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	rbuf_str(&r, m->agent, sizeof(m->agent));
	m->session = rbuf_u64(&r);
	rbuf_str(&r, m->version, sizeof(m->version));
	rbuf_str(&r, m->caps, sizeof(m->caps));
	if (decode_done(&r, "hello", err, errlen) == -1)
		return -1;
	m->level = caps_level(m->caps);
	if (!fm_valid_id(m->agent)) {
		snprintf(err, errlen, "hello: invalid agent id");
		return -1;
	}
	return 0;
}

void
fm_put_welcome(struct wbuf *b, const struct fm_welcome *m)
{
	size_t	 f = fm_frame_begin(b, FM_WELCOME);

	wbuf_u8(b, m->status);
	wbuf_u64(b, m->last_seq);
	wbuf_u64(b, (uint64_t)m->server_ms);
	if (m->level != 0)
		wbuf_u16(b, m->level);
	fm_frame_end(b, f);
}

int
fm_get_welcome(const uint8_t *p, size_t len, struct fm_welcome *m, char *err,
    size_t errlen)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	m->status = rbuf_u8(&r);
	m->last_seq = rbuf_u64(&r);
	m->server_ms = (int64_t)rbuf_u64(&r);
	m->level = 1;
	if (r.err == 0 && r.off < r.len) {
		m->level = rbuf_u16(&r);
		/*
		 * A collector of a higher level may say more after its level;
		 * what this side does not know is not for it.  At or below
		 * our level, every byte must be understood.
		 */
		if (r.err == 0 && m->level > FM_PROTO_LEVEL)
			r.off = r.len;
		if (r.err == 0 && m->level < 2) {
			snprintf(err, errlen, "welcome: level %u", m->level);
			return -1;
		}
	}
	return decode_done(&r, "welcome", err, errlen);
}

void
fm_put_ack(struct wbuf *b, const struct fm_ack *m)
{
	size_t	 f = fm_frame_begin(b, FM_ACK);

	wbuf_u64(b, m->session);
	wbuf_u64(b, m->seq);
	fm_frame_end(b, f);
}

int
fm_get_ack(const uint8_t *p, size_t len, struct fm_ack *m, char *err,
    size_t errlen)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	m->session = rbuf_u64(&r);
	m->seq = rbuf_u64(&r);
	return decode_done(&r, "ack", err, errlen);
}

void
fm_put_error(struct wbuf *b, uint16_t code, const char *msg)
{
	size_t	 f = fm_frame_begin(b, FM_ERROR);

	wbuf_u16(b, code);
	wbuf_str(b, msg);
	fm_frame_end(b, f);
}

int
fm_get_error(const uint8_t *p, size_t len, uint16_t *code, char *msg,
    size_t msglen, char *err, size_t errlen)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	*code = rbuf_u16(&r);
	rbuf_str(&r, msg, msglen);
	return decode_done(&r, "error", err, errlen);
}

void
fm_put_event(struct wbuf *b, const struct fm_agent_event *e)
{
	size_t	 f = fm_frame_begin(b, FM_EVENT);

	wbuf_str(b, e->kind);
	wbuf_u64(b, e->value);
	wbuf_u64(b, e->value2);
	wbuf_str(b, e->msg);
	fm_frame_end(b, f);
}

int
fm_get_event(const uint8_t *p, size_t len, struct fm_agent_event *e,
    char *err, size_t errlen)
{
	struct rbuf r;

	memset(e, 0, sizeof(*e));
	rbuf_init(&r, p, len);
	rbuf_str(&r, e->kind, sizeof(e->kind));
	e->value = rbuf_u64(&r);
	e->value2 = rbuf_u64(&r);
	rbuf_str(&r, e->msg, sizeof(e->msg));
	if (decode_done(&r, "event", err, errlen) == -1)
		return -1;
	if (!fm_valid_id(e->kind)) {
		snprintf(err, errlen, "event: invalid kind");
		return -1;
	}
	return 0;
}

static void
put_result(struct wbuf *b, const struct fm_result *res)
{
	uint16_t i;

	wbuf_str(b, res->device);
	wbuf_str(b, res->check);
	wbuf_u8(b, res->type);
	wbuf_u8(b, res->outcome);
	wbuf_u64(b, (uint64_t)res->ts_ms);
	wbuf_u32(b, res->dur_us);
	wbuf_str(b, res->msg);
	wbuf_u16(b, res->nvalues);
	for (i = 0; i < res->nvalues; i++) {
		const struct fm_value *v = &res->values[i];

		wbuf_str(b, v->name);
		wbuf_u8(b, v->kind);
		switch (v->kind) {
		case VK_GAUGE:
			wbuf_double(b, v->d);
			break;
		case VK_COUNTER:
			wbuf_u64(b, v->u);
			wbuf_double(b, v->d);
			break;
		case VK_TEXT:
			wbuf_str(b, v->text);
			break;
		}
	}
}

/* The encoded size of one result, to bound a batch by bytes. */
size_t
fm_result_wire_len(const struct fm_result *res)
{
	size_t	 n = 2 + strlen(res->device) + 2 + strlen(res->check) + 1 + 1 +
	    8 + 4 + 2 + strlen(res->msg) + 2;
	uint16_t i;

	for (i = 0; i < res->nvalues; i++) {
		const struct fm_value *v = &res->values[i];

		n += 2 + strlen(v->name) + 1;
		if (v->kind == VK_GAUGE)
			n += 8;
		else if (v->kind == VK_COUNTER)
			n += 16;
		else if (v->kind == VK_TEXT)
			n += 2 + (v->text != NULL ? strlen(v->text) : 0);
	}
	return n;
}

void
fm_put_batch(struct wbuf *b, uint64_t session, uint64_t seq,
    const struct fm_result *const *res, uint32_t n)
{
	size_t	 f = fm_frame_begin(b, FM_BATCH);
	uint32_t i;

	wbuf_u64(b, session);
	wbuf_u64(b, seq);
	wbuf_u32(b, n);
	for (i = 0; i < n; i++)
		put_result(b, res[i]);
	fm_frame_end(b, f);
}

void
fm_result_clear(struct fm_result *res)
{
	uint16_t i;

	if (res->values != NULL) {
		for (i = 0; i < res->nvalues; i++)
			free(res->values[i].text);
		free(res->values);
	}
	res->values = NULL;
	res->nvalues = 0;
}

void
fm_batch_free(struct fm_batch *bt)
{
	uint32_t i;

	if (bt->r != NULL)
		for (i = 0; i < bt->n; i++)
			fm_result_clear(&bt->r[i]);
	free(bt->r);
	bt->r = NULL;
	bt->n = 0;
}

/*
 * Minimum encoded sizes, used to refuse a count that the remaining
 * payload cannot possibly hold before allocating for it.
 */
#define RESULT_MIN_LEN	(2 + 2 + 1 + 1 + 8 + 4 + 2 + 2)
#define VALUE_MIN_LEN	(2 + 1 + 2)
#define DEVINFO_MIN_LEN	(2 * 6 + 2)
#define CHECKINFO_MIN_LEN (2 + 1 + 4 + 4 + 1)

static int
get_result(struct rbuf *r, struct fm_result *res, char *err, size_t errlen)
{
	uint16_t i, n;
	char	 tbuf[FM_VTEXT_MAX];

	rbuf_str(r, res->device, sizeof(res->device));
	rbuf_str(r, res->check, sizeof(res->check));
	res->type = rbuf_u8(r);
	res->outcome = rbuf_u8(r);
	res->ts_ms = (int64_t)rbuf_u64(r);
	res->dur_us = rbuf_u32(r);
	rbuf_str(r, res->msg, sizeof(res->msg));
	n = rbuf_u16(r);
	if (r->err)
		goto trunc;
	if (!fm_valid_id(res->device) || !fm_valid_id(res->check)) {
		snprintf(err, errlen, "batch: invalid device or check id");
		return -1;
	}
	if (res->type == 0) {
		snprintf(err, errlen, "batch: %s/%s: bad type",
		    res->device, res->check);
		return -1;
	}
	/*
	 * A newer agent may know check types and outcomes that this
	 * collector does not.  Refusing the batch would make the agent
	 * resend it for ever and lose every device's results; instead the
	 * type is kept as a number (its results are stored like any
	 * probe's), and an outcome this side cannot judge is a probe that
	 * says nothing: unknown, never up or down.
	 */
	if (res->outcome >= PR_MAX)
		res->outcome = PR_INTERNAL;
	if (n > FM_VALUES_MAX ||
	    (size_t)n * VALUE_MIN_LEN > r->len - r->off) {
		snprintf(err, errlen, "batch: %s/%s: %u values is too many",
		    res->device, res->check, n);
		return -1;
	}
	if (n > 0 && (res->values = calloc(n, sizeof(*res->values))) == NULL) {
		snprintf(err, errlen, "batch: out of memory");
		return -1;
	}
	res->nvalues = n;
	for (i = 0; i < n; i++) {
		struct fm_value *v = &res->values[i];

		rbuf_str(r, v->name, sizeof(v->name));
		v->kind = rbuf_u8(r);
		switch (v->kind) {
		case VK_GAUGE:
			v->d = rbuf_double(r);
			if (!r->err && !isfinite(v->d))
				goto nonfinite;
			break;
		case VK_COUNTER:
			v->u = rbuf_u64(r);
			v->d = rbuf_double(r);	/* NaN: no rate yet */
			if (!r->err && isinf(v->d))
				goto nonfinite;
			break;
		case VK_TEXT:
			rbuf_str(r, tbuf, sizeof(tbuf));
			if (!r->err && (v->text = strdup(tbuf)) == NULL) {
				snprintf(err, errlen, "batch: out of memory");
				return -1;
			}
			break;
		default:
			if (!r->err) {
				snprintf(err, errlen, "batch: %s/%s: unknown "
				    "value kind %u", res->device, res->check,
				    v->kind);
				return -1;
			}
		}
		if (r->err)
			goto trunc;
		if (v->name[0] == '\0') {
			snprintf(err, errlen, "batch: %s/%s: empty value name",
			    res->device, res->check);
			return -1;
		}
	}
	return 0;
nonfinite:
	snprintf(err, errlen, "batch: %s/%s: value is not a finite number",
	    res->device, res->check);
	return -1;
trunc:
	snprintf(err, errlen, "batch: truncated or oversized field");
	return -1;
}

int
fm_get_batch(const uint8_t *p, size_t len, struct fm_batch *bt, char *err,
    size_t errlen)
{
	struct rbuf r;
	uint32_t i, n;

	memset(bt, 0, sizeof(*bt));
	rbuf_init(&r, p, len);
	bt->session = rbuf_u64(&r);
	bt->seq = rbuf_u64(&r);
	n = rbuf_u32(&r);
	if (r.err) {
		snprintf(err, errlen, "batch: truncated header");
		return -1;
	}
	if (n > FM_BATCH_MAX || (size_t)n * RESULT_MIN_LEN > r.len - r.off) {
		snprintf(err, errlen, "batch: %u results is too many", n);
		return -1;
	}
	if (n > 0 && (bt->r = calloc(n, sizeof(*bt->r))) == NULL) {
		snprintf(err, errlen, "batch: out of memory");
		return -1;
	}
	bt->n = n;
	for (i = 0; i < n; i++)
		if (get_result(&r, &bt->r[i], err, errlen) == -1)
			goto fail;
	if (decode_done(&r, "batch", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	fm_batch_free(bt);
	return -1;
}

void
fm_put_devices(struct wbuf *b, const struct fm_devinfo *d, uint32_t n)
{
	size_t	 f = fm_frame_begin(b, FM_DEVICES);
	uint32_t i;

	wbuf_u32(b, n);
	for (i = 0; i < n; i++)
		fm_put_device(b, &d[i]);
	fm_frame_end(b, f);
}

/*
 * One device of a FM_DEVICES frame, after fm_frame_begin() and the count:
 * lets a sender encode its devices one at a time instead of building a
 * copy of the whole list first.
 */
void
fm_put_device(struct wbuf *b, const struct fm_devinfo *d)
{
	uint16_t j;

	wbuf_str(b, d->id);
	wbuf_str(b, d->name);
	wbuf_str(b, d->class);
	wbuf_str(b, d->group);
	wbuf_str(b, d->address);
	wbuf_str(b, d->parent);
	wbuf_u16(b, d->nchecks);
	for (j = 0; j < d->nchecks; j++) {
		const struct fm_checkinfo *c = &d->checks[j];

		wbuf_str(b, c->id);
		wbuf_u8(b, c->type);
		wbuf_u32(b, c->interval_ms);
		wbuf_u32(b, c->timeout_ms);
		wbuf_u8(b, c->critical);
	}
}

void
fm_devices_free(struct fm_devices *ds)
{
	uint32_t i;

	if (ds->d != NULL)
		for (i = 0; i < ds->n; i++)
			free(ds->d[i].checks);
	free(ds->d);
	ds->d = NULL;
	ds->n = 0;
}

int
fm_get_devices(const uint8_t *p, size_t len, struct fm_devices *ds, char *err,
    size_t errlen)
{
	struct rbuf r;
	uint32_t i, n;
	uint16_t j, nc;

	memset(ds, 0, sizeof(*ds));
	rbuf_init(&r, p, len);
	n = rbuf_u32(&r);
	if (r.err || n > FM_DEVICES_MAX ||
	    (size_t)n * DEVINFO_MIN_LEN > r.len - r.off) {
		snprintf(err, errlen, "devices: bad device count");
		return -1;
	}
	if (n > 0 && (ds->d = calloc(n, sizeof(*ds->d))) == NULL) {
		snprintf(err, errlen, "devices: out of memory");
		return -1;
	}
	ds->n = n;
	for (i = 0; i < n; i++) {
		struct fm_devinfo *d = &ds->d[i];

		rbuf_str(&r, d->id, sizeof(d->id));
		rbuf_str(&r, d->name, sizeof(d->name));
		rbuf_str(&r, d->class, sizeof(d->class));
		rbuf_str(&r, d->group, sizeof(d->group));
		rbuf_str(&r, d->address, sizeof(d->address));
		rbuf_str(&r, d->parent, sizeof(d->parent));
		nc = rbuf_u16(&r);
		if (r.err)
			break;
		if (!fm_valid_id(d->id) || nc > FM_CHECKS_MAX ||
		    (d->parent[0] != '\0' && !fm_valid_id(d->parent)) ||
		    (size_t)nc * CHECKINFO_MIN_LEN > r.len - r.off) {
			snprintf(err, errlen, "devices: bad device entry %u", i);
			goto fail;
		}
		if (nc > 0 &&
		    (d->checks = calloc(nc, sizeof(*d->checks))) == NULL) {
			snprintf(err, errlen, "devices: out of memory");
			goto fail;
		}
		d->nchecks = nc;
		for (j = 0; j < nc; j++) {
			struct fm_checkinfo *c = &d->checks[j];

			rbuf_str(&r, c->id, sizeof(c->id));
			c->type = rbuf_u8(&r);
			c->interval_ms = rbuf_u32(&r);
			c->timeout_ms = rbuf_u32(&r);
			c->critical = rbuf_u8(&r);
			/* A type newer than CT_MAX: see fm_get_batch(). */
			if (!r.err && (!fm_valid_id(c->id) || c->type == 0 ||
			    c->interval_ms == 0)) {
				snprintf(err, errlen, "devices: %s: bad check "
				    "entry %u", d->id, j);
				goto fail;
			}
		}
	}
	if (decode_done(&r, "devices", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	fm_devices_free(ds);
	return -1;
}

void
fm_put_valmeta(struct wbuf *b, const struct fm_valmeta *m)
{
	size_t	 f = fm_frame_begin(b, FM_VALMETA);
	uint32_t i;

	wbuf_str(b, m->device);
	wbuf_str(b, m->check);
	wbuf_u16(b, m->ncols);
	for (i = 0; i < m->ncols; i++) {
		const struct fm_vmcol *c = &m->cols[i];

		wbuf_str(b, c->name);
		wbuf_str(b, c->unit);
		wbuf_double(b, c->scale);
		wbuf_str(b, c->enums);
		wbuf_u8(b, c->important);
	}
	wbuf_u16(b, m->nrows);
	for (i = 0; i < m->nrows; i++) {
		wbuf_str(b, m->rows[i].label);
		wbuf_str(b, m->rows[i].alias);
		wbuf_u8(b, m->rows[i].important);
	}
	wbuf_u32(b, m->nvals);
	for (i = 0; i < m->nvals; i++) {
		wbuf_str(b, m->vals[i].name);
		wbuf_u16(b, m->vals[i].col);
		wbuf_u16(b, m->vals[i].row);
	}
	fm_frame_end(b, f);
}

void
fm_valmeta_free(struct fm_valmeta *m)
{
	uint32_t i;

	if (m->vals != NULL)
		for (i = 0; i < m->nvals; i++)
			free(m->vals[i].name);
	if (m->cols != NULL)
		for (i = 0; i < m->ncols; i++)
			free(m->cols[i].enums);
	if (m->rows != NULL)
		for (i = 0; i < m->nrows; i++) {
			free(m->rows[i].label);
			free(m->rows[i].alias);
		}
	free(m->vals);
	free(m->cols);
	free(m->rows);
	m->vals = NULL;
	m->cols = NULL;
	m->rows = NULL;
	m->nvals = m->ncols = m->nrows = 0;
}

#define VMCOL_MIN_LEN	(2 + 2 + 8 + 2 + 1)
#define VMROW_MIN_LEN	(2 + 2 + 1)
#define VMVAL_MIN_LEN	(2 + 2 + 2)

/*
 * Like a batch: every count is held against its limit and against the
 * bytes that remain before anything is allocated, and an index must
 * point into its list.  The caller frees with fm_valmeta_free() only
 * on success; a failure frees here.
 */
int
fm_get_valmeta(const uint8_t *p, size_t len, struct fm_valmeta *m,
    char *err, size_t errlen)
{
	struct rbuf r;
	char	 name[FM_VNAME_MAX], enums[FM_VM_ENUMS_MAX];
	char	 label[FM_TEXT_MAX], alias[FM_TEXT_MAX];
	uint32_t i, n;

	memset(m, 0, sizeof(*m));
	rbuf_init(&r, p, len);
	rbuf_str(&r, m->device, sizeof(m->device));
	rbuf_str(&r, m->check, sizeof(m->check));
	n = rbuf_u16(&r);
	if (r.err)
		goto trunc;
	if (!fm_valid_id(m->device) || !fm_valid_id(m->check)) {
		snprintf(err, errlen, "valmeta: invalid device or check id");
		return -1;
	}
	if (n > FM_VM_COLS_MAX || (size_t)n * VMCOL_MIN_LEN > r.len - r.off) {
		snprintf(err, errlen, "valmeta: %u columns is too many", n);
		return -1;
	}
	if (n > 0 && (m->cols = calloc(n, sizeof(*m->cols))) == NULL)
		goto nomem;
	m->ncols = (uint16_t)n;
	for (i = 0; i < n && !r.err; i++) {
		struct fm_vmcol *c = &m->cols[i];

		rbuf_str(&r, c->name, sizeof(c->name));
		rbuf_str(&r, c->unit, sizeof(c->unit));
		c->scale = rbuf_double(&r);
		rbuf_str(&r, enums, sizeof(enums));
		c->important = rbuf_u8(&r) != 0;
		if (!r.err && !isfinite(c->scale)) {
			snprintf(err, errlen, "valmeta: %s/%s: scale is not a "
			    "finite number", m->device, m->check);
			goto fail;
		}
		if (!r.err && enums[0] != '\0' &&
		    (c->enums = strdup(enums)) == NULL)
			goto nomem;
	}
	n = rbuf_u16(&r);
	if (r.err)
		goto trunc;
	if (n > FM_VALUES_MAX || (size_t)n * VMROW_MIN_LEN > r.len - r.off) {
		snprintf(err, errlen, "valmeta: %u rows is too many", n);
		goto fail;
	}
	if (n > 0 && (m->rows = calloc(n, sizeof(*m->rows))) == NULL)
		goto nomem;
	m->nrows = (uint16_t)n;
	for (i = 0; i < n && !r.err; i++) {
		rbuf_str(&r, label, sizeof(label));
		rbuf_str(&r, alias, sizeof(alias));
		m->rows[i].important = rbuf_u8(&r) != 0;
		if (r.err)
			break;
		if ((label[0] != '\0' &&
		    (m->rows[i].label = strdup(label)) == NULL) ||
		    (alias[0] != '\0' &&
		    (m->rows[i].alias = strdup(alias)) == NULL))
			goto nomem;
	}
	n = rbuf_u32(&r);
	if (r.err)
		goto trunc;
	if (n > FM_VALUES_MAX || (size_t)n * VMVAL_MIN_LEN > r.len - r.off) {
		snprintf(err, errlen, "valmeta: %u values is too many", n);
		goto fail;
	}
	if (n > 0 && (m->vals = calloc(n, sizeof(*m->vals))) == NULL)
		goto nomem;
	m->nvals = n;
	for (i = 0; i < n; i++) {
		struct fm_vmval *v = &m->vals[i];

		rbuf_str(&r, name, sizeof(name));
		v->col = rbuf_u16(&r);
		v->row = rbuf_u16(&r);
		if (r.err)
			goto trunc;
		if (name[0] == '\0' ||
		    (v->col != FM_VM_NONE && v->col >= m->ncols) ||
		    (v->row != FM_VM_NONE && v->row >= m->nrows)) {
			snprintf(err, errlen, "valmeta: %s/%s: bad value entry "
			    "%u", m->device, m->check, i);
			goto fail;
		}
		if ((v->name = strdup(name)) == NULL)
			goto nomem;
	}
	if (decode_done(&r, "valmeta", err, errlen) == -1)
		goto fail;
	return 0;
nomem:
	snprintf(err, errlen, "valmeta: out of memory");
	goto fail;
trunc:
	snprintf(err, errlen, "valmeta: truncated or oversized field");
fail:
	fm_valmeta_free(m);
	return -1;
}
