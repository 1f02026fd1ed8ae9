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
 * The standard objects a site polls, compiled in.  Debian ships no IETF
 * MIB modules (they are non-free there), so without this table an
 * operator had to write every OID by number.  The rows are written from
 * the published modules (RFC 3418, RFC 3411, RFC 2863, RFC 2790,
 * RFC 6933, RFC 3433, RFC 1628, net-snmp's UCD-SNMP-MIB and this project's
 * FACMON-FACILITY-MIB), not read from files: a name resolves the same
 * way on every machine, and MIB files on disk still add names on top.
 *
 * A row is one object: module, name, OID, syntax, enumerated values
 * ("1:up,2:down"), units, the scale that turns the raw number into those
 * units, and the DISPLAY-HINT of an octet string.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static const struct mibobj mibdict[] = {
	/* SNMPv2-MIB (RFC 3418): the system group, snmp group */
	{ "SNMPv2-MIB", "sysDescr", "1.3.6.1.2.1.1.1", MS_STRING, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysObjectID", "1.3.6.1.2.1.1.2", MS_OID, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysUpTime", "1.3.6.1.2.1.1.3", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "SNMPv2-MIB", "sysContact", "1.3.6.1.2.1.1.4", MS_STRING, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysName", "1.3.6.1.2.1.1.5", MS_STRING, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysLocation", "1.3.6.1.2.1.1.6", MS_STRING, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysServices", "1.3.6.1.2.1.1.7", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysORLastChange", "1.3.6.1.2.1.1.8", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "SNMPv2-MIB", "sysORID", "1.3.6.1.2.1.1.9.1.2", MS_OID, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysORDescr", "1.3.6.1.2.1.1.9.1.3", MS_STRING, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "sysORUpTime", "1.3.6.1.2.1.1.9.1.4", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "SNMPv2-MIB", "snmpInPkts", "1.3.6.1.2.1.11.1", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "snmpOutPkts", "1.3.6.1.2.1.11.2", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "SNMPv2-MIB", "snmpInBadCommunityNames", "1.3.6.1.2.1.11.4", MS_COUNTER32, NULL, NULL, 1, NULL },
	/* SNMP-FRAMEWORK-MIB (RFC 3411): the engine */
	{ "SNMP-FRAMEWORK-MIB", "snmpEngineID", "1.3.6.1.6.3.10.2.1.1", MS_HEX, NULL, NULL, 1, NULL },
	{ "SNMP-FRAMEWORK-MIB", "snmpEngineBoots", "1.3.6.1.6.3.10.2.1.2", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "SNMP-FRAMEWORK-MIB", "snmpEngineTime", "1.3.6.1.6.3.10.2.1.3", MS_INTEGER, NULL, "s", 1, NULL },
	{ "SNMP-FRAMEWORK-MIB", "snmpEngineMaxMessageSize", "1.3.6.1.6.3.10.2.1.4", MS_INTEGER, NULL, NULL, 1, NULL },
	/* IF-MIB (RFC 2863): interfaces, ifTable, ifXTable */
	{ "IF-MIB", "ifNumber", "1.3.6.1.2.1.2.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifIndex", "1.3.6.1.2.1.2.2.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifDescr", "1.3.6.1.2.1.2.2.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifType", "1.3.6.1.2.1.2.2.1.3", MS_INTEGER, "1:other,6:ethernetCsmacd,23:ppp,24:softwareLoopback,53:propVirtual,117:gigabitEthernet,131:tunnel,135:l2vlan,136:l3ipvlan,161:ieee8023adLag", NULL, 1, NULL },
	{ "IF-MIB", "ifMtu", "1.3.6.1.2.1.2.2.1.4", MS_INTEGER, NULL, "bytes", 1, NULL },
	{ "IF-MIB", "ifSpeed", "1.3.6.1.2.1.2.2.1.5", MS_GAUGE, NULL, "bit/s", 1, NULL },
	{ "IF-MIB", "ifPhysAddress", "1.3.6.1.2.1.2.2.1.6", MS_PHYSADDR, NULL, NULL, 1, "1x:" },
	{ "IF-MIB", "ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", MS_INTEGER, "1:up,2:down,3:testing", NULL, 1, NULL },
	{ "IF-MIB", "ifOperStatus", "1.3.6.1.2.1.2.2.1.8", MS_INTEGER, "1:up,2:down,3:testing,4:unknown,5:dormant,6:notPresent,7:lowerLayerDown", NULL, 1, NULL },
	{ "IF-MIB", "ifLastChange", "1.3.6.1.2.1.2.2.1.9", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "IF-MIB", "ifInOctets", "1.3.6.1.2.1.2.2.1.10", MS_COUNTER32, NULL, "bytes", 1, NULL },
	{ "IF-MIB", "ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifInNUcastPkts", "1.3.6.1.2.1.2.2.1.12", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifInDiscards", "1.3.6.1.2.1.2.2.1.13", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifInErrors", "1.3.6.1.2.1.2.2.1.14", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifInUnknownProtos", "1.3.6.1.2.1.2.2.1.15", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutOctets", "1.3.6.1.2.1.2.2.1.16", MS_COUNTER32, NULL, "bytes", 1, NULL },
	{ "IF-MIB", "ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutNUcastPkts", "1.3.6.1.2.1.2.2.1.18", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutDiscards", "1.3.6.1.2.1.2.2.1.19", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutErrors", "1.3.6.1.2.1.2.2.1.20", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutQLen", "1.3.6.1.2.1.2.2.1.21", MS_GAUGE, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifSpecific", "1.3.6.1.2.1.2.2.1.22", MS_OID, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifName", "1.3.6.1.2.1.31.1.1.1.1", MS_STRING, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.2", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.3", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.4", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.5", MS_COUNTER32, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", MS_COUNTER64, NULL, "bytes", 1, NULL },
	{ "IF-MIB", "ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", MS_COUNTER64, NULL, "bytes", 1, NULL },
	{ "IF-MIB", "ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13", MS_COUNTER64, NULL, "packets", 1, NULL },
	{ "IF-MIB", "ifLinkUpDownTrapEnable", "1.3.6.1.2.1.31.1.1.1.14", MS_INTEGER, "1:enabled,2:disabled", NULL, 1, NULL },
	{ "IF-MIB", "ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", MS_GAUGE, NULL, "Mbit/s", 1, NULL },
	{ "IF-MIB", "ifPromiscuousMode", "1.3.6.1.2.1.31.1.1.1.16", MS_INTEGER, "1:true,2:false", NULL, 1, NULL },
	{ "IF-MIB", "ifConnectorPresent", "1.3.6.1.2.1.31.1.1.1.17", MS_INTEGER, "1:true,2:false", NULL, 1, NULL },
	{ "IF-MIB", "ifAlias", "1.3.6.1.2.1.31.1.1.1.18", MS_STRING, NULL, NULL, 1, NULL },
	{ "IF-MIB", "ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19", MS_TIMETICKS, NULL, "s", 1, NULL },
	/* HOST-RESOURCES-MIB (RFC 2790): system, storage, devices, processors */
	{ "HOST-RESOURCES-MIB", "hrSystemUptime", "1.3.6.1.2.1.25.1.1", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrSystemDate", "1.3.6.1.2.1.25.1.2", MS_DATETIME, NULL, NULL, 1, "2d-1d-1d,1d:1d:1d.1d,1a1d:1d" },
	{ "HOST-RESOURCES-MIB", "hrSystemNumUsers", "1.3.6.1.2.1.25.1.5", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrSystemProcesses", "1.3.6.1.2.1.25.1.6", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrSystemMaxProcesses", "1.3.6.1.2.1.25.1.7", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrMemorySize", "1.3.6.1.2.1.25.2.2", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageIndex", "1.3.6.1.2.1.25.2.3.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageType", "1.3.6.1.2.1.25.2.3.1.2", MS_OID, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3", MS_STRING, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4", MS_INTEGER, NULL, "bytes", 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5", MS_INTEGER, NULL, "units", 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6", MS_INTEGER, NULL, "units", 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrStorageAllocationFailures", "1.3.6.1.2.1.25.2.3.1.7", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceIndex", "1.3.6.1.2.1.25.3.2.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceType", "1.3.6.1.2.1.25.3.2.1.2", MS_OID, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3", MS_STRING, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceID", "1.3.6.1.2.1.25.3.2.1.4", MS_OID, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceStatus", "1.3.6.1.2.1.25.3.2.1.5", MS_INTEGER, "1:unknown,2:running,3:warning,4:testing,5:down", NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrDeviceErrors", "1.3.6.1.2.1.25.3.2.1.6", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrProcessorFrwID", "1.3.6.1.2.1.25.3.3.1.1", MS_OID, NULL, NULL, 1, NULL },
	{ "HOST-RESOURCES-MIB", "hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2", MS_INTEGER, NULL, "%", 1, NULL },
	/* ENTITY-MIB (RFC 6933): the physical inventory */
	{ "ENTITY-MIB", "entPhysicalDescr", "1.3.6.1.2.1.47.1.1.1.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalVendorType", "1.3.6.1.2.1.47.1.1.1.1.3", MS_OID, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalContainedIn", "1.3.6.1.2.1.47.1.1.1.1.4", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalClass", "1.3.6.1.2.1.47.1.1.1.1.5", MS_INTEGER, "1:other,2:unknown,3:chassis,4:backplane,5:container,6:powerSupply,7:fan,8:sensor,9:module,10:port,11:stack,12:cpu", NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalParentRelPos", "1.3.6.1.2.1.47.1.1.1.1.6", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalName", "1.3.6.1.2.1.47.1.1.1.1.7", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalHardwareRev", "1.3.6.1.2.1.47.1.1.1.1.8", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalFirmwareRev", "1.3.6.1.2.1.47.1.1.1.1.9", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalSoftwareRev", "1.3.6.1.2.1.47.1.1.1.1.10", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalSerialNum", "1.3.6.1.2.1.47.1.1.1.1.11", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalMfgName", "1.3.6.1.2.1.47.1.1.1.1.12", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalModelName", "1.3.6.1.2.1.47.1.1.1.1.13", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalAlias", "1.3.6.1.2.1.47.1.1.1.1.14", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalAssetID", "1.3.6.1.2.1.47.1.1.1.1.15", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-MIB", "entPhysicalIsFRU", "1.3.6.1.2.1.47.1.1.1.1.16", MS_INTEGER, "1:true,2:false", NULL, 1, NULL },
	/* ENTITY-SENSOR-MIB (RFC 3433): sensors of the inventory */
	{ "ENTITY-SENSOR-MIB", "entPhySensorType", "1.3.6.1.2.1.99.1.1.1.1", MS_INTEGER, "1:other,2:unknown,3:voltsAC,4:voltsDC,5:amperes,6:watts,7:hertz,8:celsius,9:percentRH,10:rpm,11:cmm,12:truthvalue", NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorScale", "1.3.6.1.2.1.99.1.1.1.2", MS_INTEGER, "1:yocto,2:zepto,3:atto,4:femto,5:pico,6:nano,7:micro,8:milli,9:units,10:kilo,11:mega,12:giga,13:tera,14:exa,15:peta,16:zetta,17:yotta", NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorPrecision", "1.3.6.1.2.1.99.1.1.1.3", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorValue", "1.3.6.1.2.1.99.1.1.1.4", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorOperStatus", "1.3.6.1.2.1.99.1.1.1.5", MS_INTEGER, "1:ok,2:unavailable,3:nonoperational", NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorUnitsDisplay", "1.3.6.1.2.1.99.1.1.1.6", MS_STRING, NULL, NULL, 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorValueTimeStamp", "1.3.6.1.2.1.99.1.1.1.7", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "ENTITY-SENSOR-MIB", "entPhySensorValueUpdateRate", "1.3.6.1.2.1.99.1.1.1.8", MS_GAUGE, NULL, "ms", 1, NULL },
	/* UCD-SNMP-MIB (net-snmp): memory, load averages, CPU */
	{ "UCD-SNMP-MIB", "memIndex", "1.3.6.1.4.1.2021.4.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "memErrorName", "1.3.6.1.4.1.2021.4.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "memTotalSwap", "1.3.6.1.4.1.2021.4.3", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memAvailSwap", "1.3.6.1.4.1.2021.4.4", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memTotalReal", "1.3.6.1.4.1.2021.4.5", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memAvailReal", "1.3.6.1.4.1.2021.4.6", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memTotalFree", "1.3.6.1.4.1.2021.4.11", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memMinimumSwap", "1.3.6.1.4.1.2021.4.12", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memShared", "1.3.6.1.4.1.2021.4.13", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memBuffer", "1.3.6.1.4.1.2021.4.14", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memCached", "1.3.6.1.4.1.2021.4.15", MS_INTEGER, NULL, "KiB", 1, NULL },
	{ "UCD-SNMP-MIB", "memSwapError", "1.3.6.1.4.1.2021.4.100", MS_INTEGER, "0:noError,1:error", NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "memSwapErrorMsg", "1.3.6.1.4.1.2021.4.101", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laIndex", "1.3.6.1.4.1.2021.10.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laNames", "1.3.6.1.4.1.2021.10.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laLoad", "1.3.6.1.4.1.2021.10.1.3", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laConfig", "1.3.6.1.4.1.2021.10.1.4", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laLoadInt", "1.3.6.1.4.1.2021.10.1.5", MS_INTEGER, NULL, NULL, 0.01, NULL },
	{ "UCD-SNMP-MIB", "laErrorFlag", "1.3.6.1.4.1.2021.10.1.100", MS_INTEGER, "0:noError,1:error", NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "laErrMessage", "1.3.6.1.4.1.2021.10.1.101", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "ssIndex", "1.3.6.1.4.1.2021.11.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "ssErrorName", "1.3.6.1.4.1.2021.11.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "ssSwapIn", "1.3.6.1.4.1.2021.11.3", MS_INTEGER, NULL, "KiB/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssSwapOut", "1.3.6.1.4.1.2021.11.4", MS_INTEGER, NULL, "KiB/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssIOSent", "1.3.6.1.4.1.2021.11.5", MS_INTEGER, NULL, "blocks/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssIOReceive", "1.3.6.1.4.1.2021.11.6", MS_INTEGER, NULL, "blocks/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssSysInterrupts", "1.3.6.1.4.1.2021.11.7", MS_INTEGER, NULL, "/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssSysContext", "1.3.6.1.4.1.2021.11.8", MS_INTEGER, NULL, "/s", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuUser", "1.3.6.1.4.1.2021.11.9", MS_INTEGER, NULL, "%", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuSystem", "1.3.6.1.4.1.2021.11.10", MS_INTEGER, NULL, "%", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuIdle", "1.3.6.1.4.1.2021.11.11", MS_INTEGER, NULL, "%", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawUser", "1.3.6.1.4.1.2021.11.50", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawNice", "1.3.6.1.4.1.2021.11.51", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawSystem", "1.3.6.1.4.1.2021.11.52", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawIdle", "1.3.6.1.4.1.2021.11.53", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawWait", "1.3.6.1.4.1.2021.11.54", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawKernel", "1.3.6.1.4.1.2021.11.55", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawInterrupt", "1.3.6.1.4.1.2021.11.56", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssIORawSent", "1.3.6.1.4.1.2021.11.57", MS_COUNTER32, NULL, "blocks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssIORawReceived", "1.3.6.1.4.1.2021.11.58", MS_COUNTER32, NULL, "blocks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssRawInterrupts", "1.3.6.1.4.1.2021.11.59", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "ssRawContexts", "1.3.6.1.4.1.2021.11.60", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "UCD-SNMP-MIB", "ssCpuRawSoftIRQ", "1.3.6.1.4.1.2021.11.61", MS_COUNTER32, NULL, "ticks", 1, NULL },
	{ "UCD-SNMP-MIB", "ssRawSwapIn", "1.3.6.1.4.1.2021.11.62", MS_COUNTER32, NULL, "pages", 1, NULL },
	{ "UCD-SNMP-MIB", "ssRawSwapOut", "1.3.6.1.4.1.2021.11.63", MS_COUNTER32, NULL, "pages", 1, NULL },
	/* UPS-MIB (RFC 1628) */
	{ "UPS-MIB", "upsIdentManufacturer", "1.3.6.1.2.1.33.1.1.1", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsIdentModel", "1.3.6.1.2.1.33.1.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsIdentUPSSoftwareVersion", "1.3.6.1.2.1.33.1.1.3", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsIdentAgentSoftwareVersion", "1.3.6.1.2.1.33.1.1.4", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsIdentName", "1.3.6.1.2.1.33.1.1.5", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsIdentAttachedDevices", "1.3.6.1.2.1.33.1.1.6", MS_STRING, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsBatteryStatus", "1.3.6.1.2.1.33.1.2.1", MS_INTEGER, "1:unknown,2:batteryNormal,3:batteryLow,4:batteryDepleted", NULL, 1, NULL },
	{ "UPS-MIB", "upsSecondsOnBattery", "1.3.6.1.2.1.33.1.2.2", MS_INTEGER, NULL, "s", 1, NULL },
	{ "UPS-MIB", "upsEstimatedMinutesRemaining", "1.3.6.1.2.1.33.1.2.3", MS_INTEGER, NULL, "min", 1, NULL },
	{ "UPS-MIB", "upsEstimatedChargeRemaining", "1.3.6.1.2.1.33.1.2.4", MS_INTEGER, NULL, "%", 1, NULL },
	{ "UPS-MIB", "upsBatteryVoltage", "1.3.6.1.2.1.33.1.2.5", MS_INTEGER, NULL, "V", 0.1, NULL },
	{ "UPS-MIB", "upsBatteryCurrent", "1.3.6.1.2.1.33.1.2.6", MS_INTEGER, NULL, "A", 0.1, NULL },
	{ "UPS-MIB", "upsBatteryTemperature", "1.3.6.1.2.1.33.1.2.7", MS_INTEGER, NULL, "degC", 1, NULL },
	{ "UPS-MIB", "upsInputLineBads", "1.3.6.1.2.1.33.1.3.1", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsInputNumLines", "1.3.6.1.2.1.33.1.3.2", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsInputLineIndex", "1.3.6.1.2.1.33.1.3.3.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsInputFrequency", "1.3.6.1.2.1.33.1.3.3.1.2", MS_INTEGER, NULL, "Hz", 0.1, NULL },
	{ "UPS-MIB", "upsInputVoltage", "1.3.6.1.2.1.33.1.3.3.1.3", MS_INTEGER, NULL, "V", 1, NULL },
	{ "UPS-MIB", "upsInputCurrent", "1.3.6.1.2.1.33.1.3.3.1.4", MS_INTEGER, NULL, "A", 0.1, NULL },
	{ "UPS-MIB", "upsInputTruePower", "1.3.6.1.2.1.33.1.3.3.1.5", MS_INTEGER, NULL, "W", 1, NULL },
	{ "UPS-MIB", "upsOutputSource", "1.3.6.1.2.1.33.1.4.1", MS_INTEGER, "1:other,2:none,3:normal,4:bypass,5:battery,6:booster,7:reducer", NULL, 1, NULL },
	{ "UPS-MIB", "upsOutputFrequency", "1.3.6.1.2.1.33.1.4.2", MS_INTEGER, NULL, "Hz", 0.1, NULL },
	{ "UPS-MIB", "upsOutputNumLines", "1.3.6.1.2.1.33.1.4.3", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsOutputLineIndex", "1.3.6.1.2.1.33.1.4.4.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsOutputVoltage", "1.3.6.1.2.1.33.1.4.4.1.2", MS_INTEGER, NULL, "V", 1, NULL },
	{ "UPS-MIB", "upsOutputCurrent", "1.3.6.1.2.1.33.1.4.4.1.3", MS_INTEGER, NULL, "A", 0.1, NULL },
	{ "UPS-MIB", "upsOutputPower", "1.3.6.1.2.1.33.1.4.4.1.4", MS_INTEGER, NULL, "W", 1, NULL },
	{ "UPS-MIB", "upsOutputPercentLoad", "1.3.6.1.2.1.33.1.4.4.1.5", MS_INTEGER, NULL, "%", 1, NULL },
	{ "UPS-MIB", "upsBypassFrequency", "1.3.6.1.2.1.33.1.5.1", MS_INTEGER, NULL, "Hz", 0.1, NULL },
	{ "UPS-MIB", "upsBypassNumLines", "1.3.6.1.2.1.33.1.5.2", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsBypassLineIndex", "1.3.6.1.2.1.33.1.5.3.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsBypassVoltage", "1.3.6.1.2.1.33.1.5.3.1.2", MS_INTEGER, NULL, "V", 1, NULL },
	{ "UPS-MIB", "upsBypassCurrent", "1.3.6.1.2.1.33.1.5.3.1.3", MS_INTEGER, NULL, "A", 0.1, NULL },
	{ "UPS-MIB", "upsBypassPower", "1.3.6.1.2.1.33.1.5.3.1.4", MS_INTEGER, NULL, "W", 1, NULL },
	{ "UPS-MIB", "upsAlarmsPresent", "1.3.6.1.2.1.33.1.6.1", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsAlarmId", "1.3.6.1.2.1.33.1.6.2.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsAlarmDescr", "1.3.6.1.2.1.33.1.6.2.1.2", MS_OID, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsAlarmTime", "1.3.6.1.2.1.33.1.6.2.1.3", MS_TIMETICKS, NULL, "s", 1, NULL },
	{ "UPS-MIB", "upsTestId", "1.3.6.1.2.1.33.1.7.1", MS_OID, NULL, NULL, 1, NULL },
	{ "UPS-MIB", "upsTestResultsSummary", "1.3.6.1.2.1.33.1.7.3", MS_INTEGER, "1:donePass,2:doneWarning,3:doneError,4:aborted,5:inProgress,6:noTestsInitiated", NULL, 1, NULL },
	{ "UPS-MIB", "upsConfigInputVoltage", "1.3.6.1.2.1.33.1.9.1", MS_INTEGER, NULL, "V", 1, NULL },
	{ "UPS-MIB", "upsConfigInputFreq", "1.3.6.1.2.1.33.1.9.2", MS_INTEGER, NULL, "Hz", 0.1, NULL },
	{ "UPS-MIB", "upsConfigOutputVoltage", "1.3.6.1.2.1.33.1.9.3", MS_INTEGER, NULL, "V", 1, NULL },
	{ "UPS-MIB", "upsConfigOutputFreq", "1.3.6.1.2.1.33.1.9.4", MS_INTEGER, NULL, "Hz", 0.1, NULL },
	{ "UPS-MIB", "upsConfigOutputVA", "1.3.6.1.2.1.33.1.9.5", MS_INTEGER, NULL, "VA", 1, NULL },
	{ "UPS-MIB", "upsConfigOutputPower", "1.3.6.1.2.1.33.1.9.6", MS_INTEGER, NULL, "W", 1, NULL },
	{ "UPS-MIB", "upsConfigLowBattTime", "1.3.6.1.2.1.33.1.9.7", MS_INTEGER, NULL, "min", 1, NULL },
	/*
	 * Vendors' CPU, memory and temperature objects, as their published
	 * MIBs number them: Cisco (CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB,
	 * CISCO-ENVMON-MIB), Huawei (HUAWEI-ENTITY-EXTENT-MIB), H3C
	 * (HH3C-ENTITY-EXT-MIB).  Their tables are indexed by the entity.
	 */
	{ "CISCO-PROCESS-MIB", "cpmCPUTotalPhysicalIndex", "1.3.6.1.4.1.9.9.109.1.1.1.1.2", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5secRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.6", MS_GAUGE, NULL, "%", 1, NULL },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal1minRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.7", MS_GAUGE, NULL, "%", 1, NULL },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5minRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.8", MS_GAUGE, NULL, "%", 1, NULL },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolName", "1.3.6.1.4.1.9.9.48.1.1.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolUsed", "1.3.6.1.4.1.9.9.48.1.1.1.5", MS_GAUGE, NULL, "bytes", 1, NULL },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolFree", "1.3.6.1.4.1.9.9.48.1.1.1.6", MS_GAUGE, NULL, "bytes", 1, NULL },
	{ "CISCO-ENVMON-MIB", "ciscoEnvMonTemperatureStatusDescr", "1.3.6.1.4.1.9.9.13.1.3.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "CISCO-ENVMON-MIB", "ciscoEnvMonTemperatureStatusValue", "1.3.6.1.4.1.9.9.13.1.3.1.3", MS_GAUGE, NULL, "degC", 1, NULL },
	{ "CISCO-ENVMON-MIB", "ciscoEnvMonTemperatureState", "1.3.6.1.4.1.9.9.13.1.3.1.6", MS_INTEGER, "1:normal,2:warning,3:critical,4:shutdown,5:notPresent,6:notFunctioning", NULL, 1, NULL },
	{ "HUAWEI-ENTITY-EXTENT-MIB", "hwEntityCpuUsage", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5", MS_INTEGER, NULL, "%", 1, NULL },
	{ "HUAWEI-ENTITY-EXTENT-MIB", "hwEntityMemUsage", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7", MS_INTEGER, NULL, "%", 1, NULL },
	{ "HUAWEI-ENTITY-EXTENT-MIB", "hwEntityTemperature", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.11", MS_INTEGER, NULL, "degC", 1, NULL },
	{ "HH3C-ENTITY-EXT-MIB", "hh3cEntityExtCpuUsage", "1.3.6.1.4.1.25506.2.6.1.1.1.1.6", MS_INTEGER, NULL, "%", 1, NULL },
	{ "HH3C-ENTITY-EXT-MIB", "hh3cEntityExtMemUsage", "1.3.6.1.4.1.25506.2.6.1.1.1.1.8", MS_INTEGER, NULL, "%", 1, NULL },
	{ "HH3C-ENTITY-EXT-MIB", "hh3cEntityExtTemperature", "1.3.6.1.4.1.25506.2.6.1.1.1.1.12", MS_INTEGER, NULL, "degC", 1, NULL },
	/* FACMON-FACILITY-MIB (mibs/) */
	{ "FACMON-FACILITY-MIB", "facElevIndex", "1.3.6.1.4.1.32473.1.1.1.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevName", "1.3.6.1.4.1.32473.1.1.1.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevOperState", "1.3.6.1.4.1.32473.1.1.1.1.3", MS_INTEGER, "1:normal,2:fault,3:maintenance,4:stopped", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevFloor", "1.3.6.1.4.1.32473.1.1.1.1.4", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevDirection", "1.3.6.1.4.1.32473.1.1.1.1.5", MS_INTEGER, "1:stationary,2:up,3:down", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevDoorState", "1.3.6.1.4.1.32473.1.1.1.1.6", MS_INTEGER, "1:closed,2:opening,3:open,4:closing", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevFaultCode", "1.3.6.1.4.1.32473.1.1.1.1.7", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevTrips", "1.3.6.1.4.1.32473.1.1.1.1.8", MS_COUNTER32, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facElevRunningHours", "1.3.6.1.4.1.32473.1.1.1.1.9", MS_GAUGE, NULL, "hours", 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacIndex", "1.3.6.1.4.1.32473.1.1.2.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacName", "1.3.6.1.4.1.32473.1.1.2.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacPower", "1.3.6.1.4.1.32473.1.1.2.1.3", MS_INTEGER, "1:on,2:off", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacMode", "1.3.6.1.4.1.32473.1.1.2.1.4", MS_INTEGER, "1:cool,2:heat,3:fan,4:auto,5:dry", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacSetpoint", "1.3.6.1.4.1.32473.1.1.2.1.5", MS_INTEGER, NULL, "degrees Celsius", 0.1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacSupplyTemp", "1.3.6.1.4.1.32473.1.1.2.1.6", MS_INTEGER, NULL, "degrees Celsius", 0.1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacReturnTemp", "1.3.6.1.4.1.32473.1.1.2.1.7", MS_INTEGER, NULL, "degrees Celsius", 0.1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacFaultCode", "1.3.6.1.4.1.32473.1.1.2.1.8", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facHvacFilterAlarm", "1.3.6.1.4.1.32473.1.1.2.1.9", MS_INTEGER, "1:true,2:false", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedIndex", "1.3.6.1.4.1.32473.1.1.3.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedName", "1.3.6.1.4.1.32473.1.1.3.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedPower", "1.3.6.1.4.1.32473.1.1.3.1.3", MS_INTEGER, "1:on,2:off", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedSignalPresent", "1.3.6.1.4.1.32473.1.1.3.1.4", MS_INTEGER, "1:true,2:false", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedBrightness", "1.3.6.1.4.1.32473.1.1.3.1.5", MS_GAUGE, NULL, "percent", 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedCabinetTemp", "1.3.6.1.4.1.32473.1.1.3.1.6", MS_INTEGER, NULL, "degrees Celsius", 0.1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedModules", "1.3.6.1.4.1.32473.1.1.3.1.7", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedFailedModules", "1.3.6.1.4.1.32473.1.1.3.1.8", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facLedFailedPixels", "1.3.6.1.4.1.32473.1.1.3.1.9", MS_GAUGE, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermIndex", "1.3.6.1.4.1.32473.1.1.4.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermName", "1.3.6.1.4.1.32473.1.1.4.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermKind", "1.3.6.1.4.1.32473.1.1.4.1.3", MS_INTEGER, "1:touchScreen,2:evaluationTerminal,3:other", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermOnline", "1.3.6.1.4.1.32473.1.1.4.1.4", MS_INTEGER, "1:online,2:offline", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermLastHeartbeat", "1.3.6.1.4.1.32473.1.1.4.1.5", MS_DATETIME, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facTermHeartbeatAge", "1.3.6.1.4.1.32473.1.1.4.1.6", MS_GAUGE, NULL, "seconds", 1, NULL },
	{ "FACMON-FACILITY-MIB", "facApIndex", "1.3.6.1.4.1.32473.1.1.5.1.1", MS_INTEGER, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facApName", "1.3.6.1.4.1.32473.1.1.5.1.2", MS_STRING, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facApMacAddress", "1.3.6.1.4.1.32473.1.1.5.1.3", MS_MAC, NULL, NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facApOperState", "1.3.6.1.4.1.32473.1.1.5.1.4", MS_INTEGER, "1:online,2:offline,3:upgrading", NULL, 1, NULL },
	{ "FACMON-FACILITY-MIB", "facApClients", "1.3.6.1.4.1.32473.1.1.5.1.5", MS_GAUGE, NULL, NULL, 1, NULL },
};

#define MIBDICT_N	(sizeof(mibdict) / sizeof(mibdict[0]))

const struct mibobj *
mibdict_find(const char *module, const char *name)
{
	size_t	 i;

	for (i = 0; i < MIBDICT_N; i++)
		if (strcmp(mibdict[i].name, name) == 0 &&
		    (module == NULL || strcmp(mibdict[i].module, module) == 0))
			return &mibdict[i];
	return NULL;
}

/* Numeric dotted OID into arcs.  Returns the count, or -1. */
static int
parse_arcs(const char *s, unsigned long *arcs, size_t max)
{
	size_t	 n = 0;
	char	*end;

	if (*s == '.')
		s++;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s) || n == max)
			return -1;
		errno = 0;
		arcs[n++] = strtoul(s, &end, 10);
		if (errno != 0 || arcs[n - 1] > 0xffffffffUL)
			return -1;
		s = end;
		if (*s == '.' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return (int)n;
}

/*
 * "IF-MIB::ifHCInOctets", "ifOperStatus.3", "SNMPv2-MIB::sysUpTime.0":
 * the OID, and the value name to use (the object's name and its index,
 * without the module).  Returns 0, or -1 when the dictionary does not
 * know the name (net-snmp's MIB files may still).
 */
int
mibdict_parse(const char *str, unsigned long *arcs, size_t max, size_t *len,
    char *vname, size_t vlen)
{
	char	 module[64], name[64];
	const char *p, *sep, *dot;
	const struct mibobj *m;
	int	 n, k;

	module[0] = '\0';
	p = str;
	if ((sep = strstr(str, "::")) != NULL) {
		if ((size_t)(sep - str) >= sizeof(module) || sep == str)
			return -1;
		memcpy(module, str, (size_t)(sep - str));
		module[sep - str] = '\0';
		p = sep + 2;
	}
	dot = strchr(p, '.');
	if ((size_t)((dot ? dot : p + strlen(p)) - p) >= sizeof(name))
		return -1;
	memcpy(name, p, (size_t)((dot ? dot : p + strlen(p)) - p));
	name[(dot ? dot : p + strlen(p)) - p] = '\0';
	if (name[0] == '\0' || !isalpha((unsigned char)name[0]))
		return -1;
	if ((m = mibdict_find(module[0] ? module : NULL, name)) == NULL)
		return -1;
	if ((n = parse_arcs(m->oid, arcs, max)) == -1)
		return -1;
	if (dot != NULL) {
		if ((k = parse_arcs(dot + 1, arcs + n, max - (size_t)n)) <= 0)
			return -1;
		n += k;
	}
	*len = (size_t)n;
	if (vname != NULL && (size_t)snprintf(vname, vlen, "%s", p) >= vlen)
		return -1;
	return 0;
}

/*
 * The object a value's OID belongs to: the row whose OID is the longest
 * prefix of it (a column and its index, or a scalar and its ".0").
 */
const struct mibobj *
mibdict_by_oid(const unsigned long *o, size_t len)
{
	unsigned long arcs[32];
	const struct mibobj *best = NULL;
	size_t	 i, bestn = 0;
	int	 n;

	for (i = 0; i < MIBDICT_N; i++) {
		if ((n = parse_arcs(mibdict[i].oid, arcs, 32)) <= 0 ||
		    (size_t)n > len || (size_t)n <= bestn)
			continue;
		if (memcmp(arcs, o, (size_t)n * sizeof(*o)) == 0) {
			best = &mibdict[i];
			bestn = (size_t)n;
		}
	}
	return best;
}

/* The name of an enumerated value, or NULL when the object has none. */
const char *
mibdict_enum(const struct mibobj *m, long v, char *buf, size_t len)
{
	const char *p;
	char	*end;

	if (m == NULL || m->enums == NULL)
		return NULL;
	for (p = m->enums; *p != '\0';) {
		long	 k = strtol(p, &end, 10);
		size_t	 n;

		if (*end != ':')
			return NULL;
		p = end + 1;
		n = strcspn(p, ",");
		if (k == v) {
			if (n >= len)
				return NULL;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return buf;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

size_t
mibdict_count(void)
{
	return MIBDICT_N;
}
