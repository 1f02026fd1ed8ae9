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
 * The alert layer's pure parts: both request signers against the worked
 * examples of the providers' documentation, the mail message against
 * header injection, HTML and JSON escaping, SMS variables without links
 * or addresses, the 70-character SMS text, and the "alerts" config.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../collector/alert/alert.h"
#include "alert_load.h"

/*
 * Aliyun SMS "signature" document, SendSms example: AccessKeyId testId,
 * secret testSecret, GET; the documented result.
 */
static void
test_aliyun_doc_vector(void **state)
{
	const char *kv[] = {
		"AccessKeyId", "testId", "Action", "SendSms",
		"Format", "XML", "OutId", "123",
		"PhoneNumbers", "15300000001", "RegionId", "cn-hangzhou",
		"SignName", "阿里云短信测试专用",
		"SignatureMethod", "HMAC-SHA1",
		"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466",
		"SignatureVersion", "1.0", "TemplateCode", "SMS_71390007",
		"TemplateParam", "{\"customer\":\"test\"}",
		"Timestamp", "2017-07-12T02:42:19Z", "Version", "2017-05-25",
	};
	char	 sig[64];

	(void)state;
	assert_int_equal(aliyun_signature("GET", kv, 14, "testSecret", sig,
	    sizeof(sig)), 0);
	assert_string_equal(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
}

/*
 * Tencent Cloud "Signature v3" document: CVM DescribeInstances, POST,
 * timestamp 1551113065; the documented signature.
 */
static void
test_tc3_doc_vector(void **state)
{
	char	 sig[65], date[16];

	(void)state;
	assert_int_equal(tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	    "cvm", "cvm.tencentcloudapi.com",
	    "application/json; charset=utf-8",
	    "{\"Limit\": 1, \"Filters\": [{\"Values\": "
	    "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}",
	    1551113065, sig, sizeof(sig), date, sizeof(date)), 0);
	assert_string_equal(date, "2019-02-25");
	assert_string_equal(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f51"
	    "6e8da2f66e2c5a96525168");
}

static void
fill(struct alert_msg *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	fm_strlcpy(m->key, "out-ups1-42", sizeof(m->key));
	m->kind = AK_DOWN;
	fm_strlcpy(m->device_id, "ups1", sizeof(m->device_id));
	fm_strlcpy(m->device_name, name, sizeof(m->device_name));
	fm_strlcpy(m->check, "ping", sizeof(m->check));
	fm_strlcpy(m->cause, "timeout", sizeof(m->cause));
	m->since_ms = 1700000000000LL;
	m->duration_ms = 125000;
	fm_strlcpy(m->link, "http://127.0.0.1/d/ups1", sizeof(m->link));
}

static void
test_mail_no_header_injection(void **state)
{
	struct alert_channel ch;
	struct alert_msg m;
	char	*msg, err[256], *hdr_end;
	size_t	 len;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	fm_strlcpy(ch.from, "facmon@example.org", sizeof(ch.from));
	fill(&m, "UPS\r\nBcc: victim@example.org\r\n\r\n<script>x</script>");
	assert_int_equal(smtp_build_message(&msg, &len, &ch, "duty@example.org",
	    &m, "out-ups1-42.duty.0", err, sizeof(err)), 0);
	hdr_end = strstr(msg, "\r\n\r\n");
	assert_non_null(hdr_end);
	*hdr_end = '\0';
	assert_null(strstr(msg, "Bcc:"));
	assert_null(strstr(msg, "\nBcc"));
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(msg, "Message-ID: <out-ups1-42.duty.0@"
	    "example.org>"));
	free(msg);
	/* Addresses with CR or LF never reach libcurl. */
	assert_int_equal(smtp_build_message(&msg, &len, &ch,
	    "a@example.org\r\nRCPT TO:<b@example.org>", &m, "x", err,
	    sizeof(err)), -1);
	assert_int_equal(alert_valid_email("a@b.org\n"), 0);
	assert_int_equal(alert_valid_email("a b@c.org"), 0);
	assert_int_equal(alert_valid_email("duty@example.org"), 1);
}

static void
test_subject_words(void **state)
{
	char	 out[1024], *p;

	(void)state;
	assert_int_equal(smtp_encode_subject(out, sizeof(out),
	    "[facmon] 故障: 一楼大厅电梯一号机 控制器通信 超时超时超时超时"), 0);
	/* Every encoded word is at most 75 characters. */
	for (p = strtok(out, "\r\n "); p != NULL; p = strtok(NULL, "\r\n ")) {
		assert_true(strlen(p) <= 75);
		assert_memory_equal(p, "=?UTF-8?B?", 10);
	}
}

static void
test_html_escape(void **state)
{
	char	 out[128];

	(void)state;
	alert_html_escape(out, sizeof(out), "<b a=\"1\">&'");
	assert_string_equal(out, "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
}

static void
test_sms_vars(void **state)
{
	char	 out[256];

	(void)state;
	alert_var_sanitize(out, sizeof(out), "见 http://evil.example/x 处理", 20);
	assert_null(strstr(out, "http"));
	assert_null(strstr(out, "evil"));
	alert_var_sanitize(out, sizeof(out), "UPS 192.168.1.20:161 掉线", 20);
	assert_null(strstr(out, "192"));
	assert_non_null(strstr(out, "UPS"));
	alert_var_sanitize(out, sizeof(out), "www.example.cn 和 example.com",
	    20);
	assert_null(strstr(out, "example"));
	alert_var_sanitize(out, sizeof(out), "fe80::1 ${code}\r\n 机房", 20);
	assert_null(strstr(out, "fe80"));
	assert_null(strchr(out, '$'));
	assert_null(strchr(out, '{'));
	assert_null(strchr(out, '\n'));
	/* Ordinary names survive. */
	alert_var_sanitize(out, sizeof(out), "UPS-2.1 机房", 20);
	assert_string_equal(out, "UPS-2.1 机房");
	alert_var_sanitize(out, sizeof(out),
	    "一二三四五六七八九十一二三四五六七八九十一二三", 20);
	assert_int_equal(alert_utf8_chars(out), 20);
}

static void
test_sms_text(void **state)
{
	struct alert_msg m;
	char	 out[1024];

	(void)state;
	fill(&m, "一楼大厅东侧电梯一号机控制柜通信模块与楼宇自控系统之间的连接"
	    "以及二楼机房");
	fm_strlcpy(m.cause, "连续三次探测超时，无应答，请尽快到现场检查", sizeof(m.cause));
	alert_sms_text(out, sizeof(out), &m, 0);
	assert_true(alert_utf8_chars(out) <= 70);
	/* No signature configured: none, never a made-up one. */
	assert_true(strncmp(out, "[提示] 故障：", strlen("[提示] 故障：")) == 0);
	assert_null(strstr(out, "facmon"));
	alert_sms_text(out, sizeof(out), &m, 1);
	/* ASCII only: the GSM alphabet's 160 characters. */
	assert_true(alert_utf8_chars(out) <= 160);
	assert_non_null(strstr(out, "DOWN"));
}

/*
 * Composed to fit: the least important parts go first; what is
 * shortened is cut between Chinese characters, never inside a Latin
 * word or a number.
 */
static void
test_sms_words(void **state)
{
	struct alert_channel ch;
	struct alert_msg m;
	char	 out[1024], full[1024];
	const char *p;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	fm_strlcpy(ch.signature, "【测试中心】", sizeof(ch.signature));
	ch.has_signature = 1;
	fill(&m, "3号楼 Siemens PXC100-E.D 楼宇控制器 BACnet/IP gateway 4F "
	    "east wing");
	m.severity = AS_CRITICAL;
	m.f.what = AW_PROBE;
	m.f.outcome = PR_TIMEOUT;
	m.f.check_type = CT_SNMP;
	m.f.timeout_ms = 2000;
	fm_strlcpy(m.f.address, "10.8.1.21", sizeof(m.f.address));
	ch.segments = 1;
	alert_compose_sms(out, sizeof(out), NULL, &ch, &m);
	ch.segments = 5;
	alert_compose_sms(full, sizeof(full), NULL, &ch, &m);
	assert_true(alert_utf8_chars(out) <= 70);
	assert_true(strncmp(out, "【测试中心】[严重] 故障：",
	    strlen("【测试中心】[严重] 故障：")) == 0);
	/* The long text has all of it, the short one whole words. */
	assert_non_null(strstr(full, "10.8.1.21"));
	for (p = out; *p; p++) {
		size_t	 n = 0;
		char	 w[64];

		while (p[n] && ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' &&
		    p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
		    strchr("./-", p[n]) != NULL))
			n++;
		if (n == 0 || n >= sizeof(w))
			continue;
		memcpy(w, p, n);
		w[n] = '\0';
		/* Every word of the SMS is a word of the full text. */
		assert_non_null(strstr(full, w));
		assert_true(p[n] == '\0' || p[n] == ' ' || (unsigned char)p[n] >=
		    0x80 || strchr(",:;()", p[n]) != NULL);
		p += n - 1;
	}
	assert_null(strstr(out, "已0秒"));
	m.duration_ms = 0;
	alert_compose_sms(out, sizeof(out), NULL, &ch, &m);
	assert_null(strstr(out, "已0秒"));
	assert_null(strstr(out, "已持续0"));
}

static void
test_url_join(void **state)
{
	char	 out[64];

	(void)state;
	assert_int_equal(fm_url_join(out, sizeof(out), "http://h:8080/",
	    "#device/x"), 0);
	assert_string_equal(out, "http://h:8080/#device/x");
	assert_int_equal(fm_url_join(out, sizeof(out), "http://h:8080",
	    "#device/x"), 0);
	assert_string_equal(out, "http://h:8080/#device/x");
	assert_int_equal(fm_url_join(out, sizeof(out), "http://h/fm//",
	    "/#device/x"), 0);
	assert_string_equal(out, "http://h/fm/#device/x");
	/* Too long: nothing, never a cut link. */
	assert_int_equal(fm_url_join(out, 16, "http://example.org/",
	    "#device/x"), -1);
	assert_string_equal(out, "");
}

static void
test_webhook_render(void **state)
{
	struct alert_msg m;
	struct alert_recipient r;
	char	*out, err[128];
	json_t	*o;

	(void)state;
	memset(&r, 0, sizeof(r));
	fm_strlcpy(r.phone, "+8613800000000", sizeof(r.phone));
	fill(&m, "a\"b\\c\n${key}<i>");
	assert_int_equal(webhook_render(&out, "{\"n\": \"${name}\", \"p\": "
	    "\"${phone}\", \"k\": \"${key}\"}", &m, &r, 0, err,
	    sizeof(err)), 0);
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "n")),
	    "a\"b\\c ${key}<i>");
	assert_string_equal(json_string_value(json_object_get(o, "k")),
	    "out-ups1-42");
	assert_null(strchr(out, '<'));
	json_decref(o);
	free(out);
}

static void
test_conf(void **state)
{
	struct cfgerr e;
	struct alert_conf *c;

	(void)state;
	c = load_text("alerts: { channels = ("
	    "{ name = \"mail\"; type = \"smtp\"; host = \"127.0.0.1\"; "
	    "  tls = \"implicit\"; from = \"f@example.org\"; },"
	    "{ name = \"gsm\"; type = \"gammu\"; spool_dir = \"/tmp\"; },"
	    "{ name = \"ali\"; type = \"aliyun\"; url = \"http://127.0.0.1:1/\";"
	    "  access_key_id = \"a\"; access_key_secret = \"b\"; "
	    "  sign_name = \"s\"; template = \"SMS_1\"; });"
	    "recipients = ( { name = \"duty\"; email = \"d@example.org\"; "
	    "  phone = \"+8613800000000\"; } );"
	    "deliver = ( [\"mail\"], [\"gsm\", \"ali\"] ); };\n", &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_int_equal(c->nchains, 2);
	assert_int_equal(c->chains[1].n, 2);
	assert_int_equal(c->channels[0].port, 465);
	alert_conf_free(c);
	cfgerr_free(&e);

	c = load_text("alerts: { channels = ("
	    "{ name = \"mail\"; type = \"smtp\"; host = \"h\\r\\nX\"; "
	    "  from = \"f@example.org\"; },"
	    "{ name = \"ali\"; type = \"aliyun\"; url = \"ftp://x/\"; "
	    "  access_key_id = \"a\"; access_key_secret = \"b\"; "
	    "  sign_name = \"s\"; template = \"t\"; variables = [\"link\"]; });"
	    "recipients = ( { name = \"duty\"; email = \"d@e.org\\nBcc: x\"; }"
	    " );\n deliver = ( [\"nope\"] ); };\n", &e);
	assert_null(c);
	assert_int_equal(e.n, 5);
	cfgerr_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aliyun_doc_vector),
		cmocka_unit_test(test_tc3_doc_vector),
		cmocka_unit_test(test_mail_no_header_injection),
		cmocka_unit_test(test_subject_words),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_sms_vars),
		cmocka_unit_test(test_sms_text),
		cmocka_unit_test(test_sms_words),
		cmocka_unit_test(test_url_join),
		cmocka_unit_test(test_webhook_render),
		cmocka_unit_test(test_conf),
	};

	log_init("test_alert", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
