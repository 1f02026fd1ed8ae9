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
 * The MIB directories are read again when the configuration is: a MIB
 * dropped into a directory, or a directory added to 'mibdirs', makes
 * its names resolve on the next reload, and a directory taken out of
 * 'mibdirs' stops resolving.  The configuration is read with the real
 * parser and net-snmp, as a reload does.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agent/agent.h"
#include "netsnmp_leak.h"

/* agent.c's, which the test does not link. */
struct event_base *agent_base;
struct agent_conf *agent_conf;

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
write_mib(const char *dir, const char *module, const char *prefix, int arc)
{
	char	 path[PATH_MAX], text[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, module);
	snprintf(text, sizeof(text), "%s DEFINITIONS ::= BEGIN\n"
	    "IMPORTS enterprises FROM SNMPv2-SMI;\n"
	    "%s OBJECT IDENTIFIER ::= { enterprises 32473 %d }\n"
	    "%sValue OBJECT IDENTIFIER ::= { %s 1 }\n"
	    "END\n", module, prefix, arc, prefix, prefix);
	write_file(path, text);
}

/* Reads a configuration whose one check asks for name; its errors. */
static int
load_with(const char *dir, const char *mibdirs, const char *name)
{
	char	 path[PATH_MAX], text[1024];
	struct agent_conf *ac;
	struct cfgerr e;
	int	 n;

	snprintf(path, sizeof(path), "%s/agent.conf", dir);
	snprintf(text, sizeof(text), "agent: { id = \"a\"; collector = "
	    "\"127.0.0.1:5640\"; mibdirs = \"%s\"; };\n"
	    "devices = ( { id = \"ups\"; class = \"ups\"; "
	    "address = \"127.0.0.1\";\n checks = ( { id = \"snmp\"; "
	    "type = \"snmp\"; get = ( \"%s\" ); } ); } );\n", mibdirs, name);
	write_file(path, text);
	cfgerr_init(&e, path);
	ac = agent_conf_load(path, &e);
	n = e.n;
	assert_true((ac != NULL) == (n == 0));
	agent_conf_free(ac);
	cfgerr_free(&e);
	return n;
}

static void
test_mibs_read_again(void **state)
{
	char	 top[] = "/tmp/facmon-mibrl-XXXXXX", one[PATH_MAX];
	char	 two[PATH_MAX], dirs[PATH_MAX * 2], cmd[PATH_MAX * 3];

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(one, sizeof(one), "%s/one", top);
	snprintf(two, sizeof(two), "%s/two", top);
	snprintf(cmd, sizeof(cmd), "mkdir %s %s", one, two);
	assert_int_equal(system(cmd), 0);
	snprintf(dirs, sizeof(dirs), "mibs:%s", one);
	/* Started without the module: the name is an error. */
	assert_int_equal(load_with(top, dirs, "TOY-ONE-MIB::toyOneValue.0"),
	    1);
	/* Dropped into the directory: the next reload resolves it. */
	write_mib(one, "TOY-ONE-MIB", "toyOne", 90);
	assert_int_equal(load_with(top, dirs, "TOY-ONE-MIB::toyOneValue.0"),
	    0);
	/* A directory added to mibdirs, and one taken out. */
	write_mib(two, "TOY-TWO-MIB", "toyTwo", 91);
	assert_int_equal(load_with(top, dirs, "TOY-TWO-MIB::toyTwoValue.0"),
	    1);
	snprintf(dirs, sizeof(dirs), "mibs:%s", two);
	assert_int_equal(load_with(top, dirs, "TOY-TWO-MIB::toyTwoValue.0"),
	    0);
	assert_int_equal(load_with(top, dirs, "TOY-ONE-MIB::toyOneValue.0"),
	    1);
	/* The compiled-in dictionary does not depend on the tree. */
	assert_int_equal(load_with(top, dirs, "IF-MIB::ifHCInOctets.1"), 0);
	snmp_stash_free();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mibs_read_again),
	};

	log_init("test_mib_reload", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
