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
 * What every module's row of the reload table (core.h) shares: how a
 * refusal is said, and how two lists of listening addresses compare.
 */

#include <string.h>

#include "core.h"

/* A key a reload cannot change while the daemon runs. */
int
reload_refuse(const char *key)
{
	log_warnx("reload: '%s' changed; restart to apply", key);
	return 1;
}

int
listen_addrs_equal(const struct listen_addr *a, int na,
    const struct listen_addr *b, int nb)
{
	int	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].text, b[i].text) != 0)
			return 0;
	return 1;
}
