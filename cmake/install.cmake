# What `cmake --install build --prefix P` (and `make install PREFIX=P`) puts into P:
#   bin/musiclust                        (finds its library through RUNPATH $ORIGIN/../lib)
#   lib/libmusiclust.so.0.1.0, .so.0, .so   (SONAME libmusiclust.so.0), lib/libmusiclust.a
#   include/musiclust/*.h                (every one with extern "C")
#   lib/pkgconfig/musiclust.pc           (absolute paths of the prefix installed into; Requires.private
#                                         and Libs.private for `pkg-config --static`)
#   share/man/man1/musiclust.1, musiclust-COMMAND.1   (help2man, from the program's own --help)
#   share/bash-completion/completions/musiclust        (generated from the same --help texts)

# ---------------------------------------------------------------- man pages and completion (build time)
find_program(MC_HELP2MAN help2man)
set(MC_MAN_DIR ${CMAKE_BINARY_DIR}/man/man1)
if(MC_HELP2MAN)
  add_custom_command(OUTPUT ${MC_MAN_DIR}/musiclust.1
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${MC_MAN_DIR}
    COMMAND ${CMAKE_SOURCE_DIR}/doc/gen-man.sh $<TARGET_FILE:musiclust> ${PROJECT_VERSION} ${MC_MAN_DIR}
    DEPENDS musiclust ${CMAKE_SOURCE_DIR}/doc/gen-man.sh
    COMMENT "Generating man pages (help2man)" VERBATIM)
  add_custom_target(man ALL DEPENDS ${MC_MAN_DIR}/musiclust.1)
else()
  message(WARNING "help2man not found: no man pages (scripts/install-deps.sh installs it; ctest install_tree fails without them)")
endif()
set(MC_COMPLETION ${CMAKE_BINARY_DIR}/completion/musiclust)
add_custom_command(OUTPUT ${MC_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/completion
  COMMAND ${CMAKE_SOURCE_DIR}/doc/gen-bash-completion.sh $<TARGET_FILE:musiclust> ${MC_COMPLETION}
  DEPENDS musiclust ${CMAKE_SOURCE_DIR}/doc/gen-bash-completion.sh
  COMMENT "Generating bash completion" VERBATIM)
add_custom_target(completion ALL DEPENDS ${MC_COMPLETION})

# ---------------------------------------------------------------- install rules
install(TARGETS musiclust RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS musiclust_shared musiclust_lib
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/musiclust DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${MC_MAN_DIR} DESTINATION ${CMAKE_INSTALL_MANDIR} OPTIONAL FILES_MATCHING PATTERN "*.1")
install(FILES ${MC_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)

# musiclust.pc: the module lists of CMakeLists.txt give Requires.private (pkg-config names) and
# Libs.private (OpenMP, threads, libm); the prefix is the one installed into, so it is written at
# install time (cmake --install --prefix P may differ from CMAKE_INSTALL_PREFIX).
string(REPLACE ";" " " MC_PC_REQUIRES "${MC_ALL_PKGS}")
set(MC_PC_LIBS)
foreach(l ${MC_ALL_LIBS})
  if(l STREQUAL "OpenMP::OpenMP_C")
    list(APPEND MC_PC_LIBS ${OpenMP_C_FLAGS})
  elseif(l STREQUAL "Threads::Threads")
    list(APPEND MC_PC_LIBS -pthread)
  elseif(l MATCHES "^[A-Za-z0-9_]+$")
    list(APPEND MC_PC_LIBS -l${l})
  else()
    message(FATAL_ERROR "musiclust.pc: no Libs.private spelling for '${l}' (cmake/install.cmake)")
  endif()
endforeach()
list(REMOVE_DUPLICATES MC_PC_LIBS)
string(REPLACE ";" " " MC_PC_LIBS "${MC_PC_LIBS}")
file(READ ${CMAKE_SOURCE_DIR}/cmake/musiclust.pc.in MC_PC_TEMPLATE)
string(REPLACE "@VERSION@" "${PROJECT_VERSION}" MC_PC_TEMPLATE "${MC_PC_TEMPLATE}")
string(REPLACE "@REQUIRES_PRIVATE@" "${MC_PC_REQUIRES}" MC_PC_TEMPLATE "${MC_PC_TEMPLATE}")
string(REPLACE "@LIBS_PRIVATE@" "${MC_PC_LIBS}" MC_PC_TEMPLATE "${MC_PC_TEMPLATE}")
# libdir/includedir in the .pc: ${prefix}/lib and ${prefix}/include unless configured absolute.
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(MC_PC_${d} "${CMAKE_INSTALL_${d}}")
    set(MC_PC_DEST_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(MC_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
    set(MC_PC_DEST_${d} "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
string(REPLACE "@LIBDIR@" "${MC_PC_LIBDIR}" MC_PC_TEMPLATE "${MC_PC_TEMPLATE}")
string(REPLACE "@INCLUDEDIR@" "${MC_PC_INCLUDEDIR}" MC_PC_TEMPLATE "${MC_PC_TEMPLATE}")
file(WRITE ${CMAKE_BINARY_DIR}/musiclust.pc.in "${MC_PC_TEMPLATE}")
install(CODE "
  file(READ \"${CMAKE_BINARY_DIR}/musiclust.pc.in\" pc)
  string(REPLACE \"@PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  set(dest \"\$ENV{DESTDIR}${MC_PC_DEST_LIBDIR}/pkgconfig/musiclust.pc\")
  message(STATUS \"Installing: \${dest}\")
  file(WRITE \"\${dest}\" \"\${pc}\")
")

# ---------------------------------------------------------------- the test of an installed tree
add_test(NAME install_tree
  COMMAND ${CMAKE_SOURCE_DIR}/tests/install/run.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          ${CMAKE_C_COMPILER} "$<$<BOOL:${MC_SANITIZE}>:-fsanitize=address,undefined>")
set_tests_properties(install_tree PROPERTIES TIMEOUT 300)
