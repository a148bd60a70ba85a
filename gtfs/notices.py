"""What the validator reports: notices (code, severity, file, row, field) and the report."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ERROR", "INFO", "WARNING", "Notice", "Report"]

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Notice:
    """One problem found: its code (as the canonical validator names it), severity, where
    (file, CSV row with the header as row 1, field) and what."""

    code: str
    severity: str
    file: str
    message: str
    row: int | None = None
    field: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def where(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(self.field)
        return ":".join(parts) if len(parts) == 1 else f"{parts[0]} " + ", ".join(parts[1:])


@dataclass(frozen=True)
class Report:
    """Everything the validator found in a feed."""

    source: str
    notices: tuple[Notice, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> list[Notice]:
        return [n for n in self.notices if n.severity == ERROR]

    @property
    def warnings(self) -> list[Notice]:
        return [n for n in self.notices if n.severity == WARNING]

    @property
    def valid(self) -> bool:
        """No errors (warnings and infos allowed)."""
        return not self.errors

    def counts(self) -> dict[str, int]:
        """How many notices of each code."""
        out: dict[str, int] = {}
        for n in self.notices:
            out[n.code] = out.get(n.code, 0) + 1
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "feed": self.source,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "infos": sum(n.severity == INFO for n in self.notices),
            "counts": self.counts(),
            "notices": [n.as_dict() for n in self.notices],
        }
