# facmon - network and facility monitoring.  GNU make.
#
#   make          build build/facmon-agent and build/facmon-collector
#   make deps     install the Debian packages below that are missing
#   make run      build, then start the demo (see README.md)
#   make check    all tests: unit tests under ASan/UBSan, then integration
#   make install  install under DESTDIR and PREFIX (FHS paths, below)
#   make package-test  build the Debian packages, install them in a chroot

# What building and running the demo needs (make run installs these).
RUN_PKGS = build-essential pkg-config \
	libsnmp-dev snmp \
	libpcap-dev librrd-dev \
	libevent-dev libconfig-dev libssl-dev libcurl4-openssl-dev \
	libjansson-dev libcrypt-dev libcap-dev \
	libcairo2-dev libpango1.0-dev libxlsxwriter-dev fonts-noto-cjk \
	curl libmodbus-dev
# What the tests need besides (make deps and make check install all).
CHECK_PKGS = libcmocka-dev snmpd rrdtool \
	python3 iproute2 iputils-ping procps fping \
	smitools snmptrapd clang-14 libclang-rt-14-dev \
	poppler-utils python3-openpyxl python3-aiosmtpd faketime \
	mandoc systemd snmpsim rrdcached python3-pymodbus
# The web console's browser tests.  npm only when no npm is there: a
# nodejs from elsewhere (NodeSource) bundles its own and conflicts with
# Debian's npm package.
CHECK_PKGS += chromium nodejs \
	$(if $(shell command -v npm 2>/dev/null),,npm)
# Every Debian package the project needs, to build, run and test.
DEB_PKGS = $(RUN_PKGS) $(CHECK_PKGS)

PKGS = netsnmp libpcap librrd libevent libevent_openssl libevent_pthreads \
	libconfig openssl libcurl jansson
# The web console's password hashes (yescrypt, libxcrypt).
PKGS += libcrypt
# The agent's privilege drop (agent/privdrop.c).
PKGS += libcap
PKGS += libmodbus

# The installed layout (FHS): daemons in sbin, facmon-report in bin,
# configuration in /etc/facmon, state in /var/lib/facmon, the web
# console and the MIBs in share/facmon.  These are compiled in as
# defaults (common/common.h), so the same PREFIX is given to the build
# and to make install; make run and make check pass explicit paths.
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/facmon
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/facmon
LOCALSTATEDIR ?= /var/lib/facmon
UNITDIR ?= /lib/systemd/system
DESTDIR ?=
INSTALL ?= install
PATH_DEFS = -DFACMON_BINDIR='"$(BINDIR)"' \
	-DFACMON_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DFACMON_STATEDIR='"$(LOCALSTATEDIR)"' \
	-DFACMON_DATADIR='"$(DATADIR)"'

CC ?= cc
PKG_CONFIG ?= pkg-config
B = build

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) $(PATH_DEFS) \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread -lm
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

COMMON_SRCS = common/log.c common/util.c common/crc32.c common/numfmt.c \
	common/cfgutil.c \
	common/outcome.c common/counter.c common/wire.c
COMMON_SRCS += common/tls.c common/workq.c common/cause.c
# Availability (docs/availability.md): the outage journal and the figures
# read from it.  The collector and facmon-report link it, the agent not.
AVAIL_SRCS = avail/avail.c avail/maint.c avail/ojournal.c avail/availq.c \
	avail/availconf.c
# Everything but main(), so that unit tests link the real code.
AGENT_LIB_SRCS = agent/conf.c agent/sched.c agent/push.c agent/push_spool.c \
	agent/push_link.c agent/spool.c \
	agent/check_snmp.c agent/check_icmp.c agent/check_tcp.c \
	agent/check_http.c agent/check_arp.c agent/check_presence.c agent/pcapif.c \
	agent/expect.c agent/trap.c agent/snmpev.c agent/mibdict.c
AGENT_LIB_SRCS += agent/check_traffic.c agent/privdrop.c
AGENT_LIB_SRCS += agent/check_modbus.c agent/curlev.c agent/probe.c
# The discover command runs in its own process, not the daemon's loop.
AGENT_SRCS = agent/agent.c agent/discover.c $(AGENT_LIB_SRCS)
# The collector's modules, one folder each, in the order a batch walks
# them (collector/collector.h; tools/include-check keeps the order).
COLLECTOR_LIB_SRCS = collector/conf.c collector/keys.c collector/privdrop.c \
	collector/core/events.c collector/core/netlimit.c collector/core/jstr.c \
	collector/core/reload.c \
	collector/ingest/ingest.c collector/ingest/journal.c \
	collector/ingest/traps.c collector/state/state.c \
	collector/outage/outage.c collector/outage/latency.c \
	collector/outage/availapi.c collector/outage/maint.c \
	collector/store/rrdw.c
# Alert delivery (docs/alerts.md): queue, outbox, SMTP, SMS, webhooks.
ALERT_SRCS = collector/alert/alert.c collector/alert/alert_conf.c \
	collector/alert/alert_smtp.c collector/alert/alert_sms.c \
	collector/alert/outbox.c collector/alert/alert_rules.c \
	collector/alert/alert_text.c collector/alert/alert_ack.c
# One file per channel type, one row each in alert_channels.c.
ALERT_SRCS += collector/alert/alert_channels.c collector/alert/alert_gammu.c \
	collector/alert/alert_aliyun.c collector/alert/alert_tencent.c \
	collector/alert/alert_webhook.c collector/alert/alert_file.c
# What is alerted, the wall's warnings, the monthly report's run.
COLLECTOR_LIB_SRCS += $(ALERT_SRCS) collector/alert/alerting.c \
	collector/alert/warnings.c collector/alert/report_run.c
# The operator console (docs/api.md): the server, the route table, the
# replies, logins and the audit log, then the handlers by subject.
COLLECTOR_LIB_SRCS += collector/http/http.c collector/http/tls.c \
	collector/http/routes.c \
	collector/http/reply.c collector/http/webauth.c \
	collector/http/session.c collector/http/devices.c \
	collector/http/outages.c collector/http/maint.c \
	collector/http/wall.c collector/http/rrd.c collector/http/metrics.c \
	collector/http/stats.c collector/http/events.c \
	collector/http/alerts.c collector/http/files.c \
	collector/http/valmeta.c
COLLECTOR_SRCS = collector/collector.c $(COLLECTOR_LIB_SRCS)

UNIT_COMMON = test_wire test_counter test_outcome test_avail test_ojournal \
	test_availq test_availconf test_utf8 test_numfmt test_crc32 test_workq
UNIT_AGENT = test_agent_conf test_pcapif test_mibdict test_mib_reload
UNIT_COLLECTOR = test_collector_conf test_alert test_alert_rules \
	test_alert_channel test_reload \
	test_netlimit test_warnings test_maint test_journal
UNIT_TESTS = $(UNIT_COMMON) $(UNIT_AGENT) $(UNIT_COLLECTOR)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
sobj = $(patsubst %.c,$(B)/asan/%.o,$(1))

# facmon-sim: the simulated service centre (tools/sim/, mibs/).  It needs
# only libevent and libconfig, and shares common/ with the daemons.
SIM_SRCS = tools/sim/sim.c tools/sim/ber.c tools/sim/snmp.c \
	tools/sim/model.c tools/sim/scen.c tools/sim/net.c tools/sim/ctl.c \
	tools/sim/load.c tools/sim/agentconf.c tools/sim/modbus.c
SIM_COMMON = common/log.c common/util.c common/cfgutil.c
SIM_LIBS = $(shell $(PKG_CONFIG) --libs libevent libconfig 2>/dev/null) -lm

PROGS = $(B)/facmon-agent $(B)/facmon-collector $(B)/facmon-sim
PROGS += $(B)/facmon-report
# The demo's loopback mail sink (tools/mailsink.c): built, never installed.
PROGS += $(B)/facmon-mailsink
UNIT_BINS = $(addprefix $(B)/asan/tests/,$(UNIT_TESTS))

# libFuzzer target for the frame decoder (clang); make check runs it for
# FUZZ_CHECK_SECS, make fuzz for FUZZ_SECS.
FUZZ_CC ?= clang-14
FUZZ_SECS ?= 600
FUZZ_CHECK_SECS ?= 20
FUZZ_SRCS = tests/fuzz/fuzz_wire.c common/wire.c common/crc32.c \
	common/util.c common/log.c

.PHONY: all deps run check unit clean soak fuzz fuzz-build demo-config
all: $(PROGS)

$(B)/facmon-agent: $(call obj,$(AGENT_SRCS) $(COMMON_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/facmon-collector: $(call obj,$(COLLECTOR_SRCS) $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/facmon-sim: $(call obj,$(SIM_SRCS) $(SIM_COMMON))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(SIM_LIBS)

$(B)/facmon-mailsink: $(call obj,tools/mailsink.c $(SIM_COMMON))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(SIM_LIBS)

# facmon-report (report/): cairo and pango draw the PDF, libxlsxwriter
# writes XLSX; only this program links them.
REPORT_SRCS = report/main.c report/model.c report/chart.c \
	report/out_text.c report/out_pdf.c report/out_xlsx.c
REPORT_PKGS = pangocairo cairo-pdf xlsxwriter
$(call obj,$(REPORT_SRCS)): ALL_CFLAGS += \
	$(shell $(PKG_CONFIG) --cflags $(REPORT_PKGS) 2>/dev/null)

$(B)/facmon-report: $(call obj,$(REPORT_SRCS) $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) \
	    $(shell $(PKG_CONFIG) --libs $(REPORT_PKGS) 2>/dev/null)

# Writes outage journals with known months for the report's tests.
$(B)/test-ojgen: $(call obj,tests/tools/ojgen.c $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The alert layer alone on an event loop, for tests/integration/test_alerts.py.
$(B)/test-alertd: $(call obj,tests/tools/alertd.c $(ALERT_SRCS) $(COMMON_SRCS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The RRD writer under ThreadSanitizer, for tests/integration/test_rrdw_race.py:
# objects of their own, since TSan cannot be mixed with ASan or plain ones.
tobj = $(patsubst %.c,$(B)/tsan/%.o,$(1))
$(B)/tsan/test-rrdw-race: $(call tobj,tests/tools/rrdw_race.c \
    $(COLLECTOR_LIB_SRCS) $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) -fsanitize=thread -o $@ $^ $(LIBS)
# The work queue's unit test under ThreadSanitizer: every thread of the
# collector and the agent runs on it (tests/integration/test_workq_race.py).
$(B)/tsan/test-workq: $(call tobj,tests/unit/test_workq.c $(COMMON_SRCS))
	$(CC) $(ALL_CFLAGS) -fsanitize=thread -o $@ $^ $(LIBS) -lcmocka

# The demo's agent devices are generated from the demo scenario.
demo-config: $(B)/facmon-sim
	$(B)/facmon-sim agent-config -f etc/demo/scenario.conf \
	    >etc/demo/devices.conf.tmp
	mv etc/demo/devices.conf.tmp etc/demo/devices.conf

# The compiled-in paths: objects are rebuilt when they change, so that
# a build for another PREFIX does not keep the old defaults.
$(B)/paths: FORCE
	@mkdir -p $(@D)
	@echo "$(BINDIR) $(SYSCONFDIR) $(LOCALSTATEDIR) $(DATADIR)" | \
	    cmp -s - $@ 2>/dev/null || \
	    echo "$(BINDIR) $(SYSCONFDIR) $(LOCALSTATEDIR) $(DATADIR)" >$@
.PHONY: FORCE
FORCE:

$(B)/obj/%.o: %.c $(B)/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/asan/%.o: %.c $(B)/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -MMD -MP -c -o $@ $<

$(B)/tsan/%.o: %.c $(B)/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=thread -O1 -MMD -MP -c -o $@ $<

$(addprefix $(B)/asan/tests/,$(UNIT_COMMON)): $(B)/asan/tests/%: \
    $(B)/asan/tests/unit/%.o $(call sobj,$(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LIBS) -lcmocka

$(addprefix $(B)/asan/tests/,$(UNIT_AGENT)): $(B)/asan/tests/%: \
    $(B)/asan/tests/unit/%.o $(call sobj,$(AGENT_LIB_SRCS) $(COMMON_SRCS))
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LIBS) -lcmocka

$(addprefix $(B)/asan/tests/,$(UNIT_COLLECTOR)): $(B)/asan/tests/%: \
    $(B)/asan/tests/unit/%.o \
    $(call sobj,$(COLLECTOR_LIB_SRCS) $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LIBS) -lcmocka

unit: $(UNIT_BINS)

# Benchmarks (bench/RESULTS.md); minutes, not part of make check.
BENCH_PKGS = fping collectd-core rrdcached

$(B)/bench-avail: $(call obj,bench/avail.c $(COMMON_SRCS) $(AVAIL_SRCS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/bench-feeder: $(call obj,bench/feeder.c $(COMMON_SRCS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/bench-rrdpeer: $(call obj,bench/rrdpeer.c)
	$(CC) $(ALL_CFLAGS) -o $@ $^ -lrrd

.PHONY: bench
bench: deps
	@sh tools/deps.sh $(BENCH_PKGS)
	@$(MAKE) --no-print-directory all $(B)/bench-avail $(B)/bench-feeder \
	    $(B)/bench-rrdpeer
	@/usr/bin/python3 bench/run.py
	@$(MAKE) --no-print-directory bench-alert

# Fault injection to e-mail (bench/alert.py): its own target, so that
# it can be run alone; a section of bench/RESULTS.md.
.PHONY: bench-alert
bench-alert: deps
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 bench/alert.py --runs 20 \
	    --batch-interval 1s,200ms --write

deps:
	@sh tools/deps.sh $(DEB_PKGS)
	@# The browser tests' playwright-core, pinned by package-lock.json.
	@[ -d tests/browser/node_modules/playwright-core ] || \
	    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

# The demo needs only RUN_PKGS (740 MB on a fresh Debian 12); the test
# tools (chromium, clang, npm: 1.6 GB more) are make check's.
HTTP_PORT ?= 8080
run:
	@sh tools/deps.sh $(RUN_PKGS)
	@$(MAKE) --no-print-directory all
	@HTTP_PORT=$(HTTP_PORT) sh tools/run-demo.sh

# The build uses every core (CI calls plain make check).  The bounded
# fuzz run goes first, so that the test runner's summary line is the
# last thing make check prints.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all unit $(B)/bench-avail \
	    $(B)/bench-feeder $(B)/bench-rrdpeer $(B)/test-ojgen \
	    $(B)/test-alertd $(B)/tsan/test-rrdw-race $(B)/tsan/test-workq
	@$(MAKE) --no-print-directory fuzz FUZZ_SECS=$(FUZZ_CHECK_SECS)
	@/usr/bin/python3 tests/run.py

# The long variants of the transport tests: more kills, longer outages.
soak: all
	FACMON_KILLS=20 FACMON_SOAK=1 /usr/bin/python3 tests/run.py \
	    integration -k durable
	FACMON_SOAK=1 /usr/bin/python3 tests/run.py integration -k spool
	FACMON_SOAK=1 /usr/bin/python3 tests/run.py integration -k partition
	FACMON_SOAK=1 /usr/bin/python3 tests/run.py integration -k parents
	FACMON_SOAK=1 /usr/bin/python3 tests/run.py integration -k accounting
	FACMON_SOAK=1 /usr/bin/python3 tests/run.py integration -k bench

$(B)/fuzz/fuzz_wire: $(FUZZ_SRCS) common/wire.h common/common.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 \
	    -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_SRCS)

fuzz-build: $(B)/fuzz/fuzz_wire

# A crash exits non-zero and fails the target; the corpus is kept.
fuzz: fuzz-build
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz_wire -max_total_time=$(FUZZ_SECS) -max_len=65536 \
	    -print_final_stats=1 $(B)/fuzz/corpus

# Everything facmon needs at run time, under DESTDIR.  The
# configuration goes in as the commented examples, never over a file
# already there; /var/lib/facmon belongs to the facmon user (the
# packages make it; systemd's StateDirectory= does too).
.PHONY: install install-agent install-collector install-sim
install: install-agent install-collector install-sim

install-agent: $(B)/facmon-agent
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/mibs $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 755 $(B)/facmon-agent $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 644 man/facmon-agent.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 644 man/facmon-agent.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 $(filter-out mibs/README,$(wildcard mibs/*)) \
	    $(DESTDIR)$(DATADIR)/mibs/
	@# Device templates (etc/templates/): the agent's and discover's.
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/templates
	$(if $(wildcard etc/templates/*.conf),$(INSTALL) -m 644 \
	    $(wildcard etc/templates/*.conf etc/templates/*.inc) \
	    $(DESTDIR)$(DATADIR)/templates/)
	@# Modbus register maps, beside the configuration that @includes
	@# them ("modbus/ups-example.conf" is relative to the including file).
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/modbus
	$(INSTALL) -m 644 $(wildcard etc/modbus/*.conf) \
	    $(DESTDIR)$(SYSCONFDIR)/modbus/
	$(INSTALL) -m 644 etc/systemd/facmon-agent.service \
	    $(DESTDIR)$(UNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/facmon-agent.conf ] || \
	    $(INSTALL) -m 640 etc/facmon-agent.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/facmon-agent.conf

install-collector: $(B)/facmon-collector $(B)/facmon-report
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(DATADIR)/web \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 755 $(B)/facmon-collector $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 755 $(B)/facmon-report $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 web/* $(DESTDIR)$(DATADIR)/web/
	$(INSTALL) -m 644 man/facmon-collector.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 644 man/facmon-report.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 man/facmon-collector.conf.5 \
	    man/facmon-report.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 etc/systemd/facmon-collector.service \
	    $(DESTDIR)$(UNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/facmon-collector.conf ] || \
	    $(INSTALL) -m 640 etc/facmon-collector.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/facmon-collector.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/facmon-report.conf ] || \
	    $(INSTALL) -m 640 etc/facmon-report.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/facmon-report.conf

# The demo centre: the simulator and the demo scenario (its MIB is the
# agent's, in share/facmon/mibs).
install-sim: $(B)/facmon-sim
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(DATADIR)/demo
	$(INSTALL) -m 755 $(B)/facmon-sim $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 man/facmon-sim.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 etc/demo/scenario.conf $(DESTDIR)$(DATADIR)/demo/


# Builds the Debian packages and installs them into a fresh debootstrap
# tree (minutes, network to the Debian mirror, root): not in make check.
PACKAGE_PKGS = dpkg-dev debhelper lintian debootstrap fakeroot util-linux \
	iproute2 git
.PHONY: package-test
package-test:
	@sh tools/deps.sh $(PACKAGE_PKGS)
	@sh tests/install/package-test.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
