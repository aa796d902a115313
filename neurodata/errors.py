"""The one exception family of neurodata: every error the library raises on bad input is one of these."""

from __future__ import annotations


class NeurodataError(Exception):
    """Base class: the CLI turns any of these into a message and exit code 1."""


class EventsError(NeurodataError, ValueError):
    """Events that break the contract of `neurodata.events` (field, index and value named)."""


class DecodeError(NeurodataError, ValueError):
    """A raw event file that cannot be decoded (file, byte offset and what was expected named)."""


class ChecksumError(NeurodataError):
    """A downloaded or placed file whose checksum differs from the expected one."""


class ArchiveError(NeurodataError):
    """An archive that cannot be extracted (damaged, or not an archive)."""


class UnsafeArchiveError(ArchiveError):
    """An archive member that would be written outside the extraction folder (or is a device file)."""


class DatasetNotFoundError(NeurodataError, FileNotFoundError):
    """A dataset whose files are not where they should be."""


class CacheError(NeurodataError):
    """A frame cache that is missing, incomplete or built with other parameters."""


class UnknownFormatError(DecodeError):
    """A file whose event format cannot be told from its magic, header or extension."""


class HeaderError(DecodeError):
    """A raw file whose magic line or text header is missing or not the one its format requires."""


class CorruptDataError(DecodeError):
    """Event data that no writer of the format produces: impossible packet sizes, foreign address layouts."""


class OptionalDependencyError(NeurodataError, ImportError):
    """An optional package (the `formats` extra: dv-processing, faery) is needed and not installed."""


class DecodeWarning(UserWarning):
    """A raw file that decoded, but not exactly as stored; the message names the file and byte offset."""


class TruncatedFileWarning(DecodeWarning):
    """A raw file that ends inside a record or packet: the events fully present are returned."""


class UnsortedTimestampsWarning(DecodeWarning):
    """A raw file whose timestamps go backwards: the events were stably sorted by t."""


class UnknownNameError(NeurodataError, KeyError):
    """A dataset, format or other registered name that does not exist (close matches suggested)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""
