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

#include <string.h>

#include "common.h"

static const char *const check_type_names[CT_MAX] = {
	[CT_SNMP] = "snmp",
	[CT_ICMP] = "icmp",
	[CT_TCP] = "tcp",
	[CT_HTTP] = "http",
	[CT_ARP] = "arp",
	[CT_PRESENCE] = "presence",
	[CT_TRAP] = "trap",
	[CT_TRAFFIC] = "traffic",
	[CT_MODBUS] = "modbus",
};

const char *
check_type_name(int t)
{
	/* A type of a newer agent's, which this program cannot name. */
	if (t >= CT_MAX)
		return "newer";
	if (t <= 0 || check_type_names[t] == NULL)
		return "invalid";
	return check_type_names[t];
}

int
check_type_parse(const char *s)
{
	int	 i;

	if (strcmp(s, "https") == 0)
		return CT_HTTP;
	for (i = 1; i < CT_MAX; i++)
		if (check_type_names[i] != NULL &&
		    strcmp(check_type_names[i], s) == 0)
			return i;
	return -1;
}

static const char *const probe_result_names[PR_MAX] = {
	[PR_OK] = "ok",
	[PR_TIMEOUT] = "timeout",
	[PR_REFUSED] = "refused",
	[PR_UNREACHABLE] = "unreachable",
	[PR_RESOLVE] = "resolve_error",
	[PR_BAD_STATUS] = "bad_status",
	[PR_BAD_CONTENT] = "bad_content",
	[PR_SLOW] = "slow",
	[PR_SNMP_ERROR] = "snmp_error",
	[PR_SNMP_NOSUCH] = "snmp_nosuch",
	[PR_TLS] = "tls_error",
	[PR_IO_ERROR] = "io_error",
	[PR_INTERNAL] = "internal",
	[PR_BAD_VALUE] = "bad_value",
};

const char *
probe_result_name(int r)
{
	if (r < 0 || r >= PR_MAX)
		return "invalid";
	return probe_result_names[r];
}

int
probe_result_parse(const char *s)
{
	int	 i;

	for (i = 0; i < PR_MAX; i++)
		if (strcmp(probe_result_names[i], s) == 0)
			return i;
	return -1;
}

int
probe_result_is_up(int r)
{
	return r == PR_OK;
}

/* The probe did not run, so it says nothing about the device. */
int
probe_result_is_unknown(int r)
{
	return r == PR_INTERNAL;
}

static const char *const value_kind_names[VK_MAX] = {
	[VK_GAUGE] = "gauge",
	[VK_COUNTER] = "counter",
	[VK_TEXT] = "text",
};

const char *
value_kind_name(int k)
{
	if (k <= 0 || k >= VK_MAX)
		return "invalid";
	return value_kind_names[k];
}
