# The lib/ modules, one CMake target each, and the layers between them
# (docs/architecture.md). libmobid is still one library: mobid_static and
# mobid_shared are made of every module's objects.
#
# A module compiles against a view of the headers that holds only its own public
# headers and those of the modules below it (build/layers/<module>/include/mobid/,
# links into include/mobid/), and only their internal headers (build/layers/<module>/
# lib/<dep>/). So an include of a header from a module it does not build on fails
# with "No such file or directory", whichever order the files are compiled in.
# tests/cli/layering_build.sh proves this on the build's own flags.

# Each module with the modules it builds on directly; the rest follow by closure.
set(MOBID_MODULES base crypto cbor cose jose mdoc sdjwt statuslist trust
                  oid4vci oid4vp proximity wallet)
set(MOBID_DEPS_base "")
set(MOBID_DEPS_crypto base)
set(MOBID_DEPS_cbor base)
set(MOBID_DEPS_cose cbor crypto)
set(MOBID_DEPS_jose crypto)
set(MOBID_DEPS_mdoc cose)
set(MOBID_DEPS_sdjwt jose)
set(MOBID_DEPS_statuslist cose jose)
set(MOBID_DEPS_trust cose)
set(MOBID_DEPS_oid4vci jose)
set(MOBID_DEPS_oid4vp jose)
set(MOBID_DEPS_proximity mdoc)
set(MOBID_DEPS_wallet mdoc sdjwt statuslist oid4vci oid4vp proximity)
# The public headers a module owns, where they are not just <module>.h.
set(MOBID_HEADERS_base base.h error.h)
set(MOBID_HEADERS_crypto crypto.h kdf.h)

# mobid_module_closure(<out> <modules...>): the modules and all they build on.
function(mobid_module_closure out)
  set(todo ${ARGN})
  set(done "")
  while(todo)
    list(POP_FRONT todo m)
    if(NOT m IN_LIST MOBID_MODULES)
      message(FATAL_ERROR "unknown lib/ module '${m}' (known: ${MOBID_MODULES})")
    endif()
    if(NOT m IN_LIST done)
      list(APPEND done ${m})
      list(APPEND todo ${MOBID_DEPS_${m}})
    endif()
  endwhile()
  set(${out} ${done} PARENT_SCOPE)
endfunction()

# The header view of one module, made afresh at every configure so that a
# dependency dropped from the table above is dropped from the view too.
function(mobid_module_view m)
  set(view ${CMAKE_BINARY_DIR}/layers/${m})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view}/include/mobid ${view}/lib)
  mobid_module_closure(uses ${m})
  foreach(d ${uses})
    set(headers ${MOBID_HEADERS_${d}})
    if(NOT headers)
      set(headers ${d}.h)
    endif()
    foreach(h ${headers})
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/mobid/${h} ${view}/include/mobid/${h} SYMBOLIC)
    endforeach()
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/lib/${d} ${view}/lib/${d} SYMBOLIC)
  endforeach()
endfunction()

# Which modules this build makes: all, or MOBID_ONLY and what those build on.
if(MOBID_ONLY)
  mobid_module_closure(MOBID_BUILT_MODULES ${MOBID_ONLY})
else()
  set(MOBID_BUILT_MODULES ${MOBID_MODULES})
endif()

set(MOBID_MODULE_OBJECTS "")
foreach(m ${MOBID_MODULES})
  if(NOT m IN_LIST MOBID_BUILT_MODULES)
    continue()
  endif()
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lib/${m}/*.c)
  mobid_module_view(${m})
  add_library(mobid_${m} OBJECT ${srcs})
  target_include_directories(mobid_${m} PRIVATE ${CMAKE_BINARY_DIR}/layers/${m}/include
                                                ${CMAKE_BINARY_DIR}/layers/${m}/lib)
  foreach(d ${MOBID_DEPS_${m}})
    target_link_libraries(mobid_${m} PUBLIC mobid_${d})
  endforeach()
  list(APPEND MOBID_MODULE_OBJECTS $<TARGET_OBJECTS:mobid_${m}>)
endforeach()

# What the modules take from outside: OpenSSL and the PKCS#11 header in lib/crypto
# only (tests/cli/layering.sh checks that no other module includes them); jansson
# everywhere, as json_t is in the public headers; zlib for the status lists.
target_link_libraries(mobid_crypto PRIVATE PkgConfig::OPENSSL)
target_include_directories(mobid_crypto PRIVATE ${P11KIT_INCLUDE_DIRS})
foreach(m ${MOBID_BUILT_MODULES})
  target_link_libraries(mobid_${m} PRIVATE PkgConfig::JANSSON)
endforeach()
if(TARGET mobid_statuslist)
  target_link_libraries(mobid_statuslist PRIVATE PkgConfig::ZLIB)
endif()

# Each module's include path, for tests/cli/layering.sh to compile probes with
# exactly the flags the module is built with.
foreach(m ${MOBID_BUILT_MODULES})
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/layers/${m}.includes
       CONTENT "$<JOIN:$<TARGET_PROPERTY:mobid_${m},INCLUDE_DIRECTORIES>,\n>\n")
endforeach()
