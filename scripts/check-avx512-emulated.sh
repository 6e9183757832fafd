#!/usr/bin/env bash
# Runs CKernels' AVX-512 kernels on any x86-64 or arm64 machine: compiles
# gemv_avx512.c and attention_avx512.c (with thread_scratch.c) against SIMDe's portable AVX-512
# intrinsics (Debian package libsimde-dev; scripts/avx512-emulated/intrinsics.h
# adds the few it lacks) and checks every format, 1–32 rows, odd sizes and
# 1–8 query heads per KV head against a Double reference (and the shared
# gemv lanes against the plain gemv, bit for bit). For developing on machines without AVX-512; not part of CI
# (`swift test` runs the real AVX-512 path wherever the CPU has it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
[ -f /usr/include/simde/x86/avx512.h ] || { echo "needs libsimde-dev (apt-get install libsimde-dev)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-O2 -Wno-psabi -I Sources/CKernels/include -I Sources/CKernels -I scripts/avx512-emulated)
# F16C for the reference's own conversions where the host has it; SIMDe
# falls back to portable code otherwise.
case "$(uname -m)" in x86_64) flags+=(-mf16c) ;; esac
clang "${flags[@]}" -DLORAD_INTRINSICS_HEADER='"intrinsics.h"' -c Sources/CKernels/gemv_avx512.c -o "$out/gemv.o"
clang "${flags[@]}" -DLORAD_INTRINSICS_HEADER='"intrinsics.h"' -c Sources/CKernels/attention_avx512.c -o "$out/attention.o"
clang "${flags[@]}" -c Sources/CKernels/thread_scratch.c -o "$out/thread_scratch.o"
clang "${flags[@]}" -DLORAD_INTRINSICS_HEADER='"intrinsics.h"' -include intrinsics.h scripts/avx512-emulated/check.c "$out/gemv.o" "$out/attention.o" "$out/thread_scratch.o" -lm -lpthread -o "$out/check"
"$out/check"
