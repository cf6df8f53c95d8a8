# Version stamping: phalanx::version, a small library whose one source is generated into the build
# tree with the release version and the git commit the build was made from. The commit is looked up on
# every build (not only at configure time), so a binary never reports a stale commit; the source is
# rewritten only when the text changes, so an unchanged commit costs no recompilation. Without git, or
# outside a git checkout (a source tarball), the commit is "unknown". Declared in common/version.h.

set(PHALANX_VERSION "0.1.0" CACHE STRING "The release version the binaries report")

set(PHALANX_VERSION_SOURCE ${CMAKE_BINARY_DIR}/generated/phalanx_version.cc)
find_package(Git QUIET)
set(_phalanx_version_args
  -DPHALANX_SOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DPHALANX_VERSION=${PHALANX_VERSION}
  -DPHALANX_VERSION_SOURCE=${PHALANX_VERSION_SOURCE}
  "-DGIT_EXECUTABLE=${GIT_EXECUTABLE}")
# Once now, so the file exists before the first build.
execute_process(COMMAND ${CMAKE_COMMAND} ${_phalanx_version_args}
                        -P ${CMAKE_CURRENT_LIST_DIR}/write_version.cmake)
add_custom_target(phalanx_version_stamp
  COMMAND ${CMAKE_COMMAND} ${_phalanx_version_args} -P ${CMAKE_CURRENT_LIST_DIR}/write_version.cmake
  BYPRODUCTS ${PHALANX_VERSION_SOURCE}
  COMMENT ""
  VERBATIM)
add_library(phalanx_version STATIC ${PHALANX_VERSION_SOURCE})
add_dependencies(phalanx_version phalanx_version_stamp)
target_include_directories(phalanx_version PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(phalanx_version PUBLIC absl::strings)
add_library(phalanx::version ALIAS phalanx_version)
