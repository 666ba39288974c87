// SPDX-License-Identifier: Apache-2.0
// The request and response types that handlers see. The request is Beast's
// parsed message plus what the router extracted (route pattern, path
// parameters, decoded query); the response is our own plain value so that
// handlers and tests build answers without Beast, and so that a large body
// (DICOM bytes) moves into the socket write without a copy. Internal to
// cf::http: Beast types stay inside this part.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/principal.hpp"
#include "catalog/scope.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/tenant.hpp"
#include "http/query_params.hpp"

namespace cf::http {

using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;

class SpoolFile;

struct Request {
  const RawRequest& raw;
  std::string_view route;  // the matched pattern ("/api/studies/{uid}"): safe to log
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> params;  // {name} -> decoded segment
  // The client's address (for ingest sources and logs; not patient data).
  std::string_view peer;
  // For an upload the server streamed to disk (STOW-RS), its body; then
  // raw.body() is empty. See spool_file.hpp.
  const SpoolFile* body_file = nullptr;
  // Who is asking, authenticated and allowed for this route by the router.
  // Null only for routes dispatched without Router::Secure (tests).
  const access::Principal* principal = nullptr;
  // Whose data the request reads, and the tenant what it stores is filed
  // under. Set by the router from the principal (and the header
  // X-Cloudfilm-Tenant, see docs/security.md), never by a handler; without
  // Router::Secure, the default tenant.
  catalog::Scope scope = catalog::Scope::Of(std::string(kDefaultTenant));
  std::string tenant = std::string(kDefaultTenant);

  // The decoded value of path parameter `name`; empty when the route has none.
  std::string_view Param(std::string_view name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return value;
    }
    return {};
  }
};

// A body produced piece by piece while it is sent, so that a WADO-RS
// retrieve of a whole study never sits in memory at once. The server calls
// Next on the blocking pool (it may read and convert objects), one call at
// a time, and writes each piece as an HTTP/1.1 chunk.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The next piece; an empty one ends the body. The status line is sent by
  // then, so an error can only cut the connection: the client sees a
  // truncated body, never a complete-looking wrong one.
  virtual Result<Bytes> Next() = 0;
  // The body will not be sent to its end: Next failed (`reason` is its
  // error) or the client stopped reading after `sent` bytes. Called once,
  // on the blocking pool, so that what was served is recorded as it was.
  virtual void Cut(std::string_view reason, uint64_t sent) {
    (void)reason;
    (void)sent;
  }

  // The next piece as buffers sent together, as one chunk and one gather
  // write (a multipart part's header, its bytes and maybe the closing
  // delimiter, without joining them); none, or only empty ones, end the
  // body. The server calls this, not Next; by default it is Next alone.
  virtual Result<std::vector<Bytes>> NextBuffers() {
    auto piece = Next();
    if (!piece) return std::unexpected(piece.error());
    std::vector<Bytes> out;
    if (!piece->empty()) out.push_back(std::move(*piece));
    return out;
  }

  // True when NextBuffers would not block (its piece is ready in memory):
  // the server then calls it on its own thread instead of the blocking pool.
  virtual bool Ready() const { return false; }

  // Gives a piece back once it is written, for its buffers to be reused
  // (no fresh memory per piece). Called on the server's thread; by default
  // the piece is freed.
  virtual void Recycle(std::vector<Bytes> piece) { (void)piece; }
};

struct Response {
  unsigned status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/Length
  Bytes body;
  // When set, sent chunked instead of `body`. Shared only so that a Response
  // stays copyable like the plain value it otherwise is.
  std::shared_ptr<BodySource> stream;
  // The exam the answer was about, when the path does not name it (a
  // report or film by its id): the audit event records it, so that an
  // exam's access history sees every read. Never sent.
  std::string audit_study_uid;

  std::string_view BodyText() const { return AsChars(body); }

  // Sets or replaces a header; names compare case-insensitively.
  void SetHeader(std::string_view name, std::string value);
  std::optional<std::string_view> Header(std::string_view name) const;
};

}  // namespace cf::http
