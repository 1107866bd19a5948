"""The `haggler` command: one subcommand a job. Errors in the user's input end with one clear line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dialogue.corpus import CorpusError


def cmd_parse(args: argparse.Namespace) -> None:
    from dialogue.annotate import annotate_dialogue
    from dialogue.corpus import dump_dialogues, load_dialogues

    dialogues = load_dialogues(args.input)
    for d in dialogues:
        annotate_dialogue(d)
    if args.out:
        dump_dialogues(dialogues, args.out)
        n = sum(e.is_message for d in dialogues for e in d.events)
        print(f"parsed {n} messages in {len(dialogues)} dialogues -> {args.out}", file=sys.stderr)
    else:
        json.dump([d.to_dict() for d in dialogues], sys.stdout, ensure_ascii=False, indent=1)
        print()


def cmd_eval_parser(args: argparse.Namespace) -> None:
    from dialogue.parser_eval import evaluate_parser, format_report

    report = evaluate_parser(args.labelled, label_map=args.map, against=args.against, against_map=args.against_map)
    print(json.dumps(report, indent=1) if args.json else format_report(report))


def cmd_tournament(args: argparse.Namespace) -> None:
    from dialogue.tournament import TournamentConfig, TournamentError, run_tournament

    config = TournamentConfig(args.agents, args.scenarios, args.n, args.out, args.repeats, args.workers,
                              args.seed, args.resume, args.turn_limit)
    try:
        results, table = run_tournament(config)
    except TournamentError as e:
        sys.exit(f"haggler: {e}")
    print(table)
    print(f"{results['n_dialogues']} dialogues -> {args.out}/dialogues.jsonl, results.json, utility.png",
          file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="haggler", description="Negotiation in natural language.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="label every message of a dialogue file with its act",
                       description="Reads CraigslistBargain dialogues and writes them with metadata "
                                   "{intent, price} on every message event.")
    p.add_argument("input", type=Path, metavar="IN.json", help="a list of dialogues (JSON, or JSON Lines)")
    p.add_argument("--out", type=Path, metavar="OUT.json", help="where to write (default: standard output)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("eval-parser", help="compare the parser with labels in metadata",
                       description="Intent accuracy, per-intent precision/recall and price exact-match of "
                                   "haggler's parser against the labels in each message's metadata.")
    p.add_argument("labelled", type=Path, metavar="LABELLED.json")
    p.add_argument("--map", choices=["acts", "luis"], default="acts",
                   help="label names in the file: haggler's acts (default) or LUIS names, mapped as ACTS.md says")
    p.add_argument("--against", type=Path, metavar="OTHER.json",
                   help="score the labels of another file (matched by dialogue uuid) instead of the parser, "
                        "e.g. the LUIS labels of luis-acts.json")
    p.add_argument("--against-map", choices=["acts", "luis"], default="luis", help="label names in OTHER.json")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval_parser)

    p = sub.add_parser("tournament", help="round robin of policies at the act level",
                       description="Every pair of agents on the same scenarios, in both roles; writes "
                                   "OUT/dialogues.jsonl, OUT/results.json and OUT/utility.png and prints "
                                   "a leaderboard (means with 95%% intervals).")
    p.add_argument("--agents", nargs="+", required=True, metavar="NAME", help="policy names, e.g. rule boulware tft")
    p.add_argument("--scenarios", default="builtin", metavar="SRC",
                   help="builtin (default), a CraigslistBargain dialogue file, or a listings file")
    p.add_argument("--n", type=int, default=40, metavar="N", help="scenarios to play, the first N of SRC (default 40)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--repeats", type=int, default=1, metavar="R", help="games per pair, role and scenario")
    p.add_argument("--workers", type=int, default=1, metavar="W", help="processes to play in (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--resume", action="store_true", help="continue the run in DIR, playing only missing games")
    p.add_argument("--turn-limit", type=int, default=20, metavar="T", help="turns before no deal (default 20)")
    p.set_defaults(func=cmd_tournament)

    return ap


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CorpusError as e:
        sys.exit(f"haggler: {e}")
    except BrokenPipeError:
        sys.stderr.close()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
