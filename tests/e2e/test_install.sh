#!/usr/bin/env bash
# End-to-end test of `cmake --install`: configures, builds and installs the
# project into a scratch prefix (an ordinary build, whatever the build under
# test is), then checks what a user of the installed files gets:
# - the files: bin/chaff, libchaff.a, libchaff.so, chaff.h, chaff.pc, the
#   default model under share/chaff/models/default, the man page chaff(1);
# - libchaff.so exports exactly the functions of chaff.h;
# - examples/two_threads.c, built with `pkg-config --cflags --libs chaff`
#   against libchaff.so, and once against libchaff.a (pkg-config --static),
#   scores two comments from two threads with the installed model;
# - `man -l` renders the installed man page;
# - the installed chaff runs `chaff check` without --model, on the
#   installed model.
#
# Usage: bash test_install.sh PATH_TO_chaff REPO_ROOT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

for tool in cmake cc pkg-config nm readelf; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
done

# ---- configure, build (only what is installed), install ----
PREFIX=$SCRATCH/prefix
unset CHAFF_MODEL # the installed chaff must find its model by itself
capture cmake -S "$ROOT" -B "$SCRATCH/build" -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
cp err configure.err
[ "$RC" = 0 ] || { cat out >&2; fail "cmake configure failed (exit $RC)"; }
capture cmake --build "$SCRATCH/build" -j"$(nproc)" --target chaff_lib chaff_shared chaff_installed
[ "$RC" = 0 ] || { tail -n 40 out >&2; fail "cmake --build failed (exit $RC)"; }
capture cmake --install "$SCRATCH/build"
[ "$RC" = 0 ] || { cat out >&2; fail "cmake --install failed (exit $RC)"; }
ok "configure, build and install into a scratch prefix"

pcfile=$(find "$PREFIX" -name chaff.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pcfile" ] || fail "no pkgconfig/chaff.pc under the prefix"
LIBDIR=$(dirname "$(dirname "$pcfile")") # lib, or lib/<multiarch>
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
for f in bin/chaff include/chaff.h share/man/man1/chaff.1 share/chaff/models/default/model.svm \
    share/chaff/models/default/ranges.txt share/chaff/models/default/ngrams.bin \
    share/chaff/models/default/meta.json; do
    [ -s "$PREFIX/$f" ] || fail "install: $PREFIX/$f is missing or empty"
done
[ -s "$LIBDIR/libchaff.a" ] || fail "install: libchaff.a is missing from $LIBDIR"
[ -e "$LIBDIR/libchaff.so" ] || fail "install: libchaff.so is missing from $LIBDIR"
for f in model.svm ranges.txt ngrams.bin meta.json; do
    cmp -s "$ROOT/models/default/$f" "$PREFIX/share/chaff/models/default/$f" ||
        fail "install: share/chaff/models/default/$f differs from models/default/$f"
done
cmp -s "$ROOT/src/chaff.h" "$PREFIX/include/chaff.h" || fail "install: include/chaff.h differs from src/chaff.h"
ok "installed: bin/chaff, libchaff.a, libchaff.so, chaff.h, chaff.pc, the model, chaff.1"

# ---- pkg-config ----
version=$(sed -n 's/^project(chaff VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
assert_eq "$(pkg-config --modversion chaff)" "$version" "pkg-config --modversion chaff"
assert_eq "$(pkg-config --variable=modeldir chaff)" "$PREFIX/share/chaff/models/default" \
    "pkg-config --variable=modeldir chaff"
assert_eq "$(pkg-config --cflags chaff | xargs)" "-I$PREFIX/include" "pkg-config --cflags chaff (nothing of the private dependencies)"
libs=$(pkg-config --libs chaff)
[[ " $libs " == *" -lchaff "* && " $libs " == *" -L$LIBDIR "* ]] ||
    fail "pkg-config --libs chaff: '$libs' lacks -L$LIBDIR -lchaff"
static_libs=$(pkg-config --static --libs chaff)
for l in -lsvm -lutf8proc -lsqlite3 -ljansson -lcsv -lz -lnettle -lm -lpthread; do
    [[ " $static_libs " == *" $l "* ]] || fail "pkg-config --static --libs chaff: '$static_libs' lacks $l"
done
ok "chaff.pc: version $version, modeldir, Libs, and the private libraries of libchaff.a"

# ---- libchaff.so exports exactly the functions of chaff.h ----
nm -D --defined-only "$LIBDIR/libchaff.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort >exported.txt
grep -oE '^CHAFF_API [^(]*\bchaff_[a-z0-9_]+\(' "$PREFIX/include/chaff.h" |
    grep -oE 'chaff_[a-z0-9_]+\($' | tr -d '(' | sort >declared.txt
[ -s declared.txt ] || fail "no CHAFF_API function found in chaff.h"
if ! cmp -s exported.txt declared.txt; then
    echo "--- exported by libchaff.so (>) vs declared CHAFF_API in chaff.h (<):" >&2
    diff declared.txt exported.txt >&2 || true
    fail "libchaff.so must export exactly the CHAFF_API functions of chaff.h"
fi
ok "libchaff.so exports exactly the $(wc -l <declared.txt) CHAFF_API functions of chaff.h"

# ---- the example program, against libchaff.so and against libchaff.a ----
# compiled from a copy outside the source tree: chaff.h can only come from
# the prefix
cp "$ROOT/examples/two_threads.c" .
MODELDIR=$(pkg-config --variable=modeldir chaff)
SPAM='Check out my channel!!! sub4sub, link in bio 🔥🔥🔥'
PLAIN='lol no, the match was on tuesday not monday'
# shellcheck disable=SC2046 # pkg-config's flags are meant to be split
cc -std=c11 -Wall -Wextra -Werror two_threads.c -o two_threads_shared $(pkg-config --cflags --libs chaff) -pthread \
    2>cc.err || { cat cc.err >&2; fail "cc two_threads.c \$(pkg-config --cflags --libs chaff) -pthread failed"; }
readelf -d two_threads_shared | grep -q 'NEEDED.*\[libchaff\.so' ||
    fail "two_threads_shared is not linked with libchaff.so"
# libchaff.a: -lchaff would pick libchaff.so beside it; name the archive
static_flags=$(pkg-config --static --libs chaff | sed 's/-lchaff\b/-l:libchaff.a/')
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Wextra -Werror two_threads.c -o two_threads_static $(pkg-config --cflags chaff) $static_flags \
    -pthread 2>cc.err || { cat cc.err >&2; fail "cc two_threads.c with libchaff.a ($static_flags) failed"; }
! readelf -d two_threads_static | grep -q 'NEEDED.*libchaff' || fail "two_threads_static needs libchaff.so"

# the verdicts of the installed chaff on the same comments, for comparison
printf '%s\n' "$SPAM" "$PLAIN" | "$PREFIX/bin/chaff" filter --format text >cli.jsonl 2>cli.err ||
    { cat cli.err >&2; fail "the installed chaff filter failed on the two comments"; }
want=$(python3 -c '
import json, sys
for line in open("cli.jsonl"):
    v = json.loads(line)
    print(v["label"] + "\t" + v["action"])')
for kind in shared static; do
    capture env LD_LIBRARY_PATH="$LIBDIR" "./two_threads_$kind" "$MODELDIR"
    assert_rc 0 "two_threads ($kind) on the installed model"
    assert_eq "$(wc -l <out)" 2 "lines printed by two_threads ($kind)"
    spam=$(sed -n 1p out)
    plain=$(sed -n 2p out)
    assert_eq "$(cut -f3 <<<"$spam")" "$SPAM" "two_threads ($kind): comment 1"
    assert_eq "$(cut -f3 <<<"$plain")" "$PLAIN" "two_threads ($kind): comment 2"
    case $(cut -f1,2 <<<"$spam") in
    low-effort$'\t'hold | low-effort$'\t'review | machine$'\t'hold | machine$'\t'review) ;;
    *) fail "two_threads ($kind): the spam comment got '$(cut -f1,2 <<<"$spam")', want a label other than human and an action other than pass" ;;
    esac
    assert_eq "$(cut -f1,2 <<<"$plain")" "human"$'\t'"pass" "two_threads ($kind): the plain comment"
    assert_eq "$(cut -f1,2 out)" "$want" "two_threads ($kind) vs the installed chaff filter on the same comments"
done
ok "two_threads.c built with pkg-config against libchaff.so and libchaff.a: spam held or reviewed, the plain comment passed, from two threads"

# ---- the man page renders ----
manpage=$PREFIX/share/man/man1/chaff.1
if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$manpage" >man.txt 2>man.err || { cat man.err >&2; fail "man -l $manpage failed"; }
elif command -v groff >/dev/null; then
    groff -man -Tutf8 "$manpage" >man.txt 2>man.err || { cat man.err >&2; fail "groff -man $manpage failed"; }
else
    fail "neither man nor groff is installed to render the man page"
fi
grep -q 'chaff filter' man.txt && grep -q 'EXIT STATUS' man.txt ||
    fail "the rendered man page lacks 'chaff filter' or 'EXIT STATUS'"
ok "the installed man page renders (man -l)"

# ---- the installed chaff uses the installed model by default ----
capture "$PREFIX/bin/chaff" check "$PLAIN"
assert_rc 0 "installed chaff check (no --model) on a plain comment: exit 0 is pass"
[[ $(head -n 1 out) == human* ]] || fail "installed chaff check: first line '$(head -n 1 out)', want it to start with human"
# proof that it reads the installed folder, not the source tree's: break
# the installed copy and watch the error name it
mv "$PREFIX/share/chaff/models/default/ranges.txt" ranges.txt.saved
capture "$PREFIX/bin/chaff" check "$PLAIN"
mv ranges.txt.saved "$PREFIX/share/chaff/models/default/ranges.txt"
assert_rc 3 "installed chaff check with its installed model broken"
assert_err_has "$PREFIX/share/chaff/models/default" "the error names the installed model folder"
ok "the installed chaff finds the installed model without --model"
