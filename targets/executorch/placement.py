"""Where the operators of a lowered ExecuTorch program run: inside a delegate, or on portable kernels.

A phone runs every operator the partitioner did not claim on ExecuTorch's portable CPU kernels:
correct, but single-threaded and unvectorised (50-80x slower than XNNPACK here, toolchain.md
section 3), and nothing warns at run time. So the compile counts both sides and refuses a
program whose network operators fell back, unless the user allows it.

Not gated: the export wrapper's own steps (in-graph uint8 normalisation, decoding: argmax, integer
peak arithmetic; XNNPACK has no kernels for them and they are cheap), ``getitem`` (picks a
delegate's outputs; not an operator) and operators that read only constants: the expand of the
cls/storage token parameters to the batch (9 tokens) and, in fp16 programs, the casts of scalar
constants such as RMSNorm's eps (ExecuTorch makes them fp32 tensors first); neither depends on the
image.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable
from typing import Any

from torch import fx

from sapiens2.errors import CompileError

DELEGATE_CALL = "executorch_call_delegate"
NETWORK_MODULE = "model"  # the ExportWrapper attribute that holds the task model


def op_name(target: Any) -> str:
    """``aten.mean.dim`` for an edge/aten overload, the function name otherwise."""
    return getattr(target, "__name__", str(target))


def _module_path(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else ""


def _is_network(node: fx.Node) -> bool:
    return NETWORK_MODULE in _module_path(node).split(".")


def _reads_only_constants(node: fx.Node, user_inputs: set[str]) -> bool:
    inputs = node.all_input_nodes
    return bool(inputs) and all(item.op == "placeholder" and item.name not in user_inputs for item in inputs)


def _calls(graph: fx.Graph) -> Iterable[fx.Node]:
    return (node for node in graph.nodes if node.op == "call_function")


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def placement_report(program: Any) -> dict[str, Any]:
    """Delegated vs portable operator counts and names of a lowered edge ``ExportedProgram``.

    ``delegate_sizes`` gives the operators of each delegate, largest first (a network lowered
    whole is one large delegate; in-graph decoding may add a one-op delegate beside it).
    ``portable_gated`` lists the portable operators of the network itself (what the gate checks),
    with the first module each one comes from in ``portable_where``.
    """
    module = program.graph_module
    delegated: Counter[str] = Counter()
    backends: Counter[str] = Counter()
    sizes: list[int] = []
    portable: Counter[str] = Counter()
    gated: Counter[str] = Counter()
    where: dict[str, str] = {}
    user_inputs = set(program.graph_signature.user_inputs)
    for node in _calls(program.graph):
        if node.target is operator.getitem:
            continue
        if op_name(node.target) == DELEGATE_CALL:
            lowered = getattr(module, node.args[0].target)
            backends[lowered.backend_id] += 1
            inner = [
                op_name(item.target)
                for item in _calls(lowered.original_module.graph)
                if item.target is not operator.getitem
            ]
            delegated.update(inner)
            sizes.append(len(inner))
            continue
        name = op_name(node.target)
        portable[name] += 1
        if _is_network(node) and not _reads_only_constants(node, user_inputs):
            gated[name] += 1
            where.setdefault(name, _module_path(node))
    return {
        "delegates": dict(backends),
        "delegate_sizes": sorted(sizes, reverse=True),
        "delegated_ops": sum(delegated.values()),
        "portable_ops": sum(portable.values()),
        "delegated": _sorted_counts(delegated),
        "portable": _sorted_counts(portable),
        "portable_gated": _sorted_counts(gated),
        "portable_where": where,
    }


def check_placement(placement: dict[str, Any], allow_portable: bool, partitioner: str) -> None:
    """Raise ``CompileError`` naming the network operators left on portable kernels (unless allowed)."""
    gated = placement["portable_gated"]
    if not gated or allow_portable:
        return
    listed = ", ".join(
        f"{name} x{count} (e.g. in {placement['portable_where'][name] or 'the wrapper'})"
        for name, count in gated.items()
    )
    raise CompileError(
        f"{sum(gated.values())} network operator(s) are not delegated to {partitioner} and would run on ExecuTorch's "
        f"portable CPU kernels, tens of times slower on a phone, silently: {listed}. Pass --allow-portable to accept "
        "the fallback (report.json then lists it under placement.portable_gated)"
    )
