# The CUDA library (included by CMakeLists.txt), wherever nvcc is found when the tests are built (so
# the CUDA code is compiled on every such machine, GPU or not); for the commands alone only where
# cuBLAS is found too, so that it can run there (compiling it takes a minute). It needs only the
# CUDA runtime: matrix products go to cuBLAS from Java.
if(T4J_CUDA STREQUAL "OFF" OR CMAKE_CROSSCOMPILING)
  message(STATUS "t4j: the CUDA library is not built (T4J_CUDA=${T4J_CUDA})")
  return()
endif()
if(T4J_CUDA STREQUAL "AUTO" AND NOT T4J_BUILD_TESTS)
  find_package(CUDAToolkit QUIET)
  if(NOT TARGET CUDA::cublas)
    message(STATUS "t4j: no CUDA toolkit with cuBLAS: the CUDA library is skipped (it cannot run here; "
                   "with T4J_BUILD_TESTS=ON it is compiled wherever nvcc is)")
    return()
  endif()
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  if(T4J_CUDA STREQUAL "ON")
    message(FATAL_ERROR "t4j: T4J_CUDA=ON but no CUDA compiler (nvcc) found")
  endif()
  message(STATUS "t4j: no CUDA compiler (nvcc) found: the CUDA library is skipped, the CPU backend runs alone")
  return()
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  # machine code for Ampere and Hopper, PTX for what comes after
  set(CMAKE_CUDA_ARCHITECTURES 80-real 90-real 90-virtual)
endif()
set(CMAKE_CUDA_RUNTIME_LIBRARY Shared) # one runtime with the libcudart Java loads
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)
file(GLOB T4J_CUDA_SOURCES CONFIGURE_DEPENDS native/cuda/*.cu)
add_library(t4j_cuda SHARED ${T4J_CUDA_SOURCES})
target_include_directories(t4j_cuda PUBLIC native/include)
target_compile_options(t4j_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
set_target_properties(t4j_cuda PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${T4J_NATIVE_OUT}")
# bind every CUDA runtime call when the library loads, to the libcudart the Java side chose:
# lazily bound, they would go to whichever libcudart is loaded later with global symbols (the
# tokenizers library loads one that way to probe for a GPU)
target_link_options(t4j_cuda PRIVATE -Wl,-z,now)

if(T4J_BUILD_TESTS)
  add_executable(test_cuda native/tests/test_cuda.cu)
  target_include_directories(test_cuda PRIVATE native/ref)
  target_link_libraries(test_cuda PRIVATE t4j_cuda t4j_ref)
  add_test(NAME cuda_kernels COMMAND test_cuda)
  set_tests_properties(cuda_kernels PROPERTIES SKIP_RETURN_CODE 77)
endif()
if(TARGET CUDA::cublas)
  message(STATUS "t4j: CUDA ${CUDAToolkit_VERSION} with cuBLAS: libt4j_cuda built, the GPU backend can run here")
else()
  message(STATUS "t4j: CUDA ${CUDAToolkit_VERSION} without cuBLAS: libt4j_cuda compiled, "
                 "but the GPU backend needs cuBLAS at run time and cannot run on this machine")
endif()
