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
 * The little BER that SNMP v1/v2c needs.  Decoding is strict about
 * lengths (a request that lies about one is dropped, never read past);
 * encoding writes forward with sizes computed first, so a message is
 * built in one pass without moving bytes.
 */

#include <stdlib.h>
#include <string.h>

#include "sim.h"

int
ber_get_tlv(struct ber *b, uint8_t *tag, struct ber *c)
{
	size_t	 len;
	int	 n;

	if (b->end - b->p < 2)
		return -1;
	*tag = *b->p++;
	if ((*tag & 0x1f) == 0x1f)	/* multi-byte tags: not in SNMP */
		return -1;
	len = *b->p++;
	if (len & 0x80) {
		n = len & 0x7f;
		/* Indefinite length (n == 0) is forbidden in SNMP. */
		if (n == 0 || n > 4 || b->end - b->p < n)
			return -1;
		for (len = 0; n > 0; n--)
			len = (len << 8) | *b->p++;
	}
	if ((size_t)(b->end - b->p) < len)
		return -1;
	c->p = b->p;
	c->end = b->p + len;
	b->p += len;
	return 0;
}

int
ber_get_int(struct ber *b, int64_t *v)
{
	struct ber c;
	uint8_t	 tag;
	uint64_t u;
	size_t	 n;

	if (ber_get_tlv(b, &tag, &c) == -1 || tag != BER_INT)
		return -1;
	n = (size_t)(c.end - c.p);
	if (n == 0 || n > 8)
		return -1;
	u = (*c.p & 0x80) ? UINT64_MAX : 0;	/* sign extension */
	while (c.p < c.end)
		u = (u << 8) | *c.p++;
	*v = (int64_t)u;
	return 0;
}

int
ber_get_oid(struct ber *b, uint32_t *oid, int max, int *len)
{
	struct ber c;
	uint8_t	 tag;
	uint64_t v = 0;
	int	 n = 0, first = 1, cont = 0;

	if (ber_get_tlv(b, &tag, &c) == -1 || tag != BER_OID)
		return -1;
	if (c.p == c.end)
		return -1;
	while (c.p < c.end) {
		uint8_t	 x = *c.p++;

		if (!cont && x == 0x80)	/* non-minimal encoding */
			return -1;
		v = (v << 7) | (x & 0x7f);
		if (v > UINT32_MAX && !first)
			return -1;
		if (x & 0x80) {
			cont = 1;
			continue;
		}
		cont = 0;
		if (first) {
			/* The first octets hold two arcs: 40 * x + y. */
			if (max < 2)
				return -1;
			oid[0] = v < 40 ? 0 : v < 80 ? 1 : 2;
			if (v - oid[0] * 40 > UINT32_MAX)
				return -1;
			oid[1] = (uint32_t)(v - oid[0] * 40);
			n = 2;
			first = 0;
		} else {
			if (n >= max)
				return -1;
			oid[n++] = (uint32_t)v;
		}
		v = 0;
	}
	if (cont)
		return -1;
	*len = n;
	return 0;
}

size_t
ber_len_size(size_t len)
{
	if (len < 0x80)
		return 1;
	if (len < 0x100)
		return 2;
	if (len < 0x10000)
		return 3;
	return 4;
}

uint8_t *
ber_put_hdr(uint8_t *p, uint8_t tag, size_t len)
{
	*p++ = tag;
	if (len < 0x80)
		*p++ = (uint8_t)len;
	else if (len < 0x100) {
		*p++ = 0x81;
		*p++ = (uint8_t)len;
	} else if (len < 0x10000) {
		*p++ = 0x82;
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	} else {
		*p++ = 0x83;
		*p++ = (uint8_t)(len >> 16);
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	}
	return p;
}

/* Content octets of a signed integer: the fewest that keep the sign. */
size_t
ber_int_size(int64_t v)
{
	size_t	 n = 1;

	while (n < 8) {
		int64_t	 lo = -((int64_t)1 << (8 * n - 1));
		int64_t	 hi = ((int64_t)1 << (8 * n - 1)) - 1;

		if (v >= lo && v <= hi)
			break;
		n++;
	}
	return n;
}

/* Unsigned values (Counter64 above 2^63) may need a leading zero octet. */
size_t
ber_uint_size(uint64_t v)
{
	size_t	 n = 1;

	while (n < 9 && (n == 9 || (v >> (8 * n - 1)) != 0))
		n++;
	return n;
}

uint8_t *
ber_put_int(uint8_t *p, uint8_t tag, int64_t v)
{
	size_t	 n = ber_int_size(v), i;

	p = ber_put_hdr(p, tag, n);
	for (i = n; i > 0; i--)
		*p++ = (uint8_t)((uint64_t)v >> (8 * (i - 1)));
	return p;
}

uint8_t *
ber_put_uint(uint8_t *p, uint8_t tag, uint64_t v)
{
	size_t	 n = ber_uint_size(v), i;

	p = ber_put_hdr(p, tag, n);
	for (i = n; i > 0; i--)
		*p++ = i > 8 ? 0 : (uint8_t)(v >> (8 * (i - 1)));
	return p;
}

static size_t
subid_size(uint64_t v)
{
	size_t	 n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
put_subid(uint8_t *p, uint64_t v)
{
	size_t	 n = subid_size(v), i;

	for (i = n; i > 1; i--)
		*p++ = (uint8_t)(0x80 | ((v >> (7 * (i - 1))) & 0x7f));
	*p++ = (uint8_t)(v & 0x7f);
	return p;
}

/* Content size of an OID; OIDs of fewer than 2 arcs are sent as 0.0. */
size_t
ber_oid_size(const uint32_t *oid, int len)
{
	size_t	 n;
	int	 i;

	if (len < 2)
		return 1;
	n = subid_size((uint64_t)oid[0] * 40 + oid[1]);
	for (i = 2; i < len; i++)
		n += subid_size(oid[i]);
	return n;
}

uint8_t *
ber_put_oid(uint8_t *p, const uint32_t *oid, int len)
{
	int	 i;

	p = ber_put_hdr(p, BER_OID, ber_oid_size(oid, len));
	if (len < 2) {
		*p++ = 0;
		return p;
	}
	p = put_subid(p, (uint64_t)oid[0] * 40 + oid[1]);
	for (i = 2; i < len; i++)
		p = put_subid(p, oid[i]);
	return p;
}

/* "1.3.6.1.2.1.1.3.0" or ".1.3..." into sub-identifiers; -1 if bad. */
int
oid_parse(const char *s, uint32_t *oid, int max)
{
	int	 n = 0;
	char	*end;

	if (*s == '.')
		s++;
	while (*s != '\0') {
		unsigned long v;

		if (*s < '0' || *s > '9' || n >= max)
			return -1;
		v = strtoul(s, &end, 10);
		if (v > UINT32_MAX)
			return -1;
		oid[n++] = (uint32_t)v;
		s = end;
		if (*s == '.')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return n >= 2 ? n : -1;
}

int
oid_cmp(const uint32_t *a, int alen, const uint32_t *b, int blen)
{
	int	 i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}
