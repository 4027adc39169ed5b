"""Post-processing of chalice's ``deployment.zip``: bytecode for the Lambda runtime's Python, fewer botocore models.

Lambda unpacks the zip onto a read-only file system, so a module without a usable ``.pyc`` is compiled from source
on every cold start and the result is thrown away. :func:`optimise` adds a ``__pycache__/<mod>.cpython-311.pyc``
for every ``.py``, hash-based and unchecked: a timestamp pyc would be compared with the source's mtime, which the zip
stores with 2-second granularity and no time zone (chalice writes 1980-01-01 for every entry), so it could be judged
stale and recompiled, silently, on every cold start. An unchecked pyc is used as it is; the zip is rebuilt as a
whole on every change, so it cannot be older than its source.

It keeps only the CLDR data of the chat's languages from Babel's ``locale-data`` (about 1,100 locales, 35 MB
unpacked): each language's locale (``cldr`` in ``chalicelib/i18n/languages.json``) and every locale Babel merges
into it (its parents up to ``root``, as ``babel.localedata.load`` walks them: ``en_IT`` → ``en_150`` → ``en_001`` →
``en`` → ``root``; ``zh_Hans`` → ``zh`` → ``root``).

It also drops the data of the botocore services that neither the code nor botocore's own credential providers call
(about 440 of 450 services, 15 MB of the zip: BENCHMARKS.md, "Cold start and package size"). boto3, botocore and
s3transfer stay in the zip (pinned in requirements.txt) rather than coming from the runtime: the decision and its
figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import sys
import zipfile
from pathlib import Path

# The Lambda runtime (``python3.11``): its pycs must come from the same minor version (magic number and cache tag).
RUNTIME = (3, 11)
CACHE_TAG = f"cpython-{RUNTIME[0]}{RUNTIME[1]}"
# botocore services kept: what the code creates clients for (bootstrap.Container.client, PynamoDB's dynamodb,
# dynamodbstreams for the stream records' shape), and what botocore's credential and token providers may create
# (sts for web identity and assume role, sso/sso-oidc for SSO profiles, signin for `aws login` profiles).
SERVICES = frozenset({"dynamodb", "dynamodbstreams", "s3", "sqs", "secretsmanager", "sts", "sso", "sso-oidc", "signin"})
_DATA = "botocore/data/"
_LOCALE_DATA = "babel/locale-data/"
LANGUAGES_FILE = Path(__file__).resolve().parent.parent / "chalicelib" / "i18n" / "languages.json"
# Reproducible entries: one fixed time (the zip format's epoch, as chalice writes), one mode, sorted names.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # a regular file, readable by the runtime's user
_HASH_BASED = 0b01  # pyc flags (PEP 552): bit 0 hash-based, bit 1 check the source; unchecked = bit 0 only


def _parent(name: str) -> str:
    """The locale whose data Babel merges under ``name``'s (``babel.localedata.load``'s rule, on its global data)."""
    from babel.core import get_global, parse_locale

    exception = get_global("parent_exceptions").get(name)
    if exception:
        return str(exception)
    language, _, script, *_ = parse_locale(name)
    if script:  # a script that is not the language's likely one (zh_Hant) starts again from root
        likely = parse_locale(get_global("likely_subtags").get(language, language))[2]
        if script != likely:
            return "root"
    return name.rpartition("_")[0] or "root"


def cldr_locales(languages_file: Path = LANGUAGES_FILE) -> frozenset[str]:
    """The CLDR locales the chat's languages load: each one and its parents, ``root`` included."""
    wanted = {language["cldr"] for language in json.loads(languages_file.read_text(encoding="utf-8"))["languages"]}
    found = {"root"}
    for locale in wanted:
        name = locale
        while name != "root":
            found.add(name)
            name = _parent(name)
    return frozenset(found)


def kept(name: str, locales: frozenset[str] = frozenset()) -> bool:
    """Whether the zip entry ``name`` stays: not a pyc of the build machine's, not an unused service's model, not the
    CLDR data of a locale outside ``locales``."""
    if name.startswith(_LOCALE_DATA):
        file = name[len(_LOCALE_DATA) :]
        return not file.endswith(".dat") or file[: -len(".dat")] in locales  # LICENSE.unicode stays
    if "__pycache__/" in name or name.endswith((".pyc", ".pyo")):
        return False  # chalice copies the working tree's caches: other interpreters', timestamp-based, maybe stale
    if name.startswith(_DATA):
        service = name[len(_DATA) :].split("/", 1)
        # Files directly in data/ (endpoints.json, partitions.json, _retry.json, sdk-default-configuration.json)
        # are what every client loads.
        return len(service) == 1 or service[0] in SERVICES
    return True


def cache_name(source: str) -> str:
    """Where the runtime looks for the bytecode of ``source`` (``a/b.py`` -> ``a/__pycache__/b.cpython-311.pyc``)."""
    folder, _, file = source.rpartition("/")
    pyc = f"__pycache__/{file[: -len('.py')]}.{CACHE_TAG}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def unchecked_pyc(source: bytes, name: str) -> bytes:
    """The unchecked-hash pyc of ``source`` (what ``py_compile`` writes with ``UNCHECKED_HASH``), built in memory.

    ``name`` is the file name recorded in the code objects: the path inside the zip, so the bytes do not depend on
    where the build ran (the import system replaces it with the real path on load anyway).
    """
    code = compile(source, name, "exec", dont_inherit=True, optimize=-1)
    header = importlib.util.MAGIC_NUMBER + _HASH_BASED.to_bytes(4, "little") + importlib.util.source_hash(source)
    return header + marshal.dumps(code)


def optimise(zip_path: Path) -> None:
    """Rewrite ``zip_path`` in place: unused botocore models and CLDR locales out, an unchecked-hash pyc next to every
    ``.py``."""
    if sys.version_info[:2] != RUNTIME:
        raise RuntimeError(
            f"pycs for the python{RUNTIME[0]}.{RUNTIME[1]} runtime must be compiled by that Python, not "
            f"{sys.version_info[0]}.{sys.version_info[1]}"
        )
    locales = cldr_locales()
    temporary = zip_path.with_name(f"{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(temporary, "w") as target:
            entries: dict[str, tuple[int, bytes]] = {}  # name -> (mode bits, content)
            for info in source.infolist():
                if info.is_dir() or not kept(info.filename, locales):
                    continue
                data = source.read(info)
                entries[info.filename] = (info.external_attr >> 16 or _FILE_MODE, data)
                if info.filename.endswith(".py"):
                    entries[cache_name(info.filename)] = (_FILE_MODE, unchecked_pyc(data, info.filename))
            for name in sorted(entries):
                mode, data = entries[name]
                entry = zipfile.ZipInfo(name, _FIXED_TIME)
                entry.external_attr = mode << 16
                entry.create_system = 3  # Unix, so that the mode is honoured when unpacked
                target.writestr(entry, data, zipfile.ZIP_DEFLATED, compresslevel=9)
        os.replace(temporary, zip_path)
    finally:
        temporary.unlink(missing_ok=True)
