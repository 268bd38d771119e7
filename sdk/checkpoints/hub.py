"""``hf://org/repo[@revision]/path/in/repo`` sources, fetched through the Hugging Face cache.

``hf_hub_download`` reuses cached files and honours ``HF_HUB_OFFLINE`` / ``HF_HUB_CACHE``, so an
offline machine loads whatever was downloaded before.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from huggingface_hub import constants, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from ..errors import CheckpointError

HF_SCHEME = "hf://"
PROBE_TIMEOUT_S = 3.0


def is_hub_source(source: str) -> bool:
    return source.startswith(HF_SCHEME)


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the Hub endpoint accepts a TCP connection within ``timeout`` seconds (False when HF_HUB_OFFLINE)."""
    if constants.HF_HUB_OFFLINE:
        return False
    url = urlsplit(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)), timeout=timeout).close()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class HubFile:
    """One file of a Hub model repo."""

    repo_id: str
    filename: str
    revision: str | None = None

    @classmethod
    def parse(cls, source: str) -> HubFile:
        parts = source[len(HF_SCHEME) :].split("/", 2)
        if len(parts) < 3 or not all(parts):
            raise CheckpointError(
                f"{source!r} names no file: write hf://org/repo/path/to/file.safetensors "
                "(optionally hf://org/repo@revision/file)"
            )
        org, repo, filename = parts
        repo, _, revision = repo.partition("@")
        segments = [org, repo, *filename.split("/")]
        if "\\" in source or any(segment in ("", ".", "..") for segment in segments):
            raise CheckpointError(
                f"{source!r} is not a file inside one Hugging Face repo: '.', '..', empty segments and backslashes "
                "are not allowed; write hf://org/repo/path/to/file.safetensors"
            )
        return cls(f"{org}/{repo}", filename, revision or None)

    def sibling(self, name: str) -> HubFile:
        """A file next to this one (a shard named by an index)."""
        folder = PurePosixPath(self.filename).parent
        return HubFile(self.repo_id, str(folder / name) if str(folder) != "." else name, self.revision)

    def uri(self) -> str:
        revision = f"@{self.revision}" if self.revision else ""
        return f"{HF_SCHEME}{self.repo_id}{revision}/{self.filename}"

    def download(self) -> Path:
        """The local path of this file in the HF cache, downloading it when missing and online.

        Without a network the Hub client retries for half a minute before giving up; a quick probe
        of the endpoint (``hub_reachable``) sends an offline machine straight to the cache instead.
        """
        try:
            offline = not hub_reachable()
            return Path(hf_hub_download(self.repo_id, self.filename, revision=self.revision, local_files_only=offline))
        except LocalEntryNotFoundError:
            raise CheckpointError(
                f"{self.uri()} is not in the local Hugging Face cache and cannot be downloaded "
                "(offline: HF_HUB_OFFLINE is set, or no network); download it once while online "
                "or give the path of a local copy"
            ) from None
        except GatedRepoError:
            raise CheckpointError(
                f"{self.uri()} is in a gated repo: accept its license on huggingface.co and log in "
                "with `hf auth login` (or set HF_TOKEN)"
            ) from None
        except RepositoryNotFoundError:
            raise CheckpointError(
                f"Hugging Face repo {self.repo_id!r} not found (or private: log in with `hf auth login`)"
            ) from None
        except RevisionNotFoundError:
            raise CheckpointError(f"revision {self.revision!r} not found in Hugging Face repo {self.repo_id!r}") from None
        except EntryNotFoundError:
            raise CheckpointError(f"Hugging Face repo {self.repo_id!r} has no file {self.filename!r}") from None
