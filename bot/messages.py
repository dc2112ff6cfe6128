"""Transport-free message values: what the core receives and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SessionKey:
    """Who is talking where: transport + chat + user."""

    transport: str
    chat: str
    user: str

    def __str__(self) -> str:
        return f"{self.transport}:{self.chat}:{self.user}"

    # Matrix ids contain ':' themselves: store the three fields separately, never parse str(key).


@dataclass(frozen=True)
class Attachment:
    """A file the user sent: its bytes, name and media type."""

    name: str
    mime: str
    data: bytes
    group: str = ""  # photos sent together as one album (Telegram's media_group_id)
    # More files of the same album come right after this one: the core holds it and checks the album once,
    # with its last file.
    follows: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Incoming:
    """One message from a user, already downloaded by the adapter."""

    key: SessionKey
    text: str = ""
    attachment: Attachment | None = None
    # False in a group room when the bot was not addressed: the core may stay silent.
    addressed: bool = True
    display_name: str | None = None
    # An error the adapter met before the core could see the file (e.g. too big to download).
    attachment_error: str | None = None
    # The text of the bot's message this one replies to (a staff reply in a ticket's thread), if any.
    reply_to_text: str | None = None
    # An edit of the user's last message: the text it replaces (the new text is ``text``); None otherwise.
    correction_of: str | None = None


@dataclass(frozen=True)
class Choice:
    """A button (Telegram) or a numbered option (Matrix, terminal); ``value`` comes back as text."""

    label: str
    value: str


@dataclass(frozen=True)
class OutgoingFile:
    """A file the bot sends (report, request letter)."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """One message the bot sends; ``to`` is set when it goes to another session (handoff relay)."""

    text: str
    choices: tuple[Choice, ...] = field(default=())
    file: OutgoingFile | None = None
    to: SessionKey | None = None
    # False: the choices are actions named by their words (the review's "Confirm"/"Change"), so text
    # transports list them without numbers and a number typed back does not pick one.
    numbered: bool = True
    # True: the button or number this message answers was not recorded (shown with another question).
    refused_choice: bool = False
    # The catalogue id of the message (config/messages/*.yaml) when the text is one whole message; tests
    # assert it rather than the wording. Taken from the text when it was rendered by ``bot.i18n.t``.
    message_id: str = ""

    def __post_init__(self) -> None:
        if not self.message_id:
            object.__setattr__(self, "message_id", getattr(self.text, "msg_id", ""))
