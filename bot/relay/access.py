"""Who may do what, and which participant a staff message is for: pure decisions.

Only configured therapists relay or run staff commands. Anyone else in the staff group is ignored
(and audited); any other group the bot finds itself in is left; staff commands in a private chat
are refused politely, without saying anything about participants.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

from bot.relay.model import StaffInbound


class Access(Enum):
    PASS = "pass"  # not ours: a participant's private chat goes to the engine
    LEAVE = "leave"  # a group that is not the staff group
    REFUSE_PRIVATE = "refuse_private"  # a staff command typed in a private chat
    IGNORE_STRANGER = "ignore_stranger"  # someone who is not a therapist, in the staff group
    IGNORE = "ignore"  # service messages, an empty message
    COMMAND = "command"
    UNKNOWN_COMMAND = "unknown_command"  # a /word in the staff group that is no staff command
    BUTTON = "button"  # a therapist pressed one of the bot's buttons in the staff group
    EDIT = "edit"  # a therapist edited a message
    RELAY = "relay"  # words for a participant, if they are meant for one (see bot/relay/staff_words.py)


def decide(
    msg: StaffInbound,
    staff_chat_id: str,
    therapists: Collection[int],
    commands: Collection[str],
    private: Collection[str] | None = None,
) -> Access:
    """``private``: the staff commands refused in a private chat (those a participant does not have too)."""
    command = msg.command
    if msg.chat_kind == "private":
        refused = commands if private is None else private
        return Access.REFUSE_PRIVATE if command is not None and command[0] in refused else Access.PASS
    if msg.chat_id != staff_chat_id:
        return Access.LEAVE
    if msg.joined:
        return Access.IGNORE
    if msg.user_id not in therapists:
        return Access.IGNORE_STRANGER
    if msg.button is not None:
        return Access.BUTTON
    if msg.edited:
        return Access.EDIT if msg.text.strip() else Access.IGNORE
    if command is not None:
        return Access.COMMAND if command[0] in commands else Access.UNKNOWN_COMMAND
    if not msg.text.strip() and not msg.has_attachment:
        return Access.IGNORE
    return Access.RELAY


def route(msg: StaffInbound, by_topic: int | None, by_reply: int | None) -> int | None:
    """The participant a therapist's message is for: the topic it is in, else the message it replies to.

    ``by_topic`` and ``by_reply`` are what storage found for the thread id and the reply-to id.
    """
    if msg.thread_id is not None and by_topic is not None:
        return by_topic
    return by_reply
