// SPDX-License-Identifier: Apache-2.0
#include "film/film_sheet.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "film/page_layout.hpp"

namespace cf::film {

using namespace sheet;

SheetCell SheetImageArea() {
  const double top = kMargin + kHeaderHeight;
  return {kMargin, top, kPageWidth - 2 * kMargin, kPageHeight - kMargin - kFooterHeight - top};
}

std::vector<SheetCell> SheetGrid(size_t count) {
  count = std::min(count, kMaxSheetImages);
  if (count == 0) return {};
  // The smallest of these grids that holds them all, portrait page.
  constexpr std::pair<int, int> kGrids[] = {{1, 1}, {1, 2}, {2, 2}, {2, 3},
                                            {3, 3}, {3, 4}, {4, 4}, {4, 5}};
  auto [columns, rows] = kGrids[std::size(kGrids) - 1];
  for (const auto& [c, r] : kGrids) {
    if (static_cast<size_t>(c * r) >= count) {
      columns = c;
      rows = r;
      break;
    }
  }
  const SheetCell area = SheetImageArea();
  const double width = (area.width - (columns - 1) * kGap) / columns;
  const double height = (area.height - (rows - 1) * kGap) / rows;
  std::vector<SheetCell> cells;
  for (size_t i = 0; i < count; ++i) {
    const int row = static_cast<int>(i) / columns;
    const int column = static_cast<int>(i) % columns;
    cells.push_back(
        {area.x + column * (width + kGap), area.y + row * (height + kGap), width, height});
  }
  return cells;
}

}  // namespace cf::film
