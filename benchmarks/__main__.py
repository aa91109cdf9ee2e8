"""`make bench`: every benchmark, each beside its same-run baseline."""

from __future__ import annotations

import argparse
import sys

from benchmarks import bench_codes_api


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--codes", type=int, default=1_000_000, help="batch size to issue")
    args = parser.parse_args()
    print("== codegen, pure (one core) ==", flush=True)
    from benchmarks import bench_codegen_pure

    sys.argv = [sys.argv[0], "--seconds", "1.5"]
    bench_codegen_pure.main()
    print("\n== codes through the API ==", flush=True)
    bench_codes_api.run(args.codes)


if __name__ == "__main__":
    main()
