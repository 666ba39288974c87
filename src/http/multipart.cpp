// SPDX-License-Identifier: Apache-2.0
// Delimiters are found with memmem (glibc's two-way search: linear time
// whatever the boundary and content, so a hostile boundary such as "aaaa"
// over a body of 'a's costs no more than a scan). Part headers are read in
// place, inside a fixed budget; the reader's only allocations are the
// delimiter (at most 4 + kMaxBoundaryLength bytes) and error messages.
#include "http/multipart.hpp"

#include <string.h>

#include <algorithm>
#include <cctype>

namespace cf::http {
namespace {

bool IsTchar(char c) {
  // RFC 9110 5.6.2 token characters.
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsBchar(char c) {
  // RFC 2046 5.1.1 bcharsnospace.
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  switch (c) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case '_':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
      return true;
    default:
      return false;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// A token at the start of `text`; empty when there is none.
std::string_view TakeToken(std::string_view& text) {
  size_t n = 0;
  while (n < text.size() && IsTchar(text[n])) ++n;
  const std::string_view token = text.substr(0, n);
  text.remove_prefix(n);
  return token;
}

void SkipSpaces(std::string_view& text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
}

// RFC 9110 5.6.4 quoted-string at the start of `text` (which starts with a
// quote); the unescaped content, or an error.
Result<std::string> TakeQuoted(std::string_view& text, std::string_view name) {
  std::string value;
  text.remove_prefix(1);
  while (!text.empty()) {
    const char c = text.front();
    text.remove_prefix(1);
    if (c == '"') return value;
    if (c == '\\') {
      if (text.empty()) break;
      const auto escaped = static_cast<unsigned char>(text.front());
      if (escaped < 0x20 && escaped != '\t') break;
      if (escaped == 0x7F) break;
      value.push_back(text.front());
      text.remove_prefix(1);
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      return Invalid("media type parameter '" + std::string(name) +
                     "' has a control character in its quoted value");
    }
    value.push_back(c);
  }
  return Invalid("media type parameter '" + std::string(name) +
                 "' has an unterminated quoted value");
}

}  // namespace

std::optional<std::string_view> MediaType::Parameter(std::string_view name) const {
  for (const auto& [key, value] : parameters) {
    if (key == name) return std::string_view{value};
  }
  return std::nullopt;
}

Result<MediaType> ParseMediaType(std::string_view value) {
  std::string_view rest = Trim(value);
  if (rest.empty()) return Invalid("media type is empty");
  const std::string_view type = TakeToken(rest);
  if (type.empty()) return Invalid("media type does not start with a type name");
  if (rest.empty() || rest.front() != '/') return Invalid("media type has no '/subtype'");
  rest.remove_prefix(1);
  const std::string_view subtype = TakeToken(rest);
  if (subtype.empty()) return Invalid("media type has an empty subtype");

  MediaType media;
  media.type = Lower(type);
  media.type.push_back('/');
  media.type.append(Lower(subtype));
  for (;;) {
    SkipSpaces(rest);
    if (rest.empty()) break;
    if (rest.front() != ';') {
      return Invalid("media type has an unexpected character after '" + media.type + "'");
    }
    rest.remove_prefix(1);
    SkipSpaces(rest);
    if (rest.empty() || rest.front() == ';') continue;  // empty parameters are allowed
    const std::string_view name_token = TakeToken(rest);
    if (name_token.empty()) return Invalid("media type has a parameter without a name");
    std::string name = Lower(name_token);
    if (rest.empty() || rest.front() != '=') {
      return Invalid("media type parameter '" + name + "' has no '=value'");
    }
    rest.remove_prefix(1);
    std::string parameter_value;
    if (!rest.empty() && rest.front() == '"') {
      auto quoted = TakeQuoted(rest, name);
      if (!quoted) return std::unexpected(quoted.error());
      parameter_value = std::move(*quoted);
    } else {
      const std::string_view token = TakeToken(rest);
      if (token.empty()) return Invalid("media type parameter '" + name + "' has an empty value");
      parameter_value = std::string(token);
    }
    if (media.Parameter(name)) {
      return Invalid("media type parameter '" + name + "' is repeated");
    }
    if (media.parameters.size() == kMaxMediaTypeParameters) {
      return Invalid("media type has more than " + std::to_string(kMaxMediaTypeParameters) +
                     " parameters");
    }
    media.parameters.emplace_back(std::move(name), std::move(parameter_value));
  }
  return media;
}

bool IsMediaType(std::string_view value, std::string_view type) {
  const auto media = ParseMediaType(value);
  return media && EqualsIgnoreCase(media->type, type);
}

Result<void> ValidateBoundary(std::string_view boundary) {
  if (boundary.empty()) return Invalid("boundary parameter is empty");
  if (boundary.size() > kMaxBoundaryLength) {
    return Invalid("boundary parameter is longer than " + std::to_string(kMaxBoundaryLength) +
                   " characters");
  }
  for (const char c : boundary) {
    if (!IsBchar(c) && c != ' ') {
      return Invalid("boundary parameter has a character not allowed by RFC 2046");
    }
  }
  if (boundary.back() == ' ') return Invalid("boundary parameter ends with a space");
  return {};
}

MultipartReader::MultipartReader(ByteView body, std::string_view boundary, BodyPager* pager)
    : body_(AsChars(body)), pager_(pager), readable_(pager == nullptr ? body_.size() : 0) {
  delimiter_.reserve(4 + boundary.size());
  delimiter_.append("\r\n--");
  delimiter_.append(boundary);
}

bool MultipartReader::Readable(size_t end) {
  end = std::min(end, body_.size());
  if (end <= readable_) return true;
  auto paged = pager_->Page(end);
  if (!paged) {
    state_ = State::kFailed;
    error_ = paged.error();
    return false;
  }
  readable_ = std::min(*paged, body_.size());
  if (readable_ < end) {
    state_ = State::kFailed;
    error_ = Error{ErrorCode::kInternal, "the body could not be read"};
    return false;
  }
  return true;
}

std::unexpected<Error> MultipartReader::Failed(std::string message) {
  state_ = State::kFailed;
  error_ = Error{ErrorCode::kInvalidArgument, std::move(message)};
  return std::unexpected(error_);
}

size_t MultipartReader::FindDelimiter(size_t from) {
  // A window at a time when paged: the next window overlaps the last one by
  // the delimiter's size less one, so a delimiter across them is found.
  constexpr size_t kScanStep = size_t{1} << 20;
  size_t scan = from;
  while (scan < body_.size()) {
    if (!Readable(scan + kScanStep)) return std::string_view::npos;
    const size_t end = readable_;
    const void* found =
        memmem(body_.data() + scan, end - scan, delimiter_.data(), delimiter_.size());
    if (found != nullptr)
      return static_cast<size_t>(static_cast<const char*>(found) - body_.data());
    if (end == body_.size()) break;
    scan = std::max(scan, end - std::min(end, delimiter_.size() - 1));
  }
  return std::string_view::npos;
}

Result<size_t> MultipartReader::EndOfBoundaryLine(size_t pos, bool& closing) {
  if (!Readable(pos + 2)) return std::unexpected(error_);
  closing = body_.substr(pos).starts_with("--");
  if (closing) pos += 2;
  for (;;) {  // transport padding
    if (!Readable(pos + 1)) return std::unexpected(error_);
    if (pos >= body_.size() || !IsSpace(body_[pos])) break;
    ++pos;
  }
  if (!Readable(pos + 2)) return std::unexpected(error_);
  // When closing, the epilogue that may follow is not read.
  const std::string_view rest = body_.substr(pos, std::min<size_t>(2, body_.size() - pos));
  if (closing) {
    // Nothing, or CRLF and an epilogue that is ignored.
    if (rest.empty() || rest.starts_with("\r\n")) return body_.size();
    return Failed("unexpected bytes after the closing boundary (an epilogue must follow a CRLF)");
  }
  if (rest.starts_with("\r\n")) return pos + 2;
  if (rest.empty()) return Failed("truncated body: it ends after a boundary line");
  return Failed(
      "a boundary is followed by unexpected bytes (the boundary appears inside a part, or the "
      "boundary parameter is a prefix of the real one)");
}

Result<std::optional<MultipartPart>> MultipartReader::Next() {
  switch (state_) {
    case State::kFailed:
      return std::unexpected(error_);
    case State::kDone:
      return std::nullopt;
    case State::kStart: {
      const std::string_view dash_boundary = std::string_view(delimiter_).substr(2);
      size_t boundary_end = 0;
      if (!Readable(dash_boundary.size())) return std::unexpected(error_);
      if (body_.starts_with(dash_boundary)) {
        boundary_end = dash_boundary.size();
      } else {
        const size_t found = FindDelimiter(0);
        if (state_ == State::kFailed) return std::unexpected(error_);
        if (found == std::string_view::npos) {
          return Failed("no boundary line in the body (does the boundary parameter match it?)");
        }
        boundary_end = found + delimiter_.size();  // after the preamble
      }
      bool closing = false;
      const auto after = EndOfBoundaryLine(boundary_end, closing);
      if (!after) return std::unexpected(after.error());
      if (closing) return Failed("multipart body has no parts");
      pos_ = *after;
      state_ = State::kInPart;
      break;
    }
    case State::kInPart:
      break;
  }

  size_t delimiter = 0;
  auto part = ReadPart(pos_, delimiter);
  if (!part) return std::unexpected(part.error());
  bool closing = false;
  const auto after = EndOfBoundaryLine(delimiter + delimiter_.size(), closing);
  if (!after) return std::unexpected(after.error());
  if (closing) {
    state_ = State::kDone;
  } else {
    pos_ = *after;
  }
  ++parts_read_;
  return std::optional<MultipartPart>(*part);
}

Result<MultipartPart> MultipartReader::ReadPart(size_t start, size_t& next_delimiter) {
  MultipartPart part;
  part.index = parts_read_ + 1;
  const std::string prefix = "part " + std::to_string(part.index) + ": ";
  size_t pos = start;
  const size_t header_end = std::min(body_.size(), start + kMaxPartHeaderBytes);
  if (!Readable(header_end + delimiter_.size() + 2)) return std::unexpected(error_);
  bool seen_type = false;
  bool seen_encoding = false;
  for (;;) {
    if (body_.substr(pos).starts_with("\r\n")) {
      // The empty line that ends the headers, unless this CRLF starts the
      // next delimiter: then the part has no content (RFC 2046 makes the
      // CRLF before content optional), and no headers if it is the first line.
      if (!body_.substr(pos).starts_with(delimiter_)) pos += 2;
      break;
    }
    const size_t eol = body_.substr(0, header_end).find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (header_end == body_.size()) {
        return Failed(prefix + "headers are incomplete (truncated body?)");
      }
      return Failed(prefix + "headers are longer than " + std::to_string(kMaxPartHeaderBytes) +
                    " bytes");
    }
    const std::string_view line = body_.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return Failed(prefix + "a header line has a bare CR or LF");
    }
    if (IsSpace(line.front())) {
      return Failed(prefix + "folded header lines are not supported");
    }
    if (line.starts_with(std::string_view(delimiter_).substr(2))) {
      return Failed(prefix + "headers are not followed by an empty line");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Failed(prefix + "a header line has no ':'");
    const std::string_view name = line.substr(0, colon);
    if (name.empty() || !std::ranges::all_of(name, IsTchar)) {
      return Failed(prefix + "a header name is not a token");
    }
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Type")) {
      if (seen_type) return Failed(prefix + "Content-Type is repeated");
      seen_type = true;
      part.content_type = value;
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      if (part.content_length) return Failed(prefix + "Content-Length is repeated");
      // At most 19 digits: no overflow of uint64_t, and more than any body.
      if (value.empty() || value.size() > 19 ||
          !std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
        return Failed(prefix + "Content-Length is not a decimal number");
      }
      uint64_t length = 0;
      for (const char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
      part.content_length = length;
    } else if (EqualsIgnoreCase(name, "Content-Transfer-Encoding")) {
      if (seen_encoding) return Failed(prefix + "Content-Transfer-Encoding is repeated");
      seen_encoding = true;
      part.content_transfer_encoding = value;
    }
  }

  next_delimiter = FindDelimiter(pos);
  if (state_ == State::kFailed) return std::unexpected(error_);
  if (next_delimiter == std::string_view::npos) {
    return Failed(prefix + "truncated body: no boundary after the part's content");
  }
  const size_t size = next_delimiter - pos;
  if (part.content_length && *part.content_length != size) {
    return Failed(prefix + "Content-Length is " + std::to_string(*part.content_length) +
                  " but the content has " + std::to_string(size) + " bytes");
  }
  part.body = AsBytes(body_.substr(pos, size));
  return part;
}

}  // namespace cf::http
