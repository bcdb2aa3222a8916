#!/usr/bin/env bash
# Builds and runs one libFuzzer target from fuzz/ (see fuzz/README.md).
#
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags…]
#   scripts/fuzz.sh --build TARGET      # build only
#   scripts/fuzz.sh --list              # the targets
#
# TARGET is a file name in fuzz/ without .swift: NPYHeader, ZipArchive, CSV,
# KerasConfig, HDF5, TorchPickle, SafeTensors,
# ONNX. The product modules are compiled with swiftc
# (-sanitize=fuzzer,address, -enable-testing) into .build-fuzz/ and reused
# until a source changes. The seed corpus is built from Tests/*/Resources;
# the working corpus grows in .build-fuzz/corpus/TARGET; crashes, timeouts
# and OOMs land in fuzz-out/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

ROOT=$PWD
OUT=$ROOT/.build-fuzz
MODS=$OUT/modules
TARGETS=(NPYHeader ZipArchive CSV KerasConfig HDF5 TorchPickle SafeTensors ONNX)

if [[ "${1:-}" == "--list" ]]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
BUILD_ONLY=0
if [[ "${1:-}" == "--build" ]]; then BUILD_ONLY=1; shift; fi
TARGET=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags…]}
SECONDS_TO_RUN=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
[[ -f fuzz/$TARGET.swift ]] || { echo "no fuzz target fuzz/$TARGET.swift (try --list)" >&2; exit 2; }

HDF5_CFLAGS=$(pkg-config --cflags hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)
HDF5_LIBS=$(pkg-config --libs-only-L hdf5 2>/dev/null || echo -L/usr/lib/x86_64-linux-gnu/hdf5/serial)
COMMON=(-O -g -swift-version 6 -parse-as-library -sanitize=fuzzer,address -enable-testing
        -I "$MODS" -I Sources/CZlib -I Sources/CBLAS -I Sources/CHDF5 -I Sources/CKernels/include)
for f in $HDF5_CFLAGS; do COMMON+=(-Xcc "$f"); done

# The modules each target needs, in dependency order.
# libhdf5 1.10 (not instrumented) leaks a few KB inside itself on some corrupt
# files, and asks malloc for absurd sizes read from corrupt metadata, which
# glibc refuses with NULL (libhdf5 then fails cleanly) but ASan aborts on:
# for HDF5, leak detection is off and ASan's malloc returns NULL like glibc's;
# -rss_limit_mb still catches real growth.
EXTRA=()
case $TARGET in
  NPYHeader) DEPS=(FairAudit FormatNPZ) ;;
  TorchPickle) DEPS=(FairAudit FormatPyTorch) ;;
  SafeTensors) DEPS=(FairAudit FormatSafeTensors) ;;
  ONNX)      DEPS=(SwiftProtobuf FairAudit FormatONNX)
             [[ -d .build/checkouts/swift-protobuf ]] || swift package resolve >&2 ;;
  HDF5)      DEPS=(FairAudit FormatHDF5); EXTRA=(-detect_leaks=0 -malloc_limit_mb=65536)
             export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
  *)         DEPS=(FairAudit) ;;
esac

sources_of() {  # the Swift sources of a module (FairAudit without Policy+TOML.swift, the one file that needs TOMLKit)
  case $1 in
    FairAudit)  find Sources/FairAudit -name '*.swift' -not -name 'Policy+TOML.swift' | sort ;;
    FormatNPZ)  find formats/NPZ -name '*.swift' | sort ;;
    FormatHDF5) find formats/HDF5 -name '*.swift' | sort ;;
    FormatPyTorch) find formats/PyTorch -name '*.swift' | sort ;;
    FormatSafeTensors) find formats/SafeTensors -name '*.swift' | sort ;;
    FormatONNX) find formats/ONNX -name '*.swift' | sort ;;
    SwiftProtobuf) find .build/checkouts/swift-protobuf/Sources/SwiftProtobuf -name '*.swift' | sort ;;
  esac
}

build_module() {  # one object + swiftmodule per module, rebuilt when a source (or a dependency) is newer
  local m=$1; shift
  local obj=$MODS/$m.o
  if [[ -f $obj ]] && [[ -z $(find $(sources_of "$m") "$@" -newer "$obj" 2>/dev/null | head -1) ]]; then return; fi
  echo "fuzz.sh: compiling $m" >&2
  mkdir -p "$MODS"
  local flags=()
  # swift-protobuf uses `package` access and builds with ExistentialAny.
  [[ $m == SwiftProtobuf ]] && flags=(-package-name swift_protobuf -enable-upcoming-feature ExistentialAny)
  swiftc "${COMMON[@]}" "${flags[@]}" -wmo -module-name "$m" -emit-module -emit-module-path "$MODS/$m.swiftmodule" \
    -c -o "$obj" $(sources_of "$m")
}

# FairAudit's C kernels (Sources/CKernels: AVX2 functions behind a runtime check), one object.
DEP_OBJS=("$MODS/CKernels.o")
if [[ ! -f $MODS/CKernels.o ]] || [[ Sources/CKernels/kernels.c -nt $MODS/CKernels.o ]]; then
  mkdir -p "$MODS"
  clang -O2 -g -fsanitize=address -I Sources/CKernels/include -c Sources/CKernels/kernels.c -o "$MODS/CKernels.o"
fi
for m in "${DEPS[@]}"; do
  build_module "$m" "${DEP_OBJS[@]}"
  DEP_OBJS+=("$MODS/$m.o")
done

BIN=$OUT/bin/$TARGET
if [[ ! -x $BIN ]] || [[ -n $(find "fuzz/$TARGET.swift" "${DEP_OBJS[@]}" -newer "$BIN" | head -1) ]]; then
  echo "fuzz.sh: linking $TARGET" >&2
  mkdir -p "$OUT/bin"
  # shellcheck disable=SC2086
  swiftc "${COMMON[@]}" -module-name "Fuzz$TARGET" "fuzz/$TARGET.swift" "${DEP_OBJS[@]}" \
    $HDF5_LIBS -lhdf5 -lz -lopenblas -llapacke -o "$BIN" 2> >(grep -v 'Cannot export local symbol' >&2)
fi
[[ $BUILD_ONLY == 1 ]] && { echo "$BIN"; exit 0; }

SEEDS=$OUT/seeds/$TARGET
CORPUS=$OUT/corpus/$TARGET
ART=$ROOT/fuzz-out/$TARGET
fuzz/seeds.sh "$TARGET" "$SEEDS"
mkdir -p "$CORPUS" "$ART"

exec "$BIN" "$CORPUS" "$SEEDS" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$ART/" -print_final_stats=1 "${EXTRA[@]}" "$@"
