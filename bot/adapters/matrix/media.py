"""Files on Matrix: where an upload is (plain or encrypted), downloading it for the core, uploading a reply's file."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, replace
from typing import Any

import nio
from nio.crypto.attachments import decrypt_attachment

from bot.adapters.base import human_size
from bot.adapters.matrix.client import MatrixClient
from bot.adapters.matrix.render import render_reply
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, both_languages, t
from bot.messages import Attachment, OutgoingFile, Reply

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter

# Why a file could not reach the core is said in the bot's default language (Matrix does not tell the user's),
# after the core's own "I could not receive your file:" (catalogue: matrix_too_big, matrix_download_failed,
# matrix_decrypt_failed). Sentences sent without the core, to someone whose language is unknown, are said in
# both languages (matrix_encrypted_room, matrix_undecryptable, matrix_file_not_sent).


def file_content(
    name: str, mime: str, size: int, mxc: str, keys: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the ``m.file`` content for an uploaded file (``keys``: an encrypted upload's decryption keys)."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "info": {"mimetype": mime, "size": size},
    }
    if keys is None:
        content["url"] = mxc
    else:
        content["file"] = {"url": mxc, "mimetype": mime, **keys}
    return content


@dataclass(frozen=True)
class MediaRef:
    """Where an uploaded file is and how to read it, from an event's content."""

    name: str
    mime: str
    size: int | None
    mxc: str
    # Encrypted attachment (``content.file``): JWK key, IV and SHA-256 of the ciphertext.
    key: str = ""
    iv: str = ""
    sha256: str = ""
    caption: str = ""

    @property
    def encrypted(self) -> bool:
        return bool(self.key)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def media_ref(content: dict[str, Any]) -> MediaRef | None:
    """Read the file reference of an ``m.file``/``m.image`` content, plain or encrypted; None if unusable."""
    raw_info = content.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    body, filename = _text(content.get("body")), _text(content.get("filename"))
    name = filename or body or "fichier"
    # Since Matrix 1.10 a body that differs from the filename is the caption.
    caption = body if filename and body and body != filename else ""
    raw_size = info.get("size")
    size = raw_size if isinstance(raw_size, int) and not isinstance(raw_size, bool) else None
    mime = _text(info.get("mimetype"))
    encrypted = content.get("file")
    if isinstance(encrypted, dict):
        return _encrypted_ref(encrypted, MediaRef(name, mime, size, "", caption=caption))
    url = content.get("url")
    if not isinstance(url, str):
        return None
    return MediaRef(name, mime or "application/octet-stream", size, url, caption=caption)


def _encrypted_ref(encrypted: dict[str, Any], plain: MediaRef) -> MediaRef | None:
    """Complete ``plain`` (name, mime, size, caption) with an encrypted attachment's URL and keys."""
    key = encrypted.get("key")
    hashes = encrypted.get("hashes")
    url, iv = encrypted.get("url"), encrypted.get("iv")
    if not (
        isinstance(key, dict) and isinstance(hashes, dict) and isinstance(url, str) and isinstance(iv, str)
    ):
        return None
    k, sha = key.get("k"), hashes.get("sha256")
    if not (isinstance(k, str) and isinstance(sha, str)):
        return None
    mime = plain.mime or str(encrypted.get("mimetype") or "")
    return replace(plain, mime=mime or "application/octet-stream", mxc=url, key=k, iv=iv, sha256=sha)


class MatrixMedia(MatrixClient):
    """Downloads the files users send and uploads the bot's."""

    def _error_text(self, reason: str, **params: str) -> str:
        lang = (
            self.settings.default_language
            if self.settings.default_language in LANGUAGES
            else DEFAULT_LANGUAGE
        )
        return t(lang, f"matrix_{reason}", **params)

    async def _download(self, ref: MediaRef) -> tuple[Attachment | None, str | None]:
        limit = self.config.max_download_bytes
        lang = self.settings.default_language
        if ref.size is not None and ref.size > limit:
            size, most = human_size(ref.size, lang), human_size(limit, lang)
            return None, self._error_text("too_big", name=ref.name, size=size, limit=most)
        if not ref.mxc.startswith("mxc://"):
            return None, self._error_text("download_failed", name=ref.name)
        response = await self.client.download(mxc=ref.mxc)
        data = getattr(response, "body", None)
        if isinstance(response, nio.DownloadError) or not isinstance(data, bytes):
            log.warning("download of %s failed: %s", ref.mxc, getattr(response, "message", response))
            return None, self._error_text("download_failed", name=ref.name)
        if len(data) > limit:  # info.size was missing or understated
            size, most = human_size(len(data), lang), human_size(limit, lang)
            return None, self._error_text("too_big", name=ref.name, size=size, limit=most)
        if ref.encrypted:
            try:
                data = decrypt_attachment(data, ref.key, ref.sha256, ref.iv)
            except Exception:
                log.warning("could not decrypt %s", ref.mxc, exc_info=True)
                return None, self._error_text("decrypt_failed", name=ref.name)
        mime = ref.mime
        if mime == "application/octet-stream":
            mime = str(getattr(response, "content_type", "") or mime).split(";")[0].strip()
        return Attachment(name=ref.name, mime=mime, data=data), None

    async def _upload(self, room_id: str, file: OutgoingFile) -> dict[str, Any]:
        """Upload a file (encrypted for an encrypted room) and return its m.file content, or a notice."""
        encrypt = self.encrypted and self._room_encrypted(room_id)
        upload, keys = await self.client.upload(
            io.BytesIO(file.data),
            content_type=file.mime,
            filename=file.name,
            filesize=len(file.data),
            encrypt=encrypt,
        )
        if isinstance(upload, nio.UploadResponse):
            return file_content(
                file.name, file.mime, len(file.data), upload.content_uri, keys if encrypt else None
            )
        log.warning("upload of %s failed: %s", file.name, getattr(upload, "message", upload))
        (notice,) = render_reply(Reply(both_languages("matrix_file_not_sent", name=file.name)))
        return notice
