# libt4j_cpu for linux-aarch64 too (included by CMakeLists.txt on x86-64), cross-compiled from the
# same sources into natives/linux-aarch64 beside this platform's folder, so that the jar carries
# both; with the tests, its kernel tests run under qemu-aarch64 where that is installed.
# Debian packages: gcc-aarch64-linux-gnu (the compiler, libgomp and libc), qemu-user (qemu-aarch64).
if(T4J_AARCH64 STREQUAL "OFF" OR CMAKE_CROSSCOMPILING OR NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  return()
endif()
find_program(T4J_AARCH64_CC aarch64-linux-gnu-gcc)
if(NOT T4J_AARCH64_CC)
  if(T4J_AARCH64 STREQUAL "ON")
    message(FATAL_ERROR "t4j: T4J_AARCH64=ON but aarch64-linux-gnu-gcc is not installed (Debian: gcc-aarch64-linux-gnu)")
  endif()
  message(STATUS "t4j: no aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu): libt4j_cpu is built for "
                 "this platform only")
  return()
endif()
get_filename_component(T4J_NATIVES_DIR "${T4J_NATIVE_OUT}" DIRECTORY)
include(ExternalProject)
ExternalProject_Add(t4j_aarch64
  SOURCE_DIR "${CMAKE_SOURCE_DIR}"
  BINARY_DIR "${CMAKE_BINARY_DIR}/aarch64"
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/aarch64-toolchain.cmake
             -DCMAKE_BUILD_TYPE=Release
             -DT4J_NATIVE_OUT=${T4J_NATIVES_DIR}/linux-aarch64
             -DT4J_BUILD_TESTS=${T4J_BUILD_TESTS}
             -DT4J_CUDA=OFF
             -DT4J_AARCH64=OFF
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON) # the sub-build is incremental: always asking it is cheap
message(STATUS "t4j: libt4j_cpu cross-compiled for linux-aarch64 with ${T4J_AARCH64_CC}")

if(T4J_BUILD_TESTS)
  find_program(T4J_QEMU_AARCH64 qemu-aarch64)
  execute_process(COMMAND ${T4J_AARCH64_CC} -print-file-name=libc.so.6 OUTPUT_VARIABLE T4J_AARCH64_LIBC
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  get_filename_component(T4J_AARCH64_LIBC "${T4J_AARCH64_LIBC}" REALPATH)
  get_filename_component(T4J_AARCH64_SYSROOT "${T4J_AARCH64_LIBC}/../.." ABSOLUTE) # .../aarch64-linux-gnu
  if(T4J_QEMU_AARCH64)
    add_test(NAME cpu_kernels_aarch64
             COMMAND ${T4J_QEMU_AARCH64} -L ${T4J_AARCH64_SYSROOT} ${CMAKE_BINARY_DIR}/aarch64/test_kernels)
    set_tests_properties(cpu_kernels_aarch64 PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=2")
    message(STATUS "t4j: the aarch64 kernel tests run under ${T4J_QEMU_AARCH64}")
  else()
    add_test(NAME cpu_kernels_aarch64 COMMAND ${CMAKE_COMMAND} -E echo
             "skipped: no qemu-aarch64 (Debian: qemu-user): the aarch64 kernels are built but not run")
    set_tests_properties(cpu_kernels_aarch64 PROPERTIES SKIP_REGULAR_EXPRESSION "skipped:")
    message(STATUS "t4j: no qemu-aarch64 (Debian: qemu-user): the aarch64 kernel tests are skipped")
  endif()
endif()
