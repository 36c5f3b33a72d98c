# Helpers so a module's CMakeLists.txt stays two lines long.

# x0_module(<name> [DEPS <libs>...]): static library x0_<name> from src/<name>/*.cc.
function(x0_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cc)
  add_library(x0_${name} STATIC ${sources})
  target_include_directories(x0_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(x0_${name} PUBLIC ${M_DEPS})
endfunction()

# x0_tests(<name> [DEPS <libs>...]): one GoogleTest binary from tests/<name>/*_test.cc.
function(x0_tests name)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${name}/*_test.cc)
  if(NOT sources)
    message(FATAL_ERROR "tests/${name}/ has a CMakeLists.txt but no *_test.cc files")
  endif()
  add_executable(x0_${name}_tests ${sources})
  target_include_directories(x0_${name}_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(x0_${name}_tests PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(x0_${name}_tests PRIVATE
    X0_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared")
  include(GoogleTest)
  gtest_discover_tests(x0_${name}_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()
