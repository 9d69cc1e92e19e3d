# The Python package (python/): ctest python runs its pytest suite against the libmusiclust.so just
# built; ctest python_pip_install installs it offline with pip into a fresh virtual environment and
# runs the suite there. A missing pytest, numpy or scikit-learn fails them (scripts/install-deps.sh
# installs python3-pytest, python3-numpy, python3-sklearn, python3-venv).
if(EXISTS /usr/bin/python3)
  set(MC_PYTHON_DEFAULT /usr/bin/python3)   # Debian's, where the python3-* packages are
else()
  find_program(MC_PYTHON_DEFAULT python3)
endif()
set(MC_PYTHON ${MC_PYTHON_DEFAULT} CACHE FILEPATH "Python with numpy, pytest and scikit-learn for the Python tests")

set(MC_PYTHON_ENV
  MUSICLUST_LIB=$<TARGET_FILE:musiclust_shared>
  MUSICLUST_INCLUDE=${CMAKE_SOURCE_DIR}/include
  MUSICLUST_SOURCE_DIR=${CMAKE_SOURCE_DIR}
  CC=${CMAKE_C_COMPILER}
  PYTHONDONTWRITEBYTECODE=1)
if(MC_SANITIZE)
  # An instrumented library in an uninstrumented interpreter: the ASan runtime has to come first.
  # Leaks are not checked (the interpreter's own allocations at exit are not ours).
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE MC_LIBASAN
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND MC_PYTHON_ENV LD_PRELOAD=${MC_LIBASAN}
       ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
endif()

add_test(NAME python
  COMMAND ${MC_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/python/tests)
set_tests_properties(python PROPERTIES ENVIRONMENT "${MC_PYTHON_ENV}" TIMEOUT 900)

if(NOT MC_SANITIZE)
  add_test(NAME python_pip_install
    COMMAND ${CMAKE_SOURCE_DIR}/python/tests/pip_install.sh ${MC_PYTHON} ${CMAKE_SOURCE_DIR}
            $<TARGET_FILE_DIR:musiclust_shared>)
  set_tests_properties(python_pip_install PROPERTIES TIMEOUT 900
    ENVIRONMENT "CC=${CMAKE_C_COMPILER};MUSICLUST_INCLUDE=${CMAKE_SOURCE_DIR}/include;MUSICLUST_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
