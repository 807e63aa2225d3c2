# Installs the libraries, headers and a package config so that another CMake project can
#   find_package(repscope) and link repscope::nn, repscope::io, repscope::stats (and repscope::cuda).
include(CMakePackageConfigHelpers)

set(REPSCOPE_EXPORTED_TARGETS nn io stats weights)
if(REPSCOPE_HAVE_CUDA)
  list(APPEND REPSCOPE_EXPORTED_TARGETS cuda)
endif()
install(TARGETS ${REPSCOPE_EXPORTED_TARGETS} EXPORT repscopeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/repscope)
install(TARGETS repscope_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir nn io stats weights cuda)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/repscope/${dir}
    FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
endforeach()
install(EXPORT repscopeTargets NAMESPACE repscope:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/repscope)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/repscopeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/repscopeConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/repscope)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/repscopeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/repscopeConfig.cmake ${PROJECT_BINARY_DIR}/repscopeConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/repscope)
