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

/* The wire format: round trips, and every kind of bad input refused. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/wire.h"

static void
make_result(struct fm_result *r, const char *dev, const char *chk)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->device, dev);
	strcpy(r->check, chk);
	r->type = CT_SNMP;
	r->outcome = PR_OK;
	r->ts_ms = 1795000000123LL;
	r->dur_us = 4321;
	r->nvalues = 3;
	r->values = calloc(3, sizeof(*r->values));
	strcpy(r->values[0].name, "sysUpTime");
	r->values[0].kind = VK_GAUGE;
	r->values[0].d = 12345.67;
	strcpy(r->values[1].name, "ifHCInOctets.1");
	r->values[1].kind = VK_COUNTER;
	r->values[1].u = UINT64_MAX - 5;
	r->values[1].d = NAN;
	strcpy(r->values[2].name, "sysDescr");
	r->values[2].kind = VK_TEXT;
	r->values[2].text = strdup("核心交换机 Linux");
}

static void
test_batch_roundtrip(void **state)
{
	struct fm_result a, b;
	const struct fm_result *rs[2] = { &a, &b };
	struct wbuf w;
	struct fm_hdr h;
	struct fm_batch bt;
	char	 err[256];

	(void)state;
	make_result(&a, "core-sw", "snmp");
	make_result(&b, "line.telecom", "ping");
	b.outcome = PR_TIMEOUT;
	strcpy(b.msg, "no echo reply (3 sent)");
	wbuf_init(&w);
	fm_put_batch(&w, 0x1122334455667788ULL, 42, rs, 2);
	assert_int_equal(w.err, 0);
	assert_int_equal(fm_frame_parse(w.p, w.len, &h, err, sizeof(err)), 1);
	assert_int_equal(h.type, FM_BATCH);
	assert_int_equal(h.len + FM_HDR_LEN, w.len);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, h.len, &bt, err,
	    sizeof(err)), 0);
	assert_int_equal(bt.session, 0x1122334455667788ULL);
	assert_int_equal(bt.seq, 42);
	assert_int_equal(bt.n, 2);
	assert_string_equal(bt.r[0].device, "core-sw");
	assert_string_equal(bt.r[1].check, "ping");
	assert_int_equal(bt.r[1].outcome, PR_TIMEOUT);
	assert_string_equal(bt.r[1].msg, "no echo reply (3 sent)");
	assert_int_equal(bt.r[0].ts_ms, 1795000000123LL);
	assert_int_equal(bt.r[0].dur_us, 4321);
	assert_int_equal(bt.r[0].nvalues, 3);
	assert_true(bt.r[0].values[0].d == 12345.67);
	assert_true(bt.r[0].values[1].u == UINT64_MAX - 5);
	assert_true(isnan(bt.r[0].values[1].d));
	assert_string_equal(bt.r[0].values[2].text, "核心交换机 Linux");
	fm_batch_free(&bt);
	fm_result_clear(&a);
	fm_result_clear(&b);
	wbuf_free(&w);
}

static void
test_truncated_everywhere(void **state)
{
	struct fm_result a;
	const struct fm_result *rs[1] = { &a };
	struct wbuf w;
	struct fm_batch bt;
	struct fm_hdr h;
	char	 err[256];
	size_t	 cut;

	(void)state;
	make_result(&a, "d1", "c1");
	wbuf_init(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	/* Every proper prefix of the payload must be refused. */
	for (cut = 0; cut < w.len - FM_HDR_LEN; cut++)
		assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, cut, &bt, err,
		    sizeof(err)), -1);
	/* And every prefix of the frame is "need more", never garbage. */
	for (cut = 0; cut < w.len; cut++)
		assert_int_equal(fm_frame_parse(w.p, cut, &h, err,
		    sizeof(err)), 0);
	fm_result_clear(&a);
	wbuf_free(&w);
}

static void
test_frame_errors(void **state)
{
	struct wbuf w;
	struct fm_hdr h;
	struct fm_ack ack = { 7, 9 }, back;
	char	 err[256];
	uint8_t	 copy[64];

	(void)state;
	wbuf_init(&w);
	fm_put_ack(&w, &ack);
	assert_int_equal(fm_frame_parse(w.p, w.len, &h, err, sizeof(err)), 1);
	assert_int_equal(fm_get_ack(w.p + FM_HDR_LEN, h.len, &back, err,
	    sizeof(err)), 0);
	assert_int_equal(back.seq, 9);

	memcpy(copy, w.p, w.len);
	copy[0] = 'X';			/* magic */
	assert_int_equal(fm_frame_parse(copy, w.len, &h, err, sizeof(err)),
	    -1);
	memcpy(copy, w.p, w.len);
	copy[2] = 9;			/* version */
	assert_int_equal(fm_frame_parse(copy, w.len, &h, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "version"));
	memcpy(copy, w.p, w.len);
	copy[3] = 0;			/* type */
	assert_int_equal(fm_frame_parse(copy, w.len, &h, err, sizeof(err)),
	    -1);
	memcpy(copy, w.p, w.len);
	copy[4] = 0xff;			/* length over the limit */
	assert_int_equal(fm_frame_parse(copy, w.len, &h, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "limit"));
	memcpy(copy, w.p, w.len);
	copy[FM_HDR_LEN + 3] ^= 1;	/* payload bit flip */
	assert_int_equal(fm_frame_parse(copy, w.len, &h, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "checksum"));
	/* Trailing bytes inside a frame are an error too. */
	assert_int_equal(fm_get_ack(w.p + FM_HDR_LEN, h.len - 1, &back, err,
	    sizeof(err)), -1);
	wbuf_free(&w);
}

/* Counts that promise more than the payload holds are refused early. */
static void
test_oversized_counts(void **state)
{
	struct wbuf w;
	struct fm_batch bt;
	struct fm_devices ds;
	char	 err[256];

	(void)state;
	wbuf_init(&w);
	wbuf_u64(&w, 1);
	wbuf_u64(&w, 1);
	wbuf_u32(&w, 0xffffffff);
	assert_int_equal(fm_get_batch(w.p, w.len, &bt, err, sizeof(err)), -1);
	wbuf_reset(&w);
	wbuf_u64(&w, 1);
	wbuf_u64(&w, 1);
	wbuf_u32(&w, 1);
	wbuf_str(&w, "dev");
	wbuf_str(&w, "chk");
	wbuf_u8(&w, CT_ICMP);
	wbuf_u8(&w, PR_OK);
	wbuf_u64(&w, 1);
	wbuf_u32(&w, 1);
	wbuf_str(&w, "");
	wbuf_u16(&w, 60000);		/* values */
	assert_int_equal(fm_get_batch(w.p, w.len, &bt, err, sizeof(err)), -1);
	wbuf_reset(&w);
	wbuf_u32(&w, 1000000);
	assert_int_equal(fm_get_devices(w.p, w.len, &ds, err, sizeof(err)),
	    -1);
	wbuf_free(&w);
}

static void
test_bad_fields(void **state)
{
	struct fm_result a;
	const struct fm_result *rs[1] = { &a };
	struct wbuf w;
	struct fm_batch bt;
	char	 err[256];

	(void)state;
	/* An id that could climb out of the RRD directory. */
	make_result(&a, "..", "c1");
	wbuf_init(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, w.len - FM_HDR_LEN,
	    &bt, err, sizeof(err)), -1);
	fm_result_clear(&a);
	/* Infinity is not a measurement. */
	make_result(&a, "d", "c");
	a.values[0].d = INFINITY;
	wbuf_reset(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, w.len - FM_HDR_LEN,
	    &bt, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "finite"));
	a.values[0].d = NAN;
	wbuf_reset(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, w.len - FM_HDR_LEN,
	    &bt, err, sizeof(err)), -1);
	/*
	 * A newer agent's outcome and check type: kept, not refused (the
	 * agent would resend the batch for ever); the outcome this side
	 * cannot judge says nothing, so the check is unknown.
	 */
	a.values[0].d = 1;
	a.outcome = PR_MAX;
	a.type = CT_MAX + 3;
	wbuf_reset(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, w.len - FM_HDR_LEN,
	    &bt, err, sizeof(err)), 0);
	assert_int_equal(bt.r[0].outcome, PR_INTERNAL);
	assert_int_equal(bt.r[0].type, CT_MAX + 3);
	assert_string_equal(check_type_name(bt.r[0].type), "newer");
	fm_batch_free(&bt);
	/* Type 0 is no type at all. */
	a.type = 0;
	wbuf_reset(&w);
	fm_put_batch(&w, 1, 1, rs, 1);
	assert_int_equal(fm_get_batch(w.p + FM_HDR_LEN, w.len - FM_HDR_LEN,
	    &bt, err, sizeof(err)), -1);
	fm_result_clear(&a);
	wbuf_free(&w);
}

static void
test_hello_devices(void **state)
{
	struct fm_hello h = { .agent = "agent-1", .session = 77,
	    .version = "0.1.0" }, h2;
	struct fm_checkinfo ck[2] = { { "snmp", CT_SNMP, 10000, 2000, 1 },
	    { "ping", CT_ICMP, 5000, 1000, 0 } };
	struct fm_devinfo d = { .id = "led-1", .name = "大厅 LED 屏",
	    .class = "led-wall", .group = "led", .address = "127.0.0.5",
	    .parent = "core-sw", .nchecks = 2, .checks = ck };
	struct fm_devices ds;
	struct wbuf w;
	struct fm_hdr hd;
	char	 err[256];

	(void)state;
	wbuf_init(&w);
	fm_put_hello(&w, &h);
	assert_int_equal(fm_frame_parse(w.p, w.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_hello(w.p + FM_HDR_LEN, hd.len, &h2, err,
	    sizeof(err)), 0);
	assert_string_equal(h2.agent, "agent-1");
	assert_int_equal(h2.session, 77);
	wbuf_reset(&w);
	fm_put_devices(&w, &d, 1);
	assert_int_equal(fm_frame_parse(w.p, w.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_devices(w.p + FM_HDR_LEN, hd.len, &ds, err,
	    sizeof(err)), 0);
	assert_int_equal(ds.n, 1);
	assert_string_equal(ds.d[0].name, "大厅 LED 屏");
	assert_string_equal(ds.d[0].parent, "core-sw");
	assert_int_equal(ds.d[0].nchecks, 2);
	assert_int_equal(ds.d[0].checks[1].interval_ms, 5000);
	assert_int_equal(ds.d[0].checks[1].critical, 0);
	fm_devices_free(&ds);
	wbuf_free(&w);
}

/* Random bytes never crash the decoders (a smoke test; fuzzing is separate). */
static void
test_random_bytes(void **state)
{
	uint8_t	 buf[512];
	struct fm_batch bt;
	struct fm_devices ds;
	struct fm_valmeta vm;
	struct fm_hdr h;
	char	 err[256];
	unsigned int seed = 12345;
	int	 i;
	size_t	 j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t	 n = (size_t)(rand_r(&seed) % sizeof(buf));

		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (fm_get_batch(buf, n, &bt, err, sizeof(err)) == 0)
			fm_batch_free(&bt);
		if (fm_get_devices(buf, n, &ds, err, sizeof(err)) == 0)
			fm_devices_free(&ds);
		if (fm_get_valmeta(buf, n, &vm, err, sizeof(err)) == 0)
			fm_valmeta_free(&vm);
		(void)fm_frame_parse(buf, n, &h, err, sizeof(err));
	}
}

/*
 * Levels: the first release's HELLO (empty capabilities) reads as level
 * 1, ours announces FM_PROTO_LEVEL in a HELLO the first release still
 * decodes (four fields, nothing after them); a WELCOME carries a level
 * only when asked to, and one from a higher level may say more.
 */
static void
test_levels(void **state)
{
	struct fm_hello h = { .agent = "a", .session = 9, .version = "0.1.0",
	    .level = FM_PROTO_LEVEL }, h2;
	struct fm_welcome w = { .status = 0, .last_seq = 5, .server_ms = 7 },
	    w2;
	struct wbuf b;
	struct rbuf r;
	struct fm_hdr hd;
	char	 err[256], s[64];
	static const uint8_t newer[] = { 0, 0, 0, 0, 0, 0, 0, 0, 5,
	    0, 0, 0, 0, 0, 0, 0, 7, 0, 9, 0xde, 0xad };

	(void)state;
	wbuf_init(&b);
	fm_put_hello(&b, &h);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(hd.version, 1);
	assert_int_equal(fm_get_hello(b.p + FM_HDR_LEN, hd.len, &h2, err,
	    sizeof(err)), 0);
	assert_int_equal(h2.level, FM_PROTO_LEVEL);
	assert_string_equal(h2.caps, "proto=3");
	/* As the first release decodes it: four fields and no more. */
	rbuf_init(&r, b.p + FM_HDR_LEN, hd.len);
	rbuf_str(&r, s, sizeof(s));
	(void)rbuf_u64(&r);
	rbuf_str(&r, s, sizeof(s));
	rbuf_str(&r, s, sizeof(s));
	assert_int_equal(r.err, 0);
	assert_int_equal(r.off, r.len);

	/* The first release's HELLO, and a newer one's with more words. */
	h.level = 1;
	wbuf_reset(&b);
	fm_put_hello(&b, &h);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_hello(b.p + FM_HDR_LEN, hd.len, &h2, err,
	    sizeof(err)), 0);
	assert_string_equal(h2.caps, "");
	assert_int_equal(h2.level, 1);
	assert_int_equal(fm_level_min(h2.level), 1);
	h.level = 7;
	wbuf_reset(&b);
	fm_put_hello(&b, &h);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_hello(b.p + FM_HDR_LEN, hd.len, &h2, err,
	    sizeof(err)), 0);
	assert_int_equal(h2.level, 7);
	assert_int_equal(fm_level_min(h2.level), FM_PROTO_LEVEL);

	/* A WELCOME for a level-1 agent is the first release's 17 bytes. */
	wbuf_reset(&b);
	fm_put_welcome(&b, &w);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(hd.len, 17);
	assert_int_equal(fm_get_welcome(b.p + FM_HDR_LEN, hd.len, &w2, err,
	    sizeof(err)), 0);
	assert_int_equal(w2.level, 1);
	w.level = FM_PROTO_LEVEL;
	wbuf_reset(&b);
	fm_put_welcome(&b, &w);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(hd.len, 19);
	assert_int_equal(fm_get_welcome(b.p + FM_HDR_LEN, hd.len, &w2, err,
	    sizeof(err)), 0);
	assert_int_equal(w2.level, FM_PROTO_LEVEL);
	assert_int_equal(w2.last_seq, 5);
	/* Level 9 and two bytes this side does not know: read. */
	assert_int_equal(fm_get_welcome(newer, sizeof(newer), &w2, err,
	    sizeof(err)), 0);
	assert_int_equal(w2.level, 9);
	assert_int_equal(fm_level_min(w2.level), FM_PROTO_LEVEL);
	/* At our level, a trailing byte is damage. */
	wbuf_reset(&b);
	fm_put_welcome(&b, &w);
	wbuf_u8(&b, 1);
	assert_int_equal(fm_get_welcome(b.p + FM_HDR_LEN, hd.len + 1, &w2,
	    err, sizeof(err)), -1);
	wbuf_free(&b);
}

/*
 * VALMETA (level 3): a round trip, a truncation at every byte, and each
 * bound and index refused.
 */
static void
make_valmeta(struct fm_valmeta *m, struct fm_vmcol *cols,
    struct fm_vmrow *rows, struct fm_vmval *vals)
{
	memset(m, 0, sizeof(*m));
	memset(cols, 0, 2 * sizeof(*cols));
	memset(rows, 0, sizeof(*rows));
	strcpy(m->device, "sw1");
	strcpy(m->check, "ports");
	strcpy(cols[0].name, "ifOperStatus");
	cols[0].enums = (char *)"1:up,2:down";
	cols[0].scale = 1;
	strcpy(cols[1].name, "ifHighSpeed");
	strcpy(cols[1].unit, "bit/s");
	cols[1].scale = 1e6;
	cols[1].important = 1;
	rows[0].label = (char *)"XGigabitEthernet0/0/1";
	rows[0].alias = (char *)"上联核心交换机";
	rows[0].important = 1;
	vals[0].name = (char *)"XGigabitEthernet0/0/1.ifOperStatus";
	vals[0].col = 0;
	vals[0].row = 0;
	vals[1].name = (char *)"XGigabitEthernet0/0/1.ifHighSpeed";
	vals[1].col = 1;
	vals[1].row = 0;
	vals[2].name = (char *)"sysName.0";
	vals[2].col = FM_VM_NONE;
	vals[2].row = FM_VM_NONE;
	m->ncols = 2;
	m->cols = cols;
	m->nrows = 1;
	m->rows = rows;
	m->nvals = 3;
	m->vals = vals;
}

static void
test_valmeta(void **state)
{
	struct fm_vmcol cols[2];
	struct fm_vmrow rows[1];
	struct fm_vmval vals[3];
	struct fm_valmeta m, g;
	struct fm_hdr hd;
	struct wbuf b;
	char	 err[256];
	size_t	 cut, off;
	uint8_t	*p;

	(void)state;
	make_valmeta(&m, cols, rows, vals);
	wbuf_init(&b);
	fm_put_valmeta(&b, &m);
	assert_int_equal(b.err, 0);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(hd.type, FM_VALMETA);
	p = b.p + FM_HDR_LEN;
	assert_int_equal(fm_get_valmeta(p, hd.len, &g, err, sizeof(err)), 0);
	assert_string_equal(g.device, "sw1");
	assert_string_equal(g.check, "ports");
	assert_int_equal(g.ncols, 2);
	assert_string_equal(g.cols[0].enums, "1:up,2:down");
	assert_string_equal(g.cols[1].unit, "bit/s");
	assert_true(g.cols[1].scale == 1e6);
	assert_int_equal(g.cols[1].important, 1);
	assert_int_equal(g.nrows, 1);
	assert_string_equal(g.rows[0].alias, "上联核心交换机");
	assert_int_equal(g.rows[0].important, 1);
	assert_int_equal(g.nvals, 3);
	assert_string_equal(g.vals[1].name,
	    "XGigabitEthernet0/0/1.ifHighSpeed");
	assert_int_equal(g.vals[1].col, 1);
	assert_int_equal(g.vals[2].col, FM_VM_NONE);
	assert_int_equal(g.vals[2].row, FM_VM_NONE);
	fm_valmeta_free(&g);

	/* Cut anywhere, or one byte too many: refused, nothing leaks. */
	for (cut = 0; cut < hd.len; cut++)
		assert_int_equal(fm_get_valmeta(p, cut, &g, err, sizeof(err)),
		    -1);

	/* A value pointing past the rows. */
	vals[2].row = 1;
	wbuf_reset(&b);
	fm_put_valmeta(&b, &m);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_valmeta(b.p + FM_HDR_LEN, hd.len, &g, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "bad value entry 2"));
	vals[2].row = FM_VM_NONE;

	/* A scale that is no number. */
	cols[1].scale = NAN;
	wbuf_reset(&b);
	fm_put_valmeta(&b, &m);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_valmeta(b.p + FM_HDR_LEN, hd.len, &g, err,
	    sizeof(err)), -1);
	cols[1].scale = 1e6;

	/* A device id that is no id. */
	strcpy(m.device, "a b");
	wbuf_reset(&b);
	fm_put_valmeta(&b, &m);
	assert_int_equal(fm_frame_parse(b.p, b.len, &hd, err, sizeof(err)), 1);
	assert_int_equal(fm_get_valmeta(b.p + FM_HDR_LEN, hd.len, &g, err,
	    sizeof(err)), -1);
	strcpy(m.device, "sw1");

	/* Counts over their limits, checked before any allocation. */
	wbuf_reset(&b);
	wbuf_str(&b, "sw1");
	wbuf_str(&b, "ports");
	wbuf_u16(&b, FM_VM_COLS_MAX + 1);
	assert_int_equal(fm_get_valmeta(b.p, b.len, &g, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "too many"));
	wbuf_reset(&b);
	wbuf_str(&b, "sw1");
	wbuf_str(&b, "ports");
	wbuf_u16(&b, 0);
	wbuf_u16(&b, 0);
	wbuf_u32(&b, FM_VALUES_MAX + 1);
	assert_int_equal(fm_get_valmeta(b.p, b.len, &g, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "too many"));
	/* A count the remaining bytes cannot hold. */
	wbuf_reset(&b);
	wbuf_str(&b, "sw1");
	wbuf_str(&b, "ports");
	wbuf_u16(&b, 0);
	wbuf_u16(&b, 0);
	wbuf_u32(&b, 1000);
	assert_int_equal(fm_get_valmeta(b.p, b.len, &g, err, sizeof(err)),
	    -1);
	/* A column name over FM_VM_COLNAME_MAX. */
	wbuf_reset(&b);
	wbuf_str(&b, "sw1");
	wbuf_str(&b, "ports");
	wbuf_u16(&b, 1);
	off = b.len;
	wbuf_u16(&b, FM_VM_COLNAME_MAX);
	for (cut = 0; cut < FM_VM_COLNAME_MAX; cut++)
		wbuf_u8(&b, 'x');
	wbuf_str(&b, "");
	wbuf_double(&b, 1);
	wbuf_str(&b, "");
	wbuf_u8(&b, 0);
	wbuf_u16(&b, 0);
	wbuf_u32(&b, 0);
	assert_int_equal(fm_get_valmeta(b.p, b.len, &g, err, sizeof(err)),
	    -1);
	/* One byte shorter, it is a column. */
	b.p[off + 1] = FM_VM_COLNAME_MAX - 1;
	memmove(b.p + off + 2 + FM_VM_COLNAME_MAX - 1,
	    b.p + off + 2 + FM_VM_COLNAME_MAX,
	    b.len - (off + 2 + FM_VM_COLNAME_MAX));
	b.len--;
	assert_int_equal(fm_get_valmeta(b.p, b.len, &g, err, sizeof(err)), 0);
	assert_int_equal(strlen(g.cols[0].name), FM_VM_COLNAME_MAX - 1);
	fm_valmeta_free(&g);
	wbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_roundtrip),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_frame_errors),
		cmocka_unit_test(test_oversized_counts),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_hello_devices),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_valmeta),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
