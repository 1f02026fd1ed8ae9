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
 * One libpcap handle per network interface, shared by every arp and
 * presence check on it.  The handle is non-blocking and in immediate
 * mode, its selectable descriptor sits in the libevent loop, and each
 * captured frame is offered to the checks that watch that interface.
 *
 * Frames are parsed here once: the source MAC and, for ARP and IPv4,
 * the source address.  The presence table (who was last seen when) is
 * kept per interface, so a presence probe is a table look-up and sends
 * nothing.  pcapif_offline() feeds a capture file through the same
 * parser, which is how the unit tests replay captures.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define ETH_HLEN_	14
#define ETHERTYPE_IP_	0x0800
#define ETHERTYPE_ARP_	0x0806
#define ETHERTYPE_VLAN_	0x8100

static struct pcapif *ifaces;

static struct pcapif *
pcapif_find(const char *name)
{
	struct pcapif *pi;

	for (pi = ifaces; pi != NULL; pi = pi->next)
		if (strcmp(pi->name, name) == 0)
			return pi;
	return NULL;
}

/* A host we have seen: by IPv4 address and by MAC. */
static struct pcap_seen *
seen_slot(struct pcapif *pi, uint32_t ip, const uint8_t *mac)
{
	size_t	 i;

	for (i = 0; i < pi->nseen; i++)
		if ((ip != 0 && pi->seen[i].ip == ip) ||
		    (ip == 0 && memcmp(pi->seen[i].mac, mac, 6) == 0 &&
		    pi->seen[i].ip == 0))
			return &pi->seen[i];
	if (pi->nseen == pi->capseen) {
		size_t	 ncap = pi->capseen ? pi->capseen * 2 : 64;
		struct pcap_seen *n = realloc(pi->seen, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		pi->seen = n;
		pi->capseen = ncap;
	}
	memset(&pi->seen[pi->nseen], 0, sizeof(pi->seen[0]));
	pi->seen[pi->nseen].ip = ip;
	memcpy(pi->seen[pi->nseen].mac, mac, 6);
	return &pi->seen[pi->nseen++];
}

static void
note_seen(struct pcapif *pi, uint32_t ip, const uint8_t *mac, int64_t ms)
{
	struct pcap_seen *s;

	/* Our own frames say nothing about the devices. */
	if (memcmp(mac, pi->mac, 6) == 0)
		return;
	if ((s = seen_slot(pi, ip, mac)) != NULL) {
		s->last_ms = ms;
		memcpy(s->mac, mac, 6);
		s->frames++;
	}
	if (ip != 0 && (s = seen_slot(pi, 0, mac)) != NULL) {
		s->last_ms = ms;
		s->frames++;
	}
}

/* Parse one frame; exposed for the offline replay. */
void
pcapif_frame(struct pcapif *pi, int64_t ts_ms, const uint8_t *p, size_t len)
{
	pcapif_frame_len(pi, ts_ms, p, len, len);
}

/*
 * The same, knowing the frame's length on the wire (wlen), of which only
 * len bytes were captured (the snap length is short: headers only).
 */
void
pcapif_frame_len(struct pcapif *pi, int64_t ts_ms, const uint8_t *p,
    size_t len, size_t wlen)
{
	const uint8_t *src = p + 6;
	uint16_t type;
	size_t	 off = ETH_HLEN_;
	uint32_t sip = 0;
	struct pcap_watch *w;

	pi->st_frames++;
	if (len < ETH_HLEN_) {
		pi->st_bad++;
		return;
	}
	for (w = pi->watchers; w != NULL; w = w->next)
		if (w->frame != NULL)
			w->frame(w->arg, p, len, wlen, ts_ms);
	type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == ETHERTYPE_VLAN_ && len >= ETH_HLEN_ + 4) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		off += 4;
	}
	if (type == ETHERTYPE_ARP_) {
		/* Ethernet/IPv4 ARP: 28 bytes. */
		if (len < off + 28 || p[off] != 0 || p[off + 1] != 1 ||
		    p[off + 2] != 0x08 || p[off + 3] != 0x00 ||
		    p[off + 4] != 6 || p[off + 5] != 4) {
			pi->st_bad++;
			return;
		}
		memcpy(&sip, p + off + 14, 4);
		for (w = pi->watchers; w != NULL; w = w->next)
			if (w->arp != NULL)
				w->arp(w->arg, (uint16_t)(p[off + 6] << 8 |
				    p[off + 7]), p + off + 8, sip, ts_ms);
	} else if (type == ETHERTYPE_IP_) {
		if (len < off + 20 || (p[off] >> 4) != 4) {
			pi->st_bad++;
			return;
		}
		memcpy(&sip, p + off + 12, 4);
	}
	note_seen(pi, sip, src, ts_ms);
}

static void
pcapif_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *p)
{
	struct pcapif *pi = (struct pcapif *)(void *)arg;

	pcapif_frame_len(pi, now_ms(), p, h->caplen, h->len);
}

static void
pcapif_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pcapif *pi = arg;

	(void)fd;
	(void)ev;
	/* A bounded batch per wake-up, so a flood cannot starve the loop. */
	if (pcap_dispatch(pi->p, 256, pcapif_cb, (u_char *)pi) == -1)
		log_warnx("pcap %s: %s", pi->name, pcap_geterr(pi->p));
}

static int
pcapif_addrs(struct pcapif *pi)
{
	struct ifaddrs *ifa, *a;
	int	 have_mac = 0;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (a = ifa; a != NULL; a = a->ifa_next) {
		if (a->ifa_addr == NULL || strcmp(a->ifa_name, pi->name) != 0)
			continue;
		if (a->ifa_addr->sa_family == AF_INET && pi->ip == 0)
			pi->ip = ((struct sockaddr_in *)(void *)
			    a->ifa_addr)->sin_addr.s_addr;
		else if (a->ifa_addr->sa_family == AF_PACKET) {
			struct sockaddr_ll *ll = (struct sockaddr_ll *)(void *)
			    a->ifa_addr;

			if (ll->sll_halen == 6) {
				memcpy(pi->mac, ll->sll_addr, 6);
				have_mac = 1;
			}
		}
	}
	freeifaddrs(ifa);
	return have_mac ? 0 : -1;
}

/* Open (or share) the handle for an interface. */
struct pcapif *
pcapif_get(const char *name, int promisc)
{
	char	 err[PCAP_ERRBUF_SIZE];
	struct pcapif *pi;
	int	 fd;

	if ((pi = pcapif_find(name)) != NULL) {
		pi->refs++;
		return pi;
	}
	if ((pi = calloc(1, sizeof(*pi))) == NULL)
		fatal("calloc");
	fm_strlcpy(pi->name, name, sizeof(pi->name));
	if (pcapif_addrs(pi) == -1) {
		log_warnx("pcap %s: no such Ethernet interface", name);
		free(pi);
		return NULL;
	}
	if ((pi->p = pcap_create(name, err)) == NULL) {
		log_warnx("pcap %s: %s", name, err);
		free(pi);
		return NULL;
	}
	pcap_set_snaplen(pi->p, 128);
	pcap_set_immediate_mode(pi->p, 1);
	pcap_set_promisc(pi->p, promisc);
	pcap_set_buffer_size(pi->p, 1 << 20);
	if (pcap_activate(pi->p) < 0 ||
	    pcap_setnonblock(pi->p, 1, err) == -1 ||
	    (fd = pcap_get_selectable_fd(pi->p)) == -1) {
		log_warnx("pcap %s: %s (the agent needs CAP_NET_RAW)", name,
		    pcap_geterr(pi->p));
		pcap_close(pi->p);
		free(pi);
		return NULL;
	}
	if (pcap_datalink(pi->p) != DLT_EN10MB) {
		log_warnx("pcap %s: not an Ethernet interface", name);
		pcap_close(pi->p);
		free(pi);
		return NULL;
	}
	if ((pi->ev = event_new(agent_base, fd, EV_READ | EV_PERSIST,
	    pcapif_read_cb, pi)) == NULL)
		fatalx("event_new");
	event_add(pi->ev, NULL);
	pi->refs = 1;
	pi->next = ifaces;
	ifaces = pi;
	return pi;
}

void
pcapif_watch(struct pcapif *pi, struct pcap_watch *w)
{
	w->next = pi->watchers;
	pi->watchers = w;
}

void
pcapif_put(struct pcapif *pi, struct pcap_watch *w)
{
	struct pcap_watch **wp;
	struct pcapif **pp;

	for (wp = &pi->watchers; *wp != NULL; wp = &(*wp)->next)
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	if (--pi->refs > 0)
		return;
	for (pp = &ifaces; *pp != NULL; pp = &(*pp)->next)
		if (*pp == pi) {
			*pp = pi->next;
			break;
		}
	if (pi->ev != NULL)
		event_free(pi->ev);
	if (pi->p != NULL)
		pcap_close(pi->p);
	free(pi->seen);
	free(pi);
}

/* When a host was last seen, by IPv4 address (network order) or MAC. */
int64_t
pcapif_last_seen(const struct pcapif *pi, uint32_t ip, const uint8_t *mac)
{
	size_t	 i;

	for (i = 0; i < pi->nseen; i++) {
		if (mac != NULL) {
			if (pi->seen[i].ip == 0 &&
			    memcmp(pi->seen[i].mac, mac, 6) == 0)
				return pi->seen[i].last_ms;
		} else if (pi->seen[i].ip == ip)
			return pi->seen[i].last_ms;
	}
	return 0;
}

/* Send a frame on the interface. */
int
pcapif_inject(struct pcapif *pi, const void *frame, size_t len)
{
	if (pi->p == NULL)
		return -1;
	return pcap_inject(pi->p, frame, len) == (int)len ? 0 : -1;
}

/*
 * Replay a capture file into a handle with no live capture: the unit
 * tests' way in.  Frames keep their captured timestamps.
 */
int
pcapif_offline(struct pcapif *pi, const char *file, char *err, size_t errlen)
{
	char	 perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t	*p;
	int	 r;

	if ((p = pcap_open_offline(file, perr)) == NULL) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: not an Ethernet capture", file);
		pcap_close(p);
		return -1;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		pcapif_frame_len(pi, (int64_t)h->ts.tv_sec * 1000 +
		    h->ts.tv_usec / 1000, data, h->caplen, h->len);
	if (r == -1)
		snprintf(err, errlen, "%s: %s", file, pcap_geterr(p));
	pcap_close(p);
	return r == -1 ? -1 : 0;
}

int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int	 i, n = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &n) != 6 || s[n] != '\0')
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

void
format_mac(const uint8_t *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
}
