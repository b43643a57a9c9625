#!/usr/bin/env bash
# viewer_x11.sh: `reslab view` in a real X window (Xvfb), driven by real X key events (xdotool)
# and checked by a screenshot of the screen (ImageMagick import). Claims: the window opens; '+'
# raises the target depth above the start depth of 20, so the depth grows past it; 'h' draws
# the help overlay; 'q' quits with status 0; the screenshot has the screen's size and is not
# blank. Exit 77 (skipped) with the reason when Xvfb, xdotool or import is missing.
set -u
reslab="$1"
out="${TEST_BUILD_DIR:-/tmp}"
for tool in xvfb-run xdotool import identify; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
export SDL_VIDEODRIVER=x11 SDL_FRAMEBUFFER_ACCELERATION=0 SDL_RENDER_DRIVER=software
export OPENBLAS_NUM_THREADS=1 RESLAB="$reslab" OUT="$out"
# A loaded machine can start Xvfb too late for the first client (SDL then reports "x11 not
# available"): one more attempt in that case only.
for attempt in 1 2; do
xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
    "$RESLAB" view --depth 20 > "$OUT/viewer_x11.log" 2>&1 &
    pid=$!
    wid=""
    for i in $(seq 100); do
        wid=$(xdotool search --name "^reslab" 2>/dev/null | head -1)
        [ -n "$wid" ] && break
        sleep 0.1
    done
    [ -n "$wid" ] || { echo "NOT OK no window appeared"; kill $pid 2>/dev/null; exit 1; }
    echo "OK     window $wid appeared"
    sleep 1
    xdotool key --window "$wid" plus
    sleep 2
    xdotool key --window "$wid" h
    sleep 0.5
    import -window root "$OUT/viewer_x11.png"
    xdotool key --window "$wid" q
    wait $pid
    echo "viewer exit status $?" >> "$OUT/viewer_x11.log"
'
grep -q "no display" "$out/viewer_x11.log" || break
echo "attempt $attempt: the X server was not ready; again"
done
status=0
passed=0
log="$out/viewer_x11.log"
cat "$log"
if grep -q "viewer exit status 0" "$log"; then echo "OK     q quits with status 0"; passed=$((passed + 1)); else echo "NOT OK exit status"; status=1; fi
depth=$(sed -n 's/.*; depth \([0-9]*\)$/\1/p' "$log" | tail -1)
if [ -n "$depth" ] && [ "$depth" -gt 20 ]; then
    echo "OK     after '+' the depth grew past 20 (reached $depth)"; passed=$((passed + 1))
else
    echo "NOT OK the depth did not grow past 20 (got '${depth}')"; status=1
fi
size=$(identify -format '%wx%h' "$out/viewer_x11.png" 2>/dev/null)
colours=$(identify -format '%k' "$out/viewer_x11.png" 2>/dev/null)
if [ "$size" = "1280x800" ] && [ "${colours:-0}" -gt 50 ]; then
    echo "OK     screenshot $size with $colours colours"; passed=$((passed + 1))
else
    echo "NOT OK screenshot '$size' with '${colours}' colours"; status=1
fi
echo "$passed/3 checks passed"
exit $status
