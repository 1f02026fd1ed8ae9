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
 * Modbus TCP for the simulated facility equipment: HVAC units, UPSs and
 * power meters answer function codes 1 to 4 (coils, discrete inputs,
 * holding and input registers) from the same variables their SNMP
 * objects come from, so a fault shows the same on both.  The register
 * layout is that of the example maps shipped in etc/modbus/, which makes
 * those maps testable end to end.
 *
 * The protocol is written here rather than taken from libmodbus: the
 * simulator runs on one libevent loop and libmodbus's server side is
 * blocking, and the subset a read-only peer needs is small.  Each frame
 * is an MBAP header (transaction id, protocol id 0, length, unit id)
 * and a PDU.  A device listens on its own address at the scenario's
 * modbus_port; devices with 'modbus_gateway' are reached through that
 * device's listener by their unit id, as behind a Modbus gateway.
 *
 * Answers: a function other than 1-4 is exception 1, an address the
 * device does not have is exception 2, a quantity out of range is
 * exception 3, a unit id nobody has behind a listener is exception 10
 * (gateway path unavailable), and a silent device behind a gateway is
 * exception 11 (gateway target device failed to respond).  A silent
 * device on its own address leaves requests unanswered.  The fault
 * 'modbus_exception' answers every request of the unit with exception
 * 'arg' (default 4, server device failure; 6 is "busy"), 'slow' delays
 * answers, and 'garbage' answers with a byte count that does not match
 * the request.
 *
 * Every connection is bounded: at most MB_CONN_MAX per listener (more are
 * closed at once), closed after MB_IDLE_S without a request or when a
 * begun frame is not complete within MB_FRAME_MS, a frame that is
 * not Modbus TCP closes it, and so does a client that sends requests
 * without reading the answers (MB_OUT_MAX bytes of them waiting).  One answer at a time: reading stops while
 * a delayed answer waits.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "sim.h"

#define MB_CONN_MAX	32	/* connections at once per listener */
#define MB_IDLE_S	60	/* a connection without a request is closed */
#define MB_FRAME_MS	3000	/* a begun frame must be complete by then */
#define MB_ADU_MAX	260	/* MBAP header and the largest PDU */
#define MB_OUT_MAX	16384	/* answers a client has not read yet */
#define MB_MAX_REGS	125
#define MB_MAX_BITS	2000

/* Tables, numbered like the read functions: 1 coils ... 4 input. */
enum { TB_COIL = 1, TB_DISCRETE, TB_HOLDING, TB_INPUT };

struct mbconn;
struct mbsrv {
	struct device	*d;
	struct evconnlistener *l;
	int		 nconn;
	uint64_t	 nrefused;	/* connections over MB_CONN_MAX */
};

struct mbconn {
	struct mbsrv	*srv;
	struct bufferevent *bev;
	struct event	*later;		/* a delayed answer waits */
	uint8_t		 out[MB_ADU_MAX];
	size_t		 outlen;
	struct device	*outdev;	/* the unit the delayed answer is of */
};

static uint64_t	 mb_nconn_total, mb_nframes, mb_nbad;

/* --- the registers of each model -------------------------------------- */

static uint16_t
hi16(uint32_t v)
{
	return (uint16_t)(v >> 16);
}

static uint16_t
lo16(uint32_t v)
{
	return (uint16_t)(v & 0xffff);
}

static uint32_t
f32bits(double d)
{
	float	 f = (float)d;
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/*
 * A register or bit of an HVAC unit (etc/modbus/crac-example.conf):
 * 0 the value, -1 the device has no such address.
 */
static int
reg_hvac(const struct device *d, int tb, int a, uint16_t *v)
{
	int	 on = d->var[H_POWER] == 1;

	switch (tb) {
	case TB_INPUT:
		switch (a) {
		case 0: *v = (uint16_t)(int16_t)(int64_t)d->var[H_SUP];
			return 0;
		case 1: *v = (uint16_t)(int16_t)(int64_t)d->var[H_RET];
			return 0;
		case 2: *v = (uint16_t)d->var[H_HUM]; return 0;
		case 3: *v = on ? 80 : 0; return 0;
		case 10: *v = hi16((uint32_t)d->var[H_CHOURS]); return 0;
		case 11: *v = lo16((uint32_t)d->var[H_CHOURS]); return 0;
		}
		return -1;
	case TB_HOLDING:
		switch (a) {
		case 0: *v = (uint16_t)d->var[H_SET]; return 0;
		case 1: *v = 500; return 0;
		case 2: *v = (uint16_t)d->var[H_MODE]; return 0;
		case 10:
			*v = (uint16_t)((on ? 1 : 0) |
			    (on && d->var[H_COMP] ? 2 : 0));
			return 0;
		case 11:
			/* Alarm word: compressor fault, filter clogged. */
			*v = (uint16_t)((d->fault[FK_COMPRESSOR] ? 1 : 0) |
			    ((int64_t)d->var[H_SUP] > 300 ? 8 : 0) |
			    (d->var[H_FILTER] == 1 ? 64 : 0));
			return 0;
		case 12: *v = (uint16_t)d->var[H_CODE]; return 0;
		}
		return -1;
	}
	return -1;
}

/* A UPS (etc/modbus/ups-example.conf), 20 kVA at 220 V. */
static int
reg_ups(const struct device *d, int tb, int a, uint16_t *v)
{
	int	 batt = d->var[U_SOURCE] == 5;
	double	 load = (double)d->var[U_LOAD];
	uint32_t kw = f32bits(20.0 * 0.9 * load / 100.0);
	uint32_t kwh = (uint32_t)d->var[U_KWH];

	switch (tb) {
	case TB_INPUT:
		switch (a) {
		case 0: *v = (uint16_t)(d->var[U_INV] * 10); return 0;
		case 1: *v = batt ? 0 : 5000; return 0;
		case 2: *v = (uint16_t)(d->var[U_OUTV] * 10); return 0;
		case 3: *v = (uint16_t)lround(load * 9.09); return 0;
		case 4: *v = (uint16_t)load; return 0;
		case 5: *v = (uint16_t)(1920 + d->var[U_CHARGE] * 24 / 10);
			return 0;
		case 6: *v = (uint16_t)d->var[U_CHARGE]; return 0;
		case 7: *v = (uint16_t)d->var[U_MINREM]; return 0;
		case 8: *v = (uint16_t)(d->var[U_BTEMP] * 10); return 0;
		/* Power and energy with the low word first ("cdab"). */
		case 20: *v = lo16(kw); return 0;
		case 21: *v = hi16(kw); return 0;
		case 22: *v = lo16(kwh); return 0;
		case 23: *v = hi16(kwh); return 0;
		}
		return -1;
	case TB_DISCRETE:
		switch (a) {
		case 0: *v = batt; return 0;
		case 1: *v = d->var[U_SOURCE] == 4; return 0;
		case 2: *v = d->var[U_STATUS] == 3; return 0;
		case 3: *v = d->fault[FK_OVERLOAD] != NULL; return 0;
		case 4: case 5: case 6: *v = 0; return 0;
		}
		return -1;
	}
	return -1;
}

/* A three-phase power meter (etc/modbus/meter-example.conf). */
static int
reg_meter(const struct device *d, int tb, int a, uint16_t *v)
{
	double	 volt = (double)d->var[P_VOLT] / 10.0;
	double	 amp = (double)d->var[P_AMP] / 100.0;
	double	 pf = (double)d->var[P_PF] / 1000.0;
	double	 x;

	switch (tb) {
	case TB_INPUT:
		if (a >= 0 && a < 10) {
			/* IEEE floats, high word first ("abcd"). */
			switch (a / 2) {
			case 0: x = volt; break;
			case 1: x = amp; break;
			case 2: x = sqrt(3.0) * 380.0 * amp * pf / 1000.0;
				break;
			case 3: x = pf; break;
			default: x = (double)d->var[P_HZ] / 100.0; break;
			}
			*v = a % 2 ? lo16(f32bits(x)) : hi16(f32bits(x));
			return 0;
		}
		if (a == 10 || a == 11) {
			/* Energy in tenths of a kWh. */
			uint32_t e = (uint32_t)(d->var[P_WH] / 100);

			*v = a == 10 ? hi16(e) : lo16(e);
			return 0;
		}
		return -1;
	case TB_HOLDING:
		if (a == 0) {
			*v = (uint16_t)d->var[P_RATED];
			return 0;
		}
		return -1;
	case TB_DISCRETE:
		if (a == 0) {
			*v = d->fault[FK_OVERLOAD] != NULL;
			return 0;
		}
		return -1;
	}
	return -1;
}

static int
reg_get(const struct device *d, int tb, int a, uint16_t *v)
{
	switch (d->model) {
	case M_HVAC:
		return reg_hvac(d, tb, a, v);
	case M_UPS:
		return reg_ups(d, tb, a, v);
	case M_METER:
		return reg_meter(d, tb, a, v);
	}
	return -1;
}

/* --- frames ----------------------------------------------------------- */

static size_t
mb_exception(uint8_t *out, int fn, int code)
{
	out[7] = (uint8_t)(fn | 0x80);
	out[8] = (uint8_t)code;
	return 9;
}

/* The unit a request is for, or NULL with *exc set. */
static struct device *
mb_target(struct mbsrv *s, int uid, int *exc, int *drop)
{
	struct device *gw = s->d, *t = NULL;
	int	 i;

	*exc = 0;
	*drop = 0;
	if (dev_silence(gw) != NULL) {
		*drop = 1;		/* the gateway itself is gone */
		return NULL;
	}
	if (uid == gw->mb_unit || uid == 0 || uid == 255)
		t = gw;
	else
		for (i = 0; i < sim->ndevs; i++)
			if (sim->devs[i].mb_gw_idx == gw->idx &&
			    sim->devs[i].mb_unit == uid) {
				t = &sim->devs[i];
				break;
			}
	if (t == NULL) {
		*exc = 10;		/* no path to that unit */
		return NULL;
	}
	if (t != gw && dev_silence(t) != NULL) {
		*exc = 11;		/* behind the gateway, silent */
		return NULL;
	}
	return t;
}

/*
 * Answers one request (in: the whole ADU) into out; 0: no answer.
 * *dev is set to the unit that answers, for its counters and faults.
 */
static size_t
mb_answer(struct mbsrv *s, const uint8_t *in, size_t len, uint8_t *out,
    struct device **dev)
{
	struct device *t;
	uint16_t v;
	int	 fn, addr, qty, i, exc, drop, tb;
	size_t	 n;

	memcpy(out, in, 7);		/* transaction, protocol, unit */
	*dev = NULL;
	fn = len > 7 ? in[7] : 0;
	if ((t = mb_target(s, in[6], &exc, &drop)) == NULL) {
		if (drop)
			return 0;
		n = mb_exception(out, fn, exc);
		goto done;
	}
	*dev = t;
	t->nreq++;
	if (t->fault[FK_MB_EXCEPTION] != NULL) {
		int64_t	 c = t->fault[FK_MB_EXCEPTION]->arg;

		n = mb_exception(out, fn, c >= 1 && c <= 11 ? (int)c : 4);
		goto done;
	}
	if (fn < 1 || fn > 4) {
		n = mb_exception(out, fn, 1);
		goto done;
	}
	if (len != 12) {
		n = mb_exception(out, fn, 3);
		goto done;
	}
	tb = fn;
	addr = in[8] << 8 | in[9];
	qty = in[10] << 8 | in[11];
	if (qty < 1 || qty > (tb <= TB_DISCRETE ? MB_MAX_BITS :
	    MB_MAX_REGS)) {
		n = mb_exception(out, fn, 3);
		goto done;
	}
	if (addr + qty > 65536) {
		n = mb_exception(out, fn, 2);
		goto done;
	}
	out[7] = (uint8_t)fn;
	if (tb <= TB_DISCRETE) {
		memset(out + 9, 0, (size_t)(qty + 7) / 8);
		for (i = 0; i < qty; i++) {
			if (reg_get(t, tb, addr + i, &v) == -1) {
				n = mb_exception(out, fn, 2);
				goto done;
			}
			if (v)
				out[9 + i / 8] |= (uint8_t)(1 << (i % 8));
		}
		out[8] = (uint8_t)((qty + 7) / 8);
	} else {
		for (i = 0; i < qty; i++) {
			if (reg_get(t, tb, addr + i, &v) == -1) {
				n = mb_exception(out, fn, 2);
				goto done;
			}
			out[9 + 2 * i] = (uint8_t)(v >> 8);
			out[10 + 2 * i] = (uint8_t)v;
		}
		out[8] = (uint8_t)(2 * qty);
	}
	n = 9 + out[8];
	/*
	 * A broken firmware: one byte of data fewer than asked for, the
	 * framing otherwise right, so a client sees a malformed reply
	 * rather than waiting for bytes that never come.
	 */
	if (t->fault[FK_GARBAGE] != NULL && out[8] > 1) {
		out[8]--;
		n--;
	}
done:
	out[4] = (uint8_t)((n - 6) >> 8);
	out[5] = (uint8_t)(n - 6);
	return n;
}

/* --- connections ------------------------------------------------------- */

static void
conn_free(struct mbconn *c)
{
	if (c->later != NULL)
		event_free(c->later);
	bufferevent_free(c->bev);
	c->srv->nconn--;
	free(c);
}

static void
set_read_timeout(struct mbconn *c, int partial)
{
	struct timeval rd = { MB_IDLE_S, 0 }, wr = { 10, 0 };

	if (partial) {
		rd.tv_sec = MB_FRAME_MS / 1000;
		rd.tv_usec = (MB_FRAME_MS % 1000) * 1000;
	}
	bufferevent_set_timeouts(c->bev, &rd, &wr);
}

static void	on_read(struct bufferevent *, void *);

static void
later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mbconn *c = arg;

	(void)fd;
	(void)ev;
	/* A unit that went silent meanwhile does not answer either. */
	if (c->outlen > 0 && dev_silence(c->outdev) == NULL) {
		bufferevent_write(c->bev, c->out, c->outlen);
		c->outdev->nresp++;
	}
	c->outlen = 0;
	bufferevent_enable(c->bev, EV_READ);
	on_read(c->bev, c);	/* requests that came meanwhile */
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct mbconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct device *t;
	uint8_t	 hdr[7], adu[MB_ADU_MAX];
	size_t	 len, n;
	int	 rounds;

	/* Bounded: a client that pipelines gets 64 answers a turn. */
	for (rounds = 0; rounds < 64 && c->outlen == 0; rounds++) {
		if (evbuffer_copyout(in, hdr, sizeof(hdr)) < (ssize_t)sizeof(hdr))
			break;
		len = (size_t)(hdr[4] << 8 | hdr[5]);
		if (hdr[2] != 0 || hdr[3] != 0 || len < 2 ||
		    len > MB_ADU_MAX - 6) {
			/* Not Modbus TCP: nothing sensible can follow. */
			mb_nbad++;
			conn_free(c);
			return;
		}
		if (evbuffer_get_length(in) < 6 + len)
			break;
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    MB_OUT_MAX) {
			mb_nbad++;
			conn_free(c);
			return;
		}
		evbuffer_remove(in, adu, 6 + len);
		mb_nframes++;
		if ((n = mb_answer(c->srv, adu, 6 + len, c->out, &t)) == 0)
			continue;
		if (t != NULL && t->fault[FK_SLOW] != NULL) {
			int64_t	 ms = t->fault[FK_SLOW]->arg > 0 ?
			    t->fault[FK_SLOW]->arg : 1200;
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

			c->outlen = n;
			c->outdev = t;
			bufferevent_disable(bev, EV_READ);
			evtimer_add(c->later, &tv);
			return;
		}
		bufferevent_write(bev, c->out, n);
		if (t != NULL)
			t->nresp++;
	}
	set_read_timeout(c, evbuffer_get_length(in) > 0);
	if (rounds == 64 && evbuffer_get_length(in) >= 7) {
		/* More is waiting: come back on the next turn of the loop. */
		struct timeval zero = { 0, 0 };

		c->outdev = NULL;
		bufferevent_disable(bev, EV_READ);
		evtimer_add(c->later, &zero);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mbconn *c = arg;

	(void)bev;
	(void)what;
	/* EOF, error or a timeout: the connection ends. */
	conn_free(c);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct mbsrv *s = arg;
	struct mbconn *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (s->nconn >= MB_CONN_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
		s->nrefused++;
		close(fd);
		return;
	}
	c->srv = s;
	c->bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->later = evtimer_new(sim->base, later_cb, c);
	if (c->bev == NULL || c->later == NULL) {
		if (c->later != NULL)
			event_free(c->later);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	s->nconn++;
	mb_nconn_total++;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	set_read_timeout(c, 0);
	bufferevent_enable(c->bev, EV_READ);
}

int
modbus_listen(struct device *d)
{
	struct sockaddr_in sa;
	struct mbsrv *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->d = d;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = d->in;
	sa.sin_port = htons((uint16_t)sim->modbus_port);
	s->l = evconnlistener_new_bind(sim->base, on_accept, s,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    64, (struct sockaddr *)&sa, sizeof(sa));
	if (s->l == NULL) {
		log_warn("%s: modbus %s:%d", d->id, d->addr, sim->modbus_port);
		free(s);
		return -1;
	}
	d->mb = s;
	return 0;
}

void
modbus_stop(struct device *d)
{
	if (d->mb == NULL)
		return;
	/* Open connections end with the process. */
	evconnlistener_free(d->mb->l);
	free(d->mb);
	d->mb = NULL;
}

void
modbus_stats(int fd)
{
	dprintf(fd, "modbus_connections %llu\nmodbus_frames %llu\n"
	    "modbus_bad_frames %llu\n", (unsigned long long)mb_nconn_total,
	    (unsigned long long)mb_nframes, (unsigned long long)mb_nbad);
}
