# musiclust's modules as CMake targets, and the layering the build enforces (DESIGN.md's table).
#
# mc_module(NAME [DEPS module...] [PKGS pkg-config-name...] [LIBS item...])
#   An OBJECT library mc_NAME from src/NAME/*.c, position-independent (it goes into both
#   libmusiclust.so and libmusiclust.a). Its sources are compiled with one musiclust include folder,
#   build/layer/NAME/, which holds the public headers of NAME and of every module below it (symlinks to
#   include/musiclust/) and, for every other header, a stub that stops the compile:
#     #error musiclust layering: src/audio/ may not include <musiclust/pipeline.h> ...
#   The stubs (not just a missing file) make an upward include fail even when an installed
#   musiclust is on the system include path.
# mc_modules_finish(TOP name)   writes the include folders once every module is declared; TOP is the
#   layer above everything (the CLI): every header, the umbrella musiclust.h included.
# mc_layer_includes(TARGET LAYER) gives a target the include folder of a layer.
# mc_layering_tests()           the CTest cases that prove it (see the end of this file).
#
# Module-wide results: MC_MODULES (declaration order), MC_ALL_LINK (every link item), MC_ALL_PKGS
# (every pkg-config name: musiclust.pc's Requires.private), MC_ALL_LIBS (the other items, for
# Libs.private).

set(MC_MODULES)
set(MC_ALL_LINK)
set(MC_ALL_PKGS)
set(MC_ALL_LIBS)
set(MC_LAYER_ROOT ${CMAKE_BINARY_DIR}/layer)

function(mc_module name)
  cmake_parse_arguments(A "" "" "DEPS;PKGS;LIBS" ${ARGN})
  # The closure: this module and everything below it, lowest first.
  set(closure)
  foreach(d ${A_DEPS})
    if(NOT d IN_LIST MC_MODULES)
      message(FATAL_ERROR "mc_module(${name}): dependency '${d}' is not a module declared above it "
                          "(modules are declared in DESIGN.md's order, lowest first)")
    endif()
    list(APPEND closure ${MC_CLOSURE_${d}})
  endforeach()
  list(APPEND closure ${name})
  list(REMOVE_DUPLICATES closure)

  set(link)
  foreach(p ${A_PKGS})
    string(MAKE_C_IDENTIFIER "MC_PC_${p}" var)
    if(NOT TARGET PkgConfig::${var})
      pkg_check_modules(${var} REQUIRED IMPORTED_TARGET GLOBAL ${p})
    endif()
    list(APPEND link PkgConfig::${var})
  endforeach()
  list(APPEND link ${A_LIBS})

  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  if(NOT srcs)
    message(FATAL_ERROR "mc_module(${name}): no sources in src/${name}/")
  endif()
  add_library(mc_${name} OBJECT ${srcs})
  set_target_properties(mc_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # Calls between exported functions of one object may be inlined as in a static build.
  target_compile_options(mc_${name} PRIVATE -fno-semantic-interposition)
  target_include_directories(mc_${name} BEFORE PRIVATE ${MC_LAYER_ROOT}/${name})
  if(link)
    target_link_libraries(mc_${name} PRIVATE ${link})
  endif()

  # The link items of the closure (for the per-module link check).
  set(closure_link)
  foreach(m ${closure})
    if(m STREQUAL name)
      list(APPEND closure_link ${link})
    else()
      list(APPEND closure_link ${MC_LINK_${m}})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES closure_link)

  set(MC_CLOSURE_${name} ${closure} PARENT_SCOPE)
  set(MC_DEPS_${name} ${A_DEPS} PARENT_SCOPE)
  set(MC_LINK_${name} ${link} PARENT_SCOPE)
  set(MC_CLOSURE_LINK_${name} ${closure_link} PARENT_SCOPE)
  set(all_link ${MC_ALL_LINK} ${link})
  list(REMOVE_DUPLICATES all_link)
  set(MC_ALL_LINK ${all_link} PARENT_SCOPE)
  set(all_pkgs ${MC_ALL_PKGS} ${A_PKGS})
  list(REMOVE_DUPLICATES all_pkgs)
  set(MC_ALL_PKGS ${all_pkgs} PARENT_SCOPE)
  set(all_libs ${MC_ALL_LIBS} ${A_LIBS})
  list(REMOVE_DUPLICATES all_libs)
  set(MC_ALL_LIBS ${all_libs} PARENT_SCOPE)
  set(mods ${MC_MODULES} ${name})
  set(MC_MODULES ${mods} PARENT_SCOPE)
endfunction()

function(mc_layer_includes target layer)
  target_include_directories(${target} BEFORE PRIVATE ${MC_LAYER_ROOT}/${layer})
endfunction()

# The module a public header belongs to: include/musiclust/<module>.h or <module>_*.h; the umbrella
# musiclust.h belongs to the top layer only. Anything else is reported and left to the top layer.
function(_mc_header_owner header out)
  get_filename_component(base ${header} NAME_WE)
  set(owner "")
  foreach(m ${MC_MODULES})
    if(base STREQUAL m OR base MATCHES "^${m}_")
      set(owner ${m})
    endif()
  endforeach()
  if(owner STREQUAL "" AND NOT base STREQUAL "musiclust")
    message(WARNING "include/musiclust/${base}.h belongs to no module (name a public header after its "
                    "module: <module>.h); only the CLI and the tests may include it")
  endif()
  set(${out} "${owner}" PARENT_SCOPE)
endfunction()

# Make ${dir}/${name} a symlink to ${target} (kept when already right, so nothing rebuilds).
function(_mc_link target link)
  if(IS_SYMLINK ${link})
    file(READ_SYMLINK ${link} cur)
    if(cur STREQUAL target)
      return()
    endif()
  endif()
  file(REMOVE ${link})
  file(CREATE_LINK ${target} ${link} SYMBOLIC)
endfunction()

# Write a stub that stops the compile (never through a symlink: that would overwrite the real header).
function(_mc_stub link text)
  if(IS_SYMLINK ${link})
    file(REMOVE ${link})
  endif()
  file(CONFIGURE OUTPUT ${link} CONTENT "${text}\n" @ONLY)
endfunction()

function(mc_modules_finish)
  cmake_parse_arguments(A "" "TOP" "" ${ARGN})
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/musiclust/*.h)
  set(layers ${MC_MODULES} ${A_TOP})
  set(manifest "")
  foreach(layer ${layers})
    set(dir ${MC_LAYER_ROOT}/${layer}/musiclust)
    file(MAKE_DIRECTORY ${dir})
    # Forget headers that no longer exist.
    file(GLOB present ${dir}/*.h)
    foreach(p ${present})
      get_filename_component(pn ${p} NAME)
      if(NOT EXISTS ${CMAKE_SOURCE_DIR}/include/musiclust/${pn})
        file(REMOVE ${p})
      endif()
    endforeach()
    if(layer STREQUAL A_TOP)
      set(allowed ${MC_MODULES})
      set(deps_text "everything")
    else()
      set(allowed ${MC_CLOSURE_${layer}})
      set(deps_text "${MC_DEPS_${layer}}")
      if(deps_text STREQUAL "")
        set(deps_text "nothing")
      endif()
      string(REPLACE ";" ", " deps_text "${deps_text}")
    endif()
    set(visible)
    foreach(h ${headers})
      get_filename_component(hn ${h} NAME)
      _mc_header_owner(${h} owner)
      if(layer STREQUAL A_TOP OR (NOT owner STREQUAL "" AND owner IN_LIST allowed))
        _mc_link(${h} ${dir}/${hn})
        list(APPEND visible ${hn})
      else()
        if(owner STREQUAL "")
          set(why "it is for the CLI and the tests only")
        else()
          set(why "module ${owner} is not below ${layer} in DESIGN.md's table")
        endif()
        _mc_stub(${dir}/${hn}
          "#error \"musiclust layering: src/${layer}/ may not include <musiclust/${hn}> (${why}; ${layer} depends on ${deps_text}; see CMakeLists.txt)\"")
      endif()
    endforeach()
    string(REPLACE ";" " " visible "${visible}")
    string(APPEND manifest "${layer}: ${visible}\n")
  endforeach()
  file(CONFIGURE OUTPUT ${MC_LAYER_ROOT}/layers.txt CONTENT "${manifest}" @ONLY)
  set(hl "")
  foreach(h ${headers})
    get_filename_component(hn ${h} NAME)
    string(APPEND hl "${hn}\n")
  endforeach()
  file(CONFIGURE OUTPUT ${MC_LAYER_ROOT}/headers.txt CONTENT "${hl}" @ONLY)
  set(MC_TOP_LAYER ${A_TOP} PARENT_SCOPE)

  # Link check: every module with the objects of its closure and the closure's libraries only,
  # --no-undefined, so that calling into a module above (or a library nobody declared) fails to link.
  if(MC_LAYER_CHECK)
    foreach(m ${MC_MODULES})
      set(objs)
      foreach(c ${MC_CLOSURE_${m}})
        list(APPEND objs $<TARGET_OBJECTS:mc_${c}>)
      endforeach()
      add_library(mc_layercheck_${m} SHARED ${objs})
      set_target_properties(mc_layercheck_${m} PROPERTIES
        LIBRARY_OUTPUT_DIRECTORY ${MC_LAYER_ROOT}/lib)
      target_link_libraries(mc_layercheck_${m} PRIVATE ${MC_CLOSURE_LINK_${m}})
      # --no-as-needed: every listed library is recorded, so that ldd -u can name an unused one.
      target_link_options(mc_layercheck_${m} PRIVATE -Wl,--no-undefined -Wl,--no-as-needed)
    endforeach()
  endif()
endfunction()

function(mc_layering_tests)
  # Every layer x every public header: an allowed include compiles, any other fails with the
  # layering message.
  add_test(NAME layering_headers
    COMMAND ${CMAKE_COMMAND} -DCC=${CMAKE_C_COMPILER} -DLAYER_ROOT=${MC_LAYER_ROOT}
            -P ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake)
  # The real thing: a probe compiled exactly as src/audio/ is compiled (its include folder) includes
  # <musiclust/pipeline.h>; building it must fail, and for that reason.
  add_library(mc_layering_probe_up OBJECT EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/tests/layering/upward.c)
  mc_layer_includes(mc_layering_probe_up audio)
  add_library(mc_layering_probe_ok OBJECT EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/tests/layering/downward.c)
  mc_layer_includes(mc_layering_probe_ok data)
  add_test(NAME layering_upward_include_fails
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target mc_layering_probe_up)
  set_tests_properties(layering_upward_include_fails PROPERTIES
    PASS_REGULAR_EXPRESSION "musiclust layering: src/audio/ may not include <musiclust/pipeline.h>")
  add_test(NAME layering_downward_include_builds
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target mc_layering_probe_ok)
  set_tests_properties(layering_upward_include_fails layering_downward_include_builds PROPERTIES
    RESOURCE_LOCK mc_build_tree)
  # No unused link: no library of a module's closure (nor of libmusiclust.so) is left unused.
  if(MC_LAYER_CHECK)
    set(libs)
    foreach(m ${MC_MODULES})
      list(APPEND libs $<TARGET_FILE:mc_layercheck_${m}>)
    endforeach()
    add_test(NAME layering_no_unused_link
      COMMAND ${CMAKE_SOURCE_DIR}/tests/layering/no_unused_link.sh $<TARGET_FILE:musiclust_shared> ${libs})
  endif()
endfunction()
