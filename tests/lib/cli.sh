# tests/lib/cli.sh - sourced by tests/cli/*.sh after they check the
# variables they need: makes $TESTTMP and provides `bad MESSAGE` (report a
# failure and go on). A script ends with `exit $fail`.
mkdir -p "$TESTTMP"
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}
