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

#include <stdint.h>

#include "common.h"

/*
 * The increase of a counter between two samples.  A 32-bit counter that
 * went down wrapped once if the wrapped distance is plausible (less than
 * half the range); otherwise, and for any 64-bit counter that went down,
 * the device restarted its counters and there is no honest delta.
 * Returns 0 with *delta set, or -1 on a reset.
 */
int
counter_delta(uint64_t prev, uint64_t cur, int bits, uint64_t *delta)
{
	if (cur >= prev) {
		*delta = cur - prev;
		return 0;
	}
	if (bits == 32 && prev <= UINT32_MAX && cur <= UINT32_MAX) {
		uint64_t d = (UINT64_C(1) << 32) - prev + cur;

		if (d < (UINT64_C(1) << 31)) {
			*delta = d;
			return 0;
		}
	}
	return -1;
}
