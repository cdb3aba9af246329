"""`json_items(column)`: the text items of a JSON list stored in a column, as a table with one column `value`.

SQLite spells it `json_each(col)`, PostgreSQL `json_array_elements_text(col::json)`; SQLAlchemy's compiler
extension renders the one construct for each engine, so the statements using it are written once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class json_items(GenericFunction[str]):  # SQLAlchemy names functions in lower case
    """The items of a JSON list of strings; use `.table_valued("value")` in a FROM clause."""

    type = Text()
    name = "json_each"
    inherit_cache = True


@compiles(json_items, "postgresql")
def _postgresql(element: json_items, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements_text(CAST({compiler.process(element.clauses, **kw)} AS json))"
