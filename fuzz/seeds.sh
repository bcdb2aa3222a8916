#!/usr/bin/env bash
# Builds the seed corpus of one fuzz target from the real fixtures in
# Tests/*/Resources (written by numpy, h5py and Keras).
#
#   fuzz/seeds.sh TARGET DIR
#
# Seeds are named by content hash, so rebuilding is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: fuzz/seeds.sh TARGET DIR}
DIR=${2:?usage: fuzz/seeds.sh TARGET DIR}
mkdir -p "$DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

add() {  # add FILE: copy into DIR under its hash (skipping empty and duplicate files)
  [[ -s $1 ]] || return 0
  cp "$1" "$DIR/$(sha1sum "$1" | cut -c1-16)"
}

fixtures() {  # fixtures with one of the given extensions, one copy each by content
  local pattern=()
  for ext in "$@"; do pattern+=(-o -name "*.$ext"); done
  find Tests/*/Resources -type f \( "${pattern[@]:1}" \) -print0 | xargs -0 sha1sum | sort -u -k1,1 | cut -c43-
}

case $TARGET in
  NPYHeader)
    # The preamble (and a little data) of every .npy, on disk and inside npz archives.
    for f in $(fixtures npy); do head -c 512 "$f" > "$TMP/x"; add "$TMP/x"; done
    for z in $(fixtures npz); do
      for m in $(zipinfo -1 "$z" 2>/dev/null | head -20); do
        unzip -p "$z" "$m" 2>/dev/null | head -c 512 > "$TMP/x" || true; add "$TMP/x"
      done
    done
    # Versions 2 and 3, big-endian, Fortran order, 0-d: numpy's own spellings.
    hdr() {  # hdr MAJOR DICT: a preamble padded to 64 bytes as numpy writes it
      local major=$1 dict=$2 lensize=2; [[ $major != 1 ]] && lensize=4
      local pad=$(( (64 - (8 + lensize + ${#dict} + 1) % 64) % 64 ))
      local len=$(( ${#dict} + pad + 1 ))
      { printf "\\x93NUMPY\\x$(printf %02x "$major")\\x00"
        if [[ $lensize == 2 ]]; then printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
        else printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))\\x00\\x00"; fi
        printf '%s' "$dict"; printf '%*s\n' "$pad" ''; printf '\x00\x00\x80\x3f'; } > "$TMP/x"
      add "$TMP/x"
    }
    hdr 1 "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
    hdr 2 "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }"
    hdr 3 "{'descr': '|b1', 'fortran_order': False, 'shape': (), }"
    hdr 1 "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 4), }"
    ;;
  ONNX)
    for f in $(fixtures onnx); do add "$f"; done
    ;;
  ZipArchive)
    for f in $(fixtures npz keras); do add "$f"; done
    ;;
  CSV)
    # Heads of the real CSVs (plain and gzip), keeping the header row.
    for f in $(fixtures csv); do head -n 12 "$f" > "$TMP/x"; add "$TMP/x"; gzip -9nc "$TMP/x" > "$TMP/x.gz"; add "$TMP/x.gz"; done
    for f in $(fixtures gz); do gzip -dc "$f" 2>/dev/null | head -n 12 > "$TMP/x" || true; add "$TMP/x"; done
    ;;
  KerasConfig)
    # config.json files, those inside .keras bundles, and model_config attributes of Keras .h5 files.
    for f in $(fixtures json); do grep -q '"class_name"' "$f" && add "$f"; done
    for k in $(fixtures keras); do unzip -p "$k" config.json > "$TMP/x" 2>/dev/null || true; add "$TMP/x"; done
    n=0
    for h in $(fixtures h5); do
      while IFS= read -r line; do
        n=$((n + 1)); printf '%s' "$line" > "$TMP/c$n"; add "$TMP/c$n"
      done < <(strings -n 60 "$h" | grep -o '{"class_name".*}\|{"module".*}' || true)
    done
    ;;
  HDF5)
    for f in $(fixtures h5 keras); do add "$f"; done
    ;;
  TorchPickle)
    # The data.pkl of every torch.save checkpoint (and of the hostile corpus), and bare pickles.
    for z in $(fixtures pt); do
      for m in $(zipinfo -1 "$z" 2>/dev/null | grep '/data.pkl$' || true); do unzip -p "$z" "$m" > "$TMP/x" 2>/dev/null || true; add "$TMP/x"; done
    done
    for f in $(fixtures pkl); do add "$f"; done
    ;;
  SafeTensors)
    for f in $(fixtures safetensors); do add "$f"; done
    ;;
  *) echo "fuzz/seeds.sh: unknown target $TARGET" >&2; exit 2 ;;
esac
