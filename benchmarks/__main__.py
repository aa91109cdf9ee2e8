"""`make bench`: every benchmark, each beside its same-run baseline."""

from __future__ import annotations

import argparse
import sys

from benchmarks import bench_codes_api, bench_geo, bench_hot_code, bench_incidents, bench_scans


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--codes", type=int, default=1_000_000, help="batch size to issue")
    parser.add_argument("--seconds", type=int, default=10, help="per load-generator run")
    parser.add_argument("--scan-codes", type=int, default=50_000, help="codes for scan runs")
    args = parser.parse_args()
    print("== codegen, pure (one core) ==", flush=True)
    from benchmarks import bench_codegen_pure

    sys.argv = [sys.argv[0], "--seconds", "1.5"]
    bench_codegen_pure.main()
    print("\n== codes through the API ==", flush=True)
    bench_codes_api.run(args.codes)
    print("\n== scans and consumer checks through the API ==", flush=True)
    bench_scans.run(args.seconds, args.scan_codes)
    print("\n== a cloned code's checks ==", flush=True)
    bench_hot_code.main()
    print("\n== incidents that grow ==", flush=True)
    bench_incidents.run(20_000)
    print("\n== territory lookups ==", flush=True)
    sys.argv = [sys.argv[0]]
    bench_geo.main()


if __name__ == "__main__":
    main()
