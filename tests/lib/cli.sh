# tests/lib/cli.sh - sourced by tests/cli/*.sh after they check the
# variables they need: makes $TESTTMP and provides `bad MESSAGE` (report a
# failure and go on) and `work_in_tmp` (an emptied $TESTTMP as the current
# directory). A script ends with `exit $fail`.
mkdir -p "$TESTTMP"
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}
work_in_tmp() {
    rm -rf "$TESTTMP" && mkdir -p "$TESTTMP" && cd "$TESTTMP" || exit 1
}
