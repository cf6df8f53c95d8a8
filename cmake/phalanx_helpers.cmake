# phalanx_cc_library / phalanx_cc_binary / phalanx_cc_test / phalanx_cc_benchmark:
# one library target per folder, explicit source lists, includes rooted at the repo root.

set(PHALANX_WARNINGS -Wall -Wextra -Werror=unused-result -Wno-missing-field-initializers)

function(phalanx_cc_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_SRCS)
    add_library(phalanx_${name} STATIC ${ARG_SRCS})
    target_include_directories(phalanx_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(phalanx_${name} PRIVATE ${PHALANX_WARNINGS})
    target_link_libraries(phalanx_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()
    add_library(phalanx_${name} INTERFACE)
    target_include_directories(phalanx_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(phalanx_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(phalanx::${name} ALIAS phalanx_${name})
endfunction()

function(phalanx_cc_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${PHALANX_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# Each test file is its own executable; gtest_discover_tests registers every case with ctest.
function(phalanx_cc_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${PHALANX_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} phalanx::testing GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60)
endfunction()

function(phalanx_cc_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${PHALANX_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()
# phalanx::version: the release version and git commit, stamped at build time.
include(version)
