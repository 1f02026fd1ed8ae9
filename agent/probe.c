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
 * The check types the agent knows, one row each (probe.h).  The index
 * is the type's number on the wire (enum check_type, common/wire.h).
 */

#include <stddef.h>

#include "probe.h"

extern const struct probe_ops probe_snmp;	/* check_snmp.c */
extern const struct probe_ops probe_icmp;	/* check_icmp.c */
extern const struct probe_ops probe_tcp;	/* check_tcp.c */
extern const struct probe_ops probe_http;	/* check_http.c */
extern const struct probe_ops probe_arp;	/* check_arp.c */
extern const struct probe_ops probe_presence;	/* check_presence.c */
extern const struct probe_ops probe_traffic;	/* check_traffic.c */
extern const struct probe_ops probe_modbus;	/* check_modbus.c */

static const struct probe_ops *const probe_table[CT_MAX] = {
	[CT_SNMP] = &probe_snmp,
	[CT_ICMP] = &probe_icmp,
	[CT_TCP] = &probe_tcp,
	[CT_HTTP] = &probe_http,
	[CT_ARP] = &probe_arp,
	[CT_PRESENCE] = &probe_presence,
	[CT_TRAFFIC] = &probe_traffic,
	[CT_MODBUS] = &probe_modbus,
};

const struct probe_ops *
probe_ops_get(int type)
{
	if (type <= 0 || type >= CT_MAX)
		return NULL;
	return probe_table[type];
}
