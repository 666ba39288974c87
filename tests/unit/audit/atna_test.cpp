// SPDX-License-Identifier: Apache-2.0
#include "audit/atna.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace cf::audit {
namespace {

constexpr int64_t kT0 = 1'760'000'000'123;  // 2025-10-09T08:53:20.123Z

Event ViewEvent() {
  Event e;
  e.id = 7;
  e.time_ms = kT0;
  e.tenant = "hospital-a";
  e.actor = "doctor-li";
  e.role = "doctor";
  e.patient_id = "P100";
  e.study_uid = "1.2.840.99.1";
  e.action = Action::kView;
  e.protocol = "http";
  e.route = "/dicom-web/studies/{study}";
  e.source = "10.0.0.7:51234";
  return e;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(AtnaTest, ViewIsAWholeDicomAuditMessage) {
  EXPECT_EQ(
      ToDicomAuditMessage(ViewEvent(), "cloudfilm@node-1"),
      R"(<?xml version="1.0" encoding="UTF-8"?><AuditMessage>)"
      R"(<EventIdentification EventActionCode="R" EventDateTime="2025-10-09T08:53:20.123Z" )"
      R"(EventOutcomeIndicator="0">)"
      R"(<EventID csd-code="110103" codeSystemName="DCM" originalText="DICOM Instances Accessed"/>)"
      R"(</EventIdentification>)"
      R"(<ActiveParticipant UserID="doctor-li" UserIsRequestor="true" )"
      R"(NetworkAccessPointID="10.0.0.7" NetworkAccessPointTypeCode="2">)"
      R"(<RoleIDCode csd-code="doctor" codeSystemName="99CLOUDFILM" originalText="doctor"/>)"
      R"(</ActiveParticipant>)"
      R"(<ActiveParticipant UserID="cloudfilm@node-1" UserIsRequestor="false"></ActiveParticipant>)"
      R"(<AuditSourceIdentification AuditEnterpriseSiteID="hospital-a" )"
      R"(AuditSourceID="cloudfilm@node-1"><AuditSourceTypeCode csd-code="4"/>)"
      R"(</AuditSourceIdentification>)"
      R"(<ParticipantObjectIdentification ParticipantObjectID="P100" )"
      R"(ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">)"
      R"(<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" )"
      R"(originalText="Patient Number"/></ParticipantObjectIdentification>)"
      R"(<ParticipantObjectIdentification ParticipantObjectID="1.2.840.99.1" )"
      R"(ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">)"
      R"(<ParticipantObjectIDTypeCode csd-code="110180" codeSystemName="DCM" )"
      R"(originalText="Study Instance UID"/></ParticipantObjectIdentification>)"
      R"(</AuditMessage>)");
}

TEST(AtnaTest, EachActionHasItsEventIdAndActionCode) {
  struct Case {
    Action action;
    std::string event_id;
    std::string action_code;
    std::string type_code;  // empty: no EventTypeCode
  };
  const std::vector<Case> cases = {
      {Action::kQuery, R"(csd-code="110112" codeSystemName="DCM" originalText="Query")", "E", ""},
      {Action::kView,
       R"(csd-code="110103" codeSystemName="DCM" originalText="DICOM Instances Accessed")", "R",
       ""},
      {Action::kDownload,
       R"(csd-code="110104" codeSystemName="DCM" originalText="DICOM Instances Transferred")", "R",
       ""},
      {Action::kStore,
       R"(csd-code="110104" codeSystemName="DCM" originalText="DICOM Instances Transferred")", "C",
       ""},
      {Action::kDelete,
       R"(csd-code="110105" codeSystemName="DCM" originalText="DICOM Study Deleted")", "D", ""},
      {Action::kShare, R"(csd-code="110106" codeSystemName="DCM" originalText="Export")", "R", ""},
      {Action::kPrint, R"(csd-code="110106" codeSystemName="DCM" originalText="Export")", "R", ""},
      {Action::kLogin,
       R"(csd-code="110114" codeSystemName="DCM" originalText="User Authentication")", "E",
       R"(csd-code="110122" codeSystemName="DCM" originalText="Login")"},
      {Action::kLoginFailed,
       R"(csd-code="110114" codeSystemName="DCM" originalText="User Authentication")", "E",
       R"(csd-code="110122" codeSystemName="DCM" originalText="Login")"},
      {Action::kLogout,
       R"(csd-code="110114" codeSystemName="DCM" originalText="User Authentication")", "E",
       R"(csd-code="110123" codeSystemName="DCM" originalText="Logout")"},
      {Action::kBreakGlass,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110127" codeSystemName="DCM" originalText="Emergency Override Started")"},
      {Action::kTokenCreate,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110137" codeSystemName="DCM" originalText="User security Attributes Changed")"},
      {Action::kTokenRevoke,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110137" codeSystemName="DCM" originalText="User security Attributes Changed")"},
      {Action::kAccountCreate,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110137" codeSystemName="DCM" originalText="User security Attributes Changed")"},
      {Action::kAccountChange,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110137" codeSystemName="DCM" originalText="User security Attributes Changed")"},
      {Action::kAccessDenied,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110132" codeSystemName="DCM" originalText="Use of Restricted Function")"},
      {Action::kConfigChange,
       R"(csd-code="110113" codeSystemName="DCM" originalText="Security Alert")", "E",
       R"(csd-code="110128" codeSystemName="DCM" originalText="Network Configuration")"},
  };
  for (const auto& c : cases) {
    Event e = ViewEvent();
    e.action = c.action;
    const std::string xml = ToDicomAuditMessage(e, "cf");
    SCOPED_TRACE(std::string(ActionName(c.action)));
    EXPECT_TRUE(Contains(xml, "<EventID " + c.event_id + "/>")) << xml;
    EXPECT_TRUE(Contains(xml, "EventActionCode=\"" + c.action_code + "\"")) << xml;
    if (c.type_code.empty()) {
      EXPECT_FALSE(Contains(xml, "<EventTypeCode")) << xml;
    } else {
      EXPECT_TRUE(Contains(xml, "<EventTypeCode " + c.type_code + "/>")) << xml;
    }
  }
}

TEST(AtnaTest, RolesFollowTheDirectionOfTheData) {
  const std::string source = R"(<RoleIDCode csd-code="110153" codeSystemName="DCM" )"
                             R"(originalText="Source Role ID"/>)";
  const std::string destination = R"(<RoleIDCode csd-code="110152" codeSystemName="DCM" )"
                                  R"(originalText="Destination Role ID"/>)";
  Event e = ViewEvent();
  e.role.clear();
  e.action = Action::kDownload;  // the actor receives, the archive sends
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"),
                       R"(NetworkAccessPointTypeCode="2">)" + destination +
                           R"(</ActiveParticipant><ActiveParticipant UserID="cf" )"
                           R"(UserIsRequestor="false">)" +
                           source));
  e.action = Action::kStore;  // the actor sends, the archive receives
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"),
                       R"(NetworkAccessPointTypeCode="2">)" + source +
                           R"(</ActiveParticipant><ActiveParticipant UserID="cf" )"
                           R"(UserIsRequestor="false">)" +
                           destination));
  e.action = Action::kQuery;  // the actor issues the query
  EXPECT_TRUE(
      Contains(ToDicomAuditMessage(e, "cf"), R"(NetworkAccessPointTypeCode="2">)" + source));
  e.action = Action::kView;
  const std::string xml = ToDicomAuditMessage(e, "cf");
  EXPECT_FALSE(Contains(xml, "<RoleIDCode")) << xml;
}

TEST(AtnaTest, OutcomeIndicators) {
  Event e = ViewEvent();
  e.outcome = Outcome::kSuccess;
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"), R"(EventOutcomeIndicator="0")"));
  e.outcome = Outcome::kDenied;
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"), R"(EventOutcomeIndicator="4")"));
  e.outcome = Outcome::kFailure;
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"), R"(EventOutcomeIndicator="8")"));
  // A failed login is never reported as a success.
  e.action = Action::kLoginFailed;
  e.outcome = Outcome::kSuccess;
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"), R"(EventOutcomeIndicator="4")"));
  e.action = Action::kAccessDenied;
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"), R"(EventOutcomeIndicator="4")"));
}

TEST(AtnaTest, EscapesMarkupInEveryField) {
  Event e = ViewEvent();
  e.actor = R"(a<b&c"d'e>f)";
  e.patient_id = R"(P"1'<&>)";
  e.study_uid = "1.2&3";
  e.tenant = "<tenant>";
  e.action = Action::kBreakGlass;
  e.detail = "急诊 <b>&amp;</b> \"why\" 'now'\nline2\ttab";
  const std::string xml = ToDicomAuditMessage(e, R"(src"&<)");
  EXPECT_TRUE(Contains(xml, R"(UserID="a&lt;b&amp;c&quot;d&apos;e&gt;f")")) << xml;
  EXPECT_TRUE(Contains(xml, R"(ParticipantObjectID="P&quot;1&apos;&lt;&amp;&gt;")")) << xml;
  EXPECT_TRUE(Contains(xml, R"(ParticipantObjectID="1.2&amp;3")")) << xml;
  EXPECT_TRUE(Contains(xml, R"(AuditEnterpriseSiteID="&lt;tenant&gt;")")) << xml;
  EXPECT_TRUE(Contains(xml, R"(AuditSourceID="src&quot;&amp;&lt;")")) << xml;
  EXPECT_TRUE(Contains(xml, R"(UserID="src&quot;&amp;&lt;" UserIsRequestor="false")")) << xml;
  EXPECT_TRUE(Contains(xml,
                       "<EventOutcomeDescription>急诊 &lt;b&gt;&amp;amp;&lt;/b&gt; "
                       "&quot;why&quot; &apos;now&apos;&#10;line2&#9;tab"
                       "</EventOutcomeDescription>"))
      << xml;
  // Nothing raw slipped through: every '<' opens one of our elements and no
  // attribute value holds a quote.
  EXPECT_FALSE(Contains(xml, "<b>"));
  EXPECT_FALSE(Contains(xml, "<tenant>"));
  EXPECT_FALSE(Contains(xml, "'"));
  EXPECT_FALSE(Contains(xml, "\n"));
}

TEST(AtnaTest, BytesXmlCannotCarryBecomeReplacementCharacters) {
  Event e = ViewEvent();
  e.actor = std::string("ctl\x01x") + "bad\xff" + "cut\xe4\xb8" + "ok中";
  const std::string xml = ToDicomAuditMessage(e, "cf");
  EXPECT_TRUE(Contains(xml,
                       "UserID=\"ctl\xEF\xBF\xBDxbad\xEF\xBF\xBD"
                       "cut\xEF\xBF\xBD\xEF\xBF\xBDok中\""))
      << xml;
  // Overlong and surrogate encodings are not valid UTF-8 either.
  e.actor = "\xc0\xaf\xed\xa0\x80";
  EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"),
                       "UserID=\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""));
}

TEST(AtnaTest, ChineseTextIsKeptAsUtf8) {
  Event e = ViewEvent();
  e.tenant = "人民医院";
  e.actor = "张医生";
  e.patient_id = "患者-0001";
  const std::string xml = ToDicomAuditMessage(e, "云胶片");
  EXPECT_TRUE(Contains(xml, R"(UserID="张医生")"));
  EXPECT_TRUE(Contains(xml, R"(AuditEnterpriseSiteID="人民医院" AuditSourceID="云胶片")"));
  EXPECT_TRUE(Contains(xml, R"(ParticipantObjectID="患者-0001")"));
}

TEST(AtnaTest, ObjectsAndAddressesOnlyWhenKnown) {
  Event e = ViewEvent();
  e.action = Action::kLogin;
  e.patient_id.clear();
  e.study_uid.clear();
  e.source.clear();
  e.role.clear();
  e.tenant.clear();
  e.token_id = "tok-9";
  const std::string xml = ToDicomAuditMessage(e, "cf");
  EXPECT_FALSE(Contains(xml, "ParticipantObjectIdentification")) << xml;
  EXPECT_FALSE(Contains(xml, "NetworkAccessPoint")) << xml;
  EXPECT_FALSE(Contains(xml, "AuditEnterpriseSiteID")) << xml;
  EXPECT_FALSE(Contains(xml, "EventOutcomeDescription")) << xml;
  EXPECT_TRUE(Contains(
      xml,
      R"(<ActiveParticipant UserID="doctor-li" AlternativeUserID="tok-9" UserIsRequestor="true">)"
      R"(</ActiveParticipant>)"))
      << xml;
  // The study alone, without a patient.
  e.study_uid = "1.2.3";
  const std::string study_only = ToDicomAuditMessage(e, "cf");
  EXPECT_TRUE(Contains(study_only, R"(ParticipantObjectID="1.2.3")"));
  EXPECT_FALSE(Contains(study_only, "Patient Number"));
}

TEST(AtnaTest, NetworkAccessPointIsTheSourceWithoutPort) {
  auto access_point = [](std::string source) {
    Event e = ViewEvent();
    e.source = std::move(source);
    const std::string xml = ToDicomAuditMessage(e, "cf");
    const size_t at = xml.find("NetworkAccessPointID=");
    return at == std::string::npos ? std::string() : xml.substr(at, xml.find('>', at) - at);
  };
  EXPECT_EQ(access_point("10.0.0.7:51234"),
            R"(NetworkAccessPointID="10.0.0.7" NetworkAccessPointTypeCode="2")");
  EXPECT_EQ(access_point("10.0.0.7"),
            R"(NetworkAccessPointID="10.0.0.7" NetworkAccessPointTypeCode="2")");
  EXPECT_EQ(access_point("[::1]:40112"),
            R"(NetworkAccessPointID="::1" NetworkAccessPointTypeCode="2")");
  EXPECT_EQ(access_point("fe80::1"),
            R"(NetworkAccessPointID="fe80::1" NetworkAccessPointTypeCode="2")");
  EXPECT_EQ(access_point("ws-12.hospital.local:104"),
            R"(NetworkAccessPointID="ws-12.hospital.local" NetworkAccessPointTypeCode="1")");
}

TEST(AtnaTest, QueryCarriesItsKeysBase64Encoded) {
  Event e = ViewEvent();
  e.action = Action::kQuery;
  e.study_uid.clear();
  e.patient_id.clear();
  e.detail = "StudyDate=20260115&ModalitiesInStudy=CT&PatientName=张*";
  const std::string xml = ToDicomAuditMessage(e, "cf");
  EXPECT_TRUE(
      Contains(xml, R"(<ParticipantObjectIdentification )"
                    R"(ParticipantObjectID="1.2.840.10008.5.1.4.1.2.2.1" )"
                    R"(ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">)"
                    R"(<ParticipantObjectIDTypeCode csd-code="110181" codeSystemName="DCM" )"
                    R"(originalText="SOP Class UID"/><ParticipantObjectQuery>)"
                    "U3R1ZHlEYXRlPTIwMjYwMTE1Jk1vZGFsaXRpZXNJblN0dWR5PUNUJlBhdGllbnROYW1lPeW8oCo="
                    "</ParticipantObjectQuery></ParticipantObjectIdentification>"))
      << xml;
  EXPECT_FALSE(Contains(xml, "EventOutcomeDescription"));
  // Padding for each remainder.
  for (const auto& [detail, b64] : std::vector<std::pair<std::string, std::string>>{
           {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}}) {
    e.detail = detail;
    EXPECT_TRUE(Contains(ToDicomAuditMessage(e, "cf"),
                         "<ParticipantObjectQuery>" + b64 + "</ParticipantObjectQuery>"));
  }
}

TEST(AtnaTest, SyslogHeaderIsRfc5424) {
  const std::string xml = ToDicomAuditMessage(ViewEvent(), "cf");
  const std::string line = ToSyslogRfc5424(xml, kT0, "node-1.example.org", "cloudfilm");
  EXPECT_EQ(line,
            "<85>1 2025-10-09T08:53:20.123Z node-1.example.org cloudfilm - IHE+RFC-3881 - "
            "\xEF\xBB\xBF" +
                xml);
}

TEST(AtnaTest, SyslogTimestampIsUtcWithMilliseconds) {
  auto stamp = [](int64_t ms) {
    const std::string line = ToSyslogRfc5424("<x/>", ms, "h", "a");
    return line.substr(6, line.find(' ', 6) - 6);
  };
  EXPECT_EQ(stamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(stamp(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(stamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(stamp(951'782'400'000), "2000-02-29T00:00:00.000Z");  // a leap day
  EXPECT_EQ(stamp(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(stamp(253'402'300'800'000), "-");  // beyond RFC 3339's four-digit years
  EXPECT_EQ(stamp(std::numeric_limits<int64_t>::min()), "-");
}

TEST(AtnaTest, SyslogHeaderFieldsArePrintableAscii) {
  const std::string line = ToSyslogRfc5424("<x/>", 0, "", std::string(60, 'a'));
  EXPECT_EQ(line, "<85>1 1970-01-01T00:00:00.000Z - " + std::string(48, 'a') +
                      " - IHE+RFC-3881 - \xEF\xBB\xBF<x/>");
  EXPECT_EQ(ToSyslogRfc5424("<x/>", 0, "my host", "云胶片"),
            "<85>1 1970-01-01T00:00:00.000Z my_host _________ - IHE+RFC-3881 - \xEF\xBB\xBF<x/>");
}

}  // namespace
}  // namespace cf::audit
