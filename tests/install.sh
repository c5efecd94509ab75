#!/bin/sh
# make install and make uninstall into a staging DESTDIR: the binary, the
# man page and both completions land under PREFIX, the completions parse
# (bash -n, and a completion run; zsh -n only where zsh is installed), and
# uninstall leaves no file behind.  Run from the source tree (as
# test_output does): sh tests/install.sh [VARIANT]
set -eu
variant=${1:-release}
# not the parent make's jobserver or flags: this is a make of its own
unset MAKEFLAGS MFLAGS MAKELEVEL || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "install.sh: $*" >&2
	exit 1
}

make -s install DESTDIR="$tmp" PREFIX=/usr VARIANT="$variant" >/dev/null ||
	fail "make install failed"
bash_file=usr/share/bash-completion/completions/fetchall
zsh_file=usr/share/zsh/site-functions/_fetchall
for f in usr/bin/fetchall usr/share/man/man1/fetchall.1 $bash_file $zsh_file; do
	[ -f "$tmp/$f" ] || fail "$f was not installed"
done
[ -x "$tmp/usr/bin/fetchall" ] || fail "usr/bin/fetchall is not executable"
"$tmp/usr/bin/fetchall" --version >/dev/null || fail "the installed fetchall does not run"
grep -q '^\.TH FETCHALL 1' "$tmp/usr/share/man/man1/fetchall.1" || fail "no man page header"

bash -n "$tmp/$bash_file" || fail "bash -n $bash_file"
got=$(bash -c '. "$1"; COMP_WORDS=(fetchall --output-d); COMP_CWORD=1; _fetchall
	echo "${COMPREPLY[*]}"' sh "$tmp/$bash_file")
[ "$got" = "--output-dir --output-document" ] || fail "bash completes --output-d as '$got'"
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$tmp/$zsh_file" || fail "zsh -n $zsh_file"
	head -n 1 "$tmp/$zsh_file" | grep -qx '#compdef fetchall' || fail "no #compdef line"
else
	echo "install.sh: zsh is not installed: $zsh_file not syntax-checked"
fi

make -s uninstall DESTDIR="$tmp" PREFIX=/usr VARIANT="$variant" >/dev/null ||
	fail "make uninstall failed"
left=$(find "$tmp" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install.sh: ok"
