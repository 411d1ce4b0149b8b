"""A soak run: a system for many virtual seconds, sampling what must stay flat.

Every sample records the virtual time, the host process's resident memory, the number of
events queued, the trace events held, and what the VMs did so far. Consoles are counted, not
kept, so the only growth left is the hypervisor's own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rthv.tools.system import boot_system

NS_PER_S = 1_000_000_000
_PAGE_KIB = 4  # /proc/self/statm counts pages of 4 KiB on the hosts we run on


@dataclass(frozen=True)
class SoakSample:
    """The state of a soak run at one virtual instant."""

    virtual_s: float
    rss_kib: int
    events_queued: int
    trace_events_held: int
    instructions: int
    console_bytes: int
    hypercalls: int
    faults: int


@dataclass(frozen=True)
class SoakResult:
    """Samples of a soak run, and how much the watched figures grew after the first second."""

    config: str
    samples: tuple[SoakSample, ...]

    def growth(self) -> dict[str, int]:
        """From the second sample (after start-up) to the last: change of each flat figure."""
        first, last = self.samples[min(1, len(self.samples) - 1)], self.samples[-1]
        return {
            "rss_kib": last.rss_kib - first.rss_kib,
            "events_queued": last.events_queued - first.events_queued,
            "trace_events_held": last.trace_events_held - first.trace_events_held,
        }


def resident_kib() -> int:
    """Resident memory of this process (Linux /proc), in KiB."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * _PAGE_KIB


def run_soak(config: Path, seconds: float, sample_every_s: float = 1.0) -> SoakResult:
    """Run ``config`` for ``seconds`` of virtual time, sampling every ``sample_every_s``."""
    printed = [0]

    def count(_source: str, data: bytes) -> None:
        printed[0] += len(data)

    hv = boot_system(config, console=count)
    samples = []
    steps = max(1, round(seconds / sample_every_s))
    for step in range(steps + 1):
        if step:
            hv.run(round(step * seconds / steps * NS_PER_S))
        samples.append(
            SoakSample(
                virtual_s=float(hv.machine.clock.to_ns(hv.machine.clock.now())) / NS_PER_S,
                rss_kib=resident_kib(),
                events_queued=len(hv.machine.events),
                trace_events_held=len(hv.trace),
                instructions=hv.machine.instructions,
                console_bytes=printed[0],
                hypercalls=sum(vm.counters.hypercalls for vm in hv.vms.values()),
                faults=hv.fault_count,
            )
        )
    return SoakResult(str(config), tuple(samples))


def soak_markdown(result: SoakResult) -> str:
    """The samples as a Markdown table."""
    lines = [
        "| virtual s | RSS KiB | events queued | trace events held | instructions | "
        "console bytes | hypercalls | faults |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.virtual_s:.1f} | {s.rss_kib} | {s.events_queued} | {s.trace_events_held} | "
        f"{s.instructions} | {s.console_bytes} | {s.hypercalls} | {s.faults} |"
        for s in result.samples
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rthv.tools.soak CONFIG --seconds 10 --json out.json``."""
    parser = argparse.ArgumentParser(prog="python -m rthv.tools.soak", description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0, help="virtual seconds to run")
    parser.add_argument("--json", type=Path, default=None, help="write the samples here")
    args = parser.parse_args(argv)
    result = run_soak(args.config, args.seconds)
    print(soak_markdown(result))
    print(f"\ngrowth after the first second: {result.growth()}")
    if args.json is not None:
        data: dict[str, object] = {
            "config": result.config,
            "samples": [asdict(s) for s in result.samples],
            "growth_after_first_second": result.growth(),
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
