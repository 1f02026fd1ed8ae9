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
 * libFuzzer target for the frame decoder: any bytes go through
 * fm_frame_parse() and, for a whole frame, through the decoder of its
 * type, exactly as the collector and the agent read them.  Under ASan
 * and UBSan this finds reads past the payload, bad frees and counts that
 * allocate before they are checked.  "make fuzz" runs it longer.
 */

#include <stddef.h>
#include <stdint.h>

#include "../../common/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct fm_hdr h;
	struct fm_hello hello;
	struct fm_welcome w;
	struct fm_ack a;
	struct fm_batch bt;
	struct fm_devices ds;
	struct fm_agent_event ev;
	struct fm_valmeta vm;
	char	 err[256], msg[FM_TEXT_MAX];
	uint16_t code;

	if (fm_frame_parse(p, len, &h, err, sizeof(err)) != 1)
		return 0;
	p += FM_HDR_LEN;
	switch (h.type) {
	case FM_HELLO:
		fm_get_hello(p, h.len, &hello, err, sizeof(err));
		break;
	case FM_WELCOME:
		fm_get_welcome(p, h.len, &w, err, sizeof(err));
		break;
	case FM_DEVICES:
		if (fm_get_devices(p, h.len, &ds, err, sizeof(err)) == 0)
			fm_devices_free(&ds);
		break;
	case FM_BATCH:
		if (fm_get_batch(p, h.len, &bt, err, sizeof(err)) == 0)
			fm_batch_free(&bt);
		break;
	case FM_ACK:
		fm_get_ack(p, h.len, &a, err, sizeof(err));
		break;
	case FM_ERROR:
		fm_get_error(p, h.len, &code, msg, sizeof(msg), err,
		    sizeof(err));
		break;
	case FM_EVENT:
		fm_get_event(p, h.len, &ev, err, sizeof(err));
		break;
	case FM_VALMETA:
		if (fm_get_valmeta(p, h.len, &vm, err, sizeof(err)) == 0)
			fm_valmeta_free(&vm);
		break;
	}
	return 0;
}
