// SPDX-License-Identifier: Apache-2.0
// Name pools for the synthetic patients, physicians and hospitals; see
// names.hpp. All names are invented combinations of common family and given
// names; the hospitals are fictional.
#include "dicom/synth/names.hpp"

#include <array>
#include <cctype>
#include <string_view>

namespace cf::dicom::synth {
namespace {

struct ChineseName {
  std::string_view hanzi;
  std::string_view pinyin;  // capitalised
};

// Simplified characters (mainland patients).
constexpr std::array<ChineseName, 24> kSurnames = {{
    {"张", "Zhang"}, {"王", "Wang"}, {"李", "Li"},       {"刘", "Liu"},    {"陈", "Chen"},
    {"杨", "Yang"},  {"赵", "Zhao"}, {"黄", "Huang"},    {"周", "Zhou"},   {"吴", "Wu"},
    {"徐", "Xu"},    {"孙", "Sun"},  {"胡", "Hu"},       {"朱", "Zhu"},    {"高", "Gao"},
    {"林", "Lin"},   {"何", "He"},   {"郭", "Guo"},      {"马", "Ma"},     {"罗", "Luo"},
    {"梁", "Liang"}, {"宋", "Song"}, {"欧阳", "Ouyang"}, {"司马", "Sima"},
}};

constexpr std::array<ChineseName, 24> kMaleGiven = {{
    {"伟", "Wei"},       {"强", "Qiang"},     {"磊", "Lei"},        {"军", "Jun"},
    {"勇", "Yong"},      {"杰", "Jie"},       {"涛", "Tao"},        {"明", "Ming"},
    {"超", "Chao"},      {"建华", "Jianhua"}, {"志强", "Zhiqiang"}, {"海峰", "Haifeng"},
    {"国庆", "Guoqing"}, {"子轩", "Zixuan"},  {"浩然", "Haoran"},   {"文博", "Wenbo"},
    {"俊杰", "Junjie"},  {"宇航", "Yuhang"},  {"晓东", "Xiaodong"}, {"喆", "Zhe"},
    {"堃", "Kun"},       {"昞", "Bing"},      {"䶮", "Yan"},        {"振宇", "Zhenyu"},
}};

constexpr std::array<ChineseName, 24> kFemaleGiven = {{
    {"芳", "Fang"},       {"娜", "Na"},       {"敏", "Min"},       {"静", "Jing"},
    {"丽", "Li"},         {"艳", "Yan"},      {"秀英", "Xiuying"}, {"桂英", "Guiying"},
    {"婷婷", "Tingting"}, {"雪梅", "Xuemei"}, {"欣怡", "Xinyi"},   {"梓涵", "Zihan"},
    {"玥", "Yue"},        {"慧", "Hui"},      {"晓燕", "Xiaoyan"}, {"佳琪", "Jiaqi"},
    {"淑珍", "Shuzhen"},  {"玉兰", "Yulan"},  {"思琪", "Siqi"},    {"雨涵", "Yuhan"},
    {"璟", "Jing"},       {"𠮷", "Ji"},       {"琰", "Yan"},       {"红梅", "Hongmei"},
}};

// Traditional characters (patients from Hong Kong, Macau, Taiwan). In GB18030
// 誠 is D5 5C and 錦 is E5 5C: the second byte is a backslash.
constexpr std::array<ChineseName, 8> kTraditionalSurnames = {{
    {"陳", "Chen"},
    {"黃", "Huang"},
    {"張", "Zhang"},
    {"劉", "Liu"},
    {"林", "Lin"},
    {"吳", "Wu"},
    {"鄭", "Zheng"},
    {"葉", "Ye"},
}};
constexpr std::array<ChineseName, 6> kTraditionalMale = {{
    {"志誠", "Zhicheng"},
    {"錦華", "Jinhua"},
    {"國強", "Guoqiang"},
    {"家豪", "Jiahao"},
    {"建國", "Jianguo"},
    {"誠", "Cheng"},
}};
constexpr std::array<ChineseName, 6> kTraditionalFemale = {{
    {"美玲", "Meiling"},
    {"淑芬", "Shufen"},
    {"麗華", "Lihua"},
    {"靜怡", "Jingyi"},
    {"錦鳳", "Jinfeng"},
    {"佩誠", "Peicheng"},
}};

struct WesternName {
  std::string_view family;
  std::string_view given;
};

constexpr std::array<WesternName, 12> kLatin1Male = {{
    {"Müller", "Jürgen"},
    {"Ødegård", "Øyvind"},
    {"Côté", "François"},
    {"Weiß", "Günther"},
    {"Gonçalves", "João"},
    {"García", "José"},
    {"Schäfer", "Björn"},
    {"Jönsson", "Måns"},
    {"Lefèvre", "Jérôme"},
    {"Núñez", "Ángel"},
    {"Þórsson", "Ólafur"},
    {"Brückner", "Hans-Jörg"},
}};
constexpr std::array<WesternName, 12> kLatin1Female = {{
    {"Schröder", "Käthe"},
    {"Lefèvre", "Amélie"},
    {"Sørensen", "Åse"},
    {"Núñez", "Inés"},
    {"Björk", "Sigríður"},
    {"Fernández", "Begoña"},
    {"Brontë", "Zoë"},
    {"Häkkinen", "Päivi"},
    {"Dubois", "Hélène"},
    {"Löwe", "Bärbel"},
    {"Østergaard", "Mette"},
    {"Gómez", "María José"},
}};
constexpr std::array<WesternName, 10> kAsciiMale = {{
    {"Smith", "John"},
    {"O'Brien", "Patrick"},
    {"Brown", "David"},
    {"Nguyen", "Minh"},
    {"Kim", "Minjun"},
    {"Okafor", "Chidi"},
    {"Rossi", "Marco"},
    {"Miller", "James"},
    {"Jones", "Robert"},
    {"Anderson", "Michael"},
}};
constexpr std::array<WesternName, 10> kAsciiFemale = {{
    {"Johnson", "Mary"},
    {"Williams", "Sarah"},
    {"Garcia", "Maria"},
    {"Patel", "Priya"},
    {"Cohen", "Rachel"},
    {"Taylor", "Emily"},
    {"Wilson", "Jennifer"},
    {"Moore", "Linda"},
    {"Clark", "Susan"},
    {"Lewis", "Karen"},
}};

template <class T, size_t N>
const T& Pick(const std::array<T, N>& pool, uint64_t hash) {
  return pool[hash % N];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ChinesePn(const ChineseName& family, const ChineseName& given) {
  std::string pn;
  pn.append(family.pinyin).append("^").append(given.pinyin).append("=");
  pn.append(family.hanzi).append("^").append(given.hanzi).append("=");
  pn.append(Lower(family.pinyin)).append("^").append(Lower(given.pinyin));
  return pn;
}

}  // namespace

PersonName PatientNameFor(Charset charset, uint64_t hash, bool female) {
  const uint64_t h1 = hash >> 8;
  const uint64_t h2 = hash >> 32;
  PersonName out;
  out.female = female;
  if (IsChinese(charset)) {
    if (hash % 6 == 0) {  // one in six: traditional characters
      out.pn_utf8 = ChinesePn(Pick(kTraditionalSurnames, h1),
                              female ? Pick(kTraditionalFemale, h2) : Pick(kTraditionalMale, h2));
    } else {
      out.pn_utf8 =
          ChinesePn(Pick(kSurnames, h1), female ? Pick(kFemaleGiven, h2) : Pick(kMaleGiven, h2));
    }
    return out;
  }
  const WesternName& n = charset == Charset::kLatin1
                             ? (female ? Pick(kLatin1Female, h2) : Pick(kLatin1Male, h2))
                             : (female ? Pick(kAsciiFemale, h2) : Pick(kAsciiMale, h2));
  out.pn_utf8 = std::string(n.family) + "^" + std::string(n.given);
  return out;
}

std::string PhysicianNameFor(Charset charset, uint64_t hash) {
  const uint64_t h1 = hash >> 8;
  const uint64_t h2 = hash >> 32;
  if (IsChinese(charset)) {
    // Many Chinese RIS send the ideographic group only.
    const ChineseName& family = Pick(kSurnames, h1);
    const ChineseName& given = hash % 2 ? Pick(kMaleGiven, h2) : Pick(kFemaleGiven, h2);
    return "=" + std::string(family.hanzi) + "^" + std::string(given.hanzi);
  }
  const bool female = hash % 2 == 0;
  const WesternName& n = charset == Charset::kLatin1
                             ? (female ? Pick(kLatin1Female, h2) : Pick(kLatin1Male, h2))
                             : (female ? Pick(kAsciiFemale, h2) : Pick(kAsciiMale, h2));
  return std::string(n.family) + "^" + std::string(n.given) + "^^Dr.";
}

Institution InstitutionFor(Charset charset) {
  switch (charset) {
    case Charset::kUtf8:
      return {"云胶片示范医院", "放射科", "超声医学科", true};
    case Charset::kGb18030:
      return {"云胶片示范医院东院区", "医学影像科", "超声科", true};
    case Charset::kLatin1:
      return {"Städtisches Klinikum Nordstadt", "Radiologie", "Ultraschall", false};
    case Charset::kAscii:
      return {"Cloudfilm Demo General Hospital", "Radiology", "Ultrasound", false};
  }
  return {};
}

}  // namespace cf::dicom::synth
