"""GICv2 interrupt controller models: distributor, CPU interface, virtualisation extensions."""

from rthv.board.gic.cpu_interface import ActiveInterrupt, GicCpuInterface
from rthv.board.gic.distributor import GicDistributor, GicDistributorView, PendingInterrupt
from rthv.board.gic.hyp_interface import GicHypInterface, GicHypState
from rthv.board.gic.list_register import LrState, make_list_register
from rthv.board.gic.virtual_cpu_interface import GicVirtualCpuInterface

__all__ = [
    "ActiveInterrupt",
    "GicCpuInterface",
    "GicDistributor",
    "GicDistributorView",
    "GicHypInterface",
    "GicHypState",
    "GicVirtualCpuInterface",
    "LrState",
    "PendingInterrupt",
    "make_list_register",
]
