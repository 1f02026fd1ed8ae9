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
 * facmon-sim: a whole service centre on one machine.  Every simulated
 * device has its own address in 127.0.0.0/8 and answers SNMP v1/v2c
 * (own BER codec, no net-snmp), TCP and HTTP; values move like real
 * ones and faults are injected from a scenario file or over the control
 * socket.  Everything runs on one libevent loop.
 */

#ifndef FACMON_SIM_H
#define FACMON_SIM_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "../../common/common.h"

#define SIM_OID_MAX	32	/* sub-identifiers of a device's objects */
#define SIM_REQ_OID_MAX	128	/* sub-identifiers accepted in requests */
#define SIM_PKT_MAX	4096	/* largest SNMP message answered */

/* ASN.1/SNMP tags */
#define BER_INT		0x02
#define BER_STR		0x04
#define BER_NULL	0x05
#define BER_OID		0x06
#define BER_SEQ		0x30
#define BER_IPADDR	0x40
#define BER_C32		0x41
#define BER_G32		0x42
#define BER_TT		0x43
#define BER_C64		0x46
#define BER_NOSUCHOBJ	0x80
#define BER_NOSUCHINST	0x81
#define BER_ENDOFVIEW	0x82
#define PDU_GET		0xa0
#define PDU_GETNEXT	0xa1
#define PDU_RESPONSE	0xa2
#define PDU_SET		0xa3
#define PDU_GETBULK	0xa5
#define PDU_TRAP2	0xa7

/* error-status values (RFC 3416) */
#define SNMP_ERR_TOOBIG		1
#define SNMP_ERR_NOSUCHNAME	2
#define SNMP_ERR_GENERR		5
#define SNMP_ERR_NOACCESS	6
#define SNMP_ERR_NOTWRITABLE	17

/* Where an object's value comes from when it is read. */
enum val_src {
	VS_CONST,	/* o->u / o->str, fixed at build time */
	VS_VAR,		/* dev->var[o->var] */
	VS_CNT32,	/* dev->var[o->var] + dev->c32_offset, 32 bits */
	VS_UPTIME,	/* hundredths of a second since the device booted */
	VS_HEARTBEAT,	/* DateAndTime of terminal o->var's last heartbeat */
	VS_HBAGE,	/* seconds since terminal o->var's last heartbeat */
	VS_TERMONLINE	/* 1 online, 2 offline, of terminal o->var */
};

struct obj {
	uint32_t	 oid[SIM_OID_MAX];
	uint8_t		 len;
	uint8_t		 baselen;	/* the object type, without instance */
	uint8_t		 type;		/* BER tag */
	uint8_t		 src;		/* enum val_src */
	uint16_t	 var;
	uint16_t	 slen;
	uint64_t	 u;		/* integer value, two's complement */
	char		*str;		/* OCTET STRING; an OID value is kept */
					/* as uint32_t arcs, slen of them */
};

enum model {
	M_GENERIC = 0, M_LINE, M_SWITCH, M_WLC, M_UPS, M_ELEVATOR, M_HVAC,
	M_LED, M_TERMGW, M_TERMINAL, M_SERVER, M_SENSOR, M_PLATFORM, M_METER,
	M_MAX
};

/*
 * Variables of the models without interfaces, from index 0; SNMP
 * objects (model.c) and Modbus registers (modbus.c) read the same ones.
 */
enum { E_STATE, E_FLOOR, E_DIR, E_DOOR, E_CODE, E_TRIPS, E_HOURS, E_RUNS,
	E_N };
enum { H_POWER, H_MODE, H_SET, H_SUP, H_RET, H_CODE, H_FILTER, H_HUM,
	H_CHOURS, H_COMP, H_N };
enum { L_POWER, L_SIGNAL, L_BRIGHT, L_TEMP, L_MODULES, L_FAILED, L_PIXELS,
	L_N };
enum { U_STATUS, U_ONBATT, U_MINREM, U_CHARGE, U_BTEMP, U_INV, U_SOURCE,
	U_OUTV, U_LOAD, U_LINEBADS, U_KWH, U_N };
enum { T_LASTHB, T_PROCS, T_USERS, T_CPU1, T_CPU2, T_N };
/* Power meter: volts x10, amperes x100, cos phi x1000, Hz x100, Wh. */
enum { P_VOLT, P_AMP, P_PF, P_HZ, P_WH, P_RATED, P_N };

enum fault_kind {
	FK_SILENT = 0,	/* no SNMP answer, TCP refused, HTTP never answers */
	FK_SLOW,	/* every answer late by arg ms (default 1200) */
	FK_SNMP_ERROR,	/* responses carry error-status arg (genErr) */
	FK_WRONG_TYPE,	/* numbers answered as strings and the reverse */
	FK_GARBAGE,	/* answers that are not BER at all */
	FK_COUNTER_WRAP,/* 32-bit counters pushed just below 2^32 */
	FK_REBOOT,	/* silent for the duration, then counters from 0 */
	FK_FLAP,	/* interface 1 toggles every arg s (default 5) */
	FK_ELEV_FAULT,	/* elevator out of service, fault code arg */
	FK_LED_MODULES,	/* one more LED module fails every arg s */
	FK_LED_SIGNAL,	/* LED wall input signal lost */
	FK_HVAC_ALARM,	/* HVAC unit fault code arg, filter alarm */
	FK_AP_OFFLINE,	/* access point arg (default 1) leaves the WLC */
	FK_HTTP_ERROR,	/* HTTP endpoints answer status arg (503) */
	FK_ON_BATTERY,	/* UPS input power lost */
	FK_COMPRESSOR,	/* HVAC compressor stopped, fault code arg */
	FK_OVERLOAD,	/* UPS or power meter over its rating */
	FK_MB_EXCEPTION,/* Modbus requests answered with exception arg */
	FK_MAX
};

struct fault {
	int		 kind;
	struct device	*dev;
	int64_t		 arg;
	int64_t		 start_ms;	/* wall clock */
	int64_t		 end_ms;	/* wall clock, 0: until cleared */
	int64_t		 next_ms;	/* next step of a progressive fault */
	int		 steps;
	const char	*by;		/* "scenario" or "ctl" */
};

struct tcpsvc;
struct mbsrv;
struct device {
	int		 idx;
	char		 id[FM_ID_MAX];
	char		 name[FM_TEXT_MAX];
	char		 class[FM_ID_MAX];
	char		 group[FM_ID_MAX];
	char		 addr[INET_ADDRSTRLEN];
	struct in_addr	 in;
	int		 model;
	int		 snmp_port;
	int		 http_port;	/* 0: none */
	int		 tcp_ports[4];
	int		 ntcp;
	char		 community[64];
	int		 cfg_line;
	char		 parent[FM_ID_MAX];	/* "" or the device it hangs off */
	int		 parent_idx;		/* into sim->devs, or -1 */

	/* model parameters */
	int		 nif;
	double		 rate;		/* octets/s per interface */
	uint64_t	 speed;		/* bits/s */
	uint64_t	 c32_offset;	/* added to 32-bit counters only */
	int		 nrows;		/* APs, LED modules, floors, ... */
	int		 max_clients;
	int		 hvac_setpoint;	/* tenths of a degree */

	struct obj	*objs;
	int		 nobj;
	int		 capobj;
	uint64_t	*var;
	int		 nvar;
	int64_t		 boot_ms;
	int		 elev_target;
	int		 elev_wait;

	struct fault	*fault[FK_MAX];

	int		 fd;		/* SNMP UDP socket */
	struct event	*ev;
	struct evhttp	*http;
	struct tcpsvc	*tcp;
	int		 modbus;	/* listens for Modbus TCP itself */
	int		 mb_unit;	/* its unit id, 0: no Modbus */
	char		 mb_gateway[FM_ID_MAX];	/* reached through this */
	int		 mb_gw_idx;		/* into sim->devs, or -1 */
	struct mbsrv	*mb;
	uint64_t	 nreq, nresp, ndrop;
};

struct sched_fault {
	char		 dev[FM_ID_MAX];
	int		 kind;
	int64_t		 arg;
	int		 has_arg;
	int64_t		 at_ms, every_ms, dur_ms;
	int64_t		 next_ms;	/* wall clock of the next start */
	int		 line;
};

struct sim {
	char		 file[4096];
	int		 snmp_port;
	int		 http_port;
	int		 modbus_port;
	char		 community[64];
	char		 ctl_path[108];
	char		 log_path[4096];
	char		 trap_host[INET_ADDRSTRLEN];
	int		 trap_port;
	struct sockaddr_in trap_sa;
	uint64_t	 seed;
	struct device	*devs;
	int		 ndevs;
	struct sched_fault *sched;
	int		 nsched;
	int64_t		 start_ms;
	struct event_base *base;
	FILE		*logf;
	uint64_t	 seq;
	uint64_t	 ntraps;
	uint64_t	 ndelayed;
};

extern struct sim *sim;

/* ber.c: BER for SNMP messages */
struct ber {
	const uint8_t	*p;
	const uint8_t	*end;
};
int	 ber_get_tlv(struct ber *, uint8_t *tag, struct ber *content);
int	 ber_get_int(struct ber *, int64_t *);
int	 ber_get_oid(struct ber *, uint32_t *, int max, int *len);
size_t	 ber_len_size(size_t);
uint8_t	*ber_put_hdr(uint8_t *, uint8_t tag, size_t len);
size_t	 ber_int_size(int64_t);
size_t	 ber_uint_size(uint64_t);
uint8_t	*ber_put_int(uint8_t *, uint8_t tag, int64_t);
uint8_t	*ber_put_uint(uint8_t *, uint8_t tag, uint64_t);
size_t	 ber_oid_size(const uint32_t *, int);
uint8_t	*ber_put_oid(uint8_t *, const uint32_t *, int);
int	 oid_parse(const char *, uint32_t *, int max);
int	 oid_cmp(const uint32_t *, int, const uint32_t *, int);

/* snmp.c */
size_t	 snmp_answer(struct device *, const uint8_t *, size_t, uint8_t *,
	    size_t);
void	 snmp_trap(struct device *, const char *trapoid, const char **oids,
	    int n);

/* model.c */
int	 model_parse(const char *);
const char *model_name(int);
int	 model_for_class(const char *);
int	 model_build(struct device *);
void	 model_tick(struct device *, double dt, int64_t now);
void	 model_fault(struct fault *, int on);
void	 model_fault_step(struct fault *, int64_t now);
const struct obj *obj_find(const struct device *, const uint32_t *, int,
	    int next, int *exact, int *instance);
uint64_t obj_value(const struct device *, const struct obj *, int *type,
	    const char **str, size_t *slen, uint8_t *tmp);
const struct fault *dev_silence(const struct device *);
int	 term_online(const struct device *);
size_t	 model_json(const struct device *, char *, size_t);
void	 model_seed(uint64_t);

/* scen.c */
int	 scen_load(struct sim *, const char *, struct cfgerr *);
void	 scen_start(struct sim *);
const char *fault_name(int);
int	 fault_parse(const char *);
int	 fault_inject(struct device *, int kind, int64_t dur_ms, int64_t arg,
	    int has_arg, const char *by, char *err, size_t errlen);
int	 fault_clear(struct device *, int kind, const char *by);
void	 faults_tick(int64_t now);
void	 truth(const struct device *, const char *fault, const char *event,
	    int64_t arg, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
struct device *dev_find(const char *);
int	 truth_dump(int fd, int64_t since_seq);

/* net.c */
int	 net_start(struct sim *);
void	 net_stop(struct sim *);
void	 tcp_set_enabled(struct device *, int);

/* modbus.c */
int	 modbus_listen(struct device *);
void	 modbus_stop(struct device *);
void	 modbus_stats(int fd);

/* ctl.c */
int	 ctl_listen(struct sim *);
void	 ctl_close(void);
int	 ctl_main(int, char **);

/* load.c */
int	 load_main(int, char **);

/* agentconf.c */
int	 agentconf_main(int, char **);

#endif /* FACMON_SIM_H */
