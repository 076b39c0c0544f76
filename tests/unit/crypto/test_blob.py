"""The v1 ciphertext blob: frozen vectors, layout, and the properties decrypt must keep."""

from __future__ import annotations

import importlib.util
import json
import threading
import uuid
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from strongroom.crypto import blob
from strongroom.crypto import encryption_context as ec
from strongroom.crypto.blob import InvalidBlob

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"
VECTORS: list[dict[str, Any]] = json.loads(
    (VECTORS_DIR / "blob_v1.json").read_text(encoding="utf-8")
)["cases"]

MATERIAL = bytes(range(32))
OTHER_MATERIAL = bytes(range(1, 33))
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ID = "0987dcba-09ba-87dc-65fe-ba0987654321"
VERSION_ID = b"\x11" * 32
OTHER_VERSION_ID = b"\x22" * 32
SALT = b"\x5a" * 16
NONCE = b"\xa5" * 12

# Encryption is cheap, but a loaded CI machine can miss Hypothesis's default 200 ms deadline.
PROPERTY = settings(deadline=None, max_examples=200)

plaintexts = st.binary(max_size=4096)
contexts = st.dictionaries(st.text(max_size=16), st.text(max_size=16), max_size=6)
salts = st.binary(min_size=16, max_size=16)
nonces = st.binary(min_size=12, max_size=12)


def seal(
    plaintext: bytes = b"secret",
    context: dict[str, str] | None = None,
    *,
    material: bytes = MATERIAL,
    key_id: str = KEY_ID,
    version_id: bytes = VERSION_ID,
    salt: bytes = SALT,
    nonce: bytes = NONCE,
) -> bytes:
    return blob.encrypt(
        material, key_id, version_id, plaintext, ec.encode(context), salt=salt, nonce=nonce
    )


def _load_generator() -> ModuleType:
    path = VECTORS_DIR / "generate_blob_v1.py"
    spec = importlib.util.spec_from_file_location("generate_blob_v1", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- frozen known-answer vectors ------------------------------------------------------------


def test_vector_file_covers_the_required_cases() -> None:
    lengths = {len(bytes.fromhex(v["plaintext"])) for v in VECTORS}
    context_sizes = {len(v["encryption_context"]) for v in VECTORS}
    assert len(VECTORS) >= 6
    assert {0, 1, 32, 4096} <= lengths
    assert {0, 2} <= context_sizes
    assert any(not k.isascii() for v in VECTORS for k in v["encryption_context"])


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_encrypt_reproduces_the_frozen_vector(vector: dict[str, Any]) -> None:
    encoded = ec.encode(vector["encryption_context"])
    assert encoded.hex() == vector["encoded_context"]
    sealed = blob.encrypt(
        bytes.fromhex(vector["material"]),
        vector["key_id"],
        bytes.fromhex(vector["version_id"]),
        bytes.fromhex(vector["plaintext"]),
        encoded,
        salt=bytes.fromhex(vector["salt"]),
        nonce=bytes.fromhex(vector["nonce"]),
    )
    assert sealed.hex() == vector["blob"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_decrypt_opens_the_frozen_vector(vector: dict[str, Any]) -> None:
    sealed = bytes.fromhex(vector["blob"])
    plaintext = blob.decrypt(
        bytes.fromhex(vector["material"]), sealed, ec.encode(vector["encryption_context"])
    )
    assert plaintext.hex() == vector["plaintext"]
    header = blob.parse_header(sealed)
    assert header.key_id == vector["key_id"]
    assert header.version_id.hex() == vector["version_id"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_frozen_vector_rejects_an_empty_context_unless_it_was_sealed_with_one(
    vector: dict[str, Any],
) -> None:
    sealed = bytes.fromhex(vector["blob"])
    wrong = {"extra": "pair"} if not vector["encryption_context"] else {}
    with pytest.raises(InvalidBlob):
        blob.decrypt(bytes.fromhex(vector["material"]), sealed, ec.encode(wrong))


def test_independent_implementation_still_generates_the_frozen_vectors() -> None:
    """The generator (pycryptodome, hand-written HKDF) and the JSON have not drifted apart."""
    pytest.importorskip("Crypto", reason="pycryptodome (a test extra) is not installed")
    generator = _load_generator()
    generator.check_hkdf_expand()
    assert generator.build()["cases"] == VECTORS


# --- layout ----------------------------------------------------------------------------------


def test_header_and_overhead_sizes_match_the_documented_layout() -> None:
    assert blob.HEADER_LENGTH == 77
    assert blob.OVERHEAD == 93


def test_blob_fields_sit_at_their_documented_offsets() -> None:
    sealed = seal(b"hello")
    assert len(sealed) == blob.OVERHEAD + 5
    assert sealed[0] == 0x01
    assert sealed[1:17] == uuid.UUID(KEY_ID).bytes
    assert sealed[17:49] == VERSION_ID
    assert sealed[49:65] == SALT
    assert sealed[65:77] == NONCE


def test_largest_encrypt_plaintext_fits_the_kms_ciphertext_ceiling() -> None:
    # CiphertextType allows 6144 bytes; Encrypt accepts up to 4096 (kms-semantics §19).
    assert len(seal(b"\x00" * 4096)) <= 6144


def test_parse_header_names_the_key_and_version() -> None:
    header = blob.parse_header(seal())
    assert header == blob.BlobHeader(key_id=KEY_ID, version_id=VERSION_ID)


def test_parse_header_rejects_a_blob_shorter_than_the_overhead() -> None:
    with pytest.raises(InvalidBlob):
        blob.parse_header(seal(b"")[:-1])


@given(version=st.integers(0, 255).filter(lambda v: v != 1))
def test_parse_header_rejects_an_unknown_format_version(version: int) -> None:
    with pytest.raises(InvalidBlob):
        blob.parse_header(bytes([version]) + seal()[1:])


def test_same_inputs_give_the_same_blob() -> None:
    assert seal(b"x", {"a": "b"}) == seal(b"x", {"a": "b"})


def test_a_different_salt_gives_a_different_message_key_even_with_the_same_nonce() -> None:
    plaintext = b"\x00" * 64
    first = seal(plaintext, salt=b"\x01" * 16)
    second = seal(plaintext, salt=b"\x02" * 16)
    body = slice(blob.HEADER_LENGTH, -blob.TAG_LENGTH)
    # Same nonce and plaintext: only a per-message key keeps the keystreams apart.
    assert first[body] != second[body]


def test_the_message_key_is_not_the_material_itself() -> None:
    sealed = seal(b"plain")
    aad = sealed[: blob.HEADER_LENGTH] + ec.EMPTY
    with pytest.raises(InvalidTag):
        AESGCM(MATERIAL).decrypt(NONCE, sealed[blob.HEADER_LENGTH :], aad)


# --- argument validation ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_encrypt_rejects_material_that_is_not_32_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="material must be 32 bytes"):
        seal(material=b"\x00" * length)


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_encrypt_rejects_a_version_id_that_is_not_32_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="version_id must be 32 bytes"):
        seal(version_id=b"\x00" * length)


@pytest.mark.parametrize("length", [0, 12, 15, 17])
def test_encrypt_rejects_a_salt_that_is_not_16_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="salt must be 16 bytes"):
        seal(salt=b"\x00" * length)


@pytest.mark.parametrize("length", [0, 11, 13, 16])
def test_encrypt_rejects_a_nonce_that_is_not_12_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="nonce 12 bytes"):
        seal(nonce=b"\x00" * length)


@pytest.mark.parametrize(
    "key_id",
    [
        "not-a-key-id",
        "1234abcd",
        KEY_ID + "00",
        KEY_ID[:-2],
        "mrk-1234abcd12ab34cd56ef1234567890ab",
    ],
)
def test_encrypt_rejects_a_key_id_that_is_not_a_uuid(key_id: str) -> None:
    with pytest.raises(ValueError):
        seal(key_id=key_id)


@given(key_id=st.uuids())
def test_any_uuid_key_id_is_stored_as_its_16_bytes_and_read_back_in_canonical_form(
    key_id: uuid.UUID,
) -> None:
    sealed = seal(key_id=str(key_id))
    assert sealed[1:17] == key_id.bytes
    assert blob.parse_header(sealed).key_id == str(key_id)


# --- properties ------------------------------------------------------------------------------


@PROPERTY
@given(plaintext=plaintexts, context=contexts, salt=salts, nonce=nonces)
@example(plaintext=b"", context={}, salt=SALT, nonce=NONCE)
def test_decrypt_undoes_encrypt_for_any_plaintext_and_context(
    plaintext: bytes, context: dict[str, str], salt: bytes, nonce: bytes
) -> None:
    sealed = seal(plaintext, context, salt=salt, nonce=nonce)
    assert len(sealed) == blob.OVERHEAD + len(plaintext)
    assert blob.decrypt(MATERIAL, sealed, ec.encode(context)) == plaintext


@PROPERTY
@given(plaintext=plaintexts, context=contexts, data=st.data())
def test_flipping_any_single_bit_of_the_blob_makes_it_invalid(
    plaintext: bytes, context: dict[str, str], data: st.DataObject
) -> None:
    sealed = bytearray(seal(plaintext, context))
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1), label="bit")
    sealed[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, bytes(sealed), ec.encode(context))


@PROPERTY
@given(context=contexts, key=st.text(max_size=16), value=st.text(max_size=16))
def test_a_context_with_an_added_pair_is_rejected(
    context: dict[str, str], key: str, value: str
) -> None:
    assume(key not in context)
    sealed = seal(b"p", context)
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed, ec.encode({**context, key: value}))


@PROPERTY
@given(context=contexts.filter(bool), data=st.data())
def test_a_context_with_a_removed_pair_is_rejected(
    context: dict[str, str], data: st.DataObject
) -> None:
    sealed = seal(b"p", context)
    removed = data.draw(st.sampled_from(sorted(context)), label="removed key")
    narrower = {k: v for k, v in context.items() if k != removed}
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed, ec.encode(narrower))


@PROPERTY
@given(context=contexts.filter(bool), data=st.data())
def test_a_context_with_a_changed_value_is_rejected(
    context: dict[str, str], data: st.DataObject
) -> None:
    sealed = seal(b"p", context)
    key = data.draw(st.sampled_from(sorted(context)), label="changed key")
    value = data.draw(st.text(max_size=16).filter(lambda v: v != context[key]), label="value")
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed, ec.encode({**context, key: value}))


@PROPERTY
@given(
    key=st.from_regex(r"[a-z][A-Za-z0-9]{0,10}", fullmatch=True),
    value=st.from_regex(r"[a-z][A-Za-z0-9]{0,10}", fullmatch=True),
    change_key=st.booleans(),
)
def test_a_context_that_differs_only_in_case_is_rejected(
    key: str, value: str, change_key: bool
) -> None:
    sealed = seal(b"p", {key: value})
    changed = {key.upper(): value} if change_key else {key: value.upper()}
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed, ec.encode(changed))


@PROPERTY
@given(plaintext=plaintexts, other=st.uuids().filter(lambda u: str(u) != KEY_ID))
def test_a_blob_re_headed_with_another_key_id_is_rejected(
    plaintext: bytes, other: uuid.UUID
) -> None:
    sealed = seal(plaintext)
    moved = sealed[:1] + other.bytes + sealed[17:]
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, moved, ec.EMPTY)


@PROPERTY
@given(
    plaintext=plaintexts,
    other=st.binary(min_size=32, max_size=32).filter(lambda v: v != VERSION_ID),
)
def test_a_blob_re_headed_with_another_version_id_is_rejected(
    plaintext: bytes, other: bytes
) -> None:
    sealed = seal(plaintext)
    moved = sealed[:17] + other + sealed[49:]
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, moved, ec.EMPTY)


def test_a_blob_moved_to_another_key_fails_under_that_keys_material() -> None:
    sealed = seal(b"row of key A")
    header_b = seal(b"", key_id=OTHER_KEY_ID, version_id=OTHER_VERSION_ID)[: blob.HEADER_LENGTH]
    moved = header_b[:49] + sealed[49:]
    assert blob.parse_header(moved).key_id == OTHER_KEY_ID
    with pytest.raises(InvalidBlob):
        blob.decrypt(OTHER_MATERIAL, moved, ec.EMPTY)


@PROPERTY
@given(plaintext=plaintexts, context=contexts)
def test_decrypt_under_other_material_is_rejected(
    plaintext: bytes, context: dict[str, str]
) -> None:
    sealed = seal(plaintext, context)
    with pytest.raises(InvalidBlob):
        blob.decrypt(OTHER_MATERIAL, sealed, ec.encode(context))


@PROPERTY
@given(plaintext=plaintexts, data=st.data())
def test_a_truncated_blob_is_rejected(plaintext: bytes, data: st.DataObject) -> None:
    sealed = seal(plaintext)
    length = data.draw(st.integers(0, len(sealed) - 1), label="kept length")
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed[:length], ec.EMPTY)


@PROPERTY
@given(plaintext=plaintexts, extra=st.binary(min_size=1, max_size=32))
def test_a_blob_with_bytes_appended_is_rejected(plaintext: bytes, extra: bytes) -> None:
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, seal(plaintext) + extra, ec.EMPTY)


@PROPERTY
@given(plaintext=plaintexts, version=st.integers(0, 255).filter(lambda v: v != 1))
@example(plaintext=b"", version=0)
@example(plaintext=b"", version=2)
def test_a_blob_with_an_unknown_version_byte_is_rejected(plaintext: bytes, version: int) -> None:
    sealed = bytes([version]) + seal(plaintext)[1:]
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, sealed, ec.EMPTY)


@given(garbage=st.binary(max_size=blob.OVERHEAD + 64))
def test_random_bytes_are_rejected_with_the_one_opaque_error(garbage: bytes) -> None:
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, garbage, ec.EMPTY)


# --- VersionKeys: derived keys reused for a bounded number of messages --------------------


def version_keys(limit: int = blob.MESSAGES_PER_SALT) -> blob.VersionKeys:
    return blob.VersionKeys(MATERIAL, KEY_ID, VERSION_ID, messages_per_salt=limit)


@PROPERTY
@given(plaintexts, contexts)
def test_version_keys_blobs_open_with_decrypt_and_the_other_way_round(
    plaintext: bytes, context: dict[str, str]
) -> None:
    keys = version_keys()
    encoded = ec.encode(context)
    assert blob.decrypt(MATERIAL, keys.encrypt(plaintext, encoded), encoded) == plaintext
    assert keys.decrypt(seal(plaintext, context), encoded) == plaintext
    header = blob.parse_header(keys.encrypt(plaintext, encoded))
    assert (header.key_id, header.version_id) == (KEY_ID, VERSION_ID)


@PROPERTY
@given(plaintexts, st.data())
def test_flipping_any_bit_of_a_version_keys_blob_makes_it_invalid(
    plaintext: bytes, data: st.DataObject
) -> None:
    keys = version_keys()
    sealed = bytearray(keys.encrypt(plaintext, ec.EMPTY))
    bit = data.draw(st.integers(min_value=0, max_value=len(sealed) * 8 - 1))
    sealed[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidBlob):
        keys.decrypt(bytes(sealed), ec.EMPTY)
    with pytest.raises(InvalidBlob):
        blob.decrypt(MATERIAL, bytes(sealed), ec.EMPTY)


def test_version_keys_reject_another_context_and_other_material() -> None:
    keys = version_keys()
    sealed = keys.encrypt(b"secret", ec.encode({"a": "1"}))
    with pytest.raises(InvalidBlob):
        keys.decrypt(sealed, ec.encode({"a": "2"}))
    with pytest.raises(InvalidBlob):
        blob.VersionKeys(OTHER_MATERIAL, KEY_ID, VERSION_ID).decrypt(sealed, ec.encode({"a": "1"}))


def test_a_salt_serves_at_most_messages_per_salt_messages_each_with_its_own_nonce() -> None:
    keys = version_keys(limit=3)
    sealed = [keys.encrypt(b"x", ec.EMPTY) for _ in range(7)]
    salts = [s[49:65] for s in sealed]
    nonces = [s[65 : blob.HEADER_LENGTH] for s in sealed]
    assert salts[0] == salts[1] == salts[2] != salts[3]
    assert salts[3] == salts[4] == salts[5] != salts[6]
    assert len(set(nonces)) == 7
    assert all(keys.decrypt(s, ec.EMPTY) == b"x" for s in sealed)


def test_two_version_keys_draw_different_salts() -> None:
    first, second = version_keys(), version_keys()
    assert first.encrypt(b"x", ec.EMPTY)[49:65] != second.encrypt(b"x", ec.EMPTY)[49:65]


def test_the_salt_limit_holds_when_threads_share_version_keys() -> None:
    keys = version_keys(limit=50)
    uses: Counter[bytes] = Counter()
    lock = threading.Lock()

    def work() -> None:
        mine = [keys.encrypt(b"x", ec.EMPTY)[49:65] for _ in range(1000)]
        with lock:
            uses.update(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(uses.values()) == 4000
    assert max(uses.values()) <= 50


def test_the_memo_of_opened_salts_stays_bounded() -> None:
    keys = version_keys()
    sealed = [seal(b"m", salt=n.to_bytes(16, "big")) for n in range(blob.OPENED_SALTS + 10)]
    assert all(keys.decrypt(s, ec.EMPTY) == b"m" for s in sealed)
    assert len(keys._opened) <= blob.OPENED_SALTS


def test_blobs_that_fail_to_open_leave_no_derived_key_behind() -> None:
    keys = version_keys()
    before = dict(keys._opened)
    for n in range(20):
        forged = bytearray(seal(b"m", salt=n.to_bytes(16, "big")))
        forged[-1] ^= 1
        with pytest.raises(InvalidBlob):
            keys.decrypt(bytes(forged), ec.EMPTY)
    assert keys._opened == before


def test_version_keys_check_their_inputs() -> None:
    with pytest.raises(ValueError):
        blob.VersionKeys(b"short", KEY_ID, VERSION_ID)
    with pytest.raises(ValueError):
        blob.VersionKeys(MATERIAL, KEY_ID, b"short")
    with pytest.raises(ValueError):
        blob.VersionKeys(MATERIAL, "not-a-uuid", VERSION_ID)
    with pytest.raises(InvalidBlob):
        version_keys().decrypt(b"\x01" * (blob.OVERHEAD - 1), ec.EMPTY)
