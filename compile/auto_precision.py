"""``--precision auto``: the fastest precision this CPU runs well that passes its gates, fp32 as the last resort.

The candidates come from the CPU's instruction sets and the target's capability table
(``Capabilities.auto_precisions``: fastest first, each with the CPU flags that make it fast); fp32
always ends the list and always passes, being exact. Each candidate is compiled in turn with its own
fidelity (and, when quantized, accuracy) gate; the first that passes becomes the bundle, and the
manifest's ``precision_choice`` records the request, the CPU flags, every candidate and why each
failed one failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sapiens2.cpu import cpu_flags
from sapiens2.errors import FidelityGateError
from sapiens2.targets.base import Capabilities
from sapiens2.targets.registry import get_target

from .options import AUTO_PRECISION, CompileOptions

if TYPE_CHECKING:
    from .pipeline import CompileResult

FALLBACK = "fp32"
CompileOne = Callable[[CompileOptions, Mapping[str, Any]], "CompileResult"]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    """A precision worth trying and why (the CPU flags that make it fast, or that it is the exact fallback)."""

    precision: str
    why: str


def precision_candidates(capabilities: Capabilities, flags: Sequence[str]) -> list[Candidate]:
    """The precisions ``auto`` tries, in order: each of the target's fast precisions whose ISA the CPU has, then fp32."""
    present = set(flags)
    candidates = []
    for precision, isa in capabilities.auto_precisions.items():
        found = [flag for flag in isa if flag in present]
        if precision in capabilities.precisions and found:
            candidates.append(Candidate(precision, f"the CPU has {', '.join(found)}"))
    return [*candidates, Candidate(FALLBACK, "exact, always the last resort")]


def skipped_precisions(capabilities: Capabilities, flags: Sequence[str]) -> dict[str, str]:
    """The target's fast precisions left out on this CPU, with the flags it lacks (said on the console)."""
    present = set(flags)
    return {
        precision: f"needs one of {', '.join(isa)}"
        for precision, isa in capabilities.auto_precisions.items()
        if not present.intersection(isa)
    }



def compile_auto(
    compile_one: CompileOne, options: CompileOptions, *, flags: Sequence[str] | None = None, say: Say | None = None
) -> CompileResult:
    """Compile ``options`` (precision ``auto``) at each candidate precision until one passes its gates.

    ``compile_one(options, precision_choice)`` compiles one concrete precision and raises
    ``FidelityGateError`` (or its ``AccuracyGateError``) when the artifact fails its gate;
    ``precision_choice`` is the record its manifest keeps should it pass.
    """
    say = say or (lambda message: None)
    flags = list(cpu_flags() if flags is None else flags)
    capabilities = get_target(options.target).capabilities
    candidates = precision_candidates(capabilities, flags)
    say(f"--precision auto for {options.target}: CPU flags {', '.join(flags) or 'none of note'}")
    for precision, lack in skipped_precisions(capabilities, flags).items():
        say(f"  {precision} left out: {lack}")
    say("  candidates: " + ", ".join(f"{candidate.precision} ({candidate.why})" for candidate in candidates))
    failed: list[dict[str, str]] = []

    def attempt(candidate: Candidate) -> CompileResult:
        say(f"  trying {candidate.precision}")
        choice = _choice_record(flags, candidates, candidate, failed)
        result = compile_one(replace(options, precision=candidate.precision), choice)
        say(f"  chose {candidate.precision}: {choice['reason']}")
        return result

    *fast, fallback = candidates
    for candidate in fast:
        try:
            return attempt(candidate)
        except FidelityGateError as error:
            failed.append({"precision": candidate.precision, "failure": error.failure})
            say(f"  {candidate.precision} failed its gate: {error.failure}")
    return attempt(fallback)  # exact: should even it fail its gate, that error is the answer


def _choice_record(flags: list[str], candidates: list[Candidate], chosen: Candidate, failed: list[dict[str, str]]) -> dict[str, Any]:
    reason = chosen.why
    if failed:
        reason += "; " + "; ".join(f"{item['precision']} failed its gate" for item in failed)
    return {
        "requested": AUTO_PRECISION,
        "chosen": chosen.precision,
        "reason": reason,
        "cpu_flags": flags,
        "candidates": [{"precision": item.precision, "why": item.why} for item in candidates],
        "failed": list(failed),
    }
