#!/usr/bin/env bash
# tests/validate/everyday.sh --only: the named programs' rows replace theirs in the table
# already in the document, the other rows stay as measured, and one line under the table
# says which were rerun (a second rerun replaces that line).
source "$(dirname "$0")/lib.sh"
DOC=$TMP/doc.md
cat >"$DOC" <<'MD'
# doc
<!-- everyday-table -->
Measured on Linux test, 2026-01-01 (`make validate`).

| program | command | kernel from exec (median of 5) | kernel, range of the runs | model, DBI trace | DBI - kernel | model, events-only trace | events-only - kernel | result |
|---|---|---:|---:|---:|---:|---:|---:|---|
| perl | `perl -e 1` | 10 | 10–10 | 10 | +0 (+0.0%) | 10 | +0 (+0.0%) | ok |
| gzip | `gzip old` | 1 | 1–1 | 1 | +0 (+0.0%) | 1 | +0 (+0.0%) | ok |
<!-- /everyday-table -->
after
MD
run_only() { bash "$ROOT/tests/validate/everyday.sh" --quick --only gzip -o "$DOC" >"$TMP/out.txt" 2>&1 || true; }
run_only
check "the rerun program's row is the new one" grep -q '^| gzip | `gzip -6' "$DOC"
check "its old row is gone" sh -c "! grep -q 'gzip old' '$DOC'"
check "the other rows stay" grep -q '^| perl | `perl -e 1` | 10 |' "$DOC"
check "the run's line stays" grep -q '^Measured on Linux test, 2026-01-01' "$DOC"
check "one line says what was rerun" grep -q '^Rows rerun with `--only "gzip"`' "$DOC"
check "the text after the table stays" grep -qx 'after' "$DOC"
run_only
check_eq "a second rerun leaves one such line" 1 "$(grep -c '^Rows rerun' "$DOC")"
check_eq "and one gzip row" 1 "$(grep -c '^| gzip |' "$DOC")"
