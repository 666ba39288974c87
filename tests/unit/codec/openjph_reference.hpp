// SPDX-License-Identifier: Apache-2.0
// OpenJPH's reading of an HTJ2K codestream, as the reference the tests
// hold OpenJPEG's against: the server decodes a sender's HTJ2K with OpenJPEG
// only (frame_decoders.hpp), OpenJPH only ever sees our own frames.
#pragma once

#include "codec/frame_decoders.hpp"

namespace cf::codec {

Result<DecodedFrame> DecodeHtj2kCodestream(ByteView codestream);

}  // namespace cf::codec
