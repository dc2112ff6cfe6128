"""Names vulture cannot see used: hooks a framework calls by name, and settings a library reads.

Not imported by anything: ``tools/code_limits.py`` hands it to vulture beside the code.
"""

_ = None

# Framework entry points, called by name.
_.SUPPORTED_METHODS  # tornado request handlers (bot/adapters/telegram/webhook.py)
_.log_exception  # tornado RequestHandler hook
_.do_GET  # http.server handler (bot/metrics.py)
_.log_message  # http.server handler hook
_.log_error  # http.server handler hook
_.daemon_threads  # socketserver.ThreadingMixIn setting
_.down_revision  # alembic revision module attributes (bot/migrations/versions)
_.branch_labels
_.depends_on
_.downgrade  # alembic revision function
_.type_  # alembic include_object callback argument (bot/migrations/env.py)
_.model_config  # pydantic-settings (bot/settings.py)
_.settings_customise_sources  # pydantic-settings hook, called with these keyword arguments:
_.env_settings
_.dotenv_settings
_.file_secret_settings
_._on_connect  # SQLAlchemy "connect" event listener (bot/store/engine.py)
_.__getattr__  # module attribute hook, imports on first use (dossier_checker/__init__.py)
_.handle_startendtag  # html.parser.HTMLParser hooks (knowledge/markdown_codes.py)
_.handle_endtag
_.handle_data
_.get_all  # ArticleIndex: called by the code bench/index.py runs in a child process (a string)

# Settings of other libraries, read by them.
_.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb limit (dossier_checker/imaging.py)
_.core_fonts_encoding  # fpdf2 (bot/letter.py)
_.tempdir  # tempfile's folder (bot/workspace.py)

# Values recorded for people rather than read by code.
_.feedback_at  # analytics column: when a user gave feedback (bot/analytics.py)
_.waited  # FairPool.started history: shown in its repr, for diagnostics (dossier_checker/pool.py)
_.counted_from  # facts files: validated on load, documented there, not shown yet (knowledge/facts.py)
_.uncovered_articles
_.reductions_part

# Pending: dead code in files other helpers are changing now (#10); remove there, then drop these lines.
_.min_coverage_unknown_subject  # bot/answering/config.py (and config/answering.toml)
_.OUT_OF_SCOPE  # bot/answering/neighbours.py
_.ROUTES  # bot/answering/confidence.py
_.see_also  # bot/answering/quoting.py
_.pause_from  # knowledge/calculators.py
_.pause_to
_.threshold_days
_._only_languages  # pydantic validators of the facts files, called by pydantic (knowledge/facts_models.py)
_._adjoining
_._all_fourteen
_._numbers_as_text
_._every_article
_._quoted
_._listed_points
_._consistent  # pydantic model validators of the dossier spec models (dossier_checker/spec_reading.py)
# Validation settings of a spec field: read by name from the model's dump (bot/walkthrough.py).
_.min_length
_.max_length
_.min_items
_.max_items
_.not_before
_.not_after
_.notice_within_days
_.notice_article
_.integer
