# The web apps (web/): TypeScript checked, then bundled by Vite into
# ${CF_WEB_DIST}, which `cloudfilm serve` serves (http.web_root defaults to
# it). Rebuilt when a source, the lock file or the config changes.
# scripts/install-deps.sh has run `npm ci` in web/ before.
set(CF_WEB_DIST ${CMAKE_BINARY_DIR}/web)
if(NOT CF_BUILD_WEB)
  return()
endif()
find_program(CF_NPX npx)
if(NOT CF_NPX)
  message(FATAL_ERROR "npx (Node.js) is needed to build web/: run scripts/install-deps.sh, or -DCF_BUILD_WEB=OFF")
endif()
set(web ${PROJECT_SOURCE_DIR}/web)
file(GLOB_RECURSE CF_WEB_SOURCES CONFIGURE_DEPENDS ${web}/src/* ${web}/public/* ${web}/*.html)
add_custom_command(
  OUTPUT ${CF_WEB_DIST}/.built
  COMMAND ${CMAKE_COMMAND} -E echo "web: tsc + vite build into ${CF_WEB_DIST}"
  COMMAND ${CF_NPX} --no-install tsc --noEmit -p ${web}/tsconfig.json
  COMMAND ${CF_NPX} --no-install vite build --logLevel warn --outDir ${CF_WEB_DIST} --emptyOutDir
  COMMAND ${CMAKE_COMMAND} -E touch ${CF_WEB_DIST}/.built
  WORKING_DIRECTORY ${web}
  DEPENDS ${CF_WEB_SOURCES} ${web}/package-lock.json ${web}/vite.config.ts ${web}/tsconfig.json
  VERBATIM)
add_custom_target(web ALL DEPENDS ${CF_WEB_DIST}/.built)
# Installed where an installed binary looks first (apps/cloudfilm/config.cpp).
install(DIRECTORY ${CF_WEB_DIST}/ DESTINATION share/cloudfilm/web PATTERN .built EXCLUDE)
