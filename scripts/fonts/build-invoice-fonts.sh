#!/usr/bin/env bash
# Regenerates the two subset fonts the invoice PDF renderer uses (run by hand; the
# outputs are committed, so neither CI nor the Worker build needs these tools):
#
#   apt-get install -y python3-fonttools fonts-dejavu-core fonts-wqy-microhei
#   bash scripts/fonts/build-invoice-fonts.sh
#
# assets/fonts/DejaVuSans-invoice.ttf  primary font, bundled INTO the Worker script as a
#   Data module (wrangler.toml [[rules]]), so it must stay small: Latin, Latin Extended
#   (incl. Vietnamese), modern Greek, Cyrillic, Armenian, Georgian, punctuation, currency signs.
#   Hebrew/Arabic are left out on purpose: the renderer draws left to right only.
# assets/fonts/WenQuanYiMicroHei-cjk.ttf  CJK fallback (Han, kana, Hangul), a few MB,
#   served from Workers Static Assets and fetched only when a text needs it. Keep
#   CJK_UNICODES in step with FALLBACK_RANGES in src/documents/pdf/splitIntoFontRuns.ts.
#
# Why fontTools and not the Debian files as they are: @pdf-lib/fontkit 1.1.1 copies each
# glyph's bytes into its per-PDF subset unpadded and then writes a *short* loca table
# (offsets / 2) whenever the subset is under 64 KB, so any odd-length glyph record
# shifts every glyph after it: the text still extracts but mutool reports "invalid
# outline" and the glyphs render blank (seen with Debian's Droid Sans Fallback, 11,679
# odd-length glyphs; dropping hinting makes more odd ones). The
# last step rewrites both outputs with fontTools' glyf padding set to 4 bytes and
# refuses any font that still has an odd-length glyph.
# Hinting is dropped: PDF viewers rasterise unhinted anyway and it halves the bytes.
# OpenType layout tables (GSUB/GPOS) are dropped too and the legacy 'kern' table kept:
# fontkit's GPOS engine was two thirds of the CPU of a Latin invoice (17 ms -> 5 ms in
# workerd), pair kerning still applies, and text is NFC-normalised before drawing so
# names need no mark positioning.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
OUT=assets/fonts
DEJAVU=${DEJAVU:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
WQY=${WQY:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
# fontTools stamps head.modified with this instead of "now", so a rerun is byte-identical.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1776643200}

PRIMARY_UNICODES=$(tr -d ' \n' <<'RANGES'
U+0020-007E,U+00A0-024F,U+0259,U+02B9-02DD,U+0300-036F,U+0370-03FF,U+0400-052F,
U+0530-058F,U+10A0-10FF,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,
U+2116,U+2122,U+2212
RANGES
)
CJK_UNICODES=$(tr -d ' \n' <<'RANGES'
U+0020,U+1100-11FF,U+2E80-2FDF,U+3000-30FF,U+3100-312F,U+3130-318F,U+31F0-31FF,
U+3200-33FF,U+3400-4DBF,U+4E00-9FFF,U+AC00-D7A3,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF
RANGES
)

"$PY" -m fontTools.subset "$DEJAVU" --unicodes="$PRIMARY_UNICODES" \
  --no-hinting --layout-features='' --drop-tables+=GSUB,GPOS,GDEF --legacy-kern \
  --drop-tables+=MATH,FFTM --name-IDs='*' --output-file="$OUT/DejaVuSans-invoice.ttf"
# The .ttc holds Micro Hei (index 0) and Micro Hei Mono; take the proportional face.
"$PY" -m fontTools.subset "$WQY" --font-number=0 --unicodes="$CJK_UNICODES" \
  --no-hinting --layout-features='' --drop-tables+=vhea,vmtx,GSUB,GPOS,GDEF \
  --name-IDs='*' --output-file="$OUT/WenQuanYiMicroHei-cjk.ttf"

# Pad every glyph record, then prove it.
"$PY" - "$OUT/DejaVuSans-invoice.ttf" "$OUT/WenQuanYiMicroHei-cjk.ttf" <<'CHECK'
import sys
from fontTools.ttLib import TTFont
for path in sys.argv[1:]:
    font = TTFont(path)
    font["glyf"].padding = 4  # fontTools' default (1) leaves glyphs unpadded
    font.save(path)
    font = TTFont(path)
    offsets = list(font["loca"])
    odd = [i for i in range(len(offsets) - 1) if (offsets[i + 1] - offsets[i]) % 2]
    if odd:
        sys.exit(f"{path}: {len(odd)} odd-length glyph records; fontkit would corrupt them")
    print(f"{path}: {font['maxp'].numGlyphs} glyphs, {len(font.getBestCmap())} code points")
CHECK
ls -l "$OUT"/*.ttf
