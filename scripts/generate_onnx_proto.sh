#!/usr/bin/env bash
# Generates formats/ONNX/Generated/onnx.pb.swift from formats/ONNX/Generated/onnx.proto
# (the onnx.proto of the onnx Python package, copied verbatim). Run once when
# the proto changes; the generated file is committed, so builds need no plugin.
#
#   apt-get install -y protobuf-compiler
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/pgs/src
#   (cd /tmp/pgs/src && swift build --product protoc-gen-swift --scratch-path /tmp/pgs/.build-protoc)
#   PROTOC_GEN_SWIFT=/tmp/pgs/.build-protoc/debug/protoc-gen-swift scripts/generate_onnx_proto.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-/tmp/pgs/.build-protoc/debug/protoc-gen-swift}"
dir=formats/ONNX/Generated
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$dir" \
       --swift_out="$dir" --swift_opt=Visibility=Internal onnx.proto
echo "wrote $dir/onnx.pb.swift ($(protoc --version), protoc-gen-swift $("$plugin" --version))"
