"""The Telegram bot: updates in as ``Incoming`` for the dispatcher, its replies out as messages and keyboards."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.base import AlbumGatherer, BoundedSet, SessionLocks, typing_while, utf16_len
from bot.adapters.telegram.addressing import (
    MAX_MESSAGE_UTF16,
    TRANSPORT,
    Addressing,
    _language,
    address,
    split_message,
)
from bot.adapters.telegram.keyboards import ChoiceCallbacks, _answer
from bot.adapters.telegram.media import download
from bot.dispatch import Dispatcher, fallback_error
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.messages import Attachment, Choice, Incoming, Reply, SessionKey
from bot.router import Router
from bot.settings import Settings, TelegramSettings
from bot.store import Inbox, Memo, open_store

log = logging.getLogger("bot.adapters.telegram")  # one logger for the whole adapter

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


class TelegramTransport:
    """Runs one bot: turns updates into ``Incoming`` for the dispatcher and renders its replies."""

    def __init__(self, settings: Settings, dispatcher: Dispatcher, router: Router) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.router = router
        self._store = open_store(settings.effective_database_url)
        self.memo = Memo(self._store)
        self.choices = ChoiceCallbacks(memo=self.memo)
        self._locks = SessionLocks()
        self._answered: BoundedSet[tuple[int, int]] = BoundedSet()
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
        addressing, reply_to_text = self._addressing(message, context.bot.id, context.bot.username)
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

    def _addressing(self, message: Message, bot_id: int, bot_username: str) -> tuple[Addressing, str | None]:
        """Tell whether a message is meant for the bot, and give the text of the bot's message it replies to."""
        replied = message.reply_to_message
        replied_to_bot = bool(replied and replied.from_user and replied.from_user.id == bot_id)
        # The bot's message being answered (a staff reply to a ticket, a user's reply to a staff message).
        reply_to_text = (
            (replied.text or replied.caption or "") if replied is not None and replied_to_bot else None
        )
        addressing = address(
            message.text or message.caption or "",
            private=message.chat.type == ChatType.PRIVATE,
            bot_username=bot_username,
            replied_to_bot=replied_to_bot,
            staff_room=f"{TRANSPORT}:{message.chat.id}" in self.settings.staff_rooms,
        )
        return addressing, reply_to_text

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
        return await download(message, lang, self.settings.telegram.max_download_bytes)

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
