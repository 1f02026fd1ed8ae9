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
 * For the unit tests that read agent configurations with different MIB
 * directories, included once by each: the agent reads the MIB tree again
 * when 'mibdirs' changes (check_snmp.c), and net-snmp's init_mib()
 * allocates its table of textual conventions anew each time while
 * shutdown_mib() does not free it -- 4.8 kB per read, the library's, and
 * bounded by the reloads that change MIBs.  Everything else stays under
 * the leak checker.
 */

#ifndef FACMON_TEST_NETSNMP_LEAK_H
#define FACMON_TEST_NETSNMP_LEAK_H

const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:netsnmp_init_mib_internals\n";
}

#endif /* FACMON_TEST_NETSNMP_LEAK_H */
