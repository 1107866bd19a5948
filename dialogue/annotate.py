"""Labels a Dialogue's messages with the parser's acts (`metadata: {"intent", "price"}`)."""
from __future__ import annotations

from dialogue.corpus import Dialogue, Event, stand_in_act
from parser.acts import Act
from parser.intent_model import IntentModel
from parser.rules import ActReader, parse_dialogue


def dialogue_acts(dialogue: Dialogue, model: IntentModel | None = None) -> list[Act | None]:
    """The act of every event in order: parsed for messages (with the shipped intent model, or `model`), the event
    itself for formal ones, and for the messages of act-level transcripts the act they stand for
    ("counter(price=302)" is no English to parse)."""
    return parse_dialogue([(dialogue.role_of(e.agent), said(e)) for e in dialogue.events],
                          reader=ActReader(dialogue.scenario.listing_price, model=model))


def said(event: Event) -> str | Act | None:
    if not event.is_message:
        return event.act
    return stand_in_act(event.text) or event.text


def annotate_dialogue(dialogue: Dialogue, model: IntentModel | None = None) -> Dialogue:
    """Writes each message's act into its metadata (other metadata keys are kept); returns the dialogue."""
    for event, act in zip(dialogue.events, dialogue_acts(dialogue, model)):
        if event.is_message and act is not None:
            event.metadata = {**(event.metadata or {}), **act.to_metadata()}
    return dialogue
