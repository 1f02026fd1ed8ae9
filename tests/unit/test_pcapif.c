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

/* The pcap frame parser and presence table, fed from a capture file. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/agent.h"

struct event_base *agent_base;
struct agent_conf *agent_conf;

struct seen_arp {
	int	 n;
	uint16_t op;
	uint8_t	 sha[6];
	uint32_t spa;
};

static void
watch_cb(void *arg, uint16_t op, const uint8_t *sha, uint32_t spa,
    int64_t ts)
{
	struct seen_arp *s = arg;

	(void)ts;
	s->n++;
	s->op = op;
	memcpy(s->sha, sha, 6);
	s->spa = spa;
}

static void
test_replay(void **state)
{
	struct pcapif pi;
	struct pcap_watch w;
	struct seen_arp sa;
	uint8_t	 dev2[6] = { 2, 0, 0, 0, 0, 2 }, dev3[6] = { 2, 0, 0, 0, 0, 3 };
	uint8_t	 ours[6] = { 2, 0, 0, 0, 0, 1 }, none[6] = { 2, 0, 0, 0, 0, 9 };
	uint32_t ip2 = htonl(0xc6120702), ip3 = htonl(0xc6120703);
	uint32_t ip1 = htonl(0xc6120701);
	char	 err[256];

	(void)state;
	memset(&pi, 0, sizeof(pi));
	memset(&sa, 0, sizeof(sa));
	memset(&w, 0, sizeof(w));
	fm_strlcpy(pi.name, "replay", sizeof(pi.name));
	memcpy(pi.mac, ours, 6);
	w.arp = watch_cb;
	w.arg = &sa;
	w.next = NULL;
	pcapif_watch(&pi, &w);
	assert_int_equal(pcapif_offline(&pi, "tests/data/presence.pcap", err,
	    sizeof(err)), 0);
	assert_int_equal(pi.st_frames, 6);
	assert_int_equal(pi.st_bad, 2);	/* the short ARP and the runt */
	/* Our own request and the device's reply both reach the watcher. */
	assert_int_equal(sa.n, 2);
	assert_int_equal(sa.op, 2);
	assert_memory_equal(sa.sha, dev2, 6);
	assert_int_equal(sa.spa, ip2);
	/* Last seen: by address and by MAC, never ourselves. */
	assert_int_equal(pcapif_last_seen(&pi, ip2, NULL), 1795000020250LL);
	assert_int_equal(pcapif_last_seen(&pi, 0, dev2), 1795000020250LL);
	assert_int_equal(pcapif_last_seen(&pi, ip3, NULL), 1795000010500LL);
	/* A malformed frame counts for nothing, not even presence. */
	assert_int_equal(pcapif_last_seen(&pi, 0, dev3), 1795000010500LL);
	assert_int_equal(pcapif_last_seen(&pi, ip1, NULL), 0);
	assert_int_equal(pcapif_last_seen(&pi, 0, none), 0);
	free(pi.seen);
	assert_int_equal(pcapif_offline(&pi, "tests/data/nonexistent.pcap",
	    err, sizeof(err)), -1);
}

/*
 * The traffic check's counting, by address, by MAC and for the
 * interface itself, over frames whose length on the wire is longer than
 * what was captured (tests/data/make-pcaps.py gives the sums).
 */
static void
test_traffic(void **state)
{
	struct pcapif pi;
	struct pcap_watch w[3];
	struct traffic_ctr ip, mac, own;
	uint8_t	 dev2[6] = { 2, 0, 0, 0, 0, 2 }, ours[6] = { 2, 0, 0, 0, 0, 1 };
	char	 err[256];
	int	 i;

	(void)state;
	memset(&pi, 0, sizeof(pi));
	memset(w, 0, sizeof(w));
	memset(&ip, 0, sizeof(ip));
	memset(&mac, 0, sizeof(mac));
	memset(&own, 0, sizeof(own));
	fm_strlcpy(pi.name, "replay", sizeof(pi.name));
	memcpy(pi.mac, ours, 6);
	ip.ip = htonl(0xc6120702);
	mac.by_mac = 1;
	memcpy(mac.mac, dev2, 6);
	own.by_mac = 1;
	memcpy(own.mac, ours, 6);
	w[0].arg = &ip;
	w[1].arg = &mac;
	w[2].arg = &own;
	for (i = 0; i < 3; i++) {
		w[i].frame = traffic_frame;
		pcapif_watch(&pi, &w[i]);
	}
	assert_int_equal(pcapif_offline(&pi, "tests/data/traffic.pcap", err,
	    sizeof(err)), 0);
	assert_int_equal(pi.st_frames, 7);
	assert_int_equal(pi.st_bad, 1);		/* the runt */
	assert_int_equal(ip.in_octets, 1514 + 200);
	assert_int_equal(ip.in_packets, 2);
	assert_int_equal(ip.out_octets, 100 + 300);	/* one in a VLAN */
	assert_int_equal(ip.out_packets, 2);
	assert_int_equal(mac.in_octets, 1514 + 200);
	assert_int_equal(mac.in_packets, 2);
	assert_int_equal(mac.out_octets, 42 + 100 + 300);
	assert_int_equal(mac.out_packets, 3);
	/* The broadcast request is ours out, nobody's in. */
	assert_int_equal(own.in_octets, 42 + 100);
	assert_int_equal(own.in_packets, 2);
	assert_int_equal(own.out_octets, 42 + 1514);
	assert_int_equal(own.out_packets, 2);
	free(pi.seen);
}

static void
test_mac_text(void **state)
{
	uint8_t	 m[6];
	char	 buf[24];

	(void)state;
	assert_int_equal(parse_mac("02:00:5e:10:00:ff", m), 0);
	format_mac(m, buf, sizeof(buf));
	assert_string_equal(buf, "02:00:5e:10:00:ff");
	assert_int_equal(parse_mac("02:00:5e:10:00", m), -1);
	assert_int_equal(parse_mac("02:00:5e:10:00:ff:11", m), -1);
	assert_int_equal(parse_mac("zz:00:5e:10:00:ff", m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_mac_text),
		cmocka_unit_test(test_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
