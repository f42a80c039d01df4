# vgtool.cmake - builds vmrtrace-amd64-linux, our Valgrind tool, the way
# Valgrind builds its own tools: compiled without the project's flags
# (sanitizers and fuzzers cannot run inside Valgrind), linked statically
# against libcoregrind and libvex at Valgrind's tool text address. Sets
# VMR_VGTOOL_DIR to the folder to use as VALGRIND_LIB (the tool plus links
# to Valgrind's preload object and default suppressions), or leaves it empty
# when Valgrind's tool headers and libraries are not installed.
set(VMR_VGTOOL_DIR "")
find_program(VMR_VG_CC NAMES gcc cc)
find_program(VMR_VALGRIND valgrind)
find_path(VMR_VG_INCLUDE pub_tool_basics.h PATHS /usr/include/valgrind NO_DEFAULT_PATH)
find_path(VMR_VG_LIBDIR libcoregrind-amd64-linux.a
          PATHS /usr/lib/x86_64-linux-gnu/valgrind /usr/lib/valgrind /usr/libexec/valgrind
          NO_DEFAULT_PATH)
find_path(VMR_VG_PRELOADDIR vgpreload_core-amd64-linux.so
          PATHS /usr/libexec/valgrind /usr/lib/x86_64-linux-gnu/valgrind /usr/lib/valgrind
          NO_DEFAULT_PATH)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND VMR_VG_CC AND VMR_VALGRIND AND VMR_VG_INCLUDE
   AND VMR_VG_LIBDIR AND VMR_VG_PRELOADDIR AND EXISTS ${VMR_VG_PRELOADDIR}/default.supp)
  set(dir ${CMAKE_BINARY_DIR}/vgtool)
  set(src ${CMAKE_CURRENT_LIST_DIR}/vmrtrace.c)
  set(obj ${dir}/vmrtrace.o)
  set(tool ${dir}/vmrtrace-amd64-linux)
  add_custom_command(
    OUTPUT ${tool}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${VMR_VG_CC} -O2 -g -m64 -std=gnu11 -fno-strict-aliasing -fno-builtin
            -fno-stack-protector -fomit-frame-pointer -Wall -Wno-unused-parameter
            -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 -DVGPV_amd64_linux_vanilla=1
            -I${VMR_VG_INCLUDE} -I${PROJECT_SOURCE_DIR}/src/import -c ${src} -o ${obj}
    COMMAND ${VMR_VG_CC} -o ${tool} -m64 -static -nodefaultlibs -nostartfiles -u _start
            -Wl,--build-id=none -Wl,-Ttext-segment=0x58000000 ${obj}
            ${VMR_VG_LIBDIR}/libcoregrind-amd64-linux.a ${VMR_VG_LIBDIR}/libvex-amd64-linux.a
            ${VMR_VG_LIBDIR}/libgcc-sup-amd64-linux.a -lgcc
    COMMAND ${CMAKE_COMMAND} -E create_symlink ${VMR_VG_PRELOADDIR}/vgpreload_core-amd64-linux.so
            ${dir}/vgpreload_core-amd64-linux.so
    COMMAND ${CMAKE_COMMAND} -E create_symlink ${VMR_VG_PRELOADDIR}/default.supp ${dir}/default.supp
    DEPENDS ${src} ${PROJECT_SOURCE_DIR}/src/import/vgraw.h
    COMMENT "Building the Valgrind tool vmrtrace (GPL-2.0, a separate program)"
    VERBATIM)
  add_custom_target(vmrtrace ALL DEPENDS ${tool})
  set(VMR_VGTOOL_DIR ${dir})
  message(STATUS "vmreplay record: building the Valgrind tool (${VMR_VG_LIBDIR})")
else()
  message(STATUS "vmreplay record: Valgrind's tool headers/libraries not found; no recorder tool")
endif()
