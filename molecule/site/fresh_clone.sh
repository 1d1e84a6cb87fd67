#!/usr/bin/env bash
# fresh_clone.sh REPO DEST: a fresh `git clone` of REPO at DEST, checked out at REPO's working tree as it
# would be committed now: tracked files with their uncommitted changes, and the untracked files that
# .gitignore does not exclude. In CI (a clean clone) that is exactly HEAD; during development it is what
# the next commit holds, so the site scenario tests the change at hand. REPO's index, refs and working
# tree are left as they are (the tree is recorded through a temporary index; only objects are added).
set -euo pipefail
repo=$1 dest=$2
index=$(mktemp)
trap 'rm -f "$index"' EXIT
cp "$(git -C "$repo" rev-parse --path-format=absolute --git-path index)" "$index"
GIT_INDEX_FILE=$index git -C "$repo" add --all
tree=$(GIT_INDEX_FILE=$index git -C "$repo" write-tree)
rm -rf "$dest"
# --shared: the clone borrows REPO's objects, so the tree just recorded is there without a commit.
git clone --quiet --shared --no-checkout "$repo" "$dest"
git -C "$dest" read-tree -u --reset "$tree"
echo "$dest: $(git -C "$repo" rev-parse --short HEAD) with the working tree's changes (tree ${tree:0:12})"
