# Every third-party dependency, found once, from Debian 12 packages only.
find_package(absl REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(RapidJSON REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
if(PHALANX_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(PHALANX_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# cpp-httplib is a shared library whose .pc file carries the defines every includer must share
# (OpenSSL, zlib, brotli support); one imported target keeps them consistent.
pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(phalanx_httplib INTERFACE)
target_link_libraries(phalanx_httplib INTERFACE PkgConfig::CPP_HTTPLIB OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
add_library(phalanx::httplib ALIAS phalanx_httplib)

# RapidJSON's config exports include dirs as a variable on Debian 12.
add_library(phalanx_rapidjson INTERFACE)
target_include_directories(phalanx_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
add_library(phalanx::rapidjson ALIAS phalanx_rapidjson)

# tcmalloc (gperftools' minimal build) for the simulator: its workload is millions of short-lived JSON
# trees and strings, where glibc's malloc spent a third of the time (bins and consolidation); tcmalloc
# halves the simulator's CPU time. Not with sanitizers (they bring their own allocator).
add_library(phalanx_fast_malloc INTERFACE)
if(NOT PHALANX_FUZZ AND NOT PHALANX_SANITIZE)
  pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET libtcmalloc_minimal)
  target_link_libraries(phalanx_fast_malloc INTERFACE PkgConfig::TCMALLOC)
endif()
add_library(phalanx::fast_malloc ALIAS phalanx_fast_malloc)
