// SPDX-License-Identifier: Apache-2.0
// People and places of the synthetic studies (private to dicom_synth):
// patient and physician names as DICOM PN values in UTF-8, chosen by the
// character set the patient's files will use, and the hospital that
// "produced" them. Chinese names carry all three component groups
// (alphabetic=ideographic=phonetic), as Chinese modalities send them; the
// pools deliberately include characters that trip up naive parsers: GBK
// extension characters whose second byte is in the ASCII range, traditional
// characters whose GB18030 second byte is '\' (0x5C), and characters that
// need four bytes in GB18030 and UTF-8.
#pragma once

#include <cstdint>
#include <string>

#include "dicom/synth/charset.hpp"

namespace cf::dicom::synth {

struct PersonName {
  std::string pn_utf8;  // e.g. "Zhang^Wei=张^伟=zhang^wei" or "Müller^Jürgen"
  bool female = false;
};

// A patient name for `charset`; `hash` picks it, `female` the given name.
PersonName PatientNameFor(Charset charset, uint64_t hash, bool female);

// A referring physician's name, with a title where the culture has one.
std::string PhysicianNameFor(Charset charset, uint64_t hash);

struct Institution {
  std::string name_utf8;
  std::string radiology_utf8;         // department name for CT, MR, CR, DX
  std::string ultrasound_utf8;        // department name for US
  bool chinese_descriptions = false;  // study descriptions in Chinese
};

Institution InstitutionFor(Charset charset);

}  // namespace cf::dicom::synth
