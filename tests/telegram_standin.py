"""A local stand-in of the Telegram Bot API on 127.0.0.1, for tests and the load bench.

It speaks the real HTTP protocol (``/bot<token>/<method>`` and ``/file/bot<token>/<path>``), so the real
python-telegram-bot stack runs against it unchanged. It plays Telegram's side (updates, message ids,
file storage, HTML entity parsing, length and callback-data limits) and records everything the bot did,
and it offers the user's side: inject messages, documents, photos and button presses, read the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import html.parser
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456:TEST-token_for-the-stand-in"
BOT_ID = 123456
BOT_USERNAME = "vetpharma_test_bot"
MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_BYTES = 64
MAX_GETFILE_BYTES = 20 * 1024 * 1024

# Tags the Bot API accepts in HTML parse mode, and the entity type each one produces.
_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram's length limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class EntityParseError(ValueError):
    """The text is not valid Bot API HTML."""


class _TelegramHTML(html.parser.HTMLParser):
    """Parse Bot API HTML the way Telegram does: a few tags, four named entities, numeric entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise EntityParseError(f'Can\'t parse entities: unsupported start tag "{tag}"')
        self._open.append((tag, utf16_len(self.text), dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise EntityParseError(f'Can\'t parse entities: unmatched end tag "{tag}"')
        _, start, attrs = self._open.pop()
        length = utf16_len(self.text) - start
        if length:
            entity: dict[str, Any] = {"type": _TAGS[tag], "offset": start, "length": length}
            if tag == "a":
                entity["url"] = attrs.get("href") or ""
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        if "<" in data or "&" in data:
            raise EntityParseError("Can't parse entities: unescaped '<' or '&' in the text")
        self.text += data

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise EntityParseError(f"Can't parse entities: unsupported entity &{name};")
        self.text += _NAMED_ENTITIES[name]

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in {"x", "X"} else int(name)
        self.text += chr(code)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and entities Telegram would derive from ``source``."""
    parser = _TelegramHTML()
    parser.feed(source)
    parser.close()
    if parser.rawdata:
        raise EntityParseError("Can't parse entities: unfinished tag or entity")
    if parser._open:
        raise EntityParseError(f'Can\'t parse entities: unclosed tag "{parser._open[-1][0]}"')
    return parser.text, parser.entities


@dataclass
class SentMessage:
    """A message the bot sent (or an edit it made), as the user sees it."""

    method: str
    chat_id: int
    message_id: int
    text: str = ""  # after entity parsing: what the user reads
    source: str = ""  # what the bot sent, before parsing
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: tuple[str, str, bytes] | None = None  # name, mime type, bytes
    reply_to: int | None = None  # message_id of the message it quotes
    at: float = 0.0  # time.monotonic() when the stand-in received it

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Label and callback data of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class ApiCall:
    """One request the bot made, with its decoded parameters and the status answered."""

    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class _StoredFile:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    size: int  # what Telegram announces (may differ from len(data) for oversize tests)


# Parameters PTB sends JSON-encoded; every other value is a plain string.
_JSON_PARAMS = {
    "chat_id",
    "message_id",
    "reply_markup",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "commands",
    "scope",
    "drop_pending_updates",
    "link_preview_options",
    "reply_parameters",
    "show_alert",
    "cache_time",
    "max_connections",
    "disable_notification",
    "protect_content",
}


class BotApiStandIn:
    """The Bot API server side plus the users' side, in one object bound to one event loop."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "VetPharma",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[ApiCall] = []
        self.sent: list[SentMessage] = []  # sendMessage, sendDocument, editMessage* in order
        self._sent_by_chat: dict[int, list[SentMessage]] = {}  # new messages only, per chat
        self.commands: dict[str, list[dict[str, str]]] = {}  # language code ("" = default) -> commands
        self.webhook: dict[str, Any] = {}
        self.updates_delivered: dict[int, int] = {}  # update_id -> times handed out by getUpdates
        self.webhook_attempts: dict[int, int] = {}  # update_id -> webhook calls made (more than 1: retried)
        self.update_of: dict[tuple[int, int], int] = {}  # (chat id, message id) -> update that carried it
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(1)
        self._failures: list[
            tuple[str | None, int, int, str]
        ] = []  # method (None: any), status, retry_after, text
        self._changed = asyncio.Condition()
        self._closing = False
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give python-telegram-bot (it appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The ``base_file_url`` to give python-telegram-bot (it appends the token)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (a free port unless one is given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Close the listening socket and any webhook client (pending long polls return at once)."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- test controls ---------------------------------------------------------------------

    def fail_next(
        self, method: str | None = None, retry_after: int = 1, *, status: int = 429, description: str = ""
    ) -> None:
        """Answer the next call (of ``method``, or any) with 429 Too Many Requests, or another error."""
        self._failures.append((method, status, retry_after, description))

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every call the bot made to ``method``, in order."""
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Messages and documents the bot sent to one chat (edits excluded), in order."""
        return list(self._sent_by_chat.get(chat_id, ()))

    def count_sent(self, chat_id: int) -> int:
        """How many messages and documents the bot sent to one chat so far."""
        return len(self._sent_by_chat.get(chat_id, ()))

    def edits_in(self, chat_id: int) -> list[SentMessage]:
        """Edits the bot made in one chat, in order."""
        return [m for m in self.sent if m.chat_id == chat_id and m.method.startswith("edit")]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The current state of a message, as Telegram stores it."""
        return self._messages[(chat_id, message_id)]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until ``condition()`` holds after some bot activity; fail after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(condition)

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 15.0) -> list[SentMessage]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; return them all."""
        await self.wait_until(lambda: self.count_sent(chat_id) >= count, timeout)
        return self.sent_to(chat_id)

    # ---- the users' side -------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Test", language_code: str = "fr") -> dict[str, Any]:
        """A Telegram ``User`` object for a human."""
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        """The private chat between ``user`` and the bot."""
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def group_chat(self, chat_id: int, title: str = "Pharmacie") -> dict[str, Any]:
        """A group chat (ids of groups are negative)."""
        return {"id": chat_id, "type": "group", "title": title}

    def _new_message(self, chat: dict[str, Any], sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        ids = self._message_ids.setdefault(chat["id"], itertools.count(1))
        self._chats.setdefault(chat["id"], chat)
        message = {"message_id": next(ids), "from": sender, "chat": chat, "date": int(time.time()), **content}
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    async def send_text(
        self,
        user: dict[str, Any],
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Inject a text message from ``user`` (commands and @mentions get their entities)."""
        content: dict[str, Any] = {"text": text}
        entities = _user_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        message = self._new_message(chat or self.private_chat(user), user, **content)
        await self.push_update({"message": message})
        return message

    def store_file(
        self, data: bytes, folder: str, suffix: str, announced_size: int | None = None
    ) -> _StoredFile:
        """Keep a file the way Telegram's servers do, behind a file_id."""
        n = next(self._file_seq)
        stored = _StoredFile(
            file_id=f"FILE{n:06d}",
            unique_id=f"U{n:06d}",
            path=f"{folder}/file_{n}{suffix}",
            data=data,
            size=len(data) if announced_size is None else announced_size,
        )
        self._files[stored.file_id] = stored
        return stored

    async def send_document(
        self,
        user: dict[str, Any],
        name: str,
        data: bytes,
        mime: str = "application/pdf",
        *,
        caption: str | None = None,
        chat: dict[str, Any] | None = None,
        announced_size: int | None = None,
    ) -> dict[str, Any]:
        """Inject a document upload; ``announced_size`` lets a test claim a size it does not send."""
        stored = self.store_file(data, "documents", "." + name.rsplit(".", 1)[-1], announced_size)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": stored.size,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        message = self._new_message(chat or self.private_chat(user), user, **content)
        await self.push_update({"message": message})
        return message

    async def send_photo(
        self,
        user: dict[str, Any],
        sizes: list[tuple[int, int, bytes]],
        *,
        caption: str | None = None,
        chat: dict[str, Any] | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """Inject a photo given as its sizes (width, height, JPEG bytes), smallest first like Telegram.

        Photos of one album carry the same ``media_group_id`` and arrive as separate messages.
        """
        photo = []
        for width, height, data in sizes:
            stored = self.store_file(data, "photos", ".jpg")
            photo.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            )
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        message = self._new_message(chat or self.private_chat(user), user, **content)
        await self.push_update({"message": message})
        return message

    async def press_button(self, user: dict[str, Any], message: SentMessage, callback_data: str) -> str:
        """Inject a callback query: ``user`` pressed a button of a message the bot sent."""
        query_id = f"Q{next(self._query_seq)}"
        query = {
            "id": query_id,
            "from": user,
            "message": self._messages[(message.chat_id, message.message_id)],
            "chat_instance": str(message.chat_id),
            "data": callback_data,
        }
        await self.push_update({"callback_query": query})
        return query_id

    async def push_update(self, body: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or POST it to the webhook when one is set."""
        update = {"update_id": next(self._update_ids), **body}
        if "message" in body:
            self.update_of[(body["message"]["chat"]["id"], body["message"]["message_id"])] = update[
                "update_id"
            ]
        if self.webhook.get("url"):
            await self._post_to_webhook(update)
        else:
            async with self._changed:
                self._updates.append(update)
                self._changed.notify_all()
        return int(update["update_id"])

    async def _post_to_webhook(self, update: dict[str, Any]) -> None:
        if self._client is None:
            self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        # Like Telegram, send a webhook call again when it does not answer yet (the bot may still be starting)
        # or fails (a server error, a process gone mid-call): the update counts as delivered only on a 2xx.
        update_id = int(update["update_id"])
        for attempt in range(50):
            self.webhook_attempts[update_id] = self.webhook_attempts.get(update_id, 0) + 1
            try:
                async with self._client.post(self.webhook["url"], json=update, headers=headers) as response:
                    if response.status < 500 or attempt == 49:
                        response.raise_for_status()
                        return
            except aiohttp.ClientConnectionError:
                if attempt == 49:
                    raise
            await asyncio.sleep(min(0.1 * 2**attempt, 2.0))

    # ---- the server side -------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        if request.content_type == "application/json":
            params = dict(await request.json())
        elif request.method == "POST" and request.can_read_body:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    files[name] = (value.filename, value.content_type, value.file.read())
                else:
                    params[name] = value
        params.update(request.query)
        for name in list(params):
            if name in _JSON_PARAMS and isinstance(params[name], str):
                with contextlib.suppress(ValueError):
                    params[name] = json.loads(params[name])
        return params, files

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = ApiCall(method, params)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if request.match_info["token"] != self.token:
            call.status = 401
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        for i, (failing, status, retry_after, description) in enumerate(self._failures):
            if failing in (None, method):
                del self._failures[i]
                call.status = status
                body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
                if status == 429:
                    body["description"] = description or f"Too Many Requests: retry after {retry_after}"
                    body["parameters"] = {"retry_after": retry_after}
                return web.json_response(body, status=status)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            call.status = 404
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            result = await handler(params, files)
        except _ApiError as exc:
            call.status = exc.code
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description}, status=exc.code
            )
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    # Bot API methods: each takes the decoded parameters and uploaded files, returns the result.

    async def _m_getMe(self, params: dict[str, Any], files: Any) -> Any:
        return self.bot

    async def _m_logOut(self, params: dict[str, Any], files: Any) -> Any:
        return True

    async def _m_close(self, params: dict[str, Any], files: Any) -> Any:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token", "")}
        # Real Telegram keeps pending updates and sends them to the new webhook; so do we.
        pending, self._updates = self._updates, []
        for update in pending:
            self._background.add(asyncio.get_running_loop().create_task(self._post_to_webhook(update)))
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any], files: Any) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _m_getUpdates(self, params: dict[str, Any], files: Any) -> Any:
        if self.webhook.get("url"):
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self._changed:
            if offset:
                # Telegram forgets every update below the offset: they are confirmed.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
            batch = self._updates[:limit]
        for update in batch:
            self.updates_delivered[update["update_id"]] = (
                self.updates_delivered.get(update["update_id"], 0) + 1
            )
        return batch

    async def _m_setMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        self.commands[params.get("language_code") or ""] = list(params.get("commands") or [])
        return True

    async def _m_getMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        return self.commands.get(params.get("language_code") or "", [])

    async def _m_deleteMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        self.commands.pop(params.get("language_code") or "", None)
        return True

    async def _m_sendChatAction(self, params: dict[str, Any], files: Any) -> Any:
        self._chat(params)
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> Any:
        if not params.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query id is empty")
        return True

    async def _m_getFile(self, params: dict[str, Any], files: Any) -> Any:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if stored.size > MAX_GETFILE_BYTES:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    async def _m_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        chat_id = self._chat(params)
        text, entities = self._text(params, "text", MAX_TEXT_UTF16)
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        markup = self._markup(params)
        message = self._bot_message(chat_id, text=text, **({"entities": entities} if entities else {}))
        if markup:
            message["reply_markup"] = markup
        quoted = (params.get("reply_parameters") or {}).get("message_id")
        if quoted is not None and (chat_id, int(quoted)) in self._messages:
            message["reply_to_message"] = self._messages[(chat_id, int(quoted))]
        self._record("sendMessage", message, source=str(params.get("text", "")))
        return message

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, tuple[str, str, bytes]]) -> Any:
        chat_id = self._chat(params)
        reference = str(params.get("document", ""))
        part = files.get(reference.removeprefix("attach://") if reference else "document")
        if part is None:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        name, mime, data = part
        if not data:
            raise _ApiError(400, "Bad Request: file must be non-empty")
        stored = self.store_file(data, "documents", "." + name.rsplit(".", 1)[-1])
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "file_name": name,
                "mime_type": mime,
                "file_size": len(data),
            }
        }
        caption = ""
        if params.get("caption"):
            caption, entities = self._text(params, "caption", MAX_CAPTION_UTF16)
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        markup = self._markup(params)
        if markup:
            content["reply_markup"] = markup
        message = self._bot_message(chat_id, **content)
        self._record("sendDocument", message, source=str(params.get("caption", "")), document=part)
        return message

    async def _m_editMessageText(self, params: dict[str, Any], files: Any) -> Any:
        chat_id = self._chat(params)
        message = self._editable(chat_id, params)
        text, entities = self._text(params, "text", MAX_TEXT_UTF16)
        markup = self._markup(params)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise _ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message["entities"] = entities
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self._record("editMessageText", message, source=str(params.get("text", "")))
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> Any:
        chat_id = self._chat(params)
        message = self._editable(chat_id, params)
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise _ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._record("editMessageReplyMarkup", message, source="")
        return message

    # ---- helpers ---------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> int:
        try:
            return int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise _ApiError(400, "Bad Request: chat not found") from None

    def _text(self, params: dict[str, Any], name: str, limit: int) -> tuple[str, list[dict[str, Any]]]:
        source = str(params.get(name, ""))
        if str(params.get("parse_mode", "")).upper() == "HTML":
            try:
                text, entities = parse_html(source)
            except EntityParseError as exc:
                raise _ApiError(400, f"Bad Request: {exc}") from None
        else:
            text, entities = source, []
        if utf16_len(text) > limit:
            raise _ApiError(400, f"Bad Request: {'message' if name == 'text' else name} is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup if markup.get("inline_keyboard") else None

    def _editable(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None or message["from"]["id"] != self.bot["id"]:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _bot_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        chat = self._chats.get(chat_id) or {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        bot_user = {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}
        return self._new_message(chat, bot_user, **content)

    def _record(
        self,
        method: str,
        message: dict[str, Any],
        source: str,
        document: tuple[str, str, bytes] | None = None,
    ) -> None:
        sent = SentMessage(
            method=method,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=message.get("text", message.get("caption", "")),
            source=source,
            entities=list(message.get("entities", message.get("caption_entities", []))),
            reply_markup=message.get("reply_markup"),
            document=document,
            reply_to=(message.get("reply_to_message") or {}).get("message_id"),
            at=time.monotonic(),
        )
        self.sent.append(sent)
        if not method.startswith("edit"):
            self._sent_by_chat.setdefault(sent.chat_id, []).append(sent)


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _user_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's clients attach to a user's text: a leading command, @mentions."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
    position = 0
    for word in text.split(" "):
        if word.startswith("@") and len(word) > 1:
            entities.append(
                {"type": "mention", "offset": utf16_len(text[:position]), "length": utf16_len(word)}
            )
        position += len(word) + 1
    return entities


# ---- running the real transport against the stand-in -----------------------------------------


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[BotApiStandIn]:
    """A stand-in listening on 127.0.0.1 for the duration of the block."""
    server = BotApiStandIn()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_settings(standin: BotApiStandIn, data_dir: Path, **telegram: Any) -> Any:
    """Settings whose Telegram section points at the stand-in (and whose data lives in ``data_dir``)."""
    from bot.settings import Settings, TelegramSettings

    return Settings(
        data_dir=str(data_dir),
        telegram=TelegramSettings(
            token=TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url, **telegram
        ),
    )


@contextlib.asynccontextmanager
async def running_bot(standin: BotApiStandIn, settings: Any, core: Any = None) -> AsyncIterator[Any]:
    """Run the real Telegram transport until the block ends; yield its router once updates flow."""
    from bot.adapters.telegram import run_transport
    from bot.app import build_core
    from bot.dispatch import Dispatcher
    from bot.router import Router

    router = Router()
    stop = asyncio.Event()
    dispatcher = Dispatcher(core if core is not None else build_core(settings))
    task = asyncio.create_task(run_transport(settings, dispatcher, router, stop))
    # The transport registers itself with the router once updates flow (polling or webhook).
    while "telegram" not in router.transports:
        if task.done():
            task.result()  # surface the start-up failure
            raise AssertionError("the Telegram transport ended during start-up")
        await asyncio.sleep(0.01)
    try:
        yield router
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
