#!/usr/bin/env bash
# Issues the HTTP benchmarks' pos tokens, one per 10 salons of b0001..bNNNN, 8 at a time, and prints them as lines
# "TOKEN SALON SALON ..." (what bench/http/load.lua's walkin mode reads).
#   bench/http/pos_tokens.sh SALONQ TOKENS_DATA_DIR KEYRING SALONS
set -euo pipefail
salonq=$1 data=$2 keyring=$3 salons=$4
out=$(mktemp -d "${TMPDIR:-/tmp}/salonq-pos-tokens-XXXXXX")
trap 'rm -rf "$out"' EXIT
seq 0 $(((salons + 9) / 10 - 1)) | xargs -P 8 -I{} sh -c '
  g={}; args=""; names=""
  for i in $(seq $((g * 10 + 1)) $((g * 10 + 10))); do
    [ "$i" -le '"$salons"' ] || break
    s=$(printf "b%04d" "$i"); args="$args --salon $s"; names="$names $s"
  done
  t=$('"$salonq"' --data '"$data"' token issue --keyring '"$keyring"' --ttl 2h --role pos --sub "pos$g" $args 2>/dev/null)
  echo "$t$names" >'"$out"'/pos-$g'
cat "$out"/pos-*
