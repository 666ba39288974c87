# SPDX-License-Identifier: Apache-2.0
set(CF_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(CF_WARNINGS_AS_ERRORS)
  list(APPEND CF_WARNING_FLAGS -Werror)
endif()
