"""The system configuration: one TOML file, validated in full before anything runs.

Imports run one way: ``fields`` (value types, ``ConfigError``) -> ``vm_model`` (a VM's
sections) -> ``model`` (the system sections) -> ``checks`` (cross checks, images parsed once) ->
``placement`` ("auto" memory) -> ``load`` (``load_config``, ``parse_config``).
``docs/configuration.md`` is the reference for every field.
"""

from rthv.hv.config.fields import ConfigError
from rthv.hv.config.load import load_config, parse_config, validate_config
from rthv.hv.config.model import (
    NotifyChannel,
    Placements,
    SchedulerConfig,
    SharedMemory,
    SharedMemoryView,
    SystemConfig,
)
from rthv.hv.config.placement import place_memory
from rthv.hv.config.vm_model import (
    DeviceAssignment,
    ImageConfig,
    LinuxBoot,
    MemoryRegion,
    VmConfig,
)

__all__ = [
    "ConfigError",
    "DeviceAssignment",
    "ImageConfig",
    "LinuxBoot",
    "MemoryRegion",
    "NotifyChannel",
    "Placements",
    "SchedulerConfig",
    "SharedMemory",
    "SharedMemoryView",
    "SystemConfig",
    "VmConfig",
    "load_config",
    "parse_config",
    "place_memory",
    "validate_config",
]
