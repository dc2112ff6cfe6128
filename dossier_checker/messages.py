"""Every sentence the checker shows, in French and English, keyed by message id."""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: dict[str, dict[str, str]] = {
    # Files that cannot be read.
    "file_empty": {"fr": "Le fichier est vide.", "en": "The file is empty."},
    "file_too_big": {
        "fr": "Le fichier est trop volumineux ({detail} Mo ; {limit} Mo au plus).",
        "en": "The file is too large ({detail} MB; {limit} MB at most).",
    },
    "file_not_pdf": {
        "fr": "Ce fichier n'est pas d'un format lisible : envoyez un PDF, une photo (JPEG, PNG, HEIC) "
        "ou un document Word (DOCX, DOC) ou OpenDocument (ODT).",
        "en": "This file is not in a readable format: please send a PDF, a photo (JPEG, PNG, HEIC) "
        "or a Word (DOCX, DOC) or OpenDocument (ODT) document.",
    },
    "office_damaged": {
        "fr": "Ce document Word ou OpenDocument est endommagé et ne peut pas être lu : "
        "enregistrez-le à nouveau ou exportez-le en PDF.",
        "en": "This Word or OpenDocument file is damaged and cannot be read: please save it again or "
        "export it as a PDF.",
    },
    "office_bomb": {
        "fr": "Ce document se décompresse en une taille anormale (fichier piégé ?) : il a été ignoré.",
        "en": "This document unpacks to an abnormal size (booby-trapped file?): it was skipped.",
    },
    "office_dtd": {
        "fr": "Ce document contient des déclarations XML qu'aucun traitement de texte n'écrit "
        "(fichier piégé ?) : il a été ignoré.",
        "en": "This document contains XML declarations no word processor writes (booby-trapped file?): "
        "it was skipped.",
    },
    "office_encrypted": {
        "fr": "Ce document Word est protégé par un mot de passe : envoyez une version sans mot de passe ou un PDF.",
        "en": "This Word document is password-protected: please send a version without a password, or a PDF.",
    },
    "office_empty": {
        "fr": "Ce document ne contient pas de texte : s'il s'agit d'images, envoyez un PDF ou des photos.",
        "en": "This document has no text: if it holds pictures, please send a PDF or photos.",
    },
    "office_doc_unavailable": {
        "fr": "Les anciens fichiers Word (.doc) ne peuvent pas être lus ici : envoyez un DOCX ou un PDF.",
        "en": "Old Word files (.doc) cannot be read here: please send a DOCX or a PDF.",
    },
    "file_encrypted": {
        "fr": "Ce PDF est protégé par un mot de passe : un mot de passe est nécessaire pour l'ouvrir. "
        "Envoyez une version sans mot de passe.",
        "en": "This PDF is password-protected: a password is needed to open it. Please send a version "
        "without a password.",
    },
    "file_encrypted_unsupported": {
        "fr": "Ce PDF est chiffré d'une manière qui ne peut pas être lue : envoyez une version non chiffrée.",
        "en": "This PDF is encrypted in a way that cannot be read: please send an unencrypted version.",
    },
    "file_truncated": {
        "fr": "Ce PDF semble incomplet (téléchargement ou copie interrompu) : envoyez-le à nouveau.",
        "en": "This PDF looks incomplete (interrupted download or copy): please send it again.",
    },
    "file_damaged": {
        "fr": "Ce PDF est endommagé et ne peut pas être lu : exportez-le à nouveau ou envoyez un scan.",
        "en": "This PDF is damaged and cannot be read: please export it again or send a scan.",
    },
    "file_no_pages": {"fr": "Ce PDF ne contient aucune page.", "en": "This PDF has no pages."},
    "file_too_many_pages": {
        "fr": "Ce PDF a trop de pages ({detail}) : envoyez les pièces séparément.",
        "en": "This PDF has too many pages ({detail}): please send the pieces separately.",
    },
    "file_too_complex": {
        "fr": "Ce fichier demande trop de mémoire pour être lu (fichier anormal ou piégé) : il a été ignoré.",
        "en": "This file needs too much memory to read (abnormal or booby-trapped file): it was skipped.",
    },
    "file_too_slow": {
        "fr": "La lecture de ce fichier a dépassé le temps permis ({detail} s) : il a été ignoré.",
        "en": "Reading this file took longer than allowed ({detail} s): it was skipped.",
    },
    "file_unread_pages": {
        "fr": "Pages non lues dans le temps permis ({seconds} s par fichier) : {pages}. Le fichier a été vérifié "
        "sur les autres pages ; envoyez les pages non lues dans un fichier à part.",
        "en": "Pages not read within the time allowed ({seconds} s per file): {pages}. The file was checked on "
        "the other pages; please send the unread pages in a separate file.",
    },
    "file_crashed_parser": {
        "fr": "Ce fichier a fait échouer le lecteur de PDF ({detail}) : il a été ignoré.",
        "en": "This file made the PDF reader fail ({detail}): it was skipped.",
    },
    "image_too_big": {
        "fr": "Cette image a trop de pixels pour être lue ({detail}) : envoyez une photo plus petite.",
        "en": "This image has too many pixels to read ({detail}): please send a smaller photo.",
    },
    "image_damaged": {
        "fr": "Cette image est endommagée et ne peut pas être lue.",
        "en": "This image is damaged and cannot be read.",
    },
    "ocr_unavailable": {
        "fr": "La reconnaissance de texte (OCR) n'est pas disponible : les pages scannées n'ont pas été lues.",
        "en": "Text recognition (OCR) is not available: scanned pages were not read.",
    },
    # Warnings on pieces.
    "warn_diploma_not_certified": {
        "fr": "La copie du diplôme ne porte pas de mention « copie certifiée conforme ».",
        "en": 'The diploma copy has no "copie certifiée conforme" (certified true copy) mention.',
    },
    "warn_diploma_name_differs": {
        "fr": "Le nom « {name} » du responsable n'apparaît pas sur le diplôme.",
        "en": 'The responsible\'s name "{name}" does not appear on the diploma.',
    },
    "warn_plan_no_dimensions": {
        "fr": "Le plan ne porte pas de cotes (dimensions) : un « plan coté » est demandé.",
        "en": 'The plan shows no dimensions: a dimensioned plan ("plan coté") is required.',
    },
    "warn_plans_one_state": {
        "fr": "On ne trouve pas à la fois l'état avant et l'état après modification.",
        "en": "The plans do not show both the state before and after the change.",
    },
    "warn_minutes_no_approval": {
        "fr": "Le procès-verbal ne semble pas approuver le transfert ou la location-gérance.",
        "en": "The minutes do not appear to approve the transfer or the lease-management.",
    },
    "warn_minutes_one_company": {
        "fr": "Un seul procès-verbal trouvé : il faut celui de l'organe compétent de chaque entreprise.",
        "en": "Only one set of minutes found: each company's competent body must approve.",
    },
    # Cross-checks (dossier_checker/crosscheck.py): answers against documents, documents against each other.
    "warn_company_name_differs": {
        "fr": "Ce document nomme la société « {found} », et non « {name} » comme vos réponses.",
        "en": 'This document names the company "{found}", not "{name}" as in your answers.',
    },
    "warn_company_name_absent": {
        "fr": "La société « {name} » de vos réponses n'est pas nommée dans ce document.",
        "en": 'The company "{name}" of your answers is not named in this document.',
    },
    "warn_registration_other_company": {
        "fr": "Cet extrait est celui d'une autre société (« {found} ») que « {name} » : "
        "il ne prouve pas la constitution de votre société.",
        "en": 'This extract is that of another company ("{found}"), not "{name}": '
        "it does not prove your company is constituted.",
    },
    "warn_company_form_differs": {
        "fr": "Ce document indique la forme {found}, et vos réponses {form} : corrigez l'une ou l'autre.",
        "en": "This document gives the legal form {found}, your answers {form}: correct one or the other.",
    },
    "warn_registration_foreign": {
        "fr": "Cet extrait vient d'un registre français (RCS, Kbis) : pour une {form} monégasque, "
        "joignez l'extrait du Répertoire du Commerce et de l'Industrie (RCI) de Monaco.",
        "en": "This extract comes from a French register (RCS, Kbis): for a Monegasque {form}, attach the "
        "extract of Monaco's Trade and Industry Register (RCI).",
    },
    "warn_address_differs": {
        "fr": "L'adresse « {address} » de vos réponses ne figure pas dans ce document.",
        "en": 'The address "{address}" of your answers is not in this document.',
    },
    "warn_registration_number_differs": {
        "fr": "Ce document cite le numéro d'immatriculation {number}, l'extrait d'immatriculation {registered}.",
        "en": "This document gives the registration number {number}, the registration extract {registered}.",
    },
    "warn_date_past": {
        "fr": "La date « {field} » ({date}) est passée : corrigez-la avant d'envoyer la demande.",
        "en": 'The date "{field}" ({date}) has passed: correct it before sending the request.',
    },
    "warn_date_within_delay": {
        "fr": "La date « {field} » ({date}) tombe dans le délai de {days} jours dont le ministre dispose "
        "pour décider : l'autorisation peut ne pas être délivrée avant le {earliest}.",
        "en": 'The date "{field}" ({date}) falls within the {days} days the Minister has to decide: '
        "the authorisation may not be granted before {earliest}.",
    },
    "warn_undated": {
        "fr": "Le document ne semble pas daté.",
        "en": "The document does not seem to be dated.",
    },
    "warn_registration_old": {
        "fr": "L'extrait date du {date} : il a plus de trois mois, un extrait récent est d'usage.",
        "en": "The extract is dated {date}: it is over three months old; a recent extract is expected.",
    },
    "warn_ambiguous": {
        "fr": "Le document ressemble aussi à : {other}.",
        "en": "The document also looks like: {other}.",
    },
    "warn_plan_no_uses": {
        "fr": "Le plan n'indique pas l'utilisation de chaque zone (réception, stockage, bureaux…).",
        "en": "The plan does not say how each area is used (reception, storage, offices…).",
    },
    "warn_designation_not_responsible": {
        "fr": "Le document nomme ou élit quelqu'un, mais pas le pharmacien ou vétérinaire responsable.",
        "en": "The document appoints or elects someone, but not the responsible pharmacist or veterinarian.",
    },
    "warn_plans_pair_unlabelled": {
        "fr": "Deux plans des mêmes locaux, mais aucun ne dit lequel montre l'état avant et l'état après.",
        "en": "Two plans of the same premises, but neither says which shows the state before and after.",
    },
    "warn_looks_like": {
        "fr": "Ce document ressemble à {what}, pas à cette pièce.",
        "en": "This document looks like {what}, not this piece.",
    },
    # What a document that is no piece seems to be (config/checker.yaml, document_types).
    "doc_internal_rules": {"fr": "un règlement intérieur", "en": "internal rules (règlement intérieur)"},
    "doc_legal_notice": {"fr": "une annonce légale", "en": "a legal notice"},
    "doc_invoice": {"fr": "une facture ou un devis", "en": "an invoice or a quotation"},
    "doc_resume": {"fr": "un curriculum vitae", "en": "a résumé"},
    "doc_termination_notice": {"fr": "un avis de résiliation", "en": "a notice of termination"},
    "doc_attendance_sheet": {"fr": "une feuille d'émargement", "en": "an attendance sheet"},
    "doc_proxy": {"fr": "une procuration", "en": "a proxy"},
    "doc_convocation": {"fr": "une convocation", "en": "a notice of meeting"},
    "doc_brochure": {"fr": "une brochure ou un catalogue", "en": "a brochure or a catalogue"},
    "doc_insurance": {"fr": "une attestation d'assurance", "en": "an insurance certificate"},
    "doc_form": {"fr": "un formulaire", "en": "a form"},
    "doc_financial_report": {"fr": "un rapport financier ou moral", "en": "a financial or activity report"},
    "doc_site_plan": {"fr": "un plan de masse ou de situation", "en": "a site plan"},
    "doc_elevation": {"fr": "une façade ou une coupe", "en": "an elevation or a section"},
    "doc_electrical_plan": {"fr": "un plan électrique", "en": "an electrical plan"},
    "doc_object_drawing": {"fr": "le dessin d'un objet", "en": "a drawing of an object"},
    "doc_diploma_other": {
        "fr": "un diplôme qui n'est pas celui de docteur en pharmacie ou vétérinaire",
        "en": "a diploma other than a doctor of pharmacy or veterinary doctor's",
    },
    "doc_letter": {"fr": "une lettre", "en": "a letter"},
    "doc_declaration": {"fr": "une déclaration sur l'honneur", "en": "a sworn statement"},
    # The report.
    "status_present": {"fr": "présente", "en": "present"},
    "status_missing": {"fr": "manquante", "en": "missing"},
    "status_uncertain": {"fr": "à vérifier", "en": "uncertain"},
    "report_title": {"fr": "Vérification du dossier « {title} »", "en": 'Dossier check: "{title}"'},
    "report_complete": {
        "fr": "Dossier complet : toutes les pièces requises sont présentes.",
        "en": "Complete dossier: every required piece is present.",
    },
    "report_incomplete": {
        "fr": "Dossier incomplet : {missing} pièce(s) manquante(s), {uncertain} à vérifier.",
        "en": "Incomplete dossier: {missing} piece(s) missing, {uncertain} uncertain.",
    },
    "report_files": {"fr": "Fichiers", "en": "Files"},
    "report_file_line": {
        "fr": "{name} : {pages} page(s), dont {ocr} lue(s) par OCR",
        "en": "{name}: {pages} page(s), {ocr} read by OCR",
    },
    "report_pieces": {"fr": "Pièces", "en": "Pieces"},
    "col_piece": {"fr": "Pièce", "en": "Piece"},
    "col_article": {"fr": "Art.", "en": "Art."},
    "col_status": {"fr": "Statut", "en": "Status"},
    "col_where": {"fr": "Où", "en": "Where"},
    "optional": {"fr": "(facultative ici)", "en": "(not required here)"},
    "pages_short": {"fr": "p.", "en": "p."},
    "warning_prefix": {"fr": "Attention", "en": "Warning"},
    "article_word": {"fr": "art.", "en": "art."},
    "evidence_titles": {"fr": "titre", "en": "title"},
    "evidence_phrases": {"fr": "termes", "en": "terms"},
    "evidence_features": {"fr": "structure", "en": "structure"},
    "evidence_none": {"fr": "aucun document correspondant", "en": "no matching document"},
    "feature_drawing": {"fr": "dessin (traits nombreux)", "en": "drawing (many lines)"},
    "feature_dimension_labels": {"fr": "cotes", "en": "dimension labels"},
    "feature_scale": {"fr": "échelle", "en": "scale"},
    "feature_numbered_articles": {"fr": "articles numérotés", "en": "numbered articles"},
    "feature_registration_number": {"fr": "numéro d'immatriculation", "en": "registration number"},
    "feature_signature": {"fr": "signature", "en": "signature"},
    "feature_date": {"fr": "date", "en": "date"},
    "feature_money_amounts": {"fr": "montants", "en": "amounts"},
}


def message(key: str, lang: str = "fr", params: Mapping[str, object] | None = None) -> str:
    """Return a message in a language (French when unknown), with its parameters filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["fr"]
    return text.format(**params) if params else text
