#!/bin/sh
# report: the README's first command (its vmreplay part: compare with a time
# series, mrc and report on traces/demo.vmt) runs as written, and the page it
# writes loads in headless Chromium with every image: the DOM lists the
# figures, each is a valid PNG (its SVG twin a valid SVG) that the browser
# decoded (naturalWidth > 0), and the screenshot is not blank. Also: a
# report from an mrc CSV alone, and input errors.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
command -v gnuplot >/dev/null || { echo "gnuplot missing (scripts/setup.sh)"; exit 77; }
command -v chromium >/dev/null || { echo "chromium missing (scripts/setup.sh)"; exit 77; }
work_in_tmp

# the first command of the README, from its vmreplay part on
first=$(awk '/^```sh$/ { getline; print; exit }' "$SRCDIR/README.md")
job=$(echo "$first" | sed -n 's|.*cmake --build --preset release && \(build/release/vmreplay .*\)$|\1|p')
[ -n "$job" ] || bad "README's first command does not run build/release/vmreplay after the build"
echo "$job" | grep -q 'vmreplay report' || bad "README's first command does not end with a report"
ln -s "$SRCDIR/traces" traces
mkdir -p build/release
ln -s "$VMREPLAY" build/release/vmreplay
sh -c "$job" >out.txt 2>err.txt || bad "README job failed: $(cat err.txt)"
grep -q '^major_faults ' out.txt || bad "README job printed no fault and I/O table"
dir=$(echo "$job" | sed -n 's|.*vmreplay report .* -o \([^ ]*\).*|\1|p')
[ -f "$dir/index.html" ] || bad "no $dir/index.html"

# what the browser sees once the page (and its images) loaded
sed 's|</body>|<script>window.addEventListener("load", function () { var s = ""; for (var i = 0; i < document.images.length; i++) s += document.images[i].getAttribute("src") + "=" + document.images[i].naturalWidth + " "; document.body.setAttribute("data-images", s); });</script></body>|' \
    "$dir/index.html" >"$dir/check.html"
chrome() {
    rm -rf profile && mkdir profile
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$TESTTMP/profile" --virtual-time-budget=5000 "$@" 2>>chrome.log
}
chrome --dump-dom "file://$TESTTMP/$dir/check.html" >dom.html || bad "chromium --dump-dom failed"
n_img=$(grep -o '<img [^>]*src="[^"]*"' dom.html | wc -l)
[ "$n_img" -ge 6 ] || bad "the page shows $n_img images, expected the 6 figures of a compare + series + mrc"
for src in $(grep -o '<img [^>]*src="[^"]*"' dom.html | sed 's/.*src="\([^"]*\)"/\1/'); do
    f=$dir/$src
    [ -f "$f" ] || { bad "$src: no such file"; continue; }
    [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || bad "$src is not a PNG"
    svg=${f%.png}.svg
    grep -q '<svg' "$svg" 2>/dev/null && grep -q '</svg>' "$svg" || bad "${src%.png}.svg is not an SVG"
    grep -q "data-images=\"[^\"]*$src=[1-9]" dom.html || bad "$src did not load in the browser"
done
for table in 'What was run' 'Runs' 'Per process' 'Per area'; do
    grep -q "<h2>$table</h2>" dom.html || bad "no '$table' section"
done
grep -q 'zipf:0.9@3' dom.html || bad "the trace's metadata is not shown"

chrome --screenshot="$TESTTMP/shot.png" --window-size=1000,1200 "file://$TESTTMP/$dir/index.html" ||
    bad "chromium --screenshot failed"
size=$(wc -c <shot.png 2>/dev/null || echo 0)
# a blank 1000x1200 page compresses to a few KB; text and figures to far more
[ "$size" -gt 30000 ] || bad "screenshot of $size bytes: blank?"

# an mrc CSV alone gives its curve
"$VMREPLAY" mrc traces/demo.vmt --points 50 -o m.csv && "$VMREPLAY" report m.csv -o r2 >/dev/null ||
    bad "report of an mrc CSV failed"
[ -s r2/mrc.png ] && [ -s r2/mrc.svg ] || bad "no mrc figure"

# errors: not a vmreplay CSV, missing file, no -o
printf 'a,b\n1,2\n' >x.csv
"$VMREPLAY" report x.csv -o r3 2>err && bad "foreign CSV accepted"
grep -q 'x.csv:1' err || bad "foreign CSV: message does not name x.csv:1"
"$VMREPLAY" report nope.csv -o r3 2>/dev/null; [ $? = 1 ] || bad "missing input: not status 1"
"$VMREPLAY" report m.csv 2>/dev/null; [ $? = 2 ] || bad "no -o: not a usage error"
exit $fail
