"""Files of the content tree, read and written without ever following a link below the tree's folder.

A beta.gouv.fr checkout comes from elsewhere: a symbolic link in it (a file or a folder) could make the import
publish a file of the server (`_authors/x.md -> /etc/passwd`) or the export overwrite one. So, below the folder the
operator names (a link *there* is followed: it is their choice, as `cp` does), every step is opened relative to
its folder's descriptor with `O_NOFOLLOW` — no link is followed, and none can be swapped in between a check and
the use:

- reading (`read_bytes`): a link on the way is a `FileRefused`, as is anything but a regular file (a FIFO…);
- folders (`open_folder`): created when missing; a link is a `FileRefused`;
- writing (`replace_file`): the text goes to a new hidden file of the same folder (created, never opened if it
  exists), which then replaces the name (`rename`): a link or a hard link that was there is replaced by a regular
  file, its target is left as it was, and a reader sees the old file or the new one, never half of one.
"""

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NO_LINK = os.O_NOFOLLOW

LINKED_FILE = "lien symbolique refusé : un fichier de l'arborescence doit être un fichier ordinaire"
LINKED_FOLDER = "lien symbolique refusé : un dossier de l'arborescence doit être un dossier ordinaire"
NOT_A_FILE = "refusé : pas un fichier ordinaire (un tube, un périphérique…)"


class FileRefused(Exception):
    """A link (or something that is not a regular file) where the tree must have a file or a folder. `rel` is its
    path in the tree."""

    def __init__(self, rel: str, message: str):
        self.rel = rel
        self.message = message
        super().__init__(f"{rel}: {message}")


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def open_folder(name: str, *, dir_fd: int, rel: str, create: bool = False) -> int:
    """The descriptor of the folder `name` of the folder `dir_fd` (created first when `create`); a link is
    refused (`rel`: its path in the tree, for the message). The caller closes it."""
    if create:
        try:
            os.mkdir(name, dir_fd=dir_fd)
        except FileExistsError:
            pass
    try:
        return os.open(name, _FOLDER | _NO_LINK, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(name, dir_fd):
            raise FileRefused(rel, LINKED_FOLDER) from exc
        raise


@contextmanager
def folder(root: str | os.PathLike, rel: str = "", *, create: bool = False) -> Iterator[int]:
    """The descriptor of `root/rel`, every folder of `rel` opened without following a link (and created when
    `create`); `root` itself is followed."""
    if create:
        Path(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(root, _FOLDER)
    try:
        parts = rel.split("/") if rel else []
        for i, part in enumerate(parts):
            inner = open_folder(part, dir_fd=fd, rel="/".join(parts[: i + 1]), create=create)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def read_bytes(root: str | os.PathLike, rel: str) -> bytes:
    """The bytes of the file `root/rel` (`rel`: `_authors/x.md`), no link followed below `root`."""
    folder_rel, _, name = rel.rpartition("/")
    with folder(root, folder_rel) as dir_fd:
        return read_at(name, dir_fd=dir_fd, rel=rel)


def read_at(name: str, *, dir_fd: int, rel: str) -> bytes:
    """The bytes of the file `name` of the folder `dir_fd` (opened by `folder`), not followed if it is a link
    (`rel`: its path in the tree, for the message). The whole tree's import opens each kind's folder once."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | _NO_LINK, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(name, dir_fd):
            raise FileRefused(rel, LINKED_FILE) from exc
        raise
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(rel, NOT_A_FILE)
        # Read to the end with the descriptor itself (no file object per file: the import reads thousands).
        chunks = []
        while chunk := os.read(fd, status.st_size + 1):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def replace_file(name: str, text: str, *, dir_fd: int) -> None:
    """Write `text` (UTF-8, `\\n` line ends) as the file `name` of the folder `dir_fd`, replacing whatever had that
    name (a link included: its target is not touched)."""
    temporary = f".export-{secrets.token_hex(8)}.tmp"  # hidden: the importer does not read it
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | _NO_LINK, 0o666, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        raise


def write_file(root: str | os.PathLike, rel: str, text: str) -> None:
    """Write `text` as the file `root/rel` (`_fasts/03_fast.md`), its folders created, no link followed below
    `root` (a linked folder is a `FileRefused`; a linked file is replaced by a regular one)."""
    folder_rel, _, name = rel.rpartition("/")
    with folder(root, folder_rel, create=True) as dir_fd:
        replace_file(name, text, dir_fd=dir_fd)
