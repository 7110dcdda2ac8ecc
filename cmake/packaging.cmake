# Installing mobid as a service, and the Debian package.
#
# `cmake --install build` (with DESTDIR= for a staging root) puts, besides the binary,
# libmobid, its headers and mobid.pc (CMakeLists.txt):
#   share/man/man1/mobid.1          written from the binary's own --help texts
#   share/doc/mobid/                README and docs/*.md
#   share/doc/mobid/examples/       etc/*.json and nginx/mobid.conf
#   lib/systemd/system/             mobid-issuer, mobid-verifier, mobid-portal units
# Nothing at run time reads these: the web pages and etc/ defaults are inside the binary
# (src/assets), so an installed mobid works wherever its files go.
#
# `cpack -G DEB` (from the build folder) makes mobid_<version>_amd64.deb with prefix /usr.

# Written at install time, straight into the destination: the units name the binary by
# its installed path (the prefix of cmake --install --prefix, or /usr inside cpack), and
# the manual page comes from the binary's --help (so the build itself never runs it:
# sanitizer and fuzz builds stay free of it).
install(CODE "
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(MOBID_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(MOBID_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  foreach(unit issuer verifier portal)
    message(STATUS \"Installing: \${dest}/lib/systemd/system/mobid-\${unit}.service\")
    configure_file(\"${CMAKE_SOURCE_DIR}/etc/systemd/mobid-\${unit}.service.in\"
                   \"\${dest}/lib/systemd/system/mobid-\${unit}.service\" @ONLY)
  endforeach()
  file(MAKE_DIRECTORY \"\${dest}/${CMAKE_INSTALL_MANDIR}/man1\")
  message(STATUS \"Installing: \${dest}/${CMAKE_INSTALL_MANDIR}/man1/mobid.1\")
  execute_process(COMMAND bash \"${CMAKE_SOURCE_DIR}/scripts/manpage.sh\"
                          \"$<TARGET_FILE:mobid>\" \"${PROJECT_VERSION}\"
                  OUTPUT_FILE \"\${dest}/${CMAKE_INSTALL_MANDIR}/man1/mobid.1\" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"mobid.1: scripts/manpage.sh failed (\${rc})\")
  endif()
")

file(GLOB MOBID_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${MOBID_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB MOBID_EXAMPLES ${CMAKE_SOURCE_DIR}/etc/*.json)
install(FILES ${MOBID_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${CMAKE_SOURCE_DIR}/etc/nginx/mobid.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/nginx)

# ---- the Debian package ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mobid)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "mobid")
set(CPACK_PACKAGE_CONTACT "mobid maintainers <maintainers@mobid.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "mobile identity cards: issuer, verifier, portal, wallet (mdoc, SD-JWT VC, OpenID4VCI/VP)")
set(CPACK_PACKAGE_DESCRIPTION "mobid issues identity cards into phone wallets and verifies
them for relying parties, on ISO/IEC 18013-5 mdoc, SD-JWT VC, OpenID4VCI, OpenID4VP,
the IETF Token Status List and X.509. The package holds the mobid command, the
libmobid library with headers and pkg-config file, hardened systemd units for the
issuer, the verifier and the portal, an nginx configuration for TLS and examples.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # mobid_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # Depends from the linked libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx-light | nginx, postgresql")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/etc/debian/postinst ${CMAKE_SOURCE_DIR}/etc/debian/prerm
    ${CMAKE_SOURCE_DIR}/etc/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
