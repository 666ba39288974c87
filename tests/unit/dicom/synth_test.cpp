// SPDX-License-Identifier: Apache-2.0
// Tests of the synthetic study generator. Its output feeds other parts'
// tests and the benchmarks, so these check content, read back with DCMTK as
// an independent reader: byte-identical reruns, the patient/study/series
// hierarchy and UIDs, character sets (GB18030 names decode to the expected
// Chinese text), and pixels that look like the modality (CT air at -1000 HU
// with noise, lungs darker than the spine on radiographs, a US sector).
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dicom/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using cf::dicom::SynthModality;
using cf::dicom::SynthOptions;
using cf::dicom::WriteSynthStudies;
using cf::testing::TempDir;

using Row = std::map<std::string, std::string>;

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::vector<Row> ReadManifest(const fs::path& dir) {
  std::ifstream in(dir / "manifest.tsv", std::ios::binary);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = Split(line, '\t');
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = Split(line, '\t');
    EXPECT_EQ(fields.size(), header.size()) << line;
    Row row;
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<DcmFileFormat> Load(const fs::path& path) {
  auto file = std::make_unique<DcmFileFormat>();
  const OFCondition status = file->loadFile(path.c_str());
  EXPECT_TRUE(status.good()) << path << ": " << status.text();
  return file;
}

std::string Get(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  item.findAndGetOFStringArray(key, value);
  return value.c_str();
}

long GetInt(DcmItem& item, const DcmTagKey& key) {
  Uint16 value = 0;
  if (item.findAndGetUint16(key, value).good()) return value;
  Sint32 number = 0;
  item.findAndGetSint32(key, number);  // IS values
  return number;
}

bool IsValidUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (const std::string& part : Split(uid, '.')) {
    if (part.empty() || (part.size() > 1 && part[0] == '0')) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
  }
  return true;
}

std::vector<double> Floats(const std::string& ds) {
  std::vector<double> out;
  for (const std::string& v : Split(ds, '\\')) out.push_back(std::stod(v));
  return out;
}

struct Stats {
  double mean = 0;
  double sd = 0;
};

template <class F>
Stats StatsOf(int x0, int x1, int y0, int y1, F&& value) {
  double sum = 0;
  double sum2 = 0;
  int n = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      const double v = value(x, y);
      sum += v;
      sum2 += v * v;
      ++n;
    }
  }
  Stats s;
  s.mean = sum / n;
  s.sd = std::sqrt(std::max(0.0, sum2 / n - s.mean * s.mean));
  return s;
}

SynthOptions SmallOptions() {
  SynthOptions o;
  o.seed = 42;
  o.instances_per_series = 2;
  o.ct_size = 64;
  o.us_frames = 2;
  return o;
}

TEST(SynthTest, SameOptionsWriteByteIdenticalFilesWhateverTheThreadCount) {
  SynthOptions o = SmallOptions();
  o.patients = 5;
  o.instances_per_series = 1;
  o.modalities = {SynthModality::kCT, SynthModality::kMR, SynthModality::kCR, SynthModality::kDX,
                  SynthModality::kUS};
  TempDir a;
  TempDir b;
  ASSERT_TRUE(WriteSynthStudies(o, a.Path() / "out"));
  o.threads = 3;
  ASSERT_TRUE(WriteSynthStudies(o, b.Path() / "out"));

  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(a.Path() / "out")) {
    if (entry.is_regular_file()) {
      files.push_back(fs::relative(entry.path(), a.Path() / "out").generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 6u);  // five instances and the manifest
  for (const std::string& f : files) {
    const std::string first = ReadBytes(a.Path() / "out" / f);
    ASSERT_FALSE(first.empty()) << f;
    EXPECT_TRUE(first == ReadBytes(b.Path() / "out" / f)) << f << " differs between runs";
  }
}

TEST(SynthTest, WritesTheRequestedHierarchyWithValidDistinctUids) {
  SynthOptions o = SmallOptions();
  o.patients = 2;
  o.studies_per_patient = 2;
  o.series_per_study = 2;
  o.instances_per_series = 3;
  o.ct_size = 32;
  TempDir dir;
  const auto summary = WriteSynthStudies(o, dir.Path());
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->files, 24);
  EXPECT_EQ(summary->studies, 4);

  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 24u);
  std::set<std::string> patients, studies, series, sops;
  std::map<std::string, int> per_series_dir;
  uint64_t bytes = 0;
  for (const Row& row : rows) {
    patients.insert(row.at("patient_id"));
    studies.insert(row.at("study_uid"));
    series.insert(row.at("series_uid"));
    sops.insert(row.at("sop_uid"));
    per_series_dir[fs::path(row.at("file")).parent_path().string()]++;
    bytes += std::stoull(row.at("bytes"));
    for (const char* key : {"study_uid", "series_uid", "sop_uid", "sop_class_uid"}) {
      EXPECT_TRUE(IsValidUid(row.at(key))) << key << " " << row.at(key);
    }

    const fs::path path = dir.Path() / row.at("file");
    EXPECT_EQ(fs::file_size(path), std::stoull(row.at("bytes")));
    auto file = Load(path);
    DcmDataset& ds = *file->getDataset();
    DcmMetaInfo& meta = *file->getMetaInfo();
    EXPECT_EQ(Get(meta, DCM_MediaStorageSOPClassUID), Get(ds, DCM_SOPClassUID));
    EXPECT_EQ(Get(meta, DCM_MediaStorageSOPInstanceUID), row.at("sop_uid"));
    EXPECT_EQ(Get(meta, DCM_TransferSyntaxUID), "1.2.840.10008.1.2.1");
    EXPECT_EQ(Get(ds, DCM_SOPClassUID), "1.2.840.10008.5.1.4.1.1.2");
    EXPECT_EQ(Get(ds, DCM_StudyInstanceUID), row.at("study_uid"));
    EXPECT_EQ(Get(ds, DCM_SeriesInstanceUID), row.at("series_uid"));
    EXPECT_EQ(Get(ds, DCM_PatientID), row.at("patient_id"));
    EXPECT_EQ(Get(ds, DCM_AccessionNumber), row.at("accession_number"));
    EXPECT_EQ(Get(ds, DCM_StudyDate), row.at("study_date"));
    EXPECT_EQ(Get(ds, DCM_InstanceNumber), row.at("instance_number"));
    EXPECT_EQ(Get(ds, DCM_Modality), "CT");
    EXPECT_EQ(Get(ds, DCM_StudyDate).size(), 8u);
    EXPECT_GE(Get(ds, DCM_StudyDate), "20180101");
    EXPECT_LE(Get(ds, DCM_StudyDate), "20260101");
  }
  EXPECT_EQ(bytes, summary->bytes);
  EXPECT_EQ(patients.size(), 2u);
  EXPECT_EQ(studies.size(), 4u);
  EXPECT_EQ(series.size(), 8u);
  EXPECT_EQ(sops.size(), 24u);
  EXPECT_EQ(per_series_dir.size(), 8u);
  for (const auto& [folder, count] : per_series_dir) EXPECT_EQ(count, 3) << folder;
}

TEST(SynthTest, MorePatientsExtendARunAndAnotherSeedChangesEveryUid) {
  SynthOptions o = SmallOptions();
  o.ct_size = 16;
  TempDir one, two, other;
  ASSERT_TRUE(WriteSynthStudies(o, one.Path()));
  o.patients = 2;
  ASSERT_TRUE(WriteSynthStudies(o, two.Path()));
  o.patients = 1;
  o.seed = 43;
  ASSERT_TRUE(WriteSynthStudies(o, other.Path()));
  const auto a = ReadManifest(one.Path());
  const auto b = ReadManifest(two.Path());
  const auto c = ReadManifest(other.Path());
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 4u);
  ASSERT_EQ(c.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].at("sop_uid"), b[i].at("sop_uid"));
    EXPECT_EQ(ReadBytes(one.Path() / a[i].at("file")), ReadBytes(two.Path() / b[i].at("file")));
    EXPECT_NE(a[i].at("sop_uid"), c[i].at("sop_uid"));
    EXPECT_NE(a[i].at("study_uid"), c[i].at("study_uid"));
  }
}

TEST(SynthTest, Gb18030NamesDecodeToTheirChineseText) {
  SynthOptions o = SmallOptions();
  o.charset = "gb18030";
  o.patients = 60;
  o.instances_per_series = 1;
  o.ct_size = 16;
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 60u);
  int with_backslash_byte = 0;
  int with_four_byte_char = 0;
  for (const Row& row : rows) {
    const std::string& expected = row.at("patient_name");
    // alphabetic=ideographic=phonetic, with pinyin in the first and last groups.
    const std::vector<std::string> groups = Split(expected, '=');
    ASSERT_EQ(groups.size(), 3u) << expected;
    std::string lower = groups[0];
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    EXPECT_EQ(lower, groups[2]);
    EXPECT_TRUE(std::any_of(groups[1].begin(), groups[1].end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0xE3; }))
        << "no CJK in the ideographic group of " << expected;

    auto file = Load(dir.Path() / row.at("file"));
    DcmDataset& ds = *file->getDataset();
    EXPECT_EQ(Get(ds, DCM_SpecificCharacterSet), "GB18030");
    const char* raw = nullptr;
    Uint32 raw_length = 0;
    ASSERT_TRUE(ds.findAndGetString(DCM_PatientName, raw, raw_length).good());
    const std::string raw_name(raw, raw_length);
    EXPECT_NE(raw_name, expected) << "stored as UTF-8, not GB18030";
    if (raw_name.find('\\') != std::string::npos) ++with_backslash_byte;
    if (expected.find("\xF0") != std::string::npos) ++with_four_byte_char;

    ASSERT_TRUE(file->convertToUTF8().good());
    EXPECT_EQ(Get(ds, DCM_PatientName), expected);
    EXPECT_EQ(Get(ds, DCM_SpecificCharacterSet), "ISO_IR 192");
    const std::string description = Get(ds, DCM_StudyDescription);
    EXPECT_TRUE(description == "胸部CT平扫" || description == "胸腹盆腔CT增强扫描" ||
                description == "全腹部CT增强扫描")
        << description;
    EXPECT_EQ(Get(ds, DCM_InstitutionName), "云胶片示范医院东院区");
  }
  // The pools include traditional characters whose GB18030 trail byte is
  // 0x5C, the DICOM value delimiter: a parser must not split on it.
  EXPECT_GT(with_backslash_byte, 0);
  EXPECT_GT(with_four_byte_char + with_backslash_byte, 1);
}

TEST(SynthTest, Latin1AndAsciiPatientsUseTheirCharacterSets) {
  SynthOptions o = SmallOptions();
  o.patients = 8;  // mixed: utf8, gb18030, latin1, ascii, twice
  o.instances_per_series = 1;
  o.ct_size = 16;
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 8u);
  const std::vector<std::string> expected_sets = {"ISO_IR 192", "GB18030", "ISO_IR 100", ""};
  for (size_t i = 0; i < rows.size(); ++i) {
    auto file = Load(dir.Path() / rows[i].at("file"));
    DcmDataset& ds = *file->getDataset();
    EXPECT_EQ(Get(ds, DCM_SpecificCharacterSet), expected_sets[i % 4]);
    EXPECT_EQ(rows[i].at("specific_character_set"), expected_sets[i % 4]);
    const std::string raw = Get(ds, DCM_PatientName);
    const std::string& name = rows[i].at("patient_name");
    if (i % 4 == 2) {
      // Latin-1 uses one byte per accented letter, UTF-8 two.
      EXPECT_LT(raw.size(), name.size()) << name;
      ASSERT_TRUE(file->convertToUTF8().good());
      EXPECT_EQ(Get(ds, DCM_PatientName), name);
    } else if (i % 4 == 3) {
      EXPECT_EQ(raw, name);
      EXPECT_TRUE(std::all_of(raw.begin(), raw.end(),
                              [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
    }
  }
}

TEST(SynthTest, CtSlicesHaveAnatomyNoiseAndConsistentGeometry) {
  SynthOptions o = SmallOptions();
  o.patients = 6;
  o.instances_per_series = 3;
  o.ct_size = 128;
  o.charset = "ascii";
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 18u);
  std::set<long> representations;
  double previous_z = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto file = Load(dir.Path() / rows[i].at("file"));
    DcmDataset& ds = *file->getDataset();
    ASSERT_EQ(GetInt(ds, DCM_Rows), 128);
    ASSERT_EQ(GetInt(ds, DCM_Columns), 128);
    EXPECT_EQ(GetInt(ds, DCM_BitsAllocated), 16);
    const long pr = GetInt(ds, DCM_PixelRepresentation);
    const long bits = GetInt(ds, DCM_BitsStored);
    representations.insert(pr);
    EXPECT_EQ(bits, pr == 1 ? 16 : 12);
    EXPECT_EQ(GetInt(ds, DCM_HighBit), bits - 1);
    EXPECT_EQ(Get(ds, DCM_RescaleIntercept), "-1024");
    EXPECT_EQ(Get(ds, DCM_RescaleSlope), "1");

    // Geometry: 500 mm field of view, slices stepping down by the thickness.
    const std::vector<double> spacing = Floats(Get(ds, DCM_PixelSpacing));
    ASSERT_EQ(spacing.size(), 2u);
    EXPECT_NEAR(spacing[0] * 128, 500, 1e-6);
    const std::vector<double> position = Floats(Get(ds, DCM_ImagePositionPatient));
    ASSERT_EQ(position.size(), 3u);
    EXPECT_NEAR(position[0], -250 + spacing[0] / 2, 1e-6);
    EXPECT_DOUBLE_EQ(position[2], std::stod(Get(ds, DCM_SliceLocation)));
    EXPECT_EQ(Get(ds, DCM_ImageOrientationPatient), "1\\0\\0\\0\\1\\0");
    const double thickness = std::stod(Get(ds, DCM_SliceThickness));
    if (rows[i].at("instance_number") != "1") {
      EXPECT_NEAR(previous_z - position[2], thickness, 1e-6);
    }
    previous_z = position[2];

    const Uint16* words = nullptr;
    unsigned long count = 0;
    ASSERT_TRUE(ds.findAndGetUint16Array(DCM_PixelData, words, &count).good());
    ASSERT_EQ(count, 128u * 128u);
    const auto hu = [&](int x, int y) {
      const Uint16 w = words[y * 128 + x];
      return (pr == 1 ? static_cast<double>(static_cast<Sint16>(w)) : w) - 1024.0;
    };
    int air = 0, soft = 0, dense = 0;
    for (int y = 0; y < 128; ++y) {
      for (int x = 0; x < 128; ++x) {
        const Uint16 w = words[y * 128 + x];
        if (pr == 0) {
          ASSERT_LE(w, 4095);
        } else {
          const auto s = static_cast<Sint16>(w);
          ASSERT_TRUE(s == -2000 || (s >= 0 && s <= 4095)) << s;  // padding or HU + 1024
        }
        const double v = hu(x, y);
        const double r = std::hypot(x + 0.5 - 64, y + 0.5 - 64);
        if (r > 64) {
          EXPECT_EQ(v, pr == 1 ? -3024.0 : -1024.0);  // outside the reconstruction circle
          continue;
        }
        if (v < -900) ++air;
        if (v > -150 && v < 100) ++soft;
        if (v > 150) ++dense;
      }
    }
    EXPECT_GT(air, 2000) << rows[i].at("file");  // around the body
    EXPECT_GT(soft, 1500) << rows[i].at("file");
    EXPECT_GT(dense, 10) << rows[i].at("file");  // bone, contrast
    // Air in front of the body: -1000 HU with a realistic amount of noise.
    const Stats front = StatsOf(56, 72, 6, 14, hu);
    EXPECT_NEAR(front.mean, -1000, 25);
    EXPECT_GT(front.sd, 2);
    EXPECT_LT(front.sd, 45);
    const Stats all = StatsOf(0, 128, 0, 128, hu);
    EXPECT_GT(all.sd, 200);
  }
  // Both stored forms appear: unsigned 12 bits and signed 16 bits with padding.
  EXPECT_EQ(representations, (std::set<long>{0, 1}));
}

TEST(SynthTest, ImplicitVrFilesDeclareAndUseThatTransferSyntax) {
  SynthOptions o = SmallOptions();
  o.transfer_syntax = "implicit-le";
  o.patients = 2;
  o.modalities = {SynthModality::kMR, SynthModality::kUS};
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  for (const Row& row : ReadManifest(dir.Path())) {
    EXPECT_EQ(row.at("transfer_syntax_uid"), "1.2.840.10008.1.2");
    auto file = Load(dir.Path() / row.at("file"));
    EXPECT_EQ(Get(*file->getMetaInfo(), DCM_TransferSyntaxUID), "1.2.840.10008.1.2");
    EXPECT_EQ(file->getDataset()->getOriginalXfer(), EXS_LittleEndianImplicit);
    EXPECT_EQ(Get(*file->getDataset(), DCM_SOPInstanceUID), row.at("sop_uid"));
  }
}

TEST(SynthTest, MrSlicesAreTwelveBitBrainsOnNoise) {
  SynthOptions o = SmallOptions();
  o.modalities = {SynthModality::kMR};
  o.series_per_study = 3;
  o.instances_per_series = 1;
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 3u);
  std::set<std::string> sequences;
  for (const Row& row : rows) {
    auto file = Load(dir.Path() / row.at("file"));
    DcmDataset& ds = *file->getDataset();
    EXPECT_EQ(Get(ds, DCM_SOPClassUID), "1.2.840.10008.5.1.4.1.1.4");
    EXPECT_EQ(GetInt(ds, DCM_BitsStored), 12);
    sequences.insert(Get(ds, DCM_EchoTime));
    const Uint16* words = nullptr;
    unsigned long count = 0;
    ASSERT_TRUE(ds.findAndGetUint16Array(DCM_PixelData, words, &count).good());
    ASSERT_EQ(count, 256u * 256u);
    const auto at = [&](int x, int y) { return static_cast<double>(words[y * 256 + x]); };
    EXPECT_LE(*std::max_element(words, words + count), 4095);
    const Stats corner = StatsOf(0, 24, 0, 24, at);
    const Stats brain = StatsOf(100, 156, 100, 156, at);
    EXPECT_LT(corner.mean, 60);  // background: Rician noise, not zero
    EXPECT_GT(corner.mean, 1);
    EXPECT_GT(brain.mean, 5 * corner.mean);
  }
  EXPECT_EQ(sequences.size(), 3u);  // T2, T1, FLAIR
}

TEST(SynthTest, RadiographsFollowCrAndDxConventions) {
  SynthOptions o = SmallOptions();
  o.patients = 2;
  o.instances_per_series = 1;
  o.modalities = {SynthModality::kCR, SynthModality::kDX};
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 2u);
  for (const Row& row : rows) {
    auto file = Load(dir.Path() / row.at("file"));
    DcmDataset& ds = *file->getDataset();
    const bool cr = row.at("modality") == "CR";
    EXPECT_EQ(Get(ds, DCM_SOPClassUID),
              cr ? "1.2.840.10008.5.1.4.1.1.1" : "1.2.840.10008.5.1.4.1.1.1.1");
    EXPECT_EQ(Get(ds, DCM_PhotometricInterpretation), cr ? "MONOCHROME1" : "MONOCHROME2");
    if (!cr) {
      EXPECT_EQ(Get(ds, DCM_PresentationIntentType), "FOR PRESENTATION");
    }
    EXPECT_EQ(Get(ds, DCM_ViewPosition), "PA");
    const long rows_n = GetInt(ds, DCM_Rows);
    const long cols = GetInt(ds, DCM_Columns);
    const long bits = GetInt(ds, DCM_BitsStored);
    const double pixel_mm = Floats(Get(ds, DCM_ImagerPixelSpacing))[0];
    const Uint16* words = nullptr;
    unsigned long count = 0;
    ASSERT_TRUE(ds.findAndGetUint16Array(DCM_PixelData, words, &count).good());
    ASSERT_EQ(count, static_cast<unsigned long>(rows_n * cols));
    EXPECT_LT(*std::max_element(words, words + count), 1 << bits);
    // The right lung (image left) transmits more than the spine: darker on
    // display, so a higher value in MONOCHROME1 and a lower one in MONOCHROME2.
    const auto at = [&](int x, int y) { return static_cast<double>(words[y * cols + x]); };
    const int y = static_cast<int>(rows_n / 2 - 25 / pixel_mm);
    const int lung_x = static_cast<int>(cols / 2 - 80 / pixel_mm);
    const double lung = StatsOf(lung_x - 20, lung_x + 20, y - 20, y + 20, at).mean;
    const double spine = StatsOf(static_cast<int>(cols / 2) - 20, static_cast<int>(cols / 2) + 20,
                                 y - 20, y + 20, at)
                             .mean;
    if (cr) {
      EXPECT_GT(lung, spine + (1 << bits) / 10);
    } else {
      EXPECT_LT(lung + (1 << bits) / 10, spine);
    }
  }
}

TEST(SynthTest, UltrasoundClipsAreMultiFrameRgbSectors) {
  SynthOptions o = SmallOptions();
  o.modalities = {SynthModality::kUS};
  o.us_frames = 3;
  o.instances_per_series = 1;
  TempDir dir;
  ASSERT_TRUE(WriteSynthStudies(o, dir.Path()));
  const std::vector<Row> rows = ReadManifest(dir.Path());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("frames"), "3");
  auto file = Load(dir.Path() / rows[0].at("file"));
  DcmDataset& ds = *file->getDataset();
  EXPECT_EQ(Get(ds, DCM_SOPClassUID), "1.2.840.10008.5.1.4.1.1.3.1");
  EXPECT_EQ(Get(ds, DCM_PhotometricInterpretation), "RGB");
  EXPECT_EQ(GetInt(ds, DCM_SamplesPerPixel), 3);
  EXPECT_EQ(GetInt(ds, DCM_PlanarConfiguration), 0);
  EXPECT_EQ(Get(ds, DCM_NumberOfFrames), "3");
  EXPECT_EQ(Get(ds, DCM_FrameTime), "50");
  DcmItem* region = nullptr;
  ASSERT_TRUE(ds.findAndGetSequenceItem(DCM_SequenceOfUltrasoundRegions, region, 0).good());
  Float64 delta = 0;
  ASSERT_TRUE(region->findAndGetFloat64(DCM_PhysicalDeltaX, delta).good());
  EXPECT_NEAR(delta * 435, 16.0, 1.0);  // ~16 cm of depth over the sector

  const Uint8* bytes = nullptr;
  unsigned long count = 0;
  ASSERT_TRUE(ds.findAndGetUint8Array(DCM_PixelData, bytes, &count).good());
  const size_t frame = 480 * 640 * 3;
  ASSERT_EQ(count, 3 * frame);
  const auto pixel = [&](int f, int x, int y) { return bytes + f * frame + (y * 640 + x) * 3; };
  EXPECT_EQ(pixel(0, 0, 470)[0], 0);  // outside the sector
  const auto grey = [&](int f) {
    return StatsOf(300, 340, 200, 260, [&](int x, int y) { return double(pixel(f, x, y)[1]); });
  };
  const Stats g0 = grey(0);
  EXPECT_GT(g0.mean, 40);                                            // liver parenchyma
  EXPECT_GT(g0.sd, 10);                                              // speckle
  EXPECT_NE(std::memcmp(pixel(0, 0, 0), pixel(1, 0, 0), frame), 0);  // tissue moves
}

TEST(SynthTest, ReportsProgressForEveryFile) {
  SynthOptions o = SmallOptions();
  o.ct_size = 16;
  o.patients = 3;
  TempDir dir;
  std::vector<std::pair<int64_t, int64_t>> calls;
  ASSERT_TRUE(WriteSynthStudies(
      o, dir.Path(), [&](int64_t done, int64_t total) { calls.emplace_back(done, total); }));
  ASSERT_EQ(calls.size(), 6u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].first, static_cast<int64_t>(i + 1));
    EXPECT_EQ(calls[i].second, 6);
  }
}

TEST(SynthTest, RejectsBadOptionsAndANonEmptyFolder) {
  TempDir dir;
  const auto fails_with = [&](SynthOptions o, cf::ErrorCode code) {
    const auto r = WriteSynthStudies(o, dir.Path() / "never");
    return !r && r.error().code == code;
  };
  SynthOptions o = SmallOptions();
  o.charset = "klingon";
  EXPECT_TRUE(fails_with(o, cf::ErrorCode::kInvalidArgument));
  o = SmallOptions();
  o.transfer_syntax = "big-endian";
  EXPECT_TRUE(fails_with(o, cf::ErrorCode::kInvalidArgument));
  o = SmallOptions();
  o.patients = 0;
  EXPECT_TRUE(fails_with(o, cf::ErrorCode::kInvalidArgument));
  o = SmallOptions();
  o.modalities.clear();
  EXPECT_TRUE(fails_with(o, cf::ErrorCode::kInvalidArgument));
  o = SmallOptions();
  o.ct_size = 4;
  EXPECT_TRUE(fails_with(o, cf::ErrorCode::kInvalidArgument));
  EXPECT_FALSE(fs::exists(dir.Path() / "never"));

  std::ofstream(dir.Path() / "stale.dcm") << "x";
  const auto r = WriteSynthStudies(SmallOptions(), dir.Path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cf::ErrorCode::kConflict);

  EXPECT_EQ(*cf::dicom::ParseSynthModality("ct"), SynthModality::kCT);
  EXPECT_EQ(*cf::dicom::ParseSynthModality("US"), SynthModality::kUS);
  EXPECT_FALSE(cf::dicom::ParseSynthModality("XA"));
  EXPECT_EQ(cf::dicom::ToString(SynthModality::kDX), "DX");
}

}  // namespace
