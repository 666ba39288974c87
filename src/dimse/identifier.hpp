// SPDX-License-Identifier: Apache-2.0
// Query/Retrieve identifiers (PS3.4 C.4): from a C-FIND, C-MOVE or C-GET
// request's identifier to a catalog::Query, and from a catalog match to a
// C-FIND response identifier. Internal to the dimse part.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dctag.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/query.hpp"
#include "core/error.hpp"

namespace cf::dimse {

enum class QrModel { kPatientRoot, kStudyRoot };

// The information model of a Query/Retrieve SOP class (FIND, MOVE or GET).
QrModel ModelOf(std::string_view sop_class_uid);

// A key to return in each C-FIND response.
struct ReturnKey {
  // As the response writes it: the dictionary's VR, or for a tag the
  // dictionary lacks (private, or newer than DCMTK's) the request's, or UN,
  // so that such keys are returned rather than dropped.
  DcmTag tag;
  // Returned as sent for a private creator (gggg,0010-00FF), which reserves
  // a block rather than asking for a value; empty for every other key.
  std::string private_creator = {};
};

struct ParsedIdentifier {
  catalog::Query query;    // scope, level and conditions; paging is the caller's
  std::string level = {};  // the QueryRetrieveLevel as sent: PATIENT, STUDY, SERIES, IMAGE
  // Every top-level key of the identifier, in order, to be returned in each
  // C-FIND response (except (0008,0005) and (0008,0052), always returned).
  std::vector<ReturnKey> keys = {};
};

// Reads a C-FIND identifier: the level, and a condition for each non-empty
// key the catalog matches on (keys below the level are returned but not
// matched, as PS3.4 C.2.2.1 keeps them out of the query). The identifier's
// text is converted to UTF-8 first when it names another character set.
// kInvalidArgument (no or an invalid level, a level the model lacks, a
// character set that cannot be converted) with a message without patient data.
// The query reads within `scope`.
Result<ParsedIdentifier> ParseFindIdentifier(DcmDataset& identifier, QrModel model,
                                             const catalog::Scope& scope);

// Reads a C-MOVE or C-GET identifier: only the unique keys (Patient ID,
// Study, Series and SOP Instance UIDs, lists allowed) are used, and the key
// of the retrieve level itself is required, so that an empty identifier
// never means "everything". The query is at instance level.
Result<ParsedIdentifier> ParseRetrieveIdentifier(DcmDataset& identifier, QrModel model,
                                                 const catalog::Scope& scope);

// A C-FIND response identifier for `match`: Specific Character Set
// ISO_IR 192, the QueryRetrieveLevel, and every requested key with its value
// from the catalog; keys the catalog does not hold are returned empty, with
// the VR the request gave them when the dictionary does not know them, and
// private creators as the request sent them.
std::unique_ptr<DcmDataset> BuildFindResponse(const ParsedIdentifier& request,
                                              const catalog::QueryMatch& match,
                                              std::string_view retrieve_ae_title);

}  // namespace cf::dimse
