"""An import from upload to report: start, run in chunks, cancel, resume, report.

``start_import`` measures the file and its header at once (a refused file is a message on the
form, nothing is stored), then finds or creates its ``ImportBatch``: the same file already
imported into the department creates nothing new; the same file whose import stopped resumes it.
``run_import`` (the Celery task's body, or the command's) streams the rows and commits them in
chunks of ``REGISTRY_IMPORT_CHUNK_ROWS``: each chunk, its refused rows, its ``ImportChunk`` row and
the batch's progress commit together, so the batch always says exactly which lines are in. A
cancelled or failed import keeps its committed chunks and resumes after the last one; a session
lock keeps two workers off one batch (a lost worker's redelivered task simply carries on).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.choices import ImportStatus, ProblemKind
from registry.importer import read
from registry.importer.context import ChunkResult, ImportContext, Problem
from registry.importer.output import write_problems
from registry.importer.read import ImportRefused
from registry.importer.rows import RowParser, RowRefused
from registry.importer.templates import NATIONAL, HeaderRefused, detect
from registry.importer.write import ChunkWriter
from registry.models import Department, ImportBatch, ImportChunk, ImportProblem
from registry.workdays import beijing_today

logger = logging.getLogger(__name__)

_LOCK_CLASS = 7_106_423  # advisory lock namespace of running imports (with the batch id)
STALE_AFTER = dt.timedelta(minutes=10)  # a running import without progress for this long was lost
UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED, ImportStatus.CANCELLED)


class _DryRun(Exception):
    """Rolls a checked chunk back."""


@dataclass
class Started:
    batch: ImportBatch
    outcome: str  # "created", "resumed", "running" or "already imported"


def _actor_name(actor: Any) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def check_file(path: Path, file_name: str, department: Department, template: str = "") -> tuple[Any, Any]:
    """(FileInfo, HeaderMatch) of a file, or ImportRefused saying why it cannot be imported."""
    if not department.is_active:
        raise ImportRefused(_("The department %(name)s is inactive.") % {"name": department.name})
    try:
        info = read.inspect(path, file_name)
        match = detect(read.header_of(path, info), template)
        if not read.has_rows(path, info):
            raise ImportRefused(_("The file has a header but no data rows."))
    except HeaderRefused as exc:
        raise ImportRefused(exc.message) from exc
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file gets a message, never a 500
        logger.warning("import of %s: file not readable", file_name, exc_info=True)
        raise ImportRefused(
            _("The file cannot be read (%(error)s): save it again as CSV UTF-8 or .xlsx.")
            % {"error": exc.__class__.__name__}
        ) from exc
    if match.template.code in NATIONAL and not department.credit_code:
        raise ImportRefused(
            _(
                "The department %(name)s has no credit code: national-template rows name their deciding "
                "authority by its code, so a platform administrator must enter the department's code first."
            )
            % {"name": department.name}
        )
    return info, match


def is_stale(batch: ImportBatch) -> bool:
    """A queued or running import without a sign of life for a while: its worker (or the message
    sent to one) was lost. Queuing it again is safe: a session lock keeps two workers off it."""
    last = batch.heartbeat_at or batch.started_at or batch.created_at
    active = batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    return active and timezone.now() - last > STALE_AFTER


def start_import(
    path: Path,
    *,
    file_name: str,
    department: Department,
    actor: Any = None,
    template: str = "",
    dry_run: bool = False,
    store: bool = True,
) -> Started:
    """Check ``path`` and find or create its import; ``store`` keeps a copy for a worker to read."""
    info, match = check_file(path, file_name, department, template)
    if not dry_run:
        same = ImportBatch.objects.filter(department=department, sha256=info.sha256, dry_run=False)
        done = same.filter(status=ImportStatus.SUCCEEDED).first()
        if done is not None:
            return Started(done, "already imported")
        unfinished = same.filter(status__in=UNFINISHED).order_by("-created_at").first()
        if unfinished is not None:
            if unfinished.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and not is_stale(unfinished):
                return Started(unfinished, "running")
            if store and not unfinished.file:
                _store(unfinished, path)
            ImportBatch.objects.filter(pk=unfinished.pk).update(
                status=ImportStatus.QUEUED, cancel_requested=False, message="", heartbeat_at=timezone.now()
            )
            unfinished.refresh_from_db()
            return Started(unfinished, "resumed")
    batch = ImportBatch.objects.create(
        department=department,
        template=match.template.code,
        file_name=file_name[:255],
        file_format=info.file_format,
        encoding=info.encoding,
        sha256=info.sha256,
        size=info.size,
        dry_run=dry_run,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_by_name=_actor_name(actor),
        rows_expected=(info.rows_expected - 1) if info.rows_expected else None,
    )
    if store:
        _store(batch, path)
    return Started(batch, "created")


def _store(batch: ImportBatch, path: Path) -> None:
    extension = batch.file_format
    with path.open("rb") as handle:
        batch.file.save(f"{batch.pk}-{batch.sha256[:16]}.{extension}", File(handle), save=False)
    ImportBatch.objects.filter(pk=batch.pk).update(file=batch.file.name)


def _forget_file(batch: ImportBatch) -> None:
    """The stored upload may hold identity numbers in clear: it goes once nothing can resume."""
    if batch.file:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")


def cancel_import(batch: ImportBatch) -> ImportBatch:
    """Ask a running import to stop after its current chunk (a queued one stops at once)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.QUEUED:
            batch.status, batch.finished_at = ImportStatus.CANCELLED, timezone.now()
            batch.message = _cancelled_message(batch)
            batch.save(update_fields=["status", "finished_at", "message"])
        elif batch.status == ImportStatus.RUNNING:
            if is_stale(batch):
                batch.status, batch.finished_at = ImportStatus.CANCELLED, timezone.now()
                batch.message = _cancelled_message(batch)
                batch.save(update_fields=["status", "finished_at", "message"])
            else:
                batch.cancel_requested = True
                batch.save(update_fields=["cancel_requested"])
    return batch


def can_resume(batch: ImportBatch) -> bool:
    return bool(batch.file) and (
        batch.status in (ImportStatus.FAILED, ImportStatus.CANCELLED) or is_stale(batch)
    )


def resume_import(batch: ImportBatch) -> ImportBatch:
    """Queue a stopped import again; it carries on after its last committed chunk."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.QUEUED, cancel_requested=False, message="", heartbeat_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def enqueue(batch: ImportBatch) -> None:
    """Send the import to a worker once the transaction commits."""

    def send() -> None:
        from registry import tasks

        result = tasks.run_import.delay(batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(task_id=result.id or "")

    transaction.on_commit(send, robust=True)


# -- the run -------------------------------------------------------------------------------------


def _try_lock(batch_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, batch_id])
        return bool(cursor.fetchone()[0])


def _unlock(batch_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, batch_id])


def run_import(batch_id: int, path: Path | None = None, progress=None) -> ImportBatch:
    """Import (or carry on importing) batch ``batch_id`` from ``path`` (default: its stored file)."""
    if not _try_lock(batch_id):
        return ImportBatch.objects.get(pk=batch_id)  # another worker has it
    try:
        batch = ImportBatch.objects.select_related("department", "created_by").get(pk=batch_id)
        if batch.status in (ImportStatus.SUCCEEDED, ImportStatus.REFUSED):
            return batch
        if batch.cancel_requested or batch.status == ImportStatus.CANCELLED:
            _finish(batch, ImportStatus.CANCELLED, _cancelled_message(batch))
            return batch
        if path is None:
            if not batch.file:
                _finish(
                    batch,
                    ImportStatus.FAILED,
                    _("The stored file is gone: upload the same file again to resume."),
                )
                return batch
            path = Path(batch.file.path)
        _Run(batch, path, progress).run()
    finally:
        _unlock(batch_id)
    batch.refresh_from_db()
    return batch


def _finish(batch: ImportBatch, status: str, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, message=message, finished_at=timezone.now(), seconds_left=None, cancel_requested=False
    )
    batch.refresh_from_db()
    if status in (ImportStatus.SUCCEEDED, ImportStatus.REFUSED):
        _forget_file(batch)


def _committed_lines(batch: ImportBatch) -> str:
    """Which chunks are in: the report's and the messages' account of a stopped import."""
    chunks = batch.chunks.order_by("number").values_list("number", "first_line", "last_line")
    first, last = chunks.first(), chunks.last()
    if first is None:
        return _("no row was written")
    if first == last:
        return _("chunk 1 (lines %(first)d-%(last)d) was committed") % {"first": first[1], "last": first[2]}
    return _("chunks 1-%(n)d (lines %(first)d-%(last)d) were committed") % {
        "n": last[0],
        "first": first[1],
        "last": last[2],
    }


def _cancelled_message(batch: ImportBatch) -> str:
    return _("Cancelled: %(committed)s. Upload the same file again (or resume) to carry on.") % {
        "committed": _committed_lines(batch)
    }


@dataclass
class _Chunk:
    """Consecutive lines of the file, parsed: the unit that commits."""

    rows: int
    first_line: int
    last_line: int
    position: int  # bytes of the file read so far
    parsed: list
    refusals: list[Problem]


def _parse(parser: RowParser, lines: list[tuple[int, list]], last_line: int, position: int) -> _Chunk:
    parsed, refusals = [], []
    for line, cells in lines:
        try:
            parsed.append(parser.parse(line, cells))
        except RowRefused as refused:
            for column, message in refused.problems or [("", str(refused))]:
                refusals.append(Problem(line, ProblemKind.REFUSED, refused.document_number, column, message))
    first_line = lines[0][0] if lines else last_line
    return _Chunk(len(lines), first_line, last_line, position, parsed, refusals)


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items`` produced by a thread one item ahead of the consumer: reading and parsing the next
    chunk (pure Python) overlap the database's work on this one (psycopg2 lets go of the GIL while
    it waits). One item waits at most, so memory stays bounded by two chunks."""
    box: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    language = translation.get_language()

    def put(message: tuple) -> bool:
        while not stop.is_set():
            try:
                box.put(message, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        with translation.override(language):
            try:
                for item in items:
                    if not put(("item", item)):
                        return
                put(("end", None))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
                put(("error", exc))

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()


class _Run:
    def __init__(self, batch: ImportBatch, path: Path, progress):
        self.batch, self.path, self.progress = batch, path, progress
        self.chunk_rows = settings.REGISTRY_IMPORT_CHUNK_ROWS
        self.totals: dict[str, int] = dict(batch.counts or {})
        self.rows_read, self.accepted = batch.rows_read, batch.accepted
        self.refused, self.warnings = batch.refused, batch.warnings
        self.number = batch.chunks.count()
        self.started = time.monotonic()
        self.bytes_at_start, self.rows_at_start = batch.bytes_done, batch.rows_read

    def run(self) -> None:
        batch = self.batch
        try:
            info, match = check_file(self.path, batch.file_name, batch.department, batch.template)
            if info.sha256 != batch.sha256:
                raise ImportRefused(_("The stored file is not the one uploaded (its SHA-256 differs)."))
            self.info = info
            context = ImportContext(
                batch=batch,
                department=batch.department,
                actor=batch.created_by,
                template=match.template,
                now=timezone.now(),
            )
            parser = RowParser(
                match, batch.department, beijing_today(), nul_possible=info.encoding == "utf-16"
            )
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportStatus.RUNNING,
                started_at=batch.started_at or timezone.now(),
                heartbeat_at=timezone.now(),
                message="",
            )
            if self._stream(context, parser):
                self._done()
        except ImportRefused as exc:
            committed = batch.chunks.exists()
            status = ImportStatus.FAILED if committed else ImportStatus.REFUSED
            message = exc.message
            if committed:
                message = _("%(reason)s Stopped: %(committed)s.") % {
                    "reason": exc.message,
                    "committed": _committed_lines(batch),
                }
            _finish(batch, status, message)
        except (OperationalError, InterfaceError):
            _finish(
                batch,
                ImportStatus.FAILED,
                _("The database was unreachable: %(committed)s; resume the import.")
                % {"committed": _committed_lines(batch)},
            )
            raise  # the task retries and carries on after the committed chunks
        except Exception as exc:
            logger.exception("import %s failed", batch.pk)
            _finish(
                batch,
                ImportStatus.FAILED,
                _(
                    "The import stopped on an internal error (%(error)s): %(committed)s; resume it or tell "
                    "the platform's operators."
                )
                % {"error": exc.__class__.__name__, "committed": _committed_lines(batch)},
            )

    def _stream(self, context: ImportContext, parser: RowParser) -> bool:
        """Commit every chunk; False when the import was cancelled. Reading and parsing run a
        chunk ahead in a thread, beside the database's work on the chunk before."""
        for chunk in read_ahead(self._chunks(parser)):
            if not self._commit(context, chunk):
                return False
        return True

    def _chunks(self, parser: RowParser) -> Iterator[_Chunk]:
        """The file's rows after the committed lines, parsed, chunk by chunk."""
        done_line = self.batch.lines_done
        rows = self.rows_read
        chunk: list[tuple[int, list]] = []
        position = 0
        last_line = done_line
        for line, cells, position in read.rows(self.path, self.info):
            if line <= done_line:
                continue
            last_line = line
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in cells):
                continue
            chunk.append((line, cells))
            rows += 1
            if rows > read.max_rows():
                raise ImportRefused(read.too_many_rows())
            if len(chunk) >= self.chunk_rows:
                yield _parse(parser, chunk, last_line, position)
                chunk = []
        if chunk:
            yield _parse(parser, chunk, last_line, position)

    def _commit(self, context: ImportContext, chunk: _Chunk) -> bool:
        batch = self.batch
        for attempt in range(3):
            result = ChunkResult(
                problems=list(chunk.refusals), refused_lines={problem.line for problem in chunk.refusals}
            )
            for row in chunk.parsed:
                for column, message in row.remarks:
                    result.remark(row, column, message)
            try:
                with transaction.atomic():
                    if chunk.parsed:
                        self._write(context, chunk.parsed, result)
                    self._record(result, chunk)
                break
            except IntegrityError:
                # Another writer added the same subject or document number meanwhile: look again.
                if attempt == 2:
                    raise
        if self.progress:
            self.progress(batch)
        cancel = ImportBatch.objects.filter(pk=batch.pk).values_list("cancel_requested", flat=True).first()
        if cancel:
            _finish(batch, ImportStatus.CANCELLED, _cancelled_message(batch))
            return False
        return True

    def _write(self, context: ImportContext, parsed: list, result: ChunkResult) -> None:
        context.now = timezone.now()
        if not self.batch.dry_run:
            ChunkWriter(context, parsed, result).run()
            return
        try:
            with transaction.atomic():
                ChunkWriter(context, parsed, result).run()
                raise _DryRun
        except _DryRun:
            pass

    def _record(self, result: ChunkResult, chunk: _Chunk) -> None:
        batch = self.batch
        rows, first_line, last_line, position = chunk.rows, chunk.first_line, chunk.last_line, chunk.position
        with connection.cursor() as cursor:
            write_problems(cursor, batch, result.problems)
        for name, n in result.counts.items():
            self.totals[name] = self.totals.get(name, 0) + n
        refused = len(result.refused_lines)
        self.rows_read += rows
        self.refused += refused
        self.accepted += rows - refused
        self.warnings += sum(1 for problem in result.problems if problem.kind == ProblemKind.WARNING)
        self.number += 1
        now = timezone.now()
        ImportChunk.objects.create(
            batch=batch,
            number=self.number,
            first_line=first_line,
            last_line=last_line,
            accepted=rows - refused,
            refused=refused,
            committed_at=now,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            lines_done=last_line,
            bytes_done=position,
            rows_read=self.rows_read,
            accepted=self.accepted,
            refused=self.refused,
            warnings=self.warnings,
            counts=self.totals,
            heartbeat_at=now,
            seconds_left=self._seconds_left(position),
        )
        batch.lines_done, batch.bytes_done, batch.rows_read = last_line, position, self.rows_read

    def _seconds_left(self, position: int) -> int | None:
        elapsed = time.monotonic() - self.started
        if self.info.file_format == "csv" and position > self.bytes_at_start:
            rate = (position - self.bytes_at_start) / elapsed
            return int((self.info.size - position) / rate) if rate else None
        expected = self.batch.rows_expected
        done = self.rows_read - self.rows_at_start
        if expected and done > 0:
            return max(0, int((expected - self.rows_read) * elapsed / done))
        return None

    def _done(self) -> None:
        totals = self.totals
        summary = _(
            "%(rows)d rows: %(accepted)d accepted (%(created)d new, %(updated)d updated, %(unchanged)d "
            "unchanged, "
            "%(revoked)d revoked, %(people)d natural persons' records), %(refused)d refused, %(warnings)d "
            "remarks."
        ) % {
            "rows": self.rows_read,
            "accepted": self.accepted,
            "created": totals.get("created", 0),
            "updated": totals.get("updated", 0),
            "unchanged": totals.get("unchanged", 0),
            "revoked": totals.get("revoked", 0),
            "people": totals.get("people", 0),
            "refused": self.refused,
            "warnings": self.warnings,
        }
        if self.batch.dry_run:
            summary = _("Checked, nothing was written: %(summary)s") % {"summary": summary}
        _finish(self.batch, ImportStatus.SUCCEEDED, summary)


# -- the report ----------------------------------------------------------------------------------


def report_rows(batch: ImportBatch) -> Iterator[list[str]]:
    """The report as table rows: each refused row and remark with its line and reason, and, for an
    import that did not finish, the chunks that were committed."""
    yield [_("Line"), _("Document number"), _("Result"), _("Column"), _("Reason")]
    labels = dict(ProblemKind.choices)
    problems = ImportProblem.objects.filter(batch=batch).order_by("line", "id")
    for line, number, kind, column, message in problems.values_list(
        "line", "document_number", "kind", "column", "message"
    ).iterator(chunk_size=5000):
        yield [str(line), number, str(labels.get(kind, kind)), column, message]
    if batch.status != ImportStatus.SUCCEEDED:
        for chunk in batch.chunks.order_by("number"):
            yield [
                str(chunk.first_line),
                "",
                _("Committed"),
                "",
                _(
                    "chunk %(n)d: lines %(first)d-%(last)d committed (%(accepted)d accepted, %(refused)d "
                    "refused)"
                )
                % {
                    "n": chunk.number,
                    "first": chunk.first_line,
                    "last": chunk.last_line,
                    "accepted": chunk.accepted,
                    "refused": chunk.refused,
                },
            ]
        yield ["", "", str(dict(ImportStatus.choices)[batch.status]), "", batch.message]
