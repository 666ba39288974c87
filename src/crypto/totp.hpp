// SPDX-License-Identifier: Apache-2.0
// Time-based one-time passwords (RFC 6238) as the second factor of admin
// accounts: HMAC-SHA1, 6 digits, 30-second steps. Those are the only
// parameters every authenticator app supports, and SHA-1's collision
// weakness does not matter for HMAC.
//
// The shared secret is shown once, as a QR code of TotpUri, and must be
// stored encrypted (it is a key, not a verifier). All functions are
// thread-safe and do not block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace cf::crypto {

inline constexpr int kTotpDigits = 6;
inline constexpr int kTotpStepSeconds = 30;

// 20 random bytes: the HMAC-SHA1 block output size that RFC 4226 section 4
// recommends as the minimum.
Bytes NewTotpSecret();

// RFC 4648 base32, upper case, without '=' padding, which authenticator apps
// and the otpauth URI format expect.
std::string Base32Encode(ByteView data);

// Accepts what a person might type or paste: either case, spaces anywhere,
// and trailing '=' padding. nullopt for other characters, impossible lengths,
// or non-zero unused bits in the last character (a likely typo).
std::optional<Bytes> Base32Decode(std::string_view text);

// HOTP(secret, floor(unix_seconds / step)) per RFC 4226, zero-padded to
// `digits`. REQUIRES: unix_seconds >= 0, step > 0, 1 <= digits <= 10
// (std::invalid_argument otherwise: callers pass constants and clock values).
std::string TotpCode(ByteView secret, int64_t unix_seconds, int digits = kTotpDigits,
                     int step = kTotpStepSeconds);

// True when `code` (exactly kTotpDigits ASCII digits; callers strip any
// spaces a user typed) is the code of the step of `unix_seconds` or of one
// step either side, which absorbs clock drift and typing time (RFC 6238
// section 5.2). Sets *step_out to the matched step. A code may be used once
// only (RFC 6238 section 5.2): callers store the last accepted step per
// account and refuse a code whose step is not greater, which also refuses
// an older code seen after a newer one.
bool VerifyTotp(ByteView secret, std::string_view code, int64_t unix_seconds,
                int64_t* step_out = nullptr);

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// (Google Authenticator key URI format), with issuer and account
// percent-encoded (RFC 3986 unreserved characters kept, space as %20). The
// issuer appears twice because older apps read only the label and newer ones
// prefer the parameter. Apps split the label at the first ':', so an issuer
// should not contain one.
std::string TotpUri(std::string_view issuer, std::string_view account, ByteView secret);

}  // namespace cf::crypto
