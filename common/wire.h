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
 * The agent -> collector protocol.  See docs/wire.md.
 *
 * A connection is a stream of frames.  Each frame has a 12-byte header:
 *
 *	0  'F' 'M'		magic
 *	2  version (1)
 *	3  type (enum fm_msg)
 *	4  payload length, u32 big-endian, at most FM_FRAME_MAX
 *	8  CRC-32C of the payload, u32 big-endian
 *
 * and a payload of typed fields, all integers big-endian, strings as a
 * u16 length and that many bytes (no NUL), doubles as their IEEE bits in
 * a u64.  Every length is checked against its limit before anything is
 * allocated, and a decoder never reads past the payload.
 *
 * The agent says HELLO (agent id, session id, auth), the collector
 * answers WELCOME with the last sequence it has acknowledged for that
 * session, the agent sends DEVICES (what it monitors) and then BATCHes of
 * results, each acknowledged by an ACK carrying its sequence number.
 */

#ifndef FACMON_WIRE_H
#define FACMON_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define FM_MAGIC0		'F'
#define FM_MAGIC1		'M'
#define FM_PROTO_VERSION	1	/* the frame header's; see FM_PROTO_LEVEL */
/*
 * The protocol level, negotiated in HELLO and WELCOME (docs/wire.md,
 * "Versions"); the frame version stays 1 so that every frame still
 * reaches an older peer.  Each side uses the lower of the two levels and
 * sends nothing a lower level does not know.
 *
 *	1  the first release: HELLO's fourth string empty, WELCOME
 *	   status, last seq, clock (17 bytes)
 *	2  HELLO's fourth string carries capabilities ("proto=2"); the
 *	   collector's WELCOME adds its level (u16) for an agent of level 2
 *	   or more
 *	3  VALMETA: what the values of a check are (label, unit, enum
 *	   words, importance), sent only to a collector of level 3
 */
#define FM_PROTO_LEVEL		3
/* The agent's spool holds frames as they were sent. */
_Static_assert(FM_SPOOL_VERSION == FM_PROTO_VERSION,
    "a spool version is a frame version");
#define FM_HDR_LEN		12
#define FM_FRAME_MAX		(4U * 1024 * 1024)
#define FM_BATCH_MAX		8192	/* results in one batch */
/*
 * Values in one result: a walked table of a real switch (a few columns of
 * ifTable and ifXTable over hundreds of ports) must fit.  A result's
 * encoded size must also fit a frame: FM_RESULT_BYTES_MAX.
 */
#define FM_VALUES_MAX		16384
#define FM_RESULT_BYTES_MAX	(FM_FRAME_MAX - 4096)
#define FM_DEVICES_MAX		65536
/* Bytes of invalid UTF-8 replaced by the decoder (wire.c). */
extern uint64_t fm_wire_text_repaired;

#define FM_CHECKS_MAX		64	/* checks per device */

enum fm_msg {
	FM_HELLO = 1,
	FM_WELCOME,
	FM_DEVICES,
	FM_BATCH,
	FM_ACK,
	FM_ERROR,
	FM_EVENT,
	FM_VALMETA,		/* level 3 */
	FM_MSG_MAX
};

/* A growing output buffer; a failed allocation sets err and sticks. */
struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

/* A bounded input cursor; reading past the end sets err and sticks. */
struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

struct fm_hdr {
	uint8_t		 version;
	uint8_t		 type;
	uint32_t	 len;
	uint32_t	 crc;
};

struct fm_hello {
	char		 agent[FM_ID_MAX];
	uint64_t	 session;
	char		 version[32];
	/*
	 * Capabilities, "name=value" words separated by spaces; the first
	 * release sent "" (the field was reserved for authentication, which
	 * TLS does) and never read it.  fm_put_hello() writes the level,
	 * fm_get_hello() reads it back, 1 when absent.
	 */
	char		 caps[FM_TEXT_MAX];
	uint16_t	 level;
};

struct fm_welcome {
	uint8_t		 status;	/* 0 accepted, else enum fm_err */
	uint64_t	 last_seq;	/* highest seq acknowledged for the session */
	int64_t		 server_ms;
	/*
	 * The collector's level; written only when not 0, which the
	 * collector sets for an agent of level 1 (whose decoder refuses
	 * trailing bytes); read as 1 when absent.
	 */
	uint16_t	 level;
};

struct fm_ack {
	uint64_t	 session;
	uint64_t	 seq;
};

enum fm_err {
	FME_OK = 0,
	FME_PROTO,		/* malformed frame */
	FME_VERSION,		/* unsupported protocol version */
	FME_UNKNOWN_AGENT,
	FME_AUTH,
	FME_SEQUENCE,
	FME_BUSY
};

struct fm_value {
	char		 name[FM_VNAME_MAX];
	uint8_t		 kind;		/* enum value_kind */
	double		 d;		/* gauge, or counter rate (NaN: none yet) */
	uint64_t	 u;		/* raw counter */
	char		*text;		/* VK_TEXT, heap, at most FM_VTEXT_MAX-1 */
};

struct fm_result {
	char		 device[FM_ID_MAX];
	char		 check[FM_ID_MAX];
	uint8_t		 type;		/* enum check_type */
	uint8_t		 outcome;	/* enum probe_result */
	int64_t		 ts_ms;		/* wall clock at probe start */
	uint32_t	 dur_us;	/* probe duration */
	char		 msg[FM_ERRMSG_MAX];
	uint16_t	 nvalues;
	struct fm_value	*values;
	/* Not on the wire: what the result takes encoded, and values refused. */
	size_t		 wire_bytes;
	uint32_t	 nrefused;
};

struct fm_batch {
	uint64_t	 session;
	uint64_t	 seq;
	uint32_t	 n;
	struct fm_result *r;
};

/* Something the agent reports about itself, e.g. spool drops. */
struct fm_agent_event {
	char		 kind[32];	/* an id: "spool-drop", ... */
	uint64_t	 value;		/* a running total, never reset */
	uint64_t	 value2;
	char		 msg[FM_TEXT_MAX];
};

struct fm_checkinfo {
	char		 id[FM_ID_MAX];
	uint8_t		 type;
	uint32_t	 interval_ms;
	uint32_t	 timeout_ms;
	uint8_t		 critical;
};

struct fm_devinfo {
	char		 id[FM_ID_MAX];
	char		 name[FM_TEXT_MAX];
	char		 class[FM_ID_MAX];
	char		 group[FM_ID_MAX];
	char		 address[FM_TEXT_MAX];
	char		 parent[FM_ID_MAX];	/* "" or the device it hangs off */
	uint16_t	 nchecks;
	struct fm_checkinfo *checks;
};

struct fm_devices {
	uint32_t	 n;
	struct fm_devinfo *d;
};

/*
 * What the values of one check are, for people: a VALMETA message
 * (level 3).  It describes and measures nothing, so it is never spooled
 * and never journaled; the agent sends it again after every connect.
 * Columns and rows are listed once and each value points at one of each
 * (or at none): a port's label and alias are not repeated for every
 * column of the port.
 */
#define FM_VM_COLS_MAX		256
#define FM_VM_COLNAME_MAX	64	/* with NUL, like a table's column */
#define FM_VM_UNIT_MAX		32
#define FM_VM_ENUMS_MAX		1024	/* "1:up,2:down", with NUL */
#define FM_VM_NONE		0xffff	/* no column, or no row */

struct fm_vmcol {
	/* "ifOperStatus"; the unit after scaling, UTF-8 */
	char		 name[FM_VM_COLNAME_MAX];
	char		 unit[FM_VM_UNIT_MAX];
	double		 scale;		/* value (or rate) * scale */
	char		*enums;		/* heap or NULL, < FM_VM_ENUMS_MAX */
	uint8_t		 important;
};

struct fm_vmrow {
	/*
	 * Heap strings or NULL, each under FM_TEXT_MAX bytes: most labels
	 * are short, and a collector keeps the rows of every switch.
	 */
	char		*label;		/* "GigabitEthernet0/0/1" */
	char		*alias;		/* ifAlias */
	uint8_t		 important;
};

struct fm_vmval {
	char		*name;		/* heap, < FM_VNAME_MAX bytes */
	uint16_t	 col;		/* index into cols, or FM_VM_NONE */
	uint16_t	 row;		/* index into rows, or FM_VM_NONE */
};

struct fm_valmeta {
	char		 device[FM_ID_MAX];
	char		 check[FM_ID_MAX];
	uint16_t	 ncols;
	struct fm_vmcol	*cols;
	uint16_t	 nrows;
	struct fm_vmrow	*rows;
	uint32_t	 nvals;
	struct fm_vmval	*vals;
};

/* wire.c: buffers */
void	 wbuf_init(struct wbuf *);
void	 wbuf_free(struct wbuf *);
void	 wbuf_reset(struct wbuf *);
void	 wbuf_put(struct wbuf *, const void *, size_t);
void	 wbuf_u8(struct wbuf *, uint8_t);
void	 wbuf_u16(struct wbuf *, uint16_t);
void	 wbuf_u32(struct wbuf *, uint32_t);
void	 wbuf_u64(struct wbuf *, uint64_t);
void	 wbuf_double(struct wbuf *, double);
void	 wbuf_str(struct wbuf *, const char *);
void	 rbuf_init(struct rbuf *, const void *, size_t);
uint8_t	 rbuf_u8(struct rbuf *);
uint16_t rbuf_u16(struct rbuf *);
uint32_t rbuf_u32(struct rbuf *);
uint64_t rbuf_u64(struct rbuf *);
double	 rbuf_double(struct rbuf *);
void	 rbuf_str(struct rbuf *, char *, size_t);

/* wire.c: frames */
size_t	 fm_frame_begin(struct wbuf *, uint8_t type);
void	 fm_frame_end(struct wbuf *, size_t start);
int	 fm_frame_parse(const uint8_t *, size_t avail, struct fm_hdr *,
	    char *err, size_t errlen);

/* wire.c: messages.  Decoders return 0, or -1 with err filled. */
uint16_t fm_level_min(uint16_t peer);
void	 fm_put_hello(struct wbuf *, const struct fm_hello *);
int	 fm_get_hello(const uint8_t *, size_t, struct fm_hello *,
	    char *err, size_t errlen);
void	 fm_put_welcome(struct wbuf *, const struct fm_welcome *);
int	 fm_get_welcome(const uint8_t *, size_t, struct fm_welcome *,
	    char *err, size_t errlen);
void	 fm_put_ack(struct wbuf *, const struct fm_ack *);
int	 fm_get_ack(const uint8_t *, size_t, struct fm_ack *,
	    char *err, size_t errlen);
void	 fm_put_error(struct wbuf *, uint16_t code, const char *msg);
int	 fm_get_error(const uint8_t *, size_t, uint16_t *code,
	    char *msg, size_t msglen, char *err, size_t errlen);
void	 fm_put_batch(struct wbuf *, uint64_t session, uint64_t seq,
	    const struct fm_result *const *, uint32_t n);
int	 fm_get_batch(const uint8_t *, size_t, struct fm_batch *,
	    char *err, size_t errlen);
void	 fm_batch_free(struct fm_batch *);
void	 fm_put_event(struct wbuf *, const struct fm_agent_event *);
int	 fm_get_event(const uint8_t *, size_t, struct fm_agent_event *,
	    char *err, size_t errlen);
void	 fm_put_devices(struct wbuf *, const struct fm_devinfo *, uint32_t n);
void	 fm_put_device(struct wbuf *, const struct fm_devinfo *);
int	 fm_get_devices(const uint8_t *, size_t, struct fm_devices *,
	    char *err, size_t errlen);
void	 fm_devices_free(struct fm_devices *);
void	 fm_put_valmeta(struct wbuf *, const struct fm_valmeta *);
int	 fm_get_valmeta(const uint8_t *, size_t, struct fm_valmeta *,
	    char *err, size_t errlen);
void	 fm_valmeta_free(struct fm_valmeta *);
void	 fm_result_clear(struct fm_result *);
size_t	 fm_result_wire_len(const struct fm_result *);

#endif /* FACMON_WIRE_H */
