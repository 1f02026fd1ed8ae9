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
 * Why a probe failed, as a sentence a person acts on, in Chinese or
 * English.  The alerts (collector/alert/alert_text.c), the wall and the
 * device pages (the API's cause_text) and the report's cause columns all
 * say it with fm_probe_sentence(), so that an outage reads the same in
 * the e-mail, on the wall and in the monthly report.  It lives here
 * because the collector, the report and the alert test daemon all link
 * common/.
 *
 * The alerts know the check's type, timeout and duration; an outage in
 * the journal keeps only the device's cause text ("snmp: timeout: no
 * complete SNMP answer within 2000 ms", state.c).  fm_cause_text()
 * recovers what it can from such a text -- the outcome, the check type
 * from the agent's wording, the limits it names -- and says the same
 * sentence.  The raw text stays with the engineer's view (the API's
 * msg, the report's detail).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* "2秒", "800毫秒"; "2 s", "800 ms". */
static void
span_ms(char *dst, size_t len, int ms, int en)
{
	if (ms >= 1000 && ms % 1000 == 0)
		fm_fmt(dst, len, en ? "%d s" : "%d秒", ms / 1000);
	else
		fm_fmt(dst, len, en ? "%d ms" : "%d毫秒", ms);
}

const char *
fm_check_type_text(int t, int en)
{
	static const char *const zh[CT_MAX] = { "探测", "SNMP 查询", "Ping",
		"TCP 连接", "HTTP 请求", "ARP 探测", "在线检测", "Trap",
		"流量检测", "Modbus 查询" };
	static const char *const en_[CT_MAX] = { "probe", "SNMP query",
		"ping", "TCP connection", "HTTP request", "ARP probe",
		"presence check", "trap", "traffic check", "Modbus query" };

	if (t <= 0 || t >= CT_MAX)
		t = 0;
	return en ? en_[t] : zh[t];
}

/* The first run of three digits in s (an HTTP status), or "". */
static void
status_code(char *dst, size_t len, const char *s)
{
	size_t	 i, n;

	dst[0] = '\0';
	for (i = 0; s[i] != '\0'; i++) {
		for (n = 0; s[i + n] >= '0' && s[i + n] <= '9'; n++)
			;
		if (n == 3 && (s[i] == '1' || s[i] == '2' || s[i] == '3' ||
		    s[i] == '4' || s[i] == '5')) {
			fm_fmt(dst, len, "%.3s", s + i);
			return;
		}
		if (n > 0)
			i += n - 1;
	}
}

/* The first 'quoted' name in s (a JSON field, a header), or "". */
static void
quoted_name(char *dst, size_t len, const char *s)
{
	const char *a = strchr(s, '\''), *b;

	dst[0] = '\0';
	if (a == NULL || (b = strchr(a + 1, '\'')) == NULL || b - a - 1 <= 0 ||
	    (size_t)(b - a - 1) >= len || b - a - 1 > 40)
		return;
	fm_text_sanitize(dst, len, a + 1, (size_t)(b - a - 1));
}

/*
 * A Modbus exception, typed by its code: the agent's message names it
 * as "(exception N)" (agent/check_modbus.c), and the code says more to
 * the person on duty than the outcome does -- a gateway's exception 11
 * is "unreachable" for availability, but the cause is the device behind
 * the gateway, not the network.  0: the message names none.
 */
static int
modbus_sentence(char *dst, size_t len, const char *cause, int en)
{
	static const struct {
		int		 code;
		const char	*zh, *en;
	} exc[] = {
		{ 1, "非法功能码（设备不支持该读取功能）",
		    "illegal function (the device does not support this "
		    "read)" },
		{ 2, "非法数据地址（寄存器不存在，请核对寄存器表）",
		    "illegal data address (no such register: check the "
		    "register map)" },
		{ 3, "非法数据值（设备不接受所读数量或请求）",
		    "illegal data value (the device refused the quantity or "
		    "request)" },
		{ 4, "从站设备故障", "server device failure" },
		{ 5, "从站已接受请求，仍在处理", "acknowledged, still working" },
		{ 6, "从站设备忙", "server device busy" },
		{ 8, "从站存储奇偶校验错误", "memory parity error" },
		{ 10, "网关路径不可用（网关没有到该单元的路径）",
		    "gateway path unavailable (no path to that unit)" },
		{ 11, "网关后的目标设备无响应",
		    "gateway target device failed to respond" },
	};
	const char *p = strstr(cause, "(exception ");
	size_t	 i;
	int	 code;

	if (p == NULL || sscanf(p, "(exception %d)", &code) != 1)
		return 0;
	for (i = 0; i < sizeof(exc) / sizeof(exc[0]); i++)
		if (exc[i].code == code) {
			fm_fmt(dst, len, en ? "Modbus exception %d: %s" :
			    "Modbus 异常 %d：%s", code, en ? exc[i].en :
			    exc[i].zh);
			return 1;
		}
	fm_fmt(dst, len, en ? "Modbus exception %d" : "Modbus 异常 %d", code);
	return 1;
}

void
fm_probe_sentence(char *dst, size_t len, const struct fm_cause *c, int en)
{
	const char *T = fm_check_type_text(c->check_type, en);
	const char *msg = c->msg != NULL ? c->msg : "";
	char	 a[32], b[32];

	span_ms(a, sizeof(a), c->timeout_ms, en);
	if (c->check_type == CT_MODBUS && c->outcome != PR_OK &&
	    modbus_sentence(dst, len, msg, en))
		return;
	if (c->check_type == CT_MODBUS && c->outcome == PR_BAD_CONTENT) {
		fm_strlcpy(dst, en ? "malformed Modbus reply (the device or "
		    "gateway answered out of protocol)" : "Modbus 应答格式错误"
		    "（设备或网关不符合协议）", len);
		return;
	}
	switch (c->outcome) {
	case PR_OK:
		fm_strlcpy(dst, en ? "back to normal" : "已恢复正常", len);
		break;
	case PR_TIMEOUT:
		if (c->timeout_ms > 0)
			fm_fmt(dst, len, en ? "%s: no answer within %s" :
			    "%s在%s内无应答", T, a);
		else
			fm_fmt(dst, len, en ? "%s: no answer" :
			    "%s无应答", T);
		break;
	case PR_REFUSED:
		fm_fmt(dst, len, en ? "%s refused (port closed or service "
		    "not running)" : "%s被拒绝（端口未开放或服务未运行）", T);
		break;
	case PR_UNREACHABLE:
		fm_strlcpy(dst, en ? "network unreachable (route or link "
		    "down)" : "网络不可达（路由或链路中断）", len);
		break;
	case PR_RESOLVE:
		fm_strlcpy(dst, en ? "host name could not be resolved" :
		    "域名解析失败", len);
		break;
	case PR_BAD_STATUS:
		status_code(b, sizeof(b), msg);
		if (b[0] != '\0')
			fm_fmt(dst, len, en ? "answered with status %s" :
			    "返回异常状态码 %s", b);
		else
			fm_strlcpy(dst, en ? "answered with an error status" :
			    "返回异常状态", len);
		break;
	case PR_BAD_CONTENT:
		quoted_name(b, sizeof(b), msg);
		if (b[0] != '\0')
			fm_fmt(dst, len, en ? "unexpected content in the "
			    "answer (field %s)" : "返回内容不符合预期（字段 %s）",
			    b);
		else
			fm_strlcpy(dst, en ? "unexpected content in the answer" :
			    "返回内容不符合预期", len);
		break;
	case PR_SLOW:
		span_ms(b, sizeof(b), c->dur_ms, en);
		fm_fmt(dst, len, en ? "%s slow: answered in %s" :
		    "%s响应过慢：用时%s", T, b);
		break;
	case PR_SNMP_ERROR:
		fm_strlcpy(dst, en ? "SNMP error (community, access rights or "
		    "device fault)" : "SNMP 返回错误（团体名、权限或设备故障）",
		    len);
		break;
	case PR_SNMP_NOSUCH:
		fm_strlcpy(dst, en ? "the device does not have the SNMP object "
		    "asked for" : "设备上不存在所查询的 SNMP 对象", len);
		break;
	case PR_TLS:
		fm_strlcpy(dst, en ? "TLS certificate or handshake failed" :
		    "TLS 证书或握手失败", len);
		break;
	case PR_IO_ERROR:
		fm_strlcpy(dst, en ? "input/output error on the connection" :
		    "连接读写错误", len);
		break;
	case PR_INTERNAL:
		fm_strlcpy(dst, en ? "the agent could not run the probe" :
		    "采集端内部错误，未能探测", len);
		break;
	case PR_BAD_VALUE:
		fm_strlcpy(dst, en ? "a value is outside its expected range" :
		    "取值超出正常范围", len);
		break;
	default:
		fm_strlcpy(dst, en ? "probe failed" : "探测失败", len);
	}
}

/* The number after the first of pre in s, or 0. */
static int
number_after(const char *s, const char *pre)
{
	const char *p = strstr(s, pre);

	return p != NULL ? (int)strtol(p + strlen(pre), NULL, 10) : 0;
}

/*
 * The check type from the agent's own wording (agent/check_*.c): the
 * journal keeps the check's name, which is the operator's, not its type.
 */
static int
type_of_msg(const char *m)
{
	if (strstr(m, "Modbus") != NULL || strstr(m, "(exception ") != NULL)
		return CT_MODBUS;
	if (strstr(m, "SNMP") != NULL || strstr(m, "(genError)") != NULL ||
	    strstr(m, "no such object") != NULL ||
	    strstr(m, "sysUpTime") != NULL)
		return CT_SNMP;
	if (strstr(m, "HTTP") != NULL || strstr(m, "JSON") != NULL ||
	    strstr(m, "body ") != NULL || strstr(m, "bytes received") != NULL)
		return CT_HTTP;
	if (strstr(m, "echo reply") != NULL || strstr(m, "round trip") != NULL)
		return CT_ICMP;
	if (strstr(m, "ARP") != NULL)
		return CT_ARP;
	if (strstr(m, "connect port") != NULL)
		return CT_TCP;
	if (strstr(m, "never heard") != NULL ||
	    strstr(m, "nothing heard") != NULL)
		return CT_PRESENCE;
	return 0;
}

/* The time limit a message names: "within 2000 ms", "after 2000 ms". */
static int
limit_of_msg(const char *m)
{
	int	 v;

	if ((v = number_after(m, "within ")) > 0 && strstr(m, " ms") != NULL)
		return v;
	if ((v = number_after(m, "timed out after ")) > 0)
		return v;
	return number_after(m, "limit ");
}

void
fm_cause_text(char *dst, size_t len, const char *text, int check_type,
    int outcome, int timeout_ms, int dur_ms, int en)
{
	struct fm_cause c;
	char	 head[64], id[64];
	const char *p, *q;
	int	 o;

	if (text == NULL)
		text = "";
	/* The device's own causes (collector/state/state.c). */
	if (strcmp(text, "its parent is back") == 0) {
		fm_strlcpy(dst, en ? "the device it hangs off is back, this "
		    "one still fails" : "上级设备已恢复，本设备仍未恢复", len);
		return;
	}
	if (strcmp(text, "its parent is down") == 0) {
		fm_strlcpy(dst, en ? "the device it hangs off is down" :
		    "上级设备中断，本设备无法访问", len);
		return;
	}
	if (strcmp(text, "no result from the agent") == 0) {
		fm_strlcpy(dst, en ? "no result from the agent" :
		    "采集代理未上报结果", len);
		return;
	}
	if (strcmp(text, "its checks changed") == 0) {
		fm_strlcpy(dst, en ? "its checks were changed" :
		    "检查项配置已变更", len);
		return;
	}
	/* A mapped trap: the rest is the operator's own wording. */
	if (strncmp(text, "trap: ", 6) == 0) {
		fm_fmt(dst, len, en ? "the device reported: %s" :
		    "设备上报：%s", text + 6);
		return;
	}
	/* "check: outcome: message" (state.c) or only the message. */
	memset(&c, 0, sizeof(c));
	c.check_type = check_type;
	c.outcome = outcome;
	c.timeout_ms = timeout_ms;
	c.dur_ms = dur_ms;
	c.msg = text;
	if ((o = probe_result_parse(text)) >= 0) {
		c.outcome = o;
		c.msg = "";
	} else if ((p = strstr(text, ": ")) != NULL) {
		q = strstr(p + 2, ": ");
		fm_fmt(head, sizeof(head), "%.*s", (int)((q != NULL ? q :
		    p + 2 + strlen(p + 2)) - (p + 2)), p + 2);
		if ((o = probe_result_parse(head)) >= 0) {
			c.outcome = o;
			c.msg = q != NULL ? q + 2 : "";
			/* A check named by its type ("http") says it. */
			fm_fmt(id, sizeof(id), "%.*s", (int)(p - text), text);
			if (c.check_type <= 0 && type_of_msg(c.msg) == 0 &&
			    (o = check_type_parse(id)) > 0)
				c.check_type = o;
		}
	}
	if (c.outcome < 0 || c.outcome >= PR_MAX) {
		/* Not a probe's: nothing to word, say it as it came. */
		fm_text_sanitize(dst, len, text, strlen(text));
		return;
	}
	if (c.check_type <= 0)
		c.check_type = type_of_msg(c.msg);
	if (c.timeout_ms <= 0)
		c.timeout_ms = limit_of_msg(c.msg);
	if (c.dur_ms <= 0)
		c.dur_ms = number_after(c.msg, "took ");
	fm_probe_sentence(dst, len, &c, en);
}
