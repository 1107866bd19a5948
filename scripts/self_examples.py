"""Self-training data for the generator: the training acts said by the generator itself, kept where its own check
accepted the words (rejection sampling), beside the people's messages they were drawn for.

    python scripts/self_examples.py --out runs/self-examples

Writes a dataset (save_to_disk) that `haggler train generator --data DIR` reads: a train split of the default
data's training examples (the people's messages) and one rendering of each of their acts that the generator's check
accepted (the price back as the placeholder), and a validation split of the default data's eval examples, the same
rows `--data craigslist` holds out. The renderings are sampled without guidance (`--guidance 1`): what the model
alone says, so that training on them moves the model itself towards words that say their act. Tried once from
stage 4 (data/generator_lora/README.md, "Tried and left out: training on its own words"): no first try more faithful.
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogue.corpus import DEFAULT_DATA  # noqa: E402
from dialogue.held_out import craigslist_training_dialogues  # noqa: E402
from dialogue.decoding import Sampling, stream_seed  # noqa: E402
from dialogue.generator import Request, make_generator  # noqa: E402
from dialogue.generator_data import dialogue_contexts, examples_dataset, mask_price, render_prompt, split  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="the dataset directory to write (must not exist)")
    parser.add_argument("--adapter", default="default",
                        help="the adapter that says the acts (default: the shipped one)")
    parser.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance (default 1: none)")
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default 0.7)")
    parser.add_argument("--batch-size", type=int, default=16, help="acts rendered in one call (default 16)")
    parser.add_argument("--eval-examples", type=int, default=200,
                        help="the default data's eval rows, as train generator's --eval-examples (default 200)")
    parser.add_argument("--limit", type=int, default=None, help="render only this many acts (a seeded sample)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the split, the sample and the renderings (default 0)")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; name a new directory")
    import datasets

    people = examples_dataset([DEFAULT_DATA])
    requests = [Request(act, role, context) for d in craigslist_training_dialogues()
                for context, role, act, text in dialogue_contexts(d)
                if act.price is None or mask_price(text, act.price) is not None]
    assert [render_prompt(r.context, r.role, r.act) for r in requests] == people["prompt"], "examples out of order"
    people = people.add_column("index", list(range(len(people))))
    train, held_out = split(people, args.eval_examples, args.seed)
    chosen = list(train["index"])
    if args.limit is not None:
        chosen = random.Random(args.seed).sample(chosen, min(args.limit, len(chosen)))
    generator = make_generator("lm", adapter=args.adapter, sampling=Sampling(
        guidance=args.guidance, temperature=args.temperature, seed=args.seed))
    own = []
    for start in tqdm(range(0, len(chosen), args.batch_size), desc="renderings", unit="call"):
        batch = [replace(requests[i], seed=stream_seed(args.seed, i)) for i in chosen[start:start + args.batch_size]]
        for request, rendering in zip(batch, generator.render(batch)):
            if rendering.backend != "lm":
                continue
            act = request.act
            target = mask_price(rendering.text, act.price) if act.price is not None else rendering.text
            if target is not None:
                own.append({"prompt": render_prompt(request.context, request.role, act), "target": target,
                            "act": str(act), "tries": rendering.tries})
    print(f"{len(own)} of {len(chosen)} acts said by the model ({sum(o['tries'] == 1 for o in own)} on the first try)",
          file=sys.stderr)
    columns = ["prompt", "target", "act"]
    data = datasets.DatasetDict({
        "train": datasets.Dataset.from_list([{k: row[k] for k in columns} for row in train]
                                            + [{k: row[k] for k in columns} for row in own]),
        "validation": held_out.select_columns(columns)})
    data.save_to_disk(str(args.out))
    print(f"{args.out}: {len(data['train'])} training rows ({len(train)} people's, {len(own)} the model's), "
          f"{len(data['validation'])} validation rows", file=sys.stderr)


if __name__ == "__main__":
    main()
