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
 * Numbers as text for librrd, which takes every value as a "time:value"
 * string.  snprintf's "%.15g" converts exactly, with multiple-precision
 * arithmetic, and a profile of the collector found it to be half of all
 * the instructions spent per stored value.  fm_fmt_g15 gives the same
 * bytes as snprintf(buf, n, "%.15g", v) for every double, so what RRD
 * stores does not change: a value in the range that prints without an
 * exponent is scaled to 15 digits in long double arithmetic, and when
 * the rounding of the last digit is not certain from that (the scaled
 * value is too close to a half), or the value needs an exponent, is not
 * finite, or long double is no wider than double, snprintf does it.
 */

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

/* Powers of ten up to 10^18: exact in a 64-bit long double mantissa. */
static const long double p10[] = {
	1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L,
	1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L
};

/* Decimal digits of an unsigned number; returns the length. */
size_t
fm_fmt_u64(char *buf, uint64_t u)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "939495969798990";
	char	 t[20], *q = t + sizeof(t);
	size_t	 n;

	/* Two digits a division: the time of every RRD update goes here. */
	while (u >= 100) {
		q -= 2;
		memcpy(q, pairs + (u % 100) * 2, 2);
		u /= 100;
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, pairs + u * 2, 2);
	} else
		*--q = (char)('0' + u);
	n = (size_t)(t + sizeof(t) - q);
	memcpy(buf, q, n);
	buf[n] = '\0';
	return n;
}

static size_t
slow(char *buf, double v)
{
	int	 n = snprintf(buf, FM_G15_MAX, "%.15g", v);

	return n < 0 ? 0 : (size_t)n;
}

size_t
fm_fmt_g15(char *buf, double v)
{
	double	 a = fabs(v);
	long double x, fr;
	uint64_t m;
	char	 d[16], *p = buf;
	int	 e, k, tries, i, last;

	/*
	 * Without 64 bits of mantissa the error bound below does not
	 * hold.  Outside [1e-4, 1e15) "%g" writes an exponent (or the
	 * value is 0, infinite or NaN): rare for a measured value.
	 */
	if (a < 1e15 && a == (double)(uint64_t)a) {
		/* An integer (0 included) prints as one, sign and all. */
		if (signbit(v))
			*p++ = '-';
		return (size_t)(p - buf) + fm_fmt_u64(p, (uint64_t)a);
	}
	if (LDBL_MANT_DIG < 64 || !(a >= 1e-4 && a < 1e15))
		return slow(buf, v);
	/*
	 * The decimal exponent from the binary one (log10(2) is about
	 * 0.30103), off by at most one: the loop below corrects it.
	 */
	(void)frexp(a, &e);
	e = (int)floor((e - 1) * 0.30102999566398120);
	for (tries = 0;; tries++) {
		if (tries == 3 || e < -4 || e > 14)
			return slow(buf, v);
		k = 14 - e;	/* 0 to 18 */
		/*
		 * One rounding, of the product: x < 2^50, so its error is
		 * below 2^-14 and the fraction decides the rounding unless
		 * it is within 1e-4 of a half.
		 */
		x = (long double)a * p10[k];
		m = (uint64_t)x;
		fr = x - (long double)m;
		if (fabsl(fr - 0.5L) < 1e-4L)
			return slow(buf, v);
		if (fr > 0.5L)
			m++;
		if (m >= 1000000000000000ULL)
			e++;
		else if (m < 100000000000000ULL)
			e--;
		else
			break;
	}
	for (i = 14; i >= 0; i--) {
		d[i] = (char)('0' + m % 10);
		m /= 10;
	}
	/* "%g" drops trailing zeros of the fraction, and a bare point. */
	for (last = 14; last > 0 && d[last] == '0' && last > e; last--)
		;
	if (v < 0)
		*p++ = '-';
	if (e >= 0) {
		memcpy(p, d, (size_t)e + 1);
		p += e + 1;
		if (last > e) {
			*p++ = '.';
			memcpy(p, d + e + 1, (size_t)(last - e));
			p += last - e;
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (i = -1; i > e; i--)
			*p++ = '0';
		memcpy(p, d, (size_t)last + 1);
		p += last + 1;
	}
	*p = '\0';
	return (size_t)(p - buf);
}
