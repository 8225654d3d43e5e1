# chaff_require(VAR header library debian-package)
# Finds a header and a library; fails at configure time naming the Debian
# package to install when either is missing.
function(chaff_require var header lib pkg)
  find_path(${var}_INCLUDE ${header})
  find_library(${var}_LIB ${lib})
  if(NOT ${var}_INCLUDE OR NOT ${var}_LIB)
    message(FATAL_ERROR
      "chaff needs ${header} and lib${lib}: install the Debian package ${pkg} "
      "(apt-get install ${pkg}), or run scripts/run, which installs it")
  endif()
  set(${var}_LIB ${${var}_LIB} PARENT_SCOPE)
endfunction()
