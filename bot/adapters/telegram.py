"""Telegram transport (python-telegram-bot v22): updates in as ``Incoming``, ``Reply`` out as messages.

The only module that imports ``telegram``. It is also the ``vetpharma telegram`` command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.base import AlbumGatherer, human_size, split_text, typing_while, utf16_len
from bot.cluster import UpdateGuard, update_guard
from bot.dispatch import Dispatcher, fallback_error
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.messages import Attachment, Choice, Incoming, Reply, SessionKey
from bot.router import Router
from bot.settings import Settings, TelegramSettings
from bot.store import Inbox, Memo, open_store

log = logging.getLogger(__name__)

TRANSPORT = "telegram"
MAX_MESSAGE_UTF16 = 4096  # Bot API limit on a message's text after entity parsing
MAX_CALLBACK_BYTES = 64  # Bot API limit on an inline button's callback_data
TYPING_REFRESH_SECONDS = 4.5  # a chat action shows for 5 s at most
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
RATE_LIMIT_RETRIES = 5  # how many times a request answered 429 is retried after its retry_after
INBOX_KEPT = timedelta(days=7)  # ids of answered updates are kept this long, to refuse a duplicate

# Commands shown in the clients' "/" menu (described by the catalogue's menu_<command>); the core understands
# them as plain text.
MENU_COMMANDS = (
    "start",
    "help",
    "dossier",
    "status",
    "check",
    "cancel",
    "lang",
    "article",
    "dossiers",
    "edit",
    "letter",
    "keep",
    "human",
    "privacy",
    "forget",
)


# ---- pure helpers (no Telegram object involved) ---------------------------------------------


def split_message(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` UTF-16 units, at paragraph, item or line ends."""
    return split_text(text.strip(), limit)


def _language(user: User | None, default: str) -> str:
    code = (user.language_code or "") if user else ""
    for lang in LANGUAGES:
        if code.lower().startswith(lang):
            return lang
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Addressing:
    """Whether a message is meant for the bot, and its text with the bot's name taken out."""

    addressed: bool
    text: str


_COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?(.*)$", re.DOTALL)


# "#12 text": a staff member's answer to ticket 12, read in a staff room without a mention.
TICKET_ANSWER = re.compile(r"\s*#\d{1,9}\s+\S")


def address(
    text: str, *, private: bool, bot_username: str, replied_to_bot: bool, staff_room: bool = False
) -> Addressing:
    """Decide if the bot is addressed (private chat, command, @mention, reply, "#N" in a staff room)."""
    match = _COMMAND.match(text)
    if match:
        command, target, rest = match.groups()
        if target and target.lower() != bot_username.lower():
            return Addressing(False, text)  # a command for another bot in the same group
        return Addressing(True, f"/{command}{rest}")
    mention = re.compile(rf"(?<![\w@])@{re.escape(bot_username)}\b[,:]?", re.IGNORECASE)
    cleaned, mentions = mention.subn("", text)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    staff_answer = staff_room and TICKET_ANSWER.match(text) is not None
    return Addressing(
        private or replied_to_bot or staff_answer or mentions > 0, cleaned if mentions else text
    )


@dataclass(frozen=True)
class PendingChoice:
    """What a pressed button stands for; ``user`` is who may press it (empty: whoever sees it)."""

    value: str
    user: str = ""


class ChoiceCallbacks:
    """Maps choices to callback data of at most 64 bytes, and back.

    A short value in a private chat travels in the button itself (it survives a restart); a long value,
    or any value in a group (where only the asked person may answer), travels as a short token.
    """

    VALUE = "="
    TOKEN = "#"

    def __init__(self, capacity: int = 50_000, memo: Memo | None = None) -> None:
        self._tokens: OrderedDict[str, PendingChoice] = OrderedDict()
        self._capacity = capacity
        # Tokens are also kept in the store, so that buttons sent before a restart still work.
        self._memo = memo

    def encode(self, key: SessionKey, choice: Choice) -> str:
        """Return the callback data for ``choice`` offered to ``key``."""
        private = key.chat == key.user
        direct = self.VALUE + choice.value
        if private and len(direct.encode()) <= MAX_CALLBACK_BYTES:
            return direct
        token = self.TOKEN + secrets.token_urlsafe(12)
        pending = PendingChoice(choice.value, "" if private else key.user)
        self._tokens[token] = pending
        if self._memo is not None:
            self._memo.put(TRANSPORT, "button", token, json.dumps([pending.value, pending.user]))
        while len(self._tokens) > self._capacity:
            self._tokens.popitem(last=False)
        return token

    def decode(self, data: str) -> PendingChoice | None:
        """Return what ``data`` stands for, or None when it is unknown or forgotten."""
        if data.startswith(self.VALUE):
            return PendingChoice(data[len(self.VALUE) :])
        found = self._tokens.get(data)
        if found is None and self._memo is not None and data.startswith(self.TOKEN):
            remembered = self._memo.get(TRANSPORT, "button", data)
            if remembered is not None:
                value, user = json.loads(remembered)
                found = PendingChoice(str(value), str(user))
        return found


class _SessionLocks:
    """One lock per session, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[SessionKey, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: SessionKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _Seen:
    """A bounded set, to ignore a button pressed twice before its keyboard disappeared."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._items: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._capacity = capacity

    def add(self, item: tuple[int, int]) -> bool:
        """Remember ``item``; return False if it was already there."""
        if item in self._items:
            return False
        self._items[item] = None
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return True


async def _answer(query: CallbackQuery, alert: str | None = None) -> None:
    """Stop the button's spinner (with an alert if given); a query too old to answer is no failure."""
    try:
        await query.answer(alert, show_alert=alert is not None)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc)


# ---- the transport --------------------------------------------------------------------------


class TelegramTransport:
    """Runs one bot: turns updates into ``Incoming`` for the dispatcher and renders its replies."""

    def __init__(self, settings: Settings, dispatcher: Dispatcher, router: Router) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.router = router
        self._store = open_store(settings.effective_database_url)
        self.memo = Memo(self._store)
        self.choices = ChoiceCallbacks(memo=self.memo)
        self._locks = _SessionLocks()
        self._answered = _Seen()
        self._typing_delay = settings.telegram.typing_delay
        self._quote: dict[SessionKey, int] = {}  # group session -> message its next answer quotes
        # Every update is recorded before it is handled and marked done once answered (the update id is the
        # idempotency key). Long polling records it here and replays what a crash left; a webhook's update is
        # recorded by the cluster guard, in the same inbox, and Telegram posts it again until it is answered.
        self.inbox = Inbox(self._store)
        self._use_inbox = not settings.telegram.webhook_url
        self._replaying: set[str] = set()
        self.application = build_application(settings.telegram)
        self.application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, self._on_message)
        )
        self.application.add_handler(
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, self._on_edit)
        )
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        # session -> (message id, text) of the user's last text message: an edit of it is a correction.
        self._last_text: OrderedDict[SessionKey, tuple[int, str]] = OrderedDict()
        # An album's photos arrive as separate updates: gathered, then checked as one document.
        self._albums: AlbumGatherer[tuple[asyncio.Future[tuple[Attachment | None, str | None]], str]] = (
            AlbumGatherer(settings.telegram.album_wait)
        )
        self.application.add_error_handler(self._on_error)

    @property
    def _default_language(self) -> str:
        return self.settings.default_language

    # -- incoming

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot:
            return
        bot = context.bot
        replied = message.reply_to_message
        replied_to_bot = bool(replied and replied.from_user and replied.from_user.id == bot.id)
        # The bot's message being answered (a staff reply to a ticket, a user's reply to a staff message).
        reply_to_text = (
            (replied.text or replied.caption or "") if replied is not None and replied_to_bot else None
        )
        addressing = address(
            message.text or message.caption or "",
            private=message.chat.type == ChatType.PRIVATE,
            bot_username=bot.username,
            replied_to_bot=replied_to_bot,
            staff_room=f"{TRANSPORT}:{message.chat.id}" in self.settings.staff_rooms,
        )
        if not addressing.addressed:
            # Group chatter not meant for the bot is neither answered nor handed to the core (privacy).
            return
        key = SessionKey(TRANSPORT, str(message.chat.id), str(user.id))
        if not self._claim(update, key):
            return
        if message.media_group_id and (message.document or message.photo):
            await self._on_album_part(update, message, key, addressing.text, reply_to_text)
            return
        await self._albums.handled(key)  # a message sent after an album is answered after it
        async with self._locks.hold(key), self._settle(update):
            lang = _language(user, self._default_language)
            has_file = bool(message.document or message.photo)
            if not has_file:
                self._remember_text(key, message.message_id, addressing.text)
            # "typing…" at once for a file (it will be checked), after a moment for anything slow.
            async with self._typing(message.chat.id, delay=0.0 if has_file else self._typing_delay):
                attachment, error = await self._download(message, lang)
                incoming = Incoming(
                    key, addressing.text, attachment, True, user.full_name, error, reply_to_text=reply_to_text
                )
                replies = await self.dispatcher.handle(incoming)
            if message.chat.type != ChatType.PRIVATE:
                # In a group several people talk to the bot: the answer quotes the message it answers.
                self._quote[key] = message.message_id
            try:
                await self.router.deliver_all(replies, key)
            finally:
                self._quote.pop(key, None)

    async def _on_album_part(
        self, update: Update, message: Message, key: SessionKey, text: str, reply_to_text: str | None
    ) -> None:
        """Gather an album's photos (one update each) and hand them to the core together, checked once."""
        user = message.from_user
        lang = _language(user, self._default_language)
        name = user.full_name if user is not None else None
        async with self._settle(update):
            # Joined before anything is awaited: a message sent after the album waits for it (``handled``).
            download = asyncio.ensure_future(self._download(message, lang))
            album = await self._albums.join(key, message.media_group_id, message.message_id, (download, text))
            if not album.leader:
                await album.finished()  # answered when the album is: a crash before replays every part
                return
            try:
                parts = [(*await fetched, said) for fetched, said in album.ordered()]
                # Every photo but the album's last one read holds on: the core checks them all with it.
                last = max((i for i, (a, _, _) in enumerate(parts) if a is not None), default=-1)
                async with self._locks.hold(key), self._typing(message.chat.id, delay=0.0):
                    replies: list[Reply] = []
                    for i, (held, problem, said) in enumerate(parts):
                        if held is not None and i < last:
                            held = replace(held, follows=True)
                        incoming = Incoming(
                            key,
                            said,
                            held,
                            True,
                            name,
                            problem,
                            reply_to_text=reply_to_text if i == 0 else None,
                        )
                        replies += await self.dispatcher.handle(incoming)
                    await self.router.deliver_all(replies, key)
            finally:
                album.finish()

    def _remember_text(self, key: SessionKey, message_id: int, text: str) -> None:
        self._last_text[key] = (message_id, text)
        self._last_text.move_to_end(key)
        while len(self._last_text) > 10_000:
            self._last_text.popitem(last=False)

    async def _on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Read an edit of the user's last message as a correction of it; other edits are ignored."""
        message, user = update.edited_message, update.effective_user
        if message is None or user is None or user.is_bot or message.text is None:
            return
        key = SessionKey(TRANSPORT, str(message.chat.id), str(user.id))
        last = self._last_text.get(key)
        if last is None or last[0] != message.message_id:
            return
        if not self._claim(update, key):
            return
        async with self._locks.hold(key), self._settle(update):
            self._remember_text(key, message.message_id, message.text)
            incoming = Incoming(key, message.text, display_name=user.full_name, correction_of=last[1])
            replies = await self.dispatcher.handle(incoming)
            await self.router.deliver_all(replies, key)

    async def _download(self, message: Message, lang: str) -> tuple[Attachment | None, str | None]:
        """Fetch the document or largest photo, refusing oversize files before asking for them."""
        if message.document is not None:
            doc = message.document
            file_id, size = doc.file_id, doc.file_size
            name = doc.file_name or f"document-{doc.file_unique_id}"
            mime = doc.mime_type or "application/octet-stream"
        elif message.photo:
            best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            file_id, size = best.file_id, best.file_size
            name, mime = f"photo-{best.file_unique_id}.jpg", "image/jpeg"
        else:
            return None, None
        limit = self.settings.telegram.max_download_bytes
        if size is not None and size > limit:
            return None, self._too_big(name, size, limit, lang)
        try:
            telegram_file = await message.get_bot().get_file(file_id)
            if telegram_file.file_size is not None and telegram_file.file_size > limit:
                return None, self._too_big(name, telegram_file.file_size, limit, lang)
            data = bytes(await telegram_file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download a file: %s", exc)
            return None, t(lang, "telegram_download_failed")
        if len(data) > limit:
            return None, self._too_big(name, len(data), limit, lang)
        return Attachment(name, mime, data, group=message.media_group_id or ""), None

    @staticmethod
    def _too_big(name: str, size: int, limit: int, lang: str) -> str:
        return t(
            lang, "telegram_too_big", name=name, size=human_size(size, lang), limit=human_size(limit, lang)
        )

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        user, message = query.from_user, query.message
        lang = _language(user, self._default_language)
        pressed = self.choices.decode(query.data)
        if pressed is None:
            await _answer(query, t(lang, "telegram_button_expired"))
            return
        if pressed.user and pressed.user != str(user.id):
            await _answer(query, t(lang, "telegram_button_not_yours"))
            return
        chat_id = message.chat.id if message is not None else user.id
        if message is not None and not self._answered.add((chat_id, message.message_id)):
            await _answer(query)  # a second press before the keyboard went away: already handled
            return
        await _answer(query)
        key = SessionKey(TRANSPORT, str(chat_id), str(user.id))
        if not self._claim(update, key):
            return
        async with self._locks.hold(key), self._settle(update):
            async with self._typing(chat_id, delay=self._typing_delay):
                incoming = Incoming(key, pressed.value, display_name=user.full_name)
                replies = await self.dispatcher.handle(incoming)
            if isinstance(message, Message):
                # A choice the core refused (a stale button) is not shown as chosen: its keyboard just goes.
                refused = any(r.refused_choice for r in replies)
                await self._show_choice(message, query.data, pressed.value, shown=not refused)
            await self.router.deliver_all(replies, key)

    def _claim(self, update: Update, key: SessionKey) -> bool:
        """Record an update before handling it; False for a duplicate delivery (already recorded)."""
        update_id = str(update.update_id)
        if not self._use_inbox or self.inbox.record(TRANSPORT, update_id, key, update.to_dict()):
            return True
        if update_id in self._replaying:
            # Replayed from the inbox: handled once, even if Telegram hands the update out again.
            self._replaying.discard(update_id)
            return True
        return False

    @contextlib.asynccontextmanager
    async def _settle(self, update: Update) -> AsyncIterator[None]:
        """Mark the update answered when the body ends, or fails (the error handler answers then)."""
        update_id = str(update.update_id)
        if not self._use_inbox:
            yield
            return
        try:
            yield
        except Exception:
            self.inbox.done(TRANSPORT, update_id)
            raise
        self.inbox.done(TRANSPORT, update_id)

    async def replay_pending(self) -> int:
        """Queue the updates recorded before a crash and never answered; return how many."""
        self.inbox.purge(self._store.clock() - INBOX_KEPT)
        self.memo.purge(self._store.clock() - timedelta(days=max(self.settings.retention_days, 1)))
        if not self._use_inbox:
            return 0
        pending = self.inbox.pending(TRANSPORT)
        for message in pending:
            update = Update.de_json(message.payload, self.application.bot)
            if update is None:
                self.inbox.done(TRANSPORT, message.message_id)
                continue
            log.info("answering update %s, received before a restart", message.message_id)
            self._replaying.add(message.message_id)
            await self.application.update_queue.put(update)
        return len(pending)

    def close(self) -> None:
        """Release the inbox's database connections."""
        self._store.close()

    async def _show_choice(self, message: Message, data: str, value: str, *, shown: bool = True) -> None:
        """Edit the question in place: the chosen option appears under it and the keyboard goes."""
        markup = message.reply_markup
        label = value
        if markup is not None:
            label = next(
                (b.text for row in markup.inline_keyboard for b in row if b.callback_data == data), value
            )
        try:
            # "✅ Valider" stays as is: no second check mark in front of a label that has one.
            mark = "" if label.startswith(("✅", "✔", "☑")) else "✅ "
            if shown and message.text and utf16_len(message.text) + utf16_len(label) + 3 <= MAX_MESSAGE_UTF16:
                await message.edit_text(
                    f"{message.text_html}\n\n{mark}<b>{html.escape(label, quote=False)}</b>",
                    parse_mode=ParseMode.HTML,
                    reply_markup=None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            else:
                await message.edit_reply_markup(reply_markup=None)
        except TelegramError as exc:
            # Too old to edit, or already edited: the answer still goes to the core.
            log.info("could not edit an answered question: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure without the user's text, and tell the user something went wrong."""
        error = context.error
        log.error("telegram update failed: %s", type(error).__name__, exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(Exception):
                await context.bot.send_message(
                    update.effective_chat.id, html.escape(fallback_error(), quote=False)
                )

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int, *, delay: float) -> AsyncIterator[None]:
        """Show "typing…" while the body runs, once it has run ``delay`` seconds (refreshed: it fades after 5 s)."""

        async def show(on: bool) -> None:
            if on:
                await self.application.bot.send_chat_action(chat_id, ChatAction.TYPING)

        async with typing_while(show, delay=delay, refresh=TYPING_REFRESH_SECONDS):
            yield

    # -- outgoing

    def keyboard(self, key: SessionKey, choices: tuple[Choice, ...]) -> InlineKeyboardMarkup:
        """Render choices as one button per row (labels are sentences, not single words)."""
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(choice.label, callback_data=self.choices.encode(key, choice))]
                for choice in choices
            ]
        )

    async def send(self, key: SessionKey, reply: Reply) -> None:
        """Render one reply into the chat of ``key``: text (split, escaped), keyboard, document."""
        bot = self.application.bot
        chat_id = int(key.chat)
        markup = self.keyboard(key, reply.choices) if reply.choices else None
        chunks = split_message(reply.text)
        if not chunks and reply.file is None and markup is not None:
            chunks = ["…"]  # buttons need a message to hang on
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            quoted = self._quote.pop(key, None)
            await bot.send_message(
                chat_id,
                html.escape(chunk, quote=False),
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=(
                    ReplyParameters(quoted, allow_sending_without_reply=True) if quoted is not None else None
                ),
            )
        if reply.file is not None:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
            await bot.send_document(
                chat_id,
                InputFile(reply.file.data, filename=reply.file.name),
                reply_markup=markup if not chunks else None,
            )

    async def register_commands(self) -> None:
        """Publish the command menu in French (default) and English."""
        bot = self.application.bot
        for lang in LANGUAGES:
            menu = [BotCommand(name, t(lang, f"menu_{name}")) for name in MENU_COMMANDS]
            try:
                await bot.set_my_commands(menu, language_code=None if lang == DEFAULT_LANGUAGE else lang)
            except TelegramError as exc:
                log.warning("could not register the %s command menu: %s", lang, exc)


def build_application(settings: TelegramSettings) -> Application:  # type: ignore[type-arg]
    """Build the PTB application: rate limiter with 429 retries, concurrent updates, optional local API."""
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        # Different chats are handled at once; one chat stays in order thanks to the session locks.
        .concurrent_updates(True)
        .connection_pool_size(64)
        .pool_timeout(30.0)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if settings.base_file_url:
        builder = builder.base_file_url(settings.base_file_url)
    return builder.build()


async def _initialize(application: Application, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Call getMe until it works (network trouble is retried; a bad token is not); False if stopped."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.warning("Telegram unreachable (%s); retrying in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 60.0)
    return False


async def run_transport(
    settings: Settings, dispatcher: Dispatcher, router: Router, stop: asyncio.Event
) -> None:
    """Run the Telegram bot until ``stop`` is set (long polling, or a webhook when configured)."""
    transport = TelegramTransport(settings, dispatcher, router)
    application = transport.application
    if not await _initialize(application, stop):
        transport.close()
        return
    updater = application.updater
    assert updater is not None
    webhook: WebhookServer | None = None
    try:
        await application.start()
        await transport.register_commands()
        await transport.replay_pending()
        tg = settings.telegram
        if tg.webhook_url:
            # setWebhook hands the secret to Telegram, which sends it back on every call. Processes behind one
            # balancer share a configured one; a single process may draw a fresh one each start.
            secret = tg.webhook_secret or secrets.token_urlsafe(32)
            webhook = WebhookServer(
                transport, update_guard(settings.effective_database_url, transport.inbox), secret
            )
            await webhook.start(tg.webhook_listen, tg.webhook_port, urlsplit(tg.webhook_url).path or "/")
            await _set_webhook(application, tg.webhook_url, secret, stop)
            log.info("telegram: webhook on %s:%d", tg.webhook_listen, tg.webhook_port)
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=5)
            log.info("telegram: long polling as @%s", application.bot.username)
        # Registered once updates flow: until then nobody can be answered anyway.
        router.register(TRANSPORT, transport.send)
        await stop.wait()
    finally:
        router.unregister(TRANSPORT)
        if webhook is not None:
            await webhook.stop()
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        transport.close()


# ---- webhook mode: several processes behind a balancer ---------------------------------------


async def _set_webhook(application: Application, url: str, secret: str, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Tell Telegram where to post updates (every process of a deployment says the same)."""
    for attempt in range(6):
        try:
            await application.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            return
        except NetworkError as exc:
            if attempt == 5 or stop.is_set():
                raise
            log.warning("setWebhook failed (%s); retrying", exc)
            await asyncio.sleep(2**attempt)


class WebhookServer:
    """Receives Telegram's webhook calls and answers each only once its update is handled.

    python-telegram-bot's own server answers 200 as soon as an update is queued, so a process that dies
    then loses it. Here the answer comes after the replies were sent and the update recorded (by the
    guard, which also keeps one user's updates in order across processes): a process killed mid-way gets
    no answer, and Telegram sends the update again, to whichever process the balancer picks. It also
    serves ``/health/alive`` and ``/health/ready`` for the balancer and the service manager.
    """

    def __init__(self, transport: TelegramTransport, guard: UpdateGuard, secret: str) -> None:
        self.transport = transport
        self.guard = guard
        self.secret = secret
        self.stopping = False
        self.in_flight = 0
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self, listen: str, port: int, path: str) -> None:
        """Listen for webhook calls on ``path`` and health checks under ``/health/``."""
        app = tornado.web.Application(
            [
                (r"/health/(alive|ready)", _HealthHandler, {"hook": self}),
                (re.escape(path), _UpdateHandler, {"hook": self}),
            ]
        )
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=16 * 1024 * 1024)
        self._server.listen(port, address=listen)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop taking calls (the balancer sends them elsewhere) and finish those in hand."""
        self.stopping = True
        if self._server is not None:
            self._server.stop()
        for _ in range(int(grace * 10)):
            if not self.in_flight:
                break
            await asyncio.sleep(0.1)
        if self._server is not None:
            await self._server.close_all_connections()
        await self.guard.close()

    async def ready(self) -> bool:
        """Tell whether this process should get updates: running, and the database answers."""
        return not self.stopping and self.transport.application.running and await self.guard.ready()

    async def handle(self, data: object) -> int:
        """Handle one posted update once; return the HTTP status to answer."""
        application = self.transport.application
        update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        if update is None:
            return 400
        sender = update.effective_user or update.effective_chat
        who = str(sender.id) if sender is not None else ""
        async with self.guard.once(TRANSPORT, str(update.update_id), who) as fresh:
            if fresh:
                await application.process_update(update)
        return 200


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, hook: WebhookServer) -> None:
        self.hook = hook

    async def post(self) -> None:
        header = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(header, self.hook.secret):
            self.set_status(403)
            return
        if self.hook.stopping:
            self.set_status(503)  # Telegram sends it again, the balancer to another process
            return
        try:
            data = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            return
        self.hook.in_flight += 1
        try:
            self.set_status(await self.hook.handle(data))
        except Exception:
            log.exception("a webhook update could not be handled")
            self.set_status(500)
        finally:
            self.hook.in_flight -= 1

    def log_exception(self, *args: object) -> None:
        log.warning("webhook request failed")


class _HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def initialize(self, hook: WebhookServer) -> None:
        self.hook = hook

    async def get(self, which: str) -> None:
        healthy = True if which == "alive" else await self.hook.ready()
        self.set_status(200 if healthy else 503)
        self.write("ok\n" if healthy else "not ready\n")


def configured(settings: Settings) -> bool:
    """Tell whether the settings give this transport what it needs to run (a Telegram bot token)."""
    return settings.telegram_configured


# ---- the `vetpharma telegram` command -------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the Telegram bot until interrupted."""
    from bot.serve import serve
    from bot.settings import load_settings

    settings = load_settings(args.config)
    if not settings.telegram_configured:
        print(
            "vetpharma telegram: no bot token. Set TELEGRAM_BOT_TOKEN (or VETPHARMA_TELEGRAM_TOKEN, "
            "or [telegram] token in the settings file); BotFather gives one with /newbot.",
        )
        return 2
    return serve(settings, transports=(TRANSPORT,))
