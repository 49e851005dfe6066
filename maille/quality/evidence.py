"""Evidence files: what a site may upload with an answer, and where it is kept.

A file is accepted when it is not empty, not larger than ``QUALITY_EVIDENCE_MAX_BYTES``, its first bytes say
PDF, PNG or JPEG, its name's extension says the same, and it really parses (a PDF opens and has a page and no
script; an image decodes and is not a decompression bomb). It is then written under
``QUALITY_EVIDENCE_DIR`` with a random name: never under the web root, never under a name the user chose.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from django.conf import settings
from django.utils.translation import gettext as _

from maille.core.errors import DomainError

# (content type, the extensions its files may have, how its first bytes start)
ACCEPTED_TYPES = (
    ("application/pdf", (".pdf",), b"%PDF-"),
    ("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
)
ACCEPTED_LABEL = "PDF, PNG, JPEG"
MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel photo is already more than any phone takes
SCRIPT_MARKERS = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    extension: str
    data: bytes
    sha256: str


def _refused(message: str, code: str) -> DomainError:
    return DomainError(message, code=code, details={"field": "fichier"})


def clean_file_name(name: str) -> str:
    """The file's own name without any directory a browser may send (Windows or POSIX), at most 200
    characters, keeping its extension."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip() or "fichier"
    if len(base) > 200:
        stem, dot, extension = base.rpartition(".")
        base = (
            (stem[: 200 - len(extension) - 1] + "." + extension)
            if dot and len(extension) < 10
            else base[:200]
        )
    return base


def max_megabytes() -> str:
    return f"{settings.QUALITY_EVIDENCE_MAX_BYTES / 1024 / 1024:.0f}"


def check_size(name: str, size: int) -> None:
    """Refuse an empty or too large file (pages call it before reading an upload)."""
    display = clean_file_name(name)
    if not size:
        raise _refused(_("Le fichier « %(name)s » est vide.") % {"name": display}, "empty_file")
    if size > settings.QUALITY_EVIDENCE_MAX_BYTES:
        raise _refused(
            _("Le fichier « %(name)s » dépasse %(max)s Mo : réduisez-le (photo moins grande, PDF compressé).")
            % {"name": display, "max": max_megabytes()},
            "file_too_large",
        )


def check_upload(name: str, data: bytes) -> CheckedFile:
    """The file checked, or a ``DomainError`` saying in French what is wrong with it."""
    display = clean_file_name(name)
    check_size(name, len(data))
    detected = next((kind for kind in ACCEPTED_TYPES if data.startswith(kind[2])), None)
    if detected is None:
        raise _refused(
            _("Le fichier « %(name)s » n'est pas d'un type accepté (%(types)s).")
            % {"name": display, "types": ACCEPTED_LABEL},
            "forbidden_type",
        )
    content_type, extensions, _magic = detected
    extension = Path(display).suffix.lower()
    if extension not in extensions:
        raise _refused(
            _(
                "Le nom du fichier « %(name)s » ne correspond pas à son contenu (%(kind)s) : renommez-le en %(ext)s."
            )
            % {"name": display, "kind": content_type, "ext": extensions[0]},
            "extension_mismatch",
        )
    if content_type == "application/pdf":
        _check_pdf(display, data)
    else:
        _check_image(display, data, content_type)
    return CheckedFile(
        name=display,
        content_type=content_type,
        extension=extensions[0],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _unreadable(display: str) -> DomainError:
    return _refused(
        _("Le fichier « %(name)s » est illisible ou abîmé : enregistrez-le à nouveau puis réessayez.")
        % {"name": display},
        "malformed_file",
    )


def _check_pdf(display: str, data: bytes) -> None:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if any(marker in data for marker in SCRIPT_MARKERS):
        raise _refused(
            _(
                "Le PDF « %(name)s » contient du code ou des fichiers joints : imprimez-le en PDF puis réessayez."
            )
            % {"name": display},
            "active_content",
        )
    # pypdf logs what it repairs at warning level; a broken file is refused anyway.
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refused(
                _(
                    "Le PDF « %(name)s » est protégé par un mot de passe : enregistrez-en une copie sans protection."
                )
                % {"name": display},
                "encrypted_file",
            )
        if len(reader.pages) < 1:
            raise _unreadable(display)
        root = reader.trailer["/Root"]
        names = root.get("/Names")
        if names is not None and ("/JavaScript" in names or "/EmbeddedFiles" in names):
            raise _refused(
                _(
                    "Le PDF « %(name)s » contient du code ou des fichiers joints : imprimez-le en PDF puis réessayez."
                )
                % {"name": display},
                "active_content",
            )
    except DomainError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise _unreadable(display) from None
    finally:
        logger.setLevel(previous)


def _check_image(display: str, data: bytes, content_type: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _refused(
                        _(
                            "L'image « %(name)s » est trop grande (%(width)s × %(height)s pixels) : réduisez-la."
                        )
                        % {"name": display, "width": width, "height": height},
                        "image_too_large",
                    )
                if Image.MIME.get(image.format or "") != content_type:
                    raise _unreadable(display)
                image.verify()
            # verify() leaves the image unusable; decoding it whole catches a truncated file too.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _unreadable(display) from None
    except (OSError, SyntaxError, ValueError):
        raise _unreadable(display) from None


def evidence_directory() -> Path:
    return Path(settings.QUALITY_EVIDENCE_DIR)


def store(checked: CheckedFile) -> str:
    """Write the file under a random name; return that name (relative to the evidence directory)."""
    directory = evidence_directory()
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}{checked.extension}"
    path = directory / stored_name
    with open(path, "xb") as handle:  # "x": never overwrite
        handle.write(checked.data)
    return stored_name


def stored_path(stored_name: str) -> Path:
    # The stored name is ours (hex + extension), but a row edited by hand must not read outside the directory.
    path = (evidence_directory() / stored_name).resolve()
    if path.parent != evidence_directory().resolve():
        raise FileNotFoundError(stored_name)
    return path


def discard(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        stored_path(stored_name).unlink(missing_ok=True)
