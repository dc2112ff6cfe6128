"""The Matrix adapter's pure parts: allow-list, rendering, media references, saved state (no server)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.adapters.base import human_size, matrix_html, utf16_len
from bot.adapters.matrix import (
    MAX_BODY_CHARS,
    SyncState,
    inviter_allowed,
    load_state,
    media_ref,
    normalise_command,
    render_reply,
    save_state,
    server_of,
    split_text,
    strip_reply_fallback,
)
from bot.messages import Choice, Reply


def test_server_comes_from_the_user_id_only() -> None:
    assert server_of("@alice:gouv.mc") == "gouv.mc"
    assert server_of("@alice:matrix.example.org:8448") == "matrix.example.org:8448"
    # Room version 12 ids carry no server: they are not user ids and give nothing.
    assert server_of("!P4bJ3qGz1aJ7r8x5Kk2Vd0mTqS9wYzXcL6nHfE1uRtA") == ""
    assert server_of("") == ""


def test_allow_list_by_user_and_by_server() -> None:
    allowed = ("@agent:gouv.mc", ":pharmacie.mc")
    assert inviter_allowed("@agent:gouv.mc", allowed)
    assert inviter_allowed("@anyone:pharmacie.mc", allowed)
    assert not inviter_allowed("@other:gouv.mc", allowed)
    assert not inviter_allowed("@agent:gouv.mc.evil.org", allowed)
    assert not inviter_allowed("@x:evil.org", allowed)
    assert not inviter_allowed("", allowed)
    assert inviter_allowed("@x:evil.org", ())
    assert inviter_allowed("@x:pharmacie.mc", ("pharmacie.mc",))


def test_reply_has_plain_body_and_escaped_html_with_numbered_choices() -> None:
    reply = Reply(
        'Type <i>"x"</i> & co\nligne 2',
        choices=(Choice("Oui <b>", "yes"), Choice("Non", "no")),
    )
    (content,) = render_reply(reply)
    assert content["msgtype"] == "m.notice"
    assert content["body"] == 'Type <i>"x"</i> & co\nligne 2\n\n1. Oui <b>\n2. Non'
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        'Type &lt;i&gt;"x"&lt;/i&gt; &amp; co<br/>ligne 2<ol><li>Oui &lt;b&gt;</li><li>Non</li></ol>'
    )


def test_choices_without_text_and_empty_reply() -> None:
    (content,) = render_reply(Reply("", choices=(Choice("A", "a"),)))
    assert content["body"] == "1. A"
    assert content["formatted_body"] == "<ol><li>A</li></ol>"
    assert render_reply(Reply("")) == []


def test_long_replies_are_split_under_the_event_size() -> None:
    text = "\n\n".join(f"Paragraphe {n} " + "mot " * 400 for n in range(40))
    contents = render_reply(Reply(text, choices=(Choice("Suite", "next"),)))
    assert len(contents) > 1
    assert all(len(c["body"]) <= MAX_BODY_CHARS + 100 for c in contents)
    assert contents[-1]["body"].endswith("1. Suite")
    assert " ".join(c["body"] for c in contents).split()[:-2] == text.split()


def test_split_text_without_spaces_still_cuts() -> None:
    pieces = split_text("x" * 25_000, limit=10_000)
    assert [len(p) for p in pieces] == [10_000, 10_000, 5_000]


def test_reply_fallback_and_commands() -> None:
    assert strip_reply_fallback("> <@bot:s> Quel dossier ?\n> suite\n\n2") == "2"
    assert strip_reply_fallback("pas de citation") == "pas de citation"
    assert normalise_command("!article 14") == "/article 14"
    assert normalise_command("!") == "!"
    assert normalise_command("!!!") == "!!!"
    assert normalise_command("/help") == "/help"


def test_media_references_plain_encrypted_and_broken() -> None:
    plain = media_ref(
        {
            "msgtype": "m.file",
            "body": "mon plan",
            "filename": "plan.pdf",
            "url": "mxc://s/abc",
            "info": {"mimetype": "application/pdf", "size": 12},
        }
    )
    assert plain is not None
    assert (plain.name, plain.mime, plain.size, plain.mxc, plain.caption) == (
        "plan.pdf",
        "application/pdf",
        12,
        "mxc://s/abc",
        "mon plan",
    )
    assert not plain.encrypted

    encrypted = media_ref(
        {
            "msgtype": "m.file",
            "body": "statuts.pdf",
            "file": {
                "url": "mxc://s/enc",
                "key": {"k": "KEY", "alg": "A256CTR"},
                "iv": "IV",
                "hashes": {"sha256": "H"},
                "mimetype": "application/pdf",
            },
        }
    )
    assert encrypted is not None and encrypted.encrypted
    assert (encrypted.name, encrypted.mime, encrypted.size, encrypted.mxc) == (
        "statuts.pdf",
        "application/pdf",
        None,
        "mxc://s/enc",
    )
    assert (encrypted.key, encrypted.iv, encrypted.sha256) == ("KEY", "IV", "H")

    assert media_ref({"msgtype": "m.file", "body": "x"}) is None
    assert media_ref({"msgtype": "m.file", "body": "x", "file": {"url": "mxc://s/e"}}) is None
    assert (
        media_ref({"msgtype": "m.file", "body": "x", "url": "mxc://s/a", "info": {"size": "big"}}) is not None
    )


def test_sync_state_round_trip_and_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "matrix" / "sync_state.json"
    assert load_state(path, "@bot:s") == SyncState(user_id="@bot:s")
    state = SyncState(user_id="@bot:s", device_id="DEV", next_batch="s72_5", since_ms=1700000000000)
    save_state(path, state)
    assert load_state(path, "@bot:s") == state
    assert load_state(path, "@other:s") == SyncState(user_id="@other:s")
    path.write_text("{not json")
    assert load_state(path, "@bot:s") == SyncState(user_id="@bot:s")


def test_library_noise_stays_out_of_the_log_at_info() -> None:
    import logging

    from bot.serve import LibraryNoiseFilter, configure_logging
    from bot.settings import Settings

    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    root.handlers = []
    try:
        configure_logging(Settings(log_level="INFO"))
        (handler,) = root.handlers
        logging.getLogger("bm25s").setLevel(logging.DEBUG)  # what bm25s does on import

        def kept(name: str, level: int) -> bool:
            record = logging.LogRecord(name, level, __file__, 1, "x", None, None)
            return logging.getLogger(name).isEnabledFor(level) and all(
                f.filter(record) for f in handler.filters
            )

        assert any(isinstance(f, LibraryNoiseFilter) for f in handler.filters)
        assert not kept("nio.rooms", logging.INFO) and not kept("nio.crypto.log", logging.INFO)
        assert not kept("bm25s", logging.DEBUG) and not kept("bm25s", logging.INFO)
        assert kept("nio.rooms", logging.WARNING) and kept("bm25s", logging.WARNING)
        assert kept("bot.adapters.matrix", logging.INFO)
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]


def article_2_text(tmp_path: Path) -> str:
    from bot.app import build_core
    from bot.messages import Incoming, SessionKey
    from bot.settings import Settings

    core = build_core(Settings(data_dir=str(tmp_path)))
    try:
        (reply,) = core.handle(Incoming(SessionKey("matrix", "@a:x", "@a:x"), "/article 2"))
    finally:
        core.close()
    return reply.text


def test_article_2_is_cut_into_events_element_shows_well_at_item_starts(tmp_path: Path) -> None:
    text = article_2_text(tmp_path)
    assert len(text) > MAX_BODY_CHARS
    contents = render_reply(Reply(text))
    assert len(contents) >= 3
    assert all(utf16_len(c["body"]) <= MAX_BODY_CHARS for c in contents)
    # Each later event starts an item ("5° …"), never inside one (items continue on indented lines).
    assert all(re.match(r"\d+° ", c["body"]) for c in contents[1:]), [c["body"][:30] for c in contents]
    assert "\n".join(c["body"] for c in contents) == text


def test_matrix_html_sets_the_lead_apart_quotes_passages_and_keeps_indentation() -> None:
    text = (
        "Il faut 2 pharmaciens assistants (art. 38 b).\n\n"
        "« Pour chaque établissement […] b) un deuxième pharmacien ; »\n"
        "— Art. 38, b), Arrêté Ministériel n° 2003-175\n\n"
        "📄 plans.pdf\n"
        "   ✅ trouvé : Plans <avant/après>"
    )
    formatted = matrix_html(text)
    assert formatted.startswith("<strong>Il faut 2 pharmaciens assistants (art. 38 b).</strong>")
    assert (
        "<blockquote>« Pour chaque établissement […] b) un deuxième pharmacien ; »<br/>"
        "— Art. 38, b), Arrêté Ministériel n° 2003-175</blockquote>"
    ) in formatted
    assert "📄 plans.pdf<br/>&nbsp;&nbsp;&nbsp;✅ trouvé : Plans &lt;avant/après&gt;" in formatted
    # One line, one paragraph: no lead to set apart.
    assert matrix_html("Bonjour & bienvenue") == "Bonjour &amp; bienvenue"


def test_sizes_are_written_as_users_read_them() -> None:
    assert human_size(int(20.9 * 1024 * 1024), "fr") == "20,9 Mo"
    assert human_size(int(20.9 * 1024 * 1024), "en") == "20.9 MB"
    assert human_size(1000, "fr") == "1000 o" and human_size(2048, "en") == "2 kB"
