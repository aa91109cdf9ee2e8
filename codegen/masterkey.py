"""The master key that wraps private key material: from the environment or a 0600 file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from codegen.keys_crypto import b64url_encode, decode_master_key, generate_master_key

MASTER_KEY_FILE = "master.key"


def load_master_key(env_value: str | None, data_dir: Path) -> bytes:
    """SEALTRACE_MASTER_KEY when set; else data_dir/master.key, created (mode 0600) if absent."""
    if env_value:
        return decode_master_key(env_value)
    path = data_dir / MASTER_KEY_FILE
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise PermissionError(f"{path} must not be readable by others (mode {mode:o})")
        return decode_master_key(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = generate_master_key()
    # Written whole under a name of its own, then linked into place: a server starting at the
    # same moment finds either no file or the whole of one, and the first link wins.
    draft = path.with_name(f"{MASTER_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(b64url_encode(key) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return decode_master_key(path.read_text())
    finally:
        draft.unlink()
    return key
