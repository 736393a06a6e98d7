# Embeds a file as a NUL-terminated C array: cmake -DINPUT=f -DOUTPUT=f.c -DNAME=sym -DHEADER=h -P
file(READ "${INPUT}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUTPUT}" "/* Generated from ${INPUT}; do not edit. */\n#include \"${HEADER}\"\n\nconst char ${NAME}[] = {${bytes}0x00};\n")
