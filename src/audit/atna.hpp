// SPDX-License-Identifier: Apache-2.0
// Export of audit events in the IHE ATNA form: a DICOM PS3.15 Annex A.5
// audit message (the RFC 3881 XML vocabulary with DICOM codes) wrapped in an
// RFC 5424 syslog line, as an audit record repository expects it (IHE ITI-20).
// The message carries patient identifiers by design: it goes to an audit
// repository, never into our operational logs. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/event.hpp"

namespace cf::audit {

// The XML AuditMessage for `event`: EventIdentification (EventID per action,
// e.g. DCM 110103 "DICOM Instances Accessed", 110112 "Query", 110104 "DICOM
// Instances Transferred", 110114 "User Authentication", 110113 "Security
// Alert"), the actor and this archive as ActiveParticipants (the actor's
// NetworkAccessPointID is the event's source address without its port),
// AuditSourceIdentification (`audit_source_id`, the tenant as
// AuditEnterpriseSiteID) and the patient and study as
// ParticipantObjectIdentification when the event names them. Text is
// XML-escaped; bytes that are not valid UTF-8 or not allowed in XML 1.0
// become U+FFFD. One line, starting with the XML declaration.
std::string ToDicomAuditMessage(const Event& event, std::string_view audit_source_id);

// An RFC 5424 syslog message carrying `xml`: "<85>1 TIMESTAMP HOSTNAME
// APP-NAME - IHE+RFC-3881 - " then a UTF-8 BOM and the XML. Priority 85 is
// facility 10 (authpriv), severity 5 (notice); the timestamp is `time_ms` in
// UTC with milliseconds ("2025-10-09T08:53:20.123Z"), or "-" outside years
// 0000-9999. HOSTNAME and APP-NAME are cut to 255 and 48 characters, bytes
// outside printable US-ASCII become '_', and empty ones become "-". No
// transport framing: a sender adds the octet count for TCP/TLS (RFC 5425).
std::string ToSyslogRfc5424(const std::string& xml, int64_t time_ms, std::string_view hostname,
                            std::string_view app_name);

}  // namespace cf::audit
