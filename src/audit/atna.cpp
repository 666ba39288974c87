// SPDX-License-Identifier: Apache-2.0
// Codes and structure follow DICOM PS3.15 A.5.1 (schema) and A.5.3 (the
// messages: Query A.5.3.10, Instances Accessed A.5.3.2, Instances Transferred
// A.5.3.4, Study Deleted A.5.3.5, Export A.5.3.7, Security Alert A.5.3.11,
// User Authentication A.5.3.12); code meanings are those of PS3.16.
#include "audit/atna.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include "audit/source_host.hpp"

namespace cf::audit {
namespace {

struct Code {
  std::string_view code;
  std::string_view system;
  std::string_view text;
};

constexpr Code kQueryEvent{"110112", "DCM", "Query"};
constexpr Code kAccessedEvent{"110103", "DCM", "DICOM Instances Accessed"};
constexpr Code kTransferredEvent{"110104", "DCM", "DICOM Instances Transferred"};
constexpr Code kDeletedEvent{"110105", "DCM", "DICOM Study Deleted"};
constexpr Code kExportEvent{"110106", "DCM", "Export"};
constexpr Code kSecurityAlertEvent{"110113", "DCM", "Security Alert"};
constexpr Code kAuthenticationEvent{"110114", "DCM", "User Authentication"};

constexpr Code kLoginType{"110122", "DCM", "Login"};
constexpr Code kLogoutType{"110123", "DCM", "Logout"};
constexpr Code kEmergencyOverrideType{"110127", "DCM", "Emergency Override Started"};
constexpr Code kRestrictedFunctionType{"110132", "DCM", "Use of Restricted Function"};
constexpr Code kUserSecurityAttributesType{"110137", "DCM", "User security Attributes Changed"};
constexpr Code kNetworkConfigurationType{"110128", "DCM", "Network Configuration"};

constexpr Code kSourceRole{"110153", "DCM", "Source Role ID"};
constexpr Code kDestinationRole{"110152", "DCM", "Destination Role ID"};

constexpr Code kPatientNumber{"2", "RFC-3881", "Patient Number"};
constexpr Code kStudyInstanceUid{"110180", "DCM", "Study Instance UID"};
constexpr Code kSopClassUid{"110181", "DCM", "SOP Class UID"};
constexpr std::string_view kStudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";

// Our own role names ("doctor") as a local coding scheme (PS3.16 8.2: "99" prefix).
constexpr std::string_view kLocalCodingScheme = "99CLOUDFILM";

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Which way data flows between the actor and this archive, for the RoleIDCodes.
enum class Flow { kNone, kActorSends, kActorReceives };

struct EventSpec {
  Code id;
  std::optional<Code> type;
  char action_code;  // C create, R read, U update, D delete, E execute
  Flow flow;
};

EventSpec SpecFor(Action action) {
  switch (action) {
    case Action::kQuery:
      return {kQueryEvent, std::nullopt, 'E', Flow::kActorSends};
    case Action::kView:
      return {kAccessedEvent, std::nullopt, 'R', Flow::kNone};
    case Action::kDownload:
      return {kTransferredEvent, std::nullopt, 'R', Flow::kActorReceives};
    case Action::kStore:
      return {kTransferredEvent, std::nullopt, 'C', Flow::kActorSends};
    case Action::kDelete:
      return {kDeletedEvent, std::nullopt, 'D', Flow::kNone};
    case Action::kShare:
    case Action::kPrint:
      return {kExportEvent, std::nullopt, 'R', Flow::kNone};
    case Action::kLogin:
    case Action::kLoginFailed:
      return {kAuthenticationEvent, kLoginType, 'E', Flow::kNone};
    case Action::kLogout:
      return {kAuthenticationEvent, kLogoutType, 'E', Flow::kNone};
    case Action::kBreakGlass:
      return {kSecurityAlertEvent, kEmergencyOverrideType, 'E', Flow::kNone};
    case Action::kTokenCreate:
    case Action::kTokenRevoke:
    case Action::kAccountCreate:
    case Action::kAccountChange:
      return {kSecurityAlertEvent, kUserSecurityAttributesType, 'E', Flow::kNone};
    case Action::kAccessDenied:
      return {kSecurityAlertEvent, kRestrictedFunctionType, 'E', Flow::kNone};
    case Action::kConfigChange:
      return {kSecurityAlertEvent, kNetworkConfigurationType, 'E', Flow::kNone};
  }
  return {kSecurityAlertEvent, std::nullopt, 'E', Flow::kNone};
}

// EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure.
std::string_view OutcomeIndicator(const Event& e) {
  switch (e.outcome) {
    case Outcome::kSuccess:
      // A failed login or a denial is a failure whatever the caller wrote.
      return e.action == Action::kLoginFailed || e.action == Action::kAccessDenied ? "4" : "0";
    case Outcome::kDenied:
      return "4";
    case Outcome::kFailure:
      return "8";
  }
  return "8";
}

// The code point of the UTF-8 sequence at the start of `s` and its length,
// or length 0 when it is not a valid, shortest-form sequence.
std::pair<char32_t, size_t> DecodeUtf8(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len = 0;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return {0, 0};
  }
  if (s.size() < len) return {0, 0};
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  const bool shortest = (len == 2 && cp >= 0x80) || (len == 3 && cp >= 0x800) ||
                        (len == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (!shortest || surrogate) return {0, 0};
  return {cp, len};
}

// XML 1.0 escaping for text and attribute values alike. Tab, LF and CR are
// written as character references so that attribute normalisation keeps them.
void AppendEscaped(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
          out += "&#9;";
          break;
        case '\n':
          out += "&#10;";
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          if (c < 0x20) {
            out += kReplacementChar;  // not allowed in XML 1.0, even as a reference
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const auto [cp, len] = DecodeUtf8(s.substr(i));
    if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
      out += kReplacementChar;
      i += len == 0 ? 1 : len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
}

void AppendAttr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  AppendEscaped(out, value);
  out += '"';
}

void AppendCoded(std::string& out, std::string_view element, const Code& code) {
  out += '<';
  out += element;
  AppendAttr(out, "csd-code", code.code);
  AppendAttr(out, "codeSystemName", code.system);
  AppendAttr(out, "originalText", code.text);
  out += "/>";
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool IsIpAddress(std::string_view host) {
  if (host.empty()) return false;
  const bool v6 = host.find(':') != std::string_view::npos;
  for (char c : host) {
    const bool digit = c >= '0' && c <= '9';
    const bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!(v6 ? (hex || c == ':' || c == '.') : (digit || c == '.'))) return false;
  }
  return v6 || host.find('.') != std::string_view::npos;
}

// "YYYY-MM-DDThh:mm:ss.sssZ", or empty outside years 0000-9999.
std::string FormatUtcMs(int64_t time_ms) {
  constexpr int64_t kMin = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
  constexpr int64_t kMax = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
  if (time_ms < kMin || time_ms > kMax) return {};
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{time_ms}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

// An RFC 5424 header field: 1..max printable US-ASCII characters, or "-".
void AppendHeaderField(std::string& out, std::string_view value, size_t max) {
  if (value.empty()) {
    out += '-';
    return;
  }
  for (char c : value.substr(0, max)) out += c >= 33 && c <= 126 ? c : '_';
}

}  // namespace

std::string ToDicomAuditMessage(const Event& event, std::string_view audit_source_id) {
  const EventSpec spec = SpecFor(event.action);
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?><AuditMessage>)";

  out += "<EventIdentification";
  AppendAttr(out, "EventActionCode", std::string_view(&spec.action_code, 1));
  const std::string when = FormatUtcMs(event.time_ms);
  AppendAttr(out, "EventDateTime", when.empty() ? FormatUtcMs(0) : when);
  AppendAttr(out, "EventOutcomeIndicator", OutcomeIndicator(event));
  out += '>';
  AppendCoded(out, "EventID", spec.id);
  if (spec.type) AppendCoded(out, "EventTypeCode", *spec.type);
  // The query travels in its participant object; any other detail (a
  // break-glass reason, counts) is the outcome's description.
  if (!event.detail.empty() && event.action != Action::kQuery) {
    out += "<EventOutcomeDescription>";
    AppendEscaped(out, event.detail);
    out += "</EventOutcomeDescription>";
  }
  out += "</EventIdentification>";

  // The actor: the person or process that asked.
  out += "<ActiveParticipant";
  AppendAttr(out, "UserID", event.actor.empty() ? std::string_view("anonymous") : event.actor);
  if (!event.token_id.empty()) AppendAttr(out, "AlternativeUserID", event.token_id);
  AppendAttr(out, "UserIsRequestor", "true");
  const std::string_view host = SourceHost(event.source);
  if (!host.empty()) {
    AppendAttr(out, "NetworkAccessPointID", host);
    AppendAttr(out, "NetworkAccessPointTypeCode", IsIpAddress(host) ? "2" : "1");
  }
  out += '>';
  if (spec.flow == Flow::kActorSends) AppendCoded(out, "RoleIDCode", kSourceRole);
  if (spec.flow == Flow::kActorReceives) AppendCoded(out, "RoleIDCode", kDestinationRole);
  if (!event.role.empty()) {
    AppendCoded(out, "RoleIDCode", Code{event.role, kLocalCodingScheme, event.role});
  }
  out += "</ActiveParticipant>";

  // This archive: the process that answered.
  out += "<ActiveParticipant";
  AppendAttr(out, "UserID", audit_source_id);
  AppendAttr(out, "UserIsRequestor", "false");
  out += '>';
  if (spec.flow == Flow::kActorSends) AppendCoded(out, "RoleIDCode", kDestinationRole);
  if (spec.flow == Flow::kActorReceives) AppendCoded(out, "RoleIDCode", kSourceRole);
  out += "</ActiveParticipant>";

  out += "<AuditSourceIdentification";
  if (!event.tenant.empty()) AppendAttr(out, "AuditEnterpriseSiteID", event.tenant);
  AppendAttr(out, "AuditSourceID", audit_source_id);
  out += R"(><AuditSourceTypeCode csd-code="4"/></AuditSourceIdentification>)";

  if (!event.patient_id.empty()) {
    out += "<ParticipantObjectIdentification";
    AppendAttr(out, "ParticipantObjectID", event.patient_id);
    out += R"( ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">)";
    AppendCoded(out, "ParticipantObjectIDTypeCode", kPatientNumber);
    out += "</ParticipantObjectIdentification>";
  }
  if (!event.study_uid.empty()) {
    out += "<ParticipantObjectIdentification";
    AppendAttr(out, "ParticipantObjectID", event.study_uid);
    out += R"( ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">)";
    AppendCoded(out, "ParticipantObjectIDTypeCode", kStudyInstanceUid);
    out += "</ParticipantObjectIdentification>";
  }
  if (event.action == Action::kQuery && !event.detail.empty()) {
    out += "<ParticipantObjectIdentification";
    AppendAttr(out, "ParticipantObjectID", kStudyRootFind);
    out += R"( ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">)";
    AppendCoded(out, "ParticipantObjectIDTypeCode", kSopClassUid);
    out += "<ParticipantObjectQuery>";
    out += Base64(event.detail);
    out += "</ParticipantObjectQuery></ParticipantObjectIdentification>";
  }
  out += "</AuditMessage>";
  return out;
}

std::string ToSyslogRfc5424(const std::string& xml, int64_t time_ms, std::string_view hostname,
                            std::string_view app_name) {
  std::string out = "<85>1 ";  // facility 10 (authpriv) * 8 + severity 5 (notice), VERSION 1
  const std::string timestamp = FormatUtcMs(time_ms);
  out += timestamp.empty() ? "-" : timestamp;
  out += ' ';
  AppendHeaderField(out, hostname, 255);
  out += ' ';
  AppendHeaderField(out, app_name, 48);
  out += " - IHE+RFC-3881 - ";  // PROCID, MSGID, STRUCTURED-DATA
  out += "\xEF\xBB\xBF";        // BOM: the MSG is UTF-8
  out += xml;
  return out;
}

}  // namespace cf::audit
