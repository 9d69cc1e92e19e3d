# cmake -DIN=file -DOUT=header -DNAME=symbol -P embed_text.cmake
# Writes `static const char NAME[] = {...bytes..., 0};` so that a text file of the repository (the
# report's script, src/report/map.js) is compiled into the library: no file is read at run time.
# A "</script" in the text would end the page's <script> element early: refused.
file(READ ${IN} text)
string(FIND "${text}" "</script" bad)
if(NOT bad EQUAL -1)
  message(FATAL_ERROR "${IN} contains \"</script\", which would end the report's <script> early")
endif()
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* generated from ${IN} by cmake/embed_text.cmake: do not edit */\n"
                  "static const char ${NAME}[] = {\n${bytes}0x00};\n")
