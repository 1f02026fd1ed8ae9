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

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core.h"

/*
 * A JSON string from bytes an agent sent.  jansson refuses invalid UTF-8
 * (and the whole document with it), so every invalid byte becomes
 * U+FFFD: one odd SNMP string must not hide every device.
 */
json_t *
fm_jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 i, n, o = 0, len = strlen(s);
	char	*buf;
	json_t	*j;

	for (i = 0; i < len; i += n)
		if ((n = fm_utf8_len(p + i, len - i)) == 0)
			break;
	if (i >= len)
		return json_stringn_nocheck(s, len);
	if ((buf = malloc(len * 3 + 1)) == NULL)
		return json_string("");
	for (i = 0; i < len; i += n) {
		if ((n = fm_utf8_len(p + i, len - i)) == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(buf + o, p + i, n);
			o += n;
		}
	}
	j = json_stringn_nocheck(buf, o);
	free(buf);
	return j;
}
