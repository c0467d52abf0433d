# Installation layout, the CMake package config (find_package(clwleak)) and the Debian package
# (cpack -G DEB). Included from the top-level CMakeLists.txt after every target exists.
include(CMakePackageConfigHelpers)

# The worker API as a header-only target.
add_library(clwleak_headers INTERFACE)
set_target_properties(clwleak_headers PROPERTIES EXPORT_NAME headers)
target_include_directories(clwleak_headers INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
add_library(clwleak::headers ALIAS clwleak_headers)
install(TARGETS clwleak_headers EXPORT clwleakTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/clwleak DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(clwleak_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/clwleak)
install(EXPORT clwleakTargets NAMESPACE clwleak:: DESTINATION ${clwleak_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clwleakConfig.cmake.in
  ${PROJECT_BINARY_DIR}/clwleakConfig.cmake INSTALL_DESTINATION ${clwleak_cmake_dir}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/clwleakConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/clwleakConfig.cmake ${PROJECT_BINARY_DIR}/clwleakConfigVersion.cmake
  DESTINATION ${clwleak_cmake_dir})

# The documentation pages, one per command, and the design notes.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/clw-leak-analyze.md
  ${PROJECT_SOURCE_DIR}/docs/clw-leak-run.md ${PROJECT_SOURCE_DIR}/docs/analyzer.md
  ${PROJECT_SOURCE_DIR}/docs/report-schema.md ${PROJECT_SOURCE_DIR}/docs/sampling.md
  ${PROJECT_SOURCE_DIR}/docs/ecosystem.md ${PROJECT_SOURCE_DIR}/docs/clw-leak-exporter.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The CI examples (docs/ecosystem.md), to copy into a project.
install(FILES ${PROJECT_SOURCE_DIR}/scripts/ci/github-actions.yml ${PROJECT_SOURCE_DIR}/scripts/ci/gitlab-ci.yml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/ci)
# The exporter's alerting rules and deployment examples (docs/clw-leak-exporter.md).
install(FILES ${PROJECT_SOURCE_DIR}/scripts/prometheus/clwleak-rules.yml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/prometheus)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/kubernetes/clw-worker-with-exporter.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/kubernetes)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/systemd/clw-leak-exporter.service
  ${PROJECT_SOURCE_DIR}/scripts/systemd/clw-worker.service
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/systemd)
# The man pages are installed by man/CMakeLists.txt.

set(CPACK_PACKAGE_NAME clwleak)
set(CPACK_PACKAGE_VENDOR "clwleak")
set(CPACK_PACKAGE_CONTACT "clwleak maintainers <clwleak@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "memory-leak profiler for production worker fleets")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libunwind8, libzstd1, libprotobuf-lite32, ... from the binaries
# clw-leak-run needs bash and coreutils (essential); clw-pyroscope-upload needs python3, which the
# rest does not: recommended (installed by default), not required. Proved on a fresh Debian 12 by
# tests/packaging/check_deb_debootstrap.sh.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS python3)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "man-db")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
