"""What a Core ML package declares as its inputs and outputs (its model description, read without running it).

An image input is a (1, H, W, 3) uint8 picture; a multi-array has its shape. The element type of a
multi-array output is not compared: Core ML hands outputs over in its own types (fp16 programs
answer in float16, labels in int32) and the runtime converts them to the manifest's dtypes.
"""

from __future__ import annotations

from pathlib import Path

from sapiens2.bundle import BundleError
from sapiens2.targets.declared_io import Port


def declared_ports(path: Path) -> tuple[list[Port], list[Port]]:
    from coremltools.models.utils import load_spec

    try:
        description = load_spec(str(path)).description
    except Exception as error:  # protobuf and coremltools raise several types for a damaged package
        raise BundleError(f"{path} is not a readable Core ML package ({error}); compile the bundle again") from None

    def port(feature: object) -> Port:
        kind = feature.type.WhichOneof("Type")
        if kind == "imageType":
            image = feature.type.imageType
            return Port((feature.name,), (1, int(image.height), int(image.width), 3), "uint8")
        return Port((feature.name,), tuple(int(size) for size in feature.type.multiArrayType.shape), None)

    return [port(f) for f in description.input], [port(f) for f in description.output]
