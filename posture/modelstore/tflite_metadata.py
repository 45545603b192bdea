"""Attach TFLite model metadata to a bare `.tflite` so MediaPipe's Tasks API accepts it.

The Tasks API reads the input image's colour space and normalisation (mean/std) from a
`ModelMetadata` flatbuffer (file identifier `M001`) stored in one of the model's buffers and
referenced by a model `metadata` entry named `TFLITE_METADATA`. The TFLite files inside old
mediapipe wheels lack it, and mediapipe 1.x's `metadata_writers` no longer imports, so we
write it with the flatbuffer object APIs that mediapipe ships as plain generated modules.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import flatbuffers

from posture.errors import ModelUnavailableError

METADATA_NAME = "TFLITE_METADATA"
_MODEL_IDENTIFIER = b"TFL3"
_METADATA_IDENTIFIER = b"M001"
# Our metadata uses only fields from the first metadata schema release.
_MIN_PARSER_VERSION = "1.0.0"
_GENERATED_DIR = ("tasks", "metadata")


@dataclass(frozen=True)
class ImageInputSpec:
    """How a model expects its single image input, and how many outputs it has.

    The model computes on `(pixel - mean) / std` per RGB channel.

    Attributes:
        name: human-readable model name stored in the metadata.
        mean: normalisation mean, in pixel units (0-255).
        std: normalisation standard deviation, in pixel units.
        num_outputs: number of output tensors; each gets an empty metadata entry.
    """

    name: str
    mean: float
    std: float
    num_outputs: int


# The person detector takes pixels scaled to [-1, 1]; it has boxes and scores as outputs.
DETECTOR_SPEC = ImageInputSpec(name="pose_detector", mean=127.5, std=127.5, num_outputs=2)
# The landmark model takes [0, 1]; outputs are landmarks, presence, mask, heatmap, world.
LANDMARKS_SPEC = ImageInputSpec(name="pose_landmarks_detector", mean=0.0, std=255.0, num_outputs=5)


def _generated_module(stem: str) -> ModuleType:
    """Load one of mediapipe's generated flatbuffer modules straight from its file.

    Importing it as `mediapipe.tasks.metadata.<stem>` would run mediapipe's package
    `__init__`, which in 1.x imports a native module that is missing; the generated files
    themselves only need `flatbuffers`.
    """
    spec = importlib.util.find_spec("mediapipe")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location).joinpath(*_GENERATED_DIR, f"{stem}.py")
        if path.is_file():
            return _load_file(f"posture_mp_{stem}", path)
    raise ModelUnavailableError(
        f"cannot find mediapipe's {stem}.py (looked in {locations or 'no mediapipe install'}); "
        "install mediapipe>=1.2 (`pip install 'mediapipe>=1.2,<2'`)"
    )


def _load_file(module_name: str, path: Path) -> ModuleType:
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelUnavailableError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[module_name] = module
    return module


@cache
def _schemas() -> tuple[ModuleType, ModuleType]:
    """Return (tflite model schema, metadata schema) generated modules, loaded once."""
    return _generated_module("schema_py_generated"), _generated_module(
        "metadata_schema_py_generated"
    )


def build_metadata(spec: ImageInputSpec) -> bytes:
    """Serialise the `ModelMetadata` flatbuffer describing an RGB image model.

    Args:
        spec: the input normalisation and output count.

    Returns:
        The flatbuffer bytes, with file identifier `M001`.
    """
    _, meta = _schemas()
    norm = meta.NormalizationOptionsT()
    norm.mean = [spec.mean]
    norm.std = [spec.std]
    unit = meta.ProcessUnitT()
    unit.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    image = meta.ImagePropertiesT()
    image.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.ImageProperties
    content.contentProperties = image
    image_input = meta.TensorMetadataT()
    image_input.name = "image"
    image_input.content = content
    image_input.processUnits = [unit]
    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image_input]
    subgraph.outputTensorMetadata = [meta.TensorMetadataT() for _ in range(spec.num_outputs)]
    model_meta = meta.ModelMetadataT()
    model_meta.name = spec.name
    model_meta.subgraphMetadata = [subgraph]
    model_meta.minParserVersion = _MIN_PARSER_VERSION
    builder = flatbuffers.Builder(1024)
    builder.Finish(model_meta.Pack(builder), _METADATA_IDENTIFIER)
    return bytes(builder.Output())


def add_metadata(model_bytes: bytes, spec: ImageInputSpec) -> bytes:
    """Return `model_bytes` re-packed with image metadata attached.

    An existing `TFLITE_METADATA` entry is replaced, so the result does not depend on
    whether the input already had one. Packing is deterministic: equal inputs give equal
    bytes.

    Args:
        model_bytes: a TFLite flatbuffer (identifier `TFL3`).
        spec: the input normalisation and output count.

    Returns:
        The TFLite flatbuffer with metadata.

    Raises:
        ModelUnavailableError: the input is not a TFLite model or its tensor counts differ
            from `spec`.
    """
    schema, _ = _schemas()
    if not schema.Model.ModelBufferHasIdentifier(model_bytes, 0):
        raise ModelUnavailableError(f"{spec.name}: not a TFLite model (no TFL3 identifier)")
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    _check_tensor_counts(model, spec)
    _set_metadata_buffer(schema, model, build_metadata(spec))
    # 4 MB start: the builder grows by doubling, so this only saves a few reallocations.
    builder = flatbuffers.Builder(4 * 1024 * 1024)
    builder.Finish(model.Pack(builder), _MODEL_IDENTIFIER)
    return bytes(builder.Output())


def _set_metadata_buffer(schema: ModuleType, model: object, metadata: bytes) -> None:
    """Store `metadata` in the model, reusing an existing TFLITE_METADATA buffer if any."""
    buffer = schema.BufferT()
    buffer.data = list(metadata)
    buffers = list(getattr(model, "buffers", None) or [])
    entries = list(getattr(model, "metadata", None) or [])
    existing = [m for m in entries if _as_text(m.name) == METADATA_NAME]
    if existing:
        # Overwrite in place so re-adding metadata is idempotent (no orphan buffer).
        buffers[existing[0].buffer] = buffer
    else:
        buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = METADATA_NAME
        entry.buffer = len(buffers) - 1
        entries.append(entry)
    model.buffers = buffers  # type: ignore[attr-defined]
    model.metadata = entries  # type: ignore[attr-defined]


def _check_tensor_counts(model: object, spec: ImageInputSpec) -> None:
    subgraphs = getattr(model, "subgraphs", None) or []
    if len(subgraphs) != 1:
        raise ModelUnavailableError(f"{spec.name}: expected 1 subgraph, found {len(subgraphs)}")
    inputs = list(subgraphs[0].inputs)
    outputs = list(subgraphs[0].outputs)
    if len(inputs) != 1 or len(outputs) != spec.num_outputs:
        raise ModelUnavailableError(
            f"{spec.name}: expected 1 input and {spec.num_outputs} outputs, "
            f"found {len(inputs)} and {len(outputs)}"
        )


def _as_text(value: str | bytes | None) -> str | None:
    # The object API unpacks strings as bytes; new entries we create hold str.
    return value.decode("utf-8") if isinstance(value, bytes) else value
