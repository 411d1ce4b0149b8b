"""The hypervisor with real guests: two VMs on one CPU, isolation, passthrough, determinism."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from hv_support import boot, run, vm_toml, write_system
from rthv.board.gic import GicCpuInterface, GicHypInterface, GicVirtualCpuInterface
from rthv.board.machine import Machine
from rthv.hv.config import load_config
from rthv.hv.hypervisor import Hypervisor
from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.hv.vgic_list_registers import VgicListRegisters
from rthv.hv.vgic_registers import VirqState
from support import boot as boot_bare
from support import guest_image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HELLO = "Hello from rthv guest\nhello done\n"


def _baseline_b(tmp_path: Path) -> str:
    """What VM b (hello on UART1) prints next to a well-behaved VM a."""
    path = write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"))
    return run(path).console_text("b")


def test_two_vms_run_the_same_image_file_as_bare_metal(tmp_path: Path) -> None:
    """Both VMs run the very file the bare-metal tests use, and print what it prints there."""
    image = guest_image("hello")
    bare = boot_bare(image)
    bare.machine.run()
    path = write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    digests = {
        hashlib.sha256(vm.config.images[0].path.read_bytes()).hexdigest()
        for vm in system.hypervisor.vms.values()
    }
    assert digests == {hashlib.sha256(image.read_bytes()).hexdigest()}
    assert system.console_text("a") == system.console_text("b") == bare.output() == HELLO
    assert system.hypervisor.faults == []


def test_a_vm_takes_its_own_stage1_faults_with_their_status_and_address(tmp_path: Path) -> None:
    """The MMU fault guest, unmodified in a VM, prints what it prints bare-metal; its Stage-1
    faults are the guest's own business: no trap is reported and the VM beside it is fine."""
    bare = boot_bare(guest_image("mmu-faults"))
    bare.machine.run()
    path = write_system(tmp_path, vm_toml("mmu", "mmu-faults"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    assert system.console_text("mmu") == bare.output()
    assert "DFSR=0x00000805" in system.console_text("mmu")
    assert system.console_text("b") == HELLO
    assert system.hypervisor.faults == []


def test_a_vm_ticks_on_its_virtual_timer_in_virtual_time(tmp_path: Path) -> None:
    """The virtual timer guest, unmodified in a VM: PPI 27 is injected through the virtual GIC
    at each CVAL, the vCPU sleeps in WFI between ticks, and every tick is exactly as late (the
    hypervisor's fixed costs), as is every run of the same system."""
    path = write_system(tmp_path, vm_toml("v", "vtimer"), vm_toml("b", "hello", uart="uart1"))
    runs = [run(path) for _ in range(2)]
    text = runs[0].console_text("v")
    lates = re.findall(r"tick \d late=(\d+) ctl=0x5\n", text)
    assert len(lates) == 5 and len(set(lates)) == 1
    assert text.endswith("user cntvct ok\nvtimer done\n")
    assert text == runs[1].console_text("v")
    vm = runs[0].hypervisor.vms["v"]
    assert vm.counters.injections >= 5 and vm.counters.wfi >= 5
    assert runs[0].hypervisor.machine.idle_cycles > 4_900_000  # asleep between the 1 ms ticks
    assert runs[0].console_text("b") == HELLO


def test_two_vms_keep_their_own_vfp_registers_across_world_switches(tmp_path: Path) -> None:
    """Two VMs fill D0-D31 and FPSCR with different patterns and are switched out mid-round
    many times (a 300 us quantum): each finds its own values every time."""
    head = '[scheduler]\npolicy = "round-robin"\nparams = { quantum_us = 300 }\n'
    path = write_system(tmp_path, vm_toml("a", "vfp"), vm_toml("b", "vfp", uart="uart1"), head=head)
    system = run(path)
    expected = (
        "vfp: 2.0 + 0.5 = 0x40200000, fpexc=0x40000000\nvfp: 20 rounds, 0 mismatches\nvfp done\n"
    )
    assert system.console_text("a") == system.console_text("b") == expected
    vms = system.hypervisor.vms
    assert vms["a"].counters.world_switches >= 10 and vms["b"].counters.world_switches >= 10
    assert vms["a"].core.uc is not vms["b"].core.uc  # each vCPU's VFP file is its own


def test_rogue_gicd_write_is_ignored_reported_and_harms_no_one(tmp_path: Path) -> None:
    """Enabling another VM's IRQ is ignored (RAZ/WI) and reported; the rogue and b go on."""
    path = write_system(tmp_path, vm_toml("a", "rogue-gicd"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    assert "rogue-gicd: ISENABLER1 reads 0\n" in system.console_text("a")
    assert system.console_text("a").endswith("rogue-gicd done\n")
    report = system.console_text("rthv")
    assert 'vm "a": ignored GICD write at 0x2c001104 for IRQ 38 (not its own) at pc 0x8' in report
    assert not system.hypervisor.machine.gicd.is_enabled(38)
    assert system.console_text("b") == _baseline_b(tmp_path)


def test_rogue_device_read_stops_only_that_vm(tmp_path: Path) -> None:
    """Reading another VM's UART is a Stage-2 fault: the rogue stops, b prints as always."""
    path = write_system(tmp_path, vm_toml("a", "rogue-device"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    assert system.console_text("a") == "rogue-device: reading UART1\n"
    (fault,) = system.hypervisor.faults
    assert (fault.vm, fault.reason, fault.address) == ("a", "Stage-2 translation fault", 0x1C0A0018)
    assert fault.access == "read of 4 bytes" and fault.pc >= 0x80000000
    assert fault.describe() in system.console_text("rthv")
    assert system.console_text("b") == _baseline_b(tmp_path)


def test_rogue_write_outside_its_ram_stops_only_that_vm(tmp_path: Path) -> None:
    """A store past the VM's own RAM stops it with the address and access reported."""
    path = write_system(tmp_path, vm_toml("a", "rogue-ram"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    (fault,) = system.hypervisor.faults
    assert (fault.address, fault.access) == (0x80400000, "write of 4 bytes")
    assert system.console_text("a") == "rogue-ram: writing outside its RAM\n"
    assert system.console_text("b") == _baseline_b(tmp_path)


def test_passthrough_timer_interrupts_reach_only_their_owner(tmp_path: Path) -> None:
    """VM a owns TIMER01: its 10 ticks arrive in a only; b never sees IRQ 34."""
    path = write_system(
        tmp_path,
        vm_toml("a", "timer", devices=("timer01",)),
        vm_toml("b", "hello", uart="uart1"),
    )
    system = run(path, until_ms=30)
    assert [line for line in system.console_text("a").splitlines() if line.startswith("tick")] == [
        f"tick {n}" for n in range(1, 11)
    ]
    a, b = system.hypervisor.vms["a"], system.hypervisor.vms["b"]
    irqs = [(event.vm, event.detail) for event in system.hypervisor.trace if event.kind == "irq"]
    assert irqs == [("a", "34")] * 10
    assert a.counters.injections == 10 and b.counters.injections == 0
    assert not b.vgic.owns(34)


def test_a_vm_that_touches_a_device_it_was_not_given_is_stopped(tmp_path: Path) -> None:
    """TIMER01 belongs to a: the timer image in b faults at the first timer access."""
    path = write_system(
        tmp_path,
        vm_toml("a", "timer", devices=("timer01",)),
        vm_toml("b", "timer", uart="uart1"),
    )
    system = run(path, until_ms=30)
    (fault,) = system.hypervisor.faults
    assert fault.vm == "b" and 0x1C110000 <= fault.address < 0x1C111000
    assert "tick 10" in system.console_text("a")


def test_hypercalls_return_documented_statuses_and_bad_ones_raise_nothing(
    tmp_path: Path,
) -> None:
    """Every call of the ABI, good and bad: statuses as documented; b gets exactly one vIRQ."""
    channels = (
        '[[notify]]\nfrom = "a"\nto = "b"\nvirq = 50\nid = 0\n'
        '[[notify]]\nfrom = "b"\nto = "a"\nvirq = 51\nid = 1\n'
    )
    path = write_system(
        tmp_path, vm_toml("a", "hvc-probe"), vm_toml("b", "hello", uart="uart1"), tail=channels
    )
    system = run(path)
    results = dict(
        line.split()[1:3] for line in system.console_text("a").splitlines() if line.count(" ") == 2
    )
    assert results == {
        "version": "10000",
        "vm_id": "0",
        "notify_own": "0",
        "notify_unconfigured": "-3",
        "notify_foreign": "-3",
        "notify_out_of_range": "-2",
        "unknown_function": "-1",
        "bad_immediate": "-1",
    }
    a, b = system.hypervisor.vms["a"], system.hypervisor.vms["b"]
    assert (a.counters.hypercalls, a.counters.hypercall_errors) == (8, 5)
    assert b.vgic.is_pending(50) and not a.vgic.is_pending(51)
    assert system.hypervisor.ipc.rejected == 3  # unconfigured, foreign, out of range


def test_an_identical_two_vm_run_gives_an_identical_trace(tmp_path: Path) -> None:
    """Same system twice: identical event trace, consoles and instruction counts."""
    path = write_system(
        tmp_path,
        vm_toml("a", "timer", devices=("timer01",)),
        vm_toml("b", "thumb", uart="uart1"),
    )
    runs = []
    for _ in range(2):
        system = run(path, until_ms=20)
        runs.append(
            (
                list(system.hypervisor.trace),
                system.report["consoles"],
                [vm.core.counter.executed for vm in system.hypervisor.vms.values()],
            )
        )
    assert runs[0] == runs[1]
    assert len(runs[0][0]) > 20


def test_the_virtual_timer_interrupt_is_level_sensitive(tmp_path: Path) -> None:
    """A handler that leaves CNTP_CVAL in the past is interrupted again at once, as on the board."""
    bare = boot_bare(guest_image("timer-level"))
    bare.machine.run(10_000_000)
    path = write_system(tmp_path, vm_toml("a", "timer-level"))
    system = run(path, until_ms=10)
    assert (
        system.console_text("a") == bare.output() == "timer-level: 5 interrupts\ntimer-level done\n"
    )


def test_two_vms_run_the_bare_metal_rtos_selftest_image_to_all_pass() -> None:
    """examples/two-rtos.toml: the selftest file of the bare-metal tests, in two VMs, all PASS."""
    config = Path(__file__).resolve().parents[1] / "examples" / "two-rtos.toml"
    system = run(config, until_ms=600)
    image = guest_image("rtos-selftest")
    for vm in system.hypervisor.vms.values():
        assert vm.config.images[0].path.read_bytes() == image.read_bytes()
    for name in ("rtos-a", "rtos-b"):
        output = system.console_text(name)
        assert "FAIL" not in output
        summary = re.search(r"selftest: (\d+) passed, 0 failed", output)
        assert summary is not None and int(summary.group(1)) > 50, output[-300:]
    assert system.hypervisor.faults == []


def test_a_vm_stuck_in_an_exception_loop_is_stopped_and_others_go_on(tmp_path: Path) -> None:
    """Vectors full of UDF: the VM can never progress; it is stopped, b prints as always."""
    stuck = tmp_path / "udf.bin"
    stuck.write_bytes(bytes.fromhex("f000f0e7") * 16)  # udf #0 everywhere, from address 0
    vm = (
        '[[vm]]\nname = "a"\n[[vm.image]]\n'
        f'path = "{stuck}"\nload_ipa = 0\n[[vm.memory]]\nipa = 0\nsize = "4K"\n'
    )
    path = write_system(tmp_path, vm, vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    (fault,) = system.hypervisor.faults
    assert fault.vm == "a" and fault.pc == 4
    assert fault.reason.startswith("lockup: undefined repeats without executing an instruction")
    assert system.console_text("b") == HELLO


def test_a_run_to_time_zero_ends_at_zero_before_the_first_world_switch() -> None:
    """The scheduler's first pick is due at 0, so it belongs to the first run that goes past 0."""
    system = boot(EXAMPLES / "two-rtos.toml")
    assert system.hypervisor.run(0).cycles == 0
    assert system.hypervisor.current is None
    assert system.hypervisor.run(1_000_000).cycles == system.hypervisor.machine.clock.from_ns(
        1_000_000
    )


@pytest.mark.parametrize(
    ("example", "source"), [("pingpong-vm", "passthrough"), ("two-rtos", "level")]
)
@pytest.mark.interpreted
def test_the_short_way_of_a_physical_irq_runs_as_the_general_way(
    monkeypatch: pytest.MonkeyPatch, example: str, source: str
) -> None:
    """pingpong-vm (its passthrough timers interrupt running VMs) and two-rtos (virtual timers,
    level sources, wake waiting VMs): the run with the short ways (physical IRQ into the
    running VM, one interrupt listed alone, the guest's IAR/EOIR) and the run with the general
    ones give the same trace, consoles, counters, virtual time, interrupt latencies and GICH
    state; the short way was taken, for that kind of interrupt too."""
    path = EXAMPLES / f"{example}.toml"
    taken: list[int | None] = []
    kinds: set[str] = set()
    place_alone = VgicListRegisters._place_alone

    def counted(
        self: VgicListRegisters, gich: GicHypInterface, irq: int, state: VirqState
    ) -> int | None:
        level = irq in self.states.levels  # (before: a placed interrupt is no longer pending)
        taken.append(place_alone(self, gich, irq, state))
        if taken[-1] is not None:
            kinds.add("level" if level else "passthrough" if state.hardware else "virtual")
        return taken[-1]

    def observe() -> object:
        system = run(path, until_ms=20)
        hv = system.hypervisor
        vms = hv.vms.values()
        return (
            list(hv.trace),
            system.report["consoles"],
            hv.now,
            [(vm.core.counter.executed, vm.counters, vm.latency) for vm in vms],
            hv.machine.gich.save(),
        )

    monkeypatch.setattr(VgicListRegisters, "_place_alone", counted)
    short = observe()
    assert any(n is not None for n in taken) and source in kinds
    monkeypatch.setattr(VgicListRegisters, "inject_arrived", lambda *_: None)
    monkeypatch.setattr(VgicListRegisters, "_place_alone", lambda *_: None)
    monkeypatch.setattr(GicCpuInterface, "acknowledge_and_drop", _acknowledge_then_drop)
    monkeypatch.setattr(GicVirtualCpuInterface, "_settled_without_pending", lambda _: False)
    assert observe() == short


@pytest.mark.interpreted
def test_a_physical_irq_delivered_in_one_turn_runs_as_with_a_turn_after_each_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pingpong-vm: the run loop taking a physical IRQ, its injection and the guest's IRQ entry
    in one turn, and the loop taking a new turn after each (``Machine._quiet`` never true),
    give the same trace, consoles, counters, virtual time, interrupt records and GICH state."""
    path = EXAMPLES / "pingpong-vm.toml"
    quiet = Machine._quiet
    answers: list[bool] = []

    def counted(self: Machine, limit: int, now: int | None = None) -> bool:
        answers.append(quiet(self, limit, now))
        return answers[-1]

    def observe() -> object:
        system = run(path, until_ms=20)
        hv = system.hypervisor
        return (
            list(hv.trace),
            system.report["consoles"],
            hv.now,
            [(vm.core.counter.executed, vm.counters, vm.latency) for vm in hv.vms.values()],
            list(hv.machine.interrupts),
            hv.machine.gich.save(),
        )

    monkeypatch.setattr(Machine, "_quiet", counted)
    short = observe()
    assert True in answers
    monkeypatch.setattr(Machine, "_quiet", lambda _self, _limit, _now=None: False)
    assert observe() == short


def _acknowledge_then_drop(gicc: GicCpuInterface) -> int:
    value = gicc.acknowledge()
    if value != 1023:
        gicc.end_of_interrupt(value)
    return value


def test_a_vms_bad_scheduling_parameter_is_placed_at_its_vm_with_no_chain_behind_it(
    tmp_path: Path,
) -> None:
    """``vm[i].sched.<name>`` in the message, and, as ``raise ... from None``, no cause or
    context shown behind it (compiled code ignores ``from``: it is set by hand)."""
    head = '[scheduler]\npolicy = "fixed-priority"\n'
    path = write_system(tmp_path, vm_toml("a", "hello", sched="prio = 2"), head=head)
    with pytest.raises(PolicyParameterError) as caught:
        Hypervisor(load_config(path)).boot()
    assert str(caught.value).startswith("vm[0].sched.prio: unknown parameter")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
