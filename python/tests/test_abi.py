"""The ctypes mirrors in musiclust/_lib.py against the C compiler: every struct's size and every field's
offset, from a C program compiled against include/musiclust/ (a drifted header fails here, not as
corrupted memory)."""
import ctypes
import os
import subprocess

import musiclust._lib as L

INCLUDE = os.environ.get("MUSICLUST_INCLUDE") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "include")


def test_struct_layouts_match_the_headers(tmp_path):
    assert os.path.exists(os.path.join(INCLUDE, "musiclust", "musiclust.h")), f"no headers in {INCLUDE}"
    lines = ["#include <musiclust/musiclust.h>", "#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    for name, cls in L.STRUCTS.items():
        lines.append(f'    printf("{name} sizeof %zu\\n", sizeof({name}));')
        for field, _ in cls._fields_:
            lines.append(f'    printf("{name} {field} %zu\\n", offsetof({name}, {field}));')
    lines += ["    return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", f"-I{INCLUDE}", str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    c_side = {}
    for line in out.splitlines():
        struct, field, value = line.split()
        c_side[(struct, field)] = int(value)
    wrong = []
    for name, cls in L.STRUCTS.items():
        if ctypes.sizeof(cls) != c_side[(name, "sizeof")]:
            wrong.append(f"{name}: sizeof {ctypes.sizeof(cls)} in Python, {c_side[(name, 'sizeof')]} in C")
        for field, _ in cls._fields_:
            off = getattr(cls, field).offset
            if off != c_side[(name, field)]:
                wrong.append(f"{name}.{field}: offset {off} in Python, {c_side[(name, field)]} in C")
    assert not wrong, "ctypes mirrors differ from the headers:\n" + "\n".join(wrong)
    assert len(L.STRUCTS) >= 25
