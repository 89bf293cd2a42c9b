#!/usr/bin/env bash
# `make install` into a DESTDIR: libmmsim (shared with its soname, static), mmsim.h, mmsim.pc
# and the Python module; a small C reader built with `pkg-config --cflags --libs mmsim`
# against that tree (and statically) reads a trace as `mmsim info` counts it; the Python
# module's tests pass from the installed tree.
source "$(dirname "$0")/lib.sh"
DEST=$TMP/root
PFX=/usr/local
LIB=$DEST$PFX/lib
check "make install DESTDIR=... PREFIX=$PFX" make -s --no-print-directory -C "$ROOT" install DESTDIR="$DEST" PREFIX="$PFX"
for f in lib/libmmsim.so.0.1.0 lib/libmmsim.so.0 lib/libmmsim.so lib/libmmsim.a include/mmsim.h \
         lib/pkgconfig/mmsim.pc bin/mmsim; do
    check "installed $f" test -e "$DEST$PFX/$f"
done
check_eq "soname" "libmmsim.so.0" "$(objdump -p "$LIB/libmmsim.so.0.1.0" | awk '$1 == "SONAME" { print $2 }')"
check_eq "only the mmsim_* API is exported" "" \
    "$(nm -D --defined-only "$LIB/libmmsim.so.0.1.0" | awk '{ print $3 }' | grep -v '^mmsim_' || true)"

# A trace to read: the lackey fixture, imported.
"$MMSIM" import -q -f lackey "$ROOT/tests/data/small.lackey" -o "$TMP/small.mmt"
"$MMSIM" info --json "$TMP/small.mmt" >"$TMP/info.json"
want="$(for k in ifetches loads stores modifies; do printf '%s ' "$(json_get "$TMP/info.json" $k)"; done)import:lackey"
cat >"$TMP/reader.c" <<'CEOF'
#include <mmsim.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char err[512];
    if (argc != 2)
        return 2;
    mmsim_trace *t = mmsim_open(argv[1], err, sizeof err);
    if (!t) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (mmsim_version_number() != MMSIM_VERSION_NUMBER)
        return 3;
    unsigned long long n[MMSIM_KIND_COUNT] = {0};
    const mmsim_record *recs;
    size_t len;
    int rc;
    while ((rc = mmsim_next(t, &recs, &len)) == 1)
        for (size_t i = 0; i < len; i++)
            n[recs[i].kind]++;
    if (rc < 0) {
        fprintf(stderr, "%s\n", mmsim_error(t));
        return 1;
    }
    printf("%llu %llu %llu %llu %s\n", n[MMSIM_IFETCH], n[MMSIM_LOAD], n[MMSIM_STORE],
           n[MMSIM_MODIFY], mmsim_meta(t, "backend"));
    mmsim_close(t);
    return 0;
}
CEOF
export PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST
check "pkg-config --cflags --libs mmsim" pkg-config --cflags --libs mmsim
check "a reader builds with pkg-config" sh -c "cc -std=c11 -Wall -Wextra -Werror '$TMP/reader.c' \$(pkg-config --cflags --libs mmsim) -o '$TMP/reader'"
check_eq "the reader (shared) counts what mmsim info counts" "$want" "$(LD_LIBRARY_PATH=$LIB "$TMP/reader" "$TMP/small.mmt")"
check "the reader links libmmsim.so.0" sh -c "LD_LIBRARY_PATH='$LIB' ldd '$TMP/reader' | grep -q 'libmmsim.so.0 => $LIB'"
check "a reader builds against libmmsim.a (pkg-config --static)" sh -c "cc -std=c11 -Wall -Werror '$TMP/reader.c' \$(pkg-config --cflags mmsim) -L'$LIB' -Wl,-Bstatic -lmmsim -Wl,-Bdynamic \$(pkg-config --static --libs-only-l mmsim | sed 's/-lmmsim//') -o '$TMP/reader-static'"
check_eq "the static reader counts the same" "$want" "$("$TMP/reader-static" "$TMP/small.mmt")"
check "the static reader needs no libmmsim.so" sh -c "! ldd '$TMP/reader-static' | grep -q libmmsim"
LD_LIBRARY_PATH=$LIB "$TMP/reader" /bin/ls 2>"$TMP/err" >/dev/null; rc=$?
check_eq "the reader on a foreign file: mmsim_open fails" 1 "$rc"
check "... with a message naming the file" grep -q "/bin/ls" "$TMP/err"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# Python from the installed tree (run from elsewhere, nothing of the checkout on the path).
PYDIR=$(cd "$DEST$PFX/lib" && ls -d python3*/dist-packages | head -1)
check "the Python module is installed" test -f "$DEST$PFX/lib/$PYDIR/mmsim/__init__.py"
check_eq "import mmsim from the install loads the installed library" "$LIB/libmmsim.so.0" \
    "$(cd "$TMP" && PYTHONPATH="$DEST$PFX/lib/$PYDIR" /usr/bin/python3 -c 'import mmsim; print(mmsim._lib._name)')"
unittest_tap "installed" env -C "$TMP" PYTHONPATH="$DEST$PFX/lib/$PYDIR" MMSIM_BIN="$DEST$PFX/bin/mmsim" \
    /usr/bin/python3 -m unittest discover -v -s "$ROOT/python/tests" -t "$ROOT/python/tests"
