#!/usr/bin/env bash
# `swift format lint` over every Swift file of the project with the rules in
# .swift-format; the generated protobuf code (formats/ONNX/Generated) is left
# as protoc-gen-swift wrote it. Exit 1 on any finding. `scripts/lint.sh --fix`
# formats the files in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
mapfile -t files < <(find Package.swift Sources formats audits fuzz Tests scripts -name '*.swift' \
    -not -path '*/Generated/*' -not -path '*/.build*' | sort)
if [[ "${1:-}" == "--fix" ]]; then
    swift format format --in-place --parallel "${files[@]}"
else
    swift format lint --strict --parallel "${files[@]}"
fi
