// SPDX-License-Identifier: Apache-2.0
// A notice to a patient (a one-time code, a share link, "your film was
// opened", "your film is issued") and its delivery state in the outbox.
// Recipients, subjects and bodies are patient data: they stay in the
// encrypted outbox and the provider's request, never in logs or errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cf::notify {

// queued -> sending -> delivered | queued (retry) | failed (gave up).
// "sending" is only ever seen after a crash mid-delivery; the worker puts
// such rows back in the queue when it starts.
enum class Status { kQueued, kSending, kDelivered, kFailed };

std::string_view StatusName(Status status);  // "queued", "sending", ...
std::optional<Status> ParseStatus(std::string_view name);

struct Notification {
  std::string id{};               // public id (hex), assigned at Enqueue
  std::string idempotency_key{};  // the same key in one tenant = the same message
  std::string tenant{};
  std::string kind{};       // "share-code", "film-opened", "share-link", "film-issued"...
  std::string provider{};   // "webhook", "smtp", "file": empty = the tenant's default
  std::string recipient{};  // a phone number or e-mail address, as the hospital gave it
  std::string subject{};
  std::string body{};
  std::string film_id{};  // the film the notice is about, if any (first opening)
  int64_t created_ms = 0;

  Status status = Status::kQueued;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error{};  // never patient data: an HTTP status, a libcurl error
  int64_t delivered_ms = 0;
  std::string provider_message_id{};
  // When the patient first opened the film (0: not yet): proof that the
  // notice reached them, whatever the provider said.
  int64_t received_ms = 0;
};

// The recipient as admin views and the CLI list show it: enough to tell
// two apart ("+86138****0000", "p***@example.org"), not enough to contact.
std::string MaskRecipient(std::string_view recipient);

}  // namespace cf::notify
