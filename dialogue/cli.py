"""The `haggler` command: one subcommand a job. Errors in the user's input end with one clear line."""
from __future__ import annotations

import argparse
import errno
import importlib.metadata
import json
import math
import os
import shlex
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

from dialogue.corpus import DEFAULT_DATA, LARGEST, CorpusError
from dialogue.decoding import Sampling
from dialogue.lm import DEFAULT_BASE_MODEL, MOST_THREADS
from parser.intent_model import BrokenModel
from strategy.principal import CENT, DEFAULT_TURN_LIMIT

if TYPE_CHECKING:
    from parser.intent_model import IntentModel


def whole_number(least: int, most: int | None = None, most_is: str = "") -> Callable[[str], int]:
    """An argparse type: an integer, at least `least` (and at most `most`, which `most_is` may name)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}{most_is}, not {value}")
        return value
    return parse


positive_int, non_negative_int = whole_number(1), whole_number(0)
training_seed = whole_number(0, 2 ** 32 - 1, " (2**32 - 1: numpy's and transformers' seeds)")
LONGEST_TALK = 1000
"""The most turns a dialogue may be given (--turn-limit): a policy that holds out until the deadline plays them all."""
turn_limit = whole_number(1, LONGEST_TALK)
up_to_cpus = whole_number(1, MOST_THREADS, " (four times the CPUs of this machine)")
"""Threads or processes: a few more than the CPUs only slow a run down; thousands never end (--threads 9999)."""


class Distinct(argparse.Action):
    """Values (nargs="+") that must differ: a file given twice would count its examples twice, or in `train parser
    --cv` leave one file out where the command line shows two."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        seen = set()
        for value in values:
            key = Path(value).resolve() if Path(value).exists() else value
            if key in seen:
                parser.error(f"argument {option_string}: {value} is given twice")
            seen.add(key)
        setattr(namespace, self.dest, values)


def path_text(text: str) -> str:
    """A path argument, as text (--adapter's may be a word: default, none): an empty one is a slip ('--out ""' would
    write in the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return text


def path(text: str) -> Path:
    return Path(path_text(text))


def file_path(text: str) -> Path:
    """A path argument naming a file: one that ends in a slash names a folder."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text}: a folder (it ends in /); give a file name")
    return path(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


MOST_GUIDANCE = 10.0
"""The strongest guidance --guidance takes: past it, the shipped adapter's words fall apart ("$120,ecks look")."""


def guidance(text: str) -> float:
    value = positive_float(text)
    if value > MOST_GUIDANCE:
        raise argparse.ArgumentTypeError(f"must be at most {MOST_GUIDANCE:g} (past it the words fall apart), "
                                         f"not {text!r}")
    return value


def price(text: str) -> float:
    value = positive_float(text)
    if not CENT <= value <= LARGEST:
        raise argparse.ArgumentTypeError(f"must be a price from {CENT} to {LARGEST:.0e}, not {text!r}")
    return value


def check_output(path: Path, option: str, directory: bool = False, checkpoint: Sequence[str] = (),
                 any_of: bool = False) -> None:
    """Exits with one line unless the output file (or directory) can be made; makes nothing itself. A directory must be
    new, hold no files, or hold only an earlier run's (`checkpoint`), which a run may write over (`--out .` would
    write over the project's README.md; hidden files, such as .DS_Store, and folders do not count, but a folder by the
    name of a file the run writes is in its way). The first of them is the run's own (config.json): a README.md with
    no checkpoint beside it is the user's; `any_of`: any of them is."""
    if directory and path.exists() and not path.is_dir():
        sys.exit(f"haggler: {option} {path}: a file is there, not a directory")
    if directory and (folders := [name for name in checkpoint if (path / name).is_dir()]):
        sys.exit(f"haggler: {option} {path}: {path / folders[0]} is a folder, where the run writes a file")
    held = sorted(p.name for p in path.iterdir() if not p.name.startswith(".") and not p.is_dir()) \
        if directory and path.is_dir() else []  # a run writes over no folder
    others = [name for name in held if name not in checkpoint]
    if held and checkpoint and not any_of and checkpoint[0] not in held:
        others = held  # a README.md of the user's own, with no checkpoint beside it
    if others:
        sys.exit(f"haggler: {option} {path} holds other files ({', '.join(others[:3])}{', ...' * (len(others) > 3)}); "
                 "name a new directory" + (f", or one holding only an earlier run's ({', '.join(checkpoint)})"
                                           if checkpoint else ""))
    if not directory and path.is_dir():
        sys.exit(f"haggler: {option} {path}: is a directory; give a file name")
    folder = path if directory else path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        sys.exit(f"haggler: {option} {path}: {existing} is a file, not a directory")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as e:
        sys.exit(f"haggler: {option} {path}: cannot write files in {existing} ({e.strerror or e})")


def check_apart(out: Path, inputs: Sequence[Path], option: str = "--out") -> None:
    """Exits with one line where the output is one of the run's own input files (it would be written over)."""
    for source in inputs:
        if out.exists() and source.exists() and out.samefile(source):
            sys.exit(f"haggler: {option} {out} is the input {source}; name another file")


def intent_model(path: Path | None, option: str = "--model") -> IntentModel | None:
    """The parser's intent model in a file `haggler train parser` wrote (None: None), or exit with one line."""
    from parser.intent_model import NOT_A_MODEL, IntentModel

    if path is None:
        return None
    if not path.is_file():
        sys.exit(f"haggler: {option} {path}: " + ("a directory; name a model's file" if path.is_dir() else "no such file"))
    try:
        return IntentModel.load(path)
    except NOT_A_MODEL as e:
        sys.exit(f"haggler: {option} {path}: not a parser model, as `haggler train parser` writes one "
                 f"({type(e).__name__}: {e})")


def cmd_parse(args: argparse.Namespace) -> None:
    from dialogue.annotate import annotate_dialogue
    from dialogue.corpus import dialogues_json, dump_dialogues, load_dialogues

    if args.out == Path("-"):
        args.out = None
    if not args.out and sys.stdout is None:  # closed (`>&-`)
        sys.exit("haggler: standard output is closed; name a file with --out")
    if args.out:
        check_output(args.out, "--out")
        check_apart(args.out, [args.input, *([args.model] if args.model else [])])
        if args.out.is_file():
            sys.exit(f"haggler: --out {args.out}: the file exists; parse writes over no file (it may hold labels of "
                     "your own): name a new one")
    model = intent_model(args.model)
    dialogues = load_dialogues(args.input)
    for d in dialogues:
        annotate_dialogue(d, model)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        dump_dialogues(dialogues, args.out)
        n = sum(e.is_message for d in dialogues for e in d.events)
        print(f"parsed {n} message{'s' * (n != 1)} in {len(dialogues)} dialogue{'s' * (len(dialogues) != 1)} -> "
              f"{args.out}", file=sys.stderr)
    else:
        sys.stdout.write(dialogues_json(dialogues))


def cmd_eval_parser(args: argparse.Namespace) -> None:
    from dialogue.parser_eval import evaluate_parser, format_report

    if args.against_map and not args.against:
        sys.exit("haggler: --against-map goes with --against (the label names of that file)")
    if args.model and args.against:
        sys.exit("haggler: --model is the parser's; --against scores another file's labels instead of the parser")
    report = evaluate_parser(args.labelled, label_map=args.map, against=args.against,
                             against_map=args.against_map or "luis", model=intent_model(args.model))
    if args.against and not args.json:
        print(f"the labels of {args.against}, scored against those of {args.labelled} (not the parser)")
    print(json.dumps(report, indent=1) if args.json else format_report(report))


def cmd_tournament(args: argparse.Namespace) -> None:
    from dialogue.agents import AgentError
    from dialogue.text_tournament import DEFAULT_BATCH, TextTournamentConfig, run_text_tournament
    from dialogue.tournament import RUN_FILES, TournamentConfig, TournamentError, run_tournament
    from dialogue.workers import WorkerDied

    text_only = [option for option, value in (("--generator", args.generator), ("--batch", args.batch)) if value]
    if args.mode != "text" and text_only:
        verb = "go" if len(text_only) > 1 else "goes"
        sys.exit(f"haggler: {' and '.join(text_only)} {verb} with --mode text (act mode plays acts, no words)")
    check_output(args.out, "--out", directory=True, checkpoint=RUN_FILES, any_of=True)
    config = TournamentConfig(args.agents, args.scenarios, args.n, args.out, args.repeats, args.workers,
                              args.seed, args.resume, args.turn_limit)
    if args.mode == "text":
        config = TextTournamentConfig(**vars(config), generator=args.generator or "lm",
                                      batch=args.batch or DEFAULT_BATCH)
    previous = {s: signal.signal(s, stop_run) for s in (signal.SIGTERM, signal.SIGHUP)}  # workers inherit it
    try:
        results, table = run_text_tournament(config) if args.mode == "text" else run_tournament(config)
    except (AgentError, TournamentError, WorkerDied) as e:
        sys.exit(f"haggler: {e}")
    except KeyboardInterrupt as e:
        signum = e.signum if isinstance(e, Stopped) else signal.SIGINT
        print(f"\nhaggler: interrupted{f' ({signal.Signals(signum).name})' * (signum != signal.SIGINT)}; the "
              f"dialogues played so far are kept in {args.out}/dialogues.jsonl: the same command with --resume goes "
              "on from there", file=sys.stderr)
        sys.exit(128 + signum)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print(table)
    n = results["n_dialogues"]
    print(f"{n} dialogue{'s' if n != 1 else ''} -> {args.out}/dialogues.jsonl, results.json, utility.png",
          file=sys.stderr)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a tournament: it stops as Ctrl-C stops it (its workers too, and the lines written
    are kept for --resume)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_run(signum: int, frame: object) -> None:
    for s in (signal.SIGTERM, signal.SIGHUP):  # the first stops the run: one more must not break off its ending
        signal.signal(s, let_go)  # not SIG_IGN: a signal already pending would then be an "ignored due to race" error
    raise Stopped(signum)


def let_go(signum: int, frame: object) -> None:
    """A signal after the one that stops a run."""


def cmd_agents(args: argparse.Namespace) -> None:
    from dialogue.agents import agents_table

    print(agents_table())


def cmd_chat(args: argparse.Namespace) -> None:
    from dialogue.agents import AgentError
    from dialogue.chat import ChatConfig, ChatError, run_chat, transcript_path

    if args.against is not None and not (args.demo or args.delegate):
        sys.exit("haggler: --against goes with --demo or --delegate (the other agent; in a chat, that is you)")
    if sys.stdin is None and not (args.demo or args.delegate and args.auto_approve):
        sys.exit("haggler: standard input is closed; a chat reads what you type from it (--demo needs none)")
    config = ChatConfig(args.agent, args.role, args.scenario, args.seed, args.turn_limit, args.transcript, args.demo,
                        args.delegate, args.against or "rule", args.target, args.walk_away, args.auto_approve,
                        args.generator)
    try:
        config.transcript = transcript_path(config)
        check_output(config.transcript, "--transcript" if args.transcript else "the transcript")
        extra = run_chat(config).extra
    except (AgentError, ChatError) as e:
        sys.exit(f"haggler: {e}")
    if extra["ended"] == "stopped":  # interrupted (Ctrl-C, SIGTERM, SIGHUP, a closed output): the transcript is saved
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C would break into the interpreter's exit
        if extra.get("stopped_by") == "SIGPIPE":
            exit_as_killed_by_sigpipe()
        sys.exit(128 + signal.Signals[extra.get("stopped_by", "SIGINT")])  # as the shell tells a death by it


def add_chat_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agents", help="list the agents (policy + generator) there are",
                       description="Lists every agent name (the policies, learned ones included, and the "
                                   "adversarial partners) and the generators, with whether the LM can run here.")
    p.set_defaults(func=cmd_agents)

    p = sub.add_parser("chat", help="bargain with an agent in the terminal (or --demo, --delegate)",
                       description="Bargain in plain English with an agent; /help lists the commands. --demo plays "
                                   "two agents against each other and prints the dialogue; --delegate lets an agent "
                                   "bargain for you and asks before it commits to a deal. The transcript is saved "
                                   "as the dialogue goes.")
    p.add_argument("--agent", metavar="SPEC",
                   help="POLICY[+lm|+lm:DIR|+template] (default planner, or rule where no planner is registered)")
    p.add_argument("--role", choices=["buyer", "seller"],
                   help="your role (default buyer; with --target and --walk-away, the role they fit: a target above "
                        "the walk-away price is a seller's)")
    p.add_argument("--scenario", metavar="SPEC",
                   help="builtin:N or FILE:INDEX (FILE alone: its first scenario; default builtin:0; with --target "
                        "and --walk-away, the shipped listing whose price is nearest the walk-away price)")
    p.add_argument("--seed", type=int, default=0, help="seeds the agents' choices and words (default 0)")
    p.add_argument("--turn-limit", type=turn_limit, default=DEFAULT_TURN_LIMIT, metavar="T",
                   help="turns (messages and formal moves, both sides) before the talk ends with no deal (default "
                        "%(default)s)")
    p.add_argument("--transcript", type=file_path, metavar="FILE.json",
                   help="where to save, a new file (default runs/chats/chat-TIME-PID.json)")
    p.add_argument("--generator", choices=["lm", "template"], default="lm",
                   help="the generator of agents named without one (default lm: the fine-tuned model)")
    p.add_argument("--demo", action="store_true", help="no person: --against plays your side, and it is printed")
    p.add_argument("--delegate", action="store_true", help="your agent (--agent) bargains for you against --against")
    p.add_argument("--against", metavar="SPEC", help="the other agent in --demo/--delegate (default rule)")
    p.add_argument("--target", type=price, metavar="PRICE", help="your target price (with --walk-away)")
    p.add_argument("--walk-away", type=price, metavar="PRICE", help="your walk-away price (with --target)")
    p.add_argument("--auto-approve", action="store_true", help="--delegate: approve every deal without asking")
    p.set_defaults(func=cmd_chat)


BASE_MODEL_HELP = "smollm2 (the bundled GGUF, default), a .gguf file, a local model directory or a HF model id"


def add_training_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=up_to_cpus, default=1, metavar="T", help="CPU threads for torch (default 1)")
    p.add_argument("--seed", type=training_seed, default=0,
                   help="seeds all that is random in the training (default 0; 0 to 2**32 - 1)")


def run_training(train: Callable[[Any], dict], config: Any, error: type[Exception], saved: str) -> None:
    """Runs a training, printing its summary (its per-step history left out) or its error in one line; a process
    other than the main one of a multi-process launch prints nothing (its summary is empty)."""
    try:
        summary = train(config)
    except error as e:
        sys.exit(f"haggler: {e}")
    if not summary:
        return
    print(json.dumps({k: v for k, v in summary.items() if not k.endswith("history")}, indent=1))
    print(saved, file=sys.stderr)


def cmd_train_generator(args: argparse.Namespace) -> None:
    from dialogue.lm import ModelError, adapter_path
    from dialogue.train_generator import TrainConfig, train_generator

    if (args.out / "adapter_config.json").exists():
        sys.exit(f"haggler: --out {args.out} holds an adapter already; name a new directory")
    check_output(args.out, "--out", directory=True)
    if args.init_adapter and args.lora_r:
        sys.exit("haggler: --lora-r sets a new adapter's rank; --init-adapter goes on with that adapter's own")
    config = TrainConfig(args.out, args.base_model, args.data, args.epochs, args.max_steps or -1, args.max_examples,
                         args.eval_examples, args.eval_steps, args.batch_size, learning_rate=args.lr,
                         lora_r=args.lora_r or TrainConfig.lora_r, bf16=args.bf16, threads=args.threads, seed=args.seed,
                         init_adapter=adapter_path(args.init_adapter), leave_out_unsayable=args.leave_out_unsayable,
                         command=args.invocation)
    run_training(train_generator, config, ModelError, f"adapter and model card -> {args.out}")


def cmd_train_parser(args: argparse.Namespace) -> None:
    from dialogue.train_parser import cross_validate, train_parser
    from parser.intent_model import MODEL_PATH, NOT_A_MODEL, IntentModel

    out = args.out or MODEL_PATH
    check_output(out, "--out")
    check_apart(out, args.data)
    if out.is_file() and out.resolve() != MODEL_PATH:  # the shipped one is rebuilt whatever its file holds
        try:
            IntentModel.load(out)
        except NOT_A_MODEL:
            sys.exit(f"haggler: --out {out} holds a file that is not a parser model; name a new file, or a model "
                     "to replace")
    rows = None
    if args.cv:
        rows = cross_validate(args.data)
        print(f"{'held out':28s} {'messages':>8s} {'rules':>6s} {'rules+model':>11s}")
        for row in rows:
            print(f"{row['file']:28s} {row['messages']:8d} {row['rules']:6.3f} {row['rules+model']:11.3f}")
        n = sum(row["messages"] for row in rows)
        mean = {k: sum(row[k] * row["messages"] for row in rows) / n for k in ("rules", "rules+model")}
        print(f"{'all (weighted by messages)':28s} {n:8d} {mean['rules']:6.3f} {mean['rules+model']:11.3f}")
    card = train_parser(args.data, out, command=args.invocation, cv=rows)
    print(f"{card['examples']} examples, {card['features']} features, training accuracy {card['train_accuracy']:.3f}"
          f" -> {out}", file=sys.stderr)


def check_policy_dir(out: Path) -> None:
    """Exits with one line where --out holds a config.json that no policy checkpoint wrote (one of the user's own),
    or checkpoints in folders of its own (data/policies: a checkpoint written there would lie beside them)."""
    held = sorted(p.parent.name for p in out.glob("*/config.json") if (p.parent / "weights.pt").is_file())
    if held:
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        sys.exit(f"haggler: --out {out} holds policy checkpoints ({shown}); name a checkpoint's own directory, such as "
                 f"{out / 'mine'}")
    config = out / "config.json"
    if config.is_file():
        try:
            ours = isinstance(json.loads(config.read_text(encoding="utf-8")).get("model"), dict)
        except (OSError, ValueError, AttributeError, RecursionError):
            ours = False
        if not ours:
            sys.exit(f"haggler: --out {out} holds a config.json that is not a policy checkpoint's; name a new "
                     "directory")


def cmd_train_policy(args: argparse.Namespace) -> None:
    from dialogue.policy_data import TrainError
    from dialogue.train_policy import PolicyTrainConfig, train_policy
    from strategy.learned.model import CHECKPOINT_FILES

    check_output(args.out, "--out", directory=True, checkpoint=CHECKPOINT_FILES)
    check_policy_dir(args.out)
    config = PolicyTrainConfig(args.out, args.data, args.epochs, args.batch_size, args.lr, hidden=args.hidden,
                               eval_data=args.eval, seed=args.seed, threads=args.threads,
                               command=args.invocation)
    run_training(train_policy, config, TrainError, f"checkpoint and card -> {args.out}")


def cmd_train_rl(args: argparse.Namespace) -> None:
    from dialogue.policy_data import TrainError
    from dialogue.train_rl import RLConfig, train_rl
    from strategy.learned.model import CHECKPOINT_FILES

    check_output(args.out, "--out", directory=True, checkpoint=CHECKPOINT_FILES)
    check_policy_dir(args.out)
    if args.out.resolve() == args.init.resolve():
        sys.exit(f"haggler: --out {args.out} is --init: the checkpoint to start from would be written over; name "
                 "another directory")
    config = RLConfig(args.init, args.out, args.reward, args.opponent, args.episodes, args.batch_size, args.lr,
                      data=args.data, seed=args.seed, threads=args.threads, command=args.invocation)
    run_training(train_rl, config, TrainError, f"checkpoint and card -> {args.out}")


def cmd_say(args: argparse.Namespace) -> None:
    from dialogue.generator import GeneratorError, make_generator, say_request
    from parser.acts import Intent

    if args.generator == "template" and args.given & {"adapter", "base_model", "guidance", "guidance_from"}:
        sys.exit("haggler: --adapter, --base-model, --guidance and --guidance-from go with --generator lm (templates "
                 "use no model)")
    try:
        request = say_request(args.act, args.role, args.scenario, args.after)  # bad input fails before the model loads
        generator = make_generator(args.generator, base_model=args.base_model, adapter=args.adapter, seed=args.seed,
                                   sampling=sampling_of(args))
        rendering = generator.render([request])[0]
    except GeneratorError as e:
        sys.exit(f"haggler: {e}")
    print(rendering.text)
    if args.verbose:
        print(json.dumps(rendering.record, indent=1), file=sys.stderr)
        for n, text in enumerate(rendering.refused, 1):
            print(f"haggler: try {n} did not say {request.act}: {text!r}" if text else
                  f"haggler: try {n} said nothing whole (cut off mid-sentence)", file=sys.stderr)
    elif args.generator == "lm" and rendering.backend == "template":
        print(f"haggler: note: the model's {rendering.tries} tries did not say {request.act}; a template said it "
              "(--verbose shows the decision record)", file=sys.stderr)
    if not rendering.faithful:
        answer = " (it answers a proposal: give one with --after)" if not args.after and request.act.intent in (
            Intent.AGREE, Intent.DISAGREE) else ""
        print(f"haggler: warning: nothing said {request.act}{answer}; this text reads as {rendering.parsed}",
              file=sys.stderr)


def sampling_of(args: argparse.Namespace) -> Sampling:
    """The generator's sampling, as --seed, --guidance and --guidance-from set it."""
    return Sampling(seed=args.seed, guidance=args.guidance, guidance_from=args.guidance_from)


def cmd_eval_generator(args: argparse.Namespace) -> None:
    from dialogue.generator import GeneratorError
    from dialogue.generator_eval import evaluate_generator, format_report

    try:
        report = evaluate_generator(args.data, limit=args.limit, base_model=args.base_model, adapter=args.adapter,
                                    seed=args.seed, batch_size=args.batch_size, sampling=sampling_of(args))
    except GeneratorError as e:
        sys.exit(f"haggler: {e}")
    print(json.dumps(report, indent=1) if args.json else format_report(report))


def add_train_commands(sub: argparse._SubParsersAction) -> None:
    """`haggler train MODEL`: one sub-subcommand per trainable model (generator, parser, policy, rl)."""
    train = sub.add_parser("train", help="train a model (generator, parser, policy, rl)",
                           description="Trains one of haggler's models.")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL")

    p = models.add_parser("generator", help="LoRA fine-tuning of the language model that renders acts",
                          description="Fine-tunes the base model on (context, act) -> utterance examples with LoRA "
                                      "and writes the adapter and its model card to OUT. On several processes: "
                                      "torchrun --nproc_per_node N -m dialogue.cli train generator ... (or "
                                      "accelerate launch --multi_gpu -m dialogue.cli train generator ...).")
    p.add_argument("--base-model", type=path_text, default=DEFAULT_BASE_MODEL, metavar="M", help=BASE_MODEL_HELP)
    p.add_argument("--data", nargs="+", action=Distinct, default=[DEFAULT_DATA], metavar="SRC",
                   help="craigslist (dev.json + luis-acts.json, default), dialogue files (.json/.jsonl: "
                        "haggler transcripts too) or Hugging Face datasets (id or saved directory: prompt/target "
                        "rows, dialogue rows, or craigslist_bargains rows)")
    p.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="a new directory, or an empty one (never one holding an adapter: go on from an adapter with "
                        "--init-adapter)")
    p.add_argument("--epochs", type=positive_float, default=1.0, help="passes over the data (default 1)")
    p.add_argument("--max-steps", type=positive_int, metavar="N", help="stop after N steps (overrides --epochs)")
    p.add_argument("--max-examples", type=positive_int, metavar="N",
                   help="train on a random N of the examples (the held-out ones stay as --eval-examples says)")
    p.add_argument("--eval-examples", type=non_negative_int, default=200, metavar="N",
                   help="examples held out for the eval loss and the held-out perplexities (default 200, at most a "
                        "tenth of the data's, drawn before --max-examples; 0: none, for a quick try)")
    p.add_argument("--eval-steps", type=positive_int, default=100, metavar="N",
                   help="steps between evaluations (default 100)")
    p.add_argument("--batch-size", type=positive_int, default=8, help="examples a step, each process (default 8)")
    p.add_argument("--lr", type=positive_float, default=5e-4, help="peak learning rate, cosine schedule (default 5e-4)")
    p.add_argument("--lora-r", type=positive_int, metavar="R",
                   help="a new adapter's LoRA rank (default 8; not with --init-adapter)")
    p.add_argument("--init-adapter", metavar="DIR",
                   help="go on training this adapter (a directory, or default: the shipped one)")
    p.add_argument("--leave-out-unsayable", action="store_true",
                   help="train without the messages the generator may never say: a price besides their act's, a "
                        "concession on side terms, the other side's words (measured: no more faithful, less fluent)")
    p.add_argument("--bf16", action="store_true",
                   help="bf16 autocast (fast on CPUs with AVX512-BF16 or AMX and on recent GPUs)")
    add_training_run_options(p)
    p.set_defaults(func=cmd_train_generator)

    p = models.add_parser("parser", help="the parser's intent model, from hand-labelled dialogues",
                          description="Trains the intent model the parser uses for messages that name no price "
                                      "(parser/intent_model.json) on dialogues whose messages carry hand labels "
                                      "in metadata; --cv first scores it leaving one file out at a time.")
    p.add_argument("--data", type=path, nargs="+", action=Distinct, required=True, metavar="LABELLED.json",
                   help="dialogue files whose messages carry an intent (and price) label in their metadata")
    p.add_argument("--out", type=file_path, metavar="OUT.json",
                   help="a new file, or a parser model to replace (default: the model the parser uses, "
                        "parser/intent_model.json)")
    p.add_argument("--cv", action="store_true", help="leave-one-file-out cross-validation before training")
    p.set_defaults(func=cmd_train_parser)

    p = models.add_parser("policy", help="the sl act policy, by supervised learning on dialogue acts",
                          description="Trains the act policy (next intent and price from the dialogue so far and "
                                      "the principal) on the parsed acts of dialogues; writes the checkpoint "
                                      "(config.json, weights.pt) and its card (README.md) to OUT.")
    p.add_argument("--data", nargs="+", action=Distinct, default=[DEFAULT_DATA], metavar="SRC",
                   help="craigslist (dev.json + luis-acts.json, default) or dialogue files (.json, .jsonl: "
                        "haggler transcripts too)")
    p.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="a new directory, or an earlier checkpoint's, written over")
    p.add_argument("--eval", type=path_text, metavar="FILE.json",
                   help="also report next-intent accuracy on this file (held out)")
    p.add_argument("--epochs", type=positive_int, default=30, help="passes over the data (default 30)")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="decisions (one side's act in a dialogue) a step (default 64)")
    p.add_argument("--lr", type=positive_float, default=2e-3, help="learning rate (default 2e-3)")
    p.add_argument("--hidden", type=positive_int, default=64, help="hidden units a layer (default 64)")
    add_training_run_options(p)
    p.set_defaults(func=cmd_train_policy)

    p = models.add_parser("rl", help="fine-tune an act policy by self-play RL",
                          description="Fine-tunes the act policy in --init by REINFORCE with a baseline against a "
                                      "frozen partner (sl: the --init model; rule: the rule-based agent) on the "
                                      "training dialogues' scenarios; writes the checkpoint and its card to OUT.")
    p.add_argument("--init", type=path, required=True, metavar="DIR", help="the checkpoint to start from")
    p.add_argument("--reward", default="utility", metavar="R", help="utility (default), fairness or length")
    p.add_argument("--opponent", default="sl", metavar="O", help="sl (default) or rule")
    p.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="a new directory, or an earlier checkpoint's, written over")
    p.add_argument("--data", nargs="+", action=Distinct, default=[DEFAULT_DATA], metavar="SRC",
                   help="where the scenarios come from: craigslist (default) or dialogue files (.json/.jsonl)")
    p.add_argument("--episodes", type=positive_int, default=20_000, help="self-play games in all (default 20000)")
    p.add_argument("--batch-size", type=positive_int, default=200, metavar="N", help="games per update (default 200)")
    p.add_argument("--lr", type=positive_float, default=5e-4, help="learning rate (default 5e-4)")
    add_training_run_options(p)
    p.set_defaults(func=cmd_train_rl)


class Given(argparse.Action):
    """Stores the value, and notes in `given` that the option was typed (its value may be the default)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = getattr(namespace, "given", set()) | {self.dest}


def add_generator_commands(sub: argparse._SubParsersAction) -> None:
    def model_options(p: argparse.ArgumentParser) -> None:
        p.set_defaults(given=set())
        p.add_argument("--base-model", action=Given, type=path_text, default=DEFAULT_BASE_MODEL, metavar="M",
                       help=BASE_MODEL_HELP)
        p.add_argument("--adapter", action=Given, type=path_text, default="default", metavar="DIR",
                       help="a LoRA adapter directory; default: the shipped data/generator_lora; none: the base model")
        p.add_argument("--seed", type=int, default=0, help="seeds the sampling (default 0)")
        p.add_argument("--guidance", action=Given, type=guidance, default=Sampling.guidance, metavar="G",
                       help=f"classifier-free guidance towards the act (default %(default)s; 1: none; at most {MOST_GUIDANCE:g})")
        p.add_argument("--guidance-from", action=Given, type=non_negative_int, default=Sampling.guidance_from,
                       metavar="N",
                       help="a try's first N tokens are drawn without guidance (default %(default)s; 1 with --guidance "
                            "3.5 says fewer bare prices and more words, but slips more: see the adapter's card)")

    p = sub.add_parser("say", help="render one act as text", description="Prints one rendering of an act.")
    p.add_argument("--act", required=True, metavar="ACT", help="e.g. 'counter 120', 'agree', 'inquire'")
    p.add_argument("--role", choices=["buyer", "seller"], required=True, help="who says it")
    p.add_argument("--scenario", default="builtin:0", metavar="SPEC",
                   help="builtin:N or FILE:INDEX (FILE alone: its first scenario; default builtin:0)")
    p.add_argument("--after", action="append", default=[], metavar="TEXT",
                   help="a message the act answers (the other side's); repeat for earlier turns, oldest first, "
                        "the sides alternating. Without it, the act opens the dialogue")
    p.add_argument("--generator", choices=["lm", "template"], default="lm", help="lm (default) or template")
    p.add_argument("--verbose", action="store_true", help="print the decision record to standard error")
    model_options(p)
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("eval-generator", help="perplexity, faithfulness, diversity and latency of the generator",
                       description="Scores the generator on the messages of a dialogue file: perplexity of the "
                                   "human utterances under the base and fine-tuned models, faithfulness of "
                                   "renderings of the parsed acts (first try and final), distinct-2, latency.")
    p.add_argument("--data", type=path, required=True, metavar="FILE.json",
                   help="a dialogue file (.json or .jsonl) whose messages are scored, e.g. test.json")
    p.add_argument("--limit", type=positive_int, default=500, metavar="N", help="messages to score (default 500)")
    p.add_argument("--batch-size", type=positive_int, default=1, metavar="B",
                   help="acts per render call (default 1: latency_ms_mean is then the latency of one act)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    model_options(p)
    p.set_defaults(func=cmd_eval_generator)


def installed_version() -> str:
    try:
        return importlib.metadata.version("haggler")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="haggler", description="Negotiation in natural language.")
    ap.add_argument("--version", action="version", version=f"haggler {installed_version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="label every message of a dialogue file with its act",
                       description="Reads CraigslistBargain dialogues and writes them with metadata "
                                   "{intent, price} on every message event.")
    p.add_argument("input", type=path, metavar="IN.json", help="a list of dialogues (JSON, or JSON Lines)")
    p.add_argument("--out", type=file_path, metavar="OUT.json", help="where to write (default, or -: standard output)")
    p.add_argument("--model", type=path, metavar="MODEL.json",
                   help="the intent model to read with, as `haggler train parser --out` wrote it (default: the "
                        "shipped parser/intent_model.json)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("eval-parser", help="compare the parser with labels in metadata",
                       description="Intent accuracy, per-intent precision/recall and price exact-match of "
                                   "haggler's parser against the labels in each message's metadata.")
    p.add_argument("labelled", type=path, metavar="LABELLED.json",
                   help="a dialogue file whose messages carry an intent (and price) label in their metadata")
    p.add_argument("--map", choices=["acts", "luis"], default="acts",
                   help="label names in the file: haggler's acts (default) or LUIS names, mapped as ACTS.md says")
    p.add_argument("--against", type=path, metavar="OTHER.json",
                   help="score the labels of another file (matched by dialogue uuid) instead of the parser, "
                        "e.g. the LUIS labels of luis-acts.json")
    p.add_argument("--against-map", choices=["acts", "luis"], help="label names in OTHER.json (default luis)")
    p.add_argument("--model", type=path, metavar="MODEL.json",
                   help="score the parser with this intent model, as `haggler train parser --out` wrote it "
                        "(default: the shipped parser/intent_model.json)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval_parser)

    p = sub.add_parser("tournament", help="round robin of agents, at the act level or in words (--mode text)",
                       description="Every pair of agents on the same scenarios, in both roles, each agent against "
                                   "itself too; writes DIR/dialogues.jsonl, DIR/results.json and DIR/utility.png "
                                   "(DIR: --out) and prints a leaderboard (means with 95% intervals).")
    p.add_argument("--agents", nargs="+", required=True, metavar="NAME",
                   help="policy names, e.g. rule boulware tft (text mode: agent specs, see `haggler agents`)")
    p.add_argument("--scenarios", default="builtin", metavar="SRC",
                   help="builtin (default), a CraigslistBargain dialogue file, a listings file, or "
                        "train-scenarios.csv")
    p.add_argument("--n", type=positive_int, default=40, metavar="N",
                   help="scenarios to play, the first N of SRC (default 40)")
    p.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="a new directory (or, with --resume, the run to go on with)")
    p.add_argument("--repeats", type=positive_int, default=1, metavar="R",
                   help="games per pair, role and scenario (default 1)")
    p.add_argument("--workers", type=up_to_cpus, default=1, metavar="W",
                   help="processes to play in, act mode (default 1; text mode batches instead, see --batch)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seeds every game, and the targets drawn for a listings or CSV file's scenarios (default 0)")
    p.add_argument("--resume", action="store_true", help="continue the run in DIR, playing only missing games")
    p.add_argument("--turn-limit", type=turn_limit, default=DEFAULT_TURN_LIMIT, metavar="T",
                   help="turns before no deal (default %(default)s)")
    p.add_argument("--mode", choices=["acts", "text"], default="acts",
                   help="acts (default): agents exchange acts; text: they meet only through words")
    p.add_argument("--generator", choices=["lm", "template"],
                   help="text mode: the generator of agents named without one (default lm)")
    p.add_argument("--batch", type=positive_int, metavar="B",
                   help="text mode: dialogues played at once, their renders batched (default 32; 1: unbatched); "
                        "in float32 it changes the speed, not the words")
    p.set_defaults(func=cmd_tournament)

    add_train_commands(sub)
    add_generator_commands(sub)
    add_chat_commands(sub)

    return ap


def command_parser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The (sub)command's parser that argv names: `haggler train rl ...` is train's rl parser."""
    for word in argv:
        commands = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if commands is None or word not in commands.choices:
            break
        parser = commands.choices[word]
    return parser


WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
"""A write's failures, which name no file where the output is a file already open (standard output, redirected)."""


def exit_as_killed_by_sigpipe() -> NoReturn:
    """Exits 141, as a shell reports a process that SIGPIPE killed (an output closed under it), the output's
    unwritten rest sent to /dev/null so that the exit flushes nothing into the closed pipe (Python's own recipe)."""
    if sys.stdout is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    sys.exit(128 + signal.SIGPIPE)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse reports them with the top-level usage; the command's own is the one that helps
        command_parser(parser, argv).error(f"unrecognized arguments: {' '.join(extra)}")
    args.invocation = shlex.join(["haggler", *argv])  # the command line, for the model cards
    try:
        args.func(args)
        if sys.stdout is not None:  # None where the output was closed (`>&-`)
            sys.stdout.flush()  # here, where a full disk under a redirected output is one line
    except (CorpusError, BrokenModel) as e:
        sys.exit(f"haggler: {e}")
    except BrokenPipeError:  # `haggler ... | head`
        exit_as_killed_by_sigpipe()
    except OSError as e:  # an output that cannot be written after all (a full disk, a directory in the way)
        unnamed = "cannot write its output: " if e.errno in WRITE_ERRORS else ""
        sys.exit(f"haggler: {e.filename + ': ' if e.filename else unnamed}{e.strerror or e}")
    except KeyboardInterrupt:
        print("\nhaggler: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
