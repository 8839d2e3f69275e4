#!/usr/bin/env bash
# tests/test_bisect.sh: ci/bisect under `git bisect run` names the commit that
# slowed the server, on a synthetic history in a throwaway clone:
#
#   G  the source tree: HEAD, plus a commit of its uncommitted changes if any
#      (so that the code under test is the code that meson test built)
#   a  harmless (README)
#   b  THE SLOW COMMIT: the tcp server paces its socket at 5 Mbit/s
#      (SO_MAX_PACING_RATE), so 10M_40ms/tcp/download drops by ~half
#   c  harmless (a comment in src/proto_tcp.c: a rebuild)
#   x  does not build (#error): ci/bisect must say 125, and bisect skips it
#   d  reverts x
#
# The baseline is recorded on G (ci/bisect --record), x is checked alone
# (exit 125), then `git bisect start d G` + `git bisect run ci/bisect
# --baseline ...` must name b. One build directory serves every step
# (incremental builds). Exit 0 pass, 1 fail, 77 skip (not root, no network
# namespaces, no git checkout). Needs NETBENCH_SOURCE_ROOT (meson sets it;
# default: this script's source tree).
set -euo pipefail

me=bisect
src=${NETBENCH_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
run_args=(-p 10M_40ms -P tcp -d download -n 2 --duration 3)
threshold=15

skip() { echo "$me: skipped: $*"; exit 77; }
fail() { echo "$me: FAIL: $*" >&2; exit 1; }
t_start=$(date +%s)
since() { echo "$(($(date +%s) - t_start)) s"; }

# --- can this machine do it? ---------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "not root: netbench run needs CAP_NET_ADMIN to build links"
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n true failed)"
for t in git meson ninja; do
  command -v "$t" >/dev/null || skip "no $t"
done
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || skip "$src is not a git checkout"
[ "$(realpath "$top")" = "$(realpath "$src")" ] || skip "$src is not the top of its git checkout ($top)"
git -C "$src" rev-parse --verify -q HEAD >/dev/null || skip "$src has no commit"
[ -x "$src/ci/bisect" ] || fail "no executable $src/ci/bisect"

# --- a throwaway world -------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nb-test-bisect.XXXXXX")
child=''
# shellcheck disable=SC2317  # called from the traps
cleanup() {
  if [ -n "$child" ]; then   # its group: git, ci/bisect; ci/bisect stops its own
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
    for _ in $(seq 50); do   # until ci/bisect (orphaned when git died) is done
      pgrep -g "$child" >/dev/null || break
      sleep 0.1
    done
    child=''
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 1' INT TERM HUP
set -m   # long commands in their own process group, which cleanup can stop
# run_in DIR LOG CMD...: CMD in DIR, output to LOG, then LOG to stdout;
# returns CMD's exit code.
run_in() {
  local dir=$1 log=$2 rc=0; shift 2
  (cd "$dir" && exec "$@") >"$log" 2>&1 </dev/null &
  child=$!
  wait "$child" || rc=$?
  child=''
  awk '{ print "  | " $0 }' "$log"
  return "$rc"
}

repo=$tmp/repo
build=$tmp/build            # one build directory for every step
base=$tmp/base.json
bisect=$tmp/bisect          # a copy outside the repository, as README says
mkdir "$tmp/tmp"
export TMPDIR=$tmp/tmp      # ci/bisect's temp dirs: must be empty at the end
export GIT_AUTHOR_NAME="netbench test" GIT_AUTHOR_EMAIL=test@netbench.invalid
export GIT_COMMITTER_NAME="netbench test" GIT_COMMITTER_EMAIL=test@netbench.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
cp "$src/ci/bisect" "$bisect"

echo "$me: cloning $src into $repo"
git clone --quiet --no-hardlinks "$src" "$repo"
# G: the source tree as it is. Its uncommitted changes (tracked and
# untracked files, not ignored ones) become one commit, read through the
# clone's index; nothing of the source tree's .git is written.
git --git-dir="$repo/.git" --work-tree="$src" add -A
if ! git -C "$repo" diff --cached --quiet; then
  git -C "$repo" commit --quiet -m "test_bisect: the source tree's uncommitted changes"
  git -C "$repo" reset --quiet --hard
  echo "$me: the source tree has uncommitted changes: G is HEAD plus them"
fi
cd "$repo"
commit() { git commit --quiet -am "$1"; git rev-parse HEAD; }
good=$(git rev-parse HEAD)

echo "test_bisect: a harmless commit" >>README.md
a=$(commit "test_bisect: (a) harmless")

# b: pace the tcp server's socket at 5 Mbit/s (625000 bytes/s), inserted
# before the line that sends the download. If that line is gone, this test
# must be updated: it fails, it never passes without the slow commit.
anchor=$'\tif (h.dir == NB_DOWNLOAD)'
slow=$'\tsetsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &(unsigned int){625000}, sizeof(unsigned int)); /* test_bisect: slow */'
awk -v anchor="$anchor" -v slow="$slow" \
  '$0 == anchor && !done { print slow; done = 1 } { print } END { exit !done }' \
  src/proto_tcp.c >"$tmp/proto_tcp.c" ||
  fail "the slow patch does not apply: no line '${anchor#$'\t'}' in src/proto_tcp.c's server"
cp "$tmp/proto_tcp.c" src/proto_tcp.c
if ! grep -q 'SO_MAX_PACING_RATE.*test_bisect' src/proto_tcp.c || git diff --quiet; then
  fail "the slow patch left src/proto_tcp.c unchanged"
fi
b=$(commit "test_bisect: (b) THE SLOW COMMIT: the tcp server paces at 5 Mbit/s")

echo "/* test_bisect: a harmless comment */" >>src/proto_tcp.c
c=$(commit "test_bisect: (c) harmless comment")

echo '#error "test_bisect: this commit does not build"' >>src/proto_tcp.c
x=$(commit "test_bisect: (x) does not build")

git revert --no-edit HEAD >/dev/null
d=$(git rev-parse HEAD)
echo "$me: history: G ${good:0:12} a ${a:0:12} b ${b:0:12} (slow) c ${c:0:12} x ${x:0:12} (broken) d ${d:0:12}"

# --- ci/bisect's own checks --------------------------------------------------------
rc=0
"$bisect" --baseline "$base" -n 1 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 255 ] || fail "ci/bisect with bad usage exited $rc, not 255"

# --- the baseline, on G ----------------------------------------------------------------
git checkout --quiet "$good"
echo "$me: recording the baseline on G ($(since))"
t0=$(date +%s)
rc=0
run_in "$repo" "$tmp/record.log" "$bisect" --record "$base" --build-dir "$build" "${run_args[@]}" || rc=$?
# A host that stalls the emulator through every attempt leaves nothing to
# compare: that says nothing of ci/bisect (the link checks skip alike).
stalled() { grep -q "every replicate was discarded\|late-emulator discards" "$1"; }
[ "$rc" -eq 0 ] || ! stalled "$tmp/record.log" ||
  skip "the emulator was late through every attempt on G (a stalling host): no baseline"
[ "$rc" -eq 0 ] || fail "ci/bisect --record on G exited $rc"
[ -s "$base" ] || fail "ci/bisect --record wrote no $base"
echo "$me: baseline recorded in $(($(date +%s) - t0)) s (first build included)"

# --- x alone: a commit that does not build is skipped ------------------------------
git checkout --quiet "$x"
t0=$(date +%s)
rc=0
run_in "$repo" "$tmp/x.log" "$bisect" --baseline "$base" --build-dir "$build" \
  --threshold "$threshold" "${run_args[@]}" || rc=$?
[ "$rc" -eq 125 ] || fail "ci/bisect on x (does not build) exited $rc, not 125"
grep -q "^ci/bisect: ${x:0:12} skip: the build failed" "$tmp/x.log" ||
  fail "ci/bisect on x printed no 'skip: the build failed' verdict"
echo "$me: x skipped (125) in $(($(date +%s) - t0)) s"

# --- the bisection -------------------------------------------------------------------------
git checkout --quiet "$d"
git bisect start "$d" "$good" >/dev/null
echo "$me: git bisect run ci/bisect between G and d ($(since))"
t0=$(date +%s)
rc=0
run_in "$repo" "$tmp/bisect.log" git bisect run "$bisect" --baseline "$base" \
  --build-dir "$build" --threshold "$threshold" "${run_args[@]}" || rc=$?
echo "$me: git bisect run exited $rc in $(($(date +%s) - t0)) s"
git bisect log | awk '{ print "  log| " $0 }'
named=$(git rev-parse -q --verify refs/bisect/bad || true)
if [ "$rc" -ne 0 ] && stalled "$tmp/bisect.log" &&
   grep -q "only skipped commits left\|first bad commit could be any of" "$tmp/bisect.log"; then
  git bisect reset >/dev/null 2>&1
  skip "the emulator was late through every attempt on a commit (a stalling host): git bisect could only narrow it down"
fi
[ "$rc" -eq 0 ] || fail "git bisect run exited $rc"
grep -q "^$b is the first bad commit" "$tmp/bisect.log" ||
  fail "git bisect named ${named:-nothing}, not b ($b, the slow commit)"
[ "$named" = "$b" ] || fail "refs/bisect/bad is $named, not b ($b)"
# Every verdict came from ci/bisect; a was judged good and b bad by a
# comparison (b's parent a must have been tested for b to be named).
grep -q "^ci/bisect: ${a:0:12} good: " "$tmp/bisect.log" || fail "no 'good' verdict for a"
grep -q "^ci/bisect: ${b:0:12} bad: " "$tmp/bisect.log" || fail "no 'bad' verdict for b"
git bisect reset >/dev/null 2>&1

# --- nothing left behind -------------------------------------------------------------------
left=$(find "$TMPDIR" -mindepth 1 | head -n 3)
[ -z "$left" ] || fail "ci/bisect left temp files: $left"
echo "$me: PASS: git bisect named b ${b:0:12} (the slow commit) in $(since) in all"
