#!/usr/bin/python3
"""Generate the compiled-in tables of the text module (run from the repository root):

  src/text/unicode_tables.h  from Python's unicodedata (Unicode 14.0 with Python 3.11):
      - word-character ranges: every code point of general category L* (letters) or M* (marks), with
        its script (derived from the character name: "BENGALI LETTER KA" -> Bengali, "COMBINING
        ACUTE ACCENT" -> inherited, letters of scripts we do not name -> other); variation selectors
        and the combining grapheme joiner are left out (the tokenizer ignores them);
      - lowercase map: the simple (1:1) lowercase mapping of every letter, as runs
        (first, last, stride, delta); U+0130 maps to U+0069 (its simple mapping in UnicodeData.txt),
        and final sigma U+03C2 is folded to U+03C3 (as Unicode case folding does);
      - canonical composition pairs (base, mark) -> composite: the primary composites of NFC, so that
        text in decomposed form (NFD, as macOS writes it) gives the same tokens as precomposed text.
  src/text/lang_corpus.h     from src/text/lang/<code>.txt: the prose and common-word lists the
      language identifier builds its character n-gram profiles from, as C string literals (one per
      paragraph, each under the 4095 characters ISO C requires compilers to accept).

Usage: /usr/bin/python3 tools/make_text_tables.py
"""
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Script ids: keep in the order of mc_script in include/musiclust/text.h.
SCRIPTS = ["NONE", "INHERITED", "OTHER", "LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "HEBREW", "ARABIC",
           "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
           "MALAYALAM", "SINHALA", "THAI", "LAO", "TIBETAN", "MYANMAR", "GEORGIAN", "HANGUL", "ETHIOPIC",
           "KHMER", "HIRAGANA", "KATAKANA", "HAN"]
SID = {s: i for i, s in enumerate(SCRIPTS)}

# Character-name prefixes -> script (first match wins).
PREFIXES = [("FULLWIDTH LATIN ", "LATIN"), ("LATIN ", "LATIN"), ("GREEK ", "GREEK"),
            ("CYRILLIC ", "CYRILLIC"), ("ARMENIAN ", "ARMENIAN"), ("HEBREW ", "HEBREW"),
            ("ARABIC ", "ARABIC"), ("DEVANAGARI ", "DEVANAGARI"), ("BENGALI ", "BENGALI"),
            ("GURMUKHI ", "GURMUKHI"), ("GUJARATI ", "GUJARATI"), ("ORIYA ", "ORIYA"),
            ("TAMIL ", "TAMIL"), ("TELUGU ", "TELUGU"), ("KANNADA ", "KANNADA"),
            ("MALAYALAM ", "MALAYALAM"), ("SINHALA ", "SINHALA"), ("THAI ", "THAI"), ("LAO ", "LAO"),
            ("TIBETAN ", "TIBETAN"), ("MYANMAR ", "MYANMAR"), ("GEORGIAN ", "GEORGIAN"),
            ("HALFWIDTH HANGUL ", "HANGUL"), ("HANGUL ", "HANGUL"), ("ETHIOPIC ", "ETHIOPIC"),
            ("KHMER ", "KHMER"), ("HIRAGANA ", "HIRAGANA"), ("HALFWIDTH KATAKANA ", "KATAKANA"),
            ("KATAKANA", "KATAKANA"), ("CJK ", "HAN"), ("IDEOGRAPHIC ITERATION MARK", "HAN"),
            ("COMBINING ", "INHERITED")]

# Marks the tokenizer drops without splitting a word (see mc_text_is_ignorable).
IGNORED = set(range(0xFE00, 0xFE10)) | set(range(0xE0100, 0xE01F0)) | {0x034F} | \
    set(range(0x180B, 0x1810))


def script_of(cp):
    name = unicodedata.name(chr(cp), "")
    for p, s in PREFIXES:
        if name.startswith(p):
            return SID[s]
    return SID["OTHER"]


def word_ranges():
    out = []  # [lo, hi, script, is_mark]
    for cp in range(0x110000):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat[0] not in "LM" or cp in IGNORED:
            continue
        s = script_of(cp)
        m = 1 if cat[0] == "M" else 0
        if out and out[-1][1] == cp - 1 and out[-1][2] == s and out[-1][3] == m:
            out[-1][1] = cp
        else:
            out.append([cp, cp, s, m])
    return out


def lower_pairs():
    pairs = []
    for cp in range(0x110000):
        c = chr(cp)
        if unicodedata.category(c)[0] not in "LM":
            continue
        lo = c.lower()
        if cp == 0x0130:
            lo = "i"
        if cp == 0x03C2:
            lo = "\u03c3"
        if lo != c:
            assert len(lo) == 1, hex(cp)
            pairs.append((cp, ord(lo)))
    return pairs


def lower_runs(pairs):
    runs = []  # [first, last, stride, delta]
    for cp, lo in pairs:
        d = lo - cp
        if runs:
            r = runs[-1]
            if r[3] == d:
                if r[0] == r[1] and cp - r[1] in (1, 2):
                    r[2] = cp - r[1]
                    r[1] = cp
                    continue
                if r[0] != r[1] and cp - r[1] == r[2]:
                    r[1] = cp
                    continue
        runs.append([cp, cp, 1, d])
    # check
    m = dict(pairs)
    for cp in range(0x110000):
        got = cp
        for a, b, s, d in runs:
            if a <= cp <= b and (cp - a) % s == 0:
                got = cp + d
                break
        assert got == m.get(cp, cp), hex(cp)
    return runs


def compositions():
    out = []
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        if len(parts) != 2:
            continue
        a, b = parts
        if unicodedata.normalize("NFC", chr(a) + chr(b)) == chr(cp):
            out.append((a, b, cp))
    out.sort()
    return out


def write_unicode(path):
    wr = word_ranges()
    runs = lower_runs(lower_pairs())
    comp = compositions()
    with open(path, "w", encoding="ascii") as f:
        f.write("/* Generated by tools/make_text_tables.py from Python %s unicodedata (Unicode %s).\n"
                " * Do not edit: change the script and run it again. */\n"
                % (sys.version.split()[0], unicodedata.unidata_version))
        f.write("#ifndef MC_TEXT_UNICODE_TABLES_H\n#define MC_TEXT_UNICODE_TABLES_H\n\n#include <stdint.h>\n\n")
        f.write("#define MC_UNICODE_VERSION \"%s\"\n\n" % unicodedata.unidata_version)
        f.write("/* Code points of general category L* or M*, as sorted disjoint ranges with a script id\n"
                " * (mc_script) and whether they are marks (M*). */\n")
        f.write("typedef struct mc_word_range { uint32_t lo, hi; uint8_t script, mark; } mc_word_range;\n")
        f.write("static const mc_word_range mc_word_ranges[%d] = {\n" % len(wr))
        for i in range(0, len(wr), 4):
            f.write("   " + "".join(" {0x%X, 0x%X, %d, %d}," % tuple(r) for r in wr[i:i + 4]) + "\n")
        f.write("};\n\n")
        f.write("/* Simple lowercase mapping: cp in [first, last] with (cp - first) %% stride == 0 maps to\n"
                " * cp + delta. Sorted by first, disjoint. */\n")
        f.write("typedef struct mc_lower_run { uint32_t first, last; uint8_t stride; int32_t delta; } mc_lower_run;\n")
        f.write("static const mc_lower_run mc_lower_runs[%d] = {\n" % len(runs))
        for i in range(0, len(runs), 4):
            f.write("   " + "".join(" {0x%X, 0x%X, %d, %d}," % tuple(r) for r in runs[i:i + 4]) + "\n")
        f.write("};\n\n")
        f.write("/* Canonical composition (NFC primary composites): (base, mark) -> composite, sorted by\n"
                " * (base, mark). */\n")
        f.write("typedef struct mc_compose_pair { uint32_t base, mark, composite; } mc_compose_pair;\n")
        f.write("static const mc_compose_pair mc_compose_pairs[%d] = {\n" % len(comp))
        for i in range(0, len(comp), 4):
            f.write("   " + "".join(" {0x%X, 0x%X, 0x%X}," % tuple(r) for r in comp[i:i + 4]) + "\n")
        f.write("};\n\n#endif\n")
    print("%s: %d word ranges, %d lowercase runs, %d composition pairs" % (path, len(wr), len(runs), len(comp)))


def c_string(s):
    out = []
    for ch in s.encode("utf-8"):
        if ch == 0x22:
            out.append('\\"')
        elif ch == 0x5C:
            out.append("\\\\")
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)  # octal escapes never swallow the next character past 3 digits
    return '"' + "".join(out) + '"'


def write_corpus(path, langdir):
    codes = sorted(f[:-4] for f in os.listdir(langdir) if f.endswith(".txt"))
    with open(path, "w", encoding="ascii") as f:
        f.write("/* Generated by tools/make_text_tables.py from src/text/lang/<code>.txt: the text the language\n"
                " * identifier builds its character n-gram profiles from (prose written for this project and\n"
                " * lists of common words). Do not edit: change the .txt files and run the script again. */\n")
        f.write("#ifndef MC_TEXT_LANG_CORPUS_H\n#define MC_TEXT_LANG_CORPUS_H\n\n")
        total = {}
        for code in codes:
            with open(os.path.join(langdir, code + ".txt"), encoding="utf-8") as t:
                text = t.read()
            text = unicodedata.normalize("NFC", text)
            # Lines starting with '#' are notes for people, not corpus.
            lines = [ln for ln in text.split("\n") if not ln.startswith("#")]
            paras, cur = [], []
            for ln in lines + [""]:
                if ln.strip():
                    cur.append(ln.strip())
                elif cur:
                    paras.append(" ".join(cur))
                    cur = []
            chunks = []
            for p in paras:
                while len(p.encode("utf-8")) > 3000:
                    cut = p.rfind(" ", 0, 2000)
                    chunks.append(p[:cut])
                    p = p[cut + 1:]
                chunks.append(p)
            total[code] = sum(len(c.split()) for c in chunks)
            f.write("static const char *const mc_lang_text_%s[] = {\n" % code)
            for c in chunks:
                f.write("    %s,\n" % c_string(c))
            f.write("    0};\n\n")
        f.write("typedef struct mc_lang_corpus { const char *code; const char *const *text; } mc_lang_corpus;\n")
        f.write("static const mc_lang_corpus mc_lang_corpora[%d] = {\n" % len(codes))
        for code in codes:
            f.write("    {\"%s\", mc_lang_text_%s},\n" % (code, code))
        f.write("};\n\n#endif\n")
    print("%s: %s words" % (path, ", ".join("%s %d" % kv for kv in total.items())))


if __name__ == "__main__":
    write_unicode(os.path.join(ROOT, "src", "text", "unicode_tables.h"))
    write_corpus(os.path.join(ROOT, "src", "text", "lang_corpus.h"), os.path.join(ROOT, "src", "text", "lang"))
