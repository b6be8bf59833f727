"""The import at scale (#19): a re-import of an unchanged tree writes no registry row and no base, reads the bases
once, and makes as many queries for a tree twice as big (`synthetic_tree`)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incubateur.core.models import JournalEntry
from incubateur.registry import content
from incubateur.registry.models import ContentBase, Member
from incubateur.synthetic.tree import write_tree
from tests.utils import SAMPLE, SAMPLE_MISSING

pytestmark = [pytest.mark.skipif(not SAMPLE.is_dir(), reason=SAMPLE_MISSING), pytest.mark.django_db]

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def reimport_queries(path) -> list[str]:
    content.import_betagouv(path=path)
    with CaptureQueriesContext(connection) as queries:
        report = content.import_betagouv(path=path)
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    return [q["sql"] for q in queries.captured_queries]


def test_a_reimport_writes_only_its_journal_row_reads_bases_once_and_is_flat_in_queries(tmp_path):
    write_tree(out=tmp_path / "one", sample=SAMPLE, factor=1)
    write_tree(out=tmp_path / "two", sample=SAMPLE, factor=2)
    small = reimport_queries(tmp_path / "one")
    written = {_WRITE.match(sql).group(1) for sql in small if _WRITE.match(sql)}
    # No registry row, no base: the journal row, and the cache stamps other apps bump on a journal row.
    assert JournalEntry._meta.db_table in written
    assert written <= {JournalEntry._meta.db_table, "django_cache"}
    bases = ContentBase._meta.db_table
    # One read, streamed (a server-side cursor on PostgreSQL: `DECLARE … CURSOR … FOR SELECT`).
    reads = [sql for sql in small if sql.lstrip().upper().startswith(("SELECT", "DECLARE")) and bases in sql]
    assert len(reads) == 1
    members = Member.objects.count()
    big = reimport_queries(tmp_path / "two")
    assert Member.objects.count() == 2 * members
    assert len(big) == len(small)
