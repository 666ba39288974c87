// SPDX-License-Identifier: Apache-2.0
// Helpers every service handler uses (see service.hpp).
#include "dimse/service.hpp"

#include <dcmtk/dcmnet/cond.h>

namespace cf::dimse {

OFCondition ReceiveRequestDataSet(Session& session, T_ASC_PresentationContextID pres_id,
                                  std::unique_ptr<DcmDataset>& out) {
  DcmDataset* data = nullptr;
  T_ASC_PresentationContextID data_pres_id = 0;
  OFCondition cond = DIMSE_receiveDataSetInMemory(
      session.assoc, DIMSE_NONBLOCKING, session.timeout_s, &data_pres_id, &data, nullptr, nullptr);
  out.reset(data);
  if (cond.good() && data_pres_id != pres_id) {
    return makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                               "data set on another presentation context than its command");
  }
  return cond;
}

std::string StatusHex(uint16_t status) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "0x0000";
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(5 - i)] = kDigits[(status >> (4 * i)) & 0xF];
  return out;
}

}  // namespace cf::dimse
