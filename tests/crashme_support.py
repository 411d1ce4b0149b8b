"""The crashme guest (guests/crashme) in a VM beside a hello VM: its system, what one run of a
seed came to, and a campaign that runs seed after seed, each in a process of its own.

A run's outcome is one of:

- ``done``: the guest ran all its batches and printed ``crashme done``;
- ``stopped``: rthv stopped the VM with a fault report line (its random code made it lock up,
  or wrecked its own vectors so that the injected abort could not progress);
- ``running``: at the time limit the guest still runs, out of its own control (random code that
  masked IRQs and loops: no watchdog can reach it at PL1, the run's end is the backstop);
- ``internal``: rthv stopped the VM with an internal error (an rthv bug; never allowed).

Campaign (seeds from 1, until the time is up; a seed that raises, ends in an internal error, lets
the hello VM print something else, or kills its process, is printed with its seed)::

    .venv/bin/python tests/crashme_support.py --minutes 25 --json crashme.json
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import rthv

SCRIPT_IPA = 0x80400000
BUFFER_IPA = 0x84000000
HELLO = "Hello from rthv guest\nhello done\n"
REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "guests" / "build" / "vexpress-a15"


def crashme_toml(folder: Path, seed: int, batches: int, words: int) -> Path:
    """A system file: crashme VM ``c`` (fault = "inject") and a hello VM ``b`` on UART1."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"crashme-{seed}.bin"
    script.write_bytes(struct.pack("<3I", seed & 0xFFFFFFFF, batches, words))
    path = folder / f"crashme-{seed}.toml"
    path.write_text(
        f"""board = "vexpress-a15"
[scheduler]
policy = "round-robin"
[[vm]]
name = "c"
console = "uart0"
fault = "inject"
[[vm.image]]
path = "{IMAGES / "crashme.elf"}"
[[vm.image]]
path = "{script}"
load_ipa = {SCRIPT_IPA:#x}
[[vm.memory]]
ipa = 0x80000000
size = "1M"
[[vm.memory]]
ipa = {SCRIPT_IPA:#x}
size = "4K"
[[vm.memory]]
ipa = {BUFFER_IPA:#x}
size = "4K"
[[vm.device]]
name = "uart0"
[[vm]]
name = "b"
console = "uart1"
[[vm.image]]
path = "{IMAGES / "hello.elf"}"
[[vm.memory]]
ipa = 0x80000000
size = "1M"
[[vm.device]]
name = "uart1"
ipa = 0x1c090000
"""
    )
    return path


@dataclass(frozen=True)
class Outcome:
    """What one run of a seed came to (see the module's docstring), and what it did."""

    seed: int
    outcome: str
    instructions: int  # executed by the crashme VM
    injected: int  # Stage-2 faults delivered into it as aborts
    faults_listed: int  # the faults the hypervisor lists (hv.faults)
    fault_count: int  # every fault, listed or only counted (hv.fault_count)
    counts: str  # the guest's last line of counts ("" if it never printed it)
    fault: str  # the line that stopped it ("" if none did)
    hello_ok: bool  # the hello VM printed exactly what it prints alone
    console: str  # everything the crashme VM printed
    report: str  # everything rthv printed


def run_seed(folder: Path, seed: int, batches: int, words: int, until: str) -> Outcome:
    """Boot the system for ``seed`` and run it to ``until`` of virtual time."""
    system = rthv.load(crashme_toml(folder, seed, batches, words), full_trace=False)
    system.run(until=until)
    hv = system.hypervisor
    vm = hv.vms["c"]
    console = system.console_text("c")
    counts = [line for line in console.splitlines() if line.startswith("crashme und=")]
    if vm.fault is not None:
        outcome = "internal" if vm.fault.internal else "stopped"
    else:
        outcome = "done" if console.endswith("crashme done\n") else "running"
    return Outcome(
        seed=seed,
        outcome=outcome,
        instructions=vm.core.counter.executed,
        injected=vm.counters.injected_aborts,
        faults_listed=len(hv.faults),
        fault_count=hv.fault_count,
        counts=counts[-1] if counts else "",
        fault=vm.fault.describe() if vm.fault is not None else "",
        hello_ok=system.console_text("b") == HELLO,
        console=console,
        report=system.console_text("rthv"),
    )


# -- the campaign -------------------------------------------------------------------------------


def _one(args: argparse.Namespace) -> int:
    """Run one seed in this process; print its outcome as one JSON line."""
    outcome = run_seed(args.folder, args.seed, args.batches, args.words, args.until)
    data = asdict(outcome)
    del data["console"], data["report"]  # kept short: the seed reproduces them
    print(json.dumps(data))
    return 0


def _campaign(args: argparse.Namespace) -> int:
    """Seeds from ``--first`` on, one process each, until ``--minutes`` have passed."""
    end = time.monotonic() + 60 * args.minutes
    seed, results, failures = args.first, [], []
    while time.monotonic() < end:
        words = (16, 64, 256)[seed % 3]
        command = [
            sys.executable,
            __file__,
            "--one",
            f"--seed={seed}",
            f"--batches={args.batches}",
            f"--words={words}",
            f"--until={args.until}",
            f"--folder={args.folder}",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=args.timeout, check=False
            )
            failed = done.returncode != 0
            result = json.loads(done.stdout) if not failed else {}
            why = f"exit {done.returncode}: {done.stderr.strip()[-2000:]}" if failed else ""
        except subprocess.TimeoutExpired:
            failed, result, why = True, {}, f"no end after {args.timeout} s of host time"
        if not failed and (result["outcome"] == "internal" or not result["hello_ok"]):
            failed, why = True, result["fault"] or "the hello VM printed something else"
        if failed:
            failures.append({"seed": seed, "words": words, "why": why})
            print(f"seed {seed} (words {words}) FAILED: {why}", flush=True)
        if result:
            results.append(result)
            if args.json:
                with Path(args.json).with_suffix(".jsonl").open("a") as record:
                    record.write(json.dumps(result) + "\n")
        seed += 1
    summary = {
        "seeds": seed - args.first,
        "batches_per_seed": args.batches,
        "instructions": sum(r["instructions"] for r in results),
        "injected": sum(r["injected"] for r in results),
        "outcomes": {k: sum(r["outcome"] == k for r in results) for k in _OUTCOMES},
        "exceptions": _exception_totals(results),
        "failures": failures,
        "stopped": [{"seed": r["seed"], "fault": r["fault"]} for r in results if r["fault"]],
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "stopped"}, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if failures else 0


_OUTCOMES = ("done", "stopped", "running", "internal")


def _exception_totals(results: list[dict[str, object]]) -> dict[str, int]:
    """The guests' counts by kind, added up over the seeds that printed them."""
    totals: dict[str, int] = {}
    for result in results:
        for name, value in re.findall(r"(\w+)=(\d+)", str(result["counts"])):
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def main(argv: list[str] | None = None) -> int:
    """The campaign, or (``--one``) a single seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--one", action="store_true", help="run one seed in this process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=1, help="the campaign's first seed")
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=64)
    parser.add_argument("--until", default="1s", help="virtual time limit of one seed")
    parser.add_argument("--timeout", type=float, default=300.0, help="host seconds per seed")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/rthv-crashme"))
    parser.add_argument("--json", default="", help="write the summary here")
    args = parser.parse_args(argv)
    return _one(args) if args.one else _campaign(args)


if __name__ == "__main__":
    sys.exit(main())
