"""Needs files: reading XLSX and CSV as users send them, recognising headers, validating and planning an import.

The import itself (the writes, the job rows) lives in `procurement.services.imports`.
"""

from procurement.imports.planning import ImportPlan, file_issue, issue_text, plan_import
from procurement.imports.reading import FileRejected, estimate_rows

__all__ = ["FileRejected", "ImportPlan", "estimate_rows", "file_issue", "issue_text", "plan_import"]
