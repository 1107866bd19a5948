"""Labels a Dialogue's messages with the parser's acts (`metadata: {"intent", "price"}`)."""
from __future__ import annotations

from dialogue.corpus import Dialogue
from parser.acts import Act
from parser.rules import ActReader


def dialogue_acts(dialogue: Dialogue) -> list[Act | None]:
    """The act of every event in order: parsed for messages, the event itself for formal ones."""
    reader = ActReader(dialogue.scenario.listing_price)
    acts: list[Act | None] = []
    for event in dialogue.events:
        role = dialogue.role_of(event.agent)
        if event.is_message:
            acts.append(reader.read(role, event.text))
        else:
            act = event.act
            if act is not None:
                reader.observe(role, act)
            acts.append(act)
    return acts


def annotate_dialogue(dialogue: Dialogue) -> Dialogue:
    """Writes each message's act into its metadata (other metadata keys are kept); returns the dialogue."""
    for event, act in zip(dialogue.events, dialogue_acts(dialogue)):
        if event.is_message and act is not None:
            event.metadata = {**(event.metadata or {}), **act.to_metadata()}
    return dialogue
