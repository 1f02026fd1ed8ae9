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
 * SNMP v1/v2c request handling and notifications.  One request is
 * answered from the device's sorted object table without allocation:
 * the varbinds to send are described in a fixed array, sized, then
 * written into the caller's buffer.
 */

#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "sim.h"

#define MAX_VB	128

struct vbout {
	const uint32_t	*oid;
	int		 oidlen;
	uint8_t		 type;
	uint64_t	 u;
	const void	*str;
	size_t		 slen;
	uint8_t		 tmp[32];	/* for values built on the fly */
};

static struct vbout	 out[MAX_VB];
static uint32_t		 reqoid[MAX_VB][SIM_REQ_OID_MAX];
static int		 reqlen[MAX_VB];
static const uint8_t	*reqval[MAX_VB];	/* raw value TLVs of a SET */

static size_t
tlv_size(size_t content)
{
	return 1 + ber_len_size(content) + content;
}

static size_t
val_size(const struct vbout *v)
{
	switch (v->type) {
	case BER_INT:
		return ber_int_size((int64_t)v->u);
	case BER_C32:
	case BER_G32:
	case BER_TT:
		return ber_uint_size(v->u & 0xffffffffu);
	case BER_C64:
		return ber_uint_size(v->u);
	case BER_STR:
	case BER_IPADDR:
		return v->slen;
	case BER_OID:
		return ber_oid_size(v->str, (int)v->slen);
	default:	/* NULL and the v2 exceptions */
		return 0;
	}
}

static size_t
vb_size(const struct vbout *v)
{
	return tlv_size(tlv_size(ber_oid_size(v->oid, v->oidlen)) +
	    tlv_size(val_size(v)));
}

static uint8_t *
vb_put(uint8_t *p, const struct vbout *v)
{
	size_t	 olen = tlv_size(ber_oid_size(v->oid, v->oidlen));
	size_t	 vlen = val_size(v);

	p = ber_put_hdr(p, BER_SEQ, olen + tlv_size(vlen));
	p = ber_put_oid(p, v->oid, v->oidlen);
	switch (v->type) {
	case BER_INT:
		return ber_put_int(p, BER_INT, (int64_t)v->u);
	case BER_C32:
	case BER_G32:
	case BER_TT:
		return ber_put_uint(p, v->type, v->u & 0xffffffffu);
	case BER_C64:
		return ber_put_uint(p, v->type, v->u);
	case BER_STR:
	case BER_IPADDR:
		p = ber_put_hdr(p, v->type, v->slen);
		memcpy(p, v->str, v->slen);
		return p + v->slen;
	case BER_OID:
		return ber_put_oid(p, v->str, (int)v->slen);
	default:
		return ber_put_hdr(p, v->type, 0);
	}
}

/* The message around n varbinds; 0 if it does not fit in max. */
static size_t
msg_put(uint8_t *buf, size_t max, int version, const char *comm,
    size_t commlen, uint8_t pdu, int64_t reqid, int64_t f1, int64_t f2,
    const struct vbout *v, int n)
{
	size_t	 vbl = 0, pdul, msgl, total;
	uint8_t	*p = buf;
	int	 i;

	for (i = 0; i < n; i++)
		vbl += vb_size(&v[i]);
	pdul = tlv_size(ber_int_size(reqid)) + tlv_size(ber_int_size(f1)) +
	    tlv_size(ber_int_size(f2)) + tlv_size(vbl);
	msgl = tlv_size(1) + tlv_size(commlen) + tlv_size(pdul);
	total = tlv_size(msgl);
	if (total > max)
		return 0;
	p = ber_put_hdr(p, BER_SEQ, msgl);
	p = ber_put_int(p, BER_INT, version);
	p = ber_put_hdr(p, BER_STR, commlen);
	memcpy(p, comm, commlen);
	p += commlen;
	p = ber_put_hdr(p, pdu, pdul);
	p = ber_put_int(p, BER_INT, reqid);
	p = ber_put_int(p, BER_INT, f1);
	p = ber_put_int(p, BER_INT, f2);
	p = ber_put_hdr(p, BER_SEQ, vbl);
	for (i = 0; i < n; i++)
		p = vb_put(p, &v[i]);
	return (size_t)(p - buf);
}

/*
 * A value as the device would send it.  Under the wrong-type fault
 * numbers go out as strings and strings as INTEGER 0: what a buggy
 * firmware does, and what a poller must not store as a counter.
 */
static void
set_value(const struct device *d, const struct obj *o, struct vbout *v)
{
	int	 type = o->type;
	const char *s = NULL;
	size_t	 slen = 0;
	uint64_t u;

	u = obj_value(d, o, &type, &s, &slen, v->tmp);
	v->type = (uint8_t)type;
	v->u = u;
	v->str = s;
	v->slen = slen;
	if (d->fault[FK_WRONG_TYPE] == NULL)
		return;
	switch (type) {
	case BER_INT:
		v->slen = (size_t)snprintf((char *)v->tmp, sizeof(v->tmp),
		    "%lld", (long long)(int64_t)u);
		v->type = BER_STR;
		v->str = v->tmp;
		break;
	case BER_C32:
	case BER_G32:
	case BER_TT:
	case BER_C64:
		v->slen = (size_t)snprintf((char *)v->tmp, sizeof(v->tmp),
		    "%llu", (unsigned long long)u);
		v->type = BER_STR;
		v->str = v->tmp;
		break;
	case BER_STR:
		v->type = BER_INT;
		v->u = 0;
		break;
	}
}

/*
 * The object after oid for GETNEXT; v1 has no Counter64, so a v1
 * manager never sees one (RFC 3584 section 4.2.2.1).
 */
static const struct obj *
next_obj(const struct device *d, const uint32_t *oid, int len, int version)
{
	const struct obj *o;
	int	 exact, inst;

	o = obj_find(d, oid, len, 1, &exact, &inst);
	while (o != NULL && version == 0 && o->type == BER_C64) {
		o++;
		if (o >= d->objs + d->nobj)
			o = NULL;
	}
	return o;
}

static void
set_oid(struct vbout *v, const uint32_t *oid, int len)
{
	v->oid = oid;
	v->oidlen = len;
}

size_t
snmp_answer(struct device *d, const uint8_t *req, size_t reqsz,
    uint8_t *buf, size_t max)
{
	struct ber b = { req, req + reqsz }, msg, pdu, vbl, vb;
	const struct obj *o;
	struct fault *ef;
	const uint8_t *comm;
	size_t	 commlen, len;
	int64_t	 version, reqid, f1, f2, err = 0, eidx = 0;
	uint8_t	 tag, ptag;
	int	 i, n = 0, nout = 0, exact, inst;

	if (ber_get_tlv(&b, &tag, &msg) == -1 || tag != BER_SEQ)
		return 0;
	if (ber_get_int(&msg, &version) == -1 || (version != 0 &&
	    version != 1))
		return 0;
	if (ber_get_tlv(&msg, &tag, &pdu) == -1 || tag != BER_STR)
		return 0;
	comm = pdu.p;
	commlen = (size_t)(pdu.end - pdu.p);
	/* A wrong community is dropped silently, as snmpd does. */
	if (commlen != strlen(d->community) ||
	    memcmp(comm, d->community, commlen) != 0)
		return 0;
	if (ber_get_tlv(&msg, &ptag, &pdu) == -1)
		return 0;
	if (ptag != PDU_GET && ptag != PDU_GETNEXT && ptag != PDU_SET &&
	    !(ptag == PDU_GETBULK && version == 1))
		return 0;
	if (ber_get_int(&pdu, &reqid) == -1 || ber_get_int(&pdu, &f1) == -1 ||
	    ber_get_int(&pdu, &f2) == -1)
		return 0;
	if (ber_get_tlv(&pdu, &tag, &vbl) == -1 || tag != BER_SEQ)
		return 0;
	while (vbl.p < vbl.end) {
		struct ber val;

		if (n >= MAX_VB || ber_get_tlv(&vbl, &tag, &vb) == -1 ||
		    tag != BER_SEQ)
			return 0;
		if (ber_get_oid(&vb, reqoid[n], SIM_REQ_OID_MAX,
		    &reqlen[n]) == -1)
			return 0;
		reqval[n] = vb.p;
		if (ber_get_tlv(&vb, &tag, &val) == -1)
			return 0;
		n++;
	}

	/* Echo the request's varbinds with NULL values (errors, SET). */
#define ECHO() do {							\
		for (i = 0; i < n; i++) {				\
			set_oid(&out[i], reqoid[i], reqlen[i]);		\
			out[i].type = BER_NULL;				\
		}							\
		nout = n;						\
	} while (0)

	if ((ef = d->fault[FK_SNMP_ERROR]) != NULL) {
		ECHO();
		err = ef->arg > 0 ? ef->arg : SNMP_ERR_GENERR;
		eidx = n > 0 ? 1 : 0;
		goto send;
	}
	switch (ptag) {
	case PDU_SET:
		/* Simulated devices are read-only. */
		ECHO();
		err = version == 0 ? SNMP_ERR_NOSUCHNAME : SNMP_ERR_NOTWRITABLE;
		eidx = n > 0 ? 1 : 0;
		break;
	case PDU_GET:
		for (i = 0; i < n; i++) {
			set_oid(&out[i], reqoid[i], reqlen[i]);
			o = obj_find(d, reqoid[i], reqlen[i], 0, &exact, &inst);
			if (o != NULL && !(version == 0 &&
			    o->type == BER_C64)) {
				set_value(d, o, &out[i]);
				continue;
			}
			if (version == 0) {
				eidx = i + 1;	/* before ECHO() reuses i */
				ECHO();
				err = SNMP_ERR_NOSUCHNAME;
				break;
			}
			out[i].type = inst ? BER_NOSUCHINST : BER_NOSUCHOBJ;
		}
		if (!err)
			nout = n;
		break;
	case PDU_GETNEXT:
		for (i = 0; i < n; i++) {
			o = next_obj(d, reqoid[i], reqlen[i], (int)version);
			if (o != NULL) {
				set_oid(&out[i], o->oid, o->len);
				set_value(d, o, &out[i]);
				continue;
			}
			if (version == 0) {
				eidx = i + 1;	/* before ECHO() reuses i */
				ECHO();
				err = SNMP_ERR_NOSUCHNAME;
				break;
			}
			set_oid(&out[i], reqoid[i], reqlen[i]);
			out[i].type = BER_ENDOFVIEW;
		}
		if (!err)
			nout = n;
		break;
	case PDU_GETBULK: {
		int	 nonrep = f1 < 0 ? 0 : f1 > n ? n : (int)f1;
		int	 maxrep = f2 < 0 ? 0 : f2 > MAX_VB ? MAX_VB : (int)f2;
		int	 r, j, nrep = n - nonrep, live;
		size_t	 used;

		for (i = 0; i < nonrep; i++) {
			o = next_obj(d, reqoid[i], reqlen[i], 1);
			if (o != NULL) {
				set_oid(&out[i], o->oid, o->len);
				set_value(d, o, &out[i]);
			} else {
				set_oid(&out[i], reqoid[i], reqlen[i]);
				out[i].type = BER_ENDOFVIEW;
			}
		}
		nout = nonrep;
		/*
		 * The answer stops where the next repetition would not fit
		 * (RFC 3416 4.2.3), or when every repeater reached the end.
		 */
		used = 64 + commlen;
		for (i = 0; i < nout; i++)
			used += vb_size(&out[i]);
		if (used > max) {
			ECHO();
			err = SNMP_ERR_TOOBIG;
			break;
		}
		for (r = 0; r < maxrep && nrep > 0; r++) {
			size_t	 add = 0;

			if (nout + nrep > MAX_VB)
				break;
			live = 0;
			for (j = 0; j < nrep; j++) {
				struct vbout *v = &out[nout + j];
				const uint32_t *from;
				int	 fromlen;

				if (r == 0) {
					from = reqoid[nonrep + j];
					fromlen = reqlen[nonrep + j];
				} else {
					struct vbout *prev =
					    &out[nout + j - nrep];

					from = prev->oid;
					fromlen = prev->oidlen;
					if (prev->type == BER_ENDOFVIEW) {
						*v = *prev;
						add += vb_size(v);
						continue;
					}
				}
				o = next_obj(d, from, fromlen, 1);
				if (o != NULL) {
					set_oid(v, o->oid, o->len);
					set_value(d, o, v);
					live = 1;
				} else {
					set_oid(v, from, fromlen);
					v->type = BER_ENDOFVIEW;
				}
				add += vb_size(v);
			}
			if (used + add > max)
				break;
			used += add;
			nout += nrep;
			if (!live)
				break;
		}
		break;
	}
	}
send:
	len = msg_put(buf, max, (int)version, (const char *)comm, commlen,
	    PDU_RESPONSE, reqid, err, eidx, out, nout);
	if (len == 0) {
		/* Too big: the error answer carries the request's varbinds. */
		ECHO();
		len = msg_put(buf, max, (int)version, (const char *)comm,
		    commlen, PDU_RESPONSE, reqid, SNMP_ERR_TOOBIG, 0, out,
		    nout);
	}
	return len;
#undef ECHO
}

/*
 * An SNMPv2c notification from the device's own address: sysUpTime.0,
 * snmpTrapOID.0, then the current values of the named instances.
 */
void
snmp_trap(struct device *d, const char *trapoid, const char **oids, int n)
{
	static const uint32_t upt[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
	static const uint32_t tro[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
	static uint32_t toid[SIM_OID_MAX], ioid[8][SIM_OID_MAX];
	struct vbout v[10];
	const struct obj *o;
	uint8_t	 buf[1500];
	size_t	 len;
	int	 i, nv = 0, tl, il, exact, inst;

	if (sim->trap_port == 0 || d->fd == -1)
		return;
	memset(v, 0, sizeof(v));
	o = obj_find(d, upt, 9, 0, &exact, &inst);
	set_oid(&v[nv], upt, 9);
	if (o != NULL)
		set_value(d, o, &v[nv]);
	else
		v[nv].type = BER_NULL;
	v[nv].type = BER_TT;
	nv++;
	if ((tl = oid_parse(trapoid, toid, SIM_OID_MAX)) == -1)
		return;
	set_oid(&v[nv], tro, 11);
	v[nv].type = BER_OID;
	v[nv].str = toid;
	v[nv].slen = (size_t)tl;
	nv++;
	for (i = 0; i < n && i < 8; i++) {
		if ((il = oid_parse(oids[i], ioid[i], SIM_OID_MAX)) == -1)
			continue;
		o = obj_find(d, ioid[i], il, 0, &exact, &inst);
		if (o == NULL)
			continue;
		set_oid(&v[nv], ioid[i], il);
		set_value(d, o, &v[nv]);
		nv++;
	}
	len = msg_put(buf, sizeof(buf), 1, sim->community,
	    strlen(sim->community), PDU_TRAP2,
	    (int64_t)(++sim->ntraps & 0x7fffffff), 0, 0, v, nv);
	if (len == 0)
		return;
	if (sendto(d->fd, buf, len, 0, (struct sockaddr *)&sim->trap_sa,
	    sizeof(sim->trap_sa)) == -1)
		log_warn("%s: trap to %s:%d", d->id, sim->trap_host,
		    sim->trap_port);
}
